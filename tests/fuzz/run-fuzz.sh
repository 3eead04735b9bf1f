#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Run fuzz_finrst for SECONDS, seeded with tests/pcap and, when present,
# the Zeek corpus captures in tests/data/zeek.
# usage: run-fuzz.sh FUZZER SRC WORKDIR SECONDS
set -eu
fuzzer=$1 src=$2 work=$3 secs=$4
mkdir -p "$work"
seeds=("$src/tests/pcap")
[ -d "$src/tests/data/zeek/pcaps" ] && seeds+=("$src/tests/data/zeek/pcaps")
exec "$fuzzer" -max_total_time="$secs" -max_len=65536 -timeout=10 \
    -rss_limit_mb=1024 -print_final_stats=1 "$work" "${seeds[@]}"
