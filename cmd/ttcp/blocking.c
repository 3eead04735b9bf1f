/* SPDX-License-Identifier: BSD-2-Clause */
/* ttcp's blocking I/O model: one thread per connection, plain syscalls. */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "close.h"
#include "exitcode.h"
#include "sock.h"
#include "stop.h"
#include "ttcp.h"

/* The receive buffer: fixed, whatever length the peer announces. */
#ifndef RX_BUF_LEN
#define RX_BUF_LEN (128 * 1024)
#endif

/* Per-connection state of this model. */
struct bio {
	pthread_t thread;
	bool started;
	int evfd;		/* written once when the thread ends */
	uint8_t hdr[TTCP_HDR_MAX];
	size_t hdrlen;		/* header still to send (transmitter) */
};

static struct xfer *
xfer_new(int fd, int index, int evfd)
{
	struct xfer *x = calloc(1, sizeof(*x));
	struct bio *b = calloc(1, sizeof(*b));

	if (x == NULL || b == NULL)
		err(1, "calloc");
	x->fd = fd;
	x->index = index;
	b->evfd = evfd;
	x->io = b;
	sock_peer_str(fd, x->peer, sizeof(x->peer));
	return x;
}

static void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	free(x->rtt);
	free(x->io);
	free(x);
}

/* TCP_INFO before the close, then the graceful close and its verdict. */
static void
close_and_judge(struct xfer *x, bool set_end)
{
	struct tcpinfo_snap ti;
	struct close_report cr;
	char eb[ERRBUF_LEN];

	if (sockopt_tcp_info(x->fd, &ti, eb) == 0)
		x->retransmits = ti.retransmits;
	close_graceful(x->fd, NULL, 0, TTCP_CLOSE_TIMEOUT_MS, NULL, NULL,
	    &cr);
	/* The main thread reads fd to shut it down on a signal. */
	__atomic_store_n(&x->fd, -1, __ATOMIC_RELEASE);
	if (set_end && x->end_us == 0)
		x->end_us = clock_mono_us();
	if (cr.outcome != OUTCOME_OK)
		xfer_fail(x, cr.outcome, "closing: %s before the peer's EOF "
		    "(%" PRIu64 " payload bytes done)",
		    outcome_name(cr.outcome), xfer_bytes(x));
	else if (cr.drained > 0)
		xfer_fail(x, OUTCOME_ERROR, "peer sent %" PRIu64 " bytes "
		    "after the end of the session", cr.drained);
}

static void
abort_conn(struct xfer *x)
{
	struct close_report cr;

	if (x->fd >= 0)
		close_abort(x->fd, &cr);
	__atomic_store_n(&x->fd, -1, __ATOMIC_RELEASE);
}

/*
 * Data sender. hdr (may be empty) goes out in the same write as the first
 * message, so a muduo peer sees exactly its header and frames and Nagle
 * never holds the first message back.
 */
