#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# An RST on either side of the relay reaches the other side, after the
# bytes that preceded it (also when the relay was holding data back), and
# is reported; a refused upstream becomes an RST to the client. Every
# relay engine; exit codes 4 and 3; a -k relay counts resets in its
# summary.
. "$SRC/tests/peers/tnc-lib.bash"

A='127\.0\.0\.1:[0-9]+'

# backpressured_rst WHO UP CLIENT FLOODER READER READ-BY [WAIT]: an
# upstream playing UP and a client playing CLIENT (floodrst / lateread,
# synchronised on a marker file) through the relay; WHO's flood fills
# the path, then it resets. READER's JSON line says it got the bytes
# FLOODER's says were delivered, then the reset; the relay exits 4.
backpressured_rst() {
	local what="$label backpressured $1 RST" n
	rm -f "$T/marker"
	start_listening up - $PEER "$2" --marker "$T/marker"
	upid=$LAST_PID
	start_relay $mode
	timeout 30 $PEER "$3" --port "$PORT" --marker "$T/marker" \
	    >"$T/c.out"
	wait_rc "$upid" ${7:+"$7"}
	n=$(jfield "$4" delivered)
	expect "$what: $6 got" "$(cat "$5")" \
	    "{\"bytes\": $n, \"end\": \"reset\", \"pattern_ok\": true}"
	wait_rc "$relay"
	expect "$what: relay exit" "$RC" 4
}

for mode in "${RELAY_MODES[@]}"; do
	label="$(relay_label "$mode")"

	# The upstream reads the request to its EOF, answers "partial",
	# resets. The client gets "partial", then the reset: exit 4.
	start_listening up - $PEER reset --reply partial
	up=$PORT
	start_relay $mode
	printf hello | timeout 10 "$TNC" 127.0.0.1 "$PORT" >"$T/c.out" \
	    2>"$T/c.err"
	expect "$label upstream RST: client exit" $? 4
	expect "$label upstream RST: client stdout" "$(cat "$T/c.out")" \
	    partial
	expect "$label upstream RST: client stderr" "$(cat "$T/c.err")" \
	    "tnc: 127.0.0.1:$PORT: receive: reset (ECONNRESET) after 7 bytes received, 5 bytes sent"
	relay_ends "$label upstream RST" 4 \
	    "tnc: #1: upstream 127\.0\.0\.1:$up: reset \(ECONNRESET\) on receive after 7 bytes from it, 5 bytes to it; RST sent to client $A"
	expect_log "$label upstream RST: relay -v" "$T/relay.err" \
	    "#1 upstream 127\.0\.0\.1:$up reset \(ECONNRESET\) on receive after 7 bytes from upstream, 5 to it -> RST to client"

	# The client sends "abc" and resets (--close abort). The upstream
	# gets "abc", then the reset.
	start_listening up - $PEER collect
	up=$PORT
	upid=$LAST_PID
	start_relay $mode
	printf abc | timeout 10 "$TNC" --close abort 127.0.0.1 "$PORT" \
	    >"$T/c.out" 2>"$T/c.err"
	expect "$label client RST: client exit" $? 0
	wait_rc "$upid"
	expect "$label client RST: upstream saw" "$(cat "$T/up.out")" \
	    '{"data": "abc", "end": "reset"}'
	relay_ends "$label client RST" 4 \
	    "tnc: #1: client $A: reset \(ECONNRESET\) on receive after 3 bytes from it, 0 bytes to it; RST sent to upstream 127\.0\.0\.1:$up"

	# Nobody listens upstream: the client gets an RST, the relay exits 3.
	start_listening bound - $PEER bound
	up=$PORT
	bound=$LAST_PID
	start_relay $mode
	timeout 10 "$TNC" 127.0.0.1 "$PORT" <"$T/relay.err" >"$T/c.out" \
	    2>"$T/c.err"
	expect "$label refused: client exit" $? 4
	# The RST can beat the end of our own connect, or come after it.
	expect_match "$label refused: client stderr" "$(cat "$T/c.err")" \
	    "tnc: (connect to 127\.0\.0\.1 port $PORT: Connection reset by peer|127\.0\.0\.1:$PORT: (send|receive): reset \(ECONNRESET\) after 0 bytes received, [0-9]+ bytes sent)"
	relay_ends "$label refused" 3 \
	    "tnc: #1: upstream 127\.0\.0\.1:$up: refused; RST sent to client $A"
	kill "$bound"

	# An RST while the relay holds data back: the upstream fills the
	# path to a client that reads nothing, then resets. The client,
	# reading only afterwards, still gets every byte the upstream's
	# kernel had acknowledged (the relay read it), then the reset.
	backpressured_rst upstream floodrst lateread "$T/up.out" "$T/c.out" \
	    client
	# The same the other way: the client floods a non-reading upstream.
	backpressured_rst client lateread floodrst "$T/c.out" "$T/up.out" \
	    upstream 30
done

# A -k relay serves on after resets and sums them up when told to stop.
start_listening up - $PEER reset --reply partial
up1=$PORT
start_listening relay - "$TNC" -l -k -v --relay "127.0.0.1:$up1" \
    127.0.0.1 0
relay=$LAST_PID
printf hello | timeout 10 "$TNC" 127.0.0.1 "$PORT" >/dev/null 2>&1
expect "-k: first client exit" $? 4
printf hello | timeout 10 "$TNC" 127.0.0.1 "$PORT" >/dev/null 2>&1
expect "-k: second client (upstream gone) exit" $? 4
wait_line "$T/relay.err" '#2 closed'
kill -TERM "$relay"
wait_rc "$relay"
expect "-k: relay exit after SIGTERM" "$RC" 143
expect_plain_err "-k: summary" "$T/relay.err" \
    "tnc: relay: 2 connections, 5 bytes client->upstream, 7 bytes upstream->client; resets: 0 by clients, 1 by upstream; 1 refused, 0 deadlines, 0 other errors"

finish
