/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for close.c on real loopback TCP: what each close does. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "close.h"
#include "loopback.h"
#include "sock.h"
#include "sockopt.h"

#define FNV_SEED 0xcbf29ce484222325ULL

static uint64_t
fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Wait until the peer's RST (or FIN+close) shows as POLLERR/POLLHUP. */
static void
wait_hangup(int fd)
{
	assert_int_equal(sock_wait(fd, 0, sock_deadline(TEST_WAIT_MS)), 1);
}

static void
wait_readable(int fd)
{
	assert_int_equal(sock_wait(fd, POLLIN, sock_deadline(TEST_WAIT_MS)),
	    1);
}

/* Collects what close_graceful drains, for exact comparison. */
struct sink {
	char data[64];
	size_t len;
	int calls;
};

static void
sink_collect(void *arg, const void *data, size_t len)
{
	struct sink *s = arg;
	size_t room = sizeof(s->data) - s->len;

	memcpy(s->data + s->len, data, len < room ? len : room);
	s->len += len < room ? len : room;
	s->calls++;
}

/*
 * The peer of a graceful close: read to EOF with a checksum, optionally
 * answer after the EOF, then close (or not, or abort).
 */
enum peer_end { PEER_CLOSE, PEER_STAY_OPEN, PEER_ABORT };

struct peer {
	pthread_t thread;
	int fd;
	const char *reply;
	enum peer_end end;
	uint64_t got;
	uint64_t sum;
	enum outcome oc;
};

static void *
peer_main(void *arg)
{
	struct peer *p = arg;
	unsigned char buf[65536];
	ssize_t n;

	p->sum = FNV_SEED;
	while ((n = sock_recv_timeout(p->fd, buf, sizeof(buf), TEST_WAIT_MS,
	    &p->oc)) > 0) {
		p->got += (uint64_t)n;
		p->sum = fnv1a(p->sum, buf, (size_t)n);
	}
	if (p->reply != NULL)
		sock_send_all(p->fd, p->reply, strlen(p->reply), NULL);
	if (p->end == PEER_CLOSE)
		close(p->fd);
	else if (p->end == PEER_ABORT)
		close_abort(p->fd, NULL);
	return NULL;
}

/* A connected pair whose far end runs peer_main; returns our end. */
static int
peer_start(struct peer *p)
{
	int c;

	assert_int_equal(tcp_pair(&c, &p->fd), 0);
	assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
	return c;
}

static void
peer_join(struct peer *p)
{
	assert_int_equal(pthread_join(p->thread, NULL), 0);
}

static void
test_graceful_delivers_32mib(void **state)
{
	const size_t len = 32 << 20;
	unsigned char *data = malloc(len);
	struct peer peer = { .reply = "bye!", .end = PEER_CLOSE };
	struct close_report r;
	struct sink sk = { .len = 0 };
	int c;

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i ^ (i >> 8) ^ (i >> 19));
	c = peer_start(&peer);
	errno = EDOM;
	assert_int_equal(close_graceful(c, data, len, 6 * TEST_WAIT_MS,
	    sink_collect, &sk, &r), 0);
	assert_int_equal(errno, EDOM);	/* untouched on success */
	peer_join(&peer);

	/* Every byte arrived, in order, and then the EOF. */
	assert_true(peer.got == len);
	assert_true(peer.sum == fnv1a(FNV_SEED, data, len));
	assert_int_equal(peer.oc, OUTCOME_EOF);
	/* What the closing side saw. */
	assert_int_equal(r.how, CLOSE_GRACEFUL);
	assert_true(r.flushed == len);
	assert_true(r.drained == 4);
	assert_int_equal(sk.len, 4);
	assert_memory_equal(sk.data, "bye!", 4);
	assert_true(r.unread == 0);
	assert_true(r.unsent == 0);
	assert_int_equal(r.outcome, OUTCOME_OK);
	assert_int_equal(r.err, 0);
	assert_false(r.aborted);
	assert_false(r.sent_rst);
	free(data);
}

static void
test_graceful_nothing_pending(void **state)
{
	struct close_report r;
	struct peer peer = { .end = PEER_CLOSE };
	int c;

	c = peer_start(&peer);
	assert_int_equal(close_graceful(c, NULL, 0, TEST_WAIT_MS, NULL, NULL,
	    &r), 0);
	peer_join(&peer);
	assert_true(peer.got == 0);
	assert_int_equal(peer.oc, OUTCOME_EOF);
	assert_true(r.flushed == 0 && r.drained == 0);
	assert_int_equal(r.outcome, OUTCOME_OK);
}

/*
 * The peer reads everything, sees our FIN, but never closes: the
 * deadline aborts. The peer is in CLOSE_WAIT when the RST comes, which
 * Linux turns into EPIPE for the peer's next send (tcp_reset()).
 */