static void
send_messages(struct xfer *x, const uint8_t *hdr, size_t hdrlen)
{
	const struct session *s = &x->sess;
	bool stream = (s->flags & TTCP_FLAG_STREAM) != 0;
	uint8_t *payload, ack[TTCP_ACK_LEN];
	uint64_t bytes = 0;
	char eb[ERRBUF_LEN];
	enum outcome o;

	payload = msg_buf_new(s->length);
	if (payload == NULL) {
		xfer_fail(x, OUTCOME_ERROR, "cannot allocate %" PRIu32
		    " bytes", s->length);
		abort_conn(x);
		return;
	}
	if (x->start_us == 0)
		x->start_us = clock_mono_us();

	if (s->number == 0 && hdrlen > 0 &&
	    sock_send_all(x->fd, hdr, hdrlen, &o) != hdrlen) {
		xfer_fail(x, o, "sending the session header: %s",
		    outcome_name(o));
		goto out;
	}
	for (uint32_t i = 0; !xfer_sent_all(x, i); i++) {
		const uint8_t *p = stream ? payload : payload - 4;
		size_t len = (stream ? 0 : 4) + (size_t)s->length;
		uint64_t t0 = 0;

		if (i == 0 && hdrlen > 0) {
			memcpy((uint8_t *)p - hdrlen, hdr, hdrlen);
			p -= hdrlen;
			len += hdrlen;
		}
		if (!stream)
			t0 = clock_mono_ns();
		if (sock_send_all(x->fd, p, len, &o) != len) {
			xfer_fail(x, o, "sending message %" PRIu32 " of %"
			    PRIu32 ": %s (%" PRIu64 " payload bytes %s)", i + 1,
			    session_messages(s), outcome_name(o), bytes,
			    stream ? "sent" : "acknowledged");
			goto out;
		}
		if (!stream) {
			size_t got = sock_recv_all(x->fd, ack, sizeof(ack),
			    &o);
			if (got != sizeof(ack)) {
				xfer_fail(x, o, "peer closed (%s) waiting for "
				    "the ack of message %" PRIu32 " of %" PRIu32
				    " (%" PRIu64 " payload bytes "
				    "acknowledged)", outcome_name(o), i + 1,
				    session_messages(s), bytes);
				goto out;
			}
			if (ack_check(ack, s->length, i + 1, eb) != 0) {
				xfer_fail(x, OUTCOME_ERROR, "%s", eb);
				goto out;
			}
			lat_hist_add(x->rtt, clock_mono_ns() - t0);
		}
		bytes += s->length;
		xfer_set_progress(x, bytes, i + 1);
	}
	if (!stream)
		x->end_us = clock_mono_us();
	msg_buf_free(payload);
	/* In stream mode the peer's EOF is its receipt of the last byte. */
	close_and_judge(x, true);
	return;
out:
	msg_buf_free(payload);
	abort_conn(x);
}

/*
 * Data receiver: reads at most what the current message (ack mode) or the
 * session (stream) still owes, so bytes past the end are the close's to
 * find. Round trips here run from our ack to the next message's end.
 */
static void
recv_messages(struct xfer *x)
{
	struct rx *rx = &x->rx;
	uint8_t *buf, ack[TTCP_ACK_LEN];
	char eb[ERRBUF_LEN], where[160];
	uint64_t t_ack = 0;
	enum outcome o;

	rx_init(rx, &x->sess, x->verify);
	ack_put(ack, x->sess.length);
	buf = malloc(RX_BUF_LEN);
	if (buf == NULL) {
		xfer_fail(x, OUTCOME_ERROR,
		    "cannot allocate the receive buffer");
		abort_conn(x);
		return;
	}
	if (x->start_us == 0)
		x->start_us = clock_mono_us();
	while (!rx_done(rx)) {
		uint64_t want = rx_want(rx);
		size_t off = 0;
		ssize_t n;

		n = recv(x->fd, buf, want < RX_BUF_LEN ? want : RX_BUF_LEN,
		    0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			/* A timed session ends at the sender's EOF. */
			if (n == 0 && rx_timed_end(rx))
				break;
			o = n == 0 ? OUTCOME_EOF : outcome_from_errno(errno);
			rx_progress(rx, where, sizeof(where));
			xfer_fail(x, o, "peer closed (%s) %s", outcome_name(o),
			    where);
			goto out;
		}
		while (off < (size_t)n) {
			size_t used;
			enum rx_status st = rx_feed(rx, buf + off,
			    (size_t)n - off, &used, eb);

			off += used;
			if (st == RX_ERROR) {
				xfer_fail(x, OUTCOME_ERROR, "%s", eb);
				goto out;
			}
			if (st != RX_MESSAGE)
				continue;
			if (t_ack != 0)
				lat_hist_add(x->rtt, clock_mono_ns() - t_ack);
			if (sock_send_all(x->fd, ack, sizeof(ack), &o) !=
			    sizeof(ack)) {
				xfer_fail(x, o, "sending the ack of message %"
				    PRIu64 ": %s", rx->msgs,
				    outcome_name(o));
				goto out;
			}
			t_ack = rx_done(rx) ? 0 : clock_mono_ns();
		}
		xfer_set_progress(x, rx->bytes, rx->msgs);
	}
	xfer_set_progress(x, rx->bytes, rx->msgs);
	x->end_us = clock_mono_us();
	free(buf);
	close_and_judge(x, false);
	return;
out:
	xfer_set_progress(x, rx->bytes, rx->msgs);
	free(buf);
	abort_conn(x);
}

