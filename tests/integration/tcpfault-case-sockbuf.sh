#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# sockbuf: what getsockopt reports after SO_SNDBUF/SO_RCVBUF, against the
# rule computed here from the sysctls.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case sockbuf
expect "exit status" "$RC" 0
use -
verdict_expected
wmax=$(cat /proc/sys/net/core/wmem_max)
rmax=$(cat /proc/sys/net/core/rmem_max)
for pair in "sndbuf $wmax" "rcvbuf $rmax"; do
	set -- $pair
	reqs=$(q "[.observed.client[] | select(.op == \"set-$1\") | .bytes] | join(\" \")")
	expect "$1 requests" "$reqs" "1024 65536 1048576 1073741824"
	got=$(q "[.observed.client[] | select(.op == \"get-$1\") | .bytes][1:] | join(\" \")")
	want=""
	for r in 65536 1048576 1073741824; do
		c=$r; [ "$c" -gt "$2" ] && c=$2
		want="$want $((2 * c))"
	done
	expect "$1 effective (doubled, clamped)" "${got#* }" "${want# }"
	expect_true "$1 tiny request raised to a minimum" \
	    "[.observed.client[] | select(.op == \"get-$1\") | .bytes][1] >= 2048"
done
wire fin client
tshark_agrees "client:F server:F"
finish
