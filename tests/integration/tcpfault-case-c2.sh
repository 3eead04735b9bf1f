#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# C2: the server sends and closes; the client sends one packet, then
# reads: everything when it was all on the wire, part then reset when the
# server still had unsent data.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case C2
expect "exit status" "$RC" 0

use all-sent
verdict_expected
expect "client send" "$(q '[.observed.client[] | select(.op == "send")][0] | .outcome + " " + (.bytes | tostring)')" "ok 100"
expect "client read all" "$(qs 'sum("client"; "recv"; "ok")')" 65536
expect "reads end" "$(q '[.observed.client[] | select(.op == "recv")][-1].outcome')" eof
wire fin-rst server
tshark_agrees "server:F server:R"

use unsent
verdict_expected
expect_true "tiny receive buffer" '.facts.client.rcvbuf <= 8192'
expect_true "server had unsent data at close" '.facts.server.close_unsent > 0'
expect_true "client read part" \
    "$SUM sum(\"client\"; \"recv\"; \"ok\") as \$g | \$g > 0 and \$g < sum(\"server\"; \"send\"; \"ok\")"
expect "reads end" "$(q '[.observed.client[] | select(.op == "recv")][-1].outcome')" reset
wire rst server
expect "the server's FIN never left" "$(q .wire.resp.fins)" 0
tshark_agrees "server:R"
finish
