/* SPDX-License-Identifier: BSD-2-Clause */
/* The one relay engine: epoll (copy or splice) or threads, with hooks. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "close.h"
#include "conn.h"
#include "errbuf.h"
#include "relay.h"
#include "sock.h"
#include "sockopt.h"
#include "splice.h"
#include "tls.h"

/* Poll period while waiting for an end's send queue to empty before RST. */
#define FLUSH_POLL_MS 2
/* Threads: how often a reader looks whether -q started meanwhile. */
#define QUIT_POLL_MS 50

struct relay {
	struct relay_opts o;
	struct evloop *loop;		/* epoll */
	struct relay_pair *pairs;	/* epoll: pairs not yet freed */
};

/* One end of a pair; the evloop and conn callbacks get this. */
struct relay_end {
	struct relay_pair *p;
	int idx;			/* 0 or 1 */
	int fd;				/* -1 once closed */
	struct conn *c;			/* copy (epoll) */
	struct splice_pipe *pipe;	/* splice (epoll): from this end */
	bool watched;			/* fd is in the loop (splice) */
	unsigned interest;
	bool rd_eof;			/* this end's FIN was read */
	bool wr_shut;			/* our FIN to this end is out */
	bool blocked;			/* pipe slots full (splice) */
	bool hup;			/* error or hang-up reported */
	bool closed;
	bool cut;			/* the hook cut this end's input */
	uint64_t sent_final;		/* copy: bytes sent when conn ended */

	/* The stdio end (end 0 of relay_pair_add_stdio). */
	bool stdio;
	int rfd, wfd;
	struct buf *outq;		/* read from the socket, for wfd */
	char *rbuf;			/* one read from rfd */
	bool rd_watched, wr_watched;	/* in the loop */
	bool rd_always, wr_always;	/* epoll cannot watch it (a file):
					   always ready */
	bool wr_gone;			/* writing wfd failed */
	uint64_t written;		/* bytes written to wfd */
};

struct relay_pair {
	struct relay *r;
	void *arg;
	struct relay_end e[2];
	uint64_t bytes[2];
	uint64_t paused[2];
	bool resetting;			/* an RST is being passed on */
	int flush_to;			/* end being flushed before RST */
	int64_t flush_deadline;
	uint64_t flush_timer;
	uint64_t deadline_timer;	/* idle / quit */
	int64_t deadline_at;		/* when deadline_timer fires */
	int64_t last_active;		/* for idle_ms */
	int64_t quit_deadline;		/* quit_ms after the 1st FIN */
	enum outcome outcome;
	bool ended;
	struct relay_pair *prev, *next;	/* epoll: every pair not yet freed */

	/* stdio pairs */
	bool stdio;
	bool crlf_cr;		/* -C: the last byte sent was a CR */
	bool sock_paused;		/* reading the socket paused: wfd's
					   queue is full */
	uint64_t stdio_timer;		/* files: the next read or write */
	uint64_t last_out;		/* socket's bytes out, for idle_ms */
	uint64_t unread;		/* for the EOF event */

	/* threads */
	pthread_mutex_t mu;
	bool aborting;			/* an end failed or a deadline */
	int failed_side;		/* -1, or the end whose failure we
					   pass on */
	bool done[2];			/* direction from end i finished */
	int wake[2];			/* leave_open: a pipe that ends the
					   readers' waits */
};

static void pair_run(struct relay_pair *p);
static void pair_check_done(struct relay_pair *p);
static void stdio_update(struct relay_pair *p);
static void stdio_unwatch(struct relay_pair *p);
static bool stdio_done_check(struct relay_pair *p);
static void spliced_on_event(struct evloop *loop, int fd, unsigned events,
    void *arg);

/* ---- events and hooks ---- */

static void
emit(struct relay_pair *p, enum relay_event_kind kind, int end,
    const char *during, int err, enum outcome o)
{
	struct relay_event ev = {
		.kind = kind,
		.pair = p,
		.pair_arg = p->arg,
		.end = end,
		.during = during,
		.err = err,
		.outcome = o,
	};

	memcpy(ev.bytes, p->bytes, sizeof(ev.bytes));
	memcpy(ev.paused, p->paused, sizeof(ev.paused));
	for (int x = 0; x < 2; x++) {
		const struct relay_end *e = &p->e[x];

		if (e->stdio)
			ev.sent[x] = e->written;
		else if (e->c != NULL)
			ev.sent[x] = conn_bytes_out(e->c);
		else
			ev.sent[x] = e->sent_final;
	}
	ev.unread = p->unread;
	p->r->o.on_event(&ev, p->r->o.arg);
}

static void
note_paused(struct relay_pair *p, int end)
{
	if (p->paused[end]++ == 0)
		emit(p, RELAY_EV_PAUSED, end, NULL, 0, OUTCOME_OK);
}

static void
ask_hook(struct relay_pair *p, int from, const void *data, size_t len,
    struct relay_verdict *v)
{
	struct relay_chunk c = { from, data, len, p->bytes[from] };

	*v = (struct relay_verdict){ len, 0, RELAY_FORWARD };
	if (p->r->o.on_chunk != NULL) {
		p->r->o.on_chunk(&c, v, p->r->o.arg);
		if (v->pass > len)
			v->pass = len;
	}
}

struct relay *
relay_new(struct evloop *loop, const struct relay_opts *o, char *errbuf)
{
	struct relay *r;

	if (o->on_event == NULL || o->buffer == 0 ||
	    (o->io == RELAY_IO_EPOLL) != (loop != NULL)) {
		errbuf_set(errbuf, "relay: bad options");
		errno = EINVAL;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		errbuf_set(errbuf, "relay: out of memory");
		return NULL;
	}
	r->o = *o;
	r->loop = loop;
	return r;
}

uint64_t
relay_pair_bytes(const struct relay_pair *p, int end)
{
	return p->bytes[end];
}

int
relay_pair_fd(const struct relay_pair *p, int end)
{
	return p->e[end].fd;
}

/* ==== epoll ==== */

static void
pair_free(struct relay_pair *p)
{
	struct relay *r = p->r;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		r->pairs = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	splice_pipe_free(p->e[0].pipe);
	splice_pipe_free(p->e[1].pipe);
	buf_free(p->e[0].outq);
	free(p->e[0].rbuf);
	free(p);
}

static void
pair_free_cb(struct evloop *loop, void *arg)
{
	(void)loop;
	pair_free(arg);
}

/*
 * Both ends are closed: report the end and free the pair from the loop
 * (never inside a callback that may still look at it).
 */
static void
pair_end(struct relay_pair *p)
{
	struct relay *r = p->r;

	if (p->ended)
		return;
	p->ended = true;
	evloop_timer_clear(r->loop, &p->flush_timer);
	evloop_timer_clear(r->loop, &p->deadline_timer);
	if (p->stdio)
		stdio_unwatch(p);
	emit(p, RELAY_EV_END, -1, NULL, 0, p->outcome);
	evloop_timer_add(r->loop, 0, pair_free_cb, p);
}

