/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for pktdecode: every link type, tunnel, and bad frame. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pktdecode.h"
#include "../finrst/gen_bytes.h"

/* Decode the frame built in f as link type lt, at time 0. */
static enum pkt_status
decode(const struct gen_buf *f, int lt, struct pkt_tcp *s)
{
	return pkt_decode(lt, 0, f->b, (uint32_t)f->n, s);
}

static void
ether(struct gen_buf *f, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	put(f, macs, 12);
	put16(f, type);
}

/* TCP header (20 bytes + opts) and payload of plen bytes ('x'). */
static void
tcp(struct gen_buf *f, uint8_t flags, const uint8_t *opts, size_t optlen,
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
ipv4(struct gen_buf *f, uint8_t proto, size_t optlen, size_t l4len,
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

/* The plainest packet: IPv4 carrying a bare 20-byte TCP ACK. */
static void
ipv4_ack(struct gen_buf *f)
{
	ipv4(f, 6, 0, 20, 0);
	tcp(f, PKT_ACK, NULL, 0, 0);
}

/* A fresh frame: an IPv4 header and a UDP header (no checksum) for udplen
   bytes of UDP, header included; the caller appends the payload. */
static void
udp4_frame(struct gen_buf *f, uint16_t sport, uint16_t dport, size_t udplen)
{
	f->n = 0;
	ipv4(f, 17, 0, udplen, 0);
	put16(f, sport);
	put16(f, dport);
	put16(f, (uint16_t)udplen);
	put16(f, 0);
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
	struct gen_buf f = { .n = 0 };
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
	struct gen_buf f = { .n = 0 };
	struct pkt_tcp s;

	(void)state;
	ether(&f, 0x0800);
	ipv4(&f, 6, 8, 20 + sizeof(opts), 0x4000 /* DF */);
	tcp(&f, PKT_SYN, opts, sizeof(opts), 0);
	assert_int_equal(decode(&f, 1, &s), PKT_TCP);
	check_tcp4(&s, 0);
	assert_int_equal(s.mss, 1460);
	assert_int_equal(s.wscale, 7);
	assert_int_equal(s.flags, PKT_SYN);
}

static void
test_vlan_qinq_mpls(void **state)
{
	struct gen_buf f = { .n = 0 };
	struct pkt_tcp s;

	(void)state;
	/* QinQ: 802.1ad outer, 802.1Q inner */
	ether(&f, 0x88a8);
	put16(&f, 100);
	put16(&f, 0x8100);
	put16(&f, 200);
	put16(&f, 0x0800);
	ipv4_ack(&f);
	assert_int_equal(decode(&f, 1, &s), PKT_TCP);
	check_tcp4(&s, 0);

	/* MPLS: two labels, the second with bottom-of-stack */
	f.n = 0;
	ether(&f, 0x8847);
	put32(&f, (16u << 12) | 64);
	put32(&f, (17u << 12) | 0x100 | 64);
	ipv4(&f, 6, 0, 20 + 5, 0);
	tcp(&f, PKT_ACK, NULL, 0, 5);
	assert_int_equal(decode(&f, 1, &s), PKT_TCP);
	check_tcp4(&s, 5);

	/* VLAN then MPLS */
	f.n = 0;
	ether(&f, 0x8100);
	put16(&f, 7);
	put16(&f, 0x8847);
	put32(&f, (16u << 12) | 0x100 | 64);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, PKT_FIN | PKT_ACK, NULL, 0, 0);
	assert_int_equal(decode(&f, 1, &s), PKT_TCP);
	assert_int_equal(s.flags, PKT_FIN | PKT_ACK);
}

static void
test_cooked_and_loopback(void **state)
{
	struct gen_buf f = { .n = 0 };
	struct pkt_tcp s;
	uint8_t sll[14] = { 0, 0, 0, 1, 0, 6 };
	uint8_t sll2[16] = { 0 };

	(void)state;
	/* Linux cooked v1: 14 bytes, then the protocol */
	put(&f, sll, 14);
	put16(&f, 0x0800);
	ipv4_ack(&f);
	assert_int_equal(decode(&f, 113, &s), PKT_TCP);
	check_tcp4(&s, 0);

	/* Linux cooked v2: the protocol first, 20 bytes in all */
	f.n = 0;
	put16(&f, 0x86dd);
	put(&f, sll2, 2);
	put(&f, sll2, 16);
	gen_ipv6(&f, 6, 20);
	tcp(&f, PKT_SYN, NULL, 0, 0);
	assert_int_equal(decode(&f, 276, &s), PKT_TCP);
	assert_int_equal(s.family, AF_INET6);

	/* DLT_NULL, host order of a little-endian machine: AF_INET = 2 */
	f.n = 0;
	put(&f, "\x02\0\0\0", 4);
	ipv4_ack(&f);
	assert_int_equal(decode(&f, 0, &s), PKT_TCP);
	/* ... and of a big-endian one: 30 = AF_INET6 on macOS */
	f.n = 0;
	put32(&f, 30);
	gen_ipv6(&f, 6, 20);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(decode(&f, 0, &s), PKT_TCP);
	assert_int_equal(s.family, AF_INET6);
	/* DLT_LOOP: network order */
	f.n = 0;
	put32(&f, 2);
	ipv4_ack(&f);
	assert_int_equal(decode(&f, 108, &s), PKT_TCP);
	/* an unknown address family is not IP */
	f.n = 0;
	put32(&f, 99);
	ipv4(&f, 6, 0, 20, 0);
	assert_int_equal(decode(&f, 108, &s), PKT_NOT_IP);
}

static void
test_raw_ip(void **state)
{
	struct gen_buf f = { .n = 0 };
	struct pkt_tcp s;
	uint8_t want6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	(void)state;
	ipv4_ack(&f);
	assert_int_equal(decode(&f, 12, &s), PKT_TCP);
	assert_int_equal(decode(&f, 101, &s), PKT_TCP);
	assert_int_equal(decode(&f, 228, &s), PKT_TCP);
	/* LINKTYPE_IPV6 insists on version 6 */
	assert_int_equal(decode(&f, 229, &s), PKT_MALFORMED);

	f.n = 0;
	gen_ipv6(&f, 6, 20 + 3);
	tcp(&f, PKT_ACK, NULL, 0, 3);
	assert_int_equal(decode(&f, 229, &s), PKT_TCP);
	assert_int_equal(s.family, AF_INET6);
	assert_memory_equal(s.daddr, want6, 16);
	assert_int_equal(s.payload_len, 3);
}

static void
test_ipv6_extension_headers(void **state)
{
	struct gen_buf f = { .n = 0 };
	struct pkt_tcp s;
	uint8_t pad[6] = { 0 };

	(void)state;
	/* hop-by-hop (8) -> destination options (8) -> TCP */
	gen_ipv6(&f, 0, 8 + 8 + 20 + 4);
	put8(&f, 60);
	put8(&f, 0);
	put(&f, pad, 6);
	put8(&f, 6);
	put8(&f, 0);
	put(&f, pad, 6);
	tcp(&f, PKT_ACK, NULL, 0, 4);
	assert_int_equal(decode(&f, 229, &s), PKT_TCP);
	assert_int_equal(s.payload_len, 4);

	/* a fragment header with an offset: a fragment */
	f.n = 0;
	gen_ipv6(&f, 44, 8 + 20);
	put8(&f, 6);
	put8(&f, 0);
	put16(&f, 8 << 3);
	put32(&f, 1234);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(decode(&f, 229, &s), PKT_FRAGMENT);

	/* an atomic fragment (offset 0, no more): a whole packet */
	f.n = 0;
	gen_ipv6(&f, 44, 8 + 20);
	put8(&f, 6);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 1234);
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(decode(&f, 229, &s), PKT_TCP);

	/* an extension header longer than the payload: malformed */
	f.n = 0;
	gen_ipv6(&f, 0, 8);
	put8(&f, 6);
	put8(&f, 3);	/* (3 + 1) * 8 = 32 bytes */
	put(&f, pad, 6);
	assert_int_equal(decode(&f, 229, &s), PKT_MALFORMED);
}

