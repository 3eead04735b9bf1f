/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for conn: the connection contract over real loopback TCP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "errbuf.h"
#include "loopback.h"
#include "sock.h"

#define MIB (1024u * 1024)

/* ---- loopback plumbing ------------------------------------------------ */

/* Blocking waits in the peers give up after this, so a bug cannot hang. */
static void
peer_deadline(int fd)
{
	struct timeval tv = { .tv_sec = 10 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A connected loopback pair (loopback.h): *ours for a conn, *peer for
   the test, whose blocking waits are bounded. */
static void
peer_pair(int *ours, int *peer)
{
	assert_int_equal(tcp_pair(ours, peer), 0);
	peer_deadline(*peer);
}

static unsigned char
pat(uint64_t i)
{
	return (unsigned char)(i % 251 + (i >> 12));
}

static void
fill_pat(unsigned char *p, uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pat(off + i);
}

static void
write_all(int fd, const void *p, size_t len)
{
	assert_int_equal(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void
set_linger0(int fd)
{
	struct linger l = { 1, 0 };

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l,
	    sizeof(l)), 0);
}

/* Wait (at most 5 s) until fd reports one of events. */
static void
wait_for(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	assert_int_equal(poll(&p, 1, 5000), 1);
}

/* ---- recording callbacks ---------------------------------------------- */

/*
 * Every callback appends a line to the log; anything after on_close is a
 * contract violation the tests catch by comparing the whole log.
 */
struct rec {
	char log[16][48];
	int n;
	char data[256];
	size_t data_len;
	enum conn_end why;
	enum outcome outcome;
	int closes;
	uint64_t bytes_in_at_close;
	uint64_t bytes_out_at_close;
	/* behaviour knobs */
	size_t (*consume)(const void *data, size_t len);
	void (*on_peer_eof_do)(struct conn *c, struct rec *r);
	struct conn *other;	/* closed from inside our first on_data */
	const char *more;	/* the peer sends it, then FIN, on first data */
	int more_fd;
};

static void rec_log(struct rec *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
rec_log(struct rec *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n == 16)
		fail_msg("too many callbacks");
	va_start(ap, fmt);
	vsnprintf(r->log[r->n++], sizeof(r->log[0]), fmt, ap);
	va_end(ap);
}

static size_t
rec_on_data(struct conn *c, const void *data, size_t len, void *arg)
{
	struct rec *r = arg;
	size_t n = r->consume != NULL ? r->consume(data, len) : len;

	assert_true(r->data_len + n <= sizeof(r->data));
	memcpy(r->data + r->data_len, data, n);
	r->data_len += n;
	rec_log(r, "data:%zu", n);
	if (r->more != NULL) {
		write_all(r->more_fd, r->more, strlen(r->more));
		assert_int_equal(shutdown(r->more_fd, SHUT_WR), 0);
		r->more = NULL;
	}
	if (r->other != NULL) {
		conn_close(r->other, CLOSE_ABORT, 0);
		r->other = NULL;
		conn_close(c, CLOSE_ABORT, 0);
	}
	return n;
}

static void
rec_on_message(struct conn *c, const void *msg, size_t len, void *arg)
{
	rec_log(arg, "msg:%.*s", (int)len, (const char *)msg);
}

static void
rec_on_peer_eof(struct conn *c, void *arg)
{
	struct rec *r = arg;

	rec_log(r, "peer-eof");
	if (r->on_peer_eof_do != NULL)
		r->on_peer_eof_do(c, r);
}

static void
rec_on_close(struct conn *c, enum conn_end why, enum outcome o, void *arg)
{
	struct rec *r = arg;

	r->why = why;
	r->outcome = o;
	r->closes++;
	r->bytes_in_at_close = conn_bytes_in(c);
	r->bytes_out_at_close = conn_bytes_out(c);
	rec_log(r, "close:%s:%s", conn_end_name(why), outcome_name(o));
	/* The contract: nothing can be sent from the last callback. */
	assert_int_equal(conn_send(c, "x", 1), -1);
}

static const struct conn_callbacks rec_cb = {
	.on_data = rec_on_data,
	.on_message = rec_on_message,
	.on_peer_eof = rec_on_peer_eof,
	.on_close = rec_on_close,
};

static struct conn *
new_conn(struct evloop *loop, int fd, struct rec *r)
{
	char eb[ERRBUF_LEN];
	struct conn *c = conn_new(loop, fd, &rec_cb, r, eb);

	if (c == NULL)
		fail_msg("conn_new: %s", eb);
	return c;
}

static void
assert_log(const struct rec *r, const char *const *want, int n)
{
	int i;

	for (i = 0; i < r->n || i < n; i++)
		assert_string_equal(i < r->n ? r->log[i] : "(none)",
		    i < n ? want[i] : "(none)");
}

/* ---- peers running in threads ----------------------------------------- */

/* Reads to EOF checking the pattern, then optionally replies and closes. */
struct reader {
	int fd;
	int start_fd;		/* read one byte from it before starting */
	size_t chunk;
	const char *reply;
	uint64_t got;
	bool pattern_ok;
	bool saw_eof;
	int err;
};

static void *
reader_main(void *arg)
{
	struct reader *rd = arg;
	unsigned char *buf = malloc(rd->chunk);
	ssize_t n, i;
	char c;

	rd->pattern_ok = buf != NULL;
	if (rd->start_fd >= 0 && read(rd->start_fd, &c, 1) != 1)
		rd->pattern_ok = false;
	while (buf != NULL) {
		n = recv(rd->fd, buf, rd->chunk, 0);
		if (n <= 0) {
			rd->saw_eof = n == 0;
			rd->err = n < 0 ? errno : 0;
			break;
		}
		for (i = 0; i < n; i++)
			if (buf[i] != pat(rd->got + (uint64_t)i))
				rd->pattern_ok = false;
		rd->got += (uint64_t)n;
	}
	if (rd->reply != NULL)
		send(rd->fd, rd->reply, strlen(rd->reply), MSG_NOSIGNAL);
	close(rd->fd);
	free(buf);
	return NULL;
}

static void
reader_start(pthread_t *t, struct reader *rd, int fd, size_t chunk)
{
	rd->fd = fd;
	rd->chunk = chunk;
	assert_int_equal(pthread_create(t, NULL, reader_main, rd), 0);
}

struct writer {
	int fd;
	uint64_t total;
	bool ok;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned char buf[32768];
	uint64_t off;
	size_t n;

	w->ok = true;
	for (off = 0; off < w->total; off += n) {
		n = w->total - off < sizeof(buf) ? (size_t)(w->total - off) :
		    sizeof(buf);
		fill_pat(buf, off, n);
		if (send(w->fd, buf, n, MSG_NOSIGNAL) != (ssize_t)n) {
			w->ok = false;
			break;
		}
	}
	close(w->fd);
	return NULL;
}

/* ---- the contract ----------------------------------------------------- */

static void
put_frame(int fd, const char *msg)
{
	unsigned char hdr[4];
	size_t len = strlen(msg);

	hdr[0] = hdr[1] = hdr[2] = 0;
	hdr[3] = (unsigned char)len;
	write_all(fd, hdr, 4);
	write_all(fd, msg, len);
}

/*
 * Three whole messages and half of a fourth, then the peer's FIN: exactly
 * three messages, then on_close(peer-eof, eof), then nothing.
 */
static void
test_messages_before_peer_eof(void **state)
{
	static const char *const want[] = {
		"msg:one", "msg:two", "msg:three", "close:peer-eof:eof",
	};
	struct evloop *loop = evloop_new(NULL);
	struct rec r = { .n = 0 };
	struct conn *c;
	int ours, peer;
	char buf[8];

	peer_pair(&ours, &peer);
	put_frame(peer, "one");
	put_frame(peer, "two");
	put_frame(peer, "three");
	write_all(peer, "\0\0\0\12half", 8);
	assert_int_equal(shutdown(peer, SHUT_WR), 0);
	c = new_conn(loop, ours, &r);
	conn_set_framing(c, 1024);
	assert_int_equal(evloop_run(loop), 0);
	assert_log(&r, want, 4);
	assert_int_equal(r.bytes_in_at_close, 3 * 4 + 3 + 3 + 5 + 8);
	/* Our FIN followed: the peer reads EOF, not a reset. */
	assert_int_equal(recv(peer, buf, sizeof(buf), 0), 0);
	close(peer);
	evloop_free(loop);
}

/* Raw mode: bytes on_data leaves are offered again with more. */
static size_t
consume_lines(const void *data, size_t len)
{
	const char *p = data;
	size_t n = len;

	while (n > 0 && p[n - 1] != '\n')
		n--;
	return n;
}

static void
test_raw_partial_consume(void **state)
{
	static const char *const want[] = {
		"data:3", "data:0", "data:7", "data:0", "close:peer-eof:eof",
	};
	struct evloop *loop = evloop_new(NULL);
	struct rec r = { .consume = consume_lines, .more = "e\nfg\nh" };
	int ours;

	peer_pair(&ours, &r.more_fd);
	write_all(r.more_fd, "ab\ncd", 5);
	new_conn(loop, ours, &r);
	assert_int_equal(evloop_run(loop), 0);
	assert_log(&r, want, 5);
	assert_int_equal(r.data_len, 10);
	assert_memory_equal(r.data, "ab\ncde\nfg\n", 10);
	close(r.more_fd);
	evloop_free(loop);
}

/*
 * Request/response reads stop at a short read; the peer's later data and
 * its FIN still arrive, each on its own readiness event.
 */
static void
test_request_response_reads(void **state)
{
	static const char *const want[] = {
		"data:4", "data:4", "close:peer-eof:eof",
	};
	struct evloop *loop = evloop_new(NULL);
	struct rec r = { .more = "pong" };
	struct conn *c;
	int ours;

	peer_pair(&ours, &r.more_fd);
	write_all(r.more_fd, "ping", 4);
	c = new_conn(loop, ours, &r);
	conn_set_request_response(c, true);
	assert_int_equal(evloop_run(loop), 0);
	assert_log(&r, want, 3);
	assert_memory_equal(r.data, "pingpong", 8);
	close(r.more_fd);
	evloop_free(loop);
}

/* Data then RST from the peer: every byte first, then recv-error/reset. */
static void
test_peer_reset_after_data(void **state)
{
	static const char *const want[] = {
		"data:200", "close:recv-error:reset",
	};
	struct evloop *loop = evloop_new(NULL);
	struct rec r = { .n = 0 };
	unsigned char out[200];
	int ours, peer;

	peer_pair(&ours, &peer);
	fill_pat(out, 0, sizeof(out));
	write_all(peer, out, sizeof(out));
	set_linger0(peer);
	close(peer);
	/* The RST is in before the conn even starts reading. */
	wait_for(ours, POLLERR);
	new_conn(loop, ours, &r);
	assert_int_equal(evloop_run(loop), 0);
	assert_log(&r, want, 2);
	assert_memory_equal(r.data, out, sizeof(out));
	assert_int_equal(r.why, CONN_END_RECV_ERROR);
	assert_int_equal(r.outcome, OUTCOME_RESET);
	evloop_free(loop);
}

/*
 * Local graceful close with 8 MiB queued: the peer gets every byte, then
 * EOF; its reply after our FIN is still delivered; sends are refused.
 */
static void
test_graceful_close_flushes_all(void **state)
{
	static const char *const want[] = {
		"data:3", "close:local-close:ok",
	};
	struct evloop *loop = evloop_new(NULL);
	struct reader rd = { .start_fd = -1, .reply = "bye" };
	struct rec r = { .n = 0 };
	unsigned char *big = malloc(8 * MIB);
	struct conn *c;
	pthread_t t;
	int ours, peer;

	assert_non_null(big);
	fill_pat(big, 0, 8 * MIB);
	peer_pair(&ours, &peer);
	c = new_conn(loop, ours, &r);
	assert_int_equal(conn_send(c, big, 8 * MIB), 0);
	assert_true(conn_out_queued(c) > 0);
	conn_close(c, CLOSE_GRACEFUL, 30000);
	errno = 0;
	assert_int_equal(conn_send(c, "late", 4), -1);
	assert_int_equal(errno, EPIPE);
	errno = 0;
	assert_int_equal(conn_send_frame(c, "late", 4), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(r.n, 0);
	reader_start(&t, &rd, peer, 65536);
	assert_int_equal(evloop_run(loop), 0);
	pthread_join(t, NULL);
	assert_int_equal(rd.got, 8 * MIB);
	assert_true(rd.pattern_ok);
	assert_true(rd.saw_eof);
	assert_log(&r, want, 2);
	assert_memory_equal(r.data, "bye", 3);
	assert_int_equal(r.bytes_out_at_close, 8 * MIB);
	assert_int_equal(r.bytes_in_at_close, 3);
	free(big);
	evloop_free(loop);
}

/*
 * Reading is paused when the graceful close starts and the peer has more
 * to say than the kernel buffers hold: the close still reads (a paused
 * close would stall the peer and never see its EOF) and delivers all.
 */
struct sink {
	uint64_t got;
	bool pattern_ok;
	enum conn_end why;
	enum outcome outcome;
	int closes;
};

static size_t
sink_data(struct conn *c, const void *data, size_t len, void *arg)
{
	const unsigned char *p = data;
	struct sink *k = arg;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pat(k->got + i))
			k->pattern_ok = false;
	k->got += len;
	return len;
}

static void
sink_close(struct conn *c, enum conn_end why, enum outcome o, void *arg)
{
	struct sink *k = arg;

	k->why = why;
	k->outcome = o;
	k->closes++;
}

static void
test_graceful_close_reads_while_paused(void **state)
{
	static const struct conn_callbacks cb = {
		.on_data = sink_data,
		.on_close = sink_close,
	};
	struct evloop *loop = evloop_new(NULL);
	struct writer w = { .total = 4 * MIB };
	struct sink k = { .pattern_ok = true };
	struct conn *c;
	char eb[ERRBUF_LEN];
	pthread_t t;
	int ours;

	peer_pair(&ours, &w.fd);
	c = conn_new(loop, ours, &cb, &k, eb);
	assert_non_null(c);
	conn_pause_read(c);
	conn_close(c, CLOSE_GRACEFUL, 20000);
	assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
	assert_int_equal(evloop_run(loop), 0);
	pthread_join(t, NULL);
	assert_true(w.ok);
	assert_int_equal(k.closes, 1);
	assert_int_equal(k.why, CONN_END_LOCAL_CLOSE);
	assert_int_equal(k.outcome, OUTCOME_OK);
	assert_int_equal(k.got, 4 * MIB);
	assert_true(k.pattern_ok);
	evloop_free(loop);
}

/* The deadline passes without the peer's EOF: timeout, and an RST. */
static void
test_graceful_close_timeout(void **state)
{
	static const char *const want[] = { "close:local-close:timeout" };
	struct evloop *loop = evloop_new(NULL);
	struct rec r = { .n = 0 };
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	struct conn *c;
	int ours, peer;
	char buf[16];

	peer_pair(&ours, &peer);
	c = new_conn(loop, ours, &r);
	assert_int_equal(conn_send(c, "last", 4), 0);
	conn_close(c, CLOSE_GRACEFUL, 50);
	assert_int_equal(evloop_run(loop), 0);
	assert_log(&r, want, 1);
	assert_int_equal(r.outcome, OUTCOME_TIMEOUT);
	/* The peer saw every byte and our FIN, then the reset... */
	assert_int_equal(recv(peer, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "last", 4);
	assert_int_equal(recv(peer, buf, sizeof(buf), 0), 0);
	wait_for(peer, POLLHUP);
	/* ...which moved it from CLOSE_WAIT straight to CLOSED; Linux reports
	   an RST in CLOSE_WAIT as EPIPE. */
	assert_int_equal(getsockopt(peer, IPPROTO_TCP, TCP_INFO, &ti, &len),
	    0);
	assert_int_equal(ti.tcpi_state, TCP_CLOSE);
	assert_int_equal(sock_error(peer), EPIPE);
	close(peer);
	evloop_free(loop);
}

/* Abort and plain close report before conn_close returns. */
static void
test_abort_and_plain_close(void **state)
{
	static const char *const want[] = { "close:local-close:ok" };
	struct evloop *loop = evloop_new(NULL);
	struct rec ra = { .n = 0 }, rp = { .n = 0 };
	struct conn *c;
	int ours, peer;
	char buf[4];

	peer_pair(&ours, &peer);
	c = new_conn(loop, ours, &ra);
	conn_close(c, CLOSE_ABORT, 0);
	assert_log(&ra, want, 1);
	errno = 0;
	assert_int_equal(recv(peer, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	close(peer);

	peer_pair(&ours, &peer);
	c = new_conn(loop, ours, &rp);
	conn_close(c, CLOSE_PLAIN, 0);
	assert_log(&rp, want, 1);
	assert_int_equal(recv(peer, buf, sizeof(buf), 0), 0);
	close(peer);
	assert_int_equal(evloop_run(loop), 0);
	evloop_free(loop);
}

/* conn_shutdown: FIN after our bytes, sends refused, still reading. */
static void
test_shutdown_then_read_reply(void **state)
{
	static const char *const want[] = {
		"data:4", "close:peer-eof:eof",
	};
	struct evloop *loop = evloop_new(NULL);
	struct rec r = { .n = 0 };
	struct conn *c;
	int ours, peer;
	char buf[8];

	peer_pair(&ours, &peer);
	c = new_conn(loop, ours, &r);
	conn_set_half_close(c, true);
	assert_int_equal(conn_send(c, "ping", 4), 0);
	conn_shutdown(c);
	errno = 0;
	assert_int_equal(conn_send(c, "more", 4), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(recv(peer, buf, 4, MSG_WAITALL), 4);
	assert_memory_equal(buf, "ping", 4);
	/* Our FIN arrives only once the loop runs the shutdown. */
	write_all(peer, "pong", 4);
	assert_int_equal(shutdown(peer, SHUT_WR), 0);
	assert_int_equal(evloop_run(loop), 0);
	assert_int_equal(recv(peer, buf, sizeof(buf), 0), 0);
	assert_log(&r, want, 2);
	assert_memory_equal(r.data, "pong", 4);
	close(peer);
	evloop_free(loop);
}

/* Half-close: the peer's EOF first, then we answer with 1 MiB and FIN. */
static void
reply_mib(struct conn *c, struct rec *r)
{
	unsigned char *p = malloc(MIB);

	assert_non_null(p);
	fill_pat(p, 0, MIB);
	assert_int_equal(conn_send(c, p, MIB), 0);
	conn_shutdown(c);
	free(p);
}

static void
test_half_close_reply_after_peer_eof(void **state)
{
	static const char *const want[] = {
		"data:3", "peer-eof", "close:peer-eof:eof",
	};
	struct evloop *loop = evloop_new(NULL);
	struct reader rd = { .start_fd = -1 };
	struct rec r = { .on_peer_eof_do = reply_mib };
	struct conn *c;
	pthread_t t;
	int ours, peer;

	peer_pair(&ours, &peer);
	write_all(peer, "req", 3);
	assert_int_equal(shutdown(peer, SHUT_WR), 0);
	c = new_conn(loop, ours, &r);
	conn_set_half_close(c, true);
	reader_start(&t, &rd, peer, 4096);
	assert_int_equal(evloop_run(loop), 0);
	pthread_join(t, NULL);
	assert_log(&r, want, 3);
	assert_int_equal(rd.got, MIB);
	assert_true(rd.pattern_ok);
	assert_true(rd.saw_eof);
	assert_int_equal(r.bytes_out_at_close, MIB);
	evloop_free(loop);
}

/* ---- send errors -------------------------------------------------------- */

/*
 * The peer sent its last words and reset before we send: the send fails
 * and is reported as such, after the peer's bytes are delivered.
 */
static void
test_send_error_reset(void **state)
{
	static const char *const want[] = {
		"data:4", "close:send-error:reset",
	};
	struct evloop *loop = evloop_new(NULL);
	struct rec r = { .n = 0 };
	struct conn *c;
	int ours, peer;

	peer_pair(&ours, &peer);
	write_all(peer, "tail", 4);
	set_linger0(peer);
	close(peer);
	wait_for(ours, POLLERR);
	c = new_conn(loop, ours, &r);
	/* Accepted: the failure is reported through on_close, not here. */
	assert_int_equal(conn_send(c, "x", 1), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(evloop_run(loop), 0);
	assert_log(&r, want, 2);
	assert_memory_equal(r.data, "tail", 4);
	evloop_free(loop);
}

/*
 * The peer closed without reading; we keep sending after its EOF (half
 * close). Its kernel answers with RST: a send error, reset or broken pipe
 * depending on which call saw the RST first.
 */
static void
send_4mib(struct conn *c, struct rec *r)
{
	unsigned char *p = calloc(1, 4 * MIB);

	assert_non_null(p);
	assert_int_equal(conn_send(c, p, 4 * MIB), 0);
	free(p);
}

static void
test_send_error_after_peer_close(void **state)
{
	struct evloop *loop = evloop_new(NULL);
	struct rec r = { .on_peer_eof_do = send_4mib };
	struct conn *c;
	int ours, peer;

	peer_pair(&ours, &peer);
	close(peer);
	c = new_conn(loop, ours, &r);
	conn_set_half_close(c, true);
	assert_int_equal(evloop_run(loop), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.log[0], "peer-eof");
	assert_int_equal(r.closes, 1);
	assert_int_equal(r.why, CONN_END_SEND_ERROR);
	if (r.outcome != OUTCOME_RESET && r.outcome != OUTCOME_BROKEN_PIPE)
		fail_msg("outcome %s", outcome_name(r.outcome));
	evloop_free(loop);
}

/* ---- framing errors ----------------------------------------------------- */

/* A declared 2 GiB - 1: refused from the header, nothing allocated. */
static void
test_oversized_frame(void **state)
{
	static const char *const want[] = {
		"msg:ok", "close:recv-error:error",
	};
	struct evloop *loop = evloop_new(NULL);
	struct rec r = { .n = 0 };
	struct conn *c;
	int ours, peer;
	char buf[4];

	peer_pair(&ours, &peer);
	write_all(peer, "\0\0\0\2ok\x7f\xff\xff\xff" "abc", 13);
	c = new_conn(loop, ours, &r);
	conn_set_framing(c, MIB);
	assert_int_equal(evloop_run(loop), 0);
	assert_log(&r, want, 2);
	assert_int_equal(r.bytes_in_at_close, 13);
	/* We will not read the rest, and say so with an RST. */
	errno = 0;
	assert_int_equal(recv(peer, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	close(peer);
	evloop_free(loop);
}

static void
test_negative_frame(void **state)
{
	static const char *const want[] = { "close:recv-error:error" };
	struct evloop *loop = evloop_new(NULL);
	struct rec r = { .n = 0 };
	struct conn *c;
	int ours, peer;

	peer_pair(&ours, &peer);
	write_all(peer, "\x80\0\0\1z", 5);
	c = new_conn(loop, ours, &r);
	conn_set_framing(c, UINT32_MAX);
	assert_int_equal(evloop_run(loop), 0);
	assert_log(&r, want, 1);
	close(peer);
	evloop_free(loop);
}

/* ---- high-water mark ---------------------------------------------------- */

/*
 * A relay from a fast writer (src) to a reader that starts only once the
 * relay hit its high-water mark. The relay pauses src on high water and
 * resumes it on drain, so the slow side's queue stays below high plus
 * one read, and every byte arrives in order.
 */
#define RELAY_TOTAL (16 * MIB)
#define RELAY_HIGH (256u * 1024)
#define RELAY_LOW (64u * 1024)

struct relay {
	struct conn *src;
	struct conn *dst;
	size_t max_queued;
	int highs;
	int drains;
	int go_fd;		/* tells the reader to start */
	enum conn_end src_why;
	enum conn_end dst_why;
	enum outcome dst_outcome;
};

static size_t
relay_data(struct conn *c, const void *data, size_t len, void *arg)
{
	struct relay *rl = arg;

	assert_int_equal(conn_send(rl->dst, data, len), 0);
	if (conn_out_queued(rl->dst) > rl->max_queued)
		rl->max_queued = conn_out_queued(rl->dst);
	return len;
}

static void
relay_high(struct conn *c, size_t queued, void *arg)
{
	struct relay *rl = arg;

	assert_true(queued >= RELAY_HIGH);
	if (rl->highs++ == 0)
		assert_int_equal(write(rl->go_fd, "g", 1), 1);
	conn_pause_read(rl->src);
}

static void
relay_drain(struct conn *c, void *arg)
{
	struct relay *rl = arg;

	assert_true(conn_out_queued(c) <= RELAY_LOW);
	rl->drains++;
	if (rl->src != NULL)
		conn_resume_read(rl->src);
}

static void
relay_src_close(struct conn *c, enum conn_end why, enum outcome o,
    void *arg)
{
	struct relay *rl = arg;

	rl->src_why = why;
	rl->src = NULL;
	conn_close(rl->dst, CLOSE_GRACEFUL, 30000);
}

static void
relay_dst_close(struct conn *c, enum conn_end why, enum outcome o,
    void *arg)
{
	struct relay *rl = arg;

	rl->dst_why = why;
	rl->dst_outcome = o;
	rl->dst = NULL;
}

static void
test_high_water_relay(void **state)
{
	static const struct conn_callbacks src_cb = {
		.on_data = relay_data,
		.on_close = relay_src_close,
	};
	static const struct conn_callbacks dst_cb = {
		.on_high_water = relay_high,
		.on_drain = relay_drain,
		.on_close = relay_dst_close,
	};
	struct evloop *loop = evloop_new(NULL);
	struct writer w = { .total = RELAY_TOTAL };
	struct reader rd = { .chunk = 0 };
	struct relay rl = { .max_queued = 0 };
	int src_ours, dst_ours, dst_peer, go[2], sz = 32768;
	pthread_t tw, tr;
	char eb[ERRBUF_LEN];

	assert_int_equal(pipe(go), 0);
	rl.go_fd = go[1];
	rd.start_fd = go[0];
	peer_pair(&src_ours, &w.fd);
	peer_pair(&dst_ours, &dst_peer);
	/* Small kernel buffers so the relay's own queue has to take up
	   the slack. */
	assert_int_equal(setsockopt(dst_ours, SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	assert_int_equal(setsockopt(dst_peer, SOL_SOCKET, SO_RCVBUF, &sz,
	    sizeof(sz)), 0);
	rl.src = conn_new(loop, src_ours, &src_cb, &rl, eb);
	rl.dst = conn_new(loop, dst_ours, &dst_cb, &rl, eb);
	assert_non_null(rl.src);
	assert_non_null(rl.dst);
	conn_set_water_marks(rl.dst, RELAY_HIGH, RELAY_LOW);
	assert_int_equal(pthread_create(&tw, NULL, writer_main, &w), 0);
	reader_start(&tr, &rd, dst_peer, 4096);
	assert_int_equal(evloop_run(loop), 0);
	pthread_join(tw, NULL);
	pthread_join(tr, NULL);
	assert_true(w.ok);
	assert_int_equal(rd.got, RELAY_TOTAL);
	assert_true(rd.pattern_ok);
	assert_true(rd.saw_eof);
	assert_int_equal(rl.src_why, CONN_END_PEER_EOF);
	assert_int_equal(rl.dst_why, CONN_END_LOCAL_CLOSE);
	assert_int_equal(rl.dst_outcome, OUTCOME_OK);
	/* The backpressure happened, and it bounded the queue. */
	assert_true(rl.highs >= 1);
	assert_true(rl.drains >= 1);
	assert_true(rl.max_queued >= RELAY_HIGH);
	if (rl.max_queued >= RELAY_HIGH + CONN_READ_MAX)
		fail_msg("queue reached %zu", rl.max_queued);
	close(go[0]);
	close(go[1]);
	evloop_free(loop);
}

/* ---- reentrancy ------------------------------------------------------- */

/*
 * Two conns readable in the same batch. The first on_data closes the other
 * (freed at once: it is in no callback) and then itself (freed after its
 * callback returns). The other's pending event must never reach it.
 */
static void
test_close_other_inside_callback(void **state)
{
	struct evloop *loop = evloop_new(NULL);
	struct rec ra = { .n = 0 }, rb = { .n = 0 }, *first, *second;
	struct conn *a, *b;
	int oa, pa, ob, pb;

	peer_pair(&oa, &pa);
	peer_pair(&ob, &pb);
	write_all(pa, "aa", 2);
	write_all(pb, "bb", 2);
	a = new_conn(loop, oa, &ra);
	b = new_conn(loop, ob, &rb);
	ra.other = b;
	rb.other = a;
	assert_int_equal(evloop_run(loop), 0);
	first = ra.n == 2 ? &ra : &rb;
	second = first == &ra ? &rb : &ra;
	assert_int_equal(first->n, 2);
	assert_string_equal(first->log[0], "data:2");
	assert_string_equal(first->log[1], "close:local-close:ok");
	assert_int_equal(second->n, 1);
	assert_string_equal(second->log[0], "close:local-close:ok");
	assert_int_equal(first->closes + second->closes, 2);
	close(pa);
	close(pb);
	evloop_free(loop);
}

static void
test_end_names(void **state)
{
	assert_string_equal(conn_end_name(CONN_END_SEND_ERROR), "send-error");
	assert_string_equal(conn_end_name(CONN_END_RECV_ERROR), "recv-error");
	assert_string_equal(conn_end_name(CONN_END_PEER_EOF), "peer-eof");
	assert_string_equal(conn_end_name(CONN_END_LOCAL_CLOSE),
	    "local-close");
}

/* A bug that stalls the loop fails the run within 30 s instead of hanging. */
static int
arm_watchdog(void **state)
{
	alarm(30);
	return 0;
}

static int
disarm_watchdog(void **state)
{
	alarm(0);
	return 0;
}

#define conn_test(f) \
	cmocka_unit_test_setup_teardown(f, arm_watchdog, disarm_watchdog)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		conn_test(test_messages_before_peer_eof),
		conn_test(test_raw_partial_consume),
		conn_test(test_peer_reset_after_data),
		conn_test(test_request_response_reads),
		conn_test(test_graceful_close_flushes_all),
		conn_test(test_graceful_close_reads_while_paused),
		conn_test(test_graceful_close_timeout),
		conn_test(test_abort_and_plain_close),
		conn_test(test_shutdown_then_read_reply),
		conn_test(test_half_close_reply_after_peer_eof),
		conn_test(test_send_error_reset),
		conn_test(test_send_error_after_peer_close),
		conn_test(test_oversized_frame),
		conn_test(test_negative_frame),
		conn_test(test_high_water_relay),
		conn_test(test_close_other_inside_callback),
		conn_test(test_end_names),
	};

	sock_ignore_sigpipe();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
