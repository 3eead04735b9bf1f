/* SPDX-License-Identifier: BSD-2-Clause */
/* ttcp --roundtrip: the clock-offset client and server, UDP or TCP. */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "clocksync.h"
#include "conn.h"
#include "evloop.h"
#include "exitcode.h"
#include "sock.h"
#include "stop.h"
#include "timeline.h"
#include "ttcp.h"

/* Probes every 200 ms unless -i says otherwise, as muduo's clients. */
#define RT_DEFAULT_INTERVAL_MS	200
/* How long the client waits for replies after its last probe. */
#define RT_GRACE_MS		1000

static enum rt_frame
frame_of(const struct ttcp_config *cfg)
{
	return cfg->ntp ? RT_FRAME_NTP : RT_FRAME_MUDUO;
}

static const char *
transport_name(const struct ttcp_config *cfg)
{
	return cfg->tcp ? "tcp" : "udp";
}

static void
json_out(json_t *o)
{
	if (jsonl_write(stdout, o) != 0)
		err(1, "write JSON report");
}

/* The client. */
struct rtc {
	const struct ttcp_config *cfg;
	struct evloop *loop;
	int fd;
	struct conn *c;		/* --tcp */
	char peer[ADDR_STRLEN];
	enum rt_frame frame;
	size_t flen;
	struct rt_stats st;
	uint64_t start_ms;
	uint64_t probe_timer;
	uint64_t end_timer;
	bool sending_done;
	bool refused;		/* an ICMP port unreachable came back */
	int signo;
	char error[ERRBUF_LEN];
	enum outcome outcome;
};

static void
client_fail(struct rtc *r, enum outcome o, const char *msg)
{
	if (r->error[0] == '\0') {
		snprintf(r->error, sizeof(r->error), "%s", msg);
		r->outcome = o;
	}
	evloop_stop(r->loop);
}

static void
print_reply(const struct rtc *r, uint32_t seq, const struct rt_stamps *s)
{
	const struct ttcp_config *cfg = r->cfg;

	if (cfg->json_stream) {
		json_out(json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:f}",
		    "event", "reply", "seq", (int)seq,
		    "t1", (json_int_t)s->t1, "t2", (json_int_t)s->t2,
		    "t3", (json_int_t)s->t3, "t4", (json_int_t)s->t4,
		    "rtt_us", (json_int_t)rt_rtt(s),
		    "offset_us", rt_offset(s)));
	} else if (!cfg->json) {
		printf("ttcp-t: reply %" PRIu32 " from %s: rtt %" PRId64
		    " us offset %+.1f us\n", seq, r->peer, rt_rtt(s),
		    rt_offset(s));
		fflush(stdout);
	}
}

static void client_end(struct evloop *loop, void *arg);

/* After the last probe: end when every probe is answered, or at grace. */
static void
check_all_in(struct rtc *r)
{
	if (r->sending_done && r->st.nsamples == r->st.sent)
		evloop_stop(r->loop);
}

/* One reply of flen bytes (or a bad one of len bytes), received at t4. */
static void
client_reply(struct rtc *r, const uint8_t *p, size_t len, int64_t t4)
{
	struct rt_stamps s;
	char eb[ERRBUF_LEN];
	uint32_t seq;
	int v;

	if (rt_reply_decode(r->frame, p, len, t4, &s, eb) != 0) {
		r->st.bad++;
		if (r->cfg->verbose)
			warnx("bad reply from %s: %s", r->peer, eb);
		return;
	}
	v = rt_stats_reply(&r->st, &s, &seq);
	if (v < 0) {
		client_fail(r, OUTCOME_ERROR, "out of memory");
		return;
	}
	if (v == RT_UNKNOWN && r->cfg->verbose)
		warnx("bad reply from %s: T1 %" PRId64 " is none of our probes"
		    " or T3-T2 exceeds T4-T1", r->peer, s.t1);
	if (v == RT_NEW)
		print_reply(r, seq, &s);
	check_all_in(r);
}

static void
udp_readable(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct rtc *r = arg;
	uint8_t buf[RT_FRAME_MAX + 1];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		int64_t t4 = clock_wall_us();

		if (n < 0) {
			if (errno == ECONNREFUSED)
				r->refused = true;
			else if (errno != EAGAIN && errno != EINTR)
				client_fail(r, outcome_from_errno(errno),
				    strerror(errno));
			if (errno != EINTR && errno != ECONNREFUSED)
				return;
			continue;
		}
		/* MSG_TRUNC: a long datagram is refused by its true size. */
		client_reply(r, buf, (size_t)n, t4);
	}
}