static void *
worker(void *arg)
{
	struct xfer *x = arg;
	struct bio *b = x->io;
	uint64_t one = 1;
	enum outcome o;

	if (x->data_sender) {
		send_messages(x, b->hdr, b->hdrlen);
	} else if (b->hdrlen > 0 &&
	    sock_send_all(x->fd, b->hdr, b->hdrlen, &o) != b->hdrlen) {
		xfer_fail(x, o, "sending the session header: %s",
		    outcome_name(o));
		abort_conn(x);
	} else {
		recv_messages(x);
	}
	__atomic_store_n(&x->done, true, __ATOMIC_RELEASE);
	if (write(b->evfd, &one, sizeof(one)) != sizeof(one))
		abort();
	return NULL;
}

static void
start_worker(struct xfer *x)
{
	struct bio *b = x->io;
	int rc = pthread_create(&b->thread, NULL, worker, x);

	if (rc != 0) {
		errno = rc;
		err(1, "pthread_create");
	}
	b->started = true;
}

/*
 * Wait for fd (events) or a signal until deadline_ms (-1: none). Returns
 * 1 when fd is ready, 0 on timeout, -2 when an ending signal came (read
 * from sfd, so stop_requested() says which).
 */
static int
wait_or_signal(int fd, short events, int sfd, int64_t deadline_ms)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = events },
		{ .fd = sfd, .events = POLLIN },
	};

	for (;;) {
		int timeout = -1;

		if (deadline_ms >= 0) {
			int64_t left = deadline_ms - clock_mono_ms();

			timeout = left < 0 ? 0 : (int)left;
		}
		int rc = poll(p, 2, timeout);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			err(1, "poll");
		if (p[1].revents && stop_fd_read(sfd) != 0)
			return -2;
		if (p[0].revents)
			return 1;
		if (rc == 0)
			return 0;
	}
}

/*
 * Make every worker return at once: shutdown() wakes a blocked send or
 * recv. Only the main thread opens descriptors, so one a worker has just
 * closed cannot be reused under us: at worst shutdown() fails (EBADF).
 */
static void
stop_all(struct xfer **xs, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = __atomic_load_n(&xs[i]->fd, __ATOMIC_ACQUIRE);

		if (fd >= 0)
			shutdown(fd, SHUT_RDWR);
	}
}

/*
 * Wait until every worker is done, printing interval reports. On a signal
 * the connections are shut down so the workers return at once. Returns 0,
 * or -2 when interrupted. Joins the workers either way.
 */
static int
wait_workers(struct xfer **xs, int n, int evfd, int sfd,
    struct ticker *tk, const char *prefix, int64_t interval_ms)
{
	int64_t next = interval_ms > 0 ? clock_mono_ms() + interval_ms : -1;
	int left = 0, rc = 0;

	for (int i = 0; i < n; i++)
		if (((struct bio *)xs[i]->io)->started)
			left++;
	while (left > 0) {
		int w = wait_or_signal(evfd, POLLIN, sfd, next);
		uint64_t cnt;

		if (w == -2) {
			stop_all(xs, n);
			rc = -2;
			next = -1;
			/* Once is enough: the workers are on their way out. */
			sfd = -1;
			continue;
		}
		if (w == 0) {
			ticker_tick(tk, prefix, xs, n);
			next += interval_ms;
			continue;
		}
		if (read(evfd, &cnt, sizeof(cnt)) == sizeof(cnt))
			left -= (int)cnt;
	}
	for (int i = 0; i < n; i++) {
		struct bio *b = xs[i]->io;

		if (b->started)
			pthread_join(b->thread, NULL);
		b->started = false;
	}
	return rc;
}

