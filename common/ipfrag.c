/* SPDX-License-Identifier: BSD-2-Clause */
/* IPv4 and IPv6 fragment reassembly, bounded in memory and in time. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "ipfrag.h"

#define DEF_MAX_BYTES	(16u << 20)
#define DEF_MAX_DGRAMS	4096u
#define DEF_TIMEOUT_US	(30 * 1000000LL)	/* Linux's ipfrag_time */
#define MAX_DGRAM	65535u	/* no fragment reaches past this */
#define MAX_RANGES	64	/* holes a datagram may have at once */
#define NBUCKET		1024	/* power of two */
/* Nested reassembly (a fragment inside a reassembled tunnel packet). */
#define MAX_ROUNDS	(PKT_MAX_TUNNELS + 1)

struct range {
	uint32_t lo, hi;
};

/* One datagram in progress. */
struct dgram {
	struct dgram *hnext;		/* bucket chain */
	TAILQ_ENTRY(dgram) age;		/* oldest first */
	struct pkt_frag key;		/* family, addresses, id, proto */
	int64_t first_ts;
	bool have_first;		/* offset 0 seen: proto known (IPv6) */
	uint32_t total;			/* end of the last piece; 0 unknown */
	uint32_t cap;
	uint8_t *buf;
	int nr;
	struct range r[MAX_RANGES];	/* held bytes, sorted, disjoint */
};

struct ipfrag {
	struct ipfrag_limits lim;
	struct ipfrag_stats st;
	struct dgram *bucket[NBUCKET];
	TAILQ_HEAD(, dgram) ages;
	size_t n, bytes;
	uint8_t *done;			/* the last completed datagram */
};

struct ipfrag *
ipfrag_new(const struct ipfrag_limits *lim)
{
	struct ipfrag *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	if (lim != NULL)
		f->lim = *lim;
	if (f->lim.max_bytes == 0)
		f->lim.max_bytes = DEF_MAX_BYTES;
	if (f->lim.max_datagrams == 0)
		f->lim.max_datagrams = DEF_MAX_DGRAMS;
	if (f->lim.timeout_us <= 0)
		f->lim.timeout_us = DEF_TIMEOUT_US;
	TAILQ_INIT(&f->ages);
	return f;
}

static bool
same_key(const struct pkt_frag *a, const struct pkt_frag *b)
{
	size_t n = a->family == AF_INET6 ? 16 : 4;

	return a->family == b->family && a->id == b->id &&
	    (a->family == AF_INET6 || a->proto == b->proto) &&
	    memcmp(a->saddr, b->saddr, n) == 0 &&
	    memcmp(a->daddr, b->daddr, n) == 0;
}

static unsigned int
key_hash(const struct pkt_frag *k)
{
	uint32_t h = 2166136261u;
	size_t i, n = k->family == AF_INET6 ? 16 : 4;

	for (i = 0; i < n; i++)
		h = (h ^ k->saddr[i] ^ (uint32_t)k->daddr[i] << 8) *
		    16777619u;
	h = (h ^ k->id) * 16777619u;
	return (h ^ h >> 16) & (NBUCKET - 1);
}

static void
dgram_drop(struct ipfrag *f, struct dgram *d)
{
	struct dgram **pp = &f->bucket[key_hash(&d->key)];

	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	TAILQ_REMOVE(&f->ages, d, age);
	f->n--;
	f->bytes -= d->cap;
	free(d->buf);
	free(d);
}

void
ipfrag_expire(struct ipfrag *f, int64_t now_us)
{
	struct dgram *d;

	while ((d = TAILQ_FIRST(&f->ages)) != NULL &&
	    now_us - d->first_ts > f->lim.timeout_us) {
		dgram_drop(f, d);
		f->st.timed_out++;
	}
}

/* The datagram of piece p, made when new (evicting the oldest when at
 * the cap). NULL on ENOMEM. */
