/* SPDX-License-Identifier: BSD-2-Clause */
/* What tnc's relay reports about its pairs, for both I/O models. */
#ifndef TNC_PAIRS_H
#define TNC_PAIRS_H

#include <stdbool.h>
#include <stdint.h>

#include "outcome.h"
#include "relay.h"
#include "tnc.h"

struct addrinfo;

/* The two ends of a relayed connection (ends 0 and 1 of common/relay). */
enum { END_CLIENT = 0, END_UPSTREAM = 1 };

/* How long a relay keeps flushing data to an end before resetting it. */
#define PAIR_RST_FLUSH_MS 2000

/* Counters over the relay's life, updated atomically by both models. */
struct pair_totals {
	uint64_t conns;		/* accepted */
	uint64_t active;	/* being relayed now */
	uint64_t bytes[2];	/* read from each end (and forwarded) */
	uint64_t resets[2];	/* connections reset by that end */
	uint64_t refused;	/* upstream connects refused */
	uint64_t deadlines;	/* -w or -q aborts */
	uint64_t failed;	/* other errors */
};

extern struct pair_totals pair_totals;

/* One relayed connection as the reports see it. */
struct pair_report {
	uint64_t id;
	char peer[2][64];	/* addresses of the two ends */
	uint64_t bytes[2];	/* read from each end */
	uint64_t paused[2];	/* times reading an end stopped: the other
				   end's queue was full (backpressure) */
};

const char *pair_end_name(int end);

/* A new connection from a client: count it and say so. */
void pair_accepted(const struct tnc_config *cfg, struct pair_report *r,
    int fd);

/* Upstream connected on fd: apply the options and say so. */
void pair_connected(const struct tnc_config *cfg, struct pair_report *r,
    int fd);

/* No upstream: count it and say so; the client gets an RST. */
void pair_connect_failed(const struct tnc_config *cfg,
    const struct pair_report *r, enum outcome oc);

/* Report one event of common/relay (EOF, pause, error, deadline, end). */
void pair_event(const struct tnc_config *cfg, struct pair_report *r,
    const struct relay_event *ev);

/* A -w or -q deadline aborted the pair: count it and say so. */
void pair_deadline(const struct tnc_config *cfg, const struct pair_report *r,
    const char *what);

/* The pair ended; fold its counts into the totals. */
void pair_report_end(const struct tnc_config *cfg,
    const struct pair_report *r, enum outcome o);

/* The end-of-run summary on stderr (always if anything failed). */
void pair_print_summary(const struct tnc_config *cfg);

/* The relay's options for common/relay from tnc's. */
void pair_relay_opts(const struct tnc_config *cfg, struct relay_opts *o);

/* The threads model: accept on lfd, relay to up. Returns exit status. */
int tnc_relay_threads(const struct tnc_config *cfg, int lfd,
    const struct addrinfo *up);

#endif