int
run_transmit_blocking(const struct ttcp_config *cfg, int sfd)
{
	struct sock_opts so = { .family = cfg->family, .src_host = cfg->bind };
	struct session s;
	struct xfer **xs;
	struct ticker tk;
	char eb[ERRBUF_LEN];
	const char *prefix = side_prefix(!cfg->reverse);
	int evfd, n = cfg->parallel, status;
	uint8_t hdr[TTCP_HDR_MAX];
	size_t hdrlen;

	session_from_config(&s, cfg);
	s.group = random_group();
	hdrlen = session_encode(&s, hdr);
	evfd = eventfd(0, EFD_CLOEXEC);
	if (evfd == -1)
		err(1, "eventfd");
	xs = calloc((size_t)n, sizeof(*xs));
	if (xs == NULL)
		err(1, "calloc");
	/* Every connection first, so a refusal costs the peer nothing. */
	for (int i = 0; i < n; i++) {
		enum outcome o;
		int fd = sock_connect(cfg->host, cfg->port, &so, &o, eb);

		if (fd >= 0) {
			xs[i] = xfer_new(fd, i, evfd);
			if (xfer_setup_socket(xs[i], cfg, eb) != 0) {
				fd = -1;
				o = OUTCOME_ERROR;
			}
		}
		if (fd < 0) {
			for (int j = 0; j <= i; j++) {
				if (xs[j] != NULL)
					abort_conn(xs[j]);
				xfer_free(xs[j]);
			}
			free(xs);
			close(evfd);
			return report_setup_error(cfg, cfg->reverse ?
			    "receive" : "transmit", eb, o);
		}
		if (xfer_begin(xs[i], cfg, &s, !cfg->reverse) != 0)
			err(1, "calloc");
		if (cfg->verbose)
			fprintf(stderr, "%s: connected to %s (sndbuf %d "
			    "rcvbuf %d)\n", prefix, xs[i]->peer,
			    xs[i]->snd.effective, xs[i]->rcv.effective);
	}
	ticker_init(&tk, cfg, clock_mono_us());
	for (int i = 0; i < n; i++) {
		struct bio *b = xs[i]->io;

		memcpy(b->hdr, hdr, hdrlen);
		b->hdrlen = hdrlen;
		xs[i]->start_us = tk.start_us;
		start_worker(xs[i]);
	}
	int w = wait_workers(xs, n, evfd, sfd, &tk, prefix, cfg->interval_ms);
	status = report_session(cfg, xs, n, &s, &tk,
	    w == -2 ? TTCP_INTERRUPTED : NULL, OUTCOME_INTERRUPTED);
	if (w == -2)
		status = STOP_EXIT(stop_requested());
	ticker_free(&tk);
	for (int i = 0; i < n; i++)
		xfer_free(xs[i]);
	free(xs);
	close(evfd);
	return status;
}

/*
 * The receiver serves every session at once: the main thread accepts and
 * reads each connection's header, then hands the connection to its
 * session (a new one, or the -P group it names); each session has a
 * thread that ticks, waits for its connections' workers and reports.
 */
struct bserver;

struct bsess {
	struct bserver *srv;
	struct session first;
	struct xfer *xs[TTCP_MAX_PARALLEL];
	int n;			/* members so far */
	bool closed;		/* no more members: complete, given up, stopped */
	bool stop;		/* a signal: end the members now */
	bool finished;		/* reported; for the main thread to join */
	int64_t deadline;	/* ms: the rest of the group by then */
	int evfd;		/* wakes the session's thread */
	int status;
	pthread_t thread;
	struct bsess *next;
};

