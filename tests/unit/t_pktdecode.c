/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for pktdecode: every link type, tunnel, and bad frame. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pktdecode.h"

/* A frame under construction. */
struct fb {
	uint8_t b[512];
	size_t n;
};

static void
put(struct fb *f, const void *p, size_t n)
{
	if (n == 0)
		return;
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void
put8(struct fb *f, uint8_t v)
{
	put(f, &v, 1);
}

static void
put16(struct fb *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(f, b, 2);
}

static void
put32(struct fb *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void
ether(struct fb *f, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	put(f, macs, 12);
	put16(f, type);
}

/* TCP header (20 bytes + opts) and payload of plen bytes ('x'). */
static void
tcp(struct fb *f, uint8_t flags, const uint8_t *opts, size_t optlen,
    size_t plen)
{
	size_t i;

	put16(f, 40000);
	put16(f, 80);
	put32(f, 0x11223344);
	put32(f, 0x55667788);
	put8(f, (uint8_t)(((20 + optlen) / 4) << 4));
	put8(f, flags);
	put16(f, 29200);
	put16(f, 0);	/* checksum: not checked */
	put16(f, 0);
	put(f, opts, optlen);
	for (i = 0; i < plen; i++)
		put8(f, 'x');
}

/* IPv4 header with optlen bytes of options; total covers l4len bytes. */
static void
ipv4(struct fb *f, uint8_t proto, size_t optlen, size_t l4len,
    uint16_t frag)
{
	size_t i;

	put8(f, (uint8_t)(0x40 | ((20 + optlen) / 4)));
	put8(f, 0);
	put16(f, (uint16_t)(20 + optlen + l4len));
	put16(f, 1);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0x0a000001);
	put32(f, 0x0a000002);
	for (i = 0; i < optlen; i++)
		put8(f, 1);	/* NOP options */
}

/* A fresh frame: an IPv4 header and a UDP header (no checksum) for udplen
   bytes of UDP, header included; the caller appends the payload. */
static void
udp4_frame(struct fb *f, uint16_t sport, uint16_t dport, size_t udplen)
{
	f->n = 0;
	ipv4(f, 17, 0, udplen, 0);
	put16(f, sport);
	put16(f, dport);
	put16(f, (uint16_t)udplen);
	put16(f, 0);
}

static void
ipv6(struct fb *f, uint8_t next, size_t plen)
{
	uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	put32(f, 0x60000000);
	put16(f, (uint16_t)plen);
	put8(f, next);
	put8(f, 64);
	put(f, src, 16);
	put(f, dst, 16);
}

static void
check_tcp4(const struct pkt_tcp *s, uint32_t plen)
{
	uint8_t a[16] = { 10, 0, 0, 1 }, b[16] = { 10, 0, 0, 2 };

	assert_int_equal(s->family, AF_INET);
	assert_memory_equal(s->saddr, a, 16);
	assert_memory_equal(s->daddr, b, 16);
	assert_int_equal(s->sport, 40000);
	assert_int_equal(s->dport, 80);
	assert_int_equal(s->seq, 0x11223344);
	assert_int_equal(s->ack, 0x55667788);
	assert_int_equal(s->window, 29200);
	assert_int_equal(s->payload_len, plen);
}

static void
test_ethernet_ipv4(void **state)
{
	struct fb f = { .n = 0 };
	struct pkt_tcp s;

	(void)state;
	ether(&f, 0x0800);
	ipv4(&f, 6, 0, 20 + 10, 0);
	tcp(&f, PKT_ACK | PKT_PSH, NULL, 0, 10);
	put(&f, "\0\0\0\0", 4);	/* Ethernet padding is not payload */
	assert_int_equal(pkt_decode(1, 42, f.b, (uint32_t)f.n, &s), PKT_TCP);
	check_tcp4(&s, 10);
	assert_int_equal(s.ts_us, 42);
	assert_int_equal(s.flags, PKT_ACK | PKT_PSH);
	assert_int_equal(s.captured_len, 10);
	assert_memory_equal(s.payload, "xxxxxxxxxx", 10);
	assert_int_equal(s.wscale, -1);
	assert_int_equal(s.tunnel, 0);
}

static void
test_syn_options_and_ip_options(void **state)
{
	static const uint8_t opts[] = {
		2, 4, 0x05, 0xb4,	/* MSS 1460 */
		1,			/* NOP */
		3, 3, 7,		/* window scale 7 */
		4, 2,			/* SACK permitted */
		0, 0,			/* EOL, padding */
	};
	struct fb f = { .n = 0 };
	struct pkt_tcp s;

	(void)state;
	ether(&f, 0x0800);
	ipv4(&f, 6, 8, 20 + sizeof(opts), 0x4000 /* DF */);
	tcp(&f, PKT_SYN, opts, sizeof(opts), 0);
	assert_int_equal(pkt_decode(1, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	check_tcp4(&s, 0);
	assert_int_equal(s.mss, 1460);
	assert_int_equal(s.wscale, 7);
	assert_int_equal(s.flags, PKT_SYN);
}

static void
test_vlan_qinq_mpls(void **state)
{
	struct fb f = { .n = 0 };
	struct pkt_tcp s;

	(void)state;
	/* QinQ: 802.1ad outer, 802.1Q inner */
	ether(&f, 0x88a8);
	put16(&f, 100);
	put16(&f, 0x8100);
	put16(&f, 200);
	put16(&f, 0x0800);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(1, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	check_tcp4(&s, 0);

	/* MPLS: two labels, the second with bottom-of-stack */
	f.n = 0;
	ether(&f, 0x8847);
	put32(&f, (16u << 12) | 64);
	put32(&f, (17u << 12) | 0x100 | 64);
	ipv4(&f, 6, 0, 20 + 5, 0);
	tcp(&f, PKT_ACK, NULL, 0, 5);
	assert_int_equal(pkt_decode(1, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	check_tcp4(&s, 5);

	/* VLAN then MPLS */
	f.n = 0;
	ether(&f, 0x8100);
	put16(&f, 7);
	put16(&f, 0x8847);
	put32(&f, (16u << 12) | 0x100 | 64);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_FIN | PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(1, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	assert_int_equal(s.flags, PKT_FIN | PKT_ACK);
}

static void
test_cooked_and_loopback(void **state)
{
	struct fb f = { .n = 0 };
	struct pkt_tcp s;
	uint8_t sll[14] = { 0, 0, 0, 1, 0, 6 };
	uint8_t sll2[16] = { 0 };

	(void)state;
	/* Linux cooked v1: 14 bytes, then the protocol */
	put(&f, sll, 14);
	put16(&f, 0x0800);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(113, 0, f.b, (uint32_t)f.n, &s),
	    PKT_TCP);
	check_tcp4(&s, 0);

	/* Linux cooked v2: the protocol first, 20 bytes in all */
	f.n = 0;
	put16(&f, 0x86dd);
	put(&f, sll2, 2);
	put(&f, sll2, 16);
	ipv6(&f, 6, 20);
	tcp(&f, PKT_SYN, NULL, 0, 0);
	assert_int_equal(pkt_decode(276, 0, f.b, (uint32_t)f.n, &s),
	    PKT_TCP);
	assert_int_equal(s.family, AF_INET6);

	/* DLT_NULL, host order of a little-endian machine: AF_INET = 2 */
	f.n = 0;
	put(&f, "\x02\0\0\0", 4);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(0, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	/* ... and of a big-endian one: 30 = AF_INET6 on macOS */
	f.n = 0;
	put32(&f, 30);
	ipv6(&f, 6, 20);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(0, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	assert_int_equal(s.family, AF_INET6);
	/* DLT_LOOP: network order */
	f.n = 0;
	put32(&f, 2);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(108, 0, f.b, (uint32_t)f.n, &s),
	    PKT_TCP);
	/* an unknown address family is not IP */
	f.n = 0;
	put32(&f, 99);
	ipv4(&f, 6, 0, 20, 0);
	assert_int_equal(pkt_decode(108, 0, f.b, (uint32_t)f.n, &s),
	    PKT_NOT_IP);
}

static void
test_raw_ip(void **state)
{
	struct fb f = { .n = 0 };
	struct pkt_tcp s;
	uint8_t want6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	(void)state;
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	assert_int_equal(pkt_decode(101, 0, f.b, (uint32_t)f.n, &s),
	    PKT_TCP);
	assert_int_equal(pkt_decode(228, 0, f.b, (uint32_t)f.n, &s),
	    PKT_TCP);
	/* LINKTYPE_IPV6 insists on version 6 */
	assert_int_equal(pkt_decode(229, 0, f.b, (uint32_t)f.n, &s),
	    PKT_MALFORMED);

	f.n = 0;
	ipv6(&f, 6, 20 + 3);
	tcp(&f, PKT_ACK, NULL, 0, 3);
	assert_int_equal(pkt_decode(229, 0, f.b, (uint32_t)f.n, &s),
	    PKT_TCP);
	assert_int_equal(s.family, AF_INET6);
	assert_memory_equal(s.daddr, want6, 16);
	assert_int_equal(s.payload_len, 3);
}

static void
test_ipv6_extension_headers(void **state)
{
	struct fb f = { .n = 0 };
	struct pkt_tcp s;
	uint8_t pad[6] = { 0 };

	(void)state;
	/* hop-by-hop (8) -> destination options (8) -> TCP */
	ipv6(&f, 0, 8 + 8 + 20 + 4);
	put8(&f, 60);
	put8(&f, 0);
	put(&f, pad, 6);
	put8(&f, 6);
	put8(&f, 0);
	put(&f, pad, 6);
	tcp(&f, PKT_ACK, NULL, 0, 4);
	assert_int_equal(pkt_decode(229, 0, f.b, (uint32_t)f.n, &s),
	    PKT_TCP);
	assert_int_equal(s.payload_len, 4);

	/* a fragment header with an offset: a fragment */
	f.n = 0;
	ipv6(&f, 44, 8 + 20);
	put8(&f, 6);
	put8(&f, 0);
	put16(&f, 8 << 3);
	put32(&f, 1234);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(229, 0, f.b, (uint32_t)f.n, &s),
	    PKT_FRAGMENT);

	/* an atomic fragment (offset 0, no more): a whole packet */
	f.n = 0;
	ipv6(&f, 44, 8 + 20);
	put8(&f, 6);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 1234);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(229, 0, f.b, (uint32_t)f.n, &s),
	    PKT_TCP);

	/* an extension header longer than the payload: malformed */
	f.n = 0;
	ipv6(&f, 0, 8);
	put8(&f, 6);
	put8(&f, 3);	/* (3 + 1) * 8 = 32 bytes */
	put(&f, pad, 6);
	assert_int_equal(pkt_decode(229, 0, f.b, (uint32_t)f.n, &s),
	    PKT_MALFORMED);
}

static void
test_fragments_and_other_protocols(void **state)
{
	struct fb f = { .n = 0 };
	struct pkt_tcp s;

	(void)state;
	ipv4(&f, 6, 0, 20, 0x2000);	/* more fragments */
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s),
	    PKT_FRAGMENT);
	f.n = 0;
	ipv4(&f, 6, 0, 20, 185);	/* an offset */
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s),
	    PKT_FRAGMENT);
	f.n = 0;
	ipv4(&f, 1, 0, 8, 0);		/* ICMP */
	put32(&f, 0x08000000);
	put32(&f, 0);
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s),
	    PKT_NOT_TCP);
	udp4_frame(&f, 5353, 53, 12);		/* UDP to port 53 */
	put32(&f, 0x12345678);
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s),
	    PKT_NOT_TCP);
	f.n = 0;
	ether(&f, 0x0806);		/* ARP */
	put32(&f, 0x00010800);
	assert_int_equal(pkt_decode(1, 0, f.b, (uint32_t)f.n, &s),
	    PKT_NOT_IP);
	assert_int_equal(pkt_decode(147, 0, f.b, (uint32_t)f.n, &s),
	    PKT_UNSUPPORTED_LINK);
	assert_false(pkt_link_supported(147));
	assert_true(pkt_link_supported(1));
	assert_true(pkt_link_supported(276));
}

