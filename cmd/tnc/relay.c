/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc --relay on one epoll loop: copy (conn) or splice, half-close and RST. */
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "errbuf.h"
#include "evloop.h"
#include "sock.h"
#include "sockopt.h"
#include "splice.h"
#include "relay.h"
#include "tnc.h"

/* Poll period while waiting for a side's send queue to empty before RST. */
#define FLUSH_POLL_MS 2
/* Retry period after accept ran out of file descriptors. */
#define ACCEPT_RETRY_MS 100

struct relay_totals relay_totals;

struct pair;

/* One end of a pair; the evloop and conn callbacks get this. */
struct side {
	struct pair *p;
	int idx;			/* SIDE_CLIENT or SIDE_UPSTREAM */
	int fd;				/* -1 once closed */
	struct conn *c;			/* copy engine */
	struct splice_pipe *pipe;	/* splice engine: from this side */
	bool watched;			/* fd is in the loop (splice) */
	unsigned interest;
	bool rd_eof;			/* this side's FIN was read */
	bool wr_shut;			/* our FIN to this side is out */
	bool blocked;			/* pipe slots full (splice) */
	bool hup;			/* error or hang-up reported */
	bool closed;
};

struct pair {
	struct relay *r;
	struct relay_report rep;
	struct side s[2];
	const struct addrinfo *ai;	/* upstream address being tried */
	bool connecting;
	bool resetting;			/* an RST is being passed on */
	int flush_to;			/* side being flushed before RST */
	int64_t flush_deadline;
	uint64_t flush_timer;
	uint64_t deadline_timer;	/* -w / -q */
	int64_t deadline_at;		/* when deadline_timer fires */
	int64_t last_active;		/* for -w */
	int64_t connect_deadline;	/* -w while connecting */
	int64_t quit_deadline;		/* -q after the 1st half-close */
	enum outcome outcome;
	bool ended;
	struct pair *prev, *next;	/* every pair not yet freed */
};

struct relay {
	struct evloop *loop;
	int lfd;
	const struct addrinfo *up;
	int sigfd;
	uint64_t next_id;
	int exit_status;
	bool accept_paused;
	struct pair *pairs;		/* list of pairs not yet freed */
};

static void pair_try_connect(struct pair *p);
static void pair_run(struct pair *p);
static void pair_check_done(struct pair *p);
static void splice_on_event(struct evloop *loop, int fd, unsigned events,
    void *arg);

const char *
relay_side_name(int side)
{
	return side == SIDE_CLIENT ? "client" : "upstream";
}

enum outcome
relay_report_error(const struct relay_report *r, int side,
    const char *during, int err)
{
	enum outcome o = outcome_from_errno(err);
	int other = 1 - side;

	if (o == OUTCOME_RESET || o == OUTCOME_BROKEN_PIPE)
		__atomic_add_fetch(&relay_totals.resets[side], 1,
		    __ATOMIC_RELAXED);
	else if (o == OUTCOME_TIMEOUT)
		__atomic_add_fetch(&relay_totals.deadlines, 1,
		    __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&relay_totals.failed, 1, __ATOMIC_RELAXED);
	tnc_event("#%llu %s %s %s (%s) on %s after %llu bytes from %s, "
	    "%llu to it -> RST to %s", (unsigned long long)r->id,
	    relay_side_name(side), r->peer[side], outcome_name(o),
	    errno_name(err), during, (unsigned long long)r->bytes[side],
	    relay_side_name(side), (unsigned long long)r->bytes[other],
	    relay_side_name(other));
	if (!cfg.keep)
		warnx("#%llu: %s %s: %s (%s) on %s after %llu bytes from "
		    "it, %llu bytes to it; RST sent to %s %s",
		    (unsigned long long)r->id, relay_side_name(side),
		    r->peer[side], outcome_name(o), errno_name(err), during,
		    (unsigned long long)r->bytes[side],
		    (unsigned long long)r->bytes[other],
		    relay_side_name(other), r->peer[other]);
	return o;
}

