/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for numparse.c: whole-string parsing, ranges, exact errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include "test_main.h"

#include "errbuf.h"
#include "numparse.h"

/* Each good input must parse to exactly want. */
struct good {
	const char *in;
	int64_t want;
};

/* Each bad input must fail, say exactly this, and leave *out alone. */
struct bad {
	const char *in;
	const char *msg;
};

/* The option each table is for, parsed as its tool does. */
static int
parse_w_whole(const char *in, int64_t *out, char *eb)
{
	return num_parse_i64(in, 0, 3600, "-w", out, eb);
}

static int
parse_b_max(const char *in, uint64_t max, int64_t *out, char *eb)
{
	uint64_t v = (uint64_t)*out;
	int rc = num_parse_size(in, max, "-b", &v, eb);

	*out = (int64_t)v;
	return rc;
}

static int
parse_b_size(const char *in, int64_t *out, char *eb)
{
	return parse_b_max(in, 64 << 20, out, eb);
}

static int
parse_b_any(const char *in, int64_t *out, char *eb)
{
	return parse_b_max(in, UINT64_MAX, out, eb);
}

static int
parse_w_secs(const char *in, int64_t *out, char *eb)
{
	return num_parse_secs_ms(in, 3600000, "-w", out, eb);
}

static void
expect_accepts(const struct good *cases, size_t ncases,
    int (*parse)(const char *, int64_t *, char *))
{
	for (size_t i = 0; i < ncases; i++) {
		char eb[ERRBUF_LEN] = "";
		int64_t v = -1;

		assert_int_equal(parse(cases[i].in, &v, eb), 0);
		assert_int_equal(v, cases[i].want);
	}
}

static void
expect_rejects(const struct bad *cases, size_t ncases,
    int (*parse)(const char *, int64_t *, char *))
{
	for (size_t i = 0; i < ncases; i++) {
		char eb[ERRBUF_LEN] = "";
		int64_t v = 42;

		assert_int_equal(parse(cases[i].in, &v, eb), -1);
		assert_string_equal(eb, cases[i].msg);
		assert_int_equal(v, 42);
	}
}