static void
test_truncated_and_malformed(void **state)
{
	struct fb f = { .n = 0 };
	struct pkt_tcp s;
	uint32_t cut;

	(void)state;
	ether(&f, 0x0800);
	ipv4(&f, 6, 0, 20 + 1000, 0);
	tcp(&f, PKT_ACK, NULL, 0, 100);
	/* snaplen cut the payload: still TCP, with the IP length's size */
	assert_int_equal(pkt_decode(1, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	assert_int_equal(s.payload_len, 1000);
	assert_int_equal(s.captured_len, 100);
	/* every cut inside the headers is "truncated", never a crash */
	for (cut = 0; cut < 14 + 20 + 20; cut++)
		assert_int_equal(pkt_decode(1, 0, f.b, cut, &s),
		    PKT_TRUNCATED);
	assert_int_equal(pkt_decode(1, 0, NULL, 0, &s), PKT_TRUNCATED);

	/* IHL below 5 */
	f.n = 0;
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	f.b[0] = 0x44;
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s),
	    PKT_MALFORMED);
	/* TCP data offset below 5 */
	f.b[0] = 0x45;
	f.b[20 + 12] = 0x40;
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s),
	    PKT_MALFORMED);
	/* TCP header longer than the IP packet says */
	f.b[20 + 12] = 0xf0;
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s),
	    PKT_MALFORMED);
	/* IP total length shorter than its header */
	f.b[20 + 12] = 0x50;
	f.b[2] = 0;
	f.b[3] = 10;
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s),
	    PKT_MALFORMED);
	/* total length 0 (TSO): the captured length counts */
	f.b[3] = 0;
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	assert_int_equal(s.payload_len, 0);
	/* not IP at all */
	f.b[0] = 0x35;
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s),
	    PKT_NOT_IP);
}

