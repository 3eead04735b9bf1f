/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for ttcp's wire protocol: headers, framing, acks, receiver. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <string.h>

#include "ttcp.h"

/* Decode exactly what have bytes of raw give, with a fresh errbuf. */
static int
decode(const uint8_t *raw, size_t have, struct session *s, size_t *need,
    char *eb)
{
	memset(eb, 0, ERRBUF_LEN);
	*need = 12345;
	return session_decode(raw, have, s, need, eb);
}

static void
put_words(uint8_t *out, const uint32_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		frame_put_be32(out + 4 * i, w[i]);
}

/* muduo's plain header: count then length, 8 bytes, nothing before. */
static void
test_encode_plain(void **state)
{
	struct session s = { .number = 8192, .length = 65536, .parallel = 1 };
	uint8_t out[TTCP_HDR_MAX];

	memset(out, 0xee, sizeof(out));
	assert_int_equal(session_encode(&s, out), 8);
	assert_memory_equal(out, "\x00\x00\x20\x00\x00\x01\x00\x00", 8);
	/* Nothing past the header is written. */
	assert_int_equal(out[8], 0xee);
}

static void
test_encode_extended(void **state)
{
	struct session s = {
		.extended = true, .flags = TTCP_FLAG_STREAM | TTCP_FLAG_VERIFY,
		.group = 0xdeadbeef, .parallel = 3, .number = 2, .length = 5,
	};
	uint8_t out[TTCP_HDR_MAX];

	assert_int_equal(session_encode(&s, out), 24);
	assert_memory_equal(out,
	    "\x80\x00\x00\x00" "\x00\x00\x00\x05" "\xde\xad\xbe\xef"
	    "\x00\x00\x00\x03" "\x00\x00\x00\x02" "\x00\x00\x00\x05", 24);
}

static void
assert_session_equal(const struct session *a, const struct session *b)
{
	assert_int_equal(a->extended, b->extended);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->group, b->group);
	assert_int_equal(a->parallel, b->parallel);
	assert_int_equal(a->number, b->number);
	assert_int_equal(a->length, b->length);
}

static void
test_round_trip(void **state)
{
	static const struct session cases[] = {
		{ .parallel = 1, .number = 0, .length = 0 },
		{ .parallel = 1, .number = 1, .length = 1 },
		{ .parallel = 1, .number = 0x7fffffff,
		    .length = TTCP_MAX_LEN },
		{ .extended = true, .flags = TTCP_FLAG_REVERSE, .group = 1,
		    .parallel = 1, .number = 10, .length = 1024 },
		{ .extended = true, .flags = TTCP_FLAGS_KNOWN,
		    .group = 0xffffffff, .parallel = TTCP_MAX_PARALLEL,
		    .number = 0x7fffffff, .length = TTCP_MAX_LEN },
		{ .extended = true, .flags = 0, .group = 0, .parallel = 2,
		    .number = 0, .length = 0 },
	};
	uint8_t raw[TTCP_HDR_MAX + 4];
	char eb[ERRBUF_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct session got;
		size_t need, len = session_encode(&cases[i], raw);

		assert_int_equal(decode(raw, len, &got, &need, eb), 1);
		assert_int_equal(need, len);
		assert_session_equal(&got, &cases[i]);
		assert_string_equal(eb, "");
		/* Payload after the header is not the header's business. */
		memset(raw + len, 0x41, 4);
		assert_int_equal(decode(raw, len + 4, &got, &need, eb), 1);
		assert_int_equal(need, len);
		assert_session_equal(&got, &cases[i]);
	}
}

/*
 * Every short read of s's len-byte header decides nothing and says
 * nothing; it needs 8 bytes until the first word (the marker, if any) is
 * in, then all len.
 */
static void
check_short_reads(const struct session *s, size_t len)
{
	uint8_t raw[TTCP_HDR_MAX];
	char eb[ERRBUF_LEN];
	size_t need;

	assert_int_equal(session_encode(s, raw), len);
	for (size_t have = 0; have < len; have++) {
		struct session got;

		assert_int_equal(decode(raw, have, &got, &need, eb), 0);
		assert_int_equal(need, have < 4 ? TTCP_HDR_LEN : len);
		assert_string_equal(eb, "");
	}
}

