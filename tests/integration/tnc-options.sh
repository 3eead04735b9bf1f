#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The nc options and socket options doing what they say: -6 and -4, -s
# and -p (the listener sees the source), --sndbuf/--rcvbuf (-vv shows
# asked and given), --keepalive (ss shows the timer), --stats, -k serving
# one connection after another, --close plain.
. "$SRC/tests/peers/tnc-lib.bash"

mkfifo "$T/hold"
exec 3<>"$T/hold"

# -6 over ::1, when the kernel has it.
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
	start srv - "$TNC" -6 -l -v ::1 0
	srv=$LAST_PID
	wait_line "$T/srv.err" 'listening on \[::1\]:[0-9]+'
	p6=$(grep -Eo '\[::1\]:[0-9]+' "$T/srv.err" | head -n1 |
	    sed 's/.*://')
	printf six | timeout 10 "$TNC" -6 ::1 "$p6" >"$T/c.out" 2>"$T/c.err"
	expect "-6: exit" $? 0
	wait_rc "$srv"
	expect "-6: listener exit" "$RC" 0
	expect "-6: listener got" "$(cat "$T/srv.out")" six
	expect_log "-6: listener saw" "$T/srv.err" \
	    "connection from \[::1\]:[0-9]+ on \[::1\]:$p6"
else
	echo "no ::1 on lo: -6 part skipped"
fi
timeout 5 "$TNC" -4 ::1 1 </dev/null >"$T/c.out" 2>"$T/c.err"
expect "-4 with an IPv6 literal: exit" $? 1
expect_match "-4 with an IPv6 literal: stderr" "$(cat "$T/c.err")" \
    'tnc: connect to ::1 port 1: .+'

# -s and -p: the listener names the source we asked for.
src=$(free_port)
start_listening srv - "$TNC" -l -v 127.0.0.1 0
srv=$LAST_PID
printf x | timeout 10 "$TNC" -s 127.0.0.1 -p "$src" 127.0.0.1 "$PORT" \
    >"$T/c.out" 2>"$T/c.err"
expect "-s -p: exit" $? 0
wait_rc "$srv"
expect_log "-s -p: listener saw" "$T/srv.err" \
    "connection from 127\.0\.0\.1:$src on 127\.0\.0\.1:$PORT"

# Socket options, --stats, -vv; the connection is held open (stdin is
# our FIFO) while ss looks at it.
printf 'pong' >"$T/pong"
start_listening srv "$T/pong" "$TNC" -l -v 127.0.0.1 0
srv=$LAST_PID
start cli "$T/hold" "$TNC" -vv --stats --nodelay --sndbuf 64k \
    --rcvbuf 64k --keepalive 30,5,3 --user-timeout 5000 127.0.0.1 "$PORT"
cli=$LAST_PID
wait_line "$T/cli.err" 'connected to'
expect_log "buffers: -vv" "$T/cli.err" \
    "127\.0\.0\.1:$PORT: sndbuf 131072 \(asked 65536\), rcvbuf 131072 \(asked 65536\)"
expect_match "keepalive: ss shows the timer" \
    "$(ss -tnoH "( dport = :$PORT )")" \
    '.*timer:\(keepalive,[0-9.]+(s|sec|min),0\).*'
printf ping >&3
wait_line "$T/srv.out" '^ping$'
exec 3>&-
wait_rc "$cli"
expect "options: client exit" "$RC" 0
expect "options: client got" "$(cat "$T/cli.out")" pong
expect_plain_err "--stats" "$T/cli.err" \
    "tnc: 127.0.0.1:$PORT: sent 4 bytes, received 4 bytes"
wait_rc "$srv"
expect "options: listener exit" "$RC" 0

# -vv names only the buffer sizes asked for; the other is "default".
start_listening srv - "$TNC" -l 127.0.0.1 0 -v
printf x | timeout 10 "$TNC" -vv --sndbuf 64k 127.0.0.1 "$PORT" \
    >"$T/c.out" 2>"$T/c.err"
expect "-vv one buffer: exit" $? 0
expect_log "-vv one buffer" "$T/c.err" \
    "127\.0\.0\.1:$PORT: sndbuf 131072 \(asked 65536\), rcvbuf [0-9]+ \(default\)"
wait_rc "$LAST_PID"

# -k: three connections one after another; stdin goes to the first, the
# others get our FIN at once. -n and -N are accepted (numeric address;
# the shutdown on stdin EOF is what tnc always does).
printf 'first' >"$T/first"
start_listening srv "$T/first" "$TNC" -l -k -n -N -v 127.0.0.1 0
srv=$LAST_PID
i=0
for c in a b c; do
	i=$((i + 1))
	printf "$c" | timeout 10 "$TNC" -n -N 127.0.0.1 "$PORT" \
	    >"$T/c$i.out" 2>/dev/null
	expect "-k: client $i exit" $? 0
	wait_for 5 has_matches "$T/srv.err" "$i" 'closed: '
done
expect "-k: first got" "$(cat "$T/c1.out")" first
expect "-k: second got" "$(cat "$T/c2.out")" ""
expect "-k: third got" "$(cat "$T/c3.out")" ""
expect "-k: listener got" "$(cat "$T/srv.out")" abc
expect "-k: connections" "$(grep -c 'connection from' "$T/srv.err")" 3
expect "-k: closes" "$(grep -c 'closed: ' "$T/srv.err")" 3
kill "$srv"

# -C: each LF from stdin goes out as CR LF (one line split over reads,
# an LF first and last, a CR LF left as it is), as nc.openbsd -C does.
for prog in "$TNC" nc.openbsd; do
	start_listening peer - $PEER collect
	{ printf '\nGET / HTTP/1.0\nHost: x'; sleep 0.1
	    printf '\r\n\n'; } |
	    timeout 10 "$prog" -C 127.0.0.1 "$PORT" >/dev/null 2>&1
	wait_rc "$LAST_PID"
	expect "$(basename "$prog") -C: peer saw" "$(cat "$T/peer.out")" \
	    '{"data": "\r\nGET / HTTP/1.0\r\nHost: x\r\n\r\n", "end": "eof"}'
done

# tnc remembers a CR across reads (nc looks within one read only).
start_listening peer - $PEER collect
{ printf 'a\r'; sleep 0.1; printf '\nb\n'; } |
    timeout 10 "$TNC" -C 127.0.0.1 "$PORT" >/dev/null 2>&1
wait_rc "$LAST_PID"
expect "-C: CR, then LF in the next read" "$(cat "$T/peer.out")" \
    '{"data": "a\r\nb\r\n", "end": "eof"}'

# --close plain: a bare close() after the request; nothing unread, so
# the peer sees a FIN (eof), not a reset.
start_listening peer - $PEER collect
printf abc | timeout 10 "$TNC" -v --close plain 127.0.0.1 "$PORT" \
    >"$T/c.out" 2>"$T/c.err"
expect "--close plain: exit" $? 0
expect_log "--close plain: -v" "$T/c.err" \
    'stdin EOF -> close\(\) \(--close plain\) after 3 bytes sent, 0 received: FIN sent'
wait_rc "$LAST_PID"
expect "--close plain: peer saw" "$(cat "$T/peer.out")" \
    '{"data": "abc", "end": "eof"}'

finish
