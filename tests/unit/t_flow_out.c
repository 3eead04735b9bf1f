/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for flow_out: the connection object's writers, real numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "flow.h"
#include "flow_out.h"
#include "flow_json_check.h"

static void
test_json_text_reals(void **state)
{
	static const int64_t durations[] = { 0, 1, 5, 10, 30, 99, 100, 150,
	    1910, 999999, 999999999999999LL, 1000000000000000LL,
	    1000000, 3000000, 1234567891, 86400000000LL * 400 };
	struct flow_result r;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.orig_addr[15] = 1;
	r.resp_addr[0] = 0xfe;
	r.resp_addr[1] = 0x80;
	r.teardown = FLOW_VANISHED;
	r.closed_by = FLOW_SIDE_RESP;
	r.waiter = FLOW_SIDE_RESP;
	r.notes = ~0u >> (32 - FLOW_NOTE_COUNT);
	r.partial = true;
	r.ts_us = -1;	/* before the epoch: still a valid time */
	r.orig.packets = UINT64_MAX >> 1;
	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		r.last_ts_us = r.ts_us + durations[i];
		check_json_text(&r);
	}
}

/*
 * Members are written with a leading comma that becomes the object's '{'
 * once written: right at every buffer size, down to none at all.
 */
static void
test_json_text_short_buffers(void **state)
{
	struct flow_result r;
	char full[2048], buf[2048];
	int n;
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.teardown = FLOW_FIN;
	r.notes = FLOW_NOTE_KEEPALIVE | FLOW_NOTE_GAP;
	n = flow_result_json_text(&r, full, sizeof(full));
	assert_true(n > 0 && (size_t)n < sizeof(full));
	assert_int_equal(full[0], '{');
	for (len = 0; len <= (size_t)n + 1; len++) {
		memset(buf, 'x', sizeof(buf));
		assert_int_equal(flow_result_json_text(&r, buf, len), n);
		if (len == 0) {
			assert_int_equal(buf[0], 'x');
			continue;
		}
		assert_memory_equal(buf, full, len - 1);
		assert_int_equal(buf[len - 1], '\0');
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_text_reals),
		cmocka_unit_test(test_json_text_short_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
