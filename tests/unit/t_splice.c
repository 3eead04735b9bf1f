/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for splice.c: socket -> pipe -> socket on loopback pairs. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include "test_main.h"

#include "loopback.h"
#include "sock.h"
#include "splice.h"

static void
wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, TEST_WAIT_MS), 1);
}

/* Two loopback pairs a-b and c-d around a 64 KiB pipe that reads b
   and writes c, both non-blocking: the relay's view of one direction. */
static struct splice_pipe *
open_chain(int *a, int *b, int *c, int *d)
{
	char eb[ERRBUF_LEN];
	struct splice_pipe *p;

	assert_int_equal(tcp_pair(a, b), 0);
	assert_int_equal(tcp_pair(c, d), 0);
	assert_int_equal(sock_set_nonblock(*b, true), 0);
	assert_int_equal(sock_set_nonblock(*c, true), 0);
	p = splice_pipe_new(65536, eb);
	assert_non_null(p);
	return p;
}

static void
test_new_reports_capacity(void **state)
{
	char eb[ERRBUF_LEN];
	struct splice_pipe *p;

	(void)state;
	p = splice_pipe_new(256 * 1024, eb);
	assert_non_null(p);
	/* The kernel may refuse to grow it (user pipe pages), never shrink
	   it below the default of 16 pages. */
	assert_true(splice_pipe_cap(p) >= 65536);
	assert_int_equal(splice_pipe_len(p), 0);
	assert_int_equal(splice_pipe_room(p), splice_pipe_cap(p));
	splice_pipe_free(p);
}

/* a -> (b: fill) pipe (drain: c) -> d, byte exact, then EOF. */
static void
test_relay_bytes_and_eof(void **state)
{
	int a, b, c, d;
	char in[100000], out[100000];
	struct splice_pipe *p;
	size_t got = 0, i;
	ssize_t n;
	enum outcome o;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7 + 3);
	p = open_chain(&a, &b, &c, &d);

	/* Nothing to read yet: EAGAIN, pipe untouched. */
	assert_int_equal(splice_pipe_fill(p, b), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(splice_pipe_drain(p, c), 0);

	assert_int_equal(sock_send_all(a, in, sizeof(in), &o), sizeof(in));
	assert_int_equal(o, OUTCOME_OK);
	shutdown(a, SHUT_WR);
	for (;;) {
		n = splice_pipe_fill(p, b);
		if (n == 0)
			break;
		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			if (splice_pipe_len(p) == 0)
				wait_readable(b);
		}
		assert_true(splice_pipe_len(p) <= splice_pipe_cap(p));
		assert_int_equal(splice_pipe_drain_all(p, c), 0);
		assert_int_equal(splice_pipe_len(p), 0);
		n = recv(d, out + got, sizeof(out) - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
	}
	shutdown(c, SHUT_WR);
	got += sock_recv_all(d, out + got, sizeof(out) - got, &o);
	assert_int_equal(got, sizeof(in));
	assert_memory_equal(in, out, sizeof(in));
	/* And the FIN followed the last byte. */
	assert_int_equal(recv(d, out, 1, 0), 0);
	splice_pipe_free(p);
	close(a);
	close(b);
	close(c);
	close(d);
}

/* A full pipe refuses more (backpressure) until drained. */
static void
test_full_pipe_refuses(void **state)
{
	int a, b;
	char eb[ERRBUF_LEN], chunk[65536];
	struct splice_pipe *p;
	size_t sent = 0;
	ssize_t n;
	enum outcome o;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(tcp_pair(&a, &b), 0);
	assert_int_equal(sock_set_nonblock(b, true), 0);
	p = splice_pipe_new(65536, eb);
	assert_non_null(p);
	/* More than the pipe holds, in the socket's queue. */
	while (sent < 4 * splice_pipe_cap(p))
		sent += sock_send_all(a, chunk, sizeof(chunk), &o);
	while (splice_pipe_room(p) > 0) {
		n = splice_pipe_fill(p, b);
		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			/* Page slots full before the byte count: also a
			   full pipe, as the header says. */
			if (splice_pipe_len(p) > 0)
				break;
			wait_readable(b);
		}
	}
	assert_true(splice_pipe_len(p) > 0);
	assert_int_equal(splice_pipe_fill(p, b), -1);
	assert_int_equal(errno, EAGAIN);
	splice_pipe_free(p);
	close(a);
	close(b);
}

/* Draining into a reset connection fails with an errno, no SIGPIPE. */
static void
test_drain_into_reset_fails(void **state)
{
	int a, b, c, d;
	char chunk[4096];
	struct splice_pipe *p;
	struct linger l = { 1, 0 };
	ssize_t n = 0;
	enum outcome o;
	int i;

	(void)state;
	sock_ignore_sigpipe();
	memset(chunk, 'y', sizeof(chunk));
	p = open_chain(&a, &b, &c, &d);
	/* d resets: its peer c sees ECONNRESET or EPIPE on the next send. */
	assert_int_equal(setsockopt(d, SOL_SOCKET, SO_LINGER, &l, sizeof(l)),
	    0);
	close(d);
	wait_readable(c);
	for (i = 0; i < 4; i++) {
		assert_int_equal(sock_send_all(a, chunk, sizeof(chunk), &o),
		    sizeof(chunk));
		wait_readable(b);
		assert_true(splice_pipe_fill(p, b) > 0);
		n = splice_pipe_drain(p, c);
		if (n < 0)
			break;
	}
	assert_int_equal(n, -1);
	assert_true(errno == ECONNRESET || errno == EPIPE);
	splice_pipe_free(p);
	close(a);
	close(b);
	close(c);
}

TEST_MAIN(
	cmocka_unit_test(test_new_reports_capacity),
	cmocka_unit_test(test_relay_bytes_and_eof),
	cmocka_unit_test(test_full_pipe_refuses),
	cmocka_unit_test(test_drain_into_reset_fails),
)
