#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# keepalive-race: the server closes a kept-alive connection as it is reused.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case keepalive-race
expect "exit status" "$RC" 0
CLIENT_SENDS='[.observed.client[] | select(.op == "send") |
    "\(.bytes) \(.outcome)"] | join(",")'
READS='[.observed.client[] | select(.op == "recv") |
    "\(.bytes) \(.outcome)"] | join(",")'

# The FIN sat unread in the pool: the request is accepted, then eof.
use fin-unread
verdict_expected
expect "fin-unread: client sends" "$(q "$CLIENT_SENDS")" "200 ok,200 ok"
expect "fin-unread: reads (an empty reply)" "$(q "$READS")" "4096 ok,0 eof"
expect "fin-unread: server read all" "$(q .facts.server.close_unread)" 0
wire fin-rst server
tshark_agrees "server:F server:R"

# The request reached the server before its close(): RST, reset.
use in-flight
verdict_expected
expect "in-flight: client sends" "$(q "$CLIENT_SENDS")" "200 ok,200 ok"
expect "in-flight: reads (reset by peer)" "$(q "$READS")" "4096 ok,0 reset"
expect "in-flight: request unread at close" \
    "$(q .facts.server.close_unread)" 200
wire rst server
tshark_agrees "server:R"

# explain names both variants and what to do about it.
"$TCPFAULT" explain keepalive-race >"$T/explain"
expect "explain: exit" "$?" 0
expect "explain: title" "$(head -1 "$T/explain")" \
    "keepalive-race: the server closes an idle kept-alive connection as the client reuses it"
expect "explain: variants" "$(grep -c '^Variant ' "$T/explain")" 2
finish
