/* SPDX-License-Identifier: BSD-2-Clause */
/* Strict number parsing for command-line options. */
#ifndef TEARDOWN_NUMPARSE_H
#define TEARDOWN_NUMPARSE_H

#include <stdint.h>

/*
 * Parse a whole decimal integer in [min, max]. Junk, an empty string or a
 * value out of range return -1 with errbuf naming what (prefixed by the
 * caller's option name, e.g. "-w: too large: 99999").
 */
int num_parse_i64(const char *s, int64_t min, int64_t max, const char *what,
    int64_t *out, char *errbuf);

/*
 * Like num_parse_i64 but accepts a size suffix: k, m, g (powers of 1024),
 * upper or lower case, e.g. "64k", "1G".
 */
int num_parse_size(const char *s, uint64_t max, const char *what,
    uint64_t *out, char *errbuf);

/* Seconds with an optional fraction ("2.5") into milliseconds. */
int num_parse_secs_ms(const char *s, int64_t max_ms, const char *what,
    int64_t *out_ms, char *errbuf);

#endif
