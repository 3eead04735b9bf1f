#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Timed runs (--time), rate units (-f), the last partial interval,
# --json-stream and the per-stream lines of -P, in both I/O models.
. "$SRC/tests/peers/ttcp-lib.bash"

for io in blocking epoll; do
	# A timed stream: whole messages, the intervals add up to the total
	# (the last, partial one included), the receiver got every byte.
	start_ttcp_r r -1 --json --io $io || continue
	timeout 20 "$TTCP" -t 127.0.0.1 -p "$PORT" --stream -l 64k \
	    --time 0.5 -i 0.15 --json --io $io >"$T/t.out" 2>"$T/t.err"
	expect "$io timed stream: exit" $? 0
	wait_rc "$RPID"
	expect "$io timed stream: receiver exit" "$RC" 0
	sent=$(jget "$T/t.out" 'j["bytes"]')
	jcheck "$io timed stream: transmitter" "$T/t.out" 1 \
	    '"error" in j, j["time_s"], j["mode"]' '[false, 0.5, "stream"]' \
	    'j["bytes"] > 0 and j["bytes"] % 65536 == 0' true \
	    'sum(i["bytes"] for i in j["intervals"]) == j["bytes"]' true \
	    'abs(j["bits_per_second"] / j["mib_per_s"] / 8388608 - 1) < 1e-9' \
	    true
	jcheck "$io timed stream: receiver" "$T/r.out" 1 \
	    '"error" in j, j["bytes"]' "[false, $sent]"

	# Timed ack mode, reversed, as JSON lines: one per interval, then the
	# end; together they hold every message.
	start_ttcp_r r -1 --json --io $io
	timeout 20 "$TTCP" -t 127.0.0.1 -p "$PORT" -R -l 100 --time 0.3 \
	    -i 0.1 --json-stream --io $io >"$T/js.out" 2>"$T/js.err"
	expect "$io json-stream: exit" $? 0
	wait_rc "$RPID"
	expect "$io json-stream: receiver exit" "$RC" 0
	python3 - "$T/js.out" "$T/r.out" >"$T/js.chk" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
recv = json.loads(open(sys.argv[2]).read())
end = lines[-1]
print(all(l["event"] == "interval" for l in lines[:-1]) and
      len(lines) >= 3 and end["event"] == "end" and
      sum(l["msgs"] for l in lines[:-1]) == end["msgs"] ==
      recv["msgs"] and end["bytes"] == 100 * end["msgs"] and
      "error" not in end and "error" not in recv)
PY
	expect "$io json-stream: intervals and end" "$(cat "$T/js.chk")" True
	expect "$io json-stream: stderr" "$(cat "$T/js.err")" ""

	# -P 4 as text, in Mbit/s: a line per stream, then their sum.
	start_ttcp_r r -1 --io $io -f K
	timeout 20 "$TTCP" -t 127.0.0.1 -p "$PORT" -P 4 -n 50 -l 1000 \
	    -f m --io $io >"$T/p.out" 2>&1
	expect "$io -P 4: exit" $? 0
	wait_rc "$RPID"
	for f in p r; do
		expect "$io -P 4 $f: stream lines" \
		    "$(grep -cE '^ttcp-[tr]: stream [1-4] 127\.0\.0\.1:[0-9]+: 50000 bytes in [0-9.]+ real seconds = [0-9.]+ (Mbit|KiB)/sec$' \
		    "$T/$f.out")" 4
		expect_match "$io -P 4 $f: sum" "$(sed -n 5p "$T/$f.out")" \
		    '^ttcp-[tr]: 200000 bytes in [0-9.]+ real seconds = [0-9.]+ (Mbit|KiB)/sec \+\+\+$'
	done
	expect_match "$io -P 4: -f m" "$(sed -n 5p "$T/p.out")" '.* Mbit/sec .*'
	expect_match "$io -P 4: -f K" "$(sed -n 5p "$T/r.out")" '.* KiB/sec .*'
done

finish
