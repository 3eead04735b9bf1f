#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# newbie-close: close() with a request unread loses the file's tail; the
# graceful close (shutdown, read until 0, close) loses nothing.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case newbie-close
expect "exit status" "$RC" 0

use close
verdict_expected
expect "server wrote the file" "$(qs 'sum("server"; "send"; "ok")')" 524288
expect "second request unread at close" "$(q .facts.server.close_unread)" 1024
expect_true "client lost the tail" \
    "$SUM sum(\"client\"; \"recv\"; \"ok\") < 524288"
expect "client reads end" "$(q '[.observed.client[] | select(.op == "recv")][-1].outcome')" reset
wire rst server
tshark_agrees "server:R"

use graceful
verdict_expected
expect "client read the whole file" "$(qs 'sum("client"; "recv"; "ok")')" 524288
expect "client reads end" "$(q '[.observed.client[] | select(.op == "recv")][-1].outcome')" eof
expect "the drain read the unread request" "$(q .facts.server.close_drained)" 1024
expect "graceful close" "$(q '[.observed.server[] | select(.op == "close-graceful")][0].outcome')" ok
wire fin server
tshark_agrees "server:F client:F"
finish