/* Every short read of a plain header: need 8, nothing decided. */
static void
test_short_plain(void **state)
{
	struct session s = { .parallel = 1, .number = 3, .length = 4 };

	check_short_reads(&s, TTCP_HDR_LEN);
}

/* Once the marker is in, the header is 24 bytes; before, 8 is the guess. */
static void
test_short_extended(void **state)
{
	struct session s = { .extended = true, .parallel = 4, .group = 7,
	    .number = 3, .length = 4 };

	check_short_reads(&s, TTCP_HDR_MAX);
}

/* A reader that reads need - have each time gets the whole header. */
static void
test_incremental_reads(void **state)
{
	struct session s = { .extended = true, .flags = TTCP_FLAG_STREAM,
	    .group = 0x01020304, .parallel = 2, .number = 9, .length = 100 };
	uint8_t raw[TTCP_HDR_MAX];
	char eb[ERRBUF_LEN];
	size_t have = 0, need = 0, reads = 0;
	struct session got;
	int rc;

	session_encode(&s, raw);
	while ((rc = decode(raw, have, &got, &need, eb)) == 0) {
		assert_true(need > have);
		have = need;
		reads++;
	}
	assert_int_equal(rc, 1);
	assert_int_equal(reads, 2);	/* 8 bytes, then the other 16 */
	assert_int_equal(have, TTCP_HDR_MAX);
	assert_session_equal(&got, &s);
}

struct bad_header {
	uint32_t w[6];
	size_t len;
	const char *error;
};

static void
test_hostile_headers(void **state)
{
	static const struct bad_header cases[] = {
		{ { 0xffffffff, 4 }, 8, "negative message count -1" },
		{ { 0xfffffffe, 4 }, 8, "negative message count -2" },
		{ { 1, 0x80000000 }, 8,
		    "negative message length -2147483648" },
		{ { 1, 0xffffffff }, 8, "negative message length -1" },
		/* The count is checked first. */
		{ { 0x80000001, 0xffffffff }, 8,
		    "negative message count -2147483647" },
		{ { 1, TTCP_MAX_LEN + 1 }, 8,
		    "message length 67108865 above the maximum 67108864" },
		{ { 1, 0x7fffffff }, 8,
		    "message length 2147483647 above the maximum 67108864" },
		{ { TTCP_EXT_MARKER, 0x10, 1, 1, 1, 1 }, 24,
		    "unknown session flags 0x10" },
		{ { TTCP_EXT_MARKER, 0xffffffff, 1, 1, 1, 1 }, 24,
		    "unknown session flags 0xfffffff0" },
		{ { TTCP_EXT_MARKER, 0, 1, 0, 1, 1 }, 24,
		    "parallel count 0 out of range 1..128" },
		{ { TTCP_EXT_MARKER, 0, 1, 129, 1, 1 }, 24,
		    "parallel count 129 out of range 1..128" },
		{ { TTCP_EXT_MARKER, 0, 1, 0xffffffff, 1, 1 }, 24,
		    "parallel count 4294967295 out of range 1..128" },
		/* Flags are checked before the parallel count. */
		{ { TTCP_EXT_MARKER, 0x20, 1, 0, 1, 1 }, 24,
		    "unknown session flags 0x20" },
		{ { TTCP_EXT_MARKER, 0, 1, 2, 0xffffffff, 1 }, 24,
		    "negative message count -1" },
		{ { TTCP_EXT_MARKER, 0, 1, 2, 1, 0x80000000 }, 24,
		    "negative message length -2147483648" },
		{ { TTCP_EXT_MARKER, 1, 1, 2, 1, TTCP_MAX_LEN + 1 }, 24,
		    "message length 67108865 above the maximum 67108864" },
		/* A second marker where the counts go is a negative count. */
		{ { TTCP_EXT_MARKER, 0, 1, 1, TTCP_EXT_MARKER, 1 }, 24,
		    "negative message count -2147483648" },
	};
	uint8_t raw[TTCP_HDR_MAX + 8];
	char eb[ERRBUF_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct session got;
		size_t need;

		put_words(raw, cases[i].w, 6);
		assert_int_equal(decode(raw, cases[i].len, &got, &need, eb),
		    -1);
		assert_string_equal(eb, cases[i].error);
		assert_int_equal(need, cases[i].len);
		/* A refused header is refused whatever follows it. */
		assert_int_equal(decode(raw, sizeof(raw), &got, &need, eb),
		    -1);
		assert_string_equal(eb, cases[i].error);
	}
}

