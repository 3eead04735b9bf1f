/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for relay.c: real loopback pairs through both I/O models. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "conn.h"
#include "evloop.h"
#include "loopback.h"
#include "relay.h"
#include "sock.h"
#include "tls.h"

/* Which engine a test runs on. */
struct mode {
	enum relay_io io;
	bool splice;
};

static const struct mode m_epoll = { RELAY_IO_EPOLL, false };
static const struct mode m_epoll_splice = { RELAY_IO_EPOLL, true };
static const struct mode m_threads = { RELAY_IO_THREADS, false };
static const struct mode m_threads_splice = { RELAY_IO_THREADS, true };

/* ---- the rig: peer a <-> [end 0 | relay | end 1] <-> peer b ---- */

struct rig {
	struct mode m;
	int a, b;			/* the test's two peers */
	int fd0, fd1;			/* the relay's ends */
	struct evloop *loop;
	struct relay *relay;
	pthread_t t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int count[RELAY_EV_END + 1];	/* events of each kind */
	int error_end;
	enum outcome error_outcome, end_outcome;
	uint64_t end_bytes[2];
	uint64_t pause_read_at;		/* bytes from end 0 at 1st pause */
	/* hook */
	uint64_t hooked[2];		/* bytes the hook saw from each end */
	uint64_t cut_at;		/* cut end 0's stream here (0: never) */
	enum relay_action cut_how;
	int delay_ms;
	int fin_delay_ms;		/* hold each FIN this long */
};

