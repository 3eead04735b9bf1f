#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tcpfault client, server and proxy against a small program of the user's
# (tests/peers/tcpfault_peer.py): what each side saw, exact, both ways.
. "$SRC/tests/peers/tcpfault-lib.bash"
command -v jq >/dev/null || { echo "skip: jq is not installed"; exit 77; }
PEER="python3 $SRC/tests/peers/tcpfault_peer.py"

# first_line FILE REGEX: up to 5 s for a line; prints the first match.
first_line() {
	if wait_for 5 grep -qE "$2" "$1"; then
		grep -E "$2" "$1" | head -1
		return 0
	fi
	fail "no '$2' in $1 within 5 s: $(cat "$1")"
	return 1
}

# peer_server NAME ARGS...: our "user's server" in the background; PORT.
peer_server() {
	local name=$1
	shift
	$PEER --listen "$@" >"$T/$name.json" 2>"$T/$name.err" &
	PIDS+=($!)
	PORT=$(first_line "$T/$name.err" '^port ' | cut -d' ' -f2)
}

# tf_server NAME BEHAVIOUR ARGS...: tcpfault server in the background; PORT.
tf_server() {
	local name=$1
	shift
	timeout 20 "$TCPFAULT" server "$@" --listen 0 --json \
	    >"$T/$name.json" 2>"$T/$name.err" &
	PIDS+=($!)
	PORT=$(first_line "$T/$name.err" 'listening on' | sed 's/.*://')
}

# j FILE JQ: a field of a JSON output, after waiting for it to appear.
j() {
	wait_for 10 test -s "$1"
	jq -r "$2" "$1"
}

TL='def ev(op): [.timeline[] | select(.op == op)];'

# ---- client mode ---------------------------------------------------------
peer_server close --read
timeout 10 "$TCPFAULT" client close --connect "127.0.0.1:$PORT" \
    --bytes 200000 --json >"$T/c-close.json"
expect "client close: exit" "$?" 0
expect "client close: sent" "$(j "$T/c-close.json" "$TL ev(\"send\")[0].bytes")" 200000
expect "client close: close" "$(j "$T/c-close.json" "$TL ev(\"close\")[0].outcome")" ok
expect "client close: server read" "$(j "$T/close.json" '"\(.read) \(.end)"')" "200000 eof"

peer_server exitunread --send 10 --read
timeout 10 "$TCPFAULT" client exit-unread --connect "127.0.0.1:$PORT" \
    --bytes 100000 --json >"$T/c-exit.json"
expect "client exit-unread: exit" "$?" 0
expect "client exit-unread: unread at exit" "$(j "$T/c-exit.json" .facts.exit_unread)" 10
expect "client exit-unread: last op" "$(j "$T/c-exit.json" '.timeline[-1].op')" exit
expect "client exit-unread: server's reads end" "$(j "$T/exitunread.json" .end)" reset

peer_server reset --read
timeout 10 "$TCPFAULT" client reset --connect "127.0.0.1:$PORT" --bytes 1000 \
    --json >"$T/c-reset.json"
expect "client reset: abort" "$(j "$T/c-reset.json" "$TL ev(\"abort\")[0].outcome")" ok
expect "client reset: server's reads end" "$(j "$T/reset.json" .end)" reset

peer_server half --read --then-send 500
timeout 10 "$TCPFAULT" client half-close --connect "127.0.0.1:$PORT" \
    --bytes 1000 --json >"$T/c-half.json"
expect "client half-close: graceful close" "$(j "$T/c-half.json" "$TL ev(\"close-graceful\")[0].outcome")" ok
expect "client half-close: server read" "$(j "$T/half.json" '"\(.read) \(.end) \(.sends[0])"')" "1000 eof ok"

peer_server sac --close close
timeout 10 "$TCPFAULT" client send-after-close --connect "127.0.0.1:$PORT" \
    --json >"$T/c-sac.json"
