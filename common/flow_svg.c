/* SPDX-License-Identifier: BSD-2-Clause */
/* A time-sequence diagram of one connection's teardown, in SVG. */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_out.h"
#include "flow_svg.h"
#include "pktdecode.h"

#define LEFT		FLOW_SVG_LEFT
#define PLOT_W		FLOW_SVG_PLOT_W
#define PANEL_H		FLOW_SVG_PANEL_H
#define RIGHT		(FLOW_SVG_LEFT + FLOW_SVG_PLOT_W)
#define LEGEND_H	28
#define MIN_BAR		2.0	/* a data bar is at least this tall */
#define MIN_MARK	6.0	/* a retransmission, probe or risk: this */
#define BREAK_W		24.0	/* an idle stretch cut out of the time axis */
#define MAX_BREAKS	8
#define BREAK_RATIO	4	/* cut an idle gap 4x the time left */
#define MAX_PIECES	(2 * MAX_BREAKS + 4)

static const char css[] =
    "svg.seq{display:block;max-width:100%;height:auto;background:#fff}"
    ".seq text{font:11px sans-serif;fill:#333}"
    ".seq .t{font-weight:bold;font-size:12px}"
    ".seq .ax{fill:#fafafa;stroke:#999}"
    ".seq .tk{stroke:#bbb}"
    ".seq .d{stroke:#1f5fae;stroke-width:2}"
    ".seq .rx{stroke:#d62728;stroke-width:3}"
    ".seq .ka{stroke:#9467bd;stroke-width:3}"
    ".seq .ack{fill:none;stroke:#2ca02c;stroke-width:1.5}"
    ".seq .win{fill:none;stroke:#b8860b;stroke-dasharray:5 3}"
    ".seq .syn{fill:#444}"
    ".seq .fin{fill:#ff7f0e;stroke:#8c4a00}"
    ".seq .rst{fill:none;stroke:#d62728;stroke-width:2.5}"
    ".seq .rstl{stroke:#d62728;stroke-dasharray:2 3}"
    ".seq .risk{fill:#d62728;fill-opacity:.18;stroke:#d62728;"
    "stroke-dasharray:3 2}"
    ".seq .cut{fill:#888;fill-opacity:.3}"
    ".seq .gap{fill:#fff;stroke:#999;stroke-dasharray:1 2}"
    ".seq .small{font-size:10px}"
    ".seq .note{fill:#b22222}";

const char *
flow_svg_css(void)
{
	return css;
}

/* ------------------------------------------------------------------ */
/* writing: the first failure sticks, later pieces are dropped */

struct out {
	struct buf *b;
	int err;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->err == 0 && buf_append(o->b, s, n) < 0)
		o->err = -1;
}

#define PUT(o, lit)	put(o, lit, sizeof(lit) - 1)

static void
puts_esc(struct out *o, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		put(o, run, (size_t)(s - run));
		put(o, rep, strlen(rep));
		run = s + 1;
	}
	put(o, run, (size_t)(s - run));
}

int
flow_svg_escape(struct buf *b, const char *s)
{
	struct out o = { b, 0 };

	puts_esc(&o, s);
	return o.err;
}

/* Short formatted pieces (labels); our own text, never escaped here. */
#define putf(o, ...)							\
	do {								\
		if ((o)->err == 0 && buf_printf((o)->b, __VA_ARGS__) < 0) \
			(o)->err = -1;					\
	} while (0)

/*
 * A coordinate, rounded to a tenth, without a trailing ".0": most of a
 * diagram's bytes are these, so no printf.
 */
static void
num(struct out *o, double v)
{
	char t[32];
	int i = (int)sizeof(t);
	long long tenths = llround(v * 10.0);
	bool neg = tenths < 0;
	unsigned long long u;

	if (neg)
		tenths = -tenths;
	u = (unsigned long long)tenths;
	if (u % 10 != 0) {
		t[--i] = (char)('0' + u % 10);
		t[--i] = '.';
	}
	u /= 10;
	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0 && i > 1);
	if (neg)
		t[--i] = '-';
	put(o, t + i, sizeof(t) - (size_t)i);
}

/* "x y" */
static void
pt(struct out *o, double x, double y)
{
	num(o, x);
	PUT(o, " ");
	num(o, y);
}

