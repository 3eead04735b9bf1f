#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# 1 GiB each way at once through the relay, every engine, SHA-256 of what
# each end sent and of what the other end received, and the half-closes
# passed on after the last byte. TNC_TEST_BYTES overrides the size; a
# sanitizer build runs 256 MiB (ASan makes the copy loop ~10x slower).
. "$SRC/tests/peers/tnc-lib.bash"

bulk_bytes TNC_TEST_BYTES
echo "bytes each way: $N"

# What each end sends, hashed once up front (the generator is
# deterministic: the same bytes come out again for the transfer).
gen "$N" 1 | sha >"$T/want.up" &
h1=$!
gen "$N" 2 | sha >"$T/want.down" &
h2=$!
wait "$h1" "$h2"
expect "two different streams" \
    "$([ "$(cat "$T/want.up")" != "$(cat "$T/want.down")" ] && echo yes)" yes

for mode in "${RELAY_MODES[@]}"; do
	label="$(relay_label "$mode")"
	: >"$T/up.err"
	(gen "$N" 2 | "$TNC" -l -v 127.0.0.1 0 2>"$T/up.err" |
	    sha >"$T/got.up") &
	upjob=$!
	PIDS+=("$upjob")
	if ! port_of "$T/up.err"; then
		fail "$label: upstream did not start"
		continue
	fi
	start_relay $mode --stats
	gen "$N" 1 | timeout 300 "$TNC" 127.0.0.1 "$PORT" 2>"$T/c.err" |
	    sha >"$T/got.down"
	st=("${PIPESTATUS[@]}")
	expect "$label: client exit" "${st[1]}" 0
	expect "$label: client stderr" "$(cat "$T/c.err")" ""
	wait_rc "$relay" 60
	expect "$label: relay exit" "$RC" 0
	wait_rc "$upjob" 60
	expect "$label: upstream exit" "$RC" 0
	expect "$label: client->upstream sha256" "$(cat "$T/got.up")" \
	    "$(cat "$T/want.up")"
	expect "$label: upstream->client sha256" "$(cat "$T/got.down")" \
	    "$(cat "$T/want.down")"
	expect_log "$label: relay closed" "$T/relay.err" \
	    "#1 closed \(ok\): $N bytes client->upstream, $N bytes upstream->client"
	expect_plain_err "$label: relay stats" "$T/relay.err" \
	    "tnc: relay: 1 connections, $N bytes client->upstream, $N bytes upstream->client; resets: 0 by clients, 0 by upstream; 0 refused, 0 deadlines, 0 other errors"
	expect_log "$label: upstream saw the FIN after every byte" "$T/up.err" \
	    "peer EOF after $N bytes received"
done

finish
