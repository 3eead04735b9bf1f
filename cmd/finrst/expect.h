/* SPDX-License-Identifier: BSD-2-Clause */
/* finrst --expect: assertions over the connections of a capture, for CI. */
#ifndef FINRST_EXPECT_H
#define FINRST_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "flow.h"

struct expect;

/*
 * Parse one --expect argument (one or more assertions separated by ';').
 * On a syntax error returns NULL and writes "column N: what was expected"
 * into err (errlen bytes).
 */
struct expect *expect_parse(const char *text, char *err, size_t errlen);

/* Feed every reported connection to every assertion. */
void expect_feed(struct expect *e, const struct flow_result *r);

/*
 * After the last connection: true when every assertion held. For each
 * failed one, a line "expect 'TEXT' failed: WHY" goes into *report
 * (malloc'd, newline-separated; NULL when all held).
 */
bool expect_finish(struct expect *e, char **report);

/* [{"expect": TEXT, "ok": BOOL, "reason": ...}, ...] after finish. */
json_t *expect_json(const struct expect *e);

void expect_free(struct expect *e);

#endif
