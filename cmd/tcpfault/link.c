/* SPDX-License-Identifier: BSD-2-Clause */
/* One proxied connection: connect upstream, relay through toxics, report. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "close.h"
#include "errbuf.h"
#include "httphead.h"
#include "link.h"
#include "relay.h"
#include "sock.h"
#include "sockopt.h"
#include "stop.h"
#include "vanish.h"
#include "wire.h"

/* What a toxic asks the connection's thread to do, between relay runs. */
enum link_action {
	ACT_NONE,
	ACT_RST,		/* rst_at, reset_peer: RST both ways */
	ACT_CLOSE,		/* limit_data, timeout: FIN both ways */
	ACT_CLOSE_UNREAD,	/* close_unread: close() as it stands */
	ACT_HALF_CLOSE,		/* half_close: FIN one way, relay on */
	ACT_VANISH		/* vanish: no ACK for hold ms, then RST */
};

/*
 * --http: the first response coming downstream. The byte counts of the
 * toxics start at its body, and idle_close waits for its end.
 */
struct resp_track {
	char head[HTTP_HEAD_MAX];
	size_t headlen;
	bool have_head;		/* complete (or not HTTP: all is body) */
	int64_t body_len;	/* -1: chunked, or to the EOF */
	bool chunked;
	uint64_t body;		/* body bytes so far */
	char tail[5];		/* chunked: the last bytes, "0\r\n\r\n" */
	bool complete;		/* the body is whole */
	int64_t done_ms;	/* when it was */
	uint64_t up_at_done;	/* bytes upstream then: idle while equal */
};

/* A toxic as this connection sees it (by the toxic's id). */
struct tstate {
	uint64_t id;
	char name[TOXIC_NAME_LEN];	/* for the report, once it is gone */
	enum toxic_type type;
	enum toxic_stream stream;
	bool on;		/* won the toxicity roll */
	bool fired;		/* its byte count was reached */
	uint64_t seen;		/* bytes through it */
	int64_t start_ms;	/* when this connection first saw it */
	int64_t deadline;	/* reset_peer: RST at; -1 none yet */
	int64_t next_us;	/* bandwidth, slicer: when the next may go */
};

struct link {
	struct px *px;
	struct linkhub *hub;
	struct link *next, *prev;
	uint64_t num;
	int fd[2];			/* 0 client, 1 upstream */
	char client[ADDR_STRLEN];
	unsigned cport, lport;		/* the client's side, for the wire */
	char wire[128];			/* --pcap: its class, or "" */
	uint64_t rng;
	struct tstate *ts;
	size_t nts, capts;
	uint64_t bytes[2];		/* forwarded each way */
	bool drop[2];			/* a half-closed direction */
	bool done[2];			/* EOF passed on */
	bool failed;			/* an end failed: RST the other */
	bool kill;			/* the proxy went away */
	enum outcome end[2];
	bool end_set[2];
	struct resp_track *rt;		/* --http only */
	enum link_action pending;
	int pending_dir;
	int64_t hold_ms;
	char cut[TOXIC_NAME_LEN];	/* the toxic that ended it */
	char error[ERRBUF_LEN];
};

static uint64_t
rng_next(struct link *l)
{
	l->rng ^= l->rng << 13;
	l->rng ^= l->rng >> 7;
	l->rng ^= l->rng << 17;
	return l->rng;
}

/* Uniform in [0, 1). */
static double
rng_unit(struct link *l)
{
	return (double)(rng_next(l) >> 11) / 9007199254740992.0;
}

/* Uniform in [-span, span). */
static int64_t
rng_span(struct link *l, int64_t span)
{
	return span > 0 ? (int64_t)(rng_next(l) % (uint64_t)(2 * span)) -
	    span : 0;
}

static bool
applies(const struct toxic *t, int dir)
{
	return t->stream == TOXIC_BOTH || (int)t->stream == dir;
}

static bool
counts_bytes(enum toxic_type t)
{
	return t == TOXIC_LIMIT_DATA || t == TOXIC_RST_AT ||
	    t == TOXIC_HALF_CLOSE || t == TOXIC_CLOSE_UNREAD ||
	    t == TOXIC_VANISH;
}

/*
 * With --http, a byte count on the way down is of the response body, and
 * a toxic on both ways (the command line's) counts only that way.
 */
