#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# self-connect: a ten-port ephemeral range in a private namespace until
# connect() reaches its own port; sock_connect detects and reports it.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

run_case self-connect
expect "exit status" "$RC" 0

use naive
verdict_expected
expect "last connect" "$(q '[.observed.client[] | select(.op == "connect")][-1].outcome')" ok
expect_true "every earlier connect refused" \
    '[.observed.client[] | select(.op == "connect")][:-1] | all(.outcome == "refused")'
expect "local = peer" "$(q .facts.client.self_connect)" 1
expect "local port" "$(q .facts.client.local_port)" 50004
expect "read back its own bytes" "$(q '[.observed.client[] | select(.op == "recv")][0].bytes')" 4
refused=$(q '[.observed.client[] | select(.outcome == "refused")] | length')
expect "refused on the wire = refused seen" "$(q .wire_connections)" $((refused + 1))
expect "the self-connection on the wire" "$(q '"\(.wire.orig_p)>\(.wire.resp_p)"')" "50004>50004"

use detected
verdict_expected
expect "sock_connect reports" "$(q '[.observed.client[] | select(.op == "connect")][-1].outcome')" self-connect
expect "the self-connection on the wire" "$(q '"\(.wire.orig_p)>\(.wire.resp_p)"')" "50004>50004"
finish
