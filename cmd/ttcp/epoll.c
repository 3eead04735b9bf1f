/* SPDX-License-Identifier: BSD-2-Clause */
/* ttcp's event-driven I/O model: every connection on one evloop thread. */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "close.h"
#include "conn.h"
#include "evloop.h"
#include "sock.h"
#include "stop.h"
#include "ttcp.h"

/* Queue at most this much (or one message) ahead of the socket. */
#define EP_HIGH_WATER (256 * 1024)

struct esession;
struct eserver;

/* One connection in this model. */
struct econn {
	struct xfer x;
	struct conn *c;
	struct esession *es;
	bool have_header;	/* receiver: the session header is in */
	bool member;		/* part of the session's report */
	bool stranger;		/* turned away: nothing more to say */
	bool closing;		/* our graceful close is under way */
	uint8_t *payload;	/* sender: msg_buf_new's, prefix before it */
	uint8_t *first;		/* sender: what the first send starts at */
	size_t hdrlen;		/* header to send with the first message */
	uint32_t queued;	/* sender: messages handed to the conn */
	size_t hdr_have;	/* receiver: header bytes waiting */
	size_t hdr_need;	/* receiver: the header's length so far */
	uint64_t extra;		/* bytes that came after the session */
};

/*
 * The receiver: every session at once. Each accepted connection starts in
 * a session of its own; once its header names a -P group being assembled
 * it moves to that group's session.
 */
struct eserver {
	const struct ttcp_config *cfg;
	struct evloop *loop;
	int lfd;
	struct esession *sessions;
	struct esession *the_one;	/* -1: the session being served */
	bool interrupted;
	int signo;
	int status;		/* exit status so far */
	uint64_t nsessions, failed, bytes;
};

/* A session being served (receiver) or run (transmitter). */
struct esession {
	const struct ttcp_config *cfg;
	struct evloop *loop;
	bool receiver;
	struct eserver *srv;	/* receiver: the server */
	struct esession *next;	/* in srv->sessions */
	int sfd;
	struct session first;	/* the group's parameters */
	bool have_first;
	struct econn *ec[2 * TTCP_MAX_PARALLEL];
	int n;			/* connections accepted for the session */
	struct xfer *xs[TTCP_MAX_PARALLEL];
	int members;		/* of them, the session's own */
	int live;		/* connections not yet ended */
	uint64_t setup_timer;
	uint64_t tick_timer;
	uint64_t done_timer;
	struct ticker tk;
	bool ticking;
	bool interrupted;
	int signo;		/* the signal that interrupted */
	bool quiet;		/* set-up failed: no session to report */
	int status;		/* exit status so far */
};

static void session_check_done(struct esession *es);

static void
set_progress_tx(struct econn *ec)
{
	uint64_t out = conn_bytes_out(ec->c), len = ec->x.sess.length;

	/* The header went first; bytes beyond it are payload. */
	out = out > ec->hdrlen ? out - ec->hdrlen : 0;
	xfer_set_progress(&ec->x, out, len > 0 ? out / len :
	    ec->x.sess.number);
}

static void
snap_tcp_info(struct econn *ec)
{
	struct tcpinfo_snap ti;
	char eb[ERRBUF_LEN];

	if (sockopt_tcp_info(conn_fd(ec->c), &ti, eb) == 0)
		ec->x.retransmits = ti.retransmits;
}

static void
begin_close(struct econn *ec)
{
	snap_tcp_info(ec);
	ec->closing = true;
	conn_close(ec->c, CLOSE_GRACEFUL, TTCP_CLOSE_TIMEOUT_MS);
}

/* A protocol or local error: record it and reset the connection. */
static void
fail_abort(struct econn *ec, const char *msg)
{
	xfer_fail(&ec->x, OUTCOME_ERROR, "%s", msg);
	if (ec->c != NULL)
		conn_close(ec->c, CLOSE_ABORT, 0);
}

static void
econn_free(struct econn *ec)
{
	if (ec == NULL)
		return;
	free(ec->x.rtt);
	msg_buf_free(ec->payload);
	free(ec);
}

