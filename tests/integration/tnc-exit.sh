#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every exit status of tnc(1) with its stderr line: 0 after a graceful
# exchange, 1 for run-time errors, 2 for usage, 3 refused, 4 the peer's
# reset (with byte counts), 5 for the -w deadlines (connect and idle),
# 0 for -q as Debian nc's, 128+signo. And stdout closed early (tnc |
# head) is a clean exit 0, never a SIGPIPE death.
. "$SRC/tests/peers/tnc-lib.bash"

A='127\.0\.0\.1'

# 0: request out, FIN, reply in, the peer's EOF, exit 0, stderr empty.
start_listening peer - $PEER collect --reply "pong" --fin
printf ping | timeout 10 "$TNC" 127.0.0.1 "$PORT" >"$T/c.out" 2>"$T/c.err"
expect "graceful: exit" $? 0
expect "graceful: stdout" "$(cat "$T/c.out")" pong
expect "graceful: stderr" "$(cat "$T/c.err")" ""
wait_rc "$LAST_PID"
expect "graceful: peer saw" "$(cat "$T/peer.out")" \
    '{"data": "ping", "end": "eof"}'

# 1: a name that does not resolve; a port already taken.
timeout 10 "$TNC" nosuch.invalid 80 </dev/null >"$T/c.out" 2>"$T/c.err"
expect "unresolvable: exit" $? 1
expect_match "unresolvable: stderr" "$(cat "$T/c.err")" \
    'tnc: connect to nosuch\.invalid port 80: .+'
start_listening hold - $PEER hold
hold=$LAST_PID
timeout 10 "$TNC" -l 127.0.0.1 "$PORT" </dev/null >"$T/c.out" 2>"$T/c.err"
expect "address in use: exit" $? 1
expect "address in use: stderr" "$(cat "$T/c.err")" \
    "tnc: listen on 127.0.0.1 port $PORT: Address already in use"
kill "$hold"

# 2: usage (the full set is in tnc-usage).
timeout 5 "$TNC" -k 127.0.0.1 1 </dev/null 2>"$T/c.err"
expect "usage: exit" $? 2
expect "usage: stderr" "$(cat "$T/c.err")" "tnc: -k: only with -l"

# 3: refused: a bound port nobody listens on answers the SYN with RST.
start_listening bound - $PEER bound
printf x | timeout 10 "$TNC" -v 127.0.0.1 "$PORT" >"$T/c.out" 2>"$T/c.err"
expect "refused: exit" $? 3
expect_plain_err "refused: stderr" "$T/c.err" \
    "tnc: connect to 127.0.0.1 port $PORT: Connection refused"
expect "refused: said once" "$(grep -c -i 'refused' "$T/c.err")" 1
kill "$LAST_PID"

# 4: the peer reads the request to its EOF, replies, then resets. The
# reply, queued before the RST, still reaches stdout.
start_listening peer - $PEER reset --reply partial
printf hello | timeout 10 "$TNC" -v 127.0.0.1 "$PORT" >"$T/c.out" \
    2>"$T/c.err"
expect "reset: exit" $? 4
expect "reset: stdout" "$(cat "$T/c.out")" partial
expect_plain_err "reset: stderr" "$T/c.err" \
    "tnc: 127.0.0.1:$PORT: receive: reset (ECONNRESET) after 7 bytes received, 5 bytes sent"
expect_log "reset: -v FIN" "$T/c.err" 'stdin EOF -> FIN sent after 5 bytes'
expect_log "reset: -v reset" "$T/c.err" \
    'receive: reset \(ECONNRESET\) after 7 bytes received, 5 bytes sent'
wait_rc "$LAST_PID"
expect "reset: peer saw" "$(cat "$T/peer.out")" \
    '{"request": "hello", "request_end": "eof"}'

# 4 again, as a listener: the client resets (--close abort) after its
# request; the listener reports it with its counts.
start_listening srv - "$TNC" -l -v 127.0.0.1 0
srv=$LAST_PID
mkfifo "$T/hold"
exec 3<>"$T/hold"
printf 'abc' | timeout 10 "$TNC" --close abort 127.0.0.1 "$PORT" \
    >"$T/c.out" 2>"$T/c.err"
