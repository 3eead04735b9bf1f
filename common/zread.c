/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading a file or stdin that may be gzip, zstd, xz or bzip2 compressed. */
#include <bzlib.h>
#include <errno.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>
#include <zstd.h>

#include "errbuf.h"
#include "zread.h"

#define IN_SIZE		(128 * 1024)
#define FILE_BUF	(256 * 1024)	/* each FILE's own buffer */
#define MAGIC_LEN	6

struct zread {
	FILE *src;		/* the bytes as stored */
	FILE *out;		/* what the reader reads */
	bool out_is_src;	/* plain and seekable: no cookie */
	bool taken;		/* zread_take() handed out over */
	bool src_eof;
	bool in_stream;		/* a stream started and has not ended */
	enum zread_kind kind;
	union {
		z_stream gz;
		ZSTD_DStream *zs;
		lzma_stream xz;
		bz_stream bz;
	} d;
	bool d_live;		/* d needs its end function */
	unsigned char *in;
	size_t in_len, in_pos;
	/*
	 * setvbuf() with a NULL buffer keeps glibc's size (the block size,
	 * 4 KiB: a read() per 4 KiB of capture), so the buffers are ours,
	 * freed by zread_free(), after whoever took the stream closed it.
	 */
	char *src_buf, *out_buf;
	char error[128];
};

const char *
zread_kind_name(enum zread_kind k)
{
	static const char *const names[] = {
		[ZREAD_PLAIN] = "", [ZREAD_GZIP] = "gzip",
		[ZREAD_ZSTD] = "zstd", [ZREAD_XZ] = "xz",
		[ZREAD_BZIP2] = "bzip2",
	};

	return (unsigned int)k < sizeof(names) / sizeof(names[0]) ?
	    names[k] : "";
}

static enum zread_kind
magic(const unsigned char *b, size_t n)
{
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return ZREAD_GZIP;
	if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f &&
	    b[3] == 0xfd)
		return ZREAD_ZSTD;
	if (n >= 6 && memcmp(b, "\xfd" "7zXZ\0", 6) == 0)
		return ZREAD_XZ;
	if (n >= 4 && memcmp(b, "BZh", 3) == 0 && b[3] >= '1' && b[3] <= '9')
		return ZREAD_BZIP2;
	return ZREAD_PLAIN;
}

/* ------------------------------------------------------------------ */
/* the decoders: start one stream, run, end */

static void
dec_end(struct zread *z)
{
	if (!z->d_live)
		return;
	switch (z->kind) {
	case ZREAD_GZIP:
		inflateEnd(&z->d.gz);
		break;
	case ZREAD_ZSTD:
		ZSTD_freeDStream(z->d.zs);
		break;
	case ZREAD_XZ:
		lzma_end(&z->d.xz);
		break;
	case ZREAD_BZIP2:
		BZ2_bzDecompressEnd(&z->d.bz);
		break;
	case ZREAD_PLAIN:
		break;
	}
	z->d_live = false;
}

/* Returns 0, or -1 with z->error set. */
static int
dec_start(struct zread *z)
{
	int ok;

	dec_end(z);
	memset(&z->d, 0, sizeof(z->d));
	switch (z->kind) {
	case ZREAD_GZIP:
		ok = inflateInit2(&z->d.gz, 15 + 16) == Z_OK;
		break;
	case ZREAD_ZSTD:
		z->d.zs = ZSTD_createDStream();
		ok = z->d.zs != NULL;
		break;
	case ZREAD_XZ: {
		lzma_stream init = LZMA_STREAM_INIT;

		z->d.xz = init;
		ok = lzma_stream_decoder(&z->d.xz, UINT64_MAX,
		    LZMA_CONCATENATED) == LZMA_OK;
		break;
	}
	case ZREAD_BZIP2:
		ok = BZ2_bzDecompressInit(&z->d.bz, 0, 0) == BZ_OK;
		break;
	default:
		ok = 1;
		break;
	}
	if (!ok) {
		snprintf(z->error, sizeof(z->error), "%s decoder: out of"
		    " memory", zread_kind_name(z->kind));
		return -1;
	}
	z->d_live = true;
	return 0;
}

/* What one decoder step did. */
enum step {
	STEP_MORE,		/* consumed or produced, stream goes on */
	STEP_END,		/* the stream (member, frame) ended */
	STEP_BAD		/* z->error says why */
};

static void
bad(struct zread *z, const char *why)
{
	snprintf(z->error, sizeof(z->error), "corrupt %s data (%s)",
	    zread_kind_name(z->kind), why);
}

/*
 * Decode from z->in[in_pos..in_len) into out; *made gets the bytes
 * written. finish: no more input will come.
 */