/* The limits themselves are allowed. */
static void
test_limits_allowed(void **state)
{
	static const uint32_t plain[] = { 0x7fffffff, TTCP_MAX_LEN };
	static const uint32_t ext[] = { TTCP_EXT_MARKER, TTCP_FLAGS_KNOWN,
	    0, TTCP_MAX_PARALLEL, 0, 0 };
	static const uint32_t ext_one[] = { TTCP_EXT_MARKER, 0, 0, 1, 0, 0 };
	uint8_t raw[TTCP_HDR_MAX];
	char eb[ERRBUF_LEN];
	struct session got;
	size_t need;

	put_words(raw, plain, 2);
	assert_int_equal(decode(raw, 8, &got, &need, eb), 1);
	assert_false(got.extended);
	assert_int_equal(got.parallel, 1);
	assert_int_equal(got.number, 0x7fffffff);
	assert_int_equal(got.length, TTCP_MAX_LEN);
	put_words(raw, ext, 6);
	assert_int_equal(decode(raw, 24, &got, &need, eb), 1);
	assert_true(got.extended);
	assert_int_equal(got.flags, TTCP_FLAGS_KNOWN);
	assert_int_equal(got.parallel, TTCP_MAX_PARALLEL);
	put_words(raw, ext_one, 6);
	assert_int_equal(decode(raw, 24, &got, &need, eb), 1);
	assert_int_equal(got.parallel, 1);
}

static void
test_hex_pattern(void **state)
{
	uint8_t p[40];

	memset(p, 0, sizeof(p));
	hex_pattern_fill(p, 35);
	assert_memory_equal(p, "0123456789ABCDEF0123456789ABCDEF012", 35);
	assert_int_equal(p[35], 0);
	hex_pattern_fill(p, 0);
	assert_int_equal(p[0], '0');
}

/* An ack is the message length echoed back, 4 bytes big-endian. */
static void
test_ack(void **state)
{
	static const struct {
		uint32_t sent;
		const char *error;
	} wrong[] = {
		{ 1023, "ack 3: peer acknowledged 1023, expected 1024" },
		{ 0, "ack 3: peer acknowledged 0, expected 1024" },
		{ 0xffffffff, "ack 3: peer acknowledged -1, expected 1024" },
		{ 0x80000000,
		    "ack 3: peer acknowledged -2147483648, expected 1024" },
	};
	uint8_t ack[TTCP_ACK_LEN];
	char eb[ERRBUF_LEN] = "";

	ack_put(ack, 1024);
	assert_memory_equal(ack, "\x00\x00\x04\x00", TTCP_ACK_LEN);
	assert_int_equal(ack_check(ack, 1024, 1, eb), 0);
	assert_string_equal(eb, "");
	ack_put(ack, 0);
	assert_int_equal(ack_check(ack, 0, 1, eb), 0);
	ack_put(ack, TTCP_MAX_LEN);
	assert_int_equal(ack_check(ack, TTCP_MAX_LEN, 4000000000u, eb), 0);
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		frame_put_be32(ack, wrong[i].sent);
		assert_int_equal(ack_check(ack, 1024, 3, eb), -1);
		assert_string_equal(eb, wrong[i].error);
	}
	/* msg is 64-bit (the epoll model counts in uint64_t): printed whole. */
	ack_put(ack, 1);
	assert_int_equal(ack_check(ack, 2, 5000000000u, eb), -1);
	assert_string_equal(eb,
	    "ack 5000000000: peer acknowledged 1, expected 2");
}

