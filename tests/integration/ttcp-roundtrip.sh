#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ttcp --roundtrip against peers whose clocks are off by a known amount
# (a muduo-frame peer +250 ms ahead, an --ntp one 1.5 s behind, over UDP
# and TCP): the offset lies within the printed bound, the bound is under
# 1 ms on loopback; lost, duplicated and bad replies are counted exactly;
# and a muduo-frame client is answered by ttcp's server.
. "$SRC/tests/peers/ttcp-lib.bash"

RTPEER="python3 $SRC/tests/peers/roundtrip_peer.py"
RT=()
chrt -f 10 true 2>/dev/null && RT=(chrt -f 10)

# offset_run LABEL WANT_US PEER-ARGS -- TTCP-ARGS: one run, checked.
offset_run() {
	local label=$1 want=$2 peer=() ttcp=()
	shift 2
	while [ "$1" != -- ]; do peer+=("$1"); shift; done
	shift
	ttcp=("$@")
	# The bound is half the least round trip: on a busy machine a woken
	# peer can wait for a CPU for milliseconds, so both ends run at a
	# real-time priority (when allowed), and the least of 60 probes counts.
	# shellcheck disable=SC2086
	start_receiver peer "roundtrip peer" "${RT[@]}" $RTPEER server \
	    --count 60 "${peer[@]}" || return
	timeout 10 "${RT[@]}" "$TTCP" --roundtrip -t 127.0.0.1 -p "$PORT" \
	    -n 60 -i 0.005 --json "${ttcp[@]}" >"$T/c.out" 2>"$T/c.err"
	expect "$label: exit" $? 0
	expect "$label: stderr" "$(cat "$T/c.err")" ""
	wait_rc "$RPID"
	expect "$label: peer exit" "$RC" 0
	jcheck "$label" "$T/c.out" 1 \
	    'j["probes"], j["replies"], j["lost"]' '[60, 60, 0]' \
	    'j["duplicated"], j["reordered"], j["bad"]' '[0, 0, 0]' \
	    "abs(j['offset_us'] - ($want)) <= j['offset_bound_us']" true \
	    'j["offset_bound_us"] < 1000' true \
	    'j["rtt_us"]["min"] <= j["rtt_us"]["p50"] <= j["rtt_us"]["p99"]' \
	    true \
	    'j["offset_bound_us"] == j["rtt_us"]["min"] / 2 + 2 or j["frame"] == "ntp"' \
	    true \
	    '"drift_ppm" in j' true
}

offset_run "udp muduo +250ms" 250000 --offset-us 250000 --
offset_run "udp ntp -1.5s" -1500000 --offset-us -1500000 --ntp -- --ntp
offset_run "tcp muduo +250ms" 250000 --offset-us 250000 --tcp -- --tcp
offset_run "tcp ntp -1.5s" -1500000 --offset-us -1500000 --tcp --ntp -- \
    --tcp --ntp
jcheck "frames" "$T/c.out" 1 'j["transport"], j["frame"]' '["tcp", "ntp"]'

# A misbehaving peer: replies 7 and 14 dropped, 5, 10, 15 and 20 sent
# twice, and before replies 4, 8, 12, 16 and 20 a short datagram and a
# reply to a probe never sent: each counted, none trusted.
start_receiver peer "roundtrip peer" $RTPEER server --count 20 \
    --offset-us 250000 --drop-every 7 --dup-every 5 --junk-every 4
timeout 10 "$TTCP" --roundtrip -t 127.0.0.1 -p "$PORT" -n 20 -i 0.01 \
    >"$T/bad.out" 2>"$T/bad.err"