/* Roles once the session is known, then the receiver or the message. */
static int
econn_begin(struct econn *ec, const struct session *s, bool data_sender)
{
	struct xfer *x = &ec->x;

	if (xfer_begin(x, ec->es->cfg, s, data_sender) != 0)
		return -1;
	/*
	 * A read that comes back short emptied the receive queue: wait for
	 * the next event instead of asking again to hear EAGAIN. Ack mode
	 * (one message in flight) saves a call per message, a stream
	 * receiver one per wake-up.
	 */
	if (ec->c != NULL)
		conn_set_request_response(ec->c, true);
	if (!data_sender) {
		rx_init(&x->rx, s, x->verify);
		return 0;
	}
	ec->payload = msg_buf_new(s->length);
	return ec->payload != NULL ? 0 : -1;
}

/* Ack mode: queue the next message (with the header the first time). */
static void
send_next_message(struct econn *ec)
{
	const uint8_t *p = ec->payload - 4;
	size_t len = 4 + (size_t)ec->x.sess.length;

	if (ec->queued == 0 && ec->hdrlen > 0) {
		p = ec->first;
		len += ec->hdrlen;
	}
	ec->queued++;
	ec->x.t_mark_ns = clock_mono_ns();
	if (conn_send(ec->c, p, len) != 0) {
		char eb[ERRBUF_LEN];

		snprintf(eb, sizeof(eb), "sending message %" PRIu32 ": %s",
		    ec->queued, strerror(errno));
		fail_abort(ec, eb);
	}
}

/* Stream mode: keep the output queue topped up, then close. */
static void
fill_stream(struct econn *ec)
{
	const struct session *s = &ec->x.sess;
	const uint8_t *payload = ec->payload;

	if (ec->closing || ec->c == NULL)
		return;
	if (s->number == 0 && ec->hdrlen > 0 && ec->queued == 0 &&
	    conn_send(ec->c, ec->first, ec->hdrlen) != 0)
		return;
	while (!xfer_sent_all(&ec->x, ec->queued) && ec->c != NULL &&
	    conn_out_queued(ec->c) < EP_HIGH_WATER) {
		const uint8_t *p = payload;
		size_t len = s->length;

		if (ec->queued == 0 && ec->hdrlen > 0) {
			p = ec->first;
			len += ec->hdrlen;
		}
		ec->queued++;
		if (conn_send(ec->c, p, len) != 0)
			return;	/* on_close tells why */
	}
	if (ec->c == NULL)
		return;
	set_progress_tx(ec);
	if (xfer_sent_all(&ec->x, ec->queued))
		begin_close(ec);
}

/* The data sender's input: acks in ack mode, nothing in stream mode. */
static size_t
sender_data(struct econn *ec, const uint8_t *p, size_t len)
{
	struct xfer *x = &ec->x;
	size_t off = 0;
	char eb[ERRBUF_LEN];

	if ((x->sess.flags & TTCP_FLAG_STREAM) || ec->closing) {
		ec->extra += len;
		return len;
	}
	while (len - off >= TTCP_ACK_LEN && !ec->closing) {
		uint64_t msgs = xfer_msgs(x) + 1;

		if (ack_check(p + off, x->sess.length, msgs, eb) != 0) {
			fail_abort(ec, eb);
			return len;
		}
		off += TTCP_ACK_LEN;
		lat_hist_add(x->rtt, clock_mono_ns() - x->t_mark_ns);
		xfer_set_progress(x, msgs * x->sess.length, msgs);
		if (!xfer_sent_all(x, msgs)) {
			send_next_message(ec);
		} else {
			x->end_us = clock_mono_us();
			begin_close(ec);
		}
		if (ec->c == NULL)
			return len;
	}
	if (ec->closing)
		ec->extra += len - off;
	return ec->closing ? len : off;
}

