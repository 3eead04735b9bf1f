/* SPDX-License-Identifier: BSD-2-Clause */
/* The packet->flow pipeline: capture or files, decode, classify, report. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "heap.h"
#include "pipeline.h"
#include "zread.h"

/* A clock step back by more than this starts another capture. */
#define NEW_CAPTURE_US	1000000

/*
 * From files, segments travel in batches through a small ring: one lock
 * round trip per few hundred packets, and at most NBATCH * BATCH decoded
 * segments in memory whatever the capture's size.
 */
#define BATCH	512
#define NBATCH	8

struct pipeline {
	struct flow_table *table;
	pipeline_seg_fn *seg_fn;
	void *seg_arg;
	struct pipeline_stats st;
	struct pkt_config dcfg;
	struct ipfrag *frag;
	pthread_mutex_t lock;	/* live: capture thread vs. caller */
	int64_t last_ts;	/* files: latest segment time seen */
	bool have_ts;
	bool failed;		/* the table ran out of memory */
	char error[512];	/* where a capture file broke */
};

struct batch {
	int n;
	struct pkt_tcp seg[BATCH];
};

/* Reading files: the reading thread produces, the caller's consumes. */
struct reading {
	struct pipeline *pl;
	struct pipeline_file *in;
	int nin;
	pipeline_file_fn *on_file;
	void *arg;
	bool threaded;		/* false: no second thread, take turns */
	atomic_bool *stop;
	int rc;

	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	struct batch *ring;
	int head, count;	/* consumer's next batch, batches ready */
	bool done;
};

const char *
pipeline_link_name(int linktype)
{
	const char *n = pcap_datalink_val_to_name(linktype);

	return n ? n : "unknown";
}

struct pipeline *
pipeline_new(const struct flow_config *fc, flow_report_fn report, void *arg)
{
	struct pipeline *pl = calloc(1, sizeof(*pl));

	if (pl == NULL)
		return NULL;
	pl->table = flow_table_new(fc, report, arg);
	pl->frag = ipfrag_new(NULL);
	if (pl->table == NULL || pl->frag == NULL) {
		flow_table_free(pl->table);
		ipfrag_free(pl->frag);
		free(pl);
		errno = ENOMEM;
		return NULL;
	}
	pkt_config_init(&pl->dcfg);
	pthread_mutex_init(&pl->lock, NULL);
	return pl;
}

void
pipeline_decode_config(struct pipeline *pl, const struct pkt_config *cfg)
{
	pl->dcfg = *cfg;
}

/* One frame through the decoder and reassembly; counted. */
static inline enum pkt_status
decode(struct pipeline *pl, int linktype, int64_t ts_us,
    const uint8_t *frame, uint32_t caplen, struct pkt_tcp *seg)
{
	enum pkt_status s;

	pl->st.frames++;
	s = ipfrag_decode(pl->frag, &pl->dcfg, linktype, ts_us, frame,
	    caplen, seg);
	pl->st.status[s]++;
	if (s == PKT_FRAGMENT || (s == PKT_TCP && seg->reassembled))
		pl->st.frag = *ipfrag_stats(pl->frag);
	return s;
}

void
pipeline_on_segment(struct pipeline *pl, pipeline_seg_fn *fn, void *arg)
{
	pl->seg_fn = fn;
	pl->seg_arg = arg;
}

/* One segment into the table, then to the caller's hook. */
static void
classify(struct pipeline *pl, const struct pkt_tcp *seg)
{
	if (flow_table_add(pl->table, seg) < 0)
		pl->failed = true;
	if (pl->seg_fn != NULL)
		pl->seg_fn(seg, pl->seg_arg);
}

bool
pipeline_failed(const struct pipeline *pl)
{
	return pl->failed;
}

/* ------------------------------------------------------------------ */
/* live capture */

static void
live_frame(void *arg, int linktype, int64_t ts_us, uint32_t len,
    const uint8_t *frame, uint32_t caplen)
{
	struct pipeline *pl = arg;
	struct pkt_tcp seg;
	enum pkt_status s;

	(void)len;
	pthread_mutex_lock(&pl->lock);
	s = decode(pl, linktype, ts_us, frame, caplen, &seg);
	if (s == PKT_TCP)
		classify(pl, &seg);
	pthread_mutex_unlock(&pl->lock);
}

struct capture *
pipeline_capture_open(struct pipeline *pl, const struct capture_opts *o,
    enum capture_err *why, char *errbuf)
{
	return capture_open(o, live_frame, pl, why, errbuf);
}

void
pipeline_advance(struct pipeline *pl, int64_t now_us)
{
	pthread_mutex_lock(&pl->lock);
	flow_table_advance(pl->table, now_us);
	pthread_mutex_unlock(&pl->lock);
}

