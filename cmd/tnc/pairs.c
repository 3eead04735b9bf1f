/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc --relay: the lines and counts it reports about its pairs. */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "pairs.h"
#include "sock.h"

struct pair_totals pair_totals;

const char *
pair_end_name(int end)
{
	return end == END_CLIENT ? "client" : "upstream";
}

void
pair_accepted(const struct tnc_config *cfg, struct pair_report *r, int fd)
{
	__atomic_add_fetch(&pair_totals.conns, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pair_totals.active, 1, __ATOMIC_RELAXED);
	tnc_apply_sockopts(cfg, fd, r->peer[END_CLIENT]);
	tnc_event("#%llu connection from %s", (unsigned long long)r->id,
	    r->peer[END_CLIENT]);
}

void
pair_connected(const struct tnc_config *cfg, struct pair_report *r, int fd)
{
	char local[ADDR_STRLEN];

	tnc_apply_sockopts(cfg, fd, r->peer[END_UPSTREAM]);
	tnc_event("#%llu connected to upstream %s from %s",
	    (unsigned long long)r->id, r->peer[END_UPSTREAM],
	    sock_local_str(fd, local, sizeof(local)));
}

void
pair_connect_failed(const struct tnc_config *cfg,
    const struct pair_report *r, enum outcome oc)
{
	if (oc == OUTCOME_REFUSED)
		__atomic_add_fetch(&pair_totals.refused, 1, __ATOMIC_RELAXED);
	else if (oc == OUTCOME_TIMEOUT && cfg->io == TNC_IO_THREADS)
		__atomic_add_fetch(&pair_totals.deadlines, 1,
		    __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&pair_totals.failed, 1, __ATOMIC_RELAXED);
	tnc_event("#%llu upstream connect %s -> RST to client",
	    (unsigned long long)r->id, outcome_name(oc));
	if (!cfg->keep)
		warnx("#%llu: upstream %s: %s; RST sent to client %s",
		    (unsigned long long)r->id, r->peer[END_UPSTREAM],
		    outcome_name(oc), r->peer[END_CLIENT]);
}

/*
 * An end failed (reset, timeout, ...): count it, say so (-v always; on
 * stderr too when the relay serves one connection).
 */
static void
pair_report_error(const struct tnc_config *cfg, const struct pair_report *r,
    int end, const char *during, int err)
{
	enum outcome o = outcome_from_errno(err);
	int other = 1 - end;

	if (o == OUTCOME_RESET || o == OUTCOME_BROKEN_PIPE)
		__atomic_add_fetch(&pair_totals.resets[end], 1,
		    __ATOMIC_RELAXED);
	else if (o == OUTCOME_TIMEOUT)
		__atomic_add_fetch(&pair_totals.deadlines, 1,
		    __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&pair_totals.failed, 1, __ATOMIC_RELAXED);
	tnc_event("#%llu %s %s %s (%s) on %s after %llu bytes from %s, "
	    "%llu to it -> RST to %s", (unsigned long long)r->id,
	    pair_end_name(end), r->peer[end], outcome_name(o),
	    errno_name(err), during, (unsigned long long)r->bytes[end],
	    pair_end_name(end), (unsigned long long)r->bytes[other],
	    pair_end_name(other));
	if (!cfg->keep)
		warnx("#%llu: %s %s: %s (%s) on %s after %llu bytes from "
		    "it, %llu bytes to it; RST sent to %s %s",
		    (unsigned long long)r->id, pair_end_name(end),
		    r->peer[end], outcome_name(o), errno_name(err), during,
		    (unsigned long long)r->bytes[end],
		    (unsigned long long)r->bytes[other],
		    pair_end_name(other), r->peer[other]);
}

void
pair_deadline(const struct tnc_config *cfg, const struct pair_report *r,
    const char *what)
{
	__atomic_add_fetch(&pair_totals.deadlines, 1, __ATOMIC_RELAXED);
	if (cfg->io == TNC_IO_THREADS)
		tnc_event("#%llu %s deadline -> RST to client and upstream",
		    (unsigned long long)r->id, what);
	else
		tnc_event("#%llu %s deadline -> RST to client and upstream "
		    "after %llu bytes client->upstream, %llu "
		    "upstream->client", (unsigned long long)r->id, what,
		    (unsigned long long)r->bytes[0],
		    (unsigned long long)r->bytes[1]);
	if (!cfg->keep)
		warnx("#%llu: %s: %s deadline: RST sent to client %s and "
		    "upstream %s", (unsigned long long)r->id,
		    outcome_name(OUTCOME_TIMEOUT), what, r->peer[0],
		    r->peer[1][0] != '\0' ? r->peer[1] : "(none)");
}

