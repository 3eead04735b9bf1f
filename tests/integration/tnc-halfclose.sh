#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Half-close with a late reply: the client sends its request and hits
# stdin EOF (FIN); the server reads to that EOF, waits 2 s, then sends
# 100000 bytes and its FIN. tnc must deliver the whole reply and exit 0,
# directly and through every relay engine (where socat's 0.5 s default
# and ncat's relay lose it).
. "$SRC/tests/peers/tnc-lib.bash"

REQ=$'GET /index.html\r\n\r\n'

# check LABEL CLIENT-PORT: one request/late-reply exchange via PORT.
exchange() {
	local label=$1 port=$2
	printf '%s' "$REQ" | timeout 20 "$TNC" -v 127.0.0.1 "$port" \
	    >"$T/c.out" 2>"$T/c.err"
	expect "$label: client exit" $? 0
	expect_plain_err "$label: client stderr" "$T/c.err" ""
	expect_log "$label: FIN after the request" "$T/c.err" \
	    'stdin EOF -> FIN sent after 19 bytes'
	expect_log "$label: peer EOF after the reply" "$T/c.err" \
	    'peer EOF after 100000 bytes received'
	expect "$label: reply bytes" "$(wc -c <"$T/c.out")" 100000
	wait_rc "$SERVER" 20
	expect "$label: server exit" "$RC" 0
	expect "$label: reply sha256" "$(sha <"$T/c.out")" \
	    "$(jfield "$T/srv.out" reply_sha256)"
	expect "$label: request" "$(jfield_json "$T/srv.out" request)" \
	    "$(json_str "$REQ")"
	expect "$label: request ended by" "$(jfield "$T/srv.out" request_end)" \
	    eof
	expect "$label: server saw our EOF" "$(jfield "$T/srv.out" end)" eof
	expect "$label: nothing after the FIN" \
	    "$(jfield "$T/srv.out" after_fin)" 0
}

start_listening srv - $PEER delayed --delay 2 --reply-bytes 100000
SERVER=$LAST_PID
exchange direct "$PORT"

for mode in "${RELAY_MODES[@]}"; do
	label="relay $(relay_label "$mode")"
	start_listening srv - $PEER delayed --delay 2 --reply-bytes 100000
	SERVER=$LAST_PID
	start_relay $mode
	exchange "$label" "$PORT"
	wait_rc "$relay"
	expect "$label: relay exit" "$RC" 0
	expect_log "$label: relay passed the client's FIN" "$T/relay.err" \
	    '#1 client EOF -> FIN to upstream after 19 bytes'
	expect_log "$label: relay passed the server's FIN" "$T/relay.err" \
	    '#1 upstream EOF -> FIN to client after 100000 bytes'
	expect_log "$label: relay closed" "$T/relay.err" \
	    '#1 closed \(ok\): 19 bytes client->upstream, 100000 bytes upstream->client'
done

finish
