#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# UDP (-u): a round trip between two tncs and with nc.openbsd, each end
# ending at its -q deadline with exit 0 (UDP has no FIN); a closed port's
# ICMP port unreachable is "refused", exit 3.
. "$SRC/tests/peers/tnc-lib.bash"

printf 'pong\n' >"$T/pong"

# tnc -u -l answers the first datagram's sender with its stdin.
start_listening srv "$T/pong" "$TNC" -u -l -v -q 1 --stats 127.0.0.1 0
srv=$LAST_PID
expect_log "listener: -v" "$T/srv.err" "listening on 127\.0\.0\.1:$PORT \(UDP\)"
printf 'ping\n' | timeout 10 "$TNC" -u -v -q 2 --stats 127.0.0.1 "$PORT" \
    >"$T/c.out" 2>"$T/c.err"
expect "tnc-tnc: client exit" $? 0
expect "tnc-tnc: client got" "$(cat "$T/c.out")" pong
expect_plain_err "tnc-tnc: client stats" "$T/c.err" \
    "tnc: 127.0.0.1:$PORT: sent 5 bytes in 1 datagrams, received 5 bytes in 1 datagrams"
expect_log "tnc-tnc: client ends at -q" "$T/c.err" \
    '-q deadline: done after 5 bytes sent, 5 received'
wait_rc "$srv"
expect "tnc-tnc: listener exit" "$RC" 0
expect "tnc-tnc: listener got" "$(cat "$T/srv.out")" ping
expect_match "tnc-tnc: listener stats" "$(cat "$T/srv.err")" \
    'tnc: 127\.0\.0\.1:[0-9]+: sent 5 bytes in 1 datagrams, received 5 bytes in 1 datagrams'

# tnc client, nc.openbsd -u -l server.
if command -v nc.openbsd >/dev/null; then
	PORT=$(free_port udp)
	nc.openbsd -u -l -q 1 127.0.0.1 "$PORT" <"$T/pong" >"$T/nc.out" \
	    2>"$T/nc.err" &
	nc=$!
	PIDS+=("$nc")
	wait_for 5 is_listening udp "$PORT"
	printf 'ping\n' | timeout 10 "$TNC" -u -q 2 127.0.0.1 "$PORT" \
	    >"$T/c.out" 2>"$T/c.err"
	expect "tnc-nc: client exit" $? 0
	expect "tnc-nc: client got" "$(cat "$T/c.out")" pong
	expect "tnc-nc: client stderr" "$(cat "$T/c.err")" ""
	wait_rc "$nc"
	expect "tnc-nc: nc got" "$(cat "$T/nc.out")" ping
fi

# Nothing bound: the kernel answers with ICMP port unreachable, which the
# next receive reports as ECONNREFUSED.
PORT=$(free_port udp)
printf x | timeout 10 "$TNC" -u -q 5 127.0.0.1 "$PORT" >"$T/c.out" \
    2>"$T/c.err"
expect "refused: exit" $? 3
expect "refused: stderr" "$(cat "$T/c.err")" \
    "tnc: 127.0.0.1:$PORT: receive: refused (ECONNREFUSED) after 0 bytes received, 1 bytes sent"

finish
