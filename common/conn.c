/* SPDX-License-Identifier: BSD-2-Clause */
/* Buffered non-blocking TCP connections on an evloop, with the contract. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "buf.h"
#include "conn.h"
#include "errbuf.h"
#include "frame.h"
#include "sock.h"
#include "tls.h"

/*
 * The first recv's size. Each recv that fills it doubles it, up to
 * CONN_READ_MAX (conn.h): an idle or chatty connection keeps small
 * buffers, a bulk one makes a quarter as many calls.
 */
#define CONN_READ_MIN (64u * 1024)
/* Reads per readiness event, so one busy peer cannot starve the rest. */
#define CONN_READS_PER_EVENT 16
/* Reads after a send error, bounded in case the peer is still sending. */
#define CONN_DRAIN_READS 1024

/*
 * Where the connection is in ending. Only CONN_OPEN accepts new sends;
 * every other state flushes what was accepted, then sends the FIN.
 */
enum conn_state {
	CONN_OPEN,
	CONN_SHUTDOWN,	/* conn_shutdown(): flush, FIN, keep reading */
	CONN_CLOSING,	/* conn_close(GRACEFUL): flush, FIN, read to EOF */
	CONN_PEER_DONE	/* peer's EOF, half-close off: flush, FIN, end */
};

struct conn {
	struct evloop *loop;
	int fd;
	struct conn_callbacks cb;
	void *arg;
	struct buf *in;
	struct buf *out;
	enum conn_state state;
	bool framed;
	uint32_t frame_max;
	bool half_close;
	size_t high;
	size_t low;
	bool above_high;	/* on_high_water sent, on_drain not yet */
	bool paused;
	bool peer_eof;		/* recv returned 0 */
	bool wr_shut;		/* our FIN is out */
	bool delivering;	/* inside deliver(): no nested delivery */
	int send_err;		/* a failed send waiting to be reported */
	unsigned watched;	/* interest registered with the loop */
	uint64_t kick_timer;
	uint64_t close_timer;
	bool timed_out;		/* the graceful close's deadline passed */
	bool ended;		/* on_close called (or being called) */
	int depth;		/* entries on the stack; free when 0 */
	size_t read_chunk;	/* the next recv's size */
	bool request_response;	/* a short read ends an event's reads */
	uint64_t bytes_in;
	uint64_t bytes_out;

	/* TLS (conn_set_tls): what the last call asked to wait for. */
	struct tls_conn *tls;
	bool tls_rd_wants_write;	/* a read must wait for POLLOUT */
	bool tls_wr_wants_read;		/* a send must wait for POLLIN */
	bool tls_notify_wants;		/* close_notify must wait: EV_WRITE
					   or EV_READ in tls_notify_ev */
	unsigned tls_notify_ev;
};

static void conn_on_event(struct evloop *loop, int fd, unsigned events,
    void *arg);

/*
 * Every way into a conn (an event, a timer, a public call) is bracketed by
 * enter/leave. A callback may end or free-request its own conn or any
 * other; the memory goes only when the outermost bracket is left, so the
 * code below a callback can always look at c->ended.
 */
static void
enter(struct conn *c)
{
	c->depth++;
}

static void
conn_free(struct conn *c)
{
	buf_free(c->in);
	buf_free(c->out);
	free(c);
}

static void
leave(struct conn *c)
{
	if (--c->depth == 0 && c->ended)
		conn_free(c);
}

/* On failure the fd stays open and the caller's. */

struct conn *
conn_new(struct evloop *loop, int fd, const struct conn_callbacks *cb,
    void *arg, char *errbuf)
{
	struct conn *c;

	if (sock_set_nonblock(fd, true) < 0) {
		errbuf_set(errbuf, "connection: O_NONBLOCK: %s",
		    strerror(errno));
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->in = buf_new(CONN_READ_MIN)) == NULL ||
	    (c->out = buf_new(0)) == NULL) {
		errbuf_set(errbuf, "connection: out of memory");
		goto fail;
	}
	c->loop = loop;
	c->fd = fd;
	c->cb = *cb;
	c->arg = arg;
	c->frame_max = FRAME_MAX_DEFAULT;
	c->read_chunk = CONN_READ_MIN;
	c->high = SIZE_MAX;
	c->low = 0;
	c->watched = EV_READ;
	if (evloop_add(loop, fd, EV_READ, conn_on_event, c) < 0) {
		errbuf_set(errbuf, "connection: watch fd %d: %s", fd,
		    strerror(errno));
		goto fail;
	}
	return c;