/* One ack-mode message on the wire: 4-byte length, then the payload. */
static size_t
ack_message(uint8_t *out, uint32_t len)
{
	frame_put_be32(out, len);
	hex_pattern_fill(out + 4, len);
	return 4 + (size_t)len;
}

static void
rx_setup(struct rx *rx, bool stream, uint32_t number, uint32_t length,
    bool verify)
{
	struct session s = { .parallel = 1, .number = number,
	    .length = length };

	if (stream)
		s.flags = TTCP_FLAG_STREAM;
	rx_init(rx, &s, verify);
}

/* Ack mode in one piece: a message, then RX_MESSAGE (send the ack). */
static void
test_rx_ack_whole(void **state)
{
	uint8_t wire[3 * (4 + 10)];
	size_t len = 0, off = 0, used;
	char eb[ERRBUF_LEN];
	struct rx rx;

	for (int i = 0; i < 3; i++)
		len += ack_message(wire + len, 10);
	rx_setup(&rx, false, 3, 10, true);
	assert_int_equal(rx_want(&rx), 14);
	for (int i = 1; i <= 3; i++) {
		assert_false(rx_done(&rx));
		assert_int_equal(rx_feed(&rx, wire + off, len - off, &used,
		    eb), RX_MESSAGE);
		/* One message at a time, so each gets its ack. */
		assert_int_equal(used, 14);
		off += used;
		assert_int_equal(rx.msgs, (uint64_t)i);
		assert_int_equal(rx.bytes, (uint64_t)i * 10);
	}
	assert_true(rx_done(&rx));
	assert_int_equal(rx_want(&rx), 0);
	/* Bytes after the last message are not consumed. */
	assert_int_equal(rx_feed(&rx, wire, 4, &used, eb), RX_MORE);
	assert_int_equal(used, 0);
}

/* Byte by byte: the same messages, RX_MESSAGE on each last byte. */
static void
test_rx_ack_bytewise(void **state)
{
	uint8_t wire[2 * (4 + 20)];
	size_t len = 0, used;
	char eb[ERRBUF_LEN], where[160];
	int messages = 0;
	struct rx rx;

	len += ack_message(wire, 20);
	len += ack_message(wire + len, 20);
	rx_setup(&rx, false, 2, 20, true);
	for (size_t i = 0; i < len; i++) {
		enum rx_status st = rx_feed(&rx, wire + i, 1, &used, eb);

		assert_int_equal(used, 1);
		if (i == 23 || i == 47) {
			assert_int_equal(st, RX_MESSAGE);
			messages++;
		} else {
			assert_int_equal(st, RX_MORE);
		}
		if (i == 1) {
			assert_int_equal(rx_want(&rx), 22);
			rx_progress(&rx, where, sizeof(where));
			assert_string_equal(where, "after 2 of 4 length bytes "
			    "of message 1 of 2 (0 payload bytes in all)");
		}
		if (i == 30) {
			assert_int_equal(rx_want(&rx), 17);
			rx_progress(&rx, where, sizeof(where));
			assert_string_equal(where, "after 3 of 20 bytes of "
			    "message 2 of 2 (23 payload bytes in all)");
		}
	}
	assert_int_equal(messages, 2);
	assert_true(rx_done(&rx));
}

/* A length prefix that is not the session's is refused at once. */
static void
test_rx_ack_wrong_length(void **state)
{
	static const struct {
		uint32_t prefix;
		const char *error;
	} cases[] = {
		{ 9, "message 2: length 9 differs from the session's 10" },
		{ 11, "message 2: length 11 differs from the session's 10" },
		{ 0, "message 2: length 0 differs from the session's 10" },
		{ 0xffffffff,
		    "message 2: length -1 differs from the session's 10" },
		{ 0x80000000, "message 2: length -2147483648 differs from "
		    "the session's 10" },
	};
	char eb[ERRBUF_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t wire[2 * 14];
		size_t used, len = ack_message(wire, 10);
		struct rx rx;

		frame_put_be32(wire + len, cases[i].prefix);
		rx_setup(&rx, false, 5, 10, false);
		assert_int_equal(rx_feed(&rx, wire, len + 4, &used, eb),
		    RX_MESSAGE);
		assert_int_equal(rx_feed(&rx, wire + used, 4, &used, eb),
		    RX_ERROR);
		assert_int_equal(used, 4);
		assert_string_equal(eb, cases[i].error);
	}
}

