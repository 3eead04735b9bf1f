/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for outcome.c: errno mapping, stable names, errno symbols. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include "test_main.h"

#include "outcome.h"

static void
test_errno_mapping(void **state)
{
	static const struct {
		int err;
		enum outcome o;
		const char *name;
	} cases[] = {
		{ 0, OUTCOME_OK, "ok" }, { ECONNRESET, OUTCOME_RESET, "reset" },
		{ EPIPE, OUTCOME_BROKEN_PIPE, "broken-pipe" },
		{ ETIMEDOUT, OUTCOME_TIMEOUT, "timeout" },
		{ ECONNREFUSED, OUTCOME_REFUSED, "refused" },
		{ EHOSTUNREACH, OUTCOME_UNREACHABLE, "unreachable" },
		{ ENETUNREACH, OUTCOME_UNREACHABLE, "unreachable" },
		{ ECONNABORTED, OUTCOME_ABORTED, "aborted" },
		{ EAGAIN, OUTCOME_WOULD_BLOCK, "would-block" },
		{ EWOULDBLOCK, OUTCOME_WOULD_BLOCK, "would-block" },
		{ EINTR, OUTCOME_INTERRUPTED, "interrupted" },
		{ EADDRINUSE, OUTCOME_ADDR_IN_USE, "address-in-use" },
		{ ENOTCONN, OUTCOME_NOT_CONNECTED, "not-connected" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum outcome o = outcome_from_errno(cases[i].err);

		assert_int_equal(o, cases[i].o);
		assert_string_equal(outcome_name(o), cases[i].name);
	}
}

static void
test_other_errnos_are_error(void **state)
{
	static const int others[] = { EBADF, EINVAL, ENOMEM, EACCES,
	    EADDRNOTAVAIL, EMFILE, ENOTSOCK, 9999, -1 };

	(void)state;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_int_equal(outcome_from_errno(others[i]), OUTCOME_ERROR);
	assert_string_equal(outcome_name(OUTCOME_ERROR), "error");
}

static void
test_names_round_trip(void **state)
{
	static const char *const names[OUTCOME_COUNT] = {
		"ok", "eof", "reset", "broken-pipe", "timeout", "refused",
		"unreachable", "self-connect", "aborted", "would-block",
		"interrupted", "address-in-use", "not-connected", "error",
	};

	(void)state;
	for (int i = 0; i < OUTCOME_COUNT; i++) {
		enum outcome o = OUTCOME_COUNT;

		assert_string_equal(outcome_name((enum outcome)i), names[i]);
		assert_int_equal(outcome_parse(names[i], &o), 0);
		assert_int_equal(o, i);
	}
}

static void
test_parse_rejects_unknown(void **state)
{
	enum outcome o = OUTCOME_EOF;

	(void)state;
	assert_int_equal(outcome_parse("Reset", &o), -1);
	assert_int_equal(outcome_parse("", &o), -1);
	assert_int_equal(outcome_parse("resetx", &o), -1);
	assert_int_equal(outcome_parse(NULL, &o), -1);
	assert_int_equal(o, OUTCOME_EOF);
	assert_string_equal(outcome_name(OUTCOME_COUNT), "error");
	assert_string_equal(outcome_name((enum outcome)-1), "error");
}

static void
test_errno_names(void **state)
{
	static const struct {
		int err;
		const char *name;
	} cases[] = {
		{ ECONNRESET, "ECONNRESET" }, { EPIPE, "EPIPE" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { ECONNREFUSED, "ECONNREFUSED" },
		{ EHOSTUNREACH, "EHOSTUNREACH" },
		{ ENETUNREACH, "ENETUNREACH" },
		{ ECONNABORTED, "ECONNABORTED" }, { EAGAIN, "EAGAIN" },
		{ EINTR, "EINTR" }, { EADDRINUSE, "EADDRINUSE" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { ENOTCONN, "ENOTCONN" },
		{ EINPROGRESS, "EINPROGRESS" }, { EALREADY, "EALREADY" },
		{ EISCONN, "EISCONN" }, { ENETDOWN, "ENETDOWN" },
		{ EHOSTDOWN, "EHOSTDOWN" }, { ENETRESET, "ENETRESET" },
		{ ESHUTDOWN, "ESHUTDOWN" }, { ENOBUFS, "ENOBUFS" },
		{ EMSGSIZE, "EMSGSIZE" }, { EAFNOSUPPORT, "EAFNOSUPPORT" },
		{ EPROTONOSUPPORT, "EPROTONOSUPPORT" },
		{ ENOPROTOOPT, "ENOPROTOOPT" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ ENOTSOCK, "ENOTSOCK" }, { EBADF, "EBADF" },
		{ EINVAL, "EINVAL" }, { EACCES, "EACCES" }, { EPERM, "EPERM" },
		{ EMFILE, "EMFILE" }, { ENFILE, "ENFILE" },
		{ ENOMEM, "ENOMEM" }, { EPROTO, "EPROTO" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(errno_name(cases[i].err), cases[i].name);
	/* EWOULDBLOCK is EAGAIN on Linux: one number, one name. */
	assert_string_equal(errno_name(EWOULDBLOCK), "EAGAIN");
}

static void
test_errno_name_unknown(void **state)
{
	(void)state;
	assert_string_equal(errno_name(9999), "E?");
	assert_string_equal(errno_name(-5), "E?");
	assert_string_equal(errno_name(0), "0");
}

TEST_MAIN(
	cmocka_unit_test(test_errno_mapping),
	cmocka_unit_test(test_other_errnos_are_error),
	cmocka_unit_test(test_names_round_trip),
	cmocka_unit_test(test_parse_rejects_unknown),
	cmocka_unit_test(test_errno_names),
	cmocka_unit_test(test_errno_name_unknown),
)