/* Close one end's fd the given way. */
static void
end_close(struct relay_end *e, enum close_how how)
{
	struct close_report rep;
	struct relay *r = e->p->r;

	if (e->stdio) {
		/* Not ours to close: stop reading it, flush what it is
		   owed (stdio_done_check marks it closed). */
		e->rd_eof = true;
		stdio_update(e->p);
		return;
	}
	if (e->closed)
		return;
	e->closed = true;
	if (e->c != NULL) {
		/* conn ends itself; copy_on_close clears e->c. */
		conn_close(e->c, how, 0);
		return;
	}
	if (e->fd < 0)
		return;
	if (e->watched)
		evloop_del(r->loop, e->fd);
	e->watched = false;
	switch (how) {
	case CLOSE_ABORT:
		close_abort(e->fd, &rep);
		break;
	case CLOSE_GRACEFUL:
		close_graceful(e->fd, NULL, 0, 1, NULL, NULL, &rep);
		break;
	case CLOSE_PLAIN:
		close_plain(e->fd, &rep);
		break;
	}
	e->fd = -1;
}

static bool
end_flushed(const struct relay_end *e, const struct relay_end *from)
{
	int outq;

	if (e->closed || e->fd < 0)
		return true;
	if (e->c != NULL && conn_out_queued(e->c) > 0)
		return false;
	if (from->pipe != NULL && splice_pipe_len(from->pipe) > 0)
		return false;
	outq = sockopt_outq(e->fd);
	return outq <= 0;
}

static void
flush_check(struct evloop *loop, void *arg)
{
	struct relay_pair *p = arg;
	struct relay_end *to = &p->e[p->flush_to];

	p->flush_timer = 0;
	if (to->closed) {
		pair_check_done(p);
		return;
	}
	if (end_flushed(to, &p->e[1 - p->flush_to]) ||
	    clock_mono_ms() >= p->flush_deadline) {
		end_close(to, CLOSE_ABORT);
		pair_check_done(p);
		return;
	}
	p->flush_timer = evloop_timer_add(loop, FLUSH_POLL_MS, flush_check, p);
}

/*
 * Splice, end x failed while we sent to it: what it sent before its RST
 * still sits in our receive queue. Take what the pipe has room for, to
 * pass on before the RST (conn does the same for copy).
 */
static void
spliced_read_rest(struct relay_pair *p, int x)
{
	struct relay_end *ex = &p->e[x];
	char errbuf[ERRBUF_LEN];
	ssize_t n;

	if (ex->closed || ex->fd < 0 || ex->rd_eof || ex->cut ||
	    p->e[1 - x].closed)
		return;
	if (ex->pipe == NULL &&
	    (ex->pipe = splice_pipe_new(p->r->o.buffer, errbuf)) == NULL)
		return;
	while ((n = splice_pipe_fill(ex->pipe, ex->fd)) > 0)
		p->bytes[x] += (uint64_t)n;
	if (n == 0)
		ex->rd_eof = true;
}

/*
 * End x failed (its peer's RST, a timeout, ...): close it, deliver to the
 * other end what x sent before failing, then reset the other end too, so
 * the RST travels through the relay as it would have without it. err 0
 * with during NULL: the hook cut the stream (no error reported).
 */
static void
end_failed(struct relay_pair *p, int x, const char *during, int err)
{
	struct relay_end *ex = &p->e[x], *ey = &p->e[1 - x];

	if (p->resetting) {
		end_close(ex, CLOSE_ABORT);
		pair_check_done(p);
		return;
	}
	p->resetting = true;
	if (p->stdio) {
		/* The socket failed: what it sent before is written out,
		   stdin is left alone. */
		if (during != NULL) {
			p->outcome = outcome_from_errno(err);
			emit(p, RELAY_EV_ERROR, x, during, err, p->outcome);
		}
		end_close(&p->e[1], CLOSE_ABORT);
		end_close(&p->e[0], CLOSE_ABORT);
		pair_check_done(p);
		return;
	}
	if (ex->c != NULL && !ex->cut)
		p->bytes[x] = conn_bytes_in(ex->c);
	else if (ex->c == NULL)
		spliced_read_rest(p, x);
	if (during != NULL) {
		p->outcome = outcome_from_errno(err);
		emit(p, RELAY_EV_ERROR, x, during, err, p->outcome);
	}
	end_close(ex, CLOSE_ABORT);
	if (ey->closed) {
		pair_check_done(p);
		return;
	}
	/* Stop taking input from y; what it sends now has nowhere to go. */
	if (ey->c != NULL)
		conn_pause_read(ey->c);
	ey->rd_eof = true;
	p->flush_to = 1 - x;
	p->flush_deadline = clock_mono_ms() + p->r->o.rst_flush_ms;
	pair_run(p);
	if (!p->ended && p->flush_timer == 0)
		flush_check(p->r->loop, p);
}

/* Abort both ends at once: a deadline passed, or the caller says so. */
static void
pair_abort_now(struct relay_pair *p, const char *what)
{
	if (p->ended)
		return;
	p->resetting = true;
	if (what != NULL) {
		p->outcome = OUTCOME_TIMEOUT;
		emit(p, RELAY_EV_DEADLINE, -1, what, 0, OUTCOME_TIMEOUT);
	}
	end_close(&p->e[0], CLOSE_ABORT);
	end_close(&p->e[1], CLOSE_ABORT);
	pair_check_done(p);
}

static void deadline_fire(struct evloop *loop, void *arg);

static void
arm_deadline(struct relay_pair *p)
{
	int64_t now = clock_mono_ms(), first = -1, t;
	int64_t idle_ms = p->r->o.idle_ms;

	if (p->ended || p->resetting)
		return;
	if (idle_ms > 0)
		first = p->last_active + idle_ms;
	if (p->quit_deadline >= 0 && (first < 0 || p->quit_deadline < first))
		first = p->quit_deadline;
	if (first < 0)
		return;
	/* An armed timer that fires no later is good enough: it re-arms
	   itself for a later idle deadline when there was traffic. */
	if (p->deadline_timer != 0) {
		if (p->deadline_at <= first)
			return;
		evloop_timer_cancel(p->r->loop, p->deadline_timer);
	}
	t = first - now;
	p->deadline_at = first;
	p->deadline_timer = evloop_timer_add(p->r->loop, t > 0 ? (int)t : 0,
	    deadline_fire, p);
}

static void
deadline_fire(struct evloop *loop, void *arg)
{
	struct relay_pair *p = arg;
	int64_t now = clock_mono_ms();
	int64_t idle_ms = p->r->o.idle_ms;

	(void)loop;
	p->deadline_timer = 0;
	if (p->ended || p->resetting)
		return;
	if (p->quit_deadline >= 0 && now >= p->quit_deadline) {
		pair_abort_now(p, "-q");
		return;
	}
	if (p->stdio && p->e[1].c != NULL &&
	    conn_bytes_out(p->e[1].c) != p->last_out) {
		/* The socket took bytes since: not idle. */
		p->last_out = conn_bytes_out(p->e[1].c);
		p->last_active = now;
	}
	if (idle_ms > 0 && now >= p->last_active + idle_ms) {
		pair_abort_now(p, "-w idle");
		return;
	}
	arm_deadline(p);
}

/* A FIN was passed on: start the quit wait for the other direction. */
static void
half_closed(struct relay_pair *p, int from)
{
	emit(p, RELAY_EV_EOF, from, NULL, 0, OUTCOME_EOF);
	if (p->r->o.quit_ms >= 0 && p->quit_deadline < 0 &&
	    !(p->e[0].wr_shut && p->e[1].wr_shut)) {
		p->quit_deadline = clock_mono_ms() + p->r->o.quit_ms;
		arm_deadline(p);
	}
}

