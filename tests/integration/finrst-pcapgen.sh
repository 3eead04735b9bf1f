#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The generated captures in tests/pcap/ are what tests/finrst/pcapgen
# writes today, byte for byte, so the golden outputs can be regenerated
# from source; and every link type decodes to the same five connections.
set -u
gen=$BUILD/tests/finrst-pcapgen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {	# FILE PCAPGEN-ARGS...
	local f=$1
	shift
	if ! "$gen" "$@" -o "$tmp/$f"; then
		echo "FAIL $f: pcapgen $*"
		fail=1
	elif cmp -s "$tmp/$f" "$SRC/tests/pcap/$f"; then
		echo "ok   $f"
	else
		echo "FAIL $f: pcapgen $* writes something else"
		fail=1
	fi
}
for l in en10mb vlan qinq mpls sll sll2 null loop raw ipv4; do
	check gen-$l.pcap -l $l
done
check gen-ipv6.pcap -6 -l ipv6
check gen-en10mb-v6.pcap -6 -l en10mb
check gen-qinq-v6.pcap -6 -l qinq
check gen-wrap.pcap -w -l en10mb
check gen-en10mb.pcapng -g -l en10mb
check gen-sll2-nano.pcap -n -l sll2
check gen-snap54.pcap -s 54 -l en10mb

# Same connections whatever the link: the table rows agree.
"$BIN/finrst" "$SRC/tests/pcap/gen-en10mb.pcap" | sed -n '2,6p' >"$tmp/want"
for l in vlan qinq mpls sll sll2 null loop raw ipv4; do
	"$BIN/finrst" "$tmp/gen-$l.pcap" | sed -n '2,6p' >"$tmp/got"
	if cmp -s "$tmp/want" "$tmp/got"; then
		echo "ok   $l decodes like en10mb"
	else
		echo "FAIL $l decodes differently:"
		diff "$tmp/want" "$tmp/got"
		fail=1
	fi
done
# pcapgen rejects what it cannot write
if "$gen" -l ipv4 -6 -o "$tmp/x" 2>/dev/null; then
	echo "FAIL pcapgen wrote IPv6 into LINKTYPE_IPV4"
	fail=1
fi
exit $fail
