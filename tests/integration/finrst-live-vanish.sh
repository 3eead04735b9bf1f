#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# finrst on real loopback captures of a peer that vanished (a drop-all
# socket filter: its kernel no longer answers anything): keepalive probes
# that end in the RST the prober sends, and retransmissions that end in
# silence when TCP_USER_TIMEOUT fires.
. "$SRC/tests/finrst/live-lib.sh"

capture keepalive c:connect s:accept c:send:10 s:recv:10 c:vanish \
    s:keepalive:1:1:2 s:eof
expect_log keepalive 's:eof: ETIMEDOUT after 0 bytes'
expect_conn keepalive 1 teardown=vanished closed_by=resp waiter=resp \
    wait_tries=2 conn_state=RSTR orig_bytes=10 orig_unacked=0 \
    resp_unacked=0 'notes=[keepalive,waited]'

capture user-timeout c:connect s:accept c:vanish s:user-timeout:1500 \
    s:send:1000 s:eof
expect_log user-timeout 's:eof: ETIMEDOUT after 0 bytes'
expect_conn user-timeout 1 teardown=vanished closed_by=resp waiter=resp \
    conn_state=S1 resp_bytes=1000 resp_unacked=1000 orig_unacked=0 \
    'notes=[resp-unacked,retransmitted,waited]'
exit $fail