/* Both directions finished (or both ends closed): end the pair. */
static void
pair_check_done(struct relay_pair *p)
{
	struct relay_end *a = &p->e[0], *b = &p->e[1];

	if (p->ended)
		return;
	if (p->stdio) {
		(void)stdio_done_check(p);
		return;
	}
	if (!a->closed && !b->closed && a->c == NULL && b->c == NULL &&
	    a->rd_eof && b->rd_eof && a->wr_shut && b->wr_shut &&
	    !p->resetting &&
	    (a->pipe == NULL || splice_pipe_len(a->pipe) == 0) &&
	    (b->pipe == NULL || splice_pipe_len(b->pipe) == 0)) {
		end_close(a, CLOSE_GRACEFUL);
		end_close(b, CLOSE_GRACEFUL);
	}
	if (a->closed && b->closed && a->c == NULL && b->c == NULL)
		pair_end(p);
}

/* The hook cut end `from`'s stream after a chunk: act on it. */
static void
apply_cut(struct relay_pair *p, int from, enum relay_action a)
{
	struct relay_end *e = &p->e[from];

	if (a == RELAY_FORWARD || e->cut)
		return;
	e->cut = true;
	switch (a) {
	case RELAY_CUT_RST:
		if (e->c != NULL)
			conn_pause_read(e->c);
		end_failed(p, from, NULL, 0);
		break;
	case RELAY_CUT_HOLD:
		if (e->c != NULL)
			conn_pause_read(e->c);
		break;
	case RELAY_CUT_FIN:
	case RELAY_FORWARD:
		/* Keep reading `from` (its data is dropped) to see its EOF;
		   the FIN goes out now. */
		break;
	}
}

/* ---- splice ---- */

static void
end_watch(struct relay_end *e, unsigned want)
{
	struct relay *r = e->p->r;

	if (e->closed || e->fd < 0)
		return;
	/* After a hang-up, a watch with no interest would still report it
	   again and again (level-triggered): drop it until we want I/O. */
	if (e->hup && want == 0) {
		if (e->watched)
			evloop_del(r->loop, e->fd);
		e->watched = false;
		return;
	}
	if (!e->watched) {
		if (evloop_add(r->loop, e->fd, want, spliced_on_event,
		    e) == 0) {
			e->watched = true;
			e->interest = want;
		}
		return;
	}
	if (want != e->interest && evloop_mod(r->loop, e->fd, want) == 0)
		e->interest = want;
}

/* Pass the FIN from src on once everything before it went out. */
static bool
spliced_pass_fin(struct relay_pair *p, int i)
{
	struct relay_end *src = &p->e[i], *dst = &p->e[1 - i];

	if ((src->rd_eof || src->cut) && !dst->wr_shut && !p->resetting &&
	    (src->pipe == NULL || splice_pipe_len(src->pipe) == 0)) {
		if (shutdown(dst->fd, SHUT_WR) == -1) {
			end_failed(p, 1 - i, "shutdown", errno);
			return false;
		}
		dst->wr_shut = true;
		half_closed(p, i);
	}
	return true;
}

/*
 * Move bytes from end i to the other end through i's pipe until one of
 * them would block. Returns false when the pair changed state under us
 * (an end failed), true otherwise.
 */
static bool
spliced_move(struct relay_pair *p, int i)
{
	struct relay_end *src = &p->e[i], *dst = &p->e[1 - i];
	struct relay_verdict v;
	char errbuf[ERRBUF_LEN];
	ssize_t n;
	int k;

	if (dst->closed)
		return true;
	for (k = 0; k < 16; k++) {
		bool moved = false;

		if (src->pipe != NULL && splice_pipe_len(src->pipe) > 0) {
			n = splice_pipe_drain(src->pipe, dst->fd);
			if (n > 0) {
				moved = true;
				src->blocked = false;
			} else if (n < 0 && errno != EAGAIN) {
				end_failed(p, 1 - i, "send", errno);
				return false;
			}
		}
		if (src->rd_eof || src->closed || src->cut || p->resetting ||
		    src->blocked)
			break;
		if (src->pipe == NULL) {
			src->pipe = splice_pipe_new(p->r->o.buffer, errbuf);
			if (src->pipe == NULL) {
				end_failed(p, i, "splice pipe", errno);
				return false;
			}
		}
		if (splice_pipe_room(src->pipe) == 0) {
			note_paused(p, i);
			if (!moved)
				break;
			continue;
		}
		n = splice_pipe_fill(src->pipe, src->fd);
		if (n > 0) {
			if (p->r->o.on_chunk != NULL) {
				ask_hook(p, i, NULL, (size_t)n, &v);
				p->bytes[i] += (uint64_t)n;
				apply_cut(p, i, v.action);
				if (p->resetting)
					return false;
			} else {
				p->bytes[i] += (uint64_t)n;
			}
			p->last_active = clock_mono_ms();
			continue;
		}
		if (n == 0) {
			src->rd_eof = true;
			continue;
		}
		if (errno != EAGAIN) {
			end_failed(p, i, "receive", errno);
			return false;
		}
		/*
		 * Nothing to read, or the pipe's page slots are full with
		 * bytes still in it. Either way wait for the drain before
		 * reading again (a drain is pending while bytes are held),
		 * so a full pipe never spins the loop.
		 */
		if (splice_pipe_len(src->pipe) > 0) {
			src->blocked = true;
			note_paused(p, i);
		}
		if (!moved)
			break;
	}
	return spliced_pass_fin(p, i);
}

static unsigned
spliced_interest(const struct relay_pair *p, int x)
{
	const struct relay_end *ex = &p->e[x], *other = &p->e[1 - x];
	unsigned want = 0;

	if (!ex->rd_eof && !ex->cut && !p->resetting && !other->closed &&
	    (ex->pipe == NULL || (splice_pipe_room(ex->pipe) > 0 &&
	    !ex->blocked)))
		want |= EV_READ;
	if (other->pipe != NULL && splice_pipe_len(other->pipe) > 0)
		want |= EV_WRITE;
	return want;
}

static void
pair_run(struct relay_pair *p)
{
	int x;

	if (p->ended)
		return;
	if (p->e[0].c != NULL || p->e[1].c != NULL) {
		pair_check_done(p);
		return;
	}
	if (!spliced_move(p, 0) || !spliced_move(p, 1)) {
		pair_check_done(p);
		return;
	}
	for (x = 0; x < 2; x++) {
		struct relay_end *ex = &p->e[x];

		if (ex->closed)
			continue;
		/* Both directions done on this end: nothing to wait for. */
		if ((ex->rd_eof || ex->cut) && (ex->wr_shut || p->resetting) &&
		    spliced_interest(p, x) == 0) {
			if (ex->watched)
				evloop_del(p->r->loop, ex->fd);
			ex->watched = false;
			continue;
		}
		end_watch(ex, spliced_interest(p, x));
	}
	arm_deadline(p);
	pair_check_done(p);
}

