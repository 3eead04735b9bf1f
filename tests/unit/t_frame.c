/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for frame: header encoding and every parse status boundary. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

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

static void
test_parse_ok(void **state)
{
	uint32_t n = 99;

	assert_int_equal(frame_parse("\0\0\0\5hello", 9, 100, &n), FRAME_OK);
	assert_int_equal(n, 5);
	/* The start of the next frame after it does not matter. */
	assert_int_equal(frame_parse("\0\0\0\2hi\0\0", 8, 100, &n), FRAME_OK);
	assert_int_equal(n, 2);
	assert_int_equal(frame_parse("\0\0\0\0", 4, 100, &n), FRAME_OK);
	assert_int_equal(n, 0);
}

static void
test_parse_need_more(void **state)
{
	uint32_t n = 99;
	size_t len;

	for (len = 0; len < FRAME_HDR_LEN; len++)
		assert_int_equal(frame_parse("\0\0\0\5hello", len, 100, &n),
		    FRAME_NEED_MORE);
	assert_int_equal(n, 99);
	assert_int_equal(frame_parse("\0\0\0\5hell", 8, 100, &n),
	    FRAME_NEED_MORE);
	assert_int_equal(n, 5);
}

/* max itself is allowed, max + 1 is refused from the header alone. */
static void
test_parse_max_boundary(void **state)
{
	uint32_t n = 0;

	assert_int_equal(frame_parse("\0\0\0\5hello", 9, 5, &n), FRAME_OK);
	assert_int_equal(n, 5);
	assert_int_equal(frame_parse("\0\0\0\6", 4, 5, &n), FRAME_TOO_LONG);
	assert_int_equal(n, 6);
	assert_int_equal(frame_parse("\x7f\xff\xff\xff", 4, FRAME_MAX_DEFAULT,
	    &n), FRAME_TOO_LONG);
	assert_int_equal(n, 0x7fffffffu);
	assert_int_equal(frame_parse("\x04\0\0\0", 4, FRAME_MAX_DEFAULT, &n),
	    FRAME_NEED_MORE);
	assert_int_equal(n, FRAME_MAX_DEFAULT);
	assert_int_equal(frame_parse("\x04\0\0\1", 4, FRAME_MAX_DEFAULT, &n),
	    FRAME_TOO_LONG);
}

static void
test_parse_negative(void **state)
{
	uint32_t n = 0;

	assert_int_equal(frame_parse("\x80\0\0\0", 4, 100, &n),
	    FRAME_NEGATIVE);
	assert_int_equal(n, 0x80000000u);
	/* The sign check comes first, whatever max allows. */
	assert_int_equal(frame_parse("\xff\xff\xff\xff", 4, UINT32_MAX, &n),
	    FRAME_NEGATIVE);
	assert_int_equal(frame_parse("\x80\0\0\0", 4, 100, NULL),
	    FRAME_NEGATIVE);
}

static void
test_status_names(void **state)
{
	assert_string_equal(frame_status_name(FRAME_OK), "ok");
	assert_string_equal(frame_status_name(FRAME_NEED_MORE), "need-more");
	assert_string_equal(frame_status_name(FRAME_TOO_LONG), "too-long");
	assert_string_equal(frame_status_name(FRAME_NEGATIVE), "negative");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_bytes),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_need_more),
		cmocka_unit_test(test_parse_max_boundary),
		cmocka_unit_test(test_parse_negative),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
