#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# --verify catches one corrupted payload byte injected by the test peer,
# in ack and stream mode, on the receiver and (with -R) the transmitter,
# and the session ends with a reset the peer sees.
. "$SRC/tests/peers/ttcp-lib.bash"

for io in blocking epoll; do
	# The receiver's own --verify, the peer a plain muduo transmitter.
	start_ttcp_r r -1 --io $io --verify
	timeout 10 $PEER transmit --port "$PORT" -n 5 -l 100 --corrupt 3,17 \
	    >"$T/p.out" 2>"$T/p.err"
	wait_rc "$RPID"
	expect "$io r --verify: exit" "$RC" 1
	expect "$io r --verify: stderr" "$(grep -v '^ttcp-r:' "$T/r.err")" \
	    "ttcp: verify: message 3 offset 17: got 0x58, expected 0x31"
	jcheck "$io r --verify: peer saw" "$T/p.out" 1 \
	    'j["acks"]' 2 'j["end"]' reset

	# Without --verify anywhere the same bytes are accepted: the check
	# is what catches them.
	start_ttcp_r r -1 --io $io --json
	timeout 10 $PEER transmit --port "$PORT" -n 5 -l 100 --corrupt 3,17 \
	    >"$T/p.out" 2>"$T/p.err"
	wait_rc "$RPID"
	expect "$io r unchecked: exit" "$RC" 0
	jcheck "$io r unchecked" "$T/r.out" 1 'j["bytes"]' 500 \
	    'j["verify"]' false

	# The verify flag in the header asks the receiver to check.
	start_ttcp_r r -1 --io $io --json
	timeout 10 $PEER transmit --port "$PORT" -n 5 -l 100 --corrupt 3,17 \
	    --verify-flag >"$T/p.out" 2>"$T/p.err"
	wait_rc "$RPID"
	expect "$io r flag: exit" "$RC" 1
	jcheck "$io r flag: report" "$T/r.out" 1 \
	    'j["error"]' "verify: message 3 offset 17: got 0x58, expected 0x31" \
	    'j["verify"]' true 'j["bytes"]' 200 'j["msgs"]' 2
	jcheck "$io r flag: peer saw" "$T/p.out" 1 'j["acks"]' 2 \
	    'j["end"]' reset

	# Stream mode: the pattern restarts every length bytes (99 % 16 = 3).
	start_ttcp_r r -1 --io $io
	timeout 10 $PEER transmit --port "$PORT" -n 5 -l 100 --stream \
	    --corrupt 4,99 --verify-flag >"$T/p.out" 2>"$T/p.err"
	wait_rc "$RPID"
	expect "$io r stream: exit" "$RC" 1
	expect "$io r stream: stderr" "$(grep -v '^ttcp-r:' "$T/r.err")" \
	    "ttcp: verify: message 4 offset 99: got 0x58, expected 0x33"
	jcheck "$io r stream: peer saw" "$T/p.out" 1 'j["end"]' reset

	# Reverse: the peer sends a bad message 2; ttcp -t -R --verify
	# refuses it before acknowledging.
	start_peer_r p --corrupt 2,0
	timeout 10 "$TTCP" -t 127.0.0.1 -p "$PORT" -n 4 -l 64 -R --verify \
	    --io $io >"$T/t.out" 2>"$T/t.err"
	expect "$io t reverse: exit" $? 1
	expect "$io t reverse: stderr" "$(cat "$T/t.err")" \
	    "ttcp: verify: message 2 offset 0: got 0x58, expected 0x30"
	wait_rc "$RPID"
	jcheck "$io t reverse: peer saw" "$T/p.out" 1 'j["acks"]' 1 \
	    'j["end"]' reset
done

finish
