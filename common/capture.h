/* SPDX-License-Identifier: BSD-2-Clause */
/* Live libpcap capture on one interface: a thread, a pcap file, a callback. */
#ifndef TEARDOWN_CAPTURE_H
#define TEARDOWN_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

struct capture;

/* Why capture_open failed, so callers can go on without a capture. */
enum capture_err {
	CAPTURE_ERR_NONE = 0,
	CAPTURE_ERR_PERM,	/* no permission (CAP_NET_RAW missing) */
	CAPTURE_ERR_IFACE,	/* no such interface, or it is down */
	CAPTURE_ERR_FILTER,	/* the BPF expression does not compile */
	CAPTURE_ERR_FILE,	/* the pcap file cannot be written */
	CAPTURE_ERR_OTHER
};

struct capture_opts {
	const char *iface;	/* "lo" when NULL */
	const char *filter;	/* BPF expression; NULL or "" captures all */
	const char *pcap_path;	/* write every packet here; NULL: no file */
	int snaplen;		/* bytes kept per packet; 0: 65535 */
};

/*
 * Called from the capture thread for each packet, in capture order, with
 * the libpcap link type, the capture time in microseconds since the epoch
 * (CLOCK_REALTIME, as the kernel stamps packets), the original length and
 * the caplen bytes captured.
 */
typedef void capture_fn(void *arg, int linktype, int64_t ts_us,
    uint32_t len, const uint8_t *frame, uint32_t caplen);

/*
 * Open iface in immediate mode with the filter applied, and the pcap file
 * if asked. Packets are buffered by the kernel from the moment this
 * returns, before capture_start. Returns NULL with *why (may be NULL) and
 * errbuf set.
 */
struct capture *capture_open(const struct capture_opts *o, capture_fn *fn,
    void *arg, enum capture_err *why, char *errbuf);

/* Start the capture thread. Returns -1 with errbuf set. */
int capture_start(struct capture *c, char *errbuf);

/*
 * Wait until no packet arrived for quiet_ms (the last ACKs and late RSTs of
 * a teardown) or max_ms passed, then stop the thread after it has handled
 * every packet already captured, and flush the file. Safe to call on a
 * capture that was never started. Returns 0, or -1 when writing the file
 * failed (errbuf set).
 */
int capture_stop(struct capture *c, int quiet_ms, int max_ms, char *errbuf);

/* Packets handled so far, and packets the kernel dropped (pcap_stats). */
uint64_t capture_packets(const struct capture *c);
uint64_t capture_dropped(const struct capture *c);

/* Link type of the open interface (DLT_*). */
int capture_linktype(const struct capture *c);

/* Stops the thread if needed, closes the handle and the file. */
void capture_close(struct capture *c);

/* Name of a capture_err ("permission", "interface", ...). */
const char *capture_err_name(enum capture_err e);

#endif
