/* SPDX-License-Identifier: BSD-2-Clause */
/* The one relay engine: pairs of sockets, half-close, RST, backpressure. */
#ifndef TEARDOWN_RELAY_H
#define TEARDOWN_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "close.h"
#include "evloop.h"
#include "outcome.h"

/*
 * A relay copies bytes between the two ends of each of its pairs (end 0
 * and end 1, two connected TCP sockets), both ways, until both directions
 * are done:
 * - an end's FIN is passed on to the other end after every byte it sent
 *   (half-close each way);
 * - an end that fails (its peer's RST, a timeout, a send error) is
 *   aborted, what it sent before failing is delivered to the other end,
 *   which is then reset too (RST propagation), after at most
 *   rst_flush_ms of flushing;
 * - each direction's queue is bounded by `buffer` bytes: reading an end
 *   stops while the other end does not take what is queued for it
 *   (backpressure) and resumes when it does;
 * - with splice, the bytes move socket -> pipe -> socket in the kernel.
 * The engine never prints and never exits: it tells its caller what
 * happens through on_event, and lets it inspect, cut, delay or fault the
 * stream chunk by chunk through on_chunk.
 */
struct relay;
struct relay_pair;

/* How pairs are driven: one epoll loop for all, or a thread per direction. */
enum relay_io { RELAY_IO_EPOLL, RELAY_IO_THREADS };

/* What on_event reports. */
enum relay_event_kind {
	RELAY_EV_EOF,		/* `end` sent its FIN; passed on */
	RELAY_EV_PAUSED,	/* reading `end` paused the first time: the
				   other end's queue is full */
	RELAY_EV_ERROR,		/* `end` failed during `during` with `err`;
				   the other end gets an RST */
	RELAY_EV_DEADLINE,	/* `during` ("-w idle", "-q") passed: both
				   ends aborted */
	RELAY_EV_END		/* the pair is over with `outcome` */
};

struct relay_event {
	enum relay_event_kind kind;
	struct relay_pair *pair;
	void *pair_arg;		/* given to relay_pair_add/run */
	int end;		/* 0 or 1 (EOF, PAUSED, ERROR) */
	const char *during;	/* ERROR: "send", "receive", ...; DEADLINE */
	int err;		/* ERROR: errno */
	enum outcome outcome;	/* ERROR: from err; END: the pair's */
	uint64_t bytes[2];	/* read from each end so far */
	uint64_t paused[2];	/* times reading each end paused */
	uint64_t sent[2];	/* epoll: written to each end so far (the
				   socket took them) */
	uint64_t unread;	/* EOF of a stdio end with eof_close abort
				   or plain: bytes left unread in the
				   socket when it was closed */
};

/* One chunk read from end `from`, offered to on_chunk. */
struct relay_chunk {
	int from;
	const void *data;	/* NULL with splice: the bytes stay in the
				   kernel */
	size_t len;
	uint64_t offset;	/* bytes from `from` before this chunk */
};

/* What happens after a chunk's first `pass` bytes are forwarded. */
enum relay_action {
	RELAY_FORWARD,		/* go on */
	RELAY_CUT_FIN,		/* drop what `from` sends from now on (it
				   is still read, to its EOF); FIN to the
				   other end as if `from` had sent EOF */
	RELAY_CUT_RST,		/* stop here: RST both ends (after the
				   passed bytes are flushed) */
	RELAY_CUT_HOLD		/* stop reading `from` and leave both ends
				   as they are. Threads with leave_open:
				   both directions stop and relay_pair_run
				   returns; epoll: RELAY_EV_END comes when
				   the caller calls relay_pair_abort */
};

/*
 * The hook's answer, preset to { len, 0, RELAY_FORWARD }. pass may be
 * lowered (the rest of the chunk is dropped; not with splice, where the
 * bytes are already in the pipe); delay_ms holds the chunk back before it
 * is sent (thread model only: the direction reads on meanwhile, up to
 * 16 reads held; chunks keep their order).
 */
struct relay_verdict {
	size_t pass;
	int delay_ms;
	enum relay_action action;
};