static void
test_fragments_and_other_protocols(void **state)
{
	struct gen_buf f = { .n = 0 };
	struct pkt_tcp s;

	(void)state;
	ipv4(&f, 6, 0, 20, 0x2000);	/* more fragments */
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(decode(&f, 12, &s), PKT_FRAGMENT);
	f.n = 0;
	ipv4(&f, 6, 0, 20, 185);	/* an offset */
	tcp(&f, PKT_ACK, NULL, 0, 0);
	assert_int_equal(decode(&f, 12, &s), PKT_FRAGMENT);
	f.n = 0;
	ipv4(&f, 1, 0, 8, 0);		/* ICMP */
	put32(&f, 0x08000000);
	put32(&f, 0);
	assert_int_equal(decode(&f, 12, &s), PKT_NOT_TCP);
	udp4_frame(&f, 5353, 53, 12);		/* UDP to port 53 */
	put32(&f, 0x12345678);
	assert_int_equal(decode(&f, 12, &s), PKT_NOT_TCP);
	f.n = 0;
	ether(&f, 0x0806);		/* ARP */
	put32(&f, 0x00010800);
	assert_int_equal(decode(&f, 1, &s), PKT_NOT_IP);
	assert_int_equal(decode(&f, 147, &s), PKT_UNSUPPORTED_LINK);
	assert_false(pkt_link_supported(147));
	assert_true(pkt_link_supported(1));
	assert_true(pkt_link_supported(276));
}

