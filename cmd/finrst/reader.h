/* SPDX-License-Identifier: BSD-2-Clause */
/* finrst: read and decode captures in one thread, classify in another. */
#ifndef FINRST_READER_H
#define FINRST_READER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "pktdecode.h"

struct reader_input {
	const char *path;
	pcap_t *p;
};

/* What the reading side saw; complete once reader_run() returns. */
struct reader_stats {
	uint64_t frames;
	uint64_t status[PKT_STATUS_COUNT];
	json_t *files;		/* [{"path", "link", "packets"}], caller's */
	char error[512];	/* where a capture broke, "" if none */
};

/* Called in the caller's thread for each TCP segment, in capture order;
 * seg->payload is NULL (the bytes are gone by then), lengths are kept. */
typedef void reader_seg_fn(const struct pkt_tcp *seg, void *arg);

/*
 * Read the n captures in order on a second thread (libpcap and the
 * decoder), handing segments over in batches to fn on this thread, so
 * reading and classifying overlap (without a second thread, they take
 * turns). Setting *stop ends it early. Returns 0; -1 when a capture broke
 * (st->error says where; what came before it was delivered); -2 when out
 * of memory.
 */
int reader_run(struct reader_input *in, int n, bool verbose,
    reader_seg_fn *fn, void *arg, atomic_bool *stop,
    struct reader_stats *st);

#endif
