#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# finrst's output on the captures in tests/pcap/, byte for byte: the text
# table, JSON Lines and ladders, expectations, and a truncated capture.
set -u
cd "$SRC/tests/pcap" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
while read -r name pcap code flags; do
	case $name in ''|'#'*) continue ;; esac
	n=$((n + 1))
	eval "\"$BIN/finrst\" $flags \"$pcap\"" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ -f "$name.err" ] && want_err=$name.err || want_err=/dev/null
	if [ "$rc" != "$code" ]; then
		echo "FAIL $name: exit $rc, expected $code"
		cat "$tmp/err"
		fail=1
	elif ! cmp -s "$tmp/out" "$name.out"; then
		echo "FAIL $name: stdout differs from $name.out"
		diff -u "$name.out" "$tmp/out" | head -20
		fail=1
	elif ! cmp -s "$tmp/err" "$want_err"; then
		echo "FAIL $name: stderr differs from $want_err"
		diff -u "$want_err" "$tmp/err" | head -20
		fail=1
	else
		echo "ok   $name"
	fi
done <TESTLIST
echo "$n golden cases"
exit $fail
