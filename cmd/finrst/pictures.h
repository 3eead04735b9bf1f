/* SPDX-License-Identifier: BSD-2-Clause */
/* finrst --html, --svg: the pictures' glue, and the ladder beside them. */
#ifndef FINRST_PICTURES_H
#define FINRST_PICTURES_H

#include <stdbool.h>

#include "flow.h"
#include "flow_html.h"

/*
 * Open the report and SVG directory (either may be NULL), titled with what
 * is read (the files, or the interface). Exits 1 with a message when a
 * path cannot be written, before any input is read.
 */
struct flow_html *pictures_open(const char *html, const char *svg_dir,
    bool all, int nfiles, char **files, const char *iface);

/* Add r; exits 1 with a message when the report cannot be written. */
void pictures_add(struct flow_html *h, const struct flow_result *r);

/* Write the report (NULL h: nothing). Returns 0, or -1 after a warning. */
int pictures_close(struct flow_html *h, const struct flow_summary *s);

/*
 * The record keeps FLOW_SVG_STEPS packets for the pictures; --ladder=N
 * shows fewer. Returns r, or view (its steps in the caller's array of
 * FLOW_LADDER_HEAD + n) holding the handshake and r's last n packets,
 * with the rest counted as skipped, as a record of n would have.
 */
const struct flow_result *ladder_view(const struct flow_result *r,
    unsigned int n, struct flow_result *view, struct flow_step *steps);

#endif
