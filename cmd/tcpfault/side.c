/* SPDX-License-Identifier: BSD-2-Clause */
/* One side of a case run, in its own process: a player tied to the runner. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netdb.h>

#include "addr.h"
#include "clock.h"
#include "close.h"
#include "errbuf.h"
#include "player.h"
#include "side.h"
#include "sock.h"

#define MAX_TOKENS 16

struct case_side {
	struct side_env *env;
	struct player *pl;
	char *tokens[MAX_TOKENS];	/* arrived before anyone waited */
};

bool
side_is(const struct case_side *s, const char *variant)
{
	return strcmp(s->env->var->name, variant) == 0;
}

struct player *
side_player(struct case_side *s)
{
	return s->pl;
}

int
side_fd(const struct case_side *s)
{
	return player_fd(s->pl);
}

/* One JSON message to the runner; a lost runner ends this process. */
static void
ctl_send(int ctl, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);

	json_decref(msg);
	if (text == NULL)
		_exit(3);
	if (send(ctl, text, strlen(text), MSG_NOSIGNAL) == -1)
		_exit(3);
	free(text);
}

/* The player's tap: every event and fact goes to the runner at once. */
static void
tap_event(void *arg, json_t *ev)
{
	const struct side_env *env = arg;

	ctl_send(env->ctl, json_pack("{s:O}", "ev", ev));
}

static void
tap_fact(void *arg, const char *key, json_t *value)
{
	const struct side_env *env = arg;

	ctl_send(env->ctl, json_pack("{s:s,s:O}", "fact", key, "value",
	    value));
}

void
side_event(struct case_side *s, const char *op, int64_t bytes,
    enum outcome o, int err)
{
	player_event(s->pl, op, bytes, o, err);
}

void
side_fact_int(struct case_side *s, const char *key, int64_t v)
{
	player_fact_int(s->pl, key, v);
}

void
side_fact_str(struct case_side *s, const char *key, const char *v)
{
	player_fact_str(s->pl, key, v);
}

void
side_signal(struct case_side *s, const char *token)
{
	ctl_send(s->env->ctl, json_pack("{s:s}", "sync", token));
}

void
side_fail(struct case_side *s, const char *fmt, ...)
{
	va_list ap;
	json_t *msg;

	va_start(ap, fmt);
	msg = json_vsprintf(fmt, ap);
	va_end(ap);
	ctl_send(s->env->ctl, json_pack("{s:o}", "error", msg));
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
	player_event_rc(s->pl, op, bytes, rc);
}

void
side_adopt_fd(struct case_side *s, int fd)
{
	player_set_fd(s->pl, fd);
	side_fact_int(s, "local_port", sock_local_port(fd));
	/* The runner may borrow it with pidfd_getfd() to read its queues. */
	side_fact_int(s, "fd", fd);
}

void
side_connect(struct case_side *s)
{
	char errbuf[ERRBUF_LEN];
	int fd = player_connect(s->pl, s->env->host, s->env->port, errbuf);

	if (fd == -1)
		side_fail(s, "%s", errbuf);
	side_adopt_fd(s, fd);
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
	int fd = player_accept(s->pl, s->env->listen_fd, SIDE_WAIT_MS,
	    errbuf);

	if (fd == -1)
		side_fail(s, "%s", errbuf);
	side_adopt_fd(s, fd);
	close(s->env->listen_fd);
	s->env->listen_fd = -1;
}

uint64_t
side_recv_to_end(struct case_side *s, uint64_t max, bool verify,
    enum outcome *end)
{
	return player_recv_to_end(s->pl, max, verify ? PLAYER_VERIFY : 0,
	    end);
}

uint64_t
side_echo(struct case_side *s)
{
	enum outcome o;

	return player_echo(s->pl, &o);
}

void
side_wait_state(struct case_side *s, const char *state)
{
	if (player_wait_state(s->pl, state, SIDE_WAIT_MS) == -1)
		side_fail(s, "waited %d ms for state %s", SIDE_WAIT_MS, state);
}