static bool
counts_on(const struct link *l, const struct toxic *t, int dir)
{
	return l->rt == NULL || dir == 1 || t->stream == TOXIC_UPSTREAM;
}

/* Before the body starts, nothing counts yet on the way down. */
static bool
body_started(const struct link *l, int dir)
{
	return l->rt == NULL || dir == 0 || l->rt->have_head;
}

/*
 * n more bytes p from upstream, in the first response: *head_n of them
 * belong to its head, *resp_n to the response (fewer than n when it ends
 * inside them; 0 once it has ended).
 */
static void
resp_feed(struct resp_track *rt, const char *p, size_t n, size_t *head_n,
    size_t *resp_n)
{
	char eb[ERRBUF_LEN];
	struct http_head h;
	size_t off = 0, k, m;
	int rc;

	*head_n = 0;
	*resp_n = rt->complete ? 0 : n;
	if (rt->complete)
		return;
	if (!rt->have_head) {
		k = n < sizeof(rt->head) - rt->headlen ? n :
		    sizeof(rt->head) - rt->headlen;
		memcpy(rt->head + rt->headlen, p, k);
		rc = http_head_scan(rt->head, rt->headlen + k, &h, eb);
		if (rc == 0 && k == n) {
			rt->headlen += k;
			*head_n = n;
			return;
		}
		rt->have_head = true;
		rt->body_len = -1;
		if (rc == 1 && h.response) {
			off = h.len - rt->headlen;
			rt->chunked = h.chunked;
			/* 1xx, 204 and 304 have no body */
			rt->body_len = h.status < 200 || h.status == 204 ||
			    h.status == 304 ? 0 : h.chunked ? -1 :
			    h.content_length;
		}
		*head_n = off;
	}
	m = n - off;
	if (rt->body_len >= 0 && (int64_t)m >= rt->body_len -
	    (int64_t)rt->body) {
		m = (size_t)(rt->body_len - (int64_t)rt->body);
		rt->complete = true;
	} else if (rt->chunked && m > 0) {
		size_t t = m < sizeof(rt->tail) ? m : sizeof(rt->tail);

		memmove(rt->tail, rt->tail + t, sizeof(rt->tail) - t);
		memcpy(rt->tail + sizeof(rt->tail) - t, p + off + m - t, t);
		rt->complete = memcmp(rt->tail, "0\r\n\r\n", 5) == 0;
	}
	rt->body += m;
	*resp_n = off + m;
}

/* This connection's state of t, rolled for toxicity when first seen. */
static struct tstate *
state_of(struct link *l, const struct toxic *t)
{
	struct tstate *s;

	for (size_t i = 0; i < l->nts; i++)
		if (l->ts[i].id == t->id)
			return &l->ts[i];
	if (l->nts == l->capts) {
		size_t cap = l->capts ? l->capts * 2 : 4;
		void *n = realloc(l->ts, cap * sizeof(*l->ts));

		if (n == NULL)
			return NULL;
		l->ts = n;
		l->capts = cap;
	}
	s = &l->ts[l->nts++];
	memset(s, 0, sizeof(*s));
	s->id = t->id;
	memcpy(s->name, t->name, sizeof(s->name));
	s->type = t->type;
	s->stream = t->stream;
	s->on = t->toxicity >= 1.0 || rng_unit(l) < t->toxicity;
	s->start_ms = clock_mono_ms();
	s->deadline = -1;
	return s;
}

/* With hub->mu: t's byte count reached on dir: ask for its action. */
static void
fire(struct link *l, const struct toxic *t, struct tstate *s, int dir)
{
	static const enum link_action act[TOXIC_NTYPES] = {
		[TOXIC_LIMIT_DATA] = ACT_CLOSE,
		[TOXIC_TIMEOUT] = ACT_CLOSE,
		[TOXIC_RST_AT] = ACT_RST,
		[TOXIC_RESET_PEER] = ACT_RST,
		[TOXIC_HALF_CLOSE] = ACT_HALF_CLOSE,
		[TOXIC_CLOSE_UNREAD] = ACT_CLOSE_UNREAD,
		[TOXIC_VANISH] = ACT_VANISH,
		[TOXIC_IDLE_CLOSE] = ACT_CLOSE,
	};

	s->fired = true;
	if (l->pending != ACT_NONE)
		return;
	l->pending = act[t->type];
	l->pending_dir = t->stream == TOXIC_BOTH ? (t->type ==
	    TOXIC_HALF_CLOSE ? 1 : dir) : (int)t->stream;
	if (t->type == TOXIC_VANISH)
		l->hold_ms = toxic_attr(t, "hold");
	snprintf(l->cut, sizeof(l->cut), "%s", t->name);
}

