/* SPDX-License-Identifier: BSD-2-Clause */
/* The peer actions: socket calls on one end of a connection, each recorded. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errbuf.h"
#include "player.h"
#include "sock.h"
#include "sockopt.h"
#include "stop.h"
#include "timeline.h"
#include "tls.h"

#define CHUNK (64 * 1024)

struct player {
	struct timeline *tl;
	json_t *facts;
	struct player_tap tap;
	int fd;
	enum outcome opened;	/* how the last connect or accept ended */
	int wait_ms;
	uint64_t sent;		/* pattern offset of the next byte to send */
	uint64_t received;	/* pattern offset of the next byte read */
	struct tls_conn *tls;	/* player_tls_accept: sends and reads go
				   through TLS */
	uint8_t chunk[CHUNK];
};

struct player *
player_new(const char *role, uint64_t epoch_us, int wait_ms,
    const struct player_tap *tap)
{
	struct player *pl = calloc(1, sizeof(*pl));

	if (pl == NULL)
		return NULL;
	pl->fd = -1;
	pl->wait_ms = wait_ms;
	if (tap != NULL)
		pl->tap = *tap;
	pl->tl = timeline_new(role, epoch_us);
	pl->facts = json_object();
	if (pl->tl == NULL || pl->facts == NULL) {
		player_free(pl);
		return NULL;
	}
	return pl;
}

void
player_free(struct player *pl)
{
	if (pl == NULL)
		return;
	tls_conn_free(pl->tls);
	timeline_free(pl->tl);
	json_decref(pl->facts);
	free(pl);
}

int
player_fd(const struct player *pl)
{
	return pl->fd;
}

void
player_set_fd(struct player *pl, int fd)
{
	pl->fd = fd;
}

struct timeline *
player_timeline(const struct player *pl)
{
	return pl->tl;
}

json_t *
player_facts(const struct player *pl)
{
	return pl->facts;
}

void
player_event(struct player *pl, const char *op, int64_t bytes,
    enum outcome o, int err)
{
	json_t *arr;

	if (timeline_add(pl->tl, op, bytes, o, err) == -1)
		_exit(3);
	if (pl->tap.event == NULL)
		return;
	arr = timeline_to_json(pl->tl);
	if (arr == NULL)
		_exit(3);
	pl->tap.event(pl->tap.arg, json_array_get(arr,
	    json_array_size(arr) - 1));
	json_decref(arr);
}

void
player_event_rc(struct player *pl, const char *op, int64_t bytes, int rc)
{
	player_event(pl, op, bytes, rc == 0 ? OUTCOME_OK :
	    outcome_from_errno(errno), rc == 0 ? 0 : errno);
}

static void
fact_set(struct player *pl, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(pl->facts, key, v) == -1)
		_exit(3);
	if (pl->tap.fact != NULL)
		pl->tap.fact(pl->tap.arg, key, v);
}

void
player_fact_int(struct player *pl, const char *key, int64_t v)
{
	fact_set(pl, key, json_integer((json_int_t)v));
}

void
player_fact_str(struct player *pl, const char *key, const char *v)
{
	fact_set(pl, key, json_string(v));
}

void
player_pattern_fill(uint8_t *buf, size_t len, uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = player_pattern_byte(off + i);
}

/* Record how a connect or accept ended; adopt fd when it worked. */
static int
record_open(struct player *pl, const char *op, int fd, enum outcome o)
{
	pl->opened = fd == -1 ? o : OUTCOME_OK;
	player_event(pl, op, -1, pl->opened, fd == -1 ? errno : 0);
	if (fd != -1)
		pl->fd = fd;
	return fd;
}

enum outcome
player_opened(const struct player *pl)
{
	return pl->opened;
}

int
player_connect(struct player *pl, const char *host, const char *port,
    char *errbuf)
{
	enum outcome o;
	int fd = sock_connect(host, port, NULL, &o, errbuf);

	return record_open(pl, "connect", fd, o);
}

int
player_accept(struct player *pl, int lfd, int timeout_ms, char *errbuf)
{
	enum outcome o;
	int fd = sock_accept(lfd, timeout_ms, &o, errbuf);

	return record_open(pl, "accept", fd, o);
}

int64_t
player_send_once(struct player *pl, size_t len, int flags)
{
	ssize_t n;

	if (len > sizeof(pl->chunk))
		len = sizeof(pl->chunk);
	player_pattern_fill(pl->chunk, len, pl->sent);
	do
		n = send(pl->fd, pl->chunk, len, flags | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n >= 0) {
		pl->sent += (uint64_t)n;
		player_event(pl, "send", n, OUTCOME_OK, 0);
	} else {
		player_event(pl, "send", 0, outcome_from_errno(errno), errno);
	}
	return n;
}

