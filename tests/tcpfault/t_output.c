/* SPDX-License-Identifier: BSD-2-Clause */
/* output: the run summary names every unexpected case run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include "test_main.h"

#include "output.h"

static json_t *
unexp(void)
{
	return json_pack("[{s:s,s:s,s:i},{s:s,s:i},{s:s,s:s,s:i}]",
	    "case", "S4", "variant", "unread", "iteration", 2,
	    "case", "C1", "iteration", 1,
	    "case", "keepalive-race", "variant", "in-flight", "iteration", 2);
}

/* The names of unexp()'s cases as written into len bytes. */
static void
check_names(bool runs, size_t len, const char *want)
{
	json_t *u = unexp();
	char buf[256];

	assert_true(len <= sizeof(buf));
	out_unexpected_names(u, runs, buf, len);
	assert_string_equal(buf, want);
	json_decref(u);
}

static void
test_names(void **state)
{
	json_t *u;
	char buf[256];

	(void)state;
	check_names(false, sizeof(buf),
	    "S4/unread, C1, keepalive-race/in-flight");
	check_names(true, sizeof(buf), "S4/unread (run 2), C1 (run 1), "
	    "keepalive-race/in-flight (run 2)");
	u = json_array();
	out_unexpected_names(u, true, buf, sizeof(buf));
	assert_string_equal(buf, "");
	json_decref(u);
}

static void
test_cut(void **state)
{
	(void)state;
	check_names(false, 24, "S4/unread, C1, ...");
	check_names(false, 8, "...");
}

TEST_MAIN(
	cmocka_unit_test(test_names),
	cmocka_unit_test(test_cut),
)