/*
 * With hub->mu: look at every toxic for what fires without data (a count
 * of 0, a vanish, a timeout's or reset_peer's deadline). True when the
 * relay must stop for an action.
 */
static bool
check_timers(struct link *l)
{
	int64_t now = clock_mono_ms();

	for (size_t i = 0; i < l->px->ntox && l->pending == ACT_NONE; i++) {
		const struct toxic *t = &l->px->tox[i];
		struct tstate *s = state_of(l, t);

		if (s == NULL || !s->on || s->fired)
			continue;
		if (counts_bytes(t->type) && s->seen >= (uint64_t)toxic_attr(t,
		    "bytes") && body_started(l, t->stream == TOXIC_UPSTREAM ?
		    0 : 1))
			fire(l, t, s, t->stream == TOXIC_UPSTREAM ? 0 : 1);
		else if (t->type == TOXIC_IDLE_CLOSE && l->rt != NULL &&
		    l->rt->complete && now >= l->rt->done_ms +
		    toxic_attr(t, "delay")) {
			/* A request came first: not idle, its moment passed. */
			if (l->bytes[0] == l->rt->up_at_done)
				fire(l, t, s, 1);
			else
				s->fired = true;
		}
		else if (t->type == TOXIC_TIMEOUT &&
		    toxic_attr(t, "timeout") > 0 &&
		    now >= s->start_ms + toxic_attr(t, "timeout"))
			fire(l, t, s, (int)t->stream);
		else if (t->type == TOXIC_RESET_PEER && s->deadline >= 0 &&
		    now >= s->deadline)
			fire(l, t, s, (int)t->stream);
	}
	return l->pending != ACT_NONE || l->kill;
}

static bool
link_stopped(void *arg)
{
	struct link *l = arg;
	bool stop;

	if (stop_requested() != 0)
		return true;
	pthread_mutex_lock(&l->hub->mu);
	stop = check_timers(l);
	pthread_mutex_unlock(&l->hub->mu);
	return stop;
}

/* The most to read from `from` now: up to the next byte that fires. */
static size_t
link_read_limit(struct relay_pair *p, int from, void *arg)
{
	struct link *l = arg;
	size_t lim = SIZE_MAX;

	(void)p;
	pthread_mutex_lock(&l->hub->mu);
	if (l->pending != ACT_NONE || l->kill)
		lim = 0;
	for (size_t i = 0; i < l->px->ntox && lim > 0; i++) {
		const struct toxic *t = &l->px->tox[i];
		struct tstate *s;
		uint64_t n;

		if (!applies(t, from) || (s = state_of(l, t)) == NULL ||
		    !s->on)
			continue;
		if (counts_bytes(t->type) && !s->fired) {
			if (!counts_on(l, t, from) || !body_started(l, from))
				continue;
			n = (uint64_t)toxic_attr(t, "bytes");
			n = n > s->seen ? n - s->seen : 0;
			if (n == 0)
				fire(l, t, s, from);
		} else if (t->type == TOXIC_SLICER) {
			n = (uint64_t)(toxic_attr(t, "average_size") +
			    rng_span(l, toxic_attr(t, "size_variation")));
			n = n > 0 ? n : 1;
		} else if (t->type == TOXIC_BANDWIDTH &&
		    toxic_attr(t, "rate") > 0) {
			/* At most 100 ms worth at a time, as Toxiproxy. */
			n = (uint64_t)toxic_attr(t, "rate") * 100;
		} else {
			continue;
		}
		if (n < lim)
			lim = (size_t)n;
	}
	pthread_mutex_unlock(&l->hub->mu);
	return lim;
}

