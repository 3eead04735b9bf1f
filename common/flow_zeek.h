/* SPDX-License-Identifier: BSD-2-Clause */
/* Zeek's view of a connection: its TCP endpoint states, history, conn_state. */
#ifndef TEARDOWN_FLOW_ZEEK_H
#define TEARDOWN_FLOW_ZEEK_H

#include <stdbool.h>
#include <stdint.h>

#include "flow_impl.h"
#include "pktdecode.h"

/*
 * An emulation of Zeek's TCP session adapter (base/protocols/conn and
 * src/analyzer/protocol/tcp): the endpoint state machine, its sequence
 * bookkeeping and content-gap reassembly, and the history letters, so
 * that conn_state and history come out as Zeek writes them. It works on
 * the z_*, h_*, r_* and hist fields of struct flow and its sides, and
 * sets f->settle_at and f->attempt_at; it never reports or frees a flow.
 */

/*
 * Orient a flow whose first packet (p) is not a SYN by its ports, as Zeek
 * does, unless that would call a SYN-ACK's sender the client when both
 * ports look like servers. May flip f->oi.
 */
void flow_zeek_orient(struct flow *f, const struct pkt_tcp *p);

/*
 * One segment from side si through the emulation. A close settles the
 * flow grace_us after Zeek's last packet time (f->settle_at).
 */
void flow_zeek_process(struct flow *f, int si, const struct pkt_tcp *p,
    int64_t grace_us);

/* Zeek's IsReuse: does this SYN start a new connection on the tuple? */
bool flow_zeek_is_reuse(const struct flow *f, int si,
    const struct pkt_tcp *p);

/*
 * Zeek gives up on a connection attempt tcp_attempt_delay after the SYN
 * when nothing came back, and whatever follows starts a new connection.
 * We do the same, except for the SYN sent again with the same number: that
 * is the same connect() retrying, and stays one connection.
 */
bool flow_zeek_attempt_over(const struct flow *f, int si,
    const struct pkt_tcp *p);

/* Zeek's conn_state of f as it stands. */
enum flow_state flow_zeek_conn_state(const struct flow *f);

#endif