static void
test_truncated_and_malformed(void **state)
{
	struct gen_buf f = { .n = 0 };
	struct pkt_tcp s;
	uint32_t cut;

	(void)state;
	ether(&f, 0x0800);
	ipv4(&f, 6, 0, 20 + 1000, 0);
	tcp(&f, PKT_ACK, NULL, 0, 100);
	/* snaplen cut the payload: still TCP, with the IP length's size */
	assert_int_equal(decode(&f, 1, &s), PKT_TCP);
	assert_int_equal(s.payload_len, 1000);
	assert_int_equal(s.captured_len, 100);
	/* every cut inside the headers is "truncated", never a crash */
	for (cut = 0; cut < 14 + 20 + 20; cut++)
		assert_int_equal(pkt_decode(1, 0, f.b, cut, &s),
		    PKT_TRUNCATED);
	assert_int_equal(pkt_decode(1, 0, NULL, 0, &s), PKT_TRUNCATED);

	/* IHL below 5 */
	f.n = 0;
	ipv4_ack(&f);
	f.b[0] = 0x44;
	assert_int_equal(decode(&f, 12, &s), PKT_MALFORMED);
	/* TCP data offset below 5 */
	f.b[0] = 0x45;
	f.b[20 + 12] = 0x40;
	assert_int_equal(decode(&f, 12, &s), PKT_MALFORMED);
	/* TCP header longer than the IP packet says */
	f.b[20 + 12] = 0xf0;
	assert_int_equal(decode(&f, 12, &s), PKT_MALFORMED);
	/* IP total length shorter than its header */
	f.b[20 + 12] = 0x50;
	f.b[2] = 0;
	f.b[3] = 10;
	assert_int_equal(decode(&f, 12, &s), PKT_MALFORMED);
	/* total length 0 (TSO): the captured length counts */
	f.b[3] = 0;
	assert_int_equal(decode(&f, 12, &s), PKT_TCP);
	assert_int_equal(s.payload_len, 0);
	/* not IP at all */
	f.b[0] = 0x35;
	assert_int_equal(decode(&f, 12, &s), PKT_NOT_IP);
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
check_every_cut(int lt, const struct gen_buf *f, uint32_t hlen, uint32_t optlen,
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

/*
 * Encapsulations as data: each case is a program of layers that builds
 * the frame, the length fields of its IP and UDP layers patched to what
 * follows them. One loop decodes each whole, cut at every byte, and with
 * every header byte mutated; a new encapsulation is one more row.
 */
enum op_code {
	O_END = 0,
	O_ETH,		/* Ethernet, ethertype v */
	O_B16,		/* raw 16 bits */
	O_B32,		/* raw 32 bits */
	O_IP4,		/* IPv4 to protocol v, length patched */
	O_IP4OPT,	/* the same with 8 bytes of options */
	O_IP6,		/* IPv6 to next header v, length patched */
	O_UDP,		/* UDP, ports v >> 16 to v & 0xffff, length patched */
	O_TCP,		/* TCP ACK with v bytes of payload: the end */
	O_SYN		/* TCP SYN with MSS and window scale options: the end */
};

struct op {
	uint8_t code;
	uint32_t v;
};

#define ETH(t)		{ O_ETH, t }
#define B16(v)		{ O_B16, v }
#define B32(v)		{ O_B32, v }
#define IP4(p)		{ O_IP4, p }
#define IP6(p)		{ O_IP6, p }
#define UDP(s, d)	{ O_UDP, (uint32_t)(s) << 16 | (d) }
#define TCP(n)		{ O_TCP, n }

struct enc_case {
	const char *name;
	int lt;			/* link type */
	struct op ops[16];
	enum cut_report report;
	uint8_t kind;		/* the innermost tunnel decoded */
	uint32_t key;
	uint8_t tunnels;	/* IP layers peeled inside others */
};

#define NO_TUNNEL	PKT_TUN_NONE, 0, 0

static const struct enc_case enc_cases[] = {
	{ "ethernet", 1, { ETH(0x0800), IP4(6), TCP(10) },
	    CUT_TRUNCATED, NO_TUNNEL },
	{ "ip options, syn", 1, { ETH(0x0800), { O_IP4OPT, 6 },
	    { O_SYN, 3 } }, CUT_TRUNCATED, NO_TUNNEL },
	{ "802.1ad + 802.1q", 1, { ETH(0x88a8), B16(100), B16(0x8100),
	    B16(200), B16(0x0800), IP4(6), TCP(4) }, CUT_TRUNCATED, NO_TUNNEL },
	{ "mpls", 1, { ETH(0x8847), B32((16u << 12) | 64),
	    B32((17u << 12) | 0x100 | 64), IP4(6), TCP(2) },
	    CUT_TRUNCATED, NO_TUNNEL },
	{ "pppoe", 1, { ETH(0x8864), B32(0x11000001), B16(42), B16(0x0021),
	    IP4(6), TCP(1) }, CUT_TRUNCATED, NO_TUNNEL },
	{ "llc/snap", 1, { ETH(60), B32(0xaaaa0300), B16(0), B16(0x0800),
	    IP4(6), TCP(0) }, CUT_NOT_IP, NO_TUNNEL },
	{ "pbb", 1, { ETH(0x88a8), B16(7), B16(0x88e7), B32(0x00012345),
	    B32(0x02000000), B32(0x00010200), B32(0x00000002), B16(0x0800),
	    IP4(6), TCP(3) }, CUT_TRUNCATED, NO_TUNNEL },
	{ "vn-tag", 1, { ETH(0x8100), B16(250), B16(0x8926),
	    B32(0x00000033), B16(0x8100), B16(250), B16(0x0800), IP4(6),
	    TCP(3) }, CUT_TRUNCATED, NO_TUNNEL },
	{ "fabricpath", 1, { ETH(0x8903), B16(0x0120), B32(0x02000000),
	    B32(0x00010200), B32(0x00000002), B16(0x86dd), IP6(6),
	    TCP(3) }, CUT_TRUNCATED, NO_TUNNEL },
	{ "sll", 113, { B32(0x00000001), B32(0x00060000), B32(0), B16(0),
	    B16(0x0800), IP4(6), TCP(5) }, CUT_TRUNCATED, NO_TUNNEL },
	{ "sll2", 276, { B32(0x86dd0000), B32(0), B32(0), B32(0), B32(0),
	    IP6(6), { O_SYN, 0 } }, CUT_TRUNCATED, NO_TUNNEL },
	{ "null", 0, { B32(0x02000000), IP4(6), TCP(6) },
	    CUT_TRUNCATED, NO_TUNNEL },
	{ "loop", 108, { B32(30), IP6(6), TCP(6) }, CUT_TRUNCATED, NO_TUNNEL },
	{ "raw", 12, { IP4(6), TCP(7) }, CUT_TRUNCATED, NO_TUNNEL },
	{ "ipv4 link", 228, { { O_IP4OPT, 6 }, TCP(7) },
	    CUT_TRUNCATED, NO_TUNNEL },
	{ "ipv6 extension headers", 229, { IP6(0), B32(0x3c000000), B32(0),
	    B32(0x2c000000), B32(0), B32(0x06000000), B32(99), TCP(9) },
	    CUT_TRUNCATED, NO_TUNNEL },
	{ "4in4", 12, { IP4(4), IP4(6), TCP(0) }, CUT_TRUNCATED,
	    PKT_TUN_IP, 0, 1 },
	{ "6in4", 12, { IP4(41), IP6(6), TCP(3) }, CUT_TRUNCATED,
	    PKT_TUN_IP, 0, 1 },
	{ "4in6", 101, { IP6(4), IP4(6), TCP(3) }, CUT_TRUNCATED,
	    PKT_TUN_IP, 0, 1 },
	{ "gre key", 12, { IP4(47), B16(0x2000), B16(0x0800), B32(42),
	    IP4(6), TCP(0) }, CUT_TRUNCATED, PKT_TUN_GRE, 42, 1 },
	{ "gre csum key seq", 12, { IP4(47), B16(0xb000), B16(0x0800),
	    B32(0), B32(42), B32(7), IP4(6), TCP(0) }, CUT_TRUNCATED,
	    PKT_TUN_GRE, 42, 1 },
	{ "gre ethernet", 12, { IP4(47), B16(0), B16(0x6558), B32(0),
	    B32(0), B32(0), B16(0x0800), IP4(6), TCP(1) }, CUT_TRUNCATED,
	    PKT_TUN_GRE, 0, 1 },
	{ "erspan i", 1, { ETH(0x0800), IP4(47), B16(0), B16(0x88be),
	    ETH(0x0800), IP4(6), TCP(2) }, CUT_TRUNCATED, PKT_TUN_ERSPAN,
	    0, 1 },
	{ "erspan ii", 1, { ETH(0x0800), IP4(47), B16(0x1000), B16(0x88be),
	    B32(5), B16(0x100a), B16(77), B32(0), ETH(0x0800), IP4(6),
	    TCP(2) }, CUT_TRUNCATED, PKT_TUN_ERSPAN, 77, 1 },
	{ "erspan iii", 1, { ETH(0x0800), IP4(47), B16(0x1000),
	    B16(0x22eb), B32(5), B16(0x200a), B16(77), B32(1), B32(1),
	    B32(0), B32(0), ETH(0x8100), B16(10), B16(0x0800), IP4(6),
	    TCP(2) }, CUT_TRUNCATED, PKT_TUN_ERSPAN, 77, 1 },
	{ "gtp-u extension", 12, { IP4(17), UDP(2152, 2152), B16(0x34ff),
	    B16(50), B32(7), B32(0x000000c0), B32(0x01000000), IP4(6),
	    TCP(2) }, CUT_NOT_TCP, PKT_TUN_GTPU, 7, 1 },
	{ "vxlan", 12, { IP4(17), UDP(50000, 4789), B32(0x08000000),
	    B32(0x00123400), ETH(0x0800), IP4(6), TCP(0) }, CUT_NOT_TCP,
	    PKT_TUN_VXLAN, 0x1234, 1 },
	{ "geneve options", 12, { IP4(17), UDP(50000, 6081), B16(0x0200),
	    B16(0x6558), B32(0x00002a00), B32(0x01020301), B32(0xdeadbeef),
	    ETH(0x86dd), IP6(6), TCP(4) }, CUT_NOT_TCP, PKT_TUN_GENEVE, 42,
	    1 },
	{ "geneve ip", 12, { IP4(17), UDP(50000, 6081), B16(0),
	    B16(0x0800), B32(0x00002a00), IP4(6), TCP(4) }, CUT_NOT_TCP,
	    PKT_TUN_GENEVE, 42, 1 },
	{ "gre in udp", 12, { IP4(17), UDP(50000, 4754), B16(0x2000),
	    B16(0x0800), B32(9), IP4(6), TCP(1) }, CUT_NOT_TCP,
	    PKT_TUN_GRE_UDP, 9, 1 },
	{ "ayiya", 12, { IP4(17), UDP(5072, 5072), B32(0x41521129),
	    B32(1700000000), B32(0), B32(0), B32(0), B32(0), B32(0), B32(0),
	    B32(0), B32(0), B32(0), IP6(6), TCP(4) }, CUT_NOT_TCP,
	    PKT_TUN_AYIYA, 0, 1 },
	{ "teredo", 12, { IP4(17), UDP(3544, 40000), IP6(6), TCP(4) },
	    CUT_NOT_TCP, PKT_TUN_TEREDO, 0, 1 },
	{ "teredo any port", 12, { IP4(17), UDP(3797, 32900), IP6(6),
	    { O_SYN, 0 } }, CUT_NOT_TCP, PKT_TUN_TEREDO, 0, 1 },
	{ "vxlan in gre in 6in4", 12, { IP4(41), IP6(47), B16(0),
	    B16(0x0800), IP4(17), UDP(1, 4789), B32(0x08000000), B32(0x100),
	    ETH(0x0800), IP4(6), TCP(1) }, CUT_NOT_TCP, PKT_TUN_VXLAN, 1,
	    3 },
};

/* Build c's frame into f; the header length (all but the payload), the
 * TCP options' length and the payload length into the out arguments. */
static void
build(const struct enc_case *c, struct gen_buf *f, uint32_t *hlen,
    uint32_t *optlen, uint32_t *plen)
{
	static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
	struct { uint8_t code; size_t at; } fix[16];
	size_t nfix = 0, i, n;
	const struct op *o;

	f->n = 0;
	*optlen = 0;
	for (o = c->ops; o->code != O_END; o++) {
		switch (o->code) {
		case O_ETH:
			ether(f, (uint16_t)o->v);
			break;
		case O_B16:
			put16(f, (uint16_t)o->v);
			break;
		case O_B32:
			put32(f, o->v);
			break;
		case O_IP4:
		case O_IP4OPT:
		case O_IP6:
		case O_UDP:
			fix[nfix].code = o->code;
			fix[nfix++].at = f->n;
			if (o->code == O_IP6)
				gen_ipv6(f, (uint8_t)o->v, 0);
			else if (o->code == O_UDP)
				put32(f, o->v), put32(f, 0);
			else
				ipv4(f, (uint8_t)o->v, o->code == O_IP4 ?
				    0 : 8, 0, 0);
			break;
		case O_TCP:
		case O_SYN:
			*plen = o->v;
			*optlen = o->code == O_SYN ? sizeof(opts) : 0;
			tcp(f, o->code == O_SYN ? PKT_SYN : PKT_ACK, opts,
			    *optlen, o->v);
			*hlen = (uint32_t)(f->n - o->v);
			break;
		}
	}
	for (i = 0; i < nfix; i++) {
		n = f->n - fix[i].at;
		if (fix[i].code == O_IP6)
			n -= 40;
		f->b[fix[i].at + (fix[i].code == O_IP4 ||
		    fix[i].code == O_IP4OPT ? 2 : 4)] = (uint8_t)(n >> 8);
		f->b[fix[i].at + (fix[i].code == O_IP4 ||
		    fix[i].code == O_IP4OPT ? 3 : 5)] = (uint8_t)n;
	}
}

static void
test_encapsulations(void **state)
{
	uint32_t hlen, optlen, plen;
	struct gen_buf f;
	struct pkt_tcp s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++) {
		const struct enc_case *c = &enc_cases[i];

		build(c, &f, &hlen, &optlen, &plen);
		if (pkt_decode(c->lt, 0, f.b, (uint32_t)f.n, &s) != PKT_TCP)
			fail_msg("%s: not decoded", c->name);
		assert_int_equal(s.sport, 40000);
		assert_int_equal(s.dport, 80);
		assert_int_equal(s.payload_len, plen);
		if (s.family == AF_INET)
			check_tcp4(&s, plen);
		assert_int_equal(s.tun.kind, c->kind);
		assert_int_equal(s.tun.key, c->key);
		assert_int_equal(s.tunnel, c->tunnels);
		check_every_cut(c->lt, &f, hlen, optlen, plen, c->report);
	}
}

/*
 * Every header byte of every case set to 0x00, 0xff and its own value
 * flipped, through the decoder at the end of a guard page: whatever the
 * status, nothing is read outside the frame (ASan, the guard page).
 */
static void
test_mutated_headers(void **state)
{
	static const uint8_t pattern[] = { 0x00, 0xff };
	uint32_t hlen, optlen, plen, at;
	struct gen_buf f;
	struct pkt_tcp s;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++) {
		const struct enc_case *c = &enc_cases[i];

		build(c, &f, &hlen, &optlen, &plen);
		for (at = 0; at < hlen; at++) {
			uint8_t keep = f.b[at];

			for (k = 0; k <= sizeof(pattern); k++) {
				f.b[at] = k < sizeof(pattern) ? pattern[k] :
				    (uint8_t)~keep;
				(void)decode_cut(c->lt, f.b, (uint32_t)f.n,
				    &s);
			}
			f.b[at] = keep;
		}
	}
}

