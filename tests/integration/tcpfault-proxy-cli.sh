#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tcpfault proxy's command-line shorthand: one proxy with one toxic, its
# report line (numbered, aligned, says when a fault never fired), and
# --stream / --toxicity.
. "$SRC/tests/peers/tcpfault-lib.bash"
PEER="python3 $SRC/tests/peers/tcpfault_peer.py"

# peer_server NAME ARGS...: the user's server; its port in PORT.
peer_server() {
	local name=$1
	shift
	$PEER --listen "$@" >"$T/$name.json" 2>"$T/$name.err" &
	PIDS+=($!)
	wait_line "$T/$name.err" '^port ' || fail "no $name server"
	PORT=$(sed -n 's/^port //p' "$T/$name.err")
}
# proxy_start NAME ARGS...: the proxy in front of PORT; its port in PPORT.
proxy_start() {
	local name=$1
	shift
	"$TCPFAULT" proxy --listen 0 --target "127.0.0.1:$PORT" --count 1 \
	    "$@" >"$T/$name.out" 2>"$T/$name.err" &
	PPID_=$!
	wait_line "$T/$name.err" 'proxy listening on' || fail "no proxy: $(cat "$T/$name.err")"
	PPORT=$(sed -n 's/.*listening on [^:]*:\([0-9]*\),.*/\1/p' "$T/$name.err")
}

# A reset-after larger than the connection: everything is forwarded and
# the report says the fault was not reached.
peer_server big --read
proxy_start big --fault reset-after=1m
$PEER --connect "$PPORT" --send 5000 --close shutdown --read >"$T/c-big.json"
wait_rc "$PPID_"
expect "too large: exit" "$RC" 0
expect "too large: server read all" "$(jq -r '"\(.read) \(.end)"' "$T/big.json")" "5000 eof"
expect "too large: report" "$(cat "$T/big.out")" \
    "cli          #1     up 5000       down 0          client eof         server eof         toxics rst_at_both(not-reached)"
expect "stderr: one line" "$(wc -l <"$T/big.err")" 1

# --stream upstream: only the client's bytes count (the server's 3000
# have all arrived before the client sends).
peer_server up --send 3000 --read
proxy_start up --fault reset-after=1000 --stream upstream
$PEER --connect "$PPORT" --read-bytes 3000 --send 1500 --read >"$T/c-up.json"
wait_rc "$PPID_"
expect "--stream upstream: server read 1000" "$(jq -r '"\(.read) \(.end)"' "$T/up.json")" "1000 reset"
expect "--stream upstream: report" "$(cat "$T/up.out")" \
    "cli          #1     up 1000       down 3000       client reset       server reset       toxics rst_at_upstream(fired)"

# --toxicity 0: no connection gets the fault.
peer_server none --read
proxy_start none --fault reset-after=10 --toxicity 0 --json
$PEER --connect "$PPORT" --send 100 --close shutdown --read >"$T/c-none.json"
wait_rc "$PPID_"
expect "--toxicity 0: untouched" "$(jq -r '"\(.read) \(.end)"' "$T/none.json")" "100 eof"
expect "--toxicity 0: report" "$(jq -c '[.conn, .toxics, .cut, .client_end]' "$T/none.out")" '[1,[],null,"eof"]'

# Usage errors: exit 2, one line.
usage() {
	"$TCPFAULT" proxy "$@" >/dev/null 2>"$T/usage.err"
	expect "usage $*: exit" "$?" 2
	head -1 "$T/usage.err"
}
expect "bad --stream" "$(usage --listen 0 --target 127.0.0.1:9 --fault rst_at=1 --stream both)" \
    "tcpfault: --stream: upstream or downstream, not 'both'"
expect "bad --toxicity" "$(usage --listen 0 --target 127.0.0.1:9 --fault rst_at=1 --toxicity 2)" \
    "tcpfault: --toxicity: too large: 2"
expect "--toxicity without --fault" "$(usage --api 0 --toxicity 0.5)" \
    "tcpfault: proxy: --toxicity and --stream go with --fault"
expect "a value where none goes" "$(usage --listen 0 --target 127.0.0.1:9 --fault refuse=3)" \
    "tcpfault: --fault refuse: takes no value"
finish
