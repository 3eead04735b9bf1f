/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for pipeline: files in, decoded, classified, reported. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "errbuf.h"
#include "pipeline.h"

#define MAX_REPORTS 8

static struct flow_result got[MAX_REPORTS];
static int ngot, nsegs, nfiles;

static void
on_report(const struct flow_result *r, void *arg)
{
	(void)arg;
	assert_true(ngot < MAX_REPORTS);
	got[ngot] = *r;
	got[ngot].steps = NULL;
	ngot++;
}

static void
on_seg(const struct pkt_tcp *seg, void *arg)
{
	(void)arg;
	assert_null(seg->payload);
	nsegs++;
}

static void
on_file(const struct pipeline_file *f, void *arg)
{
	(void)arg;
	assert_non_null(f->path);
	nfiles++;
}

/* A raw IPv4 TCP segment 10.0.0.1:port -> 10.0.0.2:80 (or back). */
static void
put_seg(pcap_dumper_t *d, int64_t t_us, int back, uint16_t port,
    uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint8_t f[40] = { 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6 };
	struct pcap_pkthdr h = { .caplen = 40, .len = 40 };
	uint16_t sp = back ? 80 : port, dp = back ? port : 80;

	f[12] = 10, f[15] = back ? 2 : 1;
	f[16] = 10, f[19] = back ? 1 : 2;
	f[20] = (uint8_t)(sp >> 8), f[21] = (uint8_t)sp;
	f[22] = (uint8_t)(dp >> 8), f[23] = (uint8_t)dp;
	f[24] = (uint8_t)(seq >> 24), f[25] = (uint8_t)(seq >> 16);
	f[26] = (uint8_t)(seq >> 8), f[27] = (uint8_t)seq;
	f[28] = (uint8_t)(ack >> 24), f[29] = (uint8_t)(ack >> 16);
	f[30] = (uint8_t)(ack >> 8), f[31] = (uint8_t)ack;
	f[32] = 5 << 4;
	f[33] = flags;
	f[34] = 0x10;	/* window 4096 */
	h.ts.tv_sec = t_us / 1000000;
	h.ts.tv_usec = t_us % 1000000;
	pcap_dump((u_char *)d, &h, f);
}

/* A capture of one refused connect at base_us, then a frame not TCP. */
static void
write_capture(const char *path, int64_t base_us, uint16_t port)
{
	pcap_t *p = pcap_open_dead(DLT_RAW, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path);
	uint8_t udp[28] = { 0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17 };
	struct pcap_pkthdr h = { .caplen = 28, .len = 28 };

	assert_non_null(d);
	put_seg(d, base_us, 0, port, PKT_SYN, 1000, 0);
	put_seg(d, base_us + 100, 1, port, PKT_RST | PKT_ACK, 0, 1001);
	h.ts.tv_sec = (base_us + 200) / 1000000;
	h.ts.tv_usec = (base_us + 200) % 1000000;
	pcap_dump((u_char *)d, &h, udp);
	pcap_dump_close(d);
	pcap_close(p);
}

static void
reset(void)
{
	ngot = nsegs = nfiles = 0;
	memset(got, 0, sizeof(got));
}

