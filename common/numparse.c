/* SPDX-License-Identifier: BSD-2-Clause */
/* Strict number parsing for command-line options: all or nothing. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#include "errbuf.h"
#include "numparse.h"

static const char *
label(const char *what)
{
	return what != NULL ? what : "value";
}

/*
 * Checks shared by every parser: strtoll/strtoull would accept leading
 * white space, a '+' and (for the unsigned one) a '-' that wraps round;
 * we accept digits only, with a leading '-' where the caller allows it.
 */
static bool
starts_well(const char *s, bool allow_minus, const char *what,
    char *errbuf)
{
	if (s == NULL || *s == '\0') {
		errbuf_set(errbuf, "%s: empty number", label(what));
		return false;
	}
	if (!isdigit((unsigned char)s[allow_minus && s[0] == '-'])) {
		errbuf_set(errbuf, "%s: not a number: %s", label(what), s);
		return false;
	}
	return true;
}

int
num_parse_i64(const char *s, int64_t min, int64_t max, const char *what,
    int64_t *out, char *errbuf)
{
	char *end;
	long long v;

	if (!starts_well(s, true, what, errbuf))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		errbuf_set(errbuf, "%s: not a number: %s", label(what), s);
		return -1;
	}
	if ((errno == ERANGE && v == LLONG_MAX) || v > max) {
		errbuf_set(errbuf, "%s: too large: %s", label(what), s);
		return -1;
	}
	if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
		errbuf_set(errbuf, "%s: too small: %s", label(what), s);
		return -1;
	}
	*out = v;
	return 0;
}

int
num_parse_size(const char *s, uint64_t max, const char *what,
    uint64_t *out, char *errbuf)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!starts_well(s, false, what, errbuf))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	}
	if (shift != 0)
		end++;
	if (*end != '\0') {
		errbuf_set(errbuf, "%s: not a size: %s", label(what), s);
		return -1;
	}
	if (errno == ERANGE || v > (UINT64_MAX >> shift) ||
	    (v << shift) > max) {
		errbuf_set(errbuf, "%s: too large: %s", label(what), s);
		return -1;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

int
num_parse_secs_ms(const char *s, int64_t max_ms, const char *what,
    int64_t *out_ms, char *errbuf)
{
	const char *p = s;
	int64_t ms = 0;
	int frac = 0;
	bool big = false;

	if (s == NULL || *s == '\0') {
		errbuf_set(errbuf, "%s: empty number", label(what));
		return -1;
	}
	/* Whole seconds; after an overflow only the syntax still matters. */
	for (; isdigit((unsigned char)*p); p++) {
		big = big || __builtin_mul_overflow(ms, 10, &ms) ||
		    __builtin_add_overflow(ms, (*p - '0') * 1000, &ms);
	}
	if (*p == '.' && isdigit((unsigned char)p[1])) {
		int unit = 100;

		for (p++; isdigit((unsigned char)*p) && frac < 3; p++, frac++) {
			big = big || __builtin_add_overflow(ms,
			    (*p - '0') * unit, &ms);
			unit /= 10;
		}
		if (isdigit((unsigned char)*p)) {
			errbuf_set(errbuf, "%s: finer than a millisecond: %s",
			    label(what), s);
			return -1;
		}
	}
	if (*p != '\0' || p == s) {
		errbuf_set(errbuf, "%s: not a number of seconds: %s",
		    label(what), s);
		return -1;
	}
	if (big || ms > max_ms) {
		errbuf_set(errbuf, "%s: too large: %s", label(what), s);
		return -1;
	}
	*out_ms = ms;
	return 0;
}