fail:
	if (c != NULL)
		conn_free(c);
	return NULL;
}

/*
 * The last step: stop watching, close the fd the way the trigger calls for,
 * and tell the user. The caller is inside enter/leave, which frees.
 */
static void
conn_end(struct conn *c, enum conn_end why, enum outcome o, bool rst)
{
	struct close_report r;

	if (c->ended)
		return;
	c->ended = true;
	evloop_timer_clear(c->loop, &c->kick_timer);
	evloop_timer_clear(c->loop, &c->close_timer);
	evloop_del(c->loop, c->fd);
	/* Everything we meant to send is out, or moot: close() (FIN, or the
	   kernel's RST if input is unread), or RST when asked. */
	if (rst)
		close_abort(c->fd, &r);
	else
		close_plain(c->fd, &r);
	c->fd = -1;
	if (c->cb.on_close != NULL)
		c->cb.on_close(c, why, o, c->arg);
}

static void
end_with_errno(struct conn *c, enum conn_end why, int err)
{
	conn_end(c, why, outcome_from_errno(err), false);
}

static bool
reading_wanted(const struct conn *c)
{
	if (c->ended || c->peer_eof || c->state == CONN_PEER_DONE)
		return false;
	/* A graceful close reads to the peer's EOF even while paused. */
	return !c->paused || c->state == CONN_CLOSING;
}

static void
update_interest(struct conn *c)
{
	unsigned want = 0;

	if (c->ended)
		return;
	if (reading_wanted(c))
		want |= EV_READ;
	if (buf_len(c->out) > 0 && !c->wr_shut && c->send_err == 0)
		want |= c->tls_wr_wants_read ? EV_READ : EV_WRITE;
	if (c->tls_rd_wants_write && reading_wanted(c))
		want |= EV_WRITE;
	if (c->tls_notify_wants)
		want |= c->tls_notify_ev;
	if (want != c->watched && evloop_mod(c->loop, c->fd, want) == 0)
		c->watched = want;
}

/* Run the rest of the work from the loop, never inside the caller's call. */
static void
conn_kicked(struct evloop *loop, void *arg);

static void
kick(struct conn *c)
{
	if (c->kick_timer == 0 && !c->ended)
		c->kick_timer = evloop_timer_add(c->loop, 0, conn_kicked, c);
}

/*
 * Hand buffered input to the user: raw bytes for as long as on_data takes
 * some, or every complete message. A hostile frame length ends the
 * connection before any buffer is sized for it.
 */
static void
deliver(struct conn *c)
{
	enum frame_status st;
	const unsigned char *p;
	uint32_t mlen;
	size_t len, n;

	if (c->delivering)
		return;
	c->delivering = true;
	while (!c->ended && (len = buf_len(c->in)) > 0) {
		p = buf_data(c->in);
		if (!c->framed) {
			n = c->cb.on_data != NULL ?
			    c->cb.on_data(c, p, len, c->arg) : len;
			buf_consume(c->in, n < len ? n : len);
			if (n == 0)
				break;
			continue;
		}
		st = frame_parse(p, len, c->frame_max, &mlen);
		if (st == FRAME_NEED_MORE)
			break;
		if (st != FRAME_OK) {
			/* We will not read the rest: tell the peer with RST. */
			conn_end(c, CONN_END_RECV_ERROR, OUTCOME_ERROR, true);
			break;
		}
		if (c->cb.on_message != NULL)
			c->cb.on_message(c, p + FRAME_HDR_LEN, mlen, c->arg);
		buf_consume(c->in, FRAME_HDR_LEN + (size_t)mlen);
	}
	c->delivering = false;
}

/* recv returned 0: deliver-before-close is already done by then. */
static void
peer_eof(struct conn *c)
{
	c->peer_eof = true;
	if (c->state == CONN_CLOSING)
		return;
	/*
	 * TLS without the peer's close_notify (a bare FIN): OpenSSL takes
	 * it as fatal and sends nothing more, so what is queued cannot go;
	 * only our FIN is left. The connection ends as after a full close.
	 */
	if (c->tls != NULL &&
	    tls_conn_ending(c->tls) != TLS_END_CLOSE_NOTIFY) {
		buf_consume(c->out, buf_len(c->out));
		c->state = CONN_PEER_DONE;
		/* OpenSSL may have answered with an alert, which a closed
		   peer answers with an RST: close() sends the FIN. */
		c->wr_shut = true;
		return;
	}
	if (!c->half_close) {
		c->state = CONN_PEER_DONE;
		return;
	}
	/* Tell only a user who can still answer: not after conn_shutdown. */
	if (c->state == CONN_OPEN && c->send_err == 0 &&
	    c->cb.on_peer_eof != NULL)
		c->cb.on_peer_eof(c, c->arg);
}