void
relay_report_end(const struct relay_report *r, enum outcome o)
{
	__atomic_add_fetch(&relay_totals.bytes[0], r->bytes[0],
	    __ATOMIC_RELAXED);
	__atomic_add_fetch(&relay_totals.bytes[1], r->bytes[1],
	    __ATOMIC_RELAXED);
	__atomic_sub_fetch(&relay_totals.active, 1, __ATOMIC_RELAXED);
	tnc_event("#%llu closed (%s): %llu bytes client->upstream, %llu "
	    "bytes upstream->client", (unsigned long long)r->id,
	    outcome_name(o), (unsigned long long)r->bytes[0],
	    (unsigned long long)r->bytes[1]);
	if (cfg.verbose > 1 && (r->paused[0] || r->paused[1]))
		tnc_event("#%llu backpressure: reading paused %llu times on "
		    "the client, %llu times on upstream",
		    (unsigned long long)r->id,
		    (unsigned long long)r->paused[0],
		    (unsigned long long)r->paused[1]);
}

void
relay_paused(struct relay_report *r, int side)
{
	if (r->paused[side]++ == 0 && cfg.verbose > 1)
		tnc_event("#%llu backpressure: %s's queue is full, reading "
		    "the %s paused", (unsigned long long)r->id,
		    relay_side_name(1 - side), relay_side_name(side));
}

void
relay_print_summary(void)
{
	const struct relay_totals *t = &relay_totals;
	bool trouble = t->resets[0] || t->resets[1] || t->refused ||
	    t->deadlines || t->failed;

	if (!cfg.stats && !(cfg.keep && trouble))
		return;
	fprintf(stderr, "tnc: relay: %llu connections, %llu bytes "
	    "client->upstream, %llu bytes upstream->client; resets: %llu by "
	    "clients, %llu by upstream; %llu refused, %llu deadlines, %llu "
	    "other errors\n", (unsigned long long)t->conns,
	    (unsigned long long)t->bytes[0], (unsigned long long)t->bytes[1],
	    (unsigned long long)t->resets[0], (unsigned long long)t->resets[1],
	    (unsigned long long)t->refused, (unsigned long long)t->deadlines,
	    (unsigned long long)t->failed);
}

void
relay_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- pair life ---- */

static void
pair_free(struct pair *p)
{
	struct relay *r = p->r;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		r->pairs = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	splice_pipe_free(p->s[0].pipe);
	splice_pipe_free(p->s[1].pipe);
	free(p);
}

static void
pair_free_cb(struct evloop *loop, void *arg)
{
	pair_free(arg);
}

/*
 * Both sides are closed: account, decide the exit status of a one-shot
 * relay and free the pair from the loop (never inside a callback that
 * may still look at it).
 */
static void
pair_end(struct pair *p)
{
	struct relay *r = p->r;

	if (p->ended)
		return;
	p->ended = true;
	if (p->flush_timer != 0)
		evloop_timer_cancel(r->loop, p->flush_timer);
	if (p->deadline_timer != 0)
		evloop_timer_cancel(r->loop, p->deadline_timer);
	relay_report_end(&p->rep, p->outcome);
	if (!cfg.keep) {
		r->exit_status = tnc_exit_for(p->outcome);
		evloop_stop(r->loop);
	}
	evloop_timer_add(r->loop, 0, pair_free_cb, p);
}

/* Close one side's fd (splice engine) the given way. */
static void
side_close_fd(struct side *sd, enum close_how how)
{
	struct close_report rep;
	struct relay *r = sd->p->r;

	if (sd->closed)
		return;
	sd->closed = true;
	if (sd->c != NULL) {
		/* conn ends itself; on_close clears sd->c. */
		conn_close(sd->c, how, 0);
		return;
	}
	if (sd->fd < 0)
		return;
	if (sd->watched)
		evloop_del(r->loop, sd->fd);
	sd->watched = false;
	switch (how) {
	case CLOSE_ABORT:
		close_abort(sd->fd, &rep);
		break;
	case CLOSE_GRACEFUL:
		close_graceful(sd->fd, NULL, 0, 1, NULL, NULL, &rep);
		break;
	case CLOSE_PLAIN:
		close_plain(sd->fd, &rep);
		break;
	}
	sd->fd = -1;
}