/* ------------------------------------------------------------------ */
/* the scales */

/*
 * The time axis is linear, except that a stretch of silence much longer
 * than the rest of the connection (an idle minute before the RST that
 * ended it) is cut out and drawn BREAK_W wide, and so are the packets the
 * record left out: pieces map time to x, each one linearly.
 */
enum piece_kind { PIECE_LINEAR, PIECE_IDLE, PIECE_CUT };

struct piece {
	int64_t ta, tb;
	double xa, xb;
	enum piece_kind kind;
};

/* What one diagram needs, worked out once from the steps. */
struct scene {
	const struct flow_result *r;
	size_t n;
	int64_t *sv;		/* each step's sequence number, unwrapped */
	int64_t *av;		/* its ack, unwrapped in the peer's space */
	int64_t t0, span;	/* time axis: first packet, duration (>= 1) */
	struct piece piece[MAX_PIECES];
	int npieces;
	int64_t linear;		/* time on the linear pieces */
	int shift[2];		/* window scale of what each side advertises */
	/* per panel: 0 orig's sequence space, 1 resp's */
	int64_t lo[2], hi[2];
	int64_t top[2];		/* the number at the panel's top edge */
	bool seen[2];		/* anything to draw in it */
	int64_t data_hi[2];	/* highest data end, -1 none */
};

static int
side_ix(const struct flow_step *st)
{
	return st->from == FLOW_SIDE_RESP ? 1 : 0;
}

/* The space a step's ack number is in: the peer's, or a self-connect's. */
static int
ack_ix(const struct scene *sc, const struct flow_step *st)
{
	if (sc->r->notes & FLOW_NOTE_SELF_CONNECT)
		return side_ix(st);
	return 1 - side_ix(st);
}

static double
x_of(const struct scene *sc, int64_t ts)
{
	const struct piece *p = &sc->piece[0];
	int i;

	for (i = 0; i < sc->npieces - 1 && ts > sc->piece[i].tb; i++)
		;
	p = &sc->piece[i];
	if (p->tb <= p->ta)
		return p->xa;
	return p->xa + (double)(ts - p->ta) * (p->xb - p->xa) /
	    (double)(p->tb - p->ta);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Lay out the time axis over the packets' times (sorted and deduplicated
 * into times[], m of them, first and last included).
 */
static void
time_pieces(struct scene *sc, int64_t *times, size_t m)
{
	const struct flow_result *r = sc->r;
	uint8_t brk[MAX_PIECES * 4];	/* per gap: enum piece_kind */
	int64_t cut_a = -1, remaining = sc->span;
	double w_break = BREAK_W, w_lin, x = LEFT;
	size_t i, ngaps = m - 1, nbreaks = 0;
	struct piece *p;

	/* only the largest gaps can be cut: consider a bounded number */
	if (ngaps > sizeof(brk))
		ngaps = sizeof(brk);
	memset(brk, PIECE_LINEAR, sizeof(brk));
	if (r->steps_skipped > 0 && r->nsteps > FLOW_LADDER_HEAD)
		cut_a = r->steps[FLOW_LADDER_HEAD - 1].ts_us;
	for (i = 0; i < ngaps; i++)
		if (times[i] == cut_a &&
		    times[i + 1] == r->steps[FLOW_LADDER_HEAD].ts_us) {
			brk[i] = PIECE_CUT;
			remaining -= times[i + 1] - times[i];
			nbreaks++;
		}
	while (nbreaks < MAX_BREAKS) {
		size_t best = SIZE_MAX;
		int64_t g;

		for (i = 0; i < ngaps; i++)
			if (brk[i] == PIECE_LINEAR && (best == SIZE_MAX ||
			    times[i + 1] - times[i] > times[best + 1] -
			    times[best]))
				best = i;
		if (best == SIZE_MAX)
			break;
		g = times[best + 1] - times[best];
		if (remaining - g <= 0 || g <= BREAK_RATIO * (remaining - g))
			break;
		brk[best] = PIECE_IDLE;
		remaining -= g;
		nbreaks++;
	}
	if (remaining <= 0 && nbreaks > 0)
		w_break = (double)PLOT_W / (double)nbreaks;
	w_lin = PLOT_W - w_break * (double)nbreaks;
	sc->linear = remaining;
	/* merge the runs of linear gaps; each cut gap is a piece */
	sc->npieces = 0;
	p = NULL;
	for (i = 0; i + 1 < m; i++) {
		enum piece_kind k = i < ngaps ? brk[i] : PIECE_LINEAR;
		int64_t d = times[i + 1] - times[i];

		if (p == NULL || k != PIECE_LINEAR ||
		    p->kind != PIECE_LINEAR) {
			p = &sc->piece[sc->npieces++];
			p->kind = k;
			p->ta = times[i];
			p->xa = x;
		}
		p->tb = times[i + 1];
		x += k != PIECE_LINEAR ? w_break : remaining > 0 ?
		    w_lin * (double)d / (double)remaining : 0;
		p->xb = x;
	}
	if (sc->npieces == 0) {
		p = &sc->piece[sc->npieces++];
		p->kind = PIECE_LINEAR;
		p->ta = p->tb = sc->t0;
		p->xa = p->xb = LEFT;
	}
	/* rounding: the axis ends where the plot does */
	sc->piece[sc->npieces - 1].xb = RIGHT;
}