static void
test_tunnels(void **state)
{
	struct fb f = { .n = 0 };
	struct pkt_tcp s;

	(void)state;
	/* IPv4 in IPv4 */
	ipv4(&f, 4, 0, 20 + 20, 0);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	assert_int_equal(s.tunnel, 1);
	check_tcp4(&s, 0);

	/* GRE with a key, carrying IPv4 */
	f.n = 0;
	ipv4(&f, 47, 0, 8 + 20 + 20, 0);
	put16(&f, 0x2000);
	put16(&f, 0x0800);
	put32(&f, 42);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	assert_int_equal(s.tunnel, 1);

	/* Teredo on an arbitrary port pair: IPv6 whose length fits */
	udp4_frame(&f, 3797, 32900, 8 + 40 + 20);
	ipv6(&f, 6, 20);
	tcp(&f, PKT_SYN, NULL, 0, 0);
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	assert_int_equal(s.family, AF_INET6);
	assert_int_equal(s.tunnel, 1);

	/* GTP-U G-PDU */
	udp4_frame(&f, 2152, 2152, 8 + 8 + 20 + 20);
	put8(&f, 0x30);
	put8(&f, 0xff);
	put16(&f, 40);
	put32(&f, 7);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(pkt_decode(12, 0, f.b, (uint32_t)f.n, &s), PKT_TCP);
	assert_int_equal(s.tunnel, 1);
}

