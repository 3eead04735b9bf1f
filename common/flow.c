/* SPDX-License-Identifier: BSD-2-Clause */
/* The teardown classifier: how each TCP connection in a packet stream ended. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "flow_impl.h"
#include "flow_index.h"
#include "flow_zeek.h"

/*
 * The table: flows come from the index (flow_index.c), go through the
 * Zeek emulation (flow_zeek.c) and our own tracking (below), and are
 * classified and reported when their deadline passes. Rendering a report
 * is flow_out.c's; the names of the classes, states and notes are
 * flow_names.c's.
 */

#define DEFAULT_GRACE_US	5000000	/* Zeek's tcp_close_delay */
/*
 * Connections that will never see a FIN or RST are settled by silence:
 * an unanswered SYN after 64 s (Linux's longest SYN backoff is 32 s), a
 * run of unanswered retransmissions or probes after 120 s (TCP_RTO_MAX:
 * a sender still trying would have tried again by then).
 */
#define SYN_GIVEUP_US		64000000
#define RUN_GIVEUP_US		120000000
#define HEAD_STEPS		FLOW_LADDER_HEAD

struct flow_table {
	struct flow_config cfg;
	flow_report_fn report;
	void *arg;

	struct flow_index ix;		/* the open flows */
	struct flow *free_list;
	size_t flow_size;

	int64_t now;
	uint64_t next_id;
	struct flow_summary sum;
	struct flow_step *scratch;	/* ladder steps for a report */
};

/*
 * Only SYNs so far: the responder sent nothing, or a self-connection's
 * socket never answered its own SYN.
 */
static bool
syn_unanswered(const struct flow *f)
{
	const struct flow_end *o = &f->s[f->oi], *r = &f->s[1 - f->oi];

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
	const struct flow_end *o = &f->s[f->oi], *r = &f->s[1 - f->oi];
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

/* ------------------------------------------------------------------ */
/* our own tracking */

static int64_t
rel64(const struct flow_end *s, uint32_t seq)
{
	return s->hi + (int32_t)(seq - (uint32_t)(s->base + (uint32_t)s->hi));
}

static void
anchor(struct flow_end *s, uint32_t base)
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
	st->wscale = p->wscale;
}

/* The side's FIN was sent and the other side acknowledged it. */
static bool
fin_acked(const struct flow_end *s)
{
	return s->fin_rel >= 0 && s->acked > s->fin_rel;
}

