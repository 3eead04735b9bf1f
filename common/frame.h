/* SPDX-License-Identifier: BSD-2-Clause */
/* Length-prefixed framing: a 32-bit big-endian length, then the payload. */
#ifndef TEARDOWN_FRAME_H
#define TEARDOWN_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR_LEN 4
#define FRAME_MAX_DEFAULT (64u << 20)	/* 64 MiB */

enum frame_status {
	FRAME_OK = 0,		/* a whole message is at data + FRAME_HDR_LEN */
	FRAME_NEED_MORE,	/* keep reading */
	FRAME_TOO_LONG,		/* length above max: refuse, never allocate */
	FRAME_NEGATIVE		/* length with the top bit set */
};

/*
 * Look at len buffered bytes. On FRAME_OK *msg_len is the payload length
 * and the whole frame is FRAME_HDR_LEN + *msg_len bytes. *msg_len is also
 * set (to the declared length) for FRAME_TOO_LONG.
 */
enum frame_status frame_parse(const void *data, size_t len, uint32_t max,
    uint32_t *msg_len);

/* Write the 4-byte header for a payload of msg_len bytes. */
void frame_put_header(void *hdr, uint32_t msg_len);

/* Big-endian 32-bit helpers shared by the wire formats. */
uint32_t frame_get_be32(const void *p);
void frame_put_be32(void *p, uint32_t v);

const char *frame_status_name(enum frame_status s);

#endif
