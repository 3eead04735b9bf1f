/* SPDX-License-Identifier: BSD-2-Clause */
/* Making one end of a connection vanish: no FIN, no RST, no ACK. */
#ifndef TCPFAULT_VANISH_H
#define TCPFAULT_VANISH_H

#include <stddef.h>

/* How an end vanishes (cable pulled): no FIN, no RST, no ACK. */
enum vanish_method {
	VANISH_AUTO = 0,	/* choose the best one allowed here */
	VANISH_FILTER,		/* drop-all classic BPF on the socket */
	VANISH_NFT,		/* nftables drop in a private netns (root) */
	VANISH_NONE		/* nothing is allowed: skip */
};

const char *vanish_name(enum vanish_method m);
int vanish_parse(const char *name, enum vanish_method *m);
/* 0 when m can be used here, else -1 with why filled. */
int vanish_probe(enum vanish_method m, char *why, size_t len);
/*
 * The method to use for a requested one (AUTO: the best allowed), or
 * VANISH_NONE with why filled.
 */
enum vanish_method vanish_choose(enum vanish_method want, char *why,
    size_t len);
/* Make fd's connection vanish. Returns -1 with errbuf set. */
int vanish_apply(enum vanish_method m, int fd, char *errbuf);
/* Enter a private network namespace with lo up. -1 with errbuf set. */
int netns_enter(char *errbuf);

#endif
