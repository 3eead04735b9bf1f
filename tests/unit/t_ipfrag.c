/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ipfrag: reassembly, overlaps, caps, timeout, tunnels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipfrag.h"
#include "pktdecode.h"
#define GEN_BUF_SIZE 4096
#include "../finrst/gen_bytes.h"

#define LT_RAW	101
#define LT_EN10MB 1

static void
ipv4_hdr(struct gen_buf *p, uint8_t proto, size_t l4len, uint16_t id,
    uint16_t frag, uint8_t last)
{
	put8(p, 0x45);
	put8(p, 0);
	put16(p, (uint16_t)(20 + l4len));
	put16(p, id);
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	put32(p, 0x0a000001);
	put32(p, 0x0a000000u | last);
}

/* A TCP segment, PSH|ACK, with plen bytes of a counting pattern. */
static void
tcp_seg(struct gen_buf *p, size_t plen, uint8_t salt)
{
	size_t i;

	put16(p, 40000);
	put16(p, 80);
	put32(p, 1000);
	put32(p, 2000);
	put8(p, 5 << 4);
	put8(p, 0x18);
	put16(p, 512);
	put32(p, 0);
	for (i = 0; i < plen; i++)
		put8(p, (uint8_t)(i + salt));
}

/*
 * Fragment whole (an IP packet of family v6 or not, header hl bytes) at
 * byte offset off for len bytes of what follows the header, into out.
 */
static void
frag_of(const struct gen_buf *whole, bool v6, size_t off, size_t len, bool more,
    uint32_t id, struct gen_buf *out)
{
	size_t hl = v6 ? 40 : 20;

	out->n = 0;
	if (v6) {
		gen_ipv6(out, 44, 8 + len);
		put8(out, whole->b[6]);
		put8(out, 0);
		put16(out, (uint16_t)(off | (more ? 1 : 0)));
		put32(out, id);
	} else {
		ipv4_hdr(out, whole->b[9], len, (uint16_t)id,
		    (uint16_t)(off / 8 | (more ? 0x2000 : 0)), whole->b[19]);
	}
	put(out, whole->b + hl + off, len);
}

/* whole's first 120 bytes past the header, and the rest. */
static void
halves(const struct gen_buf *whole, uint32_t id, struct gen_buf *a,
    struct gen_buf *b)
{
	frag_of(whole, false, 0, 120, true, id, a);
	frag_of(whole, false, 120, whole->n - 20 - 120, false, id, b);
}

static void
tcp4_packet(struct gen_buf *p, size_t plen, uint8_t salt)
{
	p->n = 0;
	ipv4_hdr(p, 6, 20 + plen, 0, 0, 2);
	tcp_seg(p, plen, salt);
}

static enum pkt_status
feed(struct ipfrag *f, int64_t ts, const struct gen_buf *p, struct pkt_tcp *s)
{
	return ipfrag_decode(f, NULL, LT_RAW, ts, p->b, (uint32_t)p->n, s);
}

static void
test_ipv4_in_and_out_of_order(void **state)
{
	struct ipfrag *f = ipfrag_new(NULL);
	struct gen_buf whole, a, b, c;
	struct pkt_tcp s;

	(void)state;
	assert_non_null(f);
	tcp4_packet(&whole, 300, 0);
	frag_of(&whole, false, 0, 104, true, 7, &a);
	frag_of(&whole, false, 104, 104, true, 7, &b);
	frag_of(&whole, false, 208, 112, false, 7, &c);
	/* out of order: last, first, middle */
	assert_int_equal(feed(f, 1, &c, &s), PKT_FRAGMENT);
	assert_int_equal(feed(f, 2, &a, &s), PKT_FRAGMENT);
	assert_int_equal(ipfrag_pending(f, NULL), 1);
	assert_int_equal(feed(f, 3, &b, &s), PKT_TCP);
	assert_true(s.reassembled);
	assert_int_equal(s.ts_us, 3);
	assert_int_equal(s.sport, 40000);
	assert_int_equal(s.seq, 1000);
	assert_int_equal(s.payload_len, 300);
	assert_int_equal(s.captured_len, 300);
	assert_int_equal(s.payload[299], (uint8_t)299);
	assert_int_equal(s.daddr[3], 2);
	assert_int_equal(ipfrag_pending(f, NULL), 0);
	assert_int_equal(ipfrag_stats(f)->reassembled, 1);
	assert_int_equal(ipfrag_stats(f)->fragments, 3);
	/* the same id again is a new datagram, in order this time */
	assert_int_equal(feed(f, 4, &a, &s), PKT_FRAGMENT);
	assert_int_equal(feed(f, 5, &b, &s), PKT_FRAGMENT);
	assert_int_equal(feed(f, 6, &c, &s), PKT_TCP);
	/* without a reassembler a fragment stays a fragment */
	assert_int_equal(feed(NULL, 7, &a, &s), PKT_FRAGMENT);
	ipfrag_free(f);
}

