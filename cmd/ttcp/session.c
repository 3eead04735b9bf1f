/* SPDX-License-Identifier: BSD-2-Clause */
/* ttcp's set-up both I/O models share: the session, its group, the sockets. */
#include <err.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "sock.h"
#include "stop.h"
#include "ttcp.h"

void
session_from_config(struct session *s, const struct ttcp_config *cfg)
{
	memset(s, 0, sizeof(*s));
	if (cfg->stream)
		s->flags |= TTCP_FLAG_STREAM;
	if (cfg->reverse)
		s->flags |= TTCP_FLAG_REVERSE;
	if (cfg->verify)
		s->flags |= TTCP_FLAG_VERIFY;
	if (cfg->time_ms > 0)
		s->flags |= TTCP_FLAG_TIMED;
	s->parallel = (uint32_t)cfg->parallel;
	/* Plain ack-mode sessions keep muduo's 8-byte header. */
	s->extended = s->flags != 0 || s->parallel > 1;
	s->number = cfg->time_ms > 0 ? (uint32_t)cfg->time_ms : cfg->number;
	s->length = cfg->length;
}

int
session_same_group(const struct session *first, const struct session *s,
    char *errbuf)
{
	if (!s->extended || s->group != first->group) {
		errbuf_set(errbuf, "not part of session 0x%08" PRIx32,
		    first->group);
		return -1;
	}
	if (s->flags != first->flags || s->parallel != first->parallel ||
	    s->number != first->number || s->length != first->length) {
		errbuf_set(errbuf, "session 0x%08" PRIx32 " with different "
		    "parameters", first->group);
		return -1;
	}
	return 0;
}

uint32_t
random_group(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	return v;
}

int
xfer_begin(struct xfer *x, const struct ttcp_config *cfg,
    const struct session *s, bool data_sender)
{
	x->sess = *s;
	x->data_sender = data_sender;
	x->deadline_ms = data_sender && (s->flags & TTCP_FLAG_TIMED) ?
	    clock_mono_ms() + s->number : 0;
	x->verify = !data_sender &&
	    (cfg->verify || (s->flags & TTCP_FLAG_VERIFY) != 0);
	if (!(s->flags & TTCP_FLAG_STREAM) &&
	    (x->rtt = calloc(1, sizeof(*x->rtt))) == NULL)
		return -1;
	return 0;
}

int
accept_or_warn(int lfd, char *peer, size_t peerlen)
{
	char eb[ERRBUF_LEN];
	enum outcome o;
	int fd = peer != NULL ?
	    sock_accept_peer(lfd, 0, peer, peerlen, &o, eb) :
	    sock_accept(lfd, 0, &o, eb);

	if (fd < 0 && o != OUTCOME_WOULD_BLOCK)
		warnx("accept: %s", eb);
	return fd;
}

int
take_signal(int fd, int *signo)
{
	int sig = stop_fd_read(fd);

	if (sig != 0)
		*signo = sig;
	return sig;
}

bool
xfer_sent_all(const struct xfer *x, uint64_t sent)
{
	if (x->deadline_ms != 0)
		return clock_mono_ms() >= x->deadline_ms;
	return sent >= x->sess.number;
}

int
xfer_setup_socket(struct xfer *x, const struct ttcp_config *cfg,
    char *errbuf)
{
	if (cfg->nodelay && sockopt_nodelay(x->fd, true, errbuf) != 0)
		return -1;
	if (sockopt_keepalive(x->fd, TTCP_KEEPALIVE_IDLE_S,
	    TTCP_KEEPALIVE_INTVL_S, TTCP_KEEPALIVE_CNT, errbuf) != 0)
		return -1;
	return sockopt_bufsizes(x->fd, cfg->bufsize, cfg->bufsize, &x->snd,
	    &x->rcv, errbuf);
}
