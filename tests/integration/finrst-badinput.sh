#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# finrst on bad input and bad usage: a one-line error that names the
# problem, the documented exit code (2 usage, 3 unreadable or corrupt
# input), never a crash or a hang.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
pcap=$SRC/tests/pcap/gen-en10mb.pcap

# run WANT_EXIT STDERR_PATTERN ARGS...: exit code and one stderr line
run() {
	local want=$1 pat=$2 rc lines
	shift 2
	timeout 10 "$BIN/finrst" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" != "$want" ]; then
		echo "FAIL finrst $*: exit $rc, expected $want: $(cat "$tmp/err")"
		fail=1
	elif ! grep -qE -- "$pat" "$tmp/err"; then
		echo "FAIL finrst $*: stderr '$(cat "$tmp/err")' lacks /$pat/"
		fail=1
	else
		echo "ok   finrst $* -> $rc: $(head -1 "$tmp/err")"
	fi
}

run 3 "^finrst: $tmp/missing.pcap: No such file or directory\$" "$tmp/missing.pcap"
# nothing is printed before a missing second file is noticed
run 3 "missing.pcap: No such file" "$pcap" "$tmp/missing.pcap"
[ -s "$tmp/out" ] && { echo "FAIL output before the missing file"; fail=1; }
mkdir "$tmp/dir"
run 3 "^finrst: $tmp/dir: " "$tmp/dir"
printf 'this is not a capture at all, just text\n' >"$tmp/text.pcap"
run 3 "^finrst: $tmp/text.pcap: .*(unknown file format|bad dump file)" "$tmp/text.pcap"
: >"$tmp/empty.pcap"
run 3 "^finrst: $tmp/empty.pcap: " "$tmp/empty.pcap"
# a link type finrst does not decode (105, 802.11): named in the message
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x69\0\0\0' \
    >"$tmp/wifi.pcap"
run 3 "^finrst: $tmp/wifi.pcap: link type 105 \(IEEE802_11\) is not supported" "$tmp/wifi.pcap"
# truncated: what was read is printed, then where it broke
head -c 1500 "$pcap" >"$tmp/cut.pcap"
run 3 "^finrst: $tmp/cut.pcap: broken at packet 7 \(byte offset 1444\): truncated" "$tmp/cut.pcap"
grep -q '^1 connection: ' "$tmp/out" || { echo "FAIL no summary before the error"; fail=1; }
# a record header cut short
head -c 1454 "$pcap" >"$tmp/cut2.pcap"
run 3 "broken at packet 7 \(byte offset 1444\)" "$tmp/cut2.pcap"
# a record claiming an absurd length
cp "$pcap" "$tmp/huge.pcap"
printf '\xff\xff\xff\x7f' | dd of="$tmp/huge.pcap" bs=1 seek=32 conv=notrunc 2>/dev/null
run 3 "broken at packet 1 \(byte offset 24\)" "$tmp/huge.pcap"

# usage errors: exit 2
run 2 "^usage: finrst" 
run 2 "^finrst: unknown option --bogus$" --bogus "$pcap"
run 2 "^finrst: --expect needs an argument$" --expect
run 2 "^finrst: --expect 'exactly x fin': column 9: expected a count" -e 'exactly x fin' "$pcap"
run 2 "^finrst: --expect 'all fin and': column 12: condition missing at the end" -e 'all fin and' "$pcap"
run 2 "column 5: unknown word 'finished'" -e 'all finished' "$pcap"
run 2 "column 15: unknown teardown class 'closed'" -e 'any teardown==closed' "$pcap"
run 2 "column 19: expected orig, resp or none" -e 'none closed_by == server' "$pcap"
run 2 "column 12: 'history' compares only with == or !=" -e 'all history<S' "$pcap"
run 2 "column 1: expected all, none, any" -e 'fin' "$pcap"
run 2 "^finrst: --grace: " --grace soon "$pcap"
run 2 "^finrst: --idle: " --idle -1 "$pcap"
run 2 "^finrst: --ladder: " --ladder=0 "$pcap"
run 2 "give no FILE" -i lo "$pcap"
run 2 "-s applies to live capture" -s 100 "$pcap"
run 2 "^finrst: -f: " -f 'tcp port' "$pcap"

# stdin works; a reader that goes away early is not a crash
"$BIN/finrst" - <"$pcap" | grep -q '^5 connections: ' && echo "ok   stdin" ||
    { echo "FAIL stdin"; fail=1; }
cat "$pcap" "$pcap" "$pcap" >/dev/null
( "$BIN/finrst" --json "$pcap" "$pcap" "$pcap" "$pcap"; echo "rc=$?" >"$tmp/rc" ) | head -c 10 >/dev/null
sleep 0.2
grep -qE 'rc=(0|1)$' "$tmp/rc" && echo "ok   closed stdout: $(cat "$tmp/rc")" ||
    { echo "FAIL closed stdout: $(cat "$tmp/rc")"; fail=1; }
exit $fail
