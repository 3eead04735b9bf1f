/* SPDX-License-Identifier: BSD-2-Clause */
/* The runner: one process per case run; forks both sides, captures, judges. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "capture.h"
#include "errbuf.h"
#include "evloop.h"
#include "flow.h"
#include "flow_out.h"
#include "pipeline.h"
#include "pktdecode.h"
#include "sock.h"
#include "sockopt.h"
#include "stop.h"
#include "check.h"
#include "run.h"
#include "side.h"
#include "vanish.h"

#define QUIET_MS	250	/* capture ends after this much silence */
#define QUIET_MAX_MS	3000
#define SNAPLEN		128	/* headers only: the classifier needs no more */

struct child {
	pid_t pid;
	int pidfd;
	int ctl;
	bool done, exited, failed;
	bool killing;		/* the runner is killing it: ignore its error */
	int status;
	json_t *events, *facts;
	char error[512];
};

/* One segment as the capture saw it, for the per-side evidence. */
struct seg {
	int64_t ts_us;
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t len;
};

struct flowrec {
	json_t *json;
	enum flow_class teardown;
	enum flow_side closed_by;
	uint16_t orig_port, resp_port;
	struct flow_side_stats orig, resp;
};

struct run {
	const struct fault_case *fc;
	const struct case_variant *var;
	const struct run_opts *opts;
	struct child ch[ROLE_COUNT];
	uint64_t epoch_us;
	unsigned server_port;
	enum vanish_method vanish;
	struct capture *cap;
	char cap_why[ERRBUF_LEN];
	char pcap_path[PATH_MAX];
	struct pipeline *flows;
	struct flowrec *recs;
	size_t nrecs;
	struct seg *segs;
	size_t nsegs, capsegs;
	json_t *diffs;			/* the runner's own findings */
};

static int
run_child_fd(const struct run *r, enum case_role id)
{
	json_t *fd = json_object_get(r->ch[id].facts, "fd");

	errno = 0;
	if (fd == NULL || r->ch[id].exited || r->ch[id].pidfd == -1)
		return -1;
	return (int)syscall(SYS_pidfd_getfd, r->ch[id].pidfd,
	    (int)json_integer_value(fd), 0);
}

