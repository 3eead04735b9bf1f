/* SPDX-License-Identifier: BSD-2-Clause */
/* tcpfault proxy: relay a real client to a real server, inject one fault. */
#ifndef TCPFAULT_PROXY_H
#define TCPFAULT_PROXY_H

/* `tcpfault proxy ...` with argv[0] "proxy": the exit status. */
int proxy_main(int argc, char **argv);

#endif
