/* SPDX-License-Identifier: BSD-2-Clause */
/* ttcp: muduo-compatible TCP throughput and request/response tester. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "numparse.h"
#include "exitcode.h"
#include "stop.h"
#include "ttcp.h"
#include "usage.h"
#include "version.h"

enum {
	OPT_IO = 256,
	OPT_JSON,
	OPT_VERIFY,
	OPT_STREAM,
	OPT_VERSION,
	OPT_TIME,
	OPT_JSON_STREAM,
	OPT_ROUNDTRIP,
	OPT_TCP,
	OPT_NTP,
};

static const char synopsis[] =
    "usage: ttcp -r [-1Dv46] [-B addr] [-b bytes] [-f unit] "
    "[-i secs] [-p port]\n"
    "            [--io blocking|epoll] [--json] [--json-stream] [--verify]\n"
    "       ttcp -t host [-DRv46] [-B addr] [-b bytes] [-f unit] [-i secs]\n"
    "            [-l length] [-n number | --time secs] "
    "[-P connections] [-p port]\n"
    "            [--io blocking|epoll] [--json] [--json-stream] "
    "[--stream] [--verify]\n"
    "       ttcp --roundtrip -r [-1v46] [-B addr] [-p port] "
    "[--json] [--ntp] [--tcp]\n"
    "       ttcp --roundtrip -t host [-v46] [-B addr] [-i secs] [-n number]\n"
    "            [-p port] [--time secs] [--json] [--json-stream] "
    "[--ntp] [--tcp]\n"
    "       ttcp -h | --help | --version\n";

static const char help[] =
    "\n"
    "  -r             receive: serve sessions until a signal\n"
    "  -t host        transmit to host\n"
    "  -1             receiver: serve one session, then exit\n"
    "  -l length      message length (default 65536)\n"
    "  -n number      messages per connection (default 8192)\n"
    "  --time secs    send for secs seconds instead of -n messages\n"
    "  -P connections parallel connections, 1 to 128\n"
    "  -R             reverse: the receiver sends the data\n"
    "  --stream       no per-message acks: bandwidth, not round trips\n"
    "  --verify       check every payload byte\n"
    "  -p port        port (default 5001; -r -p 0 picks one)\n"
    "  -B addr        listen on, or connect from, addr\n"
    "  -b bytes       SO_SNDBUF and SO_RCVBUF\n"
    "  -D             TCP_NODELAY\n"
    "  -i secs        a report every secs seconds (--roundtrip: a probe)\n"
    "  -f unit        rates in k, m, g bits/s or K, M, G bytes/s\n"
    "  --io model     blocking (a thread per connection) or epoll\n"
    "  --json         one JSON object per session\n"
    "  --json-stream  also a JSON object per interval or reply\n"
    "  --roundtrip    clock offset and round trips over UDP (muduo's frame)\n"
    "  --ntp          --roundtrip with the 4-timestamp frame\n"
    "  --tcp          --roundtrip over TCP\n"
    "  muduo's --trans host, --recv, --port, --length, --number, --nodelay\n"
    "  and --buffer are -t, -r, -p, -l, -n, -D and -b.\n"
    "  -v             say what happens, on stderr\n"
    "  -4, -6         IPv4 or IPv6 only\n"
    "\n"
    "Exit status: 0 ok, 1 failure, 2 usage, 3 refused, 4 reset, 5 timeout,\n"
    "128+N stopped by signal N (a receiver's usual end).\n"
    "man ttcp says more.\n";

/* After a usage error: the synopsis on stderr, exit 2. */
USAGE_DEFINE(synopsis, help)

/* A bad option value: one line naming the option, exit 2. */
static void __attribute__((noreturn))
bad_value(const char *errbuf)
{
	warnx("%s", errbuf);
	usage();
}

static int64_t
parse_int(const char *s, int64_t min, int64_t max, const char *what)
{
	char eb[ERRBUF_LEN];
	int64_t v;

	if (num_parse_i64(s, min, max, what, &v, eb) != 0)
		bad_value(eb);
	return v;
}

static uint64_t
parse_size(const char *s, uint64_t min, uint64_t max, const char *what)
{
	char eb[ERRBUF_LEN];
	uint64_t v;

	if (num_parse_size(s, max, what, &v, eb) != 0)
		bad_value(eb);
	if (v < min) {
		snprintf(eb, sizeof(eb), "%s: too small: %s", what, s);
		bad_value(eb);
	}
	return v;
}