/* The time axis, from the packets' times. */
static int
time_axis_init(struct scene *sc)
{
	const struct flow_result *r = sc->r;
	int64_t end = sc->t0 + sc->span;
	size_t i, m = 0, u;
	int64_t *times = malloc((r->nsteps + 2) * sizeof(*times));

	if (times == NULL)
		return -1;
	times[m++] = sc->t0;
	times[m++] = end;
	for (i = 0; i < r->nsteps; i++)
		if (r->steps[i].ts_us > sc->t0 && r->steps[i].ts_us < end)
			times[m++] = r->steps[i].ts_us;
	qsort(times, m, sizeof(*times), cmp_i64);
	for (i = 1, u = 1; i < m; i++)
		if (times[i] != times[u - 1])
			times[u++] = times[i];
	time_pieces(sc, times, u);
	free(times);
	return 0;
}

static double
top_of(int p)
{
	return FLOW_SVG_TOP + p * (PANEL_H + FLOW_SVG_PANEL_GAP);
}

/* y of sequence number v in panel p, kept inside the panel. */
static double
y_of(const struct scene *sc, int p, int64_t v)
{
	double bot = top_of(p) + PANEL_H;
	double y = bot - (double)(v - sc->lo[p]) * PANEL_H /
	    (double)(sc->top[p] - sc->lo[p]);

	if (y < top_of(p))
		y = top_of(p);
	if (y > bot)
		y = bot;
	return y;
}

/* Relative numbers near the previous one, across a 32-bit wrap. */
static int64_t
unwrap(int64_t *ref, bool *known, uint32_t v)
{
	if (!*known) {
		*known = true;
		*ref = (int32_t)v;
	} else {
		*ref += (int32_t)(v - (uint32_t)*ref);
	}
	return *ref;
}

static void
widen(struct scene *sc, int p, int64_t v)
{
	if (!sc->seen[p]) {
		sc->seen[p] = true;
		sc->lo[p] = sc->hi[p] = v;
	}
	if (v < sc->lo[p])
		sc->lo[p] = v;
	if (v > sc->hi[p])
		sc->hi[p] = v;
}

