/* SPDX-License-Identifier: BSD-2-Clause */
/* The TCP state of any local socket by its 4-tuple, through sock_diag. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "errbuf.h"
#include "sockdiag.h"

struct sockdiag {
	int fd;
	uint32_t seq;
};

struct sockdiag *
sockdiag_open(char *errbuf)
{
	struct sockdiag *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		errbuf_set(errbuf, "sock_diag: out of memory");
		return NULL;
	}
	d->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG);
	if (d->fd == -1) {
		errbuf_set(errbuf, "sock_diag: %s", strerror(errno));
		free(d);
		return NULL;
	}
	return d;
}

void
sockdiag_close(struct sockdiag *d)
{
	int saved = errno;

	if (d == NULL)
		return;
	close(d->fd);
	free(d);
	errno = saved;
}

/* Address and port of sa into the request's id; -1 for other families. */
static int
fill_end(const struct sockaddr *sa, __be16 *port, __be32 *addr)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		*port = in->sin_port;
		memcpy(addr, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		*port = in6->sin6_port;
		memcpy(addr, &in6->sin6_addr, 16);
		return 0;
	}
	return -1;
}

int
sockdiag_tcp_state(struct sockdiag *d, const struct sockaddr *local,
    const struct sockaddr *remote, char *errbuf)
{
	struct sockdiag_tcp t;
	int rc = sockdiag_tcp_lookup(d, local, remote, &t, errbuf);

	return rc == 1 ? t.state : rc;
}

int
sockdiag_tcp_lookup(struct sockdiag *d, const struct sockaddr *local,
    const struct sockaddr *remote, struct sockdiag_tcp *t, char *errbuf)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	union {
		struct nlmsghdr nlh;
		char buf[8192];
	} reply;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	ssize_t n;

	if (local->sa_family != remote->sa_family) {
		errbuf_set(errbuf, "sock_diag: the two ends' families differ");
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	/* No NLM_F_DUMP: the kernel looks up this one socket (or ENOENT). */
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	msg.nlh.nlmsg_seq = ++d->seq;
	msg.req.sdiag_family = (uint8_t)local->sa_family;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_states = ~0u;
	msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (fill_end(local, &msg.req.id.idiag_sport,
	    msg.req.id.idiag_src) == -1 ||
	    fill_end(remote, &msg.req.id.idiag_dport,
	    msg.req.id.idiag_dst) == -1) {
		errbuf_set(errbuf, "sock_diag: not an IP address");
		return -1;
	}
	if (sendto(d->fd, &msg, sizeof(msg), 0, (struct sockaddr *)&nl,
	    sizeof(nl)) == -1) {
		errbuf_set(errbuf, "sock_diag: send: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		n = recv(d->fd, &reply, sizeof(reply), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errbuf_set(errbuf, "sock_diag: recv: %s",
			    strerror(errno));
			return -1;
		}
		break;
	}
	for (struct nlmsghdr *h = &reply.nlh; NLMSG_OK(h, (size_t)n);
	    h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_seq != d->seq)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
				errbuf_set(errbuf, "sock_diag: short error");
				return -1;
			}
			if (e->error == -ENOENT)
				return 0;
			errbuf_set(errbuf, "sock_diag: %s",
			    strerror(-e->error));
			return -1;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY && h->nlmsg_len >=
		    NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			t->state = m->idiag_state;
			t->timer = m->idiag_timer;
			t->retrans = m->idiag_retrans;
			return 1;
		}
	}
	errbuf_set(errbuf, "sock_diag: no answer for the request");
	return -1;
}