void
pair_report_end(const struct tnc_config *cfg, const struct pair_report *r,
    enum outcome o)
{
	__atomic_add_fetch(&pair_totals.bytes[0], r->bytes[0],
	    __ATOMIC_RELAXED);
	__atomic_add_fetch(&pair_totals.bytes[1], r->bytes[1],
	    __ATOMIC_RELAXED);
	__atomic_sub_fetch(&pair_totals.active, 1, __ATOMIC_RELAXED);
	tnc_event("#%llu closed (%s): %llu bytes client->upstream, %llu "
	    "bytes upstream->client", (unsigned long long)r->id,
	    outcome_name(o), (unsigned long long)r->bytes[0],
	    (unsigned long long)r->bytes[1]);
	if (cfg->verbose > 1 && (r->paused[0] || r->paused[1]))
		tnc_event("#%llu backpressure: reading paused %llu times on "
		    "the client, %llu times on upstream",
		    (unsigned long long)r->id,
		    (unsigned long long)r->paused[0],
		    (unsigned long long)r->paused[1]);
}

void
pair_event(const struct tnc_config *cfg, struct pair_report *r,
    const struct relay_event *ev)
{
	r->bytes[0] = ev->bytes[0];
	r->bytes[1] = ev->bytes[1];
	r->paused[0] = ev->paused[0];
	r->paused[1] = ev->paused[1];
	switch (ev->kind) {
	case RELAY_EV_EOF:
		tnc_event("#%llu %s EOF -> FIN to %s after %llu bytes",
		    (unsigned long long)r->id, pair_end_name(ev->end),
		    pair_end_name(1 - ev->end),
		    (unsigned long long)r->bytes[ev->end]);
		break;
	case RELAY_EV_PAUSED:
		if (cfg->verbose > 1)
			tnc_event("#%llu backpressure: %s's queue is full, "
			    "reading the %s paused", (unsigned long long)r->id,
			    pair_end_name(1 - ev->end),
			    pair_end_name(ev->end));
		break;
	case RELAY_EV_ERROR:
		if (strcmp(ev->during, "thread") == 0) {
			warnx("#%llu: no thread for the connection",
			    (unsigned long long)r->id);
			__atomic_add_fetch(&pair_totals.failed, 1,
			    __ATOMIC_RELAXED);
			break;
		}
		pair_report_error(cfg, r, ev->end, ev->during, ev->err);
		break;
	case RELAY_EV_DEADLINE:
		pair_deadline(cfg, r, ev->during);
		break;
	case RELAY_EV_END:
		pair_report_end(cfg, r, ev->outcome);
		break;
	}
}

void
pair_print_summary(const struct tnc_config *cfg)
{
	const struct pair_totals *t = &pair_totals;
	bool trouble = t->resets[0] || t->resets[1] || t->refused ||
	    t->deadlines || t->failed;

	if (!cfg->stats && !(cfg->keep && trouble))
		return;
	fprintf(stderr, "tnc: relay: %llu connections, %llu bytes "
	    "client->upstream, %llu bytes upstream->client; resets: %llu by "
	    "clients, %llu by upstream; %llu refused, %llu deadlines, %llu "
	    "other errors\n", (unsigned long long)t->conns,
	    (unsigned long long)t->bytes[0], (unsigned long long)t->bytes[1],
	    (unsigned long long)t->resets[0], (unsigned long long)t->resets[1],
	    (unsigned long long)t->refused, (unsigned long long)t->deadlines,
	    (unsigned long long)t->failed);
}

void
pair_relay_opts(const struct tnc_config *cfg, struct relay_opts *o)
{
	o->io = cfg->io == TNC_IO_THREADS ? RELAY_IO_THREADS : RELAY_IO_EPOLL;
	o->splice = cfg->splice;
	o->buffer = cfg->buffer;
	o->idle_ms = cfg->wait_ms;
	o->quit_ms = cfg->quit_ms;
	o->rst_flush_ms = PAIR_RST_FLUSH_MS;
}