static int
scene_init(struct scene *sc, const struct flow_result *r)
{
	int64_t ref[2] = { 0, 0 };
	bool known[2] = { false, false };
	int syn_ws[2] = { -1, -1 };
	bool syn_seen[2] = { false, false };
	size_t i;

	memset(sc, 0, sizeof(*sc));
	sc->r = r;
	sc->n = r->nsteps;
	sc->t0 = r->ts_us;
	sc->span = r->last_ts_us - r->ts_us;
	if (sc->span < 1)
		sc->span = 1;
	sc->data_hi[0] = sc->data_hi[1] = -1;
	if (time_axis_init(sc) < 0)
		return -1;
	if (sc->n == 0)
		return 0;
	sc->sv = malloc(sc->n * sizeof(*sc->sv));
	sc->av = malloc(sc->n * sizeof(*sc->av));
	if (sc->sv == NULL || sc->av == NULL) {
		free(sc->sv);
		free(sc->av);
		return -1;
	}
	for (i = 0; i < sc->n; i++) {
		const struct flow_step *st = &r->steps[i];
		int d = side_ix(st), a = ack_ix(sc, st);

		sc->sv[i] = unwrap(&ref[d], &known[d], st->seq);
		widen(sc, d, sc->sv[i]);
		if (st->len > 0) {
			widen(sc, d, sc->sv[i] + st->len);
			if (sc->sv[i] + st->len > sc->data_hi[d])
				sc->data_hi[d] = sc->sv[i] + st->len;
		}
		if (st->flags & PKT_FIN)
			widen(sc, d, sc->sv[i] + st->len + 1);
		if (st->flags & PKT_ACK) {
			sc->av[i] = unwrap(&ref[a], &known[a], st->ack);
			widen(sc, a, sc->av[i]);
		}
		if ((st->flags & PKT_SYN) && !syn_seen[d]) {
			syn_seen[d] = true;
			syn_ws[d] = st->wscale;
		}
	}
	/* RFC 7323 section 2.2: scaling is on only when both SYNs asked */
	if (syn_ws[0] >= 0 && syn_ws[1] >= 0) {
		sc->shift[0] = syn_ws[0];
		sc->shift[1] = syn_ws[1];
	}
	for (i = 0; i < 2; i++) {
		if (sc->hi[i] <= sc->lo[i])
			sc->hi[i] = sc->lo[i] + 1;
		/* headroom: the top eighth is the caption's */
		sc->top[i] = sc->hi[i] + (sc->hi[i] - sc->lo[i] + 6) / 7;
	}
	return 0;
}

static void
scene_free(struct scene *sc)
{
	free(sc->sv);
	free(sc->av);
}

/* ------------------------------------------------------------------ */
/* the pieces */

enum bar_kind { BAR_DATA, BAR_AGAIN, BAR_PROBE };

static enum bar_kind
bar_kind(const struct flow_step *st)
{
	if (st->mark & FLOW_STEP_KEEPALIVE)
		return BAR_PROBE;
	if (st->mark & FLOW_STEP_RETRANSMIT)
		return BAR_AGAIN;
	return BAR_DATA;
}

/* Data segments of panel p of one kind: one path of vertical bars. */
static void
bars(struct out *o, const struct scene *sc, int p, enum bar_kind kind,
    const char *cls)
{
	bool open = false;
	size_t i;

	for (i = 0; i < sc->n; i++) {
		const struct flow_step *st = &sc->r->steps[i];
		double x, y0, y1;

		if (side_ix(st) != p || bar_kind(st) != kind ||
		    (st->len == 0 && kind != BAR_PROBE))
			continue;
		if (!open) {
			putf(o, "<path class=\"%s\" d=\"", cls);
			open = true;
		}
		x = x_of(sc, st->ts_us);
		y0 = y_of(sc, p, sc->sv[i]);
		y1 = y_of(sc, p, sc->sv[i] + st->len);
		if (y0 - y1 < (kind == BAR_DATA ? MIN_BAR : MIN_MARK))
			y1 = y0 - (kind == BAR_DATA ? MIN_BAR : MIN_MARK);
		PUT(o, "M");
		pt(o, x, y0);
		PUT(o, "V");
		num(o, y1);
	}
	if (open)
		PUT(o, "\"/>");
}

/*
 * The ACK line (window false) or the advertised window's right edge
 * (window true) in panel p: steps over time from the acks that side p's
 * peer sent, to the end of the axis. A window above the panel is not
 * drawn (the line stops at its edge and picks up where it comes back).
 */
static void
ack_steps(struct out *o, const struct scene *sc, int p, bool window)
{
	bool open = false, up = false;
	double last_y = 0;
	size_t i;

	for (i = 0; i < sc->n; i++) {
		const struct flow_step *st = &sc->r->steps[i];
		int64_t v;
		double x, y;

		if (!(st->flags & PKT_ACK) || ack_ix(sc, st) != p)
			continue;
		v = sc->av[i];
		if (window)
			v += (int64_t)st->window << ((st->flags & PKT_SYN) ?
			    0 : sc->shift[side_ix(st)]);
		x = x_of(sc, st->ts_us);
		y = y_of(sc, p, v);
		if (window && v > sc->top[p]) {
			if (open && !up) {
				PUT(o, "H");
				num(o, x);
			}
			up = true;
			continue;
		}
		if (!open) {
			putf(o, "<path class=\"%s\" d=\"M", window ? "win" :
			    "ack");
			pt(o, x, y);
			open = true;
		} else if (up) {
			PUT(o, "M");
			pt(o, x, y);
		} else if (y != last_y) {
			PUT(o, "H");
			num(o, x);
			PUT(o, "V");
			num(o, y);
		}
		last_y = y;
		up = false;
	}
	if (open && !up) {
		PUT(o, "H");
		num(o, RIGHT);
		PUT(o, "\"/>");
	} else if (open) {
		PUT(o, "\"/>");
	}
}