expect "client send-after-close: sends" \
    "$(j "$T/c-sac.json" "$TL [ev(\"send\")[] | .outcome] | join(\",\")")" "ok,ok,broken-pipe"
expect "client send-after-close: read" "$(j "$T/c-sac.json" "$TL ev(\"recv\")[-1].outcome")" eof

peer_server vanish --read-bytes 100 --send 1 --read
timeout 10 "$TCPFAULT" client vanish --connect "127.0.0.1:$PORT" --bytes 100 \
    --hold 0.3 --json >"$T/c-vanish.json"
expect "client vanish: exit" "$?" 0
expect "client vanish: ops" "$(j "$T/c-vanish.json" '[.timeline[].op] | join(",")')" \
    "connect,send,vanish,hold-ended,abort"
expect "client vanish: method" "$(j "$T/c-vanish.json" .facts.vanish_method)" filter
expect "client vanish: server's reads end" "$(j "$T/vanish.json" .end)" reset

peer_server kill --read
timeout 10 "$TCPFAULT" client kill --connect "127.0.0.1:$PORT" --bytes 100000 \
    --json >"$T/c-kill.json"
expect "client kill: exit" "$?" 0
expect "client kill: killed" "$(j "$T/c-kill.json" '.timeline[-1] | "\(.op) \(.bytes)"')" "killed 9"
expect_true_file() { expect "$1" "$(jq -r "$2" "$3")" true; }
expect_true_file "client kill: accepted at least --bytes" '.facts.accepted >= 100000' "$T/c-kill.json"
# Nothing was unread in the killed process: FIN after what it sent.
expect "client kill: server's reads end" "$(j "$T/kill.json" .end)" eof

# ---- server mode ---------------------------------------------------------
tf_server s-sendclose send-close --bytes 100000
$PEER --connect "$PORT" --read >"$T/p-sendclose.json"
expect "server send-close: client read" "$(j "$T/p-sendclose.json" '"\(.read) \(.end)"')" "100000 eof"
expect "server send-close: ops" "$(j "$T/s-sendclose.json" '[.timeline[].op] | join(",")')" "accept,send,close"

tf_server s-unread close-unread --bytes 400000
$PEER --connect "$PORT" --send 100 --wait-state CLOSE --read >"$T/p-unread.json"
expect "server close-unread: unread at close" "$(j "$T/s-unread.json" .facts.close_unread)" 100
expect "server close-unread: client's reads end" "$(j "$T/p-unread.json" .end)" reset
expect_true_file "server close-unread: client lost the tail" '.read < 400000' "$T/p-unread.json"

tf_server s-wac write-after-close
$PEER --connect "$PORT" --send 100 >"$T/p-wac.json"
expect "server write-after-close: reads" "$(j "$T/s-wac.json" "$TL [ev(\"recv\")[] | \"\(.bytes):\(.outcome)\"] | join(\",\")")" "100:ok,0:eof"
expect "server write-after-close: sends" "$(j "$T/s-wac.json" "$TL [ev(\"send\")[] | .outcome] | join(\",\")")" "ok,ok,broken-pipe"

tf_server s-close close
$PEER --connect "$PORT" --wait-state CLOSE_WAIT --then-send 100 --read >"$T/p-close.json"
expect "server close: client read" "$(j "$T/p-close.json" '"\(.read) \(.end)"')" "0 eof"

tf_server s-exit exit --bytes 5000
$PEER --connect "$PORT" --read >"$T/p-exit.json"
expect "server exit: client read" "$(j "$T/p-exit.json" '"\(.read) \(.end)"')" "5000 eof"
expect "server exit: last op" "$(j "$T/s-exit.json" '.timeline[-1].op')" exit

tf_server s-vanish vanish --bytes 10 --hold 0.3
$PEER --connect "$PORT" --send 10 --read >"$T/p-vanish.json"
expect "server vanish: ops" "$(j "$T/s-vanish.json" '[.timeline[].op] | join(",")')" \
    "accept,recv,vanish,hold-ended,abort"
expect "server vanish: client's reads end" "$(j "$T/p-vanish.json" '"\(.read) \(.end)"')" "0 reset"

tf_server s-reset reset --bytes 50
$PEER --connect "$PORT" --send 50 --read >"$T/p-reset.json"
expect "server reset: client's reads end" "$(j "$T/p-reset.json" .end)" reset
expect "server reset: ops" "$(j "$T/s-reset.json" '[.timeline[].op] | join(",")')" "accept,recv,abort"

# ---- proxy mode ----------------------------------------------------------
# proxy_start FAULT [ARGS]: a proxy in front of the current peer server.
proxy_start() {
	# The last proxy's files would answer first_line and j before this
	# one's shell has truncated them (a loaded machine): start clean.
	rm -f "$T/proxy.json" "$T/proxy.err"
	timeout 20 "$TCPFAULT" proxy --listen 0 --target "127.0.0.1:$PORT" \
	    --count 1 --json --fault "$@" >"$T/proxy.json" 2>"$T/proxy.err" &
	PIDS+=($!)
	PPORT=$(first_line "$T/proxy.err" 'proxy listening' |
	    sed 's/.*listening on [^:]*:\([0-9]*\),.*/\1/')
}

peer_server pr --read
proxy_start reset-after=1000
$PEER --connect "$PPORT" --send 5000 --read >"$T/c-pr.json"
expect "proxy reset-after: client's end" "$(j "$T/c-pr.json" .end)" reset
expect "proxy reset-after: server's end" "$(j "$T/pr.json" '"\(.read) \(.end)"')" "1000 reset"
expect "proxy reset-after: report" "$(j "$T/proxy.json" '"\(.bytes.upstream) \(.cut) \(.toxics[0].fired) \(.client_end) \(.server_end)"')" "1000 rst_at_both true reset reset"

peer_server pc --read
proxy_start close-after=1000
$PEER --connect "$PPORT" --send 1000 --read >"$T/c-pc.json"
expect "proxy close-after: client's end" "$(j "$T/c-pc.json" '"\(.read) \(.end)"')" "0 eof"
expect "proxy close-after: server's end" "$(j "$T/pc.json" '"\(.read) \(.end)"')" "1000 eof"

peer_server ph --read
proxy_start half-close-after=1000
$PEER --connect "$PPORT" --send 1000 --read --then-send 500 >"$T/c-ph.json"
expect "proxy half-close-after: client saw EOF" "$(j "$T/c-ph.json" '"\(.read) \(.end) \(.sends[1])"')" "0 eof ok"
expect "proxy half-close-after: server got everything" "$(j "$T/ph.json" '"\(.read) \(.end)"')" "1500 eof"

peer_server pd --read-bytes 3000 --send 2000 --read
proxy_start delay=20
$PEER --connect "$PPORT" --send 3000 --close shutdown --read >"$T/c-pd.json"
expect "proxy delay: client got the reply" "$(j "$T/c-pd.json" '"\(.read) \(.end)"')" "2000 eof"
expect "proxy delay: server got the request" "$(j "$T/pd.json" '"\(.first_read) \(.end)"')" "3000 eof"

peer_server pv --read
proxy_start vanish-after=1000 --hold 0.3
$PEER --connect "$PPORT" --send 1000 --read >"$T/c-pv.json"
expect "proxy vanish-after: client's end" "$(j "$T/c-pv.json" .end)" reset
expect "proxy vanish-after: vanished" "$(j "$T/proxy.json" '"\(.cut) \(.error)"')" "vanish_both null"

# A target that refuses: a clear error and exit 1.
closed=$(free_port)
timeout 10 "$TCPFAULT" proxy --listen 0 --target "127.0.0.1:$closed" \
    --fault reset-after=10 --count 1 >"$T/refuse.out" 2>"$T/refuse.err" &
rpid=$!
RPORT=$(first_line "$T/refuse.err" 'proxy listening' |
    sed 's/.*listening on [^:]*:\([0-9]*\),.*/\1/')
$PEER --connect "$RPORT" --read >/dev/null
wait $rpid
expect "proxy refused target: exit" "$?" 1
expect "proxy refused target: message" \
    "$(grep -c "^tcpfault: proxy cli, connection 1: connect to 127.0.0.1 port $closed: .*refused" "$T/refuse.err")" 1
expect "proxy refused target: report" "$(cat "$T/refuse.out")" \
    "$(printf 'cli          #1     up 0          down 0          client eof         server refused     toxics rst_at_both(not-reached)')"

wait
finish
