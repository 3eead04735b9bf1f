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

/*
 * A bounds-checked view of the bytes left to decode, and the only way this
 * file reads a frame (as tcpdump's GET_BE_U_2 family): every accessor takes
 * an offset into the view and returns false, reading nothing, when the field
 * ends past the captured bytes. Callers turn false into PKT_TRUNCATED (or
 * PKT_NOT_TCP where a UDP payload too short for a tunnel is just UDP), so
 * a short frame is data, never a read past the buffer. Where a status
 * depends on a whole fixed header, cur_has() asks for it first, before any
 * field is judged. All static inline: on the hot path the compiler folds
 * the checks into the one length test that precedes them.
 */
struct cursor {
	const uint8_t *p;
	uint32_t len;
};

/* True when n bytes at off are inside the view (no overflow for any off). */
static inline bool
cur_has(const struct cursor *c, uint32_t off, uint32_t n)
{
	return off <= c->len && n <= c->len - off;
}

static inline bool
cur_u8(const struct cursor *c, uint32_t off, uint8_t *v)
{
	if (!cur_has(c, off, 1))
		return false;
	*v = c->p[off];
	return true;
}

static inline bool
cur_be16(const struct cursor *c, uint32_t off, uint16_t *v)
{
	if (!cur_has(c, off, 2))
		return false;
	*v = (uint16_t)(c->p[off] << 8 | c->p[off + 1]);
	return true;
}

static inline bool
cur_be32(const struct cursor *c, uint32_t off, uint32_t *v)
{
	if (!cur_has(c, off, 4))
		return false;
	*v = (uint32_t)c->p[off] << 24 | (uint32_t)c->p[off + 1] << 16 |
	    (uint32_t)c->p[off + 2] << 8 | c->p[off + 3];
	return true;
}

static inline bool
cur_le32(const struct cursor *c, uint32_t off, uint32_t *v)
{
	if (!cur_has(c, off, 4))
		return false;
	*v = (uint32_t)c->p[off + 3] << 24 | (uint32_t)c->p[off + 2] << 16 |
	    (uint32_t)c->p[off + 1] << 8 | c->p[off];
	return true;
}

/* Copy n bytes at off (addresses). */
static inline bool
cur_copy(const struct cursor *c, uint32_t off, void *dst, uint32_t n)
{
	if (!cur_has(c, off, n))
		return false;
	memcpy(dst, c->p + off, n);
	return true;
}

/* Move the view n bytes on; false (and unchanged) when fewer are left. */
static inline bool
cur_skip(struct cursor *c, uint32_t n)
{
	if (!cur_has(c, 0, n))
		return false;
	c->p += n;
	c->len -= n;
	return true;
}

/* Keep at most n bytes: what lies beyond is padding, not this header's. */
static inline void
cur_limit(struct cursor *c, uint32_t n)
{
	if (c->len > n)
		c->len = n;
}

static enum pkt_status decode_ip(struct cursor c, int depth,
    struct pkt_tcp *out);
static enum pkt_status decode_ethertype(uint16_t type, struct cursor c,
    int depth, struct pkt_tcp *out);

/* TCP options of a SYN (RFC 9293 section 3.2, RFC 7323 section 2): MSS and
 * window scale. o holds only what was captured; a cut option is absent. */
static void
decode_tcp_options(const struct cursor *o, struct pkt_tcp *out)
{
	uint32_t i;
	uint8_t kind, olen, shift;

	for (i = 0; cur_u8(o, i, &kind);) {
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (!cur_u8(o, i + 1, &olen))
			break;
		if (olen < 2 || !cur_has(o, i, olen))
			break;
		if (kind == 2 && olen == 4)
			(void)cur_be16(o, i + 2, &out->mss);
		else if (kind == 3 && olen == 3 && cur_u8(o, i + 2, &shift))
			out->wscale = (int8_t)(shift > 14 ? 14 : shift);
		i += olen;
	}
}

/* TCP header and options (RFC 9293 section 3.1). ip_len: bytes of TCP
 * header plus payload according to the IP length fields. */
