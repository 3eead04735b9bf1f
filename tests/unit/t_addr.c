/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for addr.c: splitting, resolving, formatting, comparing. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include "test_main.h"

#include "addr.h"
#include "errbuf.h"

static void
test_split_good(void **state)
{
	static const struct {
		const char *in, *host, *port;
	} cases[] = {
		{ "example.com:80", "example.com", "80" },
		{ "127.0.0.1:0", "127.0.0.1", "0" },
		{ "h:65535", "h", "65535" },
		{ "[::1]:80", "::1", "80" },
		{ "[fe80::1%lo]:8080", "fe80::1%lo", "8080" },
		{ ":80", "", "80" },
		{ "[]:80", "", "80" },
		{ "localhost:http", "localhost", "http" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[256], port[32], eb[ERRBUF_LEN] = "";

		assert_int_equal(addr_split(cases[i].in, host, sizeof(host),
		    port, sizeof(port), eb), 0);
		assert_string_equal(host, cases[i].host);
		assert_string_equal(port, cases[i].port);
		assert_string_equal(eb, "");
	}
}

static void
test_split_bad(void **state)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "[::1", "address \"[::1\": missing ']'" },
		{ "[::1]80", "address \"[::1]80\": expected ':port' after ']'" },
		{ "[::1]", "address \"[::1]\": expected ':port' after ']'" },
		{ "h:99999", "address \"h:99999\": port out of range: 99999" },
		{ "h:65536", "address \"h:65536\": port out of range: 65536" },
		{ "h:000080000",
		    "address \"h:000080000\": port out of range: 000080000" },
		{ "h:", "address \"h:\": missing port" },
		{ "h", "address \"h\": missing ':port'" },
		{ "", "address \"\": missing ':port'" },
		{ "::1:80",
		    "address \"::1:80\": write an IPv6 address as [addr]:port" },
		{ "h:no-such-service-xyz",
		    "address \"h:no-such-service-xyz\": unknown port: "
		    "no-such-service-xyz" },
		{ "h:-1", "address \"h:-1\": unknown port: -1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[256] = "x", port[32] = "y", eb[ERRBUF_LEN] = "";

		assert_int_equal(addr_split(cases[i].in, host, sizeof(host),
		    port, sizeof(port), eb), -1);
		assert_string_equal(eb, cases[i].msg);
	}
}

static void
test_split_too_long(void **state)
{
	char host[4], port[8], eb[ERRBUF_LEN];

	(void)state;
	assert_int_equal(addr_split("abcd:1", host, sizeof(host), port,
	    sizeof(port), eb), -1);
	assert_string_equal(eb, "address \"abcd:1\": host too long");
	assert_int_equal(addr_split("abc:1", host, sizeof(host), port,
	    sizeof(port), eb), 0);
	assert_string_equal(host, "abc");
	assert_int_equal(addr_split("a:http", host, sizeof(host), port, 4,
	    eb), -1);
	assert_string_equal(eb, "address \"a:http\": port too long");
}

static void
test_resolve_numeric(void **state)
{
	char eb[ERRBUF_LEN] = "", buf[ADDR_STRLEN];
	struct addrinfo *ai;

	(void)state;
	ai = addr_resolve("127.0.0.1", "8080", ADDR_ANY, false, eb);
	assert_non_null(ai);
	assert_null(ai->ai_next);
	assert_string_equal(addr_format(ai->ai_addr, buf, sizeof(buf)),
	    "127.0.0.1:8080");
	freeaddrinfo(ai);

	ai = addr_resolve("::1", "80", ADDR_V6, false, eb);
	assert_non_null(ai);
	assert_string_equal(addr_format(ai->ai_addr, buf, sizeof(buf)),
	    "[::1]:80");
	freeaddrinfo(ai);

	/* No host: wildcard when passive, loopback otherwise. */
	ai = addr_resolve("", "0", ADDR_V4, true, eb);
	assert_non_null(ai);
	assert_string_equal(addr_format(ai->ai_addr, buf, sizeof(buf)),
	    "0.0.0.0:0");
	freeaddrinfo(ai);
	ai = addr_resolve(NULL, "9", ADDR_V4, false, eb);
	assert_non_null(ai);
	assert_string_equal(addr_format(ai->ai_addr, buf, sizeof(buf)),
	    "127.0.0.1:9");
	freeaddrinfo(ai);
	ai = addr_resolve(NULL, "9", ADDR_V6, true, eb);
	assert_non_null(ai);
	assert_string_equal(addr_format(ai->ai_addr, buf, sizeof(buf)),
	    "[::]:9");
	freeaddrinfo(ai);
}