/*
 * Frames cut at every byte. Each one is decoded twice: from a heap block of
 * exactly its length (ASan reports any read outside it) and from the end of
 * a page whose next page is PROT_NONE (a read past the end faults in any
 * build). Both must agree.
 */
static uint8_t *guard_page;
static size_t page_size;

static int
guard_setup(void **state)
{
	(void)state;
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	guard_page = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_page == MAP_FAILED)
		return -1;
	return mprotect(guard_page + page_size, page_size, PROT_NONE);
}

static int
guard_teardown(void **state)
{
	(void)state;
	return munmap(guard_page, 2 * page_size);
}

/* Decode the first len bytes of frame with nothing readable after them. */
static enum pkt_status
decode_cut(int linktype, const uint8_t *frame, uint32_t len,
    struct pkt_tcp *s)
{
	uint8_t *heap = malloc(len), *edge = guard_page + page_size - len;
	enum pkt_status st_heap, st;
	struct pkt_tcp s_heap;

	assert_non_null(heap);
	assert_true(len <= page_size);
	memcpy(heap, frame, len);
	memcpy(edge, frame, len);
	st_heap = pkt_decode(linktype, 0, heap, len, &s_heap);
	st = pkt_decode(linktype, 0, edge, len, s);
	free(heap);
	assert_int_equal(st, st_heap);
	if (st == PKT_TCP) {
		assert_int_equal(s->captured_len, s_heap.captured_len);
		assert_int_equal(s->payload_len, s_heap.payload_len);
		/* the payload is inside the frame, after the headers */
		if (s->captured_len > 0) {
			assert_true(s->payload >= edge);
			assert_true(s->payload + s->captured_len <= edge + len);
		}
	}
	return st;
}

