#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A rotated capture is one timeline: split with `tcpdump -C` or `editcap
# -c`, its parts give exactly the whole file's --json output (the same
# connections, ids and summary but for the list of files read), in any
# order, as a directory, compressed or not. --per-file reads each file as
# its own capture, in the order given: each part as when read alone.
. "$SRC/tests/lib/testlib.bash"
pcaps=$SRC/tests/data/zeek/pcaps
command -v editcap >/dev/null || { echo "skip: no editcap"; exit 77; }

# finrst --json ARGS..., the summary's list of files left out
json() {
	timeout 60 "$BIN/finrst" --json "$@" 2>&1 | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        o = json.loads(line)
    except ValueError:
        print(line, end="")
        continue
    o.pop("files", None)
    print(json.dumps(o, sort_keys=True))'
	echo "exit ${PIPESTATUS[0]}"
}

# tcpdump's own rotation (-C 1: a new file every 1,000,000 bytes).
ssh=$pcaps/ssh_ssh.pcap
mkdir "$T/rot"
tcpdump -Z "$(id -un)" -r "$ssh" -w "$T/rot/ssh.pcap" -C 1 2>/dev/null
expect "tcpdump -C 1 made two files" "$(ls "$T/rot" | wc -l)" 2
json "$ssh" >"$T/whole"
expect_match "whole file" "$(tail -1 "$T/whole")" "exit 0"
json "$T/rot/ssh.pcap" "$T/rot/ssh.pcap1" >"$T/got"
expect "tcpdump -C parts = whole" "$(cat "$T/got")" "$(cat "$T/whole")"
json "$T/rot/ssh.pcap1" "$T/rot/ssh.pcap" >"$T/got"
expect "parts in reverse = whole" "$(cat "$T/got")" "$(cat "$T/whole")"
json "$T/rot" >"$T/got"
expect "the directory = whole" "$(cat "$T/got")" "$(cat "$T/whole")"
gzip -1 "$T/rot/ssh.pcap"
zstd -q --rm "$T/rot/ssh.pcap1"
json "$T/rot/" >"$T/got"
expect "compressed parts = whole" "$(cat "$T/got")" "$(cat "$T/whole")"
json - "$T/rot/ssh.pcap1.zst" <"$T/rot/ssh.pcap.gz" >"$T/got"
expect "stdin and a file = whole" "$(cat "$T/got")" "$(cat "$T/whole")"
json - <"$T/rot/ssh.pcap.gz" >"$T/first"
expect_no_match "the first part alone is not the whole" \
    "$(diff -q "$T/first" "$T/whole" >/dev/null && echo same)" "same"

# Every corpus capture cut every 25 packets by editcap, all the parts in
# one directory: the same as every whole capture in one run (a connection
# cut between parts is still one row).
mkdir "$T/parts"
whole=()
for p in "$pcaps"/*.pcap "$pcaps"/*.pcapng; do
	b=$(basename "$p")
	whole+=("$p")
	editcap -F pcap -c 25 "$p" "$T/parts/$b.pcap" 2>/dev/null ||
	    editcap -c 25 "$p" "$T/parts/$b.pcapng" ||
	    fail "editcap $b"
done
nparts=$(ls "$T/parts" | wc -l)
expect "more parts than captures" "$((nparts > ${#whole[@]} * 2))" 1
json "${whole[@]}" >"$T/whole"
json "$T/parts" >"$T/got"
CHECKS=$((CHECKS + 1))
if ! cmp -s "$T/whole" "$T/got"; then
	fail "the corpus in $nparts parts differs from it whole:" \
	    "$(diff "$T/whole" "$T/got" | head -5)"
fi
n=$(grep -c '"type": "connection"' "$T/whole")
expect "connections compared" "$((n > 100))" 1

# --per-file: each part as when read alone, one after another, and the
# same again on a second run.
parts=("$T/parts/$(basename "$ssh")"*)
for f in "${parts[@]}"; do
	"$BIN/finrst" --json "$f" | grep '"type":"connection"'
done | sed 's/"id":[0-9]*,//' >"$T/alone"
"$BIN/finrst" --json --per-file "${parts[@]}" | grep '"type":"connection"' |
    sed 's/"id":[0-9]*,//' >"$T/got"
expect "--per-file = each alone" "$(cat "$T/got")" "$(cat "$T/alone")"
expect "connections per part" "$(($(wc -l <"$T/alone") > 10))" 1
expect "--per-file read ${#parts[@]} parts" "$((${#parts[@]} > 10))" 1
a=$("$BIN/finrst" --per-file "${parts[@]}")
expect "--per-file twice" "$("$BIN/finrst" --per-file "${parts[@]}")" "$a"
expect_match "--per-file names each file" "$a" "$T/parts/ssh_ssh.pcap_00003_[0-9]+\\.pcap:"

# Bad directories: exit 3 and one line.
mkdir "$T/empty"
"$BIN/finrst" "$T/empty" >/dev/null 2>"$T/err"
expect "empty directory: exit" "$?" 3
expect "empty directory: message" "$(cat "$T/err")" \
    "finrst: $T/empty: a directory with no capture file in it"
echo "not a capture" >"$T/empty/notes.txt"
"$BIN/finrst" "$T/empty" >/dev/null 2>"$T/err"
expect "a non-capture in it: exit" "$?" 3
expect "a non-capture in it: one line" "$(wc -l <"$T/err")" 1
"$BIN/finrst" --per-file -i lo >/dev/null 2>"$T/err"
expect "--per-file -i: exit" "$?" 2
finish
