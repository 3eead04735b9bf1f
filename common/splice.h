/* SPDX-License-Identifier: BSD-2-Clause */
/* Zero-copy byte pumps: socket -> pipe -> socket with splice(2). */
#ifndef TEARDOWN_SPLICE_H
#define TEARDOWN_SPLICE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * A non-blocking pipe used as a bounded buffer between two sockets: bytes
 * are spliced in from one fd and out to another without being copied to
 * user space. Its capacity is the bound (backpressure: stop filling when
 * splice_pipe_room() is 0).
 */
struct splice_pipe;

/*
 * Create a pipe of about size bytes (F_SETPIPE_SZ; the kernel rounds up
 * to a power-of-two number of pages and may give less when the user's pipe
 * memory is exhausted: splice_pipe_cap() tells). Returns NULL with errbuf.
 */
struct splice_pipe *splice_pipe_new(size_t size, char *errbuf);
void splice_pipe_free(struct splice_pipe *p);

/* Bytes held, capacity, and room left (cap - len). */
size_t splice_pipe_len(const struct splice_pipe *p);
size_t splice_pipe_cap(const struct splice_pipe *p);
size_t splice_pipe_room(const struct splice_pipe *p);

/*
 * splice(2) up to the room left from fd (a socket) into the pipe, without
 * blocking. Returns bytes moved, 0 at the peer's EOF, or -1 with errno
 * (EAGAIN: nothing to read, or the pipe's slots are full even though
 * bytes remain: small segments each take a page slot).
 */
ssize_t splice_pipe_fill(struct splice_pipe *p, int fd);

/*
 * splice(2) what the pipe holds out to fd without blocking. Returns bytes
 * moved or -1 with errno (EAGAIN when fd's send buffer is full; EPIPE,
 * ECONNRESET as send(2) would). Never raises SIGPIPE.
 */
ssize_t splice_pipe_drain(struct splice_pipe *p, int fd);

/*
 * The same, blocking, for thread-per-direction copies: move everything the
 * pipe holds to fd, waiting as needed. Returns 0 or -1 with errno.
 */
int splice_pipe_drain_all(struct splice_pipe *p, int fd);

#endif
