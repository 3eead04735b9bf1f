/* SPDX-License-Identifier: BSD-2-Clause */
/* ttcp's wire format: session headers, payload pattern and the receiver. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ttcp.h"

static const char hex_digits[16] = "0123456789ABCDEF";

/* 64 KiB of pattern plus 16 bytes, so any phase has a long run to compare. */
#define PATTERN_BLOCK 65536
static uint8_t pattern_block[PATTERN_BLOCK + 16];
static pthread_once_t pattern_once = PTHREAD_ONCE_INIT;

static void
pattern_init(void)
{
	hex_pattern_fill(pattern_block, sizeof(pattern_block));
}

size_t
session_encode(const struct session *s, uint8_t *out)
{
	size_t off = 0;

	if (s->extended) {
		frame_put_be32(out, TTCP_EXT_MARKER);
		frame_put_be32(out + 4, s->flags);
		frame_put_be32(out + 8, s->group);
		frame_put_be32(out + 12, s->parallel);
		off = TTCP_EXT_LEN;
	}
	frame_put_be32(out + off, s->number);
	frame_put_be32(out + off + 4, s->length);
	return off + TTCP_HDR_LEN;
}

/* The muduo part: count then length, both signed on the wire. */
static int
decode_counts(const uint8_t *p, struct session *s, char *errbuf)
{
	uint32_t number = frame_get_be32(p);
	uint32_t length = frame_get_be32(p + 4);

	if (number & 0x80000000u) {
		errbuf_set(errbuf, "negative message count %" PRId32,
		    (int32_t)number);
		return -1;
	}
	if (length & 0x80000000u) {
		errbuf_set(errbuf, "negative message length %" PRId32,
		    (int32_t)length);
		return -1;
	}
	if (length > TTCP_MAX_LEN) {
		errbuf_set(errbuf, "message length %" PRIu32
		    " above the maximum %u", length, TTCP_MAX_LEN);
		return -1;
	}
	s->number = number;
	s->length = length;
	return 0;
}

int
session_decode(const uint8_t *p, size_t have, struct session *s,
    size_t *need, char *errbuf)
{
	memset(s, 0, sizeof(*s));
	s->parallel = 1;
	*need = TTCP_HDR_LEN;
	if (have < 4)
		return 0;
	if (frame_get_be32(p) != TTCP_EXT_MARKER) {
		if (have < TTCP_HDR_LEN)
			return 0;
		return decode_counts(p, s, errbuf) == 0 ? 1 : -1;
	}
	*need = TTCP_HDR_MAX;
	if (have < TTCP_HDR_MAX)
		return 0;
	s->extended = true;
	s->flags = frame_get_be32(p + 4);
	s->group = frame_get_be32(p + 8);
	s->parallel = frame_get_be32(p + 12);
	if (s->flags & ~TTCP_FLAGS_KNOWN) {
		errbuf_set(errbuf, "unknown session flags 0x%" PRIx32,
		    s->flags & ~TTCP_FLAGS_KNOWN);
		return -1;
	}
	if (s->parallel < 1 || s->parallel > TTCP_MAX_PARALLEL) {
		errbuf_set(errbuf, "parallel count %" PRIu32
		    " out of range 1..%d", s->parallel, TTCP_MAX_PARALLEL);
		return -1;
	}
	return decode_counts(p + TTCP_EXT_LEN, s, errbuf) == 0 ? 1 : -1;
}

void
hex_pattern_fill(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)hex_digits[i % 16];
}

uint8_t *
msg_buf_new(uint32_t length)
{
	void *base;
	uint8_t *payload;

	_Static_assert(TTCP_MSG_HEADROOM >= TTCP_HDR_MAX + 4,
	    "the header and the prefix fit before the payload");
	if (posix_memalign(&base, 64, TTCP_MSG_HEADROOM + (size_t)length) != 0)
		return NULL;
	payload = (uint8_t *)base + TTCP_MSG_HEADROOM;
	frame_put_be32(payload - 4, length);
	hex_pattern_fill(payload, length);
	return payload;
}

void
msg_buf_free(uint8_t *payload)
{
	if (payload != NULL)
		free(payload - TTCP_MSG_HEADROOM);
}

void
ack_put(uint8_t *out, uint32_t length)
{
	frame_put_be32(out, length);
}

int
ack_check(const uint8_t *ack, uint32_t length, uint64_t msg, char *errbuf)
{
	uint32_t got = frame_get_be32(ack);

	if (got == length)
		return 0;
	errbuf_set(errbuf, "ack %" PRIu64 ": peer acknowledged %" PRId32
	    ", expected %" PRIu32, msg, (int32_t)got, length);
	return -1;
}

/* Index of the first byte of p that breaks the pattern at phase, or n. */
static size_t
pattern_mismatch(const uint8_t *p, size_t n, uint32_t phase)
{
	size_t done = 0;

	/* Receiving threads of one -P run share the block. */
	pthread_once(&pattern_once, pattern_init);
	phase %= 16;
	while (done < n) {
		size_t chunk = n - done;

		if (chunk > PATTERN_BLOCK)
			chunk = PATTERN_BLOCK;
		if (memcmp(p + done, pattern_block + phase, chunk) != 0) {
			for (size_t i = 0; i < chunk; i++)
				if (p[done + i] != pattern_block[phase + i])
					return done + i;
		}
		done += chunk;
		/* PATTERN_BLOCK is a multiple of 16: the phase carries on. */
	}
	return n;
}