static bool
side_flushed(const struct side *sd, const struct side *from)
{
	int outq;

	if (sd->closed || sd->fd < 0)
		return true;
	if (sd->c != NULL && conn_out_queued(sd->c) > 0)
		return false;
	if (from->pipe != NULL && splice_pipe_len(from->pipe) > 0)
		return false;
	outq = sockopt_outq(sd->fd);
	return outq <= 0;
}

static void
flush_check(struct evloop *loop, void *arg)
{
	struct pair *p = arg;
	struct side *to = &p->s[p->flush_to];

	p->flush_timer = 0;
	if (to->closed) {
		pair_check_done(p);
		return;
	}
	if (side_flushed(to, &p->s[1 - p->flush_to]) ||
	    clock_mono_ms() >= p->flush_deadline) {
		side_close_fd(to, CLOSE_ABORT);
		pair_check_done(p);
		return;
	}
	p->flush_timer = evloop_timer_add(loop, FLUSH_POLL_MS, flush_check, p);
}

/*
 * Splice engine, side x failed while we sent to it: what it sent before
 * its RST still sits in our receive queue. Take what the pipe has room
 * for, to pass on before the RST (conn does the same for the copy
 * engine).
 */
static void
splice_read_rest(struct pair *p, int x)
{
	struct side *sx = &p->s[x];
	char errbuf[ERRBUF_LEN];
	ssize_t n;

	if (sx->closed || sx->fd < 0 || sx->rd_eof || p->s[1 - x].closed)
		return;
	if (sx->pipe == NULL &&
	    (sx->pipe = splice_pipe_new(cfg.buffer, errbuf)) == NULL)
		return;
	while ((n = splice_pipe_fill(sx->pipe, sx->fd)) > 0)
		p->rep.bytes[x] += (uint64_t)n;
	if (n == 0)
		sx->rd_eof = true;
}

/*
 * Side x failed (its peer's RST, a timeout, ...): close it, deliver to the
 * other side what x sent before failing, then reset the other side too, so
 * the RST travels through the relay as it would have without it.
 */
static void
side_failed(struct pair *p, int x, const char *during, int err)
{
	struct side *sx = &p->s[x], *sy = &p->s[1 - x];

	if (p->resetting) {
		side_close_fd(sx, CLOSE_ABORT);
		pair_check_done(p);
		return;
	}
	p->resetting = true;
	if (sx->c != NULL)
		p->rep.bytes[x] = conn_bytes_in(sx->c);
	else
		splice_read_rest(p, x);
	p->outcome = relay_report_error(&p->rep, x, during, err);
	side_close_fd(sx, CLOSE_ABORT);
	if (sy->closed) {
		pair_check_done(p);
		return;
	}
	/* Stop taking input from y; what it sends now has nowhere to go. */
	if (sy->c != NULL)
		conn_pause_read(sy->c);
	sy->rd_eof = true;
	p->flush_to = 1 - x;
	p->flush_deadline = clock_mono_ms() + RELAY_RST_FLUSH_MS;
	pair_run(p);
	if (!p->ended && p->flush_timer == 0)
		flush_check(p->r->loop, p);
}

/* Abort both sides at once: a -w or -q deadline passed. */
static void
pair_deadline(struct pair *p, const char *what)
{
	__atomic_add_fetch(&relay_totals.deadlines, 1, __ATOMIC_RELAXED);
	p->outcome = OUTCOME_TIMEOUT;
	p->resetting = true;
	tnc_event("#%llu %s deadline -> RST to client and upstream after "
	    "%llu bytes client->upstream, %llu upstream->client",
	    (unsigned long long)p->rep.id, what,
	    (unsigned long long)p->rep.bytes[0],
	    (unsigned long long)p->rep.bytes[1]);
	if (!cfg.keep)
		warnx("#%llu: %s: %s deadline: RST sent to client %s and "
		    "upstream %s", (unsigned long long)p->rep.id,
		    outcome_name(OUTCOME_TIMEOUT), what, p->rep.peer[0],
		    p->rep.peer[1][0] != '\0' ? p->rep.peer[1] : "(none)");
	side_close_fd(&p->s[0], CLOSE_ABORT);
	side_close_fd(&p->s[1], CLOSE_ABORT);
	pair_check_done(p);
}

static void deadline_fire(struct evloop *loop, void *arg);

