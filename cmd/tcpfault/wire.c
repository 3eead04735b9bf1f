/* SPDX-License-Identifier: BSD-2-Clause */
/* The proxy's own capture, classified as finrst and tcpfault run do. */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "errbuf.h"
#include "flow.h"
#include "pipeline.h"
#include "wire.h"

/* The connections classified lately (a ring: links ask soon after). */
#define WIRE_KEEP 4096

struct wire_rec {
	uint16_t orig_port, resp_port;
	enum flow_class teardown;
	enum flow_side closed_by;
	uint32_t retransmits;	/* the client's data segments sent again */
	uint64_t unacked;	/* its bytes the proxy never acknowledged */
};

struct wire {
	struct pipeline *pl;
	struct capture *cap;
	pthread_mutex_t mu;
	struct wire_rec rec[WIRE_KEEP];
	uint64_t n;
	char path[4096];
};

/* From the capture thread: one connection's teardown settled. */
static void
on_flow(const struct flow_result *fr, void *arg)
{
	struct wire *w = arg;

	pthread_mutex_lock(&w->mu);
	w->rec[w->n++ % WIRE_KEEP] = (struct wire_rec){ fr->orig_port,
	    fr->resp_port, fr->teardown, fr->closed_by,
	    fr->orig.retransmits, fr->orig.unacked };
	pthread_mutex_unlock(&w->mu);
}

struct wire *
wire_open(const char *dir, char *errbuf)
{
	/* A short grace: a link waits for its class before reporting. */
	struct flow_config fc = { .grace_us = 100000, .idle_us = 0 };
	/* Headers are enough: other programs' loopback traffic is in too. */
	struct capture_opts co = { .iface = "lo", .filter = "tcp",
	    .snaplen = 128 };
	struct wire *w = calloc(1, sizeof(*w));
	enum capture_err why;

	if (w == NULL) {
		errbuf_set(errbuf, "--pcap: out of memory");
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	snprintf(w->path, sizeof(w->path), "%s/tcpfault-proxy.pcap", dir);
	co.pcap_path = w->path;
	if ((w->pl = pipeline_new(&fc, on_flow, w)) == NULL ||
	    (w->cap = pipeline_capture_open(w->pl, &co, &why,
	    errbuf)) == NULL || capture_start(w->cap, errbuf) == -1) {
		if (w->pl == NULL)
			errbuf_set(errbuf, "--pcap: out of memory");
		wire_close(w);
		return NULL;
	}
	return w;
}

static int
lookup(struct wire *w, unsigned cport, unsigned lport, struct wire_rec *out)
{
	int found = -1;

	pthread_mutex_lock(&w->mu);
	for (uint64_t i = w->n; i > 0 && i + WIRE_KEEP > w->n; i--) {
		const struct wire_rec *r = &w->rec[(i - 1) % WIRE_KEEP];

		if (r->orig_port == cport && r->resp_port == lport) {
			*out = *r;
			found = 0;
			break;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return found;
}

/* The client's connection: orig is the client, resp the proxy. */
static const char *
side(enum flow_side s)
{
	return s == FLOW_SIDE_ORIG ? "client" : s == FLOW_SIDE_RESP ?
	    "proxy" : "";
}

const char *
wire_class(struct wire *w, unsigned cport, unsigned lport, int wait_ms,
    char *buf, size_t len)
{
	int64_t until = clock_mono_ms() + wait_ms;
	struct wire_rec r;

	while (lookup(w, cport, lport, &r) == -1) {
		if (clock_mono_ms() >= until)
			return NULL;
		pipeline_advance(w->pl, clock_wall_us());
		(void)poll(NULL, 0, 20);
	}
	snprintf(buf, len, "%s%s%s", flow_class_name(r.teardown),
	    r.closed_by == FLOW_SIDE_NONE ? "" : " by ", side(r.closed_by));
	if (r.retransmits > 0 && strlen(buf) < len)
		snprintf(buf + strlen(buf), len - strlen(buf), ", client "
		    "retransmitted %u, %llu bytes unacknowledged",
		    (unsigned)r.retransmits, (unsigned long long)r.unacked);
	return buf;
}

void
wire_close(struct wire *w)
{
	char errbuf[ERRBUF_LEN];

	if (w == NULL)
		return;
	if (w->cap != NULL) {
		(void)capture_stop(w->cap, 50, 1000, errbuf);
		capture_close(w->cap);
	}
	pipeline_free(w->pl);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
