/* SPDX-License-Identifier: BSD-2-Clause */
/* The toxic catalogue: names, attributes, defaults, ranges and JSON. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "numparse.h"
#include "toxics.h"

#define DAY_MS (86400LL * 1000)
#define MAX_BYTES (1LL << 50)

struct attr_def {
	const char *name;
	int64_t def, min, max;
};

static const struct {
	const char *name;
	struct attr_def a[TOXIC_MAX_ATTRS];
} catalogue[TOXIC_NTYPES] = {
	[TOXIC_LATENCY] = { "latency", { { "latency", 0, 0, DAY_MS },
	    { "jitter", 0, 0, DAY_MS } } },
	[TOXIC_BANDWIDTH] = { "bandwidth", { { "rate", 0, 0, 1LL << 40 } } },
	[TOXIC_SLOW_CLOSE] = { "slow_close", { { "delay", 0, 0, DAY_MS } } },
	[TOXIC_TIMEOUT] = { "timeout", { { "timeout", 0, 0, DAY_MS } } },
	[TOXIC_RESET_PEER] = { "reset_peer", { { "timeout", 0, 0, DAY_MS } } },
	[TOXIC_SLICER] = { "slicer", { { "average_size", 1, 1, 1 << 20 },
	    { "size_variation", 0, 0, 1 << 20 },
	    { "delay", 0, 0, DAY_MS * 1000 } } },
	[TOXIC_LIMIT_DATA] = { "limit_data", { { "bytes", 0, 0, MAX_BYTES } } },
	[TOXIC_VANISH] = { "vanish", { { "bytes", 0, 0, MAX_BYTES },
	    { "hold", 60000, 0, DAY_MS } } },
	[TOXIC_RST_AT] = { "rst_at", { { "bytes", 0, 0, MAX_BYTES } } },
	[TOXIC_HALF_CLOSE] = { "half_close", { { "bytes", 0, 0, MAX_BYTES } } },
	[TOXIC_CLOSE_UNREAD] = { "close_unread", { { "bytes", 0, 0,
	    MAX_BYTES } } },
	[TOXIC_REFUSE] = { "refuse", { { NULL, 0, 0, 0 } } },
	[TOXIC_IDLE_CLOSE] = { "idle_close", { { "delay", 0, 0, DAY_MS } } },
};

static const char *const stream_names[] = {
	"upstream", "downstream", "both"
};

const char *
toxic_type_name(enum toxic_type t)
{
	return (unsigned)t < TOXIC_NTYPES ? catalogue[t].name : NULL;
}

const char *
toxic_stream_name(enum toxic_stream s)
{
	return (unsigned)s <= TOXIC_BOTH ? stream_names[s] : "?";
}

static int
type_parse(const char *name, enum toxic_type *t)
{
	for (int i = 0; i < TOXIC_NTYPES; i++)
		if (strcmp(name, catalogue[i].name) == 0) {
			*t = (enum toxic_type)i;
			return 0;
		}
	return -1;
}

static void
set_defaults(struct toxic *t)
{
	for (int i = 0; i < TOXIC_MAX_ATTRS; i++)
		t->attr[i] = catalogue[t->type].a[i].def;
}

/* An integer JSON value (or a real with no fraction) in [min, max]. */
static int
json_int_in(json_t *v, int64_t min, int64_t max, int64_t *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		if (d != floor(d) || d < -9e18 || d > 9e18)
			return -1;
		*out = (int64_t)d;
	} else {
		return -1;
	}
	return *out < min || *out > max ? -1 : 0;
}

/* Merge "attributes" into attr (a copy); -1 with errbuf naming it. */
static int
attrs_merge(json_t *attrs, enum toxic_type type, int64_t *attr,
    char *errbuf)
{
	const struct attr_def *a = catalogue[type].a;
	const char *key;
	json_t *v;
	int i;

	if (attrs == NULL || json_is_null(attrs))
		return 0;
	if (!json_is_object(attrs)) {
		errbuf_set(errbuf, "bad request body: attributes: not an "
		    "object");
		return -1;
	}
	json_object_foreach(attrs, key, v) {
		for (i = 0; i < TOXIC_MAX_ATTRS && a[i].name != NULL; i++)
			if (strcmp(key, a[i].name) == 0)
				break;
		if (i == TOXIC_MAX_ATTRS || a[i].name == NULL) {
			errbuf_set(errbuf, "bad request body: attributes.%s: "
			    "not an attribute of %s", key,
			    catalogue[type].name);
			return -1;
		}
		if (json_int_in(v, a[i].min, a[i].max, &attr[i]) == -1) {
			errbuf_set(errbuf, "bad request body: attributes.%s: "
			    "must be an integer from %lld to %lld", key,
			    (long long)a[i].min, (long long)a[i].max);
			return -1;
		}
	}
	return 0;
}