static void
test_names(void **state)
{
	char buf[10];

	(void)state;
	assert_string_equal(pkt_status_name(PKT_TCP), "tcp");
	assert_string_equal(pkt_status_name(PKT_UNSUPPORTED_LINK),
	    "unsupported-link");
	assert_string_equal(pkt_status_name(PKT_TOO_DEEP), "too-deep");
	assert_string_equal(pkt_status_name(PKT_STATUS_COUNT), "?");
	assert_string_equal(pkt_tunnel_name(PKT_TUN_GRE_UDP), "gre-udp");
	assert_string_equal(pkt_tunnel_name(PKT_TUN_KIND_COUNT), "?");
	assert_string_equal(pkt_flags_str(PKT_SYN, buf), "S");
	assert_string_equal(pkt_flags_str(PKT_SYN | PKT_ACK, buf), "S.");
	assert_string_equal(pkt_flags_str(PKT_FIN | PKT_PSH | PKT_ACK, buf),
	    "FP.");
	assert_string_equal(pkt_flags_str(PKT_RST, buf), "R");
	assert_string_equal(pkt_flags_str(0, buf), "none");
	assert_string_equal(pkt_flags_str(0xff, buf), "FSRP.UEW");
}

TEST_MAIN_WITH(guard_setup, guard_teardown,
	cmocka_unit_test(test_ethernet_ipv4),
	cmocka_unit_test(test_syn_options_and_ip_options),
	cmocka_unit_test(test_vlan_qinq_mpls),
	cmocka_unit_test(test_cooked_and_loopback),
	cmocka_unit_test(test_raw_ip),
	cmocka_unit_test(test_ipv6_extension_headers),
	cmocka_unit_test(test_fragments_and_other_protocols),
	cmocka_unit_test(test_truncated_and_malformed),
	cmocka_unit_test(test_encapsulations),
	cmocka_unit_test(test_mutated_headers),
	cmocka_unit_test(test_names),
)
