#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# finrst --html and --svg on every corpus capture and every capture of
# tests/pcap/: the report is well-formed (as HTML and as XML), fetches
# nothing, holds one diagram per connection that did not end fin (every
# connection with --all-pictures) and one row per connection, as finrst's
# own --json output counts them; the SVG files are the same diagrams. Then
# the option errors.
. "$SRC/tests/lib/testlib.bash"
check=$SRC/tests/peers/finrst_pictures.py

n=0
for cap in "$SRC"/tests/pcap/*.pcap "$SRC"/tests/pcap/*.pcapng \
    "${FINRST_CORPUS:-$SRC/tests/data/zeek}"/pcaps/*; do
	[ -f "$cap" ] || continue
	n=$((n + 1))
	name=$(basename "$cap")
	all=
	# every fourth capture: a picture of every connection
	[ $((n % 4)) = 0 ] && all=all
	"$BIN/finrst" --json ${all:+--all-pictures} --html "$T/$n.html" \
	    --svg "$T/$n.svg" "$cap" >"$T/$n.jsonl" 2>"$T/$n.err"
	rc=$?
	# a truncated or broken capture exits 3, after its report
	if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
		fail "$name: exit $rc: $(head -2 "$T/$n.err")"
		continue
	fi
	echo "$T/$n.html $T/$n.jsonl $T/$n.svg $all" >>"$T/list"
done
expect "captures checked" "$([ "$n" -ge 40 ] && echo many)" many
# one checker run for them all: python starts slowly on a loaded machine
out=$(python3 "$check" reports "$T/list")
expect "reports, diagrams and SVG files agree with --json" "$?:$out" "0:"

# the pictures leave stdout as it was
cap=$SRC/tests/pcap/gen-en10mb.pcap
"$BIN/finrst" --json "$cap" >"$T/plain.jsonl"
"$BIN/finrst" --json --html "$T/r.html" "$cap" >"$T/with.jsonl"
expect "--json unchanged by --html" "$(cmp "$T/plain.jsonl" "$T/with.jsonl" \
    && echo same)" same
# and --ladder keeps its own length beside the pictures' longer record
"$BIN/finrst" --ladder=3 "$cap" >"$T/plain.txt"
"$BIN/finrst" --ladder=3 --svg "$T/l.svg" "$cap" >"$T/with.txt"
expect "--ladder unchanged by --svg" "$(cmp "$T/plain.txt" "$T/with.txt" \
    && echo same)" same

# errors: usage (2), unwritable paths (1) before any output
"$BIN/finrst" --all-pictures "$cap" >"$T/out" 2>"$T/err"
expect "--all-pictures alone: exit" "$?" 2
expect "--all-pictures alone: message" "$(head -1 "$T/err")" \
    "finrst: --all-pictures needs --html or --svg"
"$BIN/finrst" --html "$T/no/such/r.html" "$cap" >"$T/out" 2>"$T/err"
expect "unwritable --html: exit" "$?" 1
expect "unwritable --html: message" "$(cat "$T/err")" \
    "finrst: $T/no/such/r.html: No such file or directory"
expect "unwritable --html: no output" "$(wc -c <"$T/out")" 0
: >"$T/afile"
"$BIN/finrst" --svg "$T/afile" "$cap" >"$T/out" 2>"$T/err"
expect "--svg on a file: exit" "$?" 1
expect "--svg on a file: message" "$(cat "$T/err")" \
    "finrst: $T/afile: Not a directory"
"$BIN/finrst" --html 2>"$T/err"
expect "--html without FILE: exit" "$?" 2

finish
