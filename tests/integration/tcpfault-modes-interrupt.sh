#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Ctrl-C stops a tcpfault client or server that is blocked on its peer at
# once (no SA_RESTART), and the exit status says it was interrupted (130).
set -u
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$out"' EXIT
status=0
check() {
	if [ "$2" = "$3" ]; then
		echo "ok   $1"
	else
		echo "FAIL $1: got '$2', expected '$3'"
		status=1
	fi
}

# A peer that accepts and then neither sends nor closes: the client's
# send-after-close blocks reading for the EOF that never comes.
python3 -u -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
print("accepted", flush=True)
time.sleep(30)
' >"$out/peer" &
for _ in $(seq 50); do [ -s "$out/peer" ] && break; sleep 0.1; done
port=$(head -n 1 "$out/peer")

"$BIN/tcpfault" client send-after-close --connect "127.0.0.1:$port" \
    >"$out/client.out" 2>"$out/client.err" &
client=$!
timeout 5 bash -c "until grep -q accepted '$out/peer'; do sleep 0.05; done"
kill -INT $client
timeout 5 bash -c "while kill -0 $client 2>/dev/null; do sleep 0.05; done"
check "client stopped within 5 s of SIGINT" \
    "$(kill -0 $client 2>/dev/null && echo running || echo stopped)" stopped
wait $client
check "client exit status" "$?" 130
check "client says it was interrupted" \
    "$(grep -c 'interrupted before the behaviour finished' "$out/client.err")" 1
check "client timeline shows the interrupted recv" \
    "$(grep -c 'recv .*interrupted (EINTR)' "$out/client.out")" 1

# A server waiting in accept for a client that never comes.
"$BIN/tcpfault" server close --listen 127.0.0.1:0 \
    >"$out/server.out" 2>"$out/server.err" &
server=$!
timeout 5 bash -c "until grep -q 'listening' '$out/server.err'; do sleep 0.05; done"
kill -TERM $server
timeout 5 bash -c "while kill -0 $server 2>/dev/null; do sleep 0.05; done"
wait $server
check "server exit status after SIGTERM in accept" "$?" 130
exit $status
