/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: write a small capture of known connections in any link type. */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_bytes.h"

/*
 * usage: pcapgen [-6] [-w] [-n] [-g] [-s SNAPLEN] -l LINK -o FILE
 *
 * LINK: en10mb, vlan, qinq, mpls, sll, sll2, null, loop, raw, ipv4, ipv6.
 * -6 IPv6 addresses, -w sequence numbers that wrap during the
 * connections, -n nanosecond pcap, -g pcapng, -s cut every frame to
 * SNAPLEN bytes (the headers stay, the payload goes).
 *
 * Five connections, deterministic to the byte: fin (orig closes first,
 * data both ways), rst from the responder with the request unacknowledged,
 * refused, no-answer (three SYNs), vanished (the responder retransmits,
 * then gives up with RST).
 */

enum link { L_EN10MB, L_VLAN, L_QINQ, L_MPLS, L_SLL, L_SLL2, L_NULL, L_LOOP,
	L_RAW, L_IPV4, L_IPV6 };

static const struct {
	const char *name;
	enum link l;
	uint32_t dlt;
} links[] = {
	{ "en10mb", L_EN10MB, 1 }, { "vlan", L_VLAN, 1 },
	{ "qinq", L_QINQ, 1 }, { "mpls", L_MPLS, 1 }, { "sll", L_SLL, 113 },
	{ "sll2", L_SLL2, 276 }, { "null", L_NULL, 0 }, { "loop", L_LOOP, 108 },
	{ "raw", L_RAW, 101 }, { "ipv4", L_IPV4, 228 }, { "ipv6", L_IPV6, 229 },
};

static struct {
	enum link link;
	uint32_t dlt;
	int v6, wrap, nano, ng;
	uint32_t snaplen;
	FILE *fp;
	int64_t now_us;
} g;

/* One side of a scripted connection. */
struct conn {
	uint16_t port[2];
	uint32_t nxt[2];
};

#define ORIG 0
#define RESP 1

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static void
out(const void *p, size_t n)
{
	if (fwrite(p, 1, n, g.fp) != n)
		err(1, "write");
}

static void
file_header(void)
{
	uint8_t h[28];

	if (g.ng) {
		/* Section header block, then one interface description. */
		uint8_t shb[28], idb[20];

		le32(shb, 0x0a0d0d0a);
		le32(shb + 4, 28);
		le32(shb + 8, 0x1a2b3c4d);
		le16(shb + 12, 1);
		le16(shb + 14, 0);
		le32(shb + 16, 0xffffffff);
		le32(shb + 20, 0xffffffff);
		le32(shb + 24, 28);
		out(shb, 28);
		le32(idb, 1);
		le32(idb + 4, 20);
		le16(idb + 8, (uint16_t)g.dlt);
		le16(idb + 10, 0);
		le32(idb + 12, g.snaplen ? g.snaplen : 65535);
		le32(idb + 16, 20);
		out(idb, 20);
		return;
	}
	le32(h, g.nano ? 0xa1b23c4d : 0xa1b2c3d4);
	le16(h + 4, 2);
	le16(h + 6, 4);
	le32(h + 8, 0);
	le32(h + 12, 0);
	le32(h + 16, g.snaplen ? g.snaplen : 65535);
	le32(h + 20, g.dlt);
	out(h, 24);
}

static void
record(const uint8_t *frame, uint32_t len)
{
	uint32_t cap = g.snaplen && len > g.snaplen ? g.snaplen : len;
	uint32_t sec = (uint32_t)(g.now_us / 1000000);
	uint32_t frac = (uint32_t)(g.now_us % 1000000);
	uint8_t h[28], pad[4] = { 0 };

	if (g.ng) {
		/* Enhanced packet block, microsecond timestamps. */
		uint64_t ts = (uint64_t)g.now_us;
		uint32_t padded = (cap + 3) & ~3u, total = 32 + padded;

		le32(h, 6);
		le32(h + 4, total);
		le32(h + 8, 0);
		le32(h + 12, (uint32_t)(ts >> 32));
		le32(h + 16, (uint32_t)ts);
		le32(h + 20, cap);
		le32(h + 24, len);
		out(h, 28);
		out(frame, cap);
		out(pad, padded - cap);
		le32(h, total);
		out(h, 4);
		return;
	}
	le32(h, sec);
	le32(h + 4, g.nano ? frac * 1000 : frac);
	le32(h + 8, cap);
	le32(h + 12, len);
	out(h, 16);
	out(frame, cap);
}