/* The data receiver's input: payload, acks back in ack mode. */
static size_t
receiver_data(struct econn *ec, const uint8_t *p, size_t len)
{
	struct xfer *x = &ec->x;
	struct rx *rx = &x->rx;
	size_t off = 0;
	char eb[ERRBUF_LEN];

	if (ec->closing) {
		ec->extra += len;
		return len;
	}
	while (off < len && !rx_done(rx)) {
		size_t used;
		enum rx_status st = rx_feed(rx, p + off, len - off, &used, eb);

		off += used;
		if (st == RX_ERROR) {
			xfer_set_progress(x, rx->bytes, rx->msgs);
			fail_abort(ec, eb);
			return len;
		}
		if (st != RX_MESSAGE)
			continue;
		uint8_t ack[TTCP_ACK_LEN];
		if (x->t_mark_ns != 0)
			lat_hist_add(x->rtt, clock_mono_ns() - x->t_mark_ns);
		ack_put(ack, x->sess.length);
		if (conn_send(ec->c, ack, sizeof(ack)) != 0)
			return len;	/* on_close tells why */
		x->t_mark_ns = rx_done(rx) ? 0 : clock_mono_ns();
	}
	xfer_set_progress(x, rx->bytes, rx->msgs);
	if (rx_done(rx) && !ec->closing) {
		x->end_us = clock_mono_us();
		ec->extra += len - off;
		begin_close(ec);
		return len;
	}
	return off;
}

static void start_transfer(struct econn *ec);

/* A connection that is not part of the session: warn, drop, reset. */
static void
refuse_stranger(struct econn *ec, const char *why)
{
	warnx("connection from %s: %s", ec->x.peer, why);
	ec->member = false;
	ec->stranger = true;
	if (ec->c != NULL)
		conn_close(ec->c, CLOSE_ABORT, 0);
}

static void
add_member(struct esession *es, struct econn *ec)
{
	ec->member = true;
	ec->x.index = es->members;
	es->xs[es->members++] = &ec->x;
}

static void on_tick(struct evloop *loop, void *arg);

/* The -P group s belongs to, still assembling, other than es; or NULL. */
static struct esession *
find_group(struct eserver *srv, const struct esession *es,
    const struct session *s)
{
	if (!s->extended || s->parallel < 2)
		return NULL;
	for (struct esession *g = srv->sessions; g != NULL; g = g->next)
		if (g != es && g->have_first && !g->interrupted &&
		    g->first.extended && g->first.group == s->group &&
		    g->members < (int)g->first.parallel &&
		    g->setup_timer != 0)
			return g;
	return NULL;
}

/* Drop a session nobody is in any more: timers, list, memory. */
static void
esession_free(struct esession *es)
{
	struct esession **pp;

	if (es->setup_timer != 0)
		evloop_timer_cancel(es->loop, es->setup_timer);
	if (es->tick_timer != 0)
		evloop_timer_cancel(es->loop, es->tick_timer);
	if (es->done_timer != 0)
		evloop_timer_cancel(es->loop, es->done_timer);
	if (es->ticking)
		ticker_free(&es->tk);
	for (pp = &es->srv->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == es) {
			*pp = es->next;
			break;
		}
	free(es);
}

/* ec leaves the session it was accepted into for its group's. */
static struct esession *
join_group(struct econn *ec, struct esession *group)
{
	struct esession *alone = ec->es;

	alone->n = 0;
	alone->live = 0;
	esession_free(alone);
	ec->es = group;
	group->ec[group->n++] = ec;
	group->live++;
	return group;
}