static size_t
tcp_data(struct conn *c, const void *data, size_t len, void *arg)
{
	struct rtc *r = arg;
	int64_t t4 = clock_wall_us();
	size_t off = 0;

	while (len - off >= r->flen) {
		client_reply(r, (const uint8_t *)data + off, r->flen, t4);
		off += r->flen;
	}
	return off;
}

static void
tcp_close(struct conn *c, enum conn_end why, enum outcome o, void *arg)
{
	struct rtc *r = arg;
	char eb[ERRBUF_LEN];

	r->c = NULL;
	/* muduo's server may hang up once it has answered everything. */
	if (why == CONN_END_LOCAL_CLOSE ||
	    (r->sending_done && r->st.nsamples == r->st.sent))
		return;
	snprintf(eb, sizeof(eb), "%s closed the connection (%s) after %zu "
	    "replies", r->peer, outcome_name(o), r->st.nsamples);
	client_fail(r, o == OUTCOME_OK ? OUTCOME_EOF : o, eb);
}

static const struct conn_callbacks client_callbacks = {
	.on_data = tcp_data,
	.on_close = tcp_close,
};

/* Whether another probe is due interval_ms from now. */
static bool
probes_left(const struct rtc *r, int64_t interval_ms)
{
	const struct ttcp_config *cfg = r->cfg;

	if (cfg->number_set && r->st.sent >= cfg->number)
		return false;
	if (cfg->time_ms > 0 && clock_mono_ms() + interval_ms -
	    (int64_t)r->start_ms >= cfg->time_ms)
		return false;
	return true;
}

static void
send_probe(struct evloop *loop, void *arg)
{
	struct rtc *r = arg;
	const struct ttcp_config *cfg = r->cfg;
	int64_t interval = cfg->interval_ms > 0 ? cfg->interval_ms :
	    RT_DEFAULT_INTERVAL_MS;
	uint8_t buf[RT_FRAME_MAX];
	uint32_t seq;
	int64_t t1;

	r->probe_timer = 0;
	t1 = rt_stats_probe(&r->st, clock_wall_us(), &seq);
	if (t1 < 0) {
		client_fail(r, OUTCOME_ERROR, "out of memory");
		return;
	}
	rt_probe_encode(r->frame, t1, buf);
	if (r->c != NULL) {
		if (conn_send(r->c, buf, r->flen) != 0)
			return;	/* tcp_close says why */
	} else if (send(r->fd, buf, r->flen, MSG_NOSIGNAL) < 0) {
		if (errno == ECONNREFUSED)
			r->refused = true;
		else if (errno != EAGAIN && errno != ENOBUFS) {
			client_fail(r, outcome_from_errno(errno),
			    strerror(errno));
			return;
		}
	}
	if (probes_left(r, interval)) {
		r->probe_timer = evloop_timer_add(loop, (int)interval,
		    send_probe, r);
		return;
	}
	r->sending_done = true;
	r->end_timer = evloop_timer_add(loop, RT_GRACE_MS, client_end, r);
	check_all_in(r);
}

static void
client_end(struct evloop *loop, void *arg)
{
	struct rtc *r = arg;

	r->end_timer = 0;
	evloop_stop(loop);
}


/* A signal ends the loop; arg is where its number goes. */
static void
stop_on_signal(struct evloop *loop, int fd, unsigned events, void *arg)
{
	if (take_signal(fd, arg) != 0)
		evloop_stop(loop);
}

static json_t *
summary_json(const struct rtc *r, const struct rt_summary *s, double secs)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:I, s:I, s:I, "
	    "s:I, s:I, s:I}",
	    "role", "roundtrip", "mode", "roundtrip",
	    "transport", transport_name(r->cfg),
	    "frame", r->frame == RT_FRAME_NTP ? "ntp" : "muduo",
	    "peer", r->peer[0] ? r->peer : r->cfg->host,
	    "seconds", secs,
	    "probes", (json_int_t)s->probes,
	    "replies", (json_int_t)s->replies,
	    "lost", (json_int_t)s->lost,
	    "duplicated", (json_int_t)s->dup,
	    "reordered", (json_int_t)s->reordered,
	    "bad", (json_int_t)s->bad);

	if (s->replies > 0)
		json_object_set_new(o, "rtt_us", json_pack(
		    "{s:I, s:I, s:I, s:I}", "min", (json_int_t)s->rtt_min,
		    "p50", (json_int_t)s->rtt_p50,
		    "p99", (json_int_t)s->rtt_p99,
		    "max", (json_int_t)s->rtt_max));
	if (s->have_offset) {
		json_object_set_new(o, "offset_us", json_real(s->offset_us));
		json_object_set_new(o, "offset_bound_us",
		    json_real(s->bound_us));
		json_object_set_new(o, "offset_seq",
		    json_integer(s->offset_seq));
	}
	if (s->have_drift) {
		json_object_set_new(o, "drift_ppm", json_real(s->drift_ppm));
		json_object_set_new(o, "drift_span_s", json_real(s->span_s));
	}
	return o;
}

