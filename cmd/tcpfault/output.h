/* SPDX-License-Identifier: BSD-2-Clause */
/* The human table of `tcpfault run`: one row per case run, timelines on -v. */
#ifndef TCPFAULT_OUTPUT_H
#define TCPFAULT_OUTPUT_H

#include <jansson.h>

void out_table_header(void);
/* One row for run_one's result res. */
void out_table_row(json_t *res);
/* Both sides' timelines and facts of res, indented under its row. */
void out_timelines(json_t *res);

#endif
