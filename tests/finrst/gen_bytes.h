/* SPDX-License-Identifier: BSD-2-Clause */
/* Byte-order writers and a frame builder shared by the capture generators
 * (pcapgen, benchgen, pcapencap) and the decoder unit tests. */
#ifndef FINRST_GEN_BYTES_H
#define FINRST_GEN_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline void
le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
le32(uint8_t *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

static inline void
be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
be32(uint8_t *p, uint32_t v)
{
	be16(p, (uint16_t)(v >> 16));
	be16(p + 2, (uint16_t)v);
}

/* A frame under construction; GEN_BUF_SIZE bytes at most (define it
 * before the include for another size). */
#ifndef GEN_BUF_SIZE
#define GEN_BUF_SIZE 512
#endif

struct gen_buf {
	uint8_t b[GEN_BUF_SIZE];
	size_t n;
};

static inline void
put(struct gen_buf *f, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (f->n + n > sizeof(f->b))
		abort();	/* a test's frame outgrew its buffer */
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static inline void
put8(struct gen_buf *f, uint8_t v)
{
	put(f, &v, 1);
}

static inline void
put16(struct gen_buf *f, uint16_t v)
{
	uint8_t t[2];

	be16(t, v);
	put(f, t, 2);
}

static inline void
put32(struct gen_buf *f, uint32_t v)
{
	uint8_t t[4];

	be32(t, v);
	put(f, t, 4);
}

/* An IPv6 header from 2001:db8::1 to 2001:db8::2 (the unit tests'). */
static inline void
gen_ipv6(struct gen_buf *f, uint8_t next, size_t plen)
{
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	put32(f, 0x60000000);
	put16(f, (uint16_t)plen);
	put8(f, next);
	put8(f, 64);
	put(f, a, 16);
	a[15] = 2;
	put(f, a, 16);
}

#endif
