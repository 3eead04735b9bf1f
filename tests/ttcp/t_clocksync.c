/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ttcp --roundtrip: frames, reply matching, statistics. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"

#include <math.h>
#include <string.h>

#include "clocksync.h"
#include "errbuf.h"

/* muduo's frame is two int64s in host order; ours matches memcpy. */
static void
test_muduo_frame(void **state)
{
	uint8_t f[RT_MUDUO_LEN];
	int64_t want[2] = { 1700000000123456, 0 }, got[2];
	struct rt_stamps s;
	char eb[ERRBUF_LEN];

	assert_int_equal(rt_probe_encode(RT_FRAME_MUDUO, want[0], f), 16);
	assert_memory_equal(f, want, 16);
	/* The server stamps its receive time, as muduo's does. */
	assert_int_equal(rt_answer(f, 16, 1700000000250000, 1700000000250009,
	    eb), 16);
	memcpy(got, f, 16);
	assert_true(got[0] == want[0]);
	assert_true(got[1] == 1700000000250000);
	assert_int_equal(rt_reply_decode(RT_FRAME_MUDUO, f, 16,
	    1700000000123556, &s, eb), 0);
	assert_true(s.t1 == 1700000000123456 && s.t2 == s.t3 &&
	    s.t2 == 1700000000250000 && s.t4 == 1700000000123556);
	assert_true(rt_rtt(&s) == 100);
	assert_true(rt_delay(&s) == 100);
	/* their - (T1 + T4) / 2: muduo's "clock error". */
	assert_true(rt_offset(&s) == 250000.0 - 123506.0);
}

/* --ntp: four big-endian int64s, T2 and T3 apart, T4 zero on the wire. */
static void
test_ntp_frame(void **state)
{
	uint8_t f[RT_NTP_LEN];
	struct rt_stamps s;
	char eb[ERRBUF_LEN];

	assert_int_equal(rt_probe_encode(RT_FRAME_NTP, 0x0102030405060708,
	    f), 32);
	assert_memory_equal(f, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	for (int i = 8; i < 32; i++)
		assert_int_equal(f[i], 0);
	assert_int_equal(rt_answer(f, 32, 0x0102030405060800,
	    0x0102030405060810, eb), 32);
	assert_memory_equal(f + 8, "\x01\x02\x03\x04\x05\x06\x08\x00"
	    "\x01\x02\x03\x04\x05\x06\x08\x10" "\0\0\0\0\0\0\0\0", 24);
	assert_int_equal(rt_reply_decode(RT_FRAME_NTP, f, 32,
	    0x0102030405060908, &s, eb), 0);
	assert_true(rt_rtt(&s) == 0x200);
	/* The server held it 16 us: not part of the path's delay. */
	assert_true(rt_delay(&s) == 0x200 - 0x10);
	assert_true(rt_offset(&s) == ((0xf8 + 0x108) - (0xf8 + 0x108)) / 2.0);
}

/* What a server and a client refuse, and why. */
static void
test_refused(void **state)
{
	uint8_t f[RT_NTP_LEN + 1] = { 0 };
	struct rt_stamps s;
	char eb[ERRBUF_LEN];

	assert_int_equal(rt_answer(f, 15, 1, 2, eb), -1);
	assert_string_equal(eb, "15-byte datagram, not a 16- or 32-byte "
	    "probe");
	assert_int_equal(rt_answer(f, 33, 1, 2, eb), -1);
	assert_string_equal(eb, "33-byte datagram, not a 16- or 32-byte "
	    "probe");
	f[20] = 1;
	assert_int_equal(rt_answer(f, 32, 1, 2, eb), -1);
	assert_string_equal(eb, "--ntp probe with nonzero server words");
	memset(f, 0, sizeof(f));
	assert_int_equal(rt_reply_decode(RT_FRAME_MUDUO, f, 8, 5, &s, eb),
	    -1);
	assert_string_equal(eb, "8-byte reply, expected 16");
	assert_int_equal(rt_reply_decode(RT_FRAME_NTP, f, 16, 5, &s, eb),
	    -1);
	assert_string_equal(eb, "16-byte reply, expected 32");
	f[31] = 1;
	assert_int_equal(rt_reply_decode(RT_FRAME_NTP, f, 32, 5, &s, eb),
	    -1);
	assert_string_equal(eb, "reply with a nonzero T4 word");
	f[31] = 0;
	f[15] = 9;	/* T2 = 9, T3 = 0 */
	assert_int_equal(rt_reply_decode(RT_FRAME_NTP, f, 32, 5, &s, eb),
	    -1);
	assert_string_equal(eb, "reply sent (T3) 9 us before it was "
	    "received (T2)");
}

/* A reply stamped by a server whose clock is off by offset us. */
static struct rt_stamps
exchange(int64_t t1, int64_t out_us, int64_t back_us, int64_t offset)
{
	struct rt_stamps s = {
		.t1 = t1, .t2 = t1 + out_us + offset,
		.t3 = t1 + out_us + offset, .t4 = t1 + out_us + back_us,
	};

	return s;
}

static void
test_matching(void **state)
{
	struct rt_stats st;
	struct rt_stamps s;
	uint32_t seq;

	rt_stats_init(&st);
	/* A clock that stands still still gives distinct T1s. */
	assert_true(rt_stats_probe(&st, 1000, &seq) == 1000);
	assert_int_equal(seq, 1);
	assert_true(rt_stats_probe(&st, 1000, &seq) == 1001);
	assert_true(rt_stats_probe(&st, 900, &seq) == 1002);
	assert_true(rt_stats_probe(&st, 2000, &seq) == 2000);
	assert_int_equal(seq, 4);
	s = exchange(1001, 10, 10, 0);
	assert_int_equal(rt_stats_reply(&st, &s, &seq), RT_NEW);
	assert_int_equal(seq, 2);
	assert_int_equal(rt_stats_reply(&st, &s, &seq), RT_DUP);
	/* Probe 1 answered after probe 2: reordered. */
	s = exchange(1000, 10, 20, 0);
	assert_int_equal(rt_stats_reply(&st, &s, &seq), RT_NEW);
	assert_int_equal(seq, 1);
	/* No probe of ours went out at 1500. */
	s = exchange(1500, 10, 10, 0);
	assert_int_equal(rt_stats_reply(&st, &s, &seq), RT_UNKNOWN);
	/* Held longer than the round trip: a liar. */
	s = exchange(2000, 10, 10, 0);
	s.t3 = s.t2 + 50;
	assert_int_equal(rt_stats_reply(&st, &s, &seq), RT_UNKNOWN);
	assert_int_equal(st.dup, 1);
	assert_int_equal(st.reordered, 1);
	assert_int_equal(st.bad, 2);

	struct rt_summary sum;

	assert_int_equal(rt_stats_sum(&st, &sum), 0);
	assert_int_equal(sum.probes, 4);
	assert_int_equal(sum.replies, 2);
	assert_int_equal(sum.lost, 2);
	assert_true(sum.rtt_min == 20 && sum.rtt_max == 30);
	rt_stats_free(&st);
}

/*
 * A server 250 ms ahead, with asymmetric paths: the offset comes from the
 * reply with the least delay and is within its bound; the rtt quantiles
 * are exact.
 */
static void
test_offset_and_bound(void **state)
{
	static const struct { int64_t out, back; } path[] = {
		{ 400, 100 }, { 30, 50 }, { 90, 90 }, { 5000, 20 },
		{ 25, 35 }, { 60, 400 }, { 200, 10 },
	};
	struct rt_stats st;
	struct rt_summary sum;
	int64_t t = 1700000000000000;

	rt_stats_init(&st);
	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		struct rt_stamps s;
		uint32_t seq;
		int64_t t1 = rt_stats_probe(&st, t + (int64_t)i * 200000,
		    &seq);

		s = exchange(t1, path[i].out, path[i].back, 250000);
		assert_int_equal(rt_stats_reply(&st, &s, &seq), RT_NEW);
	}
	assert_int_equal(rt_stats_sum(&st, &sum), 0);
	/* Round trips 500 80 180 5020 60 460 210, sorted 60..5020. */
	assert_true(sum.rtt_min == 60);
	assert_true(sum.rtt_p50 == 210);
	assert_true(sum.rtt_p99 == 5020);
	assert_true(sum.rtt_max == 5020);
	assert_int_equal(sum.offset_seq, 5);
	/* (25 - 35) / 2 off the truth, inside 60 / 2 + 2. */
	assert_true(sum.offset_us == 250000.0 - 5.0);
	assert_true(sum.bound_us == 32.0);
	assert_true(fabs(sum.offset_us - 250000.0) <= sum.bound_us);
	/* No drift between the two clocks. */
	assert_true(sum.have_drift);
	assert_true(fabs(sum.drift_ppm) < 100.0);
	rt_stats_free(&st);
}

