/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: a capture's IP packets put in a tunnel, maybe fragmented. */
#include <err.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#define GEN_BUF_SIZE	(70 * 1024)
#include "gen_bytes.h"

/*
 * usage: pcapencap -t KIND [-6] [-n N] [-f SIZE] [-F SIZE] [-r] [-c | -d]
 *            IN OUT
 *
 * Each IP packet of IN (Ethernet, Linux cooked, loopback or raw IP; other
 * frames are left out) is written to OUT as Ethernet, carried by KIND:
 * none, vxlan, geneve, gre, gre-key, gre-teb, erspan1, erspan2, erspan3,
 * gre-udp, teredo, ayiya, gtpu, ipip, pbb, vntag, fabricpath. -6: the
 * outer IP is IPv6 (ipip: 4in6/6in6). -n: nest the tunnel N times. -f:
 * cut the outer IP packet into fragments of SIZE bytes (a multiple of 8);
 * -F: cut the inner one before it is encapsulated. -r: fragments in
 * reverse order; -d: the first fragment twice (an overlap that agrees);
 * -c: the first fragment again with its last byte changed (one that
 * does not).
 * A frame of IN cut by its snaplen is written cut by as many bytes.
 * The outer endpoints are 192.0.2.1 and 192.0.2.2 (2001:db8:ffff::1,
 * ::2), the lower inner source address on .1, so each direction of a
 * connection has its own tunnel endpoints' order, as a real one would.
 */

static struct {
	const char *kind;
	bool outer6;
	int nest;
	uint32_t frag_outer, frag_inner;
	bool reverse, dup, corrupt;
	FILE *out;
	uint32_t ip_id;
	bool low_first;		/* this packet goes from .1 to .2 */
	size_t missing;		/* bytes of it the snaplen had cut */
} g;

static void
macs(struct gen_buf *b)
{
	static const uint8_t m[12] = { 2, 0, 0, 0, 0, 0xa, 2, 0, 0, 0, 0, 0xb };

	put(b, m, 12);
}

static uint16_t
ip_ethertype(const uint8_t *ip)
{
	return (ip[0] >> 4) == 6 ? 0x86dd : 0x0800;
}

/* An outer IP header for len bytes of protocol proto (no fragment). */
static void
outer_ip(struct gen_buf *b, uint8_t proto, size_t len, uint16_t frag,
    uint32_t id)
{
	uint8_t a = g.low_first ? 1 : 2, z = g.low_first ? 2 : 1;

	if (g.outer6) {
		uint8_t s[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff },
		    d[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff };

		s[15] = a;
		d[15] = z;
		put32(b, 0x60000000);
		put16(b, (uint16_t)(len + (frag != 0xffff ? 8 : 0)));
		put8(b, frag != 0xffff ? 44 : proto);
		put8(b, 64);
		put(b, s, 16);
		put(b, d, 16);
		if (frag != 0xffff) {
			put8(b, proto);
			put8(b, 0);
			put16(b, frag);
			put32(b, id);
		}
		return;
	}
	put8(b, 0x45);
	put8(b, 0);
	put16(b, (uint16_t)(20 + len));
	put16(b, (uint16_t)id);
	put16(b, frag == 0xffff ? 0x4000 : frag);
	put8(b, 64);
	put8(b, proto);
	put16(b, 0);
	put32(b, 0xc0000200u | a);
	put32(b, 0xc0000200u | z);
}

/* frag field of fragment at off, more or not, as the family writes it */
static uint16_t
frag_field(bool v6, uint32_t off, bool more)
{
	if (v6)
		return (uint16_t)(off | (more ? 1 : 0));
	return (uint16_t)(off / 8 | (more ? 0x2000 : 0));
}

static void write_frame(int64_t sec, int64_t usec, const struct gen_buf *f);

/*
 * Cut an IP packet (ours: IPv4 without options, or IPv6 without
 * extension headers) into fragments of size bytes; call emit on each.
 */