static enum step
dec_step(struct zread *z, char *out, size_t len, size_t *made, bool finish)
{
	const unsigned char *ip = z->in + z->in_pos;
	size_t avail = z->in_len - z->in_pos, used = 0;

	*made = 0;
	switch (z->kind) {
	case ZREAD_GZIP: {
		z_stream *s = &z->d.gz;
		uInt ia = avail > UINT32_MAX ? UINT32_MAX : (uInt)avail;
		uInt oa = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
		int rc;

		s->next_in = (Bytef *)(uintptr_t)ip;
		s->avail_in = ia;
		s->next_out = (Bytef *)out;
		s->avail_out = oa;
		rc = inflate(s, Z_NO_FLUSH);
		used = ia - s->avail_in;
		*made = oa - s->avail_out;
		z->in_pos += used;
		if (rc == Z_STREAM_END)
			return STEP_END;
		if (rc == Z_OK || rc == Z_BUF_ERROR)
			return STEP_MORE;	/* no progress: caller decides */
		bad(z, s->msg ? s->msg : zError(rc));
		return STEP_BAD;
	}
	case ZREAD_ZSTD: {
		ZSTD_inBuffer ib = { ip, avail, 0 };
		ZSTD_outBuffer ob = { out, len, 0 };
		size_t rc = ZSTD_decompressStream(z->d.zs, &ob, &ib);

		z->in_pos += ib.pos;
		*made = ob.pos;
		if (ZSTD_isError(rc)) {
			bad(z, ZSTD_getErrorName(rc));
			return STEP_BAD;
		}
		/* 0: a frame is complete and flushed */
		return rc == 0 ? STEP_END : STEP_MORE;
	}
	case ZREAD_XZ: {
		lzma_stream *s = &z->d.xz;
		lzma_ret rc;

		s->next_in = ip;
		s->avail_in = avail;
		s->next_out = (uint8_t *)out;
		s->avail_out = len;
		rc = lzma_code(s, finish ? LZMA_FINISH : LZMA_RUN);
		z->in_pos += avail - s->avail_in;
		*made = len - s->avail_out;
		if (rc == LZMA_STREAM_END)
			return STEP_END;
		if (rc == LZMA_OK)
			return STEP_MORE;
		if (rc == LZMA_BUF_ERROR && finish) {
			snprintf(z->error, sizeof(z->error), "truncated xz"
			    " stream");
			return STEP_BAD;
		}
		if (rc == LZMA_BUF_ERROR)
			return STEP_MORE;
		bad(z, rc == LZMA_DATA_ERROR ? "data error" :
		    rc == LZMA_FORMAT_ERROR ? "not xz" :
		    rc == LZMA_OPTIONS_ERROR ? "unsupported options" :
		    rc == LZMA_MEM_ERROR ? "out of memory" : "decoder error");
		return STEP_BAD;
	}
	case ZREAD_BZIP2: {
		bz_stream *s = &z->d.bz;
		unsigned int ia = avail > UINT32_MAX ? UINT32_MAX :
		    (unsigned int)avail;
		unsigned int oa = len > UINT32_MAX ? UINT32_MAX :
		    (unsigned int)len;
		int rc;

		s->next_in = (char *)(uintptr_t)ip;
		s->avail_in = ia;
		s->next_out = out;
		s->avail_out = oa;
		rc = BZ2_bzDecompress(s);
		z->in_pos += ia - s->avail_in;
		*made = oa - s->avail_out;
		if (rc == BZ_STREAM_END)
			return STEP_END;
		if (rc == BZ_OK)
			return STEP_MORE;
		bad(z, rc == BZ_DATA_ERROR ? "data error" :
		    rc == BZ_DATA_ERROR_MAGIC ? "bad magic" :
		    rc == BZ_MEM_ERROR ? "out of memory" : "decoder error");
		return STEP_BAD;
	}
	case ZREAD_PLAIN:
		break;
	}
	return STEP_BAD;
}

/* ------------------------------------------------------------------ */
/* the source */

/* More compressed bytes into z->in. Returns 0, or -1 on a read error. */
static int
refill(struct zread *z)
{
	size_t n;

	if (z->in_pos < z->in_len || z->src_eof)
		return 0;
	n = fread(z->in, 1, IN_SIZE, z->src);
	z->in_pos = 0;
	z->in_len = n;
	if (n == 0) {
		if (ferror(z->src)) {
			snprintf(z->error, sizeof(z->error), "read: %s",
			    strerror(errno));
			return -1;
		}
		z->src_eof = true;
	}
	return 0;
}

static ssize_t
fail_read(void)
{
	errno = EIO;
	return -1;
}

