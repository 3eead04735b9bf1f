/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for frame: header encoding and every parse status boundary. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdbool.h>
#include <string.h>

#include "frame.h"

static void
test_header_bytes(void **state)
{
	unsigned char h[4];

	frame_put_header(h, 0x01020304u);
	assert_memory_equal(h, "\x01\x02\x03\x04", 4);
	assert_int_equal(frame_get_be32(h), 0x01020304u);
	frame_put_be32(h, 0xfffffffeu);
	assert_memory_equal(h, "\xff\xff\xff\xfe", 4);
	assert_int_equal(frame_get_be32(h), 0xfffffffeu);
}

/*
 * One frame_parse call: the bytes, the limit, the status it must return
 * and, where the header says it, the length it must report.
 */
struct parse_case {
	const char *in;
	size_t len;
	uint32_t max;
	enum frame_status want;
	bool check_n;
	uint32_t n;
};

static void
parse_cases(const struct parse_case *c, size_t ncases)
{
	for (size_t i = 0; i < ncases; i++) {
		uint32_t n = 99;

		assert_int_equal(frame_parse(c[i].in, c[i].len, c[i].max, &n),
		    c[i].want);
		if (c[i].check_n)
			assert_int_equal(n, c[i].n);
	}
}

static void
test_parse_ok(void **state)
{
	static const struct parse_case cases[] = {
		{ "\0\0\0\5hello", 9, 100, FRAME_OK, true, 5 },
		/* The start of the next frame after it does not matter. */
		{ "\0\0\0\2hi\0\0", 8, 100, FRAME_OK, true, 2 },
		{ "\0\0\0\0", 4, 100, FRAME_OK, true, 0 },
	};

	parse_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_parse_need_more(void **state)
{
	static const struct parse_case body = { "\0\0\0\5hell", 8, 100,
	    FRAME_NEED_MORE, true, 5 };
	uint32_t n = 99;
	size_t len;

	for (len = 0; len < FRAME_HDR_LEN; len++)
		assert_int_equal(frame_parse("\0\0\0\5hello", len, 100, &n),
		    FRAME_NEED_MORE);
	assert_int_equal(n, 99);
	parse_cases(&body, 1);
}

/* max itself is allowed, max + 1 is refused from the header alone. */
static void
test_parse_max_boundary(void **state)
{
	static const struct parse_case cases[] = {
		{ "\0\0\0\5hello", 9, 5, FRAME_OK, true, 5 },
		{ "\0\0\0\6", 4, 5, FRAME_TOO_LONG, true, 6 },
		{ "\x7f\xff\xff\xff", 4, FRAME_MAX_DEFAULT, FRAME_TOO_LONG, true,
		    0x7fffffffu },
		{ "\x04\0\0\0", 4, FRAME_MAX_DEFAULT, FRAME_NEED_MORE, true,
		    FRAME_MAX_DEFAULT },
		{ "\x04\0\0\1", 4, FRAME_MAX_DEFAULT, FRAME_TOO_LONG, false, 0 },
	};

	parse_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_parse_negative(void **state)
{
	static const struct parse_case cases[] = {
		{ "\x80\0\0\0", 4, 100, FRAME_NEGATIVE, true, 0x80000000u },
		/* The sign check comes first, whatever max allows. */
		{ "\xff\xff\xff\xff", 4, UINT32_MAX, FRAME_NEGATIVE, false, 0 },
	};

	parse_cases(cases, sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(frame_parse("\x80\0\0\0", 4, 100, NULL),
	    FRAME_NEGATIVE);
}

static void
test_status_names(void **state)
{
	static const struct {
		enum frame_status st;
		const char *name;
	} names[] = {
		{ FRAME_OK, "ok" }, { FRAME_NEED_MORE, "need-more" },
		{ FRAME_TOO_LONG, "too-long" }, { FRAME_NEGATIVE, "negative" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(frame_status_name(names[i].st),
		    names[i].name);
}

TEST_MAIN(
	cmocka_unit_test(test_header_bytes),
	cmocka_unit_test(test_parse_ok),
	cmocka_unit_test(test_parse_need_more),
	cmocka_unit_test(test_parse_max_boundary),
	cmocka_unit_test(test_parse_negative),
	cmocka_unit_test(test_status_names),
)