static void
test_i64_accepts(void **state)
{
	char eb[ERRBUF_LEN] = "";
	int64_t v = 0;

	assert_int_equal(num_parse_i64("0", 0, 10, "-w", &v, eb), 0);
	assert_int_equal(v, 0);
	assert_int_equal(num_parse_i64("3600", 0, 3600, "-w", &v, eb), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(num_parse_i64("-5", -10, 10, "-n", &v, eb), 0);
	assert_int_equal(v, -5);
	assert_int_equal(num_parse_i64("9223372036854775807", 0, INT64_MAX,
	    "-n", &v, eb), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(num_parse_i64("-9223372036854775808", INT64_MIN, 0,
	    "-n", &v, eb), 0);
	assert_true(v == INT64_MIN);
	assert_string_equal(eb, "");
}

static void
test_i64_rejects(void **state)
{
	static const struct bad cases[] = {
		{ "99999", "-w: too large: 99999" },
		{ "-1", "-w: too small: -1" },
		{ "99999999999999999999", "-w: too large: 99999999999999999999" },
		{ "-99999999999999999999",
		    "-w: too small: -99999999999999999999" },
		{ "12x", "-w: not a number: 12x" },
		{ "abc", "-w: not a number: abc" },
		{ " 5", "-w: not a number:  5" },
		{ "5 ", "-w: not a number: 5 " },
		{ "0x10", "-w: not a number: 0x10" },
		{ "1.5", "-w: not a number: 1.5" },
		{ "+5", "-w: not a number: +5" },
		{ "", "-w: empty number" }, { "-", "-w: not a number: -" },
	};

	expect_rejects(cases, sizeof(cases) / sizeof(cases[0]), parse_w_whole);
}

static void
test_i64_null_and_unnamed(void **state)
{
	char eb[ERRBUF_LEN] = "";
	int64_t v = 7;

	assert_int_equal(num_parse_i64(NULL, 0, 10, "-w", &v, eb), -1);
	assert_string_equal(eb, "-w: empty number");
	assert_int_equal(num_parse_i64("11", 0, 10, NULL, &v, eb), -1);
	assert_string_equal(eb, "value: too large: 11");
	/* A NULL errbuf is allowed. */
	assert_int_equal(num_parse_i64("x", 0, 10, "-w", &v, NULL), -1);
	assert_int_equal(v, 7);
}

static void
test_size_suffixes(void **state)
{
	static const struct good cases[] = {
		{ "0", 0 }, { "512", 512 }, { "64k", 65536 }, { "64K", 65536 },
		{ "1m", 1048576 }, { "32M", 33554432 },
		{ "1g", 1073741824 }, { "4G", 4294967296ULL },
	};

	expect_accepts(cases, sizeof(cases) / sizeof(cases[0]), parse_b_any);
}

static void
test_size_rejects(void **state)
{
	static const struct bad cases[] = {
		{ "", "-b: empty number" }, { "k", "-b: not a number: k" },
		{ "-1", "-b: not a number: -1" },
		{ "64kb", "-b: not a size: 64kb" },
		{ "64x", "-b: not a size: 64x" },
		{ "1.5m", "-b: not a size: 1.5m" },
		{ "65m", "-b: too large: 65m" },
		{ "67108865", "-b: too large: 67108865" },
		{ "99999999999999999999", "-b: too large: 99999999999999999999" },
	};

	expect_rejects(cases, sizeof(cases) / sizeof(cases[0]), parse_b_size);
}

static void
test_size_overflow_with_suffix(void **state)
{
	char eb[ERRBUF_LEN] = "";
	uint64_t v = 42;

	/* 2^34 * 2^30 does not fit in 64 bits: must not wrap round. */
	assert_int_equal(num_parse_size("17179869184g", UINT64_MAX, "-n", &v,
	    eb), -1);
	assert_string_equal(eb, "-n: too large: 17179869184g");
	assert_int_equal(num_parse_size("17179869183g", UINT64_MAX, "-n", &v,
	    eb), 0);
	assert_true(v == 17179869183ULL << 30);
	assert_int_equal(num_parse_size("64m", 64 << 20, "-n", &v, eb), 0);
	assert_true(v == 64 << 20);
}

static void
test_secs_ms(void **state)
{
	static const struct good cases[] = {
		{ "0", 0 }, { "2", 2000 }, { "2.5", 2500 }, { "0.001", 1 },
		{ ".25", 250 }, { "1.05", 1050 }, { "3600", 3600000 },
		{ "3600.000", 3600000 },
	};

	expect_accepts(cases, sizeof(cases) / sizeof(cases[0]), parse_w_secs);
}

static void
test_secs_rejects(void **state)
{
	static const struct bad cases[] = {
		{ "", "-w: empty number" },
		{ ".", "-w: not a number of seconds: ." },
		{ "5.", "-w: not a number of seconds: 5." },
		{ "-1", "-w: not a number of seconds: -1" },
		{ "1s", "-w: not a number of seconds: 1s" },
		{ "1.2.3", "-w: not a number of seconds: 1.2.3" },
		{ "0.0001", "-w: finer than a millisecond: 0.0001" },
		{ "3600.001", "-w: too large: 3600.001" },
		{ "99999999999999999999999", "-w: too large: "
		    "99999999999999999999999" },
	};

	expect_rejects(cases, sizeof(cases) / sizeof(cases[0]), parse_w_secs);
}

static void
test_secs_huge_max(void **state)
{
	char eb[ERRBUF_LEN] = "";
	int64_t v = 0;

	/* With no practical maximum, a long number must not overflow. */
	assert_int_equal(num_parse_secs_ms("9223372036854775807.999",
	    INT64_MAX, "-t", &v, eb), -1);
	assert_string_equal(eb, "-t: too large: 9223372036854775807.999");
	assert_int_equal(num_parse_secs_ms("9223372036854775.807",
	    INT64_MAX, "-t", &v, eb), 0);
	assert_true(v == INT64_MAX);
}

TEST_MAIN(
	cmocka_unit_test(test_i64_accepts),
	cmocka_unit_test(test_i64_rejects),
	cmocka_unit_test(test_i64_null_and_unnamed),
	cmocka_unit_test(test_size_suffixes),
	cmocka_unit_test(test_size_rejects),
	cmocka_unit_test(test_size_overflow_with_suffix),
	cmocka_unit_test(test_secs_ms),
	cmocka_unit_test(test_secs_rejects),
	cmocka_unit_test(test_secs_huge_max),
)
