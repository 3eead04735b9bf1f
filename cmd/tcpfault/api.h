/* SPDX-License-Identifier: BSD-2-Clause */
/* Toxiproxy's HTTP API for `tcpfault proxy --api`, on libmicrohttpd. */
#ifndef TCPFAULT_API_H
#define TCPFAULT_API_H

#include "registry.h"

struct api;

/*
 * Serve the API on host:port (port "0": a free one, given in *bound)
 * over registry r, in libmicrohttpd's own thread. Returns NULL with
 * errbuf set.
 */
struct api *api_start(const char *host, const char *port, struct registry *r,
    unsigned *bound, char *errbuf);

/* Stop serving (requests under way finish first) and free a. */
void api_stop(struct api *a);

#endif