static void
spliced_on_event(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct relay_end *e = arg;
	struct relay_pair *p = e->p;
	struct relay_end *other = &p->e[1 - e->idx];
	int err;

	(void)loop;
	if (events & EV_ERROR) {
		e->hup = true;
		/*
		 * Nothing left to read from this end and nothing to send
		 * it: only SO_ERROR can say what happened (an RST after its
		 * FIN). While input is still wanted, reading reports it in
		 * order: queued data first, then the error.
		 */
		if ((e->rd_eof || e->cut || p->resetting) &&
		    (other->pipe == NULL ||
		    splice_pipe_len(other->pipe) == 0) &&
		    (err = sock_error(fd)) != 0) {
			end_failed(p, e->idx, "receive", err);
			return;
		}
	}
	pair_run(p);
}

/* ---- copy, on common's conn ---- */

/*
 * An end's FIN: pass it on after the bytes before it. conn reports it as
 * on_peer_eof, or, when our FIN to that end is already out, only as the
 * end of the connection (CONN_END_PEER_EOF); both come here once.
 */
static void
copy_end_eof(struct relay_end *e)
{
	struct relay_pair *p = e->p;
	struct relay_end *other = &p->e[1 - e->idx];

	if (e->rd_eof)
		return;
	e->rd_eof = true;
	if (other->stdio) {
		/* Nothing to pass on: wfd stays open. */
		if (!p->resetting)
			emit(p, RELAY_EV_EOF, e->idx, NULL, 0, OUTCOME_EOF);
		return;
	}
	if (e->cut || other->c == NULL || p->resetting)
		return;
	conn_shutdown(other->c);
	other->wr_shut = true;
	half_closed(p, e->idx);
}

static size_t
copy_on_data(struct conn *c, const void *data, size_t len, void *arg)
{
	struct relay_end *e = arg;
	struct relay_pair *p = e->p;
	struct relay_end *other = &p->e[1 - e->idx];
	struct relay_verdict v;

	(void)c;
	if (e->cut)
		return len;
	if (other->stdio) {
		/* Bytes that came before an error still go out. */
		p->bytes[e->idx] += len;
		p->last_active = clock_mono_ms();
		if (!other->wr_gone &&
		    buf_append(other->outq, data, len) == -1) {
			end_failed(p, e->idx, "receive", ENOMEM);
			return len;
		}
		if (buf_len(other->outq) >= p->r->o.buffer &&
		    !p->sock_paused && e->c != NULL) {
			p->sock_paused = true;
			conn_pause_read(e->c);
			note_paused(p, e->idx);
		}
		stdio_update(p);
		return len;
	}
	if (p->r->o.on_chunk == NULL) {
		p->bytes[e->idx] += len;
		p->last_active = clock_mono_ms();
		if (other->c != NULL && !p->resetting)
			(void)conn_send(other->c, data, len);
		return len;
	}
	ask_hook(p, e->idx, data, len, &v);
	p->bytes[e->idx] += len;
	p->last_active = clock_mono_ms();
	if (other->c != NULL && !p->resetting && v.pass > 0)
		(void)conn_send(other->c, data, v.pass);
	if (v.action == RELAY_CUT_FIN && other->c != NULL && !p->resetting &&
	    !other->wr_shut) {
		e->cut = true;
		conn_shutdown(other->c);
		other->wr_shut = true;
		half_closed(p, e->idx);
	} else {
		apply_cut(p, e->idx, v.action);
	}
	return len;
}

static void
copy_on_peer_eof(struct conn *c, void *arg)
{
	(void)c;
	copy_end_eof(arg);
}

static void
copy_on_high_water(struct conn *c, size_t queued, void *arg)
{
	struct relay_end *e = arg;
	struct relay_end *other = &e->p->e[1 - e->idx];

	(void)c;
	(void)queued;
	note_paused(e->p, other->idx);
	if (other->stdio) {
		other->blocked = true;
		stdio_update(e->p);
	} else if (other->c != NULL) {
		conn_pause_read(other->c);
	}
}

static void
copy_on_drain(struct conn *c, void *arg)
{
	struct relay_end *e = arg;
	struct relay_pair *p = e->p;
	struct relay_end *other = &p->e[1 - e->idx];

	(void)c;
	if (other->stdio) {
		other->blocked = false;
		stdio_update(p);
	} else if (other->c != NULL && !p->resetting && !other->cut) {
		conn_resume_read(other->c);
	}
}

static void
copy_on_close(struct conn *c, enum conn_end why, enum outcome o, void *arg)
{
	struct relay_end *e = arg;
	struct relay_pair *p = e->p;
	int err = errno;

	e->sent_final = conn_bytes_out(c);
	if (!e->cut)
		p->bytes[e->idx] = conn_bytes_in(c);
	e->c = NULL;
	e->fd = -1;
	e->closed = true;
	switch (why) {
	case CONN_END_PEER_EOF:
		copy_end_eof(e);
		break;
	case CONN_END_LOCAL_CLOSE:
		break;
	case CONN_END_SEND_ERROR:
	case CONN_END_RECV_ERROR:
		if (o == OUTCOME_RESET)
			err = ECONNRESET;
		else if (o == OUTCOME_BROKEN_PIPE)
			err = EPIPE;
		else if (o == OUTCOME_TIMEOUT)
			err = ETIMEDOUT;
		else if (err == 0)
			err = EIO;
		e->closed = false;	/* end_failed closes it (no-op) */
		end_failed(p, e->idx, why == CONN_END_SEND_ERROR ? "send" :
		    "receive", err);
		e->closed = true;
		break;
	}
	pair_check_done(p);
}

static const struct conn_callbacks copy_cb = {
	.on_data = copy_on_data,
	.on_peer_eof = copy_on_peer_eof,
	.on_high_water = copy_on_high_water,
	.on_drain = copy_on_drain,
	.on_close = copy_on_close,
};

/* relay_pair_add with TLS on end 0 when tls0 is not NULL (copy only). */
static struct relay_pair *
pair_add(struct relay *r, int fd0, struct tls_conn *tls0, int fd1,
    void *pair_arg, char *errbuf)
{
	struct relay_pair *p;
	int x;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		struct close_report rep;

		errbuf_set(errbuf, "out of memory for a connection");
		close_abort(fd0, &rep);
		close_abort(fd1, &rep);
		return NULL;
	}
	p->r = r;
	p->arg = pair_arg;
	p->next = r->pairs;
	if (r->pairs != NULL)
		r->pairs->prev = p;
	r->pairs = p;
	p->quit_deadline = -1;
	p->failed_side = -1;
	p->outcome = OUTCOME_OK;
	p->last_active = clock_mono_ms();
	p->e[0].fd = fd0;
	p->e[1].fd = fd1;
	for (x = 0; x < 2; x++) {
		p->e[x].p = p;
		p->e[x].idx = x;
	}
	if (r->o.splice) {
		sock_set_nonblock(fd0, true);
		sock_set_nonblock(fd1, true);
		pair_run(p);
		return p;
	}
	for (x = 0; x < 2; x++) {
		struct relay_end *e = &p->e[x];

		e->c = conn_new(r->loop, e->fd, &copy_cb, e, errbuf);
		if (e->c == NULL) {
			end_failed(p, x, "setup", errno);
			return NULL;
		}
		conn_set_half_close(e->c, true);
		conn_set_water_marks(e->c, r->o.buffer, r->o.buffer / 2);
		if (x == 0 && tls0 != NULL)
			conn_set_tls(e->c, tls0);
	}
	arm_deadline(p);
	return p;
}

struct relay_pair *
relay_pair_add(struct relay *r, int fd0, int fd1, void *pair_arg,
    char *errbuf)
{
	return pair_add(r, fd0, NULL, fd1, pair_arg, errbuf);
}

