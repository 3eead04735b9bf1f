/* SPDX-License-Identifier: BSD-2-Clause */
/* Live libpcap capture on one interface: a thread, a pcap file, a callback. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "clock.h"
#include "capture.h"
#include "errbuf.h"
#include "pktdecode.h"

struct capture {
	pcap_t *pcap;
	pcap_dumper_t *dump;
	capture_fn *fn;
	void *arg;
	int linktype;
	int fd;			/* pcap_get_selectable_fd */
	pthread_t thread;
	bool started;
	atomic_bool stop;
	atomic_uint_fast64_t packets;
	atomic_int_fast64_t last_ms;	/* monotonic time of the last packet */
	uint64_t dropped;
	bool write_failed;
};

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)(void *)user;
	int64_t ts_us = pkt_ts_us(h->ts.tv_sec, h->ts.tv_usec);

	if (c->dump != NULL)
		pcap_dump((u_char *)c->dump, h, bytes);
	if (c->fn != NULL)
		c->fn(c->arg, c->linktype, ts_us, h->len, bytes, h->caplen);
	atomic_fetch_add(&c->packets, 1);
	atomic_store(&c->last_ms, clock_mono_ms());
}

static void
discard_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
}

/* Dispatch until stop is set, then once more for what is still buffered. */
static void *
capture_thread(void *arg)
{
	struct capture *c = arg;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	while (!atomic_load(&c->stop)) {
		int rc = poll(&pfd, 1, 20);

		if (rc < 0 && errno != EINTR)
			break;
		if (pcap_dispatch(c->pcap, -1, on_packet, (u_char *)c) < 0)
			break;
	}
	while (pcap_dispatch(c->pcap, -1, on_packet, (u_char *)c) > 0)
		;
	return NULL;
}

const char *
capture_err_name(enum capture_err e)
{
	switch (e) {
	case CAPTURE_ERR_NONE:
		return "none";
	case CAPTURE_ERR_PERM:
		return "permission";
	case CAPTURE_ERR_IFACE:
		return "interface";
	case CAPTURE_ERR_FILTER:
		return "filter";
	case CAPTURE_ERR_FILE:
		return "file";
	case CAPTURE_ERR_OTHER:
		break;
	}
	return "other";
}

static void
set_why(enum capture_err *why, enum capture_err e)
{
	if (why != NULL)
		*why = e;
}

