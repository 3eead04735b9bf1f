#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# echo-deadlock: a blocking echo server and a client writing 20 MiB
# before reading: every queue full, nobody moves, until both are killed.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case echo-deadlock
expect "exit status" "$RC" 0
use -
verdict_expected
expect "stuck" "$(q .facts.client.stuck)" 1
for side in client server; do
	for qn in stuck_send_queue stuck_recv_queue; do
		expect_true "$side $qn full" ".facts.$side.$qn > 0"
	done
	expect "$side killed" "$(q ".observed.$side[-1] | .op + \" \" + (.bytes | tostring)")" "killed 9"
done
expect_true "server got only part of the request" '.facts.server.bytes_received < 20971520'
expect_true "what the server echoed waits in the client's queue" \
    '.facts.client.bytes_received == .facts.client.stuck_recv_queue'
wire rst client
tshark_agrees "client:R"
finish
