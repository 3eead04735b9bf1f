/* SPDX-License-Identifier: BSD-2-Clause */
/* Rendering a classified connection: JSON, table line, notes, ladder. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "flow_out.h"
#include "term.h"
#include "pktdecode.h"

/* ------------------------------------------------------------------ */
/* addresses and times */

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

/*
 * The members of a connection object, in output order (finrst.1 lists
 * them): the one list both JSON writers below are generated from, so they
 * cannot drift apart. X(KIND, key, value), with r (the result), oh, rh,
 * ts (its strings) and d (its duration in microseconds) in scope. KIND
 * says how the value is written: INT (a number), STR (a string that never
 * needs escaping), SECONDS (microseconds as a real number of seconds),
 * BOOL, SIDE ("orig", "resp" or null), NOTES (an array of note names),
 * STATS (an object of FLOW_SIDE_FIELDS), TUNNELS (an array of objects of
 * FLOW_TUNNEL_FIELDS, empty when the connection was not tunnelled).
 */
#define FLOW_RESULT_FIELDS(X)						\
	X(STR, type, "connection")					\
	X(INT, id, r->id)						\
	X(STR, orig_h, oh)						\
	X(INT, orig_p, r->orig_port)					\
	X(STR, resp_h, rh)						\
	X(INT, resp_p, r->resp_port)					\
	X(STR, ts, ts)							\
	X(INT, ts_us, r->ts_us)						\
	X(SECONDS, duration, d)						\
	X(INT, duration_us, d)						\
	X(INT, orig_bytes, r->orig.bytes)				\
	X(INT, resp_bytes, r->resp.bytes)				\
	X(INT, orig_pkts, r->orig.packets)				\
	X(INT, resp_pkts, r->resp.packets)				\
	X(STR, teardown, flow_class_name(r->teardown))			\
	X(SIDE, closed_by, r->closed_by)				\
	X(SIDE, half_close, r->half_close)				\
	X(STR, conn_state, flow_state_name(r->conn_state))		\
	X(STR, history, r->history[0] ? r->history : "-")		\
	X(BOOL, partial, r->partial)					\
	X(INT, orig_unacked, r->orig.unacked)				\
	X(INT, resp_unacked, r->resp.unacked)				\
	X(NOTES, notes, r->notes)					\
	X(SIDE, waiter, r->waiter)					\
	X(INT, wait_us, r->wait_us)					\
	X(INT, wait_tries, r->wait_tries)				\
	X(STATS, orig, &r->orig)					\
	X(STATS, resp, &r->resp)					\
	X(TUNNELS, tunnel_parents, &r->tunnel_parents)

/* The members of "orig" and "resp", with s the side's stats in scope. */
#define FLOW_SIDE_FIELDS(X)						\
	X(INT, packets, s->packets)					\
	X(INT, bytes, s->bytes)						\
	X(INT, wire_bytes, s->wire_bytes)				\
	X(INT, unacked, s->unacked)					\
	X(INT, after_fin_bytes, s->after_fin_bytes)			\
	X(INT, retransmits, s->retransmits)				\
	X(INT, probes, s->keepalives)					\
	X(INT, zero_windows, s->zero_windows)				\
	X(INT, fins, s->fins)						\
	X(INT, rsts, s->rsts)

/* The members of one tunnel_parents entry, with u (a struct flow_tunnel),
 * th and rh (its outer addresses) in scope. */
#define FLOW_TUNNEL_FIELDS(X)						\
	X(STR, uid, u->uid)						\
	X(STR, tunnel, pkt_tunnel_name((enum pkt_tunnel_kind)u->t.kind)) \
	X(STR, orig_h, th)						\
	X(INT, orig_p, u->t.sport)					\
	X(STR, resp_h, rh)						\
	X(INT, resp_p, u->t.dport)					\
	X(INT, key, u->t.key)

/* ------------------------------------------------------------------ */
/* the jansson writer, generated from the lists */

static json_t *
side_or_null(enum flow_side s)
{
	return s == FLOW_SIDE_NONE ? json_null() :
	    json_string(flow_side_name(s));
}

