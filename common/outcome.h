/* SPDX-License-Identifier: BSD-2-Clause */
/* The one vocabulary for how a socket call or a connection ended. */
#ifndef TEARDOWN_OUTCOME_H
#define TEARDOWN_OUTCOME_H

/*
 * Stable names (outcome_name()) appear in every tool's text and JSON output
 * and are documented in teardown.7; add new values at the end.
 */
enum outcome {
	OUTCOME_OK = 0,		/* "ok": the call did what was asked */
	OUTCOME_EOF,		/* "eof": the peer's FIN, read returned 0 */
	OUTCOME_RESET,		/* "reset": ECONNRESET */
	OUTCOME_BROKEN_PIPE,	/* "broken-pipe": EPIPE */
	OUTCOME_TIMEOUT,	/* "timeout": ETIMEDOUT, or our own deadline */
	OUTCOME_REFUSED,	/* "refused": ECONNREFUSED */
	OUTCOME_UNREACHABLE,	/* "unreachable": EHOSTUNREACH, ENETUNREACH */
	OUTCOME_SELF_CONNECT,	/* "self-connect": local address == peer */
	OUTCOME_ABORTED,	/* "aborted": ECONNABORTED */
	OUTCOME_WOULD_BLOCK,	/* "would-block": EAGAIN on a non-blocking call */
	OUTCOME_INTERRUPTED,	/* "interrupted": EINTR, or a signal ended it */
	OUTCOME_ADDR_IN_USE,	/* "address-in-use": EADDRINUSE */
	OUTCOME_NOT_CONNECTED,	/* "not-connected": ENOTCONN */
	OUTCOME_ERROR,		/* "error": anything else; see errno */
	OUTCOME_COUNT
};

/* Map an errno value to its outcome; 0 maps to OUTCOME_OK. */
enum outcome outcome_from_errno(int err);

/* The stable lower-case name ("reset", "broken-pipe", ...). */
const char *outcome_name(enum outcome o);

/* Parse a name back; returns -1 when it is not one of ours. */
int outcome_parse(const char *name, enum outcome *o);

/* The errno symbol ("ECONNRESET"), or "E?" for numbers we do not know. */
const char *errno_name(int err);

#endif