static void
fragment(const uint8_t *ip, size_t len, uint32_t size,
    void (*emit)(const uint8_t *, size_t, void *), void *arg)
{
	bool v6 = (ip[0] >> 4) == 6;
	size_t hl = v6 ? 40 : (size_t)(ip[0] & 0x0f) * 4, off, n, i;
	size_t count = (len - hl + size - 1) / size;
	struct gen_buf *pieces = calloc(count + 1, sizeof(*pieces));
	uint32_t id = ++g.ip_id;

	if (pieces == NULL)
		err(1, "calloc");
	for (i = 0, off = 0; off < len - hl; off += n, i++) {
		struct gen_buf *p = &pieces[i];
		bool more;

		n = len - hl - off < size ? len - hl - off : size;
		more = off + n < len - hl;
		if (v6) {
			put(p, ip, 40);
			be16(p->b + 4, (uint16_t)(8 + n));
			p->b[6] = 44;
			put8(p, ip[6]);
			put8(p, 0);
			put16(p, frag_field(true, (uint32_t)off, more));
			put32(p, id);
		} else {
			put(p, ip, hl);
			be16(p->b + 2, (uint16_t)(hl + n));
			be16(p->b + 4, (uint16_t)id);
			be16(p->b + 6, frag_field(false, (uint32_t)off, more));
		}
		put(p, ip + hl + off, n);
	}
	if (g.dup)
		emit(pieces[0].b, pieces[0].n, arg);
	for (off = 0; off < count; off++) {
		i = g.reverse ? count - 1 - off : off;
		emit(pieces[i].b, pieces[i].n, arg);
		if (g.corrupt && i == 0) {
			pieces[count] = pieces[0];
			pieces[count].b[pieces[count].n - 1] ^= 0xff;
			emit(pieces[count].b, pieces[count].n, arg);
		}
	}
	free(pieces);
}

/* Wrap the IP packet ip in one layer of g.kind; the result in out. For
 * IP-level kinds out is an IP packet, for the others an Ethernet frame
 * (eth is then set). */
static void
wrap(const uint8_t *ip, size_t len, struct gen_buf *out, bool *eth)
{
	const char *k = g.kind;
	struct gen_buf in;
	size_t udp_at;
	bool udp = true;

	out->n = 0;
	*eth = false;
	if (strcmp(k, "none") == 0) {
		put(out, ip, len);
		return;
	}
	if (strcmp(k, "pbb") == 0 || strcmp(k, "vntag") == 0 ||
	    strcmp(k, "fabricpath") == 0) {
		*eth = true;
		macs(out);
		if (k[0] == 'p') {
			put16(out, 0x88a8);
			put16(out, 7);		/* B-VID */
			put16(out, 0x88e7);
			put32(out, 0x00012345);	/* I-SID */
			macs(out);
		} else if (k[0] == 'v') {
			put16(out, 0x8926);
			put32(out, 0x80010002);
		} else {
			put16(out, 0x8903);
			put16(out, 0x0120);
			macs(out);
		}
		put16(out, ip_ethertype(ip));
		put(out, ip, len);
		return;
	}
	/* the encapsulation header and payload, into in */
	in.n = 0;
	if (strcmp(k, "ipip") == 0) {
		put(&in, ip, len);
		udp = false;
	} else if (strncmp(k, "gre", 3) == 0 || strncmp(k, "erspan", 6) == 0) {
		bool teb = strcmp(k, "gre-teb") == 0 || k[0] == 'e';

		udp = strcmp(k, "gre-udp") == 0;
		if (strcmp(k, "gre-key") == 0) {
			put16(&in, 0x2000);
			put16(&in, ip_ethertype(ip));
			put32(&in, 0x0000beef);
		} else if (strcmp(k, "erspan1") == 0) {
			put16(&in, 0x0000);
			put16(&in, 0x88be);
		} else if (strncmp(k, "erspan", 6) == 0) {
			bool three = k[6] == '3';

			/* GRE with a sequence number; version, VLAN 10,
			 * session 77; III: a timestamp, the O bit and an
			 * 8-byte platform subheader */
			put16(&in, 0x1000);
			put16(&in, three ? 0x22eb : 0x88be);
			put32(&in, 1);
			put16(&in, (three ? 0x2000 : 0x1000) | 10);
			put16(&in, 77);
			put32(&in, three ? 0x12345678 : 0);
			if (three) {
				put32(&in, 0x00000001);
				put32(&in, 0);
				put32(&in, 0);
			}
		} else {
			put16(&in, 0x0000);
			put16(&in, teb ? 0x6558 : ip_ethertype(ip));
		}
		if (teb) {
			macs(&in);
			put16(&in, ip_ethertype(ip));
		}
		put(&in, ip, len);
	} else if (strcmp(k, "vxlan") == 0 || strcmp(k, "geneve") == 0) {
		if (k[0] == 'v') {
			put32(&in, 0x08000000);
			put32(&in, 0x00123400);		/* VNI 0x1234 */
		} else {
			put8(&in, 2);			/* 8 bytes of options */
			put8(&in, 0);
			put16(&in, 0x6558);
			put32(&in, 0x00123400);
			put32(&in, 0x01020301);		/* class, type, 4 */
			put32(&in, 0xdeadbeef);
		}
		macs(&in);
		put16(&in, ip_ethertype(ip));
		put(&in, ip, len);
	} else if (strcmp(k, "teredo") == 0) {
		if (ip_ethertype(ip) != 0x86dd)
			errx(1, "teredo carries IPv6 only");
		put(&in, ip, len);
	} else if (strcmp(k, "ayiya") == 0) {
		static const uint8_t zero[36];

		put8(&in, 0x41);		/* 16-byte identity, IPv6 */
		put8(&in, 0x52);		/* 20-byte signature, SHA1 */
		put8(&in, 0x11);		/* authenticated, forward */
		put8(&in, ip_ethertype(ip) == 0x86dd ? 41 : 4);
		put32(&in, 1700000000);
		put(&in, zero, 36);
		put(&in, ip, len);
	} else if (strcmp(k, "gtpu") == 0) {
		put8(&in, 0x34);		/* v1, PT, E */
		put8(&in, 0xff);
		put16(&in, (uint16_t)(4 + 4 + len));
		put32(&in, 0x0badcafe);		/* TEID */
		put16(&in, 0);			/* sequence */
		put8(&in, 0);			/* N-PDU */
		put8(&in, 0x85);		/* PDU session container */
		put8(&in, 1);
		put16(&in, 0x0009);
		put8(&in, 0);			/* no more */
		put(&in, ip, len);
	} else {
		errx(2, "unknown kind %s", k);
	}
	if (!udp) {
		uint8_t proto = strcmp(k, "ipip") == 0 ?
		    (ip_ethertype(ip) == 0x86dd ? 41 : 4) : 47;

		outer_ip(out, proto, in.n, 0xffff, ++g.ip_id);
		put(out, in.b, in.n);
		return;
	}
	outer_ip(out, 17, 8 + in.n, 0xffff, ++g.ip_id);
	udp_at = out->n;
	put16(out, 49152);
	put16(out, strcmp(k, "vxlan") == 0 ? 4789 : strcmp(k, "geneve") == 0 ?
	    6081 : strcmp(k, "gre-udp") == 0 ? 4754 : strcmp(k, "teredo") ==
	    0 ? 3544 : strcmp(k, "ayiya") == 0 ? 5072 : 2152);
	put16(out, (uint16_t)(8 + in.n));
	put16(out, 0);
	(void)udp_at;
	put(out, in.b, in.n);
}

