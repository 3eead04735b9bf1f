/* SPDX-License-Identifier: BSD-2-Clause */
/* Decode one captured frame of a libpcap link type into TCP segment fields. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <pcap/pcap.h>

#include "errbuf.h"
#include "names.h"
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
#define ETH_PBB		0x88e7	/* 802.1ah I-TAG */
#define ETH_VNTAG	0x8926
#define ETH_FABRICPATH	0x8903

#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_IPIP_	4
#define IPPROTO_IPV6_	41
#define IPPROTO_GRE_	47

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

/*
 * One decoding: the settings, the segment being filled, where a fragment
 * goes, and the IP layer being read (its addresses stay inside the frame
 * until a TCP segment, a fragment or a tunnel takes them).
 */
struct dec {
	const struct pkt_config *cfg;
	struct pkt_tcp *out;
	struct pkt_frag *frag;
	uint8_t family;
	const uint8_t *src, *dst;
};

static enum pkt_status decode_ip(struct dec *d, struct cursor c, int depth);
static enum pkt_status decode_ethertype(struct dec *d, uint16_t type,
    struct cursor c, int depth);

/* The layer just read is a tunnel: note it (the innermost one wins). */
static void
tunnel_enter(struct dec *d, enum pkt_tunnel_kind kind, uint16_t sport,
    uint16_t dport, uint32_t key)
{
	struct pkt_tunnel *t = &d->out->tun;
	uint32_t n = d->family == AF_INET6 ? 16 : 4;

	t->kind = (uint8_t)kind;
	t->family = d->family;
	t->sport = sport;
	t->dport = dport;
	t->key = key;
	memset(t->saddr, 0, sizeof(t->saddr));
	memset(t->daddr, 0, sizeof(t->daddr));
	memcpy(t->saddr, d->src, n);
	memcpy(t->daddr, d->dst, n);
}

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
decode_tcp(struct dec *d, struct cursor c, uint32_t ip_len)
{
	struct pkt_tcp *out = d->out;
	uint32_t doff, n = d->family == AF_INET6 ? 16 : 4;
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
	out->family = d->family;
	memset(out->saddr, 0, sizeof(out->saddr));
	memset(out->daddr, 0, sizeof(out->daddr));
	memcpy(out->saddr, d->src, n);
	memcpy(out->daddr, d->dst, n);
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
decode_gtp_u(struct dec *d, struct cursor in, int depth, uint16_t sport,
    uint16_t dport)
{
	uint32_t hl = 8, n, teid;
	uint8_t fl, type, next, el;

	if (!cur_has(&in, 0, 8) || !cur_u8(&in, 0, &fl) ||
	    !cur_u8(&in, 1, &type) || !cur_be32(&in, 4, &teid) ||
	    (fl >> 5) != 1 || type != 0xff)
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
	tunnel_enter(d, PKT_TUN_GTPU, sport, dport, teid);
	return decode_ip(d, in, depth + 1);
}

/*
 * Teredo (RFC 4380): an IPv6 packet, maybe after an authentication (type
 * 1) or origin indication (type 0) header. Teredo runs on any port pair
 * once a client has its address, so recognise it by shape: version 6 and
 * a payload length that accounts for every byte exactly.
 */
static enum pkt_status
decode_teredo(struct dec *d, struct cursor t, uint32_t udp_left,
    bool teredo_port, int depth, uint16_t sport, uint16_t dport)
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
	    (teredo_port || udp_left > 40)) {
		tunnel_enter(d, PKT_TUN_TEREDO, sport, dport, 0);
		return decode_ip(d, t, depth + 1);
	}
	return PKT_NOT_TCP;
}

/* A tunnel's payload by protocol type: 0x6558 (transparent Ethernet
 * bridging) is an Ethernet frame, anything else an ethertype. */
static enum pkt_status
decode_bridged(struct dec *d, uint16_t type, struct cursor c, int depth)
{
	if (type == 0x6558 &&
	    (!cur_be16(&c, 12, &type) || !cur_skip(&c, 14)))
		return PKT_TRUNCATED;
	return decode_ethertype(d, type, c, depth);
}

/* GRE (RFC 2784, 2890): a protocol type and optional fields; ERSPAN type
 * I (no sequence number) and II (an 8-byte header) under 0x88be, type III
 * (12 bytes, 8 more with the O bit) under 0x22eb; then Ethernet. */