static void
arm_deadline(struct pair *p)
{
	int64_t now = clock_mono_ms(), first = -1, t;

	if (p->ended || p->resetting)
		return;
	if (p->connecting && p->connect_deadline >= 0)
		first = p->connect_deadline;
	if (!p->connecting && cfg.wait_ms > 0)
		first = p->last_active + cfg.wait_ms;
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
	struct pair *p = arg;
	int64_t now = clock_mono_ms();

	p->deadline_timer = 0;
	if (p->ended || p->resetting)
		return;
	if (p->connecting && p->connect_deadline >= 0 &&
	    now >= p->connect_deadline) {
		pair_deadline(p, "-w connect");
		return;
	}
	if (p->quit_deadline >= 0 && now >= p->quit_deadline) {
		pair_deadline(p, "-q");
		return;
	}
	if (!p->connecting && cfg.wait_ms > 0 &&
	    now >= p->last_active + cfg.wait_ms) {
		pair_deadline(p, "-w idle");
		return;
	}
	arm_deadline(p);
}

/* A FIN was passed on: start the -q wait for the other direction. */
static void
half_closed(struct pair *p, int from)
{
	tnc_event("#%llu %s EOF -> FIN to %s after %llu bytes",
	    (unsigned long long)p->rep.id, relay_side_name(from),
	    relay_side_name(1 - from), (unsigned long long)p->rep.bytes[from]);
	if (cfg.quit_ms >= 0 && p->quit_deadline < 0 &&
	    !(p->s[0].wr_shut && p->s[1].wr_shut)) {
		p->quit_deadline = clock_mono_ms() + cfg.quit_ms;
		arm_deadline(p);
	}
}

/* Both directions finished (or both sides closed): end the pair. */
static void
pair_check_done(struct pair *p)
{
	struct side *a = &p->s[0], *b = &p->s[1];

	if (p->ended)
		return;
	if (!a->closed && !b->closed && a->c == NULL && b->c == NULL &&
	    a->rd_eof && b->rd_eof && a->wr_shut && b->wr_shut &&
	    !p->resetting &&
	    (a->pipe == NULL || splice_pipe_len(a->pipe) == 0) &&
	    (b->pipe == NULL || splice_pipe_len(b->pipe) == 0)) {
		side_close_fd(a, CLOSE_GRACEFUL);
		side_close_fd(b, CLOSE_GRACEFUL);
	}
	if (a->closed && b->closed && a->c == NULL && b->c == NULL)
		pair_end(p);
}

/* ---- the splice engine ---- */

static void
side_watch(struct side *sd, unsigned want)
{
	struct relay *r = sd->p->r;

	if (sd->closed || sd->fd < 0)
		return;
	/* After a hang-up, a watch with no interest would still report it
	   again and again (level-triggered): drop it until we want I/O. */
	if (sd->hup && want == 0) {
		if (sd->watched)
			evloop_del(r->loop, sd->fd);
		sd->watched = false;
		return;
	}
	if (!sd->watched) {
		if (evloop_add(r->loop, sd->fd, want, splice_on_event,
		    sd) == 0) {
			sd->watched = true;
			sd->interest = want;
		}
		return;
	}
	if (want != sd->interest && evloop_mod(r->loop, sd->fd, want) == 0)
		sd->interest = want;
}

/*
 * Move bytes from side i to the other side through i's pipe until one of
 * them would block. Returns false when the pair changed state under us
 * (a side failed), true otherwise.
 */
static bool
splice_pump(struct pair *p, int i)
{
	struct side *src = &p->s[i], *dst = &p->s[1 - i];
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
				side_failed(p, 1 - i, "send", errno);
				return false;
			}
		}
		if (src->rd_eof || src->closed || p->resetting || src->blocked)
			break;
		if (src->pipe == NULL) {
			src->pipe = splice_pipe_new(cfg.buffer, errbuf);
			if (src->pipe == NULL) {
				warnx("#%llu: %s",
				    (unsigned long long)p->rep.id, errbuf);
				side_failed(p, i, "splice pipe", errno);
				return false;
			}
		}
		if (splice_pipe_room(src->pipe) == 0) {
			relay_paused(&p->rep, i);
			if (!moved)
				break;
			continue;
		}
		n = splice_pipe_fill(src->pipe, src->fd);
		if (n > 0) {
			p->rep.bytes[i] += (uint64_t)n;
			p->last_active = clock_mono_ms();
			continue;
		}
		if (n == 0) {
			src->rd_eof = true;
			continue;
		}
		if (errno != EAGAIN) {
			side_failed(p, i, "receive", errno);
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
			relay_paused(&p->rep, i);
		}
		if (!moved)
			break;
	}
	if (src->rd_eof && !dst->wr_shut && !p->resetting &&
	    (src->pipe == NULL || splice_pipe_len(src->pipe) == 0)) {
		if (shutdown(dst->fd, SHUT_WR) == -1) {
			side_failed(p, 1 - i, "shutdown", errno);
			return false;
		}
		dst->wr_shut = true;
		half_closed(p, i);
	}
	return true;
}