static void
print_summary(const struct rtc *r, const struct rt_summary *s, double secs)
{
	printf("ttcp-t: %" PRIu32 " probes to %s in %.3f s, %" PRIu32
	    " replies, %" PRIu32 " lost, %" PRIu64 " duplicated, %" PRIu64
	    " reordered, %" PRIu64 " bad\n", s->probes, r->peer, secs,
	    s->replies, s->lost, s->dup, s->reordered, s->bad);
	if (s->replies > 0)
		printf("ttcp-t: rtt min %" PRId64 " us median %" PRId64
		    " us p99 %" PRId64 " us max %" PRId64 " us\n", s->rtt_min,
		    s->rtt_p50, s->rtt_p99, s->rtt_max);
	if (s->have_offset)
		printf("ttcp-t: offset %+.1f us +- %.1f us (reply %" PRIu32
		    ", the least delay)\n", s->offset_us, s->bound_us,
		    s->offset_seq);
	if (s->have_drift)
		printf("ttcp-t: drift %+.3f ppm over %.3f s\n", s->drift_ppm,
		    s->span_s);
	if (fflush(stdout) != 0)
		err(1, "write report");
}

static int
client_report(struct rtc *r)
{
	struct rt_summary s;
	double secs = (double)((uint64_t)clock_mono_ms() - r->start_ms) / 1e3;
	const char *error = r->error[0] ? r->error : NULL;
	enum outcome o = r->outcome;
	json_t *j;

	if (rt_stats_sum(&r->st, &s) != 0)
		errx(1, "out of memory");
	if (error == NULL && r->signo != 0) {
		error = TTCP_INTERRUPTED;
		o = OUTCOME_INTERRUPTED;
	} else if (error == NULL && s.replies == 0) {
		snprintf(r->error, sizeof(r->error), "no replies from %s to "
		    "%" PRIu32 " probes%s", r->peer, s.probes, r->refused ?
		    " (port unreachable)" : "");
		error = r->error;
		o = r->refused ? OUTCOME_REFUSED : OUTCOME_TIMEOUT;
	}
	if (error != NULL)
		warnx("%s", error);
	if (r->cfg->json || r->cfg->json_stream) {
		j = summary_json(r, &s, secs);
		if (r->cfg->json_stream)
			json_object_set_new(j, "event", json_string("end"));
		if (error != NULL)
			json_object_set_new(j, "error", json_string(error));
		json_out(j);
	} else {
		print_summary(r, &s, secs);
	}
	if (r->signo != 0)
		return STOP_EXIT(r->signo);
	return error != NULL ? failure_exit(o) : EXIT_OK;
}

int
run_roundtrip_client(const struct ttcp_config *cfg, int sfd)
{
	struct sock_opts so = {
		.family = cfg->family, .src_host = cfg->bind,
		.type = cfg->tcp ? SOCK_STREAM : SOCK_DGRAM,
	};
	struct rtc r;
	char eb[ERRBUF_LEN];
	enum outcome o;
	int status;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.frame = frame_of(cfg);
	r.flen = rt_frame_len(r.frame);
	rt_stats_init(&r.st);
	r.fd = sock_connect_peer(cfg->host, cfg->port, &so, r.peer,
	    sizeof(r.peer), &o, eb);
	if (r.fd < 0)
		return report_setup_error(cfg, "roundtrip", eb, o);
	r.loop = evloop_new(eb);
	if (r.loop == NULL)
		errx(1, "%s", eb);
	if (evloop_add(r.loop, sfd, EV_READ, stop_on_signal, &r.signo) != 0)
		err(1, "watch the signal descriptor");
	if (cfg->tcp) {
		if (sockopt_nodelay(r.fd, true, eb) != 0)
			errx(1, "%s", eb);
		r.c = conn_new(r.loop, r.fd, &client_callbacks, &r, eb);
		if (r.c == NULL)
			errx(1, "%s", eb);
		conn_set_request_response(r.c, true);
	} else {
		if (sock_set_nonblock(r.fd, true) != 0)
			err(1, "O_NONBLOCK");
		if (evloop_add(r.loop, r.fd, EV_READ, udp_readable, &r) != 0)
			err(1, "watch the socket");
	}
	if (cfg->verbose)
		fprintf(stderr, "ttcp-t: roundtrip to %s over %s, %s frame\n",
		    r.peer, transport_name(cfg),
		    r.frame == RT_FRAME_NTP ? "ntp" : "muduo");
	r.start_ms = (uint64_t)clock_mono_ms();
	send_probe(r.loop, &r);
	if (evloop_run(r.loop) != 0)
		err(1, "event loop");
	status = client_report(&r);
	if (r.c != NULL)
		conn_close(r.c, CLOSE_PLAIN, 0);
	else if (!cfg->tcp)
		close(r.fd);
	evloop_free(r.loop);
	rt_stats_free(&r.st);
	return status;
}

