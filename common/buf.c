/* SPDX-License-Identifier: BSD-2-Clause */
/* A growable byte buffer with a read cursor, for non-blocking I/O. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"

/* The smallest tail buf_read_fd(b, fd, 0) offers to read(2). */
#define BUF_MIN_READ 4096

/*
 * Readable bytes live in data[off, off + len); the tail after them is free
 * for appends and reads, and so is the head before off once we compact.
 */
struct buf {
	unsigned char *data;
	size_t cap;
	size_t off;
	size_t len;
};

static const unsigned char buf_empty[1];

struct buf *
buf_new(size_t initial)
{
	struct buf *b = calloc(1, sizeof(*b));

	if (b != NULL && buf_reserve(b, initial) < 0) {
		free(b);
		return NULL;
	}
	return b;
}

void
buf_free(struct buf *b)
{
	if (b != NULL)
		free(b->data);
	free(b);
}

size_t
buf_len(const struct buf *b)
{
	return b->len;
}

const void *
buf_data(const struct buf *b)
{
	return b->data != NULL ? b->data + b->off : buf_empty;
}

/*
 * Make need bytes free after the readable ones. Moving the readable bytes
 * to the front costs len bytes of copying and always beats reallocating
 * (which would copy at least as much), so grow only when compacting is not
 * enough, and then copy only the live bytes into the new block.
 */
int
buf_reserve(struct buf *b, size_t need)
{
	unsigned char *nd;
	size_t ncap;

	if (b->cap - b->off - b->len >= need)
		return 0;
	if (b->cap - b->len >= need) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
		return 0;
	}
	if (need > SIZE_MAX - b->len) {
		errno = ENOMEM;
		return -1;
	}
	ncap = b->cap > SIZE_MAX / 2 ? SIZE_MAX : b->cap * 2;
	if (ncap < b->len + need)
		ncap = b->len + need;
	if ((nd = malloc(ncap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (b->len > 0)
		memcpy(nd, b->data + b->off, b->len);
	free(b->data);
	b->data = nd;
	b->cap = ncap;
	b->off = 0;
	return 0;
}

int
buf_append(struct buf *b, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (buf_reserve(b, len) < 0)
		return -1;
	memcpy(b->data + b->off + b->len, data, len);
	b->len += len;
	return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		/* Empty: the next append starts at the front for free. */
		b->off = 0;
		b->len = 0;
		return;
	}
	b->off += n;
	b->len -= n;
}

ssize_t
buf_read_fd(struct buf *b, int fd, size_t max)
{
	size_t room;
	ssize_t n;

	if (max == 0) {
		room = b->cap - b->off - b->len;
		if (room < BUF_MIN_READ && buf_reserve(b, b->len > BUF_MIN_READ
		    ? b->len : BUF_MIN_READ) < 0)
			return -1;
		max = b->cap - b->off - b->len;
	} else if (buf_reserve(b, max) < 0)
		return -1;
	n = read(fd, b->data + b->off + b->len, max);
	if (n > 0)
		b->len += (size_t)n;
	return n;
}

ssize_t
buf_send_fd(struct buf *b, int fd)
{
	ssize_t n = 0;

	if (b->len > 0 &&
	    (n = send(fd, b->data + b->off, b->len, MSG_NOSIGNAL)) > 0)
		buf_consume(b, (size_t)n);
	return n;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room = b->cap - b->off - b->len;
	int n;

	/* once into the free tail; when it does not fit, again with room */
	va_start(ap, fmt);
	n = vsnprintf(room ? (char *)b->data + b->off + b->len : NULL, room,
	    fmt, ap);
	va_end(ap);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)n >= room) {
		if (buf_reserve(b, (size_t)n + 1) < 0)
			return -1;
		va_start(ap, fmt);
		vsnprintf((char *)b->data + b->off + b->len, (size_t)n + 1,
		    fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}