static enum pkt_status
decode_tcp(struct cursor c, uint32_t ip_len, struct pkt_tcp *out)
{
	uint32_t doff;
	uint8_t off_byte;
	struct cursor o, pl;

	if (ip_len < 20)
		return c.len < ip_len ? PKT_TRUNCATED : PKT_MALFORMED;
	/* The fixed header whole, before judging any of its values. */
	if (!cur_has(&c, 0, 20) || !cur_u8(&c, 12, &off_byte))
		return PKT_TRUNCATED;
	doff = (uint32_t)(off_byte >> 4) * 4;
	if (doff < 20 || doff > ip_len)
		return PKT_MALFORMED;
	if (!cur_be16(&c, 0, &out->sport) || !cur_be16(&c, 2, &out->dport) ||
	    !cur_be32(&c, 4, &out->seq) || !cur_be32(&c, 8, &out->ack) ||
	    !cur_u8(&c, 13, &out->flags) || !cur_be16(&c, 14, &out->window))
		return PKT_TRUNCATED;
	out->wscale = -1;
	out->mss = 0;
	out->payload_len = ip_len - doff;

	if (out->flags & PKT_SYN) {
		o = c;
		(void)cur_skip(&o, 20);
		cur_limit(&o, doff - 20);
		decode_tcp_options(&o, out);
	}

	pl = c;
	if (cur_skip(&pl, doff) && pl.len > 0) {
		out->payload = pl.p;
		out->captured_len = pl.len;
		if (out->captured_len > out->payload_len)
			out->captured_len = out->payload_len;
	} else {
		out->payload = NULL;
		out->captured_len = 0;
	}
	return PKT_TCP;
}

/* GTPv1-U (3GPP TS 29.281): a G-PDU (message type 255) carries a user
 * packet after the header and its extension headers. */
static enum pkt_status
decode_gtp_u(struct cursor in, int depth, struct pkt_tcp *out)
{
	uint32_t hl = 8, n;
	uint8_t fl, type, next, el;

	if (!cur_has(&in, 0, 8) || !cur_u8(&in, 0, &fl) ||
	    !cur_u8(&in, 1, &type) || (fl >> 5) != 1 || type != 0xff)
		return PKT_NOT_TCP;
	if (fl & 0x07) {
		hl = 12;
		/* Extension headers: length in 4-byte units. */
		if (fl & 0x04) {
			for (n = 0; n < MAX_CHAIN; n++) {
				if (!cur_u8(&in, hl - 1, &next))
					return PKT_TRUNCATED;
				if (next == 0)
					break;
				if (!cur_u8(&in, hl, &el))
					return PKT_TRUNCATED;
				if (el == 0)
					return PKT_MALFORMED;
				hl += (uint32_t)el * 4;
			}
		}
	}
	if (!cur_skip(&in, hl))
		return PKT_TRUNCATED;
	return decode_ip(in, depth + 1, out);
}

/*
 * Teredo (RFC 4380): an IPv6 packet, maybe after an authentication (type
 * 1) or origin indication (type 0) header. Teredo runs on any port pair
 * once a client has its address, so recognise it by shape: version 6 and
 * a payload length that accounts for every byte exactly.
 */
static enum pkt_status
decode_teredo(struct cursor t, uint32_t udp_left, bool teredo_port,
    int depth, struct pkt_tcp *out)
{
	uint16_t w;
	uint8_t id_len, au_len, v;

	if (cur_be16(&t, 0, &w) && cur_u8(&t, 2, &id_len) &&
	    cur_u8(&t, 3, &au_len) && w == 0x0001) {
		uint32_t al = 4u + id_len + au_len + 8 + 1;

		if (!cur_skip(&t, al))
			return PKT_NOT_TCP;
		udp_left -= al < udp_left ? al : udp_left;
	}
	if (cur_has(&t, 0, 8) && cur_be16(&t, 0, &w) && w == 0x0000 &&
	    cur_u8(&t, 8, &v) && (v >> 4) == 6) {
		(void)cur_skip(&t, 8);
		udp_left -= 8 < udp_left ? 8 : udp_left;
	}
	if (cur_has(&t, 0, 40) && cur_u8(&t, 0, &v) && (v >> 4) == 6 &&
	    cur_be16(&t, 4, &w) && w + 40u == udp_left &&
	    (teredo_port || udp_left > 40))
		return decode_ip(t, depth + 1, out);
	return PKT_NOT_TCP;
}

