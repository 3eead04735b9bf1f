/* SPDX-License-Identifier: BSD-2-Clause */
/* The human table of `tcpfault run`: one row per case run, timelines on -v. */
#ifndef TCPFAULT_OUTPUT_H
#define TCPFAULT_OUTPUT_H

#include <jansson.h>

/*
 * The table's header and one row for run_one's result res: wide when
 * columns is 0, else the narrow layout for a screen that wide (each
 * side's summary on its own lines, broken at blanks).
 */
void out_table_header(int columns);
void out_table_row(json_t *res, int columns);
/* Both sides' timelines and facts of res, indented under its row. */
void out_timelines(json_t *res);

#endif