struct relay_opts {
	enum relay_io io;
	bool splice;
	size_t buffer;		/* per-direction bound (high-water mark) */
	int64_t idle_ms;	/* abort both ends after this long without
				   traffic; 0: never */
	int64_t quit_ms;	/* after the first FIN passed, abort both
				   ends if the other direction is not done
				   within this; -1: never */
	int rst_flush_ms;	/* RST propagation: flush bound */
	/* Threads only: never close or reset the ends. When a direction
	   fails, the hook says RELAY_CUT_HOLD or stopped() turns true, both
	   directions stop and relay_pair_run returns; the fds are the
	   caller's again (its fault, its close). */
	bool leave_open;
	/* With leave_open: polled at least every 100 ms (a stop signal). */
	bool (*stopped)(void *arg);
	/* Stdio pairs: what EOF on the stdio end does to the socket once
	   everything before it was sent: CLOSE_GRACEFUL (0): a FIN, the
	   other direction goes on; abort or plain: close it so, write out
	   what is queued for the stdio end and end the pair. */
	enum close_how eof_close;
	/* Stdio pairs: send each LF read from end 0 as CR LF (nc -C). */
	bool crlf;
	/* Called from the loop or from a pair's threads (serialise
	   yourself); never NULL. */
	void (*on_event)(const struct relay_event *ev, void *arg);
	/* May be NULL: forward everything. */
	void (*on_chunk)(const struct relay_chunk *c, struct relay_verdict *v,
	    void *arg);
	/* Before each read of end `from`: the most to read now (cut at an
	   exact byte without reading past it); may be NULL. Returns 0 to
	   read nothing from that end for now. */
	size_t (*read_limit)(struct relay_pair *p, int from, void *arg);
	/* Threads only: before end `from`'s FIN is passed on, hold it
	   this many milliseconds (a slow close); may be NULL. */
	int (*fin_delay)(struct relay_pair *p, int from, void *arg);
	void *arg;
};

/*
 * A relay with the given options. For RELAY_IO_EPOLL loop is the caller's
 * event loop that drives the pairs; for RELAY_IO_THREADS it is NULL.
 * Returns NULL with errbuf set.
 */
struct relay *relay_new(struct evloop *loop, const struct relay_opts *o,
    char *errbuf);

/*
 * Free the relay; pairs still open (epoll) are aborted without events.
 * Call it after the loop stopped.
 */
void relay_free(struct relay *r);

/*
 * RELAY_IO_EPOLL: relay fd0 <-> fd1 on the loop from now on. The relay
 * owns both fds whatever the result. Returns the pair, or NULL with errbuf
 * set after reporting RELAY_EV_ERROR and RELAY_EV_END (fds aborted).
 */
struct relay_pair *relay_pair_add(struct relay *r, int fd0, int fd1,
    void *pair_arg, char *errbuf);

/*
 * RELAY_IO_EPOLL, copy: relay a byte stream that is not one socket (end
 * 0: read from rfd, write to wfd, as nc's stdin and stdout; two
 * different fds, left open and blocking; files that epoll cannot watch
 * are read and written as always ready) and a connected socket sock
 * (end 1, owned by the relay). rfd -1: end 0 is at EOF from the start.
 * Differences from a socket pair: end 0's EOF starts quit_ms and goes to
 * the socket as eof_close says; end 1's EOF is only reported (wfd stays
 * open); a read error on rfd is reported (RELAY_EV_ERROR, "read") and
 * taken as EOF; a write error on wfd (RELAY_EV_ERROR, "write") drops
 * what is queued for it and closes the socket, gracefully when both
 * directions were done, else by RST; idle_ms also counts sends. The pair
 * ends once the socket is closed and wfd has what was queued for it.
 * Returns NULL with errbuf set (sock closed).
 */
struct relay_pair *relay_pair_add_stdio(struct relay *r, int rfd, int wfd,
    int sock, void *pair_arg, char *errbuf);

struct tls_conn;

/*
 * RELAY_IO_EPOLL, copy (not splice): as relay_pair_add and
 * relay_pair_add_stdio, with TLS on a socket end (common/tls): tls is on
 * that socket (tls_conn_fd), its handshake complete. The relay reads and
 * sends records; a FIN passed on to that end goes after our close_notify
 * (TLS 1.3 reads it as a half-close, RFC 8446 section 6.1); the peer's
 * close_notify is its EOF. A FIN without close_notify ends that end as a
 * full close (RELAY_EV_EOF, with what was queued for it dropped: OpenSSL
 * sends nothing after it); an RST is RELAY_EV_ERROR. CLOSE_ABORT and
 * CLOSE_PLAIN send no close_notify. The relay owns the fd as before; tls
 * stays the caller's, to free after RELAY_EV_END and to ask then how the
 * peer ended the session (tls_conn_ending). Returns NULL with errbuf set
 * (fds aborted).
 */
struct relay_pair *relay_pair_add_tls(struct relay *r, struct tls_conn *tls0,
    int fd1, void *pair_arg, char *errbuf);
struct relay_pair *relay_pair_add_stdio_tls(struct relay *r, int rfd,
    int wfd, struct tls_conn *tls, void *pair_arg, char *errbuf);

/*
 * RELAY_IO_THREADS: relay fd0 <-> fd1 in the calling thread and one more,
 * until both directions are done; the fds are closed (unless leave_open).
 * Returns the pair's outcome (as RELAY_EV_END reported it).
 */
enum outcome relay_pair_run(struct relay *r, int fd0, int fd1,
    void *pair_arg);

/* Abort both ends of a pair now (RST); RELAY_EV_END follows. */
void relay_pair_abort(struct relay_pair *p);

/* The socket of an end, -1 once closed (for a fault to act on). */
int relay_pair_fd(const struct relay_pair *p, int end);

/* Bytes read from end `end` and handed on so far. */
uint64_t relay_pair_bytes(const struct relay_pair *p, int end);

#endif
