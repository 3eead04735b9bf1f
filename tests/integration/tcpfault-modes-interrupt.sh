#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Ctrl-C stops a tcpfault client, server or proxy that is blocked at once
# (no SA_RESTART), and the exit status says it was interrupted: 128 +
# signo (130 for SIGINT, 143 for SIGTERM).
. "$SRC/tests/lib/testlib.bash"

# A peer that accepts and then neither sends nor closes: the client's
# send-after-close blocks reading for the EOF that never comes.
python3 -u -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
print("accepted", flush=True)
time.sleep(30)
' >"$T/peer" &
PIDS+=($!)
wait_for 5 test -s "$T/peer"
port=$(head -n 1 "$T/peer")

"$BIN/tcpfault" client send-after-close --connect "127.0.0.1:$port" \
    >"$T/client.out" 2>"$T/client.err" &
client=$!
PIDS+=($client)
wait_for 5 grep -q accepted "$T/peer"
kill -INT $client
wait_for 5 has_exited $client
expect "client stopped within 5 s of SIGINT" \
    "$(kill -0 $client 2>/dev/null && echo running || echo stopped)" stopped
wait $client
expect "client exit status" "$?" 130
expect "client says it was interrupted" \
    "$(grep -c 'interrupted before the behaviour finished' "$T/client.err")" 1
expect "client timeline shows the interrupted recv" \
    "$(grep -c 'recv .*interrupted (EINTR)' "$T/client.out")" 1

# stopped_in_accept NAME SIGNAL STATUS ARGS...: start tcpfault ARGS with
# its output in $T/NAME.{out,err}, wait until it says it is listening, send
# SIGNAL and expect exit STATUS.
stopped_in_accept() {
	local name=$1 sig=$2 status=$3 pid
	shift 3
	"$BIN/tcpfault" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	PIDS+=($pid)
	wait_for 5 grep -q 'listening' "$T/$name.err"
	kill -"$sig" $pid
	wait_for 5 has_exited $pid
	wait $pid
	expect "$name exit status after SIG$sig in accept" "$?" "$status"
}

# A server waiting in accept for a client that never comes.
stopped_in_accept server TERM 143 server close --listen 127.0.0.1:0

# A proxy waiting in accept: Ctrl-C ends it with 130, as every tool.
stopped_in_accept proxy INT 130 proxy --listen 127.0.0.1:0 \
    --target 127.0.0.1:9 --fault reset-after=10
finish
