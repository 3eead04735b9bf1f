#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The receiver serves sessions one after another without restarting: a
# refused session does not stop it, signals stop it with the documented
# status (128+N, idle or not), a -P group must arrive whole, and strangers
# are turned away.
. "$SRC/tests/peers/ttcp-lib.bash"

# peer_gone_exit ERROR-LINE: the suite's exit status for a session its
# peer ended early: 4 when the error says reset or broken-pipe, 1 for a
# clean EOF (which side sees which depends on timing).
peer_gone_exit() {
	if printf '%s\n' "$1" |
	    grep -Eq '\((reset|broken-pipe)\)|: (reset|broken-pipe)( |$)'; then
		echo 4
	else
		echo 1
	fi
}

# long_transmit NAME TTCP-ARGS...: a transmitter of 100000000 messages
# in the background (pid in tpid, output in $T/t.out and $T/t.err), once
# the receiver NAME has logged the start of its session.
long_transmit() {
	local name=$1
	shift
	timeout 20 "$TTCP" -t 127.0.0.1 -p "$PORT" -n 100000000 -l 10 "$@" \
	    >"$T/t.out" 2>"$T/t.err" &
	tpid=$!
	PIDS+=("$tpid")
	wait_line "$T/$name.err" 'ttcp-r: session ' >/dev/null
}