static enum pkt_status
decode_gre(struct dec *d, struct cursor c, int depth, uint16_t sport,
    uint16_t dport)
{
	uint16_t fl, type, w;
	uint32_t hl = 4, key = 0;
	uint8_t b;
	enum pkt_tunnel_kind kind = sport || dport ? PKT_TUN_GRE_UDP :
	    PKT_TUN_GRE;

	if (!cur_be16(&c, 0, &fl) || !cur_be16(&c, 2, &type))
		return PKT_TRUNCATED;
	if ((fl & 0x0007) != 0)	/* version 0 only; PPTP (1) is not IP */
		return PKT_NOT_TCP;
	if (fl & 0x8000)
		hl += 4;	/* checksum + reserved */
	if (fl & 0x2000) {
		if (!cur_be32(&c, hl, &key))
			return PKT_TRUNCATED;
		hl += 4;	/* key */
	}
	if (fl & 0x1000)
		hl += 4;	/* sequence number */
	if (!cur_skip(&c, hl))
		return PKT_TRUNCATED;
	if (type == 0x88be && (fl & 0x1000)) {	/* ERSPAN II */
		if (!cur_be16(&c, 2, &w) || !cur_skip(&c, 8))
			return PKT_TRUNCATED;
		key = w & 0x03ff;
		kind = PKT_TUN_ERSPAN;
		type = 0x6558;
	} else if (type == 0x88be) {		/* ERSPAN I */
		kind = PKT_TUN_ERSPAN;
		type = 0x6558;
	} else if (type == 0x22eb) {		/* ERSPAN III */
		if (!cur_be16(&c, 2, &w) || !cur_u8(&c, 11, &b))
			return PKT_TRUNCATED;
		if (!cur_skip(&c, (b & 0x01) ? 20 : 12))
			return PKT_TRUNCATED;
		key = w & 0x03ff;
		kind = PKT_TUN_ERSPAN;
		type = 0x6558;
	}
	tunnel_enter(d, kind, sport, dport, key);
	return decode_bridged(d, type, c, depth + 1);
}

/* Geneve (RFC 8926 section 3.4): options in 4-byte units, then Ethernet
 * (0x6558) or IP by protocol type. */
static enum pkt_status
decode_geneve(struct dec *d, struct cursor in, int depth, uint16_t sport,
    uint16_t dport)
{
	uint8_t vo;
	uint16_t type;
	uint32_t vni;

	if (!cur_has(&in, 0, 8) || !cur_u8(&in, 0, &vo) ||
	    !cur_be16(&in, 2, &type) || !cur_be32(&in, 4, &vni) ||
	    (vo >> 6) != 0)
		return PKT_NOT_TCP;
	if (!cur_skip(&in, 8 + (uint32_t)(vo & 0x3f) * 4))
		return PKT_TRUNCATED;
	tunnel_enter(d, PKT_TUN_GENEVE, sport, dport, vni >> 8);
	return decode_bridged(d, type, in, depth + 1);
}

/* AYIYA ("anything in anything", draft-massar-v6ops-ayiya): a header of
 * 8 bytes, an identity of 2^idlen and a signature of 4 * siglen bytes,
 * then, for opcode 1 (forward), an IPv4 or IPv6 packet. */
static enum pkt_status
decode_ayiya(struct dec *d, struct cursor in, int depth, uint16_t sport,
    uint16_t dport)
{
	uint8_t id, sig, op, next;

	if (!cur_has(&in, 0, 8) || !cur_u8(&in, 0, &id) ||
	    !cur_u8(&in, 1, &sig) || !cur_u8(&in, 2, &op) ||
	    !cur_u8(&in, 3, &next) || (op & 0x0f) != 1 ||
	    (next != IPPROTO_IPIP_ && next != IPPROTO_IPV6_))
		return PKT_NOT_TCP;
	if (!cur_skip(&in, 8 + (1u << (id >> 4)) + (uint32_t)(sig >> 4) * 4))
		return PKT_TRUNCATED;
	tunnel_enter(d, PKT_TUN_AYIYA, sport, dport, 0);
	return decode_ip(d, in, depth + 1);
}

/* The tunnel kind cfg maps a UDP port pair to, the destination first. */
static enum pkt_tunnel_kind
udp_tunnel(const struct pkt_config *cfg, uint16_t sport, uint16_t dport)
{
	int k, i;

	for (i = 0; i < 2; i++) {
		uint16_t port = i == 0 ? dport : sport;

		if (port == 0)
			continue;
		for (k = 1; k < PKT_TUN_KIND_COUNT; k++) {
			const uint16_t *p = cfg->udp_port[k];

			if (p[0] == port || p[1] == port || p[2] == port ||
			    p[3] == port)
				return (enum pkt_tunnel_kind)k;
		}
	}
	return PKT_TUN_NONE;
}

