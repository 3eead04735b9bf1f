#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# shut-rd: shutdown(SHUT_RD) sends nothing; later data is still accepted.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case shut-rd
expect "exit status" "$RC" 0
use -
verdict_expected
expect "shutdown" "$(q '.observed.server[1] | .op + " " + .outcome')" "shutdown-rd ok"
expect "recv at once after SHUT_RD" "$(q '.observed.server[2] | .op + " " + .outcome')" "recv eof"
expect "queued after SHUT_RD" "$(q .facts.server.inq_after_shut_rd)" 4096
expect "read after SHUT_RD" "$(qs 'sum("server"; "recv"; "ok")')" 4096
expect "client's data acknowledged" "$(q .wire.orig_unacked)" 0
expect "client read the reply" "$(qs 'sum("client"; "recv"; "ok")')" 100
wire fin server
tshark_agrees "server:F client:F"
finish
