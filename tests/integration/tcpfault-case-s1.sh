#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# S1: the client vanishes. Every variant with the socket filter, then with
# nftables in a private namespace: what the server saw and the wire.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

for method in filter nft; do
	run_case --vanish "$method" S1
	expect "exit status ($method)" "$RC" 0

	use idle
	verdict_expected
	expect "idle method" "$(q .vanish_method)" "$method"
	expect "idle: client vanished" "$(q '.observed.client[-1].op + " " +
	    .observed.client[-1].outcome')" "vanish ok"
	expect "idle: request read" "$(q '.observed.server[1].bytes')" 1024
	expect "idle: recv ended by our deadline, no errno" \
	    "$(q '.observed.server[-1] | .outcome + " " + (.errno // 0 | tostring)')" \
	    "timeout 0"
	expect "idle: still established" "$(q .facts.server.state_after)" \
	    ESTABLISHED
	wire open ""
	expect "idle: nothing sent by either side after the vanish" \
	    "$(q '.wire_after_mark | "\(.client) \(.server)"')" "0 0"
	tshark_agrees ""

	use keepalive
	verdict_expected
	expect "keepalive: recv failed ETIMEDOUT" \
	    "$(q '.observed.server[-1] | .outcome + " " + (.errno | tostring)')" \
	    "timeout 110"
	expect_true "keepalive: not before idle + 2 x intvl" \
	    '(.observed.server[-1].t_us - .observed.server[1].t_us) >= 2900000'
	wire vanished server
	expect "keepalive: probes" "$(q .wire.resp.probes)" 2
	expect "keepalive: the client answered nothing" \
	    "$(q .wire_after_mark.client)" 0
	expect "keepalive: 2 probes and the RST after the vanish" \
	    "$(q .wire_after_mark.server)" 3
	expect "keepalive: one RST from the server" "$(q .wire.resp.rsts)" 1
	tshark_agrees "server:R"

	use user-timeout
	verdict_expected
	expect "user-timeout: data accepted" \
	    "$(qs 'sum("server"; "send"; "ok")')" 65536
	expect "user-timeout: recv failed ETIMEDOUT" \
	    "$(q '.observed.server[-1] | .outcome + " " + (.errno | tostring)')" \
	    "timeout 110"
	expect_true "user-timeout: not before 4 s" \
	    '(.observed.server[-1].t_us - .observed.server[1].t_us) >= 3900000'
	wire vanished server
	expect "user-timeout: unacknowledged" "$(q .wire.resp_unacked)" 65536
	expect "user-timeout: no keepalive probe" "$(q .wire.resp.probes)" 0
	expect "user-timeout: no RST" "$(q .wire.resp.rsts)" 0
	expect_true "user-timeout: retransmitted" '.wire.resp.retransmits >= 1'
	expect "user-timeout: the client answered nothing" \
	    "$(q .wire_after_mark.client)" 0
	tshark_agrees ""
done
finish