static unsigned
splice_interest(const struct pair *p, int x)
{
	const struct side *sx = &p->s[x], *other = &p->s[1 - x];
	unsigned want = 0;

	if (!sx->rd_eof && !p->resetting && !other->closed &&
	    (sx->pipe == NULL || (splice_pipe_room(sx->pipe) > 0 &&
	    !sx->blocked)))
		want |= EV_READ;
	if (other->pipe != NULL && splice_pipe_len(other->pipe) > 0)
		want |= EV_WRITE;
	return want;
}

static void
pair_run(struct pair *p)
{
	int x;

	if (p->ended || p->connecting)
		return;
	if (p->s[0].c != NULL || p->s[1].c != NULL) {
		pair_check_done(p);
		return;
	}
	if (!splice_pump(p, SIDE_CLIENT) || !splice_pump(p, SIDE_UPSTREAM)) {
		pair_check_done(p);
		return;
	}
	for (x = 0; x < 2; x++) {
		struct side *sx = &p->s[x];

		if (sx->closed)
			continue;
		/* Both directions done on this side: nothing to wait for. */
		if (sx->rd_eof && (sx->wr_shut || p->resetting) &&
		    splice_interest(p, x) == 0) {
			if (sx->watched)
				evloop_del(p->r->loop, sx->fd);
			sx->watched = false;
			continue;
		}
		side_watch(sx, splice_interest(p, x));
	}
	arm_deadline(p);
	pair_check_done(p);
}

static void
splice_on_event(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct side *sd = arg;
	struct pair *p = sd->p;
	struct side *other = &p->s[1 - sd->idx];
	int err;

	if (events & EV_ERROR) {
		sd->hup = true;
		/*
		 * Nothing left to read from this side and nothing to send
		 * it: only SO_ERROR can say what happened (an RST after its
		 * FIN). While input is still wanted, reading reports it in
		 * order: queued data first, then the error.
		 */
		if ((sd->rd_eof || p->resetting) && (other->pipe == NULL ||
		    splice_pipe_len(other->pipe) == 0) &&
		    (err = sock_error(fd)) != 0) {
			side_failed(p, sd->idx, "receive", err);
			return;
		}
	}
	pair_run(p);
}

/* ---- the copy engine, on common's conn ---- */

static size_t
conn_on_data(struct conn *c, const void *data, size_t len, void *arg)
{
	struct side *sd = arg;
	struct pair *p = sd->p;
	struct side *other = &p->s[1 - sd->idx];

	p->rep.bytes[sd->idx] += len;
	p->last_active = clock_mono_ms();
	if (other->c != NULL && !p->resetting)
		(void)conn_send(other->c, data, len);
	return len;
}

/*
 * A side's FIN: pass it on after the bytes before it. conn reports it as
 * on_peer_eof, or, when our FIN to that side is already out, only as the
 * end of the connection (CONN_END_PEER_EOF); both come here once.
 */
static void
conn_side_eof(struct side *sd)
{
	struct pair *p = sd->p;
	struct side *other = &p->s[1 - sd->idx];

	if (sd->rd_eof)
		return;
	sd->rd_eof = true;
	if (other->c == NULL || p->resetting)
		return;
	conn_shutdown(other->c);
	other->wr_shut = true;
	half_closed(p, sd->idx);
}

static void
conn_on_peer_eof(struct conn *c, void *arg)
{
	conn_side_eof(arg);
}

