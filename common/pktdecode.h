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
	PKT_TOO_DEEP,		/* "too-deep": tunnels nested past the limit */
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

/* Tunnels inside tunnels end here (PKT_TOO_DEEP): not a matryoshka. */
#define PKT_MAX_TUNNELS	4

/* Encapsulations pkt_decode() peels; pkt_tunnel_name() gives the names. */
enum pkt_tunnel_kind {
	PKT_TUN_NONE = 0,	/* "-" */
	PKT_TUN_IP,		/* "ip": IP-in-IP, 6in4, 4in6 (RFC 2003) */
	PKT_TUN_GRE,		/* "gre": RFC 2784/2890, keys and sequence */
	PKT_TUN_ERSPAN,		/* "erspan": GRE carrying ERSPAN I/II/III */
	PKT_TUN_VXLAN,		/* "vxlan": RFC 7348, UDP 4789 */
	PKT_TUN_GENEVE,		/* "geneve": RFC 8926, UDP 6081 */
	PKT_TUN_GRE_UDP,	/* "gre-udp": RFC 8086, UDP 4754 */
	PKT_TUN_TEREDO,		/* "teredo": RFC 4380, UDP 3544 */
	PKT_TUN_AYIYA,		/* "ayiya": UDP 5072 */
	PKT_TUN_GTPU,		/* "gtpu": 3GPP TS 29.281, UDP 2152 */
	PKT_TUN_KIND_COUNT
};

/*
 * The tunnel a packet came through: the outer IP addresses (network
 * order, as in struct pkt_tcp) and, for the UDP tunnels, ports; key is
 * the VNI (VXLAN, Geneve), GRE key, TEID (GTP-U) or ERSPAN session, 0
 * when the encapsulation has none.
 */
struct pkt_tunnel {
	uint8_t kind;		/* enum pkt_tunnel_kind */
	uint8_t family;		/* of the outer addresses */
	uint16_t sport, dport;	/* UDP tunnels; else 0 */
	uint32_t key;
	uint8_t saddr[16], daddr[16];
};

/* UDP ports per tunnel kind (0: unused slot). */
#define PKT_TUN_PORTS	4

/*
 * How to decode: whether to look inside tunnels, and which UDP ports mean
 * which tunnel. pkt_config_init() gives Zeek's defaults.
 */
struct pkt_config {
	bool tunnels;		/* false: a tunnel's payload is not TCP */
	uint16_t udp_port[PKT_TUN_KIND_COUNT][PKT_TUN_PORTS];
};

/*
 * An IP fragment pkt_decode() stopped at (PKT_FRAGMENT): what reassembly
 * needs (common/ipfrag), and where decoding resumes with the whole
 * datagram (pkt_decode_datagram()). data is NULL when the capture cut the
 * fragment's bytes: it cannot be reassembled.
 */
struct pkt_frag {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t proto;		/* the upper protocol (IPv6: after the
				   fragment header) */
	uint8_t depth;		/* tunnels peeled above it */
	bool more;		/* more fragments follow */
	uint32_t id;		/* identification (IPv4: 16 bits) */
	uint32_t offset;	/* in bytes */
	uint32_t len;		/* bytes of this piece */
	const uint8_t *data;
	uint8_t saddr[16], daddr[16];
};

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
	bool reassembled;	/* carried by a reassembled IP datagram */
	uint16_t mss;		/* MSS option on a SYN, else 0 */
	uint32_t payload_len;	/* TCP payload bytes the segment carried */
	uint32_t captured_len;	/* of them, bytes present in the frame */
	uint32_t ip_bytes;	/* the (innermost) IP packet's length */
	const uint8_t *payload;	/* captured_len bytes, inside the frame */
	struct pkt_tunnel tun;	/* the innermost tunnel; kind 0: none */
};

/*
 * Decode one frame of libpcap link type linktype (DLT_EN10MB with 802.1Q,
 * 802.1ad/QinQ, 802.1ah PBB, VN-Tag, FabricPath, PPPoE and MPLS; the
 * tunnels of enum pkt_tunnel_kind inside IP, with Zeek's default ports),
 * DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP, DLT_RAW,
 * LINKTYPE_IPV4, LINKTYPE_IPV6), IPv4 with options and IPv6 with
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
 * pkt_decode() with the tunnel settings of cfg (NULL: the defaults). On
 * PKT_FRAGMENT, *frag (when not NULL) describes the fragment and *out
 * holds the tunnels above it.
 */
enum pkt_status pkt_decode_cfg(const struct pkt_config *cfg, int linktype,
    int64_t ts_us, const uint8_t *frame, uint32_t caplen,
    struct pkt_tcp *out, struct pkt_frag *frag);

/*
 * Decode a datagram reassembled from fragments like frag (the upper
 * protocol's bytes, len of them), keeping the tunnel fields of *out from
 * the frame that completed it. Returns what pkt_decode_cfg() would have
 * for the unfragmented packet; PKT_FRAGMENT again (with *frag) for a
 * fragment inside a reassembled tunnel packet.
 */
enum pkt_status pkt_decode_datagram(const struct pkt_config *cfg,
    const struct pkt_frag *whole, const uint8_t *data, uint32_t len,
    struct pkt_tcp *out, struct pkt_frag *frag);

/* Zeek's defaults: tunnels on, each kind on its registered port. */
void pkt_config_init(struct pkt_config *cfg);

/*
 * Apply "KIND=PORT[,PORT...]" (e.g. "vxlan=4789,8472"; "vxlan=" turns that
 * kind's ports off) to cfg. Returns 0, or -1 with errbuf set ("unknown
 * tunnel ...", "bad port ...") and cfg unchanged.
 */
int pkt_config_ports(struct pkt_config *cfg, const char *spec,
    char *errbuf);

/* Stable name of a tunnel kind ("vxlan", ...); "?" when unknown. */
const char *pkt_tunnel_name(enum pkt_tunnel_kind k);

/* The kind named (when k is not NULL) and 0, or -1 for an unknown name. */
int pkt_tunnel_parse(const char *name, enum pkt_tunnel_kind *k);

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

/* The status named (when st is not NULL) and 0, or -1 when unknown. */
int pkt_status_parse(const char *name, enum pkt_status *st);

/*
 * Render flags as tcpdump does ("S", "S.", "F.", "R", "P.", ...) into buf
 * (at least 10 bytes); returns buf.
 */
char *pkt_flags_str(uint8_t flags, char *buf);

#endif