static struct dgram *
dgram_get(struct ipfrag *f, int64_t ts_us, const struct pkt_frag *p)
{
	unsigned int h = key_hash(p);
	struct dgram *d;

	for (d = f->bucket[h]; d != NULL; d = d->hnext)
		if (same_key(&d->key, p))
			return d;
	if (f->n >= f->lim.max_datagrams && !TAILQ_EMPTY(&f->ages)) {
		dgram_drop(f, TAILQ_FIRST(&f->ages));
		f->st.evicted++;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->key = *p;
	d->key.data = NULL;
	d->first_ts = ts_us;
	d->hnext = f->bucket[h];
	f->bucket[h] = d;
	TAILQ_INSERT_TAIL(&f->ages, d, age);
	f->n++;
	return d;
}

/*
 * Check [lo, hi) of data against the bytes d already holds there.
 * Returns -1 when they disagree, 1 when some overlapped (the same), 0
 * when none did.
 */
static int
overlap_check(const struct dgram *d, uint32_t lo, uint32_t hi,
    const uint8_t *data)
{
	int i, seen = 0;

	for (i = 0; i < d->nr; i++) {
		uint32_t a = d->r[i].lo > lo ? d->r[i].lo : lo;
		uint32_t b = d->r[i].hi < hi ? d->r[i].hi : hi;

		if (a >= b)
			continue;
		if (memcmp(d->buf + a, data + (a - lo), b - a) != 0)
			return -1;
		seen = 1;
	}
	return seen;
}

/* Add [lo, hi) to the sorted, disjoint ranges. False when too many. */
static bool
range_add(struct dgram *d, uint32_t lo, uint32_t hi)
{
	int i, j;

	for (i = 0; i < d->nr && d->r[i].hi < lo; i++)
		;
	/* ranges i.. that touch [lo, hi) merge into one */
	for (j = i; j < d->nr && d->r[j].lo <= hi; j++) {
		if (d->r[j].lo < lo)
			lo = d->r[j].lo;
		if (d->r[j].hi > hi)
			hi = d->r[j].hi;
	}
	if (j == i) {
		if (d->nr == MAX_RANGES)
			return false;
		memmove(&d->r[i + 1], &d->r[i],
		    (size_t)(d->nr - i) * sizeof(d->r[0]));
		d->nr++;
	} else if (j > i + 1) {
		memmove(&d->r[i + 1], &d->r[j],
		    (size_t)(d->nr - j) * sizeof(d->r[0]));
		d->nr -= j - i - 1;
	}
	d->r[i].lo = lo;
	d->r[i].hi = hi;
	return true;
}

/* Room for hi bytes in d's buffer, within the byte cap (evicting older
 * datagrams first). False when it cannot be had. */
static bool
dgram_room(struct ipfrag *f, struct dgram *d, uint32_t hi)
{
	uint32_t cap;
	uint8_t *nb;

	if (hi <= d->cap)
		return true;
	cap = d->cap ? d->cap : 2048;
	while (cap < hi)
		cap *= 2;
	if (cap > MAX_DGRAM)
		cap = MAX_DGRAM;
	while (f->bytes + (cap - d->cap) > f->lim.max_bytes &&
	    TAILQ_FIRST(&f->ages) != d) {
		dgram_drop(f, TAILQ_FIRST(&f->ages));
		f->st.evicted++;
	}
	if (f->bytes + (cap - d->cap) > f->lim.max_bytes)
		return false;
	if ((nb = realloc(d->buf, cap)) == NULL)
		return false;
	f->bytes += cap - d->cap;
	d->buf = nb;
	d->cap = cap;
	return true;
}

enum ipfrag_result
ipfrag_add(struct ipfrag *f, int64_t ts_us, const struct pkt_frag *p,
    struct pkt_frag *whole, const uint8_t **data)
{
	struct dgram *d;
	uint32_t lo = p->offset, hi;
	int ov;

	f->st.fragments++;
	ipfrag_expire(f, ts_us);
	/* Every piece but the last carries a multiple of 8 bytes. */
	if (p->data == NULL || p->len > MAX_DGRAM ||
	    lo > MAX_DGRAM - p->len || (p->more && (p->len == 0 ||
	    p->len % 8 != 0))) {
		f->st.invalid++;
		return IPFRAG_DROPPED;
	}
	hi = lo + p->len;
	if ((d = dgram_get(f, ts_us, p)) == NULL) {
		f->st.evicted++;
		return IPFRAG_DROPPED;
	}
	/* A second end, or bytes past the end, contradict the first. */
	if ((d->total != 0 && (hi > d->total ||
	    (!p->more && hi != d->total))) ||
	    (!p->more && d->nr > 0 && d->r[d->nr - 1].hi > hi)) {
		dgram_drop(f, d);
		f->st.conflicts++;
		return IPFRAG_DROPPED;
	}
	if (!dgram_room(f, d, hi)) {
		dgram_drop(f, d);
		f->st.evicted++;
		return IPFRAG_DROPPED;
	}
	if ((ov = overlap_check(d, lo, hi, p->data)) < 0) {
		dgram_drop(f, d);
		f->st.conflicts++;
		return IPFRAG_DROPPED;
	}
	if (ov > 0)
		f->st.overlaps++;
	if (!range_add(d, lo, hi)) {
		dgram_drop(f, d);
		f->st.invalid++;
		return IPFRAG_DROPPED;
	}
	memcpy(d->buf + lo, p->data, p->len);
	if (!p->more)
		d->total = hi;
	if (lo == 0) {
		d->have_first = true;
		d->key.proto = p->proto;
		d->key.depth = p->depth;
	}
	if (d->total == 0 || !d->have_first || d->nr != 1 ||
	    d->r[0].lo != 0 || d->r[0].hi != d->total)
		return IPFRAG_HELD;

	*whole = d->key;
	whole->offset = 0;
	whole->more = false;
	whole->len = d->total;
	/* The piece was copied: the previous datagram may go now. */
	free(f->done);
	f->done = d->buf;
	whole->data = f->done;
	*data = f->done;
	f->bytes -= d->cap;
	d->buf = NULL;
	d->cap = 0;
	dgram_drop(f, d);
	f->st.reassembled++;
	return IPFRAG_DONE;
}

enum pkt_status
ipfrag_decode(struct ipfrag *f, const struct pkt_config *cfg, int linktype,
    int64_t ts_us, const uint8_t *frame, uint32_t caplen,
    struct pkt_tcp *out)
{
	struct pkt_frag piece, whole;
	const uint8_t *data;
	enum pkt_status s;
	int i;

	s = pkt_decode_cfg(cfg, linktype, ts_us, frame, caplen, out,
	    f ? &piece : NULL);
	for (i = 0; f != NULL && s == PKT_FRAGMENT && i < MAX_ROUNDS; i++) {
		if (ipfrag_add(f, ts_us, &piece, &whole, &data) !=
		    IPFRAG_DONE)
			return PKT_FRAGMENT;
		s = pkt_decode_datagram(cfg, &whole, data, whole.len, out,
		    &piece);
	}
	return s;
}

size_t
ipfrag_pending(const struct ipfrag *f, size_t *bytes)
{
	if (bytes != NULL)
		*bytes = f->bytes;
	return f->n;
}

const struct ipfrag_stats *
ipfrag_stats(const struct ipfrag *f)
{
	return &f->st;
}

void
ipfrag_free(struct ipfrag *f)
{
	if (f == NULL)
		return;
	while (!TAILQ_EMPTY(&f->ages))
		dgram_drop(f, TAILQ_FIRST(&f->ages));
	free(f->done);
	free(f);
}