static void
conn_on_high_water(struct conn *c, size_t queued, void *arg)
{
	struct side *sd = arg;
	struct side *other = &sd->p->s[1 - sd->idx];

	relay_paused(&sd->p->rep, other->idx);
	if (other->c != NULL)
		conn_pause_read(other->c);
}

static void
conn_on_drain(struct conn *c, void *arg)
{
	struct side *sd = arg;
	struct pair *p = sd->p;
	struct side *other = &p->s[1 - sd->idx];

	if (other->c != NULL && !p->resetting)
		conn_resume_read(other->c);
}

static void
conn_on_close(struct conn *c, enum conn_end why, enum outcome o, void *arg)
{
	struct side *sd = arg;
	struct pair *p = sd->p;
	int err = errno;

	p->rep.bytes[sd->idx] = conn_bytes_in(c);
	sd->c = NULL;
	sd->fd = -1;
	sd->closed = true;
	switch (why) {
	case CONN_END_PEER_EOF:
		conn_side_eof(sd);
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
		sd->closed = false;	/* side_failed closes it (no-op) */
		side_failed(p, sd->idx, why == CONN_END_SEND_ERROR ? "send" :
		    "receive", err);
		sd->closed = true;
		break;
	}
	pair_check_done(p);
}

static const struct conn_callbacks relay_conn_cb = {
	.on_data = conn_on_data,
	.on_peer_eof = conn_on_peer_eof,
	.on_high_water = conn_on_high_water,
	.on_drain = conn_on_drain,
	.on_close = conn_on_close,
};

/* ---- connecting ---- */

static void
pair_connected(struct pair *p)
{
	char errbuf[ERRBUF_LEN], local[ADDR_STRLEN];
	struct side *up = &p->s[SIDE_UPSTREAM];
	int x;

	p->connecting = false;
	p->last_active = clock_mono_ms();
	tnc_apply_sockopts(up->fd, p->rep.peer[SIDE_UPSTREAM]);
	tnc_event("#%llu connected to upstream %s from %s",
	    (unsigned long long)p->rep.id, p->rep.peer[SIDE_UPSTREAM],
	    sock_local_str(up->fd, local, sizeof(local)));
	if (p->deadline_timer != 0) {
		evloop_timer_cancel(p->r->loop, p->deadline_timer);
		p->deadline_timer = 0;
	}
	if (cfg.splice) {
		pair_run(p);
		return;
	}
	/* The copy engine: hand both fds to conn. */
	for (x = 0; x < 2; x++) {
		struct side *sd = &p->s[x];

		if (sd->watched)
			evloop_del(p->r->loop, sd->fd);
		sd->watched = false;
		sd->c = conn_new(p->r->loop, sd->fd, &relay_conn_cb, sd,
		    errbuf);
		if (sd->c == NULL) {
			warnx("#%llu: %s", (unsigned long long)p->rep.id,
			    errbuf);
			side_failed(p, x, "setup", errno);
			return;
		}
		conn_set_half_close(sd->c, true);
		conn_set_water_marks(sd->c, cfg.buffer, cfg.buffer / 2);
	}
	arm_deadline(p);
}

static void
connect_on_event(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct side *up = arg;
	struct pair *p = up->p;
	char errbuf[ERRBUF_LEN];
	enum outcome oc;

	evloop_del(loop, fd);
	up->watched = false;
	if (sock_connect_finish(fd, &oc, errbuf) == 0) {
		pair_connected(p);
		return;
	}
	close(fd);
	up->fd = -1;
	tnc_event("#%llu upstream %s: %s", (unsigned long long)p->rep.id,
	    p->rep.peer[SIDE_UPSTREAM], outcome_name(oc));
	p->ai = p->ai->ai_next;
	if (p->ai != NULL) {
		pair_try_connect(p);
		return;
	}
	/* Nobody upstream: the client learns it as an RST. */
	p->outcome = oc;
	if (oc == OUTCOME_REFUSED)
		__atomic_add_fetch(&relay_totals.refused, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&relay_totals.failed, 1, __ATOMIC_RELAXED);
	tnc_event("#%llu upstream connect %s -> RST to client",
	    (unsigned long long)p->rep.id, outcome_name(oc));
	if (!cfg.keep)
		warnx("#%llu: upstream %s: %s; RST sent to client %s",
		    (unsigned long long)p->rep.id, p->rep.peer[SIDE_UPSTREAM],
		    outcome_name(oc), p->rep.peer[SIDE_CLIENT]);
	p->s[SIDE_UPSTREAM].closed = true;
	side_close_fd(&p->s[SIDE_CLIENT], CLOSE_ABORT);
	pair_check_done(p);
}

