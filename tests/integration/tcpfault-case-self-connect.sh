#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# self-connect: a ten-port ephemeral range in a private namespace until
# connect() reaches its own port; sock_connect detects and reports it. On
# the wire one socket sends and receives every segment: its FIN is also
# the FIN it receives, so the class is fin, closed by the client.
. "$SRC/tests/peers/tcpfault-lib.bash"
need_root

# wire_self BYTES PKTS HISTORY: the self-connection as finrst's classifier
# sees it (Zeek's view: every packet from the originator, resp inactive).
wire_self() {
	expect "the self-connection on the wire" "$(q '"\(.wire.orig_h):\(
	    .wire.orig_p)>\(.wire.resp_h):\(.wire.resp_p)"')" \
	    "127.0.0.1:50004>127.0.0.1:50004"
	expect "wire class" "$(q .wire.teardown)" fin
	expect "closed by" "$(q .wire_closed_by)" client
	expect "notes" "$(q '.wire.notes | join(",")')" self-connect
	expect "orig bytes" "$(q .wire.orig_bytes)" "$1"
	expect "unacked" \
	    "$(q '"\(.wire.orig_unacked) \(.wire.resp_unacked)"')" "0 0"
	expect "packets" "$(q '"\(.wire.orig_pkts) \(.wire.resp_pkts)"')" "$2 0"
	expect "one FIN, no RST" \
	    "$(q '"\(.wire.orig.fins) \(.wire.orig.rsts)"')" "1 0"
	expect "not partial, nobody waited" \
	    "$(q '"\(.wire.partial) \(.wire.waiter) \(.wire.wait_tries)"')" \
	    "false null 0"
	expect "Zeek conn_state/history" \
	    "$(q '"\(.wire.conn_state) \(.wire.history)"')" "SH $3"
}

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
# SYN, its own SYN-ACK, ACK, 4 bytes, their ACK, FIN, its ACK
wire_self 4 7 SADF

use detected
verdict_expected
expect "sock_connect reports" "$(q '[.observed.client[] | select(.op == "connect")][-1].outcome')" self-connect
refused=$(q '[.observed.client[] | select(.outcome == "refused")] | length')
expect "refused on the wire = refused seen" "$(q .wire_connections)" \
    $((refused + 1))
# SYN, its own SYN-ACK, ACK, FIN (sock_connect closes it), its ACK
wire_self 0 5 SAF
finish
