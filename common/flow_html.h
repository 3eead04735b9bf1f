/* SPDX-License-Identifier: BSD-2-Clause */
/* Pictures of classified connections: one HTML report, SVG files. */
#ifndef TEARDOWN_FLOW_HTML_H
#define TEARDOWN_FLOW_HTML_H

#include <stdbool.h>

#include "flow.h"

/*
 * Feed every reported connection to flow_html_add(); flow_html_close()
 * writes the report: a self-contained HTML file (inline CSS, inline
 * script to sort the table and unpack the rest, no fetches) with the
 * counts by teardown class as a bar chart, the table of connections, and
 * a time-sequence diagram (flow_svg.h) of each connection that did not end
 * "fin" (of each, with all); past the first rows and diagrams, the
 * markup comes in deflated blocks that the page unpacks as they are
 * scrolled to. The same diagrams can go to a directory as
 * one file per connection, named conn-ID.svg (ID zero-padded to 6
 * digits). Memory stays flat: rows and diagrams wait in unlinked
 * temporary files until the report is written. The table feeding it
 * should keep FLOW_SVG_STEPS packets (flow_config.ladder).
 */
struct flow_html;

struct flow_html_opts {
	const char *html;	/* the report's path, or NULL for none */
	const char *svg_dir;	/* where SVG files go (made if missing) */
	bool all;		/* a diagram for every connection */
	const char *title;	/* what was read, for the heading; or NULL */
};

/*
 * Create the report file (truncating it) and the SVG directory, so that
 * an unwritable path fails before any input is read. Returns NULL with
 * errbuf set ("PATH: why").
 */
struct flow_html *flow_html_open(const struct flow_html_opts *o,
    char *errbuf);

/*
 * Add one connection (during the flow report callback). Returns 0, or -1
 * with errbuf set on a write error or ENOMEM; later calls keep failing.
 */
int flow_html_add(struct flow_html *h, const struct flow_result *r,
    char *errbuf);

/*
 * Write the report from what was added and the table's summary s, close
 * everything and free h (NULL: nothing). Returns 0, or -1 with errbuf set
 * when the report could not be written or an earlier add failed.
 */
int flow_html_close(struct flow_html *h, const struct flow_summary *s,
    char *errbuf);

#endif