/* How a frame cut inside its headers is reported. */
enum cut_report {
	CUT_TRUNCATED,	/* always "truncated" */
	CUT_NOT_TCP,	/* "truncated", or "not-tcp" where a UDP tunnel is
			 * recognised by its length (GTP-U, Teredo) */
	CUT_NOT_IP,	/* "truncated", or "not-ip" before an LLC/SNAP
			 * header is whole */
};

/*
 * Cut frame f (link type lt, headers of hlen bytes of which the last optlen
 * are TCP options, then a TCP payload of plen) at every byte: before the
 * options the frame is never TCP and is reported as report says; from
 * there on it is TCP with the bytes that are left, a cut option simply
 * absent (a SYN's options here are MSS 1460 and window scale 7).
 */
static void
check_every_cut(int lt, const struct fb *f, uint32_t hlen, uint32_t optlen,
    uint32_t plen, enum cut_report report)
{
	struct pkt_tcp s;
	enum pkt_status st;
	uint32_t cut;

	assert_int_equal(f->n, hlen + plen);
	for (cut = 0; cut <= f->n; cut++) {
		st = decode_cut(lt, f->b, cut, &s);
		if (cut >= hlen - optlen) {
			assert_int_equal(st, PKT_TCP);
			assert_int_equal(s.payload_len, plen);
			assert_int_equal(s.captured_len,
			    cut > hlen ? cut - hlen : 0);
			if (optlen > 0) {
				assert_int_equal(s.mss, cut >= hlen -
				    optlen + 4 ? 1460 : 0);
				assert_int_equal(s.wscale, cut >= hlen -
				    optlen + 8 ? 7 : -1);
			}
			continue;
		}
		if (st == PKT_TRUNCATED)
			continue;
		switch (report) {
		case CUT_TRUNCATED:
			fail_msg("link %d cut at %u of %u: %s", lt, cut, hlen,
			    pkt_status_name(st));
			break;
		case CUT_NOT_TCP:
			assert_int_equal(st, PKT_NOT_TCP);
			break;
		case CUT_NOT_IP:
			assert_int_equal(st, PKT_NOT_IP);
			break;
		}
	}
}

