#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tcpfault proxy --http in front of a real keep-alive HTTP/1.1 server
# (python3's http.server) with curl as the client: byte counts start at the
# response body, and idle_close closes a kept-alive connection once its
# response is whole.
. "$SRC/tests/peers/tcpfault-lib.bash"
command -v curl >/dev/null || { echo "skip: curl is not installed"; exit 77; }
command -v jq >/dev/null || { echo "skip: jq is not installed"; exit 77; }

head -c 65536 /dev/zero | tr '\0' 'x' >"$T/f"
cat >"$T/srv.py" <<'PY'
import http.server, os, sys
class H(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
os.chdir(sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("port", s.server_address[1], file=sys.stderr, flush=True)
s.serve_forever()
PY
python3 "$T/srv.py" "$T" 2>"$T/srv.err" &
PIDS+=($!)
wait_line "$T/srv.err" '^port ' || fail "no http server"
PORT=$(sed -n 's/^port //p' "$T/srv.err")

# proxy NAME N ARGS...: a proxy for N connections; its port in PPORT.
proxy() {
	local name=$1 n=$2
	shift 2
	"$TCPFAULT" proxy --listen 0 --target "127.0.0.1:$PORT" --count "$n" \
	    --json "$@" >"$T/$name.json" 2>"$T/$name.err" &
	PPID_=$!
	wait_line "$T/$name.err" 'proxy listening on' ||
	    fail "no proxy: $(cat "$T/$name.err")"
	PPORT=$(sed -n 's/.*listening on [^:]*:\([0-9]*\),.*/\1/p' \
	    "$T/$name.err")
}
# get URL...: curl through the proxy; "size_download connects" per URL.
get() {
	local args=()
	for u in "$@"; do
		args+=(-o /dev/null "http://127.0.0.1:$PPORT/$u")
	done
	curl -sS -m 5 -w '%{size_download} %{num_connects}\n' "${args[@]}" \
	    2>"$T/curl.err"
}

# Reset after the headers and 1000 bytes of body: curl has exactly those.
proxy rst 1 --http --fault reset-after=1000
expect "reset-after: body bytes" "$(get f)" "1000 1"
expect "reset-after: curl" "$(cat "$T/curl.err")" \
    "curl: (56) Recv failure: Connection reset by peer"
wait_rc "$PPID_"
expect "reset-after: fired" "$(jq -r '.toxics[0].fired, .cut' \
    "$T/rst.json" | paste -sd' ')" "true rst_at_both"
# Without --http the whole stream counts, both ways (the command line's
# toxic): request and head included, so less than 1000 bytes of body.
proxy raw 1 --fault reset-after=1000
body=$(get f | cut -d' ' -f1)
wait_rc "$PPID_"
expect "raw: the whole stream counts" \
    "$(jq -r '.bytes.upstream + .bytes.downstream' "$T/raw.json")" 1000
[ "$body" -lt 1000 ] || fail "raw: $body body bytes, expected < 1000"

# Close in the middle of the Content-Length body: curl's 18.
proxy mid 1 --http --fault close-after=32768
expect "close-after: body bytes" "$(get f)" "32768 1"
expect "close-after: curl" "$(cat "$T/curl.err")" \
    "curl: (18) transfer closed with 32768 bytes remaining to read"
wait_rc "$PPID_"

# The header alone: reset-after=0 passes the whole head, no body.
proxy head 1 --http --fault reset-after=0
expect "reset-after=0: no body" "$(get f)" "0 1"
wait_rc "$PPID_"
expect_match "reset-after=0: the head went down" \
    "$(jq -r .bytes.downstream "$T/head.json")" '^[1-9][0-9]+$'

# idle_close: each kept-alive connection closes after its one response;
# curl notices the FIN and fetches the second file on a new connection.
proxy idle 2 --http --fault idle_close=0
expect "idle_close: both whole, two connections" "$(get f f | paste -sd,)" \
    "65536 1,65536 1"
wait_rc "$PPID_"
expect "idle_close: exit" "$RC" 0
expect "idle_close: cut, ends" "$(jq -r '[.cut, .client_end,
    .server_end] | join(" ")' "$T/idle.json" | paste -sd,)" \
    "idle_close_both eof eof,idle_close_both eof eof"

# idle_close needs --http.
"$TCPFAULT" proxy --listen 0 --target "127.0.0.1:$PORT" \
    --fault idle_close=0 2>"$T/u1"
expect "no --http: exit" "$?" 2
expect "no --http: message" "$(cat "$T/u1")" \
    "tcpfault: --fault idle_close: needs --http (it waits for the end of a response)"
finish
