#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tcpfault server --http against curl: the fault lands after a valid
# response head, so curl reports it as in production (18, 56, 52).
. "$SRC/tests/peers/tcpfault-lib.bash"
command -v jq >/dev/null || { echo "skip: jq is not installed"; exit 77; }
command -v curl >/dev/null || { echo "skip: curl is not installed"; exit 77; }

# srv NAME BEHAVIOUR ARGS...: server --http in the background; PORT.
srv() {
	local name=$1
	shift
	timeout 20 "$TCPFAULT" server "$@" --http --listen 0 --bytes 1000 \
	    --json >"$T/$name.json" 2>"$T/$name.err" &
	SPID=$!
	PIDS+=($SPID)
	wait_line "$T/$name.err" 'listening on' || fail "$name: no listener"
	PORT=$(grep 'listening on' "$T/$name.err" | sed 's/.*://')
}

# get NAME URL-PATHS...: curl them; CURL_RC, CURL_ERR.
get() {
	local name=$1 u
	shift
	local args=()
	for u in "$@"; do
		args+=(-o /dev/null "http://127.0.0.1:$PORT$u")
	done
	curl -sS -m 5 "${args[@]}" 2>"$T/$name.curl"
	CURL_RC=$?
	CURL_ERR=$(tail -1 "$T/$name.curl")
}

# Closed in the middle of the announced Content-Length body: 18.
srv sc send-close
get sc /
expect "send-close: curl" "$CURL_RC" 18
expect "send-close: message" "$CURL_ERR" \
    "curl: (18) transfer closed with 1000 bytes remaining to read"
wait_rc "$SPID" 10
# The head announces 2000 bytes (Content-Length: 2000 makes it 123).
expect_match "send-close: timeline" "$(jq -r '[.timeline[] |
    "\(.op) \(.bytes // "-") \(.outcome)"] | join(",")' "$T/sc.json")" \
    'accept - ok,recv-head [0-9]+ ok,send-head 123 ok,send 1000 ok,close - ok'

# Reset right after the headers: 56.
srv rs reset
get rs /
expect "reset: curl" "$CURL_RC" 56
expect "reset: message" "$CURL_ERR" \
    "curl: (56) Recv failure: Connection reset by peer"

# The request left unread: RST instead of FIN, 56.
srv cu close-unread
get cu /
expect "close-unread: curl" "$CURL_RC" 56

# exit without close() mid-body: the kernel's FIN, 18.
srv ex exit
get ex /
expect "exit: curl" "$CURL_RC" 18

# One complete answer, then the idle keep-alive connection closes: curl
# notices the FIN before reusing it and opens a second connection.
srv ka close --count 2
get ka /a /b
expect "keep-alive close: curl" "$CURL_RC" 0
wait_rc "$SPID" 10
expect "keep-alive close: two connections" \
    "$(jq -s length "$T/ka.json")" 2
expect "keep-alive close: each answered whole" \
    "$(jq -r '[.timeline[] | select(.op == "send") | .bytes] | join(",")' \
    "$T/ka.json" | paste -sd' ')" "1000 1000"

# The whole answer, then a half-close: nothing lost.
srv hc half-close
get hc /
expect "half-close: curl" "$CURL_RC" 0

# Usage.
"$TCPFAULT" client close --connect 127.0.0.1:9 --http 2>"$T/u1"
expect "client --http: exit" "$?" 2
expect "client --http: message" "$(cat "$T/u1")" \
    "tcpfault: --http: only for the server"
"$TCPFAULT" server echo-blocking --listen 0 --http 2>"$T/u2"
expect "echo --http: exit" "$?" 2
expect "echo --http: message" "$(cat "$T/u2")" \
    "tcpfault: --http: not with echo-blocking"
finish
