#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ttcp against itself on loopback: both I/O models on each side, both
# directions, ack and stream mode, -P 4, with exact JSON counts.
. "$SRC/tests/peers/ttcp-lib.bash"

N=200
L=1000		# not a multiple of 16: the pattern phase moves

# run_pair RIO TIO ARGS...: one session; checks both JSON reports.
run_pair() {
	local rio=$1 tio=$2
	shift 2
	local label="r=$rio t=$tio $*" p=1 stream=false reverse=false
	local mode=ack
	local a
	for a in "$@"; do
		case $a in
		--stream) stream=true; mode=stream ;;
		-R) reverse=true ;;
		esac
	done
	[ "${1:-}" = "-P" ] && p=$2
	start_ttcp_r r -1 --json --io "$rio" || return
	timeout 20 "$TTCP" -t 127.0.0.1 -p "$PORT" -l $L -n $N --json \
	    --io "$tio" "$@" >"$T/t.out" 2>"$T/t.err"
	expect "$label: transmitter exit" $? 0
	wait_rc "$RPID"
	expect "$label: receiver exit" "$RC" 0
	expect "$label: transmitter stderr" "$(cat "$T/t.err")" ""

	local tx=t rx=r
	$reverse && { tx=r; rx=t; }
	for side in $tx $rx; do
		local want_role=transmit rtt streams='[]'
		[ $side = $rx ] && want_role=receive
		rtt='0 < j["rtt_us"]["p50"] <= j["rtt_us"]["p99"] <= j["rtt_us"]["max"]'
		[ $mode = stream ] && rtt='"rtt_us" not in j'
		[ "$p" -gt 1 ] && streams=$(python3 -c "print([$N * $L] * $p)")
		jcheck "$label: $side" "$T/$side.out" 1 \
		    'j["role"]' $want_role \
		    'j["bytes"]' $((p * N * L)) \
		    'j["msgs"]' $((p * N)) \
		    'j["mode"]' $mode \
		    'j["reverse"]' $reverse \
		    'j["connections"]' $p \
		    'j["msg_len"]' $L \
		    'j["number"]' $N \
		    '"error" in j' false \
		    'j["seconds"] > 0 and j["mib_per_s"] > 0 and j["msgs_per_s"] > 0' true \
		    'j["retransmits"] >= 0' true \
		    "$rtt" true \
		    '[s["bytes"] for s in j.get("streams", [])]' "$streams"
	done
	jcheck "$label: r" "$T/r.out" 1 'j["io"]' "$rio"
	jcheck "$label: t" "$T/t.out" 1 'j["io"]' "$tio"
}

for rio in blocking epoll; do
	for tio in blocking epoll; do
		run_pair $rio $tio
		run_pair $rio $tio --stream
		run_pair $rio $tio -R
		run_pair $rio $tio --stream -R
		run_pair $rio $tio -P 4
		run_pair $rio $tio -P 4 --stream -R --verify
	done
done

# The text summary: the classic line with the exact byte count.
for io in blocking epoll; do
	start_ttcp_r txt -1 --io $io
	timeout 20 "$TTCP" -t 127.0.0.1 -p "$PORT" -l 1024 -n 100 --io $io \
	    >"$T/t.txt" 2>&1
	expect "text $io: exit" $? 0
	wait_rc "$RPID"
	expect "text $io: receiver exit" "$RC" 0
	expect_lines "text $io: transmitter" "$T/t.txt" <<'EOF'
1 ttcp-t: 102400 bytes in [0-9]+\.[0-9]{3} real seconds = [0-9.]+ MiB/sec \+\+\+
2 ttcp-t: 100 messages, [0-9.]+ msgs/sec, rtt p50 [0-9.]+ us p99 [0-9.]+ us max [0-9.]+ us, [0-9]+ retransmits
EOF
	expect_lines "text $io: receiver" "$T/txt.out" <<'EOF'
1 ttcp-r: 102400 bytes in [0-9]+\.[0-9]{3} real seconds = [0-9.]+ MiB/sec \+\+\+
EOF
	expect "text $io: lines" "$(wc -l <"$T/t.txt")" 2
done

# A large stream, checked byte for byte on arrival (--verify) in each
# model: 64 MiB in 128 KiB writes, nothing lost, nothing extra.
for io in blocking epoll; do
	start_ttcp_r big -1 --json --io $io --verify
	timeout 60 "$TTCP" -t 127.0.0.1 -p "$PORT" --stream -l 128k -n 512 \
	    --io $io --json >"$T/big-t.out" 2>"$T/big-t.err"
	expect "big $io: exit" $? 0
	wait_rc "$RPID"
	expect "big $io: receiver exit" "$RC" 0
	jcheck "big $io" "$T/big.out" 1 'j["bytes"]' 67108864 \
	    'j["verify"]' true '"error" in j' false
done

# muduo's documented command lines, unchanged: its long options.
port=$(free_port)
"$TTCP" --recv --port "$port" >"$T/muduo-r.out" 2>"$T/muduo-r.err" &
RPID=$!
PIDS+=("$RPID")
wait_for 5 is_listening tcp "$port"
timeout 20 "$TTCP" --trans 127.0.0.1 --port "$port" --length 1024 \
    --number 1000 --nodelay >"$T/muduo-t.out" 2>&1
expect "muduo options: exit" $? 0
wait_for 5 has_lines "$T/muduo-r.out" 2
kill -TERM "$RPID"
wait_rc "$RPID"
expect "muduo options: receiver exit" "$RC" 143
expect_match "muduo options: transmitter" "$(head -n1 "$T/muduo-t.out")" \
    '^ttcp-t: 1024000 bytes in [0-9.]+ real seconds = [0-9.]+ MiB/sec \+\+\+$'
expect_match "muduo options: receiver" "$(head -n1 "$T/muduo-r.out")" \
    '^ttcp-r: 1024000 bytes in [0-9.]+ real seconds = [0-9.]+ MiB/sec \+\+\+$'

# Interval reports land in the JSON object.
start_ttcp_r iv -1 --json -i 0.05
timeout 20 "$TTCP" -t 127.0.0.1 -p "$PORT" -l 1024 -n 2000 --json \
    -i 0.05 >"$T/iv-t.out" 2>&1
expect "intervals: exit" $? 0
wait_rc "$RPID"
expect "intervals: receiver exit" "$RC" 0
jcheck intervals "$T/iv-t.out" 1 \
    'type(j["intervals"]).__name__' list \
    'all(set(i) == {"start", "end", "bytes", "msgs", "mib_per_s", "bits_per_second", "msgs_per_s"} for i in j["intervals"])' true

finish