/*
 * One blocking TLS write (writing) or read of up to len bytes, waiting for
 * what OpenSSL asks (at most wait_ms each time). As send(2) and recv(2)
 * return: 0 is the peer's close_notify or bare FIN for a read; -1 with
 * errno (ETIMEDOUT, ECONNRESET, EPROTO, EINTR on a stop).
 */
static ssize_t
tls_io(struct player *pl, void *buf, size_t len, bool writing)
{
	char errbuf[ERRBUF_LEN];
	ssize_t n;
	int w;

	for (;;) {
		n = writing ? tls_write(pl->tls, buf, len, errbuf) :
		    tls_read(pl->tls, buf, len, errbuf);
		if (n != TLS_WANT_READ && n != TLS_WANT_WRITE)
			return n;
		if (stop_requested() != 0) {
			errno = EINTR;
			return -1;
		}
		w = sock_wait(pl->fd, n == TLS_WANT_READ ? POLLIN : POLLOUT,
		    sock_deadline(pl->wait_ms));
		if (w == 0)
			errno = ETIMEDOUT;
		if (w != 1 && errno != EINTR)
			return -1;
	}
}

int
player_tls_accept(struct player *pl, struct tls_ctx *ctx, char *errbuf)
{
	int saved;

	pl->tls = tls_conn_new(ctx, pl->fd, NULL, errbuf);
	if (pl->tls == NULL ||
	    tls_handshake(pl->tls, pl->wait_ms, errbuf) == -1) {
		saved = errno;
		player_event(pl, "tls-handshake", -1, outcome_from_errno(saved),
		    saved);
		errno = saved;
		return -1;
	}
	player_event(pl, "tls-handshake", -1, OUTCOME_OK, 0);
	player_fact_str(pl, "tls_version", tls_conn_version(pl->tls));
	return 0;
}

void
player_tls_close_notify(struct player *pl)
{
	char errbuf[ERRBUF_LEN];
	int rc;

	while ((rc = tls_close_notify(pl->tls, errbuf)) == TLS_WANT_READ ||
	    rc == TLS_WANT_WRITE)
		if (sock_wait(pl->fd, rc == TLS_WANT_READ ? POLLIN : POLLOUT,
		    sock_deadline(pl->wait_ms)) != 1 && errno != EINTR)
			break;
	player_event(pl, "close-notify", -1, rc == 0 ? OUTCOME_OK :
	    outcome_from_errno(errno), rc == 0 ? 0 : errno);
}

/*
 * Send up to total bytes of the pattern, CHUNK at a time with flags, until
 * all is sent, a send fails (*o and *err say why; OUTCOME_OK else) or a
 * stop signal came.
 */
static uint64_t
send_pattern(struct player *pl, uint64_t total, int flags, enum outcome *o,
    int *err)
{
	uint64_t done = 0;

	*o = OUTCOME_OK;
	*err = 0;
	while (done < total && stop_requested() == 0) {
		size_t len = total - done < CHUNK ? total - done : CHUNK;
		ssize_t n;

		player_pattern_fill(pl->chunk, len, pl->sent);
		n = pl->tls != NULL ? tls_io(pl, pl->chunk, len, true) :
		    send(pl->fd, pl->chunk, len, flags | MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*err = errno;
			*o = outcome_from_errno(*err);
			break;
		}
		pl->sent += (uint64_t)n;
		done += (uint64_t)n;
	}
	return done;
}

uint64_t
player_send_stream(struct player *pl, uint64_t total)
{
	enum outcome o;
	int err;
	uint64_t done = send_pattern(pl, total, 0, &o, &err);

	player_event(pl, "send", (int64_t)done, OUTCOME_OK, 0);
	if (o != OUTCOME_OK)
		player_event(pl, "send", 0, o, err);
	return done;
}

uint64_t
player_send_until_full(struct player *pl, uint64_t total)
{
	enum outcome o;
	int err;
	uint64_t done = send_pattern(pl, total, MSG_DONTWAIT, &o, &err);

	if (done > 0 || o == OUTCOME_OK)
		player_event(pl, "send", (int64_t)done, OUTCOME_OK, 0);
	if (o != OUTCOME_OK)
		player_event(pl, "send", 0, o, err);
	return done;
}

uint64_t
player_recv_to_end(struct player *pl, uint64_t max, int flags,
    enum outcome *end)
{
	uint64_t got = 0, bad = 0;
	enum outcome o = OUTCOME_OK;
	int err = 0;