expect "misbehaving: exit" $? 0
wait_rc "$RPID"
expect "misbehaving: replies" "$(grep -c '^ttcp-t: reply ' "$T/bad.out")" 18
# Line numbers of the output and what each must be.
expect_lines "misbehaving" "$T/bad.out" <<'EOF'
1 ^ttcp-t: reply 1 from 127\.0\.0\.1:[0-9]+: rtt [0-9]+ us offset \+[0-9]+\.[05] us$
19 ^ttcp-t: 20 probes to 127\.0\.0\.1:[0-9]+ in [0-9.]+ s, 18 replies, 2 lost, 4 duplicated, 0 reordered, 10 bad$
20 ^ttcp-t: rtt min [0-9]+ us median [0-9]+ us p99 [0-9]+ us max [0-9]+ us$
21 ^ttcp-t: offset \+[0-9]+\.[05] us \+- [0-9]+\.[05] us \(reply [0-9]+, the least delay\)$
22 ^ttcp-t: drift [-+][0-9]+\.[0-9]{3} ppm over 0\.[0-9]{3} s$
EOF

# --json-stream: a line per reply, then the summary as the end event.
start_receiver peer "roundtrip peer" $RTPEER server --count 3
timeout 10 "$TTCP" --roundtrip -t 127.0.0.1 -p "$PORT" -n 3 -i 0.01 \
    --json-stream >"$T/js.out" 2>&1
expect "json-stream: exit" $? 0
wait_rc "$RPID"
for i in 1 2 3; do
	jcheck "json-stream $i" "$T/js.out" $i 'j["event"], j["seq"]' \
	    "[\"reply\", $i]" 'j["t4"] - j["t1"] == j["rtt_us"]' true
done
jcheck "json-stream end" "$T/js.out" 4 'j["event"], j["replies"]' \
    '["end", 3]'

# The other way: a muduo-frame client against ttcp's servers.
for tr in udp tcp; do
	flag=()
	[ $tr = tcp ] && flag=(--tcp)
	start_ttcp_r srv --roundtrip --json "${flag[@]}"
	# shellcheck disable=SC2086
	timeout 10 $RTPEER client --port "$PORT" --count 10 "${flag[@]}" \
	    >"$T/pc.out" 2>"$T/pc.err"
	expect "$tr server: client exit" $? 0
	jcheck "$tr server: client saw" "$T/pc.out" 1 \
	    'j["sent"], j["echoed"], j["in_window"], j["sizes"]' \
	    '[10, 10, 10, [16]]'
	# A second client at the same time as nothing else; then junk.
	timeout 10 "$TTCP" --roundtrip -t 127.0.0.1 -p "$PORT" -n 4 \
	    -i 0.01 --json "${flag[@]}" >"$T/c2.out" 2>&1
	expect "$tr server: ttcp client exit" $? 0
	jcheck "$tr server: ttcp client" "$T/c2.out" 1 \
	    'j["replies"], j["bad"]' '[4, 0]' \
	    'abs(j["offset_us"]) <= j["offset_bound_us"]' true
	if [ $tr = udp ]; then
		printf 'short' >/dev/udp/127.0.0.1/"$PORT"
		wait_for 5 has_matches "$T/srv.err" 1 'bad probe from'
		expect_match "udp server: the bad datagram" \
		    "$(grep 'bad probe' "$T/srv.err")" \
		    '^ttcp: bad probe from 127\.0\.0\.1:[0-9]+: 5-byte datagram, not a 16- or 32-byte probe$'
	fi
	kill -INT "$RPID"
	wait_rc "$RPID"
	expect "$tr server: exit after SIGINT" "$RC" 130
	bad=0 answered='[4, 10]'
	[ $tr = udp ] && bad=1 answered='[0, 4, 10]'
	jcheck "$tr server: report" "$T/srv.out" 1 \
	    'j["role"], j["transport"], j["clients"]' \
	    "[\"roundtrip-server\", \"$tr\", $((bad + 2))]" \
	    'j["answered"], j["bad"]' "[14, $bad]" \
	    'sorted(p["answered"] for p in j["peers"])' "$answered"
done

# Nobody there: the port is unreachable, exit 3 (refused).
port=$(free_port)
timeout 10 "$TTCP" --roundtrip -t 127.0.0.1 -p "$port" -n 3 -i 0.01 \
    >"$T/none.out" 2>"$T/none.err"
expect "no server: exit" $? 3
expect "no server: error" "$(cat "$T/none.err")" \
    "ttcp: no replies from 127.0.0.1:$port to 3 probes (port unreachable)"

finish
