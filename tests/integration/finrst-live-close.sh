#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# finrst on real loopback captures of graceful closes: by the client, by
# the server, and a half-close where the server answers after the FIN.
. "$SRC/tests/finrst/live-lib.sh"

# The client sends, reads the answer, shuts down; the server follows.
capture by-orig c:connect s:accept c:send:1000 s:recv:1000 s:send:500 \
    c:recv:500 c:shutdown s:eof s:close c:eof c:close
expect_count by-orig 1
expect_conn by-orig 1 teardown=fin closed_by=orig half_close=null \
    conn_state=SF orig_bytes=1000 resp_bytes=500 orig_unacked=0 \
    resp_unacked=0 partial=false 'notes=[]'

# The server sends and closes first; the client reads to EOF, closes.
capture by-resp c:connect s:accept s:send:300 s:shutdown c:recv:300 c:eof \
    c:close s:eof s:close
expect_conn by-resp 1 teardown=fin closed_by=resp conn_state=SF \
    orig_bytes=0 resp_bytes=300 orig_unacked=0 resp_unacked=0

# Half-close: the request, FIN, then 5000 bytes of answer after it.
capture half c:connect s:accept c:send:100 c:shutdown s:recv:100 s:eof \
    s:send:5000 s:close c:eof c:close
expect_log half 'c:eof: eof after 5000 bytes'
expect_conn half 1 teardown=fin closed_by=orig half_close=resp \
    conn_state=SF orig_bytes=100 resp_bytes=5000 orig_unacked=0 \
    resp_unacked=0 'notes=[data-after-fin]'
exit $fail
