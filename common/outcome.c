/* SPDX-License-Identifier: BSD-2-Clause */
/* Outcome names and the errno -> outcome / errno -> symbol mappings. */
#include <errno.h>
#include <stddef.h>

#include "names.h"
#include "exitcode.h"
#include "outcome.h"

/* Indexed by enum outcome; these strings are a stable interface. */
static const char *const outcome_names[OUTCOME_COUNT] = {
	[OUTCOME_OK] = "ok",
	[OUTCOME_EOF] = "eof",
	[OUTCOME_RESET] = "reset",
	[OUTCOME_BROKEN_PIPE] = "broken-pipe",
	[OUTCOME_TIMEOUT] = "timeout",
	[OUTCOME_REFUSED] = "refused",
	[OUTCOME_UNREACHABLE] = "unreachable",
	[OUTCOME_SELF_CONNECT] = "self-connect",
	[OUTCOME_ABORTED] = "aborted",
	[OUTCOME_WOULD_BLOCK] = "would-block",
	[OUTCOME_INTERRUPTED] = "interrupted",
	[OUTCOME_ADDR_IN_USE] = "address-in-use",
	[OUTCOME_NOT_CONNECTED] = "not-connected",
	[OUTCOME_ERROR] = "error",
};

enum outcome
outcome_from_errno(int err)
{
	switch (err) {
	case 0:
		return OUTCOME_OK;
	case ECONNRESET:
		return OUTCOME_RESET;
	case EPIPE:
		return OUTCOME_BROKEN_PIPE;
	case ETIMEDOUT:
		return OUTCOME_TIMEOUT;
	case ECONNREFUSED:
		return OUTCOME_REFUSED;
	case EHOSTUNREACH:
	case ENETUNREACH:
		return OUTCOME_UNREACHABLE;
	case ECONNABORTED:
		return OUTCOME_ABORTED;
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
		return OUTCOME_WOULD_BLOCK;
	case EINTR:
		return OUTCOME_INTERRUPTED;
	case EADDRINUSE:
		return OUTCOME_ADDR_IN_USE;
	case ENOTCONN:
		return OUTCOME_NOT_CONNECTED;
	default:
		return OUTCOME_ERROR;
	}
}

NAMES_DEFINE(outcome_name, outcome_parse, enum outcome, outcome_names,
    OUTCOME_COUNT, "error")

#define E(sym) { sym, #sym }

/* The errnos a network tool meets; the symbol is what users search for. */
static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ 0, "0" },
	E(EPERM), E(ENOENT), E(EINTR), E(EIO), E(EBADF), E(EAGAIN),
	E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST), E(ENODEV),
	E(EINVAL), E(ENFILE), E(EMFILE), E(ENOSPC), E(EPIPE), E(ERANGE),
	E(ENOSYS), E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE),
	E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT),
	E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT),
	E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN),
	E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED), E(ECONNRESET),
	E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ESHUTDOWN),
	E(ETOOMANYREFS), E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN),
	E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(EPROTO),
	E(ENONET), E(ECANCELED),
};

#undef E

const char *
errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]);
	    i++) {
		if (errno_names[i].err == err)
			return errno_names[i].name;
	}
	return "E?";
}

int
exit_for_outcome(enum outcome o)
{
	switch (o) {
	case OUTCOME_OK:
	case OUTCOME_EOF:
		return EXIT_OK;
	case OUTCOME_REFUSED:
		return EXIT_REFUSED;
	case OUTCOME_RESET:
	case OUTCOME_BROKEN_PIPE:
		return EXIT_RESET;
	case OUTCOME_TIMEOUT:
		return EXIT_TIMEOUT;
	default:
		return EXIT_FAIL;
	}
}
