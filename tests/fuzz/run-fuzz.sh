#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Run fuzz_finrst for SECONDS, seeded with tests/pcap, when present the
# Zeek corpus captures in tests/data/zeek, and (when finrst-pcapencap
# was built next to the fuzzer) tunnelled and fragmented copies of a
# generated capture: every tunnel header and fragment path has a seed.
# usage: run-fuzz.sh FUZZER SRC WORKDIR SECONDS
set -eu
fuzzer=$1 src=$2 work=$3 secs=$4
mkdir -p "$work"
seeds=("$src/tests/pcap")
[ -d "$src/tests/data/zeek/pcaps" ] && seeds+=("$src/tests/data/zeek/pcaps")
enc=$(dirname "$fuzzer")/finrst-pcapencap
if [ -x "$enc" ]; then
	mkdir -p "$work-seeds"
	v4=$src/tests/pcap/gen-en10mb.pcap v6=$src/tests/pcap/gen-ipv6.pcap
	i=0
	while read -r in args; do
		# shellcheck disable=SC2086
		"$enc" $args "${!in}" "$work-seeds/encap-$((i++)).pcap"
	done <<-EOF
	v4 -t vxlan -f 64 -r
	v6 -t geneve
	v4 -t erspan3 -F 16 -d
	v4 -t gtpu -6
	v6 -t teredo -F 24 -c
	v4 -t ayiya
	v4 -t ipip -n 5
	v6 -t gre-udp -6 -f 64
	v4 -t pbb
	v4 -t vntag
	v4 -t fabricpath -F 8 -r
	EOF
	seeds+=("$work-seeds")
fi
exec "$fuzzer" -max_total_time="$secs" -max_len=65536 -timeout=10 \
    -rss_limit_mb=1024 -print_final_stats=1 "$work" "${seeds[@]}"