/* Receiver: the session header, then the group, then the transfer. */
static size_t
header_data(struct econn *ec, const uint8_t *p, size_t len)
{
	struct esession *es = ec->es;
	struct session s;
	char eb[ERRBUF_LEN];
	size_t need;
	int rc = session_decode(p, len, &s, &need, eb);

	ec->hdr_have = len;
	ec->hdr_need = need;
	if (rc == 0)
		return 0;
	if (rc < 0 && es->have_first) {
		refuse_stranger(ec, eb);
		return len;
	}
	if (rc < 0) {
		xfer_fail(&ec->x, OUTCOME_ERROR, "session header from %s: %s",
		    ec->x.peer, eb);
		conn_close(ec->c, CLOSE_ABORT, 0);
		return len;
	}
	if (es->srv != NULL && !es->have_first) {
		struct esession *group = find_group(es->srv, es, &s);
		struct esession *one = es->srv->the_one;

		if (group != NULL) {
			es = join_group(ec, group);
		} else if (one != NULL && one != es) {
			/* -1: one session, and strangers are turned away. */
			if (session_same_group(&one->first, &s, eb) == 0)
				errbuf_set(eb, "not part of session 0x%08"
				    PRIx32, one->first.group);
			refuse_stranger(ec, eb);
			return len;
		} else if (es->cfg->once) {
			es->srv->the_one = es;
		}
	}
	if (!es->have_first) {
		es->first = s;
		es->have_first = true;
		ticker_init(&es->tk, es->cfg, clock_mono_us());
		es->ticking = true;
		if (es->cfg->interval_ms > 0)
			es->tick_timer = evloop_timer_add(es->loop,
			    (int)es->cfg->interval_ms, on_tick, es);
	} else if (session_same_group(&es->first, &s, eb) != 0) {
		refuse_stranger(ec, eb);
		return len;
	}
	add_member(es, ec);
	ec->have_header = true;
	if (econn_begin(ec, &s, (s.flags & TTCP_FLAG_REVERSE) != 0) != 0) {
		fail_abort(ec, "out of memory");
		return len;
	}
	verbose_session(es->cfg, &ec->x, &s);
	ec->x.start_us = clock_mono_us();
	start_transfer(ec);
	return need;
}

static void
start_transfer(struct econn *ec)
{
	if (!ec->x.data_sender)
		return;
	if (ec->x.sess.flags & TTCP_FLAG_STREAM) {
		conn_set_water_marks(ec->c, EP_HIGH_WATER, EP_HIGH_WATER / 2);
		fill_stream(ec);
	} else if (ec->x.sess.number > 0) {
		send_next_message(ec);
	} else {
		if (ec->hdrlen > 0)
			conn_send(ec->c, ec->first, ec->hdrlen);
		ec->x.end_us = clock_mono_us();
		begin_close(ec);
	}
}

static size_t
on_data(struct conn *c, const void *data, size_t len, void *arg)
{
	struct econn *ec = arg;
	const uint8_t *p = data;
	size_t off = 0;

	if (ec->es->receiver && !ec->have_header) {
		off = header_data(ec, p, len);
		if (!ec->have_header || ec->c == NULL || off == len)
			return off;
	}
	if (ec->x.data_sender)
		return off + sender_data(ec, p + off, len - off);
	return off + receiver_data(ec, p + off, len - off);
}

static void
on_drain(struct conn *c, void *arg)
{
	struct econn *ec = arg;

	if (ec->x.data_sender && (ec->x.sess.flags & TTCP_FLAG_STREAM))
		fill_stream(ec);
}

/* Why a connection ended before its session did, for the error line. */
static void
explain_early_end(struct econn *ec, enum outcome o)
{
	struct xfer *x = &ec->x;
	char where[160];

	if (ec->es->receiver && !ec->have_header) {
		char why[96];

		snprintf(why, sizeof(why), "peer closed (%s) after %zu of %zu "
		    "header bytes", outcome_name(o), ec->hdr_have,
		    ec->hdr_need);
		if (ec->es->have_first)
			refuse_stranger(ec, why);
		else
			xfer_fail(x, o, "session header from %s: %s",
			    x->peer, why);
	} else if (!x->data_sender) {
		rx_progress(&x->rx, where, sizeof(where));
		xfer_fail(x, o, "peer closed (%s) %s", outcome_name(o),
		    where);
	} else if (x->sess.flags & TTCP_FLAG_STREAM) {
		xfer_fail(x, o, "sending: %s after %" PRIu64 " of %" PRIu64
		    " payload bytes", outcome_name(o), xfer_bytes(x),
		    (uint64_t)x->sess.number * x->sess.length);
	} else {
		xfer_fail(x, o, "peer closed (%s) waiting for the ack of "
		    "message %" PRIu64 " of %" PRIu32 " (%" PRIu64 " payload "
		    "bytes acknowledged)", outcome_name(o), xfer_msgs(x) + 1,
		    x->sess.number, xfer_bytes(x));
	}
}