void
side_wait_inq(struct case_side *s, int bytes)
{
	if (player_wait_inq(s->pl, bytes, SIDE_WAIT_MS) == -1)
		side_fail(s, "waited %d ms for %d bytes in the receive queue",
		    SIDE_WAIT_MS, bytes);
}

void
side_wait_outq_zero(struct case_side *s)
{
	if (player_wait_outq_zero(s->pl, SIDE_WAIT_MS) == -1)
		side_fail(s, "waited %d ms for the peer to acknowledge "
		    "everything sent", SIDE_WAIT_MS);
}

void
side_wait_outq_stable(struct case_side *s)
{
	if (player_wait_outq_stable(s->pl, SIDE_WAIT_MS) == -1)
		side_fail(s, "the send queue kept changing for %d ms",
		    SIDE_WAIT_MS);
}

void
side_close_plain(struct case_side *s)
{
	struct close_report r;

	player_close(s->pl, CLOSE_PLAIN, &r);
}

void
side_close_abort(struct case_side *s)
{
	struct close_report r;

	player_close(s->pl, CLOSE_ABORT, &r);
}

void
side_close_graceful(struct case_side *s)
{
	struct close_report r;

	player_close(s->pl, CLOSE_GRACEFUL, &r);
	side_fact_int(s, "close_drained", (int64_t)r.drained);
}

void
side_shutdown_wr(struct case_side *s)
{
	player_shutdown_wr(s->pl);
}

void
side_exit_without_close(struct case_side *s)
{
	player_leave_open(s->pl);
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

	if (player_vanish(s->pl, s->env->vanish, errbuf) == -1)
		side_fail(s, "vanish (%s): %s", vanish_name(s->env->vanish),
		    errbuf);
	side_mark_time(s, "vanish_real_us");
}

void
side_send_after_peer_close(struct case_side *s, size_t len, bool verify)
{
	side_wait(s, "closed");
	side_wait_state(s, "CLOSE_WAIT");	/* the FIN is here */
	player_send_once(side_player(s), len, 0);
	side_wait_state(s, "CLOSE");		/* the answering RST too */
	player_send_once(side_player(s), len, 0);
	side_read_to_end_close(s, verify);
}

void
side_read_to_end_close(struct case_side *s, bool verify)
{
	side_recv_to_end(s, 0, verify, NULL);
	side_close_plain(s);
}

void
side_setsockopt_int(struct case_side *s, int level, int name, int v,
    const char *what)
{
	if (setsockopt(side_fd(s), level, name, &v, sizeof(v)) == -1)
		side_errx(s, what);
}

void
side_keepalive(struct case_side *s, int idle, int intvl, int cnt)
{
	char errbuf[ERRBUF_LEN];

	if (player_keepalive(s->pl, idle, intvl, cnt, errbuf) == -1)
		side_fail(s, "%s", errbuf);
}

void
side_user_timeout(struct case_side *s, unsigned ms)
{
	char errbuf[ERRBUF_LEN];

	if (player_user_timeout(s->pl, ms, errbuf) == -1)
		side_fail(s, "%s", errbuf);
}

void
side_bufsizes(struct case_side *s, int snd, int rcv)
{
	char errbuf[ERRBUF_LEN];

	if (player_bufsizes(s->pl, snd, rcv, errbuf) == -1)
		side_fail(s, "%s", errbuf);
}

void
side_main(struct side_env *env)
{
	struct player_tap tap = { tap_event, tap_fact, env };
	struct case_side *s = calloc(1, sizeof(*s));
	side_script_fn *fn;

	if (s == NULL)
		_exit(3);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	s->env = env;
	s->pl = player_new(role_name(env->id), env->epoch_us, SIDE_WAIT_MS,
	    &tap);
	if (s->pl == NULL)
		_exit(3);
	fn = env->id == ROLE_CLIENT ? env->fc->play->client :
	    env->fc->play->server;
	if (fn != NULL)
		fn(s);
	ctl_send(env->ctl, json_pack("{s:b}", "done", 1));
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
	if (side_fd(s) != -1) {
		struct close_report r;

		close_abort(side_fd(s), &r);
	}
	_exit(0);
}