struct relay_pair *
relay_pair_add_tls(struct relay *r, struct tls_conn *tls0, int fd1,
    void *pair_arg, char *errbuf)
{
	if (r->o.splice) {
		struct close_report rep;

		errbuf_set(errbuf, "relay: TLS needs copy, not splice");
		close_abort(tls_conn_fd(tls0), &rep);
		close_abort(fd1, &rep);
		errno = EINVAL;
		return NULL;
	}
	return pair_add(r, tls_conn_fd(tls0), tls0, fd1, pair_arg, errbuf);
}

/* ---- stdio <-> socket (nc mode) ---- */

static bool
stdio_want_read(const struct relay_pair *p)
{
	const struct relay_end *s = &p->e[0], *k = &p->e[1];

	return !p->ended && !s->rd_eof && !s->blocked && !p->resetting &&
	    k->c != NULL && !k->wr_shut;
}

static bool
stdio_want_write(const struct relay_pair *p)
{
	const struct relay_end *s = &p->e[0];

	return !p->ended && !s->wr_gone && buf_len(s->outq) > 0;
}

static void
stdio_unwatch(struct relay_pair *p)
{
	struct relay_end *s = &p->e[0];
	struct evloop *loop = p->r->loop;

	if (s->rd_watched)
		evloop_del(loop, s->rfd);
	if (s->wr_watched)
		evloop_del(loop, s->wfd);
	s->rd_watched = s->wr_watched = false;
	evloop_timer_clear(loop, &p->stdio_timer);
}

/* The socket is gone and wfd has everything: the pair is over. */
static bool
stdio_done_check(struct relay_pair *p)
{
	struct relay_end *s = &p->e[0], *k = &p->e[1];

	if (p->ended || !k->closed || k->c != NULL || stdio_want_write(p))
		return false;
	s->rd_eof = true;
	s->closed = true;
	pair_end(p);
	return true;
}

/* Everything read from rfd is in the socket: close it as eof_close says. */
static void
stdio_close_sock(struct evloop *loop, void *arg)
{
	struct relay_pair *p = arg;
	struct relay_end *k = &p->e[1];
	int inq;

	p->flush_timer = 0;
	if (k->c == NULL || p->ended || p->resetting)
		return;
	if (conn_out_queued(k->c) > 0) {
		p->flush_timer = evloop_timer_add(loop, FLUSH_POLL_MS,
		    stdio_close_sock, p);
		return;
	}
	k->wr_shut = true;
	inq = sockopt_inq(conn_fd(k->c));
	p->unread = inq > 0 ? (uint64_t)inq : 0;
	emit(p, RELAY_EV_EOF, 0, NULL, 0, OUTCOME_EOF);
	p->resetting = true;	/* nothing more is read from the socket */
	conn_close(k->c, p->r->o.eof_close, 0);
}

/* rfd is at EOF (or failed): pass it on as eof_close says. */
static void
stdio_eof(struct relay_pair *p)
{
	struct relay_end *s = &p->e[0], *k = &p->e[1];
	int64_t quit_ms = p->r->o.quit_ms;

	s->rd_eof = true;
	if (k->c == NULL || p->resetting)
		return;
	if (p->r->o.eof_close != CLOSE_GRACEFUL) {
		stdio_close_sock(p->r->loop, p);
		return;
	}
	conn_shutdown(k->c);
	k->wr_shut = true;
	emit(p, RELAY_EV_EOF, 0, NULL, 0, OUTCOME_EOF);
	if (quit_ms >= 0 && p->quit_deadline < 0) {
		p->quit_deadline = clock_mono_ms() +
		    (quit_ms > 0 ? quit_ms : 1);
		arm_deadline(p);
	}
}

/*
 * Send buf with each LF not already after a CR as CR LF (nc -C: line
 * ends for a CRLF protocol). *cr: the byte before buf was a CR.
 */
static void
send_crlf(struct conn *c, const char *buf, size_t len, bool *cr)
{
	const char *lf;
	size_t head;

	while (len > 0 && (lf = memchr(buf, '\n', len)) != NULL) {
		head = (size_t)(lf - buf);
		if ((head > 0 ? buf[head - 1] == '\r' : *cr)) {
			/* Already CR LF: the LF goes with what is before. */
			if (conn_send(c, buf, head + 1) < 0)
				return;
		} else if ((head > 0 && conn_send(c, buf, head) < 0) ||
		    conn_send(c, "\r\n", 2) < 0) {
			return;
		}
		*cr = false;
		len -= head + 1;
		buf = lf + 1;
	}
	if (len > 0) {
		*cr = buf[len - 1] == '\r';
		(void)conn_send(c, buf, len);
	}
}

static void
stdio_read(struct relay_pair *p)
{
	struct relay_end *s = &p->e[0], *k = &p->e[1];
	struct relay_verdict v;
	ssize_t n;

	if (!stdio_want_read(p))
		return;
	if (s->rfd < 0) {
		stdio_eof(p);
		return;
	}
	n = read(s->rfd, s->rbuf, p->r->o.buffer);
	if (n > 0) {
		ask_hook(p, 0, s->rbuf, (size_t)n, &v);
		p->bytes[0] += (uint64_t)n;
		p->last_active = clock_mono_ms();
		if (v.pass > 0 && p->r->o.crlf)
			send_crlf(k->c, s->rbuf, v.pass, &p->crlf_cr);
		else if (v.pass > 0)
			(void)conn_send(k->c, s->rbuf, v.pass);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0)
		emit(p, RELAY_EV_ERROR, 0, "read", errno,
		    outcome_from_errno(errno));
	stdio_eof(p);
}

/*
 * Writing wfd failed (EPIPE: its reader is gone): nothing more can be
 * delivered, so stop. The socket gets an RST unless both directions were
 * done: a FIN would claim we read everything its peer sent.
 */
static void
stdio_write_failed(struct relay_pair *p, int err)
{
	struct relay_end *s = &p->e[0], *k = &p->e[1];
	bool both_done = k->rd_eof && k->wr_shut;

	s->wr_gone = true;
	buf_consume(s->outq, buf_len(s->outq));
	p->resetting = true;
	emit(p, RELAY_EV_ERROR, 0, "write", err, outcome_from_errno(err));
	if (k->c != NULL)
		conn_close(k->c, both_done ? CLOSE_GRACEFUL : CLOSE_ABORT,
		    both_done ? 1 : 0);
}