static void
test_every_cut_link_layers(void **state)
{
	static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
	uint8_t sll[14] = { 0, 0, 0, 1, 0, 6 }, sll2[18] = { 0 };
	struct fb f = { .n = 0 };

	(void)state;
	/* Ethernet, IPv4, TCP: the fast path */
	ether(&f, 0x0800);
	ipv4(&f, 6, 0, 20 + 10, 0);
	tcp(&f, PKT_ACK | PKT_PSH, NULL, 0, 10);
	check_every_cut(1, &f, 14 + 20 + 20, 0, 10, CUT_TRUNCATED);

	/* IPv4 options and a SYN with TCP options: the general path */
	f.n = 0;
	ether(&f, 0x0800);
	ipv4(&f, 6, 8, 20 + sizeof(opts) + 3, 0);
	tcp(&f, PKT_SYN, opts, sizeof(opts), 3);
	check_every_cut(1, &f, 14 + 28 + 28, sizeof(opts), 3,
	    CUT_TRUNCATED);

	/* 802.1ad + 802.1Q */
	f.n = 0;
	ether(&f, 0x88a8);
	put16(&f, 100);
	put16(&f, 0x8100);
	put16(&f, 200);
	put16(&f, 0x0800);
	ipv4(&f, 6, 0, 20 + 4, 0);
	tcp(&f, PKT_ACK, NULL, 0, 4);
	check_every_cut(1, &f, 14 + 8 + 40, 0, 4, CUT_TRUNCATED);

	/* MPLS, two labels */
	f.n = 0;
	ether(&f, 0x8847);
	put32(&f, (16u << 12) | 64);
	put32(&f, (17u << 12) | 0x100 | 64);
	ipv4(&f, 6, 0, 20 + 2, 0);
	tcp(&f, PKT_FIN | PKT_ACK, NULL, 0, 2);
	check_every_cut(1, &f, 14 + 8 + 40, 0, 2, CUT_TRUNCATED);

	/* PPPoE session carrying IPv4 */
	f.n = 0;
	ether(&f, 0x8864);
	put32(&f, 0x11000001);
	put16(&f, 42);
	put16(&f, 0x0021);
	ipv4(&f, 6, 0, 20 + 1, 0);
	tcp(&f, PKT_ACK, NULL, 0, 1);
	check_every_cut(1, &f, 14 + 8 + 40, 0, 1, CUT_TRUNCATED);

	/* 802.3 length, LLC/SNAP, IPv4 */
	f.n = 0;
	ether(&f, 60);
	put32(&f, 0xaaaa0300);
	put16(&f, 0x0000);
	put16(&f, 0x0800);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	check_every_cut(1, &f, 14 + 8 + 40, 0, 0, CUT_NOT_IP);

	/* Linux cooked v1 and v2 */
	f.n = 0;
	put(&f, sll, 14);
	put16(&f, 0x0800);
	ipv4(&f, 6, 0, 20 + 5, 0);
	tcp(&f, PKT_ACK, NULL, 0, 5);
	check_every_cut(113, &f, 16 + 40, 0, 5, CUT_TRUNCATED);
	f.n = 0;
	put16(&f, 0x86dd);
	put(&f, sll2, 18);
	ipv6(&f, 6, 20 + sizeof(opts));
	tcp(&f, PKT_SYN, opts, sizeof(opts), 0);
	check_every_cut(276, &f, 20 + 40 + 28, sizeof(opts), 0,
	    CUT_TRUNCATED);

	/* BSD loopback, both byte orders */
	f.n = 0;
	put(&f, "\x02\0\0\0", 4);
	ipv4(&f, 6, 0, 20 + 6, 0);
	tcp(&f, PKT_ACK, NULL, 0, 6);
	check_every_cut(0, &f, 4 + 40, 0, 6, CUT_TRUNCATED);
	f.n = 0;
	put32(&f, 30);
	ipv6(&f, 6, 20 + 6);
	tcp(&f, PKT_ACK, NULL, 0, 6);
	check_every_cut(108, &f, 4 + 60, 0, 6, CUT_TRUNCATED);
}

static void
test_every_cut_ip_layers(void **state)
{
	uint8_t pad[6] = { 0 };
	struct fb f = { .n = 0 };

	(void)state;
	/* raw IPv4 and LINKTYPE_IPV4 */
	ipv4(&f, 6, 4, 20 + 7, 0);
	tcp(&f, PKT_ACK, NULL, 0, 7);
	check_every_cut(12, &f, 24 + 20, 0, 7, CUT_TRUNCATED);
	check_every_cut(228, &f, 24 + 20, 0, 7, CUT_TRUNCATED);

	/* IPv6: hop-by-hop, destination options, an atomic fragment */
	f.n = 0;
	ipv6(&f, 0, 8 + 8 + 8 + 20 + 9);
	put8(&f, 60);
	put8(&f, 0);
	put(&f, pad, 6);
	put8(&f, 44);
	put8(&f, 0);
	put(&f, pad, 6);
	put8(&f, 6);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 99);
	tcp(&f, PKT_ACK, NULL, 0, 9);
	check_every_cut(229, &f, 40 + 24 + 20, 0, 9, CUT_TRUNCATED);
	check_every_cut(101, &f, 40 + 24 + 20, 0, 9, CUT_TRUNCATED);
}