/* UDP that carries IP: Teredo, GTP-U, VXLAN, Geneve, GRE, AYIYA. */
static enum pkt_status
decode_udp(struct dec *d, struct cursor c, uint32_t ip_len, int depth)
{
	uint16_t sport, dport;
	uint32_t vni;
	uint8_t fl;
	struct cursor in = c;
	enum pkt_tunnel_kind k;

	if (ip_len < 8 || !cur_be16(&c, 0, &sport) ||
	    !cur_be16(&c, 2, &dport) || !cur_skip(&in, 8))
		return PKT_NOT_TCP;
	if (!d->cfg->tunnels)
		return PKT_NOT_TCP;
	cur_limit(&in, ip_len - 8);

	k = udp_tunnel(d->cfg, sport, dport);
	switch (k) {
	case PKT_TUN_GTPU:
		return decode_gtp_u(d, in, depth, sport, dport);
	case PKT_TUN_VXLAN:
		/* 8-byte VXLAN header, I flag set, then an Ethernet frame. */
		if (!cur_u8(&in, 0, &fl) || !cur_be32(&in, 4, &vni) ||
		    !cur_has(&in, 8, 14) || !(fl & 0x08))
			return PKT_NOT_TCP;
		(void)cur_skip(&in, 8);
		tunnel_enter(d, PKT_TUN_VXLAN, sport, dport, vni >> 8);
		return decode_bridged(d, 0x6558, in, depth + 1);
	case PKT_TUN_GENEVE:
		return decode_geneve(d, in, depth, sport, dport);
	case PKT_TUN_GRE_UDP:
		return decode_gre(d, in, depth, sport, dport);
	case PKT_TUN_AYIYA:
		return decode_ayiya(d, in, depth, sport, dport);
	default:
		break;
	}
	/* Teredo by shape on other ports, unless its ports are off. */
	if (k != PKT_TUN_TEREDO && (d->cfg->udp_port[PKT_TUN_TEREDO][0] |
	    d->cfg->udp_port[PKT_TUN_TEREDO][1] |
	    d->cfg->udp_port[PKT_TUN_TEREDO][2] |
	    d->cfg->udp_port[PKT_TUN_TEREDO][3]) == 0)
		return PKT_NOT_TCP;
	return decode_teredo(d, in, ip_len - 8, k == PKT_TUN_TEREDO, depth,
	    sport, dport);
}

/* The transport inside IPv4/IPv6, once the IP layer is peeled. */
static enum pkt_status
decode_transport(struct dec *d, uint8_t proto, struct cursor c,
    uint32_t ip_len, int depth)
{
	cur_limit(&c, ip_len);	/* Ethernet padding is not payload */
	switch (proto) {
	case IPPROTO_TCP_:
		return decode_tcp(d, c, ip_len);
	case IPPROTO_IPIP_:
	case IPPROTO_IPV6_:
		if (!d->cfg->tunnels)
			return PKT_NOT_TCP;
		tunnel_enter(d, PKT_TUN_IP, 0, 0, 0);
		return decode_ip(d, c, depth + 1);
	case IPPROTO_GRE_:
		if (!d->cfg->tunnels)
			return PKT_NOT_TCP;
		return decode_gre(d, c, depth, 0, 0);
	case IPPROTO_UDP_:
		return decode_udp(d, c, ip_len, depth);
	default:
		return PKT_NOT_TCP;
	}
}

/* A fragment: describe it for reassembly. Its bytes are usable only when
 * the capture kept all of them. */
static enum pkt_status
fragment(struct dec *d, struct cursor c, uint8_t proto, uint32_t id,
    uint32_t offset, bool more, uint32_t len, int depth)
{
	struct pkt_frag *f = d->frag;
	uint32_t n = d->family == AF_INET6 ? 16 : 4;

	if (f == NULL)
		return PKT_FRAGMENT;
	memset(f, 0, sizeof(*f));
	f->family = d->family;
	f->proto = proto;
	f->depth = (uint8_t)depth;
	f->more = more;
	f->id = id;
	f->offset = offset;
	f->len = len;
	f->data = cur_has(&c, 0, len) ? c.p : NULL;
	memcpy(f->saddr, d->src, n);
	memcpy(f->daddr, d->dst, n);
	return PKT_FRAGMENT;
}

