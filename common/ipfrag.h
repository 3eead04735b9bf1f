/* SPDX-License-Identifier: BSD-2-Clause */
/* IPv4 and IPv6 fragment reassembly, bounded in memory and in time. */
#ifndef TEARDOWN_IPFRAG_H
#define TEARDOWN_IPFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "pktdecode.h"

/*
 * Fragments (struct pkt_frag, from pkt_decode_cfg()) are held per
 * datagram, keyed as RFC 791 section 3.2 (IPv4: addresses, protocol,
 * identification) and RFC 8200 section 4.5 (IPv6: addresses,
 * identification), until every byte from 0 to the last fragment's end is
 * there. A piece that overlaps earlier ones must repeat their bytes
 * exactly: one that disagrees drops the whole datagram (RFC 5722: never
 * guess which copy the receiver kept). Datagrams wait at most the timeout
 * in capture time; past the byte or datagram cap the oldest is evicted.
 */
struct ipfrag;

struct ipfrag_limits {
	size_t max_bytes;	/* buffered across datagrams; 0: 16 MiB */
	unsigned int max_datagrams;	/* in progress; 0: 4096 */
	int64_t timeout_us;	/* capture time; 0: 30 s */
};

/* What happened to the fragments offered so far. */
struct ipfrag_stats {
	uint64_t fragments;	/* pieces offered */
	uint64_t reassembled;	/* datagrams completed */
	uint64_t overlaps;	/* pieces that repeated bytes already held */
	uint64_t conflicts;	/* datagrams dropped: overlaps disagreed */
	uint64_t timed_out;	/* datagrams dropped: incomplete too long */
	uint64_t evicted;	/* datagrams dropped to stay within the caps */
	uint64_t invalid;	/* pieces refused: cut by the snaplen, past
				   64 KiB, or too many holes */
};

enum ipfrag_result {
	IPFRAG_HELD = 0,	/* kept, the datagram is not complete */
	IPFRAG_DONE,		/* this piece completed a datagram */
	IPFRAG_DROPPED		/* refused, or its datagram was dropped */
};

/* A new reassembler; lim NULL means the defaults. NULL on ENOMEM. */
struct ipfrag *ipfrag_new(const struct ipfrag_limits *lim);

/*
 * Offer one fragment seen at ts_us. On IPFRAG_DONE, *whole describes the
 * datagram (its family, addresses, protocol and depth; offset 0, len the
 * total) and *data points at its len bytes, valid until the next call on
 * f. A piece pointing into the previous *data is fine. Out of memory, the
 * datagram is dropped (IPFRAG_DROPPED, counted as evicted).
 */
enum ipfrag_result ipfrag_add(struct ipfrag *f, int64_t ts_us,
    const struct pkt_frag *piece, struct pkt_frag *whole,
    const uint8_t **data);

/*
 * Decode one frame (pkt_decode_cfg()) and put its fragments through f:
 * the frame that completes a datagram yields what the datagram carries
 * (PKT_TCP with out->reassembled set), fragments inside a reassembled
 * tunnel packet too. A held or dropped piece is PKT_FRAGMENT. f NULL:
 * no reassembly. out->payload may point into f's buffer: valid until
 * the next call.
 */
enum pkt_status ipfrag_decode(struct ipfrag *f, const struct pkt_config *cfg,
    int linktype, int64_t ts_us, const uint8_t *frame, uint32_t caplen,
    struct pkt_tcp *out);

/* Drop (as timed out) datagrams older than the timeout at now_us. */
void ipfrag_expire(struct ipfrag *f, int64_t now_us);

/* Datagrams in progress, and the bytes they hold. */
size_t ipfrag_pending(const struct ipfrag *f, size_t *bytes);

const struct ipfrag_stats *ipfrag_stats(const struct ipfrag *f);

void ipfrag_free(struct ipfrag *f);

#endif
