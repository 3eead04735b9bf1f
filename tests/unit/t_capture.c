/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for capture: live lo capture, filter, pcap file, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "errbuf.h"
#include "loopback.h"
#include "pktdecode.h"
#include "sock.h"

struct seen {
	int packets;
	int tcp;
	int wrong_port;		/* frames the filter should have dropped */
	int fins;
	unsigned port;
	uint32_t payload;
};

static void
count(void *arg, int linktype, int64_t ts_us, uint32_t len,
    const uint8_t *frame, uint32_t caplen)
{
	struct seen *s = arg;
	struct pkt_tcp seg;

	s->packets++;
	if (pkt_decode(linktype, ts_us, frame, caplen, &seg) != PKT_TCP)
		return;
	s->tcp++;
	if (seg.sport != s->port && seg.dport != s->port)
		s->wrong_port++;
	if (seg.flags & PKT_FIN)
		s->fins++;
	s->payload += seg.payload_len;
}

/* A connection to a listener: 1000 bytes, both sides close. */
static void
exchange(int lfd)
{
	char port[16], buf[1000];
	enum outcome o;
	int c, a;

	port_str(lfd, port, sizeof(port));
	c = lo_connect("127.0.0.1", port, NULL, &o);
	a = lo_accept(lfd, &o);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(sock_send_all(c, buf, sizeof(buf), &o), sizeof(buf));
	assert_int_equal(sock_recv_all(a, buf, sizeof(buf), &o), sizeof(buf));
	close(c);
	assert_int_equal(sock_recv_all(a, buf, 1, &o), 0);
	close(a);
}

static bool
can_capture(void)
{
	return geteuid() == 0;
}

static void
test_capture_filter_file_and_callback(void **state)
{
	char errbuf[ERRBUF_LEN], filter[64], path[] = "/tmp/t_capture_XXXXXX";
	char perr[PCAP_ERRBUF_SIZE];
	struct capture_opts co = { .iface = "lo", .snaplen = 128 };
	struct seen s = { 0 };
	struct pcap_pkthdr *h;
	const u_char *d;
	enum capture_err why;
	struct capture *c;
	int lfd, other, fd, n = 0;
	pcap_t *p;

	(void)state;
	if (!can_capture())
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	lfd = sock_listen("127.0.0.1", "0", NULL, errbuf);
	other = sock_listen("127.0.0.1", "0", NULL, errbuf);
	assert_true(lfd >= 0 && other >= 0);
	s.port = sock_local_port(lfd);
	snprintf(filter, sizeof(filter), "tcp port %u", s.port);
	co.filter = filter;
	co.pcap_path = path;
	c = capture_open(&co, count, &s, &why, errbuf);
	assert_non_null(c);
	assert_int_equal(why, CAPTURE_ERR_NONE);
	/* Traffic before the thread starts is buffered, not lost. */
	exchange(lfd);
	assert_int_equal(capture_start(c, errbuf), 0);
	exchange(other);		/* filtered out */
	assert_int_equal(capture_stop(c, 100, 3000, errbuf), 0);
	assert_int_equal(s.wrong_port, 0);
	assert_int_equal(s.packets, s.tcp);
	assert_int_equal(s.payload, 1000);
	assert_int_equal(s.fins, 2);
	assert_true(s.packets >= 8);	/* 3 handshake, data, ack, 2 FIN... */
	assert_int_equal(capture_packets(c), (uint64_t)s.packets);
	assert_int_equal(capture_dropped(c), 0);
	assert_int_equal(capture_linktype(c), DLT_EN10MB);
	capture_close(c);
	/* The file holds the same packets, cut to the snaplen. */
	p = pcap_open_offline(path, perr);
	assert_non_null(p);
	assert_int_equal(pcap_snapshot(p), 128);
	while (pcap_next_ex(p, &h, &d) == 1) {
		assert_true(h->caplen <= 128);
		n++;
	}
	pcap_close(p);
	assert_int_equal(n, s.packets);
	unlink(path);
	close(lfd);
	close(other);
}

static void
test_capture_errors(void **state)
{
	struct capture_opts co = { .iface = "lo", .filter = "tcp port" };
	char errbuf[ERRBUF_LEN];
	enum capture_err why;

	(void)state;
	if (!can_capture()) {
		/* Without privileges the reason is permission. */
		assert_null(capture_open(&co, NULL, NULL, &why, errbuf));
		assert_int_equal(why, CAPTURE_ERR_PERM);
		return;
	}
	assert_null(capture_open(&co, NULL, NULL, &why, errbuf));
	assert_int_equal(why, CAPTURE_ERR_FILTER);
	assert_non_null(strstr(errbuf, "capture filter 'tcp port'"));
	co.filter = NULL;
	co.iface = "no-such-if0";
	assert_null(capture_open(&co, NULL, NULL, &why, errbuf));
	assert_int_equal(why, CAPTURE_ERR_IFACE);
	assert_non_null(strstr(errbuf, "no-such-if0"));
	co.iface = "lo";
	co.pcap_path = "/nonexistent-dir/x.pcap";
	assert_null(capture_open(&co, NULL, NULL, &why, errbuf));
	assert_int_equal(why, CAPTURE_ERR_FILE);
	assert_non_null(strstr(errbuf, "/nonexistent-dir/x.pcap"));
	assert_string_equal(capture_err_name(CAPTURE_ERR_PERM), "permission");
}

static void
test_stop_without_start(void **state)
{
	struct capture_opts co = { .iface = "lo" };
	char errbuf[ERRBUF_LEN];
	struct capture *c;

	(void)state;
	if (!can_capture())
		skip();
	c = capture_open(&co, NULL, NULL, NULL, errbuf);
	assert_non_null(c);
	assert_int_equal(capture_stop(c, 10, 10, errbuf), 0);
	assert_int_equal(capture_packets(c), 0);
	capture_close(c);
	capture_stop(NULL, 0, 0, errbuf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_filter_file_and_callback),
		cmocka_unit_test(test_capture_errors),
		cmocka_unit_test(test_stop_without_start),
	};

	sock_ignore_sigpipe();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
