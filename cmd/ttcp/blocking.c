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
	uint8_t *base, *prefix, *payload, ack[TTCP_ACK_LEN];
	uint64_t bytes = 0;
	char eb[ERRBUF_LEN];
	enum outcome o;

	base = malloc(TTCP_HDR_MAX + 4 + (size_t)s->length);
	if (base == NULL) {
		xfer_fail(x, OUTCOME_ERROR, "cannot allocate %" PRIu32
		    " bytes", s->length);
		abort_conn(x);
		return;
	}
	prefix = base + TTCP_HDR_MAX;
	payload = prefix + 4;
	frame_put_be32(prefix, s->length);
	hex_pattern_fill(payload, s->length);
	if (x->start_us == 0)
		x->start_us = clock_mono_us();

	if (s->number == 0 && hdrlen > 0 &&
	    sock_send_all(x->fd, hdr, hdrlen, &o) != hdrlen) {
		xfer_fail(x, o, "sending the session header: %s",
		    outcome_name(o));
		goto out;
	}
	for (uint32_t i = 0; !xfer_sent_all(x, i); i++) {
		const uint8_t *p = stream ? payload : prefix;
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
	free(base);
	/* In stream mode the peer's EOF is its receipt of the last byte. */
	close_and_judge(x, true);
	return;
out:
	free(base);
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
 * Read a whole session header from fd (8 or 24 bytes, never more) by the
 * deadline. Returns 0, -1 with errbuf set and *o saying how it ended
 * (OUTCOME_ERROR for a header we refuse), -2 on a signal.
 */
static int
read_header(int fd, int sfd, int64_t deadline, struct session *s,
    enum outcome *o, char *errbuf)
{
	uint8_t raw[TTCP_HDR_MAX];
	size_t have = 0, need = TTCP_HDR_LEN;

	for (;;) {
		int rc = session_decode(raw, have, s, &need, errbuf);
		ssize_t n;

		*o = OUTCOME_ERROR;
		if (rc != 0)
			return rc == 1 ? 0 : -1;
		rc = wait_or_signal(fd, POLLIN, sfd, deadline);
		if (rc == -2)
			return -2;
		if (rc == 0) {
			*o = OUTCOME_TIMEOUT;
			errbuf_set(errbuf, "timeout after %zu of %zu header "
			    "bytes", have, need);
			return -1;
		}
		n = recv(fd, raw + have, need - have, MSG_DONTWAIT);
		if (n > 0) {
			have += (size_t)n;
		} else if (n == 0) {
			*o = OUTCOME_EOF;
			errbuf_set(errbuf, "peer closed (eof) after %zu of "
			    "%zu header bytes", have, need);
			return -1;
		} else if (errno != EAGAIN && errno != EINTR) {
			*o = outcome_from_errno(errno);
			errbuf_set(errbuf, "peer closed (%s) after %zu of %zu "
			    "header bytes", outcome_name(*o), have, need);
			return -1;
		}
	}
}

/* Accept one connection of the current session; -2 on a signal. */
static int
accept_one(int lfd, int sfd, int64_t deadline, int *fd, char *errbuf)
{
	enum outcome o;
	int rc = wait_or_signal(lfd, POLLIN, sfd, deadline);

	if (rc != 1)
		return rc == 0 ? 0 : -2;
	*fd = sock_accept(lfd, 0, &o, errbuf);
	return *fd < 0 ? -1 : 1;
}

/*
 * One session: the first connection, its header, then the rest of its
 * -P group. Each connection's thread starts as soon as its header is in.
 * Returns the session's exit status, -2 when a signal came while idle, -3
 * when one cut a session short (stop_requested() says which).
 */
static int
serve_session(const struct ttcp_config *cfg, int lfd, int sfd, int evfd)
{
	struct xfer *xs[TTCP_MAX_PARALLEL] = { NULL };
	struct session first, s;
	struct ticker tk;
	char eb[ERRBUF_LEN], group_error[ERRBUF_LEN] = "";
	enum outcome o;
	int fd, n = 0, rc, status;
	int64_t deadline;
	bool interrupted = false;

	rc = accept_one(lfd, sfd, -1, &fd, eb);
	if (rc == -2)
		return -2;
	if (rc != 1) {
		warnx("accept: %s", eb);
		return EXIT_FAIL;
	}
	memset(&first, 0, sizeof(first));
	xs[n++] = xfer_new(fd, 0, evfd);
	if (cfg->verbose)
		fprintf(stderr, "ttcp-r: accepted %s\n", xs[0]->peer);
	if (xfer_setup_socket(xs[0], cfg, eb) != 0)
		warnx("%s", eb);
	deadline = clock_mono_ms() + TTCP_SETUP_TIMEOUT_MS;
	rc = read_header(fd, sfd, deadline, &first, &o, eb);
	if (rc != 0) {
		abort_conn(xs[0]);
		if (rc == -2) {
			xfer_free(xs[0]);
			return -2;
		}
		xfer_fail(xs[0], o, "session header from %s: %s",
		    xs[0]->peer, eb);
		status = report_session(cfg, xs, 1, &first, NULL, NULL,
		    OUTCOME_OK);
		xfer_free(xs[0]);
		return status;
	}
	ticker_init(&tk, cfg, clock_mono_us());
	if (xfer_begin(xs[0], cfg, &first,
	    (first.flags & TTCP_FLAG_REVERSE) != 0) != 0)
		err(1, "calloc");
	xs[0]->start_us = tk.start_us;
	verbose_session(cfg, xs[0], &first);
	start_worker(xs[0]);

	/* The rest of a -P group, each within the set-up deadline. */
	while (n < (int)first.parallel && !interrupted) {
		rc = accept_one(lfd, sfd, deadline, &fd, eb);
		if (rc == -2) {
			interrupted = true;
			break;
		}
		if (rc == 0) {
			/* The workers own their xfers: say it for them. */
			snprintf(group_error, sizeof(group_error),
			    "session 0x%08" PRIx32 ": only %d of %" PRIu32
			    " connections arrived", first.group, n,
			    first.parallel);
			stop_all(xs, n);
			break;
		}
		if (rc < 0) {
			warnx("accept: %s", eb);
			continue;
		}
		struct xfer *x = xfer_new(fd, n, evfd);
		if (xfer_setup_socket(x, cfg, eb) != 0)
			warnx("%s", eb);
		rc = read_header(fd, sfd, deadline, &s, &o, eb);
		if (rc == 0 && session_same_group(&first, &s, eb) != 0)
			rc = -1;
		if (rc != 0) {
			if (rc == -1)
				warnx("connection from %s: %s", x->peer, eb);
			abort_conn(x);
			xfer_free(x);
			interrupted = rc == -2;
			continue;
		}
		if (xfer_begin(x, cfg, &s,
		    (s.flags & TTCP_FLAG_REVERSE) != 0) != 0)
			err(1, "calloc");
		x->start_us = clock_mono_us();
		verbose_session(cfg, x, &s);
		xs[n++] = x;
		start_worker(x);
	}
	if (interrupted)
		stop_all(xs, n);
	if (wait_workers(xs, n, evfd, sfd, &tk,
	    side_prefix(xs[0]->data_sender), cfg->interval_ms) == -2)
		interrupted = true;
	/* The group's set-up deadline passed: a timeout. */
	status = report_session(cfg, xs, n, &first, &tk,
	    interrupted ? TTCP_INTERRUPTED :
	    group_error[0] != '\0' ? group_error : NULL,
	    interrupted ? OUTCOME_INTERRUPTED : OUTCOME_TIMEOUT);
	ticker_free(&tk);
	for (int i = 0; i < n; i++)
		xfer_free(xs[i]);
	return interrupted ? -3 : status;
}

int
run_receive_blocking(const struct ttcp_config *cfg, int sfd)
{
	struct sock_opts so = { .family = cfg->family };
	struct bufsize snd, rcv;
	char eb[ERRBUF_LEN], local[ADDR_STRLEN];
	int lfd, evfd, status = 0;

	lfd = sock_listen(cfg->bind, cfg->port, &so, eb);
	if (lfd < 0)
		return report_setup_error(cfg, "receive", eb, OUTCOME_ERROR);
	/* Before any SYN, so the window scale suits the buffer. */
	if (cfg->bufsize > 0 && sockopt_bufsizes(lfd, cfg->bufsize,
	    cfg->bufsize, &snd, &rcv, eb) != 0)
		warnx("%s", eb);
	evfd = eventfd(0, EFD_CLOEXEC);
	if (evfd == -1)
		err(1, "eventfd");
	if (cfg->verbose)
		fprintf(stderr, "ttcp-r: listening on %s\n",
		    sock_local_str(lfd, local, sizeof(local)));
	for (;;) {
		int rc = serve_session(cfg, lfd, sfd, evfd);

		/*
		 * A signal, idle or mid-session, is how a receiver without -1
		 * ends: 128 + its number, as everywhere in the suite, whatever
		 * the sessions before it did (each reported its own failure).
		 */
		if (rc == -2 || rc == -3) {
			status = STOP_EXIT(stop_requested());
			break;
		}
		if (rc != 0 && status == 0)
			status = rc;
		if (cfg->once)
			break;
	}
	close(evfd);
	close(lfd);
	return status;
}
