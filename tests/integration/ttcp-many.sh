#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# One receiver serves many transmitters at once: while a session is held
# open (a connection that sent its header and waits), eight others (one a -P 2
# group) come and go, each byte-exact and reported with its peer; SIGINT
# then ends the held one and the receiver.
. "$SRC/tests/peers/ttcp-lib.bash"

for io in blocking epoll; do
	start_ttcp_r many --io $io --json --verify || continue
	# The held one: a header for one 10-byte message that never comes,
	# from a connection this shell keeps open.
	exec {held}<>/dev/tcp/127.0.0.1/"$PORT"
	printf '\0\0\0\1\0\0\0\12' >&"$held"
	wait_line "$T/many.err" 'ttcp-r: session ' >/dev/null
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		args=(--stream -n $((100 * i)) -l 1000)
		[ $i = 8 ] && args=(-P 2 -n 50 -l 999 --io epoll)
		timeout 20 "$TTCP" -t 127.0.0.1 -p "$PORT" --io $io \
		    "${args[@]}" --json >"$T/c$i.out" 2>"$T/c$i.err" &
		pids+=($!)
	done
	for i in 1 2 3 4 5 6 7 8; do
		wait_rc "${pids[$((i - 1))]}"
		expect "$io client $i: exit" "$RC" 0
		want=$((100 * i * 1000))
		[ $i = 8 ] && want=$((2 * 50 * 999))
		jcheck "$io client $i" "$T/c$i.out" 1 \
		    '"error" in j, j["bytes"]' "[false, $want]"
	done
	# All eight were served while the held session waited.
	wait_for 5 has_lines "$T/many.out" 8
	kill -INT "$RPID"
	wait_rc "$RPID"
	expect "$io receiver: exit" "$RC" 130
	exec {held}>&-
	python3 - "$T/many.out" >"$T/chk" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
print(len(rs), rs[-1].get("error"), rs[-1]["bytes"],
      sorted(r["bytes"] for r in rs[:-1]),
      all("error" not in r and r["verify"] for r in rs[:-1]),
      len({r["peer"] for r in rs}),
      [r["connections"] for r in rs if r["connections"] > 1])
PY
	expect "$io receiver reports" "$(cat "$T/chk")" \
	    "9 interrupted by a signal 0 [99900, 100000, 200000, 300000, 400000, 500000, 600000, 700000] True 9 [2]"
done

finish