/* Link header for an IP packet of the given version. */
static size_t
link_header(uint8_t *f, int v6)
{
	static const uint8_t mac[12] = { 0x02, 0, 0, 0, 0, 0x02,
	    0x02, 0, 0, 0, 0, 0x01 };
	uint16_t et = v6 ? 0x86dd : 0x0800;
	size_t n = 0;

	switch (g.link) {
	case L_EN10MB:
	case L_VLAN:
	case L_QINQ:
	case L_MPLS:
		memcpy(f, mac, 12);
		n = 12;
		if (g.link == L_QINQ) {
			be16(f + n, 0x88a8);
			be16(f + n + 2, 100);
			n += 4;
		}
		if (g.link == L_VLAN || g.link == L_QINQ) {
			be16(f + n, 0x8100);
			be16(f + n + 2, 42);
			n += 4;
		}
		if (g.link == L_MPLS) {
			be16(f + n, 0x8847);
			be32(f + n + 2, (1000u << 12) | 64);
			be32(f + n + 6, (2000u << 12) | 0x100 | 64);
			return n + 10;
		}
		be16(f + n, et);
		return n + 2;
	case L_SLL:
		memset(f, 0, 16);
		be16(f + 2, 772);	/* ARPHRD_LOOPBACK */
		be16(f + 4, 6);
		be16(f + 14, et);
		return 16;
	case L_SLL2:
		memset(f, 0, 20);
		be16(f, et);
		be32(f + 4, 1);		/* interface index */
		be16(f + 8, 772);
		f[11] = 6;
		return 20;
	case L_NULL:
		le32(f, v6 ? 30 : 2);	/* a little-endian BSD */
		return 4;
	case L_LOOP:
		be32(f, v6 ? 24 : 2);
		return 4;
	default:
		return 0;
	}
}

static void
emit(struct conn *c, int from, uint8_t flags, uint32_t seq, uint32_t len,
    uint16_t win, int64_t gap_us)
{
	uint8_t f[2048];
	size_t n, ip, i;
	uint32_t tcp_len = 20 + len;

	g.now_us += gap_us;
	n = link_header(f, g.v6);
	ip = n;
	if (g.v6) {
		memset(f + n, 0, 40);
		be32(f + n, 0x60000000);
		be16(f + n + 4, (uint16_t)tcp_len);
		f[n + 6] = 6;
		f[n + 7] = 64;
		f[n + 8] = 0x20;
		f[n + 9] = 0x01;
		f[n + 10] = 0x0d;
		f[n + 11] = 0xb8;
		memcpy(f + n + 24, f + n + 8, 16);
		f[n + 23] = (uint8_t)(1 + from);
		f[n + 39] = (uint8_t)(2 - from);
		n += 40;
	} else {
		memset(f + n, 0, 20);
		f[n] = 0x45;
		be16(f + n + 2, (uint16_t)(20 + tcp_len));
		be16(f + n + 6, 0x4000);
		f[n + 8] = 64;
		f[n + 9] = 6;
		be32(f + n + 12, from == ORIG ? 0x0a010001 : 0x0a020002);
		be32(f + n + 16, from == ORIG ? 0x0a020002 : 0x0a010001);
		n += 20;
	}
	(void)ip;
	be16(f + n, c->port[from]);
	be16(f + n + 2, c->port[1 - from]);
	be32(f + n + 4, seq);
	be32(f + n + 8, (flags & F_ACK) ? c->nxt[1 - from] : 0);
	f[n + 12] = 5 << 4;
	f[n + 13] = flags;
	be16(f + n + 14, win);
	be16(f + n + 16, 0);
	be16(f + n + 18, 0);
	n += 20;
	for (i = 0; i < len; i++)
		f[n + i] = (uint8_t)('a' + i % 26);
	n += len;
	record(f, (uint32_t)n);
}

/* The next segment of a side; SYN, FIN and data advance its sequence. */
static void
seg(struct conn *c, int from, uint8_t flags, uint32_t len, int64_t gap_us)
{
	emit(c, from, flags, c->nxt[from], len, 65000, gap_us);
	if (!(flags & F_RST))
		c->nxt[from] += len + !!(flags & F_SYN) + !!(flags & F_FIN);
}

static void
conn_init(struct conn *c, uint16_t sport, uint16_t dport, uint32_t isn_o,
    uint32_t isn_r)
{
	c->port[ORIG] = sport;
	c->port[RESP] = dport;
	c->nxt[ORIG] = g.wrap ? 0xfffffe00u + isn_o % 256 : isn_o;
	c->nxt[RESP] = g.wrap ? 0xffffff80u + isn_r % 64 : isn_r;
}

