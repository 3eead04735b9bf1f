/* SPDX-License-Identifier: BSD-2-Clause */
/* ttcp --roundtrip: probe frames and the clock-offset statistics. */
#ifndef TTCP_CLOCKSYNC_H
#define TTCP_CLOCKSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Frames (ttcp(1), ROUNDTRIP). muduo's roundtrip and roundtrip_udp: two
 * int64 microseconds since the epoch in the host's byte order, the
 * client's send time T1 then the server's time. --ntp: four int64
 * microseconds, big-endian: T1, T2 (server received), T3 (server sent),
 * and a zero word where the client keeps T4 (it received).
 */
#define RT_MUDUO_LEN	16
#define RT_NTP_LEN	32
#define RT_FRAME_MAX	RT_NTP_LEN

enum rt_frame { RT_FRAME_MUDUO, RT_FRAME_NTP };

/* One exchange's four timestamps, microseconds since the epoch. */
struct rt_stamps {
	int64_t t1, t2, t3, t4;
};

size_t rt_frame_len(enum rt_frame f);

/* A probe carrying T1 into out (rt_frame_len bytes); returns its length. */
size_t rt_probe_encode(enum rt_frame f, int64_t t1, uint8_t *out);

/*
 * Server: answer the request of len bytes at p in place, stamping t2 (its
 * arrival) and t3 (now). The frame is told by its length: 16 bytes is
 * muduo's (stamped with t2, as muduo does), 32 bytes --ntp's. Returns the
 * reply's length, or -1 with errbuf for a request we refuse (another
 * length; an --ntp frame whose server words are not zero).
 */
int rt_answer(uint8_t *p, size_t len, int64_t t2, int64_t t3, char *errbuf);

/*
 * Client: the reply of len bytes at p, received at t4, into *s. Returns
 * 0, or -1 with errbuf for a reply we do not trust (wrong length; --ntp:
 * a nonzero T4 word, T3 before T2, or the server holding it longer than
 * the round trip took).
 */
int rt_reply_decode(enum rt_frame f, const uint8_t *p, size_t len,
    int64_t t4, struct rt_stamps *s, char *errbuf);

/*
 * Round trip (T4-T1), delay (the round trip less the server's hold time,
 * T3-T2) and offset ((T2-T1 + T3-T4) / 2: positive when the server's
 * clock is ahead), in microseconds.
 */
int64_t rt_rtt(const struct rt_stamps *s);
int64_t rt_delay(const struct rt_stamps *s);
double rt_offset(const struct rt_stamps *s);

/* The client's record of its probes and their replies. */
struct rt_sample {
	uint32_t seq;		/* 1, 2, ... in sending order */
	struct rt_stamps ts;
};

struct rt_stats {
	int64_t *sent_t1;	/* T1 of probe seq, at [seq - 1]; increasing */
	uint8_t *answered;	/* per probe: replies seen */
	uint32_t sent;
	uint32_t cap;
	uint32_t highest;	/* highest seq answered so far */
	uint64_t dup;
	uint64_t reordered;
	uint64_t bad;		/* replies refused or matching no probe */
	struct rt_sample *samples;
	size_t nsamples, samples_cap;
};

enum rt_verdict { RT_NEW, RT_DUP, RT_UNKNOWN };

void rt_stats_init(struct rt_stats *st);
void rt_stats_free(struct rt_stats *st);

/*
 * A probe is going out at t1. T1 identifies the probe on the wire, so it
 * is made strictly greater than the last one (one microsecond later when
 * the clock did not move or went back). Returns the T1 to send, or -1
 * when out of memory.
 */
int64_t rt_stats_probe(struct rt_stats *st, int64_t t1, uint32_t *seq);

/*
 * A trusted reply: RT_NEW (recorded; *seq says which probe; a reply
 * overtaken by a later probe's counts as reordered), RT_DUP (counted,
 * not recorded) or RT_UNKNOWN (its T1 is no probe of ours: counted bad).
 * -1 when out of memory.
 */
int rt_stats_reply(struct rt_stats *st, const struct rt_stamps *s,
    uint32_t *seq);

/* What the run comes to (rt_stats_sum). */
struct rt_summary {
	uint32_t probes;
	uint32_t replies;	/* distinct probes answered */
	uint32_t lost;
	uint64_t dup, reordered, bad;
	int64_t rtt_min, rtt_p50, rtt_p99, rtt_max;	/* us */
	/* NTP's rule: the offset of the reply with the least delay. */
	bool have_offset;
	double offset_us;
	double bound_us;	/* the true offset is offset +- bound */
	uint32_t offset_seq;
	/* Least-squares slope of offset over time. */
	bool have_drift;
	double drift_ppm;
	double span_s;		/* the time the fit spans */
};

/*
 * Sum up. The bound is half the chosen reply's delay plus 2 us for the
 * microsecond stamps. The drift fits the replies whose delay is at most
 * the median delay (all of them when fewer than four), needs two of them
 * at different times, and is the slope of offset against the client's
 * midpoint (T1+T4)/2 in parts per million. Returns -1 when out of memory.
 */
int rt_stats_sum(const struct rt_stats *st, struct rt_summary *sum);

#endif
