/* SPDX-License-Identifier: BSD-2-Clause */
/* httphead: the fault server's HTTP head scanner and writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include "test_main.h"

#include "errbuf.h"
#include "httphead.h"

static int
scan(const char *s, struct http_head *h, char *eb)
{
	return http_head_scan(s, strlen(s), h, eb);
}

static void
test_request(void **state)
{
	char eb[ERRBUF_LEN] = "";
	struct http_head h;
	const char *req = "GET /x HTTP/1.1\r\nHost: a\r\n"
	    "Connection: Keep-Alive, Upgrade\r\n\r\nBODY";

	(void)state;
	assert_int_equal(scan(req, &h, eb), 1);
	assert_int_equal(h.len, strlen(req) - 4);
	assert_false(h.response);
	assert_string_equal(h.method, "GET");
	assert_int_equal(h.minor, 1);
	assert_int_equal(h.content_length, -1);
	assert_true(h.keep_alive);
	/* HTTP/1.0 closes unless it asks for keep-alive; bare LFs work. */
	assert_int_equal(scan("POST / HTTP/1.0\nContent-Length: 12\n\n", &h,
	    eb), 1);
	assert_string_equal(h.method, "POST");
	assert_int_equal(h.content_length, 12);
	assert_false(h.keep_alive);
	assert_int_equal(scan("GET / HTTP/1.1\r\nconnection: close\r\n\r\n",
	    &h, eb), 1);
	assert_false(h.keep_alive);
}

static void
test_response(void **state)
{
	char eb[ERRBUF_LEN] = "", buf[512];
	struct http_head h;
	size_t n;

	(void)state;
	n = http_response_head(buf, sizeof(buf), 65536, true);
	assert_int_equal(n, strlen(buf));
	assert_int_equal(http_head_scan(buf, n, &h, eb), 1);
	assert_true(h.response);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.content_length, 65536);
	assert_true(h.keep_alive);
	assert_int_equal(h.len, n);
	n = http_response_head(buf, sizeof(buf), -1, false);
	assert_int_equal(http_head_scan(buf, n, &h, eb), 1);
	assert_true(h.chunked);
	assert_false(h.keep_alive);
	assert_int_equal(h.content_length, -1);
	/* Truncated to the buffer, never past it. */
	assert_int_equal(http_response_head(buf, 10, 1, true), 9);
	assert_int_equal(strlen(buf), 9);
	n = http_request_head(buf, sizeof(buf), "/index.html", "h:1");
	assert_string_equal(buf, "GET /index.html HTTP/1.1\r\nHost: h:1\r\n"
	    "User-Agent: tcpfault\r\nConnection: close\r\n\r\n");
	assert_int_equal(n, strlen(buf));
}

static void
test_incomplete_and_bad(void **state)
{
	char eb[ERRBUF_LEN] = "", big[HTTP_HEAD_MAX + 8];
	struct http_head h;

	(void)state;
	assert_int_equal(scan("GET / HTTP/1.1\r\nHost: a\r\n", &h, eb), 0);
	assert_int_equal(scan("", &h, eb), 0);
	assert_int_equal(scan("hello world\r\n\r\n", &h, eb), -1);
	assert_string_equal(eb, "not an HTTP/1.x head");
	assert_int_equal(scan("SSH-2.0-OpenSSH_9.2\r\n", &h, eb), -1);
	assert_int_equal(scan("HTTP/1.1 42 Odd\r\n\r\n", &h, eb), -1);
	assert_string_equal(eb, "bad status line");
	memset(big, 'a', sizeof(big));
	big[3] = ' ';
	assert_int_equal(http_head_scan(big, sizeof(big), &h, eb), -1);
	assert_string_equal(eb, "head longer than 16384 bytes");
}

static void
test_read_head(void **state)
{
	char eb[ERRBUF_LEN] = "", buf[256];
	struct http_head h;
	size_t got;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], "GET / HTTP/1.1\r\n", 16), 16);
	assert_int_equal(http_read_head(sv[0], buf, sizeof(buf), &got, 50, &h,
	    eb), -1);
	assert_string_equal(eb, "no complete head within 50 ms (16 bytes)");
	close(sv[0]);
	close(sv[1]);
	/* A head split over two writes, with the body's first bytes. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], "GET / HTTP/1.1\r\n", 16), 16);
	assert_int_equal(write(sv[1], "\r\nxy", 4), 4);
	assert_int_equal(http_read_head(sv[0], buf, sizeof(buf), &got, 1000,
	    &h, eb), 1);
	assert_int_equal(got, 20);
	assert_int_equal(h.len, 18);
	close(sv[1]);
	assert_int_equal(http_read_head(sv[0], buf, sizeof(buf), &got, 1000,
	    &h, eb), 0);
	close(sv[0]);
}

TEST_MAIN(
	cmocka_unit_test(test_request),
	cmocka_unit_test(test_response),
	cmocka_unit_test(test_incomplete_and_bad),
	cmocka_unit_test(test_read_head),
)