/* UDP that carries IP: Teredo (RFC 4380), GTP-U, VXLAN (RFC 7348). */
static enum pkt_status
decode_udp(struct cursor c, uint32_t ip_len, int depth, struct pkt_tcp *out)
{
	uint16_t sport, dport, type;
	uint8_t fl;
	struct cursor in = c;

	if (ip_len < 8 || !cur_be16(&c, 0, &sport) ||
	    !cur_be16(&c, 2, &dport) || !cur_skip(&in, 8))
		return PKT_NOT_TCP;
	cur_limit(&in, ip_len - 8);

	if (sport == UDP_GTP_U || dport == UDP_GTP_U)
		return decode_gtp_u(in, depth, out);
	if (sport == UDP_VXLAN || dport == UDP_VXLAN) {
		/* 8-byte VXLAN header, I flag set, then an Ethernet frame. */
		if (!cur_u8(&in, 0, &fl) || !cur_be16(&in, 8 + 12, &type) ||
		    !(fl & 0x08))
			return PKT_NOT_TCP;
		(void)cur_skip(&in, 8 + 14);
		return decode_ethertype(type, in, depth + 1, out);
	}
	return decode_teredo(in, ip_len - 8,
	    sport == UDP_TEREDO || dport == UDP_TEREDO, depth, out);
}

/* GRE (RFC 2784, 2890): a protocol type and optional fields. */
static enum pkt_status
decode_gre(struct cursor c, int depth, struct pkt_tcp *out)
{
	uint16_t fl, type;
	uint32_t hl = 4;

	if (!cur_be16(&c, 0, &fl) || !cur_be16(&c, 2, &type))
		return PKT_TRUNCATED;
	if ((fl & 0x0007) != 0)	/* version 0 only; PPTP (1) is not IP */
		return PKT_NOT_TCP;
	if (fl & 0x8000)
		hl += 4;	/* checksum + reserved */
	if (fl & 0x2000)
		hl += 4;	/* key */
	if (fl & 0x1000)
		hl += 4;	/* sequence number */
	if (!cur_skip(&c, hl))
		return PKT_TRUNCATED;
	if (type == 0x6558) {	/* transparent Ethernet bridging */
		if (!cur_be16(&c, 12, &type) || !cur_skip(&c, 14))
			return PKT_TRUNCATED;
	}
	return decode_ethertype(type, c, depth + 1, out);
}

