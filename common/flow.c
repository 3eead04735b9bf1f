/* SPDX-License-Identifier: BSD-2-Clause */
/* The teardown classifier: how each TCP connection in a packet stream ended. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "flow.h"
#include "names.h"

/*
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

#define DEFAULT_GRACE_US	5000000	/* Zeek's tcp_close_delay */
#define ATTEMPT_US		5000000	/* Zeek's tcp_attempt_delay */
/*
 * Connections that will never see a FIN or RST are settled by silence:
 * an unanswered SYN after 64 s (Linux's longest SYN backoff is 32 s), a
 * run of unanswered retransmissions or probes after 120 s (TCP_RTO_MAX:
 * a sender still trying would have tried again by then).
 */
#define SYN_GIVEUP_US		64000000
#define RUN_GIVEUP_US		120000000
#define TOO_LARGE_SEQ_DELTA	1048576
#define HEAD_STEPS		4	/* first packets kept for the ladder */
#define MAX_BLOCKS		8	/* out-of-order blocks kept per side */
#define NO_TIME			INT64_MAX

/* Zeek's endpoint states. */
enum zstate {
	Z_INACTIVE, Z_SYN_SENT, Z_SYN_ACK_SENT, Z_PARTIAL, Z_ESTABLISHED,
	Z_CLOSED, Z_RESET
};

/* Zeek's history mask bits (per side: orig low 16 bits, resp high). */
#define H_SYN		0x01
#define H_FIN		0x02
#define H_RST		0x04
#define H_FIN_RST	0x08
#define H_DATA		0x10
#define H_ACK		0x20
#define H_MULTI		0x40

#define FPS_ORIG	1
#define FPS_RESP	2

struct blk {
	uint64_t seq, upper;
};

/* Fields in the order of use: the first ones are touched by most packets. */
struct side {
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
	struct blk blocks[MAX_BLOCKS];
};

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
	int64_t heap_key;
	size_t heap_idx;		/* SIZE_MAX: not in the heap */
	int64_t z_last_time;
	int64_t last_ts;

	struct side s[2];

	/* --- cold --- */
	struct flow *hnext;		/* free list */
	struct flow *prev, *next;	/* open flows, in creation order */
	uint64_t id;
	uint64_t hash;
	int64_t first_ts;
	char hist[FLOW_HISTORY_MAX];
	uint64_t nsteps_total;
	struct flow_step steps[];	/* HEAD_STEPS, then a ring */
};

struct slot {
	uint64_t hash;
	struct flow *f;		/* NULL: empty */
};

struct flow_table {
	struct flow_config cfg;
	flow_report_fn report;
	void *arg;

	struct slot *slots;		/* open addressing, linear probing */
	size_t nslots;			/* power of two, at most half full */
	size_t count;

	struct flow *head, *tail;	/* open flows, in creation order */
	struct flow *free_list;
	size_t flow_size;

	struct flow **heap;
	size_t heap_len, heap_cap;
	int64_t top_key;		/* heap[0]'s key, without touching it */

	int64_t now;
	uint64_t next_id;
	struct flow_summary sum;
	struct flow_step *scratch;	/* ladder steps for a report */
};

static const char *const class_names[FLOW_CLASS_COUNT] = {
	"fin", "fin-rst", "rst", "refused", "no-answer", "vanished", "open"
};

static const char *const state_names[FLOW_STATE_COUNT] = {
	"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0",
	"RSTRH", "SH", "SHR", "OTH"
};

static const char *const note_names[FLOW_NOTE_COUNT] = {
	"orig-unacked", "resp-unacked", "rst-after-fin", "data-after-fin",
	"rst-answers-data", "fin-retransmitted", "retransmitted", "keepalive",
	"zero-window", "waited", "gap", "syn-retransmitted", "data-after-rst",
	"data-beyond-fin", "idle-evicted", "self-connect"
};

/* ------------------------------------------------------------------ */
/* names */

const char *
flow_class_name(enum flow_class c)
{
	return names_get(class_names, FLOW_CLASS_COUNT, c, "?");
}

int
flow_class_parse(const char *name, enum flow_class *c)
{
	int i = names_find(class_names, FLOW_CLASS_COUNT, name);

	if (i < 0)
		return -1;
	*c = (enum flow_class)i;
	return 0;
}

const char *
flow_side_name(enum flow_side s)
{
	switch (s) {
	case FLOW_SIDE_ORIG:
		return "orig";
	case FLOW_SIDE_RESP:
		return "resp";
	default:
		return "";
	}
}

const char *
flow_state_name(enum flow_state s)
{
	return names_get(state_names, FLOW_STATE_COUNT, s, "?");
}

int
flow_state_parse(const char *name, enum flow_state *s)
{
	int i = names_find(state_names, FLOW_STATE_COUNT, name);

	if (i < 0)
		return -1;
	*s = (enum flow_state)i;
	return 0;
}

static int
note_index(enum flow_note bit)
{
	int i;

	for (i = 0; i < FLOW_NOTE_COUNT; i++)
		if ((uint32_t)bit == 1u << i)
			return i;
	return -1;
}

const char *
flow_note_name(enum flow_note bit)
{
	int i = note_index(bit);

	return i < 0 ? "?" : note_names[i];
}

int
flow_note_parse(const char *name, enum flow_note *bit)
{
	int i = names_find(note_names, FLOW_NOTE_COUNT, name);

	if (i < 0)
		return -1;
	*bit = (enum flow_note)(1u << i);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the deadline heap: one entry per flow with a settle or idle deadline */

static bool
heap_less(const struct flow *a, const struct flow *b)
{
	if (a->heap_key != b->heap_key)
		return a->heap_key < b->heap_key;
	return a->id < b->id;
}

static void
heap_set(struct flow_table *t, size_t i, struct flow *f)
{
	t->heap[i] = f;
	f->heap_idx = i;
	if (i == 0)
		t->top_key = f->heap_key;
}

static void
heap_up(struct flow_table *t, size_t i)
{
	struct flow *f = t->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!heap_less(f, t->heap[p]))
			break;
		heap_set(t, i, t->heap[p]);
		i = p;
	}
	heap_set(t, i, f);
}

