/* SPDX-License-Identifier: BSD-2-Clause */
/* A growable byte buffer with a read cursor, for non-blocking I/O. */
#ifndef TEARDOWN_BUF_H
#define TEARDOWN_BUF_H

#include <stddef.h>
#include <sys/types.h>

struct buf;

struct buf *buf_new(size_t initial);
void buf_free(struct buf *b);

/* Readable bytes and a pointer to them. */
size_t buf_len(const struct buf *b);
const void *buf_data(const struct buf *b);

/* Append len bytes; returns -1 (ENOMEM) without changing b on failure. */
int buf_append(struct buf *b, const void *data, size_t len);

/*
 * Make room so that len more bytes can be appended without failing, for
 * callers that must queue several pieces all or nothing. Returns -1
 * (ENOMEM) without changing b on failure.
 */
int buf_reserve(struct buf *b, size_t len);

/*
 * Append printf-formatted text (no NUL). Returns -1 (ENOMEM, or EINVAL
 * for a bad format) without changing b on failure.
 */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Drop n bytes from the front (n <= buf_len). */
void buf_consume(struct buf *b, size_t n);

/*
 * read(2) up to max bytes (0: as much as fits after growing once) from fd
 * into the tail. Returns what read returned; errno as read left it.
 */
ssize_t buf_read_fd(struct buf *b, int fd, size_t max);

/*
 * send(2) with MSG_NOSIGNAL from the front; consumes what went out.
 * Returns bytes sent or -1 with errno.
 */
ssize_t buf_send_fd(struct buf *b, int fd);

#endif
