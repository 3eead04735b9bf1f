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

/* len more bytes at offset *got: a byte off the pattern clears *ok. */
static void
check_pat(const unsigned char *p, size_t len, uint64_t *got, bool *ok)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pat(*got + i))
			*ok = false;
	*got += len;
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

/* How a conn ended, as its on_close saw it, and how many times. */
struct ended {
	enum conn_end why;
	enum outcome outcome;
	int closes;
};

static void
note_end(struct ended *e, enum conn_end why, enum outcome o)
{
	e->why = why;
	e->outcome = o;
	e->closes++;
}

/*
 * Every callback appends a line to the log; anything after on_close is a
 * contract violation the tests catch by comparing the whole log.
 */
struct rec {
	char log[16][48];
	int n;
	char data[256];
	size_t data_len;
	struct ended end;
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

	note_end(&r->end, why, o);
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

/* The log lines listed in place: assert_log_is(r, "data:4", "close:...") */
#define LOG(...) (const char *const[]){ __VA_ARGS__ }
#define LOG_N(...) ((int)(sizeof(LOG(__VA_ARGS__)) / sizeof(const char *)))
#define assert_log_is(r, ...) \
	assert_log(r, LOG(__VA_ARGS__), LOG_N(__VA_ARGS__))

/* ---- one conn and its peer --------------------------------------------- */

/* A test's loop and connected pair, and the recorded conn on ours. */
struct fix {
	struct evloop *loop;
	struct rec r;
	struct conn *c;
	int ours;
	int peer;		/* -1 once the test has handed it on or closed it */
};

/* The loop and the pair; the peer first sends len bytes of first. */
static void
fix_open(struct fix *f, const void *first, size_t len)
{
	f->loop = evloop_new(NULL);
	assert_non_null(f->loop);
	peer_pair(&f->ours, &f->peer);
	if (len > 0)
		write_all(f->peer, first, len);
}

/* The conn on ours, recording into f->r. */
static struct conn *
fix_conn(struct fix *f)
{
	return f->c = new_conn(f->loop, f->ours, &f->r);
}

/*
 * Run the loop to its end: the callbacks logged exactly want[0..n-1].
 * fix_run(f, "data:4", "close:peer-eof:eof") lists them in place.
 */
static void
fix_run_n(struct fix *f, const char *const *want, int n)
{
	assert_int_equal(evloop_run(f->loop), 0);
	assert_log(&f->r, want, n);
}

#define fix_run(f, ...) fix_run_n(f, LOG(__VA_ARGS__), LOG_N(__VA_ARGS__))

/* The peer aborts (RST); it is in on ours before the conn reads. */
static void
fix_peer_reset(struct fix *f)
{
	set_linger0(f->peer);
	close(f->peer);
	f->peer = -1;
	wait_for(f->ours, POLLERR);
}

static void
fix_close(struct fix *f)
{
	if (f->peer >= 0)
		close(f->peer);
	evloop_free(f->loop);
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
	ssize_t n;
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
		check_pat(buf, (size_t)n, &rd->got, &rd->pattern_ok);
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

/* The reader got total bytes of the pattern, then EOF. */
static void
assert_reader_all(const struct reader *rd, uint64_t total)
{
	assert_int_equal(rd->got, total);
	assert_true(rd->pattern_ok);
	assert_true(rd->saw_eof);
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
	struct fix f = { .r.n = 0 };
	char buf[8];

	fix_open(&f, NULL, 0);
	put_frame(f.peer, "one");
	put_frame(f.peer, "two");
	put_frame(f.peer, "three");
	write_all(f.peer, "\0\0\0\12half", 8);
	assert_int_equal(shutdown(f.peer, SHUT_WR), 0);
	conn_set_framing(fix_conn(&f), 1024);
	fix_run(&f, "msg:one", "msg:two", "msg:three",
	    "close:peer-eof:eof");
	assert_int_equal(f.r.bytes_in_at_close, 3 * 4 + 3 + 3 + 5 + 8);
	/* Our FIN followed: the peer reads EOF, not a reset. */
	assert_int_equal(recv(f.peer, buf, sizeof(buf), 0), 0);
	fix_close(&f);
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
	struct fix f = { .r = { .consume = consume_lines,
	    .more = "e\nfg\nh" } };

	fix_open(&f, "ab\ncd", 5);
	f.r.more_fd = f.peer;
	fix_conn(&f);
	fix_run(&f, "data:3", "data:0", "data:7", "data:0",
	    "close:peer-eof:eof");
	assert_int_equal(f.r.data_len, 10);
	assert_memory_equal(f.r.data, "ab\ncde\nfg\n", 10);
	fix_close(&f);
}

/*
 * Request/response reads stop at a short read; the peer's later data and
 * its FIN still arrive, each on its own readiness event.
 */
static void
test_request_response_reads(void **state)
{
	struct fix f = { .r.more = "pong" };

	fix_open(&f, "ping", 4);
	f.r.more_fd = f.peer;
	conn_set_request_response(fix_conn(&f), true);
	fix_run(&f, "data:4", "data:4", "close:peer-eof:eof");
	assert_memory_equal(f.r.data, "pingpong", 8);
	fix_close(&f);
}

/* Data then RST from the peer: every byte first, then recv-error/reset. */
static void
test_peer_reset_after_data(void **state)
{
	struct fix f = { .r.n = 0 };
	unsigned char out[200];

	fill_pat(out, 0, sizeof(out));
	fix_open(&f, out, sizeof(out));
	/* The RST is in before the conn even starts reading. */
	fix_peer_reset(&f);
	fix_conn(&f);
	fix_run(&f, "data:200", "close:recv-error:reset");
	assert_memory_equal(f.r.data, out, sizeof(out));
	assert_int_equal(f.r.end.why, CONN_END_RECV_ERROR);
	assert_int_equal(f.r.end.outcome, OUTCOME_RESET);
	fix_close(&f);
}

/*
 * Local graceful close with 8 MiB queued: the peer gets every byte, then
 * EOF; its reply after our FIN is still delivered; sends are refused.
 */
static void
test_graceful_close_flushes_all(void **state)
{
	struct reader rd = { .start_fd = -1, .reply = "bye" };
	struct fix f = { .r.n = 0 };
	unsigned char *big = malloc(8 * MIB);
	struct conn *c;
	pthread_t t;

	assert_non_null(big);
	fill_pat(big, 0, 8 * MIB);
	fix_open(&f, NULL, 0);
	c = fix_conn(&f);
	assert_int_equal(conn_send(c, big, 8 * MIB), 0);
	assert_true(conn_out_queued(c) > 0);
	conn_close(c, CLOSE_GRACEFUL, 30000);
	errno = 0;
	assert_int_equal(conn_send(c, "late", 4), -1);
	assert_int_equal(errno, EPIPE);
	errno = 0;
	assert_int_equal(conn_send_frame(c, "late", 4), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(f.r.n, 0);
	reader_start(&t, &rd, f.peer, 65536);
	f.peer = -1;		/* the reader closes it */
	fix_run(&f, "data:3", "close:local-close:ok");
	pthread_join(t, NULL);
	assert_reader_all(&rd, 8 * MIB);
	assert_memory_equal(f.r.data, "bye", 3);
	assert_int_equal(f.r.bytes_out_at_close, 8 * MIB);
	assert_int_equal(f.r.bytes_in_at_close, 3);
	free(big);
	fix_close(&f);
}

/*
 * Reading is paused when the graceful close starts and the peer has more
 * to say than the kernel buffers hold: the close still reads (a paused
 * close would stall the peer and never see its EOF) and delivers all.
 */
struct sink {
	uint64_t got;
	bool pattern_ok;
	struct ended end;
};

static size_t
sink_data(struct conn *c, const void *data, size_t len, void *arg)
{
	struct sink *k = arg;

	check_pat(data, len, &k->got, &k->pattern_ok);
	return len;
}

static void
sink_close(struct conn *c, enum conn_end why, enum outcome o, void *arg)
{
	struct sink *k = arg;

	note_end(&k->end, why, o);
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
	assert_int_equal(k.end.closes, 1);
	assert_int_equal(k.end.why, CONN_END_LOCAL_CLOSE);
	assert_int_equal(k.end.outcome, OUTCOME_OK);
	assert_int_equal(k.got, 4 * MIB);
	assert_true(k.pattern_ok);
	evloop_free(loop);
}

/* The deadline passes without the peer's EOF: timeout, and an RST. */
static void
test_graceful_close_timeout(void **state)
{
	struct fix f = { .r.n = 0 };
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	char buf[16];

	fix_open(&f, NULL, 0);
	assert_int_equal(conn_send(fix_conn(&f), "last", 4), 0);
	conn_close(f.c, CLOSE_GRACEFUL, 50);
	fix_run(&f, "close:local-close:timeout");
	assert_int_equal(f.r.end.outcome, OUTCOME_TIMEOUT);
	/* The peer saw every byte and our FIN, then the reset... */
	assert_int_equal(recv(f.peer, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "last", 4);
	assert_int_equal(recv(f.peer, buf, sizeof(buf), 0), 0);
	wait_for(f.peer, POLLHUP);
	/* ...which moved it from CLOSE_WAIT straight to CLOSED; Linux reports
	   an RST in CLOSE_WAIT as EPIPE. */
	assert_int_equal(getsockopt(f.peer, IPPROTO_TCP, TCP_INFO, &ti,
	    &len), 0);
	assert_int_equal(ti.tcpi_state, TCP_CLOSE);
	assert_int_equal(sock_error(f.peer), EPIPE);
	fix_close(&f);
}

/* Abort and plain close report before conn_close returns. */
static void
test_abort_and_plain_close(void **state)
{
	struct fix fa = { .r.n = 0 }, fp = { .r.n = 0 };
	char buf[4];

	fix_open(&fa, NULL, 0);
	conn_close(fix_conn(&fa), CLOSE_ABORT, 0);
	assert_log_is(&fa.r, "close:local-close:ok");
	errno = 0;
	assert_int_equal(recv(fa.peer, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	/* Reported already: the loop has nothing left to run. */
	fix_run(&fa, "close:local-close:ok");
	fix_close(&fa);

	fix_open(&fp, NULL, 0);
	conn_close(fix_conn(&fp), CLOSE_PLAIN, 0);
	assert_log_is(&fp.r, "close:local-close:ok");
	assert_int_equal(recv(fp.peer, buf, sizeof(buf), 0), 0);
	fix_run(&fp, "close:local-close:ok");
	fix_close(&fp);
}

/* conn_shutdown: FIN after our bytes, sends refused, still reading. */
static void
test_shutdown_then_read_reply(void **state)
{
	struct fix f = { .r.n = 0 };
	struct conn *c;
	char buf[8];

	fix_open(&f, NULL, 0);
	c = fix_conn(&f);
	conn_set_half_close(c, true);
	assert_int_equal(conn_send(c, "ping", 4), 0);
	conn_shutdown(c);
	errno = 0;
	assert_int_equal(conn_send(c, "more", 4), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(recv(f.peer, buf, 4, MSG_WAITALL), 4);
	assert_memory_equal(buf, "ping", 4);
	/* Our FIN arrives only once the loop runs the shutdown. */
	write_all(f.peer, "pong", 4);
	assert_int_equal(shutdown(f.peer, SHUT_WR), 0);
	fix_run(&f, "data:4", "close:peer-eof:eof");
	assert_int_equal(recv(f.peer, buf, sizeof(buf), 0), 0);
	assert_memory_equal(f.r.data, "pong", 4);
	fix_close(&f);
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
	struct reader rd = { .start_fd = -1 };
	struct fix f = { .r.on_peer_eof_do = reply_mib };
	pthread_t t;

	fix_open(&f, "req", 3);
	assert_int_equal(shutdown(f.peer, SHUT_WR), 0);
	conn_set_half_close(fix_conn(&f), true);
	reader_start(&t, &rd, f.peer, 4096);
	f.peer = -1;		/* the reader closes it */
	fix_run(&f, "data:3", "peer-eof", "close:peer-eof:eof");
	pthread_join(t, NULL);
	assert_reader_all(&rd, MIB);
	assert_int_equal(f.r.bytes_out_at_close, MIB);
	fix_close(&f);
}

/* ---- send errors -------------------------------------------------------- */

/*
 * The peer sent its last words and reset before we send: the send fails
 * and is reported as such, after the peer's bytes are delivered.
 */
static void
test_send_error_reset(void **state)
{
	struct fix f = { .r.n = 0 };

	fix_open(&f, "tail", 4);
	fix_peer_reset(&f);
	/* Accepted: the failure is reported through on_close, not here. */
	assert_int_equal(conn_send(fix_conn(&f), "x", 1), 0);
	assert_int_equal(f.r.n, 0);
	fix_run(&f, "data:4", "close:send-error:reset");
	assert_memory_equal(f.r.data, "tail", 4);
	fix_close(&f);
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
	struct fix f = { .r.on_peer_eof_do = send_4mib };

	fix_open(&f, NULL, 0);
	close(f.peer);
	f.peer = -1;
	conn_set_half_close(fix_conn(&f), true);
	assert_int_equal(evloop_run(f.loop), 0);
	assert_int_equal(f.r.n, 2);
	assert_string_equal(f.r.log[0], "peer-eof");
	assert_int_equal(f.r.end.closes, 1);
	assert_int_equal(f.r.end.why, CONN_END_SEND_ERROR);
	if (f.r.end.outcome != OUTCOME_RESET &&
	    f.r.end.outcome != OUTCOME_BROKEN_PIPE)
		fail_msg("outcome %s", outcome_name(f.r.end.outcome));
	fix_close(&f);
}

/* ---- framing errors ----------------------------------------------------- */

/* A declared 2 GiB - 1: refused from the header, nothing allocated. */
static void
test_oversized_frame(void **state)
{
	struct fix f = { .r.n = 0 };
	char buf[4];

	fix_open(&f, "\0\0\0\2ok\x7f\xff\xff\xff" "abc", 13);
	conn_set_framing(fix_conn(&f), MIB);
	fix_run(&f, "msg:ok", "close:recv-error:error");
	assert_int_equal(f.r.bytes_in_at_close, 13);
	/* We will not read the rest, and say so with an RST. */
	errno = 0;
	assert_int_equal(recv(f.peer, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	fix_close(&f);
}

static void
test_negative_frame(void **state)
{
	struct fix f = { .r.n = 0 };

	fix_open(&f, "\x80\0\0\1z", 5);
	conn_set_framing(fix_conn(&f), UINT32_MAX);
	fix_run(&f, "close:recv-error:error");
	fix_close(&f);
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
	struct ended src_end;
	struct ended dst_end;
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

/* The source's end closes the destination gracefully behind it. */
static void
relay_close(struct conn *c, enum conn_end why, enum outcome o, void *arg)
{
	struct relay *rl = arg;

	if (c == rl->src) {
		note_end(&rl->src_end, why, o);
		rl->src = NULL;
		conn_close(rl->dst, CLOSE_GRACEFUL, 30000);
	} else {
		note_end(&rl->dst_end, why, o);
		rl->dst = NULL;
	}
}

static void
test_high_water_relay(void **state)
{
	static const struct conn_callbacks src_cb = {
		.on_data = relay_data,
		.on_close = relay_close,
	};
	static const struct conn_callbacks dst_cb = {
		.on_high_water = relay_high,
		.on_drain = relay_drain,
		.on_close = relay_close,
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
	assert_reader_all(&rd, RELAY_TOTAL);
	assert_int_equal(rl.src_end.why, CONN_END_PEER_EOF);
	assert_int_equal(rl.dst_end.why, CONN_END_LOCAL_CLOSE);
	assert_int_equal(rl.dst_end.outcome, OUTCOME_OK);
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
	assert_int_equal(first->end.closes + second->end.closes, 2);
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
