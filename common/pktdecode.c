/* SPDX-License-Identifier: BSD-2-Clause */
/* Decode one captured frame of a libpcap link type into TCP segment fields. */
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <pcap/pcap.h>

#include "pktdecode.h"

/* Link types that not every pcap/dlt.h spells the same way. */
#define LT_NULL		0
#define LT_EN10MB	1
#define LT_RAW		12	/* DLT_RAW on most systems */
#define LT_RAW_OPENBSD	14	/* DLT_RAW on OpenBSD */
#define LT_LOOP		108
#define LT_RAW_FILE	101	/* LINKTYPE_RAW as stored in files */
#define LT_LINUX_SLL	113
#define LT_IPV4		228
#define LT_IPV6		229
#define LT_LINUX_SLL2	276

#define ETH_IPV4	0x0800
#define ETH_IPV6	0x86dd
#define ETH_VLAN	0x8100
#define ETH_QINQ	0x88a8
#define ETH_QINQ_OLD	0x9100
#define ETH_MPLS	0x8847
#define ETH_MPLS_MC	0x8848
#define ETH_PPPOE	0x8864

#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_IPIP_	4
#define IPPROTO_IPV6_	41
#define IPPROTO_GRE_	47

#define UDP_GTP_U	2152
#define UDP_VXLAN	4789
#define UDP_TEREDO	3544

/* Tunnels inside tunnels end here: a frame is not a matryoshka. */
#define MAX_DEPTH	4
/* Ethernet VLAN tags, MPLS labels and IPv6 extension headers: same idea. */
#define MAX_CHAIN	16

