/* SPDX-License-Identifier: BSD-2-Clause */
/* Bench helper: a large capture of connections of every class, with truth. */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_bytes.h"

/*
 * usage: benchgen [-c CONNECTIONS] [-s SEED] -o PCAP -t TRUTH
 *
 * Writes CONNECTIONS (10000 by default) TCP connections over Ethernet,
 * about 60 packets each on average, interleaved in time with a few hundred
 * open at once (a new one every 10 ms, so 4 times the connections is 4
 * times the packets at the same concurrency). Frames are cut at 96 bytes,
 * as tcpdump -s 96 would; IP lengths keep the real sizes. TRUTH gets one
 * line per connection: orig_h orig_p resp_h resp_p class closed_by.
 *
 * Classes, by weight: fin 45 (either side closes first, some half-closed),
 * rst 15, fin-rst 10, refused 10, vanished 10 (the responder retransmits
 * into silence, then resets or not), no-answer 10; open: half of the last
 * 500 connections, which are still going when the capture ends (as in a
 * real capture, the connections open at the end are the recent ones, so
 * a longer capture does not hold more of them).
 */

#define SNAP		96
#define START_GAP_US	10000
#define MSS		1448

enum cls { C_FIN, C_FIN_RST, C_RST, C_REFUSED, C_NO_ANSWER, C_VANISHED,
	C_OPEN };

static const char *const cls_name[] = { "fin", "fin-rst", "rst", "refused",
	"no-answer", "vanished", "open" };

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* One step of a script: who sends what, after how long. */
struct step {
	uint32_t dt_us;
	uint8_t from;		/* 0 orig, 1 resp */
	uint8_t flags;
	uint16_t len;
	uint8_t rewind;		/* resend the previous segment of from */
};

#define MAX_STEPS	512

struct conn {
	uint32_t idx;
	enum cls cls;
	int closer;		/* 0 orig, 1 resp: who ends it */
	struct step steps[MAX_STEPS];
	int nsteps, next;
	int64_t t;		/* time of the next step */
	uint32_t nxt[2];	/* next sequence number per side */
	uint32_t last_seq[2], last_len[2];
	size_t heap_idx;
};

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	/* xorshift64*: deterministic for a given seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t
rnd_in(uint32_t lo, uint32_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

static void
add(struct conn *c, uint32_t dt, int from, uint8_t flags, uint16_t len)
{
	struct step *s;

	if (c->nsteps == MAX_STEPS)
		errx(1, "script too long");
	s = &c->steps[c->nsteps++];
	s->dt_us = dt;
	s->from = (uint8_t)from;
	s->flags = flags;
	s->len = len;
	s->rewind = 0;
}

static void
add_again(struct conn *c, uint32_t dt, int from)
{
	add(c, dt, from, F_ACK | F_PSH, 0);
	c->steps[c->nsteps - 1].rewind = 1;
}

/* A request from orig and a response of n segments from resp, ACKed. */
static void
exchange(struct conn *c, int nseg)
{
	int i;

	add(c, rnd_in(100, 2000), 0, F_ACK | F_PSH,
	    (uint16_t)rnd_in(60, 600));
	add(c, rnd_in(20, 200), 1, F_ACK, 0);
	for (i = 0; i < nseg; i++) {
		add(c, rnd_in(10, 300), 1, F_ACK | F_PSH,
		    i == nseg - 1 ? (uint16_t)rnd_in(1, MSS) : MSS);
		if (i % 2 == 1 || i == nseg - 1)
			add(c, rnd_in(10, 100), 0, F_ACK, 0);
	}
}

