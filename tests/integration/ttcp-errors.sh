#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every run-time error path: hostile session headers, wrong lengths and
# acks, peers that hang up mid-message, bytes after the end, refused and
# unresolvable connections. Exact exit status from the suite's table
# (teardown(7): 1 run-time failure, a clean EOF mid-session included; 3
# refused; 4 reset or broken pipe; 128+N a signal) and stderr line, in
# both I/O models; the JSON report still appears with an "error".
. "$SRC/tests/peers/ttcp-lib.bash"

PEERADDR='127\.0\.0\.1:[0-9]+'

# hostile IO LABEL EXIT STDERR-REGEX PEER-ARGS...: ttcp -r -1 against
# the peer as transmitter; checks the exit status and the one stderr line.
hostile() {
	local io=$1 label=$2 rc=$3 want=$4
	shift 4
	start_ttcp_r r -1 --io "$io"
	timeout 60 $PEER transmit --port "$PORT" "$@" >"$T/p.out" \
	    2>"$T/p.err"
	wait_rc "$RPID"
	expect "$io $label: exit" "$RC" "$rc"
	expect_match "$io $label: stderr" \
	    "$(grep -v '^ttcp-r:' "$T/r.err")" "$want"
	expect "$io $label: stdout" "$(cat "$T/r.out")" ""
}