static void
test_rx_verify(void **state)
{
	uint8_t wire[2 * 24];
	size_t len, used;
	char eb[ERRBUF_LEN];
	struct rx rx;

	len = ack_message(wire, 20);
	len += ack_message(wire + len, 20);
	wire[24 + 4 + 17] = 'X';	/* message 2, offset 17 */
	rx_setup(&rx, false, 2, 20, true);
	assert_int_equal(rx_feed(&rx, wire, len, &used, eb), RX_MESSAGE);
	assert_int_equal(rx_feed(&rx, wire + 24, 24, &used, eb), RX_ERROR);
	assert_string_equal(eb,
	    "verify: message 2 offset 17: got 0x58, expected 0x31");
	/* Without --verify the payload is only counted. */
	rx_setup(&rx, false, 2, 20, false);
	assert_int_equal(rx_feed(&rx, wire, len, &used, eb), RX_MESSAGE);
	assert_int_equal(rx_feed(&rx, wire + 24, 24, &used, eb), RX_MESSAGE);
	assert_true(rx_done(&rx));
}

/* Stream mode: no prefixes, the pattern restarts every length bytes. */
static void
test_rx_stream(void **state)
{
	uint8_t wire[4 * 6 + 3];
	size_t used;
	char eb[ERRBUF_LEN], where[160];
	struct rx rx;

	for (int i = 0; i < 4; i++)
		hex_pattern_fill(wire + 6 * i, 6);
	memcpy(wire + 24, "zzz", 3);
	rx_setup(&rx, true, 4, 6, true);
	assert_int_equal(rx_want(&rx), 24);
	assert_int_equal(rx_feed(&rx, wire, 10, &used, eb), RX_MORE);
	assert_int_equal(used, 10);
	assert_int_equal(rx.msgs, 1);
	rx_progress(&rx, where, sizeof(where));
	assert_string_equal(where, "after 10 of 24 payload bytes");
	assert_int_equal(rx_want(&rx), 14);
	/* The rest and 3 bytes too many: the extra ones are left. */
	assert_int_equal(rx_feed(&rx, wire + 10, 17, &used, eb), RX_DONE);
	assert_int_equal(used, 14);
	assert_true(rx_done(&rx));
	assert_int_equal(rx.bytes, 24);

	/* A byte out of phase in message 3 (offset 2). */
	wire[14] = '7';
	rx_setup(&rx, true, 4, 6, true);
	assert_int_equal(rx_feed(&rx, wire, 24, &used, eb), RX_ERROR);
	assert_int_equal(used, 12);
	assert_string_equal(eb,
	    "verify: message 3 offset 2: got 0x37, expected 0x32");
}

/* Empty messages: nothing to wait for in stream mode; prefixes in ack. */
static void
test_rx_empty_messages(void **state)
{
	uint8_t wire[8];
	size_t used;
	char eb[ERRBUF_LEN];
	struct rx rx;

	rx_setup(&rx, true, 5, 0, true);
	assert_true(rx_done(&rx));
	assert_int_equal(rx_want(&rx), 0);
	rx_setup(&rx, false, 2, 0, true);
	assert_int_equal(rx_want(&rx), 4);
	memset(wire, 0, sizeof(wire));
	assert_int_equal(rx_feed(&rx, wire, 8, &used, eb), RX_MESSAGE);
	assert_int_equal(used, 4);
	assert_int_equal(rx_feed(&rx, wire + 4, 4, &used, eb), RX_MESSAGE);
	assert_true(rx_done(&rx));
	/* No messages at all: done before any byte. */
	rx_setup(&rx, false, 0, 10, true);
	assert_true(rx_done(&rx));
}

