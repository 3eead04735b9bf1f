#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The relay's deadlines, every engine: -q after a half-close the other
# side never answers, -w on an idle pair, -w on an upstream that never
# answers the SYN. Each resets the client (exit 4 there) and the relay
# exits 5 naming the deadline.
. "$SRC/tests/peers/tnc-lib.bash"

A='127\.0\.0\.1:[0-9]+'
mkfifo "$T/hold"
exec 3<>"$T/hold"

for mode in "${RELAY_MODES[@]}"; do
	label="$(relay_label "$mode")"

	# -q: the client's FIN is passed on; the upstream never closes.
	start_listening up - $PEER hold
	up=$LAST_PID
	start_relay -q 0.3 $mode
	printf hello | timeout 10 "$TNC" 127.0.0.1 "$PORT" >"$T/c.out" \
	    2>"$T/c.err"
	expect "$label -q: client exit" $? 4
	expect_match "$label -q: client stderr" "$(cat "$T/c.err")" \
	    "tnc: $A: receive: reset \(ECONNRESET\) after 0 bytes received, 5 bytes sent"
	relay_ends "$label -q" 5 \
	    "tnc: #1: timeout: -q deadline: RST sent to client $A and upstream $A"
	kill "$up"

	# -w: nothing moves either way.
	start_listening up - $PEER hold
	up=$LAST_PID
	start_relay -w 0.3 $mode
	timeout 10 "$TNC" 127.0.0.1 "$PORT" <"$T/hold" >"$T/c.out" \
	    2>"$T/c.err"
	expect "$label -w idle: client exit" $? 4
	relay_ends "$label -w idle" 5 \
	    "tnc: #1: timeout: -w idle deadline: RST sent to client $A and upstream $A"
	kill "$up"

	# -w: the upstream's accept queue is full; its SYN goes unanswered.
	start_listening up - $PEER blackhole
	up=$LAST_PID
	start_relay -w 0.5 $mode
	timeout 10 "$TNC" 127.0.0.1 "$PORT" <"$T/hold" >"$T/c.out" \
	    2>"$T/c.err"
	expect "$label -w connect: client exit" $? 4
	relay_ends "$label -w connect" 5 \
	    "tnc: #1: (timeout: -w connect deadline: RST sent to client $A and upstream $A|upstream $A: timeout; RST sent to client $A)"
	kill "$up"
done
exec 3>&-

finish
