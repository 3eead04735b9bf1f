/* SPDX-License-Identifier: BSD-2-Clause */
/* The three ways to close a TCP socket, each reporting what it observed. */
#ifndef TEARDOWN_CLOSE_H
#define TEARDOWN_CLOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outcome.h"

enum close_how {
	CLOSE_GRACEFUL,	/* flush, shutdown(SHUT_WR), read to EOF, close */
	CLOSE_ABORT,	/* SO_LINGER {1,0} then close: RST, queue discarded */
	CLOSE_PLAIN	/* bare close(): FIN, or RST if input is unread */
};

/* What a close saw. */
struct close_report {
	enum close_how how;
	uint64_t flushed;	/* bytes of the caller's pending data sent */
	uint64_t drained;	/* bytes read from the peer after our FIN */
	uint64_t unread;	/* bytes in our receive queue when closed */
	uint64_t unsent;	/* bytes in our send queue when closed */
	enum outcome outcome;	/* OK (graceful: peer's EOF seen), TIMEOUT
				   (deadline hit, then aborted), RESET,
				   BROKEN_PIPE, ... */
	int err;		/* errno behind outcome, 0 if none */
	bool aborted;		/* a graceful close fell back to abort */
	bool sent_rst;		/* we expect our kernel sent an RST */
};

/* Receives the peer's bytes read while a graceful close drains. */
typedef void close_sink_fn(void *arg, const void *data, size_t len);

/*
 * Graceful close: send pending (len bytes, may be 0) completely, then
 * shutdown(SHUT_WR) so the FIN follows every byte, then read until the
 * peer's EOF (passing data to sink, which may be NULL to discard) or until
 * timeout_ms passes (<= 0: wait forever), then close(). On deadline it
 * aborts (RST) and reports OUTCOME_TIMEOUT with aborted set. The fd is
 * always closed. Returns 0 when the peer's EOF was seen, -1 otherwise.
 */
int close_graceful(int fd, const void *pending, size_t len, int timeout_ms,
    close_sink_fn *sink, void *sink_arg, struct close_report *r);

/*
 * Abort: SO_LINGER {1,0} then close(): the kernel sends RST and discards
 * what was queued both ways. Returns 0, or -1 if setsockopt failed.
 */
int close_abort(int fd, struct close_report *r);

/*
 * Plain close() as naive code does, recording how much input was unread
 * (which makes Linux send RST, RFC 2525 section 2.17) and output unsent.
 */
int close_plain(int fd, struct close_report *r);

/* "graceful", "abort", "plain"; parse returns -1 on other names. */
const char *close_how_name(enum close_how how);
int close_how_parse(const char *name, enum close_how *how);

#endif