static void
on_event(const struct relay_event *ev, void *arg)
{
	struct rig *r = arg;

	pthread_mutex_lock(&r->mu);
	r->count[ev->kind]++;
	switch (ev->kind) {
	case RELAY_EV_ERROR:
		r->error_end = ev->end;
		r->error_outcome = ev->outcome;
		break;
	case RELAY_EV_PAUSED:
		if (ev->end == 0 && r->pause_read_at == 0)
			r->pause_read_at = ev->bytes[0];
		break;
	case RELAY_EV_END:
		r->end_outcome = ev->outcome;
		r->end_bytes[0] = ev->bytes[0];
		r->end_bytes[1] = ev->bytes[1];
		if (r->loop != NULL)
			evloop_stop(r->loop);
		break;
	default:
		break;
	}
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void
on_chunk(const struct relay_chunk *c, struct relay_verdict *v, void *arg)
{
	struct rig *r = arg;

	pthread_mutex_lock(&r->mu);
	r->hooked[c->from] += c->len;
	pthread_mutex_unlock(&r->mu);
	assert_true(c->data != NULL || r->m.splice);
	v->delay_ms = r->delay_ms;
	if (c->from == 0 && r->cut_at != 0 &&
	    c->offset + c->len >= r->cut_at) {
		v->pass = (size_t)(r->cut_at - c->offset);
		v->action = r->cut_how;
	}
}

static int
on_fin(struct relay_pair *p, int from, void *arg)
{
	struct rig *r = arg;

	(void)p;
	(void)from;
	return r->fin_delay_ms;
}

static void *
loop_thread(void *arg)
{
	struct rig *r = arg;

	if (r->m.io == RELAY_IO_EPOLL)
		evloop_run(r->loop);
	else
		relay_pair_run(r->relay, r->fd0, r->fd1, r);
	return NULL;
}

/* Start relaying with a buffer of `buffer` bytes per direction; small
   kernel buffers (no autotuning) when `small`. */
static void
rig_start_bufs(struct rig *r, const struct mode *m, size_t buffer,
    bool hook, bool small)
{
	struct relay_opts o = {
		.io = m->io,
		.splice = m->splice,
		.buffer = buffer,
		.quit_ms = -1,
		.rst_flush_ms = 2000,
		.on_event = on_event,
		.on_chunk = hook ? on_chunk : NULL,
		.fin_delay = hook ? on_fin : NULL,
		.arg = r,
	};
	char eb[ERRBUF_LEN];

	r->m = *m;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	assert_int_equal(tcp_pair(&r->a, &r->fd0), 0);
	assert_int_equal(tcp_pair(&r->fd1, &r->b), 0);
	if (small) {
		int v = 64 * 1024;

		setsockopt(r->a, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
		setsockopt(r->fd0, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		setsockopt(r->fd1, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
		setsockopt(r->b, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	}
	if (m->io == RELAY_IO_EPOLL) {
		r->loop = evloop_new(eb);
		assert_non_null(r->loop);
	}
	r->relay = relay_new(r->loop, &o, eb);
	assert_non_null(r->relay);
	if (m->io == RELAY_IO_EPOLL)
		assert_non_null(relay_pair_add(r->relay, r->fd0, r->fd1, r,
		    eb));
	assert_int_equal(pthread_create(&r->t, NULL, loop_thread, r), 0);
}

static void
rig_start(struct rig *r, const struct mode *m, size_t buffer, bool hook)
{
	rig_start_bufs(r, m, buffer, hook, false);
}

/* Wait (bounded) until `n` events of `kind` were reported. */
static void
rig_wait(struct rig *r, enum relay_event_kind kind, int n)
{
	int64_t until = clock_mono_ms() + TEST_WAIT_MS;

	pthread_mutex_lock(&r->mu);
	while (r->count[kind] < n) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		if (clock_mono_ms() > until) {
			pthread_mutex_unlock(&r->mu);
			fail_msg("no event %d after %d ms", kind, TEST_WAIT_MS);
		}
	}
	pthread_mutex_unlock(&r->mu);
}

static bool
paused(struct rig *r)
{
	bool p;

	pthread_mutex_lock(&r->mu);
	p = r->count[RELAY_EV_PAUSED] > 0;
	pthread_mutex_unlock(&r->mu);
	return p;
}

static void
rig_finish(struct rig *r)
{
	rig_wait(r, RELAY_EV_END, 1);
	pthread_join(r->t, NULL);
	relay_free(r->relay);
	if (r->loop != NULL)
		evloop_free(r->loop);
	if (r->a >= 0)
		close(r->a);
	if (r->b >= 0)
		close(r->b);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
}

/* ---- peers ---- */

static unsigned char
pat(uint64_t i)
{
	return (unsigned char)(i % 251 + (i >> 12));
}

static void
send_pat(int fd, uint64_t off, size_t len)
{
	unsigned char buf[65536];

	/* write(2): sockets, pipes and files alike. */
	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			buf[i] = pat(off + i);
		w = write(fd, buf, n);
		assert_true(w > 0);
		off += (uint64_t)w;
		len -= (size_t)w;
	}
}

/* n bytes read at stream offset got must be the pattern. */
static void
check_pat(const unsigned char *buf, ssize_t n, uint64_t got)
{
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] != pat(got + i))
			fail_msg("byte %llu differs",
			    (unsigned long long)(got + i));
}

/*
 * Read (a socket or a pipe) until EOF, an error or max bytes (0: no
 * limit), each wait bounded, checking the pattern from offset 0.
 * Returns the bytes read; *err is 0 at EOF, else errno.
 */
static uint64_t
recv_pat(int fd, uint64_t max, int *err)
{
	unsigned char buf[65536];
	uint64_t got = 0;
	ssize_t n;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		assert_int_equal(poll(&p, 1, TEST_WAIT_MS), 1);
		n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			*err = n == 0 ? 0 : errno;
			return got;
		}
		check_pat(buf, n, got);
		got += (uint64_t)n;
		if (max != 0 && got == max)
			return got;
	}
}

/* recv_pat to EOF or an error (max 0) or max bytes: want bytes, ending
   with errno want_err (0: EOF, or max reached). */
static void
recv_expect(int fd, uint64_t max, uint64_t want, int want_err)
{
	int err = 0;

	assert_int_equal(recv_pat(fd, max, &err), want);
	assert_int_equal(err, want_err);
}

/* len pattern bytes from offset 0, then our FIN. */
static void
send_fin(int fd, size_t len)
{
	send_pat(fd, 0, len);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
}

static uint64_t
sockbuf(int fd, int opt)
{
	int v = 0;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, opt, &v, &len), 0);
	return (uint64_t)v;
}

static void
set_linger0(int fd)
{
	struct linger l = { 1, 0 };

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l,
	    sizeof(l)), 0);
}

/* ---- tests ---- */

/* from shuts down first: its FIN reaches the other peer after its bytes,
   while the other direction still flows; then the other way. */
