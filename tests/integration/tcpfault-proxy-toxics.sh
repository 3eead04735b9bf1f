#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tcpfault proxy's own toxics through the Toxiproxy API: vanish (the
# client retransmits unanswered), rst_at (exactly N bytes, then RST),
# half_close, close_unread, refuse (ECONNREFUSED), and toxicity.
. "$SRC/tests/peers/tcpfault-lib.bash"
command -v curl >/dev/null || { echo "skip: curl is not installed"; exit 77; }
command -v jq >/dev/null || { echo "skip: jq is not installed"; exit 77; }
PROBE="python3 $SRC/tests/peers/proxy_probe.py"
PEER="python3 $SRC/tests/peers/tcpfault_peer.py"

# As root the proxy captures lo too (--pcap): each report has the wire's
# class from the shared classifier.
PCAP=()
if [ "$(id -u)" -eq 0 ]; then
	mkdir "$T/pcap"
	PCAP=(--pcap "$T/pcap")
fi
"$TCPFAULT" proxy --api 127.0.0.1:0 --json "${PCAP[@]}" \
    >"$T/conns.jsonl" 2>"$T/proxy.err" &
PIDS+=($!)
wait_line "$T/proxy.err" 'API listening on' || fail "no API: $(cat "$T/proxy.err")"
API=http://$(sed -n 's/.*API listening on \(.*\)$/\1/p' "$T/proxy.err")
$PROBE serve 2>"$T/echo.err" &
PIDS+=($!)
wait_line "$T/echo.err" '^port ' || fail "no echo server"
ECHO=$(sed -n 's/^port //p' "$T/echo.err")

# api METHOD PATH [BODY]: the status code (the body goes to $T/body).
api() {
	curl -s -o "$T/body" -w '%{http_code}' -X "$1" ${3+--data "$3"} "$API$2"
}
# proxy NAME UPSTREAMPORT: a proxy; its port in PPORT.
proxy() {
	expect "create $1" "$(api POST /proxies "{\"name\":\"$1\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:$2\"}")" 201
	PPORT=$(jq -r '.listen | sub(".*:"; "")' "$T/body")
}
# toxic PROXY BODY: add a toxic.
toxic() {
	expect "toxic on $1: $2" "$(api POST "/proxies/$1/toxics" "$2")" 200
}
# peer_proxy NAME TOXIC PEERARGS...: the user's server (tcpfault_peer.py
# --listen PEERARGS, its JSON in $T/s-NAME.json) behind a new proxy NAME
# with TOXIC; the proxy's port in PPORT.
peer_proxy() {
	local name=$1 tox=$2
	shift 2
	$PEER --listen "$@" >"$T/s-$name.json" 2>"$T/s-$name.err" &
	PIDS+=($!)
	wait_line "$T/s-$name.err" '^port ' || fail "no peer for $name"
	proxy "$name" "$(sed -n 's/^port //p' "$T/s-$name.err")"
	toxic "$name" "$tox"
}
# report PROXY CONN JQ: a field of that connection's report line.
report() {
	wait_for 10 grep -q "\"proxy\":\"$1\",\"conn\":$2," "$T/conns.jsonl"
	grep "\"proxy\":\"$1\",\"conn\":$2," "$T/conns.jsonl" | jq -r "$3"
}

# vanish: nothing is acknowledged; the client retransmits, then after
# hold the proxy resets it.
proxy v "$ECHO"
toxic v '{"type":"vanish","attributes":{"hold":1500}}'
expect "vanish: client" "$($PROBE vanish "$PPORT")" \
    "retransmitted True unacked True read 0 end ECONNRESET"
expect "vanish: report" "$(report v 1 '"\(.cut) \(.bytes.upstream) \(.client_end)"')" \
    "vanish_downstream 0 reset"
if [ ${#PCAP[@]} -gt 0 ]; then
	expect_match "vanish: the wire" "$(report v 1 .wire)" \
	    '^rst by proxy, client retransmitted [1-9][0-9]*, [1-9][0-9]* bytes unacknowledged$'
fi

# rst_at: exactly N bytes reach the client, then ECONNRESET.
peer_proxy r '{"type":"rst_at","attributes":{"bytes":4096}}' --send 10000 --read
$PEER --connect "$PPORT" --read >"$T/c-rst.json"
expect "rst_at: client read 4096 then reset" "$(jq -r '"\(.read) \(.end)"' "$T/c-rst.json")" "4096 reset"
expect "rst_at: report" "$(report r 1 '"\(.bytes.downstream) \(.cut) \(.client_end) \(.server_end)"')" \
    "4096 rst_at_downstream reset reset"
[ ${#PCAP[@]} -eq 0 ] ||
	expect "rst_at: the wire" "$(report r 1 .wire)" "rst by proxy"

# half_close: FIN to the client after N bytes; its data still flows.
peer_proxy h '{"type":"half_close","attributes":{"bytes":1000}}' --send 3000 --read
$PEER --connect "$PPORT" --read --then-send 500 >"$T/c-half.json"
expect "half_close: client read 1000 then EOF" "$(jq -r '"\(.read) \(.end) \(.sends[0])"' "$T/c-half.json")" "1000 eof ok"
wait_for 10 test -s "$T/s-h.json"
expect "half_close: server got the client's 500" "$(jq -r '"\(.read) \(.end)"' "$T/s-h.json")" "500 eof"

# close_unread: the proxy closes with the client's bytes unread: RST.
peer_proxy cu '{"type":"close_unread","stream":"upstream","attributes":{"bytes":1000}}' --read
$PEER --connect "$PPORT" --send 3000 --read >"$T/c-cu.json"
expect "close_unread: client reset" "$(jq -r .end "$T/c-cu.json")" reset
expect "close_unread: server read" "$(jq -r '"\(.read) \(.end)"' "$T/s-cu.json")" "1000 eof"
expect "close_unread: report" "$(report cu 1 '"\(.bytes.upstream) \(.client_end) \(.server_end)"')" "1000 reset eof"

# refuse: the listener closes (ECONNREFUSED) until the toxic goes.
proxy f "$ECHO"
toxic f '{"type":"refuse","name":"down"}'
expect "refuse: refused" "$($PROBE connect "$PPORT")" ECONNREFUSED
expect "refuse removed" "$(api DELETE /proxies/f/toxics/down)" 204
expect "refuse removed: connects" "$($PROBE connect "$PPORT")" connected

# toxicity 0.5 over 200 connections: rst_at 0 hits each with p = 0.5.
# Outside 70..130 (failing the check) with probability 1.4e-5 (binomial,
# n 200, p 0.5: 2 P(X <= 69)); the client's count equals the proxy's.
proxy t "$ECHO"
toxic t '{"type":"rst_at","toxicity":0.5,"attributes":{"bytes":0}}'
read -r _ echoed _ reset _ other <<<"$($PROBE many "$PPORT" 200)"
expect "toxicity: every connection echoed or reset" "$((echoed + reset)) $other" "200 0"
wait_for 10 has_matches "$T/conns.jsonl" 200 '"proxy":"t"' || fail "200 reports"
hit=$(grep '"proxy":"t"' "$T/conns.jsonl" | jq -s '[.[] | select(.toxics | length > 0)] | length')
expect "toxicity: the proxy's count is the client's" "$hit" "$reset"
if [ "$reset" -lt 70 ] || [ "$reset" -gt 130 ]; then
	fail "toxicity 0.5: $reset of 200 reset, not 70..130"
fi
echo "toxicity 0.5: $reset of 200 connections"
finish
