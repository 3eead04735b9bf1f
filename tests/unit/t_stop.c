/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for stop.c and clock.h: the stop signals and the one clock. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>
#include "test_main.h"

#include "clock.h"
#include "errbuf.h"
#include "stop.h"

static volatile sig_atomic_t hooked;

static void
hook(int sig)
{
	hooked = sig;
}

/* The handler records the signal and runs the hook; SIGPIPE is ignored. */
static void
test_catch(void **state)
{
	char errbuf[ERRBUF_LEN];
	struct sigaction sa;

	(void)state;
	assert_int_equal(stop_catch(hook, errbuf), 0);
	assert_int_equal(stop_requested(), 0);
	raise(SIGPIPE);			/* would kill the test if not ignored */
	raise(SIGTERM);
	assert_int_equal(stop_requested(), SIGTERM);
	assert_int_equal(hooked, SIGTERM);
	raise(SIGINT);
	assert_int_equal(stop_requested(), SIGINT);
	/* No SA_RESTART, so blocking calls return EINTR. */
	assert_int_equal(sigaction(SIGINT, NULL, &sa), 0);
	assert_int_equal(sa.sa_flags & SA_RESTART, 0);
	assert_int_equal(STOP_EXIT(SIGINT), 130);
	assert_int_equal(STOP_EXIT(SIGTERM), 143);
}

/* A blocked signal is read from the signalfd, once. */
static void
test_fd(void **state)
{
	char errbuf[ERRBUF_LEN];
	int fd;

	(void)state;
	fd = stop_fd_open(true, errbuf);
	assert_true(fd >= 0);
	assert_int_equal(stop_fd_read(fd), 0);
	raise(SIGHUP);
	assert_int_equal(stop_fd_read(fd), SIGHUP);
	assert_int_equal(stop_requested(), SIGHUP);
	raise(SIGTERM);
	assert_int_equal(stop_fd_read(fd), SIGTERM);
	assert_int_equal(stop_fd_read(fd), 0);
	close(fd);
}

/* The clocks agree with each other and move forward. */
static void
test_clock(void **state)
{
	uint64_t ns = clock_mono_ns();
	int64_t ms = clock_mono_ms();
	uint64_t us = clock_mono_us();

	(void)state;
	assert_true(us >= ns / 1000);
	assert_true(ms >= (int64_t)(ns / 1000000));
	assert_true(ms <= (int64_t)(clock_mono_ns() / 1000000));
	/* Wall time is after 2020-01-01 and on the epoch's scale. */
	assert_true(clock_wall_us() > INT64_C(1577836800000000));
}

TEST_MAIN(
	cmocka_unit_test(test_catch),
	cmocka_unit_test(test_fd),
	cmocka_unit_test(test_clock),
)