static void
pair_try_connect(struct pair *p)
{
	struct sock_opts o = { .family = cfg.family, .type = SOCK_STREAM };
	struct side *up = &p->s[SIDE_UPSTREAM];
	char errbuf[ERRBUF_LEN];
	enum outcome oc = OUTCOME_ERROR;
	int fd;

	addr_format(p->ai->ai_addr, p->rep.peer[SIDE_UPSTREAM],
	    sizeof(p->rep.peer[SIDE_UPSTREAM]));
	fd = sock_connect_start(p->ai, &o, &oc, errbuf);
	if (fd == -1 || evloop_add(p->r->loop, fd, EV_WRITE, connect_on_event,
	    up) == -1) {
		if (fd != -1)
			close(fd);
		p->outcome = oc;
		__atomic_add_fetch(&relay_totals.failed, 1, __ATOMIC_RELAXED);
		warnx("#%llu: upstream %s: %s", (unsigned long long)p->rep.id,
		    p->rep.peer[SIDE_UPSTREAM], errbuf);
		p->s[SIDE_UPSTREAM].closed = true;
		side_close_fd(&p->s[SIDE_CLIENT], CLOSE_ABORT);
		pair_check_done(p);
		return;
	}
	up->fd = fd;
	up->watched = true;
}

/* ---- the listener ---- */

static void
accept_resume(struct evloop *loop, void *arg)
{
	struct relay *r = arg;

	r->accept_paused = false;
	evloop_mod(loop, r->lfd, EV_READ);
}

static void
on_accept(struct evloop *loop, int lfd, unsigned events, void *arg)
{
	struct relay *r = arg;
	char errbuf[ERRBUF_LEN], peer[ADDR_STRLEN];
	enum outcome oc;
	struct pair *p;
	int fd, x;

	/* 1 ms: a client that vanished between epoll and accept must not
	   hold up the loop. */
	fd = sock_accept_peer(lfd, 1, peer, sizeof(peer), &oc, errbuf);
	if (fd == -1) {
		if (oc == OUTCOME_TIMEOUT)
			return;
		warnx("%s", errbuf);
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* Level-triggered: wait instead of spinning. */
			r->accept_paused = true;
			evloop_mod(loop, lfd, 0);
			evloop_timer_add(loop, ACCEPT_RETRY_MS, accept_resume,
			    r);
		}
		return;
	}
	if (!cfg.keep) {
		/* One connection only, as nc -l without -k. */
		evloop_del(loop, lfd);
		close(lfd);
		r->lfd = -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		struct close_report rep;

		warnx("out of memory for a connection");
		close_abort(fd, &rep);
		return;
	}
	p->r = r;
	p->next = r->pairs;
	if (r->pairs != NULL)
		r->pairs->prev = p;
	r->pairs = p;
	p->rep.id = ++r->next_id;
	p->ai = r->up;
	p->connecting = true;
	p->quit_deadline = -1;
	p->connect_deadline = cfg.wait_ms > 0 ? clock_mono_ms() + cfg.wait_ms
	    : -1;
	p->outcome = OUTCOME_OK;
	for (x = 0; x < 2; x++) {
		p->s[x].p = p;
		p->s[x].idx = x;
		p->s[x].fd = -1;
	}
	p->s[SIDE_CLIENT].fd = fd;
	__atomic_add_fetch(&relay_totals.conns, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&relay_totals.active, 1, __ATOMIC_RELAXED);
	sock_set_nonblock(fd, true);
	snprintf(p->rep.peer[SIDE_CLIENT], sizeof(p->rep.peer[SIDE_CLIENT]),
	    "%s", peer);
	tnc_apply_sockopts(fd, p->rep.peer[SIDE_CLIENT]);
	tnc_event("#%llu connection from %s", (unsigned long long)p->rep.id,
	    p->rep.peer[SIDE_CLIENT]);
	pair_try_connect(p);
	arm_deadline(p);
}

