/* SPDX-License-Identifier: BSD-2-Clause */
/* The one stop-signal setup: SIGINT and SIGTERM end a run, SIGPIPE never does. */
#ifndef TEARDOWN_STOP_H
#define TEARDOWN_STOP_H

#include <stdbool.h>

/* Exit status of a run stopped by signal sig: 128 + sig, as a shell shows. */
#define STOP_EXIT(sig) (128 + (sig))

/*
 * Catch SIGINT and SIGTERM with a handler that records the signal (read
 * it with stop_requested()) and then calls hook(sig) when hook is not
 * NULL; hook must be async-signal-safe (kill(2) a child, write a pipe).
 * No SA_RESTART: a blocking recv, accept or poll returns EINTR, so loops
 * see the stop instead of the kernel restarting the call. Also ignores
 * SIGPIPE. Returns 0, or -1 with errbuf filled.
 */
int stop_catch(void (*hook)(int sig), char *errbuf);

/*
 * The signal that asked the run to stop (SIGINT or SIGTERM), or 0. Set by
 * stop_catch's handler and by stop_fd_read().
 */
int stop_requested(void);

/*
 * Block SIGINT and SIGTERM (and SIGHUP when hup is true) in the calling
 * thread, and return a non-blocking, close-on-exec signalfd that reads
 * them, for an event loop or poll(). Call it before creating threads so
 * they inherit the mask. Also ignores SIGPIPE. Returns -1 with errbuf
 * filled on failure.
 */
int stop_fd_open(bool hup, char *errbuf);

/*
 * Drain fd (from stop_fd_open) and return the last signal read, or 0 when
 * none was pending. The signal is also what stop_requested() returns.
 */
int stop_fd_read(int fd);

/*
 * For a dedicated signal thread: block SIGINT and SIGTERM in the calling
 * thread (before creating the others) so that only stop_wait() sees them.
 * Also ignores SIGPIPE. Returns -1 with errbuf filled on failure.
 */
int stop_block(char *errbuf);

/* Wait for SIGINT or SIGTERM blocked by stop_block(); returns its number. */
int stop_wait(void);

#endif