/* The server: every peer answered, counted per peer. */
struct rt_peer {
	char addr[ADDR_STRLEN];
	uint64_t answered;
	uint64_t bad;
};

struct rts {
	const struct ttcp_config *cfg;
	struct evloop *loop;
	int fd;			/* the UDP socket or the TCP listener */
	struct rt_peer *peers;
	size_t npeers, cap;
	uint64_t answered, bad;
	struct rts_conn *conns;	/* --tcp: the open connections */
	int signo;
};

struct rts_conn {
	struct rts *srv;
	struct conn *c;
	size_t peer;
	struct rts_conn *next;
};

static struct rt_peer *
peer_find(struct rts *s, const char *addr, bool *is_new)
{
	*is_new = false;
	/* UDP peers are looked up by address; TCP ones always new. */
	for (size_t i = 0; !s->cfg->tcp && i < s->npeers; i++)
		if (strcmp(s->peers[i].addr, addr) == 0)
			return &s->peers[i];
	if (s->npeers == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct rt_peer *p = realloc(s->peers, cap * sizeof(*p));

		if (p == NULL)
			err(1, "realloc");
		s->peers = p;
		s->cap = cap;
	}
	memset(&s->peers[s->npeers], 0, sizeof(s->peers[0]));
	snprintf(s->peers[s->npeers].addr, ADDR_STRLEN, "%s", addr);
	*is_new = true;
	if (s->cfg->verbose)
		fprintf(stderr, "ttcp-r: roundtrip probes from %s\n", addr);
	return &s->peers[s->npeers++];
}

/* Count a bad request; say so once per peer with -v. */
static void
count_bad(struct rts *s, struct rt_peer *p, const char *why)
{
	if (p->bad++ == 0 && s->cfg->verbose)
		warnx("bad probe from %s: %s", p->addr, why);
	s->bad++;
}

static void
udp_request(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct rts *s = arg;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		uint8_t buf[RT_FRAME_MAX + 1];
		char addr[ADDR_STRLEN], eb[ERRBUF_LEN];
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC,
		    (struct sockaddr *)&ss, &sl);
		int64_t t2 = clock_wall_us();
		struct rt_peer *p;
		bool is_new;
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				warn("recvfrom");
			return;
		}
		addr_format((struct sockaddr *)&ss, addr, sizeof(addr));
		p = peer_find(s, addr, &is_new);
		len = (size_t)n > sizeof(buf) ? -1 :
		    rt_answer(buf, (size_t)n, t2, clock_wall_us(), eb);
		if (len < 0) {
			if ((size_t)n > sizeof(buf))
				snprintf(eb, sizeof(eb), "%zd-byte datagram, "
				    "not a probe", n);
			count_bad(s, p, eb);
			continue;
		}
		if (sendto(fd, buf, (size_t)len, MSG_NOSIGNAL,
		    (struct sockaddr *)&ss, sl) < 0) {
			warn("reply to %s", addr);
			continue;
		}
		p->answered++;
		s->answered++;
	}
}

static size_t
tcp_request(struct conn *c, const void *data, size_t len, void *arg)
{
	struct rts_conn *rc = arg;
	struct rts *s = rc->srv;
	size_t flen = rt_frame_len(frame_of(s->cfg)), off = 0;
	int64_t t2 = clock_wall_us();
	char eb[ERRBUF_LEN];

	while (len - off >= flen) {
		uint8_t buf[RT_FRAME_MAX];
		struct rt_peer *p = &s->peers[rc->peer];

		memcpy(buf, (const uint8_t *)data + off, flen);
		off += flen;
		if (rt_answer(buf, flen, t2, clock_wall_us(), eb) < 0) {
			count_bad(s, p, eb);
			continue;
		}
		if (conn_send(c, buf, flen) != 0)
			return len;
		p->answered++;
		s->answered++;
	}
	return off;
}