static void
test_resolve_bad_name(void **state)
{
	struct addrinfo hints, *res = NULL;
	char eb[ERRBUF_LEN] = "";
	int rc;

	(void)state;
	/*
	 * Whether a bad name gives "Name or service not known" or a
	 * resolver failure depends on the machine's DNS; the text must be
	 * exactly what getaddrinfo says for the same query.
	 */
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo("no-such-host.invalid", "80", &hints, &res);
	assert_int_not_equal(rc, 0);
	assert_null(addr_resolve("no-such-host.invalid", "80", ADDR_ANY,
	    false, eb));
	assert_string_equal(eb, gai_strerror(rc));
}

static void
test_resolve_family_mismatch(void **state)
{
	char eb[ERRBUF_LEN] = "";

	(void)state;
	/* glibc: an IPv6 literal asked for as IPv4 is EAI_ADDRFAMILY. */
	assert_null(addr_resolve("::1", "80", ADDR_V4, false, eb));
	assert_string_equal(eb, gai_strerror(EAI_ADDRFAMILY));
	assert_null(addr_resolve("127.0.0.1", "no-such-service-xyz",
	    ADDR_ANY, false, eb));
	assert_string_equal(eb, gai_strerror(EAI_SERVICE));
}

static void
test_format(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(65535) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(443) };
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	char buf[ADDR_STRLEN], small[8];

	(void)state;
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	assert_string_equal(addr_format((struct sockaddr *)&sin, buf,
	    sizeof(buf)), "192.0.2.1:65535");
	assert_int_equal(addr_port((struct sockaddr *)&sin), 65535);
	inet_pton(AF_INET6, "2001:db8::ff", &sin6.sin6_addr);
	assert_string_equal(addr_format((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), "[2001:db8::ff]:443");
	assert_int_equal(addr_port((struct sockaddr *)&sin6), 443);
	/* A dual-stack listener's IPv4 peer prints as IPv4. */
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6.sin6_addr);
	assert_string_equal(addr_format((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), "127.0.0.1:443");
	assert_string_equal(addr_format(&sa, buf, sizeof(buf)), "?");
	assert_int_equal(addr_port(&sa), 0);
	assert_int_equal(addr_port(NULL), 0);
	/* Truncated, never overrun. */
	assert_string_equal(addr_format((struct sockaddr *)&sin, small,
	    sizeof(small)), "192.0.2");
	/* The longest IPv6 form fits ADDR_STRLEN. */
	memset(&sin6.sin6_addr, 0xff, sizeof(sin6.sin6_addr));
	sin6.sin6_port = htons(65535);
	assert_string_equal(addr_format((struct sockaddr *)&sin6, buf,
	    sizeof(buf)),
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void
test_equal(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons(80) };
	struct sockaddr_in b = a;
	struct sockaddr_in6 c = { .sin6_family = AF_INET6,
	    .sin6_port = htons(80) };
	struct sockaddr_in6 d = c;

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &b.sin_addr);
	assert_true(addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	b.sin_port = htons(81);
	assert_false(addr_equal((struct sockaddr *)&a,
	    (struct sockaddr *)&b));
	b.sin_port = htons(80);
	inet_pton(AF_INET, "127.0.0.2", &b.sin_addr);
	assert_false(addr_equal((struct sockaddr *)&a,
	    (struct sockaddr *)&b));
	inet_pton(AF_INET6, "::1", &c.sin6_addr);
	inet_pton(AF_INET6, "::1", &d.sin6_addr);
	assert_true(addr_equal((struct sockaddr *)&c, (struct sockaddr *)&d));
	d.sin6_scope_id = 1;
	assert_false(addr_equal((struct sockaddr *)&c,
	    (struct sockaddr *)&d));
	assert_false(addr_equal((struct sockaddr *)&a,
	    (struct sockaddr *)&c));
	assert_false(addr_equal(NULL, (struct sockaddr *)&c));
}

TEST_MAIN(
	cmocka_unit_test(test_split_good),
	cmocka_unit_test(test_split_bad),
	cmocka_unit_test(test_split_too_long),
	cmocka_unit_test(test_resolve_numeric),
	cmocka_unit_test(test_resolve_bad_name),
	cmocka_unit_test(test_resolve_family_mismatch),
	cmocka_unit_test(test_format),
	cmocka_unit_test(test_equal),
)