/*
 * One TLS read into c->in: as read(2) returns, with errno EAGAIN for
 * TLS_WANT_* (and what to wait for remembered). One record's plaintext
 * is at most 16 KiB, so nothing is left decrypted inside OpenSSL that
 * poll() would not announce.
 */
static ssize_t
tls_read_in(struct conn *c)
{
	unsigned char rec[16384];
	char errbuf[ERRBUF_LEN];
	ssize_t n;

	n = tls_read(c->tls, rec, sizeof(rec), errbuf);
	c->tls_rd_wants_write = n == TLS_WANT_WRITE;
	if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	if (n > 0 && buf_append(c->in, rec, (size_t)n) < 0)
		return -1;
	return n;
}

/* One TLS write from the front of c->out: as send(2) returns. */
static ssize_t
tls_send_out(struct conn *c)
{
	char errbuf[ERRBUF_LEN];
	ssize_t n;

	n = tls_write(c->tls, buf_data(c->out), buf_len(c->out), errbuf);
	c->tls_wr_wants_read = n == TLS_WANT_READ;
	if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	if (n > 0)
		buf_consume(c->out, (size_t)n);
	return n;
}

/*
 * Read and deliver. Returns -1 with errno on a receive error (everything
 * read before it has been delivered), 0 otherwise.
 */