const struct pipeline_stats *
pipeline_stats(const struct pipeline *pl)
{
	return &pl->st;
}

/* ------------------------------------------------------------------ */
/* capture files */

void
pipeline_file_close(struct pipeline_file *f)
{
	if (f->p != NULL)
		pcap_close(f->p);	/* closes the stream zread handed over */
	f->p = NULL;
	zread_free(f->z);
	f->z = NULL;
}

int
pipeline_file_open(struct pipeline_file *f, const char *path,
    const char *filter, enum pipeline_file_err *why, char *errbuf)
{
	char perr[PCAP_ERRBUF_SIZE];
	FILE *fp;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->filter = filter;
	f->z = zread_open(path, errbuf);
	if (f->z == NULL) {
		*why = PIPELINE_FILE_OPEN;
		return -1;
	}
	f->compression = zread_kind_name(zread_kind(f->z));
	fp = zread_take(f->z);
	f->p = pcap_fopen_offline(fp, perr);
	if (f->p == NULL) {
		*why = PIPELINE_FILE_OPEN;
		errbuf_set(errbuf, "%s: %s", path, zread_error(f->z)[0] ?
		    zread_error(f->z) : perr);
		if (fp != stdin)
			fclose(fp);
		zread_free(f->z);
		f->z = NULL;
		return -1;
	}
	f->linktype = pcap_datalink(f->p);
	if (!pkt_link_supported(f->linktype)) {
		*why = PIPELINE_FILE_LINK;
		errbuf_set(errbuf, "%s: link type %d (%s) is not supported",
		    path, f->linktype, pipeline_link_name(f->linktype));
		pipeline_file_close(f);
		return -1;
	}
	if (filter != NULL) {
		struct bpf_program prog;

		if (pcap_compile(f->p, &prog, filter, 1,
		    PCAP_NETMASK_UNKNOWN) < 0) {
			*why = PIPELINE_FILE_FILTER;
			errbuf_set(errbuf, "%s", pcap_geterr(f->p));
			pipeline_file_close(f);
			return -1;
		}
		if (pcap_setfilter(f->p, &prog) < 0) {
			*why = PIPELINE_FILE_SETFILTER;
			errbuf_set(errbuf, "%s: filter: %s", path,
			    pcap_geterr(f->p));
			pcap_freecode(&prog);
			pipeline_file_close(f);
			return -1;
		}
		pcap_freecode(&prog);
	}
	*why = PIPELINE_FILE_OK;
	return 0;
}

/*
 * Files given out of time order (or unrelated captures) are separate
 * captures: end the earlier one rather than clamp the later one's packets
 * to its clock. Small steps back (reordered capture queues) stay in one
 * capture.
 */
static void
classify_file_seg(struct reading *rd, const struct pkt_tcp *seg)
{
	struct pipeline *pl = rd->pl;

	if (pl->have_ts && seg->ts_us + NEW_CAPTURE_US < pl->last_ts) {
		flow_table_flush(pl->table);
		pl->last_ts = seg->ts_us;
	} else if (!pl->have_ts || seg->ts_us > pl->last_ts) {
		pl->last_ts = seg->ts_us;
	}
	pl->have_ts = true;
	classify(pl, seg);
	if (pl->failed)
		atomic_store(rd->stop, true);
}

/* The producer owns ring[(head + count) % NBATCH] until it publishes it. */
static struct batch *
slot_wait(struct reading *rd)
{
	struct batch *b;

	pthread_mutex_lock(&rd->lock);
	while (rd->count == NBATCH && !atomic_load(rd->stop))
		pthread_cond_wait(&rd->not_full, &rd->lock);
	b = atomic_load(rd->stop) ? NULL :
	    &rd->ring[(rd->head + rd->count) % NBATCH];
	pthread_mutex_unlock(&rd->lock);
	if (b)
		b->n = 0;
	return b;
}

static void
consume(struct reading *rd, const struct batch *b)
{
	int i;

	for (i = 0; i < b->n && !atomic_load(rd->stop); i++)
		classify_file_seg(rd, &b->seg[i]);
}

static void
publish(struct reading *rd, bool done)
{
	pthread_mutex_lock(&rd->lock);
	if (!done)
		rd->count++;
	else
		rd->done = true;
	pthread_cond_signal(&rd->not_empty);
	pthread_mutex_unlock(&rd->lock);
}

/*
 * Where one file stands: its next packet, held until it is the oldest of
 * all files' next packets (the merge), and what was read of it so far.
 */
struct source {
	struct pipeline_file *f;
	struct pcap_pkthdr *h;
	const u_char *data;
	int64_t ts;
	struct heap_node hn;	/* by ts, then the file's place (seq) */
	uint64_t n, off;	/* packets read; classic pcap byte offset */
	bool classic;
};

