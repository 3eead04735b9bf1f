/* SPDX-License-Identifier: BSD-2-Clause */
/* One proxied connection: its toxics applied on common/relay's hooks. */
#ifndef TCPFAULT_LINK_H
#define TCPFAULT_LINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "outcome.h"
#include "toxics.h"

struct link;

/* What registry.c and link.c share: a proxy, under the registry's lock. */
struct px {
	char name[128];
	char listen[ADDR_STRLEN + 8];	/* asked, then "host:port" bound */
	char upstream[300];
	bool enabled;
	int lfd;			/* -1: not listening */
	pthread_t acceptor;
	struct toxic *tox;		/* the chain, in the order added */
	size_t ntox, captox;
	uint64_t nconn;			/* connections accepted */
	struct link *links;		/* live connections */
	unsigned refs;			/* the registry's, each link's */
	struct linkhub *hub;
	struct px *next;		/* the registry's list */
};

/* Where links report: set up by the registry, shared by all proxies. */
struct linkhub {
	pthread_mutex_t mu;		/* every px and link field */
	pthread_cond_t cv;		/* a link ended */
	FILE *out;
	bool json;
	struct wire *wire;		/* --pcap: the wire's class too */
	bool http;			/* --http: count from the body */
	uint64_t reported, failures, live;
};

/*
 * Start a connection of px (accepted fd cfd) in its own detached thread:
 * connect upstream, relay through the toxics, report one line. Takes a
 * reference on px (dropped under hub->mu when the link ends, with
 * px_unref). Returns -1 (cfd closed) when no thread could start.
 */
int link_start(struct px *px, int cfd);

/* With hub->mu held: end every live link of px now (RST both ways). */
void link_kill_all(struct px *px);

/* With hub->mu held: drop a reference; the last frees px. */
void px_unref(struct px *px);

#endif
