/* SPDX-License-Identifier: BSD-2-Clause */
/* One side of a case run, in its own process: socket calls, each recorded. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netdb.h>
#include <netinet/tcp.h>

#include "clock.h"
#include "close.h"
#include "errbuf.h"
#include "sock.h"
#include "sockopt.h"
#include "tcpfault.h"
#include "timeline.h"

#define MAX_TOKENS 16
#define CHUNK (64 * 1024)

struct case_side {
	struct side_env *env;
	struct timeline *tl;
	int fd;
	uint64_t sent;		/* pattern offset of the next byte to send */
	uint64_t received;	/* pattern offset of the next byte read */
	char *tokens[MAX_TOKENS];	/* arrived before anyone waited */
	uint8_t chunk[CHUNK];
};

const char *
role_name(enum case_role id)
{
	return id == ROLE_CLIENT ? "client" : "server";
}

bool
side_is(const struct case_side *s, const char *variant)
{
	return strcmp(s->env->var->name, variant) == 0;
}

int
side_fd(const struct case_side *s)
{
	return s->fd;
}

/* One JSON message to the runner; a lost runner ends this process. */
static void
ctl_send(struct case_side *s, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);

	json_decref(msg);
	if (text == NULL)
		_exit(3);
	if (send(s->env->ctl, text, strlen(text), MSG_NOSIGNAL) == -1)
		_exit(3);
	free(text);
}

void
side_event(struct case_side *s, const char *op, int64_t bytes, enum outcome o,
    int err)
{
	json_t *arr, *ev;
	size_t n;

	if (timeline_add(s->tl, op, bytes, o, err) == -1)
		_exit(3);
	arr = timeline_to_json(s->tl);
	if (arr == NULL)
		_exit(3);
	n = json_array_size(arr);
	ev = json_incref(json_array_get(arr, n - 1));
	json_decref(arr);
	ctl_send(s, json_pack("{s:o}", "ev", ev));
}

void
side_fact_int(struct case_side *s, const char *key, int64_t v)
{
	ctl_send(s, json_pack("{s:s,s:I}", "fact", key, "value",
	    (json_int_t)v));
}

void
side_fact_str(struct case_side *s, const char *key, const char *v)
{
	ctl_send(s, json_pack("{s:s,s:s}", "fact", key, "value", v));
}

void
side_signal(struct case_side *s, const char *token)
{
	ctl_send(s, json_pack("{s:s}", "sync", token));
}

void
side_fail(struct case_side *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_send(s, json_pack("{s:s}", "error", msg));
	_exit(1);
}

void
side_errx(struct case_side *s, const char *what)
{
	side_fail(s, "%s: %s", what, strerror(errno));
}

/* Take a token that arrived earlier, if it is there. */
static bool
token_take(struct case_side *s, const char *token)
{
	for (int i = 0; i < MAX_TOKENS; i++) {
		if (s->tokens[i] != NULL && strcmp(s->tokens[i], token) == 0) {
			free(s->tokens[i]);
			s->tokens[i] = NULL;
			return true;
		}
	}
	return false;
}

static void
token_keep(struct case_side *s, const char *token)
{
	for (int i = 0; i < MAX_TOKENS; i++) {
		if (s->tokens[i] == NULL) {
			s->tokens[i] = strdup(token);
			return;
		}
	}
}

