#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# S4: the client is SIGKILLed while blocked in send(), with and without
# unread data: the same rule as S3.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case S4
expect "exit status" "$RC" 0

use no-unread
verdict_expected
expect "killed by SIGKILL" "$(q '.observed.client[-1] | .op + " " + (.bytes | tostring)')" "killed 9"
expect "killed inside sendto" "$(q .facts.client.killed_in_syscall)" 44
accepted=$(qs 'sum("client"; "send"; "ok")')
expect "server read every accepted byte" "$(qs 'sum("server"; "recv"; "ok")')" "$accepted"
expect "server reads end" "$(q '[.observed.server[] | select(.op == "recv")][-1].outcome')" eof
expect "pattern intact" "$(q .facts.server.pattern_errors)" 0
wire fin client
tshark_agrees "client:F server:F"

use unread
verdict_expected
expect "killed by SIGKILL" "$(q '.observed.client[-1] | .op + " " + (.bytes | tostring)')" "killed 9"
expect_true "server lost the tail" \
    "$SUM sum(\"server\"; \"recv\"; \"ok\") < sum(\"client\"; \"send\"; \"ok\")"
expect "server reads end" "$(q '[.observed.server[] | select(.op == "recv")][-1].outcome')" reset
wire rst client
tshark_agrees "client:R"
finish
