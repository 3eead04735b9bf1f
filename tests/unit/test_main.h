/* SPDX-License-Identifier: BSD-2-Clause */
/* The one main() of the cmocka tests: run a list of tests as one group. */
#ifndef TEARDOWN_TEST_MAIN_H
#define TEARDOWN_TEST_MAIN_H

/*
 * TEST_MAIN(cmocka_unit_test(a), cmocka_unit_test(b), ...) defines main():
 * it runs the tests in order and returns the number that failed, as
 * cmocka_run_group_tests() does. TEST_MAIN_WITH(setup, teardown, ...)
 * adds the group's setup and teardown. Include after <cmocka.h>.
 */
#define TEST_MAIN(...)	TEST_MAIN_WITH(NULL, NULL, __VA_ARGS__)

#define TEST_MAIN_WITH(setup, teardown, ...)				\
int									\
main(void)								\
{									\
	const struct CMUnitTest tests[] = { __VA_ARGS__ };		\
									\
	return cmocka_run_group_tests(tests, setup, teardown);		\
}

#endif