static void
on_close(struct conn *c, enum conn_end why, enum outcome o, void *arg)
{
	struct econn *ec = arg;
	struct xfer *x = &ec->x;
	struct esession *es = ec->es;

	if (x->data_sender && (x->sess.flags & TTCP_FLAG_STREAM) &&
	    ec->closing)
		set_progress_tx(ec);
	ec->c = NULL;
	if (!x->failed && !ec->stranger) {
		/* A timed session ends at the sender's EOF. */
		if (!ec->closing && !x->data_sender &&
		    (ec->have_header || !ec->es->receiver) &&
		    why == CONN_END_PEER_EOF && rx_timed_end(&x->rx))
			x->end_us = clock_mono_us();
		else if (!ec->closing)
			explain_early_end(ec, o);
		else if (why != CONN_END_LOCAL_CLOSE || o != OUTCOME_OK)
			xfer_fail(x, o, "closing: %s before the peer's EOF (%"
			    PRIu64 " payload bytes done)", outcome_name(o),
			    xfer_bytes(x));
		else if (ec->extra > 0)
			xfer_fail(x, OUTCOME_ERROR, "peer sent %" PRIu64
			    " bytes after the end of the session", ec->extra);
	}
	/* Stream sender: the peer's EOF is its receipt of the last byte. */
	if (x->end_us == 0)
		x->end_us = clock_mono_us();
	x->done = true;
	es->live--;
	session_check_done(es);
}

static const struct conn_callbacks callbacks = {
	.on_data = on_data,
	.on_drain = on_drain,
	.on_close = on_close,
};

static struct econn *
econn_new(struct esession *es, int fd, const struct conn_callbacks *cb,
    char *errbuf)
{
	struct econn *ec = calloc(1, sizeof(*ec));

	if (ec == NULL) {
		errbuf_set(errbuf, "out of memory");
		return NULL;
	}
	ec->es = es;
	ec->hdr_need = TTCP_HDR_LEN;
	ec->x.fd = fd;
	ec->x.io = ec;
	sock_peer_str(fd, ec->x.peer, sizeof(ec->x.peer));
	if (xfer_setup_socket(&ec->x, es->cfg, errbuf) != 0 ||
	    (ec->c = conn_new(es->loop, fd, cb, ec, errbuf)) ==
	    NULL) {
		free(ec);
		return NULL;
	}
	return ec;
}

static void
on_tick(struct evloop *loop, void *arg)
{
	struct esession *es = arg;

	es->tick_timer = 0;
	if (!es->ticking)
		return;
	ticker_tick(&es->tk, side_prefix(es->members > 0 &&
	    es->xs[0]->data_sender), es->xs, es->members);
	es->tick_timer = evloop_timer_add(loop, (int)es->cfg->interval_ms,
	    on_tick, es);
}

static void
abort_all(struct esession *es)
{
	for (int i = 0; i < es->n; i++)
		if (es->ec[i] != NULL && es->ec[i]->c != NULL)
			conn_close(es->ec[i]->c, CLOSE_ABORT, 0);
}

static void
on_signal(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct esession *es = arg;

	if (take_signal(fd, &es->signo) != 0) {
		es->interrupted = true;
		abort_all(es);
		if (es->n == 0)
			evloop_stop(loop);
	}
}


static bool
session_over(const struct esession *es)
{
	if (es->live > 0 || es->quiet)
		return false;
	/* The rest of the group may still be to come. */
	return !(es->receiver && !es->interrupted && es->have_first &&
	    es->members < (int)es->first.parallel && es->setup_timer != 0);
}

static void session_done(struct evloop *loop, void *arg);

/*
 * A receiver's session reported (reported: it had something to report):
 * count it, drop it, and end the run when -1's session or a signal's
 * last one is over.
 */
