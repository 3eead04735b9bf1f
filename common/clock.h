/* SPDX-License-Identifier: BSD-2-Clause */
/* The one clock: monotonic time for deadlines and durations, wall time for stamps. */
#ifndef TEARDOWN_CLOCK_H
#define TEARDOWN_CLOCK_H

#include <stdint.h>
#include <time.h>

/*
 * Nanoseconds on CLOCK_MONOTONIC: every deadline, timer and duration in
 * the suite uses this clock, so values from different modules compare.
 */
static inline uint64_t
clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Microseconds on CLOCK_MONOTONIC. */
static inline uint64_t
clock_mono_us(void)
{
	return clock_mono_ns() / 1000u;
}

/* Milliseconds on CLOCK_MONOTONIC, signed so deadlines can be compared. */
static inline int64_t
clock_mono_ms(void)
{
	return (int64_t)(clock_mono_ns() / 1000000u);
}

/*
 * Microseconds since the epoch on CLOCK_REALTIME: the clock the kernel
 * stamps captured packets with, so socket events and packets line up.
 */
static inline int64_t
clock_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
