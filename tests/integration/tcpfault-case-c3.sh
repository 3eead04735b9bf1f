#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# C3: the server closes with the request unread: RST instead of FIN.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case C3
expect "exit status" "$RC" 0
use -
verdict_expected
expect "unread at close" "$(q .facts.server.close_unread)" 1024
expect_true "unsent at close" '.facts.server.close_unsent > 0'
expect_true "client read part" \
    "$SUM sum(\"client\"; \"recv\"; \"ok\") as \$g | \$g > 0 and \$g < 524288"
expect "reads end" "$(q '[.observed.client[] | select(.op == "recv")][-1].outcome')" reset
expect "what arrived is intact" "$(q .facts.client.pattern_errors)" 0
wire rst server
expect "no FIN from the server" "$(q .wire.resp.fins)" 0
tshark_agrees "server:R"
finish