static void
on_signal(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	tnc_event("signal %u: stopping with %llu connections open",
	    si.ssi_signo, (unsigned long long)relay_totals.active);
	evloop_stop(loop);
}

/*
 * After the loop stopped: pairs still open (a -k relay told to stop)
 * are reset, since they were not relayed to their end; then everything
 * is freed.
 */
static void
relay_epoll_free(struct relay *r)
{
	struct pair *p, *next;

	for (p = r->pairs; p != NULL; p = p->next) {
		if (p->ended)
			continue;
		p->resetting = true;
		if (p->flush_timer != 0)
			evloop_timer_cancel(r->loop, p->flush_timer);
		if (p->deadline_timer != 0)
			evloop_timer_cancel(r->loop, p->deadline_timer);
		p->flush_timer = p->deadline_timer = 0;
		p->ended = true;	/* no more reports or timers */
		side_close_fd(&p->s[0], CLOSE_ABORT);
		side_close_fd(&p->s[1], CLOSE_ABORT);
	}
	for (p = r->pairs; p != NULL; p = next) {
		next = p->next;
		pair_free(p);
	}
	if (r->lfd >= 0)
		close(r->lfd);
	if (r->sigfd >= 0)
		close(r->sigfd);
	evloop_free(r->loop);
}

static int
relay_epoll_run(int lfd, const struct addrinfo *up)
{
	struct relay r = { .lfd = lfd, .up = up, .sigfd = -1 };
	char errbuf[ERRBUF_LEN];
	sigset_t set;

	if ((r.loop = evloop_new(errbuf)) == NULL)
		errx(TNC_EXIT_FAIL, "%s", errbuf);
	if (sock_set_nonblock(lfd, true) == -1)
		err(TNC_EXIT_FAIL, "O_NONBLOCK");
	if (evloop_add(r.loop, lfd, EV_READ, on_accept, &r) == -1)
		err(TNC_EXIT_FAIL, "watch the listener");
	if (cfg.keep) {
		/* SIGINT and SIGTERM end a -k relay with its summary. */
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		if (sigprocmask(SIG_BLOCK, &set, NULL) == 0 &&
		    (r.sigfd = signalfd(-1, &set, SFD_CLOEXEC |
		    SFD_NONBLOCK)) != -1)
			evloop_add(r.loop, r.sigfd, EV_READ, on_signal, &r);
	}
	if (evloop_run(r.loop) == -1)
		err(TNC_EXIT_FAIL, "event loop");
	relay_print_summary();
	relay_epoll_free(&r);
	return r.exit_status;
}

int
tnc_relay(void)
{
	struct sock_opts o = { .family = cfg.family, .type = SOCK_STREAM };
	char errbuf[ERRBUF_LEN], local[ADDR_STRLEN];
	struct addrinfo *up;
	int lfd, r;

	relay_raise_nofile();
	up = addr_resolve(cfg.relay_host, cfg.relay_port, cfg.family, false,
	    errbuf);
	if (up == NULL)
		errx(TNC_EXIT_FAIL, "--relay %s port %s: %s", cfg.relay_host,
		    cfg.relay_port, errbuf);
	lfd = sock_listen(cfg.host, cfg.port, &o, errbuf);
	if (lfd == -1)
		errx(TNC_EXIT_FAIL, "%s", errbuf);
	/* Buffer sizes set on the listener are inherited by accepted
	   sockets before the handshake picks the window scale. */
	if (cfg.sndbuf != 0 || cfg.rcvbuf != 0)
		tnc_apply_sockopts(lfd, "listener");
	tnc_event("listening on %s, relaying to %s port %s (%s, %s)",
	    sock_local_str(lfd, local, sizeof(local)), cfg.relay_host,
	    cfg.relay_port, cfg.io == TNC_IO_THREADS ? "threads" : "epoll",
	    cfg.splice ? "splice" : "copy");
	if (cfg.io == TNC_IO_THREADS)
		r = relay_threads_run(lfd, up);
	else
		r = relay_epoll_run(lfd, up);
	freeaddrinfo(up);
	return r;
}
