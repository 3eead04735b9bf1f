/* SPDX-License-Identifier: BSD-2-Clause */
/* The runner: one process per case run; forks both sides, captures, judges. */
#ifndef TCPFAULT_RUN_H
#define TCPFAULT_RUN_H

#include <stdbool.h>

#include <jansson.h>

#include "cases.h"
#include "vanish.h"

/* Options of `tcpfault run`, shared read-only with every runner. */
struct run_opts {
	const char *pcap_dir;	/* write DIR/<case>-<variant>.pcap */
	bool json;
	bool no_capture;
	bool verbose;
	int repeat;
	enum vanish_method vanish;	/* resolved once by main() */
	char vanish_why[256];		/* why VANISH_NONE */
};

/*
 * Run variant var of case fc once (iteration iter of --repeat) and judge
 * it: the result object (verdict, reason, timelines, facts, wire), or
 * NULL when out of memory. Exits 130 when a stop signal came.
 */
json_t *run_one(const struct fault_case *fc, const struct case_variant *var,
    const struct run_opts *opts, int iter);

/*
 * What a case's hook may do in the runner: kill side id once it sleeps
 * inside a system call (blocked in send).
 */
void run_kill_when_blocked(struct run *r, enum case_role id);
/*
 * Watch both sides' queues until none of them moves (a deadlock), record
 * them as facts, then kill both sides.
 */
void run_watch_deadlock(struct run *r);

#endif