static void diff(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
diff(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_array_append_new(r->diffs, json_vsprintf(fmt, ap));
	va_end(ap);
}

static void
run_event(struct run *r, enum case_role id, const char *op, int64_t bytes,
    enum outcome o, int err)
{
	json_t *ev = json_object();

	json_object_set_new(ev, "t_us",
	    json_integer((json_int_t)(clock_mono_us() - r->epoch_us)));
	json_object_set_new(ev, "op", json_string(op));
	if (bytes >= 0)
		json_object_set_new(ev, "bytes", json_integer(bytes));
	json_object_set_new(ev, "outcome", json_string(outcome_name(o)));
	if (err != 0)
		json_object_set_new(ev, "errno", json_integer(err));
	json_array_append_new(r->ch[id].events, ev);
}

static void
run_fact_int(struct run *r, enum case_role id, const char *key, int64_t v)
{
	json_object_set_new(r->ch[id].facts, key, json_integer(v));
}

static void
run_send(struct run *r, enum case_role to, const char *token)
{
	struct child *c = &r->ch[to];

	if (!c->exited && c->ctl != -1)
		send(c->ctl, token, strlen(token), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* One message from a side. */
static void
handle_msg(struct run *r, enum case_role id, const char *text)
{
	struct child *c = &r->ch[id];
	json_error_t jerr;
	json_t *msg = json_loads(text, 0, &jerr), *v;

	if (msg == NULL)
		return;
	if ((v = json_object_get(msg, "ev")) != NULL) {
		json_array_append(c->events, v);
	} else if ((v = json_object_get(msg, "fact")) != NULL) {
		json_object_set(c->facts, json_string_value(v),
		    json_object_get(msg, "value"));
	} else if ((v = json_object_get(msg, "sync")) != NULL) {
		const char *token = json_string_value(v);

		if (r->fc->play->hook != NULL)
			r->fc->play->hook(r, id, token);
		run_send(r, id == ROLE_CLIENT ? ROLE_SERVER : ROLE_CLIENT,
		    token);
	} else if (json_object_get(msg, "done") != NULL) {
		c->done = true;
	} else if ((v = json_object_get(msg, "error")) != NULL &&
	    !c->killing) {
		c->failed = true;
		snprintf(c->error, sizeof(c->error), "%s",
		    json_string_value(v));
	}
	json_decref(msg);
}

/* Read every message queued from a side (block: wait for one first). */
static void
drain_ctl(struct run *r, enum case_role id, bool block)
{
	struct child *c = &r->ch[id];
	char buf[8192];

	for (;;) {
		ssize_t n = recv(c->ctl, buf, sizeof(buf) - 1,
		    block ? 0 : MSG_DONTWAIT);

		block = false;
		if (n <= 0)
			return;
		buf[n] = '\0';
		handle_msg(r, id, buf);
	}
}

/* A side ended: read what it still said, record how it ended, tell the other. */
static void
reap(struct run *r, enum case_role id, bool wait)
{
	struct child *c = &r->ch[id];
	int status;
	pid_t p;

	if (c->exited)
		return;
	do
		p = waitpid(c->pid, &status, wait ? 0 : WNOHANG);
	while (p == -1 && errno == EINTR);
	if (p != c->pid)
		return;
	c->exited = true;
	c->status = status;
	drain_ctl(r, id, false);
	if (WIFSIGNALED(status)) {
		run_event(r, id, "killed", WTERMSIG(status),
		    OUTCOME_INTERRUPTED, 0);
	} else if (!c->done && !c->failed && WEXITSTATUS(status) == 3) {
		c->failed = true;
		snprintf(c->error, sizeof(c->error), "lost its runner link");
	}
	if (c->pidfd != -1)
		close(c->pidfd);
	c->pidfd = -1;
	run_send(r, id == ROLE_CLIENT ? ROLE_SERVER : ROLE_CLIENT,
	    "peer-exited");
}

static void
run_kill(struct run *r, enum case_role id)
{
	struct child *c = &r->ch[id];

	if (c->exited)
		return;
	c->killing = true;
	kill(c->pid, SIGKILL);
	reap(r, id, true);
}

/* The system call pid sleeps in ("44" = sendto), or -1 while it runs. */
static long
blocked_in(pid_t pid)
{
	char path[64], buf[256];
	FILE *fp;
	long nr = -1;
	char state = '?';

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), fp) != NULL) {
			char *p = strrchr(buf, ')');

			if (p != NULL && p[1] == ' ')
				state = p[2];
		}
		fclose(fp);
	}
	if (state != 'S' && state != 'D')
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fscanf(fp, "%ld", &nr) != 1)
			nr = -1;
		fclose(fp);
	}
	return nr;
}

