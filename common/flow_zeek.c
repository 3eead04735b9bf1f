/* SPDX-License-Identifier: BSD-2-Clause */
/* Zeek's view of a connection: its TCP endpoint states, history, conn_state. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "flow_zeek.h"

#define ATTEMPT_US		5000000	/* Zeek's tcp_attempt_delay */
#define TOO_LARGE_SEQ_DELTA	1048576

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

/* ------------------------------------------------------------------ */
/* Zeek emulation: history */

static void
z_hist_add(struct flow *f, char c)
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
	z_hist_add(f, '^');
}

/* Record code once per side (Zeek's mask); true if it was seen before. */
static bool
z_hist_check(struct flow *f, int si, uint32_t mask, char code)
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
		z_hist_add(f, '^');
		z_hist_add(f, 'h');
		f->fps |= FPS_ORIG;
	}
	if (!is_orig(f, si)) {
		mask <<= 16;
		code = (char)tolower((unsigned char)code);
	}
	if ((f->hist_seen & mask) == 0) {
		f->hist_seen |= mask;
		z_hist_add(f, code);
		return false;
	}
	return true;
}

static void
z_hist_add_side(struct flow *f, int si, char code)
{
	z_hist_add(f, is_orig(f, si) ? code :
	    (char)tolower((unsigned char)code));
}

/* c, g, t, w: recorded at the 1st, 10th, 100th ... occurrence. */
static void
z_hist_scaled(struct flow *f, int si, char code, uint32_t *cnt, uint32_t *th)
{
	if (++*cnt == *th) {
		uint32_t next = *th * 10;

		z_hist_add_side(f, si, code);
		if (next <= *th)
			*cnt = 0;
		else
			*th = next;
	}
}

/* ------------------------------------------------------------------ */
/* Zeek emulation: sequence bookkeeping */

static uint64_t
z_rel_space(const struct flow_end *e, uint32_t seq, uint32_t wraps)
{
	return ((uint64_t)wraps << 32) + seq - (uint64_t)e->z_start;
}

