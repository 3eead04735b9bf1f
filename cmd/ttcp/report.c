/* SPDX-License-Identifier: BSD-2-Clause */
/* ttcp's measurements: latency histograms, interval lines, final reports. */
#include <err.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "exitcode.h"
#include "names.h"
#include "sock.h"
#include "timeline.h"
#include "ttcp.h"

#define MIB (1024.0 * 1024.0)

static const char *const io_model_names[] = {
	[IO_BLOCKING] = "blocking",
	[IO_EPOLL] = "epoll",
};

NAMES_DEFINE(io_model_name, io_model_parse, enum io_model, io_model_names,
    sizeof(io_model_names) / sizeof(io_model_names[0]), "?")

/*
 * Below LAT_HIST_SUB ns one bucket per nanosecond; above, LAT_HIST_SUB
 * buckets per power of two, so a bucket is at most 1/128 of its value wide.
 */
static unsigned
lat_hist_index(uint64_t ns)
{
	unsigned e, idx;

	if (ns < LAT_HIST_SUB)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns);	/* >= 7 */
	idx = LAT_HIST_SUB + (e - 7) * LAT_HIST_SUB +
	    (unsigned)((ns >> (e - 7)) - LAT_HIST_SUB);
	return idx < LAT_HIST_BUCKETS ? idx : LAT_HIST_BUCKETS - 1;
}

/* The middle of bucket idx. */
static uint64_t
lat_hist_value(unsigned idx)
{
	unsigned shift, sub;

	if (idx < LAT_HIST_SUB)
		return idx;
	shift = (idx - LAT_HIST_SUB) / LAT_HIST_SUB;
	sub = (idx - LAT_HIST_SUB) % LAT_HIST_SUB;
	return ((uint64_t)(LAT_HIST_SUB + sub) << shift) +
	    ((uint64_t)1 << shift) / 2;
}

