/* SPDX-License-Identifier: BSD-2-Clause */
/* The one exit-status table of the suite, as teardown(7) documents it. */
#ifndef TEARDOWN_EXITCODE_H
#define TEARDOWN_EXITCODE_H

#include "outcome.h"

/*
 * The same event has the same number in every tool that can meet it. A
 * run stopped by a signal exits STOP_EXIT(sig) = 128 + sig (stop.h),
 * after printing its partial results. Never renumber.
 */
enum exit_status {
	EXIT_OK = 0,		/* success */
	EXIT_FAIL = 1,		/* run-time failure */
	EXIT_CHECK = 1,		/* a check or expectation failed (finrst
				   --expect, tcpfault run): the tool's
				   "no", as grep's 1 */
	EXIT_USAGE = 2,		/* bad options or arguments; nothing done */
	EXIT_REFUSED = 3,	/* connection refused (RST to SYN, ICMP) */
	EXIT_INPUT = 3,		/* finrst only: a capture was unreadable
				   (finrst never connects) */
	EXIT_RESET = 4,		/* the peer reset the connection */
	EXIT_TIMEOUT = 5	/* a deadline or a TCP timeout expired */
};

/*
 * The exit status for how a connection ended: eof and ok are success,
 * refused, reset (and broken-pipe: an RST answered a send) and timeout
 * have their own numbers, anything else is a run-time failure.
 */
int exit_for_outcome(enum outcome o);

#endif