static void
half_close(const struct mode *m, bool a_first)
{
	struct rig r = { 0 };
	int x, y;

	rig_start(&r, m, 256 * 1024, false);
	x = a_first ? r.a : r.b;
	y = a_first ? r.b : r.a;
	send_fin(x, 300000);
	recv_expect(y, 0, 300000, 0);
	rig_wait(&r, RELAY_EV_EOF, 1);
	/* The other direction still works after the half-close. */
	send_fin(y, 70000);
	recv_expect(x, 0, 70000, 0);
	rig_finish(&r);
	assert_int_equal(r.count[RELAY_EV_EOF], 2);
	assert_int_equal(r.count[RELAY_EV_ERROR], 0);
	assert_int_equal(r.end_outcome, OUTCOME_OK);
	assert_int_equal(r.end_bytes[a_first ? 0 : 1], 300000);
	assert_int_equal(r.end_bytes[a_first ? 1 : 0], 70000);
}

/* The client's side first, then (a new pair) the server's. */
static void
test_half_close(void **state)
{
	half_close(*state, true);
	half_close(*state, false);
}

/* x's peer resets after its bytes arrived: y gets them, then an RST. */
static void
reset(const struct mode *m, bool a_resets)
{
	struct rig r = { 0 };
	int x, y, err;

	rig_start(&r, m, 256 * 1024, false);
	x = a_resets ? r.a : r.b;
	y = a_resets ? r.b : r.a;
	send_pat(x, 0, 5000);
	assert_int_equal(recv_pat(y, 5000, &err), 5000);
	set_linger0(x);
	close(x);
	if (a_resets)
		r.a = -1;
	else
		r.b = -1;
	recv_expect(y, 0, 0, ECONNRESET);
	rig_finish(&r);
	assert_int_equal(r.count[RELAY_EV_ERROR], 1);
	assert_int_equal(r.error_end, a_resets ? 0 : 1);
	assert_int_equal(r.error_outcome, OUTCOME_RESET);
	assert_int_equal(r.end_outcome, OUTCOME_RESET);
}

/* The client resets, then (a new pair) the server does. */
static void
test_reset(void **state)
{
	reset(*state, true);
	reset(*state, false);
}

/*
 * b does not read: the relay stops reading a once its queue to b is full
 * (the PAUSED event), holding a bounded amount, and resumes when b reads;
 * every byte arrives in order.
 */
static void
test_backpressure(void **state)
{
	const struct mode *m = *state;
	const size_t buffer = 64 * 1024, total = 16u << 20;
	struct rig r = { 0 };
	uint64_t sent = 0, held, bound;
	int64_t until;
	unsigned char buf[65536];
	int err;

	rig_start_bufs(&r, m, buffer, false, true);
	until = clock_mono_ms() + TEST_WAIT_MS;
	assert_int_equal(sock_set_nonblock(r.a, true), 0);
	/* Fill until a's send buffer is full too: everything is stalled. */
	for (;;) {
		struct pollfd p = { .fd = r.a, .events = POLLOUT };
		ssize_t n;

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pat(sent + i);
		n = send(r.a, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n > 0) {
			sent += (uint64_t)n;
			assert_true(sent < total);
			continue;
		}
		assert_int_equal(errno, EAGAIN);
		/* Still stalled 100 ms later (and, on epoll, the relay said
		   it paused): the relay stopped reading. */
		if (poll(&p, 1, 100) == 0 && (m->io != RELAY_IO_EPOLL ||
		    paused(&r)))
			break;
		assert_true(clock_mono_ms() < until);
	}
	/*
	 * Bounded: what a could push is the relay's bound (plus one read)
	 * and the four kernel buffers on the way, never the whole stream.
	 */
	bound = buffer + CONN_READ_MAX + sockbuf(r.a, SO_SNDBUF) +
	    sockbuf(r.fd0, SO_RCVBUF) + sockbuf(r.fd1, SO_SNDBUF) +
	    sockbuf(r.b, SO_RCVBUF);
	assert_true(sent <= bound);
	if (m->io == RELAY_IO_EPOLL) {
		pthread_mutex_lock(&r.mu);
		held = r.pause_read_at;
		pthread_mutex_unlock(&r.mu);
		assert_true(held > 0);
		assert_true(held <= buffer + CONN_READ_MAX +
		    sockbuf(r.fd1, SO_SNDBUF) + sockbuf(r.b, SO_RCVBUF));
	}
	/* b reads: everything flows again, byte exact. */
	assert_int_equal(sock_set_nonblock(r.a, false), 0);
	assert_int_equal(shutdown(r.a, SHUT_WR), 0);
	recv_expect(r.b, 0, sent, 0);
	assert_int_equal(shutdown(r.b, SHUT_WR), 0);
	assert_int_equal(recv_pat(r.a, 0, &err), 0);
	rig_finish(&r);
	assert_int_equal(r.end_bytes[0], sent);
	if (m->io == RELAY_IO_EPOLL)
		assert_true(r.count[RELAY_EV_PAUSED] >= 1);
}