static void
test_files_in_order_and_split(void **state)
{
	char a[] = "/tmp/t_pipeline_aXXXXXX", b[] = "/tmp/t_pipeline_bXXXXXX";
	struct pipeline_file in[2];
	enum pipeline_file_err why;
	char ebuf[ERRBUF_LEN];
	const struct pipeline_stats *st;
	struct pipeline *pl;
	atomic_bool stop = false;

	(void)state;
	reset();
	close(mkstemp(a));
	close(mkstemp(b));
	/* the second file is 900 s earlier: one timeline, its packets first */
	write_capture(a, 1000000000LL, 40001);
	write_capture(b, 100000000LL, 40002);
	pl = pipeline_new(NULL, on_report, NULL);
	assert_non_null(pl);
	pipeline_on_segment(pl, on_seg, NULL);
	assert_int_equal(pipeline_file_open(&in[0], a, "tcp", &why, ebuf), 0);
	assert_int_equal(pipeline_file_open(&in[1], b, NULL, &why, ebuf), 0);
	assert_int_equal(pipeline_read_files(pl, in, 2, on_file, NULL,
	    &stop), 0);
	/* the earlier file's connection settled as the later one's came */
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].orig_port, 40002);
	assert_int_equal(got[0].teardown, FLOW_REFUSED);
	pipeline_flush(pl);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[1].orig_port, 40001);
	assert_int_equal(nfiles, 2);
	assert_int_equal(nsegs, 4);
	/* the filter kept the first file's UDP frame out */
	assert_true(in[0].ended && in[1].ended);
	assert_int_equal(in[0].packets, 2);
	assert_int_equal(in[1].packets, 3);
	st = pipeline_stats(pl);
	assert_int_equal(st->frames, 5);
	assert_int_equal(st->status[PKT_TCP], 4);
	assert_int_equal(st->status[PKT_NOT_TCP], 1);
	assert_int_equal(pipeline_summary(pl)->connections, 2);
	assert_string_equal(pipeline_error(pl), "");
	assert_false(pipeline_failed(pl));
	pipeline_file_close(&in[0]);
	pipeline_file_close(&in[1]);
	pipeline_free(pl);
	unlink(a);
	unlink(b);
}

static void
test_broken_file(void **state)
{
	char a[] = "/tmp/t_pipeline_cXXXXXX";
	struct pipeline_file in;
	enum pipeline_file_err why;
	char ebuf[ERRBUF_LEN];
	struct pipeline *pl;
	atomic_bool stop = false;

	(void)state;
	reset();
	close(mkstemp(a));
	write_capture(a, 1000000000LL, 40003);
	/* cut the last record (16-byte header + 28 bytes) in half */
	assert_int_equal(truncate(a, 24 + 2 * (16 + 40) + 20), 0);
	pl = pipeline_new(NULL, on_report, NULL);
	assert_non_null(pl);
	assert_int_equal(pipeline_file_open(&in, a, NULL, &why, ebuf), 0);
	assert_int_equal(pipeline_read_files(pl, &in, 1, NULL, NULL, &stop),
	    -1);
	assert_non_null(strstr(pipeline_error(pl), "broken at packet 3"));
	assert_true(in.ended);
	pipeline_flush(pl);
	assert_int_equal(ngot, 1);
	pipeline_file_close(&in);
	pipeline_free(pl);
	unlink(a);
}

static void
test_file_open_errors(void **state)
{
	char a[] = "/tmp/t_pipeline_dXXXXXX";
	struct pipeline_file in;
	enum pipeline_file_err why;
	char ebuf[ERRBUF_LEN];
	pcap_t *p;
	pcap_dumper_t *d;

	(void)state;
	assert_int_equal(pipeline_file_open(&in, "/nonexistent/x.pcap", NULL,
	    &why, ebuf), -1);
	assert_int_equal(why, PIPELINE_FILE_OPEN);
	assert_string_equal(ebuf,
	    "/nonexistent/x.pcap: No such file or directory");

	close(mkstemp(a));
	write_capture(a, 1000000000LL, 40004);
	assert_int_equal(pipeline_file_open(&in, a, "bogus((", &why, ebuf),
	    -1);
	assert_int_equal(why, PIPELINE_FILE_FILTER);
	pipeline_file_close(&in);

	/* 802.11 frames: a link type the decoder does not read */
	p = pcap_open_dead(DLT_IEEE802_11, 65535);
	d = pcap_dump_open(p, a);
	assert_non_null(d);
	pcap_dump_close(d);
	pcap_close(p);
	assert_int_equal(pipeline_file_open(&in, a, NULL, &why, ebuf), -1);
	assert_int_equal(why, PIPELINE_FILE_LINK);
	assert_non_null(strstr(ebuf, ": link type 105 (IEEE802_11) is not"
	    " supported"));
	pipeline_file_close(&in);
	unlink(a);
}

TEST_MAIN(
	cmocka_unit_test(test_files_in_order_and_split),
	cmocka_unit_test(test_broken_file),
	cmocka_unit_test(test_file_open_errors),
)
