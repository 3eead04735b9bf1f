/* SPDX-License-Identifier: BSD-2-Clause */
/* Caller-supplied error buffers: the library never prints, it fills these. */
#ifndef TEARDOWN_ERRBUF_H
#define TEARDOWN_ERRBUF_H

#define ERRBUF_LEN 256

/*
 * Write one line into errbuf (which may be NULL) with printf formatting.
 * errno is preserved, so callers can still report it after a failure.
 */
void errbuf_set(char *errbuf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