for io in blocking epoll; do
	hostile $io "length above 64 MiB" 1 \
	    "ttcp: session header from $PEERADDR: message length 67108865 above the maximum 67108864" \
	    --header 0000000104000001 --wait
	jcheck "$io length above 64 MiB: peer saw" "$T/p.out" 1 \
	    'j["end"]' reset
	hostile $io "length 2^31-1" 1 \
	    "ttcp: session header from $PEERADDR: message length 2147483647 above the maximum 67108864" \
	    --header 000000017fffffff --wait
	hostile $io "negative count" 1 \
	    "ttcp: session header from $PEERADDR: negative message count -5" \
	    --header fffffffb00000400 --wait
	hostile $io "negative length" 1 \
	    "ttcp: session header from $PEERADDR: negative message length -1" \
	    --header 00000001ffffffff --wait
	hostile $io "negative count, extended" 1 \
	    "ttcp: session header from $PEERADDR: negative message count -2147483648" \
	    --header 800000000000000000000001000000018000000000000400 --wait
	hostile $io "unknown flags" 1 \
	    "ttcp: session header from $PEERADDR: unknown session flags 0x10" \
	    --header 800000000000001100000001000000010000000100000400 --wait
	hostile $io "parallel 0" 1 \
	    "ttcp: session header from $PEERADDR: parallel count 0 out of range 1..128" \
	    --header 800000000000000000000001000000000000000100000400 --wait
	hostile $io "parallel 129" 1 \
	    "ttcp: session header from $PEERADDR: parallel count 129 out of range 1..128" \
	    --header 800000000000000000000001000000810000000100000400 --wait
	hostile $io "short header" 1 \
	    "ttcp: session header from $PEERADDR: peer closed \(eof\) after 4 of 8 header bytes" \
	    --header 00000001 --close
	hostile $io "short extended header" 1 \
	    "ttcp: session header from $PEERADDR: peer closed \(eof\) after 12 of 24 header bytes" \
	    --header 800000000000000000000001 --close
	hostile $io "wrong message length" 1 \
	    "ttcp: message 1: length 99 differs from the session's 100" \
	    -n 3 -l 100 --prefix-length 99
	hostile $io "negative message length" 1 \
	    "ttcp: message 1: length -7 differs from the session's 100" \
	    -n 3 -l 100 --prefix-length -7
	# 2 x (4 + 1024) + 4 + 512 bytes: half of the third message.
	hostile $io "eof mid-message" 1 \
	    "ttcp: peer closed \(eof\) after 512 of 1024 bytes of message 3 of 10 \(2560 payload bytes in all\)" \
	    -n 10 -l 1024 --close-after 2572
	hostile $io "reset mid-message" 4 \
	    "ttcp: peer closed \(reset\) after 512 of 1024 bytes of message 3 of 10 \(2560 payload bytes in all\)" \
	    -n 10 -l 1024 --close-after 2572 --rst
	hostile $io "eof mid-prefix" 1 \
	    "ttcp: peer closed \(eof\) after 2 of 4 length bytes of message 2 of 10 \(1024 payload bytes in all\)" \
	    -n 10 -l 1024 --close-after 1030
	hostile $io "eof at the biggest length" 1 \
	    "ttcp: peer closed \(eof\) after 0 of 67108864 bytes of message 1 of 1 \(0 payload bytes in all\)" \
	    -n 1 -l 67108864 --close-after 4
	hostile $io "eof mid-stream" 1 \
	    "ttcp: peer closed \(eof\) after 5000 of 10240 payload bytes" \
	    -n 10 -l 1024 --stream --close-after 5000
	hostile $io "bytes after the end" 1 \
	    "ttcp: peer sent 5 bytes after the end of the session" \
	    -n 2 -l 10 --extra 5

	# The JSON report of a refused header: zero counts and the error.
	start_ttcp_r r -1 --io $io --json
	timeout 10 $PEER transmit --port "$PORT" --header fffffffb00000400 \
	    --wait >"$T/p.out" 2>"$T/p.err"
	wait_rc "$RPID"
	expect "$io json refused header: exit" "$RC" 1
	jcheck "$io json refused header" "$T/r.out" 1 \
	    'j["error"].split(": ", 1)[1]' "negative message count -5" \
	    'j["role"]' receive 'j["bytes"]' 0 'j["msgs"]' 0 \
	    'j["seconds"]' 0.0 'len(open("'"$T/r.out"'").readlines())' 1

	# The transmitter's side of broken receivers.
	start_peer_r p --ack-value 7
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" -n 10 -l 1024 --io $io \
	    >"$T/t.out" 2>"$T/t.err"
	expect "$io wrong ack: exit" $? 1
	expect "$io wrong ack: stderr" "$(cat "$T/t.err")" \
	    "ttcp: ack 1: peer acknowledged 7, expected 1024"
	wait_rc "$RPID"
	jcheck "$io wrong ack: peer saw" "$T/p.out" 1 'j["end"]' reset

	start_peer_r p --close-after-msgs 3
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" -n 10 -l 1024 --io $io \
	    --json >"$T/t.out" 2>"$T/t.err"
	expect "$io receiver gone: exit" $? 1
	expect "$io receiver gone: stderr" "$(cat "$T/t.err")" \
	    "ttcp: peer closed (eof) waiting for the ack of message 3 of 10 (2048 payload bytes acknowledged)"
	jcheck "$io receiver gone: report" "$T/t.out" 1 \
	    'j["bytes"]' 2048 'j["msgs"]' 2 'j["role"]' transmit \
	    'j["error"]' "peer closed (eof) waiting for the ack of message 3 of 10 (2048 payload bytes acknowledged)"
	wait_rc "$RPID"

	# Reverse: the peer, now sending, hangs up inside message 3.
	start_peer_r p --close-after 2572
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" -n 10 -l 1024 -R \
	    --io $io >"$T/t.out" 2>"$T/t.err"
	expect "$io sender gone: exit" $? 1
	expect "$io sender gone: stderr" "$(cat "$T/t.err")" \
	    "ttcp: peer closed (eof) after 512 of 1024 bytes of message 3 of 10 (2560 payload bytes in all)"
	wait_rc "$RPID"

	# Stream: a receiver that resets after 3 of 100 messages. Where
	# the sender notices depends on the socket buffers, so only the
	# outcome is fixed.
	start_peer_r p --close-after-msgs 3
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" -n 100 -l 65536 \
	    --stream --io $io >"$T/t.out" 2>"$T/t.err"
	expect "$io stream reset: exit" $? 4
	expect_match "$io stream reset: stderr" "$(cat "$T/t.err")" \
	    'ttcp: (sending message [0-9]+ of 100: (reset|broken-pipe) \([0-9]+ payload bytes sent\)|sending: (reset|broken-pipe) after [0-9]+ of 6553600 payload bytes|closing: reset before the peer.s EOF \([0-9]+ payload bytes done\))'
	wait_rc "$RPID"

	# Nobody listening.
	port=$(free_port)
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$port" --io $io >"$T/t.out" \
	    2>"$T/t.err"
	expect "$io refused: exit" $? 3
	expect "$io refused: stderr" "$(cat "$T/t.err")" \
	    "ttcp: connect to 127.0.0.1 port $port: Connection refused"
	expect "$io refused: stdout" "$(cat "$T/t.out")" ""
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$port" --io $io --json -P 3 -R \
	    >"$T/t.out" 2>"$T/t.err"
	expect "$io refused json: exit" $? 3
	jcheck "$io refused json" "$T/t.out" 1 \
	    'j["error"]' "connect to 127.0.0.1 port $port: Connection refused" \
	    'j["role"]' receive 'j["reverse"]' true 'j["connections"]' 3 \
	    'j["bytes"]' 0 'j["seconds"]' 0.0

	timeout 20 "$TTCP" -t no.such.host.invalid --io $io >"$T/t.out" \
	    2>"$T/t.err"
	expect "$io unresolvable: exit" $? 1
	expect_match "$io unresolvable: stderr" "$(cat "$T/t.err")" \
	    'ttcp: connect to no\.such\.host\.invalid port 5001: .+'

	# A port that is taken.
	start_ttcp_r busy --io $io
	timeout 10 "$TTCP" -r -B 127.0.0.1 -p "$PORT" --io $io \
	    >"$T/t.out" 2>"$T/t.err"
	expect "$io port in use: exit" $? 1
	expect_match "$io port in use: stderr" "$(cat "$T/t.err")" \
	    "ttcp: .*127\.0\.0\.1.*$PORT.*: Address already in use"
	# Stopped while idle: 128 + the signal (SIGHUP too, one model).
	sig=TERM want=143
	if [ "$io" = epoll ]; then
		sig=HUP want=129
	fi
	kill -"$sig" "$RPID"
	wait_rc "$RPID"
	expect "$io idle receiver stopped by SIG$sig: exit" "$RC" "$want"
done

finish