/* An IP header (whole, checked by the caller) is the layer being read:
 * its addresses stay in the frame until something takes them. */
static void
ip_enter(struct dec *d, uint8_t family, const uint8_t *hdr, int depth)
{
	d->family = family;
	d->src = hdr + (family == AF_INET6 ? 8 : 12);
	d->dst = hdr + (family == AF_INET6 ? 24 : 16);
	if (depth > 0)
		d->out->tunnel++;
}

/* IPv4 (RFC 791 section 3.1); options are skipped, not read. */
static enum pkt_status
decode_ipv4(struct dec *d, struct cursor c, int depth)
{
	uint32_t ihl, total;
	uint16_t total_field, frag, id;
	uint8_t vihl, proto;

	/* The fixed header whole, before judging any of its values. */
	if (!cur_has(&c, 0, 20) || !cur_u8(&c, 0, &vihl) ||
	    !cur_be16(&c, 2, &total_field) || !cur_be16(&c, 4, &id) ||
	    !cur_be16(&c, 6, &frag) || !cur_u8(&c, 9, &proto))
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
	ip_enter(d, AF_INET, c.p, depth);
	d->out->ip_bytes = total;	/* an inner packet's overwrites it */
	(void)cur_skip(&c, ihl);
	if ((frag & 0x1fff) != 0 || (frag & 0x2000) != 0)
		return fragment(d, c, proto, id, (uint32_t)(frag & 0x1fff) * 8,
		    (frag & 0x2000) != 0, total - ihl, depth);
	return decode_transport(d, proto, c, total - ihl, depth);
}

/* IPv6 extension headers (RFC 8200 section 4) from next on, plen bytes
 * of them and what follows. */
static enum pkt_status
decode_ipv6_chain(struct dec *d, uint8_t next, struct cursor c,
    uint32_t plen, int depth)
{
	uint32_t n, hl, id;
	uint16_t frag;
	uint8_t units, up;

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
			if (!cur_has(&c, 0, 8) || !cur_be16(&c, 2, &frag) ||
			    !cur_u8(&c, 0, &up) || !cur_be32(&c, 4, &id))
				return PKT_TRUNCATED;
			if (plen < 8)
				return PKT_MALFORMED;
			/* Offset or more-fragments: a piece. An atomic
			 * fragment (RFC 6946) is a whole packet. */
			if ((frag & 0xfff9) != 0) {
				(void)cur_skip(&c, 8);
				return fragment(d, c, up, id, frag & 0xfff8,
				    (frag & 1) != 0, plen - 8, depth);
			}
			hl = 8;
			break;
		default:
			return decode_transport(d, next, c, plen, depth);
		}
		if (hl > plen)
			return PKT_MALFORMED;
		if (!cur_u8(&c, 0, &next) || !cur_skip(&c, hl))
			return PKT_TRUNCATED;
		plen -= hl;
	}
	return PKT_MALFORMED;
}

/* IPv6 (RFC 8200 section 3). */
static enum pkt_status
decode_ipv6(struct dec *d, struct cursor c, int depth)
{
	uint32_t plen;
	uint16_t plen_field;
	uint8_t next;

	if (!cur_has(&c, 0, 40) || !cur_be16(&c, 4, &plen_field) ||
	    !cur_u8(&c, 6, &next))
		return PKT_TRUNCATED;
	ip_enter(d, AF_INET6, c.p, depth);
	(void)cur_skip(&c, 40);
	plen = plen_field;
	/* Jumbogram (RFC 2675) or TSO: trust the captured length. */
	if (plen == 0 && next != 59)
		plen = c.len;
	d->out->ip_bytes = plen + 40;	/* an inner packet's overwrites it */
	return decode_ipv6_chain(d, next, c, plen, depth);
}

static enum pkt_status
decode_ip(struct dec *d, struct cursor c, int depth)
{
	uint8_t v;

	if (depth > PKT_MAX_TUNNELS)
		return PKT_TOO_DEEP;
	if (!cur_u8(&c, 0, &v))
		return PKT_TRUNCATED;
	switch (v >> 4) {
	case 4:
		return decode_ipv4(d, c, depth);
	case 6:
		return decode_ipv6(d, c, depth);
	default:
		return PKT_NOT_IP;
	}
}