/* The cookie's read: decompressed bytes, 0 at the clean end. */
static ssize_t
cookie_read(void *cookie, char *buf, size_t size)
{
	struct zread *z = cookie;
	size_t made = 0;

	if (z->error[0])
		return fail_read();
	if (z->kind == ZREAD_PLAIN) {
		/* stdin that cannot seek: the peeked bytes, then the rest */
		size_t n = z->in_len - z->in_pos;

		if (n > 0) {
			n = n < size ? n : size;
			memcpy(buf, z->in + z->in_pos, n);
			z->in_pos += n;
			return (ssize_t)n;
		}
		n = fread(buf, 1, size, z->src);
		if (n == 0 && ferror(z->src)) {
			snprintf(z->error, sizeof(z->error), "read: %s",
			    strerror(errno));
			return fail_read();
		}
		return (ssize_t)n;
	}
	while (made == 0) {
		size_t got, before;
		enum step st;
		bool finish;

		if (refill(z) < 0)
			return fail_read();
		finish = z->src_eof && z->in_pos == z->in_len;
		if (!z->in_stream) {
			if (finish)
				return 0;	/* ended between streams */
			/* xz and zstd run concatenated streams themselves */
			if ((z->kind == ZREAD_GZIP || z->kind ==
			    ZREAD_BZIP2 || !z->d_live) && dec_start(z) < 0)
				return fail_read();
			z->in_stream = true;
		}
		before = z->in_pos;
		st = dec_step(z, buf + made, size - made, &got, finish);
		made += got;
		if (st == STEP_BAD)
			return made ? (ssize_t)made : fail_read();
		if (st == STEP_END) {
			z->in_stream = false;
			continue;
		}
		if (got == 0 && z->in_pos == before && finish) {
			snprintf(z->error, sizeof(z->error), "truncated %s"
			    " stream", zread_kind_name(z->kind));
			return fail_read();
		}
		if (got == 0 && z->in_pos == before && z->in_pos < z->in_len) {
			bad(z, "the decoder stalled");
			return fail_read();
		}
	}
	return (ssize_t)made;
}

static int
cookie_close(void *cookie)
{
	(void)cookie;		/* zread_free() frees the state */
	return 0;
}

/* ------------------------------------------------------------------ */

struct zread *
zread_open(const char *path, char *errbuf)
{
	static const cookie_io_functions_t io = {
		.read = cookie_read, .close = cookie_close,
	};
	struct zread *z = calloc(1, sizeof(*z));
	bool is_stdin = strcmp(path, "-") == 0;
	int e;

	if (z == NULL || (z->in = malloc(IN_SIZE)) == NULL) {
		free(z);
		errbuf_set(errbuf, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	z->src = is_stdin ? stdin : fopen(path, "rb");
	if (z->src == NULL)
		goto fail;
	/*
	 * Before the first read; libpcap reads a plain file through it.
	 * Not stdin: it outlives z, and so would its buffer. Without the
	 * memory the stream keeps stdio's own.
	 */
	if (!is_stdin && (z->src_buf = malloc(FILE_BUF)) != NULL)
		setvbuf(z->src, z->src_buf, _IOFBF, FILE_BUF);
	/* the magic, kept in z->in for the decoder */
	while (z->in_len < MAGIC_LEN) {
		size_t n = fread(z->in + z->in_len, 1, MAGIC_LEN - z->in_len,
		    z->src);

		if (n == 0)
			break;
		z->in_len += n;
	}
	if (ferror(z->src))
		goto fail;
	z->src_eof = feof(z->src);
	z->kind = magic(z->in, z->in_len);
	if (z->kind == ZREAD_PLAIN && fseeko(z->src, 0, SEEK_SET) == 0) {
		z->out = z->src;	/* libpcap reads it directly */
		z->out_is_src = true;
		z->in_len = 0;
		z->src_eof = false;
		clearerr(z->src);
		return z;
	}
	if ((z->out_buf = malloc(FILE_BUF)) == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	z->out = fopencookie(z, "r", io);
	if (z->out == NULL)
		goto fail;
	setvbuf(z->out, z->out_buf, _IOFBF, FILE_BUF);
	return z;
fail:
	e = errno;
	errbuf_set(errbuf, "%s: %s", path, strerror(e));
	if (z->src != NULL && !is_stdin)
		fclose(z->src);
	free(z->in);
	free(z->src_buf);
	free(z->out_buf);
	free(z);
	errno = e;
	return NULL;
}

FILE *
zread_take(struct zread *z)
{
	z->taken = true;
	return z->out;
}

void
zread_free(struct zread *z)
{
	if (z == NULL)
		return;
	if (!z->taken && z->out != stdin)
		fclose(z->out);
	if (!z->out_is_src && z->src != stdin)
		fclose(z->src);
	dec_end(z);
	free(z->in);
	free(z->src_buf);
	free(z->out_buf);
	free(z);
}

enum zread_kind
zread_kind(const struct zread *z)
{
	return z->kind;
}

const char *
zread_error(const struct zread *z)
{
	return z->error;
}
