/* SPDX-License-Identifier: BSD-2-Clause */
/* Event timelines {t_us, op, bytes, outcome} and JSON Lines output. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "evloop.h"
#include "timeline.h"

struct timeline {
	char *side;
	uint64_t epoch_us;
	struct tl_event *ev;
	size_t n;
	size_t cap;
};

struct timeline *
timeline_new(const char *side, uint64_t epoch_us)
{
	struct timeline *tl;

	if ((tl = calloc(1, sizeof(*tl))) == NULL)
		return NULL;
	if ((tl->side = strdup(side != NULL ? side : "")) == NULL) {
		free(tl);
		return NULL;
	}
	tl->epoch_us = epoch_us != 0 ? epoch_us : clock_mono_us();
	return tl;
}

void
timeline_free(struct timeline *tl)
{
	if (tl == NULL)
		return;
	free(tl->ev);
	free(tl->side);
	free(tl);
}

/* Append one event with its time already decided. */
static int
timeline_push(struct timeline *tl, int64_t t_us, const char *op,
    int64_t bytes, enum outcome o, int err)
{
	struct tl_event *ev;
	size_t n;

	if (tl->n == tl->cap) {
		n = tl->cap ? tl->cap * 2 : 16;
		if ((ev = realloc(tl->ev, n * sizeof(*ev))) == NULL)
			return -1;
		tl->ev = ev;
		tl->cap = n;
	}
	ev = &tl->ev[tl->n++];
	memset(ev, 0, sizeof(*ev));
	ev->t_us = t_us;
	/* Longer names are cut to fit: op names are short by design. */
	strncpy(ev->op, op, sizeof(ev->op) - 1);
	ev->bytes = bytes;
	ev->outcome = o;
	ev->err = err;
	return 0;
}

int
timeline_add(struct timeline *tl, const char *op, int64_t bytes,
    enum outcome o, int err)
{
	return timeline_push(tl, (int64_t)(clock_mono_us() - tl->epoch_us),
	    op, bytes, o, err);
}

size_t
timeline_count(const struct timeline *tl)
{
	return tl->n;
}

const struct tl_event *
timeline_get(const struct timeline *tl, size_t i)
{
	return i < tl->n ? &tl->ev[i] : NULL;
}

const char *
timeline_side(const struct timeline *tl)
{
	return tl->side;
}

json_t *
timeline_to_json(const struct timeline *tl)
{
	const struct tl_event *e;
	json_t *arr, *obj;
	int rc;
	size_t i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < tl->n; i++) {
		e = &tl->ev[i];
		if ((obj = json_object()) == NULL)
			goto fail;
		rc = json_object_set_new(obj, "t_us", json_integer(e->t_us));
		rc |= json_object_set_new(obj, "op", json_string(e->op));
		if (e->bytes >= 0)
			rc |= json_object_set_new(obj, "bytes",
			    json_integer(e->bytes));
		rc |= json_object_set_new(obj, "outcome",
		    json_string(outcome_name(e->outcome)));
		if (e->err != 0)
			rc |= json_object_set_new(obj, "errno",
			    json_integer(e->err));
		if (json_array_append_new(arr, obj) < 0 || rc != 0)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/* Read one optional integer member; absent gives dflt. -1 if not a number. */
static int
get_int(const json_t *obj, const char *key, json_int_t dflt, json_int_t *v)
{
	const json_t *m = json_object_get(obj, key);

	if (m == NULL) {
		*v = dflt;
		return 0;
	}
	if (!json_is_integer(m))
		return -1;
	*v = json_integer_value(m);
	return 0;
}

struct timeline *
timeline_from_json(const char *side, const json_t *arr)
{
	struct timeline *tl;
	const json_t *obj, *op, *oc;
	json_int_t t_us, bytes, err;
	enum outcome o;
	size_t i;

	if (!json_is_array(arr) || (tl = timeline_new(side, 0)) == NULL)
		return NULL;
	for (i = 0; i < json_array_size(arr); i++) {
		obj = json_array_get(arr, i);
		op = json_object_get(obj, "op");
		oc = json_object_get(obj, "outcome");
		if (!json_is_object(obj) || !json_is_string(op) ||
		    !json_is_string(oc) ||
		    !json_is_integer(json_object_get(obj, "t_us")) ||
		    get_int(obj, "t_us", 0, &t_us) < 0 ||
		    get_int(obj, "bytes", -1, &bytes) < 0 ||
		    get_int(obj, "errno", 0, &err) < 0 ||
		    err < 0 || err > INT32_MAX ||
		    outcome_parse(json_string_value(oc), &o) < 0 ||
		    timeline_push(tl, t_us, json_string_value(op), bytes, o,
		    (int)err) < 0) {
			timeline_free(tl);
			return NULL;
		}
	}
	return tl;
}

void
timeline_print(const struct timeline *tl, FILE *fp)
{
	const struct tl_event *e;
	char bytes[24];
	size_t i;

	for (i = 0; i < tl->n; i++) {
		e = &tl->ev[i];
		if (e->bytes >= 0)
			snprintf(bytes, sizeof(bytes), "%" PRId64, e->bytes);
		else
			snprintf(bytes, sizeof(bytes), "-");
		fprintf(fp, "%+8" PRId64 "us  %-6s  %-8s %8s  %s", e->t_us,
		    tl->side, e->op, bytes, outcome_name(e->outcome));
		if (e->err != 0)
			fprintf(fp, " (%s)", errno_name(e->err));
		fputc('\n', fp);
	}
}

int
jsonl_write(FILE *fp, json_t *obj)
{
	return jsonl_write_opts(fp, obj, JSON_REAL_PRECISION(15), true);
}

int
jsonl_write_opts(FILE *fp, json_t *obj, size_t flags, bool flush)
{
	char *s;
	int rc = 0;

	if (obj == NULL)
		return -1;
	s = json_dumps(obj, JSON_COMPACT | flags);
	json_decref(obj);
	if (s == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (fputs(s, fp) == EOF || fputc('\n', fp) == EOF)
		rc = -1;
	if (flush && fflush(fp) == EOF)
		rc = -1;
	free(s);
	return rc;
}
