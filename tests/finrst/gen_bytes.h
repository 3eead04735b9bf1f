/* SPDX-License-Identifier: BSD-2-Clause */
/* Byte-order writers shared by the capture generators (pcapgen, benchgen). */
#ifndef FINRST_GEN_BYTES_H
#define FINRST_GEN_BYTES_H

#include <stdint.h>

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

#endif
