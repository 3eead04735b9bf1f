#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Ctrl-C in the middle of a run: every side reaped, no process and no
# network namespace left behind, exit 130 (SIGINT) or 143 (SIGTERM).
. "$SRC/tests/peers/tcpfault-lib.bash"
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: the nft vanish in a private namespace needs root"
	exit 77
fi
command -v setsid >/dev/null || { echo "skip: no setsid"; exit 77; }

# ns_alive INODE: 1 while a process still lives in that namespace.
ns_alive() {
	lsns -t net -n -o NS 2>/dev/null | grep -qx " *$1" && echo 1 || echo 0
}

# run_ns PID: the network namespace of tcpfault's runner (its first child).
run_ns() {
	local r
	r=$(pgrep -P "$1" | head -1)
	readlink "/proc/$r/ns/net" 2>/dev/null | tr -dc 0-9
}

# group_gone PGID: no process is left in the group (for wait_for).
group_gone() {
	[ "$(pgrep -g "$1" | wc -l)" -eq 0 ]
}

# ns_gone INODE: no process lives in that namespace (for wait_for).
ns_gone() {
	[ "$(ns_alive "$1")" -eq 0 ]
}

# sides_up PID: tcpfault's runner and the runner's two sides exist.
sides_up() {
	[ "$(pgrep -P "$1" | wc -l)" -ge 1 ] &&
	    [ "$(pgrep -P "$(pgrep -P "$1" | head -1)" | wc -l)" -ge 2 ]
}

# interrupt LABEL SIGNAL ARGS...: start a run in its own process group,
# wait until its sides exist, signal the group as a terminal would.
interrupt() {
	local label=$1 sig=$2 pid n i ns
	shift 2
	setsid "$TCPFAULT" run "$@" >"$T/out" 2>"$T/err" &
	pid=$!
	n=0
	for i in $(seq 500); do
		n=$(pgrep -g "$pid" | wc -l)
		[ "$n" -ge 4 ] && break
		sleep 0.01
	done
	expect "$label: main, runner and both sides running" "$((n >= 4))" 1
	ns=$(run_ns "$pid")
	expect "$label: the run has its own namespace" \
	    "$([ -n "$ns" ] && [ "$ns" != "$(readlink /proc/self/ns/net | tr -dc 0-9)" ] && echo yes)" yes
	kill -"$sig" -- -"$pid"
	wait_for 5 has_exited "$pid"
	wait "$pid"
	expect "$label: exit" "$?" 130
	# A process killed with the group may take a moment to be reaped.
	wait_for 2 group_gone "$pid"
	expect "$label: processes left" "$(pgrep -g "$pid" | wc -l)" 0
	[ "$(pgrep -g "$pid" | wc -l)" -eq 0 ] ||
	    ps -o pid,ppid,stat,etime,cmd -g "$pid" >&2
	expect "$label: message" "$(grep -c 'interrupted; every side was reaped' "$T/err")" 1
	expect "$label: its namespace is gone" "$(ns_alive "$ns")" 0
}

# Ctrl-C reaches the whole foreground group.
interrupt "SIGINT to the group" INT --vanish nft S1/keepalive
# A SIGTERM to tcpfault alone is passed on to the runner.
"$TCPFAULT" run --vanish nft S1/keepalive >"$T/out" 2>"$T/err" &
pid=$!
wait_for 5 sides_up "$pid"
runner=$(pgrep -P "$pid" | head -1)
ns=$(run_ns "$pid")
kill -TERM "$pid"
wait "$pid"
expect "SIGTERM to tcpfault: exit" "$?" 143
expect "SIGTERM: runner gone" "$(kill -0 "$runner" 2>/dev/null && echo alive || echo gone)" gone
wait_for 2 ns_gone "$ns"
expect "SIGTERM: its namespace is gone" "$(ns_alive "$ns")" 0
finish