static int
read_some(struct conn *c, bool force, int max_reads)
{
	ssize_t n;
	int i;

	/* on_message's pointer is into c->in: never read under it. */
	if (c->delivering)
		return 0;
	for (i = 0; i < max_reads; i++) {
		if (c->ended || c->peer_eof || (!force && !reading_wanted(c)))
			break;
		n = c->tls != NULL ? tls_read_in(c) :
		    buf_read_fd(c->in, c->fd, c->read_chunk);
		if (n > 0) {
			c->bytes_in += (uint64_t)n;
			bool drained = (size_t)n < c->read_chunk;

			if (!drained && c->read_chunk < CONN_READ_MAX)
				c->read_chunk *= 2;
			deliver(c);
			/*
			 * Request/response: a short read emptied the receive
			 * queue, and the next recv would only say EAGAIN, a
			 * system call per request. The loop is level-
			 * triggered, so whatever comes later (data or EOF) is
			 * reported again. Draining after a send error (force)
			 * reads on to the end.
			 */
			if (drained && !force && c->request_response)
				break;
			continue;
		}
		if (n == 0) {
			peer_eof(c);
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		return -1;
	}
	return 0;
}

/*
 * A send failed. What the peer had already sent us is still in our receive
 * queue; deliver it, as the contract asks, before reporting the failure.
 */
static void
fail_send(struct conn *c, int err)
{
	c->send_err = err;
	(void)read_some(c, true, CONN_DRAIN_READS);
	end_with_errno(c, CONN_END_SEND_ERROR, err);
}

/* Send what the socket takes. Returns -1 with errno on a send error. */
static int
flush(struct conn *c)
{
	ssize_t n;

	while (buf_len(c->out) > 0) {
		n = c->tls != NULL ? tls_send_out(c) :
		    buf_send_fd(c->out, c->fd);
		if (n > 0) {
			c->bytes_out += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		return -1;
	}
	if (c->above_high && buf_len(c->out) <= c->low) {
		c->above_high = false;
		if (c->cb.on_drain != NULL)
			c->cb.on_drain(c, c->arg);
	}
	return 0;
}

/*
 * TLS: our close_notify goes before the FIN (RFC 8446 section 6.1).
 * Returns -1 while it waits for the socket (interest updated), else 0:
 * sent, or impossible after a fatal error, when only the FIN is left.
 */
static int
tls_notify(struct conn *c)
{
	char errbuf[ERRBUF_LEN];
	int rc = tls_close_notify(c->tls, errbuf);

	c->tls_notify_wants = rc == TLS_WANT_READ || rc == TLS_WANT_WRITE;
	if (!c->tls_notify_wants)
		return 0;
	c->tls_notify_ev = rc == TLS_WANT_READ ? EV_READ : EV_WRITE;
	update_interest(c);
	return -1;
}

/* After I/O: send the FIN when due, end when both directions are done. */
static void
progress(struct conn *c)
{
	if (c->ended)
		return;
	if (c->timed_out) {
		conn_end(c, CONN_END_LOCAL_CLOSE, OUTCOME_TIMEOUT, true);
		return;
	}
	if (c->send_err != 0) {
		fail_send(c, c->send_err);
		return;
	}
	if (c->state != CONN_OPEN && !c->wr_shut && buf_len(c->out) == 0) {
		if (c->tls != NULL && tls_notify(c) == -1)
			return;
		/* TLS: a peer may close its socket once its close_notify is
		   out; the RST that answers ours cost no data. */
		if (shutdown(c->fd, SHUT_WR) < 0 && !(c->tls != NULL &&
		    c->peer_eof &&
		    tls_conn_ending(c->tls) == TLS_END_CLOSE_NOTIFY)) {
			fail_send(c, errno);
			return;
		}
		c->wr_shut = true;
	}
	if (c->peer_eof && c->wr_shut) {
		if (c->state == CONN_CLOSING)
			conn_end(c, CONN_END_LOCAL_CLOSE, OUTCOME_OK, false);
		else
			conn_end(c, CONN_END_PEER_EOF, OUTCOME_EOF, false);
		return;
	}
	update_interest(c);
}

static void
conn_kicked(struct evloop *loop, void *arg)
{
	struct conn *c = arg;

	enter(c);
	c->kick_timer = 0;
	progress(c);
	leave(c);
}

/* The graceful close's deadline: progress() aborts on its next run. */
static void
conn_close_timeout(struct evloop *loop, void *arg)
{
	struct conn *c = arg;

	c->close_timer = 0;
	c->timed_out = true;
	kick(c);
}

/*
 * Once the peer's EOF is in, there is nothing left to read, so an error
 * (EPOLLERR) can only be about what we send; fetch it from SO_ERROR. A
 * hang-up with the error already taken means the socket is closed under
 * us, which the next send would report as EPIPE.
 */
static void
error_after_eof(struct conn *c)
{
	int err = sock_error(c->fd);

	progress(c);
	if (!c->ended)
		fail_send(c, err != 0 ? err : EPIPE);
}

static void
conn_on_event(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct conn *c = arg;

	enter(c);
	/* A failed send in conn_send() came first, whatever else is new. */
	if (c->send_err != 0) {
		fail_send(c, c->send_err);
		goto out;
	}
	if (((events & (EV_WRITE | EV_ERROR)) || c->tls_wr_wants_read) &&
	    buf_len(c->out) > 0 &&
	    !c->wr_shut && c->send_err == 0 && flush(c) < 0) {
		fail_send(c, errno);
		goto out;
	}
	if (c->ended)
		goto out;
	/* An error or hang-up is read even while paused: it ends us. */
	if (((events & (EV_READ | EV_ERROR)) || c->tls_rd_wants_write) &&
	    read_some(c, events & EV_ERROR, CONN_READS_PER_EVENT) < 0) {
		end_with_errno(c, CONN_END_RECV_ERROR, errno);
		goto out;
	}
	if (c->ended)
		goto out;
	if ((events & EV_ERROR) && c->peer_eof)
		error_after_eof(c);
	else
		progress(c);
out:
	leave(c);
}

/*
 * Send a then b with one sendmsg, without waiting. Returns how many bytes
 * went; a hard error (not EAGAIN) sets c->send_err and sends nothing.
 */
static size_t
send_direct(struct conn *c, const void *a, size_t alen, const void *b,
    size_t blen)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)a, .iov_len = alen },
		{ .iov_base = (void *)b, .iov_len = blen },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	/* TLS: the bytes go out as records from c->out (flush). */
	if (alen + blen == 0 || c->tls != NULL)
		return 0;
	do
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->bytes_out += (uint64_t)n;
		return (size_t)n;
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		c->send_err = errno;
	return 0;
}