struct capture *
capture_open(const struct capture_opts *o, capture_fn *fn, void *arg,
    enum capture_err *why, char *errbuf)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	const char *iface = o->iface != NULL ? o->iface : "lo";
	struct bpf_program prog;
	struct capture *c;
	int rc;

	set_why(why, CAPTURE_ERR_OTHER);
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		errbuf_set(errbuf, "capture on %s: out of memory", iface);
		return NULL;
	}
	c->fn = fn;
	c->arg = arg;
	c->fd = -1;
	atomic_store(&c->last_ms, clock_mono_ms());
	c->pcap = pcap_create(iface, perr);
	if (c->pcap == NULL) {
		errbuf_set(errbuf, "capture on %s: %s", iface, perr);
		goto fail;
	}
	pcap_set_snaplen(c->pcap, o->snaplen > 0 ? o->snaplen : 65535);
	pcap_set_immediate_mode(c->pcap, 1);
	pcap_set_buffer_size(c->pcap, 16 << 20);
	rc = pcap_activate(c->pcap);
	if (rc < 0) {
		if (rc == PCAP_ERROR_PERM_DENIED)
			set_why(why, CAPTURE_ERR_PERM);
		else if (rc == PCAP_ERROR_NO_SUCH_DEVICE ||
		    rc == PCAP_ERROR_IFACE_NOT_UP)
			set_why(why, CAPTURE_ERR_IFACE);
		errbuf_set(errbuf, "capture on %s: %s", iface,
		    pcap_geterr(c->pcap));
		goto fail;
	}
	c->linktype = pcap_datalink(c->pcap);
	if (o->filter != NULL && *o->filter != '\0') {
		if (pcap_compile(c->pcap, &prog, o->filter, 1,
		    PCAP_NETMASK_UNKNOWN) == -1) {
			set_why(why, CAPTURE_ERR_FILTER);
			errbuf_set(errbuf, "capture filter '%s': %s", o->filter,
			    pcap_geterr(c->pcap));
			goto fail;
		}
		rc = pcap_setfilter(c->pcap, &prog);
		pcap_freecode(&prog);
		if (rc == -1) {
			errbuf_set(errbuf, "capture filter '%s': %s", o->filter,
			    pcap_geterr(c->pcap));
			goto fail;
		}
	}
	if (pcap_setnonblock(c->pcap, 1, perr) == -1) {
		errbuf_set(errbuf, "capture on %s: %s", iface, perr);
		goto fail;
	}
	c->fd = pcap_get_selectable_fd(c->pcap);
	if (c->fd < 0) {
		errbuf_set(errbuf, "capture on %s: no selectable descriptor",
		    iface);
		goto fail;
	}
	/*
	 * Between pcap_activate and the filter, the ring took every packet
	 * on the interface: on a busy loopback it can be full of others'
	 * traffic, and until the capture thread first runs the kernel then
	 * drops our own packets (seen under load as an empty capture with
	 * thousands of drops). The capture starts now: empty the ring.
	 */
	while (pcap_dispatch(c->pcap, -1, discard_packet, NULL) > 0)
		;
	if (o->pcap_path != NULL) {
		c->dump = pcap_dump_open(c->pcap, o->pcap_path);
		if (c->dump == NULL) {
			set_why(why, CAPTURE_ERR_FILE);
			errbuf_set(errbuf, "capture file %s: %s", o->pcap_path,
			    pcap_geterr(c->pcap));
			goto fail;
		}
	}
	set_why(why, CAPTURE_ERR_NONE);
	return c;
fail:
	capture_close(c);
	return NULL;
}

int
capture_start(struct capture *c, char *errbuf)
{
	int rc;

	atomic_store(&c->last_ms, clock_mono_ms());
	rc = pthread_create(&c->thread, NULL, capture_thread, c);
	if (rc != 0) {
		errno = rc;
		errbuf_set(errbuf, "capture thread: %s", strerror(rc));
		return -1;
	}
	c->started = true;
	return 0;
}

int
capture_stop(struct capture *c, int quiet_ms, int max_ms, char *errbuf)
{
	int64_t start = clock_mono_ms();
	struct pcap_stat st;

	if (c == NULL)
		return 0;
	if (c->started) {
		for (;;) {
			int64_t now = clock_mono_ms();

			if (now - atomic_load(&c->last_ms) >= quiet_ms ||
			    now - start >= max_ms)
				break;
			nanosleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
		}
		atomic_store(&c->stop, true);
		pthread_join(c->thread, NULL);
		c->started = false;
	}
	if (pcap_stats(c->pcap, &st) == 0)
		c->dropped = st.ps_drop;
	if (c->dump != NULL) {
		if (pcap_dump_flush(c->dump) == -1 && !c->write_failed) {
			c->write_failed = true;
			errbuf_set(errbuf, "capture file: write failed: %s",
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

uint64_t
capture_packets(const struct capture *c)
{
	return atomic_load(&c->packets);
}

uint64_t
capture_dropped(const struct capture *c)
{
	return c->dropped;
}

int
capture_linktype(const struct capture *c)
{
	return c->linktype;
}

void
capture_close(struct capture *c)
{
	if (c == NULL)
		return;
	if (c->started) {
		atomic_store(&c->stop, true);
		pthread_join(c->thread, NULL);
	}
	if (c->dump != NULL)
		pcap_dump_close(c->dump);
	if (c->pcap != NULL)
		pcap_close(c->pcap);
	free(c);
}