static void
test_every_cut_tunnels(void **state)
{
	struct fb f = { .n = 0 };

	(void)state;
	/* IPv6 in IPv4 */
	ipv4(&f, 41, 0, 40 + 20 + 3, 0);
	ipv6(&f, 6, 20 + 3);
	tcp(&f, PKT_ACK, NULL, 0, 3);
	check_every_cut(12, &f, 20 + 40 + 20, 0, 3, CUT_TRUNCATED);

	/* GRE with checksum, key and sequence number */
	f.n = 0;
	ipv4(&f, 47, 0, 16 + 20 + 20, 0);
	put16(&f, 0xb000);
	put16(&f, 0x0800);
	put32(&f, 0);
	put32(&f, 42);
	put32(&f, 7);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	check_every_cut(12, &f, 20 + 16 + 40, 0, 0, CUT_TRUNCATED);

	/* GTP-U G-PDU with one extension header */
	udp4_frame(&f, 2152, 2152, 8 + 16 + 40 + 2);
	put8(&f, 0x34);
	put8(&f, 0xff);
	put16(&f, 8 + 40 + 2);
	put32(&f, 7);
	put32(&f, 0x000000c0);	/* sequence, N-PDU, next: 0xc0 */
	put32(&f, 0x01000000);	/* 4 bytes, next: none */
	ipv4(&f, 6, 0, 20 + 2, 0);
	tcp(&f, PKT_ACK, NULL, 0, 2);
	check_every_cut(12, &f, 20 + 8 + 16 + 40, 0, 2, CUT_NOT_TCP);

	/* VXLAN: Ethernet in UDP */
	udp4_frame(&f, 50000, 4789, 8 + 8 + 14 + 40);
	put32(&f, 0x08000000);
	put32(&f, 0x00123400);
	ether(&f, 0x0800);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	check_every_cut(12, &f, 20 + 8 + 8 + 14 + 40, 0, 0, CUT_NOT_TCP);

	/* Teredo on its port */
	udp4_frame(&f, 3544, 40000, 8 + 40 + 20 + 4);
	ipv6(&f, 6, 20 + 4);
	tcp(&f, PKT_ACK, NULL, 0, 4);
	check_every_cut(12, &f, 20 + 8 + 40 + 20, 0, 4, CUT_NOT_TCP);
}

static void
test_names(void **state)
{
	char buf[10];

	(void)state;
	assert_string_equal(pkt_status_name(PKT_TCP), "tcp");
	assert_string_equal(pkt_status_name(PKT_UNSUPPORTED_LINK),
	    "unsupported-link");
	assert_string_equal(pkt_status_name(PKT_STATUS_COUNT), "?");
	assert_string_equal(pkt_flags_str(PKT_SYN, buf), "S");
	assert_string_equal(pkt_flags_str(PKT_SYN | PKT_ACK, buf), "S.");
	assert_string_equal(pkt_flags_str(PKT_FIN | PKT_PSH | PKT_ACK, buf),
	    "FP.");
	assert_string_equal(pkt_flags_str(PKT_RST, buf), "R");
	assert_string_equal(pkt_flags_str(0, buf), "none");
	assert_string_equal(pkt_flags_str(0xff, buf), "FSRP.UEW");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4),
		cmocka_unit_test(test_syn_options_and_ip_options),
		cmocka_unit_test(test_vlan_qinq_mpls),
		cmocka_unit_test(test_cooked_and_loopback),
		cmocka_unit_test(test_raw_ip),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_fragments_and_other_protocols),
		cmocka_unit_test(test_truncated_and_malformed),
		cmocka_unit_test(test_tunnels),
		cmocka_unit_test(test_every_cut_link_layers),
		cmocka_unit_test(test_every_cut_ip_layers),
		cmocka_unit_test(test_every_cut_tunnels),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
