/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: finrst's decoding, reassembly and classifier. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "flow.h"
#include "flow_out.h"
#include "ipfrag.h"
#include "pktdecode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Render everything a report offers, as finrst would. */
static void
on_report(const struct flow_result *r, void *arg)
{
	char line[512], *l;
	json_t *j;

	(void)arg;
	flow_result_line(r, line, sizeof(line));
	flow_result_notes_text(r, line, sizeof(line));
	j = flow_result_json(r);
	json_decref(j);
	l = flow_result_ladder(r);
	free(l);
	flow_zeeklog_line(r, false, line, sizeof(line));
	flow_zeeklog_line(r, true, line, sizeof(line));
}

static struct flow_table *
new_table(uint8_t knob)
{
	struct flow_config cfg = {
		.grace_us = (int64_t)(knob & 0x0f) * 250000,
		.idle_us = (knob & 0x10) ? 2000000 : 0,
		.ladder = (knob & 0x20) ? 3 : 0,
	};

	return flow_table_new(&cfg, on_report, NULL);
}

/* What one input decodes with: a reassembler and tunnel settings the
 * knob byte picks (small caps make eviction and timeouts happen). */
struct decoding {
	struct ipfrag *frag;
	struct pkt_config cfg;
};

static void
decoding_init(struct decoding *d, uint8_t knob)
{
	struct ipfrag_limits lim = {
		.max_bytes = (knob & 0x40) ? 8192 : 0,
		.max_datagrams = (knob & 0x40) ? 3 : 0,
		.timeout_us = (knob & 0x80) ? 500000 : 0,
	};

	d->frag = ipfrag_new(&lim);
	pkt_config_init(&d->cfg);
	if ((knob & 0xc0) == 0xc0)
		d->cfg.tunnels = false;
}

static void
feed(struct flow_table *t, struct decoding *d, int dlt, int64_t ts,
    const uint8_t *p, uint32_t n)
{
	struct pkt_tcp seg;

	if (ipfrag_decode(d->frag, &d->cfg, dlt, ts, p, n, &seg) == PKT_TCP)
		flow_table_add(t, &seg);
}

/*
 * Two input shapes: a pcap or pcapng file (what the seeds are), read
 * through libpcap as finrst does; or, for denser coverage of the decoder,
 * [link type byte][knob byte] then frames, each [2-byte length][4-byte
 * time step in us][bytes].
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = { 0, 1, 12, 101, 108, 113, 228, 229, 276 };
	struct flow_table *t;
	struct decoding dec;

	if (size >= 24 && (memcmp(data, "\xd4\xc3\xb2\xa1", 4) == 0 ||
	    memcmp(data, "\xa1\xb2\xc3\xd4", 4) == 0 ||
	    memcmp(data, "\x4d\x3c\xb2\xa1", 4) == 0 ||
	    memcmp(data, "\x0a\x0d\x0d\x0a", 4) == 0)) {
		char err[PCAP_ERRBUF_SIZE];
		struct pcap_pkthdr *h;
		const u_char *pkt;
		FILE *fp = fmemopen((void *)data, size, "rb");
		pcap_t *p;

		if (fp == NULL)
			return 0;
		p = pcap_fopen_offline(fp, err);
		if (p == NULL) {
			fclose(fp);
			return 0;
		}
		t = new_table(data[size - 1]);
		decoding_init(&dec, data[size - 1]);
		while (t && pcap_next_ex(p, &h, &pkt) == 1)
			feed(t, &dec, pcap_datalink(p),
			    pkt_ts_us(h->ts.tv_sec, h->ts.tv_usec), pkt,
			    h->caplen);
		pcap_close(p);
	} else {
		size_t off = 2;
		int64_t ts = 1000000;
		int dlt;

		if (size < 2)
			return 0;
		dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
		t = new_table(data[1]);
		decoding_init(&dec, data[1]);
		while (t && off + 6 <= size) {
			uint32_t n = (uint32_t)data[off] << 8 | data[off + 1];
			uint32_t step = (uint32_t)data[off + 2] << 24 |
			    (uint32_t)data[off + 3] << 16 |
			    (uint32_t)data[off + 4] << 8 | data[off + 5];

			off += 6;
			if (n > size - off)
				n = (uint32_t)(size - off);
			ts += step;
			feed(t, &dec, dlt, ts, data + off, n);
			off += n;
		}
	}
	ipfrag_free(dec.frag);
	if (t) {
		flow_table_advance(t, INT64_MAX / 2);
		flow_table_flush(t);
		flow_table_free(t);
	}
	return 0;
}