/* The hook sees every byte from each end (count). */
static void
test_hook_counts(void **state)
{
	struct rig r = { 0 };
	int err;

	rig_start(&r, *state, 256 * 1024, true);
	send_fin(r.a, 123457);
	assert_int_equal(recv_pat(r.b, 0, &err), 123457);
	send_fin(r.b, 999);
	assert_int_equal(recv_pat(r.a, 0, &err), 999);
	rig_finish(&r);
	assert_int_equal(r.hooked[0], 123457);
	assert_int_equal(r.hooked[1], 999);
}

/* The hook cuts a's stream at exactly 10000 bytes with an RST. */
static void
test_hook_cut_rst(void **state)
{
	struct rig r = { .cut_at = 10000, .cut_how = RELAY_CUT_RST };

	rig_start(&r, *state, 256 * 1024, true);
	send_pat(r.a, 0, 50000);
	recv_expect(r.b, 0, 10000, ECONNRESET);
	recv_expect(r.a, 0, 0, ECONNRESET);
	rig_finish(&r);
	assert_int_equal(r.count[RELAY_EV_ERROR], 0);
}

/* The hook cuts a's stream at exactly 7000 bytes with a FIN; b's
   direction goes on. */
static void
test_hook_cut_fin(void **state)
{
	struct rig r = { .cut_at = 7000, .cut_how = RELAY_CUT_FIN };

	rig_start(&r, *state, 256 * 1024, true);
	send_pat(r.a, 0, 20000);
	recv_expect(r.b, 0, 7000, 0);
	send_fin(r.b, 3000);
	recv_expect(r.a, 0, 3000, 0);
	assert_int_equal(shutdown(r.a, SHUT_WR), 0);
	rig_finish(&r);
	assert_int_equal(r.end_outcome, OUTCOME_OK);
}

/* The hook delays every chunk by 80 ms and each FIN by 120 ms after the
   data it follows (thread model). */
static void
test_hook_delay(void **state)
{
	struct rig r = { .delay_ms = 80, .fin_delay_ms = 120 };
	int64_t t0;
	int err;

	rig_start(&r, *state, 256 * 1024, true);
	t0 = clock_mono_ms();
	send_pat(r.a, 0, 100);
	assert_int_equal(recv_pat(r.b, 100, &err), 100);
	assert_true(clock_mono_ms() - t0 >= 80);
	t0 = clock_mono_ms();
	assert_int_equal(shutdown(r.a, SHUT_WR), 0);
	assert_int_equal(recv_pat(r.b, 0, &err), 0);
	assert_true(clock_mono_ms() - t0 >= 120);
	assert_int_equal(shutdown(r.b, SHUT_WR), 0);
	assert_int_equal(recv_pat(r.a, 0, &err), 0);
	rig_finish(&r);
}

/* ---- stdio pairs (nc mode) ---- */

/* stdin is a pipe or a file, stdout a pipe; the peer is b. */
struct stdio_rig {
	struct rig r;
	int in_w, out_r;	/* the test's ends of the two pipes */
	int rfd, wfd;		/* the relay's */
	/* stdio_start_tls: TLS between the relay's socket and b */
	struct tls_ctx *sctx, *cctx;
	struct tls_conn *peer;	/* b's, the server */
	struct tls_conn *tls;	/* the relay's, the client */
};

/*
 * TLS on fd (the relay's, a client) and b (the test's peer, a server with
 * a throwaway certificate): both handshakes driven step by step here.
 */
