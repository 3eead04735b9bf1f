/* SPDX-License-Identifier: BSD-2-Clause */
/* tcpfault client and server: one misbehaving end against a real program. */
#ifndef TCPFAULT_PEER_H
#define TCPFAULT_PEER_H

/*
 * `tcpfault client|server BEHAVIOUR ...` with argv[0] the mode's name:
 * the exit status (2 on a usage error, 130 when stopped by a signal).
 */
int peer_client_main(int argc, char **argv);
int peer_server_main(int argc, char **argv);

#endif
