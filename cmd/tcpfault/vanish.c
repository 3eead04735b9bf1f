/* SPDX-License-Identifier: BSD-2-Clause */
/* Making one end of a connection vanish for real: no FIN, RST or ACK. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>

#include "errbuf.h"
#include "sock.h"
#include "vanish.h"

/*
 * Three ways were considered. (1) A classic BPF socket filter that returns
 * 0 drops every segment for that socket in tcp_v4_rcv() before TCP sees
 * it, so its kernel never ACKs, never answers with RST, and the socket
 * stays silent as long as it has nothing of its own to send (the case
 * holds it open, idle, until the capture has ended). Allowed without
 * privileges. (2) nftables rules in a private network namespace drop the
 * socket's port in both directions at the IP layer: the whole "host"
 * behind that port is dead. Needs root. (3) Taking a veth link down was
 * tried and rejected: with the carrier gone the survivor's own qdisc drops
 * its retransmissions before any capture tap sees them, so the wire could
 * not prove the vanish (tcpfault never claims what the capture cannot
 * show).
 */

const char *
vanish_name(enum vanish_method m)
{
	switch (m) {
	case VANISH_AUTO:
		return "auto";
	case VANISH_FILTER:
		return "filter";
	case VANISH_NFT:
		return "nft";
	case VANISH_NONE:
		break;
	}
	return "none";
}

int
vanish_parse(const char *name, enum vanish_method *m)
{
	static const enum vanish_method all[] = { VANISH_AUTO, VANISH_FILTER,
	    VANISH_NFT };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(name, vanish_name(all[i])) == 0) {
			*m = all[i];
			return 0;
		}
	}
	return -1;
}

static int
attach_drop_all(int fd)
{
	struct sock_filter drop[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog));
}

/* Run nft -f - with script on stdin; 0 when it exits 0. */
static int
run_nft(const char *script, char *errbuf)
{
	int in[2], status;
	pid_t pid;
	size_t len = strlen(script);

	if (pipe2(in, O_CLOEXEC) == -1) {
		errbuf_set(errbuf, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		errbuf_set(errbuf, "fork: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		/* Dies with the side that ran it (Ctrl-C, kill). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);

		dup2(in[0], 0);
		if (devnull != -1) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execlp("nft", "nft", "-f", "-", (char *)NULL);
		execl("/usr/sbin/nft", "nft", "-f", "-", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	if (write(in[1], script, len) != (ssize_t)len) {
		errbuf_set(errbuf, "nft: writing the ruleset failed");
		close(in[1]);
		waitpid(pid, &status, 0);
		return -1;
	}
	close(in[1]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		errbuf_set(errbuf, "nft is not installed");
	else
		errbuf_set(errbuf, "nft refused the ruleset (exit %d)",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	errno = EPERM;
	return -1;
}

int
netns_enter(char *errbuf)
{
	struct ifreq ifr;
	int fd;

	if (unshare(CLONE_NEWNET) == -1) {
		errbuf_set(errbuf, "private network namespace: %s%s",
		    strerror(errno), errno == EPERM ? " (needs root)" : "");
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		errbuf_set(errbuf, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)) {
		errbuf_set(errbuf, "bring lo up in the namespace: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
vanish_probe(enum vanish_method m, char *why, size_t len)
{
	char errbuf[ERRBUF_LEN];
	int fd, status;
	pid_t pid;

	switch (m) {
	case VANISH_FILTER:
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1 || attach_drop_all(fd) == -1) {
			snprintf(why, len, "socket filter refused: %s",
			    strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		close(fd);
		return 0;
	case VANISH_NFT:
		/* Try it for real in a throw-away namespace. */
		pid = fork();
		if (pid == -1) {
			snprintf(why, len, "fork: %s", strerror(errno));
			return -1;
		}
		if (pid == 0) {
			if (netns_enter(errbuf) == -1)
				_exit(2);
			_exit(run_nft("add table inet tcpfault_probe\n",
			    errbuf) == 0 ? 0 : 3);
		}
		while (waitpid(pid, &status, 0) == -1)
			if (errno != EINTR)
				break;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			return 0;
		snprintf(why, len, "%s",
		    WIFEXITED(status) && WEXITSTATUS(status) == 2 ?
		    "nftables needs a private network namespace (root)" :
		    "nft is missing or refused a ruleset");
		return -1;
	case VANISH_AUTO:
	case VANISH_NONE:
		break;
	}
	snprintf(why, len, "no such method");
	return -1;
}

enum vanish_method
vanish_choose(enum vanish_method want, char *why, size_t len)
{
	char w1[128], w2[128];

	if (want != VANISH_AUTO)
		return vanish_probe(want, why, len) == 0 ? want : VANISH_NONE;
	/* The filter touches only the case's socket and needs no root. */
	if (vanish_probe(VANISH_FILTER, w1, sizeof(w1)) == 0)
		return VANISH_FILTER;
	if (vanish_probe(VANISH_NFT, w2, sizeof(w2)) == 0)
		return VANISH_NFT;
	snprintf(why, len, "no vanish method allowed: %s; %s", w1, w2);
	return VANISH_NONE;
}

int
vanish_apply(enum vanish_method m, int fd, char *errbuf)
{
	char script[512];
	unsigned port = sock_local_port(fd);

	switch (m) {
	case VANISH_FILTER:
		if (attach_drop_all(fd) == -1) {
			errbuf_set(errbuf, "SO_ATTACH_FILTER: %s",
			    strerror(errno));
			return -1;
		}
		return 0;
	case VANISH_NFT:
		/*
		 * Priority -300 runs before conntrack: stateless drops of
		 * every segment to and from the vanishing port.
		 */
		snprintf(script, sizeof(script),
		    "table inet tcpfault {\n"
		    " chain in { type filter hook input priority -300;"
		    " tcp dport %u drop; }\n"
		    " chain out { type filter hook output priority -300;"
		    " tcp sport %u drop; }\n"
		    "}\n", port, port);
		return run_nft(script, errbuf);
	case VANISH_AUTO:
	case VANISH_NONE:
		break;
	}
	errbuf_set(errbuf, "no vanish method");
	errno = EINVAL;
	return -1;
}
