#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# nagle: write-write-read with and without TCP_NODELAY. The tool judges the
# latencies (tens of ms against tens of us); here we check the exchange.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case nagle
expect "exit status" "$RC" 0
for v in nagle nodelay; do
	use $v
	verdict_expected
	expect "$v rounds" "$(q .facts.client.rounds)" 20
	expect "$v requests sent" "$(qs 'sum("client"; "send"; "ok")')" 4000
	expect "$v replies read" "$(qs 'sum("client"; "recv"; "ok")')" 2000
	expect "$v server read" "$(qs 'sum("server"; "recv"; "ok")')" 4000
	expect_true "$v latencies ordered" \
	    '.facts.client.latency_us_min <= .facts.client.latency_us_median and .facts.client.latency_us_median <= .facts.client.latency_us_max'
	wire fin client
	tshark_agrees "client:F server:F"
done
finish
