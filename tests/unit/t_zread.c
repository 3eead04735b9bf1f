/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for zread: each format by magic, concatenation, bad streams. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <bzlib.h>
#include <errno.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "errbuf.h"
#include "zread.h"

/* More than zread's 128 KiB input buffer, compressible but not trivial. */
#define PLAIN_LEN	(400 * 1000)

static unsigned char *plain;

/* Compressed bytes, malloc'd. */
struct blob {
	unsigned char *p;
	size_t n;
};

static struct blob
compress_as(enum zread_kind k, const unsigned char *in, size_t n)
{
	struct blob b = { NULL, 0 };
	size_t cap = n + n / 2 + 65536;

	b.p = malloc(cap);
	assert_non_null(b.p);
	switch (k) {
	case ZREAD_GZIP: {
		z_stream s;

		memset(&s, 0, sizeof(s));
		assert_int_equal(deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8,
		    Z_DEFAULT_STRATEGY), Z_OK);
		s.next_in = (Bytef *)(uintptr_t)in;
		s.avail_in = (uInt)n;
		s.next_out = b.p;
		s.avail_out = (uInt)cap;
		assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
		b.n = cap - s.avail_out;
		deflateEnd(&s);
		break;
	}
	case ZREAD_ZSTD: {
		/* with a checksum, as zstd(1) writes by default */
		ZSTD_CCtx *c = ZSTD_createCCtx();

		assert_non_null(c);
		ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
		b.n = ZSTD_compress2(c, b.p, cap, in, n);
		assert_false(ZSTD_isError(b.n));
		ZSTD_freeCCtx(c);
		break;
	}
	case ZREAD_XZ:
		assert_int_equal(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC64,
		    NULL, in, n, b.p, &b.n, cap), LZMA_OK);
		break;
	case ZREAD_BZIP2: {
		unsigned int out = (unsigned int)cap;

		assert_int_equal(BZ2_bzBuffToBuffCompress((char *)b.p, &out,
		    (char *)(uintptr_t)in, (unsigned int)n, 1, 0, 0), BZ_OK);
		b.n = out;
		break;
	}
	case ZREAD_PLAIN:
		memcpy(b.p, in, n);
		b.n = n;
		break;
	}
	return b;
}

/* The bytes in a scratch file; returns its path (static storage). */
static const char *
scratch(const void *p, size_t n)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/t_zread.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
	return path;
}

/* Read path whole through zread; *err gets zread_error() when it broke. */
static unsigned char *
read_all(const char *path, enum zread_kind want, size_t *len, bool *broke,
    char *err, size_t errlen)
{
	char ebuf[ERRBUF_LEN];
	struct zread *z = zread_open(path, ebuf);
	size_t cap = PLAIN_LEN * 2 + 1, n = 0, got;
	unsigned char *out = malloc(cap);
	FILE *fp;

	assert_non_null(z);
	assert_non_null(out);
	assert_int_equal(zread_kind(z), want);
	fp = zread_take(z);
	/* odd-sized reads, as libpcap's record by record */
	while (n < cap && (got = fread(out + n, 1, cap - n < 4093 ?
	    cap - n : 4093, fp)) > 0)
		n += got;
	*broke = ferror(fp) != 0;
	snprintf(err, errlen, "%s", zread_error(z));
	fclose(fp);
	zread_free(z);
	*len = n;
	return out;
}

static void
check_format(enum zread_kind k)
{
	struct blob b = compress_as(k, plain, PLAIN_LEN);
	const char *path = scratch(b.p, b.n);
	char err[128];
	size_t n;
	bool broke;
	unsigned char *out = read_all(path, k, &n, &broke, err, sizeof(err));

	assert_false(broke);
	assert_string_equal(err, "");
	assert_int_equal(n, PLAIN_LEN);
	assert_memory_equal(out, plain, PLAIN_LEN);
	free(out);
	unlink(path);

	/* two streams back to back (cat a.gz b.gz) read as one */
	{
		unsigned char *two = malloc(b.n * 2);

		assert_non_null(two);
		memcpy(two, b.p, b.n);
		memcpy(two + b.n, b.p, b.n);
		path = scratch(two, b.n * 2);
		out = read_all(path, k, &n, &broke, err, sizeof(err));
		assert_false(broke);
		assert_int_equal(n, 2 * PLAIN_LEN);
		assert_memory_equal(out, plain, PLAIN_LEN);
		assert_memory_equal(out + PLAIN_LEN, plain, PLAIN_LEN);
		free(out);
		free(two);
		unlink(path);
	}
	free(b.p);
}

/*
 * A damaged copy: the first len bytes, or (flip) the whole stream with 16
 * bytes flipped a third of the way in. Either breaks the read with one
 * line: "truncated X stream" (and what came before is exact), or
 * "corrupt X data (why)".
 */
