#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The wire format, checked against tests/peers/ttcp_peer.py, which was
# written from ttcp(1) WIRE FORMAT alone: ttcp as transmitter and as
# receiver, every mode and direction, in both I/O models.
. "$SRC/tests/peers/ttcp-lib.bash"

for io in blocking epoll; do
	# ttcp -t, plain ack mode: exactly muduo's 8-byte header, then
	# 10 frames of 1000 bytes, each acknowledged; a graceful end.
	start_peer_r p-$io
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" -l 1000 -n 10 --io $io \
	    --json >"$T/t.out" 2>"$T/t.err"
	expect "$io t ack: exit" $? 0
	wait_rc "$RPID"
	expect "$io t ack: peer exit" "$RC" 0
	jcheck "$io t ack: peer saw" "$T/p-$io.out" 1 \
	    'j["header"]' 0000000a000003e8 \
	    'j["msgs"]' 10 'j["bytes"]' 10000 \
	    'j["prefixes_ok"]' true 'j["pattern_ok"]' true \
	    'j["end"]' eof 'j["extra"]' 0
	jcheck "$io t ack: ttcp says" "$T/t.out" 1 \
	    'j["bytes"]' 10000 'j["role"]' transmit 'j["mode"]' ack

	# ttcp -t --stream: the 24-byte extended header (flags 1, one
	# connection), then 10 x 1000 raw bytes; our FIN, its EOF.
	start_peer_r p-$io
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" -l 1000 -n 10 --io $io \
	    --stream --json >"$T/t.out" 2>"$T/t.err"
	expect "$io t stream: exit" $? 0
	wait_rc "$RPID"
	expect "$io t stream: peer exit" "$RC" 0
	jcheck "$io t stream: peer saw" "$T/p-$io.out" 1 \
	    'j["header"][:16]' 8000000000000001 \
	    'j["header"][24:]' 000000010000000a000003e8 \
	    'len(j["header"])' 48 \
	    'j["flags"]' 1 'j["parallel"]' 1 \
	    'j["number"]' 10 'j["length"]' 1000 \
	    'j["msgs"]' 10 'j["bytes"]' 10000 'j["pattern_ok"]' true \
	    'j["end"]' eof 'j["extra"]' 0
	jcheck "$io t stream: ttcp says" "$T/t.out" 1 \
	    'j["bytes"]' 10000 'j["mode"]' stream

	# ttcp -t -R --verify: flags 6; the peer sends the frames, ttcp
	# checks and acknowledges each.
	start_peer_r p-$io
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" -l 100 -n 7 --io $io \
	    -R --verify --json >"$T/t.out" 2>"$T/t.err"
	expect "$io t reverse: exit" $? 0
	wait_rc "$RPID"
	expect "$io t reverse: peer exit" "$RC" 0
	jcheck "$io t reverse: peer saw" "$T/p-$io.out" 1 \
	    'j["flags"]' 6 'j["number"]' 7 'j["length"]' 100 \
	    'j["acks"]' 7 'j["acks_ok"]' true 'j["end"]' eof 'j["extra"]' 0
	jcheck "$io t reverse: ttcp says" "$T/t.out" 1 \
	    'j["role"]' receive 'j["reverse"]' true 'j["bytes"]' 700 \
	    'j["verify"]' true

	# ttcp -t -R --stream -P 1 with flags 3.
	start_peer_r p-$io
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" -l 4096 -n 33 --io $io \
	    -R --stream --json >"$T/t.out" 2>"$T/t.err"
	expect "$io t reverse stream: exit" $? 0
	wait_rc "$RPID"
	jcheck "$io t reverse stream: peer saw" "$T/p-$io.out" 1 \
	    'j["flags"]' 3 'j["end"]' eof
	jcheck "$io t reverse stream: ttcp says" "$T/t.out" 1 \
	    'j["bytes"]' 135168 'j["role"]' receive

	# The peer as a muduo transmitter: 8-byte header, ttcp -r acks.
	start_ttcp_r r-$io -1 --json --io $io --verify
	timeout 10 $PEER transmit --port "$PORT" -n 12 -l 333 \
	    >"$T/p.out" 2>"$T/p.err"
	expect "$io r ack: peer exit" $? 0
	wait_rc "$RPID"
	expect "$io r ack: exit" "$RC" 0
	jcheck "$io r ack: peer saw" "$T/p.out" 1 \
	    'j["acks"]' 12 'j["acks_ok"]' true 'j["end"]' eof 'j["extra"]' 0
	jcheck "$io r ack: ttcp says" "$T/r-$io.out" 1 \
	    'j["bytes"]' 3996 'j["msgs"]' 12 'j["mode"]' ack \
	    'j["role"]' receive 'j["verify"]' true

	# Zero-length messages: the length prefix and the ack only.
	start_ttcp_r r-$io -1 --json --io $io
	timeout 10 $PEER transmit --port "$PORT" -n 5 -l 0 \
	    >"$T/p.out" 2>"$T/p.err"
	expect "$io r empty: peer exit" $? 0
	wait_rc "$RPID"
	expect "$io r empty: exit" "$RC" 0
	jcheck "$io r empty: peer saw" "$T/p.out" 1 'j["acks"]' 5 \
	    'j["acks_ok"]' true 'j["end"]' eof
	jcheck "$io r empty: ttcp says" "$T/r-$io.out" 1 'j["bytes"]' 0 \
	    'j["msgs"]' 5

	# The extended header without flags is still plain ack mode.
	start_ttcp_r r-$io -1 --json --io $io
	timeout 10 $PEER transmit --port "$PORT" -n 3 -l 64 --ext \
	    >"$T/p.out" 2>"$T/p.err"
	expect "$io r ext: peer exit" $? 0
	wait_rc "$RPID"
	expect "$io r ext: exit" "$RC" 0
	jcheck "$io r ext: peer saw" "$T/p.out" 1 'j["acks"]' 3 'j["end"]' eof

	# The peer streams (flags 1); ttcp -r checks the pattern.
	start_ttcp_r r-$io -1 --json --io $io --verify
	timeout 10 $PEER transmit --port "$PORT" -n 9 -l 1001 --stream \
	    >"$T/p.out" 2>"$T/p.err"
	expect "$io r stream: peer exit" $? 0
	wait_rc "$RPID"
	expect "$io r stream: exit" "$RC" 0
	jcheck "$io r stream: peer saw" "$T/p.out" 1 'j["end"]' eof \
	    'j["extra"]' 0
	jcheck "$io r stream: ttcp says" "$T/r-$io.out" 1 'j["bytes"]' 9009 \
	    'j["mode"]' stream

	# Reverse: the peer asks ttcp -r to send; it checks what arrives.
	for mode in "" --stream; do
		start_ttcp_r r-$io -1 --json --io $io
		timeout 10 $PEER transmit --port "$PORT" -n 6 -l 777 --reverse \
		    $mode >"$T/p.out" 2>"$T/p.err"
		expect "$io r reverse $mode: peer exit" $? 0
		wait_rc "$RPID"
		expect "$io r reverse $mode: exit" "$RC" 0
		jcheck "$io r reverse $mode: peer saw" "$T/p.out" 1 \
		    'j["msgs"]' 6 'j["bytes"]' 4662 'j["pattern_ok"]' true \
		    'j["prefixes_ok"]' true 'j["end"]' eof 'j["extra"]' 0
		jcheck "$io r reverse $mode: ttcp says" "$T/r-$io.out" 1 \
		    'j["role"]' transmit 'j["reverse"]' true 'j["bytes"]' 4662
	done
done

finish