static void
heap_down(struct flow_table *t, size_t i)
{
	struct flow *f = t->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct flow *best = f;

		if (l < t->heap_len && heap_less(t->heap[l], best)) {
			m = l;
			best = t->heap[l];
		}
		if (l + 1 < t->heap_len && heap_less(t->heap[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		heap_set(t, i, t->heap[m]);
		i = m;
	}
	heap_set(t, i, f);
}

static void
heap_remove(struct flow_table *t, struct flow *f)
{
	size_t i = f->heap_idx;
	struct flow *last;

	if (i == SIZE_MAX)
		return;
	f->heap_idx = SIZE_MAX;
	last = t->heap[--t->heap_len];
	if (t->heap_len == 0)
		t->top_key = NO_TIME;
	if (last == f)
		return;
	heap_set(t, i, last);
	heap_up(t, i);
	heap_down(t, last->heap_idx);
}

/*
 * Only SYNs so far: the responder sent nothing, or a self-connection's
 * socket never answered its own SYN.
 */
static bool
syn_unanswered(const struct flow *f)
{
	const struct side *o = &f->s[f->oi], *r = &f->s[1 - f->oi];

	if (f->self)
		return f->s[0].sent_syn && !f->s[0].sent_synack &&
		    f->s[0].st.packets == f->s[0].syns;
	return o->sent_syn && !r->seen;
}

/*
 * The time this flow should be looked at again, NO_TIME for never; *idle
 * (may be NULL) says whether that time is the idle limit's.
 */
static int64_t
flow_deadline_why(const struct flow_table *t, const struct flow *f,
    bool *idle)
{
	const struct side *o = &f->s[f->oi], *r = &f->s[1 - f->oi];
	int64_t d = f->settle_at;

	if (syn_unanswered(f) && f->last_ts + SYN_GIVEUP_US < d)
		d = f->last_ts + SYN_GIVEUP_US;
	else if ((o->tries > 0 || r->tries > 0) &&
	    f->last_ts + RUN_GIVEUP_US < d)
		d = f->last_ts + RUN_GIVEUP_US;
	if (idle)
		*idle = false;
	if (t->cfg.idle_us > 0 && f->last_ts + t->cfg.idle_us < d) {
		d = f->last_ts + t->cfg.idle_us;
		if (idle)
			*idle = true;
	}
	return d;
}

static int64_t
flow_deadline(const struct flow_table *t, const struct flow *f)
{
	return flow_deadline_why(t, f, NULL);
}

/* Make sure the flow is in the heap no later than its deadline. Keys may
 * be early (idle deadlines move with every packet); advance() re-keys. */
static int
heap_schedule(struct flow_table *t, struct flow *f)
{
	int64_t d = flow_deadline(t, f);

	if (d == NO_TIME)
		return 0;
	if (f->heap_idx != SIZE_MAX) {
		if (f->heap_key <= d)
			return 0;
		f->heap_key = d;
		heap_up(t, f->heap_idx);
		return 0;
	}
	if (t->heap_len == t->heap_cap) {
		size_t cap = t->heap_cap ? t->heap_cap * 2 : 256;
		struct flow **h = realloc(t->heap, cap * sizeof(*h));

		if (h == NULL)
			return -1;
		t->heap = h;
		t->heap_cap = cap;
	}
	f->heap_key = d;
	heap_set(t, t->heap_len, f);
	t->heap_len++;
	heap_up(t, t->heap_len - 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the hash table */

static uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* One endpoint folded to 64 bits: the address's halves and the port. */
static inline uint64_t
endpoint_key(const uint8_t *a, uint16_t port)
{
	return (load64(a) ^ (load64(a + 8) * 0x9e3779b97f4a7c15ull)) +
	    ((uint64_t)port << 48 | port);
}

/* Direction-independent: the endpoints are combined symmetrically, then
 * mixed well (murmur3's finalizer): linear probing needs good low bits. */
static inline uint64_t
tuple_hash(uint8_t family, const uint8_t *a, uint16_t pa, const uint8_t *b,
    uint16_t pb)
{
	uint64_t ka = endpoint_key(a, pa), kb = endpoint_key(b, pb);
	uint64_t x = (ka + kb) ^ ((ka ^ kb) << 21 | (ka ^ kb) >> 43) ^ family;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static int
flow_match(const struct flow *f, const struct pkt_tcp *p, int *from)
{
	if (f->family != p->family)
		return 0;
	if (f->port[0] == p->sport && f->port[1] == p->dport &&
	    memcmp(f->addr[0], p->saddr, 16) == 0 &&
	    memcmp(f->addr[1], p->daddr, 16) == 0) {
		*from = 0;
		return 1;
	}
	if (f->port[1] == p->sport && f->port[0] == p->dport &&
	    memcmp(f->addr[1], p->saddr, 16) == 0 &&
	    memcmp(f->addr[0], p->daddr, 16) == 0) {
		*from = 1;
		return 1;
	}
	return 0;
}

static int
table_grow(struct flow_table *t)
{
	size_t n = t->nslots * 2, i, mask = n - 1;
	struct slot *ns = calloc(n, sizeof(*ns));

	if (ns == NULL)
		return -1;
	for (i = 0; i < t->nslots; i++) {
		size_t j;

		if (t->slots[i].f == NULL)
			continue;
		for (j = t->slots[i].hash & mask; ns[j].f != NULL;
		    j = (j + 1) & mask)
			;
		ns[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = ns;
	t->nslots = n;
	return 0;
}

static void
table_insert(struct flow_table *t, struct flow *f)
{
	size_t mask = t->nslots - 1, j;

	for (j = f->hash & mask; t->slots[j].f != NULL; j = (j + 1) & mask)
		;
	t->slots[j].hash = f->hash;
	t->slots[j].f = f;
}

/* Remove f, shifting back the entries that probed past its slot. */
static void
table_remove(struct flow_table *t, struct flow *f)
{
	size_t mask = t->nslots - 1, i, j;

	for (i = f->hash & mask; t->slots[i].f != f; i = (i + 1) & mask)
		if (t->slots[i].f == NULL)
			return;
	for (j = (i + 1) & mask; t->slots[j].f != NULL; j = (j + 1) & mask) {
		size_t home = t->slots[j].hash & mask;

		/* can the entry at j move to i? only if i is on its path */
		if (i <= j ? (home <= i || home > j) :
		    (home <= i && home > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].f = NULL;
	t->slots[i].hash = 0;
}

static void
table_unlink(struct flow_table *t, struct flow *f)
{
	table_remove(t, f);
	if (f->prev)
		f->prev->next = f->next;
	else
		t->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		t->tail = f->prev;
	t->count--;
	heap_remove(t, f);
}

/* ------------------------------------------------------------------ */
/* Zeek emulation: history */

static void
hist_add(struct flow *f, char c)
{
	if (f->hlen + 1 < FLOW_HISTORY_MAX) {
		f->hist[f->hlen++] = c;
		f->hist[f->hlen] = '\0';
	}
}

static bool
is_orig(const struct flow *f, int si)
{
	return si == f->oi;
}

static void
flip_roles(struct flow *f)
{
	uint8_t fps = f->fps;

	f->oi ^= 1;
	f->fps = (uint8_t)(((fps & FPS_ORIG) ? FPS_RESP : 0) |
	    ((fps & FPS_RESP) ? FPS_ORIG : 0));
	f->z_partial = false;
	hist_add(f, '^');
}

/* Record code once per side (Zeek's mask); true if it was seen before. */
static bool
hist_check(struct flow *f, int si, uint32_t mask, char code)
{
	if ((code == 'A' || code == 'D') && f->hlen == 1 &&
	    f->hist[0] == 'H') {
		/*
		 * The connection began with a SYN-ACK and now carries
		 * productive traffic: the SYN-ACK's receiver is the real
		 * originator. Flip and pretend the SYN-ACK was the
		 * responder's all along.
		 */
		flip_roles(f);
		f->hlen = 0;
		hist_add(f, '^');
		hist_add(f, 'h');
		f->fps |= FPS_ORIG;
	}
	if (!is_orig(f, si)) {
		mask <<= 16;
		code = (char)tolower((unsigned char)code);
	}
	if ((f->hist_seen & mask) == 0) {
		f->hist_seen |= mask;
		hist_add(f, code);
		return false;
	}
	return true;
}

static void
hist_add_side(struct flow *f, int si, char code)
{
	hist_add(f, is_orig(f, si) ? code :
	    (char)tolower((unsigned char)code));
}

/* c, g, t, w: recorded at the 1st, 10th, 100th ... occurrence. */
static void
hist_scaled(struct flow *f, int si, char code, uint32_t *cnt, uint32_t *th)
{
	if (++*cnt == *th) {
		uint32_t next = *th * 10;

		hist_add_side(f, si, code);
		if (next <= *th)
			*cnt = 0;
		else
			*th = next;
	}
}

/* ------------------------------------------------------------------ */
/* Zeek emulation: sequence bookkeeping */

static uint64_t
z_rel_space(const struct side *e, uint32_t seq, uint32_t wraps)
{
	return ((uint64_t)wraps << 32) + seq - (uint64_t)e->z_start;
}

static uint64_t
z_rel(const struct side *e, uint32_t cur, uint32_t last, uint32_t wraps,
    bool *underflow)
{
	int32_t d = (int32_t)(cur - last);

	if (d < 0) {
		if (wraps && cur > last)
			wraps--;
	} else if (d > 0) {
		if (cur < last)
			wraps++;
	}
	if (wraps == 0) {
		d = (int32_t)(cur - (uint32_t)e->z_start);
		if (underflow && d < 0)
			*underflow = true;
		return (uint64_t)(int64_t)d;
	}
	return z_rel_space(e, cur, wraps);
}

static void
z_init_seq(struct side *e, uint32_t start, uint32_t last)
{
	e->z_start = start;
	e->z_ack = start;
	e->z_last = last;
}

static void
z_init_endpoint(struct side *e, uint8_t flags, uint32_t seq, uint32_t last)
{
	switch (e->z_state) {
	case Z_INACTIVE:
		if (flags & PKT_SYN)
			z_init_seq(e, seq, last);
		else
			/* as though a SYN had been seen: data from 1 */
			z_init_seq(e, seq - 1, seq);
		break;
	case Z_SYN_SENT:
	case Z_SYN_ACK_SENT:
		if ((flags & PKT_SYN) && seq != (uint32_t)e->z_start)
			z_init_seq(e, seq, last);
		break;
	case Z_ESTABLISHED:
	case Z_PARTIAL:
		if (flags & PKT_SYN)
			z_init_seq(e, seq, last);
		break;
	case Z_RESET:
		if ((flags & PKT_SYN) && e->z_prev == Z_INACTIVE)
			z_init_seq(e, seq, last);
		break;
	default:
		break;
	}
}

static void
z_update_ack(struct side *e, uint32_t ack)
{
	int32_t d = (int32_t)(ack - e->z_ack);

	if (ack == 0 && d > TOO_LARGE_SEQ_DELTA)
		return;	/* a broken ack, not a wrap onto 0 */
	if (d > 0) {
		if (ack < e->z_ack)
			e->z_ack_wraps++;
		e->z_ack = ack;
	}
}

static void
z_set_last(struct side *e, uint32_t seq)
{
	if (seq < e->z_last)
		e->z_seq_wraps++;
	e->z_last = seq;
}

static int32_t
z_update_last(struct flow *f, int si, uint32_t last, uint8_t flags,
    uint32_t len)
{
	struct side *e = &f->s[si];
	int32_t d = (int32_t)(last - e->z_last);

	if ((flags & (PKT_SYN | PKT_RST)) &&
	    (d > TOO_LARGE_SEQ_DELTA || d < -TOO_LARGE_SEQ_DELTA))
		;	/* an outlandish SYN/RST sequence number */
	else if ((flags & PKT_FIN) &&
	    e->z_last == (uint32_t)e->z_start + 1)
		z_set_last(e, last);
	else if (e->z_state == Z_RESET)
		;	/* nothing after a RST is trusted */
	else if (d > 0)
		z_set_last(e, last);
	else if (len > 0)
		hist_scaled(f, si, 'T', &e->rxmt_cnt, &e->rxmt_th);
	return d;
}

static uint64_t
z_size(const struct side *e, const struct side *peer)
{
	uint64_t last64 = ((uint64_t)e->z_seq_wraps << 32) + e->z_last;
	uint64_t ack64 = ((uint64_t)e->z_ack_wraps << 32) + e->z_ack;
	uint64_t start = (uint64_t)e->z_start, size;

	if (e->z_prev == Z_SYN_SENT && e->z_state == Z_RESET &&
	    peer->z_state == Z_INACTIVE && !(ack64 == start ||
	    ack64 == start + 1))
		return 0;
	size = last64 > ack64 ? last64 - start : ack64 - start;
	if (size != 0)
		size--;
	if (e->z_fin_cnt > 0 && size != 0)
		size--;
	return size;
}

static void
z_set_state(struct side *e, uint8_t st)
{
	if (st != e->z_state) {
		e->z_prev = e->z_state;
		e->z_state = st;
	}
}

/* ------------------------------------------------------------------ */
/* Zeek emulation: reassembly, for content gaps */

static bool
z_clean(const struct side *e)
{
	return e->z_state == Z_ESTABLISHED ||
	    (e->z_state == Z_CLOSED && e->z_prev == Z_ESTABLISHED);
}

static void
z_gap(struct flow *f, int si)
{
	if (z_clean(&f->s[si]) && z_clean(&f->s[1 - si]))
		hist_scaled(f, si, 'G', &f->s[si].gap_cnt, &f->s[si].gap_th);
}

/* Deliver blocks that now continue the stream. */
static void
z_deliver(struct side *e)
{
	while (e->nblocks > 0 && e->blocks[0].seq <= e->r_reassem) {
		if (e->blocks[0].upper > e->r_reassem)
			e->r_reassem = e->blocks[0].upper;
		memmove(&e->blocks[0], &e->blocks[1],
		    (size_t)(e->nblocks - 1) * sizeof(e->blocks[0]));
		e->nblocks--;
	}
}

static void
z_data_sent(struct flow *f, int si, uint64_t seq, uint64_t len)
{
	struct side *e = &f->s[si];
	uint64_t ack = z_rel_space(e, e->z_ack, e->z_ack_wraps);
	uint64_t upper = seq + len;
	int i, j;

	if (seq < ack) {
		if (upper <= ack)
			return;
		seq = ack;
	}
	if (upper <= e->r_trim)
		return;
	if (seq < e->r_trim)
		seq = e->r_trim;
	if (upper <= e->r_reassem)
		return;
	if (seq <= e->r_reassem) {
		e->r_reassem = upper;
		z_deliver(e);
		return;
	}
	/* Above a hole: keep it, merged and sorted. */
	for (i = 0; i < e->nblocks && e->blocks[i].upper < seq; i++)
		;
	if (i < e->nblocks && e->blocks[i].seq <= upper) {
		if (seq < e->blocks[i].seq)
			e->blocks[i].seq = seq;
		if (upper > e->blocks[i].upper)
			e->blocks[i].upper = upper;
		/* swallow the blocks it now overlaps */
		for (j = i + 1; j < e->nblocks &&
		    e->blocks[j].seq <= e->blocks[i].upper; j++)
			if (e->blocks[j].upper > e->blocks[i].upper)
				e->blocks[i].upper = e->blocks[j].upper;
		memmove(&e->blocks[i + 1], &e->blocks[j],
		    (size_t)(e->nblocks - j) * sizeof(e->blocks[0]));
		e->nblocks = (uint8_t)(e->nblocks - (j - i - 1));
		return;
	}
	if (e->nblocks == MAX_BLOCKS) {
		if (i == MAX_BLOCKS)
			return;	/* the highest block is the one to lose */
		e->nblocks--;
	}
	memmove(&e->blocks[i + 1], &e->blocks[i],
	    (size_t)(e->nblocks - i) * sizeof(e->blocks[0]));
	e->blocks[i].seq = seq;
	e->blocks[i].upper = upper;
	e->nblocks++;
}

/* The peer acknowledged up to seq of side si: what it skipped is a gap. */
static void
z_ack_received(struct flow *f, int si, uint64_t seq)
{
	struct side *e = &f->s[si];

	if (e->z_fin_cnt > 0 && seq >= e->z_fin_seq)
		seq = e->z_fin_seq - 1;
	if (seq <= e->r_trim)
		return;
	if (seq > e->r_reassem) {
		if (seq <= 2 && f->z_partial) {
			/* a partial connection's faked-up first byte */
		} else {
			while (e->nblocks > 0 && e->blocks[0].seq < seq) {
				if (e->blocks[0].seq > e->r_reassem) {
					z_gap(f, si);
					e->r_reassem = e->blocks[0].seq;
				}
				z_deliver(e);
			}
			if (seq > e->r_reassem)
				z_gap(f, si);
		}
		if (seq > e->r_reassem)
			e->r_reassem = seq;
	}
	while (e->nblocks > 0 && e->blocks[0].upper <= seq) {
		memmove(&e->blocks[0], &e->blocks[1],
		    (size_t)(e->nblocks - 1) * sizeof(e->blocks[0]));
		e->nblocks--;
	}
	e->r_trim = seq;
	z_deliver(e);
}

/* ------------------------------------------------------------------ */
/* Zeek emulation: the state machine */

static void
settle(struct flow *f, int64_t at)
{
	if (at < f->settle_at)
		f->settle_at = at;
}

static void
z_connection_closed(struct flow_table *t, struct flow *f, int si)
{
	struct side *e = &f->s[si], *p = &f->s[1 - si];

	if (e->z_did_close)
		return;
	e->z_did_close = true;
	if (e->z_state == Z_RESET || p->z_did_close ||
	    p->z_state == Z_INACTIVE)
		settle(f, f->z_last_time + t->cfg.grace_us);
}

static bool
z_state_machine(struct flow_table *t, struct flow *f, int si, bool orig_arg,
    const struct pkt_tcp *p)
{
	struct side *e = &f->s[si], *peer = &f->s[1 - si];
	uint8_t fl = p->flags;
	bool do_close = false;

	switch (e->z_state) {
	case Z_INACTIVE:
		if (fl & PKT_SYN) {
			if (orig_arg) {
				z_set_state(e, (fl & PKT_ACK) ?
				    Z_SYN_ACK_SENT : Z_SYN_SENT);
				f->attempt_at = p->ts_us + ATTEMPT_US;
			} else {
				if (!(fl & PKT_ACK) &&
				    peer->z_state == Z_SYN_ACK_SENT &&
				    p->seq == (uint32_t)e->z_start) {
					/* SYN and SYN-ACK seen reversed */
					f->z_partial = false;
					flip_roles(f);
					z_set_state(peer, Z_ESTABLISHED);
					f->fps |= FPS_ORIG;
				}
				if (peer->z_state == Z_SYN_SENT)
					z_set_state(peer, Z_ESTABLISHED);
				z_set_state(e, Z_ESTABLISHED);
			}
		}
		if (fl & PKT_FIN) {
			z_set_state(e, Z_CLOSED);
			do_close = true;
		}
		if (fl & PKT_RST) {
			z_set_state(e, Z_RESET);
			do_close = true;
		}
		if (e->z_state == Z_INACTIVE) {
			if (!orig_arg && p->payload_len == 0 &&
			    f->s[f->oi].z_state == Z_SYN_SENT)
				;	/* an ACK before the SYN-ACK */
			else if ((fl & PKT_ACK) &&
			    peer->z_state == Z_ESTABLISHED) {
				z_set_state(e, Z_ESTABLISHED);
				f->z_partial = false;
				f->fps |= orig_arg ? FPS_ORIG : FPS_RESP;
			} else {
				z_set_state(e, Z_PARTIAL);
			}
		}
		break;
	case Z_SYN_SENT:
	case Z_SYN_ACK_SENT:
		if (fl & PKT_FIN) {
			z_set_state(e, Z_CLOSED);
			do_close = true;
		}
		if (fl & PKT_RST) {
			z_set_state(e, Z_RESET);
			do_close = true;
		}
		break;
	case Z_ESTABLISHED:
	case Z_PARTIAL:
		if ((fl & PKT_SYN) && e->z_state == Z_PARTIAL &&
		    peer->z_state == Z_INACTIVE && !(fl & PKT_ACK))
			z_set_state(e, Z_SYN_SENT);
		if ((fl & PKT_FIN) && !(fl & PKT_RST)) {
			z_set_state(e, Z_CLOSED);
			/* FIN then RST from the peer was a normal close */
			if (peer->z_state == Z_RESET &&
			    peer->z_prev == Z_CLOSED)
				z_set_state(peer, Z_CLOSED);
			do_close = true;
		}
		if (fl & PKT_RST) {
			z_set_state(e, Z_RESET);
			do_close = true;
		}
		break;
	case Z_CLOSED:
		if ((fl & PKT_RST) && peer->z_state != Z_CLOSED) {
			z_set_state(e, Z_RESET);
			if (!e->z_did_close)
				do_close = true;
			settle(f, p->ts_us + t->cfg.grace_us);
		}
		break;
	default:
		break;
	}
	return do_close;
}

static void
z_history(struct flow *f, int si, uint8_t fl, uint64_t rel_seq,
    uint32_t len)
{
	struct side *e = &f->s[si];
	int bits = !!(fl & PKT_SYN) + !!(fl & PKT_FIN) + !!(fl & PKT_RST);

	if (bits > 1) {
		if ((fl & PKT_FIN) && (fl & PKT_RST))
			hist_check(f, si, H_FIN_RST, 'I');
		else
			hist_check(f, si, H_MULTI, 'Q');
	} else if (bits == 1) {
		if (fl & PKT_SYN) {
			char code = (fl & PKT_ACK) ? 'H' : 'S';

			if (hist_check(f, si, H_SYN, code) &&
			    rel_seq != e->h_syn)
				hist_add_side(f, si, code);
			e->h_syn = rel_seq;
		}
		if (fl & PKT_FIN) {
			/* a FIN's number is after the data it carries */
			if (hist_check(f, si, H_FIN, 'F') &&
			    rel_seq + len != e->h_fin)
				hist_add_side(f, si, 'F');
			e->h_fin = rel_seq + len;
		}
		if (fl & PKT_RST) {
			if (hist_check(f, si, H_RST, 'R') &&
			    rel_seq != e->h_rst)
				hist_add_side(f, si, 'R');
			e->h_rst = rel_seq;
		}
	} else if (len > 0) {
		hist_check(f, si, H_DATA, 'D');
	} else if (fl & PKT_ACK) {
		hist_check(f, si, H_ACK, 'A');
	}
}

/* One segment through the Zeek emulation. */
static void
zeek_process(struct flow_table *t, struct flow *f, int si,
    const struct pkt_tcp *p)
{
	struct side *e = &f->s[si], *peer = &f->s[1 - si];
	bool orig_arg = is_orig(f, si);
	uint8_t fl = p->flags;
	uint32_t len = p->payload_len, seg_len;
	uint64_t rel_seq, rel_ack = 0;
	bool under = false, do_close;

	/* partial: the first packet of a side is not a clean handshake */
	if (orig_arg) {
		if (!(f->fps & FPS_ORIG))
			f->z_partial = !(fl & PKT_SYN) || (fl & PKT_ACK);
	} else if (!(f->fps & FPS_RESP) && !f->z_partial) {
		f->z_partial = !(fl & PKT_SYN);
	}

	seg_len = len + !!(fl & PKT_SYN) + !!(fl & PKT_FIN);
	if (fl & PKT_RST)
		seg_len -= len;	/* an RST's payload is not stream data */
	z_init_endpoint(e, fl, p->seq, p->seq + seg_len);
	rel_seq = z_rel(e, p->seq, e->z_last, e->z_seq_wraps, &under);

	z_history(f, si, fl, rel_seq, len);

	/* Zero windows matter unless they come with or after a RST, or
	 * after the peer's FIN. */
	if (p->window == 0 && !(fl & PKT_RST) && peer->z_state != Z_CLOSED &&
	    e->z_state != Z_RESET)
		hist_scaled(f, si, 'W', &e->win0_cnt, &e->win0_th);

	if (!e->z_did_close || !peer->z_did_close)
		f->z_last_time = p->ts_us;

	if (fl & PKT_FIN) {
		e->z_fin_cnt++;
		e->z_fin_seq = rel_seq + seg_len;
	}
	if (fl & PKT_RST)
		e->z_rst_cnt++;

	if (fl & PKT_ACK) {
		if (peer->z_state == Z_INACTIVE) {
			rel_ack = 1;
			z_init_seq(peer, p->ack - 1, p->ack - 1);
		} else {
			bool aunder = false;

			rel_ack = z_rel(peer, p->ack, peer->z_ack,
			    peer->z_ack_wraps, &aunder);
			if (aunder)
				rel_ack = 0;
			else if (!(fl & PKT_RST))
				z_update_ack(peer, p->ack);
		}
	}

	z_update_last(f, si, p->seq + seg_len, fl, len);
	do_close = z_state_machine(t, f, si, orig_arg, p);

	if (fl & PKT_ACK)
		z_ack_received(f, 1 - si, rel_ack);

	f->fps |= orig_arg ? FPS_ORIG : FPS_RESP;

	if (len > 0 && !(fl & PKT_RST) && !under && p->captured_len >= len)
		z_data_sent(f, si, (fl & PKT_SYN) ? rel_seq + 1 : rel_seq,
		    len);

	if (do_close)
		z_connection_closed(t, f, si);
}

/* Zeek's IsReuse: does this SYN start a new connection on the tuple? */
static bool
zeek_is_reuse(const struct flow *f, int si, const struct pkt_tcp *p)
{
	const struct side *o = &f->s[f->oi], *r = &f->s[1 - f->oi];
	const struct side *co = o;

	(void)si;
	if (!(p->flags & PKT_SYN))
		return false;
	if (p->flags & PKT_ACK) {
		if (o->z_state != Z_INACTIVE)
			return false;
		co = r;
	}
	if (!o->z_did_close && !r->z_did_close) {
		if (p->seq == (uint32_t)co->z_start)
			return false;
		if (!(p->flags & PKT_ACK) && co->z_state == Z_SYN_ACK_SENT &&
		    r->z_state == Z_INACTIVE && p->seq == (uint32_t)r->z_start)
			return false;
	}
	return true;
}

/*
 * Zeek gives up on a connection attempt tcp_attempt_delay after the SYN
 * when nothing came back, and whatever follows starts a new connection.
 * We do the same, except for the SYN sent again with the same number: that
 * is the same connect() retrying, and stays one connection.
 */
static bool
attempt_over(const struct flow *f, int si, const struct pkt_tcp *p)
{
	const struct side *o = &f->s[f->oi], *r = &f->s[1 - f->oi];

	if (p->ts_us < f->attempt_at)
		return false;
	if ((o->z_state != Z_SYN_SENT && o->z_state != Z_SYN_ACK_SENT) ||
	    r->z_state != Z_INACTIVE)
		return false;
	if (si == f->oi && (p->flags & (PKT_SYN | PKT_ACK)) == PKT_SYN &&
	    p->seq == (uint32_t)o->z_start)
		return false;
	return true;
}

/* Ports for which Zeek ships an analyzer (its likely_server_ports): used
 * only to orient a connection whose handshake was not captured. */
static bool
likely_server_port(uint16_t port)
{
	static const uint16_t ports[] = {
		21, 22, 25, 53, 79, 80, 81, 88, 110, 135, 139, 143, 389, 443,
		445, 465, 502, 514, 563, 585, 587, 614, 631, 636, 989, 990,
		992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389,
		5222, 5223, 5269, 6379, 6666, 6667, 6668, 6669, 8000, 8080,
		8888, 20000,
	};
	size_t i;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (ports[i] == port)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* our own tracking */

static int64_t
rel64(const struct side *s, uint32_t seq)
{
	return s->hi + (int32_t)(seq - (uint32_t)(s->base + (uint32_t)s->hi));
}

static void
anchor(struct side *s, uint32_t base)
{
	s->anchored = true;
	s->base = base;
	s->hi = 1;
	s->data_hi = 1;
}

static void
record_step(struct flow_table *t, struct flow *f, int si,
    const struct pkt_tcp *p, uint8_t mark)
{
	struct flow_step *st;
	unsigned int n = t->cfg.ladder;

	if (n == 0)
		return;
	if (f->nsteps_total < HEAD_STEPS)
		st = &f->steps[f->nsteps_total];
	else
		st = &f->steps[HEAD_STEPS +
		    (f->nsteps_total - HEAD_STEPS) % n];
	f->nsteps_total++;
	st->ts_us = p->ts_us;
	st->seq = p->seq;
	st->ack = p->ack;
	st->len = p->payload_len;
	st->window = p->window;
	st->flags = p->flags;
	st->from = (uint8_t)si;	/* a side index until the report */
	st->mark = mark;
}

static void
track(struct flow_table *t, struct flow *f, int si, const struct pkt_tcp *p)
{
	struct side *s = &f->s[si], *q = &f->s[1 - si];
	/* whose sequence space the ACK acknowledges: a self-connection's own */
	struct side *rcv = f->self ? s : q;
	uint8_t fl = p->flags;
	uint32_t len = p->payload_len;
	uint8_t mark = 0;
	bool try = false, probe = false, expects = false;
	int64_t b, e;

	s->st.packets++;
	if (!s->seen) {
		s->seen = true;
		s->only_rst = true;
	}
	if (!(fl & PKT_RST))
		s->only_rst = false;

	if (fl & PKT_SYN) {
		bool had_synack = s->sent_synack;

		if (!(fl & PKT_ACK))
			s->sent_syn = true;
		else
			s->sent_synack = true;
		if (!s->anchored || (s->hi <= 1 && s->data_hi <= 1 &&
		    s->syns == 0)) {
			anchor(s, p->seq);
		}
		/* a self-connection's SYN-ACK answers its own SYN */
		if (s->syns > 0 && p->seq == s->syn_seq &&
		    !(f->self && (fl & PKT_ACK) && !had_synack)) {
			f->notes |= FLOW_NOTE_SYN_RETRANSMITTED;
			try = true;
		}
		s->syns++;
		s->syn_seq = p->seq;
		expects = true;
	} else if (!s->anchored) {
		anchor(s, p->seq - 1);
	}

	b = rel64(s, p->seq) + !!(fl & PKT_SYN);
	e = b + len;

	if (len > 0 && (fl & PKT_RST) == 0) {
		if (!f->self && q->fin_rel >= 0 && e > s->data_hi) {
			int64_t from = b > s->data_hi ? b : s->data_hi;

			s->st.after_fin_bytes += (uint64_t)(e - from);
			f->notes |= FLOW_NOTE_DATA_AFTER_FIN;
		}
		if (s->fin_rel >= 0 && e > s->fin_rel)
			f->notes |= FLOW_NOTE_DATA_BEYOND_FIN;
		if (f->first_rst >= 0)
			f->notes |= FLOW_NOTE_DATA_AFTER_RST;
		s->st.wire_bytes += len;
		if (len == 1 && b == s->hi - 1 && s->acked >= s->hi &&
		    !(fl & (PKT_SYN | PKT_FIN))) {
			probe = true;	/* a keepalive with a garbage byte */
		} else if (b < s->data_hi) {
			s->st.retransmits++;
			f->notes |= FLOW_NOTE_RETRANSMITTED;
			mark |= FLOW_STEP_RETRANSMIT;
			try = true;
		}
		if (e > s->data_hi)
			s->data_hi = e;
		expects = true;
	} else if (len == 0 && !(fl & (PKT_SYN | PKT_FIN | PKT_RST)) &&
	    b == s->hi - 1 && s->hi > 0) {
		probe = true;	/* seq = snd_nxt - 1: keepalive or window */
	}
	if (probe) {
		s->st.keepalives++;
		f->notes |= FLOW_NOTE_KEEPALIVE;
		mark |= FLOW_STEP_KEEPALIVE;
		try = true;
		expects = true;
	}

	if ((fl & PKT_FIN) && !(fl & PKT_RST)) {
		s->st.fins++;
		if (s->st.fin_ts_us < 0)
			s->st.fin_ts_us = p->ts_us;
		if (s->fin_rel < 0) {
			s->fin_rel = e;
		} else if (e <= s->fin_rel) {
			f->notes |= FLOW_NOTE_FIN_RETRANSMITTED;
			mark |= FLOW_STEP_RETRANSMIT;
			try = true;
		}
		if (f->first_fin < 0)
			f->first_fin = si;
		if (f->first_close < 0) {
			f->first_close = si;
			f->first_close_fin = true;
		}
		expects = true;
		e++;
	}
	if (!(fl & PKT_RST) && e > s->hi)
		s->hi = e;

	if (fl & PKT_RST) {
		s->st.rsts++;
		if (s->st.rst_ts_us < 0)
			s->st.rst_ts_us = p->ts_us;
		if (f->first_fin >= 0)
			f->notes |= FLOW_NOTE_RST_AFTER_FIN;
		if (f->last_from == 1 - si && f->last_len > 0 &&
		    s->st.rsts == 1 && q->acked < q->data_hi)
			f->notes |= FLOW_NOTE_RST_ANSWERS_DATA;
		if (f->first_rst < 0)
			f->first_rst = si;
		if (f->first_close < 0)
			f->first_close = si;
	}

	/* What this packet acknowledges of the peer's sequence space. */
	if (fl & PKT_ACK) {
		struct side *k = rcv;

		if (!k->anchored) {
			anchor(k, p->ack - 1);
			k->acked = 1;
		} else {
			int64_t a = rel64(k, p->ack);

			if (a > k->hi && !(fl & PKT_RST)) {
				/* acked what the capture never showed */
				k->gap_bytes += a - k->hi;
				f->notes |= FLOW_NOTE_GAP;
				k->hi = a;
				if (k->fin_rel < 0 && a > k->data_hi)
					k->data_hi = a;
			}
			if (a > k->acked && a <= k->hi)
				k->acked = a;
		}
	}

	if (p->window == 0 && !(fl & (PKT_RST | PKT_SYN))) {
		s->st.zero_windows++;
		f->notes |= FLOW_NOTE_ZERO_WINDOW;
		mark |= FLOW_STEP_ZERO_WINDOW;
	}
	s->last_win = p->window;

	/*
	 * Waiting: the peer spoke, so its run of tries is over. A
	 * self-connection is its own peer: any segment of it that is not a
	 * try (its ACK of a probe, new data) or its giving-up RST ends the run.
	 */
	if (!f->self || (!try && !(fl & PKT_RST))) {
		rcv->tries = 0;
		rcv->try_probes = 0;
		rcv->run_start = -1;
		rcv->run_rst = false;
	}
	if (expects && s->run_start < 0)
		s->run_start = p->ts_us;
	if (try) {
		s->tries++;
		if (probe)
			s->try_probes++;
		s->run_end = p->ts_us;
	}
	if ((fl & PKT_RST) && s->tries > 0) {
		s->run_rst = true;
		s->run_end = p->ts_us;
	}

	f->last_from = si;
	f->last_len = (fl & PKT_RST) ? 0 : len;
	record_step(t, f, si, p, mark);
}

/* ------------------------------------------------------------------ */
/* reporting */

static enum flow_state
zeek_conn_state(const struct flow *f)
{
	const struct side *o = &f->s[f->oi], *r = &f->s[1 - f->oi];
	uint8_t os = o->z_state, rs = r->z_state;
	bool o_inactive = os == Z_INACTIVE || os == Z_PARTIAL;
	bool r_inactive = rs == Z_INACTIVE || rs == Z_PARTIAL;

	if (rs == Z_RESET) {
		if (os == Z_SYN_SENT || os == Z_SYN_ACK_SENT ||
		    (os == Z_RESET && z_size(o, r) == 0 &&
		    z_size(r, o) == 0))
			return FLOW_REJ;
		if (o_inactive)
			return FLOW_RSTRH;
		return FLOW_RSTR;
	}
	if (os == Z_RESET) {
		if (r_inactive) {
			/* /^\^?S[^HAFGIQ]*R.*$/ on the history */
			const char *h = f->hist;

			if (*h == '^')
				h++;
			if (*h++ == 'S') {
				for (; *h && !strchr("HAFGIQ", *h); h++)
					if (*h == 'R')
						return FLOW_RSTOS0;
			}
			return FLOW_OTH;
		}
		return FLOW_RSTO;
	}
	if (rs == Z_CLOSED && os == Z_CLOSED)
		return FLOW_SF;
	if (os == Z_CLOSED)
		return r_inactive ? FLOW_SH : FLOW_S2;
	if (rs == Z_CLOSED)
		return o_inactive ? FLOW_SHR : FLOW_S3;
	if (os == Z_SYN_SENT && rs == Z_INACTIVE)
		return FLOW_S0;
	if (os == Z_ESTABLISHED && rs == Z_ESTABLISHED)
		return FLOW_S1;
	return FLOW_OTH;
}

static enum flow_side
side_of(const struct flow *f, int si)
{
	if (si < 0)
		return FLOW_SIDE_NONE;
	return si == f->oi ? FLOW_SIDE_ORIG : FLOW_SIDE_RESP;
}

/* Sides in our own view: a self-connection's one socket is orig. */
static enum flow_side
our_side(const struct flow *f, int si)
{
	if (si >= 0 && f->self)
		return FLOW_SIDE_ORIG;
	return side_of(f, si);
}

static uint64_t
unacked_bytes(const struct side *s)
{
	int64_t acked = s->acked;

	if (!s->anchored || s->data_hi <= 1)
		return 0;
	if (acked < 1)
		acked = 1;
	if (acked >= s->data_hi)
		return 0;
	return (uint64_t)(s->data_hi - acked);
}

static void
fill_side(struct flow_side_stats *out, const struct side *s)
{
	*out = s->st;
	out->bytes = s->anchored && s->data_hi > 1 ?
	    (uint64_t)(s->data_hi - 1) : 0;
	out->unacked = unacked_bytes(s);
}

static void
build_result(struct flow_table *t, struct flow *f, struct flow_result *r,
    bool evicted)
{
	/* a self-connection's one socket is orig, whatever Zeek's roles */
	const struct side *o = &f->s[f->self ? 0 : f->oi];
	const struct side *rs = &f->s[f->self ? 1 : 1 - f->oi];
	int w = -1, i;

	memset(r, 0, sizeof(*r));
	r->id = f->id;
	r->family = f->family;
	memcpy(r->orig_addr, f->addr[f->oi], 16);
	memcpy(r->resp_addr, f->addr[1 - f->oi], 16);
	r->orig_port = f->port[f->oi];
	r->resp_port = f->port[1 - f->oi];
	r->ts_us = f->first_ts;
	r->last_ts_us = f->last_ts;
	r->conn_state = zeek_conn_state(f);
	memcpy(r->history, f->hist, sizeof(r->history));
	r->partial = !o->sent_syn;
	r->notes = f->notes;
	if (evicted)
		r->notes |= FLOW_NOTE_IDLE_EVICTED;
	fill_side(&r->orig, o);
	fill_side(&r->resp, rs);
	if (r->orig.unacked)
		r->notes |= FLOW_NOTE_ORIG_UNACKED;
	if (r->resp.unacked)
		r->notes |= FLOW_NOTE_RESP_UNACKED;
	if (o->gap_bytes || rs->gap_bytes)
		r->notes |= FLOW_NOTE_GAP;
	if (f->self)
		r->notes |= FLOW_NOTE_SELF_CONNECT;

	/* Who was left waiting: the side whose tries went unanswered. */
	for (i = 0; i < 2; i++)
		if (f->s[i].tries > 0)
			w = i;
	if (w >= 0) {
		const struct side *ws = &f->s[w];

		r->waiter = our_side(f, w);
		r->wait_tries = ws->tries;
		r->wait_us = ws->run_end - ws->run_start;
		r->notes |= FLOW_NOTE_WAITED;
	}

	if (rs->st.after_fin_bytes > 0 && o->fin_rel >= 0)
		r->half_close = FLOW_SIDE_RESP;
	else if (o->st.after_fin_bytes > 0 && rs->fin_rel >= 0)
		r->half_close = FLOW_SIDE_ORIG;

	/*
	 * A self-connection's FIN is sent and received by its one socket:
	 * FIN both ways in one segment.
	 */
	r->closed_by = our_side(f, f->first_close);
	if (o->sent_syn && !o->sent_synack && (f->self ? syn_unanswered(f) :
	    !rs->seen)) {
		r->teardown = FLOW_NO_ANSWER;
	} else if (o->sent_syn && rs->seen && rs->only_rst &&
	    !rs->sent_synack) {
		r->teardown = FLOW_REFUSED;
		r->closed_by = FLOW_SIDE_RESP;
	} else if (w >= 0 && (f->s[w].tries >= 2 || (f->s[w].run_rst &&
	    f->s[w].try_probes > 0))) {
		r->teardown = FLOW_VANISHED;
		r->closed_by = our_side(f, w);
	} else if (f->first_rst >= 0) {
		r->teardown = f->first_close_fin ? FLOW_FIN_RST : FLOW_RST;
	} else if (o->fin_rel >= 0 && (f->self || rs->fin_rel >= 0)) {
		r->teardown = FLOW_FIN;
	} else {
		r->teardown = FLOW_OPEN;
	}

	/* the ladder: head, then the ring in order */
	if (t->cfg.ladder > 0) {
		uint64_t n = f->nsteps_total, k = 0, j, start;
		unsigned int ring = t->cfg.ladder;

		for (j = 0; j < n && j < HEAD_STEPS; j++)
			t->scratch[k++] = f->steps[j];
		if (n > HEAD_STEPS) {
			uint64_t tail = n - HEAD_STEPS;

			start = tail > ring ? tail - ring : 0;
			r->steps_skipped = start;
			for (j = start; j < tail; j++)
				t->scratch[k++] = f->steps[HEAD_STEPS +
				    j % ring];
		}
		for (j = 0; j < k; j++) {
			struct flow_step *st = &t->scratch[j];
			int from = st->from;

			st->seq -= f->s[from].base;
			st->ack -= f->s[f->self ? from : 1 - from].base;
			st->from = (uint8_t)our_side(f, from);
		}
		r->steps = t->scratch;
		r->nsteps = (size_t)k;
	}
}

static void
update_summary(struct flow_table *t, const struct flow_result *r)
{
	struct flow_summary *s = &t->sum;
	int i;

	s->connections++;
	s->by_class[r->teardown]++;
	s->by_state[r->conn_state]++;
	if (r->partial)
		s->partial++;
	if (r->half_close != FLOW_SIDE_NONE)
		s->half_close++;
	for (i = 0; i < FLOW_NOTE_COUNT; i++)
		if (r->notes & (1u << i))
			s->with_note[i]++;
	if (r->closed_by == FLOW_SIDE_ORIG)
		s->closed_by_orig++;
	else if (r->closed_by == FLOW_SIDE_RESP)
		s->closed_by_resp++;
}

static void
flow_report_free(struct flow_table *t, struct flow *f, bool evicted)
{
	struct flow_result r;

	table_unlink(t, f);
	build_result(t, f, &r, evicted);
	update_summary(t, &r);
	if (t->report)
		t->report(&r, t->arg);
	f->hnext = t->free_list;
	t->free_list = f;
}

/* ------------------------------------------------------------------ */
/* the table */

struct flow_table *
flow_table_new(const struct flow_config *cfg, flow_report_fn report,
    void *arg)
{
	struct flow_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (cfg)
		t->cfg = *cfg;
	else
		t->cfg.grace_us = -1;
	if (t->cfg.grace_us < 0)
		t->cfg.grace_us = DEFAULT_GRACE_US;
	if (t->cfg.idle_us < 0)
		t->cfg.idle_us = 0;
	t->report = report;
	t->arg = arg;
	t->nslots = 1024;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->flow_size = sizeof(struct flow) + (t->cfg.ladder ?
	    (HEAD_STEPS + t->cfg.ladder) * sizeof(struct flow_step) : 0);
	if (t->cfg.ladder)
		t->scratch = calloc(HEAD_STEPS + t->cfg.ladder,
		    sizeof(*t->scratch));
	if (t->slots == NULL || (t->cfg.ladder && t->scratch == NULL)) {
		free(t->slots);
		free(t->scratch);
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->now = INT64_MIN;
	t->top_key = NO_TIME;
	t->next_id = 1;
	return t;
}

static void
side_init(struct side *s)
{
	memset(s, 0, sizeof(*s));
	s->rxmt_th = s->win0_th = s->gap_th = 1;
	s->r_trim = s->r_reassem = 1;
	s->fin_rel = -1;
	s->run_start = -1;
	s->st.fin_ts_us = -1;
	s->st.rst_ts_us = -1;
}

static struct flow *
flow_new(struct flow_table *t, const struct pkt_tcp *p, uint64_t hash)
{
	struct flow *f = t->free_list;

	if (2 * (t->count + 1) > t->nslots && table_grow(t) < 0)
		return NULL;
	if (f != NULL)
		t->free_list = f->hnext;
	else if ((f = malloc(t->flow_size)) == NULL)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->heap_idx = SIZE_MAX;
	f->settle_at = NO_TIME;
	f->attempt_at = NO_TIME;
	f->id = t->next_id++;
	f->hash = hash;
	f->family = p->family;
	memcpy(f->addr[0], p->saddr, 16);
	memcpy(f->addr[1], p->daddr, 16);
	f->port[0] = p->sport;
	f->port[1] = p->dport;
	f->self = p->sport == p->dport &&
	    memcmp(p->saddr, p->daddr, 16) == 0;
	side_init(&f->s[0]);
	side_init(&f->s[1]);
	f->first_ts = f->last_ts = p->ts_us;
	f->first_fin = f->first_rst = f->first_close = f->last_from = -1;

	table_insert(t, f);
	f->prev = t->tail;
	if (t->tail)
		t->tail->next = f;
	else
		t->head = f;
	t->tail = f;
	t->count++;
	if (t->count > t->sum.max_open)
		t->sum.max_open = t->count;

	/*
	 * A connection seen first without its SYN: orient it by ports as
	 * Zeek does, unless that would call a SYN-ACK's sender the client
	 * when both ports look like servers.
	 */
	if (!(p->flags & PKT_SYN) || (p->flags & PKT_ACK)) {
		bool flip = false;

		if (likely_server_port(p->sport)) {
			if (likely_server_port(p->dport))
				flip = !(p->flags & PKT_SYN) &&
				    p->sport < p->dport;
			else
				flip = true;
		}
		if (flip)
			flip_roles(f);
	}
	return f;
}

void
flow_table_advance(struct flow_table *t, int64_t now_us)
{
	if (now_us > t->now)
		t->now = now_us;
	while (t->heap_len > 0 && t->heap[0]->heap_key <= t->now) {
		struct flow *f = t->heap[0];
		bool idle;
		int64_t d = flow_deadline_why(t, f, &idle);

		if (d > t->now) {
			/* moved on since it was keyed: look again later */
			if (d == NO_TIME) {
				heap_remove(t, f);
			} else {
				f->heap_key = d;
				heap_down(t, 0);
			}
			continue;
		}
		flow_report_free(t, f, idle);
	}
}

int
flow_table_add(struct flow_table *t, const struct pkt_tcp *p)
{
	uint64_t h;
	struct flow *f;
	size_t j, mask;
	int si = 0;

	t->sum.segments++;
	/* time never goes back: an older stamp counts as the latest seen */
	if (p->ts_us > t->now)
		t->now = p->ts_us;
	if (t->top_key <= t->now)
		flow_table_advance(t, t->now);
	h = tuple_hash(p->family, p->saddr, p->sport, p->daddr, p->dport);
	mask = t->nslots - 1;
	for (j = h & mask; (f = t->slots[j].f) != NULL; j = (j + 1) & mask)
		if (t->slots[j].hash == h && flow_match(f, p, &si))
			break;
	/*
	 * Zeek's attempt timer would end a self-connection 5 s after its
	 * SYN (its originator stays in SYN_SENT, its responder inactive);
	 * it is one connection, kept whole (finrst.1 says so).
	 */
	if (f != NULL && !f->self && attempt_over(f, si, p)) {
		flow_report_free(t, f, false);
		f = NULL;
	}
	if (f != NULL && zeek_is_reuse(f, si, p)) {
		flow_report_free(t, f, false);
		f = NULL;
	}
	if (f == NULL) {
		f = flow_new(t, p, h);
		if (f == NULL) {
			errno = ENOMEM;
			return -1;
		}
		si = 0;
	}
	f->last_ts = p->ts_us > f->last_ts ? p->ts_us : f->last_ts;
	zeek_process(t, f, si, p);
	track(t, f, si, p);
	if (heap_schedule(t, f) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
flow_table_flush(struct flow_table *t)
{
	while (t->head != NULL)
		flow_report_free(t, t->head, false);
	/* the capture is over: the next segment may start another clock */
	t->now = INT64_MIN;
}

size_t
flow_table_open(const struct flow_table *t)
{
	return t->count;
}

const struct flow_summary *
flow_table_summary(const struct flow_table *t)
{
	return &t->sum;
}

void
flow_table_free(struct flow_table *t)
{
	struct flow *f, *next;

	if (t == NULL)
		return;
	for (f = t->head; f != NULL; f = next) {
		next = f->next;
		free(f);
	}
	for (f = t->free_list; f != NULL; f = next) {
		next = f->hnext;
		free(f);
	}
	free(t->slots);
	free(t->heap);
	free(t->scratch);
	free(t);
}

/* ------------------------------------------------------------------ */
/* rendering */

static void
addr_str(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	/* IPv4 by hand: glibc's inet_ntop goes through sprintf */
	if (family != AF_INET6 && len >= 16) {
		char *p = buf;
		int i;

		for (i = 0; i < 4; i++) {
			unsigned int v = a[i];

			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return;
	}
	if (inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, buf,
	    (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static void
endpoint_str(uint8_t family, const uint8_t *a, uint16_t port, char *buf,
    size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	addr_str(family, a, ip, sizeof(ip));
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "%s:%u", ip, port);
}

/* Write v as exactly n digits, zero-padded. */
static char *
digits(char *p, long v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (28 bytes with the NUL), UTC. */
static void
iso_time(int64_t us, char *buf, size_t len)
{
	time_t sec = (time_t)(us / 1000000);
	int64_t frac = us % 1000000;
	struct tm tm;
	char t[32], *p = t;

	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	if (gmtime_r(&sec, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999) {
		snprintf(buf, len, "?");
		return;
	}
	p = digits(p, tm.tm_year + 1900, 4);
	*p++ = '-';
	p = digits(p, tm.tm_mon + 1, 2);
	*p++ = '-';
	p = digits(p, tm.tm_mday, 2);
	*p++ = 'T';
	p = digits(p, tm.tm_hour, 2);
	*p++ = ':';
	p = digits(p, tm.tm_min, 2);
	*p++ = ':';
	p = digits(p, tm.tm_sec, 2);
	*p++ = '.';
	p = digits(p, (long)frac, 6);
	*p++ = 'Z';
	*p = '\0';
	if (len > 0) {
		size_t n = (size_t)(p - t) < len ? (size_t)(p - t) : len - 1;

		memcpy(buf, t, n);
		buf[n] = '\0';
	}
}

static json_t *
side_json(const struct flow_side_stats *s)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "packets", (json_int_t)s->packets,
	    "bytes", (json_int_t)s->bytes,
	    "wire_bytes", (json_int_t)s->wire_bytes,
	    "unacked", (json_int_t)s->unacked,
	    "after_fin_bytes", (json_int_t)s->after_fin_bytes,
	    "retransmits", (json_int_t)s->retransmits,
	    "probes", (json_int_t)s->keepalives,
	    "zero_windows", (json_int_t)s->zero_windows,
	    "fins", (json_int_t)s->fins,
	    "rsts", (json_int_t)s->rsts);
}

static json_t *
side_or_null(enum flow_side s)
{
	return s == FLOW_SIDE_NONE ? json_null() :
	    json_string(flow_side_name(s));
}

json_t *
flow_result_json(const struct flow_result *r)
{
	char oh[INET6_ADDRSTRLEN], rh[INET6_ADDRSTRLEN], ts[48];
	json_t *o, *notes, *so, *sr;
	int i;

	addr_str(r->family, r->orig_addr, oh, sizeof(oh));
	addr_str(r->family, r->resp_addr, rh, sizeof(rh));
	iso_time(r->ts_us, ts, sizeof(ts));
	notes = json_array();
	so = side_json(&r->orig);
	sr = side_json(&r->resp);
	if (notes == NULL || so == NULL || sr == NULL) {
		json_decref(notes);
		json_decref(so);
		json_decref(sr);
		return NULL;
	}
	for (i = 0; i < FLOW_NOTE_COUNT; i++)
		if (r->notes & (1u << i))
			json_array_append_new(notes,
			    json_string(note_names[i]));
	o = json_pack("{s:s, s:I, s:s, s:i, s:s, s:i, s:s, s:I, s:f, s:I,"
	    " s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:s, s:s, s:b, s:I, s:I,"
	    " s:o, s:o, s:I, s:I, s:o, s:o}",
	    "type", "connection",
	    "id", (json_int_t)r->id,
	    "orig_h", oh, "orig_p", (int)r->orig_port,
	    "resp_h", rh, "resp_p", (int)r->resp_port,
	    "ts", ts,
	    "ts_us", (json_int_t)r->ts_us,
	    "duration", (double)(r->last_ts_us - r->ts_us) / 1e6,
	    "duration_us", (json_int_t)(r->last_ts_us - r->ts_us),
	    "orig_bytes", (json_int_t)r->orig.bytes,
	    "resp_bytes", (json_int_t)r->resp.bytes,
	    "orig_pkts", (json_int_t)r->orig.packets,
	    "resp_pkts", (json_int_t)r->resp.packets,
	    "teardown", flow_class_name(r->teardown),
	    "closed_by", side_or_null(r->closed_by),
	    "half_close", side_or_null(r->half_close),
	    "conn_state", flow_state_name(r->conn_state),
	    "history", r->history[0] ? r->history : "-",
	    "partial", (int)r->partial,
	    "orig_unacked", (json_int_t)r->orig.unacked,
	    "resp_unacked", (json_int_t)r->resp.unacked,
	    "notes", notes,
	    "waiter", side_or_null(r->waiter),
	    "wait_us", (json_int_t)r->wait_us,
	    "wait_tries", (json_int_t)r->wait_tries,
	    "orig", so, "resp", sr);
	return o;
}

/* A JSON text buffer, snprintf-style: counts what it could not store. */
struct jbuf {
	char *buf;
	size_t len;
	size_t need;
};

static inline void
jb_raw(struct jbuf *b, const char *s, size_t n)
{
	if (b->need + n < b->len)
		memcpy(b->buf + b->need, s, n);
	else if (b->need < b->len)
		memcpy(b->buf + b->need, s, b->len - 1 - b->need);
	b->need += n;
}

static inline void
jb_str(struct jbuf *b, const char *s)
{
	jb_raw(b, s, strlen(s));
}

/* a literal: its length is known at compile time, memcpy becomes moves */
#define jb_lit(b, s)	jb_raw(b, s, sizeof(s) - 1)

/* ,"key": then a quoted string (ours never need escaping) */
static inline void
jb_kstr_n(struct jbuf *b, const char *key, size_t n, const char *v)
{
	jb_raw(b, key, n);
	jb_raw(b, "\"", 1);
	jb_str(b, v);
	jb_raw(b, "\"", 1);
}

#define jb_kstr(b, key, v)	jb_kstr_n(b, key, sizeof(key) - 1, v)

static void
jb_u64(struct jbuf *b, uint64_t v)
{
	char t[24];
	int i = (int)sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	jb_raw(b, t + i, sizeof(t) - (size_t)i);
}

static void
jb_i64(struct jbuf *b, int64_t v)
{
	if (v < 0) {
		jb_raw(b, "-", 1);
		jb_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		jb_u64(b, (uint64_t)v);
	}
}

static inline void
jb_kint_n(struct jbuf *b, const char *key, size_t n, int64_t v)
{
	jb_raw(b, key, n);
	jb_i64(b, v);
}

/* keys are literals: their length is known at compile time */
#define jb_kint(b, key, v)	jb_kint_n(b, key, sizeof(key) - 1, v)

static inline void
jb_kside_n(struct jbuf *b, const char *key, size_t n, enum flow_side s)
{
	jb_raw(b, key, n);
	if (s == FLOW_SIDE_NONE)
		jb_lit(b, "null");
	else if (s == FLOW_SIDE_ORIG)
		jb_lit(b, "\"orig\"");
	else
		jb_lit(b, "\"resp\"");
}

#define jb_kside(b, key, v)	jb_kside_n(b, key, sizeof(key) - 1, v)

/*
 * d microseconds as seconds, printed the way jansson prints that double
 * with JSON_REAL_PRECISION(15): "%.15g" (exact here: at most 15
 * significant digits below 31 years), ".0" added to whole numbers, and
 * exponents without '+' or leading zeros ("3e-5").
 */
static void
jb_seconds(struct jbuf *b, int64_t d)
{
	char t[48], frac[8], *p = t;
	int n, i;

	if (d < 0 || d >= 1000000000000000LL) {
		/* out of the exact range: printf, then jansson's touches */
		char *e, *z;

		n = snprintf(t, sizeof(t) - 3, "%.15g", (double)d / 1e6);
		if (n < 0 || n >= (int)sizeof(t) - 3)
			n = snprintf(t, sizeof(t), "0");
		if (strchr(t, '.') == NULL && strchr(t, 'e') == NULL)
			memcpy(t + n, ".0", 3);
		if ((e = strchr(t, 'e')) != NULL) {
			e += e[1] == '-' ? 2 : 1;
			for (z = e; (*z == '+' || *z == '0') && z[1]; z++)
				;
			memmove(e, z, strlen(z) + 1);
		}
		jb_str(b, t);
		return;
	}
	if (d == 0) {
		jb_raw(b, "0.0", 3);
		return;
	}
	if (d < 100) {
		/* below 1e-4: %g switches to an exponent */
		int exp = d >= 10 ? -5 : -6;

		*p++ = (char)('0' + (d >= 10 ? d / 10 : d));
		if (d >= 10 && d % 10 != 0) {
			*p++ = '.';
			*p++ = (char)('0' + d % 10);
		}
		*p++ = 'e';
		*p++ = '-';
		*p++ = (char)('0' - exp);
		jb_raw(b, t, (size_t)(p - t));
		return;
	}
	jb_u64(b, (uint64_t)(d / 1000000));
	digits(frac, (long)(d % 1000000), 6);
	for (n = 6; n > 0 && frac[n - 1] == '0'; n--)
		;
	if (n == 0) {
		jb_raw(b, ".0", 2);
		return;
	}
	jb_raw(b, ".", 1);
	for (i = 0; i < n; i++)
		*p++ = frac[i];
	jb_raw(b, t, (size_t)(p - t));
}

static void
jb_side(struct jbuf *b, const char *key, const struct flow_side_stats *s)
{
	jb_raw(b, key, strlen(key));
	jb_kint(b, "{\"packets\":", (int64_t)s->packets);
	jb_kint(b, ",\"bytes\":", (int64_t)s->bytes);
	jb_kint(b, ",\"wire_bytes\":", (int64_t)s->wire_bytes);
	jb_kint(b, ",\"unacked\":", (int64_t)s->unacked);
	jb_kint(b, ",\"after_fin_bytes\":", (int64_t)s->after_fin_bytes);
	jb_kint(b, ",\"retransmits\":", s->retransmits);
	jb_kint(b, ",\"probes\":", s->keepalives);
	jb_kint(b, ",\"zero_windows\":", s->zero_windows);
	jb_kint(b, ",\"fins\":", s->fins);
	jb_kint(b, ",\"rsts\":", s->rsts);
	jb_raw(b, "}", 1);
}

int
flow_result_json_text(const struct flow_result *r, char *buf, size_t len)
{
	struct jbuf b = { buf, len, 0 };
	char oh[INET6_ADDRSTRLEN], rh[INET6_ADDRSTRLEN], ts[48];
	const char *sep = "";
	int i;

	addr_str(r->family, r->orig_addr, oh, sizeof(oh));
	addr_str(r->family, r->resp_addr, rh, sizeof(rh));
	iso_time(r->ts_us, ts, sizeof(ts));
	jb_lit(&b, "{\"type\":\"connection\"");
	jb_kint(&b, ",\"id\":", (int64_t)r->id);
	jb_kstr(&b, ",\"orig_h\":", oh);
	jb_kint(&b, ",\"orig_p\":", r->orig_port);
	jb_kstr(&b, ",\"resp_h\":", rh);
	jb_kint(&b, ",\"resp_p\":", r->resp_port);
	jb_kstr(&b, ",\"ts\":", ts);
	jb_kint(&b, ",\"ts_us\":", r->ts_us);
	jb_lit(&b, ",\"duration\":");
	jb_seconds(&b, r->last_ts_us - r->ts_us);
	jb_kint(&b, ",\"duration_us\":", r->last_ts_us - r->ts_us);
	jb_kint(&b, ",\"orig_bytes\":", (int64_t)r->orig.bytes);
	jb_kint(&b, ",\"resp_bytes\":", (int64_t)r->resp.bytes);
	jb_kint(&b, ",\"orig_pkts\":", (int64_t)r->orig.packets);
	jb_kint(&b, ",\"resp_pkts\":", (int64_t)r->resp.packets);
	jb_kstr(&b, ",\"teardown\":", flow_class_name(r->teardown));
	jb_kside(&b, ",\"closed_by\":", r->closed_by);
	jb_kside(&b, ",\"half_close\":", r->half_close);
	jb_kstr(&b, ",\"conn_state\":", flow_state_name(r->conn_state));
	jb_kstr(&b, ",\"history\":", r->history[0] ? r->history : "-");
	if (r->partial)
		jb_lit(&b, ",\"partial\":true");
	else
		jb_lit(&b, ",\"partial\":false");
	jb_kint(&b, ",\"orig_unacked\":", (int64_t)r->orig.unacked);
	jb_kint(&b, ",\"resp_unacked\":", (int64_t)r->resp.unacked);
	jb_lit(&b, ",\"notes\":[");
	for (i = 0; i < FLOW_NOTE_COUNT; i++)
		if (r->notes & (1u << i)) {
			jb_str(&b, sep);
			jb_raw(&b, "\"", 1);
			jb_str(&b, note_names[i]);
			jb_raw(&b, "\"", 1);
			sep = ",";
		}
	jb_raw(&b, "]", 1);
	jb_kside(&b, ",\"waiter\":", r->waiter);
	jb_kint(&b, ",\"wait_us\":", r->wait_us);
	jb_kint(&b, ",\"wait_tries\":", r->wait_tries);
	jb_side(&b, ",\"orig\":", &r->orig);
	jb_side(&b, ",\"resp\":", &r->resp);
	jb_raw(&b, "}", 1);
	if (len > 0)
		buf[b.need < len ? b.need : len - 1] = '\0';
	return (int)b.need;
}

json_t *
flow_summary_json(const struct flow_summary *s)
{
	json_t *o, *cls, *st, *nt;
	int i;

	cls = json_object();
	st = json_object();
	nt = json_object();
	if (cls == NULL || st == NULL || nt == NULL)
		goto fail;
	for (i = 0; i < FLOW_CLASS_COUNT; i++)
		json_object_set_new(cls, class_names[i],
		    json_integer((json_int_t)s->by_class[i]));
	for (i = 0; i < FLOW_STATE_COUNT; i++)
		if (s->by_state[i])
			json_object_set_new(st, state_names[i],
			    json_integer((json_int_t)s->by_state[i]));
	for (i = 0; i < FLOW_NOTE_COUNT; i++)
		if (s->with_note[i])
			json_object_set_new(nt, note_names[i],
			    json_integer((json_int_t)s->with_note[i]));
	o = json_pack("{s:s, s:I, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:I,"
	    " s:I}",
	    "type", "summary",
	    "connections", (json_int_t)s->connections,
	    "teardown", cls,
	    "partial", (json_int_t)s->partial,
	    "half_close", (json_int_t)s->half_close,
	    "closed_by_orig", (json_int_t)s->closed_by_orig,
	    "closed_by_resp", (json_int_t)s->closed_by_resp,
	    "conn_state", st,
	    "notes", nt,
	    "segments", (json_int_t)s->segments,
	    "max_open", (json_int_t)s->max_open);
	return o;
fail:
	json_decref(cls);
	json_decref(st);
	json_decref(nt);
	return NULL;
}

/*
 * The table's columns: the line format is
 * "%4s %-15s  %-21s %-21s %11s %7s %7s %-9s %-4s %-6s %-12s %s"
 * and the header below is that format applied to the column names.
 */
const char *
flow_line_header(void)
{
	return "  ID START (UTC)      ORIG                  RESP            "
	    "         DURATION  ORIG_B  RESP_B TEARDOWN  BY   STATE  HIST"
	    "ORY      NOTES";
}

/* Append to a snprintf-style buffer, tracking the length needed. */
struct sbuf {
	char *buf;
	size_t len;
	size_t need;
};

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t room = b->need < b->len ? b->len - b->need : 0;

	va_start(ap, fmt);
	n = vsnprintf(room ? b->buf + b->need : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->need += (size_t)n;
}

static const char *
side_word(enum flow_side s)
{
	return s == FLOW_SIDE_ORIG ? "orig" : "resp";
}

static const char *
other_word(enum flow_side s)
{
	return s == FLOW_SIDE_ORIG ? "resp" : "orig";
}

static void
notes_text(const struct flow_result *r, struct sbuf *b)
{
	const char *sep = "";
	uint32_t n = r->notes;
	enum flow_side fin_side, rst_side;

	fin_side = r->orig.fin_ts_us >= 0 && (r->resp.fin_ts_us < 0 ||
	    r->orig.fin_ts_us <= r->resp.fin_ts_us) ? FLOW_SIDE_ORIG :
	    FLOW_SIDE_RESP;
	rst_side = r->orig.rst_ts_us >= 0 && (r->resp.rst_ts_us < 0 ||
	    r->orig.rst_ts_us <= r->resp.rst_ts_us) ? FLOW_SIDE_ORIG :
	    FLOW_SIDE_RESP;

#define NOTE(...) do { sb_printf(b, "%s", sep); sb_printf(b, __VA_ARGS__); \
	sep = "; "; } while (0)
	if (n & FLOW_NOTE_SELF_CONNECT)
		NOTE("a socket connected to itself (orig is resp): it sent and"
		    " received every segment");
	if (r->partial)
		NOTE("capture began mid-connection");
	if (n & FLOW_NOTE_ORIG_UNACKED)
		NOTE("%" PRIu64 " bytes from orig never acknowledged by resp"
		    " (unacknowledged, not necessarily lost)", r->orig.unacked);
	if (n & FLOW_NOTE_RESP_UNACKED)
		NOTE("%" PRIu64 " bytes from resp never acknowledged by orig"
		    " (unacknowledged, not necessarily lost)", r->resp.unacked);
	if (n & FLOW_NOTE_RST_AFTER_FIN) {
		if (n & FLOW_NOTE_SELF_CONNECT)
			NOTE("orig sent RST after its own FIN");
		else if (rst_side == fin_side)
			NOTE("%s sent RST after its own FIN (%s read EOF"
			    " first)", side_word(rst_side),
			    other_word(rst_side));
		else
			NOTE("%s sent RST after %s's FIN",
			    side_word(rst_side), side_word(fin_side));
	}
	if (n & FLOW_NOTE_DATA_AFTER_FIN) {
		if (r->resp.after_fin_bytes)
			NOTE("resp sent %" PRIu64 " bytes after orig's FIN%s",
			    r->resp.after_fin_bytes,
			    r->half_close == FLOW_SIDE_RESP ? " (half-close)" :
			    "");
		if (r->orig.after_fin_bytes)
			NOTE("orig sent %" PRIu64 " bytes after resp's FIN%s",
			    r->orig.after_fin_bytes,
			    r->half_close == FLOW_SIDE_ORIG ? " (half-close)" :
			    "");
	}
	if (n & FLOW_NOTE_RST_ANSWERS_DATA)
		NOTE("%s's RST answered %s's data", side_word(rst_side),
		    other_word(rst_side));
	if (n & FLOW_NOTE_FIN_RETRANSMITTED) {
		if (r->orig.fins > 1)
			NOTE("orig sent its FIN %" PRIu32 " times",
			    r->orig.fins);
		if (r->resp.fins > 1)
			NOTE("resp sent its FIN %" PRIu32 " times",
			    r->resp.fins);
	}
	if (n & FLOW_NOTE_RETRANSMITTED) {
		if (r->orig.retransmits)
			NOTE("orig retransmitted %" PRIu32 " segments",
			    r->orig.retransmits);
		if (r->resp.retransmits)
			NOTE("resp retransmitted %" PRIu32 " segments",
			    r->resp.retransmits);
	}
	if (n & FLOW_NOTE_KEEPALIVE) {
		if (r->orig.keepalives)
			NOTE("orig sent %" PRIu32 " keepalive/window probes",
			    r->orig.keepalives);
		if (r->resp.keepalives)
			NOTE("resp sent %" PRIu32 " keepalive/window probes",
			    r->resp.keepalives);
	}
	if (n & FLOW_NOTE_ZERO_WINDOW) {
		if (r->orig.zero_windows)
			NOTE("orig advertised a zero window %" PRIu32 " times",
			    r->orig.zero_windows);
		if (r->resp.zero_windows)
			NOTE("resp advertised a zero window %" PRIu32 " times",
			    r->resp.zero_windows);
	}
	if (n & FLOW_NOTE_WAITED)
		NOTE("%s waited %" PRId64 ".%06" PRId64 "s for %s: %" PRIu32
		    " %s unanswered%s", side_word(r->waiter),
		    r->wait_us / 1000000, r->wait_us % 1000000,
		    (n & FLOW_NOTE_SELF_CONNECT) ? "itself" :
		    other_word(r->waiter), r->wait_tries,
		    r->wait_tries == 1 ? "try" : "tries",
		    r->teardown != FLOW_VANISHED ? "" :
		    r->waiter == rst_side && (r->waiter == FLOW_SIDE_ORIG ?
		    r->orig.rsts : r->resp.rsts) ? ", then gave up with a RST" :
		    ", then silence");
	if (n & FLOW_NOTE_GAP)
		NOTE("the capture missed bytes the peer acknowledged");
	if (n & FLOW_NOTE_SYN_RETRANSMITTED)
		NOTE("SYN sent again");
	if (n & FLOW_NOTE_DATA_AFTER_RST)
		NOTE("data after a RST");
	if (n & FLOW_NOTE_DATA_BEYOND_FIN)
		NOTE("data past a side's own FIN");
	if (n & FLOW_NOTE_IDLE_EVICTED)
		NOTE("reported at the idle limit, still open");
#undef NOTE
}

int
flow_result_notes_text(const struct flow_result *r, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	notes_text(r, &b);
	return (int)b.need;
}

int
flow_result_line(const struct flow_result *r, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };
	char oe[64], re[64], ts[48];
	int64_t d = r->last_ts_us - r->ts_us;

	if (len)
		buf[0] = '\0';
	endpoint_str(r->family, r->orig_addr, r->orig_port, oe, sizeof(oe));
	endpoint_str(r->family, r->resp_addr, r->resp_port, re, sizeof(re));
	iso_time(r->ts_us, ts, sizeof(ts));
	/* the time of day: "HH:MM:SS.uuuuuu" */
	sb_printf(&b, "%4" PRIu64 " %.15s  %-21s %-21s %4" PRId64 ".%06"
	    PRId64 " %7" PRIu64 " %7" PRIu64 " %-9s %-4s %-6s %-12s ",
	    r->id, ts + 11, oe, re, d / 1000000, d % 1000000,
	    r->orig.bytes, r->resp.bytes, flow_class_name(r->teardown),
	    r->closed_by == FLOW_SIDE_NONE ? "-" :
	    flow_side_name(r->closed_by), flow_state_name(r->conn_state),
	    r->history[0] ? r->history : "-");
	notes_text(r, &b);
	/* drop trailing blanks */
	while (b.need > 0 && b.need < len && buf[b.need - 1] == ' ')
		buf[--b.need] = '\0';
	return (int)b.need;
}

char *
flow_result_ladder(const struct flow_result *r)
{
	struct sbuf b = { NULL, 0, 0 };
	char oe[64], re[64];
	size_t i, pass;

	endpoint_str(r->family, r->orig_addr, r->orig_port, oe, sizeof(oe));
	endpoint_str(r->family, r->resp_addr, r->resp_port, re, sizeof(re));
	/* two passes: measure, then write */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			b.len = b.need + 1;
			b.buf = malloc(b.len);
			if (b.buf == NULL)
				return NULL;
			b.need = 0;
		}
		sb_printf(&b, "connection %" PRIu64 ": %s -> %s  %s%s%s\n",
		    r->id, oe, re, flow_class_name(r->teardown),
		    r->closed_by != FLOW_SIDE_NONE ? ", closed by " : "",
		    r->closed_by != FLOW_SIDE_NONE ?
		    flow_side_name(r->closed_by) : "");
		sb_printf(&b, "%12s  %-4s%52s\n", "time", "orig", "resp");
		for (i = 0; i < r->nsteps; i++) {
			const struct flow_step *st = &r->steps[i];
			char fl[10], label[96];
			int64_t t = st->ts_us - r->ts_us;
			int n;

			if (i == HEAD_STEPS && r->steps_skipped > 0)
				sb_printf(&b, "%12s  %s\n", "",
				    "   ... packets not shown ...");
			pkt_flags_str(st->flags, fl);
			n = snprintf(label, sizeof(label), "%s seq %" PRIu32,
			    fl, st->seq);
			if (st->flags & PKT_ACK)
				n += snprintf(label + n, sizeof(label) -
				    (size_t)n, " ack %" PRIu32, st->ack);
			if (st->len)
				n += snprintf(label + n, sizeof(label) -
				    (size_t)n, " len %" PRIu32, st->len);
			n += snprintf(label + n, sizeof(label) - (size_t)n,
			    " win %u", st->window);
			if (st->mark & FLOW_STEP_RETRANSMIT)
				n += snprintf(label + n, sizeof(label) -
				    (size_t)n, " (again)");
			if (st->mark & FLOW_STEP_KEEPALIVE)
				snprintf(label + n, sizeof(label) - (size_t)n,
				    " (probe)");
			sb_printf(&b, "%5" PRId64 ".%06" PRId64 "  ",
			    t / 1000000, t % 1000000);
			if (st->from == FLOW_SIDE_ORIG) {
				int pad = 50 - (int)strlen(label);

				sb_printf(&b, "|-- %s %.*s>|\n", label,
				    pad > 0 ? pad : 0,
				    "---------------------------------------"
				    "-------------");
			} else {
				int pad = 50 - (int)strlen(label);

				sb_printf(&b, "|<%.*s %s --|\n",
				    pad > 0 ? pad : 0,
				    "---------------------------------------"
				    "-------------", label);
			}
		}
	}
	return b.buf;
}