static void
track(struct flow_table *t, struct flow *f, int si, const struct pkt_tcp *p)
{
	struct flow_end *s = &f->s[si], *q = &f->s[1 - si];
	/* whose sequence space the ACK acknowledges: a self-connection's own */
	struct flow_end *rcv = f->self ? s : q;
	uint8_t fl = p->flags;
	uint32_t len = p->payload_len;
	uint8_t mark = 0;
	bool try = false, probe = false, expects = false;
	int64_t b, e;

	s->st.packets++;
	s->st.ip_bytes += p->ip_bytes;
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
	    b == s->hi - 1 && s->hi > 0 && !fin_acked(s)) {
		/*
		 * seq = snd_nxt - 1: a keepalive or window probe. Once the
		 * side's FIN is acknowledged there is nothing to probe for:
		 * such a segment is a late duplicate ACK.
		 */
		probe = true;
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

	/*
	 * Both FINs sent and acknowledged: the connection is closed, and an
	 * RST now is a closed socket's answer to a stray segment (a late
	 * duplicate ACK answered from TIME_WAIT), not an abort.
	 */
	if (fl & PKT_RST) {
		s->st.rsts++;
		if (s->st.rst_ts_us < 0)
			s->st.rst_ts_us = p->ts_us;
	}
	if ((fl & PKT_RST) && !f->self && f->first_rst < 0 &&
	    fin_acked(s) && fin_acked(q)) {
		f->notes |= FLOW_NOTE_RST_AFTER_CLOSE;
	} else if (fl & PKT_RST) {
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
		struct flow_end *k = rcv;

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
unacked_bytes(const struct flow_end *s)
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
fill_side(struct flow_side_stats *out, const struct flow_end *s)
{
	*out = s->st;
	out->bytes = s->anchored && s->data_hi > 1 ?
	    (uint64_t)(s->data_hi - 1) : 0;
	out->unacked = unacked_bytes(s);
	out->missed = s->gap_bytes > 0 ? (uint64_t)s->gap_bytes : 0;
}

static void
build_result(struct flow_table *t, struct flow *f, struct flow_result *r,
    bool evicted)
{
	/* a self-connection's one socket is orig, whatever Zeek's roles */
	const struct flow_end *o = &f->s[f->self ? 0 : f->oi];
	const struct flow_end *rs = &f->s[f->self ? 1 : 1 - f->oi];
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
	r->conn_state = flow_zeek_conn_state(f);
	memcpy(r->history, f->hist, sizeof(r->history));
	r->tunnel_parents = f->tun;
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
		const struct flow_end *ws = &f->s[w];

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

	flow_index_remove(&t->ix, f);
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
	t->flow_size = sizeof(struct flow) + (t->cfg.ladder ?
	    (HEAD_STEPS + t->cfg.ladder) * sizeof(struct flow_step) : 0);
	if (t->cfg.ladder)
		t->scratch = calloc(HEAD_STEPS + t->cfg.ladder,
		    sizeof(*t->scratch));
	if (flow_index_init(&t->ix) < 0 ||
	    (t->cfg.ladder && t->scratch == NULL)) {
		flow_index_free(&t->ix);
		free(t->scratch);
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->now = INT64_MIN;
	t->next_id = 1;
	return t;
}

static void
side_init(struct flow_end *s)
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

	if (flow_index_reserve(&t->ix) < 0)
		return NULL;
	if (f != NULL)
		t->free_list = f->hnext;
	else if ((f = malloc(t->flow_size)) == NULL)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->due.idx = HEAP_NONE;
	f->settle_at = NO_TIME;
	f->attempt_at = NO_TIME;
	f->id = t->next_id++;
	f->due.seq = f->id;
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

	flow_index_insert(&t->ix, f);
	if (t->ix.count > t->sum.max_open)
		t->sum.max_open = t->ix.count;

	flow_zeek_orient(f, p);
	return f;
}

/* FNV-1a, 64 bits, over n bytes, continuing from h. */
static uint64_t
fnv64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* The tunnel's uid: the same whichever way its packets go. */
static void
tunnel_uid(const struct pkt_tunnel *t, char *uid)
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	uint8_t a[18], b[18];
	uint64_t h = 0xcbf29ce484222325ULL;
	int i;

	memcpy(a, t->saddr, 16);
	memcpy(b, t->daddr, 16);
	a[16] = (uint8_t)(t->sport >> 8);
	a[17] = (uint8_t)t->sport;
	b[16] = (uint8_t)(t->dport >> 8);
	b[17] = (uint8_t)t->dport;
	h = fnv64(h, &t->kind, 1);
	h = fnv64(h, &t->family, 1);
	h = fnv64(h, &t->key, sizeof(t->key));
	if (memcmp(a, b, sizeof(a)) <= 0) {
		h = fnv64(h, a, sizeof(a));
		h = fnv64(h, b, sizeof(b));
	} else {
		h = fnv64(h, b, sizeof(b));
		h = fnv64(h, a, sizeof(a));
	}
	uid[0] = 'C';
	for (i = 1; i <= 11; i++) {
		uid[i] = b62[h % 62];
		h /= 62;
	}
	uid[12] = '\0';
}

static bool
same_tunnel(const struct pkt_tunnel *x, const struct pkt_tunnel *y)
{
	return x->kind == y->kind && x->key == y->key &&
	    x->family == y->family &&
	    ((x->sport == y->sport && x->dport == y->dport &&
	    memcmp(x->saddr, y->saddr, 16) == 0 &&
	    memcmp(x->daddr, y->daddr, 16) == 0) ||
	    (x->sport == y->dport && x->dport == y->sport &&
	    memcmp(x->saddr, y->daddr, 16) == 0 &&
	    memcmp(x->daddr, y->saddr, 16) == 0));
}

/* Add the tunnel of a segment to a connection's set. */
static void
tunnel_note(struct flow_tunnels *ts, const struct pkt_tunnel *t)
{
	int i;

	for (i = 0; i < ts->n; i++)
		if (same_tunnel(&ts->t[i].t, t))
			return;
	if (ts->n == FLOW_TUNNELS_MAX) {
		ts->more = true;
		return;
	}
	ts->t[ts->n].t = *t;
	tunnel_uid(t, ts->t[ts->n].uid);
	ts->n++;
}

void
flow_table_advance(struct flow_table *t, int64_t now_us)
{
	struct flow *f;

	if (now_us > t->now)
		t->now = now_us;
	while ((f = flow_index_top(&t->ix)) != NULL &&
	    f->due.key <= t->now) {
		bool idle;
		int64_t d = flow_deadline_why(t, f, &idle);

		if (d > t->now) {
			/* moved on since it was keyed: look again later */
			if (d == NO_TIME)
				flow_index_unschedule(&t->ix, f);
			else
				flow_index_defer_top(&t->ix, d);
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
	int si = 0;

	t->sum.segments++;
	/* time never goes back: an older stamp counts as the latest seen */
	if (p->ts_us > t->now)
		t->now = p->ts_us;
	if (t->ix.top_key <= t->now)
		flow_table_advance(t, t->now);
	f = flow_index_find(&t->ix, p, &h, &si);
	/*
	 * Zeek's attempt timer would end a self-connection 5 s after its
	 * SYN (its originator stays in SYN_SENT, its responder inactive);
	 * it is one connection, kept whole (finrst.1 says so).
	 */
	/* (the cheap tests first: most packets are neither) */
	if (f != NULL && !f->self && p->ts_us >= f->attempt_at &&
	    flow_zeek_attempt_over(f, si, p)) {
		flow_report_free(t, f, false);
		f = NULL;
	}
	if (f != NULL && (p->flags & PKT_SYN) &&
	    flow_zeek_is_reuse(f, si, p)) {
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
	if (p->tun.kind != PKT_TUN_NONE)
		tunnel_note(&f->tun, &p->tun);
	flow_zeek_process(f, si, p, t->cfg.grace_us);
	track(t, f, si, p);
	if (flow_index_schedule(&t->ix, f, flow_deadline(t, f)) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
flow_table_flush(struct flow_table *t)
{
	while (t->ix.head != NULL)
		flow_report_free(t, t->ix.head, false);
	/* the capture is over: the next segment may start another clock */
	t->now = INT64_MIN;
}

size_t
flow_table_open(const struct flow_table *t)
{
	return t->ix.count;
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
	for (f = t->ix.head; f != NULL; f = next) {
		next = f->next;
		free(f);
	}
	for (f = t->free_list; f != NULL; f = next) {
		next = f->hnext;
		free(f);
	}
	flow_index_free(&t->ix);
	free(t->scratch);
	free(t);
}