/* SYN squares, FIN diamonds, RST crosses of panel p, one path each. */
static void
marks(struct out *o, const struct scene *sc, int p, uint8_t flag)
{
	bool open = false;
	size_t i;

	for (i = 0; i < sc->n; i++) {
		const struct flow_step *st = &sc->r->steps[i];
		double x, y;

		if (side_ix(st) != p || !(st->flags & flag))
			continue;
		if (!open) {
			putf(o, "<path class=\"%s\" d=\"", flag == PKT_SYN ?
			    "syn" : flag == PKT_FIN ? "fin" : "rst");
			open = true;
		}
		x = x_of(sc, st->ts_us);
		if (flag == PKT_FIN) {
			/* the FIN takes the number after the data */
			y = y_of(sc, p, sc->sv[i] + st->len);
			PUT(o, "M");
			pt(o, x, y - 5);
			PUT(o, "l5 5-5 5-5-5z");
		} else if (flag == PKT_SYN) {
			y = y_of(sc, p, sc->sv[i]);
			PUT(o, "M");
			pt(o, x - 3, y - 3);
			PUT(o, "h6v6h-6z");
		} else {
			y = y_of(sc, p, sc->sv[i]);
			PUT(o, "M");
			pt(o, x - 5, y - 5);
			PUT(o, "l10 10m0-10-10 10");
		}
	}
	if (open)
		PUT(o, "\"/>");
}

/* A dashed line down the panel at each RST: where the connection ended. */
static void
rst_lines(struct out *o, const struct scene *sc, int p)
{
	size_t i;

	for (i = 0; i < sc->n; i++) {
		const struct flow_step *st = &sc->r->steps[i];

		if (side_ix(st) != p || !(st->flags & PKT_RST))
			continue;
		PUT(o, "<path class=\"rstl\" d=\"M");
		pt(o, x_of(sc, st->ts_us), top_of(p));
		PUT(o, "v");
		num(o, PANEL_H);
		PUT(o, "\"/>");
	}
}

/*
 * The bytes at risk of panel p: the last `unacked` bytes of its side's
 * sequence space, from the first time any of them was sent to the end.
 */
static void
risk(struct out *o, const struct scene *sc, int p)
{
	uint64_t unacked = p == 0 ? sc->r->orig.unacked :
	    sc->r->resp.unacked;
	int64_t hi, lo;
	double x = LEFT, y0, y1;
	size_t i;

	if (unacked == 0)
		return;
	hi = sc->data_hi[p] >= 0 ? sc->data_hi[p] : sc->hi[p];
	lo = hi - (int64_t)unacked;
	for (i = 0; i < sc->n; i++) {
		const struct flow_step *st = &sc->r->steps[i];

		if (side_ix(st) == p && st->len > 0 &&
		    sc->sv[i] + st->len > lo) {
			x = x_of(sc, st->ts_us);
			break;
		}
	}
	y0 = y_of(sc, p, hi);
	y1 = y_of(sc, p, lo);
	if (y1 - y0 < MIN_MARK) {
		y0 = y1 - MIN_MARK < top_of(p) ? top_of(p) : y1 - MIN_MARK;
		y1 = y0 + MIN_MARK;
	}
	PUT(o, "<rect class=\"risk\" x=\"");
	num(o, x);
	PUT(o, "\" y=\"");
	num(o, y0);
	PUT(o, "\" width=\"");
	num(o, RIGHT - x);
	PUT(o, "\" height=\"");
	num(o, y1 - y0);
	PUT(o, "\"/><text class=\"note\" text-anchor=\"end\" x=\"");
	num(o, RIGHT - 4);
	PUT(o, "\" y=\"");
	num(o, y0 < top_of(p) + 26 ? y1 + 12 : y0 - 3);
	putf(o, "\">%" PRIu64 " byte%s unacknowledged at the end</text>",
	    unacked, unacked == 1 ? "" : "s");
}