static void
server_session_done(struct eserver *srv, struct esession *es, bool reported)
{
	bool one = srv->cfg->once && reported &&
	    (srv->the_one == NULL || srv->the_one == es);

	if (reported) {
		srv->nsessions++;
		if (es->status != 0 && !es->interrupted)
			srv->failed++;
	}
	if (es->status != 0 && srv->status == 0)
		srv->status = es->status;
	if (srv->the_one == es)
		srv->the_one = NULL;
	esession_free(es);
	if (one) {
		/* Later sessions are only strangers to -1: ended at once. */
		evloop_stop(srv->loop);
	} else if (srv->interrupted && srv->sessions == NULL) {
		evloop_stop(srv->loop);
	}
}

/*
 * Called from inside conn callbacks: the report and the freeing wait for
 * a timer, when no conn is on the stack any more.
 */
static void
session_check_done(struct esession *es)
{
	if (session_over(es) && es->done_timer == 0)
		es->done_timer = evloop_timer_add(es->loop, 0, session_done,
		    es);
}

/* Every connection of the session has ended: report, then next one. */
static void
session_done(struct evloop *loop, void *arg)
{
	struct esession *es = arg;
	struct xfer *xs[TTCP_MAX_PARALLEL];
	int n = 0, status;

	es->done_timer = 0;
	if (!session_over(es))
		return;
	/* The members; or, when no header ever came, why not. */
	for (int i = 0; i < es->n && n < TTCP_MAX_PARALLEL; i++)
		if (es->ec[i]->member || (!es->have_first &&
		    es->ec[i]->x.failed))
			xs[n++] = &es->ec[i]->x;
	if (es->setup_timer != 0)
		evloop_timer_cancel(es->loop, es->setup_timer);
	es->setup_timer = 0;
	if (es->tick_timer != 0)
		evloop_timer_cancel(es->loop, es->tick_timer);
	es->tick_timer = 0;
	if (n > 0) {
		status = report_session(es->cfg, xs, n, &es->first,
		    es->ticking ? &es->tk : NULL,
		    es->interrupted ? TTCP_INTERRUPTED : NULL,
		    OUTCOME_INTERRUPTED);
		if (status != 0 && es->status == 0)
			es->status = status;
	}
	for (int i = 0; i < es->n; i++) {
		if (es->srv != NULL && es->ec[i]->member)
			es->srv->bytes += xfer_bytes(&es->ec[i]->x);
		econn_free(es->ec[i]);
		es->ec[i] = NULL;
	}
	es->n = 0;
	if (es->srv == NULL) {
		if (es->ticking)
			ticker_free(&es->tk);
		es->ticking = false;
		evloop_stop(es->loop);
		return;
	}
	server_session_done(es->srv, es, n > 0);
}

static void
on_setup_timeout(struct evloop *loop, void *arg)
{
	struct esession *es = arg;

	es->setup_timer = 0;
	if (es->have_first)
		xfer_fail(es->xs[0], OUTCOME_TIMEOUT,
		    "session 0x%08" PRIx32 ": only %d of %"
		    PRIu32 " connections arrived", es->first.group,
		    es->members, es->first.parallel);
	for (int i = 0; i < es->n; i++) {
		struct econn *ec = es->ec[i];

		if (ec->have_header || ec->c == NULL)
			continue;
		char why[96];

		snprintf(why, sizeof(why), "timeout after %zu of %zu header "
		    "bytes", ec->hdr_have, ec->hdr_need);
		if (es->have_first)
			refuse_stranger(ec, why);
		else
			xfer_fail(&ec->x, OUTCOME_TIMEOUT,
			    "session header from %s: %s", ec->x.peer, why);
	}
	abort_all(es);
	session_check_done(es);
}

static const struct conn_callbacks receiver_callbacks;