	while (stop_requested() == 0) {
		size_t want = sizeof(pl->chunk);
		ssize_t n;

		if (max > 0 && max - got < want)
			want = max - got;
		if (want == 0)
			break;
		n = pl->tls != NULL ? tls_io(pl, pl->chunk, want, false) :
		    recv(pl->fd, pl->chunk, want, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0) {
			o = OUTCOME_EOF;
			break;
		}
		if (n == -1) {
			err = errno;
			o = outcome_from_errno(err);
			break;
		}
		if (flags & PLAYER_VERIFY)
			for (ssize_t i = 0; i < n; i++)
				if (pl->chunk[i] != player_pattern_byte(
				    pl->received + (uint64_t)i))
					bad++;
		pl->received += (uint64_t)n;
		got += (uint64_t)n;
	}
	if (stop_requested() != 0 && o == OUTCOME_OK) {
		o = OUTCOME_INTERRUPTED;
		err = EINTR;
	}
	if (got > 0 || o == OUTCOME_OK || (flags & PLAYER_COUNT_EMPTY))
		player_event(pl, "recv", (int64_t)got, OUTCOME_OK, 0);
	if (o != OUTCOME_OK)
		player_event(pl, "recv", 0, o, err);
	if (flags & PLAYER_VERIFY)
		player_fact_int(pl, "pattern_errors", (int64_t)bad);
	if (pl->tls != NULL)
		player_fact_str(pl, "tls_peer_end",
		    tls_ending_name(tls_conn_ending(pl->tls)));
	if (end != NULL)
		*end = o;
	return got;
}

uint64_t
player_recv_exact(struct player *pl, size_t len)
{
	enum outcome o;
	size_t n;

	if (len > sizeof(pl->chunk))
		len = sizeof(pl->chunk);
	n = sock_recv_all(pl->fd, pl->chunk, len, &o);
	pl->received += n;
	player_event(pl, "recv", (int64_t)n, o, o == OUTCOME_OK ||
	    o == OUTCOME_EOF ? 0 : errno);
	return n;
}

ssize_t
player_recv_once(struct player *pl, size_t len, int timeout_ms,
    enum outcome *o)
{
	int64_t deadline = sock_deadline(timeout_ms);
	ssize_t n;
	int rc;

	if (len > sizeof(pl->chunk))
		len = sizeof(pl->chunk);
	do
		rc = sock_wait(pl->fd, POLLIN, deadline);
	while (rc == -1 && errno == EINTR);
	if (rc == 0) {
		/* Our own deadline: timeout, errno 0 (TCP's has ETIMEDOUT). */
		*o = OUTCOME_TIMEOUT;
		player_event(pl, "recv", 0, OUTCOME_TIMEOUT, 0);
		return -1;
	}
	do
		n = recv(pl->fd, pl->chunk, len, MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		*o = OUTCOME_OK;
		pl->received += (uint64_t)n;
		player_event(pl, "recv", n, OUTCOME_OK, 0);
	} else if (n == 0) {
		*o = OUTCOME_EOF;
		player_event(pl, "recv", 0, OUTCOME_EOF, 0);
	} else {
		*o = outcome_from_errno(errno);
		player_event(pl, "recv", 0, *o, errno);
	}
	return n;
}

int
player_wait_data(struct player *pl)
{
	int64_t deadline = sock_deadline(pl->wait_ms);
	int rc;

	do
		rc = sock_wait(pl->fd, POLLIN, deadline);
	while (rc == -1 && errno == EINTR && stop_requested() == 0);
	player_fact_int(pl, "unread", sockopt_inq(pl->fd));
	player_event(pl, "wait-data", sockopt_inq(pl->fd), rc == 1 ?
	    OUTCOME_OK : OUTCOME_TIMEOUT, 0);
	return rc == 1 ? 0 : -1;
}

uint64_t
player_echo(struct player *pl, enum outcome *end)
{
	uint64_t echoed = 0;

	*end = OUTCOME_EOF;
	for (;;) {
		ssize_t n = recv(pl->fd, pl->chunk, sizeof(pl->chunk), 0);

		if (n <= 0) {
			*end = n == 0 ? OUTCOME_EOF : outcome_from_errno(errno);
			break;
		}
		if (sock_send_all(pl->fd, pl->chunk, (size_t)n, end) !=
		    (size_t)n)
			break;
		echoed += (uint64_t)n;
	}
	return echoed;
}