/* The chain, in order, on one chunk: what passes, how late, what fires. */
static void
link_chunk(const struct relay_chunk *c, struct relay_verdict *v, void *arg)
{
	struct link *l = arg;
	int64_t now_us = clock_mono_ms() * 1000, delay_us = 0, x;
	int d = c->from;
	size_t skip = 0, resp_n = 0;
	bool ended = false;

	pthread_mutex_lock(&l->hub->mu);
	if (l->drop[d])
		v->pass = 0;
	/* --http: where the first response's body starts and ends here */
	if (l->rt != NULL && d == 1 && v->pass > 0) {
		ended = !l->rt->complete;
		resp_feed(l->rt, c->data, v->pass, &skip, &resp_n);
		ended = ended && l->rt->complete;
		if (ended) {
			l->rt->done_ms = now_us / 1000;
			l->rt->up_at_done = l->bytes[0];
		}
	}
	for (size_t i = 0; i < l->px->ntox && v->pass > 0; i++) {
		const struct toxic *t = &l->px->tox[i];
		struct tstate *s;

		if (!applies(t, d) || (s = state_of(l, t)) == NULL || !s->on)
			continue;
		switch (t->type) {
		case TOXIC_LATENCY:
			x = toxic_attr(t, "latency") +
			    rng_span(l, toxic_attr(t, "jitter"));
			delay_us += x > 0 ? x * 1000 : 0;
			break;
		case TOXIC_BANDWIDTH:
			if ((x = toxic_attr(t, "rate")) <= 0)
				break;
			if (s->next_us < now_us + delay_us)
				s->next_us = now_us + delay_us;
			/* rate KB/s is rate bytes a millisecond. */
			s->next_us += (int64_t)v->pass * 1000 / x;
			delay_us = s->next_us - now_us;
			break;
		case TOXIC_SLICER:
			if (s->next_us < now_us + delay_us)
				s->next_us = now_us + delay_us;
			delay_us = s->next_us - now_us;
			s->next_us += toxic_attr(t, "delay");
			break;
		case TOXIC_TIMEOUT:
			v->pass = 0;	/* dropped until it closes */
			break;
		case TOXIC_RESET_PEER:
			v->pass = 0;
			if (s->deadline < 0)
				s->deadline = now_us / 1000 +
				    toxic_attr(t, "timeout");
			if (toxic_attr(t, "timeout") == 0)
				fire(l, t, s, d);
			break;
		case TOXIC_LIMIT_DATA:
		case TOXIC_RST_AT:
		case TOXIC_HALF_CLOSE:
		case TOXIC_CLOSE_UNREAD:
		case TOXIC_VANISH:
			/* (--http: the head before the body passes free) */
			if (s->fired || !counts_on(l, t, d) || v->pass <= skip)
				break;
			x = toxic_attr(t, "bytes") - (int64_t)s->seen;
			if ((int64_t)(v->pass - skip) > x)
				v->pass = skip + (x > 0 ? (size_t)x : 0);
			s->seen += v->pass - skip;
			if (s->seen >= (uint64_t)toxic_attr(t, "bytes"))
				fire(l, t, s, d);
			break;
		case TOXIC_IDLE_CLOSE:
			/* The response ends here: nothing after it passes. */
			if (ended && !s->fired && toxic_attr(t, "delay") == 0) {
				v->pass = resp_n < v->pass ? resp_n : v->pass;
				fire(l, t, s, d);
			}
			break;
		default:
			break;
		}
	}
	l->bytes[d] += v->pass;
	if (l->pending != ACT_NONE)
		v->action = RELAY_CUT_HOLD;
	pthread_mutex_unlock(&l->hub->mu);
	v->delay_ms = (int)((delay_us + 999) / 1000);
}

/* slow_close: how long end `from`'s FIN waits. */
static int
link_fin_delay(struct relay_pair *p, int from, void *arg)
{
	struct link *l = arg;
	int64_t ms = 0;

	(void)p;
	pthread_mutex_lock(&l->hub->mu);
	for (size_t i = 0; i < l->px->ntox; i++) {
		const struct toxic *t = &l->px->tox[i];
		struct tstate *s;

		if (t->type == TOXIC_SLOW_CLOSE && applies(t, from) &&
		    (s = state_of(l, t)) != NULL && s->on &&
		    toxic_attr(t, "delay") > ms)
			ms = toxic_attr(t, "delay");
	}
	pthread_mutex_unlock(&l->hub->mu);
	return (int)ms;
}

static void
set_end(struct link *l, int end, enum outcome o)
{
	if (!l->end_set[end]) {
		l->end[end] = o;
		l->end_set[end] = true;
	}
}