static void
stdio_write(struct relay_pair *p)
{
	struct relay_end *s = &p->e[0], *k = &p->e[1];
	ssize_t n;

	while (stdio_want_write(p)) {
		n = write(s->wfd, buf_data(s->outq), buf_len(s->outq));
		if (n > 0) {
			buf_consume(s->outq, (size_t)n);
			s->written += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		stdio_write_failed(p, n < 0 ? errno : EIO);
		return;
	}
	if (p->sock_paused && k->c != NULL &&
	    buf_len(s->outq) < p->r->o.buffer) {
		p->sock_paused = false;
		conn_resume_read(k->c);
	}
}

static void
stdio_on_read(struct evloop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	stdio_read(arg);
	stdio_update(arg);
}

static void
stdio_on_write(struct evloop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	stdio_write(arg);
	stdio_update(arg);
}

/* Files epoll cannot watch are always ready: serve them from a timer. */
static void
stdio_kick(struct evloop *loop, void *arg)
{
	struct relay_pair *p = arg;
	struct relay_end *s = &p->e[0];

	(void)loop;
	p->stdio_timer = 0;
	if ((s->rd_always || s->rfd < 0) && stdio_want_read(p))
		stdio_read(p);
	if (s->wr_always && stdio_want_write(p))
		stdio_write(p);
	stdio_update(p);
}

/*
 * Watch fd for ev (EV_READ: stdio_on_read, EV_WRITE: stdio_on_write) while
 * want, or stop; one that cannot be watched (a file: EPERM) is *always
 * ready from then on, and read() or write() says.
 */
static void
stdio_watch(struct relay_pair *p, int fd, unsigned ev, bool want,
    bool *watched, bool *always)
{
	struct evloop *loop = p->r->loop;

	if (*always)
		return;
	if (want && !*watched) {
		if (evloop_add(loop, fd, ev, ev == EV_READ ? stdio_on_read :
		    stdio_on_write, p) == 0)
			*watched = true;
		else
			*always = true;
	} else if (!want && *watched) {
		evloop_del(loop, fd);
		*watched = false;
	}
}

/* Watch rfd and wfd for what the pair wants now; end it when done. */
static void
stdio_update(struct relay_pair *p)
{
	struct relay_end *s = &p->e[0];
	struct evloop *loop = p->r->loop;
	bool rd = stdio_want_read(p), wr = stdio_want_write(p);

	if (p->ended)
		return;
	if (s->rfd >= 0)
		stdio_watch(p, s->rfd, EV_READ, rd, &s->rd_watched,
		    &s->rd_always);
	stdio_watch(p, s->wfd, EV_WRITE, wr, &s->wr_watched, &s->wr_always);
	if ((((s->rd_always || s->rfd < 0) && rd) || (s->wr_always && wr)) &&
	    p->stdio_timer == 0)
		p->stdio_timer = evloop_timer_add(loop, 0, stdio_kick, p);
	pair_check_done(p);
}

/* relay_pair_add_stdio with TLS on the socket when tls is not NULL. */
static struct relay_pair *
stdio_pair_add(struct relay *r, int rfd, int wfd, int sock,
    struct tls_conn *tls, void *pair_arg, char *errbuf)
{
	struct close_report rep;
	struct relay_pair *p;
	struct relay_end *s, *k;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->e[0].outq = buf_new(65536)) == NULL ||
	    (p->e[0].rbuf = malloc(r->o.buffer)) == NULL) {
		if (p != NULL) {
			buf_free(p->e[0].outq);
			free(p);
		}
		errbuf_set(errbuf, "out of memory for a connection");
		close_abort(sock, &rep);
		return NULL;
	}
	p->r = r;
	p->arg = pair_arg;
	p->stdio = true;
	p->quit_deadline = -1;
	p->failed_side = -1;
	p->outcome = OUTCOME_OK;
	p->last_active = clock_mono_ms();
	s = &p->e[0];
	k = &p->e[1];
	s->p = p;
	s->idx = 0;
	s->stdio = true;
	s->fd = -1;
	s->rfd = rfd;
	s->wfd = wfd;
	k->p = p;
	k->idx = 1;
	k->fd = sock;
	k->c = conn_new(r->loop, sock, &copy_cb, k, errbuf);
	if (k->c == NULL) {
		close_abort(sock, &rep);
		buf_free(s->outq);
		free(s->rbuf);
		free(p);
		return NULL;
	}
	conn_set_half_close(k->c, true);
	conn_set_water_marks(k->c, r->o.buffer, r->o.buffer / 2);
	if (tls != NULL)
		conn_set_tls(k->c, tls);
	p->next = r->pairs;
	if (r->pairs != NULL)
		r->pairs->prev = p;
	r->pairs = p;
	stdio_update(p);
	arm_deadline(p);
	return p;
}

struct relay_pair *
relay_pair_add_stdio(struct relay *r, int rfd, int wfd, int sock,
    void *pair_arg, char *errbuf)
{
	return stdio_pair_add(r, rfd, wfd, sock, NULL, pair_arg, errbuf);
}

struct relay_pair *
relay_pair_add_stdio_tls(struct relay *r, int rfd, int wfd,
    struct tls_conn *tls, void *pair_arg, char *errbuf)
{
	if (r->o.splice) {
		struct close_report rep;

		errbuf_set(errbuf, "relay: TLS needs copy, not splice");
		close_abort(tls_conn_fd(tls), &rep);
		errno = EINVAL;
		return NULL;
	}
	return stdio_pair_add(r, rfd, wfd, tls_conn_fd(tls), tls, pair_arg,
	    errbuf);
}

void
relay_pair_abort(struct relay_pair *p)
{
	if (p->r->o.io == RELAY_IO_THREADS) {
		pthread_mutex_lock(&p->mu);
		if (!p->aborting) {
			p->aborting = true;
			p->failed_side = -1;
		}
		pthread_mutex_unlock(&p->mu);
		shutdown(p->e[0].fd, SHUT_RD);
		shutdown(p->e[1].fd, SHUT_RD);
		return;
	}
	pair_abort_now(p, NULL);
}

void
relay_free(struct relay *r)
{
	struct relay_pair *p, *next;

	if (r == NULL)
		return;
	/* Pairs still open were not relayed to their end: reset them. */
	for (p = r->pairs; p != NULL; p = p->next) {
		if (p->ended)
			continue;
		p->resetting = true;
		evloop_timer_clear(r->loop, &p->flush_timer);
		evloop_timer_clear(r->loop, &p->deadline_timer);
		p->ended = true;	/* no more events or timers */
		if (p->stdio)
			stdio_unwatch(p);
		end_close(&p->e[0], CLOSE_ABORT);
		end_close(&p->e[1], CLOSE_ABORT);
	}
	for (p = r->pairs; p != NULL; p = next) {
		next = p->next;
		pair_free(p);
	}
	free(r);
}

/* ==== thread per direction ==== */

struct dir_arg {
	struct relay_pair *p;
	int from;
};

/*
 * Record the first failure and wake the other direction's thread: it may
 * sit in a blocking read of the end that did not fail. side -1: a
 * deadline (during says which).
 */
static void
thr_abort(struct relay_pair *p, int side, const char *during, int err)
{
	bool first;

	pthread_mutex_lock(&p->mu);
	first = !p->aborting;
	p->aborting = true;
	if (first)
		p->failed_side = side;
	pthread_mutex_unlock(&p->mu);
	if (!first)
		return;
	if (side < 0) {
		if (during != NULL) {
			p->outcome = OUTCOME_TIMEOUT;
			emit(p, RELAY_EV_DEADLINE, -1, during, 0,
			    OUTCOME_TIMEOUT);
		}
	} else if (during != NULL) {
		p->outcome = outcome_from_errno(err);
		emit(p, RELAY_EV_ERROR, side, during, err, p->outcome);
	}
	/*
	 * Wake the thread that reads the other end. The failed end's
	 * reader is not cut short: what that end sent before its RST is
	 * still queued, comes first, and is passed on. With leave_open
	 * the sockets are left alone: the pipe wakes both readers.
	 */
	if (p->r->o.leave_open) {
		if (write(p->wake[1], "x", 1) < 0) {
			/* Full: the readers are awake already. */
		}
	} else if (side < 0) {
		shutdown(p->e[0].fd, SHUT_RD);
		shutdown(p->e[1].fd, SHUT_RD);
	} else {
		shutdown(p->e[1 - side].fd, SHUT_RD);
	}
}

