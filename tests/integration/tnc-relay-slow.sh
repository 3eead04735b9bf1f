#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A fast sender and a slow reader (small reads, pauses) through the relay:
# every byte arrives (SHA-256 at both ends), the relay stops reading the
# sender when the reader's queue is full (-vv reports the pauses), and its
# memory stays bounded: peak RSS (VmHWM) under 64 MB while 1 GiB passes.
# The epoll engines move 1 GiB; a small --buffer and the threads engines
# 256 MiB. TNC_SLOW_BYTES overrides the 1 GiB (sanitizer: 256 MiB).
. "$SRC/tests/peers/tnc-lib.bash"

bulk_bytes TNC_SLOW_BYTES
LIMIT_KB=$((64 * 1024))
SMALL=$((256 << 20))
[ "$SMALL" -gt "$N" ] && SMALL=$N
echo "bytes: $N and $SMALL"
declare -A WANT
WANT[$N]=$(gen "$N" 5 | sha)
WANT[$SMALL]=$(gen "$SMALL" 5 | sha)

# slow LABEL BYTES PAUSES(yes|no) RELAY-OPTIONS...
# With PAUSES=yes the reader reads nothing until the relay has said (-vv)
# that it stopped reading the sender: the backpressure is then certain,
# whatever the machine's load, not a race between sender and reader.
slow() {
	local label=$1 n=$2 pauses=$3 go=()
	shift 3
	rm -f "$T/go"
	[ "$pauses" = yes ] && go=(--go "$T/go")
	# 16 KiB reads, a 1 ms pause every 16 of them: at most 256 MB/s,
	# in practice less (python's per-call cost), below the sender.
	start_listening up - $PEER slowread --chunk 16384 --every 16 \
	    --pause 0.001 --rcvbuf 65536 "${go[@]}"
	up=$LAST_PID
	start_listening relay - "$TNC" -l -k -vv "$@" \
	    --relay "127.0.0.1:$PORT" 127.0.0.1 0
	relay=$LAST_PID
	(
		gen "$n" 5 | timeout 600 "$TNC" 127.0.0.1 "$PORT" >/dev/null \
		    2>"$T/c.err"
		echo "${PIPESTATUS[1]}" >"$T/c.rc"
	) 3>&- &
	sender=$!
	if [ "$pauses" = yes ]; then
		wait_line "$T/relay.err" \
		    "#1 backpressure: upstream's queue is full, reading the client paused" ||
		    fail "$label: no backpressure event: $(cat "$T/relay.err")"
		touch "$T/go"
	fi
	wait "$sender"
	expect "$label: client exit" "$(cat "$T/c.rc")" 0
	wait_rc "$up" 600
	expect "$label: reader exit" "$RC" 0
	expect "$label: bytes read" "$(jfield "$T/up.out" bytes)" "$n"
	expect "$label: sha256" "$(jfield "$T/up.out" sha256)" "${WANT[$n]}"
	wait_line "$T/relay.err" '#1 closed'
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$relay/status")
	echo "$label: relay peak RSS ${hwm} kB for $n bytes"
	CHECKS=$((CHECKS + 1))
	if [ -z "$hwm" ] || [ "$hwm" -ge "$LIMIT_KB" ]; then
		fail "$label: relay peak RSS ${hwm:-?} kB, limit $LIMIT_KB kB"
	fi
	expect_log "$label: relay closed" "$T/relay.err" \
	    "#1 closed \(ok\): $n bytes client->upstream, 0 bytes upstream->client"
	if [ "$pauses" = yes ]; then
		expect_log "$label: reading the client paused" "$T/relay.err" \
		    "#1 backpressure: reading paused [1-9][0-9]* times on the client, 0 times on upstream"
	fi
	kill "$relay"
	wait_rc "$relay"
}

slow "epoll copy" "$N" yes
slow "splice" "$N" yes --splice
slow "epoll copy, --buffer 16k" "$SMALL" yes --buffer 16k
slow "threads" "$SMALL" no --io threads
slow "threads splice" "$SMALL" no --io threads --splice

finish
