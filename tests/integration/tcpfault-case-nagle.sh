#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# nagle: write-write-read with and without TCP_NODELAY. The tool judges the
# latencies (Nagle's median at least 20 ms; TCP_NODELAY's at most a fifth
# of a Nagle reference measured on the same connection first); here we
# check the exchange and that every measurement is there.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

# ordered PREFIX: min <= median <= max for the latencies named PREFIX*.
ordered() {
	local l=".facts.client.$1latency_us"
	expect_true "$VARIANT ${1}latencies ordered" \
	    "${l}_min <= ${l}_median and ${l}_median <= ${l}_max"
}

run_case nagle
expect "exit status" "$RC" 0
for v in nagle nodelay; do
	use $v
	# nodelay: the Nagle reference rounds, then as many with TCP_NODELAY.
	phases=1 sends=4000
	[ $v = nodelay ] && phases=2 sends=4000,4000
	verdict_expected
	expect "$v rounds" "$(q .facts.client.rounds)" 20
	expect "$v requests sent" "$(qs 'sum("client"; "send"; "ok")')" \
	    $((phases * 4000))
	expect "$v send events" \
	    "$(qs '[ev("client"; "send")[].bytes] | join(",")')" "$sends"
	expect "$v replies read" "$(qs 'sum("client"; "recv"; "ok")')" \
	    $((phases * 2000))
	expect "$v server read" "$(qs 'sum("server"; "recv"; "ok")')" \
	    $((phases * 4000))
	ordered ""
	if [ $v = nodelay ]; then
		expect "$v reference rounds" \
		    "$(q .facts.client.reference_rounds)" 20
		ordered reference_
	else
		expect "$v no reference" \
		    "$(q .facts.client.reference_rounds)" null
	fi
	wire fin client
	tshark_agrees "client:F server:F"
done
finish
