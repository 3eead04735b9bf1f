/* SPDX-License-Identifier: BSD-2-Clause */
/* --pcap DIR: the proxy captures its loopback traffic and classifies it. */
#ifndef TCPFAULT_WIRE_H
#define TCPFAULT_WIRE_H

#include <stddef.h>

struct wire;

/*
 * Capture TCP on lo into DIR/tcpfault-proxy.pcap and classify each
 * connection with the shared classifier. Returns NULL with errbuf set
 * (no permission to capture, DIR not writable, ...).
 */
struct wire *wire_open(const char *dir, char *errbuf);

/*
 * The wire's account of the connection from client port cport to local
 * port lport, waiting up to wait_ms for its teardown to settle: "rst by
 * client", "fin by proxy", ...; NULL when it was not seen.
 */
const char *wire_class(struct wire *w, unsigned cport, unsigned lport,
    int wait_ms, char *buf, size_t len);

/* Stop capturing, write the file out, free w. */
void wire_close(struct wire *w);

#endif
