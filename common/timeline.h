/* SPDX-License-Identifier: BSD-2-Clause */
/* Event timelines {t_us, op, bytes, outcome} and JSON Lines output. */
#ifndef TEARDOWN_TIMELINE_H
#define TEARDOWN_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "outcome.h"

struct timeline;

struct tl_event {
	int64_t t_us;		/* since the timeline's epoch */
	char op[24];		/* "connect", "send", "recv", "close", ... */
	int64_t bytes;		/* bytes moved, -1 when not applicable */
	enum outcome outcome;
	int err;		/* errno behind outcome, 0 if none */
};

/* side names the role ("client", "server"); epoch_us 0 means now. */
struct timeline *timeline_new(const char *side, uint64_t epoch_us);
void timeline_free(struct timeline *tl);

/* Record one event now. Returns -1 only on allocation failure. */
int timeline_add(struct timeline *tl, const char *op, int64_t bytes,
    enum outcome o, int err);

size_t timeline_count(const struct timeline *tl);
const struct tl_event *timeline_get(const struct timeline *tl, size_t i);
const char *timeline_side(const struct timeline *tl);

/*
 * [{"t_us":..,"op":..,"bytes":..,"outcome":..,"errno":..}, ...]; errno
 * appears only when non-zero, bytes only when >= 0. NULL on ENOMEM.
 */
json_t *timeline_to_json(const struct timeline *tl);

/* Rebuild from timeline_to_json's array (for a child's report). */
struct timeline *timeline_from_json(const char *side, const json_t *arr);

/* "   +1234us  client  send    4096  ok" lines, one per event. */
void timeline_print(const struct timeline *tl, FILE *fp);

/*
 * Write obj as one compact line and a newline, then flush; takes the
 * reference. Reals are printed with 15 significant digits, so seconds
 * made from microseconds keep at most 6 decimals (0.004886, never
 * 0.0048859999999999997). Returns -1 on write failure (stdout closed
 * early).
 */
int jsonl_write(FILE *fp, json_t *obj);

/*
 * jsonl_write with extra json_dumps flags (e.g. JSON_REAL_PRECISION(15) so
 * that 0.09 prints as 0.09), flushing only when flush is set: for tools that
 * write many lines to a file or pipe. Same return and reference rules.
 */
int jsonl_write_opts(FILE *fp, json_t *obj, size_t flags, bool flush);

#endif