static void
tls_pair(struct stdio_rig *sr, int fd, int b)
{
	struct tls_opts so = { .role = TLS_SERVER, .self_signed = true };
	struct tls_opts co = { .role = TLS_CLIENT, .no_verify = true };
	char eb[ERRBUF_LEN];
	int rs = 1, rc = 1;

	assert_non_null(sr->sctx = tls_ctx_new(&so, eb));
	assert_non_null(sr->cctx = tls_ctx_new(&co, eb));
	assert_non_null(sr->peer = tls_conn_new(sr->sctx, b, NULL, eb));
	assert_non_null(sr->tls = tls_conn_new(sr->cctx, fd, NULL, eb));
	for (int i = 0; (rs != 0 || rc != 0) && i < 1000; i++) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { b, POLLIN, 0 } };

		if (rc != 0)
			rc = tls_handshake_step(sr->tls, eb);
		if (rs != 0)
			rs = tls_handshake_step(sr->peer, eb);
		assert_true(rc != -1 && rs != -1);
		if (rs != 0 || rc != 0)
			(void)poll(p, 2, 10);
	}
	assert_int_equal(rs, 0);
	assert_int_equal(rc, 0);
}

/* A TLS call returned n: when it asked to wait, wait (bounded): true. */
static bool
waited(struct tls_conn *t, ssize_t n)
{
	if (n != TLS_WANT_READ && n != TLS_WANT_WRITE)
		return false;
	assert_int_equal(sock_wait(tls_conn_fd(t), n == TLS_WANT_READ ?
	    POLLIN : POLLOUT, sock_deadline(TEST_WAIT_MS)), 1);
	return true;
}

/* The test's TLS peer: write all of len pattern bytes from off. */
static void
tls_send_pat(struct tls_conn *t, uint64_t off, size_t len)
{
	unsigned char buf[16384];
	char eb[ERRBUF_LEN];
	ssize_t n;

	while (len > 0) {
		size_t k = len < sizeof(buf) ? len : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] = pat(off + i);
		n = tls_write(t, buf, k, eb);
		if (waited(t, n))
			continue;
		assert_true(n > 0);
		off += (uint64_t)n;
		len -= (size_t)n;
	}
}

/* The test's TLS peer: read to the end, checking the pattern; the bytes,
   *err 0 at the end of the data (see tls_conn_ending), else errno. */
static uint64_t
tls_recv_pat(struct tls_conn *t, int *err)
{
	unsigned char buf[16384];
	char eb[ERRBUF_LEN];
	uint64_t got = 0;
	ssize_t n;

	for (;;) {
		n = tls_read(t, buf, sizeof(buf), eb);
		if (waited(t, n))
			continue;
		if (n <= 0) {
			*err = n == 0 ? 0 : errno;
			return got;
		}
		check_pat(buf, n, got);
		got += (uint64_t)n;
	}
}

static void *
stdio_loop_thread(void *arg)
{
	struct rig *r = arg;

	evloop_run(r->loop);
	return NULL;
}

static void
stdio_start_as(struct stdio_rig *sr, const struct mode *m, int rfd,
    enum close_how how, bool tls)
{
	struct rig *r = &sr->r;
	struct relay_opts o = {
		.io = m->io,
		.buffer = 64 * 1024,
		.quit_ms = -1,
		.eof_close = how,
		.on_event = on_event,
		.arg = r,
	};
	char eb[ERRBUF_LEN];
	int out[2];

	r->m = *m;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	assert_int_equal(pipe(out), 0);
	sr->out_r = out[0];
	sr->wfd = out[1];
	sr->rfd = rfd;
	r->a = -1;
	assert_int_equal(tcp_pair(&r->fd1, &r->b), 0);
	if (tls)
		tls_pair(sr, r->fd1, r->b);
	r->loop = evloop_new(eb);
	assert_non_null(r->loop);
	r->relay = relay_new(r->loop, &o, eb);
	assert_non_null(r->relay);
	if (tls)
		assert_non_null(relay_pair_add_stdio_tls(r->relay, sr->rfd,
		    sr->wfd, sr->tls, r, eb));
	else
		assert_non_null(relay_pair_add_stdio(r->relay, sr->rfd,
		    sr->wfd, r->fd1, r, eb));
	assert_int_equal(pthread_create(&r->t, NULL, stdio_loop_thread, r),
	    0);
}

static void
stdio_start(struct stdio_rig *sr, const struct mode *m, int rfd,
    enum close_how how)
{
	stdio_start_as(sr, m, rfd, how, false);
}

/* stdio_start with a pipe as stdin; the test writes to sr->in_w. */
static void
stdio_start_pipe(struct stdio_rig *sr, const struct mode *m,
    enum close_how how)
{
	int in[2];