/* Poll cond every step_ms until it holds: 0, or -1 after timeout_ms. */
static int
poll_until(struct player *pl, bool (*cond)(struct player *, const void *),
    const void *arg, int timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;

	while (!cond(pl, arg)) {
		if (clock_mono_ms() > deadline || stop_requested() != 0)
			return -1;
		nanosleep(&(struct timespec){ 0, 2 * 1000000 }, NULL);
	}
	return 0;
}

static bool
state_is(struct player *pl, const void *arg)
{
	struct tcpinfo_snap snap;

	return sockopt_tcp_info(pl->fd, &snap, NULL) == 0 &&
	    strcmp(snap.state, arg) == 0;
}

int
player_wait_state(struct player *pl, const char *state, int timeout_ms)
{
	return poll_until(pl, state_is, state, timeout_ms);
}

static bool
inq_at_least(struct player *pl, const void *arg)
{
	return sockopt_inq(pl->fd) >= *(const int *)arg;
}

int
player_wait_inq(struct player *pl, int bytes, int timeout_ms)
{
	return poll_until(pl, inq_at_least, &bytes, timeout_ms);
}

static bool
outq_zero(struct player *pl, const void *arg)
{
	(void)arg;
	return sockopt_outq(pl->fd) == 0;
}

int
player_wait_outq_zero(struct player *pl, int timeout_ms)
{
	return poll_until(pl, outq_zero, NULL, timeout_ms);
}

/* Five equal samples of the send queue 10 ms apart, nothing unacked. */
int
player_wait_outq_stable(struct player *pl, int timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	int last = -2, same = 0;

	while (same < 5) {
		int q = sockopt_outq(pl->fd);
		struct tcpinfo_snap snap;

		if (q == last && sockopt_tcp_info(pl->fd, &snap, NULL) == 0 &&
		    snap.unacked == 0)
			same++;
		else
			same = 0;
		last = q;
		if (clock_mono_ms() > deadline || stop_requested() != 0)
			return -1;
		nanosleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
	}
	return 0;
}

void
player_close(struct player *pl, enum close_how how, struct close_report *r)
{
	const char *op;

	if (how == CLOSE_PLAIN) {
		close_plain(pl->fd, r);
		op = "close";
	} else if (how == CLOSE_ABORT) {
		close_abort(pl->fd, r);
		op = "abort";
	} else {
		close_graceful(pl->fd, NULL, 0, pl->wait_ms, NULL, NULL, r);
		op = "close-graceful";
	}
	pl->fd = -1;
	player_event(pl, op, -1, r->outcome, r->err);
	player_fact_int(pl, "close_unread", (int64_t)r->unread);
	player_fact_int(pl, "close_unsent", (int64_t)r->unsent);
}

void
player_shutdown_wr(struct player *pl)
{
	player_event_rc(pl, "shutdown-wr", -1, shutdown(pl->fd, SHUT_WR));
}

void
player_leave_open(struct player *pl)
{
	player_fact_int(pl, "exit_unread", sockopt_inq(pl->fd));
	player_fact_int(pl, "exit_unsent", sockopt_outq(pl->fd));
	player_event(pl, "exit", -1, OUTCOME_OK, 0);
}

int
player_vanish(struct player *pl, enum vanish_method m, char *errbuf)
{
	if (vanish_apply(m, pl->fd, errbuf) == -1) {
		player_event(pl, "vanish", -1, outcome_from_errno(errno),
		    errno);
		return -1;
	}
	player_event(pl, "vanish", -1, OUTCOME_OK, 0);
	player_fact_str(pl, "vanish_method", vanish_name(m));
	return 0;
}

int
player_keepalive(struct player *pl, int idle, int intvl, int cnt,
    char *errbuf)
{
	if (sockopt_keepalive(pl->fd, idle, intvl, cnt, errbuf) == -1)
		return -1;
	player_event(pl, "keepalive", idle + intvl * cnt, OUTCOME_OK, 0);
	return 0;
}

int
player_user_timeout(struct player *pl, unsigned ms, char *errbuf)
{
	if (sockopt_user_timeout(pl->fd, ms, errbuf) == -1)
		return -1;
	player_event(pl, "user-timeout", ms, OUTCOME_OK, 0);
	return 0;
}

int
player_bufsizes(struct player *pl, int snd, int rcv, char *errbuf)
{
	struct bufsize bs, br;

	if (sockopt_bufsizes(pl->fd, snd, rcv, &bs, &br, errbuf) == -1)
		return -1;
	if (snd > 0)
		player_fact_int(pl, "sndbuf", bs.effective);
	if (rcv > 0)
		player_fact_int(pl, "rcvbuf", br.effective);
	return 0;
}
