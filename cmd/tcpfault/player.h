/* SPDX-License-Identifier: BSD-2-Clause */
/* The peer actions: socket calls on one end of a connection, each recorded. */
#ifndef TCPFAULT_PLAYER_H
#define TCPFAULT_PLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "close.h"
#include "outcome.h"
#include "vanish.h"

/*
 * A player owns a timeline and a facts object and records every action
 * into them, the same way for a case run's sides (side.c) and for the
 * client and server modes (peer.c). It stops early once a stop signal
 * came (common/stop). Actions that fail return -1 with errbuf filled, or
 * say how they ended; the caller decides whether that ends its run.
 */
struct player;
struct timeline;

/* Told of each event and fact as it is recorded (values are borrowed). */
struct player_tap {
	void (*event)(void *arg, json_t *ev);
	void (*fact)(void *arg, const char *key, json_t *value);
	void *arg;
};

/* player_recv_to_end flags. */
#define PLAYER_VERIFY		0x01	/* check the pattern; pattern_errors */
#define PLAYER_COUNT_EMPTY	0x02	/* record the count even when 0 */

/*
 * A player for role ("client", "server"), its timeline counting from
 * epoch_us (0: now); waits and graceful closes give up after wait_ms.
 * tap may be NULL. Returns NULL when out of memory.
 */
struct player *player_new(const char *role, uint64_t epoch_us, int wait_ms,
    const struct player_tap *tap);
/* Frees the player; its descriptor, if any, stays open. */
void player_free(struct player *pl);

int player_fd(const struct player *pl);
void player_set_fd(struct player *pl, int fd);
struct timeline *player_timeline(const struct player *pl);
json_t *player_facts(const struct player *pl);

/* Record an event or a fact; a failure to record exits 3. */
void player_event(struct player *pl, const char *op, int64_t bytes,
    enum outcome o, int err);
/* player_event for a call that returned rc: 0 is ok, else errno says why. */
void player_event_rc(struct player *pl, const char *op, int64_t bytes,
    int rc);
void player_fact_int(struct player *pl, const char *key, int64_t v);
void player_fact_str(struct player *pl, const char *key, const char *v);

/* Pattern byte at stream offset off, and len of them from off into buf. */
static inline uint8_t
player_pattern_byte(uint64_t off)
{
	return (uint8_t)(off % 251);
}

void player_pattern_fill(uint8_t *buf, size_t len, uint64_t off);

/* How the last player_connect or player_accept ended (refused, ...). */
enum outcome player_opened(const struct player *pl);

/*
 * Connect to host:port, or accept one connection on lfd within
 * timeout_ms (0: no limit); one event, and the descriptor becomes the
 * player's. Return it, or -1 with errbuf filled.
 */
int player_connect(struct player *pl, const char *host, const char *port,
    char *errbuf);
int player_accept(struct player *pl, int lfd, int timeout_ms, char *errbuf);

/*
 * TLS as the server on the accepted connection (common/tls), the
 * handshake within wait_ms: a "tls-handshake" event and the fact
 * tls_version. From then on the pattern is sent and read as TLS records
 * (player_send_stream, player_recv_to_end, which adds the fact
 * tls_peer_end); the closes send no close_notify of their own.
 * Returns -1 with errbuf filled.
 */
struct tls_ctx;
int player_tls_accept(struct player *pl, struct tls_ctx *ctx, char *errbuf);
/* Send our close_notify (TLS's end of our data), one "close-notify"
   event; the FIN is a close's. */
void player_tls_close_notify(struct player *pl);

/* One send() of len pattern bytes (at most 64 KiB), one event. */
int64_t player_send_once(struct player *pl, size_t len, int flags);
/*
 * Send total pattern bytes, blocking, as one event with the count, then
 * one with the failure if a send failed. Returns the bytes sent.
 */
uint64_t player_send_stream(struct player *pl, uint64_t total);
/* Non-blocking sends until the socket takes no more or total is sent. */
uint64_t player_send_until_full(struct player *pl, uint64_t total);
/*
 * Read until EOF, an error or a stop (or max bytes, 0 = no limit): one
 * "recv" event with the bytes, then one with the terminal outcome.
 * flags: PLAYER_VERIFY, PLAYER_COUNT_EMPTY. *end (may be NULL) gets how
 * the reads ended. Returns the bytes read.
 */
uint64_t player_recv_to_end(struct player *pl, uint64_t max, int flags,
    enum outcome *end);
/* Read exactly len bytes (at most 64 KiB), one event. */
uint64_t player_recv_exact(struct player *pl, size_t len);
/* One recv() with a deadline (our deadline: timeout, errno 0). */
ssize_t player_recv_once(struct player *pl, size_t len, int timeout_ms,
    enum outcome *o);
/*
 * Wait without reading until the peer's bytes are here: fact "unread"
 * and a "wait-data" event. -1 on timeout or stop.
 */
int player_wait_data(struct player *pl);
/* Blocking echo until EOF or an error; records nothing, *end says why. */
uint64_t player_echo(struct player *pl, enum outcome *end);

/*
 * Poll TCP_INFO or the queues until the condition holds: 0, or -1 after
 * timeout_ms or on a stop.
 */
int player_wait_state(struct player *pl, const char *state, int timeout_ms);
int player_wait_inq(struct player *pl, int bytes, int timeout_ms);
int player_wait_outq_zero(struct player *pl, int timeout_ms);
/* The send queue stops changing (the peer's window is closed). */
int player_wait_outq_stable(struct player *pl, int timeout_ms);

/*
 * Close the way how says: one event ("close", "abort", "close-graceful")
 * and the facts close_unread and close_unsent; *r gets the report.
 */
void player_close(struct player *pl, enum close_how how,
    struct close_report *r);
void player_shutdown_wr(struct player *pl);
/*
 * What the socket still holds (exit_unread, exit_unsent) and an "exit"
 * event: the caller exits with the descriptor open, the kernel closes it.
 */
void player_leave_open(struct player *pl);
/*
 * Make the connection vanish with method m: a "vanish" event and the fact
 * vanish_method. Returns -1 with errbuf filled (the event says why).
 */
int player_vanish(struct player *pl, enum vanish_method m, char *errbuf);

/* Socket options that are part of a case: an event or facts each. */
int player_keepalive(struct player *pl, int idle, int intvl, int cnt,
    char *errbuf);
int player_user_timeout(struct player *pl, unsigned ms, char *errbuf);
int player_bufsizes(struct player *pl, int snd, int rcv, char *errbuf);

#endif