static void
test_ipv6(void **state)
{
	struct ipfrag *f = ipfrag_new(NULL);
	struct gen_buf whole = { .n = 0 }, a, b;
	struct pkt_tcp s;

	(void)state;
	gen_ipv6(&whole, 6, 20 + 200);
	tcp_seg(&whole, 200, 3);
	frag_of(&whole, true, 0, 120, true, 0xdeadbeef, &a);
	frag_of(&whole, true, 120, 100, false, 0xdeadbeef, &b);
	assert_int_equal(feed(f, 1, &b, &s), PKT_FRAGMENT);
	assert_int_equal(feed(f, 2, &a, &s), PKT_TCP);
	assert_int_equal(s.family, AF_INET6);
	assert_int_equal(s.payload_len, 200);
	assert_int_equal(s.payload[0], 3);
	ipfrag_free(f);
}

static void
test_overlaps(void **state)
{
	struct ipfrag *f = ipfrag_new(NULL);
	struct gen_buf whole, other, a, b, b2, bad;
	struct pkt_tcp s;

	(void)state;
	tcp4_packet(&whole, 200, 0);
	tcp4_packet(&other, 200, 1);
	frag_of(&whole, false, 0, 120, true, 9, &a);
	frag_of(&whole, false, 80, 140, false, 9, &b);
	/* the same bytes twice: noted, trusted */
	assert_int_equal(feed(f, 1, &a, &s), PKT_FRAGMENT);
	assert_int_equal(feed(f, 2, &b, &s), PKT_TCP);
	assert_int_equal(ipfrag_stats(f)->overlaps, 1);
	assert_int_equal(ipfrag_stats(f)->conflicts, 0);

	/* different bytes where they overlap: the datagram is dropped */
	frag_of(&other, false, 80, 140, false, 10, &bad);
	frag_of(&whole, false, 0, 120, true, 10, &a);
	frag_of(&whole, false, 80, 140, false, 10, &b2);
	assert_int_equal(feed(f, 3, &a, &s), PKT_FRAGMENT);
	assert_int_equal(feed(f, 4, &bad, &s), PKT_FRAGMENT);
	assert_int_equal(ipfrag_stats(f)->conflicts, 1);
	assert_int_equal(ipfrag_pending(f, NULL), 0);
	/* the good piece after it does not complete anything alone */
	assert_int_equal(feed(f, 5, &b2, &s), PKT_FRAGMENT);
	assert_int_equal(ipfrag_pending(f, NULL), 1);

	/* two different ends contradict each other */
	frag_of(&whole, false, 80, 120, false, 10, &bad);
	assert_int_equal(feed(f, 6, &bad, &s), PKT_FRAGMENT);
	assert_int_equal(ipfrag_stats(f)->conflicts, 2);
	ipfrag_free(f);
}

static void
test_timeout_and_caps(void **state)
{
	struct ipfrag_limits lim = { .max_datagrams = 2,
	    .timeout_us = 1000000 };
	struct ipfrag *f = ipfrag_new(&lim);
	struct gen_buf whole, a, b;
	struct pkt_tcp s;
	size_t bytes;
	uint32_t id;

	(void)state;
	tcp4_packet(&whole, 200, 0);
	halves(&whole, 1, &a, &b);
	assert_int_equal(feed(f, 0, &a, &s), PKT_FRAGMENT);
	/* 1.5 s later the first half is gone */
	assert_int_equal(feed(f, 1500000, &b, &s), PKT_FRAGMENT);
	assert_int_equal(ipfrag_stats(f)->timed_out, 1);
	ipfrag_expire(f, 3000000);
	assert_int_equal(ipfrag_stats(f)->timed_out, 2);
	assert_int_equal(ipfrag_pending(f, &bytes), 0);
	assert_int_equal(bytes, 0);

	/* three datagrams, room for two: the oldest goes */
	for (id = 20; id < 23; id++) {
		frag_of(&whole, false, 0, 120, true, id, &a);
		assert_int_equal(feed(f, 4000000, &a, &s), PKT_FRAGMENT);
	}
	assert_int_equal(ipfrag_stats(f)->evicted, 1);
	assert_int_equal(ipfrag_pending(f, &bytes), 2);
	assert_true(bytes > 0);
	frag_of(&whole, false, 120, 100, false, 20, &b);
	assert_int_equal(feed(f, 4000001, &b, &s), PKT_FRAGMENT);
	frag_of(&whole, false, 120, 100, false, 22, &b);
	assert_int_equal(feed(f, 4000002, &b, &s), PKT_TCP);
	ipfrag_free(f);

	/* a byte cap smaller than one datagram refuses it */
	lim.max_bytes = 100;
	f = ipfrag_new(&lim);
	frag_of(&whole, false, 0, 120, true, 1, &a);
	assert_int_equal(feed(f, 0, &a, &s), PKT_FRAGMENT);
	assert_int_equal(ipfrag_stats(f)->evicted, 1);
	assert_int_equal(ipfrag_pending(f, NULL), 0);
	ipfrag_free(f);
}

