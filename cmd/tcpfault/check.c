/* SPDX-License-Identifier: BSD-2-Clause */
/* Predicates over the sides' timelines, their facts and the wire. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

void
ck_expect(struct check *ck, bool cond, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (cond)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(ck->diffs, json_string(msg));
}

bool
ck_variant(const struct check *ck, const char *name)
{
	return strcmp(ck->var->name, name) == 0;
}

const char *
ck_outcome(json_t *ev)
{
	const char *o = json_string_value(json_object_get(ev, "outcome"));

	return o != NULL ? o : "";
}

int64_t
ck_bytes(json_t *ev)
{
	json_t *b = json_object_get(ev, "bytes");

	return b != NULL ? json_integer_value(b) : -1;
}

int64_t
ck_t(json_t *ev)
{
	return json_integer_value(json_object_get(ev, "t_us"));
}

int
ck_errno(json_t *ev)
{
	return (int)json_integer_value(json_object_get(ev, "errno"));
}

static bool
ev_is(json_t *ev, const char *op, const char *outcome)
{
	const char *o = json_string_value(json_object_get(ev, "op"));

	return o != NULL && strcmp(o, op) == 0 &&
	    (outcome == NULL || strcmp(ck_outcome(ev), outcome) == 0);
}

/* The matching events' count, or (bytes) the sum of their positive bytes. */
static int64_t
ev_tally(const struct check *ck, enum case_role id, const char *op,
    const char *outcome, bool bytes)
{
	int64_t total = 0;
	size_t i;
	json_t *ev;

	json_array_foreach(ck->tl[id], i, ev) {
		if (!ev_is(ev, op, outcome))
			continue;
		if (!bytes)
			total++;
		else if (ck_bytes(ev) > 0)
			total += ck_bytes(ev);
	}
	return total;
}

int64_t
ck_sum(const struct check *ck, enum case_role id, const char *op,
    const char *outcome)
{
	return ev_tally(ck, id, op, outcome, true);
}

int
ck_count(const struct check *ck, enum case_role id, const char *op,
    const char *outcome)
{
	return (int)ev_tally(ck, id, op, outcome, false);
}

json_t *
ck_event(const struct check *ck, enum case_role id, const char *op, int n)
{
	json_t *ev, *last = NULL;
	size_t i;
	int seen = 0;

	json_array_foreach(ck->tl[id], i, ev) {
		if (!ev_is(ev, op, NULL))
			continue;
		if (seen++ == n)
			return ev;
		last = ev;
	}
	return n < 0 ? last : NULL;
}