/*
 * The file's next packet into src. Returns 1, 0 at its end (the file is
 * closed then: a long rotated set holds only the files still being
 * read), or -1 when it broke: pl->error says where. Classic pcap offsets
 * are counted (16-byte record header plus the captured bytes); pcapng
 * blocks are not visible through libpcap, so its file position at the
 * failure is given instead.
 */
static int
source_next(struct pipeline *pl, struct source *src)
{
	struct pipeline_file *in = src->f;
	int rc = pcap_next_ex(in->p, &src->h, &src->data);
	char where[64] = "";
	FILE *fp;
	long pos;

	if (rc == 1) {
		src->n++;
		src->off += 16 + src->h->caplen;
		src->ts = pkt_ts_us(src->h->ts.tv_sec, src->h->ts.tv_usec);
		return 1;
	}
	in->packets = src->n;
	in->ended = true;
	if (rc == PCAP_ERROR_BREAK) {
		pipeline_file_close(in);
		return 0;
	}
	fp = pcap_file(in->p);
	pos = fp && !src->classic ? ftell(fp) : -1;
	if (src->classic)
		snprintf(where, sizeof(where), " (byte offset %" PRIu64 ")",
		    src->off);
	else if (pos >= 0)
		snprintf(where, sizeof(where), " (near byte offset %ld)", pos);
	snprintf(pl->error, sizeof(pl->error), "%s: broken at packet %"
	    PRIu64 "%s: %s", in->path, src->n + 1, where,
	    zread_error(in->z)[0] ? zread_error(in->z) :
	    rc == -1 ? pcap_geterr(in->p) : "unexpected end");
	return -1;
}

/* Is a's next packet older than b's (the earlier file first on a tie)? */
static bool
source_before(const struct source *a, const struct source *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->f < b->f);
}

/* The source with the oldest next packet, or NULL when none is left. */
static struct source *
oldest(const struct heap *h)
{
	return HEAP_ENTRY(heap_top(h), struct source, hn);
}

/*
 * Decode the packet src holds into the current batch; hand a full batch
 * to the classifying thread (or classify it here when there is none).
 * Returns false when told to stop.
 */
static bool
emit(struct reading *rd, struct source *src, struct batch **bp)
{
	struct batch *b = *bp;
	enum pkt_status s;

	s = decode(rd->pl, src->f->linktype, src->ts, src->data,
	    src->h->caplen, &b->seg[b->n]);
	if (s != PKT_TCP)
		return true;
	b->seg[b->n].payload = NULL;
	if (++b->n < BATCH)
		return true;
	if (!rd->threaded) {
		consume(rd, b);
		b->n = 0;
		return !atomic_load(rd->stop);
	}
	publish(rd, false);
	return (*bp = slot_wait(rd)) != NULL;
}

/*
 * Open src's file again (it was parked, or closed after it was checked)
 * and position it at its first packet. Returns 1, 0 when it has none, -1
 * when it cannot be read: pl->error says why.
 */
static int
source_open(struct pipeline *pl, struct source *src)
{
	struct pipeline_file *f = src->f;
	enum pipeline_file_err why;
	char ebuf[ERRBUF_LEN];

	if (f->p == NULL && pipeline_file_open(f, f->path, f->filter, &why,
	    ebuf) < 0) {
		snprintf(pl->error, sizeof(pl->error), "%s", ebuf);
		return -1;
	}
	src->n = 0;
	src->off = 24;
	src->classic = pcap_major_version(f->p) == 2;
	return source_next(pl, src);
}

/* Parked files in the order they begin (the earlier file on a tie). */
static int
by_first_ts(const void *a, const void *b)
{
	const struct source *x = *(struct source *const *)a;
	const struct source *y = *(struct source *const *)b;

	return source_before(x, y) ? -1 : source_before(y, x) ? 1 : 0;
}

/*
 * All files as one timeline: always the oldest of their next packets, so
 * a rotated set (tcpdump -C, -G, -W) given in any order is one capture
 * and a connection that spans files is one connection. With several
 * files, each is opened to read its first packet's time, then closed
 * (parked) until the timeline reaches that time: only the files that
 * overlap in time are open at once, whatever the size of the set
 * (standard input, which cannot be read twice, stays open). Returns 0, or
 * -1 when a file broke (what came before it was fed).
 */
