/* SPDX-License-Identifier: BSD-2-Clause */
/* The one stop-signal setup: SIGINT and SIGTERM end a run, SIGPIPE never does. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/signalfd.h>
#include <pthread.h>
#include <unistd.h>

#include "errbuf.h"
#include "stop.h"

static volatile sig_atomic_t stop_sig;
static void (*stop_hook)(int sig);

static void
on_stop(int sig)
{
	int saved = errno;

	stop_sig = sig;
	if (stop_hook != NULL)
		stop_hook(sig);
	errno = saved;
}

static void
ending_set(sigset_t *set, bool hup)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	if (hup)
		sigaddset(set, SIGHUP);
}

int
stop_catch(void (*hook)(int sig), char *errbuf)
{
	struct sigaction sa;

	signal(SIGPIPE, SIG_IGN);
	stop_hook = hook;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1) {
		errbuf_set(errbuf, "sigaction: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
stop_requested(void)
{
	return stop_sig;
}

/* Ignore SIGPIPE and block the ending signals in the calling thread. */
static int
block_ending(bool hup, sigset_t *set, char *errbuf)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	ending_set(set, hup);
	if ((rc = pthread_sigmask(SIG_BLOCK, set, NULL)) != 0) {
		errbuf_set(errbuf, "block the stop signals: %s", strerror(rc));
		return -1;
	}
	return 0;
}

int
stop_fd_open(bool hup, char *errbuf)
{
	sigset_t set;
	int fd;

	if (block_ending(hup, &set, errbuf) == -1)
		return -1;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd == -1)
		errbuf_set(errbuf, "signalfd: %s", strerror(errno));
	return fd;
}

int
stop_fd_read(int fd)
{
	struct signalfd_siginfo si;
	int sig = 0;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		sig = (int)si.ssi_signo;
	if (sig != 0)
		stop_sig = sig;
	return sig;
}

int
stop_block(char *errbuf)
{
	sigset_t set;

	return block_ending(false, &set, errbuf);
}

int
stop_wait(void)
{
	sigset_t set;
	int sig;

	ending_set(&set, false);
	while (sigwait(&set, &sig) != 0)
		;
	stop_sig = sig;
	return sig;
}