void
lat_hist_add(struct lat_hist *h, uint64_t ns)
{
	h->b[lat_hist_index(ns)]++;
	h->count++;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

void
lat_hist_merge(struct lat_hist *dst, const struct lat_hist *src)
{
	for (unsigned i = 0; i < LAT_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

uint64_t
lat_hist_quantile(const struct lat_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < LAT_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t v = lat_hist_value(i);

			return v < h->max_ns ? v : h->max_ns;
		}
	}
	return h->max_ns;
}

void
xfer_fail(struct xfer *x, enum outcome o, const char *fmt, ...)
{
	va_list ap;

	if (x->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(x->error, sizeof(x->error), fmt, ap);
	va_end(ap);
	x->failed = true;
	x->outcome = o;
	if (x->end_us == 0)
		x->end_us = clock_mono_us();
}

int
failure_exit(enum outcome o)
{
	int code = exit_for_outcome(o);

	/* A clean EOF is success only at the end of a session. */
	return code == EXIT_OK ? EXIT_FAIL : code;
}

void
xfer_set_progress(struct xfer *x, uint64_t bytes, uint64_t msgs)
{
	__atomic_store_n(&x->bytes, bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&x->msgs, msgs, __ATOMIC_RELAXED);
}

uint64_t
xfer_bytes(const struct xfer *x)
{
	return __atomic_load_n(&x->bytes, __ATOMIC_RELAXED);
}

uint64_t
xfer_msgs(const struct xfer *x)
{
	return __atomic_load_n(&x->msgs, __ATOMIC_RELAXED);
}

const char *
side_prefix(bool data_sender)
{
	return data_sender ? "ttcp-t" : "ttcp-r";
}

void
ticker_init(struct ticker *t, const struct ttcp_config *cfg,
    uint64_t start_us)
{
	memset(t, 0, sizeof(*t));
	t->start_us = start_us;
	t->last_us = start_us;
	t->enabled = cfg->interval_ms > 0;
	t->json = cfg->json;
	t->json_stream = cfg->json_stream;
	t->unit = cfg->unit;
	if (cfg->json && !cfg->json_stream && cfg->interval_ms > 0)
		t->intervals = json_array();
}

void
ticker_free(struct ticker *t)
{
	json_decref(t->intervals);
	t->intervals = NULL;
}

void
rate_format(char unit, double bytes, double secs, char *buf, size_t len)
{
	double v = secs > 0 ? bytes / secs : 0.0;

	switch (unit) {
	case 'k':
		snprintf(buf, len, "%.2f Kbit/sec", v * 8 / 1e3);
		break;
	case 'm':
		snprintf(buf, len, "%.2f Mbit/sec", v * 8 / 1e6);
		break;
	case 'g':
		snprintf(buf, len, "%.3f Gbit/sec", v * 8 / 1e9);
		break;
	case 'K':
		snprintf(buf, len, "%.2f KiB/sec", v / 1024);
		break;
	case 'G':
		snprintf(buf, len, "%.3f GiB/sec", v / (MIB * 1024));
		break;
	default:
		snprintf(buf, len, "%.2f MiB/sec", v / MIB);
	}
}

void
ticker_tick(struct ticker *t, const char *prefix, struct xfer **xs, int n)
{
	ticker_tick_at(t, prefix, xs, n, clock_mono_us());
}

void
ticker_tick_at(struct ticker *t, const char *prefix, struct xfer **xs, int n,
    uint64_t now)
{
	uint64_t bytes = 0, msgs = 0;
	double from, to, secs;
	char rstr[48];

	for (int i = 0; i < n; i++) {
		bytes += xfer_bytes(xs[i]);
		msgs += xfer_msgs(xs[i]);
	}
	from = (double)(t->last_us - t->start_us) / 1e6;
	to = (double)(now - t->start_us) / 1e6;
	secs = to - from;
	if (secs <= 0)
		return;
	double db = (double)(bytes - t->last_bytes);
	double mib = db / MIB;
	double rate = (double)(msgs - t->last_msgs) / secs;
	if (t->intervals != NULL || t->json_stream) {
		json_t *o = json_pack("{s:f, s:f, s:I, s:I, s:f, s:f, s:f}",
		    "start", from, "end", to,
		    "bytes", (json_int_t)(bytes - t->last_bytes),
		    "msgs", (json_int_t)(msgs - t->last_msgs),
		    "mib_per_s", mib / secs, "bits_per_second",
		    db * 8 / secs, "msgs_per_s", rate);

		if (t->json_stream) {
			json_object_set_new(o, "event",
			    json_string("interval"));
			if (jsonl_write(stdout, o) != 0)
				err(1, "write JSON interval");
		} else {
			json_array_append_new(t->intervals, o);
		}
	} else if (!t->json) {
		rate_format(t->unit, db, secs, rstr, sizeof(rstr));
		printf("%s: [%7.2f-%7.2f s] %12.3f MiB %18s %12.1f "
		    "msgs/sec\n", prefix, from, to, mib, rstr, rate);
		fflush(stdout);
	}
	t->last_us = now;
	t->last_bytes = bytes;
	t->last_msgs = msgs;
}

/* Totals of one session over its connections. */
struct totals {
	uint64_t bytes, msgs;
	uint64_t start_us, end_us;
	uint32_t retransmits;
	struct lat_hist rtt;
	bool has_rtt;
	const char *error;
	enum outcome error_outcome;
	int error_index;
};

static void
sum_up(struct xfer **xs, int n, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	t->error_index = -1;
	for (int i = 0; i < n; i++) {
		struct xfer *x = xs[i];

		t->bytes += xfer_bytes(x);
		t->msgs += xfer_msgs(x);
		t->retransmits += x->retransmits;
		if (x->start_us != 0 &&
		    (t->start_us == 0 || x->start_us < t->start_us))
			t->start_us = x->start_us;
		if (x->end_us > t->end_us)
			t->end_us = x->end_us;
		if (x->rtt != NULL && x->rtt->count > 0) {
			lat_hist_merge(&t->rtt, x->rtt);
			t->has_rtt = true;
		}
		if (x->failed && t->error == NULL) {
			t->error = x->error;
			t->error_outcome = x->outcome;
			t->error_index = i;
		}
	}
	/* A session refused at its header never started. */
	if (t->start_us == 0 || t->end_us < t->start_us)
		t->end_us = t->start_us;
}

static double
per_sec(double v, double secs)
{
	return secs > 0 ? v / secs : 0.0;
}

static json_t *
rtt_json(const struct lat_hist *h)
{
	return json_pack("{s:f, s:f, s:f}",
	    "p50", (double)lat_hist_quantile(h, 0.50) / 1000.0,
	    "p99", (double)lat_hist_quantile(h, 0.99) / 1000.0,
	    "max", (double)h->max_ns / 1000.0);
}

static json_t *
stream_json(const struct xfer *x)
{
	double secs = x->end_us > x->start_us ?
	    (double)(x->end_us - x->start_us) / 1e6 : 0.0;
	json_t *o = json_pack("{s:i, s:s, s:I, s:I, s:f, s:i}",
	    "index", x->index, "peer", x->peer,
	    "bytes", (json_int_t)xfer_bytes(x),
	    "msgs", (json_int_t)xfer_msgs(x), "seconds", secs,
	    "retransmits", (json_int_t)x->retransmits);

	if (x->failed)
		json_object_set_new(o, "error", json_string(x->error));
	return o;
}

/* The report object shared by successful and failed runs. */
static json_t *
report_json(const struct ttcp_config *cfg, struct xfer **xs, int n,
    const struct session *s, const struct totals *t, double secs,
    const char *role, const char *error)
{
	json_t *o = json_pack("{s:s, s:b, s:s, s:s, s:s, s:i, s:I, s:I, "
	    "s:I, s:I, s:f, s:f, s:f, s:f, s:I, s:b}",
	    "role", role,
	    "reverse", (s->flags & TTCP_FLAG_REVERSE) != 0,
	    "mode", (s->flags & TTCP_FLAG_STREAM) ? "stream" : "ack",
	    "io", io_model_name(cfg->io),
	    "peer", n > 0 ? xs[0]->peer : (cfg->host ? cfg->host : ""),
	    "connections", n > 0 ? n : (int)s->parallel,
	    "msg_len", (json_int_t)s->length,
	    "number", (json_int_t)((s->flags & TTCP_FLAG_TIMED) ?
	    t->msgs / (uint64_t)(n > 0 ? n : 1) : s->number),
	    "bytes", (json_int_t)t->bytes,
	    "msgs", (json_int_t)t->msgs,
	    "seconds", secs,
	    "mib_per_s", per_sec((double)t->bytes / MIB, secs),
	    "bits_per_second", per_sec((double)t->bytes * 8, secs),
	    "msgs_per_s", per_sec((double)t->msgs, secs),
	    "retransmits", (json_int_t)t->retransmits,
	    "verify", n > 0 ? xs[0]->verify : cfg->verify);

	if (t->has_rtt)
		json_object_set_new(o, "rtt_us", rtt_json(&t->rtt));
	if (s->flags & TTCP_FLAG_TIMED)
		json_object_set_new(o, "time_s",
		    json_real((double)s->number / 1e3));
	if (cfg->json_stream)
		json_object_set_new(o, "event", json_string("end"));
	if (n > 0 && xs[0]->snd.effective > 0) {
		json_object_set_new(o, "sndbuf",
		    json_integer(xs[0]->snd.effective));
		json_object_set_new(o, "rcvbuf",
		    json_integer(xs[0]->rcv.effective));
	}
	if (n > 1) {
		json_t *arr = json_array();

		for (int i = 0; i < n; i++)
			json_array_append_new(arr, stream_json(xs[i]));
		json_object_set_new(o, "streams", arr);
	}
	if (error != NULL)
		json_object_set_new(o, "error", json_string(error));
	return o;
}

static void
emit_json(json_t *o, struct ticker *tk)
{
	if (tk != NULL && tk->intervals != NULL) {
		json_object_set(o, "intervals", tk->intervals);
	}
	if (jsonl_write(stdout, o) != 0)
		err(1, "write JSON report");
}

int
report_session(const struct ttcp_config *cfg, struct xfer **xs, int n,
    const struct session *s, struct ticker *tk, const char *extra_error,
    enum outcome extra_outcome)
{
	struct totals t;
	char errline[ERRBUF_LEN + 32];
	const char *error = NULL;
	enum outcome o = OUTCOME_OK;
	bool sender = n > 0 && xs[0]->data_sender;
	const char *prefix = side_prefix(sender);
	char rate[48];
	double secs;

	sum_up(xs, n, &t);
	secs = (double)(t.end_us - t.start_us) / 1e6;
	/* The last interval, however short, before the totals. */
	if (tk != NULL && tk->enabled && t.end_us > tk->last_us)
		ticker_tick_at(tk, prefix, xs, n, t.end_us);
	if (extra_error != NULL) {
		error = extra_error;
		o = extra_outcome;
	} else if (t.error != NULL) {
		o = t.error_outcome;
		if (n > 1)
			snprintf(errline, sizeof(errline), "connection %d: %s",
			    t.error_index + 1, t.error);
		else
			snprintf(errline, sizeof(errline), "%s", t.error);
		error = errline;
	}
	if (error != NULL)
		warnx("%s", error);
	if (cfg->json) {
		emit_json(report_json(cfg, xs, n, s, &t, secs,
		    sender ? "transmit" : "receive", error), tk);
		return error != NULL ? failure_exit(o) : 0;
	}
	/* A stop by signal still prints what was done. */
	if (error != NULL && o != OUTCOME_INTERRUPTED)
		return failure_exit(o);
	for (int i = 0; n > 1 && i < n; i++) {
		struct xfer *x = xs[i];
		double xs_secs = x->end_us > x->start_us ?
		    (double)(x->end_us - x->start_us) / 1e6 : 0.0;

		rate_format(cfg->unit, (double)xfer_bytes(x), xs_secs, rate,
		    sizeof(rate));
		printf("%s: stream %d %s: %" PRIu64 " bytes in %.3f real "
		    "seconds = %s\n", prefix, i + 1, x->peer, xfer_bytes(x),
		    xs_secs, rate);
	}
	rate_format(cfg->unit, (double)t.bytes, secs, rate, sizeof(rate));
	printf("%s: %" PRIu64 " bytes in %.3f real seconds = %s +++\n",
	    prefix, t.bytes, secs, rate);
	printf("%s: %" PRIu64 " messages, %.1f msgs/sec", prefix, t.msgs,
	    per_sec((double)t.msgs, secs));
	if (t.has_rtt)
		printf(", rtt p50 %.1f us p99 %.1f us max %.1f us",
		    (double)lat_hist_quantile(&t.rtt, 0.50) / 1000.0,
		    (double)lat_hist_quantile(&t.rtt, 0.99) / 1000.0,
		    (double)t.rtt.max_ns / 1000.0);
	printf(", %" PRIu32 " retransmits\n", t.retransmits);
	if (fflush(stdout) != 0)
		err(1, "write report");
	return error != NULL ? failure_exit(o) : 0;
}

void
report_server_totals(uint64_t sessions, uint64_t bytes, uint64_t failed)
{
	printf("ttcp-r: %" PRIu64 " sessions, %" PRIu64 " payload bytes, %"
	    PRIu64 " failed\n", sessions, bytes, failed);
	if (fflush(stdout) != 0)
		err(1, "write report");
}

int
report_setup_error(const struct ttcp_config *cfg, const char *role,
    const char *msg, enum outcome o)
{
	struct session s;
	struct totals t;

	warnx("%s", msg);
	if (cfg->json) {
		session_from_config(&s, cfg);
		memset(&t, 0, sizeof(t));
		emit_json(report_json(cfg, NULL, 0, &s, &t, 0.0, role, msg),
		    NULL);
	}
	return failure_exit(o);
}

void
verbose_listening(const struct ttcp_config *cfg, int lfd)
{
	char local[ADDR_STRLEN];

	if (cfg->verbose)
		fprintf(stderr, "ttcp-r: listening on %s\n",
		    sock_local_str(lfd, local, sizeof(local)));
}

void
verbose_session(const struct ttcp_config *cfg, const struct xfer *x,
    const struct session *s)
{
	char group[24] = "";

	if (!cfg->verbose)
		return;
	if (s->extended)
		snprintf(group, sizeof(group), " 0x%08" PRIx32, s->group);
	fprintf(stderr, "ttcp-r: session%s from %s: %" PRIu32 " x %" PRIu32
	    " bytes, %s mode%s%s, connection %d of %" PRIu32 "\n", group,
	    x->peer, s->number, s->length,
	    (s->flags & TTCP_FLAG_STREAM) ? "stream" : "ack",
	    (s->flags & TTCP_FLAG_REVERSE) ? ", reverse" : "",
	    x->verify ? ", verify" : "", x->index + 1, s->parallel);
}