static bool
thr_aborting(struct relay_pair *p)
{
	bool a;

	pthread_mutex_lock(&p->mu);
	a = p->aborting;
	pthread_mutex_unlock(&p->mu);
	return a;
}

/*
 * Wait until fd is readable or a deadline passes. Returns 1 to read (also
 * when the pair is aborting, unless leave_open), 0 to stop (a deadline,
 * already reported, or with leave_open an abort or a stop).
 */
static int
thr_wait_readable(struct relay_pair *p, int fd)
{
	const struct relay_opts *o = &p->r->o;
	struct pollfd pfd[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = p->wake[0], .events = POLLIN },
	};
	int64_t idle_ms = o->idle_ms, quit_ms = o->quit_ms;
	int64_t first, quit, now, wake;
	int rc;

	if (idle_ms <= 0 && quit_ms < 0 && !o->leave_open)
		return 1;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		quit = p->quit_deadline;
		first = idle_ms > 0 ? p->last_active + idle_ms : -1;
		pthread_mutex_unlock(&p->mu);
		if (quit >= 0 && (first < 0 || quit < first))
			first = quit;
		if (thr_aborting(p))
			return o->leave_open ? 0 : 1;	/* the read decides */
		if (o->stopped != NULL && o->stopped(o->arg)) {
			thr_abort(p, -1, NULL, 0);
			return 0;
		}
		now = clock_mono_ms();
		if (first >= 0 && now >= first) {
			thr_abort(p, -1, quit >= 0 && now >= quit ? "-q" :
			    "-w idle", 0);
			return 0;
		}
		/* quit starts when the other direction half-closes, maybe
		   while we wait here: look again soon. */
		wake = first;
		if (quit_ms >= 0 && quit < 0 &&
		    (wake < 0 || wake > now + QUIT_POLL_MS))
			wake = now + QUIT_POLL_MS;
		if (o->stopped != NULL && (wake < 0 || wake > now + 100))
			wake = now + 100;
		if (wake < 0 && !o->leave_open)
			return 1;
		rc = poll(pfd, o->leave_open ? 2 : 1,
		    wake < 0 ? -1 : (int)(wake - now));
		if (rc > 0 && pfd[0].revents != 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return 1;	/* let read() report it */
	}
}

/* The direction from `from` is over: FIN the other end. */
static bool
thr_pass_fin(struct relay_pair *p, int from)
{
	int dst = p->e[1 - from].fd;

	if (shutdown(dst, SHUT_WR) == -1) {
		thr_abort(p, 1 - from, "shutdown", errno);
		return false;
	}
	emit(p, RELAY_EV_EOF, from, NULL, 0, OUTCOME_EOF);
	pthread_mutex_lock(&p->mu);
	p->done[from] = true;
	if (p->r->o.quit_ms >= 0 && !p->done[1 - from])
		p->quit_deadline = clock_mono_ms() + p->r->o.quit_ms;
	pthread_mutex_unlock(&p->mu);
	return true;
}

/* The hook's slow close: hold the FIN. Returns false when the pair
   aborted meanwhile. */
static bool
thr_fin_wait(struct relay_pair *p, int from)
{
	const struct relay_opts *o = &p->r->o;
	int64_t until;

	if (o->fin_delay == NULL)
		return true;
	until = clock_mono_ms() + o->fin_delay(p, from, o->arg);
	while (!thr_aborting(p) && clock_mono_ms() < until) {
		int64_t ms = until - clock_mono_ms();

		(void)poll(NULL, 0, ms > 50 ? 50 : (int)ms);
	}
	return !thr_aborting(p);
}

/* Send n bytes of buf to the other end. Returns false to stop (failure
   reported). */
static bool
thr_forward(struct relay_pair *p, int from, const char *buf, size_t n)
{
	int dst = p->e[1 - from].fd;
	enum outcome o;

	if (n > 0 && sock_send_all(dst, buf, n, &o) < n) {
		if (!thr_aborting(p))
			thr_abort(p, 1 - from, "send", errno);
		return false;
	}
	return true;
}

/*
 * Chunks the hook delayed, in order, each sent when due while the
 * direction goes on reading (up to DELAY_READS reads held).
 */
#define DELAY_READS 16

struct delayq {
	struct buf *q;
	struct { int64_t due; size_t len; } *c;
	size_t n, cap;
};

static int
delayq_push(struct delayq *d, const void *data, size_t len, int64_t due)
{
	if (d->q == NULL && (d->q = buf_new(len > 0 ? len : 1)) == NULL)
		return -1;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		void *c = realloc(d->c, cap * sizeof(*d->c));

		if (c == NULL)
			return -1;
		d->c = c;
		d->cap = cap;
	}
	if (buf_append(d->q, data, len) == -1)
		return -1;
	d->c[d->n].due = due;
	d->c[d->n].len = len;
	d->n++;
	return 0;
}

/* Milliseconds until the first chunk is due (0: now), -1 when empty. */
static int
delayq_wait_ms(const struct delayq *d)
{
	int64_t ms;

	if (d->n == 0)
		return -1;
	ms = d->c[0].due - clock_mono_ms();
	return ms > 0 ? (int)ms : 0;
}

/* Send the chunks that are due (all: every one, waiting for each).
   Returns false to stop (failure reported). */
static bool
delayq_send(struct relay_pair *p, int from, struct delayq *d, bool all)
{
	int ms;

	while ((ms = delayq_wait_ms(d)) >= 0) {
		if (ms > 0) {
			if (!all)
				return true;
			(void)poll(NULL, 0, ms);
			continue;
		}
		if (!thr_forward(p, from, buf_data(d->q), d->c[0].len))
			return false;
		buf_consume(d->q, d->c[0].len);
		memmove(d->c, d->c + 1, (d->n - 1) * sizeof(*d->c));
		d->n--;
	}
	return true;
}

/*
 * Wait for src while delayed chunks are held: send them when due, read
 * meanwhile while fewer than DELAY_READS reads are held. Returns 1 to
 * read, 0 to look again, -1 to stop.
 */
static int
delayq_wait(struct relay_pair *p, int from, struct delayq *d, int src)
{
	struct pollfd pfd[2] = {
		{ .fd = src, .events = POLLIN },
		{ .fd = p->wake[0], .events = POLLIN },
	};
	int ms = delayq_wait_ms(d), rc;

	if (ms == 0)
		return delayq_send(p, from, d, false) ? 0 : -1;
	if (buf_len(d->q) >= DELAY_READS * p->r->o.buffer) {
		(void)poll(NULL, 0, ms);
		return 0;
	}
	rc = poll(pfd, p->wake[0] >= 0 ? 2 : 1, ms);
	if (thr_aborting(p))
		return -1;
	return rc > 0 && pfd[0].revents != 0 ? 1 : 0;
}

