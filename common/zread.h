/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading a file or stdin that may be gzip, zstd, xz or bzip2 compressed. */
#ifndef TEARDOWN_ZREAD_H
#define TEARDOWN_ZREAD_H

#include <stdio.h>

/* What a stream turned out to be, from its first bytes (its magic). */
enum zread_kind {
	ZREAD_PLAIN = 0,
	ZREAD_GZIP,
	ZREAD_ZSTD,
	ZREAD_XZ,
	ZREAD_BZIP2
};

/*
 * An input stream: a FILE * of the decompressed bytes, decoded as they
 * are read (fopencookie), with no temporary file. Concatenated streams
 * (gzip members, zstd frames, xz streams, bzip2 streams) read as one.
 */
struct zread;

/*
 * Open path ("-": standard input) and look at its magic. Returns NULL
 * with errno and errbuf set ("PATH: why") when it cannot be opened or
 * read, or on ENOMEM.
 */
struct zread *zread_open(const char *path, char *errbuf);

/*
 * The decompressed bytes, handed over: the caller fclose()s it (libpcap's
 * pcap_close() does), unless it is stdin, and only then zread_free()s z
 * (the stream reads from z). Without this call zread_free() closes it. A
 * read that fails (corrupt or truncated data) sets the stream's error
 * indicator, errno EIO, and zread_error().
 */
FILE *zread_take(struct zread *z);

enum zread_kind zread_kind(const struct zread *z);

/* "gzip", "zstd", "xz", "bzip2", or "" for a plain stream. */
const char *zread_kind_name(enum zread_kind k);

/*
 * Why the decompressed stream stopped early: "truncated gzip stream",
 * "corrupt xz data (...)", ...; "" while nothing went wrong.
 */
const char *zread_error(const struct zread *z);

/* Free z, closing its FILE * unless its reader closed it already. */
void zread_free(struct zread *z);

#endif