static void
panel_frame(struct out *o, int p)
{
	PUT(o, "<rect class=\"ax\" x=\"");
	num(o, LEFT);
	PUT(o, "\" y=\"");
	num(o, top_of(p));
	putf(o, "\" width=\"%d\" height=\"%d\"/>", PLOT_W, PANEL_H);
}

static void
panel(struct out *o, const struct scene *sc, int p)
{
	const char *who = p == 0 ? "orig" : "resp";
	double top = top_of(p);

	putf(o, "<text x=\"%d\" y=\"", LEFT + 4);
	num(o, top + 12);
	putf(o, "\">%s \xe2\x86\x92 %s: %s's sequence numbers%s</text>", who,
	    p == 0 ? "resp" : "orig", who, sc->seen[p] ? "" :
	    " (none seen)");
	if (!sc->seen[p])
		return;
	/* the number axis: lowest and highest relative sequence number */
	putf(o, "<text text-anchor=\"end\" x=\"%d\" y=\"", LEFT - 4);
	num(o, y_of(sc, p, sc->hi[p]) + 4);
	putf(o, "\">%" PRId64 "</text>", sc->hi[p]);
	putf(o, "<text text-anchor=\"end\" x=\"%d\" y=\"", LEFT - 4);
	num(o, top + PANEL_H);
	putf(o, "\">%" PRId64 "</text>", sc->lo[p]);
	risk(o, sc, p);
	ack_steps(o, sc, p, true);
	ack_steps(o, sc, p, false);
	bars(o, sc, p, BAR_DATA, "d");
	bars(o, sc, p, BAR_AGAIN, "rx");
	bars(o, sc, p, BAR_PROBE, "ka");
	rst_lines(o, sc, p);
	marks(o, sc, p, PKT_SYN);
	marks(o, sc, p, PKT_FIN);
	marks(o, sc, p, PKT_RST);
}

/* A step of 1, 2 or 5 times a power of ten, at most n of them in d. */
static int64_t
nice_step(int64_t d, int64_t n)
{
	int64_t step = 1;

	if (n < 1)
		n = 1;
	while (step * n < d) {
		if (step * 2 * n >= d)
			return step * 2;
		if (step * 5 * n >= d)
			return step * 5;
		step *= 10;
	}
	return step;
}

static void
duration_str(char *t, size_t len, int64_t us)
{
	if (us >= 1000000)
		snprintf(t, len, "%.1f s", (double)us / 1e6);
	else if (us >= 1000)
		snprintf(t, len, "%.1f ms", (double)us / 1e3);
	else
		snprintf(t, len, "%" PRId64 " \xc2\xb5s", us);
}

/* A piece cut out of the time axis, across both panels. */
static void
break_band(struct out *o, const struct piece *p)
{
	const double y = top_of(1) - FLOW_SVG_PANEL_GAP / 2 + 4;
	char t[48];

	putf(o, "<rect class=\"%s\" x=\"", p->kind == PIECE_CUT ? "cut" :
	    "gap");
	num(o, p->xa);
	putf(o, "\" y=\"%d\" width=\"", FLOW_SVG_TOP);
	num(o, p->xb - p->xa);
	putf(o, "\" height=\"%d\"/>", 2 * PANEL_H + FLOW_SVG_PANEL_GAP);
	PUT(o, "<text class=\"small\" text-anchor=\"middle\" x=\"");
	num(o, (p->xa + p->xb) / 2);
	PUT(o, "\" y=\"");
	num(o, y);
	duration_str(t, sizeof(t), p->tb - p->ta);
	putf(o, "\">%s%s</text>", p->kind == PIECE_CUT ? "" : "idle ", t);
}

/*
 * The packets the record left out, between the handshake and the end: a
 * band where the time axis was cut for them, or a thin one where they
 * all carry the same time.
 */
