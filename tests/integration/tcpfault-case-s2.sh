#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# S2: the client sends 512 KiB and close()s at once: nothing is lost.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case S2
expect "exit status" "$RC" 0
use -
verdict_expected
expect "client sent" "$(qs 'sum("client"; "send"; "ok")')" 524288
expect_true "most of it unsent at close" '.facts.client.close_unsent > 262144'
expect "server read" "$(qs 'sum("server"; "recv"; "ok")')" 524288
expect "server reads end" "$(q '[.observed.server[] | select(.op == "recv")][-1].outcome')" eof
expect "pattern intact" "$(q .facts.server.pattern_errors)" 0
wire fin client
expect "client bytes on the wire" "$(q .wire.orig_bytes)" 524288
expect "client unacked" "$(q .wire.orig_unacked)" 0
tshark_agrees "client:F server:F"
finish