/* A server clock running 100 ppm fast, 1.5 s behind: drift by least squares. */
static void
test_drift(void **state)
{
	struct rt_stats st;
	struct rt_summary sum;
	int64_t t = 1700000000000000;

	rt_stats_init(&st);
	for (int i = 0; i < 50; i++) {
		struct rt_stamps s;
		uint32_t seq;
		int64_t t1 = rt_stats_probe(&st, t + i * 100000, &seq);
		int64_t off = -1500000 + (int64_t)(i * 100000) / 10000;

		s = exchange(t1, 20, 20, off);
		assert_int_equal(rt_stats_reply(&st, &s, &seq), RT_NEW);
	}
	assert_int_equal(rt_stats_sum(&st, &sum), 0);
	assert_true(fabs(sum.drift_ppm - 100.0) < 0.5);
	assert_true(fabs(sum.span_s - 4.9) < 1e-6);
	assert_true(sum.offset_us <= -1500000.0 + 490.0 + sum.bound_us);
	rt_stats_free(&st);
}

/* Nothing answered: a summary with counts only. */
static void
test_empty(void **state)
{
	struct rt_stats st;
	struct rt_summary sum;
	uint32_t seq;

	rt_stats_init(&st);
	assert_int_equal(rt_stats_sum(&st, &sum), 0);
	assert_int_equal(sum.probes, 0);
	assert_false(sum.have_offset);
	rt_stats_probe(&st, 5, &seq);
	assert_int_equal(rt_stats_sum(&st, &sum), 0);
	assert_int_equal(sum.lost, 1);
	assert_false(sum.have_offset);
	assert_false(sum.have_drift);
	rt_stats_free(&st);
}

TEST_MAIN(
	cmocka_unit_test(test_muduo_frame),
	cmocka_unit_test(test_ntp_frame),
	cmocka_unit_test(test_refused),
	cmocka_unit_test(test_matching),
	cmocka_unit_test(test_offset_and_bound),
	cmocka_unit_test(test_drift),
	cmocka_unit_test(test_empty),
)