static void
check_bad(const struct blob *b, enum zread_kind k, size_t len, bool flip)
{
	unsigned char *copy = malloc(b->n);
	char err[128], want[64];
	size_t n, i;
	bool broke;
	unsigned char *out;
	const char *path;

	assert_non_null(copy);
	memcpy(copy, b->p, b->n);
	for (i = b->n / 3; flip && i < b->n / 3 + 16; i++)
		copy[i] ^= 0xa5;
	path = scratch(copy, len);
	out = read_all(path, k, &n, &broke, err, sizeof(err));
	assert_true(broke);
	snprintf(want, sizeof(want), flip ? "corrupt %s data (" :
	    "truncated %s stream", zread_kind_name(k));
	assert_memory_equal(err, want, strlen(want) + !flip);
	assert_null(strchr(err, '\n'));
	/* a cut stream gives exactly what came before the cut */
	if (!flip)
		assert_memory_equal(out, plain, n);
	/* (gzip and bzip2 may only know at a block's or the end's CRC) */
	free(out);
	free(copy);
	unlink(path);
}

static void
check_broken(enum zread_kind k)
{
	struct blob b = compress_as(k, plain, PLAIN_LEN);

	check_bad(&b, k, b.n / 2, false);	/* in the middle */
	check_bad(&b, k, b.n - 4, false);	/* in the trailer */
	check_bad(&b, k, b.n, true);
	free(b.p);
}

static void
test_gzip(void **state)
{
	(void)state;
	check_format(ZREAD_GZIP);
	check_broken(ZREAD_GZIP);
}

static void
test_zstd(void **state)
{
	(void)state;
	check_format(ZREAD_ZSTD);
	check_broken(ZREAD_ZSTD);
}

static void
test_xz(void **state)
{
	(void)state;
	check_format(ZREAD_XZ);
	check_broken(ZREAD_XZ);
}

static void
test_bzip2(void **state)
{
	(void)state;
	check_format(ZREAD_BZIP2);
	check_broken(ZREAD_BZIP2);
}

/* A plain file is read as it is, whatever it holds. */
static void
test_plain(void **state)
{
	static const unsigned char almost[] = { 0x1f, 0x8c, 'h', 'i' };
	char err[128];
	size_t n;
	bool broke;
	const char *path;
	unsigned char *out;

	(void)state;
	check_format(ZREAD_PLAIN);
	path = scratch(almost, sizeof(almost));
	out = read_all(path, ZREAD_PLAIN, &n, &broke, err, sizeof(err));
	assert_int_equal(n, sizeof(almost));
	assert_memory_equal(out, almost, sizeof(almost));
	free(out);
	unlink(path);
	/* too short for any magic: plain, and read whole */
	path = scratch("\x1f", 1);
	out = read_all(path, ZREAD_PLAIN, &n, &broke, err, sizeof(err));
	assert_int_equal(n, 1);
	free(out);
	unlink(path);
	assert_string_equal(zread_kind_name(ZREAD_PLAIN), "");
}

/* Only the magic: the stream ends before it starts. */
static void
test_magic_only(void **state)
{
	char err[128];
	size_t n;
	bool broke;
	const char *path = scratch("\x28\xb5\x2f\xfd", 4);
	unsigned char *out;

	(void)state;
	out = read_all(path, ZREAD_ZSTD, &n, &broke, err, sizeof(err));
	assert_true(broke);
	assert_string_equal(err, "truncated zstd stream");
	assert_int_equal(n, 0);
	free(out);
	unlink(path);
}

static void
test_missing(void **state)
{
	char ebuf[ERRBUF_LEN];

	(void)state;
	assert_null(zread_open("/nonexistent/x.pcap.gz", ebuf));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(ebuf,
	    "/nonexistent/x.pcap.gz: No such file or directory");
}

/* Standard input that cannot seek: a pipe, compressed or not. */
static void
test_stdin_pipe(void **state)
{
	struct blob b = compress_as(ZREAD_XZ, plain, 5000);
	int kind, saved = dup(0);

	(void)state;
	assert_true(saved >= 0);
	for (kind = 0; kind < 2; kind++) {
		char ebuf[ERRBUF_LEN], out[6000];
		int fds[2];
		struct zread *z;
		size_t n = 0, got;
		FILE *fp;

		assert_int_equal(pipe(fds), 0);
		if (kind == 0)
			assert_int_equal(write(fds[1], plain, 5000), 5000);
		else
			assert_int_equal(write(fds[1], b.p, b.n),
			    (ssize_t)b.n);
		close(fds[1]);
		assert_int_equal(dup2(fds[0], 0), 0);
		close(fds[0]);
		clearerr(stdin);
		z = zread_open("-", ebuf);
		assert_non_null(z);
		assert_int_equal(zread_kind(z), kind ? ZREAD_XZ : ZREAD_PLAIN);
		fp = zread_take(z);
		assert_true(fp != stdin);	/* a pipe cannot rewind */
		while ((got = fread(out + n, 1, 700, fp)) > 0)
			n += got;
		assert_int_equal(n, 5000);
		assert_memory_equal(out, plain, 5000);
		fclose(fp);
		zread_free(z);
	}
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	free(b.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_xz),
		cmocka_unit_test(test_bzip2),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_magic_only),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_stdin_pipe),
	};
	uint32_t x = 2463534242u;
	size_t i;
	int rc;

	/* words from a small vocabulary: compresses, but not to nothing */
	plain = malloc(PLAIN_LEN);
	if (plain == NULL)
		return 1;
	for (i = 0; i < PLAIN_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		plain[i] = (unsigned char)("abcdefgh \n"[x % 10]);
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(plain);
	return rc;
}