static void
test_graceful_deadline_peer_never_closes(void **state)
{
	struct close_report r;
	char buf[8], eb[ERRBUF_LEN];
	struct tcpinfo_snap ti;
	enum outcome oc;
	int c, s;

	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(close_graceful(c, "abc", 3, 100, NULL, NULL, &r),
	    -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(r.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(r.err, ETIMEDOUT);
	assert_true(r.aborted);
	assert_true(r.sent_rst);
	assert_true(r.flushed == 3);
	assert_true(r.drained == 0);
	assert_true(r.unsent == 0);

	/* The peer got the data and the FIN, then the RST. */
	wait_hangup(s);
	assert_int_equal(sock_recv_all(s, buf, sizeof(buf), &oc), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(oc, OUTCOME_EOF);
	assert_int_equal(sockopt_tcp_info(s, &ti, eb), 0);
	assert_string_equal(ti.state, "CLOSE");
	assert_int_equal(sock_send_all(s, "x", 1, &oc), 0);
	assert_int_equal(oc, OUTCOME_BROKEN_PIPE);
	close(s);
}

/*
 * The peer never reads: our data cannot all leave before the deadline.
 * The RST then reaches an ESTABLISHED peer, which reads what had arrived
 * (exactly what we flushed minus what was still queued) and then
 * ECONNRESET.
 */
static void
test_graceful_deadline_peer_never_reads(void **state)
{
	const size_t len = 16 << 20;
	char *data = calloc(1, len), eb[ERRBUF_LEN];
	static char buf[1 << 20];
	struct close_report r;
	uint64_t got = 0;
	enum outcome oc;
	size_t n;
	int c, s;

	assert_non_null(data);
	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(sockopt_bufsizes(c, 8192, 0, NULL, NULL, eb), 0);
	assert_int_equal(sockopt_bufsizes(s, 0, 8192, NULL, NULL, eb), 0);
	assert_int_equal(close_graceful(c, data, len, 300, NULL, NULL, &r),
	    -1);
	assert_int_equal(r.outcome, OUTCOME_TIMEOUT);
	assert_true(r.aborted);
	assert_true(r.sent_rst);
	assert_true(r.flushed > 0 && r.flushed < len);
	assert_true(r.unsent > 0 && r.unsent <= r.flushed);

	wait_hangup(s);
	do {
		n = sock_recv_all(s, buf, sizeof(buf), &oc);
		got += n;
	} while (oc == OUTCOME_OK);
	assert_int_equal(oc, OUTCOME_RESET);
	assert_int_equal(errno, ECONNRESET);
	assert_true(got == r.flushed - r.unsent);
	close(s);
	free(data);
}

/* The peer aborts after our FIN: the drain sees ECONNRESET. */
static void
test_graceful_peer_resets_while_draining(void **state)
{
	struct peer peer = { .end = PEER_ABORT };
	struct close_report r;
	int c;

	c = peer_start(&peer);
	assert_int_equal(close_graceful(c, "hello", 5, 6 * TEST_WAIT_MS, NULL,
	    NULL, &r), -1);
	assert_int_equal(errno, ECONNRESET);
	peer_join(&peer);
	assert_true(peer.got == 5);
	assert_int_equal(r.outcome, OUTCOME_RESET);
	assert_int_equal(r.err, ECONNRESET);
	assert_true(r.flushed == 5);
	assert_false(r.aborted);
	assert_false(r.sent_rst);
}

/* Already reset before we close: the flush fails with ECONNRESET. */
static void
test_graceful_after_reset(void **state)
{
	struct close_report r;
	int c, s;

	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(close_abort(s, NULL), 0);
	wait_hangup(c);
	assert_int_equal(close_graceful(c, "late", 4, TEST_WAIT_MS, NULL, NULL,
	    &r), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(r.outcome, OUTCOME_RESET);
	assert_true(r.flushed == 0);
	assert_false(r.aborted);
}

static void
test_abort(void **state)
{
	char buf[64];
	struct close_report r;
	enum outcome oc;
	int c, s;

	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(sock_send_all(c, "queued!", 7, &oc), 7);
	wait_readable(s);
	/* The reply carries the ACK of "queued!": nothing left unsent. */
	assert_int_equal(sock_send_all(s, "zz", 2, &oc), 2);
	wait_readable(c);
	errno = EDOM;
	assert_int_equal(close_abort(c, &r), 0);
	assert_int_equal(errno, EDOM);
	assert_int_equal(r.how, CLOSE_ABORT);
	assert_true(r.unread == 2);
	assert_true(r.unsent == 0);
	assert_true(r.sent_rst);
	assert_false(r.aborted);
	assert_int_equal(r.outcome, OUTCOME_OK);
	assert_int_equal(r.err, 0);

	/* The peer still reads what had arrived, then the reset. */
	wait_hangup(s);
	assert_int_equal(sock_recv_all(s, buf, sizeof(buf), &oc), 7);
	assert_memory_equal(buf, "queued!", 7);
	assert_int_equal(oc, OUTCOME_RESET);
	assert_int_equal(errno, ECONNRESET);
	close(s);
}

static void
test_plain_with_unread_input_resets(void **state)
{
	static char data[1000];
	char buf[16];
	struct close_report r;
	enum outcome oc;
	int c, s;

	memset(data, 'u', sizeof(data));
	assert_int_equal(tcp_pair(&c, &s), 0);
	/* One small send on loopback arrives as one segment. */
	assert_int_equal(sock_send_all(s, data, sizeof(data), &oc), 1000);
	wait_readable(c);
	assert_int_equal(sockopt_inq(c), 1000);
	assert_int_equal(close_plain(c, &r), 0);
	assert_int_equal(r.how, CLOSE_PLAIN);
	assert_true(r.unread == 1000);
	assert_true(r.sent_rst);
	assert_int_equal(r.outcome, OUTCOME_OK);

	/* RFC 2525 section 2.17: RST instead of FIN. */
	wait_hangup(s);
	assert_int_equal(sock_recv_all(s, buf, sizeof(buf), &oc), 0);
	assert_int_equal(oc, OUTCOME_RESET);
	close(s);
}

static void
test_plain_clean_sends_fin(void **state)
{
	struct close_report r;
	char buf[16];
	enum outcome oc;
	int c, s;

	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(sock_send_all(c, "last", 4, &oc), 4);
	assert_int_equal(close_plain(c, &r), 0);
	assert_true(r.unread == 0);
	assert_false(r.sent_rst);
	assert_int_equal(sock_recv_all(s, buf, sizeof(buf), &oc), 4);
	assert_memory_equal(buf, "last", 4);
	assert_int_equal(oc, OUTCOME_EOF);
	close(s);
}

static void
test_bad_fd(void **state)
{
	struct close_report r;

	assert_int_equal(close_plain(-1, &r), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(r.err, EBADF);
	assert_int_equal(r.outcome, OUTCOME_ERROR);
	assert_false(r.sent_rst);
	assert_int_equal(close_abort(-1, &r), -1);
	assert_int_equal(r.err, EBADF);
	assert_false(r.sent_rst);
	assert_int_equal(close_graceful(-1, "x", 1, 100, NULL, NULL, &r), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(r.outcome, OUTCOME_ERROR);
	assert_false(r.aborted);
	/* A NULL report is allowed. */
	assert_int_equal(close_plain(-1, NULL), -1);
}

static void
test_how_names(void **state)
{
	static const char *const names[] = { "graceful", "abort", "plain" };
	enum close_how how = CLOSE_PLAIN;

	for (int i = 0; i < 3; i++) {
		assert_string_equal(close_how_name((enum close_how)i),
		    names[i]);
		assert_int_equal(close_how_parse(names[i], &how), 0);
		assert_int_equal(how, i);
	}
	assert_int_equal(close_how_parse("rst", &how), -1);
	assert_int_equal(close_how_parse("", &how), -1);
	assert_int_equal(close_how_parse(NULL, &how), -1);
	assert_int_equal(how, CLOSE_PLAIN);
	assert_string_equal(close_how_name((enum close_how)3), "?");
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * Only the deadline ends a graceful close: a signal (handler installed,
 * no SA_RESTART) arriving mid-drain restarts the wait.
 */
static void
test_graceful_survives_signal(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 20000 } };
	struct close_report r;
	int c, s;

	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(close_graceful(c, "sig", 3, 300, NULL, NULL, &r),
	    -1);
	assert_int_equal(r.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(r.err, ETIMEDOUT);
	assert_true(r.aborted);
	assert_true(r.flushed == 3);
	signal(SIGALRM, SIG_DFL);
	close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_graceful_delivers_32mib),
		cmocka_unit_test(test_graceful_nothing_pending),
		cmocka_unit_test(test_graceful_deadline_peer_never_closes),
		cmocka_unit_test(test_graceful_deadline_peer_never_reads),
		cmocka_unit_test(test_graceful_peer_resets_while_draining),
		cmocka_unit_test(test_graceful_after_reset),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_plain_with_unread_input_resets),
		cmocka_unit_test(test_plain_clean_sends_fin),
		cmocka_unit_test(test_bad_fd),
		cmocka_unit_test(test_graceful_survives_signal),
		cmocka_unit_test(test_how_names),
	};

	sock_ignore_sigpipe();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