/* A connection whose header is still coming. */
struct pending {
	struct xfer *x;
	uint8_t raw[TTCP_HDR_MAX];
	size_t have, need;
	int64_t deadline;
};

struct bserver {
	const struct ttcp_config *cfg;
	pthread_mutex_t mu;	/* the list and every session's members */
	pthread_mutex_t out;	/* one session's lines at a time */
	int reap_fd;		/* a session finished */
	struct bsess *sessions;
	bool served_one;	/* -1: the one session has begun */
	uint64_t nsessions, failed, bytes;
	int status;
};

static void
wake(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

static void
drain(int fd)
{
	uint64_t cnt;

	if (read(fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		err(1, "read eventfd");
}

/* Under srv->mu: give up on the rest of a group whose deadline passed. */
static void
group_expired(struct bsess *s, char *why, size_t len)
{
	snprintf(why, len, "session 0x%08" PRIx32 ": only %d of %" PRIu32
	    " connections arrived", s->first.group, s->n, s->first.parallel);
	s->closed = true;
}

static void *
session_main(void *arg)
{
	struct bsess *s = arg;
	struct bserver *srv = s->srv;
	const struct ttcp_config *cfg = srv->cfg;
	char group_error[ERRBUF_LEN] = "";
	const char *prefix = side_prefix(s->xs[0]->data_sender);
	struct ticker tk;
	int64_t next_tick = -1;
	bool stopped = false, interrupted = false;
	uint64_t bytes = 0;

	ticker_init(&tk, cfg, s->xs[0]->start_us);
	if (cfg->interval_ms > 0)
		next_tick = clock_mono_ms() + cfg->interval_ms;
	for (;;) {
		struct pollfd p = { .fd = s->evfd, .events = POLLIN };
		int64_t now = clock_mono_ms(), wait_until = next_tick;
		bool all_done = true, stop_now = false;
		int n;

		pthread_mutex_lock(&srv->mu);
		if (!s->closed && now >= s->deadline) {
			group_expired(s, group_error, sizeof(group_error));
			stop_now = true;
		}
		if (s->stop && !stopped) {
			interrupted = stop_now = true;
			s->closed = true;
		}
		n = s->n;
		for (int i = 0; i < n; i++)
			if (!__atomic_load_n(&s->xs[i]->done,
			    __ATOMIC_ACQUIRE))
				all_done = false;
		if (!s->closed && (wait_until < 0 ||
		    s->deadline < wait_until))
			wait_until = s->deadline;
		pthread_mutex_unlock(&srv->mu);
		if (stop_now && !stopped) {
			stop_all(s->xs, n);
			stopped = true;
		}
		if (all_done && s->closed)
			break;
		if (next_tick >= 0 && now >= next_tick) {
			pthread_mutex_lock(&srv->out);
			ticker_tick(&tk, prefix, s->xs, n);
			pthread_mutex_unlock(&srv->out);
			next_tick += cfg->interval_ms;
			continue;
		}
		int timeout = wait_until < 0 ? -1 : wait_until <= now ? 0 :
		    (int)(wait_until - now);
		if (poll(&p, 1, timeout) > 0)
			drain(s->evfd);
	}
	for (int i = 0; i < s->n; i++) {
		pthread_join(((struct bio *)s->xs[i]->io)->thread, NULL);
		bytes += xfer_bytes(s->xs[i]);
	}
	pthread_mutex_lock(&srv->out);
	s->status = report_session(cfg, s->xs, s->n, &s->first, &tk,
	    interrupted ? TTCP_INTERRUPTED : group_error[0] != '\0' ?
	    group_error : NULL, interrupted ? OUTCOME_INTERRUPTED :
	    OUTCOME_TIMEOUT);
	pthread_mutex_unlock(&srv->out);
	ticker_free(&tk);
	pthread_mutex_lock(&srv->mu);
	srv->nsessions++;
	srv->bytes += bytes;
	if (s->status != 0 && !interrupted)
		srv->failed++;
	s->finished = true;
	pthread_mutex_unlock(&srv->mu);
	wake(srv->reap_fd);
	return NULL;
}

/* Under srv->mu: x, whose header is s, joins sess as its next member. */
static void
add_member(struct bsess *sess, struct xfer *x, const struct session *s)
{
	const struct ttcp_config *cfg = sess->srv->cfg;

	x->index = sess->n;
	((struct bio *)x->io)->evfd = sess->evfd;
	if (xfer_begin(x, cfg, s, (s->flags & TTCP_FLAG_REVERSE) != 0) != 0)
		err(1, "calloc");
	x->start_us = clock_mono_us();
	verbose_session(cfg, x, s);
	sess->xs[sess->n++] = x;
	if (sess->n == (int)sess->first.parallel)
		sess->closed = true;
	start_worker(x);
	wake(sess->evfd);
}

/* A connection's header is in: to its group, a new session, or away. */
static void
dispatch(struct bserver *srv, struct xfer *x, const struct session *s)
{
	struct bsess *sess = NULL;
	char eb[ERRBUF_LEN];
	int rc;

	pthread_mutex_lock(&srv->mu);
	if (s->extended && s->parallel > 1)
		for (sess = srv->sessions; sess != NULL; sess = sess->next)
			if (!sess->closed && sess->first.group == s->group)
				break;
	/* -1: the one session, and nothing else. */
	if (sess == NULL && srv->served_one)
		for (sess = srv->sessions; sess != NULL; sess = sess->next)
			if (!sess->finished)
				break;
	if (sess != NULL) {
		if (sess->closed ||
		    session_same_group(&sess->first, s, eb) != 0) {
			if (sess->closed)
				errbuf_set(eb, "not part of session 0x%08"
				    PRIx32, sess->first.group);
			pthread_mutex_unlock(&srv->mu);
			warnx("connection from %s: %s", x->peer, eb);
			abort_conn(x);
			xfer_free(x);
			return;
		}
		add_member(sess, x, s);
		pthread_mutex_unlock(&srv->mu);
		return;
	}
	if (srv->served_one) {
		/* -1 and its session is over: nobody to serve. */
		pthread_mutex_unlock(&srv->mu);
		abort_conn(x);
		xfer_free(x);
		return;
	}
	sess = calloc(1, sizeof(*sess));
	if (sess == NULL)
		err(1, "calloc");
	sess->srv = srv;
	sess->first = *s;
	sess->deadline = clock_mono_ms() + TTCP_SETUP_TIMEOUT_MS;
	sess->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sess->evfd == -1)
		err(1, "eventfd");
	add_member(sess, x, s);
	sess->next = srv->sessions;
	srv->sessions = sess;
	srv->served_one = srv->cfg->once;
	rc = pthread_create(&sess->thread, NULL, session_main, sess);
	if (rc != 0) {
		errno = rc;
		err(1, "pthread_create");
	}
	pthread_mutex_unlock(&srv->mu);
}

/* Join the sessions that finished; returns how many are still on. */
static int
reap(struct bserver *srv)
{
	struct bsess **pp = &srv->sessions;
	int left = 0;

	pthread_mutex_lock(&srv->mu);
	while (*pp != NULL) {
		struct bsess *s = *pp;

		if (!s->finished) {
			left++;
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		pthread_mutex_unlock(&srv->mu);
		pthread_join(s->thread, NULL);
		if (s->status != 0 && srv->status == 0)
			srv->status = s->status;
		for (int i = 0; i < s->n; i++)
			xfer_free(s->xs[i]);
		close(s->evfd);
		free(s);
		pthread_mutex_lock(&srv->mu);
	}
	pthread_mutex_unlock(&srv->mu);
	return left;
}

/* A header that never came whole: reported as a failed session. */
static void
header_failed(struct bserver *srv, struct pending *pd, enum outcome o,
    const char *why)
{
	struct session none;
	int status;

	memset(&none, 0, sizeof(none));
	abort_conn(pd->x);
	xfer_fail(pd->x, o, "session header from %s: %s", pd->x->peer, why);
	pthread_mutex_lock(&srv->out);
	status = report_session(srv->cfg, &pd->x, 1, &none, NULL, NULL,
	    OUTCOME_OK);
	pthread_mutex_unlock(&srv->out);
	pthread_mutex_lock(&srv->mu);
	srv->nsessions++;
	srv->failed++;
	if (srv->cfg->once)
		srv->served_one = true;
	pthread_mutex_unlock(&srv->mu);
	if (status != 0 && srv->status == 0)
		srv->status = status;
	xfer_free(pd->x);
	pd->x = NULL;
}

/* Read what pd's header still owes; ends pd (x NULL) once decided. */
static void
header_read(struct bserver *srv, struct pending *pd)
{
	struct session s;
	char eb[ERRBUF_LEN], why[ERRBUF_LEN];
	enum outcome o;
	ssize_t n;
	int rc;

	n = recv(pd->x->fd, pd->raw + pd->have, pd->need - pd->have,
	    MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		o = n == 0 ? OUTCOME_EOF : outcome_from_errno(errno);
		snprintf(why, sizeof(why), "peer closed (%s) after %zu of %zu "
		    "header bytes", outcome_name(o), pd->have, pd->need);
		header_failed(srv, pd, o, why);
		return;
	}
	pd->have += (size_t)n;
	rc = session_decode(pd->raw, pd->have, &s, &pd->need, eb);
	if (rc == 0)
		return;
	if (rc < 0) {
		header_failed(srv, pd, OUTCOME_ERROR, eb);
		return;
	}
	dispatch(srv, pd->x, &s);
	pd->x = NULL;
}

static void
header_timeout(struct bserver *srv, struct pending *pd)
{
	char why[ERRBUF_LEN];

	snprintf(why, sizeof(why), "timeout after %zu of %zu header bytes",
	    pd->have, pd->need);
	header_failed(srv, pd, OUTCOME_TIMEOUT, why);
}

/* The receiver's totals when a signal ends it, as text. */
static void
server_totals(struct bserver *srv)
{
	if (srv->cfg->json || srv->cfg->once)
		return;
	report_server_totals(srv->nsessions, srv->bytes, srv->failed);
}

int
run_receive_blocking(const struct ttcp_config *cfg, int sfd)
{
	struct sock_opts so = { .family = cfg->family };
	struct bufsize snd, rcv;
	struct bserver srv;
	struct pending *pend = NULL;
	struct pollfd *pfd = NULL;
	size_t npend = 0, cap = 0;
	char eb[ERRBUF_LEN];
	int lfd, signo = 0;

	memset(&srv, 0, sizeof(srv));
	srv.cfg = cfg;
	pthread_mutex_init(&srv.mu, NULL);
	pthread_mutex_init(&srv.out, NULL);
	lfd = sock_listen(cfg->bind, cfg->port, &so, eb);
	if (lfd < 0)
		return report_setup_error(cfg, "receive", eb, OUTCOME_ERROR);
	/* Before any SYN, so the window scale suits the buffer. */
	if (cfg->bufsize > 0 && sockopt_bufsizes(lfd, cfg->bufsize,
	    cfg->bufsize, &snd, &rcv, eb) != 0)
		warnx("%s", eb);
	if (sock_set_nonblock(lfd, true) != 0)
		err(1, "O_NONBLOCK");
	srv.reap_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv.reap_fd == -1)
		err(1, "eventfd");
	verbose_listening(cfg, lfd);
	for (;;) {
		int64_t now = clock_mono_ms(), next = -1;
		bool accepting;
		size_t k = 0;
		int rc, left;

		left = reap(&srv);
		/* -1: strangers are heard (and turned away) while it lasts. */
		pthread_mutex_lock(&srv.mu);
		accepting = !srv.served_one;
		for (struct bsess *s = srv.sessions; s != NULL; s = s->next)
			accepting = accepting || !s->closed;
		/* -1: its session is over (or its header failed). */
		if (srv.served_one && left == 0) {
			pthread_mutex_unlock(&srv.mu);
			break;
		}
		pthread_mutex_unlock(&srv.mu);
		if (cap < npend + 3) {
			cap = (npend + 3) * 2;
			pfd = realloc(pfd, cap * sizeof(*pfd));
			if (pfd == NULL)
				err(1, "realloc");
		}
		pfd[k++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[k++] = (struct pollfd){ .fd = srv.reap_fd,
		    .events = POLLIN };
		pfd[k++] = (struct pollfd){ .fd = lfd,
		    .events = accepting ? POLLIN : 0 };
		for (size_t i = 0; i < npend; i++) {
			pfd[k++] = (struct pollfd){ .fd = pend[i].x->fd,
			    .events = POLLIN };
			if (next < 0 || pend[i].deadline < next)
				next = pend[i].deadline;
		}
		rc = poll(pfd, k, next < 0 ? -1 : next <= now ? 0 :
		    (int)(next - now));
		if (rc < 0 && errno != EINTR)
			err(1, "poll");
		if (rc < 0)
			continue;
		if (pfd[0].revents && (signo = stop_fd_read(sfd)) != 0)
			break;
		if (pfd[1].revents)
			drain(srv.reap_fd);
		now = clock_mono_ms();
		for (size_t i = 0; i < npend; i++) {
			if (pfd[3 + i].revents)
				header_read(&srv, &pend[i]);
			else if (now >= pend[i].deadline)
				header_timeout(&srv, &pend[i]);
		}
		/* Keep those still waiting for their header. */
		k = 0;
		for (size_t i = 0; i < npend; i++)
			if (pend[i].x != NULL)
				pend[k++] = pend[i];
		npend = k;
		if (pfd[2].revents && accepting) {
			int fd = accept_or_warn(lfd, NULL, 0);
			struct xfer *x;

			if (fd < 0)
				continue;
			x = xfer_new(fd, 0, -1);
			if (cfg->verbose)
				fprintf(stderr, "ttcp-r: accepted %s\n",
				    x->peer);
			if (xfer_setup_socket(x, cfg, eb) != 0)
				warnx("%s", eb);
			pend = realloc(pend, (npend + 1) * sizeof(*pend));
			if (pend == NULL)
				err(1, "realloc");
			memset(&pend[npend], 0, sizeof(pend[0]));
			pend[npend].x = x;
			pend[npend].need = TTCP_HDR_LEN;
			pend[npend].deadline = clock_mono_ms() +
			    TTCP_SETUP_TIMEOUT_MS;
			npend++;
		}
	}
	for (size_t i = 0; i < npend; i++) {
		abort_conn(pend[i].x);
		xfer_free(pend[i].x);
	}
	if (signo != 0) {
		pthread_mutex_lock(&srv.mu);
		for (struct bsess *s = srv.sessions; s != NULL; s = s->next) {
			s->stop = true;
			wake(s->evfd);
		}
		pthread_mutex_unlock(&srv.mu);
		while (reap(&srv) > 0) {
			struct pollfd p = { .fd = srv.reap_fd,
			    .events = POLLIN };

			if (poll(&p, 1, -1) > 0)
				drain(srv.reap_fd);
		}
		server_totals(&srv);
	}
	free(pend);
	free(pfd);
	close(srv.reap_fd);
	close(lfd);
	pthread_mutex_destroy(&srv.mu);
	pthread_mutex_destroy(&srv.out);
	/*
	 * A signal, idle or mid-session, is how a receiver without -1 ends:
	 * 128 + its number, as everywhere in the suite, whatever the sessions
	 * before it did (each reported its own failure).
	 */
	return signo != 0 ? STOP_EXIT(signo) : srv.status;
}