/* A bounds-checked view of the bytes left to decode. */
struct cursor {
	const uint8_t *p;
	uint32_t len;
};

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t
rd32_le(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

static inline int
skip(struct cursor *c, uint32_t n)
{
	if (c->len < n)
		return -1;
	c->p += n;
	c->len -= n;
	return 0;
}

static enum pkt_status decode_ip(struct cursor c, int depth,
    struct pkt_tcp *out);
static enum pkt_status decode_ethertype(uint16_t type, struct cursor c,
    int depth, struct pkt_tcp *out);

/* TCP header and options (RFC 9293 section 3.1). ip_len: bytes of TCP
 * header plus payload according to the IP length fields. */
static enum pkt_status
decode_tcp(struct cursor c, uint32_t ip_len, struct pkt_tcp *out)
{
	uint32_t doff, optlen, i;

	if (ip_len < 20)
		return c.len < ip_len ? PKT_TRUNCATED : PKT_MALFORMED;
	if (c.len < 20)
		return PKT_TRUNCATED;
	doff = (uint32_t)(c.p[12] >> 4) * 4;
	if (doff < 20 || doff > ip_len)
		return PKT_MALFORMED;
	out->sport = rd16(c.p);
	out->dport = rd16(c.p + 2);
	out->seq = rd32(c.p + 4);
	out->ack = rd32(c.p + 8);
	out->flags = c.p[13];
	out->window = rd16(c.p + 14);
	out->wscale = -1;
	out->mss = 0;
	out->payload_len = ip_len - doff;

	/* Options: only what was captured; a cut option is simply absent. */
	optlen = doff - 20;
	if (optlen > c.len - 20)
		optlen = c.len - 20;
	if (out->flags & PKT_SYN) {
		const uint8_t *o = c.p + 20;

		for (i = 0; i < optlen;) {
			uint8_t kind = o[i], olen;

			if (kind == 0)
				break;
			if (kind == 1) {
				i++;
				continue;
			}
			if (i + 1 >= optlen)
				break;
			olen = o[i + 1];
			if (olen < 2 || i + olen > optlen)
				break;
			if (kind == 2 && olen == 4)
				out->mss = rd16(o + i + 2);
			else if (kind == 3 && olen == 3)
				out->wscale = (int8_t)(o[i + 2] > 14 ? 14 :
				    o[i + 2]);
			i += olen;
		}
	}

	if (c.len > doff) {
		out->payload = c.p + doff;
		out->captured_len = c.len - doff;
		if (out->captured_len > out->payload_len)
			out->captured_len = out->payload_len;
	} else {
		out->payload = NULL;
		out->captured_len = 0;
	}
	return PKT_TCP;
}

/* UDP that carries IP: Teredo (RFC 4380), GTP-U, VXLAN. */
static enum pkt_status
decode_udp(struct cursor c, uint32_t ip_len, int depth, struct pkt_tcp *out)
{
	uint16_t sport, dport;
	struct cursor in;

	if (c.len < 8 || ip_len < 8)
		return PKT_NOT_TCP;
	sport = rd16(c.p);
	dport = rd16(c.p + 2);
	in.p = c.p + 8;
	in.len = c.len - 8;
	if (in.len > ip_len - 8)
		in.len = ip_len - 8;

	if (sport == UDP_GTP_U || dport == UDP_GTP_U) {
		uint32_t hl = 8;

		/* GTPv1-U, message type 255 (G-PDU) carries a user packet. */
		if (in.len < 8 || (in.p[0] >> 5) != 1 || in.p[1] != 0xff)
			return PKT_NOT_TCP;
		if (in.p[0] & 0x07) {
			hl = 12;
			/* Extension headers: length in 4-byte units. */
			if (in.p[0] & 0x04) {
				uint32_t n;

				for (n = 0; n < MAX_CHAIN; n++) {
					uint32_t el;

					if (in.len < hl)
						return PKT_TRUNCATED;
					if (in.p[hl - 1] == 0)
						break;
					if (in.len < hl + 1)
						return PKT_TRUNCATED;
					el = (uint32_t)in.p[hl] * 4;
					if (el == 0)
						return PKT_MALFORMED;
					hl += el;
				}
			}
		}
		if (skip(&in, hl) < 0)
			return PKT_TRUNCATED;
		return decode_ip(in, depth + 1, out);
	}
	if (sport == UDP_VXLAN || dport == UDP_VXLAN) {
		if (in.len < 8 + 14 || !(in.p[0] & 0x08))
			return PKT_NOT_TCP;
		skip(&in, 8 + 14);
		return decode_ethertype(rd16(in.p - 2), in, depth + 1, out);
	}

	/*
	 * Teredo: an IPv6 packet, maybe after an authentication (type 1) or
	 * origin indication (type 0) header. Teredo runs on any port pair
	 * once a client has its address, so recognise it by shape: version
	 * 6 and a payload length that accounts for every byte exactly.
	 */
	{
		struct cursor t = in;
		uint32_t udp_left = ip_len - 8;

		if (t.len >= 4 && rd16(t.p) == 0x0001) {
			uint32_t al = 4u + t.p[2] + t.p[3] + 8 + 1;

			if (skip(&t, al) < 0)
				return PKT_NOT_TCP;
			udp_left -= al < udp_left ? al : udp_left;
		}
		if (t.len >= 8 && rd16(t.p) == 0x0000 &&
		    (t.p[8 < t.len ? 8 : 0] >> 4) == 6) {
			skip(&t, 8);
			udp_left -= 8 < udp_left ? 8 : udp_left;
		}
		if (t.len >= 40 && (t.p[0] >> 4) == 6 &&
		    rd16(t.p + 4) + 40u == udp_left &&
		    (sport == UDP_TEREDO || dport == UDP_TEREDO ||
		    udp_left > 40))
			return decode_ip(t, depth + 1, out);
	}
	return PKT_NOT_TCP;
}

/* GRE (RFC 2784, 2890): a protocol type and optional fields. */
static enum pkt_status
decode_gre(struct cursor c, int depth, struct pkt_tcp *out)
{
	uint16_t fl, type;
	uint32_t hl = 4;

	if (c.len < 4)
		return PKT_TRUNCATED;
	fl = rd16(c.p);
	type = rd16(c.p + 2);
	if ((fl & 0x0007) != 0)	/* version 0 only; PPTP (1) is not IP */
		return PKT_NOT_TCP;
	if (fl & 0x8000)
		hl += 4;	/* checksum + reserved */
	if (fl & 0x2000)
		hl += 4;	/* key */
	if (fl & 0x1000)
		hl += 4;	/* sequence number */
	if (skip(&c, hl) < 0)
		return PKT_TRUNCATED;
	if (type == 0x6558) {	/* transparent Ethernet bridging */
		if (skip(&c, 14) < 0)
			return PKT_TRUNCATED;
		return decode_ethertype(rd16(c.p - 2), c, depth + 1, out);
	}
	return decode_ethertype(type, c, depth + 1, out);
}

/* The transport inside IPv4/IPv6, once the IP layer is peeled. */
static enum pkt_status
decode_transport(uint8_t proto, struct cursor c, uint32_t ip_len, int depth,
    struct pkt_tcp *out)
{
	if (c.len > ip_len)
		c.len = ip_len;	/* Ethernet padding is not payload */
	switch (proto) {
	case IPPROTO_TCP_:
		return decode_tcp(c, ip_len, out);
	case IPPROTO_IPIP_:
	case IPPROTO_IPV6_:
		return decode_ip(c, depth + 1, out);
	case IPPROTO_GRE_:
		return decode_gre(c, depth, out);
	case IPPROTO_UDP_:
		return decode_udp(c, ip_len, depth, out);
	default:
		return PKT_NOT_TCP;
	}
}

static enum pkt_status
decode_ipv4(struct cursor c, int depth, struct pkt_tcp *out)
{
	uint32_t ihl, total;
	uint16_t frag;

	if (c.len < 20)
		return PKT_TRUNCATED;
	ihl = (uint32_t)(c.p[0] & 0x0f) * 4;
	if (ihl < 20)
		return PKT_MALFORMED;
	if (c.len < ihl)
		return PKT_TRUNCATED;
	total = rd16(c.p + 2);
	/* 0 means the NIC segments it (TSO): trust the captured length. */
	if (total == 0)
		total = c.len;
	if (total < ihl)
		return PKT_MALFORMED;
	frag = rd16(c.p + 6);
	if ((frag & 0x1fff) != 0 || (frag & 0x2000) != 0)
		return PKT_FRAGMENT;
	if (depth == 0 || c.p[9] == IPPROTO_TCP_) {
		out->family = AF_INET;
		memset(out->saddr, 0, sizeof(out->saddr));
		memset(out->daddr, 0, sizeof(out->daddr));
		memcpy(out->saddr, c.p + 12, 4);
		memcpy(out->daddr, c.p + 16, 4);
	}
	if (depth > 0)
		out->tunnel++;
	{
		uint8_t proto = c.p[9];

		skip(&c, ihl);
		return decode_transport(proto, c, total - ihl, depth, out);
	}
}

static enum pkt_status
decode_ipv6(struct cursor c, int depth, struct pkt_tcp *out)
{
	uint32_t plen, n;
	uint8_t next;

	if (c.len < 40)
		return PKT_TRUNCATED;
	plen = rd16(c.p + 4);
	next = c.p[6];
	out->family = AF_INET6;
	memcpy(out->saddr, c.p + 8, 16);
	memcpy(out->daddr, c.p + 24, 16);
	if (depth > 0)
		out->tunnel++;
	skip(&c, 40);
	/* Jumbogram (RFC 2675) or TSO: trust the captured length. */
	if (plen == 0 && next != 59)
		plen = c.len;

	for (n = 0; n < MAX_CHAIN; n++) {
		uint32_t hl;

		switch (next) {
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
		case 139:	/* HIP */
		case 140:	/* shim6 */
			if (c.len < 2)
				return PKT_TRUNCATED;
			hl = ((uint32_t)c.p[1] + 1) * 8;
			break;
		case 51:	/* authentication header */
			if (c.len < 2)
				return PKT_TRUNCATED;
			hl = ((uint32_t)c.p[1] + 2) * 4;
			break;
		case 44:	/* fragment */
			if (c.len < 8)
				return PKT_TRUNCATED;
			/* Offset or more-fragments: a piece. An atomic
			 * fragment (RFC 6946) is a whole packet. */
			if ((rd16(c.p + 2) & 0xfff9) != 0)
				return PKT_FRAGMENT;
			hl = 8;
			break;
		default:
			return decode_transport(next, c, plen, depth, out);
		}
		if (hl > plen)
			return PKT_MALFORMED;
		next = c.p[0];
		if (skip(&c, hl) < 0)
			return PKT_TRUNCATED;
		plen -= hl;
	}
	return PKT_MALFORMED;
}

static enum pkt_status
decode_ip(struct cursor c, int depth, struct pkt_tcp *out)
{
	if (depth > MAX_DEPTH)
		return PKT_NOT_TCP;
	if (c.len < 1)
		return PKT_TRUNCATED;
	switch (c.p[0] >> 4) {
	case 4:
		return decode_ipv4(c, depth, out);
	case 6:
		return decode_ipv6(c, depth, out);
	default:
		return PKT_NOT_IP;
	}
}

/* MPLS label stack (RFC 3032), then IP guessed from the version nibble. */
static enum pkt_status
decode_mpls(struct cursor c, int depth, struct pkt_tcp *out)
{
	int n;

	for (n = 0; n < MAX_CHAIN; n++) {
		int bottom;

		if (c.len < 4)
			return PKT_TRUNCATED;
		bottom = c.p[2] & 0x01;
		skip(&c, 4);
		if (bottom)
			return decode_ip(c, depth, out);
	}
	return PKT_MALFORMED;
}

static enum pkt_status
decode_ethertype(uint16_t type, struct cursor c, int depth,
    struct pkt_tcp *out)
{
	int n;

	if (depth > MAX_DEPTH)
		return PKT_NOT_TCP;
	for (n = 0; n < MAX_CHAIN; n++) {
		switch (type) {
		case ETH_IPV4:
		case ETH_IPV6:
			return decode_ip(c, depth, out);
		case ETH_VLAN:
		case ETH_QINQ:
		case ETH_QINQ_OLD:
			if (c.len < 4)
				return PKT_TRUNCATED;
			type = rd16(c.p + 2);
			skip(&c, 4);
			continue;
		case ETH_MPLS:
		case ETH_MPLS_MC:
			return decode_mpls(c, depth, out);
		case ETH_PPPOE:
			/* 6-byte PPPoE header, then a 2-byte PPP protocol. */
			if (c.len < 8)
				return PKT_TRUNCATED;
			type = rd16(c.p + 6);
			skip(&c, 8);
			if (type == 0x0021 || type == 0x0057)
				return decode_ip(c, depth, out);
			return PKT_NOT_IP;
		default:
			if (type < 0x0600) {
				/* 802.3 length: LLC, maybe SNAP + type. */
				if (c.len >= 8 && c.p[0] == 0xaa &&
				    c.p[1] == 0xaa && c.p[2] == 0x03) {
					type = rd16(c.p + 6);
					skip(&c, 8);
					continue;
				}
			}
			return PKT_NOT_IP;
		}
	}
	return PKT_MALFORMED;
}

/*
 * The common case on its own: IPv4 without options carrying a TCP segment
 * that is not a SYN (no options worth reading). Returns -1 when the frame
 * is anything else, for the general path to look at.
 */
static inline int
fast_ipv4_tcp(const uint8_t *ip, uint32_t len, struct pkt_tcp *out)
{
	uint32_t total, doff;
	const uint8_t *t;

	if (len < 40 || ip[0] != 0x45 || ip[9] != IPPROTO_TCP_ ||
	    (rd16(ip + 6) & 0x3fff) != 0)
		return -1;
	total = rd16(ip + 2);
	t = ip + 20;
	doff = (uint32_t)(t[12] >> 4) * 4;
	if (total < 40 || doff < 20 || 20 + doff > total ||
	    (t[13] & PKT_SYN))
		return -1;
	out->family = AF_INET;
	memset(out->saddr, 0, sizeof(out->saddr));
	memset(out->daddr, 0, sizeof(out->daddr));
	memcpy(out->saddr, ip + 12, 4);
	memcpy(out->daddr, ip + 16, 4);
	out->sport = rd16(t);
	out->dport = rd16(t + 2);
	out->seq = rd32(t + 4);
	out->ack = rd32(t + 8);
	out->flags = t[13];
	out->window = rd16(t + 14);
	out->wscale = -1;
	out->mss = 0;
	out->payload_len = total - 20 - doff;
	if (len > total)
		len = total;	/* Ethernet padding */
	if (len > 20 + doff) {
		out->payload = t + doff;
		out->captured_len = len - 20 - doff;
	} else {
		out->payload = NULL;
		out->captured_len = 0;
	}
	return PKT_TCP;
}

bool
pkt_link_supported(int linktype)
{
	switch (linktype) {
	case LT_NULL:
	case LT_EN10MB:
	case LT_RAW:
	case LT_RAW_OPENBSD:
	case LT_LOOP:
	case LT_RAW_FILE:
	case LT_LINUX_SLL:
	case LT_IPV4:
	case LT_IPV6:
	case LT_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

/* BSD loopback: an address family, in host (NULL) or network (LOOP)
 * order of the machine that captured it; IPv6 has several values. */
static enum pkt_status
decode_loopback(uint32_t af, struct cursor c, struct pkt_tcp *out)
{
	switch (af) {
	case 2:			/* AF_INET everywhere */
	case 10:		/* AF_INET6, Linux */
	case 24:		/* AF_INET6, NetBSD, OpenBSD */
	case 28:		/* AF_INET6, FreeBSD */
	case 30:		/* AF_INET6, macOS */
		return decode_ip(c, 0, out);
	default:
		return PKT_NOT_IP;
	}
}

enum pkt_status
pkt_decode(int linktype, int64_t ts_us, const uint8_t *frame,
    uint32_t caplen, struct pkt_tcp *out)
{
	struct cursor c = { frame, frame ? caplen : 0 };
	uint32_t af;

	out->ts_us = ts_us;
	out->tunnel = 0;
	switch (linktype) {
	case LT_EN10MB:
		if (c.len < 14)
			return PKT_TRUNCATED;
		skip(&c, 14);
		if (rd16(c.p - 2) == ETH_IPV4 &&
		    fast_ipv4_tcp(c.p, c.len, out) == PKT_TCP)
			return PKT_TCP;
		return decode_ethertype(rd16(c.p - 2), c, 0, out);
	case LT_LINUX_SLL:
		if (c.len < 16)
			return PKT_TRUNCATED;
		skip(&c, 16);
		if (rd16(c.p - 2) == ETH_IPV4 &&
		    fast_ipv4_tcp(c.p, c.len, out) == PKT_TCP)
			return PKT_TCP;
		return decode_ethertype(rd16(c.p - 2), c, 0, out);
	case LT_LINUX_SLL2:
		if (c.len < 20)
			return PKT_TRUNCATED;
		af = rd16(c.p);
		skip(&c, 20);
		if (af == ETH_IPV4 && fast_ipv4_tcp(c.p, c.len, out) == PKT_TCP)
			return PKT_TCP;
		return decode_ethertype((uint16_t)af, c, 0, out);
	case LT_NULL:
		if (c.len < 4)
			return PKT_TRUNCATED;
		af = rd32_le(c.p);
		if (af > 0xffff)
			af = rd32(c.p);
		skip(&c, 4);
		return decode_loopback(af, c, out);
	case LT_LOOP:
		if (c.len < 4)
			return PKT_TRUNCATED;
		af = rd32(c.p);
		skip(&c, 4);
		return decode_loopback(af, c, out);
	case LT_RAW:
	case LT_RAW_OPENBSD:
	case LT_RAW_FILE:
		if (fast_ipv4_tcp(c.p, c.len, out) == PKT_TCP)
			return PKT_TCP;
		return decode_ip(c, 0, out);
	case LT_IPV4:
		if (c.len >= 1 && (c.p[0] >> 4) != 4)
			return PKT_MALFORMED;
		return decode_ip(c, 0, out);
	case LT_IPV6:
		if (c.len >= 1 && (c.p[0] >> 4) != 6)
			return PKT_MALFORMED;
		return decode_ip(c, 0, out);
	default:
		return PKT_UNSUPPORTED_LINK;
	}
}

const char *
pkt_status_name(enum pkt_status st)
{
	static const char *const names[PKT_STATUS_COUNT] = {
		[PKT_TCP] = "tcp",
		[PKT_NOT_IP] = "not-ip",
		[PKT_NOT_TCP] = "not-tcp",
		[PKT_FRAGMENT] = "fragment",
		[PKT_TRUNCATED] = "truncated",
		[PKT_MALFORMED] = "malformed",
		[PKT_UNSUPPORTED_LINK] = "unsupported-link",
	};

	if ((unsigned)st >= PKT_STATUS_COUNT)
		return "?";
	return names[st];
}

int64_t
pkt_ts_us(int64_t sec, int64_t usec)
{
	/* A quarter of the range: sums and differences of two stay exact. */
	const int64_t lim = INT64_MAX / 4 / 1000000;

	if (sec < 0)
		return 0;
	if (sec > lim)
		return lim * 1000000;
	return sec * 1000000 + (usec >= 0 ? usec % 1000000 : 0);
}

char *
pkt_flags_str(uint8_t flags, char *buf)
{
	/* tcpdump's order: F S R P . U E W */
	static const struct {
		uint8_t bit;
		char c;
	} order[] = {
		{ PKT_FIN, 'F' }, { PKT_SYN, 'S' }, { PKT_RST, 'R' },
		{ PKT_PSH, 'P' }, { PKT_ACK, '.' }, { PKT_URG, 'U' },
		{ PKT_ECE, 'E' }, { PKT_CWR, 'W' },
	};
	size_t i, n = 0;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (flags & order[i].bit)
			buf[n++] = order[i].c;
	if (n == 0) {
		strcpy(buf, "none");
		return buf;
	}
	buf[n] = '\0';
	return buf;
}
