/* SPDX-License-Identifier: BSD-2-Clause */
/* Buffered non-blocking TCP connections on an evloop, with the contract. */
#ifndef TEARDOWN_CONN_H
#define TEARDOWN_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "close.h"
#include "evloop.h"
#include "outcome.h"

struct conn;

/* The four triggers that end a connection, reported distinctly. */
enum conn_end {
	CONN_END_SEND_ERROR,	/* send failed: EPIPE, ECONNRESET, ... */
	CONN_END_RECV_ERROR,	/* recv failed: ECONNRESET, ETIMEDOUT, ... */
	CONN_END_PEER_EOF,	/* recv returned 0 */
	CONN_END_LOCAL_CLOSE	/* conn_close() finished */
};

/*
 * The connection contract:
 * - bytes (or, with framing, complete messages) that arrived before the
 *   peer's EOF or an error are delivered before on_close; nothing after;
 * - conn_close(CLOSE_GRACEFUL) and conn_shutdown() send everything already
 *   accepted by conn_send() before the FIN;
 * - on_close is called exactly once and is the last callback; the conn is
 *   freed after it returns.
 */
struct conn_callbacks {
	/* Raw mode: returns how many bytes it consumed (the rest stays
	   buffered and is offered again with more). May be NULL in framed
	   mode. */
	size_t (*on_data)(struct conn *c, const void *data, size_t len,
	    void *arg);
	/* Framed mode (conn_set_framing): one complete message. */
	void (*on_message)(struct conn *c, const void *msg, size_t len,
	    void *arg);
	/* The peer's EOF when half-close is allowed (conn_set_half_close);
	   the connection can still send. */
	void (*on_peer_eof)(struct conn *c, void *arg);
	/* Output queue rose to the high-water mark / fell to the low one. */
	void (*on_high_water)(struct conn *c, size_t queued, void *arg);
	void (*on_drain)(struct conn *c, void *arg);
	/* Last callback: why it ended and the outcome (errno-based). */
	void (*on_close)(struct conn *c, enum conn_end why, enum outcome o,
	    void *arg);
};

/*
 * Take over fd (made non-blocking) on loop. Returns NULL with errbuf set;
 * the fd then stays open and the caller's.
 */
struct conn *conn_new(struct evloop *loop, int fd,
    const struct conn_callbacks *cb, void *arg, char *errbuf);

/*
 * Queue data for sending (sent as soon as the socket takes it). Returns 0,
 * or -1 (errno EPIPE) once the connection is closing or shut down: new
 * sends are refused, not silently dropped.
 */
int conn_send(struct conn *c, const void *data, size_t len);

/* Queue one framed message (4-byte big-endian length + payload). */
int conn_send_frame(struct conn *c, const void *msg, size_t len);

/*
 * Deliver complete length-prefixed messages to on_message instead of raw
 * bytes to on_data. A declared length above max ends the connection with
 * CONN_END_RECV_ERROR and OUTCOME_ERROR (never allocates it).
 */
void conn_set_framing(struct conn *c, uint32_t max);

struct tls_conn;

/*
 * Speak TLS over the connection from now on (tls is on c's fd, its
 * handshake complete; it stays the caller's, to free after on_close and
 * to ask how the peer ended the session). Reads and sends carry records;
 * the FIN of conn_shutdown and of a graceful close follows our
 * close_notify. The peer's close_notify is its EOF (on_peer_eof with
 * half-close, as a FIN); a bare FIN without it ends the connection as
 * CONN_END_PEER_EOF with what was queued dropped (OpenSSL sends nothing
 * after it); an RST is a receive error. CLOSE_ABORT and CLOSE_PLAIN send
 * no close_notify: the peer sees a reset or a truncation. Call it before
 * the loop runs the connection.
 */
void conn_set_tls(struct conn *c, struct tls_conn *tls);

/*
 * With half-close on, the peer's EOF calls on_peer_eof and the connection
 * stays open for sending; it ends (CONN_END_PEER_EOF) once our side has
 * also shut down and flushed. Off (default): the peer's EOF ends it.
 */
void conn_set_half_close(struct conn *c, bool on);

/*
 * The most one recv reads (bulk streams grow to it from 64 KiB): how far a
 * relay's queue can rise past its high-water mark before reading pauses.
 */
#define CONN_READ_MAX (256u * 1024)

/* High- and low-water marks for on_high_water / on_drain (bytes). */
void conn_set_water_marks(struct conn *c, size_t high, size_t low);

/*
 * After a recv that did not fill its buffer (the queue is empty), wait for
 * the next readiness event instead of calling recv again only to hear
 * EAGAIN: one system call less per request in request/response traffic,
 * and per wake-up for a reader that keeps up with a stream (ttcp's
 * receivers). Off by default.
 */
void conn_set_request_response(struct conn *c, bool on);

/* Stop or restart reading (backpressure); data stays in the kernel. */
void conn_pause_read(struct conn *c);
void conn_resume_read(struct conn *c);

/* Flush what is queued, then shutdown(SHUT_WR): a FIN after every byte. */
void conn_shutdown(struct conn *c);

/*
 * End the connection. CLOSE_GRACEFUL: refuse new sends, flush, FIN, read
 * until the peer's EOF (delivering it) or timeout_ms, then on_close
 * (CONN_END_LOCAL_CLOSE; OUTCOME_TIMEOUT and an RST if the deadline hit).
 * CLOSE_ABORT: RST now. CLOSE_PLAIN: close() now. For abort and plain
 * on_close runs before conn_close returns.
 */
void conn_close(struct conn *c, enum close_how how, int timeout_ms);

int conn_fd(const struct conn *c);
size_t conn_out_queued(const struct conn *c);
uint64_t conn_bytes_in(const struct conn *c);
uint64_t conn_bytes_out(const struct conn *c);
const char *conn_end_name(enum conn_end why);

#endif