static void
end_both(struct link *l, enum outcome o)
{
	set_end(l, 0, o);
	set_end(l, 1, o);
}

/* The relay's events: how each end ended. */
static void
link_event(const struct relay_event *ev, void *arg)
{
	struct link *l = arg;

	pthread_mutex_lock(&l->hub->mu);
	switch (ev->kind) {
	case RELAY_EV_EOF:
		l->done[ev->end] = true;
		set_end(l, ev->end, OUTCOME_EOF);
		break;
	case RELAY_EV_ERROR:
		/* A FIN that cannot be passed on ends nothing more. */
		if (strcmp(ev->during, "shutdown") != 0) {
			l->failed = true;
			set_end(l, ev->end, ev->outcome);
		}
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&l->hub->mu);
}

/* Wait (bounded) until fd's send queue is empty. */
static void
wait_flushed(int fd, int ms)
{
	int64_t until = clock_mono_ms() + ms;

	while (sockopt_outq(fd) > 0 && clock_mono_ms() < until)
		(void)poll(NULL, 0, 2);
}

/* RST both ends, after what was forwarded has left. */
static void
abort_both(struct link *l, bool flush)
{
	struct close_report rep;

	for (int e = 0; e < 2; e++) {
		if (flush)
			wait_flushed(l->fd[e], 1000);
		close_abort(l->fd[e], &rep);
		l->fd[e] = -1;
	}
}

/* Close both ends with a FIN, reading each to its EOF (1 s at most). */
static void
close_both(struct link *l)
{
	struct close_report rep;

	for (int e = 0; e < 2; e++) {
		close_graceful(l->fd[e], NULL, 0, 1000, NULL, NULL, &rep);
		if (rep.outcome != OUTCOME_OK && rep.outcome != OUTCOME_TIMEOUT)
			set_end(l, e, rep.outcome);
		l->fd[e] = -1;
	}
}

/* A stop signal, or the proxy went away. */
static bool
link_killed(struct link *l)
{
	bool k;

	pthread_mutex_lock(&l->hub->mu);
	k = l->kill;
	pthread_mutex_unlock(&l->hub->mu);
	return k || stop_requested() != 0;
}

/* vanish: no ACK, no FIN from us for hold ms (or until stopped), RST. */
static void
do_vanish(struct link *l)
{
	char errbuf[ERRBUF_LEN];
	int64_t until;

	if (vanish_apply(VANISH_FILTER, l->fd[0], errbuf) == -1 ||
	    vanish_apply(VANISH_FILTER, l->fd[1], errbuf) == -1)
		snprintf(l->error, sizeof(l->error), "%s", errbuf);
	until = clock_mono_ms() + l->hold_ms;
	while (clock_mono_ms() < until && !link_killed(l))
		(void)poll(NULL, 0, 50);
	abort_both(l, false);
}

