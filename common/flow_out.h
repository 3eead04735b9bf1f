/* SPDX-License-Identifier: BSD-2-Clause */
/* Rendering a classified connection: JSON, table line, notes, ladder. */
#ifndef TEARDOWN_FLOW_OUT_H
#define TEARDOWN_FLOW_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * The same facts in the narrow layout for a screen of columns (< 120,
 * term_narrow()): the connection and how it ended; then its start,
 * duration, bytes and history; then the notes, each line broken at
 * blanks to fit, so no field is cut. Several lines, no final newline;
 * snprintf-style, or -1 on ENOMEM. flow_line_header_narrow() gives the
 * matching header lines, broken the same way.
 */
int flow_result_line_narrow(const struct flow_result *r, int columns,
    char *buf, size_t len);
int flow_line_header_narrow(int columns, char *buf, size_t len);

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

/*
 * Zeek's conn.log. The TSV header (#separator ... #fields, #types, with
 * open_us as the #open time) and the #close line, snprintf-style. The
 * columns are Zeek's conn.log columns in Zeek's order, then finrst's
 * teardown, closed_by, orig_unacked and resp_unacked.
 */
int flow_zeeklog_header(int64_t open_us, char *buf, size_t len);
int flow_zeeklog_footer(int64_t close_us, char *buf, size_t len);

/*
 * One connection as a conn.log line (no newline): Zeek's TSV, or with
 * json one object as Zeek's JSON writer gives it (unset fields left
 * out). snprintf-style.
 */
int flow_zeeklog_line(const struct flow_result *r, bool json, char *buf,
    size_t len);

/*
 * A Zeek-style uid for r ('C' and 17 base62 characters): a hash of its
 * addresses, ports and first packet time, so the same capture always
 * gives the same uids.
 */
#define FLOW_ZEEKLOG_UID_LEN 19
void flow_zeeklog_uid(const struct flow_result *r, char uid[FLOW_ZEEKLOG_UID_LEN]);

#endif
