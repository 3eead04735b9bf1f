#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# S5: the client sends and closes; the server writes before noticing.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case S5
expect "exit status" "$RC" 0
use -
verdict_expected
expect "server sends" "$(q '[.observed.server[] | select(.op == "send") | .outcome] | join(",")')" "ok,broken-pipe"
expect "first send accepted" "$(q '[.observed.server[] | select(.op == "send")][0].bytes')" 1024
expect "errno of the second" "$(q '[.observed.server[] | select(.op == "send")][1].errno')" 32
expect "queued request read" "$(qs 'sum("server"; "recv"; "ok")')" 1024
expect "reads end" "$(q '[.observed.server[] | select(.op == "recv")] | map(.outcome) | join(",")')" "ok,eof"
wire fin-rst client
expect "RST after FIN noted" "$(q '.wire.notes | index("rst-after-fin") != null')" true
tshark_agrees "client:F client:R"
finish