/* MPLS label stack (RFC 3032), then IP guessed from the version nibble. */
static enum pkt_status
decode_mpls(struct dec *d, struct cursor c, int depth)
{
	int n;
	uint8_t b;

	for (n = 0; n < MAX_CHAIN; n++) {
		if (!cur_u8(&c, 2, &b) || !cur_skip(&c, 4))
			return PKT_TRUNCATED;
		if (b & 0x01)	/* bottom of stack */
			return decode_ip(d, c, depth);
	}
	return PKT_MALFORMED;
}

/*
 * What follows an ethertype: 802.1Q/802.1ad tags, 802.1ah PBB, VN-Tag,
 * FabricPath, MPLS, PPPoE, LLC/SNAP. Each tag is (bytes to its inner
 * ethertype, bytes to skip): the inner type sits just before what
 * follows.
 */
static enum pkt_status
decode_ethertype(struct dec *d, uint16_t type, struct cursor c, int depth)
{
	int n;
	uint8_t dsap, ssap, ctl;
	uint16_t snap_type;
	uint32_t skip;

	if (depth > PKT_MAX_TUNNELS)
		return PKT_TOO_DEEP;
	for (n = 0; n < MAX_CHAIN; n++) {
		switch (type) {
		case ETH_IPV4:
		case ETH_IPV6:
			return decode_ip(d, c, depth);
		case ETH_VLAN:
		case ETH_QINQ:
		case ETH_QINQ_OLD:
			skip = 4;	/* TCI, type */
			break;
		case ETH_VNTAG:
			skip = 6;	/* 4-byte tag, type */
			break;
		case ETH_PBB:
			skip = 18;	/* I-TAG, customer MACs, type */
			break;
		case ETH_FABRICPATH:
			skip = 16;	/* FTag/TTL, inner MACs, type */
			break;
		case ETH_MPLS:
		case ETH_MPLS_MC:
			return decode_mpls(d, c, depth);
		case ETH_PPPOE:
			/* 6-byte PPPoE header, then a 2-byte PPP protocol. */
			if (!cur_be16(&c, 6, &type) || !cur_skip(&c, 8))
				return PKT_TRUNCATED;
			if (type == 0x0021 || type == 0x0057)
				return decode_ip(d, c, depth);
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
		if (!cur_be16(&c, skip - 2, &type) || !cur_skip(&c, skip))
			return PKT_TRUNCATED;
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
decode_loopback(struct dec *d, uint32_t af, struct cursor c)
{
	switch (af) {
	case 2:			/* AF_INET everywhere */
	case 10:		/* AF_INET6, Linux */
	case 24:		/* AF_INET6, NetBSD, OpenBSD */
	case 28:		/* AF_INET6, FreeBSD */
	case 30:		/* AF_INET6, macOS */
		return decode_ip(d, c, 0);
	default:
		return PKT_NOT_IP;
	}
}

/* Indexed by enum pkt_status and enum pkt_tunnel_kind: stable names (the
 * summary's counts, tunnel_parents). */
static const char *const status_names[] = {
	"tcp", "not-ip", "not-tcp", "fragment", "truncated", "malformed",
	"unsupported-link", "too-deep",
}, *const tunnel_names[] = {
	"-", "ip", "gre", "erspan", "vxlan", "geneve", "gre-udp", "teredo",
	"ayiya", "gtpu",
};
_Static_assert(sizeof(status_names) / sizeof(status_names[0]) ==
    PKT_STATUS_COUNT && sizeof(tunnel_names) / sizeof(tunnel_names[0]) ==
    PKT_TUN_KIND_COUNT, "a name for each status and tunnel kind");

NAMES_DEFINE(pkt_status_name, pkt_status_parse, enum pkt_status,
    status_names, PKT_STATUS_COUNT, "?")
NAMES_DEFINE(pkt_tunnel_name, pkt_tunnel_parse, enum pkt_tunnel_kind,
    tunnel_names, PKT_TUN_KIND_COUNT, "?")

int
pkt_config_ports(struct pkt_config *cfg, const char *spec, char *errbuf)
{
	uint16_t ports[PKT_TUN_PORTS] = { 0 };
	const char *eq = strchr(spec, '='), *p;
	char kind[16];
	size_t klen;
	enum pkt_tunnel_kind k = PKT_TUN_NONE;
	int n = 0;

	if (eq == NULL) {
		errbuf_set(errbuf, "expected KIND=PORT[,PORT...]: %s", spec);
		return -1;
	}
	klen = (size_t)(eq - spec);
	snprintf(kind, sizeof(kind), "%.*s", (int)klen, spec);
	if (klen >= sizeof(kind) || pkt_tunnel_parse(kind, &k) < 0 ||
	    k < PKT_TUN_VXLAN) {
		errbuf_set(errbuf, "unknown UDP tunnel: %.*s (vxlan, geneve,"
		    " gre-udp, teredo, ayiya, gtpu)", (int)klen, spec);
		return -1;
	}
	for (p = eq + 1; *p != '\0';) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (*p < '0' || *p > '9' || v == 0 || v > 65535 ||
		    (*end != ',' && *end != '\0') || *p == '-' || *p == '+') {
			errbuf_set(errbuf, "bad port in %s", spec);
			return -1;
		}
		if (n == PKT_TUN_PORTS) {
			errbuf_set(errbuf, "at most %d ports per tunnel: %s",
			    PKT_TUN_PORTS, spec);
			return -1;
		}
		ports[n++] = (uint16_t)v;
		p = *end == ',' ? end + 1 : end;
	}
	memcpy(cfg->udp_port[k], ports, sizeof(ports));
	return 0;
}

/* pkt_config_init()'s settings, for callers that pass none. */
static const struct pkt_config default_cfg = {
	.tunnels = true,
	.udp_port = {
		[PKT_TUN_VXLAN] = { 4789 },
		[PKT_TUN_GENEVE] = { 6081 },
		[PKT_TUN_GRE_UDP] = { 4754 },
		[PKT_TUN_TEREDO] = { 3544 },
		[PKT_TUN_AYIYA] = { 5072 },
		[PKT_TUN_GTPU] = { 2152 },
	},
};

void
pkt_config_init(struct pkt_config *cfg)
{
	*cfg = default_cfg;
}

enum pkt_status
pkt_decode_cfg(const struct pkt_config *cfg, int linktype, int64_t ts_us,
    const uint8_t *frame, uint32_t caplen, struct pkt_tcp *out,
    struct pkt_frag *frag)
{
	struct cursor c = { frame, frame ? caplen : 0 };
	struct dec d = { cfg, out, frag, 0, NULL, NULL };
	uint32_t af;
	uint16_t type;
	uint8_t v;

	out->ts_us = ts_us;
	out->tunnel = 0;
	out->reassembled = false;
	/* no tunnel: every field defined, as the caller may compare them */
	memset(&out->tun, 0, sizeof(out->tun));
	out->tun.kind = PKT_TUN_NONE;
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
		if (d.cfg == NULL)
			d.cfg = &default_cfg;
		return decode_loopback(&d, af, c);
	case LT_LOOP:
		if (!cur_be32(&c, 0, &af) || !cur_skip(&c, 4))
			return PKT_TRUNCATED;
		if (d.cfg == NULL)
			d.cfg = &default_cfg;
		return decode_loopback(&d, af, c);
	case LT_IPV4:
		if (cur_u8(&c, 0, &v) && (v >> 4) != 4)
			return PKT_MALFORMED;
		type = ETH_IPV4;
		break;
	case LT_IPV6:
		if (cur_u8(&c, 0, &v) && (v >> 4) != 6)
			return PKT_MALFORMED;
		type = ETH_IPV6;
		break;
	default:
		return PKT_UNSUPPORTED_LINK;
	}
	/* The one call of the fast path, so that it is inlined. */
	if (type == ETH_IPV4 && fast_ipv4_tcp(c, out) == PKT_TCP)
		return PKT_TCP;
	if (d.cfg == NULL)
		d.cfg = &default_cfg;
	return decode_ethertype(&d, type, c, 0);
}

enum pkt_status
pkt_decode(int linktype, int64_t ts_us, const uint8_t *frame,
    uint32_t caplen, struct pkt_tcp *out)
{
	return pkt_decode_cfg(NULL, linktype, ts_us, frame, caplen, out,
	    NULL);
}

enum pkt_status
pkt_decode_datagram(const struct pkt_config *cfg,
    const struct pkt_frag *whole, const uint8_t *data, uint32_t len,
    struct pkt_tcp *out, struct pkt_frag *frag)
{
	struct cursor c = { data, data ? len : 0 };
	struct dec d = { cfg ? cfg : &default_cfg, out, frag,
	    whole->family, whole->saddr, whole->daddr };

	out->reassembled = true;
	if (whole->family == AF_INET6)
		return decode_ipv6_chain(&d, whole->proto, c, len,
		    whole->depth);
	return decode_transport(&d, whole->proto, c, len, whole->depth);
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
