/* SPDX-License-Identifier: BSD-2-Clause */
/* Rendering a classified connection: JSON, table line, notes, ladder. */
#ifndef TEARDOWN_FLOW_OUT_H
#define TEARDOWN_FLOW_OUT_H

#include <stddef.h>

#include <jansson.h>

#include "flow.h"

/*
 * The finrst --json object of one connection (tcpfault's "wire"): the
 * fields documented in finrst.1. NULL on ENOMEM.
 */
json_t *flow_result_json(const struct flow_result *r);

/*
 * The same object as compact JSON text: exactly the bytes json_dumps()
 * gives for flow_result_json() with JSON_COMPACT | JSON_REAL_PRECISION(15),
 * written without allocating, for tools that print thousands (jansson
 * alone makes finrst --json about 1.5x slower). Both writers are
 * generated from one list of members (FLOW_RESULT_FIELDS in flow_out.c).
 * snprintf-style: returns the length it needed (buf NUL-terminated when
 * len > 0).
 */
int flow_result_json_text(const struct flow_result *r, char *buf,
    size_t len);

/* The finrst summary object ("type":"summary", counts by class, ...). */
json_t *flow_summary_json(const struct flow_summary *s);

/*
 * One aligned table line for r (no newline), snprintf-style: returns the
 * length it needed. flow_line_header() gives the matching header line.
 */
int flow_result_line(const struct flow_result *r, char *buf, size_t len);
const char *flow_line_header(void);

/*
 * The notes of r as short sentences, "; "-separated ("resp never
 * acknowledged 120 bytes from orig (unacknowledged, not lost)"),
 * snprintf-style. Empty when r has no notes.
 */
int flow_result_notes_text(const struct flow_result *r, char *buf,
    size_t len);

/*
 * r's endpoints as "addr:port" ("[addr]:port" for IPv6), each into len
 * bytes (FLOW_ENDPOINT_LEN is enough), and the time of its first packet
 * as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" ("?" out of range) into ts: the
 * strings the table line uses, for other renderers. Cannot fail.
 */
#define FLOW_ENDPOINT_LEN	64
void flow_result_names(const struct flow_result *r, char *orig, char *resp,
    size_t len, char *ts, size_t tslen);

/*
 * A text sequence diagram of r's kept steps (handshake and last packets),
 * malloc'd, lines ending in '\n'. NULL on ENOMEM.
 */
char *flow_result_ladder(const struct flow_result *r);

/*
 * The same steps as a JSON array (finrst --json --ladder): t_us from the
 * first packet, from, flags, seq, ack, len, win, mark. NULL on ENOMEM.
 */
json_t *flow_result_ladder_json(const struct flow_result *r);

#endif
