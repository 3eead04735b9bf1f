/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for buf: append, consume, growth, compaction and fd I/O. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"

/* A fresh buffer, or the test fails here. */
static struct buf *
new_buf(size_t hint)
{
	struct buf *b = buf_new(hint);

	assert_non_null(b);
	return b;
}

static void
test_append_consume(void **state)
{
	struct buf *b = new_buf(0);

	assert_int_equal(buf_len(b), 0);
	assert_int_equal(buf_append(b, "hello", 5), 0);
	assert_int_equal(buf_append(b, " world", 6), 0);
	assert_int_equal(buf_len(b), 11);
	assert_memory_equal(buf_data(b), "hello world", 11);
	buf_consume(b, 6);
	assert_int_equal(buf_len(b), 5);
	assert_memory_equal(buf_data(b), "world", 5);
	buf_consume(b, 5);
	assert_int_equal(buf_len(b), 0);
	assert_int_equal(buf_append(b, "x", 0), 0);
	assert_int_equal(buf_len(b), 0);
	buf_free(b);
}

static void
test_grow_keeps_bytes(void **state)
{
	unsigned char chunk[7], want[1001];
	struct buf *b = new_buf(4);
	size_t i, j;

	for (i = 0; i < 1001; i++)
		want[i] = (unsigned char)(i * 31 + 7);
	for (i = 0; i < 1001; i += 7) {
		for (j = 0; j < 7 && i + j < 1001; j++)
			chunk[j] = want[i + j];
		assert_int_equal(buf_append(b, chunk, j), 0);
	}
	assert_int_equal(buf_len(b), 1001);
	assert_memory_equal(buf_data(b), want, 1001);
	buf_consume(b, 1000);
	assert_int_equal(buf_len(b), 1);
	assert_int_equal(((const unsigned char *)buf_data(b))[0], want[1000]);
	buf_free(b);
}

/* Room freed at the front is reused in place instead of growing. */
static void
test_compacts_in_place(void **state)
{
	struct buf *b = new_buf(16);
	const void *base;

	base = buf_data(b);
	assert_int_equal(buf_append(b, "0123456789ab", 12), 0);
	buf_consume(b, 10);
	assert_ptr_equal(buf_data(b), (const char *)base + 10);
	assert_int_equal(buf_append(b, "ABCDEFGHIJ", 10), 0);
	assert_ptr_equal(buf_data(b), base);
	assert_int_equal(buf_len(b), 12);
	assert_memory_equal(buf_data(b), "abABCDEFGHIJ", 12);
	buf_free(b);
}

/* After buf_reserve, appends up to that size never move the bytes. */
static void
test_reserve_then_append(void **state)
{
	struct buf *b = new_buf(0);
	const void *p;

	assert_int_equal(buf_append(b, "abc", 3), 0);
	assert_int_equal(buf_reserve(b, 100), 0);
	p = buf_data(b);
	assert_int_equal(buf_append(b, "0123456789", 10), 0);
	assert_int_equal(buf_append(b, "0123456789012345678901234567890123"
	    "45678901234567890123456789012345678901234567890123456789", 90), 0);
	assert_ptr_equal(buf_data(b), p);
	assert_int_equal(buf_len(b), 103);
	buf_free(b);
}

static void
test_read_fd_into_tail(void **state)
{
	struct buf *b = new_buf(0);
	int p[2];

	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	assert_int_equal(buf_append(b, "xy", 2), 0);
	assert_int_equal(write(p[1], "abcdef", 6), 6);
	assert_int_equal(buf_read_fd(b, p[0], 4), 4);
	assert_int_equal(buf_len(b), 6);
	assert_memory_equal(buf_data(b), "xyabcd", 6);
	assert_int_equal(buf_read_fd(b, p[0], 0), 2);
	assert_memory_equal(buf_data(b), "xyabcdef", 8);
	/* Nothing left: read's own result and errno come back unchanged. */
	errno = 0;
	assert_int_equal(buf_read_fd(b, p[0], 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(buf_len(b), 8);
	close(p[1]);
	assert_int_equal(buf_read_fd(b, p[0], 0), 0);
	assert_int_equal(buf_len(b), 8);
	close(p[0]);
	buf_free(b);
}

static void
test_send_fd(void **state)
{
	struct buf *b = new_buf(0);
	char got[8];
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(buf_send_fd(b, sv[0]), 0);
	assert_int_equal(buf_append(b, "12345678", 8), 0);
	buf_consume(b, 2);
	assert_int_equal(buf_send_fd(b, sv[0]), 6);
	assert_int_equal(buf_len(b), 0);
	assert_int_equal(read(sv[1], got, sizeof(got)), 6);
	assert_memory_equal(got, "345678", 6);
	/* Peer gone: EPIPE as a value (MSG_NOSIGNAL), buffer untouched. */
	close(sv[1]);
	assert_int_equal(buf_append(b, "zz", 2), 0);
	errno = 0;
	assert_int_equal(buf_send_fd(b, sv[0]), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(buf_len(b), 2);
	buf_free(b);
	close(sv[0]);
}

/* printf into the tail: in place when it fits, after growing when not. */
static void
test_printf(void **state)
{
	struct buf *b = buf_new(8);
	char big[300];

	(void)state;
	assert_non_null(b);
	assert_int_equal(buf_printf(b, "%d-%s", 42, "ab"), 0);
	assert_int_equal(buf_len(b), 5);
	assert_memory_equal(buf_data(b), "42-ab", 5);
	buf_consume(b, 3);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_printf(b, "[%s]", big), 0);
	assert_int_equal(buf_len(b), 2 + 2 + sizeof(big) - 1);
	assert_memory_equal(buf_data(b), "ab[xxx", 6);
	assert_int_equal(((const char *)buf_data(b))[buf_len(b) - 1], ']');
	assert_int_equal(buf_printf(b, "%s", ""), 0);
	assert_int_equal(buf_len(b), 2 + 2 + sizeof(big) - 1);
	buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_consume),
		cmocka_unit_test(test_grow_keeps_bytes),
		cmocka_unit_test(test_compacts_in_place),
		cmocka_unit_test(test_reserve_then_append),
		cmocka_unit_test(test_read_fd_into_tail),
		cmocka_unit_test(test_send_fd),
		cmocka_unit_test(test_printf),
	};

	/* No handler for SIGPIPE: the EPIPE test would die if we raised it. */
	signal(SIGPIPE, SIG_DFL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