void
rx_init(struct rx *rx, const struct session *s, bool verify)
{
	memset(rx, 0, sizeof(*rx));
	rx->stream = (s->flags & TTCP_FLAG_STREAM) != 0;
	rx->verify = verify;
	rx->timed = (s->flags & TTCP_FLAG_TIMED) != 0;
	rx->number = session_messages(s);
	rx->length = s->length;
	/* A stream of empty messages has no bytes to wait for. */
	if (rx->stream && rx->length == 0)
		rx->msgs = rx->number;
}

bool
rx_done(const struct rx *rx)
{
	return rx->msgs >= rx->number;
}

bool
rx_timed_end(const struct rx *rx)
{
	return rx->timed && rx->in_msg == 0 && rx->prefix_have == 0;
}

uint32_t
session_messages(const struct session *s)
{
	return (s->flags & TTCP_FLAG_TIMED) ? UINT32_MAX : s->number;
}

uint64_t
rx_want(const struct rx *rx)
{
	if (rx_done(rx))
		return 0;
	if (rx->stream)
		return (uint64_t)rx->number * rx->length - rx->bytes;
	return (uint64_t)(4 - rx->prefix_have) + rx->length - rx->in_msg;
}

void
rx_progress(const struct rx *rx, char *buf, size_t len)
{
	if (rx->stream) {
		snprintf(buf, len, "after %" PRIu64 " of %" PRIu64
		    " payload bytes", rx->bytes,
		    (uint64_t)rx->number * rx->length);
		return;
	}
	if (rx->prefix_have < 4 && rx->in_msg == 0)
		snprintf(buf, len, "after %u of 4 length bytes of message "
		    "%" PRIu64 " of %" PRIu32 " (%" PRIu64
		    " payload bytes in all)", rx->prefix_have, rx->msgs + 1,
		    rx->number, rx->bytes);
	else
		snprintf(buf, len, "after %" PRIu32 " of %" PRIu32
		    " bytes of message %" PRIu64 " of %" PRIu32 " (%" PRIu64
		    " payload bytes in all)", rx->in_msg, rx->length,
		    rx->msgs + 1, rx->number, rx->bytes);
}

/* Check and count n payload bytes of the current message. */
static int
rx_payload(struct rx *rx, const uint8_t *p, size_t n, char *errbuf)
{
	if (rx->verify) {
		size_t bad = pattern_mismatch(p, n, rx->in_msg);

		if (bad < n) {
			uint64_t at = (uint64_t)rx->in_msg + bad;

			errbuf_set(errbuf, "verify: message %" PRIu64
			    " offset %" PRIu64 ": got 0x%02x, expected 0x%02x",
			    rx->msgs + 1, at, p[bad],
			    (unsigned)hex_digits[at % 16]);
			return -1;
		}
	}
	rx->in_msg += (uint32_t)n;
	rx->bytes += n;
	return 0;
}

/*
 * Stream mode: the payload is the messages back to back without prefixes,
 * so the pattern restarts every length bytes.
 */
static enum rx_status
rx_feed_stream(struct rx *rx, const uint8_t *p, size_t len, size_t *used,
    char *errbuf)
{
	size_t off = 0;

	while (off < len && !rx_done(rx)) {
		size_t n = rx->length - rx->in_msg;

		if (n > len - off)
			n = len - off;
		if (rx_payload(rx, p + off, n, errbuf) != 0) {
			*used = off;
			return RX_ERROR;
		}
		off += n;
		if (rx->in_msg == rx->length) {
			rx->in_msg = 0;
			rx->msgs++;
		}
	}
	*used = off;
	return rx_done(rx) ? RX_DONE : RX_MORE;
}

enum rx_status
rx_feed(struct rx *rx, const uint8_t *p, size_t len, size_t *used,
    char *errbuf)
{
	size_t off = 0;

	if (rx->stream)
		return rx_feed_stream(rx, p, len, used, errbuf);
	while (!rx_done(rx)) {
		if (rx->prefix_have < 4) {
			if (off == len)
				break;
			rx->prefix[rx->prefix_have++] = p[off++];
			if (rx->prefix_have < 4)
				continue;
			uint32_t l = frame_get_be32(rx->prefix);
			if (l != rx->length) {
				*used = off;
				errbuf_set(errbuf, "message %" PRIu64
				    ": length %" PRId32 " differs from the "
				    "session's %" PRIu32, rx->msgs + 1,
				    (int32_t)l, rx->length);
				return RX_ERROR;
			}
		}
		size_t n = rx->length - rx->in_msg;
		if (n > len - off)
			n = len - off;
		if (n > 0 && rx_payload(rx, p + off, n, errbuf) != 0) {
			*used = off;
			return RX_ERROR;
		}
		off += n;
		if (rx->in_msg < rx->length)
			break;
		rx->in_msg = 0;
		rx->prefix_have = 0;
		rx->msgs++;
		*used = off;
		return RX_MESSAGE;
	}
	*used = off;
	return RX_MORE;
}
