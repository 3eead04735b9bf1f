#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# finrst on real loopback captures of failed connects: refused (nobody
# listens: RST answers the SYN) and no answer (the listener's accept queue
# is full, so Linux drops the SYN and the client sends it again).
. "$SRC/tests/finrst/live-lib.sh"

capture refused -n c:connect
expect_log refused 'c:connect: ECONNREFUSED'
expect_count refused 1
expect_conn refused 1 teardown=refused closed_by=resp conn_state=REJ \
    history=Sr orig_bytes=0 resp_bytes=0

# backlog 0: c fills the accept queue, d's SYNs are dropped for 2.5 s
# (the first retransmission comes after 1 s).
capture no-answer -b 0 c:connect d:connect-nowait sleep:2500 d:close
expect_count no-answer 2
expect_conn no-answer 1 teardown=open closed_by=null conn_state=S1
expect_conn no-answer 2 teardown=no-answer closed_by=null conn_state=S0 \
    history=S waiter=orig 'notes=[waited,syn-retransmitted]'
exit $fail