/* Copy end `from` to the other end until EOF or failure. */
static void *
thr_direction(void *arg)
{
	struct dir_arg *d = arg;
	struct relay_pair *p = d->p;
	const struct relay_opts *o = &p->r->o;
	int src = p->e[d->from].fd, dst = p->e[1 - d->from].fd;
	struct splice_pipe *pipe = NULL;
	struct relay_verdict v;
	char errbuf[ERRBUF_LEN];
	struct delayq dq = { 0 };
	char *buf = NULL;
	size_t want;
	ssize_t n;
	int rc;

	if (o->splice) {
		if ((pipe = splice_pipe_new(o->buffer, errbuf)) == NULL) {
			thr_abort(p, d->from, "splice pipe", errno);
			return NULL;
		}
	} else if ((buf = malloc(o->buffer)) == NULL) {
		thr_abort(p, d->from, "buffer", ENOMEM);
		return NULL;
	}
	for (;;) {
		if (dq.n > 0) {
			if ((rc = delayq_wait(p, d->from, &dq, src)) == -1)
				break;
			if (rc == 0)
				continue;
		} else if (thr_wait_readable(p, src) == 0) {
			break;
		}
		want = o->buffer;
		if (o->read_limit != NULL && pipe == NULL) {
			want = o->read_limit(p, d->from, o->arg);
			if (want > o->buffer)
				want = o->buffer;
			if (want == 0) {
				/* The hook holds this end: wait for the
				   pair to end. */
				struct pollfd pfd = { src, 0, 0 };

				if (thr_aborting(p))
					break;
				(void)poll(&pfd, 1, QUIT_POLL_MS);
				continue;
			}
		}
		if (pipe != NULL)
			n = splice_pipe_fill(pipe, src);
		else
			n = read(src, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && pipe != NULL)
			continue;
		/* After a failure only the failed end's last bytes move. */
		if (thr_aborting(p) && (p->failed_side != d->from || n <= 0))
			break;
		if (n < 0) {
			thr_abort(p, d->from, "receive", errno);
			break;
		}
		if (n == 0) {
			/* The half-close travels: FIN after every byte. */
			if (delayq_send(p, d->from, &dq, true) &&
			    thr_fin_wait(p, d->from))
				thr_pass_fin(p, d->from);
			break;
		}
		if (o->on_chunk != NULL) {
			pthread_mutex_lock(&p->mu);
			ask_hook(p, d->from, buf, (size_t)n, &v);
			pthread_mutex_unlock(&p->mu);
		} else {
			v = (struct relay_verdict){ (size_t)n, 0,
			    RELAY_FORWARD };
		}
		if (pipe != NULL) {
			if (splice_pipe_drain_all(pipe, dst) == -1) {
				if (!thr_aborting(p))
					thr_abort(p, 1 - d->from, "send",
					    errno);
				break;
			}
		} else if (v.delay_ms > 0 || dq.n > 0) {
			if (delayq_push(&dq, buf, v.pass, clock_mono_ms() +
			    v.delay_ms) == -1) {
				thr_abort(p, d->from, "buffer", ENOMEM);
				break;
			}
		} else if (!thr_forward(p, d->from, buf, v.pass)) {
			break;
		}
		pthread_mutex_lock(&p->mu);
		p->bytes[d->from] += (uint64_t)n;
		p->last_active = clock_mono_ms();
		pthread_mutex_unlock(&p->mu);
		if (v.action != RELAY_FORWARD &&
		    !delayq_send(p, d->from, &dq, true))
			break;
		if (v.action == RELAY_CUT_FIN) {
			thr_pass_fin(p, d->from);
			/* Drain and drop the rest until EOF. */
			while ((n = read(src, buf, o->buffer)) > 0 ||
			    (n < 0 && errno == EINTR))
				;
			break;
		}
		if (v.action == RELAY_CUT_RST) {
			thr_abort(p, -1, NULL, 0);
			break;
		}
		if (v.action == RELAY_CUT_HOLD) {
			if (o->leave_open)
				thr_abort(p, -1, NULL, 0);
			break;
		}
	}
	buf_free(dq.q);
	free(dq.c);
	free(buf);
	splice_pipe_free(pipe);
	return NULL;
}

/* Wait (bounded) until fd's send queue is empty, so the RST follows it. */
static void
thr_wait_flushed(int fd, int ms)
{
	int64_t until = clock_mono_ms() + ms;

	while (sockopt_outq(fd) > 0 && clock_mono_ms() < until)
		usleep(2000);
}

/* Both directions are over: close the way the pair ended. */
static void
thr_finish(struct relay_pair *p)
{
	struct close_report rep;
	int x = p->failed_side;

	if (p->r->o.leave_open) {
		/* The caller's to close. */
	} else if (!p->aborting) {
		close_graceful(p->e[0].fd, NULL, 0, 1, NULL, NULL, &rep);
		close_graceful(p->e[1].fd, NULL, 0, 1, NULL, NULL, &rep);
	} else if (x >= 0) {
		/* What the failed end sent before is delivered, then RST. */
		close_abort(p->e[x].fd, &rep);
		thr_wait_flushed(p->e[1 - x].fd, p->r->o.rst_flush_ms);
		close_abort(p->e[1 - x].fd, &rep);
	} else {
		close_abort(p->e[0].fd, &rep);
		close_abort(p->e[1].fd, &rep);
	}
	emit(p, RELAY_EV_END, -1, NULL, 0, p->outcome);
}

enum outcome
relay_pair_run(struct relay *r, int fd0, int fd1, void *pair_arg)
{
	struct relay_pair *p;
	struct dir_arg down, upd;
	pthread_attr_t attr;
	enum outcome oc;
	pthread_t t;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		struct close_report rep;

		close_abort(fd0, &rep);
		close_abort(fd1, &rep);
		return OUTCOME_ERROR;
	}
	pthread_mutex_init(&p->mu, NULL);
	p->r = r;
	p->arg = pair_arg;
	p->e[0].fd = fd0;
	p->e[1].fd = fd1;
	p->failed_side = -1;
	p->quit_deadline = -1;
	p->outcome = OUTCOME_OK;
	p->wake[0] = p->wake[1] = -1;
	if (r->o.leave_open && pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		p->wake[0] = p->wake[1] = -1;
		p->outcome = OUTCOME_ERROR;
		emit(p, RELAY_EV_ERROR, 0, "pipe", errno, OUTCOME_ERROR);
		emit(p, RELAY_EV_END, -1, NULL, 0, OUTCOME_ERROR);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return OUTCOME_ERROR;
	}
	sock_set_nonblock(fd0, false);
	sock_set_nonblock(fd1, false);
	if (r->o.idle_ms > 0) {
		/* -w also bounds a send the peer does not take. */
		struct timeval tv = { r->o.idle_ms / 1000,
		    (r->o.idle_ms % 1000) * 1000 };

		setsockopt(fd0, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd1, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	p->last_active = clock_mono_ms();
	down = (struct dir_arg){ p, 1 };
	upd = (struct dir_arg){ p, 0 };
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128u << 10);
	rc = pthread_create(&t, &attr, thr_direction, &down);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		p->aborting = true;
		p->failed_side = -1;
		p->outcome = OUTCOME_ERROR;
		emit(p, RELAY_EV_ERROR, 1, "thread", rc, OUTCOME_ERROR);
		thr_finish(p);
	} else {
		thr_direction(&upd);
		pthread_join(t, NULL);
		thr_finish(p);
	}
	oc = p->outcome;
	if (p->wake[0] >= 0) {
		close(p->wake[0]);
		close(p->wake[1]);
	}
	pthread_mutex_destroy(&p->mu);
	free(p);
	return oc;
}