static int
toxicity_parse(json_t *v, double *out, char *errbuf)
{
	if (v == NULL)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0 ||
	    json_number_value(v) > 1) {
		errbuf_set(errbuf, "bad request body: toxicity: must be a "
		    "number from 0 to 1");
		return -1;
	}
	*out = json_number_value(v);
	return 0;
}

static uint64_t
next_id(void)
{
	static atomic_uint_fast64_t id;

	return (uint64_t)atomic_fetch_add(&id, 1) + 1;
}

int
toxic_from_json(json_t *body, struct toxic *t, char *errbuf)
{
	json_t *type, *name, *stream;

	memset(t, 0, sizeof(*t));
	if (!json_is_object(body)) {
		errbuf_set(errbuf, "bad request body: not a JSON object");
		return -1;
	}
	type = json_object_get(body, "type");
	if (type != NULL && !json_is_string(type)) {
		errbuf_set(errbuf, "bad request body: type: not a string");
		return -1;
	}
	if (type == NULL || type_parse(json_string_value(type),
	    &t->type) == -1) {
		errbuf_set(errbuf, "invalid toxic type: %s", type == NULL ?
		    "(none)" : json_string_value(type));
		return -1;
	}
	t->stream = TOXIC_DOWNSTREAM;
	if ((stream = json_object_get(body, "stream")) != NULL) {
		const char *s = json_is_string(stream) ?
		    json_string_value(stream) : "";

		if (strcmp(s, "upstream") == 0) {
			t->stream = TOXIC_UPSTREAM;
		} else if (strcmp(s, "downstream") != 0) {
			errbuf_set(errbuf, "stream was invalid, can be either "
			    "upstream or downstream");
			return -1;
		}
	}
	t->toxicity = 1.0;
	if (toxicity_parse(json_object_get(body, "toxicity"), &t->toxicity,
	    errbuf) == -1)
		return -1;
	name = json_object_get(body, "name");
	if (name != NULL && !json_is_null(name) && !json_is_string(name)) {
		errbuf_set(errbuf, "bad request body: name: not a string");
		return -1;
	}
	if (name != NULL && json_is_string(name) &&
	    json_string_length(name) > 0) {
		if (json_string_length(name) >= TOXIC_NAME_LEN) {
			errbuf_set(errbuf, "bad request body: name: longer "
			    "than %d bytes", TOXIC_NAME_LEN - 1);
			return -1;
		}
		snprintf(t->name, sizeof(t->name), "%s",
		    json_string_value(name));
	} else {
		snprintf(t->name, sizeof(t->name), "%s_%s",
		    catalogue[t->type].name, stream_names[t->stream]);
	}
	set_defaults(t);
	if (attrs_merge(json_object_get(body, "attributes"), t->type,
	    t->attr, errbuf) == -1)
		return -1;
	t->id = next_id();
	return 0;
}

int
toxic_update_json(json_t *body, struct toxic *t, char *errbuf)
{
	int64_t attr[TOXIC_MAX_ATTRS];
	double toxicity = t->toxicity;

	if (!json_is_object(body)) {
		errbuf_set(errbuf, "bad request body: not a JSON object");
		return -1;
	}
	memcpy(attr, t->attr, sizeof(attr));
	if (attrs_merge(json_object_get(body, "attributes"), t->type, attr,
	    errbuf) == -1 || toxicity_parse(json_object_get(body,
	    "toxicity"), &toxicity, errbuf) == -1)
		return -1;
	memcpy(t->attr, attr, sizeof(attr));
	t->toxicity = toxicity;
	return 0;
}

json_t *
toxic_to_json(const struct toxic *t)
{
	const struct attr_def *a = catalogue[t->type].a;
	json_t *attrs = json_object();

	for (int i = 0; i < TOXIC_MAX_ATTRS && a[i].name != NULL; i++)
		json_object_set_new(attrs, a[i].name,
		    json_integer(t->attr[i]));
	return json_pack("{s:o, s:s, s:s, s:s, s:o}", "attributes", attrs,
	    "name", t->name, "type", catalogue[t->type].name, "stream",
	    stream_names[t->stream], "toxicity", t->toxicity ==
	    floor(t->toxicity) ? json_integer((json_int_t)t->toxicity) :
	    json_real(t->toxicity));
}