/* Queue a and b (either may be empty) all or nothing, then try to send. */
static int
queue(struct conn *c, const void *a, size_t alen, const void *b,
    size_t blen)
{
	bool was_empty = buf_len(c->out) == 0;
	size_t sent = 0;

	if (c->ended || c->state != CONN_OPEN || c->send_err != 0) {
		errno = EPIPE;
		return -1;
	}
	if (alen > SIZE_MAX - blen || buf_reserve(c->out, alen + blen) < 0) {
		errno = ENOMEM;
		return -1;
	}
	enter(c);
	/*
	 * Nothing queued: send straight from the caller's memory and keep
	 * only what the socket did not take, saving a copy into c->out (a
	 * relay's whole stream when the peer keeps up). A send error is
	 * kept for progress(); the bytes stay queued, as if never tried.
	 */
	if (was_empty)
		sent = send_direct(c, a, alen, b, blen);
	if (sent < alen) {
		buf_append(c->out, (const char *)a + sent, alen - sent);
		buf_append(c->out, b, blen);
	} else if (sent - alen < blen) {
		buf_append(c->out, (const char *)b + (sent - alen),
		    blen - (sent - alen));
	}
	if (c->send_err != 0)
		kick(c);
	if (!c->ended && !c->above_high && buf_len(c->out) >= c->high) {
		c->above_high = true;
		if (c->cb.on_high_water != NULL)
			c->cb.on_high_water(c, buf_len(c->out), c->arg);
	}
	update_interest(c);
	leave(c);
	return 0;
}

int
conn_send(struct conn *c, const void *data, size_t len)
{
	return queue(c, data, len, NULL, 0);
}

int
conn_send_frame(struct conn *c, const void *msg, size_t len)
{
	unsigned char hdr[FRAME_HDR_LEN];

	if (len > 0x7fffffffu) {
		errno = EMSGSIZE;
		return -1;
	}
	frame_put_header(hdr, (uint32_t)len);
	return queue(c, hdr, sizeof(hdr), msg, len);
}

void
conn_set_framing(struct conn *c, uint32_t max)
{
	c->framed = true;
	c->frame_max = max;
}

void
conn_set_tls(struct conn *c, struct tls_conn *tls)
{
	c->tls = tls;
}

void
conn_set_half_close(struct conn *c, bool on)
{
	c->half_close = on;
}

void
conn_set_water_marks(struct conn *c, size_t high, size_t low)
{
	c->high = high;
	c->low = low < high ? low : high;
}

void
conn_pause_read(struct conn *c)
{
	c->paused = true;
	update_interest(c);
}

void
conn_set_request_response(struct conn *c, bool on)
{
	c->request_response = on;
}

void
conn_resume_read(struct conn *c)
{
	c->paused = false;
	update_interest(c);
}

void
conn_shutdown(struct conn *c)
{
	if (c->ended || c->state != CONN_OPEN)
		return;
	c->state = CONN_SHUTDOWN;
	kick(c);
}

void
conn_close(struct conn *c, enum close_how how, int timeout_ms)
{
	if (c->ended)
		return;
	enter(c);
	switch (how) {
	case CLOSE_ABORT:
		conn_end(c, CONN_END_LOCAL_CLOSE, OUTCOME_OK, true);
		break;
	case CLOSE_PLAIN:
		/* Naive close(): an RST instead of a FIN if input is unread. */
		conn_end(c, CONN_END_LOCAL_CLOSE, OUTCOME_OK, false);
		break;
	case CLOSE_GRACEFUL:
		if (c->state == CONN_CLOSING)
			break;
		c->state = CONN_CLOSING;
		if (timeout_ms > 0)
			c->close_timer = evloop_timer_add(c->loop, timeout_ms,
			    conn_close_timeout, c);
		kick(c);
		update_interest(c);
		break;
	}
	leave(c);
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

size_t
conn_out_queued(const struct conn *c)
{
	return buf_len(c->out);
}

uint64_t
conn_bytes_in(const struct conn *c)
{
	return c->bytes_in;
}

uint64_t
conn_bytes_out(const struct conn *c)
{
	return c->bytes_out;
}

const char *
conn_end_name(enum conn_end why)
{
	switch (why) {
	case CONN_END_SEND_ERROR:
		return "send-error";
	case CONN_END_RECV_ERROR:
		return "recv-error";
	case CONN_END_PEER_EOF:
		return "peer-eof";
	case CONN_END_LOCAL_CLOSE:
		return "local-close";
	}
	return "?";
}
