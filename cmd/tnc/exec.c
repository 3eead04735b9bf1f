/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc -e and -c: a program per connection, relayed over a socketpair. */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errbuf.h"
#include "evloop.h"
#include "relay.h"
#include "tnc.h"

/* The relay's ends: the connection and the program's socketpair end. */
enum { END_NET = 0, END_PROG = 1 };

struct exec_session {
	const struct tnc_config *cfg;
	const char *peer;
	const char *name;	/* the program as -v names it */
	struct evloop *loop;
	struct relay_pair *pair;
	enum outcome outcome;
	int status;
	pid_t pid;		/* 0 once reaped */
	int pidfd;
	int hold;		/* our copy of the program's socket end */
};

static void
on_event(const struct relay_event *ev, void *arg)
{
	struct exec_session *s = arg;
	unsigned long long net = ev->bytes[END_NET];
	unsigned long long prog = ev->bytes[END_PROG];

	switch (ev->kind) {
	case RELAY_EV_PAUSED:
		break;
	case RELAY_EV_EOF:
		if (ev->end == END_NET)
			tnc_event("peer EOF after %llu bytes -> EOF on %s's "
			    "stdin", net, s->name);
		else
			tnc_event("%s ended after %llu bytes -> FIN sent",
			    s->name, prog);
		break;
	case RELAY_EV_ERROR:
		tnc_event("%s: %s %s (%s) after %llu bytes from the peer, "
		    "%llu from %s", ev->end == END_NET ? s->peer : s->name,
		    ev->during, outcome_name(ev->outcome), errno_name(ev->err),
		    net, prog, s->name);
		if (ev->end == END_NET)
			warnx("%s: %s: %s (%s) after %llu bytes received, "
			    "%llu bytes sent", s->peer, ev->during,
			    outcome_name(ev->outcome), errno_name(ev->err),
			    net, prog);
		break;
	case RELAY_EV_DEADLINE:
		tnc_event("%s deadline -> RST sent and %s's socket closed",
		    ev->during, s->name);
		warnx("%s: %s %s: connection aborted (RST) after %llu bytes "
		    "received, %llu bytes sent", s->peer,
		    outcome_name(OUTCOME_TIMEOUT), ev->during, net, prog);
		break;
	case RELAY_EV_END:
		s->outcome = ev->outcome;
		tnc_event("connection closed (%s): %llu bytes to %s, %llu "
		    "bytes from it", outcome_name(ev->outcome), net, s->name,
		    prog);
		tnc_stats(s->cfg, s->peer, prog, net);
		evloop_stop(s->loop);
		break;
	}
}

static void
say_stopped(int sig, void *arg)
{
	struct exec_session *s = arg;

	tnc_event("signal %d: stopping -> RST sent after %llu bytes "
	    "received, %llu bytes sent", sig,
	    (unsigned long long)relay_pair_bytes(s->pair, END_NET),
	    (unsigned long long)relay_pair_bytes(s->pair, END_PROG));
}

static void reap_child(struct exec_session *s, bool block);

/*
 * The program exited: its end of the socketpair is now only ours, so a
 * shutdown gives the relay its EOF, a FIN-like end the relay passes on.
 * (Its own close would hang the socket up, which reads as a failure.)
 */
static void
on_child_exit(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct exec_session *s = arg;

	(void)events;
	evloop_del(loop, fd);
	reap_child(s, false);
	shutdown(s->hold, SHUT_WR);
}

/* In the child: the socket as stdin and stdout, then the program. */
static void __attribute__((noreturn))
run_child(const struct tnc_config *cfg, int sock)
{
	sigset_t all;

	/* exec keeps ignored signals and the mask: give the program
	   the defaults a shell would. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	if (dup2(sock, STDIN_FILENO) == -1 || dup2(sock, STDOUT_FILENO) == -1)
		_exit(127);
	if (cfg->exec_cmd != NULL)
		execl("/bin/sh", "sh", "-c", cfg->exec_cmd, (char *)NULL);
	else
		execlp(cfg->exec_prog, cfg->exec_prog, (char *)NULL);
	warn("exec %s", cfg->exec_cmd != NULL ? "/bin/sh" : cfg->exec_prog);
	_exit(127);
}

/* Reap the program (waiting when block) and say how it ended. */
static void
reap_child(struct exec_session *s, bool block)
{
	pid_t rc;
	int wst;

	if (s->pid == 0)
		return;
	while ((rc = waitpid(s->pid, &wst, block ? 0 : WNOHANG)) == -1)
		if (errno != EINTR) {
			warn("wait for %s", s->name);
			s->pid = 0;
			return;
		}
	if (rc == 0)
		return;
	s->pid = 0;
	if (WIFEXITED(wst))
		tnc_event("%s exited with status %d", s->name,
		    WEXITSTATUS(wst));
	else if (WIFSIGNALED(wst))
		tnc_event("%s killed by signal %d", s->name, WTERMSIG(wst));
}

int
tnc_exec_session(const struct tnc_config *cfg, int fd, struct tls_conn *tls,
    const char *peer, int sigfd)
{
	struct exec_session s = {
		.cfg = cfg,
		.peer = peer,
		.name = cfg->exec_cmd != NULL ? cfg->exec_cmd : cfg->exec_prog,
	};
	struct tnc_stop st = { say_stopped, &s, &s.status };
	struct relay_opts o = { .rst_flush_ms = 2000, .on_event = on_event,
	    .arg = &s };
	char errbuf[ERRBUF_LEN];
	struct relay *r;
	int sv[2];
	pid_t pid;

	tnc_session_relay_opts(cfg, &o);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		err(EXIT_FAIL, "socketpair");
	if ((pid = fork()) == -1)
		err(EXIT_FAIL, "fork");
	if (pid == 0) {
		close(fd);
		close(sv[0]);
		run_child(cfg, sv[1]);
	}
	s.pid = pid;
	s.hold = sv[1];
	if ((s.pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		err(EXIT_FAIL, "pidfd_open");
	tnc_event("running %s (pid %ld)", s.name, (long)pid);
	if ((s.loop = evloop_new(errbuf)) == NULL ||
	    (r = relay_new(s.loop, &o, errbuf)) == NULL)
		errx(EXIT_FAIL, "%s", errbuf);
	s.pair = tls != NULL ? relay_pair_add_tls(r, tls, sv[0], &s, errbuf) :
	    relay_pair_add(r, fd, sv[0], &s, errbuf);
	if (s.pair == NULL)
		errx(EXIT_FAIL, "%s: %s", peer, errbuf);
	tnc_watch_stop(s.loop, sigfd, &st);
	if (evloop_add(s.loop, s.pidfd, EV_READ, on_child_exit, &s) == -1)
		err(EXIT_FAIL, "watch the program");
	if (evloop_run(s.loop) == -1)
		err(EXIT_FAIL, "event loop");
	evloop_del(s.loop, sigfd);
	if (s.pid != 0)
		evloop_del(s.loop, s.pidfd);
	relay_free(r);
	evloop_free(s.loop);
	/* The connection is over; a program still running gets EOF. */
	close(s.hold);
	if (s.status != 0 && s.pid != 0)
		kill(s.pid, SIGTERM);
	reap_child(&s, true);
	close(s.pidfd);
	return s.status != 0 ? s.status : exit_for_outcome(s.outcome);
}