int64_t
toxic_attr(const struct toxic *t, const char *name)
{
	const struct attr_def *a = catalogue[t->type].a;

	for (int i = 0; i < TOXIC_MAX_ATTRS && a[i].name != NULL; i++)
		if (strcmp(a[i].name, name) == 0)
			return t->attr[i];
	return 0;
}

/* The command line's older names for some toxics. */
static const struct {
	const char *fault;
	enum toxic_type type;
	const char *what;
} aliases[] = {
	{ "reset-after", TOXIC_RST_AT, "RST both ways after BYTES" },
	{ "vanish-after", TOXIC_VANISH, "stop answering after BYTES, for "
	    "--hold" },
	{ "close-after", TOXIC_CLOSE_UNREAD, "close() both sides after "
	    "BYTES" },
	{ "half-close-after", TOXIC_HALF_CLOSE, "FIN to the client after "
	    "BYTES" },
	{ "delay", TOXIC_LATENCY, "forward every chunk MS late" },
};

#define NALIASES (sizeof(aliases) / sizeof(aliases[0]))

/* The unit of a type's first attribute, for the usage list. */
static const char *
first_unit(enum toxic_type t)
{
	const char *n = catalogue[t].a[0].name;

	if (n == NULL)
		return NULL;
	if (strcmp(n, "bytes") == 0 || strcmp(n, "average_size") == 0)
		return "BYTES";
	return strcmp(n, "rate") == 0 ? "KBPS" : "MS";
}

void
toxic_list_faults(FILE *fp)
{
	char name[64];

	fprintf(fp, "valid faults:\n");
	for (size_t i = 0; i < NALIASES; i++) {
		snprintf(name, sizeof(name), "%s=%s", aliases[i].fault,
		    aliases[i].type == TOXIC_LATENCY ? "MS" : "BYTES");
		fprintf(fp, "  %-22s %s\n", name, aliases[i].what);
	}
	for (int t = 0; t < TOXIC_NTYPES; t++) {
		const char *u = first_unit((enum toxic_type)t);

		snprintf(name, sizeof(name), "%s%s%s", catalogue[t].name,
		    u != NULL ? "=" : "", u != NULL ? u : "");
		fprintf(fp, "  %-22s the %s toxic%s%s\n", name,
		    catalogue[t].name, u != NULL ? ", value: " : "",
		    u != NULL ? catalogue[t].a[0].name : "");
	}
}

int
toxic_from_fault(const char *fault, int hold_ms, struct toxic *t,
    char *errbuf)
{
	const char *eq = strchr(fault, '=');
	size_t len = eq != NULL ? (size_t)(eq - fault) : strlen(fault);
	const struct attr_def *a;
	char what[64];
	uint64_t v;
	int found = -1;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < NALIASES && found < 0; i++)
		if (strlen(aliases[i].fault) == len &&
		    strncmp(fault, aliases[i].fault, len) == 0)
			found = (int)aliases[i].type;
	for (int i = 0; i < TOXIC_NTYPES && found < 0; i++)
		if (strlen(catalogue[i].name) == len &&
		    strncmp(fault, catalogue[i].name, len) == 0)
			found = i;
	if (found < 0) {
		errbuf_set(errbuf, "unknown fault '%s'", fault);
		return -1;
	}
	t->type = (enum toxic_type)found;
	a = catalogue[t->type].a;
	if ((eq == NULL) != (a[0].name == NULL)) {
		errbuf_set(errbuf, "--fault %.*s: %s", (int)len, fault,
		    eq == NULL ? "needs =VALUE" : "takes no value");
		return -1;
	}
	set_defaults(t);
	if (eq != NULL) {
		snprintf(what, sizeof(what), "--fault %.*s", (int)len, fault);
		if (num_parse_size(eq + 1, (uint64_t)a[0].max, what, &v,
		    errbuf) == -1)
			return -1;
		if ((int64_t)v < a[0].min) {
			errbuf_set(errbuf, "%s: too small: %s (at least "
			    "%lld)", what, eq + 1, (long long)a[0].min);
			return -1;
		}
		t->attr[0] = (int64_t)v;
	}
	if (t->type == TOXIC_VANISH)
		t->attr[1] = hold_ms;
	t->stream = TOXIC_BOTH;
	t->toxicity = 1.0;
	snprintf(t->name, sizeof(t->name), "%s_both", catalogue[t->type].name);
	t->id = next_id();
	return 0;
}