	assert_int_equal(pipe(in), 0);
	sr->in_w = in[1];
	stdio_start(sr, m, in[0], how);
}


static void
stdio_finish(struct stdio_rig *sr)
{
	rig_finish(&sr->r);
	if (sr->out_r >= 0)
		close(sr->out_r);
	close(sr->wfd);
	close(sr->rfd);
	/* The relay is done with it: the caller frees its TLS. */
	tls_conn_free(sr->tls);
	tls_conn_free(sr->peer);
	tls_ctx_free(sr->sctx);
	tls_ctx_free(sr->cctx);
}

/* A TLS stdio rig with stdin a pipe whose write end is in[1]. */
static void
stdio_tls_start(struct stdio_rig *sr, int in[2])
{
	assert_int_equal(pipe(in), 0);
	stdio_start_as(sr, &m_epoll, in[0], CLOSE_GRACEFUL, true);
}

/* The pair ended by itself, the peer's ending as want; close stdin. */
static void
stdio_tls_ended(struct stdio_rig *sr, int in_w, enum tls_ending want)
{
	rig_wait(&sr->r, RELAY_EV_END, 1);
	assert_int_equal(tls_conn_ending(sr->tls), want);
	close(in_w);
	stdio_finish(sr);
}

/* TLS: stdin's EOF is our close_notify then FIN, which the peer reads as
   the end of our data; it answers after it (TLS 1.3 half-close), and
   its close_notify ends the pair cleanly. */
static void
test_stdio_tls_close_notify(void **state)
{
	struct stdio_rig sr = { 0 };
	char eb[ERRBUF_LEN];
	int in[2], err;

	(void)state;
	stdio_tls_start(&sr, in);
	send_pat(in[1], 0, 200000);
	close(in[1]);
	assert_int_equal(tls_recv_pat(sr.peer, &err), 200000);
	assert_int_equal(err, 0);
	assert_int_equal(tls_conn_ending(sr.peer), TLS_END_CLOSE_NOTIFY);
	tls_send_pat(sr.peer, 0, 100000);
	assert_int_equal(tls_close_notify(sr.peer, eb), 0);
	assert_int_equal(shutdown(sr.r.b, SHUT_WR), 0);
	assert_int_equal(recv_pat(sr.out_r, 100000, &err), 100000);
	rig_wait(&sr.r, RELAY_EV_END, 1);
	assert_int_equal(tls_conn_ending(sr.tls), TLS_END_CLOSE_NOTIFY);
	stdio_finish(&sr);
	assert_int_equal(sr.r.count[RELAY_EV_EOF], 2);
	assert_int_equal(sr.r.count[RELAY_EV_ERROR], 0);
	assert_int_equal(sr.r.end_outcome, OUTCOME_OK);
	assert_int_equal(sr.r.end_bytes[0], 200000);
	assert_int_equal(sr.r.end_bytes[1], 100000);
}

/* TLS: the peer's FIN without close_notify ends the pair (OpenSSL sends
   nothing after it) with stdin still open; the ending is truncated. */
static void
test_stdio_tls_truncated(void **state)
{
	struct stdio_rig sr = { 0 };
	int in[2], err;

	(void)state;
	stdio_tls_start(&sr, in);
	tls_send_pat(sr.peer, 0, 50000);
	assert_int_equal(shutdown(sr.r.b, SHUT_WR), 0);
	assert_int_equal(recv_pat(sr.out_r, 50000, &err), 50000);
	stdio_tls_ended(&sr, in[1], TLS_END_TRUNCATED);
	assert_int_equal(sr.r.count[RELAY_EV_EOF], 1);
	assert_int_equal(sr.r.count[RELAY_EV_ERROR], 0);
	assert_int_equal(sr.r.end_bytes[1], 50000);
}

/* TLS: the peer's RST is a receive error, its bytes before it delivered. */
static void
test_stdio_tls_reset(void **state)
{
	struct stdio_rig sr = { 0 };
	struct close_report rep;
	int in[2], err;

	(void)state;
	stdio_tls_start(&sr, in);
	tls_send_pat(sr.peer, 0, 30000);
	assert_int_equal(recv_pat(sr.out_r, 30000, &err), 30000);
	close_abort(sr.r.b, &rep);
	sr.r.b = -1;
	stdio_tls_ended(&sr, in[1], TLS_END_RESET);
	assert_int_equal(sr.r.count[RELAY_EV_ERROR], 1);
	assert_int_equal(sr.r.error_outcome, OUTCOME_RESET);
	assert_int_equal(sr.r.end_outcome, OUTCOME_RESET);
}