/* The transport inside IPv4/IPv6, once the IP layer is peeled. */
static enum pkt_status
decode_transport(uint8_t proto, struct cursor c, uint32_t ip_len, int depth,
    struct pkt_tcp *out)
{
	cur_limit(&c, ip_len);	/* Ethernet padding is not payload */
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

/* IPv4 (RFC 791 section 3.1); options are skipped, not read. */
static enum pkt_status
decode_ipv4(struct cursor c, int depth, struct pkt_tcp *out)
{
	uint32_t ihl, total;
	uint16_t total_field, frag;
	uint8_t vihl, proto;

	/* The fixed header whole, before judging any of its values. */
	if (!cur_has(&c, 0, 20) || !cur_u8(&c, 0, &vihl) ||
	    !cur_be16(&c, 2, &total_field) || !cur_be16(&c, 6, &frag) ||
	    !cur_u8(&c, 9, &proto))
		return PKT_TRUNCATED;
	ihl = (uint32_t)(vihl & 0x0f) * 4;
	if (ihl < 20)
		return PKT_MALFORMED;
	if (!cur_has(&c, 0, ihl))
		return PKT_TRUNCATED;
	total = total_field;
	/* 0 means the NIC segments it (TSO): trust the captured length. */
	if (total == 0)
		total = c.len;
	if (total < ihl)
		return PKT_MALFORMED;
	if ((frag & 0x1fff) != 0 || (frag & 0x2000) != 0)
		return PKT_FRAGMENT;
	if (depth == 0 || proto == IPPROTO_TCP_) {
		out->family = AF_INET;
		memset(out->saddr, 0, sizeof(out->saddr));
		memset(out->daddr, 0, sizeof(out->daddr));
		if (!cur_copy(&c, 12, out->saddr, 4) ||
		    !cur_copy(&c, 16, out->daddr, 4))
			return PKT_TRUNCATED;
	}
	if (depth > 0)
		out->tunnel++;
	out->ip_bytes = total;	/* an inner packet's overwrites it */
	(void)cur_skip(&c, ihl);
	return decode_transport(proto, c, total - ihl, depth, out);
}

/* IPv6 (RFC 8200 section 3) and its extension headers (section 4). */
static enum pkt_status
decode_ipv6(struct cursor c, int depth, struct pkt_tcp *out)
{
	uint32_t plen, n, hl;
	uint16_t plen_field, frag;
	uint8_t next, units;

	if (!cur_has(&c, 0, 40) || !cur_be16(&c, 4, &plen_field) ||
	    !cur_u8(&c, 6, &next) || !cur_copy(&c, 8, out->saddr, 16) ||
	    !cur_copy(&c, 24, out->daddr, 16))
		return PKT_TRUNCATED;
	out->family = AF_INET6;
	if (depth > 0)
		out->tunnel++;
	(void)cur_skip(&c, 40);
	plen = plen_field;
	/* Jumbogram (RFC 2675) or TSO: trust the captured length. */
	if (plen == 0 && next != 59)
		plen = c.len;
	out->ip_bytes = plen + 40;	/* an inner packet's overwrites it */

	for (n = 0; n < MAX_CHAIN; n++) {
		switch (next) {
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
		case 139:	/* HIP */
		case 140:	/* shim6 */
			if (!cur_u8(&c, 1, &units))
				return PKT_TRUNCATED;
			hl = ((uint32_t)units + 1) * 8;
			break;
		case 51:	/* authentication header */
			if (!cur_u8(&c, 1, &units))
				return PKT_TRUNCATED;
			hl = ((uint32_t)units + 2) * 4;
			break;
		case 44:	/* fragment */
			if (!cur_has(&c, 0, 8) || !cur_be16(&c, 2, &frag))
				return PKT_TRUNCATED;
			/* Offset or more-fragments: a piece. An atomic
			 * fragment (RFC 6946) is a whole packet. */
			if ((frag & 0xfff9) != 0)
				return PKT_FRAGMENT;
			hl = 8;
			break;
		default:
			return decode_transport(next, c, plen, depth, out);
		}
		if (hl > plen)
			return PKT_MALFORMED;
		if (!cur_u8(&c, 0, &next) || !cur_skip(&c, hl))
			return PKT_TRUNCATED;
		plen -= hl;
	}
	return PKT_MALFORMED;
}

static enum pkt_status
decode_ip(struct cursor c, int depth, struct pkt_tcp *out)
{
	uint8_t v;

	if (depth > MAX_DEPTH)
		return PKT_NOT_TCP;
	if (!cur_u8(&c, 0, &v))
		return PKT_TRUNCATED;
	switch (v >> 4) {
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
	uint8_t b;

	for (n = 0; n < MAX_CHAIN; n++) {
		if (!cur_u8(&c, 2, &b) || !cur_skip(&c, 4))
			return PKT_TRUNCATED;
		if (b & 0x01)	/* bottom of stack */
			return decode_ip(c, depth, out);
	}
	return PKT_MALFORMED;
}

/* What follows an ethertype: 802.1Q/802.1ad tags, MPLS, PPPoE, LLC/SNAP. */
static enum pkt_status
decode_ethertype(uint16_t type, struct cursor c, int depth,
    struct pkt_tcp *out)
{
	int n;
	uint8_t dsap, ssap, ctl;
	uint16_t snap_type;

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
			if (!cur_be16(&c, 2, &type) || !cur_skip(&c, 4))
				return PKT_TRUNCATED;
			continue;
		case ETH_MPLS:
		case ETH_MPLS_MC:
			return decode_mpls(c, depth, out);
		case ETH_PPPOE:
			/* 6-byte PPPoE header, then a 2-byte PPP protocol. */
			if (!cur_be16(&c, 6, &type) || !cur_skip(&c, 8))
				return PKT_TRUNCATED;
			if (type == 0x0021 || type == 0x0057)
				return decode_ip(c, depth, out);
			return PKT_NOT_IP;
		default:
			if (type < 0x0600) {
				/* 802.3 length: LLC, maybe SNAP + type. */
				if (cur_u8(&c, 0, &dsap) &&
				    cur_u8(&c, 1, &ssap) &&
				    cur_u8(&c, 2, &ctl) &&
				    cur_be16(&c, 6, &snap_type) &&
				    dsap == 0xaa && ssap == 0xaa &&
				    ctl == 0x03) {
					type = snap_type;
					(void)cur_skip(&c, 8);
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
 * is anything else, for the general path to look at. One length test
 * covers every field read here, so the accessors' checks fold away.
 */
static inline int
fast_ipv4_tcp(struct cursor ip, struct pkt_tcp *out)
{
	uint32_t total, doff, len;
	uint16_t total_field, frag;
	uint8_t vihl, proto, off_byte, flags;
	struct cursor t = ip;

	if (!cur_has(&ip, 0, 40) || !cur_u8(&ip, 0, &vihl) ||
	    !cur_u8(&ip, 9, &proto) || !cur_be16(&ip, 6, &frag) ||
	    vihl != 0x45 || proto != IPPROTO_TCP_ || (frag & 0x3fff) != 0 ||
	    !cur_be16(&ip, 2, &total_field))
		return -1;
	total = total_field;
	(void)cur_skip(&t, 20);
	if (!cur_u8(&t, 12, &off_byte) || !cur_u8(&t, 13, &flags))
		return -1;
	doff = (uint32_t)(off_byte >> 4) * 4;
	if (total < 40 || doff < 20 || 20 + doff > total || (flags & PKT_SYN))
		return -1;
	out->family = AF_INET;
	memset(out->saddr, 0, sizeof(out->saddr));
	memset(out->daddr, 0, sizeof(out->daddr));
	if (!cur_copy(&ip, 12, out->saddr, 4) ||
	    !cur_copy(&ip, 16, out->daddr, 4) ||
	    !cur_be16(&t, 0, &out->sport) || !cur_be16(&t, 2, &out->dport) ||
	    !cur_be32(&t, 4, &out->seq) || !cur_be32(&t, 8, &out->ack) ||
	    !cur_be16(&t, 14, &out->window))
		return -1;
	out->flags = flags;
	out->wscale = -1;
	out->mss = 0;
	out->payload_len = total - 20 - doff;
	out->ip_bytes = total;
	len = ip.len;
	if (len > total)
		len = total;	/* Ethernet padding */
	if (len > 20 + doff) {
		out->payload = t.p + doff;
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
	uint16_t type;
	uint8_t v;

	out->ts_us = ts_us;
	out->tunnel = 0;
	switch (linktype) {
	case LT_EN10MB:		/* two MACs, then the ethertype */
		if (!cur_be16(&c, 12, &type) || !cur_skip(&c, 14))
			return PKT_TRUNCATED;
		break;
	case LT_LINUX_SLL:	/* the protocol last of 16 bytes */
		if (!cur_be16(&c, 14, &type) || !cur_skip(&c, 16))
			return PKT_TRUNCATED;
		break;
	case LT_LINUX_SLL2:	/* the protocol first of 20 bytes */
		if (!cur_be16(&c, 0, &type) || !cur_skip(&c, 20))
			return PKT_TRUNCATED;
		break;
	case LT_RAW:
	case LT_RAW_OPENBSD:
	case LT_RAW_FILE:
		/* IP of either version: decode_ip reads which. */
		type = ETH_IPV4;
		break;
	case LT_NULL:
		if (!cur_le32(&c, 0, &af))
			return PKT_TRUNCATED;
		if (af > 0xffff)
			(void)cur_be32(&c, 0, &af);
		(void)cur_skip(&c, 4);
		return decode_loopback(af, c, out);
	case LT_LOOP:
		if (!cur_be32(&c, 0, &af) || !cur_skip(&c, 4))
			return PKT_TRUNCATED;
		return decode_loopback(af, c, out);
	case LT_IPV4:
		if (cur_u8(&c, 0, &v) && (v >> 4) != 4)
			return PKT_MALFORMED;
		return decode_ip(c, 0, out);
	case LT_IPV6:
		if (cur_u8(&c, 0, &v) && (v >> 4) != 6)
			return PKT_MALFORMED;
		return decode_ip(c, 0, out);
	default:
		return PKT_UNSUPPORTED_LINK;
	}
	/* The one call of the fast path, so that it is inlined. */
	if (type == ETH_IPV4 && fast_ipv4_tcp(c, out) == PKT_TCP)
		return PKT_TCP;
	return decode_ethertype(type, c, 0, out);
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
