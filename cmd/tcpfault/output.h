/* SPDX-License-Identifier: BSD-2-Clause */
/* The human table of `tcpfault run`: one row per case run, timelines on -v. */
#ifndef TCPFAULT_OUTPUT_H
#define TCPFAULT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * The table's header and one row for run_one's result res: wide when
 * columns is 0, else the narrow layout for a screen that wide (each
 * side's summary on its own lines, broken at blanks).
 */
void out_table_header(int columns);
void out_table_row(json_t *res, int columns);
/*
 * The summary's list of unexpected case runs: "S3/unread, C2/unsent",
 * each with " (run N)" when iterations is set (its "iteration"); cut
 * with "..." when buf is too small. unexp holds objects with "case",
 * "variant" (may be absent) and "iteration".
 */
void out_unexpected_names(json_t *unexp, bool iterations, char *buf,
    size_t len);
/* Both sides' timelines and facts of res, indented under its row. */
void out_timelines(json_t *res);

#endif