int64_t
ck_fact_int(const struct check *ck, enum case_role id, const char *key,
    int64_t dflt)
{
	json_t *v = json_object_get(ck->facts[id], key);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

const char *
ck_fact_str(const struct check *ck, enum case_role id, const char *key)
{
	const char *s = json_string_value(json_object_get(ck->facts[id], key));

	return s != NULL ? s : "";
}

bool
ck_have_wire(const struct check *ck)
{
	return ck->wire->have;
}

void
ck_wire(struct check *ck, const char *teardown, const char *closed_by)
{
	const struct wire_view *w = ck->wire;

	if (!w->have)
		return;
	if (w->json == NULL) {
		ck_expect(ck, false, "wire: the capture holds no connection");
		return;
	}
	ck_expect(ck, strcmp(w->teardown, teardown) == 0,
	    "wire: teardown %s, expected %s", w->teardown, teardown);
	if (closed_by != NULL)
		ck_expect(ck, strcmp(w->closed_by, closed_by) == 0,
		    "wire: closed by %s, expected %s",
		    *w->closed_by ? w->closed_by : "nobody", closed_by);
}

void
ck_reads_end(struct check *ck, enum case_role id, const char *want,
    const char *note)
{
	json_t *end = ck_event(ck, id, "recv", -1);
	const char *how = end != NULL ? ck_outcome(end) : "never";

	ck_expect(ck, strcmp(how, want) == 0, "%s: reads ended %s, expected "
	    "%s%s%s%s", role_name(id), how, want, note != NULL ? " (" : "",
	    note != NULL ? note : "", note != NULL ? ")" : "");
}

void
ck_pattern_intact(struct check *ck, enum case_role id)
{
	int64_t bad = ck_fact_int(ck, id, "pattern_errors", 0);

	ck_expect(ck, bad == 0, "%s: %lld bytes differ from what was sent",
	    role_name(id), (long long)bad);
}

static enum case_role
peer_of(enum case_role id)
{
	return id == ROLE_CLIENT ? ROLE_SERVER : ROLE_CLIENT;
}

void
ck_read_all(struct check *ck, enum case_role reader)
{
	int64_t sent = ck_sum(ck, peer_of(reader), "send", "ok");
	int64_t got = ck_sum(ck, reader, "recv", "ok");

	ck_expect(ck, got == sent, "%s: read %lld of the %s's %lld bytes, "
	    "expected all", role_name(reader), (long long)got,
	    role_name(peer_of(reader)), (long long)sent);
}

void
ck_read_part(struct check *ck, enum case_role reader)
{
	int64_t sent = ck_sum(ck, peer_of(reader), "send", "ok");
	int64_t got = ck_sum(ck, reader, "recv", "ok");

	ck_expect(ck, got > 0 && got < sent, "%s: read %lld of the %s's %lld "
	    "bytes, expected some but not all", role_name(reader),
	    (long long)got, role_name(peer_of(reader)), (long long)sent);
}

void
ck_reads_all_eof(struct check *ck, enum case_role reader, const char *note)
{
	ck_read_all(ck, reader);
	ck_reads_end(ck, reader, "eof", note);
}

void
ck_reads_part_reset(struct check *ck, enum case_role reader)
{
	ck_read_part(ck, reader);
	ck_reads_end(ck, reader, "reset", NULL);
}

void
ck_unread_at_close(struct check *ck, enum case_role id, int64_t want)
{
	int64_t unread = ck_fact_int(ck, id, "close_unread", 0);

	ck_expect(ck, unread == want, "%s: %lld bytes unread at close, "
	    "expected %lld", role_name(id), (long long)unread,
	    (long long)want);
}

void
ck_send_after_close(struct check *ck, enum case_role id, int64_t len)
{
	json_t *s1 = ck_event(ck, id, "send", 0);
	json_t *s2 = ck_event(ck, id, "send", 1);

	ck_expect(ck, s1 != NULL && strcmp(ck_outcome(s1), "ok") == 0 &&
	    ck_bytes(s1) == len, "%s: the first send after the %s's close "
	    "was not accepted (%s)", role_name(id), role_name(peer_of(id)),
	    s1 != NULL ? ck_outcome(s1) : "none");
	ck_expect(ck, s2 != NULL && strcmp(ck_outcome(s2), "broken-pipe") ==
	    0, "%s: the second send ended %s, expected broken-pipe",
	    role_name(id), s2 != NULL ? ck_outcome(s2) : "never");
}

void
ck_wire_fin_acked(struct check *ck, enum case_role by)
{
	const struct wire_view *w = ck->wire;
	uint64_t unacked = by == ROLE_CLIENT ? w->client.unacked :
	    w->server.unacked;

	ck_wire(ck, "fin", role_name(by));
	if (w->have)
		ck_expect(ck, unacked == 0, "wire: %llu %s bytes "
		    "unacknowledged", (unsigned long long)unacked,
		    role_name(by));
}

void
ck_wire_rst_only(struct check *ck, enum case_role by)
{
	const struct wire_view *w = ck->wire;
	uint32_t fins = by == ROLE_CLIENT ? w->client.fins : w->server.fins;

	ck_wire(ck, "rst", role_name(by));
	if (w->have)
		ck_expect(ck, fins == 0, "wire: the %s sent a FIN, expected "
		    "its RST alone", role_name(by));
}

void
ck_wire_rst_after_fin(struct check *ck, enum case_role by)
{
	const struct wire_view *w = ck->wire;
	bool client = by == ROLE_CLIENT;
	uint32_t rsts = client ? w->client.rsts : w->server.rsts;
	int64_t fin_ts = client ? w->client_fin_ts : w->server_fin_ts;
	int64_t rst_ts = client ? w->client_rst_ts : w->server_rst_ts;

	ck_wire(ck, "fin-rst", role_name(by));
	if (w->have)
		ck_expect(ck, rsts >= 1 && fin_ts >= 0 && rst_ts > fin_ts,
		    "wire: no RST from the %s after its FIN", role_name(by));
}