for io in blocking epoll; do
	# Five sessions of every kind on one receiver; then SIGTERM while
	# idle: exit 143, one JSON line per session.
	start_ttcp_r loop --io $io --json
	n=0
	for args in "-n 50 -l 100" "--stream -n 50 -l 100" "-R -n 50 -l 100" \
	    "-P 4 -n 20 -l 100" "-P 2 --stream -R --verify -n 20 -l 100"; do
		# shellcheck disable=SC2086
		timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" --io $io $args \
		    >"$T/t.out" 2>"$T/t.err"
		expect "$io loop session $args: exit" $? 0
		n=$((n + 1))
	done
	wait_for 5 has_lines "$T/loop.out" $n
	kill -TERM "$RPID"
	wait_rc "$RPID"
	expect "$io loop: exit after SIGTERM" "$RC" 143
	expect "$io loop: reports" "$(wc -l <"$T/loop.out")" 5
	for i in 1 2 3 4 5; do
		jcheck "$io loop report $i" "$T/loop.out" $i '"error" in j' false
	done
	jcheck "$io loop report 4" "$T/loop.out" 4 'j["bytes"]' 8000 \
	    'j["connections"]' 4
	jcheck "$io loop report 5" "$T/loop.out" 5 'j["bytes"]' 4000 \
	    'j["role"]' transmit

	# A refused session in the middle: reported, serving goes on, and
	# the signal that ends the receiver sets the status.
	start_ttcp_r loop2 --io $io
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" -n 10 -l 10 --io $io \
	    >/dev/null 2>&1
	expect "$io loop2 first: exit" $? 0
	timeout 10 $PEER transmit --port "$PORT" --header fffffffb00000400 \
	    --wait >"$T/p.out" 2>"$T/p.err"
	jcheck "$io loop2 hostile: peer saw" "$T/p.out" 1 'j["end"]' reset
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" -n 10 -l 10 --io $io \
	    >/dev/null 2>&1
	expect "$io loop2 after: exit" $? 0
	wait_for 5 has_matches "$T/loop2.out" 2 "bytes in"
	kill -INT "$RPID"
	wait_rc "$RPID"
	expect "$io loop2: exit after SIGINT" "$RC" 130
	expect "$io loop2: summaries" "$(grep -c '^ttcp-r: 100 bytes in' \
	    "$T/loop2.out")" 2
	expect "$io loop2: totals" "$(tail -n1 "$T/loop2.out")" \
	    "ttcp-r: 3 sessions, 200 payload bytes, 1 failed"
	expect_match "$io loop2: the refusal" \
	    "$(grep -v '^ttcp-r:' "$T/loop2.err")" \
	    'ttcp: session header from 127\.0\.0\.1:[0-9]+: negative message count -5'

	# A signal in the middle of a session ends it: exit 143, the report
	# says so, and the transmitter sees its peer go.
	start_ttcp_r mid --io $io --json
	long_transmit mid --io $io
	kill -TERM "$RPID"
	wait_rc "$RPID"
	expect "$io mid-session signal: exit" "$RC" 143
	jcheck "$io mid-session signal: report" "$T/mid.out" 1 \
	    'j["error"]' "interrupted by a signal" 'j["bytes"] > 0' true
	wait_rc "$tpid"
	expect_match "$io mid-session signal: transmitter stderr" \
	    "$(cat "$T/t.err")" \
	    'ttcp: (peer closed \((eof|reset)\) waiting for the ack of message [0-9]+ of 100000000 \([0-9]+ payload bytes acknowledged\)|sending message [0-9]+ of 100000000: (reset|broken-pipe) \([0-9]+ payload bytes acknowledged\))'
	expect "$io mid-session signal: transmitter exit" "$RC" \
	    "$(peer_gone_exit "$(cat "$T/t.err")")"

	# The transmitter stopped by a signal reports what it had.
	start_ttcp_r tsig -1 --io $io
	long_transmit tsig --io $io --json
	kill -INT "$tpid"
	wait_rc "$tpid"
	expect "$io transmitter signal: exit" "$RC" 130
	jcheck "$io transmitter signal: report" "$T/t.out" 1 \
	    'j["error"]' "interrupted by a signal" 'j["role"]' transmit
	expect "$io transmitter signal: stderr" "$(cat "$T/t.err")" \
	    "ttcp: interrupted by a signal"
	wait_rc "$RPID"
	rerr=$(grep -v '^ttcp-r:' "$T/tsig.err")
	expect_match "$io transmitter signal: receiver stderr" "$rerr" \
	    'ttcp: (peer closed \((eof|reset)\) after [0-9]+ of [0-9]+ (length )?bytes of message [0-9]+ of 100000000 \([0-9]+ payload bytes in all\)|sending the ack of message [0-9]+: (reset|broken-pipe))'
	expect "$io transmitter signal: receiver exit" "$RC" \
	    "$(peer_gone_exit "$rerr")"

	# The same in text: the error, then the partial counts on stdout.
	start_ttcp_r tsig2 -1 --io $io
	long_transmit tsig2 --io $io
	kill -TERM "$tpid"
	wait_rc "$tpid"
	expect "$io transmitter signal text: exit" "$RC" 143
	expect "$io transmitter signal text: stderr" "$(cat "$T/t.err")" \
	    "ttcp: interrupted by a signal"
	expect_match "$io transmitter signal text: stdout" \
	    "$(head -n1 "$T/t.out")" \
	    'ttcp-t: [0-9]+ bytes in [0-9.]+ real seconds = [0-9.]+ MiB/sec \+\+\+'
	expect_match "$io transmitter signal text: stdout 2" \
	    "$(sed -n 2p "$T/t.out")" \
	    'ttcp-t: [0-9]+ messages, .* retransmits'
	wait_rc "$RPID"

	# A stranger while a -P 2 group assembles is reset; the group's
	# second connection still completes it.
	start_ttcp_r grp -1 --io $io --json
	timeout 15 $PEER transmit --port "$PORT" -n 3 -l 10 --parallel 2 \
	    --group 0xaaaa >"$T/p1.out" 2>"$T/p1.err" &
	p1=$!
	PIDS+=("$p1")
	wait_line "$T/grp.err" 'connection 1 of 2' >/dev/null
	timeout 15 $PEER transmit --port "$PORT" -n 3 -l 10 --parallel 2 \
	    --header 80000000000000000000bbbb00000002000000030000000a \
	    --wait >"$T/p2.out" 2>"$T/p2.err"
	jcheck "$io stranger: peer saw" "$T/p2.out" 1 'j["end"]' reset
	timeout 15 $PEER transmit --port "$PORT" -n 3 -l 10 --parallel 2 \
	    --group 0xaaaa >"$T/p3.out" 2>"$T/p3.err"
	wait_rc "$p1"
	wait_rc "$RPID"
	expect "$io group: exit" "$RC" 0
	expect_match "$io stranger: warning" \
	    "$(grep -v '^ttcp-r:' "$T/grp.err")" \
	    'ttcp: connection from 127\.0\.0\.1:[0-9]+: not part of session 0x0000aaaa'
	jcheck "$io group: report" "$T/grp.out" 1 'j["connections"]' 2 \
	    'j["bytes"]' 60 '"error" in j' false
	jcheck "$io group: first peer" "$T/p1.out" 1 'j["acks"]' 3 \
	    'j["end"]' eof
	jcheck "$io group: second peer" "$T/p3.out" 1 'j["acks"]' 3 \
	    'j["end"]' eof
done

# A group that never completes: after 10 s the receiver gives up on it
# (one model only; the wait is long).
start_ttcp_r half -1
timeout 20 $PEER transmit --port "$PORT" -n 3 -l 10 --parallel 2 \
    --group 0xcccc >"$T/p.out" 2>"$T/p.err"
wait_rc "$RPID"
expect "half group: exit (the set-up deadline: timeout)" "$RC" 5
expect "half group: stderr" "$(grep -v '^ttcp-r:' "$T/half.err")" \
    "ttcp: session 0x0000cccc: only 1 of 2 connections arrived"

finish