static int64_t cur_sec, cur_usec;

static void
write_frame(int64_t sec, int64_t usec, const struct gen_buf *f)
{
	uint8_t h[16];
	size_t cap = f->n - g.missing;	/* cut as the input was */

	le32(h, (uint32_t)sec);
	le32(h + 4, (uint32_t)usec);
	le32(h + 8, (uint32_t)cap);
	le32(h + 12, (uint32_t)f->n);
	if (fwrite(h, 1, 16, g.out) != 16 ||
	    fwrite(f->b, 1, cap, g.out) != cap)
		err(1, "write");
}

/* An IP packet (or an Ethernet frame when eth) out as an Ethernet frame. */
static void
emit_l3(const uint8_t *p, size_t len, bool eth)
{
	static struct gen_buf f;

	f.n = 0;
	if (!eth) {
		macs(&f);
		put16(&f, ip_ethertype(p));
	}
	put(&f, p, len);
	write_frame(cur_sec, cur_usec, &f);
}

static void
emit_ip(const uint8_t *p, size_t len, void *arg)
{
	(void)arg;
	emit_l3(p, len, false);
}

/* One inner piece: wrap it nest times, then out (fragmented or not). */
static void
encap_one(const uint8_t *ip, size_t len, void *arg)
{
	static struct gen_buf a, b;
	const uint8_t *cur = ip;
	size_t n = len;
	bool eth = false;
	int i;

	(void)arg;
	for (i = 0; i < g.nest; i++) {
		struct gen_buf *o = i % 2 ? &b : &a;

		wrap(cur, n, o, &eth);
		cur = o->b;
		n = o->n;
		if (eth)
			break;
	}
	if (g.frag_outer && !eth && n > (size_t)((cur[0] >> 4) == 6 ? 40 :
	    20) + g.frag_outer)
		fragment(cur, n, g.frag_outer, emit_ip, NULL);
	else
		emit_l3(cur, n, eth);
}