/* Seconds, fractions allowed, into milliseconds: 1 ms to a day. */
static int64_t
parse_secs(const char *s, const char *what)
{
	char eb[ERRBUF_LEN];
	int64_t ms;

	if (num_parse_secs_ms(s, 86400000, what, &ms, eb) != 0)
		bad_value(eb);
	if (ms == 0) {
		snprintf(eb, sizeof(eb), "%s: too small: %s", what, s);
		bad_value(eb);
	}
	return ms;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "io", required_argument, NULL, OPT_IO },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "stream", no_argument, NULL, OPT_STREAM },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "json-stream", no_argument, NULL, OPT_JSON_STREAM },
		{ "roundtrip", no_argument, NULL, OPT_ROUNDTRIP },
		{ "tcp", no_argument, NULL, OPT_TCP },
		{ "ntp", no_argument, NULL, OPT_NTP },
		/* muduo's ttcp. */
		{ "trans", required_argument, NULL, 't' },
		{ "recv", no_argument, NULL, 'r' },
		{ "port", required_argument, NULL, 'p' },
		{ "length", required_argument, NULL, 'l' },
		{ "number", required_argument, NULL, 'n' },
		{ "nodelay", no_argument, NULL, 'D' },
		{ "buffer", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	struct ttcp_config cfg = {
		.port = TTCP_DEFAULT_PORT,
		.length = TTCP_DEFAULT_LEN,
		.number = TTCP_DEFAULT_NUM,
		.parallel = 1,
		.io = IO_BLOCKING,
	};
	bool transmit = false, sender_opts = false;
	int64_t port = 5001;
	char eb[ERRBUF_LEN];
	int ch, sfd, status;

	/*
	 * First, before any thread exists, so every one inherits the blocked
	 * mask and the waits see a signal only through sfd.
	 */
	sfd = stop_fd_open(true, eb);
	if (sfd == -1)
		errx(1, "%s", eb);
	/* getopt's own messages then start "ttcp:" like ours. */
	argv[0] = program_invocation_short_name;
	while ((ch = getopt_long(argc, argv, "146B:b:Df:hi:l:n:P:p:Rrt:v",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case '1':
			cfg.once = true;
			break;
		case '4':
			cfg.family = ADDR_V4;
			break;
		case '6':
			cfg.family = ADDR_V6;
			break;
		case 'B':
			cfg.bind = optarg;
			break;
		case 'b':
			cfg.bufsize = (int)parse_size(optarg, 1, 1u << 30,
			    "-b");
			break;
		case 'D':
			cfg.nodelay = true;
			break;
		case 'f':
			if (strlen(optarg) != 1 ||
			    strchr("kmgKMG", optarg[0]) == NULL) {
				snprintf(eb, sizeof(eb), "-f: unknown unit: %s "
				    "(k, m, g, K, M or G)", optarg);
				bad_value(eb);
			}
			cfg.unit = optarg[0];
			break;
		case 'h':
			exit(usage_print(stdout, synopsis, help));
		case 'i':
			cfg.interval_ms = parse_secs(optarg, "-i");
			break;
		case 'l':
			cfg.length = (uint32_t)parse_size(optarg, 1,
			    TTCP_MAX_LEN, "-l");
			sender_opts = true;
			break;
		case 'n':
			cfg.number = (uint32_t)parse_int(optarg, 1, INT32_MAX,
			    "-n");
			cfg.number_set = true;
			break;
		case 'P':
			cfg.parallel = (int)parse_int(optarg, 1,
			    TTCP_MAX_PARALLEL, "-P");
			sender_opts = true;
			break;
		case 'p':
			port = parse_int(optarg, 0, 65535, "-p");
			cfg.port = optarg;
			break;
		case 'R':
			cfg.reverse = true;
			sender_opts = true;
			break;
		case 'r':
			cfg.receive = true;
			break;
		case 't':
			transmit = true;
			cfg.host = optarg;
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case OPT_IO:
			if (io_model_parse(optarg, &cfg.io) != 0) {
				snprintf(eb, sizeof(eb),
				    "--io: unknown I/O model: %s", optarg);
				bad_value(eb);
			}
			break;
		case OPT_JSON:
			cfg.json = true;
			break;
		case OPT_VERIFY:
			cfg.verify = true;
			break;
		case OPT_STREAM:
			cfg.stream = true;
			sender_opts = true;
			break;
		case OPT_TIME:
			cfg.time_ms = parse_secs(optarg, "--time");
			break;
		case OPT_JSON_STREAM:
			cfg.json = cfg.json_stream = true;
			break;
		case OPT_ROUNDTRIP:
			cfg.roundtrip = true;
			break;
		case OPT_TCP:
			cfg.tcp = true;
			break;
		case OPT_NTP:
			cfg.ntp = true;
			break;
		case OPT_VERSION:
			printf("ttcp teardown %s\n", teardown_version());
			return EXIT_OK;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0) {
		warnx("unexpected argument: %s", argv[0]);
		usage();
	}
	if (cfg.receive == transmit) {
		warnx("give exactly one of -r and -t host");
		usage();
	}
	if (cfg.roundtrip && (sender_opts || cfg.verify)) {
		warnx("-l, -P, -R, --stream and --verify are not --roundtrip "
		    "options");
		usage();
	}
	if (!cfg.roundtrip && (cfg.tcp || cfg.ntp)) {
		warnx("--tcp and --ntp are --roundtrip options");
		usage();
	}
	if (cfg.receive && (sender_opts || cfg.number_set ||
	    cfg.time_ms > 0)) {
		warnx("-l, -n, -P, -R, --stream and --time are transmitter "
		    "options");
		usage();
	}
	if (cfg.number_set && cfg.time_ms > 0) {
		warnx("give -n or --time, not both");
		usage();
	}
	if (transmit && cfg.once) {
		warnx("-1 is a receiver option");
		usage();
	}
	if (cfg.roundtrip && cfg.once && !cfg.tcp) {
		warnx("-1 needs --tcp: a UDP --roundtrip server has no "
		    "sessions");
		usage();
	}
	if (transmit && port == 0) {
		warnx("-p: too small: %s", cfg.port);
		usage();
	}

	if (cfg.roundtrip)
		status = cfg.receive ? run_roundtrip_server(&cfg, sfd) :
		    run_roundtrip_client(&cfg, sfd);
	else if (cfg.receive)
		status = cfg.io == IO_EPOLL ? run_receive_epoll(&cfg, sfd) :
		    run_receive_blocking(&cfg, sfd);
	else
		status = cfg.io == IO_EPOLL ? run_transmit_epoll(&cfg, sfd) :
		    run_transmit_blocking(&cfg, sfd);
	close(sfd);
	return status;
}