static void
tcp_gone(struct conn *c, enum conn_end why, enum outcome o, void *arg)
{
	struct rts_conn *rc = arg;
	struct rts *s = rc->srv;
	struct rt_peer *p = &s->peers[rc->peer];
	struct rts_conn **pp;

	if (s->cfg->verbose)
		fprintf(stderr, "ttcp-r: %s: %" PRIu64 " probes answered, %s\n",
		    p->addr, p->answered, outcome_name(o));
	for (pp = &s->conns; *pp != rc; pp = &(*pp)->next)
		continue;
	*pp = rc->next;
	free(rc);
	if (s->cfg->once)
		evloop_stop(s->loop);
}

static const struct conn_callbacks server_callbacks = {
	.on_data = tcp_request,
	.on_close = tcp_gone,
};

static void
tcp_accept(struct evloop *loop, int lfd, unsigned events, void *arg)
{
	struct rts *s = arg;
	struct rts_conn *rc;
	char addr[ADDR_STRLEN], eb[ERRBUF_LEN];
	bool is_new;
	int fd;

	fd = accept_or_warn(lfd, addr, sizeof(addr));
	if (fd < 0)
		return;
	rc = calloc(1, sizeof(*rc));
	if (rc == NULL)
		err(1, "calloc");
	rc->srv = s;
	peer_find(s, addr, &is_new);
	rc->peer = s->npeers - 1;
	if (sockopt_nodelay(fd, true, eb) != 0 ||
	    (rc->c = conn_new(loop, fd, &server_callbacks, rc, eb)) == NULL) {
		warnx("%s: %s", addr, eb);
		close(fd);
		free(rc);
		return;
	}
	conn_set_request_response(rc->c, true);
	rc->next = s->conns;
	s->conns = rc;
	if (s->cfg->once)
		evloop_del(loop, lfd);
}


static int
server_report(const struct rts *s)
{
	if (s->cfg->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < s->npeers; i++)
			json_array_append_new(arr, json_pack(
			    "{s:s, s:I, s:I}", "peer", s->peers[i].addr,
			    "answered", (json_int_t)s->peers[i].answered,
			    "bad", (json_int_t)s->peers[i].bad));
		json_out(json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o}",
		    "role", "roundtrip-server", "mode", "roundtrip",
		    "transport", transport_name(s->cfg),
		    "clients", (json_int_t)s->npeers,
		    "answered", (json_int_t)s->answered,
		    "bad", (json_int_t)s->bad, "peers", arr));
	} else {
		for (size_t i = 0; i < s->npeers; i++)
			printf("ttcp-r: %s: %" PRIu64 " probes answered, %"
			    PRIu64 " bad\n", s->peers[i].addr,
			    s->peers[i].answered, s->peers[i].bad);
		printf("ttcp-r: %zu clients, %" PRIu64 " probes answered, %"
		    PRIu64 " bad\n", s->npeers, s->answered, s->bad);
		if (fflush(stdout) != 0)
			err(1, "write report");
	}
	return s->signo != 0 ? STOP_EXIT(s->signo) : EXIT_OK;
}

int
run_roundtrip_server(const struct ttcp_config *cfg, int sfd)
{
	struct sock_opts so = {
		.family = cfg->family,
		.type = cfg->tcp ? SOCK_STREAM : SOCK_DGRAM,
	};
	struct rts s;
	char eb[ERRBUF_LEN];
	int status;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.fd = sock_listen(cfg->bind, cfg->port, &so, eb);
	if (s.fd < 0)
		return report_setup_error(cfg, "roundtrip-server", eb,
		    OUTCOME_ERROR);
	if (sock_set_nonblock(s.fd, true) != 0)
		err(1, "O_NONBLOCK");
	s.loop = evloop_new(eb);
	if (s.loop == NULL)
		errx(1, "%s", eb);
	if (evloop_add(s.loop, sfd, EV_READ, stop_on_signal, &s.signo) != 0 ||
	    evloop_add(s.loop, s.fd, EV_READ, cfg->tcp ? tcp_accept :
	    udp_request, &s) != 0)
		err(1, "watch the sockets");
	verbose_listening(cfg, s.fd);
	if (evloop_run(s.loop) != 0)
		err(1, "event loop");
	status = server_report(&s);
	/* Connections still open at a signal are reset. */
	while (s.conns != NULL)
		conn_close(s.conns->c, CLOSE_ABORT, 0);
	evloop_free(s.loop);
	close(s.fd);
	free(s.peers);
	return status;
}