/* stdin's EOF is a FIN to the peer; the peer's bytes and EOF reach
   stdout; the pair ends once both are done. */
static void
test_stdio_half_close(void **state)
{
	struct stdio_rig sr = { 0 };
	int err;

	stdio_start_pipe(&sr, *state, CLOSE_GRACEFUL);
	send_pat(sr.in_w, 0, 200000);
	close(sr.in_w);
	recv_expect(sr.r.b, 0, 200000, 0);
	send_fin(sr.r.b, 100000);
	assert_int_equal(recv_pat(sr.out_r, 100000, &err), 100000);
	stdio_finish(&sr);
	assert_int_equal(sr.r.count[RELAY_EV_EOF], 2);
	assert_int_equal(sr.r.end_outcome, OUTCOME_OK);
	assert_int_equal(sr.r.end_bytes[0], 200000);
	assert_int_equal(sr.r.end_bytes[1], 100000);
}

/* A regular file as stdin (epoll cannot watch it): all of it reaches the
   peer, then the FIN. */
static void
test_stdio_file(void **state)
{
	struct stdio_rig sr = { 0 };
	char path[] = "/tmp/t_relay.XXXXXX";
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	send_pat(fd, 0, 300000);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	stdio_start(&sr, *state, fd, CLOSE_GRACEFUL);
	recv_expect(sr.r.b, 0, 300000, 0);
	assert_int_equal(shutdown(sr.r.b, SHUT_WR), 0);
	stdio_finish(&sr);
	assert_int_equal(sr.r.end_bytes[0], 300000);
}

/* --close abort: stdin's bytes go out, then an RST instead of a FIN. */
static void
test_stdio_eof_abort(void **state)
{
	struct stdio_rig sr = { 0 };

	stdio_start_pipe(&sr, *state, CLOSE_ABORT);
	send_pat(sr.in_w, 0, 1000);
	close(sr.in_w);
	recv_expect(sr.r.b, 0, 1000, ECONNRESET);
	stdio_finish(&sr);
	assert_int_equal(sr.r.count[RELAY_EV_EOF], 1);
	assert_int_equal(sr.r.end_bytes[0], 1000);
}

/* stdout's reader is gone: the relay reports it and resets the peer. */
static void
test_stdio_stdout_gone(void **state)
{
	struct stdio_rig sr = { 0 };

	stdio_start_pipe(&sr, *state, CLOSE_GRACEFUL);
	close(sr.out_r);
	sr.out_r = -1;
	send_pat(sr.r.b, 0, 1000);
	recv_expect(sr.r.b, 0, 0, ECONNRESET);
	stdio_finish(&sr);
	close(sr.in_w);
	assert_int_equal(sr.r.count[RELAY_EV_ERROR], 1);
	assert_int_equal(sr.r.error_end, 0);
}

/* One test on one engine, named test/engine. */
#define IN(t, m) { #t "/" #m, t, NULL, NULL, (void *)&(m) }
/* One test on each of the four engines. */
#define ON_EVERY_ENGINE(t) \
	IN(t, m_epoll), IN(t, m_epoll_splice), IN(t, m_threads), \
	IN(t, m_threads_splice)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		ON_EVERY_ENGINE(test_half_close),
		ON_EVERY_ENGINE(test_reset),
		ON_EVERY_ENGINE(test_backpressure),
		ON_EVERY_ENGINE(test_hook_counts),
		IN(test_hook_cut_rst, m_epoll),
		IN(test_hook_cut_rst, m_threads),
		IN(test_hook_cut_fin, m_epoll),
		IN(test_hook_cut_fin, m_threads),
		IN(test_hook_delay, m_threads),
		IN(test_stdio_half_close, m_epoll),
		IN(test_stdio_file, m_epoll),
		IN(test_stdio_eof_abort, m_epoll),
		IN(test_stdio_stdout_gone, m_epoll),
		IN(test_stdio_tls_close_notify, m_epoll),
		IN(test_stdio_tls_truncated, m_epoll),
		IN(test_stdio_tls_reset, m_epoll),
	};

	signal(SIGPIPE, SIG_IGN);

	return cmocka_run_group_tests(tests, NULL, NULL);
}
