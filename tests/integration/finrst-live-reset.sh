#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# finrst on real loopback captures of resets: an abort (SO_LINGER 0), a
# close with unread data (the kernel sends RST), and data sent to a peer
# that has closed (FIN, then the RST that answers the data).
. "$SRC/tests/finrst/live-lib.sh"

capture abort c:connect s:accept c:send:100 s:recv:100 c:abort s:eof
expect_log abort 's:eof: ECONNRESET after 0 bytes'
expect_conn abort 1 teardown=rst closed_by=orig conn_state=RSTO \
    orig_bytes=100 orig_unacked=0 resp_unacked=0

# The server closes with 1000 unread bytes: RST instead of FIN. The
# client's bytes were acknowledged by the server's kernel, yet never read.
capture unread c:connect s:accept c:send:1000 s:peek:1000 s:close c:eof
expect_log unread 'c:eof: ECONNRESET after 0 bytes'
expect_conn unread 1 teardown=rst closed_by=resp conn_state=RSTR \
    orig_bytes=1000 orig_unacked=0 resp_unacked=0

# The client sends and closes; the server writes after that FIN: its
# first send succeeds and the client's kernel answers with RST.
capture fin-rst c:connect s:accept c:send:100 c:close s:recv:100 s:eof \
    s:send:10 sleep:200 s:send:10
expect_log fin-rst 's:send:10: EPIPE'
expect_conn fin-rst 1 teardown=fin-rst closed_by=orig half_close=resp \
    conn_state=RSTO orig_bytes=100 resp_bytes=10 orig_unacked=0 \
    resp_unacked=10 \
    'notes=[resp-unacked,rst-after-fin,data-after-fin,rst-answers-data]'
exit $fail