static int
read_merged(struct reading *rd, struct batch **bp)
{
	struct source *srcs = calloc((size_t)rd->nin, sizeof(*srcs));
	struct source **parked = calloc((size_t)rd->nin, sizeof(*parked));
	struct heap heap;
	int i, np = 0, next = 0, rc = 0;

	heap_init(&heap);
	if (srcs == NULL || parked == NULL) {
		rd->pl->failed = true;
		goto out;
	}
	for (i = 0; i < rd->nin && rc == 0; i++) {
		struct source *src = &srcs[i];

		src->f = &rd->in[i];
		src->hn.seq = (uint64_t)i;
		src->hn.idx = HEAP_NONE;
		rc = source_open(rd->pl, src);
		if (rc < 0)
			break;
		if (rd->on_file != NULL)
			rd->on_file(src->f, rd->arg);
		if (rc == 1 && rd->nin > 1 && strcmp(src->f->path, "-") != 0) {
			pipeline_file_close(src->f);
			parked[np++] = src;
		} else if (rc == 1 && heap_push(&heap, &src->hn, src->ts) < 0) {
			rd->pl->failed = true;
			goto out;
		}
		rc = 0;
	}
	qsort(parked, (size_t)np, sizeof(*parked), by_first_ts);
	while (rc == 0) {
		struct source *top;

		/* open the files whose first packet is due */
		while (next < np && (heap.len == 0 ||
		    !source_before(oldest(&heap), parked[next]))) {
			struct source *src = parked[next++];

			rc = source_open(rd->pl, src);
			if (rc < 0)
				goto out;
			if (rc == 1 && heap_push(&heap, &src->hn, src->ts) < 0) {
				rd->pl->failed = true;
				goto out;
			}
			rc = 0;
		}
		top = oldest(&heap);
		if (top == NULL)
			break;
		if (!emit(rd, top, bp))
			break;
		rc = source_next(rd->pl, top);
		if (rc < 0)
			break;
		if (rc == 0)
			heap_remove(&heap, &top->hn);
		else
			heap_rekey(&heap, &top->hn, top->ts);
		rc = 0;
	}
out:
	free(srcs);
	heap_free(&heap);
	free(parked);
	return rc < 0 ? -1 : 0;
}

static void *
produce(void *arg)
{
	struct reading *rd = arg;
	struct batch *b = rd->threaded ? slot_wait(rd) : &rd->ring[0];

	if (b != NULL && !rd->threaded)
		b->n = 0;
	if (b != NULL && read_merged(rd, &b) < 0)
		rd->rc = -1;
	if (!rd->threaded) {
		if (b != NULL)
			consume(rd, b);
		return NULL;
	}
	if (b != NULL && b->n > 0)
		publish(rd, false);
	publish(rd, true);
	return NULL;
}

int
pipeline_read_files(struct pipeline *pl, struct pipeline_file *files, int n,
    pipeline_file_fn *on_file, void *arg, atomic_bool *stop)
{
	struct reading rd = {
		.pl = pl, .in = files, .nin = n, .on_file = on_file,
		.arg = arg, .stop = stop, .threaded = true,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.not_empty = PTHREAD_COND_INITIALIZER,
		.not_full = PTHREAD_COND_INITIALIZER,
	};
	pthread_t th;

	rd.ring = malloc(NBATCH * sizeof(*rd.ring));
	if (rd.ring == NULL)
		return -2;
	if (pthread_create(&th, NULL, produce, &rd) != 0) {
		/* no second thread: read and classify in turn, same result */
		rd.threaded = false;
		produce(&rd);
	} else {
		for (;;) {
			struct batch *b;

			pthread_mutex_lock(&rd.lock);
			while (rd.count == 0 && !rd.done)
				pthread_cond_wait(&rd.not_empty, &rd.lock);
			if (rd.count == 0 && rd.done) {
				pthread_mutex_unlock(&rd.lock);
				break;
			}
			b = &rd.ring[rd.head];
			pthread_mutex_unlock(&rd.lock);
			consume(&rd, b);
			pthread_mutex_lock(&rd.lock);
			rd.head = (rd.head + 1) % NBATCH;
			rd.count--;
			pthread_cond_signal(&rd.not_full);
			pthread_mutex_unlock(&rd.lock);
		}
		pthread_join(th, NULL);
	}
	free(rd.ring);
	return pl->failed ? -2 : rd.rc;
}

const char *
pipeline_error(const struct pipeline *pl)
{
	return pl->error;
}

/* ------------------------------------------------------------------ */
/* either */

void
pipeline_flush(struct pipeline *pl)
{
	pthread_mutex_lock(&pl->lock);
	flow_table_flush(pl->table);
	pthread_mutex_unlock(&pl->lock);
}

const struct flow_summary *
pipeline_summary(const struct pipeline *pl)
{
	return flow_table_summary(pl->table);
}

void
pipeline_free(struct pipeline *pl)
{
	if (pl == NULL)
		return;
	flow_table_free(pl->table);
	ipfrag_free(pl->frag);
	pthread_mutex_destroy(&pl->lock);
	free(pl);
}
