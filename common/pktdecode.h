/* SPDX-License-Identifier: BSD-2-Clause */
/* Decode one captured frame of a libpcap link type into TCP segment fields. */
#ifndef TEARDOWN_PKTDECODE_H
#define TEARDOWN_PKTDECODE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * What pkt_decode() found. Only PKT_TCP fills a usable segment; every other
 * value is a reason to count the frame and skip it. Add new values before
 * PKT_STATUS_COUNT; pkt_status_name() gives the stable name.
 */
enum pkt_status {
	PKT_TCP = 0,		/* "tcp": a TCP segment, fields valid */
	PKT_NOT_IP,		/* "not-ip": ARP, LLDP, other ethertypes */
	PKT_NOT_TCP,		/* "not-tcp": IP carrying UDP, ICMP, ... */
	PKT_FRAGMENT,		/* "fragment": an IPv4/IPv6 fragment */
	PKT_TRUNCATED,		/* "truncated": capture ends inside a header */
	PKT_MALFORMED,		/* "malformed": impossible header values */
	PKT_UNSUPPORTED_LINK,	/* "unsupported-link": link type not decoded */
	PKT_STATUS_COUNT
};

/* TCP flag bits, as in the header's flags byte (RFC 9293 section 3.1). */
#define PKT_FIN	0x01
#define PKT_SYN	0x02
#define PKT_RST	0x04
#define PKT_PSH	0x08
#define PKT_ACK	0x10
#define PKT_URG	0x20
#define PKT_ECE	0x40
#define PKT_CWR	0x80

/*
 * One decoded TCP segment. Addresses are in network byte order (IPv4 in
 * the first 4 bytes, the rest zero); every other integer is in host order.
 * payload_len comes from the IP length fields, so it is right even when
 * the capture's snaplen cut the payload (captured_len then is smaller).
 */
struct pkt_tcp {
	int64_t ts_us;		/* capture timestamp, microseconds */
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t flags;		/* PKT_FIN | PKT_SYN | ... */
	uint16_t sport, dport;
	uint8_t saddr[16], daddr[16];
	uint32_t seq, ack;	/* ack is meaningful only with PKT_ACK */
	uint16_t window;	/* raw window field, not scaled */
	int8_t wscale;		/* window scale option on a SYN, else -1 */
	uint8_t tunnel;		/* encapsulations peeled: IP-in-IP, GRE... */
	uint16_t mss;		/* MSS option on a SYN, else 0 */
	uint32_t payload_len;	/* TCP payload bytes the segment carried */
	uint32_t captured_len;	/* of them, bytes present in the frame */
	uint32_t ip_bytes;	/* the (innermost) IP packet's length */
	const uint8_t *payload;	/* captured_len bytes, inside the frame */
};

/*
 * Decode one frame of libpcap link type linktype (DLT_EN10MB with 802.1Q,
 * 802.1ad/QinQ and MPLS, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP,
 * DLT_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6), IPv4 with options and IPv6 with
 * extension headers. Every field is read through a bounds-checked
 * accessor: nothing past frame + caplen is ever read, and a frame cut
 * inside its headers is PKT_TRUNCATED (PKT_NOT_TCP or PKT_NOT_IP where a
 * tunnel or LLC/SNAP header is recognised by its length; a cut TCP option
 * is simply absent). Returns PKT_TCP with *out filled, or the reason the
 * frame is not a TCP segment (out is then unspecified). Never allocates.
 */
enum pkt_status pkt_decode(int linktype, int64_t ts_us, const uint8_t *frame,
    uint32_t caplen, struct pkt_tcp *out);

/*
 * A capture timestamp (seconds, microseconds) in microseconds, clamped to
 * 0 .. about 73,000 years: a hostile pcapng can carry any 64-bit time, and
 * the flow table adds and subtracts timestamps.
 */
int64_t pkt_ts_us(int64_t sec, int64_t usec);

/* True when pkt_decode() knows linktype. */
bool pkt_link_supported(int linktype);

/* Stable name of a status ("tcp", "fragment", ...); "?" when unknown. */
const char *pkt_status_name(enum pkt_status st);

/*
 * Render flags as tcpdump does ("S", "S.", "F.", "R", "P.", ...) into buf
 * (at least 10 bytes); returns buf.
 */
char *pkt_flags_str(uint8_t flags, char *buf);

#endif
