/* SPDX-License-Identifier: BSD-2-Clause */
/* How wide the reader's screen is, and text broken to fit it. */
#ifndef TEARDOWN_TERM_H
#define TEARDOWN_TERM_H

#include <stddef.h>

/* Tables narrower than this use their narrow layout (teardown(7)). */
#define TERM_WIDE_COLUMNS	120

/*
 * The width tables should fit for output on fd: $COLUMNS when it is a
 * number from 1 to 10000 (as ls(1) and ps(1) read it), else the
 * terminal's width when fd is a terminal, else 0: unknown, so the wide
 * layout, which scripts and saved outputs rely on.
 */
int term_columns(int fd);

/* True when a table for this width should use its narrow layout. */
int term_narrow(int columns);

/*
 * Write text into buf[0..len) as it would continue a line already at
 * column col, breaking only at blanks so that no line passes width: a
 * field (a run without blanks) is never split, and one longer than the
 * room stands whole on its own line. The blanks before a word are kept
 * (aligned columns stay aligned) unless the line breaks there; each new
 * line starts with indent blanks. Leading blanks of text are kept,
 * trailing ones dropped; no newline at the end. snprintf-style: buf is
 * NUL-terminated when len > 0; returns the length the text needed.
 * width 0 never breaks.
 */
int term_wrap(char *buf, size_t len, const char *text, int col, int indent,
    int width);

#endif