/* The IP packet inside a frame of IN, or NULL. */
static const uint8_t *
frame_ip(int dlt, const uint8_t *p, uint32_t caplen, size_t *len)
{
	uint32_t off;
	uint16_t type = 0;
	size_t iplen;

	switch (dlt) {
	case DLT_EN10MB:
		off = 14;
		if (caplen < 14)
			return NULL;
		type = (uint16_t)(p[12] << 8 | p[13]);
		while ((type == 0x8100 || type == 0x88a8) &&
		    caplen >= off + 4) {
			type = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
			off += 4;
		}
		if (type != 0x0800 && type != 0x86dd)
			return NULL;
		break;
	case DLT_LINUX_SLL:
		off = 16;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		off = 4;
		break;
	case DLT_RAW:
	case 101:
	case 228:
	case 229:
		off = 0;
		break;
	default:
		errx(1, "link type %d not handled", dlt);
	}
	if (caplen < off + 20)
		return NULL;
	p += off;
	caplen -= off;
	if ((p[0] >> 4) == 4)
		iplen = (size_t)(p[2] << 8 | p[3]);
	else if ((p[0] >> 4) == 6 && caplen >= 40)
		iplen = 40 + (size_t)(p[4] << 8 | p[5]);
	else
		return NULL;
	/* A frame the snaplen cut: the rest as zeros, cut again on output
	 * (fragments of it would be useless: refused). */
	g.missing = iplen > caplen ? iplen - caplen : 0;
	if (g.missing && (g.frag_outer || g.frag_inner))
		errx(1, "a frame of IN was cut by its snaplen: cannot "
		    "fragment it");
	if (g.missing) {
		static uint8_t whole[65536];

		memcpy(whole, p, caplen);
		memset(whole + caplen, 0, iplen - caplen);
		p = whole;
	}
	*len = iplen;
	return p;
}

int
main(int argc, char **argv)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint8_t fh[24];
	pcap_t *p;
	int ch, rc;

	g.nest = 1;
	while ((ch = getopt(argc, argv, "6cdF:f:n:rt:")) != -1) {
		/* flags set a bool, the others take a number or a name */
		bool *flag = ch == '6' ? &g.outer6 : ch == 'c' ? &g.corrupt :
		    ch == 'd' ? &g.dup : ch == 'r' ? &g.reverse : NULL;
		uint32_t *num = ch == 'F' ? &g.frag_inner : ch == 'f' ?
		    &g.frag_outer : NULL;

		if (flag != NULL)
			*flag = true;
		else if (num != NULL)
			*num = (uint32_t)atoi(optarg);
		else if (ch == 'n')
			g.nest = atoi(optarg);
		else if (ch == 't')
			g.kind = optarg;
		else
			goto usage;
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || g.kind == NULL || g.nest < 1 ||
	    g.frag_outer % 8 || g.frag_inner % 8) {
usage:
		fprintf(stderr, "usage: pcapencap -t KIND [-6] [-n N] "
		    "[-f SIZE] [-F SIZE] [-r] [-c | -d] IN OUT\n");
		return 2;
	}
	if ((p = pcap_open_offline(argv[0], ebuf)) == NULL)
		errx(1, "%s", ebuf);
	if ((g.out = fopen(argv[1], "wb")) == NULL)
		err(1, "%s", argv[1]);
	le32(fh, 0xa1b2c3d4);
	le16(fh + 4, 2);
	le16(fh + 6, 4);
	memset(fh + 8, 0, 8);
	le32(fh + 16, 262144);
	le32(fh + 20, 1);
	if (fwrite(fh, 1, 24, g.out) != 24)
		err(1, "write");
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		size_t len;
		const uint8_t *ip = frame_ip(pcap_datalink(p), data,
		    h->caplen, &len);
		size_t an = (ip && (ip[0] >> 4) == 6) ? 16 : 4;
		size_t ao = (ip && (ip[0] >> 4) == 6) ? 8 : 12;

		if (ip == NULL)
			continue;
		cur_sec = h->ts.tv_sec;
		cur_usec = h->ts.tv_usec;
		g.low_first = memcmp(ip + ao, ip + ao + an, an) <= 0;
		if (g.frag_inner && len > (size_t)((ip[0] >> 4) == 6 ? 40 :
		    (ip[0] & 0x0f) * 4) + g.frag_inner)
			fragment(ip, len, g.frag_inner, encap_one, NULL);
		else
			encap_one(ip, len, NULL);
	}
	if (rc == -1)
		errx(1, "%s", pcap_geterr(p));
	pcap_close(p);
	if (fclose(g.out) != 0)
		err(1, "%s", argv[1]);
	return 0;
}
