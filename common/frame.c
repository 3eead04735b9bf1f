/* SPDX-License-Identifier: BSD-2-Clause */
/* Length-prefixed framing: a 32-bit big-endian length, then the payload. */
#include "frame.h"

uint32_t
frame_get_be32(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

void
frame_put_be32(void *p, uint32_t v)
{
	unsigned char *b = p;

	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
}

void
frame_put_header(void *hdr, uint32_t msg_len)
{
	frame_put_be32(hdr, msg_len);
}

/*
 * Decide from the header alone: a hostile length is refused before anyone
 * sizes a buffer for it, so a 4-byte header can never cost 2 GiB.
 */
enum frame_status
frame_parse(const void *data, size_t len, uint32_t max, uint32_t *msg_len)
{
	uint32_t n;

	if (len < FRAME_HDR_LEN)
		return FRAME_NEED_MORE;
	n = frame_get_be32(data);
	if (msg_len != NULL)
		*msg_len = n;
	if (n & 0x80000000u)
		return FRAME_NEGATIVE;
	if (n > max)
		return FRAME_TOO_LONG;
	if (len - FRAME_HDR_LEN < n)
		return FRAME_NEED_MORE;
	return FRAME_OK;
}

const char *
frame_status_name(enum frame_status s)
{
	switch (s) {
	case FRAME_OK:
		return "ok";
	case FRAME_NEED_MORE:
		return "need-more";
	case FRAME_TOO_LONG:
		return "too-long";
	case FRAME_NEGATIVE:
		return "negative";
	}
	return "?";
}
