/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for names.c: enum name tables in both directions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include "test_main.h"

#include "names.h"

/* A table with a hole, as a designated initialiser may leave one. */
static const char *const table[] = { "zero", NULL, "two", "three" };

static void
test_get(void **state)
{
	(void)state;
	assert_string_equal(names_get(table, 4, 0, "?"), "zero");
	assert_string_equal(names_get(table, 4, 3, "?"), "three");
	assert_string_equal(names_get(table, 4, 1, "hole"), "hole");
	assert_string_equal(names_get(table, 4, 4, "past"), "past");
	assert_string_equal(names_get(table, 4, -1, "neg"), "neg");
	assert_string_equal(names_get(table, 3, 3, "short"), "short");
}

static void
test_find(void **state)
{
	(void)state;
	assert_int_equal(names_find(table, 4, "zero"), 0);
	assert_int_equal(names_find(table, 4, "two"), 2);
	assert_int_equal(names_find(table, 4, "three"), 3);
	assert_int_equal(names_find(table, 3, "three"), -1);
	assert_int_equal(names_find(table, 4, "Two"), -1);
	assert_int_equal(names_find(table, 4, "tw"), -1);
	assert_int_equal(names_find(table, 4, ""), -1);
	assert_int_equal(names_find(table, 4, NULL), -1);
}

TEST_MAIN(
	cmocka_unit_test(test_get),
	cmocka_unit_test(test_find),
)
