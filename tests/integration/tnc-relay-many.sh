#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# 200 connections open at once through one relay, each sending its own
# 100000+i bytes and half-closing, an echo server returning them after the
# client's FIN: every connection's echo is checked byte for byte, and the
# relay's --stats totals are exact. Every engine.
. "$SRC/tests/peers/tnc-lib.bash"

CONNS=200
BYTES=100000
# Each way: sum over i of (BYTES + i).
TOTAL=$((CONNS * BYTES + CONNS * (CONNS - 1) / 2))

for mode in "${RELAY_MODES[@]}"; do
	label="$(relay_label "$mode")"
	start_listening echo - $PEER echo --conns "$CONNS"
	echo=$LAST_PID
	start_listening relay - "$TNC" -l -k -v --stats $mode \
	    --relay "127.0.0.1:$PORT" 127.0.0.1 0
	relay=$LAST_PID
	timeout 120 $PEER many --port "$PORT" --conns "$CONNS" \
	    --bytes "$BYTES" >"$T/many.out" 2>"$T/many.err"
	expect "$label: clients exit" $? 0
	expect "$label: connections checked" "$(jfield "$T/many.out" ok)" \
	    "$CONNS"
	expect "$label: bad connections" "$(jfield "$T/many.out" bad)" "{}"
	wait_rc "$echo" 60
	expect "$label: echo server exit" "$RC" 0
	expect "$label: echo served" "$(cat "$T/echo.out")" \
	    "{\"served\": $CONNS}"
	wait_line "$T/relay.err" "#$CONNS closed"
	# Until every pair has closed (they end in any order).
	wait_for 10 has_matches "$T/relay.err" "$CONNS" "closed (ok)"
	expect "$label: pairs closed cleanly" \
	    "$(grep -c '#[0-9]* closed (ok)' "$T/relay.err")" "$CONNS"
	kill -TERM "$relay"
	wait_rc "$relay"
	expect "$label: relay exit (SIGTERM)" "$RC" 143
	expect_plain_err "$label: relay totals" "$T/relay.err" \
	    "tnc: relay: $CONNS connections, $TOTAL bytes client->upstream, $TOTAL bytes upstream->client; resets: 0 by clients, 0 by upstream; 0 refused, 0 deadlines, 0 other errors"
done

finish