static void
test_invalid_pieces(void **state)
{
	struct ipfrag *f = ipfrag_new(NULL);
	struct gen_buf whole, a;
	struct pkt_tcp s;
	struct pkt_frag p = { .family = AF_INET, .more = true, .len = 8 },
	    w;
	const uint8_t *d;
	uint8_t bytes[64] = { 0 };
	int i;

	(void)state;
	tcp4_packet(&whole, 200, 0);
	/* not a multiple of 8 before the end */
	frag_of(&whole, false, 0, 100, true, 3, &a);
	assert_int_equal(feed(f, 1, &a, &s), PKT_FRAGMENT);
	/* cut by the snaplen: the bytes are not all there */
	frag_of(&whole, false, 0, 120, true, 3, &a);
	assert_int_equal(ipfrag_decode(f, NULL, LT_RAW, 2, a.b,
	    (uint32_t)a.n - 1, &s), PKT_FRAGMENT);
	assert_int_equal(ipfrag_stats(f)->invalid, 2);
	/* past 64 KiB */
	p.data = bytes;
	p.offset = 65532;
	assert_int_equal(ipfrag_add(f, 3, &p, &w, &d), IPFRAG_DROPPED);
	assert_int_equal(ipfrag_stats(f)->invalid, 3);
	/* more holes than it keeps track of */
	for (i = 0; i < 70; i++) {
		p.offset = (uint32_t)i * 16;
		(void)ipfrag_add(f, 4, &p, &w, &d);
	}
	assert_int_equal(ipfrag_stats(f)->invalid, 4);
	ipfrag_free(f);
	ipfrag_free(NULL);
}

/* A VXLAN packet between 192.0.2.1 and .2 whose outer IPv4 is cut in
 * two, and a GRE packet whose inner IPv4 is. */
static void
test_outer_and_inner(void **state)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	struct ipfrag *f = ipfrag_new(NULL);
	struct gen_buf inner, outer = { .n = 0 }, a, b, fr;
	struct pkt_tcp s;
	int i;

	(void)state;
	tcp4_packet(&inner, 100, 0);
	ipv4_hdr(&outer, 17, 8 + 8 + 14 + inner.n, 0, 0, 2);
	put16(&outer, 50000);
	put16(&outer, 4789);
	put16(&outer, (uint16_t)(8 + 8 + 14 + inner.n));
	put16(&outer, 0);
	put32(&outer, 0x08000000);
	put32(&outer, 0x00002a00);	/* VNI 42 */
	put(&outer, macs, 12);
	put16(&outer, 0x0800);
	put(&outer, inner.b, inner.n);
	frag_of(&outer, false, 0, 64, true, 5, &a);
	frag_of(&outer, false, 64, outer.n - 20 - 64, false, 5, &b);
	assert_int_equal(feed(f, 1, &a, &s), PKT_FRAGMENT);
	assert_int_equal(feed(f, 2, &b, &s), PKT_TCP);
	assert_int_equal(s.tun.kind, PKT_TUN_VXLAN);
	assert_int_equal(s.tun.key, 42);
	assert_int_equal(s.tun.dport, 4789);
	assert_int_equal(s.payload_len, 100);
	assert_int_equal(s.tunnel, 1);

	/* Ethernet, outer IPv4, GRE, inner fragment */
	frag_of(&inner, false, 0, 56, true, 6, &a);
	frag_of(&inner, false, 56, inner.n - 20 - 56, false, 6, &b);
	for (i = 0; i < 2; i++) {
		const struct gen_buf *in = i == 0 ? &a : &b;

		fr.n = 0;
		put(&fr, macs, 12);
		put16(&fr, 0x0800);
		ipv4_hdr(&fr, 47, 4 + in->n, 0, 0, 9);
		put32(&fr, 0x00000800);
		put(&fr, in->b, in->n);
		assert_int_equal(ipfrag_decode(f, NULL, LT_EN10MB, 3 + i,
		    fr.b, (uint32_t)fr.n, &s), i == 0 ? PKT_FRAGMENT :
		    PKT_TCP);
	}
	assert_int_equal(s.tun.kind, PKT_TUN_GRE);
	assert_int_equal(s.tun.daddr[3], 9);
	assert_int_equal(s.daddr[3], 2);
	assert_int_equal(s.payload_len, 100);
	assert_int_equal(ipfrag_stats(f)->reassembled, 2);
	ipfrag_free(f);
}

TEST_MAIN(
	cmocka_unit_test(test_ipv4_in_and_out_of_order),
	cmocka_unit_test(test_ipv6),
	cmocka_unit_test(test_overlaps),
	cmocka_unit_test(test_timeout_and_caps),
	cmocka_unit_test(test_invalid_pieces),
	cmocka_unit_test(test_outer_and_inner),
)
