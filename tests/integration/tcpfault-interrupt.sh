#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Ctrl-C in the middle of a run: every side reaped, no process and no
# network namespace left behind, exit 130.
. "$SRC/tests/peers/tcpfault-lib.bash"
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: the nft vanish in a private namespace needs root"
	exit 77
fi
command -v setsid >/dev/null || { echo "skip: no setsid"; exit 77; }

netns_count() {
	lsns -t net -n 2>/dev/null | wc -l
}

# interrupt LABEL SIGNAL ARGS...: start a run in its own process group,
# wait until its sides exist, signal the group as a terminal would.
interrupt() {
	local label=$1 sig=$2 pid n i before
	shift 2
	before=$(netns_count)
	setsid "$TCPFAULT" run "$@" >"$T/out" 2>"$T/err" &
	pid=$!
	n=0
	for i in $(seq 500); do
		n=$(pgrep -g "$pid" | wc -l)
		[ "$n" -ge 4 ] && break
		sleep 0.01
	done
	expect "$label: main, runner and both sides running" "$((n >= 4))" 1
	kill -"$sig" -- -"$pid"
	for i in $(seq 500); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	wait "$pid"
	expect "$label: exit" "$?" 130
	expect "$label: processes left" "$(pgrep -g "$pid" | wc -l)" 0
	expect "$label: message" "$(grep -c 'interrupted; every side was reaped' "$T/err")" 1
	expect "$label: namespaces left" "$(netns_count)" "$before"
}

# Ctrl-C reaches the whole foreground group.
interrupt "SIGINT to the group" INT --vanish nft S1/keepalive
# A SIGTERM to tcpfault alone is passed on to the runner.
before=$(netns_count)
"$TCPFAULT" run --vanish nft S1/keepalive >"$T/out" 2>"$T/err" &
pid=$!
for i in $(seq 500); do
	[ "$(pgrep -P "$pid" | wc -l)" -ge 1 ] &&
	    [ "$(pgrep -P "$(pgrep -P "$pid" | head -1)" | wc -l)" -ge 2 ] && break
	sleep 0.01
done
runner=$(pgrep -P "$pid" | head -1)
kill -TERM "$pid"
wait "$pid"
expect "SIGTERM to tcpfault: exit" "$?" 130
expect "SIGTERM: runner gone" "$(kill -0 "$runner" 2>/dev/null && echo alive || echo gone)" gone
expect "SIGTERM: namespaces left" "$(netns_count)" "$before"
finish