expect "client abort: exit" $? 0
wait_rc "$srv"
expect "listener sees reset: exit" "$RC" 4
expect "listener sees reset: stdout" "$(cat "$T/srv.out")" abc
expect_match "listener sees reset: stderr" "$(cat "$T/srv.err")" \
    "tnc: $A:[0-9]+: receive: reset \(ECONNRESET\) after 3 bytes received, 0 bytes sent"

# -q as Debian's nc: our FIN went out but the peer never closes: quit
# (RST) after -q, exit 0 as nc; -q 0 quits right after stdin's EOF.
start_listening hold - $PEER hold
hold=$LAST_PID
printf hello | timeout 10 "$TNC" -v -q 0.3 127.0.0.1 "$PORT" \
    >"$T/c.out" 2>"$T/c.err"
expect "-q: exit" $? 0
expect_plain_err "-q: stderr" "$T/c.err" ""
expect_log "-q: -v" "$T/c.err" \
    '-q deadline \(0\.300 s\) -> RST sent after 0 bytes received, 5 bytes sent'
printf hello | timeout 10 "$TNC" -q 0 127.0.0.1 "$PORT" >"$T/c.out" \
    2>"$T/c.err"
expect "-q 0: exit" $? 0
kill "$hold"

# -q 0 after the peer's reset (it sends a reply, then an RST, before our
# stdin ends): the reply and the report as always, but exit 0, as
# nc.openbsd -q 0 (run against the same peer).
rst_peer() {
	start_listening rst - python3 -c 'import socket, struct, time
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen()
print("listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True,
    file=__import__("sys").stderr)
ls.settimeout(20)
c, _ = ls.accept()
c.sendall(b"partial")
time.sleep(0.2)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()'
}
for prog in "$TNC" nc.openbsd; do
	name=$(basename "$prog")
	rst_peer
	rst=$LAST_PID
	start q0 "$T/hold" "$prog" -q 0 127.0.0.1 "$PORT"
	q0=$LAST_PID
	wait_for 5 grep -q partial "$T/q0.out" || fail "$name: no reply"
	# The peer exits right after its RST went out.
	wait_rc "$rst" 10
	printf x >&3
	exec 3>&-
	wait_rc "$q0" 10
	expect "$name -q 0 after reset: exit" "$RC" 0
	expect "$name -q 0 after reset: stdout" "$(cat "$T/q0.out")" partial
	exec 3<>"$T/hold"
done

# 5: -w idle: stdin stays open (a FIFO we hold) and nothing moves.
start_listening hold - $PEER hold
hold=$LAST_PID
timeout 10 "$TNC" -w 0.3 127.0.0.1 "$PORT" <"$T/hold" >"$T/c.out" \
    2>"$T/c.err"
expect "-w idle: exit" $? 5
expect "-w idle: stderr" "$(cat "$T/c.err")" \
    "tnc: 127.0.0.1:$PORT: timeout -w idle after 0.300 s: connection aborted (RST) after 0 bytes received, 0 bytes sent"
kill "$hold"

# 5: -w connect: a listener whose accept queue is full drops our SYN.
start_listening blackhole - $PEER blackhole
timeout 10 "$TNC" -w 0.5 127.0.0.1 "$PORT" </dev/null >"$T/c.out" \
    2>"$T/c.err"
expect "-w connect: exit" $? 5
expect "-w connect: stderr" "$(cat "$T/c.err")" \
    "tnc: connect to 127.0.0.1 port $PORT: Connection timed out"
timeout 10 "$TNC" -v -w 0.5 127.0.0.1 "$PORT" </dev/null >"$T/c.out" \
    2>"$T/c.err"
expect "-v -w connect: exit" $? 5
expect "-v -w connect: said once" "$(cat "$T/c.err")" \
    "tnc: connect to 127.0.0.1 port $PORT: Connection timed out"
kill "$LAST_PID"

# vanished_server: a tcpfault server that accepts, then answers nothing
# (for 30 s); PORT is its port, $gone its pid.
vanished_server() {
	start_listening gone - "$BIN/tcpfault" server vanish \
	    --listen 127.0.0.1:0 --bytes 0 --hold 30
	gone=$LAST_PID
}

