/* SPDX-License-Identifier: BSD-2-Clause */
/* finrst: read and decode captures in one thread, classify in another. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

/*
 * Segments travel in batches through a small ring: one lock round trip per
 * few hundred packets, and at most NBATCH * BATCH decoded segments in
 * memory whatever the capture's size.
 */
#define BATCH	512
#define NBATCH	8

struct batch {
	int n;
	struct pkt_tcp seg[BATCH];
};

struct pipe {
	struct reader_input *in;
	int nin;
	bool verbose;
	bool threaded;		/* false: no second thread, take turns */
	reader_seg_fn *fn;
	void *arg;
	atomic_bool *stop;
	struct reader_stats *st;
	int rc;

	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	struct batch *ring;
	int head, count;	/* consumer's next batch, batches ready */
	bool done;
};

static const char *
link_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n ? n : "unknown";
}

/* The producer owns ring[(head + count) % NBATCH] until it publishes it. */
static struct batch *
slot_wait(struct pipe *pp)
{
	struct batch *b;

	pthread_mutex_lock(&pp->lock);
	while (pp->count == NBATCH && !atomic_load(pp->stop))
		pthread_cond_wait(&pp->not_full, &pp->lock);
	b = atomic_load(pp->stop) ? NULL :
	    &pp->ring[(pp->head + pp->count) % NBATCH];
	pthread_mutex_unlock(&pp->lock);
	if (b)
		b->n = 0;
	return b;
}

static void
consume(struct pipe *pp, const struct batch *b)
{
	int i;

	for (i = 0; i < b->n && !atomic_load(pp->stop); i++)
		pp->fn(&b->seg[i], pp->arg);
}

static void
publish(struct pipe *pp, bool done)
{
	pthread_mutex_lock(&pp->lock);
	if (!done)
		pp->count++;
	else
		pp->done = true;
	pthread_cond_signal(&pp->not_empty);
	pthread_mutex_unlock(&pp->lock);
}

/* One capture to its end. Returns 0, or -1 when it broke. Classic pcap
 * offsets are counted (16-byte record header plus the captured bytes);
 * pcapng blocks are not visible through libpcap, so its file position at
 * the failure is given instead. */
static int
read_one(struct pipe *pp, struct reader_input *in, struct batch **bp)
{
	struct reader_stats *st = pp->st;
	struct pcap_pkthdr *h;
	const u_char *data;
	int dlt = pcap_datalink(in->p), rc;
	bool classic = pcap_major_version(in->p) == 2;
	uint64_t n = 0, off = 24;

	if (pp->verbose)
		fprintf(stderr, "finrst: reading %s (%s)\n", in->path,
		    link_name(dlt));
	for (;;) {
		struct batch *b = *bp;
		enum pkt_status s;

		rc = pcap_next_ex(in->p, &h, &data);
		if (rc != 1)
			break;
		n++;
		off += 16 + h->caplen;
		st->frames++;
		s = pkt_decode(dlt, pkt_ts_us(h->ts.tv_sec, h->ts.tv_usec),
		    data, h->caplen, &b->seg[b->n]);
		st->status[s]++;
		if (s != PKT_TCP)
			continue;
		b->seg[b->n].payload = NULL;
		if (++b->n < BATCH)
			continue;
		if (!pp->threaded) {
			consume(pp, b);
			b->n = 0;
			if (atomic_load(pp->stop))
				return 0;
			continue;
		}
		publish(pp, false);
		if ((*bp = slot_wait(pp)) == NULL)
			return 0;
	}
	json_array_append_new(st->files, json_pack("{s:s, s:s, s:I}",
	    "path", in->path, "link", link_name(dlt), "packets",
	    (json_int_t)n));
	if (rc == -1 || rc == 0) {
		char where[64] = "";
		FILE *fp = pcap_file(in->p);
		long pos = fp && !classic ? ftell(fp) : -1;

		if (classic)
			snprintf(where, sizeof(where), " (byte offset %" PRIu64
			    ")", off);
		else if (pos >= 0)
			snprintf(where, sizeof(where),
			    " (near byte offset %ld)", pos);
		snprintf(st->error, sizeof(st->error), "%s: broken at packet %"
		    PRIu64 "%s: %s", in->path, n + 1, where,
		    rc == -1 ? pcap_geterr(in->p) : "unexpected end");
		return -1;
	}
	return 0;
}

static void *
produce(void *arg)
{
	struct pipe *pp = arg;
	struct batch *b = pp->threaded ? slot_wait(pp) : &pp->ring[0];
	int i;

	if (b != NULL && !pp->threaded)
		b->n = 0;
	for (i = 0; b != NULL && i < pp->nin; i++) {
		if (read_one(pp, &pp->in[i], &b) < 0) {
			pp->rc = -1;
			break;
		}
	}
	if (!pp->threaded) {
		if (b != NULL)
			consume(pp, b);
		return NULL;
	}
	if (b != NULL && b->n > 0)
		publish(pp, false);
	publish(pp, true);
	return NULL;
}

int
reader_run(struct reader_input *in, int n, bool verbose, reader_seg_fn *fn,
    void *arg, atomic_bool *stop, struct reader_stats *st)
{
	struct pipe pp = {
		.in = in, .nin = n, .verbose = verbose, .stop = stop,
		.st = st, .fn = fn, .arg = arg, .threaded = true,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.not_empty = PTHREAD_COND_INITIALIZER,
		.not_full = PTHREAD_COND_INITIALIZER,
	};
	pthread_t th;

	pp.ring = malloc(NBATCH * sizeof(*pp.ring));
	if (pp.ring == NULL)
		return -2;
	if (pthread_create(&th, NULL, produce, &pp) != 0) {
		/* no second thread: read and classify in turn, same result */
		pp.threaded = false;
		produce(&pp);
		free(pp.ring);
		return pp.rc;
	}
	for (;;) {
		struct batch *b;

		pthread_mutex_lock(&pp.lock);
		while (pp.count == 0 && !pp.done)
			pthread_cond_wait(&pp.not_empty, &pp.lock);
		if (pp.count == 0 && pp.done) {
			pthread_mutex_unlock(&pp.lock);
			break;
		}
		b = &pp.ring[pp.head];
		pthread_mutex_unlock(&pp.lock);
		consume(&pp, b);
		pthread_mutex_lock(&pp.lock);
		pp.head = (pp.head + 1) % NBATCH;
		pp.count--;
		pthread_cond_signal(&pp.not_full);
		pthread_mutex_unlock(&pp.lock);
	}
	pthread_join(th, NULL);
	free(pp.ring);
	return pp.rc;
}