/* A new connection: a session of its own until its header is in. */
static void
on_accept(struct evloop *loop, int lfd, unsigned events, void *arg)
{
	struct eserver *srv = arg;
	struct esession *es;
	char eb[ERRBUF_LEN];
	struct econn *ec;
	int fd = accept_or_warn(lfd, NULL, 0);

	if (fd < 0)
		return;
	es = calloc(1, sizeof(*es));
	if (es == NULL)
		err(1, "calloc");
	es->cfg = srv->cfg;
	es->loop = loop;
	es->receiver = true;
	es->srv = srv;
	ec = econn_new(es, fd, &receiver_callbacks, eb);
	if (ec == NULL) {
		struct close_report cr;

		warnx("%s", eb);
		close_abort(fd, &cr);
		free(es);
		return;
	}
	es->next = srv->sessions;
	srv->sessions = es;
	es->setup_timer = evloop_timer_add(loop, TTCP_SETUP_TIMEOUT_MS,
	    on_setup_timeout, es);
	es->ec[es->n++] = ec;
	es->live++;
	if (es->cfg->verbose)
		fprintf(stderr, "ttcp-r: accepted %s\n", ec->x.peer);
}

/* After a header: accept the next member of the group, if any. */
static void
group_progress(struct esession *es)
{
	if (es->interrupted || !es->have_first)
		return;
	if (es->members >= (int)es->first.parallel &&
	    es->setup_timer != 0) {
		evloop_timer_cancel(es->loop, es->setup_timer);
		es->setup_timer = 0;
	}
}

static size_t
on_data_receiver(struct conn *c, const void *data, size_t len, void *arg)
{
	struct econn *ec = arg;
	bool had = ec->have_header;
	size_t used = on_data(c, data, len, arg);

	/* A header came, or a stranger was turned away. */
	if (!had && (ec->have_header || ec->c == NULL))
		group_progress(ec->es);
	return used;
}

static void
on_close_receiver(struct conn *c, enum conn_end why, enum outcome o,
    void *arg)
{
	struct econn *ec = arg;
	bool had = ec->have_header;

	on_close(c, why, o, arg);
	if (!had && ec->es->have_first)
		group_progress(ec->es);
}

static const struct conn_callbacks receiver_callbacks = {
	.on_data = on_data_receiver,
	.on_drain = on_drain,
	.on_close = on_close_receiver,
};

static struct evloop *
loop_new(struct esession *es, int sfd)
{
	char eb[ERRBUF_LEN];
	struct evloop *loop = evloop_new(eb);

	if (loop == NULL)
		errx(1, "%s", eb);
	es->loop = loop;
	es->sfd = sfd;
	if (evloop_add(loop, sfd, EV_READ, on_signal, es) != 0)
		err(1, "watch the signal descriptor");
	return loop;
}

/* A signal ends every session; the last one's end ends the run. */
static void
on_signal_server(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct eserver *srv = arg;

	if (take_signal(fd, &srv->signo) == 0)
		return;
	srv->interrupted = true;
	evloop_del(loop, srv->lfd);
	for (struct esession *es = srv->sessions; es != NULL; es = es->next) {
		es->interrupted = true;
		abort_all(es);
		session_check_done(es);
	}
	if (srv->sessions == NULL)
		evloop_stop(loop);
}

int
run_receive_epoll(const struct ttcp_config *cfg, int sfd)
{
	struct eserver srv;
	struct sock_opts so = { .family = cfg->family };
	struct bufsize snd, rcv;
	char eb[ERRBUF_LEN];

	memset(&srv, 0, sizeof(srv));
	srv.cfg = cfg;
	srv.lfd = sock_listen(cfg->bind, cfg->port, &so, eb);
	if (srv.lfd < 0)
		return report_setup_error(cfg, "receive", eb, OUTCOME_ERROR);
	if (cfg->bufsize > 0 && sockopt_bufsizes(srv.lfd, cfg->bufsize,
	    cfg->bufsize, &snd, &rcv, eb) != 0)
		warnx("%s", eb);
	if (sock_set_nonblock(srv.lfd, true) != 0)
		err(1, "O_NONBLOCK");
	srv.loop = evloop_new(eb);
	if (srv.loop == NULL)
		errx(1, "%s", eb);
	if (evloop_add(srv.loop, sfd, EV_READ, on_signal_server, &srv) != 0 ||
	    evloop_add(srv.loop, srv.lfd, EV_READ, on_accept, &srv) != 0)
		err(1, "watch the signal descriptor and the listening socket");
	verbose_listening(cfg, srv.lfd);
	if (evloop_run(srv.loop) != 0)
		err(1, "event loop");
	/* -1 ended the run: whoever else is still here is reset. */
	while (srv.sessions != NULL) {
		struct esession *es = srv.sessions;

		abort_all(es);
		for (int i = 0; i < es->n; i++)
			econn_free(es->ec[i]);
		esession_free(es);
	}
	evloop_free(srv.loop);
	close(srv.lfd);
	if (srv.interrupted && !cfg->json && !cfg->once)
		report_server_totals(srv.nsessions, srv.bytes, srv.failed);
	/*
	 * A signal, idle or mid-session, is how a receiver without -1 ends:
	 * 128 + its number, as everywhere in the suite, whatever the sessions
	 * before it did (each reported its own failure).
	 */
	return srv.interrupted ? STOP_EXIT(srv.signo) : srv.status;
}