static void
cut(struct out *o, const struct scene *sc)
{
	const struct flow_result *r = sc->r;
	double xa, xb;
	int i;

	if (r->steps_skipped == 0 || r->nsteps <= FLOW_LADDER_HEAD)
		return;
	xa = x_of(sc, r->steps[FLOW_LADDER_HEAD - 1].ts_us);
	xb = x_of(sc, r->steps[FLOW_LADDER_HEAD].ts_us);
	for (i = 0; i < sc->npieces; i++)
		if (sc->piece[i].kind == PIECE_CUT)
			break;
	if (i == sc->npieces) {
		xa = (xa + xb) / 2 - 2;
		xb = xa + 4;
		PUT(o, "<rect class=\"cut\" x=\"");
		num(o, xa);
		putf(o, "\" y=\"%d\" width=\"4\" height=\"%d\"/>",
		    FLOW_SVG_TOP, 2 * PANEL_H + FLOW_SVG_PANEL_GAP);
	}
	PUT(o, "<text class=\"note\" x=\"");
	num(o, xb + 3);
	putf(o, "\" y=\"%d\">%" PRIu64 " packet%s not kept</text>",
	    FLOW_SVG_TOP + PANEL_H + 14, r->steps_skipped,
	    r->steps_skipped == 1 ? "" : "s");
}

/* Ticks on the linear pieces of the time axis, 1-2-5 apart. */
#define MAX_TICKS	24

static void
time_axis(struct out *o, const struct scene *sc)
{
	double y = top_of(1) + PANEL_H, last_x = -1e9;
	struct {
		double x, v;
		int decimals;
	} tick[MAX_TICKS];
	int nticks = 0, j;
	int64_t unit = sc->span >= 1000000 ? 1000000 :
	    sc->span >= 1000 ? 1000 : 1;
	const char *uname = unit == 1000000 ? "s" : unit == 1000 ? "ms" :
	    "\xc2\xb5s";
	int i;

	for (i = 0; i < sc->npieces; i++) {
		const struct piece *p = &sc->piece[i];
		int64_t ra = p->ta - sc->t0, rb = p->tb - sc->t0, step, t, u;
		int decimals = 0;

		if (p->kind != PIECE_LINEAR)
			continue;
		step = nice_step(rb - ra, (int64_t)((p->xb - p->xa) / 90));
		for (u = step; u < unit && u % unit != 0; u *= 10)
			decimals++;
		t = (ra + step - 1) / step * step;
		if (rb == ra)
			t = ra;
		for (; t <= rb && nticks < MAX_TICKS; t += step) {
			double x = x_of(sc, sc->t0 + t);

			if (x - last_x < 56)
				continue;
			last_x = x;
			tick[nticks].x = x;
			tick[nticks].v = (double)t / (double)unit;
			tick[nticks++].decimals = rb == ra && unit > 1 ? 3 :
			    decimals;
		}
	}
	PUT(o, "<path class=\"tk\" d=\"");
	for (j = 0; j < nticks; j++) {
		PUT(o, "M");
		pt(o, tick[j].x, y);
		PUT(o, "v4");
	}
	PUT(o, "\"/>");
	for (j = 0; j < nticks; j++) {
		PUT(o, "<text text-anchor=\"middle\" x=\"");
		num(o, tick[j].x);
		PUT(o, "\" y=\"");
		num(o, y + 16);
		putf(o, "\">%.*f</text>", tick[j].decimals, tick[j].v);
	}
	putf(o, "<text text-anchor=\"end\" x=\"%d\" y=\"", RIGHT);
	num(o, y + 30);
	putf(o, "\">time since the first packet (%s)</text>", uname);
}

struct legend_item {
	const char *cls;
	const char *label;
	int shape;	/* 0 bar, 1 line, 2 box, 3 SYN, 4 FIN, 5 RST */
};

static const struct legend_item legend_items[] = {
	{ "d", "data", 0 },
	{ "rx", "retransmitted", 0 },
	{ "ka", "probe", 0 },
	{ "ack", "ACK", 1 },
	{ "win", "window", 1 },
	{ "syn", "SYN", 3 },
	{ "fin", "FIN", 4 },
	{ "rst", "RST", 5 },
	{ "risk", "unacked at the end", 2 },
	{ "cut", "packets not kept", 2 },
	{ "gap", "idle, cut out", 2 },
};