/* Large lengths: the whole message need not be offered at once. */
static void
test_rx_large_message(void **state)
{
	static uint8_t payload[TTCP_MAX_LEN / 64];
	uint8_t prefix[4];
	uint32_t length = 3 * (uint32_t)sizeof(payload);
	size_t used;
	char eb[ERRBUF_LEN];
	struct rx rx;

	hex_pattern_fill(payload, sizeof(payload));
	frame_put_be32(prefix, length);
	rx_setup(&rx, false, 1, length, true);
	assert_int_equal(rx_feed(&rx, prefix, 4, &used, eb), RX_MORE);
	/* sizeof(payload) is a multiple of 16: each chunk is in phase. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(rx_feed(&rx, payload, sizeof(payload), &used,
		    eb), RX_MORE);
		assert_int_equal(used, sizeof(payload));
	}
	assert_int_equal(rx_want(&rx), sizeof(payload));
	assert_int_equal(rx_feed(&rx, payload, sizeof(payload), &used, eb),
	    RX_MESSAGE);
	assert_true(rx_done(&rx));
	assert_int_equal(rx.bytes, length);
}

/* --time: any number of messages, ending only between two of them. */
static void
test_rx_timed(void **state)
{
	static const uint8_t prefix[4] = { 0, 0, 0, 10 };
	struct session s = { .extended = true, .parallel = 1,
	    .flags = TTCP_FLAG_STREAM | TTCP_FLAG_TIMED, .number = 500,
	    .length = 10 };
	uint8_t buf[30];
	char eb[ERRBUF_LEN];
	struct rx rx;
	size_t used;

	assert_int_equal(session_messages(&s), UINT32_MAX);
	hex_pattern_fill(buf, 10);
	memcpy(buf + 10, buf, 10);
	memcpy(buf + 20, buf, 10);
	rx_init(&rx, &s, true);
	assert_true(rx_timed_end(&rx));
	assert_int_equal(rx_feed(&rx, buf, 25, &used, eb), RX_MORE);
	assert_int_equal(used, 25);
	assert_false(rx_timed_end(&rx));
	assert_int_equal(rx_feed(&rx, buf + 25, 5, &used, eb), RX_MORE);
	assert_true(rx_timed_end(&rx));
	assert_false(rx_done(&rx));
	assert_int_equal(rx.msgs, 3);
	/* Ack mode: a length prefix alone is not a boundary. */
	s.flags = TTCP_FLAG_TIMED;
	rx_init(&rx, &s, false);
	assert_int_equal(rx_feed(&rx, prefix, 2, &used, eb), RX_MORE);
	assert_false(rx_timed_end(&rx));
	/* Without the flag a session is never over before its count. */
	s.flags = TTCP_FLAG_STREAM;
	assert_int_equal(session_messages(&s), 500);
	rx_init(&rx, &s, false);
	assert_false(rx_timed_end(&rx));
}

TEST_MAIN(
	cmocka_unit_test(test_encode_plain),
	cmocka_unit_test(test_encode_extended),
	cmocka_unit_test(test_round_trip),
	cmocka_unit_test(test_short_plain),
	cmocka_unit_test(test_short_extended),
	cmocka_unit_test(test_incremental_reads),
	cmocka_unit_test(test_hostile_headers),
	cmocka_unit_test(test_limits_allowed),
	cmocka_unit_test(test_hex_pattern),
	cmocka_unit_test(test_ack),
	cmocka_unit_test(test_rx_ack_whole),
	cmocka_unit_test(test_rx_ack_bytewise),
	cmocka_unit_test(test_rx_ack_wrong_length),
	cmocka_unit_test(test_rx_verify),
	cmocka_unit_test(test_rx_stream),
	cmocka_unit_test(test_rx_empty_messages),
	cmocka_unit_test(test_rx_large_message),
	cmocka_unit_test(test_rx_timed),
)