int
run_transmit_epoll(const struct ttcp_config *cfg, int sfd)
{
	struct esession es;
	struct sock_opts so = { .family = cfg->family, .src_host = cfg->bind };
	struct session s;
	uint8_t hdr[TTCP_HDR_MAX];
	size_t hdrlen;
	char eb[ERRBUF_LEN];
	const char *prefix = side_prefix(!cfg->reverse);

	memset(&es, 0, sizeof(es));
	es.cfg = cfg;
	session_from_config(&s, cfg);
	s.group = random_group();
	hdrlen = session_encode(&s, hdr);
	es.first = s;
	es.have_first = true;
	loop_new(&es, sfd);
	for (int i = 0; i < cfg->parallel; i++) {
		enum outcome o;
		int fd = sock_connect(cfg->host, cfg->port, &so, &o, eb);
		struct econn *ec = fd < 0 ? NULL :
		    econn_new(&es, fd, &callbacks, eb);

		if (ec == NULL || econn_begin(ec, &s, !cfg->reverse) != 0) {
			struct close_report cr;

			if (ec == NULL && fd >= 0)
				close_abort(fd, &cr);
			if (ec != NULL)
				es.ec[es.n++] = ec;
			/* Nothing ran: no session report, just the error. */
			es.quiet = true;
			abort_all(&es);
			for (int j = 0; j < es.n; j++)
				econn_free(es.ec[j]);
			evloop_free(es.loop);
			return report_setup_error(cfg, cfg->reverse ?
			    "receive" : "transmit", ec == NULL ? eb :
			    "out of memory", ec == NULL && fd < 0 ? o :
			    OUTCOME_ERROR);
		}
		ec->hdrlen = hdrlen;
		if (ec->payload != NULL) {
			/* The header sits just before the first send. */
			uint8_t *start = ec->payload -
			    ((s.flags & TTCP_FLAG_STREAM) ? 0 : 4);

			ec->first = start - hdrlen;
			memcpy(ec->first, hdr, hdrlen);
		}
		es.ec[es.n++] = ec;
		add_member(&es, ec);
		es.live++;
		if (cfg->verbose)
			fprintf(stderr, "%s: connected to %s (sndbuf %d "
			    "rcvbuf %d)\n", prefix, ec->x.peer,
			    ec->x.snd.effective, ec->x.rcv.effective);
	}
	ticker_init(&es.tk, cfg, clock_mono_us());
	es.ticking = true;
	for (int i = 0; i < es.n; i++) {
		struct econn *ec = es.ec[i];

		ec->x.start_us = es.tk.start_us;
		if (ec->x.data_sender) {
			start_transfer(ec);
		} else if (conn_send(ec->c, hdr, hdrlen) != 0) {
			fail_abort(ec, "sending the session header failed");
		}
	}
	if (cfg->interval_ms > 0)
		es.tick_timer = evloop_timer_add(es.loop,
		    (int)cfg->interval_ms, on_tick, &es);
	if (evloop_run(es.loop) != 0)
		err(1, "event loop");
	evloop_free(es.loop);
	return es.interrupted ? STOP_EXIT(es.signo) : es.status;
}
