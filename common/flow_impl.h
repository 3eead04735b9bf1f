/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside the classifier: a connection's state, shared by its modules. */
#ifndef TEARDOWN_FLOW_IMPL_H
#define TEARDOWN_FLOW_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "heap.h"

/*
 * Not for callers of flow.h: the classifier's modules share these
 * structures, and nothing else includes this header.
 *
 * Two views of each connection are kept side by side:
 *
 * - an emulation of Zeek's TCP endpoint state machine (the states, sequence
 *   bookkeeping and history rules of its TCP session adapter), so that
 *   conn_state and history come out as Zeek writes them;
 * - our own wrap-safe tracking of each direction's sequence space, which
 *   knows what was sent, acknowledged, retransmitted or probed, and drives
 *   the teardown class and the notes.
 *
 * Sides are indexed 0 (the source of the connection's first packet) and 1;
 * f->oi says which of them is the originator. Zeek may flip the roles.
 *
 * A self-connection (TCP simultaneous open of a socket with itself: a
 * client whose ephemeral port is the port it connects to, on its own
 * address) has one 4-tuple in both directions, so every segment is from
 * side 0 and is also received by side 0. Zeek sees it the same way (every
 * packet from the originator), and the emulation is left to do just that.
 * Our own tracking reads each segment's ACK as acknowledging side 0's own
 * sequence space, takes the SYN-ACK that repeats the SYN's number as its
 * answer, and side 1 stays empty.
 */

#define NO_TIME		INT64_MAX
#define MAX_BLOCKS	8	/* out-of-order blocks kept per side */

struct flow_blk {
	uint64_t seq, upper;
};

/*
 * One direction of a connection: Zeek's endpoint (z_*, reassembly,
 * history counters) and our own tracking, interleaved by how often a
 * packet touches them rather than grouped by module: the hot fields share
 * cache lines.
 */
struct flow_end {
	/* --- hot: Zeek's sequence bookkeeping and ours --- */
	int64_t z_start;
	uint32_t z_last, z_ack;
	uint32_t z_seq_wraps, z_ack_wraps;
	uint8_t z_state, z_prev;
	bool z_did_close;
	uint8_t nblocks;
	bool anchored;
	bool seen;		/* sent at least one packet */
	bool only_rst;		/* every packet so far carried RST */
	bool run_rst;		/* the run of tries ended in our RST */
	uint32_t z_fin_cnt;
	uint32_t base;		/* our positions are relative to it */
	uint64_t z_fin_seq;
	uint64_t r_trim, r_reassem;	/* reassembly, relative, from 1 */
	int64_t hi;		/* highest sequence end, SYN and FIN included */
	int64_t data_hi;	/* highest data end */
	int64_t fin_rel;	/* position of the FIN, -1 none */
	int64_t acked;		/* highest ack from the peer, 0 none */
	int64_t run_start;	/* a run of tries the peer did not answer */
	uint32_t tries, try_probes;
	struct flow_side_stats st;

	/* --- cold: flags, counters, rarely used state --- */
	uint32_t z_rst_cnt;
	uint64_t h_syn, h_fin, h_rst;
	uint32_t rxmt_cnt, rxmt_th, win0_cnt, win0_th, gap_cnt, gap_th;
	bool sent_syn;		/* a pure SYN */
	bool sent_synack;
	uint16_t last_win;
	uint32_t syns;
	uint32_t syn_seq;
	int64_t gap_bytes;	/* acknowledged but never seen */
	int64_t run_end;
	struct flow_blk blocks[MAX_BLOCKS];
};

/*
 * One connection: the index's key and links (family, port, addr, hash,
 * due, prev, next), Zeek's view (fps, z_*, hist*) and ours.
 */
struct flow {
	/* --- hot: the lookup and every packet --- */
	uint8_t family;
	uint8_t oi;			/* index of the originator side */
	uint8_t fps;			/* Zeek's first packet seen, FPS_* */
	bool z_partial;			/* Zeek's idea of partial */
	uint8_t hlen;
	bool first_close_fin;		/* the first FIN/RST was a FIN */
	bool self;			/* one socket at both ends */
	uint16_t port[2];
	uint8_t addr[2][16];
	uint32_t hist_seen;		/* Zeek's history mask */
	uint32_t notes;
	int8_t first_fin, first_rst;	/* side index, -1 none */
	int8_t first_close;		/* side of the first FIN or RST */
	int8_t last_from;		/* side of the previous packet */
	uint32_t last_len;		/* its payload length */
	int64_t settle_at;		/* NO_TIME until the teardown is over */
	int64_t attempt_at;		/* an unanswered SYN gives up here */
	struct heap_node due;		/* in the index's deadline heap, seq = id */
	int64_t z_last_time;
	int64_t last_ts;

	struct flow_end s[2];

	/* --- cold --- */
	struct flow *hnext;		/* free list */
	struct flow *prev, *next;	/* open flows, in creation order */
	uint64_t id;
	uint64_t hash;
	int64_t first_ts;
	char hist[FLOW_HISTORY_MAX];
	uint64_t nsteps_total;
	struct flow_tunnels tun;		/* tunnel_parents */
	struct flow_step steps[];	/* HEAD_STEPS, then a ring */
};

#endif
