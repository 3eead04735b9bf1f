/* SPDX-License-Identifier: BSD-2-Clause */
/* What tnc's two relay engines (epoll and threads) share. */
#ifndef TNC_RELAY_H
#define TNC_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "outcome.h"

struct addrinfo;

/* The two ends of a relayed connection. */
enum { SIDE_CLIENT = 0, SIDE_UPSTREAM = 1 };

/* How long a relay keeps flushing data to a side before resetting it. */
#define RELAY_RST_FLUSH_MS 2000

/* Counters over the relay's life, updated atomically by both engines. */
struct relay_totals {
	uint64_t conns;		/* accepted */
	uint64_t active;	/* being relayed now */
	uint64_t bytes[2];	/* read from each side (and forwarded) */
	uint64_t resets[2];	/* connections reset by that side */
	uint64_t refused;	/* upstream connects refused */
	uint64_t deadlines;	/* -w or -q aborts */
	uint64_t failed;	/* other errors */
};

extern struct relay_totals relay_totals;

/* One relayed connection as the reports see it. */
struct relay_report {
	uint64_t id;
	char peer[2][64];	/* addresses of the two sides */
	uint64_t bytes[2];	/* read from each side */
	uint64_t paused[2];	/* times reading a side stopped: the other
				   side's queue was full (backpressure) */
};

const char *relay_side_name(int side);

/*
 * Reading side stopped because the other side's queue is full: count it;
 * with -vv say so the first time, as it happens.
 */
void relay_paused(struct relay_report *r, int side);

/*
 * A side failed (reset, timeout, ...): count it, say so (-v always; on
 * stderr too when the relay serves one connection) and return the
 * pair's outcome.
 */
enum outcome relay_report_error(const struct relay_report *r, int side,
    const char *during, int err);

/* The pair ended; fold its counts into the totals. */
void relay_report_end(const struct relay_report *r, enum outcome o);

/* The end-of-run summary on stderr (always if anything failed). */
void relay_print_summary(void);

/* The threads engine: accept on lfd, relay to up. Returns exit status. */
int relay_threads_run(int lfd, const struct addrinfo *up);

/* Raise the open-file limit to its hard maximum (thousands of pairs). */
void relay_raise_nofile(void);

#endif