static uint64_t
z_rel(const struct flow_end *e, uint32_t cur, uint32_t last, uint32_t wraps,
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
z_init_seq(struct flow_end *e, uint32_t start, uint32_t last)
{
	e->z_start = start;
	e->z_ack = start;
	e->z_last = last;
}

static void
z_init_endpoint(struct flow_end *e, uint8_t flags, uint32_t seq, uint32_t last)
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
z_update_ack(struct flow_end *e, uint32_t ack)
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
z_set_last(struct flow_end *e, uint32_t seq)
{
	if (seq < e->z_last)
		e->z_seq_wraps++;
	e->z_last = seq;
}

static int32_t
z_update_last(struct flow *f, int si, uint32_t last, uint8_t flags,
    uint32_t len)
{
	struct flow_end *e = &f->s[si];
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
		z_hist_scaled(f, si, 'T', &e->rxmt_cnt, &e->rxmt_th);
	return d;
}

static uint64_t
z_size(const struct flow_end *e, const struct flow_end *peer)
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
z_set_state(struct flow_end *e, uint8_t st)
{
	if (st != e->z_state) {
		e->z_prev = e->z_state;
		e->z_state = st;
	}
}

/* ------------------------------------------------------------------ */
/* Zeek emulation: reassembly, for content gaps */

static bool
z_clean(const struct flow_end *e)
{
	return e->z_state == Z_ESTABLISHED ||
	    (e->z_state == Z_CLOSED && e->z_prev == Z_ESTABLISHED);
}

static void
z_gap(struct flow *f, int si)
{
	if (z_clean(&f->s[si]) && z_clean(&f->s[1 - si]))
		z_hist_scaled(f, si, 'G', &f->s[si].gap_cnt, &f->s[si].gap_th);
}

/* Deliver blocks that now continue the stream. */
static void
z_deliver(struct flow_end *e)
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
	struct flow_end *e = &f->s[si];
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
	struct flow_end *e = &f->s[si];

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
z_connection_closed(struct flow *f, int si, int64_t grace_us)
{
	struct flow_end *e = &f->s[si], *p = &f->s[1 - si];

	if (e->z_did_close)
		return;
	e->z_did_close = true;
	if (e->z_state == Z_RESET || p->z_did_close ||
	    p->z_state == Z_INACTIVE)
		settle(f, f->z_last_time + grace_us);
}

/* A FIN closes e, then an RST resets it; true when either was set. */
static bool
z_fin_or_rst(struct flow_end *e, uint8_t fl)
{
	if (fl & PKT_FIN)
		z_set_state(e, Z_CLOSED);
	if (fl & PKT_RST)
		z_set_state(e, Z_RESET);
	return (fl & (PKT_FIN | PKT_RST)) != 0;
}

static bool
z_state_machine(struct flow *f, int si, bool orig_arg,
    const struct pkt_tcp *p, int64_t grace_us)
{
	struct flow_end *e = &f->s[si], *peer = &f->s[1 - si];
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
		if (z_fin_or_rst(e, fl))
			do_close = true;
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
		if (z_fin_or_rst(e, fl))
			do_close = true;
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
			settle(f, p->ts_us + grace_us);
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
	struct flow_end *e = &f->s[si];
	int bits = !!(fl & PKT_SYN) + !!(fl & PKT_FIN) + !!(fl & PKT_RST);

	if (bits > 1) {
		if ((fl & PKT_FIN) && (fl & PKT_RST))
			z_hist_check(f, si, H_FIN_RST, 'I');
		else
			z_hist_check(f, si, H_MULTI, 'Q');
	} else if (bits == 1) {
		if (fl & PKT_SYN) {
			char code = (fl & PKT_ACK) ? 'H' : 'S';

			if (z_hist_check(f, si, H_SYN, code) &&
			    rel_seq != e->h_syn)
				z_hist_add_side(f, si, code);
			e->h_syn = rel_seq;
		}
		if (fl & PKT_FIN) {
			/* a FIN's number is after the data it carries */
			if (z_hist_check(f, si, H_FIN, 'F') &&
			    rel_seq + len != e->h_fin)
				z_hist_add_side(f, si, 'F');
			e->h_fin = rel_seq + len;
		}
		if (fl & PKT_RST) {
			if (z_hist_check(f, si, H_RST, 'R') &&
			    rel_seq != e->h_rst)
				z_hist_add_side(f, si, 'R');
			e->h_rst = rel_seq;
		}
	} else if (len > 0) {
		z_hist_check(f, si, H_DATA, 'D');
	} else if (fl & PKT_ACK) {
		z_hist_check(f, si, H_ACK, 'A');
	}
}

void
flow_zeek_process(struct flow *f, int si, const struct pkt_tcp *p,
    int64_t grace_us)
{
	struct flow_end *e = &f->s[si], *peer = &f->s[1 - si];
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
		z_hist_scaled(f, si, 'W', &e->win0_cnt, &e->win0_th);

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
	do_close = z_state_machine(f, si, orig_arg, p, grace_us);

	if (fl & PKT_ACK)
		z_ack_received(f, 1 - si, rel_ack);

	f->fps |= orig_arg ? FPS_ORIG : FPS_RESP;

	if (len > 0 && !(fl & PKT_RST) && !under && p->captured_len >= len)
		z_data_sent(f, si, (fl & PKT_SYN) ? rel_seq + 1 : rel_seq,
		    len);

	if (do_close)
		z_connection_closed(f, si, grace_us);
}

bool
flow_zeek_is_reuse(const struct flow *f, int si, const struct pkt_tcp *p)
{
	const struct flow_end *o = &f->s[f->oi], *r = &f->s[1 - f->oi];
	const struct flow_end *co = o;

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

bool
flow_zeek_attempt_over(const struct flow *f, int si,
    const struct pkt_tcp *p)
{
	const struct flow_end *o = &f->s[f->oi], *r = &f->s[1 - f->oi];

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


/* reporting */

enum flow_state
flow_zeek_conn_state(const struct flow *f)
{
	const struct flow_end *o = &f->s[f->oi], *r = &f->s[1 - f->oi];
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

void
flow_zeek_orient(struct flow *f, const struct pkt_tcp *p)
{
	bool flip = false;

	if ((p->flags & PKT_SYN) && !(p->flags & PKT_ACK))
		return;
	if (likely_server_port(p->sport)) {
		if (likely_server_port(p->dport))
			flip = !(p->flags & PKT_SYN) && p->sport < p->dport;
		else
			flip = true;
	}
	if (flip)
		flip_roles(f);
}
