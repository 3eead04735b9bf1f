/* SPDX-License-Identifier: BSD-2-Clause */
/* Predicates over the sides' timelines, their facts and the wire. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tcpfault.h"

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

int64_t
ck_sum(const struct check *ck, enum side_id id, const char *op,
    const char *outcome)
{
	int64_t sum = 0;
	size_t i;
	json_t *ev;

	json_array_foreach(ck->tl[id], i, ev)
		if (ev_is(ev, op, outcome) && ck_bytes(ev) > 0)
			sum += ck_bytes(ev);
	return sum;
}

int
ck_count(const struct check *ck, enum side_id id, const char *op,
    const char *outcome)
{
	int n = 0;
	size_t i;
	json_t *ev;

	json_array_foreach(ck->tl[id], i, ev)
		if (ev_is(ev, op, outcome))
			n++;
	return n;
}

json_t *
ck_event(const struct check *ck, enum side_id id, const char *op, int n)
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
ck_fact_int(const struct check *ck, enum side_id id, const char *key,
    int64_t dflt)
{
	json_t *v = json_object_get(ck->facts[id], key);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

const char *
ck_fact_str(const struct check *ck, enum side_id id, const char *key)
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
