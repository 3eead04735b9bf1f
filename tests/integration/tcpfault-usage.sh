#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Bad input: exact exit codes and the one-line messages on stderr; list and
# explain; a run without capture permission goes on without the wire.
. "$SRC/tests/peers/tcpfault-lib.bash"

# usage_case LABEL WANT_RC STDERR_REGEX ARGS...
usage_case() {
	local label=$1 want=$2 re=$3
	shift 3
	timeout 10 "$TCPFAULT" "$@" >"$T/out" 2>"$T/err"
	expect "$label: exit" "$?" "$want"
	if ! grep -qE "$re" "$T/err"; then
		fail "$label: stderr lacks /$re/: $(head -3 "$T/err")"
	fi
	CHECKS=$((CHECKS + 1))
}

usage_case "no command" 2 '^usage: tcpfault list'
usage_case "unknown command" 2 "unknown command 'frob'" frob
usage_case "unknown case" 2 "^tcpfault: unknown case 'S9'" run S9
usage_case "unknown case lists" 2 '^valid cases: S1 S2 S3 S4 S5 C1 C2 C3 newbie-close self-connect nagle echo-deadlock sockbuf shut-rd keepalive-race$' run S9
usage_case "unknown variant" 2 "unknown variant 'foo' of S3 \(valid: no-unread,unread\)" run S3/foo
usage_case "explain unknown" 2 "unknown case or symptom 'X1'" explain X1
usage_case "nothing to run" 2 'name the cases or use --all' run
usage_case "all and cases" 2 'exclude each other' run --all S2
usage_case "repeat 0" 2 '^tcpfault: --repeat: too small: 0$' run --repeat 0 S2
usage_case "repeat junk" 2 '^tcpfault: --repeat' run --repeat 3x S2
usage_case "bad vanish method" 2 "unknown method 'cable'" run --vanish cable S1
usage_case "unknown behaviour" 2 "unknown client behaviour 'dance'" client dance --connect 127.0.0.1:9
usage_case "behaviours listed" 2 '^  exit-unread ' client dance --connect 127.0.0.1:9
usage_case "server behaviours" 2 "^  close-unread " server dance --listen 0
usage_case "missing --connect" 2 'client: --connect is required' client close
usage_case "bad --bytes" 2 '^tcpfault: --bytes' client close --connect 127.0.0.1:9 --bytes lots
usage_case "unknown fault" 2 "unknown fault 'explode=1'" proxy --listen 0 --target 127.0.0.1:9 --fault explode=1
usage_case "faults listed" 2 '^  vanish-after=BYTES ' proxy --listen 0 --target 127.0.0.1:9 --fault explode=1
usage_case "proxy needs a target" 2 'required' proxy --listen 0 --fault delay=5
closed=$(free_port)
usage_case "client refused (exit 3, as in every tool)" 3 "connect to 127.0.0.1 port $closed: Connection refused" \
    client close --connect "127.0.0.1:$closed"

# list and explain
timeout 10 "$TCPFAULT" list >"$T/list"
expect "list: exit" "$?" 0
expect "list: cases" "$(awk 'NR > 1 && NF { print $1 }' "$T/list" | sed '/^vanish$/d' | tr '\n' ' ')" \
    "S1 S2 S3 S4 S5 C1 C2 C3 newbie-close self-connect nagle echo-deadlock sockbuf shut-rd keepalive-race "
expect "list: S1 variants" "$(awk '$1 == "S1" { print $2 }' "$T/list")" "idle,keepalive,user-timeout"
expect "list: vanish methods" "$(grep -c '^vanish methods on this machine: filter (' "$T/list")" 1
timeout 10 "$TCPFAULT" explain c3 >"$T/explain"
expect "explain: exit" "$?" 0
expect "explain: title" "$(head -1 "$T/explain")" \
    "C3: the server closes with unread data in its receive buffer"
for section in "Expected on Linux:" "Why:" "How to avoid the damage:"; do
	expect "explain: $section" "$(grep -c "^$section" "$T/explain")" 1
done

# Without capture permission the run goes on, says why once, and the
# verdict says the wire was not checked.
if [ "$(id -u)" -eq 0 ]; then
	DROP=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
	DROP=()
fi
command -v jq >/dev/null || { echo "skip rest: jq is not installed"; finish; }
(cd / && timeout 30 "${DROP[@]}" "$TCPFAULT" run --json S2 C1) \
    >"$T/nocap.jsonl" 2>"$T/nocap.err"
rc=$?
if grep -q '"capture":"ok"' "$T/nocap.jsonl"; then
	echo "note: this user may capture; permission case not exercised"
else
	expect "no capture: exit" "$rc" 0
	expect "no capture: said once" "$(grep -c 'capture skipped' "$T/nocap.err")" 1
	expect "no capture: verdicts" "$(jq -r .verdict "$T/nocap.jsonl" | tr '\n' ' ')" "expected expected "
	expect "no capture: wire" "$(jq -r .wire "$T/nocap.jsonl" | sort -u)" null
	expect "no capture: reason" "$(jq -r '.reason | test("^capture skipped \\(.*\\): wire not checked$")' "$T/nocap.jsonl" | sort -u)" true
	expect "no capture: S2 still judged" "$(jq -r 'select(.case == "S2") | [.observed.server[] | select(.op == "recv")][-1].outcome' "$T/nocap.jsonl")" eof
fi
# --no-capture does the same on purpose.
timeout 30 "$TCPFAULT" run --json --no-capture C1 >"$T/nc.jsonl" 2>"$T/nc.err"
expect "--no-capture: exit" "$?" 0
expect "--no-capture: capture" "$(jq -r .capture "$T/nc.jsonl")" "--no-capture"
finish
