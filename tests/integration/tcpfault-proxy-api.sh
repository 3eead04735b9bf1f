#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tcpfault proxy --api with curl: Toxiproxy's routes, JSON shapes, status
# codes and error bodies, exactly; every bad request leaves it serving.
. "$SRC/tests/peers/tcpfault-lib.bash"
command -v curl >/dev/null || { echo "skip: curl is not installed"; exit 77; }

UP=$(free_port)
cat >"$T/config.json" <<JSON
[{"name": "fromfile", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:$UP"}]
JSON
"$TCPFAULT" proxy --api 127.0.0.1:0 --config "$T/config.json" \
    >"$T/conns.txt" 2>"$T/proxy.err" &
PIDS+=($!)
wait_line "$T/proxy.err" 'API listening on' || fail "no API: $(cat "$T/proxy.err")"
API=http://$(sed -n 's/.*API listening on \(.*\)$/\1/p' "$T/proxy.err")

# req METHOD PATH [BODY]: "STATUS BODY" of the answer.
req() {
	local code
	code=$(curl -s -o "$T/body" -w '%{http_code}' -X "$1" \
	    ${3+--data "$3"} "$API$2")
	printf '%s %s' "$code" "$(cat "$T/body")"
}

expect_match "GET /version" "$(req GET /version)" '^200 \{"version": "[^"]+"\}$'
expect "version's type" "$(curl -s -o /dev/null -w '%{content_type}' "$API/version")" \
    "application/json;charset=utf-8"
expect_match "--config made its proxy" "$(req GET /proxies/fromfile)" \
    "^200 \{\"name\":\"fromfile\",\"listen\":\"127.0.0.1:[0-9]+\",\"upstream\":\"127.0.0.1:$UP\",\"enabled\":true,\"toxics\":\[\]\}$"

# Proxies.
out=$(req POST /proxies "{\"name\":\"p\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:$UP\"}")
expect_match "POST /proxies" "$out" \
    "^201 \{\"name\":\"p\",\"listen\":\"127.0.0.1:[0-9]+\",\"upstream\":\"127.0.0.1:$UP\",\"enabled\":true,\"toxics\":\[\]\}$"
PLISTEN=$(printf '%s' "$out" | sed 's/.*"listen":"\([^"]*\)".*/\1/')
expect "duplicate name" "$(req POST /proxies "{\"name\":\"p\",\"upstream\":\"127.0.0.1:$UP\"}")" \
    '409 {"error":"proxy already exists","status":409}'
expect "port in use" "$(req POST /proxies "{\"name\":\"q\",\"listen\":\"$PLISTEN\",\"upstream\":\"127.0.0.1:$UP\"}")" \
    "409 {\"error\":\"listen on ${PLISTEN%:*} port ${PLISTEN##*:}: Address already in use\",\"status\":409}"
expect "bad JSON" "$(req POST /proxies '{"name":')" \
    '400 {"error":"bad request body: unexpected token near end of file","status":400}'
expect "no name" "$(req POST /proxies '{"upstream":"127.0.0.1:1"}')" \
    '400 {"error":"missing required field: name","status":400}'
expect "no upstream" "$(req POST /proxies '{"name":"x"}')" \
    '400 {"error":"missing required field: upstream","status":400}'
expect "bad upstream" "$(req POST /proxies '{"name":"x","upstream":"nocolon"}')" \
    '400 {"error":"bad request body: upstream: nocolon","status":400}'
expect "unknown proxy" "$(req GET /proxies/nope)" \
    '404 {"error":"proxy not found","status":404}'
expect "unknown proxy's toxics" "$(req POST /proxies/nope/toxics '{"type":"latency"}')" \
    '404 {"error":"proxy not found","status":404}'

# Toxics.
expect "POST a toxic" "$(req POST /proxies/p/toxics '{"type":"latency","attributes":{"latency":50}}')" \
    '200 {"attributes":{"latency":50,"jitter":0},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1}'
expect "POST ours, upstream" "$(req POST /proxies/p/toxics '{"type":"rst_at","name":"cut","stream":"upstream","toxicity":0.5,"attributes":{"bytes":4096}}')" \
    '200 {"attributes":{"bytes":4096},"name":"cut","type":"rst_at","stream":"upstream","toxicity":0.5}'
expect "GET toxics: upstream first" "$(req GET /proxies/p/toxics | tr -d '\n' | grep -o '"name":"[a-z_]*"' | tr '\n' ' ')" \
    '"name":"cut" "name":"latency_downstream" '
expect "duplicate toxic" "$(req POST /proxies/p/toxics '{"type":"latency"}')" \
    '409 {"error":"toxic already exists","status":409}'
expect "unknown toxic type" "$(req POST /proxies/p/toxics '{"type":"explode"}')" \
    '400 {"error":"invalid toxic type: explode","status":400}'
expect "bad stream" "$(req POST /proxies/p/toxics '{"type":"latency","stream":"sideways"}')" \
    '400 {"error":"stream was invalid, can be either upstream or downstream","status":400}'
expect "out of range" "$(req POST /proxies/p/toxics '{"type":"bandwidth","name":"b","attributes":{"rate":-1}}')" \
    '400 {"error":"bad request body: attributes.rate: must be an integer from 0 to 1099511627776","status":400}'
expect "not an attribute" "$(req POST /proxies/p/toxics '{"type":"latency","name":"l2","attributes":{"latancy":5}}')" \
    '400 {"error":"bad request body: attributes.latancy: not an attribute of latency","status":400}'
expect "toxicity out of range" "$(req POST /proxies/p/toxics '{"type":"latency","name":"l3","toxicity":2}')" \
    '400 {"error":"bad request body: toxicity: must be a number from 0 to 1","status":400}'
expect "unknown toxic" "$(req GET /proxies/p/toxics/nope)" \
    '404 {"error":"toxic not found","status":404}'
expect "update a toxic" "$(req POST /proxies/p/toxics/latency_downstream '{"attributes":{"jitter":5}}')" \
    '200 {"attributes":{"latency":50,"jitter":5},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1}'
expect "PATCH a toxic" "$(req PATCH /proxies/p/toxics/cut '{"toxicity":0.1}')" \
    '200 {"attributes":{"bytes":4096},"name":"cut","type":"rst_at","stream":"upstream","toxicity":0.1}'
expect "bad update" "$(req PATCH /proxies/p/toxics/cut '{"attributes":{"bytes":"many"}}')" \
    '400 {"error":"bad request body: attributes.bytes: must be an integer from 0 to 1125899906842624","status":400}'
expect "DELETE a toxic" "$(req DELETE /proxies/p/toxics/cut)" '204 '
expect "DELETE it again" "$(req DELETE /proxies/p/toxics/cut)" \
    '404 {"error":"toxic not found","status":404}'

# Disable and enable: the listener closes and opens on the same port.
expect "disable" "$(req POST /proxies/p '{"enabled":false}' | grep -o '"enabled":[a-z]*')" '"enabled":false'
python3 -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    print("connected")
except ConnectionRefusedError:
    print("refused")' "${PLISTEN##*:}" >"$T/disabled"
expect "disabled: refused" "$(cat "$T/disabled")" refused
expect "enable" "$(req PATCH /proxies/p '{"enabled":true}')" \
    "200 {\"name\":\"p\",\"listen\":\"$PLISTEN\",\"upstream\":\"127.0.0.1:$UP\",\"enabled\":true,\"toxics\":[{\"attributes\":{\"latency\":50,\"jitter\":5},\"name\":\"latency_downstream\",\"type\":\"latency\",\"stream\":\"downstream\",\"toxicity\":1}]}"

# Populate: identical proxies stay, new ones come; errors name the proxy.
expect_match "POST /populate" "$(req POST /populate "[{\"name\":\"p\",\"listen\":\"$PLISTEN\",\"upstream\":\"127.0.0.1:$UP\"},{\"name\":\"r\",\"upstream\":\"127.0.0.1:$UP\",\"enabled\":false}]")" \
    "^201 \{\"proxies\":\[\{\"name\":\"p\",\"listen\":\"$PLISTEN\",[^]]*\]\},\{\"name\":\"r\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:$UP\",\"enabled\":false,\"toxics\":\[\]\}\]\}$"
expect "populate: missing name" "$(req POST /populate '[{"name":"s","upstream":"127.0.0.1:1"},{"upstream":"127.0.0.1:1"}]')" \
    '400 {"error":"missing required field: name at proxy 2","status":400}'
expect "populate: not an array" "$(req POST /populate '{}')" \
    '400 {"error":"bad request body: not a JSON array of proxies","status":400}'
expect "POST /reset" "$(req POST /reset)" '204 '
expect "reset: no toxics, all enabled" "$(req GET /proxies | grep -o '"enabled":false\|"toxics":\[[^]]' | wc -l)" 0

# Routes and methods that do not exist; browsers are turned away.
expect "unknown route" "$(req GET /nope)" '404 404 page not found'
expect "wrong method" "$(req PUT /proxies)" '405 '
expect "browser" "$(curl -s -A 'Mozilla/5.0' -w '%{http_code}' "$API/proxies")" \
    "$(printf 'User agent not allowed\n403')"
expect "DELETE a proxy" "$(req DELETE /proxies/r)" '204 '
expect "gone" "$(req GET /proxies/r)" '404 {"error":"proxy not found","status":404}'
expect "still serving" "$(req GET /proxies | grep -o '"name":"[a-z]*","listen' | tr '\n' ' ')" \
    '"name":"fromfile","listen "name":"p","listen '

# A bad --config: a clear error, exit 2.
echo '[{"name": "x"}]' >"$T/bad.json"
"$TCPFAULT" proxy --api 127.0.0.1:0 --config "$T/bad.json" 2>"$T/bad.err"
expect "bad config: exit" "$?" 2
expect "bad config: message" "$(cat "$T/bad.err")" \
    "tcpfault: --config $T/bad.json: missing required field: upstream at proxy 1"
finish