/* Relay until both directions are done or a toxic's action ends it. */
static void
link_relay(struct link *l)
{
	struct relay_opts o = {
		.io = RELAY_IO_THREADS,
		.buffer = 65536,
		.quit_ms = -1,
		.leave_open = true,
		.stopped = link_stopped,
		.on_event = link_event,
		.on_chunk = link_chunk,
		.read_limit = link_read_limit,
		.fin_delay = link_fin_delay,
		.arg = l,
	};
	char errbuf[ERRBUF_LEN];
	enum link_action act;
	struct relay *rl;
	struct close_report rep;
	bool stop;
	int d;

	if ((rl = relay_new(NULL, &o, errbuf)) == NULL) {
		snprintf(l->error, sizeof(l->error), "%s", errbuf);
		abort_both(l, false);
		return;
	}
	for (;;) {
		pthread_mutex_lock(&l->hub->mu);
		/* What fires before any byte (a count of 0, a vanish). */
		stop = check_timers(l);
		pthread_mutex_unlock(&l->hub->mu);
		if (!stop)
			relay_pair_run(rl, l->fd[0], l->fd[1], l);
		pthread_mutex_lock(&l->hub->mu);
		act = l->pending;
		d = l->pending_dir;
		l->pending = ACT_NONE;
		if (act == ACT_HALF_CLOSE)
			l->drop[d] = true;
		stop = l->done[0] && l->done[1];
		pthread_mutex_unlock(&l->hub->mu);
		if (act != ACT_HALF_CLOSE)
			break;
		/* FIN to the receiver of direction d; the other way goes
		   on, what d's sender says from now on is dropped. */
		wait_flushed(l->fd[1 - d], 1000);
		shutdown(l->fd[1 - d], SHUT_WR);
		if (stop)
			break;
	}
	relay_free(rl);
	pthread_mutex_lock(&l->hub->mu);
	/* Ended without a toxic: an end failed, the proxy went away or a
	   stop signal came before both directions were done. */
	stop = l->failed || l->kill || !l->done[0] || !l->done[1];
	pthread_mutex_unlock(&l->hub->mu);
	switch (act) {
	case ACT_RST:
		abort_both(l, true);
		end_both(l, OUTCOME_RESET);
		break;
	case ACT_CLOSE:
		close_both(l);
		end_both(l, OUTCOME_EOF);
		break;
	case ACT_CLOSE_UNREAD:
		for (int e = 0; e < 2; e++) {
			close_plain(l->fd[e], &rep);
			set_end(l, e, rep.unread > 0 ? OUTCOME_RESET :
			    OUTCOME_EOF);
			l->fd[e] = -1;
		}
		break;
	case ACT_VANISH:
		do_vanish(l);
		end_both(l, OUTCOME_RESET);
		break;
	default:
		if (stop) {
			/* A failed end's RST goes on to the other. */
			abort_both(l, l->failed);
			end_both(l, OUTCOME_RESET);
		} else {
			close_both(l);
		}
		break;
	}
}

/* The toxics this connection had, as JSON or as text. */
static json_t *
link_toxics(struct link *l, char *text, size_t len)
{
	json_t *a = json_array();
	size_t off = 0;

	text[0] = '\0';
	for (size_t i = 0; i < l->nts; i++) {
		const struct tstate *s = &l->ts[i];
		bool counted = counts_bytes(s->type);

		if (!s->on)
			continue;
		/* fired: null for a toxic that acts on every chunk. */
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o}",
		    "name", s->name, "type", toxic_type_name(s->type),
		    "stream", toxic_stream_name(s->stream), "fired",
		    counted || s->fired ? json_boolean(s->fired) :
		    json_null()));
		if (off < len)
			off += (size_t)snprintf(text + off, len - off, "%s%s%s",
			    off > 0 ? "," : "", s->name, s->fired ? "(fired)" :
			    counted ? "(not-reached)" : "");
	}
	if (off == 0)
		snprintf(text, len, "-");
	return a;
}

/* One line (or JSON object) for the connection, under hub->mu. */
static void
link_report(struct link *l)
{
	const char *ce, *se;
	char toxics[512];
	json_t *tj, *o;

	tj = link_toxics(l, toxics, sizeof(toxics));
	ce = l->end_set[0] ? outcome_name(l->end[0]) : "-";
	se = l->end_set[1] ? outcome_name(l->end[1]) : "-";
	if (l->hub->json) {
		o = json_pack("{s:s, s:I, s:s, s:s, s:o, s:{s:I, s:I}, s:s, "
		    "s:s, s:o}", "proxy", l->px->name, "conn",
		    (json_int_t)l->num, "client", l->client, "upstream",
		    l->px->upstream, "toxics", tj, "bytes", "upstream",
		    (json_int_t)l->bytes[0], "downstream",
		    (json_int_t)l->bytes[1], "client_end", ce, "server_end",
		    se, "cut", l->cut[0] != '\0' ? json_string(l->cut) :
		    json_null());
		if (l->error[0] != '\0')
			json_object_set_new(o, "error", json_string(l->error));
		if (l->hub->wire != NULL)
			json_object_set_new(o, "wire", l->wire[0] != '\0' ?
			    json_string(l->wire) : json_null());
		json_dumpf(o, l->hub->out, JSON_COMPACT);
		fputc('\n', l->hub->out);
		json_decref(o);
	} else {
		json_decref(tj);
		fprintf(l->hub->out, "%-12s #%-5" PRIu64 " up %-10" PRIu64
		    " down %-10" PRIu64 " client %-11s server %-11s "
		    "toxics %s%s%s\n", l->px->name, l->num, l->bytes[0],
		    l->bytes[1], ce, se, toxics, l->hub->wire != NULL ?
		    " wire: " : "", l->hub->wire == NULL ? "" :
		    l->wire[0] != '\0' ? l->wire : "-");
	}
	fflush(l->hub->out);
}