# 5: the peer vanished (tcpfault's drop-all socket filter: its kernel
# answers nothing). Idle, with stdin held open: three keepalive probes
# (idle 1 s, interval 1 s, count 2) go unanswered and TCP gives up.
vanished_server
timeout 20 "$TNC" -v --keepalive 1,1,2 127.0.0.1 "$PORT" <"$T/hold" \
    >"$T/c.out" 2>"$T/c.err"
expect "keepalive: exit" $? 5
expect_plain_err "keepalive: stderr" "$T/c.err" \
    "tnc: 127.0.0.1:$PORT: receive: timeout (ETIMEDOUT) after 0 bytes received, 0 bytes sent"
expect_log "keepalive: -v event" "$T/c.err" \
    'receive: timeout \(ETIMEDOUT\) after 0 bytes received, 0 bytes sent'
kill "$gone"

# 5: the same vanished peer while we send: nothing is acknowledged, the
# retransmissions run past --user-timeout and TCP gives up. Every byte
# left our stdin (the kernel queued it), none was received. The bytes go
# in only once the server has vanished: sent before, its kernel would
# acknowledge them all and our FIN too, and nothing would be left to time
# out.
vanished_server
mkfifo "$T/ut.in"
timeout 20 "$TNC" --user-timeout 1000 127.0.0.1 "$PORT" <"$T/ut.in" \
    >"$T/c.out" 2>"$T/c.err" &
ut=$!
exec 7>"$T/ut.in"
wait_for 10 grep -q ' vanish ' "$T/gone.err" ||
    fail "user-timeout: the server did not vanish: $(cat "$T/gone.err")"
head -c 100000 /dev/zero >&7
exec 7>&-
wait "$ut"
expect "user-timeout: exit" $? 5
expect "user-timeout: stderr" "$(cat "$T/c.err")" \
    "tnc: 127.0.0.1:$PORT: receive: timeout (ETIMEDOUT) after 0 bytes received, 100000 bytes sent"
expect "user-timeout: stdout" "$(wc -c <"$T/c.out")" 0
kill "$gone"

# stdout closed early: head takes 10 bytes and exits; tnc stops quietly
# with 0 (not 141, SIGPIPE), and resets the sender it can no longer serve.
start_listening flood - $PEER flood --bytes 20000000
timeout 20 "$TNC" -v 127.0.0.1 "$PORT" <"$T/hold" 2>"$T/c.err" |
    head -c 10 >"$T/c.out"
st=("${PIPESTATUS[@]}")
expect "stdout closed: tnc exit" "${st[0]}" 0
expect "stdout closed: head got" "$(wc -c <"$T/c.out")" 10
expect_log "stdout closed: -v" "$T/c.err" \
    'stdout closed -> RST sent after [0-9]+ bytes received, 0 bytes sent'
expect_plain_err "stdout closed: no other stderr" "$T/c.err" ""
wait_rc "$LAST_PID"
expect_match "stdout closed: sender saw" "$(cat "$T/flood.out")" \
    '\{"end": "(reset|broken-pipe)"\}'

# A signal stops tnc with 128 + its number, after the -v line and
# --stats say how far it got: a client (SIGINT, 130), a listener still
# waiting for its connection (SIGTERM, 143), a -k listener (SIGINT).
start_listening hold - $PEER hold
hold=$LAST_PID
start cli "$T/hold" "$TNC" -v --stats 127.0.0.1 "$PORT"
cli=$LAST_PID
wait_line "$T/cli.err" 'connected to'
kill -INT "$cli"
wait_rc "$cli"
expect "SIGINT client: exit" "$RC" 130
expect_log "SIGINT client: -v" "$T/cli.err" \
    'signal 2: stopping -> RST sent after 0 bytes sent, 0 bytes received'
expect_plain_err "SIGINT client: --stats" "$T/cli.err" \
    "tnc: 127.0.0.1:$PORT: sent 0 bytes, received 0 bytes"
kill "$hold"
start_listening srv - "$TNC" -l -v 127.0.0.1 0
kill -TERM "$LAST_PID"
wait_rc "$LAST_PID"
expect "SIGTERM listener: exit" "$RC" 143
start_listening srv - "$TNC" -l -k -v 127.0.0.1 0
kill -INT "$LAST_PID"
wait_rc "$LAST_PID"
expect "SIGINT -k listener: exit" "$RC" 130
exec 3>&-

finish
