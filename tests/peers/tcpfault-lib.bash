# SPDX-License-Identifier: BSD-2-Clause
# Helpers for tests/integration/tcpfault-*.sh: run cases with --json, read
# observed facts and the wire with jq, and cross-check every capture's
# FIN/RST sequence with tshark. Sourced, never run; BIN and SRC from CTest.

set -u
: "${BIN:?BIN not set (run through ctest)}"
: "${SRC:?SRC not set (run through ctest)}"
TCPFAULT=$BIN/tcpfault
. "$SRC/tests/lib/testlib.bash"

# expect_true LABEL JQ-CONDITION-ON-A-RUN: the condition must be true.
expect_true() {
	expect "$1" "$(q "$2")" true
}

# Case tests capture lo with libpcap, which needs CAP_NET_RAW.
need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "skip: capturing lo needs root"
		exit 77
	fi
	command -v jq >/dev/null || { echo "skip: jq is not installed"; exit 77; }
}

# run_case CASE...: tcpfault run --json into $T/out.jsonl; RC is its status.
run_case() {
	mkdir -p "$T/pcap"
	timeout 120 "$TCPFAULT" run --json --pcap "$T/pcap" "$@" \
	    >"$T/out.jsonl" 2>"$T/err"
	RC=$?
	if [ ! -s "$T/out.jsonl" ]; then
		fail "tcpfault run $* printed nothing (exit $RC): $(head -3 "$T/err")"
	fi
}

# use VARIANT: later q calls read that run ("-" for a case without variants).
use() {
	if [ "$1" = - ]; then
		jq -c 'select(.variant == null)' "$T/out.jsonl" | head -1 >"$T/cur"
	else
		jq -c --arg v "$1" 'select(.variant == $v)' "$T/out.jsonl" |
		    head -1 >"$T/cur"
	fi
	if [ ! -s "$T/cur" ]; then
		fail "no run for variant $1"
		echo '{}' >"$T/cur"
	fi
	VARIANT=$1
}

# q JQ: the expression on the current run, raw.
q() {
	jq -r "$1" "$T/cur"
}

# Helpers over a side's timeline, for jq: sum of bytes, nth event.
SUM='def sum(side; op; oc): [.observed[side][] | select(.op == op and
    .outcome == oc) | .bytes // 0] | add // 0;
    def ev(side; op): [.observed[side][] | select(.op == op)];'

qs() {
	jq -r "$SUM $1" "$T/cur"
}

# verdict_expected: the run's verdict, with its reason on failure.
verdict_expected() {
	expect "$VARIANT verdict ($(q .reason))" "$(q .verdict)" expected
}

# wire TEARDOWN CLOSED_BY: finrst's class and who closed, from the run.
wire() {
	expect "$VARIANT wire teardown" "$(q .wire.teardown)" "$1"
	expect "$VARIANT wire closed by" "$(q .wire_closed_by)" "$2"
}

# tshark_flags: the FIN/RST sequence in the run's pcap as tshark sees it,
# "client:F server:F", sides by the client's port, repeats collapsed.
tshark_flags() {
	local pcap cport
	pcap=$(q .pcap)
	cport=$(q .facts.client.local_port)
	tshark -r "$pcap" -Y 'tcp.flags.fin==1 || tcp.flags.reset==1' \
	    -T fields -e tcp.srcport -e tcp.flags.fin -e tcp.flags.reset \
	    2>/dev/null | awk -v c="$cport" '
	{
		who = ($1 == c) ? "client" : "server"
		f = ($2 == "1" || $2 == "True") ? "F" : "R"
		item = who ":" f
		if (item != last) { out = out (out ? " " : "") item }
		last = item
	}
	END { print out }'
}

# tshark_agrees SEQUENCE: an independent tool sees the same teardown.
# SEQUENCE is an extended regular expression matched against the whole
# of tshark_flags (a plain "client:R" matches only itself).
tshark_agrees() {
	local got
	if ! command -v tshark >/dev/null; then
		echo "note: tshark not installed; FIN/RST order not cross-checked"
		return
	fi
	got=$(tshark_flags)
	CHECKS=$((CHECKS + 1))
	if ! [[ $got =~ ^($1)$ ]]; then
		fail "$VARIANT tshark FIN/RST: got '$got', expected '$1'"
	fi
}

# check_json NAME MODE ARGS...: tcpfault check-client|check-server --json
# into $T/NAME.jsonl (stderr in $T/NAME.err); RC is its exit status.
check_json() {
	local name=$1 mode=$2
	shift 2
	timeout 60 "$TCPFAULT" "$mode" --json "$@" >"$T/$name.jsonl" \
	    2>"$T/$name.err"
	RC=$?
}

# row NAME CASE JQ: the expression on that case's row of $T/NAME.jsonl.
row() {
	jq -r --arg c "$2" "select(.case == \$c) | $3" "$T/$1.jsonl"
}
