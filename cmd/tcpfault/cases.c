/* SPDX-License-Identifier: BSD-2-Clause */
/* The catalogue of cases: what each says and plays, in `list` order. */
#include <string.h>
#include <strings.h>

#include "cases.h"

/*
 * The text `list` and `explain` print and the man page repeats, one entry
 * per case; the scripts each entry plays live in cases_server.c (S1-S5),
 * cases_client.c (C1-C3) and cases_extra.c.
 */

static const struct case_variant s1_variants[] = {
	{ "idle", "the connection is idle; the server only waits "
	    "(2 s here, forever in real life)",
	    "recv returns nothing for the whole wait (no error, state "
	    "ESTABLISHED); nothing on the wire: teardown open" },
	{ "keepalive", "the server enabled keepalive: idle 1 s, interval "
	    "1 s, 2 probes",
	    "recv fails timeout (ETIMEDOUT) after idle + cnt x intvl = 3 s; "
	    "the server's stack sends 2 probes, then an RST into the void: "
	    "teardown vanished, closed by the server" },
	{ "user-timeout", "the server sends 64 KiB that are never "
	    "acknowledged; TCP_USER_TIMEOUT 4 s (keepalive also on)",
	    "recv fails timeout (ETIMEDOUT) after the 4 s user timeout; "
	    "retransmissions only, no keepalive probe, no RST on the wire; "
	    "65536 bytes unacknowledged; teardown vanished, closed by the "
	    "server" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_s1 = {
	.id = "S1",
	.title = "the client vanishes (crash, cable pulled)",
	.client_does = "connects, sends a request, then vanishes: no FIN, "
	    "no RST, no ACK ever again",
	.server_does = "reads the request, then waits for more",
	.explain = "A peer that is gone sends nothing, so nothing tells the "
	    "server. An idle connection stays ESTABLISHED forever. Keepalive "
	    "probes after the idle time and gives up after cnt unanswered "
	    "probes, sending an RST that nobody receives; recv fails "
	    "ETIMEDOUT. While data is unacknowledged keepalive never fires: "
	    "retransmission does, until tcp_retries2 (about 15 minutes) or "
	    "TCP_USER_TIMEOUT ends it, with no RST.",
	.avoid = "enable keepalive (SO_KEEPALIVE with TCP_KEEPIDLE, "
	    "TCP_KEEPINTVL, TCP_KEEPCNT) and set TCP_USER_TIMEOUT on every "
	    "long-lived connection, or run an application-level heartbeat "
	    "with a deadline",
	.variants = s1_variants,
	.play = &play_s1,
	.flags = CASE_VANISH,
	.max_ms = 20000,
};

static const struct case_variant one_variant_s2[] = {
	{ "-", "512 KiB, most of it still queued when close() returns",
	    "the server reads every byte, then eof; wire: FIN after the "
	    "data (teardown fin, closed by the client)" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_s2 = {
	.id = "S2",
	.title = "the client sends many messages, then close()",
	.client_does = "sends 512 KiB and calls close() at once, nothing "
	    "unread",
	.server_does = "starts reading only after the close",
	.explain = "close() with nothing unread is graceful: the kernel "
	    "keeps the socket (orphaned) until everything queued has been "
	    "sent and acknowledged, then sends the FIN. close() returning "
	    "says nothing about delivery, but nothing is lost.",
	.avoid = "nothing to avoid here; to know the peer got it all, "
	    "shutdown(SHUT_WR) and read until 0 (the peer's close) before "
	    "close()",
	.variants = one_variant_s2,
	.play = &play_s2,
	.max_ms = 10000,
};

static const struct case_variant s3_variants[] = {
	{ "no-unread", "the client read everything it was sent",
	    "the kernel closes with FIN after every byte: the server reads "
	    "all 512 KiB, then eof; teardown fin, closed by the client" },
	{ "unread", "a 64-byte greeting from the server sits unread in the "
	    "client",
	    "RST at exit, the client's unsent data is discarded: the server "
	    "reads what had reached its queue, then reset; teardown rst, "
	    "closed by the client" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_s3 = {
	.id = "S3",
	.title = "the client sends many messages, then exits without close()",
	.client_does = "sends 512 KiB, then exits (the kernel closes the "
	    "socket)",
	.server_does = "reads after the client's exit",
	.explain = "Exit closes every descriptor as close() would. With "
	    "nothing unread that is a FIN after the queued data. With "
	    "unread input Linux sends RST (RFC 2525 section 2.17) and "
	    "throws away what the exiting process had queued but not yet "
	    "transmitted; the server first reads what reached it, then "
	    "ECONNRESET.",
	.avoid = "read what the peer sent (or shutdown(SHUT_WR) and read "
	    "until 0) before exiting; never leave a request unread",
	.variants = s3_variants,
	.play = &play_s3,
	.max_ms = 10000,
};

static const struct case_variant s4_variants[] = {
	{ "no-unread", "the client read everything it was sent",
	    "killed with a full send queue and nothing unread: FIN after "
	    "every byte its kernel had accepted; the server reads them all, "
	    "then eof; teardown fin, closed by the client" },
	{ "unread", "a 64-byte greeting from the server sits unread in the "
	    "client",
	    "RST at the kill, the queued data is discarded: the server reads "
	    "what had reached it, then reset; teardown rst, closed by the "
	    "client" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_s4 = {
	.id = "S4",
	.title = "the client is killed (SIGKILL) in the middle of sending",
	.client_does = "sends until the server's window and its own send "
	    "queue are full, blocks in send(), and is SIGKILLed there",
	.server_does = "reads after the kill",
	.explain = "Same rule as S3: the kernel closes a killed process's "
	    "sockets. What its send() calls had accepted is still sent when "
	    "nothing was unread (FIN last); with unread input it is "
	    "discarded and an RST goes out.",
	.avoid = "a peer can always die mid-stream: frame messages "
	    "(length prefix) so a truncated one is detected, and treat "
	    "reset as 'the tail may be missing'",
	.variants = s4_variants,
	.play = &play_s4,
	.max_ms = 15000,
};

static const struct case_variant one_variant_s5[] = {
	{ "-", "the server answers a request the client no longer waits for",
	    "the first send succeeds and is answered by RST; the second "
	    "fails broken-pipe; reads return the 1024 queued bytes, then "
	    "eof, never reset; teardown fin-rst, closed by the client" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_s5 = {
	.id = "S5",
	.title = "the client sends and closes; the server writes before "
	    "noticing",
	.client_does = "sends a 1 KiB request, close()",
	.server_does = "writes twice without reading, then reads",
	.explain = "The FIN only says the client will send no more. The "
	    "server's first write is accepted by its own kernel; the "
	    "client's kernel, whose socket is gone, answers with RST. An "
	    "RST that arrives after the peer's FIN makes the next send fail "
	    "EPIPE (SIGPIPE unless ignored or MSG_NOSIGNAL), while reads "
	    "still return the queued request and then 0, not ECONNRESET.",
	.avoid = "send with MSG_NOSIGNAL (or ignore SIGPIPE) and treat "
	    "EPIPE as 'the peer is gone'; read until 0 before answering "
	    "when a request can be abandoned",
	.variants = one_variant_s5,
	.play = &play_s5,
	.max_ms = 10000,
};

static const struct case_variant one_variant_c1[] = {
	{ "-", "the client writes to a server that already closed",
	    "the first send succeeds (its data is answered by RST), the "
	    "second fails broken-pipe, reads give eof; teardown fin-rst, "
	    "closed by the server" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_c1 = {
	.id = "C1",
	.title = "the server has closed; the client sends",
	.client_does = "sees the FIN but sends anyway, twice",
	.server_does = "accepts and close()s at once",
	.explain = "A FIN is only a half-close as far as the client's kernel "
	    "knows, so the first send is accepted and transmitted; the "
	    "server's kernel has no socket to give it to and answers RST. "
	    "The RST came after the FIN, so the next send fails EPIPE and "
	    "reads return 0.",
	.avoid = "read: recv returning 0 means the server is done; stop "
	    "sending and close. Use MSG_NOSIGNAL so EPIPE is an error, not "
	    "a SIGPIPE death",
	.variants = one_variant_c1,
	.play = &play_c1,
	.max_ms = 10000,
};

static const struct case_variant c2_variants[] = {
	{ "all-sent", "the server's 64 KiB and FIN are all on the wire "
	    "before the client's packet",
	    "the client reads every byte, then eof: the RST that answers "
	    "its packet does not destroy queued data (unlike Windows); "
	    "teardown fin-rst, closed by the server" },
	{ "unsent", "the client's receive window is tiny, so the server "
	    "closes with data still queued (FIN_WAIT1)",
	    "the client's packet makes the server's kernel purge its send "
	    "queue and answer RST: the client reads part of the data, then "
	    "reset; the FIN never left; teardown rst, closed by the server" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_c2 = {
	.id = "C2",
	.title = "the server sends data then closes; the client sends one "
	    "packet, then reads",
	.client_does = "sends one 100-byte packet after the server closed, "
	    "then reads",
	.server_does = "sends a response, close()",
	.explain = "A closed socket receiving data answers RST (RFC 1122 "
	    "4.2.2.13; Linux's TCPAbortOnData). When the response and the "
	    "FIN were all delivered, Linux still lets the client read them "
	    "and then 0. When the server still had unsent data (FIN_WAIT1 "
	    "behind a shut window) that data is purged with the RST and the "
	    "client gets part of the response, then ECONNRESET. If the "
	    "client's packet arrives before the server's close() it is C3.",
	.avoid = "a server closes only after reading the request to its "
	    "end (shutdown(SHUT_WR), read until 0, close); a client does not "
	    "send on a connection whose peer has closed",
	.variants = c2_variants,
	.play = &play_c2,
	.max_ms = 10000,
};

static const struct case_variant one_variant_c3[] = {
	{ "-", "the server never reads the 1 KiB request",
	    "RST instead of FIN; the client reads what was already in its "
	    "receive queue, then reset; what the server had not yet "
	    "transmitted is lost; teardown rst, closed by the server" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_c3 = {
	.id = "C3",
	.title = "the server closes with unread data in its receive buffer",
	.client_does = "sends a request, reads the response after the close",
	.server_does = "writes 512 KiB without reading the request, close()",
	.explain = "close() with unread input is an abort on Linux (RFC 2525 "
	    "section 2.17): RST instead of FIN, and the server's unsent "
	    "output is discarded. The client still reads what reached its "
	    "receive queue, then gets ECONNRESET.",
	.avoid = "read the whole request before closing, or shutdown(SHUT_WR) "
	    "and read until 0, then close",
	.variants = one_variant_c3,
	.play = &play_c3,
	.max_ms = 10000,
};

static const struct case_variant newbie_variants[] = {
	{ "close", "write the file, then close() with a request unread",
	    "RST: the client reads part of the 512 KiB, then reset; "
	    "teardown rst, closed by the server" },
	{ "graceful", "write the file, then shutdown(SHUT_WR), read until "
	    "0, close()",
	    "the client reads all 512 KiB, then eof; the server's drain "
	    "reads the unread 1 KiB; teardown fin, closed by the server" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_newbie = {
	.id = "newbie-close",
	.title = "write a file, then close() while a request sits unread",
	.client_does = "sends two pipelined requests, reads the response",
	.server_does = "reads one request, writes 512 KiB, closes",
	.explain = "The classic lost-tail bug: the server's close() finds "
	    "the second request unread and becomes an RST, which throws "
	    "away the part of the file still in the send queue; the client "
	    "gets a truncated file and ECONNRESET. The graceful pattern "
	    "loses nothing.",
	.avoid = "shutdown(SHUT_WR), then read until recv returns 0, then "
	    "close() (teardown's close_graceful)",
	.variants = newbie_variants,
	.play = &play_newbie,
	.max_ms = 10000,
};

static const struct case_variant selfconn_variants[] = {
	{ "naive", "plain connect() until it succeeds",
	    "refused a few times, then connect succeeds with local address "
	    "= peer address (127.0.0.1:50004 both): the client reads back "
	    "what it wrote; on the wire its SYN, its own SYN-ACK, the 4 "
	    "bytes it acknowledges itself, one FIN: fin by the client, note "
	    "self-connect" },
	{ "detected", "teardown's sock_connect",
	    "refused a few times, then the self-connection is detected, "
	    "closed and reported: outcome self-connect; on the wire fin by "
	    "the client, note self-connect" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_selfconn = {
	.id = "self-connect",
	.title = "connecting to a port in one's own ephemeral range",
	.client_does = "connects to 127.0.0.1:50004, where nothing listens, "
	    "from the ephemeral range 50000-50009",
	.server_does = "nothing (there is no server)",
	.explain = "When the kernel picks the destination port itself as "
	    "the source port, the SYN meets itself: TCP simultaneous open "
	    "(RFC 9293 section 3.5) connects the socket to itself. A client "
	    "retrying a local service that is down can end up talking to "
	    "itself, and the service then cannot bind its port. Needs a "
	    "private network namespace for the narrow port range (root).",
	.avoid = "check getsockname() != getpeername() after connect (teardown "
	    "does), and keep service ports outside "
	    "net.ipv4.ip_local_port_range",
	.variants = selfconn_variants,
	.play = &play_selfconn,
	.flags = CASE_NETNS | CASE_NO_LISTEN,
	.max_ms = 10000,
};

static const struct case_variant nagle_variants[] = {
	{ "nagle", "default: Nagle's algorithm on",
	    "each write-write-read round takes tens of milliseconds "
	    "(median >= 20 ms): the second small write waits for the ACK "
	    "of the first, which the server delays (about 40 ms)" },
	{ "nodelay", "20 rounds with Nagle as the reference, then "
	    "TCP_NODELAY on the client and 20 more",
	    "the reference rounds wait for the delayed ACK as in the nagle "
	    "variant (median >= 20 ms); with TCP_NODELAY a round takes tens "
	    "of microseconds: its median is at most a fifth of the "
	    "reference's" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_nagle = {
	.id = "nagle",
	.title = "write-write-read latency, with and without TCP_NODELAY",
	.client_does = "20 times: writes a 100-byte header, a 100-byte "
	    "body, reads a 100-byte reply (nodelay: 20 more, after setting "
	    "TCP_NODELAY)",
	.server_does = "reads 200 bytes, answers 100",
	.explain = "Nagle's algorithm (RFC 896) holds a small segment while "
	    "an earlier one is unacknowledged; the receiver's delayed ACK "
	    "(RFC 1122 4.2.3.2, 40 ms minimum on Linux) waits for data to "
	    "piggyback on. The two waits meet: every request costs a "
	    "delayed-ACK timeout.",
	.avoid = "build the whole request and write it once (writev), or set "
	    "TCP_NODELAY on request/response connections",
	.variants = nagle_variants,
	.play = &play_nagle,
	.max_ms = 10000,
};

static const struct case_variant one_variant_echo[] = {
	{ "-", "blocking echo server, client writes 20 MiB before reading; "
	    "both sides' socket buffers fixed at 128 KiB",
	    "both sides block in send(): all four queues full and still; "
	    "the server received only part of the request; the run kills "
	    "both (teardown rst)" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_echo = {
	.id = "echo-deadlock",
	.title = "blocking echo with a 20 MiB request",
	.client_does = "writes a 20 MiB request with blocking send() before "
	    "reading anything",
	.server_does = "blocking echo: recv, then send it back",
	.explain = "The server's send() blocks once the client's receive "
	    "queue and its own send queue are full, so it stops reading; "
	    "then the client's send() blocks too. Neither will ever read: "
	    "a deadlock that only shows with requests larger than the "
	    "buffers.",
	.avoid = "never block on send() while the peer may be blocked on "
	    "its send: use non-blocking I/O with poll/epoll and read while "
	    "writing, or a separate reader",
	.variants = one_variant_echo,
	.play = &play_echo,
	.max_ms = 15000,
};

static const struct case_variant one_variant_sockbuf[] = {
	{ "-", "SO_SNDBUF and SO_RCVBUF of 1 KiB, 64 KiB, 1 MiB, 1 GiB",
	    "getsockopt reports double the request (room for the kernel's "
	    "bookkeeping), clamped to net.core.wmem_max / rmem_max (then "
	    "doubled) and raised to a minimum for tiny requests" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_sockbuf = {
	.id = "sockbuf",
	.title = "requested vs effective socket buffer sizes",
	.client_does = "sets SO_SNDBUF/SO_RCVBUF and reads them back",
	.server_does = "reads until EOF",
	.explain = "Linux doubles the value given to SO_SNDBUF/SO_RCVBUF "
	    "(socket(7)): half is for the kernel's skb overhead. Requests "
	    "above net.core.wmem_max/rmem_max are silently clamped, and "
	    "setting either turns off the kernel's buffer autotuning for "
	    "that socket.",
	.avoid = "read the size back with getsockopt and report it; prefer "
	    "autotuning (do not set buffers) unless measurements say "
	    "otherwise",
	.variants = one_variant_sockbuf,
	.play = &play_sockbuf,
	.max_ms = 10000,
};

static const struct case_variant one_variant_shutrd[] = {
	{ "-", "shutdown(SHUT_RD) on the server, then the client sends",
	    "nothing goes on the wire; recv returns eof at once while the "
	    "queue is empty; the client's 4096 later bytes are still "
	    "accepted, acknowledged and readable; sending still works" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_shutrd = {
	.id = "shut-rd",
	.title = "shutdown(SHUT_RD) sends nothing and still accepts data",
	.client_does = "sends 4 KiB after the server's SHUT_RD",
	.server_does = "shutdown(SHUT_RD), reads, replies, closes",
	.explain = "TCP has no way to tell the peer 'stop sending' (RFC 9293 "
	    "has no read-side close). Linux's SHUT_RD only makes recv "
	    "return 0 when the queue is empty; it sends no segment, and "
	    "data that arrives later is still acknowledged and queued.",
	.avoid = "do not use SHUT_RD to refuse input: close the connection "
	    "(or stop reading and let the window shut) and tell the peer in "
	    "the protocol",
	.variants = one_variant_shutrd,
	.play = &play_shutrd,
	.max_ms = 10000,
};

static const struct case_variant ka_variants[] = {
	{ "fin-unread", "the server's FIN arrived while the connection sat "
	    "idle in the client's pool, unread; the client reuses it",
	    "the request is accepted (send ok), the server's kernel answers "
	    "RST, and the client reads eof: an empty reply (curl 52); "
	    "teardown fin-rst, closed by the server" },
	{ "in-flight", "the server closes as the reused request "
	    "arrives: it is in its receive queue, unread",
	    "close() with unread input sends RST instead of FIN: the "
	    "client's send is ok, its read fails reset, connection reset by "
	    "peer (curl 56); teardown rst, closed by the server" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_keepalive = {
	.id = "keepalive-race",
	.title = "the server closes an idle kept-alive connection as the "
	    "client reuses it",
	.client_does = "sends a request, reads the whole response, keeps the "
	    "connection and sends the next request on it",
	.server_does = "answers, then closes the idle connection (its "
	    "keep-alive timeout)",
	.explain = "An HTTP/1.1 client keeps connections in a pool and sends "
	    "the next request without reading first; the server's idle "
	    "timeout closes the same connection at any moment. When the FIN "
	    "is already in the client's socket, the request is still "
	    "accepted (a FIN is only a half-close) and the server's kernel "
	    "answers RST: the client reads 0, an empty reply. When the "
	    "request reaches the server before its close(), the server "
	    "closes with unread input, which is an abort (RFC 2525 2.17): "
	    "RST, and the client's read fails ECONNRESET. The request may "
	    "or may not have been processed: only an idempotent one can be "
	    "retried blindly.",
	.avoid = "client: check a pooled connection for EOF (poll for "
	    "POLLIN/POLLRDHUP, or recv MSG_PEEK) before reusing it, and "
	    "retry an idempotent request once on a fresh connection after "
	    "an empty reply or a reset; keep the client's idle timeout "
	    "shorter than the server's. Server: send Connection: close or a "
	    "Keep-Alive timeout, and close idle connections with shutdown + "
	    "read rather than close() under a request",
	.variants = ka_variants,
	.play = &play_keepalive,
	.max_ms = 10000,
};

const struct fault_case *const fault_cases[] = {
	&case_s1, &case_s2, &case_s3, &case_s4, &case_s5,
	&case_c1, &case_c2, &case_c3,
	&case_newbie, &case_selfconn, &case_nagle, &case_echo, &case_sockbuf,
	&case_shutrd,
	&case_keepalive,
	NULL
};

const struct fault_case *
case_find(const char *id)
{
	for (size_t i = 0; fault_cases[i] != NULL; i++)
		if (strcasecmp(fault_cases[i]->id, id) == 0)
			return fault_cases[i];
	return NULL;
}

const char *
role_name(enum case_role id)
{
	return id == ROLE_CLIENT ? "client" : "server";
}
