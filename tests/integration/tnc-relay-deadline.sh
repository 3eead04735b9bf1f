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

# deadline_resets WHAT BEHAVIOUR OPTS INPUT SAYS [STDERR]: an upstream
# playing BEHAVIOUR, a relay with OPTS, a client reading INPUT; the
# client is reset (exit 4; its stderr matches STDERR if given) and the
# relay exits 5 saying SAYS.
deadline_resets() {
	local what=$1
	start_listening up - $PEER "$2"
	up=$LAST_PID
	start_relay $3 $mode
	timeout 10 "$TNC" 127.0.0.1 "$PORT" <"$4" >"$T/c.out" 2>"$T/c.err"
	expect "$label $what: client exit" $? 4
	if [ $# -ge 6 ]; then
		expect_match "$label $what: client stderr" \
		    "$(cat "$T/c.err")" "$6"
	fi
	relay_ends "$label $what" 5 "$5"
	kill "$up"
}

for mode in "${RELAY_MODES[@]}"; do
	label="$(relay_label "$mode")"

	# -q: the client's FIN is passed on; the upstream never closes.
	deadline_resets -q hold "-q 0.3" <(printf hello) \
	    "tnc: #1: timeout: -q deadline: RST sent to client $A and upstream $A" \
	    "tnc: $A: receive: reset \(ECONNRESET\) after 0 bytes received, 5 bytes sent"

	# -w: nothing moves either way.
	deadline_resets "-w idle" hold "-w 0.3" "$T/hold" \
	    "tnc: #1: timeout: -w idle deadline: RST sent to client $A and upstream $A"

	# -w: the upstream's accept queue is full; its SYN goes unanswered.
	deadline_resets "-w connect" blackhole "-w 0.5" "$T/hold" \
	    "tnc: #1: (timeout: -w connect deadline: RST sent to client $A and upstream $A|upstream $A: timeout; RST sent to client $A)"
done
exec 3>&-

finish