/* With hub->mu: off its proxy's list, and the proxy's reference back. */
static void
link_unlist(struct link *l)
{
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		l->px->links = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	l->hub->live--;
	px_unref(l->px);
}

static void *
link_main(void *arg)
{
	struct link *l = arg;
	struct linkhub *hub = l->hub;
	char up[300], host[256], port[32], errbuf[ERRBUF_LEN];
	struct close_report rep;
	/* A server that does not answer must not hold the link forever. */
	struct sock_opts so = { .timeout_ms = 10000 };
	enum outcome o = OUTCOME_ERROR;
	bool refused = false;

	pthread_mutex_lock(&hub->mu);
	snprintf(up, sizeof(up), "%s", l->px->upstream);
	pthread_mutex_unlock(&hub->mu);
	if (addr_split(up, host, sizeof(host), port, sizeof(port),
	    errbuf) == -1 || (l->fd[1] = sock_connect(host, port, &so, &o,
	    errbuf)) == -1) {
		/* As Toxiproxy: the client's connection is closed. */
		snprintf(l->error, sizeof(l->error), "%s", errbuf);
		close_plain(l->fd[0], &rep);
		l->fd[0] = -1;
		set_end(l, 0, OUTCOME_EOF);
		set_end(l, 1, o);
		refused = true;
	} else {
		sockopt_nodelay(l->fd[0], true, NULL);
		sockopt_nodelay(l->fd[1], true, NULL);
		link_relay(l);
	}
	/* The client's connection as the capture saw it end. */
	if (hub->wire != NULL && wire_class(hub->wire, l->cport, l->lport,
	    2000, l->wire, sizeof(l->wire)) == NULL)
		l->wire[0] = '\0';
	pthread_mutex_lock(&hub->mu);
	if (refused) {
		hub->failures++;
		fprintf(stderr, "tcpfault: proxy %s, connection %" PRIu64
		    ": %s\n", l->px->name, l->num, l->error);
	}
	link_report(l);
	link_unlist(l);
	hub->reported++;
	pthread_cond_broadcast(&hub->cv);
	pthread_mutex_unlock(&hub->mu);
	free(l->ts);
	free(l->rt);
	free(l);
	return NULL;
}

int
link_start(struct px *px, int cfd)
{
	struct linkhub *hub = px->hub;
	pthread_attr_t attr;
	struct link *l;
	pthread_t t;
	int rc;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (hub->http && (l->rt = calloc(1, sizeof(*l->rt))) == NULL)) {
		free(l);
		close(cfd);
		return -1;
	}
	l->hub = hub;
	l->fd[0] = cfd;
	l->fd[1] = -1;
	sock_peer_str(cfd, l->client, sizeof(l->client));
	l->lport = sock_local_port(cfd);
	if (strrchr(l->client, ':') != NULL)
		l->cport = (unsigned)atoi(strrchr(l->client, ':') + 1);
	pthread_mutex_lock(&hub->mu);
	l->px = px;
	l->num = ++px->nconn;
	l->rng = ((uint64_t)clock_mono_ms() << 20) ^ (l->num * 0x9e3779b97f4a7c15ull) ^
	    (uint64_t)(uintptr_t)l;
	l->rng |= 1;
	px->refs++;
	l->next = px->links;
	if (px->links != NULL)
		px->links->prev = l;
	px->links = l;
	hub->live++;
	/* The toxics there now are rolled at once. */
	for (size_t i = 0; i < px->ntox; i++)
		state_of(l, &px->tox[i]);
	pthread_mutex_unlock(&hub->mu);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256u << 10);
	rc = pthread_create(&t, &attr, link_main, l);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		pthread_mutex_lock(&hub->mu);
		link_unlist(l);
		pthread_mutex_unlock(&hub->mu);
		close(cfd);
		free(l->ts);
		free(l->rt);
		free(l);
		return -1;
	}
	return 0;
}

void
px_unref(struct px *px)
{
	if (--px->refs > 0)
		return;
	free(px->tox);
	free(px);
}

void
link_kill_all(struct px *px)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		l->kill = true;
}