void
side_wait(struct case_side *s, const char *token)
{
	int64_t deadline = sock_deadline(SIDE_WAIT_MS);
	char buf[256];
	ssize_t n;
	int rc;

	if (token_take(s, token))
		return;
	for (;;) {
		rc = sock_wait(s->env->ctl, POLLIN, deadline);
		if (rc == 0)
			side_fail(s, "waited %d ms for '%s'", SIDE_WAIT_MS,
			    token);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			side_errx(s, "poll");
		n = recv(s->env->ctl, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			_exit(3);	/* the runner is gone */
		buf[n] = '\0';
		if (strcmp(buf, token) == 0)
			return;
		if (strcmp(buf, "release") == 0)
			side_fail(s, "the run ended while waiting for '%s'",
			    token);
		token_keep(s, buf);
	}
}

void
side_event_rc(struct case_side *s, const char *op, int64_t bytes, int rc)
{
	side_event(s, op, bytes, rc == 0 ? OUTCOME_OK :
	    outcome_from_errno(errno), rc == 0 ? 0 : errno);
}

void
side_adopt_fd(struct case_side *s, int fd)
{
	s->fd = fd;
	side_fact_int(s, "local_port", sock_local_port(fd));
	/* The runner may borrow it with pidfd_getfd() to read its queues. */
	side_fact_int(s, "fd", fd);
}

/* Record how a connect or accept ended; fail the side, or adopt fd. */
static void
record_open(struct case_side *s, const char *op, int fd, enum outcome o,
    const char *errbuf)
{
	side_event(s, op, -1, fd == -1 ? o : OUTCOME_OK, fd == -1 ? errno : 0);
	if (fd == -1)
		side_fail(s, "%s", errbuf);
	side_adopt_fd(s, fd);
}

void
side_connect(struct case_side *s)
{
	char errbuf[ERRBUF_LEN];
	enum outcome o;
	int fd;

	fd = sock_connect(s->env->host, s->env->port, NULL, &o, errbuf);
	record_open(s, "connect", fd, o, errbuf);
}

/*
 * Connect with SO_RCVBUF set first, so the window offered in the SYN and
 * every later one already honour it (a tiny receive window).
 */
void
side_connect_rcvbuf(struct case_side *s, int rcvbuf)
{
	char errbuf[ERRBUF_LEN];
	struct addrinfo *ai;
	int fd, rc;

	ai = addr_resolve(s->env->host, s->env->port, ADDR_V4, false, errbuf);
	if (ai == NULL)
		side_fail(s, "%s", errbuf);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		side_errx(s, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		side_errx(s, "SO_RCVBUF");
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	side_event_rc(s, "connect", -1, rc);
	if (rc == -1)
		side_errx(s, "connect");
	side_adopt_fd(s, fd);
	{
		int eff = 0;
		socklen_t len = sizeof(eff);

		getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &eff, &len);
		side_fact_int(s, "rcvbuf", eff);
	}
}

void
side_accept(struct case_side *s)
{
	char errbuf[ERRBUF_LEN];
	enum outcome o;
	int fd;

	fd = sock_accept(s->env->listen_fd, SIDE_WAIT_MS, &o, errbuf);
	record_open(s, "accept", fd, o, errbuf);
	close(s->env->listen_fd);
	s->env->listen_fd = -1;
}

int64_t
side_send(struct case_side *s, size_t len, int flags)
{
	ssize_t n;

	if (len > sizeof(s->chunk))
		len = sizeof(s->chunk);
	pattern_fill(s->chunk, len, s->sent);
	do
		n = send(s->fd, s->chunk, len, flags | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n >= 0) {
		s->sent += (uint64_t)n;
		side_event(s, "send", n, OUTCOME_OK, 0);
	} else {
		side_event(s, "send", 0, outcome_from_errno(errno), errno);
	}
	return n;
}

/*
 * Send up to total bytes of the pattern, CHUNK at a time with flags, until
 * all is sent or a send fails (*o and *err say why; OUTCOME_OK else).
 */
static uint64_t
send_pattern(struct case_side *s, uint64_t total, int flags, enum outcome *o,
    int *err)
{
	uint64_t done = 0;

	*o = OUTCOME_OK;
	*err = 0;
	while (done < total) {
		size_t len = total - done < CHUNK ? total - done : CHUNK;
		ssize_t n;

		pattern_fill(s->chunk, len, s->sent);
		n = send(s->fd, s->chunk, len, flags | MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*err = errno;
			*o = outcome_from_errno(*err);
			break;
		}
		s->sent += (uint64_t)n;
		done += (uint64_t)n;
	}
	return done;
}

uint64_t
side_send_stream(struct case_side *s, uint64_t total)
{
	enum outcome o;
	int err;
	uint64_t done = send_pattern(s, total, 0, &o, &err);

	side_event(s, "send", (int64_t)done, OUTCOME_OK, 0);
	if (o != OUTCOME_OK)
		side_event(s, "send", 0, o, err);
	return done;
}

uint64_t
side_send_until_full(struct case_side *s, uint64_t total)
{
	enum outcome o;
	int err;
	uint64_t done = send_pattern(s, total, MSG_DONTWAIT, &o, &err);

	if (done > 0 || o == OUTCOME_OK)
		side_event(s, "send", (int64_t)done, OUTCOME_OK, 0);
	if (o != OUTCOME_OK)
		side_event(s, "send", 0, o, err);
	return done;
}

uint64_t
side_recv_to_end(struct case_side *s, uint64_t max, bool verify,
    enum outcome *end)
{
	uint64_t got = 0, bad = 0;
	enum outcome o = OUTCOME_OK;
	int err = 0;

	for (;;) {
		size_t want = sizeof(s->chunk);
		ssize_t n;

		if (max > 0 && max - got < want)
			want = max - got;
		if (want == 0)
			break;
		n = recv(s->fd, s->chunk, want, 0);
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
		if (verify)
			for (ssize_t i = 0; i < n; i++)
				if (s->chunk[i] != pattern_byte(s->received +
				    (uint64_t)i))
					bad++;
		s->received += (uint64_t)n;
		got += (uint64_t)n;
	}
	if (got > 0 || o == OUTCOME_OK)
		side_event(s, "recv", (int64_t)got, OUTCOME_OK, 0);
	if (o != OUTCOME_OK)
		side_event(s, "recv", 0, o, err);
	if (verify)
		side_fact_int(s, "pattern_errors", (int64_t)bad);
	if (end != NULL)
		*end = o;
	return got;
}

uint64_t
side_recv_exact(struct case_side *s, size_t len)
{
	enum outcome o;
	size_t n;

	if (len > sizeof(s->chunk))
		len = sizeof(s->chunk);
	n = sock_recv_all(s->fd, s->chunk, len, &o);
	s->received += n;
	side_event(s, "recv", (int64_t)n, o, o == OUTCOME_OK ||
	    o == OUTCOME_EOF ? 0 : errno);
	return n;
}

ssize_t
side_recv_once(struct case_side *s, size_t len, int timeout_ms, enum outcome *o)
{
	int64_t deadline = sock_deadline(timeout_ms);
	ssize_t n;
	int rc;

	if (len > sizeof(s->chunk))
		len = sizeof(s->chunk);
	do
		rc = sock_wait(s->fd, POLLIN, deadline);
	while (rc == -1 && errno == EINTR);
	if (rc == 0) {
		/* Our own deadline: timeout with errno 0 (TCP's has ETIMEDOUT). */
		*o = OUTCOME_TIMEOUT;
		side_event(s, "recv", 0, OUTCOME_TIMEOUT, 0);
		return -1;
	}
	do
		n = recv(s->fd, s->chunk, len, MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		*o = OUTCOME_OK;
		s->received += (uint64_t)n;
		side_event(s, "recv", n, OUTCOME_OK, 0);
	} else if (n == 0) {
		*o = OUTCOME_EOF;
		side_event(s, "recv", 0, OUTCOME_EOF, 0);
	} else {
		*o = outcome_from_errno(errno);
		side_event(s, "recv", 0, *o, errno);
	}
	return n;
}

/* Poll cond every 2 ms until it holds; fail the side after SIDE_WAIT_MS. */
static void
poll_until(struct case_side *s, bool (*cond)(struct case_side *, const void *),
    const void *arg, const char *what)
{
	int64_t deadline = clock_mono_ms() + SIDE_WAIT_MS;

	while (!cond(s, arg)) {
		if (clock_mono_ms() > deadline)
			side_fail(s, "waited %d ms for %s", SIDE_WAIT_MS, what);
		nanosleep(&(struct timespec){ 0, 2 * 1000000 }, NULL);
	}
}

static bool
state_is(struct case_side *s, const void *arg)
{
	struct tcpinfo_snap snap;

	return sockopt_tcp_info(s->fd, &snap, NULL) == 0 &&
	    strcmp(snap.state, arg) == 0;
}

void
side_wait_state(struct case_side *s, const char *state)
{
	char what[64];

	snprintf(what, sizeof(what), "state %s", state);
	poll_until(s, state_is, state, what);
}

static bool
inq_at_least(struct case_side *s, const void *arg)
{
	return sockopt_inq(s->fd) >= *(const int *)arg;
}

void
side_wait_inq(struct case_side *s, int bytes)
{
	char what[64];

	snprintf(what, sizeof(what), "%d bytes in the receive queue", bytes);
	poll_until(s, inq_at_least, &bytes, what);
}

static bool
outq_zero(struct case_side *s, const void *arg)
{
	return sockopt_outq(s->fd) == 0;
}

void
side_wait_outq_zero(struct case_side *s)
{
	poll_until(s, outq_zero, NULL,
	    "the peer to acknowledge everything sent");
}

/*
 * The send queue stops changing: the peer's window is closed and nothing
 * more will move until it reads. Five equal samples 10 ms apart.
 */
void
side_wait_outq_stable(struct case_side *s)
{
	int64_t deadline = clock_mono_ms() + SIDE_WAIT_MS;
	int last = -2, same = 0;

	while (same < 5) {
		int q = sockopt_outq(s->fd);
		struct tcpinfo_snap snap;

		if (q == last && sockopt_tcp_info(s->fd, &snap, NULL) == 0 &&
		    snap.unacked == 0)
			same++;
		else
			same = 0;
		last = q;
		if (clock_mono_ms() > deadline)
			side_fail(s, "the send queue kept changing for %d ms",
			    SIDE_WAIT_MS);
		nanosleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
	}
}

static void
record_close(struct case_side *s, const char *op, int rc,
    const struct close_report *r)
{
	side_event(s, op, -1, r->outcome, r->err);
	side_fact_int(s, "close_unread", (int64_t)r->unread);
	side_fact_int(s, "close_unsent", (int64_t)r->unsent);
	if (r->how == CLOSE_GRACEFUL)
		side_fact_int(s, "close_drained", (int64_t)r->drained);
	(void)rc;
	s->fd = -1;
}

void
side_close_plain(struct case_side *s)
{
	struct close_report r;
	int rc = close_plain(s->fd, &r);

	record_close(s, "close", rc, &r);
}

void
side_close_abort(struct case_side *s)
{
	struct close_report r;
	int rc = close_abort(s->fd, &r);

	record_close(s, "abort", rc, &r);
}

void
side_close_graceful(struct case_side *s)
{
	struct close_report r;
	int rc = close_graceful(s->fd, NULL, 0, SIDE_WAIT_MS, NULL, NULL, &r);

	record_close(s, "close-graceful", rc, &r);
}

void
side_shutdown_wr(struct case_side *s)
{
	side_event_rc(s, "shutdown-wr", -1, shutdown(s->fd, SHUT_WR));
}

void
side_exit_without_close(struct case_side *s)
{
	side_fact_int(s, "exit_unread", sockopt_inq(s->fd));
	side_fact_int(s, "exit_unsent", sockopt_outq(s->fd));
	side_event(s, "exit", -1, OUTCOME_OK, 0);
	/* The kernel closes the socket as the process ends. */
	_exit(0);
}

void
side_mark_time(struct case_side *s, const char *key)
{
	side_fact_int(s, key, clock_wall_us());
}

void
side_vanish(struct case_side *s)
{
	char errbuf[ERRBUF_LEN];

	if (vanish_apply(s->env->vanish, s->fd, errbuf) == -1) {
		side_event(s, "vanish", -1, outcome_from_errno(errno), errno);
		side_fail(s, "vanish (%s): %s", vanish_name(s->env->vanish),
		    errbuf);
	}
	side_event(s, "vanish", -1, OUTCOME_OK, 0);
	side_fact_str(s, "vanish_method", vanish_name(s->env->vanish));
	side_mark_time(s, "vanish_real_us");
}

void
side_send_after_peer_close(struct case_side *s, size_t len, bool verify)
{
	side_wait(s, "closed");
	side_wait_state(s, "CLOSE_WAIT");	/* the FIN is here */
	side_send(s, len, 0);
	side_wait_state(s, "CLOSE");		/* the answering RST too */
	side_send(s, len, 0);
	side_recv_to_end(s, 0, verify, NULL);
	side_close_plain(s);
}

void
side_setsockopt_int(struct case_side *s, int level, int name, int v,
    const char *what)
{
	if (setsockopt(s->fd, level, name, &v, sizeof(v)) == -1)
		side_errx(s, what);
}

void
side_keepalive(struct case_side *s, int idle, int intvl, int cnt)
{
	char errbuf[ERRBUF_LEN];

	if (sockopt_keepalive(s->fd, idle, intvl, cnt, errbuf) == -1)
		side_fail(s, "%s", errbuf);
	side_event(s, "keepalive", idle + intvl * cnt, OUTCOME_OK, 0);
}

void
side_user_timeout(struct case_side *s, unsigned ms)
{
	char errbuf[ERRBUF_LEN];

	if (sockopt_user_timeout(s->fd, ms, errbuf) == -1)
		side_fail(s, "%s", errbuf);
	side_event(s, "user-timeout", ms, OUTCOME_OK, 0);
}

void
side_bufsizes(struct case_side *s, int snd, int rcv)
{
	struct bufsize bs, br;
	char errbuf[ERRBUF_LEN];

	if (sockopt_bufsizes(s->fd, snd, rcv, &bs, &br, errbuf) == -1)
		side_fail(s, "%s", errbuf);
	if (snd > 0)
		side_fact_int(s, "sndbuf", bs.effective);
	if (rcv > 0)
		side_fact_int(s, "rcvbuf", br.effective);
}

void
side_main(struct side_env *env)
{
	struct case_side *s = calloc(1, sizeof(*s));
	side_script_fn *fn;

	if (s == NULL)
		_exit(3);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	s->env = env;
	s->fd = -1;
	s->tl = timeline_new(role_name(env->id), env->epoch_us);
	if (s->tl == NULL)
		_exit(3);
	fn = env->id == ROLE_CLIENT ? env->fc->client : env->fc->server;
	if (fn != NULL)
		fn(s);
	ctl_send(s, json_pack("{s:b}", "done", 1));
	/* Hold whatever is still open until the capture has ended. */
	for (;;) {
		char buf[64];
		ssize_t n = recv(env->ctl, buf, sizeof(buf) - 1, 0);

		if (n <= 0)
			break;
		buf[n] = '\0';
		if (strcmp(buf, "release") == 0)
			break;
	}
	if (s->fd != -1) {
		struct close_report r;

		close_abort(s->fd, &r);
	}
	_exit(0);
}
