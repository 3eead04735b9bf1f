#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# C1: the server has closed; the client sends twice.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case C1
expect "exit status" "$RC" 0
use -
verdict_expected
expect "client sends" "$(q '[.observed.client[] | select(.op == "send") | .outcome] | join(",")')" "ok,broken-pipe"
expect "first send" "$(q '[.observed.client[] | select(.op == "send")][0].bytes')" 100
expect "reads" "$(q '[.observed.client[] | select(.op == "recv")] | map(.outcome) | join(",")')" eof
wire fin-rst server
expect "client bytes never acknowledged" "$(q .wire.orig_unacked)" 100
tshark_agrees "server:F server:R"
finish
