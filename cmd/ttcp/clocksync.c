/* SPDX-License-Identifier: BSD-2-Clause */
/* ttcp --roundtrip: probe frames, reply matching and offset statistics. */
#include <endian.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clocksync.h"
#include "errbuf.h"

/*
 * Stamps are truncated to the microsecond: that moves the computed offset
 * by under 1 us and the delay by under 2 us, so the true offset is within
 * delay/2 + 2 us of the computed one.
 */
#define RT_STAMP_ERROR_US 2.0

size_t
rt_frame_len(enum rt_frame f)
{
	return f == RT_FRAME_NTP ? RT_NTP_LEN : RT_MUDUO_LEN;
}

static int64_t
get_host64(const uint8_t *p)
{
	int64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
put_host64(uint8_t *p, int64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static int64_t
get_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return (int64_t)be64toh(v);
}

static void
put_be64(uint8_t *p, int64_t v)
{
	uint64_t w = htobe64((uint64_t)v);

	memcpy(p, &w, sizeof(w));
}

size_t
rt_probe_encode(enum rt_frame f, int64_t t1, uint8_t *out)
{
	size_t len = rt_frame_len(f);

	memset(out, 0, len);
	if (f == RT_FRAME_NTP)
		put_be64(out, t1);
	else
		put_host64(out, t1);
	return len;
}

int
rt_answer(uint8_t *p, size_t len, int64_t t2, int64_t t3, char *errbuf)
{
	if (len == RT_MUDUO_LEN) {
		put_host64(p + 8, t2);
		return RT_MUDUO_LEN;
	}
	if (len != RT_NTP_LEN) {
		errbuf_set(errbuf, "%zu-byte datagram, not a %d- or %d-byte "
		    "probe", len, RT_MUDUO_LEN, RT_NTP_LEN);
		return -1;
	}
	for (size_t i = 8; i < RT_NTP_LEN; i++)
		if (p[i] != 0) {
			errbuf_set(errbuf, "--ntp probe with nonzero server "
			    "words");
			return -1;
		}
	put_be64(p + 8, t2);
	put_be64(p + 16, t3);
	return RT_NTP_LEN;
}

int
rt_reply_decode(enum rt_frame f, const uint8_t *p, size_t len, int64_t t4,
    struct rt_stamps *s, char *errbuf)
{
	if (len != rt_frame_len(f)) {
		errbuf_set(errbuf, "%zu-byte reply, expected %zu", len,
		    rt_frame_len(f));
		return -1;
	}
	s->t4 = t4;
	if (f == RT_FRAME_MUDUO) {
		s->t1 = get_host64(p);
		s->t2 = s->t3 = get_host64(p + 8);
		return 0;
	}
	s->t1 = get_be64(p);
	s->t2 = get_be64(p + 8);
	s->t3 = get_be64(p + 16);
	if (get_be64(p + 24) != 0) {
		errbuf_set(errbuf, "reply with a nonzero T4 word");
		return -1;
	}
	if (s->t3 < s->t2) {
		errbuf_set(errbuf, "reply sent (T3) %" PRId64 " us before it "
		    "was received (T2)", s->t2 - s->t3);
		return -1;
	}
	/* Checked by the caller once T1 is known to be ours. */
	return 0;
}

int64_t
rt_rtt(const struct rt_stamps *s)
{
	return s->t4 - s->t1;
}

int64_t
rt_delay(const struct rt_stamps *s)
{
	return (s->t4 - s->t1) - (s->t3 - s->t2);
}

double
rt_offset(const struct rt_stamps *s)
{
	return ((double)(s->t2 - s->t1) + (double)(s->t3 - s->t4)) / 2.0;
}

void
rt_stats_init(struct rt_stats *st)
{
	memset(st, 0, sizeof(*st));
}

void
rt_stats_free(struct rt_stats *st)
{
	free(st->sent_t1);
	free(st->answered);
	free(st->samples);
	memset(st, 0, sizeof(*st));
}

int64_t
rt_stats_probe(struct rt_stats *st, int64_t t1, uint32_t *seq)
{
	if (st->sent == st->cap) {
		uint32_t cap = st->cap ? st->cap * 2 : 256;
		int64_t *t = realloc(st->sent_t1, cap * sizeof(*t));
		uint8_t *a;

		if (t == NULL)
			return -1;
		st->sent_t1 = t;
		a = realloc(st->answered, cap);
		if (a == NULL)
			return -1;
		memset(a + st->cap, 0, cap - st->cap);
		st->answered = a;
		st->cap = cap;
	}
	if (st->sent > 0 && t1 <= st->sent_t1[st->sent - 1])
		t1 = st->sent_t1[st->sent - 1] + 1;
	st->sent_t1[st->sent++] = t1;
	*seq = st->sent;
	return t1;
}

/* The probe whose T1 is t1: its seq, or 0. */
static uint32_t
find_probe(const struct rt_stats *st, int64_t t1)
{
	uint32_t lo = 0, hi = st->sent;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (st->sent_t1[mid] < t1)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->sent && st->sent_t1[lo] == t1 ? lo + 1 : 0;
}

int
rt_stats_reply(struct rt_stats *st, const struct rt_stamps *s,
    uint32_t *seq)
{
	uint32_t q = find_probe(st, s->t1);

	*seq = q;
	/* Not ours, or held longer than the round trip took. */
	if (q == 0 || s->t4 < s->t1 || rt_delay(s) < 0) {
		st->bad++;
		return RT_UNKNOWN;
	}
	if (st->answered[q - 1] != 0) {
		st->dup++;
		return RT_DUP;
	}
	if (st->nsamples == st->samples_cap) {
		size_t cap = st->samples_cap ? st->samples_cap * 2 : 256;
		struct rt_sample *n = realloc(st->samples,
		    cap * sizeof(*n));

		if (n == NULL)
			return -1;
		st->samples = n;
		st->samples_cap = cap;
	}
	st->answered[q - 1] = 1;
	if (q < st->highest)
		st->reordered++;
	else
		st->highest = q;
	st->samples[st->nsamples].seq = q;
	st->samples[st->nsamples].ts = *s;
	st->nsamples++;
	return RT_NEW;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The value at quantile q of n sorted values (nearest rank). */
static int64_t
nearest_rank(const int64_t *v, size_t n, double q)
{
	size_t rank = (size_t)(q * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	return v[rank > n ? n - 1 : rank - 1];
}

/* Slope of offset against the midpoint, over samples with delay <= cut. */
static void
fit_drift(const struct rt_stats *st, int64_t cut, struct rt_summary *sum)
{
	double n = 0, mx = 0, my = 0, sxx = 0, sxy = 0, t0, lo = 0, hi = 0;
	bool first = true;

	if (st->nsamples == 0)
		return;
	t0 = (double)st->samples[0].ts.t1;
	/* Two passes for the means, so large epoch times lose nothing. */
	for (size_t i = 0; i < st->nsamples; i++) {
		const struct rt_stamps *s = &st->samples[i].ts;
		double x;

		if (rt_delay(s) > cut)
			continue;
		x = ((double)s->t1 + (double)s->t4) / 2.0 - t0;
		n++;
		mx += x;
		my += rt_offset(s);
		if (first || x < lo)
			lo = x;
		if (first || x > hi)
			hi = x;
		first = false;
	}
	if (n < 2 || hi <= lo)
		return;
	mx /= n;
	my /= n;
	for (size_t i = 0; i < st->nsamples; i++) {
		const struct rt_stamps *s = &st->samples[i].ts;
		double x;

		if (rt_delay(s) > cut)
			continue;
		x = ((double)s->t1 + (double)s->t4) / 2.0 - t0 - mx;
		sxx += x * x;
		sxy += x * (rt_offset(s) - my);
	}
	sum->have_drift = true;
	sum->drift_ppm = sxy / sxx * 1e6;
	sum->span_s = (hi - lo) / 1e6;
}

int
rt_stats_sum(const struct rt_stats *st, struct rt_summary *sum)
{
	size_t n = st->nsamples;
	int64_t *v, cut;
	const struct rt_sample *best = NULL;

	memset(sum, 0, sizeof(*sum));
	sum->probes = st->sent;
	sum->replies = (uint32_t)n;
	sum->lost = st->sent - (uint32_t)n;
	sum->dup = st->dup;
	sum->reordered = st->reordered;
	sum->bad = st->bad;
	if (n == 0)
		return 0;
	v = malloc(n * sizeof(*v));
	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		v[i] = rt_rtt(&st->samples[i].ts);
	qsort(v, n, sizeof(*v), cmp_i64);
	sum->rtt_min = v[0];
	sum->rtt_p50 = nearest_rank(v, n, 0.50);
	sum->rtt_p99 = nearest_rank(v, n, 0.99);
	sum->rtt_max = v[n - 1];
	for (size_t i = 0; i < n; i++)
		v[i] = rt_delay(&st->samples[i].ts);
	qsort(v, n, sizeof(*v), cmp_i64);
	cut = n < 4 ? v[n - 1] : nearest_rank(v, n, 0.50);
	free(v);
	/* The least delay; among equals, the latest. */
	for (size_t i = 0; i < n; i++)
		if (best == NULL ||
		    rt_delay(&st->samples[i].ts) <= rt_delay(&best->ts))
			best = &st->samples[i];
	sum->have_offset = true;
	sum->offset_us = rt_offset(&best->ts);
	sum->bound_us = (double)rt_delay(&best->ts) / 2.0 + RT_STAMP_ERROR_US;
	sum->offset_seq = best->seq;
	fit_drift(st, cut, sum);
	return 0;
}
