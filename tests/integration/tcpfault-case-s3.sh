#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# S3: the client exits without close(), with and without unread data.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case S3
expect "exit status" "$RC" 0

use no-unread
verdict_expected
expect "client exited" "$(q '.observed.client[-1].op')" exit
expect "nothing unread at exit" "$(q .facts.client.exit_unread)" 0
expect_true "data unsent at exit" '.facts.client.exit_unsent > 0'
expect "server read all" "$(qs 'sum("server"; "recv"; "ok")')" 524288
expect "server reads end" "$(q '[.observed.server[] | select(.op == "recv")][-1].outcome')" eof
wire fin client
expect "client unacked" "$(q .wire.orig_unacked)" 0
tshark_agrees "client:F server:F"

use unread
verdict_expected
expect "greeting unread at exit" "$(q .facts.client.exit_unread)" 64
expect_true "server read some, not all" \
    "$SUM sum(\"server\"; \"recv\"; \"ok\") as \$g | \$g > 0 and \$g < 524288"
expect "server reads end" "$(q '[.observed.server[] | select(.op == "recv")][-1].outcome')" reset
expect "what arrived is intact" "$(q .facts.server.pattern_errors)" 0
wire rst client
expect "no FIN from the client" "$(q .wire.orig.fins)" 0
# The client's RST may overtake data segments still in another CPU's
# loopback backlog; those then reach a closed socket, which answers RST.
tshark_agrees "client:R( server:R)?"
finish
