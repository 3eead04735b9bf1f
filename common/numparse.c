/* SPDX-License-Identifier: BSD-2-Clause */
/* Strict number parsing for command-line options: all or nothing. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#include "errbuf.h"
#include "numparse.h"

/* "WHAT: WHY: INPUT" (or "WHAT: WHY" for no input); returns -1. */
static int
fail(char *errbuf, const char *what, const char *why, const char *s)
{
	if (what == NULL)
		what = "value";
	if (s == NULL)
		errbuf_set(errbuf, "%s: %s", what, why);
	else
		errbuf_set(errbuf, "%s: %s: %s", what, why, s);
	return -1;
}

/*
 * strtoll/strtoull would accept leading white space, a '+' and (the
 * unsigned one) a '-' that wraps round; we want digits, with a leading
 * '-' only where the caller allows it.
 */
static int
check_start(const char *s, bool allow_minus, const char *what,
    char *errbuf)
{
	if (s == NULL || *s == '\0')
		return fail(errbuf, what, "empty number", NULL);
	if (!isdigit((unsigned char)s[allow_minus && s[0] == '-']))
		return fail(errbuf, what, "not a number", s);
	return 0;
}

int
num_parse_i64(const char *s, int64_t min, int64_t max, const char *what,
    int64_t *out, char *errbuf)
{
	char *end;
	long long v;

	if (check_start(s, true, what, errbuf) == -1)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return fail(errbuf, what, "not a number", s);
	if ((errno == ERANGE && v == LLONG_MAX) || v > max)
		return fail(errbuf, what, "too large", s);
	if ((errno == ERANGE && v == LLONG_MIN) || v < min)
		return fail(errbuf, what, "too small", s);
	*out = v;
	return 0;
}

/* log2 of a size suffix's multiplier, 0 for none, -1 for junk. */
static int
suffix_shift(char c)
{
	switch (c) {
	case '\0':
		return 0;
	case 'k': case 'K':
		return 10;
	case 'm': case 'M':
		return 20;
	case 'g': case 'G':
		return 30;
	default:
		return -1;
	}
}

int
num_parse_size(const char *s, uint64_t max, const char *what,
    uint64_t *out, char *errbuf)
{
	char *end;
	unsigned long long v;
	int shift;

	if (check_start(s, false, what, errbuf) == -1)
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	shift = suffix_shift(*end);
	if (shift == -1 || (shift > 0 && end[1] != '\0'))
		return fail(errbuf, what, "not a size", s);
	if (errno == ERANGE || v > (UINT64_MAX >> shift) ||
	    (v << shift) > max)
		return fail(errbuf, what, "too large", s);
	*out = (uint64_t)v << shift;
	return 0;
}

int
num_parse_secs_ms(const char *s, int64_t max_ms, const char *what,
    int64_t *out_ms, char *errbuf)
{
	const char *p = s;
	int64_t ms = 0;
	bool big = false;

	if (s == NULL || *s == '\0')
		return fail(errbuf, what, "empty number", NULL);
	/* Whole seconds; after an overflow only the syntax still matters. */
	for (; isdigit((unsigned char)*p); p++) {
		big = big || __builtin_mul_overflow(ms, 10, &ms) ||
		    __builtin_add_overflow(ms, (*p - '0') * 1000, &ms);
	}
	/* Up to three decimals: tenths, hundredths, thousandths. */
	if (*p == '.' && isdigit((unsigned char)p[1])) {
		for (int unit = 100; isdigit((unsigned char)*++p) && unit > 0;
		    unit /= 10)
			big = big || __builtin_add_overflow(ms,
			    (*p - '0') * unit, &ms);
		if (isdigit((unsigned char)*p))
			return fail(errbuf, what, "finer than a millisecond",
			    s);
	}
	if (*p != '\0' || p == s)
		return fail(errbuf, what, "not a number of seconds", s);
	if (big || ms > max_ms)
		return fail(errbuf, what, "too large", s);
	*out_ms = ms;
	return 0;
}