static void
legend_at(struct out *o, double y)
{
	double x = 8;
	size_t i;

	for (i = 0; i < sizeof(legend_items) / sizeof(legend_items[0]);
	    i++) {
		const struct legend_item *it = &legend_items[i];

		putf(o, "<path class=\"%s\" d=\"", it->cls);
		switch (it->shape) {
		case 0:
			PUT(o, "M");
			pt(o, x + 6, y + 6);
			PUT(o, "v-12");
			break;
		case 1:
			PUT(o, "M");
			pt(o, x, y);
			PUT(o, "h16");
			break;
		case 2:
			PUT(o, "M");
			pt(o, x, y - 6);
			PUT(o, "h16v12h-16z");
			break;
		case 3:
			PUT(o, "M");
			pt(o, x + 3, y - 3);
			PUT(o, "h6v6h-6z");
			break;
		case 4:
			PUT(o, "M");
			pt(o, x + 6, y - 5);
			PUT(o, "l5 5-5 5-5-5z");
			break;
		default:
			PUT(o, "M");
			pt(o, x + 1, y - 5);
			PUT(o, "l10 10m0-10-10 10");
		}
		PUT(o, "\"/><text x=\"");
		num(o, x + 20);
		PUT(o, "\" y=\"");
		num(o, y + 4);
		putf(o, "\">%s</text>", it->label);
		x += 28 + 6.2 * (double)strlen(it->label);
	}
}

int
flow_svg_legend(struct buf *b)
{
	struct out o = { b, 0 };

	putf(&o, "<svg class=\"seq\" viewBox=\"0 0 %d %d\" width=\"%d\""
	    " height=\"%d\">", FLOW_SVG_WIDTH, LEGEND_H, FLOW_SVG_WIDTH,
	    LEGEND_H);
	legend_at(&o, LEGEND_H / 2);
	PUT(&o, "</svg>");
	return o.err;
}

/* The title: which connection, how it ended, how much is shown. */
static void
title(struct out *o, const struct flow_result *r)
{
	char oe[FLOW_ENDPOINT_LEN], re[FLOW_ENDPOINT_LEN], ts[48], t[320];

	flow_result_names(r, oe, re, sizeof(oe), ts, sizeof(ts));
	snprintf(t, sizeof(t), "#%" PRIu64 " %s \xe2\x86\x92 %s: %s%s%s",
	    r->id, oe, re, flow_class_name(r->teardown),
	    r->closed_by != FLOW_SIDE_NONE ? ", closed by " : "",
	    r->closed_by != FLOW_SIDE_NONE ? flow_side_name(r->closed_by) :
	    "");
	putf(o, "<text class=\"t\" x=\"%d\" y=\"18\">", LEFT);
	puts_esc(o, t);
	PUT(o, "</text>");
	putf(o, "<text text-anchor=\"end\" x=\"%d\" y=\"18\">%zu of %" PRIu64
	    " packets drawn</text>", RIGHT, r->nsteps,
	    (uint64_t)r->nsteps + r->steps_skipped);
}

int
flow_svg_write(struct buf *b, const struct flow_result *r, int flags)
{
	struct out o = { b, 0 };
	struct scene sc;
	int h = FLOW_SVG_HEIGHT, i;

	if (scene_init(&sc, r) < 0)
		return -1;
	if (flags & FLOW_SVG_STANDALONE) {
		h += LEGEND_H;
		PUT(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" ");
	} else {
		PUT(&o, "<svg ");
	}
	putf(&o, "class=\"seq\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	    "height=\"%d\">", FLOW_SVG_WIDTH, h, FLOW_SVG_WIDTH, h);
	if (flags & FLOW_SVG_STANDALONE) {
		PUT(&o, "<style>");
		put(&o, css, sizeof(css) - 1);
		PUT(&o, "</style>");
	}
	title(&o, r);
	panel_frame(&o, 0);
	panel_frame(&o, 1);
	for (i = 0; i < sc.npieces; i++)
		if (sc.piece[i].kind != PIECE_LINEAR)
			break_band(&o, &sc.piece[i]);
	panel(&o, &sc, 0);
	panel(&o, &sc, 1);
	time_axis(&o, &sc);
	cut(&o, &sc);
	if (flags & FLOW_SVG_STANDALONE)
		legend_at(&o, FLOW_SVG_HEIGHT + LEGEND_H / 2);
	PUT(&o, "</svg>");
	if (flags & FLOW_SVG_STANDALONE)
		PUT(&o, "\n");
	scene_free(&sc);
	return o.err;
}