static json_t *
notes_json(uint32_t notes)
{
	json_t *a = json_array();
	int i;

	for (i = 0; a != NULL && i < FLOW_NOTE_COUNT; i++)
		if ((notes & (1u << i)) && json_array_append_new(a,
		    json_string(flow_note_name((enum flow_note)(1u << i)))) <
		    0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *side_json(const struct flow_side_stats *s);
static json_t *tunnels_json(const struct flow_tunnels *ts);

#define J_INT(v)	json_integer((json_int_t)(v))
#define J_STR(v)	json_string(v)
#define J_SECONDS(v)	json_real((double)(v) / 1e6)
#define J_BOOL(v)	json_boolean(v)
#define J_SIDE(v)	side_or_null(v)
#define J_NOTES(v)	notes_json(v)
#define J_STATS(v)	side_json(v)
#define J_TUNNELS(v)	tunnels_json(v)
#define J_MEMBER(kind, key, v)						\
	if (json_object_set_new_nocheck(o, #key, J_##kind(v)) < 0)	\
		goto fail;

static json_t *
side_json(const struct flow_side_stats *s)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	FLOW_SIDE_FIELDS(J_MEMBER)
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *
tunnels_json(const struct flow_tunnels *ts)
{
	char th[INET6_ADDRSTRLEN], rh[INET6_ADDRSTRLEN];
	json_t *a = json_array(), *o = NULL;
	int i;

	for (i = 0; a != NULL && i < ts->n; i++) {
		const struct flow_tunnel *u = &ts->t[i];

		addr_str(u->t.family, u->t.saddr, th, sizeof(th));
		addr_str(u->t.family, u->t.daddr, rh, sizeof(rh));
		if ((o = json_object()) == NULL)
			goto fail;
		FLOW_TUNNEL_FIELDS(J_MEMBER)
		if (json_array_append_new(a, o) < 0) {
			o = NULL;
			goto fail;
		}
	}
	return a;
fail:
	json_decref(o);
	json_decref(a);
	return NULL;
}

json_t *
flow_result_json(const struct flow_result *r)
{
	char oh[INET6_ADDRSTRLEN], rh[INET6_ADDRSTRLEN], ts[48];
	int64_t d = r->last_ts_us - r->ts_us;
	json_t *o;

	addr_str(r->family, r->orig_addr, oh, sizeof(oh));
	addr_str(r->family, r->resp_addr, rh, sizeof(rh));
	iso_time(r->ts_us, ts, sizeof(ts));
	if ((o = json_object()) == NULL)
		return NULL;
	FLOW_RESULT_FIELDS(J_MEMBER)
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the text writer, generated from the same lists */

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


static void
jb_u64(struct jbuf *b, uint64_t v)
{
	char t[24];
	int i = (int)sizeof(t);

	if (v < 10 && b->need + 1 < b->len) {
		/* most counters are one digit: no copy through memcpy */
		b->buf[b->need++] = (char)('0' + v);
		return;
	}
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

/*
 * Each member is written with a leading ',' (",\"key\":"); once an
 * object's members are written, the first one's comma, at offset at,
 * becomes the '{' that opens it (when it was stored at all).
 */
static inline void
jb_open(struct jbuf *b, size_t at)
{
	if (at + 1 < b->len)
		b->buf[at] = '{';
}

static void
jb_notes(struct jbuf *b, uint32_t notes)
{
	const char *sep = "";
	int i;

	jb_raw(b, "[", 1);
	for (i = 0; i < FLOW_NOTE_COUNT; i++)
		if (notes & (1u << i)) {
			jb_str(b, sep);
			jb_raw(b, "\"", 1);
			jb_str(b, flow_note_name((enum flow_note)(1u << i)));
			jb_raw(b, "\"", 1);
			sep = ",";
		}
	jb_raw(b, "]", 1);
}

static void jb_stats(struct jbuf *b, const char *key, size_t n,
    const struct flow_side_stats *s);
static void jb_tunnels(struct jbuf *b, const char *key, size_t n,
    const struct flow_tunnels *ts);

/* keys are literals: their length is known at compile time */
#define T_INT(b, k, v)	jb_kint_n(b, k, sizeof(k) - 1, (int64_t)(v))
#define T_STR(b, k, v)	jb_kstr_n(b, k, sizeof(k) - 1, v)
#define T_SECONDS(b, k, v)	(jb_lit(b, k), jb_seconds(b, v))
#define T_BOOL(b, k, v)						\
	((v) ? jb_lit(b, k "true") : jb_lit(b, k "false"))
#define T_SIDE(b, k, v)	jb_kside_n(b, k, sizeof(k) - 1, v)
#define T_NOTES(b, k, v)	(jb_lit(b, k), jb_notes(b, v))
#define T_STATS(b, k, v)	jb_stats(b, k, sizeof(k) - 1, v)
#define T_TUNNELS(b, k, v)	jb_tunnels(b, k, sizeof(k) - 1, v)
#define T_MEMBER(kind, key, v)	T_##kind(b, ",\"" #key "\":", v);

static void
jb_stats(struct jbuf *b, const char *key, size_t n,
    const struct flow_side_stats *s)
{
	size_t at;

	jb_raw(b, key, n);
	at = b->need;
	FLOW_SIDE_FIELDS(T_MEMBER)
	jb_open(b, at);
	jb_raw(b, "}", 1);
}

static void
jb_tunnels(struct jbuf *b, const char *key, size_t n,
    const struct flow_tunnels *ts)
{
	char th[INET6_ADDRSTRLEN], rh[INET6_ADDRSTRLEN];
	size_t at;
	int i;

	jb_raw(b, key, n);
	jb_raw(b, "[", 1);
	for (i = 0; i < ts->n; i++) {
		const struct flow_tunnel *u = &ts->t[i];

		addr_str(u->t.family, u->t.saddr, th, sizeof(th));
		addr_str(u->t.family, u->t.daddr, rh, sizeof(rh));
		if (i > 0)
			jb_raw(b, ",", 1);
		at = b->need;
		FLOW_TUNNEL_FIELDS(T_MEMBER)
		jb_open(b, at);
		jb_raw(b, "}", 1);
	}
	jb_raw(b, "]", 1);
}

int
flow_result_json_text(const struct flow_result *r, char *buf, size_t len)
{
	struct jbuf jb = { buf, len, 0 }, *b = &jb;
	char oh[INET6_ADDRSTRLEN], rh[INET6_ADDRSTRLEN], ts[48];
	int64_t d = r->last_ts_us - r->ts_us;

	addr_str(r->family, r->orig_addr, oh, sizeof(oh));
	addr_str(r->family, r->resp_addr, rh, sizeof(rh));
	iso_time(r->ts_us, ts, sizeof(ts));
	FLOW_RESULT_FIELDS(T_MEMBER)
	jb_open(b, 0);
	jb_raw(b, "}", 1);
	if (len > 0)
		buf[jb.need < len ? jb.need : len - 1] = '\0';
	return (int)jb.need;
}

json_t *
flow_result_ladder_json(const struct flow_result *r)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < r->nsteps; i++) {
		const struct flow_step *s = &r->steps[i];
		char fl[10];

		json_array_append_new(arr, json_pack(
		    "{s:I, s:s, s:s, s:I, s:I, s:I, s:i, s:s}",
		    "t_us", (json_int_t)(s->ts_us - r->ts_us),
		    "from", flow_side_name((enum flow_side)s->from),
		    "flags", pkt_flags_str(s->flags, fl),
		    "seq", (json_int_t)s->seq,
		    "ack", (json_int_t)s->ack,
		    "len", (json_int_t)s->len,
		    "win", (int)s->window,
		    "mark", (s->mark & FLOW_STEP_RETRANSMIT) ? "again" :
		    (s->mark & FLOW_STEP_KEEPALIVE) ? "probe" : ""));
	}
	return arr;
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
		json_object_set_new(cls,
		    flow_class_name((enum flow_class)i),
		    json_integer((json_int_t)s->by_class[i]));
	for (i = 0; i < FLOW_STATE_COUNT; i++)
		if (s->by_state[i])
			json_object_set_new(st,
			    flow_state_name((enum flow_state)i),
			    json_integer((json_int_t)s->by_state[i]));
	for (i = 0; i < FLOW_NOTE_COUNT; i++)
		if (s->with_note[i])
			json_object_set_new(nt,
			    flow_note_name((enum flow_note)(1u << i)),
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

static void __attribute__((format(printf, 2, 3)))
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

/* An empty sbuf over buf: the string there is "" when len allows one. */
static struct sbuf
sb_start(char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	return b;
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

/*
 * The notes that spell out one per-side counter, in the order they are
 * written: "orig VERB COUNT UNIT", then resp's, for a count above above.
 */
struct side_count {
	enum flow_note bit;
	size_t off;		/* of the uint32_t in flow_side_stats */
	uint32_t above;
	const char *verb;
	const char *unit;
};

#define SIDE_COUNT(bit, field, above, verb, unit) \
	{ bit, offsetof(struct flow_side_stats, field), above, verb, unit }

static const struct side_count side_counts[] = {
	SIDE_COUNT(FLOW_NOTE_FIN_RETRANSMITTED, fins, 1, "sent its FIN",
	    "times"),
	SIDE_COUNT(FLOW_NOTE_RETRANSMITTED, retransmits, 0, "retransmitted",
	    "segments"),
	SIDE_COUNT(FLOW_NOTE_KEEPALIVE, keepalives, 0, "sent",
	    "keepalive/window probes"),
	SIDE_COUNT(FLOW_NOTE_ZERO_WINDOW, zero_windows, 0,
	    "advertised a zero window", "times"),
};

#undef SIDE_COUNT

static uint32_t
side_count_of(const struct flow_side_stats *st, const struct side_count *c)
{
	uint32_t v;

	memcpy(&v, (const char *)st + c->off, sizeof(v));
	return v;
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
	if (n & FLOW_NOTE_RST_AFTER_CLOSE)
		NOTE("%s sent RST after both FINs were acknowledged (a closed "
		    "socket answering a stray segment; nothing was lost)",
		    side_word(rst_side));
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
	for (size_t i = 0; i < sizeof(side_counts) / sizeof(side_counts[0]);
	    i++) {
		const struct side_count *c = &side_counts[i];
		uint32_t orig = side_count_of(&r->orig, c);
		uint32_t resp = side_count_of(&r->resp, c);

		if (!(n & c->bit))
			continue;
		if (orig > c->above)
			NOTE("orig %s %" PRIu32 " %s", c->verb, orig, c->unit);
		if (resp > c->above)
			NOTE("resp %s %" PRIu32 " %s", c->verb, resp, c->unit);
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
	struct sbuf b = sb_start(buf, len);

	notes_text(r, &b);
	return (int)b.need;
}

int
flow_result_line(const struct flow_result *r, char *buf, size_t len)
{
	struct sbuf b = sb_start(buf, len);
	char oe[64], re[64], ts[48];
	int64_t d = r->last_ts_us - r->ts_us;

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

/*
 * The narrow layout's lines, before breaking to the width: who and how it
 * ended; when, how long, how much and the history; the notes.
 */
#define NARROW_INDENT	5

/* Append text broken to width after the line at column col. */
static void
sb_wrap(struct sbuf *b, const char *text, int col, int width)
{
	size_t room = b->need < b->len ? b->len - b->need : 0;

	b->need += (size_t)term_wrap(room ? b->buf + b->need : NULL, room,
	    text, col, NARROW_INDENT, width);
}

int
flow_line_header_narrow(int columns, char *buf, size_t len)
{
	struct sbuf b = sb_start(buf, len);

	sb_wrap(&b, "  ID ORIG                  RESP                  TEARDOWN"
	    "  BY   STATE", 0, columns);
	sb_printf(&b, "\n");
	sb_wrap(&b, "     START (UTC)        DURATION  ORIG_B  RESP_B HISTORY",
	    0, columns);
	return (int)b.need;
}

int
flow_result_line_narrow(const struct flow_result *r, int columns,
    char *buf, size_t len)
{
	struct sbuf b = sb_start(buf, len);
	struct sbuf nb = { NULL, 0, 0 };
	char oe[64], re[64], ts[48], line[256], *notes;
	int64_t d = r->last_ts_us - r->ts_us;

	endpoint_str(r->family, r->orig_addr, r->orig_port, oe, sizeof(oe));
	endpoint_str(r->family, r->resp_addr, r->resp_port, re, sizeof(re));
	iso_time(r->ts_us, ts, sizeof(ts));
	snprintf(line, sizeof(line), "%4" PRIu64 " %-21s %-21s %-9s %-4s %s",
	    r->id, oe, re, flow_class_name(r->teardown),
	    r->closed_by == FLOW_SIDE_NONE ? "-" :
	    flow_side_name(r->closed_by), flow_state_name(r->conn_state));
	sb_wrap(&b, line, 0, columns);
	sb_printf(&b, "\n");
	snprintf(line, sizeof(line), "%*s%.15s %4" PRId64 ".%06" PRId64
	    " %7" PRIu64 " %7" PRIu64 " %s", NARROW_INDENT, "", ts + 11,
	    d / 1000000, d % 1000000, r->orig.bytes, r->resp.bytes,
	    r->history[0] ? r->history : "-");
	sb_wrap(&b, line, 0, columns);
	notes_text(r, &nb);
	if (nb.need == 0)
		return (int)b.need;
	notes = malloc(nb.need + 1);
	if (notes == NULL)
		return -1;
	nb = (struct sbuf){ notes, nb.need + 1, 0 };
	notes_text(r, &nb);
	sb_printf(&b, "\n%*s", NARROW_INDENT, "");
	sb_wrap(&b, notes, NARROW_INDENT, columns);
	free(notes);
	return (int)b.need;
}

void
flow_result_names(const struct flow_result *r, char *orig, char *resp,
    size_t len, char *ts, size_t tslen)
{
	endpoint_str(r->family, r->orig_addr, r->orig_port, orig, len);
	endpoint_str(r->family, r->resp_addr, r->resp_port, resp, len);
	iso_time(r->ts_us, ts, tslen);
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

			if (i == FLOW_LADDER_HEAD && r->steps_skipped > 0)
				sb_printf(&b, "%12s     ... %" PRIu64 " packet%s"
				    " not shown ...\n", "", r->steps_skipped,
				    r->steps_skipped == 1 ? "" : "s");
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


/* ------------------------------------------------------------------ */
/* Zeek's conn.log, TSV and JSON */

/*
 * Zeek's tunnel_parents: the uids of the tunnels the connection came
 * through, as a set of strings ("," between them) in buf, or NULL when
 * it came through none (unset, as Zeek leaves it).
 */
static const char *
zeek_tunnel_parents(const struct flow_result *r, char *buf, size_t len)
{
	struct sbuf b = sb_start(buf, len);

	if (r->tunnel_parents.n == 0 || len == 0)
		return NULL;
	for (unsigned i = 0; i < r->tunnel_parents.n &&
	    i < FLOW_TUNNELS_MAX; i++)
		sb_printf(&b, "%s%s", i > 0 ? "," : "",
		    r->tunnel_parents.t[i].uid);
	return buf;
}

/*
 * The columns of conn.log in Zeek's order (base/protocols/conn/main.zeek),
 * then finrst's own: X(KIND, name, zeek type, value, set), with r, uid,
 * oh, rh, d (duration in microseconds) and tp (tunnel parents) in scope.
 * An unset value is "-" in TSV and left out of JSON, as Zeek does; Zeek
 * sets duration and the byte counts only when the duration is not zero.
 * KIND: TIME and INTERVAL (microseconds), STR, COUNT, BOOL, SET.
 */
#define ZEEK_FIELDS(X)							\
	X(TIME, "ts", "time", r->ts_us, 1)				\
	X(STR, "uid", "string", uid, 1)					\
	X(STR, "id.orig_h", "addr", oh, 1)				\
	X(COUNT, "id.orig_p", "port", r->orig_port, 1)			\
	X(STR, "id.resp_h", "addr", rh, 1)				\
	X(COUNT, "id.resp_p", "port", r->resp_port, 1)			\
	X(STR, "proto", "enum", "tcp", 1)				\
	X(STR, "service", "string", "", 0)				\
	X(INTERVAL, "duration", "interval", d, d > 0)			\
	X(COUNT, "orig_bytes", "count", r->orig.bytes, d > 0)		\
	X(COUNT, "resp_bytes", "count", r->resp.bytes, d > 0)		\
	X(STR, "conn_state", "string", flow_state_name(r->conn_state), 1) \
	X(BOOL, "local_orig", "bool", 0, 0)				\
	X(BOOL, "local_resp", "bool", 0, 0)				\
	X(COUNT, "missed_bytes", "count", r->orig.missed + r->resp.missed, 1) \
	X(STR, "history", "string", r->history, 1)			\
	X(COUNT, "orig_pkts", "count", r->orig.packets, 1)		\
	X(COUNT, "orig_ip_bytes", "count", r->orig.ip_bytes, 1)		\
	X(COUNT, "resp_pkts", "count", r->resp.packets, 1)		\
	X(COUNT, "resp_ip_bytes", "count", r->resp.ip_bytes, 1)		\
	X(SET, "tunnel_parents", "set[string]", tp, tp != NULL)		\
	X(STR, "teardown", "string", flow_class_name(r->teardown), 1)	\
	X(STR, "closed_by", "string", flow_side_name(r->closed_by),	\
	    r->closed_by != FLOW_SIDE_NONE)				\
	X(COUNT, "orig_unacked", "count", r->orig.unacked, 1)		\
	X(COUNT, "resp_unacked", "count", r->resp.unacked, 1)

/* A 64-bit mix (splitmix64's finaliser). */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void
flow_zeeklog_uid(const struct flow_result *r, char uid[FLOW_ZEEKLOG_UID_LEN])
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	uint64_t w[6], h1 = 0x5a65656b75696431ULL, h2 = 0x66696e7273742121ULL;
	size_t i;
	int k;

	memcpy(&w[0], r->orig_addr, 8);
	memcpy(&w[1], r->orig_addr + 8, 8);
	memcpy(&w[2], r->resp_addr, 8);
	memcpy(&w[3], r->resp_addr + 8, 8);
	w[4] = (uint64_t)r->orig_port << 32 | (uint64_t)r->resp_port << 16 |
	    r->family;
	w[5] = (uint64_t)r->ts_us;
	for (i = 0; i < 6; i++) {
		h1 = mix64(h1 ^ w[i]);
		h2 = mix64(h2 + w[i] * 0x9e3779b97f4a7c15ULL);
	}
	/* 'C', then 11 base62 digits of h1 and 6 of h2: 18 characters */
	uid[0] = 'C';
	for (k = 11; k >= 1; k--) {
		uid[k] = b62[h1 % 62];
		h1 /= 62;
	}
	for (k = 17; k >= 12; k--) {
		uid[k] = b62[h2 % 62];
		h2 /= 62;
	}
	uid[18] = '\0';
}

/*
 * Microseconds as seconds with 6 decimals, Zeek's TSV "%.6f"; or, with
 * trim, as Zeek's JSON writer prints the double (its shortest form: no
 * trailing zeros, "3.0" for whole seconds).
 */
static void
jb_secs(struct jbuf *b, int64_t us, bool trim)
{
	char frac[8];
	int n = 7;

	if (us < 0) {
		jb_raw(b, "-", 1);
		us = -us;
	}
	jb_u64(b, (uint64_t)(us / 1000000));
	frac[0] = '.';
	digits(frac + 1, (long)(us % 1000000), 6);
	while (trim && n > 2 && frac[n - 1] == '0')
		n--;
	jb_raw(b, frac, (size_t)n);
}

/* Zeek's TSV: "-" unset, "(empty)" for an empty string or set. */
#define ZT_VAL(b, kind, v)	ZT_##kind(b, v)
#define ZT_TIME(b, v)		jb_secs(b, v, false)
#define ZT_INTERVAL(b, v)	jb_secs(b, v, false)
#define ZT_COUNT(b, v)		jb_u64(b, (uint64_t)(v))
#define ZT_BOOL(b, v)		((v) ? jb_lit(b, "T") : jb_lit(b, "F"))
#define ZT_STR(b, v)		zt_str(b, v)
#define ZT_SET(b, v)		zt_str(b, v)
#define ZT_FIELD(kind, name, type, v, set)				\
	if (sep++)							\
		jb_raw(b, "\t", 1);					\
	if (set)							\
		ZT_VAL(b, kind, v);					\
	else								\
		jb_raw(b, "-", 1);

static void
zt_str(struct jbuf *b, const char *s)
{
	if (s[0] == '\0')
		jb_lit(b, "(empty)");
	else
		jb_str(b, s);
}

/* Zeek's JSON: unset members left out, a set as an array of strings. */
#define ZJ_TIME(b, v)		jb_secs(b, v, true)
#define ZJ_INTERVAL(b, v)	jb_secs(b, v, true)
#define ZJ_COUNT(b, v)		jb_u64(b, (uint64_t)(v))
#define ZJ_BOOL(b, v)		((v) ? jb_lit(b, "true") : jb_lit(b, "false"))
#define ZJ_STR(b, v)		(jb_raw(b, "\"", 1), jb_str(b, v),	\
				    jb_raw(b, "\"", 1))
#define ZJ_SET(b, v)		zj_set(b, v)
#define ZJ_FIELD(kind, name, type, v, set)				\
	if (set) {							\
		jb_lit(b, ",\"" name "\":");				\
		ZJ_##kind(b, v);					\
	}

static void
zj_set(struct jbuf *b, const char *s)
{
	const char *sep = "";

	jb_raw(b, "[", 1);
	while (*s != '\0') {
		size_t n = strcspn(s, ",");

		jb_str(b, sep);
		jb_raw(b, "\"", 1);
		jb_raw(b, s, n);
		jb_raw(b, "\"", 1);
		sep = ",";
		s += n + (s[n] == ',');
	}
	jb_raw(b, "]", 1);
}

int
flow_zeeklog_line(const struct flow_result *r, bool json, char *buf,
    size_t len)
{
	struct jbuf jb = { buf, len, 0 }, *b = &jb;
	char oh[INET6_ADDRSTRLEN], rh[INET6_ADDRSTRLEN];
	char uid[FLOW_ZEEKLOG_UID_LEN];
	char tpbuf[FLOW_TUNNELS_MAX * 14];
	const char *tp = zeek_tunnel_parents(r, tpbuf, sizeof(tpbuf));
	int64_t d = r->last_ts_us - r->ts_us;
	int sep = 0;

	addr_str(r->family, r->orig_addr, oh, sizeof(oh));
	addr_str(r->family, r->resp_addr, rh, sizeof(rh));
	flow_zeeklog_uid(r, uid);
	if (json) {
		ZEEK_FIELDS(ZJ_FIELD)
		jb_open(b, 0);
		jb_raw(b, "}", 1);
	} else {
		ZEEK_FIELDS(ZT_FIELD)
	}
	(void)sep;
	if (len > 0)
		buf[jb.need < len ? jb.need : len - 1] = '\0';
	return (int)jb.need;
}

/* "YYYY-MM-DD-HH-MM-SS", UTC: Zeek's #open and #close stamps. */
static void
zeek_stamp(struct sbuf *b, const char *tag, int64_t us)
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;

	if (gmtime_r(&sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	sb_printf(b, "#%s\t%04d-%02d-%02d-%02d-%02d-%02d\n", tag,
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

#define ZH_NAME(kind, name, type, v, set)	sb_printf(&b, "\t%s", name);
#define ZH_TYPE(kind, name, type, v, set)	sb_printf(&b, "\t%s", type);

int
flow_zeeklog_header(int64_t open_us, char *buf, size_t len)
{
	struct sbuf b = sb_start(buf, len);

	sb_printf(&b, "#separator \\x09\n#set_separator\t,\n"
	    "#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n");
	zeek_stamp(&b, "open", open_us);
	sb_printf(&b, "#fields");
	ZEEK_FIELDS(ZH_NAME)
	sb_printf(&b, "\n#types");
	ZEEK_FIELDS(ZH_TYPE)
	sb_printf(&b, "\n");
	return (int)b.need;
}

int
flow_zeeklog_footer(int64_t close_us, char *buf, size_t len)
{
	struct sbuf b = sb_start(buf, len);

	zeek_stamp(&b, "close", close_us);
	return (int)b.need;
}