void
run_kill_when_blocked(struct run *r, enum case_role id)
{
	int64_t deadline = clock_mono_ms() + 2000;
	long nr = -1;

	while (!r->ch[id].exited && clock_mono_ms() < deadline &&
	    stop_requested() == 0) {
		nr = blocked_in(r->ch[id].pid);
		if (nr >= 0)
			break;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	run_fact_int(r, id, "killed_in_syscall", nr);
	run_kill(r, id);
}

void
run_watch_deadlock(struct run *r)
{
	int64_t deadline = clock_mono_ms() + 8000;
	int prev[4] = { -1, -1, -1, -1 }, q[4] = { 0 }, stable = 0;
	int fd[ROLE_COUNT] = { -1, -1 };

	while (stable < 10 && clock_mono_ms() < deadline &&
	    stop_requested() == 0) {
		bool same = true, full = true;

		nanosleep(&(struct timespec){ 0, 20 * 1000000 }, NULL);
		for (int i = 0; i < ROLE_COUNT; i++) {
			drain_ctl(r, (enum case_role)i, false);
			if (fd[i] == -1)
				fd[i] = run_child_fd(r, (enum case_role)i);
			if (fd[i] == -1 && errno != 0 && json_object_get(
			    r->ch[i].facts, "fd") != NULL)
				run_fact_int(r, (enum case_role)i,
				    "inspect_errno", errno);
		}
		if (fd[ROLE_CLIENT] == -1 || fd[ROLE_SERVER] == -1)
			continue;
		for (int i = 0; i < ROLE_COUNT; i++) {
			q[2 * i] = sockopt_outq(fd[i]);
			q[2 * i + 1] = sockopt_inq(fd[i]);
		}
		for (int k = 0; k < 4; k++) {
			same = same && q[k] == prev[k];
			full = full && q[k] > 0;
			prev[k] = q[k];
		}
		stable = same && full ? stable + 1 : 0;
	}
	for (int i = 0; i < ROLE_COUNT; i++) {
		struct tcpinfo_snap snap;

		if (fd[i] == -1)
			continue;
		if (sockopt_tcp_info(fd[i], &snap, NULL) == 0) {
			run_fact_int(r, (enum case_role)i, "stuck_send_queue",
			    snap.send_queue);
			run_fact_int(r, (enum case_role)i, "stuck_recv_queue",
			    snap.recv_queue);
			run_fact_int(r, (enum case_role)i, "bytes_received",
			    (int64_t)snap.bytes_received);
			run_fact_int(r, (enum case_role)i, "bytes_acked",
			    (int64_t)snap.bytes_acked);
		}
		/* Our borrowed copy must not keep the socket alive. */
		close(fd[i]);
	}
	run_fact_int(r, ROLE_CLIENT, "stuck", stable >= 10);
	/*
	 * Stop both first, then kill the client and reap it before killing
	 * the server: the client's RST reaches a server that cannot run, so
	 * the teardown is the client's alone (deterministic).
	 */
	for (int i = 0; i < ROLE_COUNT; i++)
		if (!r->ch[i].exited)
			kill(r->ch[i].pid, SIGSTOP);
	for (int i = 0; i < ROLE_COUNT; i++)
		if (!r->ch[i].exited) {
			r->ch[i].killing = true;
			kill(r->ch[i].pid, SIGKILL);
			reap(r, (enum case_role)i, true);
		}
	for (int i = 0; i < ROLE_COUNT; i++)
		reap(r, (enum case_role)i, true);
}

static void
kill_all(struct run *r)
{
	for (int i = 0; i < ROLE_COUNT; i++)
		if (r->ch[i].pid > 0 && !r->ch[i].exited) {
			kill(r->ch[i].pid, SIGKILL);
			reap(r, (enum case_role)i, true);
		}
}

/* Capture thread, after the classifier: keep the per-side evidence. */
static void
on_segment(const struct pkt_tcp *seg, void *arg)
{
	struct run *r = arg;

	if (r->nsegs == r->capsegs) {
		size_t ncap = r->capsegs ? r->capsegs * 2 : 1024;
		struct seg *ns = realloc(r->segs, ncap * sizeof(*ns));

		if (ns == NULL)
			return;
		r->segs = ns;
		r->capsegs = ncap;
	}
	r->segs[r->nsegs++] = (struct seg){ .ts_us = seg->ts_us,
	    .sport = seg->sport, .dport = seg->dport, .flags = seg->flags,
	    .len = seg->payload_len };
}

static void
on_flow(const struct flow_result *fr, void *arg)
{
	struct run *r = arg;
	struct flowrec *nr = realloc(r->recs, (r->nrecs + 1) * sizeof(*nr));

	if (nr == NULL)
		return;
	r->recs = nr;
	nr[r->nrecs++] = (struct flowrec){ .json = flow_result_json(fr),
	    .teardown = fr->teardown, .closed_by = fr->closed_by,
	    .orig_port = fr->orig_port, .resp_port = fr->resp_port,
	    .orig = fr->orig, .resp = fr->resp };
}

/* Who the classifier's orig/resp is, in the case's words. */
static const char *
side_of(const struct flowrec *fr, enum flow_side fs, unsigned client_port)
{
	uint16_t port;

	if (fs == FLOW_SIDE_NONE)
		return "";
	port = fs == FLOW_SIDE_ORIG ? fr->orig_port : fr->resp_port;
	return port == client_port ? "client" : "server";
}

static void
build_wire(struct run *r, struct wire_view *w)
{
	json_t *cp = json_object_get(r->ch[ROLE_CLIENT].facts, "local_port");
	unsigned client_port = cp != NULL ? (unsigned)json_integer_value(cp) :
	    0;

	/* A self-connection has one port on both ends. */
	if (r->fc->flags & CASE_NO_LISTEN)
		client_port = r->server_port;
	const struct flowrec *main = NULL;
	int64_t mark = -1;
	json_t *m;

	memset(w, 0, sizeof(*w));
	w->mark_real_us = -1;
	w->client_fin_ts = w->server_fin_ts = -1;
	w->client_rst_ts = w->server_rst_ts = -1;
	if (r->cap == NULL)
		return;
	w->have = true;
	w->connections = (int)r->nrecs;
	for (size_t i = 0; i < r->nrecs; i++) {
		if (r->recs[i].teardown == FLOW_REFUSED)
			w->refused++;
		if ((r->recs[i].orig_port == client_port &&
		    r->recs[i].resp_port == r->server_port) ||
		    (r->recs[i].resp_port == client_port &&
		    r->recs[i].orig_port == r->server_port))
			main = &r->recs[i];
	}
	if (main == NULL && r->nrecs > 0)
		main = &r->recs[r->nrecs - 1];
	if (main != NULL) {
		bool client_orig = main->orig_port == client_port;

		w->json = main->json;
		w->teardown = flow_class_name(main->teardown);
		w->closed_by = side_of(main, main->closed_by, client_port);
		w->client = client_orig ? main->orig : main->resp;
		w->server = client_orig ? main->resp : main->orig;
	} else {
		w->teardown = "";
		w->closed_by = "";
	}
	/* A mark (vanish, shut-rd) in capture time. */
	for (int i = 0; i < ROLE_COUNT && mark < 0; i++) {
		if ((m = json_object_get(r->ch[i].facts, "vanish_real_us")) ||
		    (m = json_object_get(r->ch[i].facts, "mark_real_us")))
			mark = json_integer_value(m);
	}
	w->mark_real_us = mark;
	bool client_data_seen = false;

	for (size_t i = 0; i < r->nsegs; i++) {
		const struct seg *s = &r->segs[i];
		bool from_client = s->sport == client_port &&
		    s->dport == r->server_port;
		bool from_server = s->sport == r->server_port &&
		    s->dport == client_port;

		if (!from_client && !from_server)
			continue;
		if (s->flags & PKT_FIN) {
			int64_t *t = from_client ? &w->client_fin_ts :
			    &w->server_fin_ts;
			if (*t < 0)
				*t = s->ts_us;
		}
		if (s->flags & PKT_RST) {
			int64_t *t = from_client ? &w->client_rst_ts :
			    &w->server_rst_ts;
			if (*t < 0)
				*t = s->ts_us;
		}
		if (mark >= 0 && s->ts_us > mark) {
			if (from_client)
				w->client_after_mark++;
			else
				w->server_after_mark++;
			if (from_server && (s->flags & PKT_RST))
				w->server_rsts_after_mark++;
			if (from_client && s->len > 0)
				client_data_seen = true;
			if (from_server && !client_data_seen)
				w->server_before_client_data++;
		}
	}
}

/* Fork one side. Returns 0, or -1 with errbuf set. */
static int
spawn(struct run *r, enum case_role id, int listen_fd, const char *host,
    const char *port, char *errbuf)
{
	struct child *c = &r->ch[id];
	struct side_env env;
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		errbuf_set(errbuf, "socketpair: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		errbuf_set(errbuf, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		for (int i = 0; i < ROLE_COUNT; i++)
			if (r->ch[i].ctl != -1)
				close(r->ch[i].ctl);
		memset(&env, 0, sizeof(env));
		env.id = id;
		env.fc = r->fc;
		env.var = r->var;
		env.vanish = r->vanish;
		env.ctl = sv[1];
		env.epoch_us = r->epoch_us;
		env.listen_fd = -1;
		if (id == ROLE_SERVER)
			env.listen_fd = listen_fd;
		else if (listen_fd != -1)
			close(listen_fd);
		snprintf(env.host, sizeof(env.host), "%s", host);
		snprintf(env.port, sizeof(env.port), "%s", port);
		side_main(&env);
	}
	close(sv[1]);
	c->pid = pid;
	c->ctl = sv[0];
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

static bool
finished(const struct run *r)
{
	for (int i = 0; i < ROLE_COUNT; i++)
		if (!r->ch[i].exited && !r->ch[i].done && !r->ch[i].failed)
			return false;
	return true;
}

/* Dispatch messages and exits until both sides are done or time is up. */
static void
supervise(struct run *r)
{
	int64_t deadline = clock_mono_ms() + r->fc->max_ms;

	while (!finished(r)) {
		struct pollfd pfd[2 * ROLE_COUNT];
		int what[2 * ROLE_COUNT], n = 0, rc;
		int64_t left = deadline - clock_mono_ms();

		if (stop_requested() != 0)
			return;
		if (left <= 0) {
			diff(r, "the run did not finish within %d ms",
			    r->fc->max_ms);
			kill_all(r);
			return;
		}
		for (int i = 0; i < ROLE_COUNT; i++) {
			if (r->ch[i].exited)
				continue;
			pfd[n] = (struct pollfd){ .fd = r->ch[i].ctl,
			    .events = POLLIN };
			what[n++] = i;
			if (r->ch[i].pidfd != -1) {
				pfd[n] = (struct pollfd){ .fd = r->ch[i].pidfd,
				    .events = POLLIN };
				what[n++] = i + ROLE_COUNT;
			}
		}
		rc = poll(pfd, (nfds_t)n, left > 100 ? 100 : (int)left);
		if (rc < 0 && errno != EINTR)
			break;
		for (int k = 0; rc > 0 && k < n; k++) {
			if (pfd[k].revents == 0)
				continue;
			if (what[k] < ROLE_COUNT)
				drain_ctl(r, (enum case_role)what[k], false);
			else
				reap(r, (enum case_role)(what[k] - ROLE_COUNT),
				    false);
		}
		/* Without pidfds, notice exits by polling. */
		for (int i = 0; i < ROLE_COUNT; i++)
			if (r->ch[i].pidfd == -1 && !r->ch[i].exited)
				reap(r, (enum case_role)i, false);
		for (int i = 0; i < ROLE_COUNT; i++)
			if (r->ch[i].failed) {
				kill_all(r);
				return;
			}
	}
}

/* Let held sides close and exit; kill those that do not. */
static void
release(struct run *r)
{
	int64_t deadline = clock_mono_ms() + 2000;

	for (int i = 0; i < ROLE_COUNT; i++)
		if (r->ch[i].pid > 0 && !r->ch[i].exited)
			send(r->ch[i].ctl, "release", 7, MSG_NOSIGNAL);
	for (int i = 0; i < ROLE_COUNT; i++) {
		while (r->ch[i].pid > 0 && !r->ch[i].exited &&
		    clock_mono_ms() < deadline) {
			reap(r, (enum case_role)i, false);
			if (!r->ch[i].exited)
				nanosleep(&(struct timespec){ 0, 5000000 },
				    NULL);
		}
	}
	kill_all(r);
}

static json_t *
skipped(const struct fault_case *fc, const struct case_variant *var,
    const char *why)
{
	return json_pack("{s:s,s:s?,s:s,s:s,s:s,s:{},s:n,s:n}", "case", fc->id,
	    "variant", strcmp(var->name, "-") == 0 ? NULL : var->name,
	    "verdict", "skipped", "reason", why, "expected", var->expect,
	    "observed", "wire", "pcap");
}

/* DIR/<case>-<variant>[-<iter>].pcap */
static void
pcap_name(struct run *r, int iter)
{
	char name[128];

	if (strcmp(r->var->name, "-") == 0)
		snprintf(name, sizeof(name), "%s", r->fc->id);
	else
		snprintf(name, sizeof(name), "%s-%s", r->fc->id, r->var->name);
	if (r->opts->repeat > 1)
		snprintf(r->pcap_path, sizeof(r->pcap_path), "%s/%s-%d.pcap",
		    r->opts->pcap_dir, name, iter + 1);
	else
		snprintf(r->pcap_path, sizeof(r->pcap_path), "%s/%s.pcap",
		    r->opts->pcap_dir, name);
}

static void
set_port_range(const char *range, char *errbuf)
{
	int fd = open("/proc/sys/net/ipv4/ip_local_port_range", O_WRONLY);

	if (fd == -1 || write(fd, range, strlen(range)) == -1)
		errbuf_set(errbuf, "ip_local_port_range: %s", strerror(errno));
	if (fd != -1)
		close(fd);
}

static json_t *
judge(struct run *r, int64_t started_ms)
{
	struct wire_view w;
	struct check ck;
	const char *verdict;
	json_t *res, *reason_parts;
	char *reason;
	size_t i, len = 0;

	build_wire(r, &w);
	memset(&ck, 0, sizeof(ck));
	ck.fc = r->fc;
	ck.var = r->var;
	ck.wire = &w;
	ck.diffs = json_array();
	for (i = 0; i < ROLE_COUNT; i++) {
		ck.tl[i] = r->ch[i].events;
		ck.facts[i] = r->ch[i].facts;
	}
	json_array_extend(ck.diffs, r->diffs);
	for (i = 0; i < ROLE_COUNT; i++)
		if (r->ch[i].failed)
			ck_expect(&ck, false, "%s failed: %s",
			    role_name((enum case_role)i), r->ch[i].error);
	if (json_array_size(ck.diffs) == 0)
		r->fc->play->check(&ck);
	verdict = json_array_size(ck.diffs) == 0 ? "expected" : "unexpected";
	reason_parts = json_copy(ck.diffs);
	if (r->cap == NULL) {
		char msg[ERRBUF_LEN + 64];

		snprintf(msg, sizeof(msg), "capture skipped (%s): wire not "
		    "checked", r->cap_why);
		json_array_append_new(reason_parts, json_string(msg));
	} else if (capture_dropped(r->cap) > 0) {
		char msg[64];

		snprintf(msg, sizeof(msg), "the capture dropped %llu packets",
		    (unsigned long long)capture_dropped(r->cap));
		json_array_append_new(reason_parts, json_string(msg));
	}
	for (i = 0; i < json_array_size(reason_parts); i++)
		len += strlen(json_string_value(json_array_get(reason_parts,
		    i))) + 2;
	reason = calloc(1, len + 1);
	for (i = 0; reason != NULL && i < json_array_size(reason_parts); i++) {
		if (i > 0)
			strcat(reason, "; ");
		strcat(reason, json_string_value(json_array_get(reason_parts,
		    i)));
	}
	res = json_pack("{s:s,s:s?,s:s,s:s,s:s,s:{s:O,s:O},s:{s:O,s:O},"
	    "s:O?,s:i,s:s?,s:I}",
	    "case", r->fc->id,
	    "variant", strcmp(r->var->name, "-") == 0 ? NULL : r->var->name,
	    "verdict", verdict,
	    "reason", reason != NULL ? reason : "",
	    "expected", r->var->expect,
	    "observed", "client", r->ch[ROLE_CLIENT].events,
	    "server", r->ch[ROLE_SERVER].events,
	    "facts", "client", r->ch[ROLE_CLIENT].facts,
	    "server", r->ch[ROLE_SERVER].facts,
	    "wire", w.json,
	    "wire_connections", w.connections,
	    "pcap", r->cap != NULL && r->opts->pcap_dir != NULL ?
	    r->pcap_path : NULL,
	    "duration_ms", (json_int_t)(clock_mono_ms() - started_ms));
	free(reason);
	json_decref(reason_parts);
	json_decref(ck.diffs);
	if (res == NULL)
		return NULL;
	if (r->fc->flags & CASE_VANISH)
		json_object_set_new(res, "vanish_method",
		    json_string(vanish_name(r->vanish)));
	json_object_set_new(res, "capture", json_string(r->cap != NULL ?
	    "ok" : r->cap_why));
	if (w.have)
		json_object_set_new(res, "wire_closed_by",
		    json_string(w.closed_by));
	/* Segments each side sent after a vanish or shut-rd mark. */
	if (w.have && w.mark_real_us >= 0)
		json_object_set_new(res, "wire_after_mark", json_pack(
		    "{s:i,s:i}", "client", (int)w.client_after_mark,
		    "server", (int)w.server_after_mark));
	return res;
}

static void
run_free(struct run *r)
{
	for (int i = 0; i < ROLE_COUNT; i++) {
		json_decref(r->ch[i].events);
		json_decref(r->ch[i].facts);
		if (r->ch[i].ctl != -1)
			close(r->ch[i].ctl);
		if (r->ch[i].pidfd != -1)
			close(r->ch[i].pidfd);
	}
	for (size_t i = 0; i < r->nrecs; i++)
		json_decref(r->recs[i].json);
	free(r->recs);
	free(r->segs);
	json_decref(r->diffs);
	pipeline_free(r->flows);
}

json_t *
run_one(const struct fault_case *fc, const struct case_variant *var,
    const struct run_opts *opts, int iter)
{
	struct capture_opts co = { .iface = "lo", .snaplen = SNAPLEN };
	char errbuf[ERRBUF_LEN] = "", filter[64], port[16];
	int64_t started_ms = clock_mono_ms();
	enum capture_err why;
	struct run r;
	json_t *res;
	int lfd = -1;

	/* The runner only notes a stop: main's hook (kill us) is not ours. */
	if (stop_catch(NULL, errbuf) == -1)
		return json_pack("{s:s,s:s,s:s}", "case", fc->id, "verdict",
		    "unexpected", "reason", errbuf);
	memset(&r, 0, sizeof(r));
	r.fc = fc;
	r.var = var;
	r.opts = opts;
	r.diffs = json_array();
	for (int i = 0; i < ROLE_COUNT; i++) {
		r.ch[i].ctl = r.ch[i].pidfd = -1;
		r.ch[i].events = json_array();
		r.ch[i].facts = json_object();
	}
	r.vanish = VANISH_NONE;
	if (fc->flags & CASE_VANISH) {
		r.vanish = opts->vanish;
		if (r.vanish == VANISH_NONE || r.vanish == VANISH_AUTO) {
			run_free(&r);
			return skipped(fc, var, opts->vanish_why);
		}
	}
	if ((fc->flags & CASE_NETNS) || r.vanish == VANISH_NFT) {
		if (netns_enter(errbuf) == -1) {
			run_free(&r);
			return skipped(fc, var, errbuf);
		}
	}
	if (fc->flags & CASE_NO_LISTEN) {
		set_port_range(SELFCONN_RANGE, errbuf);
		if (*errbuf != '\0') {
			run_free(&r);
			return skipped(fc, var, errbuf);
		}
		r.server_port = SELFCONN_PORT;
	} else {
		lfd = sock_listen("127.0.0.1", "0", NULL, errbuf);
		if (lfd == -1) {
			run_free(&r);
			return json_pack("{s:s,s:s,s:s}", "case", fc->id,
			    "verdict", "unexpected", "reason", errbuf);
		}
		r.server_port = sock_local_port(lfd);
	}
	snprintf(port, sizeof(port), "%u", r.server_port);
	snprintf(filter, sizeof(filter), "tcp port %u", r.server_port);
	r.epoch_us = clock_mono_us();
	r.flows = pipeline_new(NULL, on_flow, &r);
	if (r.flows != NULL)
		pipeline_on_segment(r.flows, on_segment, &r);
	if (opts->no_capture) {
		snprintf(r.cap_why, sizeof(r.cap_why), "--no-capture");
	} else {
		co.filter = filter;
		if (opts->pcap_dir != NULL) {
			pcap_name(&r, iter);
			co.pcap_path = r.pcap_path;
		}
		r.cap = pipeline_capture_open(r.flows, &co, &why, r.cap_why);
	}
	if (spawn(&r, ROLE_CLIENT, lfd, "127.0.0.1", port, errbuf) == -1 ||
	    spawn(&r, ROLE_SERVER, lfd, "127.0.0.1", port, errbuf) == -1)
		diff(&r, "%s", errbuf);
	if (lfd != -1)
		close(lfd);
	if (r.cap != NULL && capture_start(r.cap, errbuf) == -1) {
		snprintf(r.cap_why, sizeof(r.cap_why), "%s", errbuf);
		capture_close(r.cap);
		r.cap = NULL;
	}
	supervise(&r);
	if (stop_requested() != 0) {
		kill_all(&r);
		capture_close(r.cap);
		run_free(&r);
		_exit(STOP_EXIT(stop_requested()));
	}
	if (r.cap != NULL && capture_stop(r.cap, QUIET_MS, QUIET_MAX_MS,
	    errbuf) == -1)
		diff(&r, "%s", errbuf);
	release(&r);
	pipeline_flush(r.flows);
	res = judge(&r, started_ms);
	capture_close(r.cap);
	r.cap = NULL;
	run_free(&r);
	return res;
}