/* orig's SYN gap_us after the last packet, resp's SYN-ACK, orig's ACK. */
static void
handshake(struct conn *c, int64_t gap_us)
{
	seg(c, ORIG, F_SYN, 0, gap_us);
	seg(c, RESP, F_SYN | F_ACK, 0, 100);
	seg(c, ORIG, F_ACK, 0, 100);
}

static void
connections(void)
{
	struct conn c;
	uint32_t at;
	int i;

	/* 1: fin, closed by orig, data both ways (crosses the wrap) */
	conn_init(&c, 40001, 80, 1000, 2000);
	handshake(&c, 0);
	seg(&c, ORIG, F_ACK | F_PSH, 300, 50);
	seg(&c, RESP, F_ACK, 0, 100);
	seg(&c, RESP, F_ACK | F_PSH, 700, 200);
	seg(&c, RESP, F_ACK | F_PSH, 500, 10);
	seg(&c, ORIG, F_ACK, 0, 100);
	seg(&c, ORIG, F_FIN | F_ACK, 0, 1000);
	seg(&c, RESP, F_ACK, 0, 100);
	seg(&c, RESP, F_FIN | F_ACK, 0, 50);
	seg(&c, ORIG, F_ACK, 0, 100);

	/* 2: the responder resets; the request is never acknowledged */
	conn_init(&c, 40002, 80, 3000, 4000);
	handshake(&c, 100000);
	seg(&c, ORIG, F_ACK | F_PSH, 100, 10);
	seg(&c, RESP, F_RST, 0, 100);

	/* 3: refused */
	conn_init(&c, 40003, 81, 5000, 0);
	seg(&c, ORIG, F_SYN, 0, 100000);
	seg(&c, RESP, F_RST | F_ACK, 0, 30);

	/* 4: no answer: the SYN three times */
	conn_init(&c, 40004, 82, 6000, 0);
	at = c.nxt[ORIG];
	emit(&c, ORIG, F_SYN, at, 0, 65000, 100000);
	emit(&c, ORIG, F_SYN, at, 0, 65000, 1000000);
	emit(&c, ORIG, F_SYN, at, 0, 65000, 2000000);

	/* 5: vanished: the responder's data is never acknowledged */
	conn_init(&c, 40005, 80, 7000, 8000);
	handshake(&c, 100000);
	at = c.nxt[RESP];
	seg(&c, RESP, F_ACK | F_PSH, 64, 1000);
	for (i = 0; i < 3; i++)
		emit(&c, RESP, F_ACK | F_PSH, at, 64, 65000,
		    200000 << i);
	emit(&c, RESP, F_RST | F_ACK, c.nxt[RESP], 0, 0, 1600000);
}

int
main(int argc, char **argv)
{
	const char *lname = NULL, *path = NULL;
	size_t i;
	int ch;

	while ((ch = getopt(argc, argv, "6gl:no:s:w")) != -1) {
		switch (ch) {
		case '6':
			g.v6 = 1;
			break;
		case 'g':
			g.ng = 1;
			break;
		case 'l':
			lname = optarg;
			break;
		case 'n':
			g.nano = 1;
			break;
		case 'o':
			path = optarg;
			break;
		case 's':
			g.snaplen = (uint32_t)atoi(optarg);
			break;
		case 'w':
			g.wrap = 1;
			break;
		default:
			goto usage;
		}
	}
	if (lname == NULL || path == NULL)
		goto usage;
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (strcmp(lname, links[i].name) == 0)
			break;
	if (i == sizeof(links) / sizeof(links[0]))
		errx(2, "unknown link type %s", lname);
	g.link = links[i].l;
	g.dlt = links[i].dlt;
	if ((g.link == L_IPV4 && g.v6) || (g.link == L_IPV6 && !g.v6))
		errx(2, "%s carries only IPv%c", lname, g.v6 ? '4' : '6');
	g.now_us = 1700000000000000;
	if ((g.fp = fopen(path, "wb")) == NULL)
		err(1, "%s", path);
	file_header();
	connections();
	if (fclose(g.fp) != 0)
		err(1, "%s", path);
	return 0;
usage:
	fprintf(stderr, "usage: pcapgen [-6] [-w] [-n] [-g] [-s SNAPLEN]"
	    " -l LINK -o FILE\n");
	return 2;
}