static void
script(struct conn *c)
{
	int i, rounds, closer = (int)(rnd() % 2);

	c->closer = closer;
	if (c->cls == C_REFUSED) {
		add(c, 0, 0, F_SYN, 0);
		add(c, rnd_in(20, 200), 1, F_RST | F_ACK, 0);
		c->closer = 1;
		return;
	}
	if (c->cls == C_NO_ANSWER) {
		add(c, 0, 0, F_SYN, 0);
		add(c, 1000000, 0, F_SYN, 0);
		c->steps[1].rewind = 1;
		add(c, 2000000, 0, F_SYN, 0);
		c->steps[2].rewind = 1;
		c->closer = -1;
		return;
	}
	add(c, 0, 0, F_SYN, 0);
	add(c, rnd_in(20, 300), 1, F_SYN | F_ACK, 0);
	add(c, rnd_in(20, 300), 0, F_ACK, 0);
	rounds = (int)rnd_in(1, 5);
	for (i = 0; i < rounds; i++)
		exchange(c, (int)rnd_in(2, 26));

	switch (c->cls) {
	case C_FIN:
		if (closer == 1 && rnd() % 3 == 0) {
			/* half-close: orig's FIN, resp keeps sending */
			closer = c->closer = 0;
			add(c, rnd_in(100, 1000), 0, F_FIN | F_ACK, 0);
			add(c, rnd_in(20, 100), 1, F_ACK, 0);
			add(c, rnd_in(20, 100), 1, F_ACK | F_PSH, MSS);
			add(c, rnd_in(20, 100), 0, F_ACK, 0);
			add(c, rnd_in(100, 500), 1, F_FIN | F_ACK, 0);
			add(c, rnd_in(20, 100), 0, F_ACK, 0);
			break;
		}
		add(c, rnd_in(100, 1000), closer, F_FIN | F_ACK, 0);
		add(c, rnd_in(20, 200), 1 - closer, F_ACK, 0);
		add(c, rnd_in(100, 1000), 1 - closer, F_FIN | F_ACK, 0);
		add(c, rnd_in(20, 200), closer, F_ACK, 0);
		break;
	case C_FIN_RST:
		/* orig closes, resp writes anyway, orig's kernel resets */
		c->closer = 0;
		add(c, rnd_in(100, 1000), 0, F_FIN | F_ACK, 0);
		add(c, rnd_in(20, 200), 1, F_ACK, 0);
		add(c, rnd_in(100, 1000), 1, F_ACK | F_PSH,
		    (uint16_t)rnd_in(10, 500));
		add(c, rnd_in(20, 100), 0, F_RST, 0);
		break;
	case C_RST:
		add(c, rnd_in(100, 1000), closer, F_RST | F_ACK, 0);
		break;
	case C_VANISHED:
		/* the client is gone: data, retransmissions, maybe RST */
		c->closer = 1;
		add(c, rnd_in(100, 1000), 1, F_ACK | F_PSH, MSS);
		for (i = 0; i < (int)rnd_in(3, 6); i++)
			add_again(c, 200000u << i, 1);
		if (rnd() % 2)
			add(c, 3000000, 1, F_RST | F_ACK, 0);
		break;
	case C_OPEN:
		c->closer = -1;
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */

static FILE *out;

static void
addr_of(const struct conn *c, int side, uint8_t *a, uint16_t *port)
{
	if (side == 0) {
		a[0] = 10;
		a[1] = (uint8_t)(c->idx >> 16);
		a[2] = (uint8_t)(c->idx >> 8);
		a[3] = (uint8_t)c->idx;
		*port = (uint16_t)(1024 + c->idx % 60000);
	} else {
		a[0] = 172;
		a[1] = 16;
		a[2] = 0;
		a[3] = (uint8_t)(1 + c->idx % 8);
		*port = c->idx % 2 ? 443 : 80;
	}
}

static void
write_packet(struct conn *c, const struct step *s)
{
	uint8_t f[16 + SNAP], sa[4], da[4];
	uint16_t sp, dp;
	int from = s->from;
	uint32_t seq, len = s->len, caplen;

	if (s->rewind) {
		seq = c->last_seq[from];
		len = c->last_len[from];
	} else {
		seq = c->nxt[from];
		c->last_seq[from] = seq;
		c->last_len[from] = len;
		if (!(s->flags & F_RST))
			c->nxt[from] += len + !!(s->flags & F_SYN) +
			    !!(s->flags & F_FIN);
	}
	addr_of(c, from, sa, &sp);
	addr_of(c, 1 - from, da, &dp);
	memset(f, 0, sizeof(f));
	caplen = 54 + len > SNAP ? SNAP : 54 + len;
	le32(f, (uint32_t)(c->t / 1000000));
	le32(f + 4, (uint32_t)(c->t % 1000000));
	le32(f + 8, caplen);
	le32(f + 12, 54 + len);
	f[16 + 5] = 1;
	f[16 + 11] = 2;
	be16(f + 16 + 12, 0x0800);
	f[16 + 14] = 0x45;
	be16(f + 16 + 16, (uint16_t)(40 + len));
	f[16 + 22] = 64;
	f[16 + 23] = 6;
	memcpy(f + 16 + 26, sa, 4);
	memcpy(f + 16 + 30, da, 4);
	be16(f + 16 + 34, sp);
	be16(f + 16 + 36, dp);
	be32(f + 16 + 38, seq);
	be32(f + 16 + 42, (s->flags & F_ACK) ? c->nxt[1 - from] : 0);
	f[16 + 46] = 5 << 4;
	f[16 + 47] = s->flags;
	be16(f + 16 + 48, (s->flags & F_RST) ? 0 : 64240);
	if (fwrite(f, 1, 16 + caplen, out) != 16 + caplen)
		err(1, "write");
}

/* ------------------------------------------------------------------ */
/* a heap of connections by the time of their next packet */

static struct conn **heap;
static size_t heap_len;

static int
before(const struct conn *a, const struct conn *b)
{
	return a->t < b->t || (a->t == b->t && a->idx < b->idx);
}

static void
sift_up(size_t i)
{
	struct conn *c = heap[i];

	while (i > 0 && before(c, heap[(i - 1) / 2])) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = c;
}

static void
sift_down(size_t i)
{
	struct conn *c = heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct conn *best = c;

		if (l < heap_len && before(heap[l], best))
			best = heap[m = l];
		if (l + 1 < heap_len && before(heap[l + 1], best))
			best = heap[m = l + 1];
		if (m == i)
			break;
		heap[i] = heap[m];
		i = m;
	}
	heap[i] = c;
}

static enum cls
pick_class(uint32_t idx, uint32_t nconn)
{
	static const struct { enum cls c; uint32_t w; } weights[] = {
		{ C_FIN, 45 }, { C_RST, 15 }, { C_FIN_RST, 10 },
		{ C_REFUSED, 10 }, { C_VANISHED, 10 }, { C_NO_ANSWER, 10 },
	};
	uint32_t r = rnd() % 100, acc = 0;
	size_t i;

	if (idx + 500 >= nconn && r % 2 == 0)
		return C_OPEN;
	for (i = 0; i < sizeof(weights) / sizeof(weights[0]); i++) {
		acc += weights[i].w;
		if (r < acc)
			return weights[i].c;
	}
	return C_FIN;
}

int
main(int argc, char **argv)
{
	const char *path = NULL, *tpath = NULL;
	uint32_t nconn = 10000, made = 0;
	uint64_t packets = 0;
	int64_t t0 = 1700000000000000;
	uint8_t hdr[24];
	FILE *truth;
	int ch;

	rng_state = 42;
	while ((ch = getopt(argc, argv, "c:o:s:t:")) != -1) {
		switch (ch) {
		case 'c':
			nconn = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'o':
			path = optarg;
			break;
		case 's':
			rng_state = strtoull(optarg, NULL, 10) | 1;
			break;
		case 't':
			tpath = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (path == NULL || tpath == NULL || nconn == 0 || nconn > 4000000)
		goto usage;
	if ((out = fopen(path, "wb")) == NULL)
		err(1, "%s", path);
	if ((truth = fopen(tpath, "w")) == NULL)
		err(1, "%s", tpath);
	heap = calloc(nconn, sizeof(*heap));
	if (heap == NULL)
		err(1, "calloc");
	le32(hdr, 0xa1b2c3d4);
	hdr[4] = 2;
	hdr[5] = 0;
	hdr[6] = 4;
	hdr[7] = 0;
	memset(hdr + 8, 0, 8);
	le32(hdr + 16, SNAP);
	le32(hdr + 20, 1);
	fwrite(hdr, 1, 24, out);

	/* Start connections every START_GAP_US; emit packets in time order. */
	while (made < nconn || heap_len > 0) {
		int64_t next_start = t0 + (int64_t)made * START_GAP_US;
		struct conn *c;
		const struct step *s;

		if (made < nconn && (heap_len == 0 ||
		    next_start <= heap[0]->t)) {
			uint8_t a[4], b[4];
			uint16_t pa, pb;

			c = malloc(sizeof(*c));
			if (c == NULL)
				err(1, "malloc");
			memset(c, 0, sizeof(*c));
			c->idx = made++;
			c->cls = pick_class(c->idx, nconn);
			c->nxt[0] = rnd();
			c->nxt[1] = rnd();
			script(c);
			c->t = next_start;
			addr_of(c, 0, a, &pa);
			addr_of(c, 1, b, &pb);
			fprintf(truth, "%u.%u.%u.%u %u %u.%u.%u.%u %u %s %s\n",
			    a[0], a[1], a[2], a[3], pa, b[0], b[1], b[2],
			    b[3], pb, cls_name[c->cls], c->closer < 0 ? "-" :
			    c->closer ? "resp" : "orig");
			heap[heap_len++] = c;
			sift_up(heap_len - 1);
			continue;
		}
		c = heap[0];
		s = &c->steps[c->next++];
		write_packet(c, s);
		packets++;
		if (c->next == c->nsteps) {
			free(c);
			heap[0] = heap[--heap_len];
			if (heap_len > 0)
				sift_down(0);
		} else {
			c->t += c->steps[c->next].dt_us;
			sift_down(0);
		}
	}
	if (fclose(out) != 0 || fclose(truth) != 0)
		err(1, "close");
	fprintf(stderr, "benchgen: %u connections, %llu packets\n", nconn,
	    (unsigned long long)packets);
	free(heap);
	return 0;
usage:
	fprintf(stderr, "usage: benchgen [-c CONNECTIONS] [-s SEED] -o PCAP"
	    " -t TRUTH\n");
	return 2;
}
