/* SPDX-License-Identifier: BSD-2-Clause */
/* What the client, server and proxy modes share: Ctrl-C, options, report. */
#ifndef TCPFAULT_MODES_H
#define TCPFAULT_MODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "stop.h"

struct timeline;

/*
 * Catch SIGINT and SIGTERM through common/stop, without SA_RESTART; read
 * the stop with stop_requested(). Exits 1 when that cannot be set up.
 */
void mode_catch_stop(void);
/* stop_requested() under the name proxy.c still uses. */
#define mode_stop (stop_requested() != 0)
/* Sleep until until_ms (clock_mono_ms's clock) or a stop signal. */
void mode_sleep_until(int64_t until_ms);
/* --hold/--wait SECS (up to a day) and --count N; exit 2 when bad. */
int mode_opt_ms(const char *arg, const char *name);
int mode_opt_count(const char *arg);
/* --listen [HOST:]PORT, HOST 127.0.0.1 when left out; exit 2 when bad. */
void mode_listen_split(const char *arg, char *host, size_t hostlen,
    char *port, size_t portlen);
/*
 * The mode's report on stdout: with json, head (its own members; taken)
 * plus "timeline", "facts" and "error" when not NULL as one JSON line;
 * else the timeline, then a "facts:" line when there are facts. -1 when
 * the JSON line could not be written.
 */
int mode_report(json_t *head, struct timeline *tl, json_t *facts,
    const char *error, bool json);

#endif
