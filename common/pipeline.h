/* SPDX-License-Identifier: BSD-2-Clause */
/* The packet->flow pipeline: capture or files, decode, classify, report. */
#ifndef TEARDOWN_PIPELINE_H
#define TEARDOWN_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "flow.h"
#include "ipfrag.h"
#include "pktdecode.h"

/*
 * A pipeline owns a flow table and feeds it every TCP segment decoded
 * from its input: a live capture (common/capture, on the capture thread)
 * or capture files (read and decoded on a second thread while this one
 * classifies). The table's report function is called once per finished
 * connection, on the thread that classifies. finrst and tcpfault run both
 * go through it; neither decodes or feeds the table itself.
 */
struct pipeline;

/*
 * Frames seen so far, by what pkt_decode() made of them (a fragment held
 * for reassembly counts as "fragment"; the one that completes a datagram
 * as what the datagram carried), and what reassembly did.
 */
struct pipeline_stats {
	uint64_t frames;
	uint64_t status[PKT_STATUS_COUNT];
	struct ipfrag_stats frag;
};

/*
 * Called for each TCP segment after the table has it, on the thread that
 * classifies. From files, seg->payload is NULL (the frame is gone by
 * then); the lengths are kept.
 */
typedef void pipeline_seg_fn(const struct pkt_tcp *seg, void *arg);

/*
 * A new pipeline whose table reports to report(arg); fc NULL means the
 * table's defaults. IP fragments are reassembled (common/ipfrag, with its
 * default limits). Returns NULL on ENOMEM.
 */
struct pipeline *pipeline_new(const struct flow_config *fc,
    flow_report_fn report, void *arg);

/*
 * Decode with cfg (tunnels on or off, their UDP ports) instead of the
 * defaults; call before any packet. cfg is copied.
 */
void pipeline_decode_config(struct pipeline *pl,
    const struct pkt_config *cfg);

/* Also call fn(arg) for each segment (NULL: stop calling). */
void pipeline_on_segment(struct pipeline *pl, pipeline_seg_fn *fn,
    void *arg);

/*
 * Open a live capture (capture_open) whose packets feed pl from the
 * capture thread; the caller starts, stops and closes it with capture.h.
 * The table is locked while a packet goes through it, so the caller may
 * call pipeline_advance() meanwhile. Returns NULL with *why and errbuf
 * set, as capture_open does.
 */
struct capture *pipeline_capture_open(struct pipeline *pl,
    const struct capture_opts *o, enum capture_err *why, char *errbuf);

/* Why a capture file cannot be read. */
enum pipeline_file_err {
	PIPELINE_FILE_OK = 0,
	PIPELINE_FILE_OPEN,	/* missing, unreadable, or not a capture */
	PIPELINE_FILE_LINK,	/* a link type pkt_decode() does not know */
	PIPELINE_FILE_FILTER,	/* the BPF expression does not compile */
	PIPELINE_FILE_SETFILTER	/* compiled, but libpcap refused it */
};

/* One capture file; pipeline_read_files() fills packets and ended. */
struct pipeline_file {
	const char *path;	/* "-": standard input */
	const char *filter;	/* the BPF expression it was opened with */
	const char *compression; /* "gzip", "zstd", "xz", "bzip2" or "" */
	struct zread *z;	/* the (decompressed) stream p reads */
	pcap_t *p;
	int linktype;
	uint64_t packets;	/* frames read from it */
	bool ended;		/* read to its end, or to where it broke */
};

struct zread;

/*
 * Open path ("-" for stdin) for pipeline_read_files(), gzip, zstd, xz or
 * bzip2 compressed or not (common/zread, by magic), with the BPF
 * filter applied when filter is not NULL. Returns 0, or -1 with the
 * reason (PIPELINE_FILE_*) and errbuf set: "PATH: why", except that for
 * PIPELINE_FILE_FILTER errbuf holds libpcap's message alone (the caller
 * knows its option's name), and for PIPELINE_FILE_LINK "PATH: link type
 * N (NAME) is not supported". A file that fails is left closed.
 */
int pipeline_file_open(struct pipeline_file *f, const char *path,
    const char *filter, enum pipeline_file_err *why, char *errbuf);

/* Close a file opened by pipeline_file_open() (a no-op when closed). */
void pipeline_file_close(struct pipeline_file *f);

/* Called on the reading thread as each file starts. */
typedef void pipeline_file_fn(const struct pipeline_file *f, void *arg);

/*
 * Read the n files into pl as one timeline, merged by timestamp (the
 * oldest of the files' next packets first, the earlier file on a tie).
 * A file closed (pipeline_file_close) after pipeline_file_open() is
 * opened again as its turn comes, and a file is closed at its end, so a
 * long rotated set needs only the files that overlap in time open. A
 * clock step back of more than a second within a file (unrelated
 * captures) ends the capture so far (flow_table_flush) rather than
 * clamping the later packets to its clock. Setting *stop ends it early.
 * on_file (may be NULL) is called on the reading thread as each file is
 * first looked at. Returns 0; -1 when a capture broke or could not be
 * opened again (pipeline_error() says where; what came before it was
 * fed); -2 when out of memory (pipeline_failed() says whether the table
 * was).
 */
int pipeline_read_files(struct pipeline *pl, struct pipeline_file *files,
    int n, pipeline_file_fn *on_file, void *arg, atomic_bool *stop);

/* Capture time moved to now_us without packets (live capture): settle. */
void pipeline_advance(struct pipeline *pl, int64_t now_us);

/* End of capture: report every connection still open (flow_table_flush). */
void pipeline_flush(struct pipeline *pl);

const struct pipeline_stats *pipeline_stats(const struct pipeline *pl);
const struct flow_summary *pipeline_summary(const struct pipeline *pl);

/* Where a capture file broke ("" if none). */
const char *pipeline_error(const struct pipeline *pl);

/*
 * True once the table ran out of memory: segments since then were
 * counted, not tracked.
 */
bool pipeline_failed(const struct pipeline *pl);

/* libpcap's name of a link type, "unknown" when it has none. */
const char *pipeline_link_name(int linktype);

void pipeline_free(struct pipeline *pl);

#endif
