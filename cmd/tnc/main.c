/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc: a netcat and relay that loses nothing on close and reports resets. */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "numparse.h"
#include "stop.h"
#include "tnc.h"
#include "usage.h"
#include "version.h"

#define SECS_MAX_MS	(86400 * 1000LL)	/* -w and -q: one day */
#define BUFFER_DEFAULT	(256u << 10)

enum {
	OPT_NODELAY = 256, OPT_SNDBUF, OPT_RCVBUF, OPT_KEEPALIVE,
	OPT_USER_TIMEOUT, OPT_CLOSE, OPT_STATS, OPT_RELAY, OPT_SPLICE, OPT_IO,
	OPT_BUFFER, OPT_HELP, OPT_VERSION, OPT_SSL, OPT_SSL_VERIFY,
	OPT_NO_VERIFY, OPT_SSL_TRUSTFILE, OPT_SSL_CERT, OPT_SSL_KEY,
	OPT_SSL_ALLOW_TRUNCATION
};

static const struct option long_options[] = {
	{ "nodelay",	no_argument,		NULL, OPT_NODELAY },
	{ "sndbuf",	required_argument,	NULL, OPT_SNDBUF },
	{ "rcvbuf",	required_argument,	NULL, OPT_RCVBUF },
	{ "keepalive",	required_argument,	NULL, OPT_KEEPALIVE },
	{ "user-timeout", required_argument,	NULL, OPT_USER_TIMEOUT },
	{ "close",	required_argument,	NULL, OPT_CLOSE },
	{ "stats",	no_argument,		NULL, OPT_STATS },
	{ "relay",	required_argument,	NULL, OPT_RELAY },
	{ "splice",	no_argument,		NULL, OPT_SPLICE },
	{ "io",		required_argument,	NULL, OPT_IO },
	{ "buffer",	required_argument,	NULL, OPT_BUFFER },
	{ "ssl",	no_argument,		NULL, OPT_SSL },
	{ "ssl-verify",	no_argument,		NULL, OPT_SSL_VERIFY },
	{ "no-verify",	no_argument,		NULL, OPT_NO_VERIFY },
	{ "ssl-trustfile", required_argument,	NULL, OPT_SSL_TRUSTFILE },
	{ "ssl-cert",	required_argument,	NULL, OPT_SSL_CERT },
	{ "ssl-key",	required_argument,	NULL, OPT_SSL_KEY },
	{ "ssl-allow-truncation", no_argument,	NULL,
	    OPT_SSL_ALLOW_TRUNCATION },
	{ "help",	no_argument,		NULL, OPT_HELP },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ NULL,		0,			NULL, 0 }
};

/* The synopsis (as the man page has it), and the options -h adds. */
static const char synopsis[] =
	"usage: tnc [-46CNnuv] [-c cmd | -e prog] [-p srcport] "
	"[-q secs] [-s srcaddr] [-w secs] [options] host port\n"
	"       tnc -l [-46CkNnuv] [-c cmd | -e prog] [-q secs] "
	"[-w secs] [options] [host] port\n"
	"       tnc -l [-46knv] --relay host:port [--splice] "
	"[--io threads|epoll] [options] [host] port\n"
	"       tnc [-l] -U [-CkNv] [-q secs] [-w secs] [options] path\n"
	"       tnc -z [-46nv] [-p srcport] [-s srcaddr] [-w secs] "
	"host port[-port]...\n"
	"       tnc -h | --help | --version\n"
	"options: [--nodelay] [--sndbuf size] [--rcvbuf size] "
	"[--keepalive idle,intvl,cnt]\n"
	"         [--user-timeout ms] [--close graceful|abort|plain] "
	"[--stats] [--buffer size]\n"
	"         [--ssl [--ssl-verify | --no-verify] "
	"[--ssl-trustfile file]\n"
	"          [--ssl-cert file --ssl-key file] "
	"[--ssl-allow-truncation]]\n";

static const char help[] =
	"\n"
	"  -4, -6       IPv4 or IPv6 only\n"
	"  -C           send CR LF for each LF from stdin\n"
	"  -c cmd       run /bin/sh -c cmd on the connection\n"
	"  -e prog      run prog with the connection as its "
	"stdin/stdout\n"
	"  -k           with -l: keep listening\n"
	"  -l           listen on [host] port (0: any free port)\n"
	"  -N           shut down on stdin EOF (always done)\n"
	"  -n           numeric addresses and ports only, no DNS\n"
	"  -p srcport   connect from this port\n"
	"  -q secs      after stdin EOF, wait at most secs for "
	"the peer, then quit\n"
	"  -s srcaddr   connect from this address\n"
	"  -U           a Unix-domain stream socket at path\n"
	"  -u           UDP\n"
	"  -v           an event line per state change (-vv: "
	"more)\n"
	"  -w secs      connect and idle deadline\n"
	"  -z           only report which ports accept (0: "
	"any did)\n"
	"  --relay host:port  with -l: a proxy to host:port\n"
	"  --ssl        TLS on the connection; the client "
	"verifies the server\n"
	"  --no-verify  accept any server certificate\n"
	"  --ssl-trustfile file  trust these PEM CAs, not "
	"the system's\n"
	"  --ssl-cert file, --ssl-key file  our certificate "
	"(required with -l)\n"
	"  --ssl-allow-truncation  a FIN without close_notify "
	"is no failure\n"
	"\n"
	"Exit: 0 ok, 1 failure, 2 usage, 3 refused, 4 reset, "
	"5 timeout, 128+N signal N.\n"
	"man tnc says more.\n";

USAGE_DEFINE(synopsis, help)

/* A usage error: one line naming what is wrong, then exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	exit(EXIT_USAGE);
}

static int64_t
parse_i64(const char *s, int64_t min, int64_t max, const char *what)
{
	char errbuf[ERRBUF_LEN];
	int64_t v;

	if (num_parse_i64(s, min, max, what, &v, errbuf) == -1)
		bad("%s", errbuf);
	return v;
}

static int64_t
parse_secs(const char *s, const char *what)
{
	char errbuf[ERRBUF_LEN];
	int64_t ms;

	if (num_parse_secs_ms(s, SECS_MAX_MS, what, &ms, errbuf) == -1)
		bad("%s", errbuf);
	return ms;
}

static uint64_t
parse_size(const char *s, uint64_t min, uint64_t max, const char *what)
{
	char errbuf[ERRBUF_LEN];
	uint64_t v;

	if (num_parse_size(s, max, what, &v, errbuf) == -1)
		bad("%s", errbuf);
	if (v < min)
		bad("%s: too small: %s", what, s);
	return v;
}

/* IDLE,INTVL,CNT as tcp(7) bounds them. */
static void
parse_keepalive(struct tnc_config *cfg, const char *s)
{
	char copy[64], *intvl, *cnt;

	if (strlen(s) >= sizeof(copy))
		bad("--keepalive: too long: %s", s);
	strcpy(copy, s);
	intvl = strchr(copy, ',');
	cnt = intvl != NULL ? strchr(intvl + 1, ',') : NULL;
	if (intvl == NULL || cnt == NULL)
		bad("--keepalive: want IDLE,INTVL,CNT: %s", s);
	*intvl++ = '\0';
	*cnt++ = '\0';
	cfg->ka_idle = parse_i64(copy, 1, 32767, "--keepalive idle");
	cfg->ka_intvl = parse_i64(intvl, 1, 32767, "--keepalive interval");
	cfg->ka_cnt = parse_i64(cnt, 1, 127, "--keepalive count");
	cfg->keepalive = true;
}

/* A port argument: a number 0..65535 or a service name for the resolver. */
static void
check_port(const char *s, const char *what, bool zero_ok)
{
	int64_t v;

	if (*s == '\0')
		bad("%s: empty", what);
	if (s[0] < '0' || s[0] > '9')
		return;
	v = parse_i64(s, 0, 65535, what);
	if (v == 0 && !zero_ok)
		bad("%s: port 0 is only for listening", what);
}

static void
parse_relay(struct tnc_config *cfg, const char *s)
{
	char errbuf[ERRBUF_LEN];

	if (addr_split(s, cfg->relay_host, sizeof(cfg->relay_host),
	    cfg->relay_port, sizeof(cfg->relay_port), errbuf) == -1)
		bad("--relay: %s", errbuf);
	if (cfg->relay_host[0] == '\0')
		bad("--relay: no host in %s", s);
	check_port(cfg->relay_port, "--relay port", false);
	cfg->relay = true;
}

/* -z's ports: PORT or LOW-HIGH each, 1..65535, as nc takes them. */
static void
parse_ranges(struct tnc_config *cfg, int n, char **args)
{
	char copy[32], *dash;
	int i;

	if ((cfg->ranges = calloc(n, sizeof(*cfg->ranges))) == NULL)
		err(EXIT_FAIL, "calloc");
	for (i = 0; i < n; i++) {
		if (strlen(args[i]) >= sizeof(copy))
			bad("port: too long: %s", args[i]);
		strcpy(copy, args[i]);
		if ((dash = strchr(copy, '-')) != NULL)
			*dash++ = '\0';
		cfg->ranges[i].lo = parse_i64(copy, 1, 65535, "port");
		cfg->ranges[i].hi = dash == NULL ? cfg->ranges[i].lo :
		    parse_i64(dash, 1, 65535, "port");
		if (cfg->ranges[i].hi < cfg->ranges[i].lo)
			bad("port: range backwards: %s", args[i]);
	}
	cfg->nranges = n;
}

/* -n: an address literal (IPv4, or IPv6 without brackets), no name. */
static void
check_numeric_host(const char *what, const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];

	if (host == NULL || *host == '\0')
		return;
	if (inet_pton(AF_INET, host, a) != 1 &&
	    inet_pton(AF_INET6, host, a) != 1)
		bad("-n: %s is not a numeric address: %s", what, host);
}

static void
check_numeric_port(const char *what, const char *port)
{
	if (port != NULL && (port[0] < '0' || port[0] > '9'))
		bad("-n: %s is not a number: %s", what, port);
}

/* -n: nothing may need the resolver (no DNS, no service names). */
static void
check_numeric(const struct tnc_config *cfg)
{
	check_numeric_host("host", cfg->host);
	check_numeric_host("-s", cfg->src_host);
	check_numeric_port("port", cfg->port);
	check_numeric_port("-p", cfg->src_port);
	if (cfg->relay) {
		check_numeric_host("--relay host", cfg->relay_host);
		check_numeric_port("--relay port", cfg->relay_port);
	}
}

/* --ssl and its options: which go together. */
static void
check_ssl(const struct tnc_config *cfg, bool verify_set)
{
	if (!cfg->ssl) {
		if (verify_set || cfg->ssl_no_verify ||
		    cfg->ssl_trustfile != NULL || cfg->ssl_cert != NULL ||
		    cfg->ssl_key != NULL || cfg->ssl_allow_truncation)
			bad("--ssl-verify, --no-verify, --ssl-trustfile, "
			    "--ssl-cert, --ssl-key, --ssl-allow-truncation: "
			    "only with --ssl");
		return;
	}
	if (cfg->udp || cfg->scan || cfg->relay)
		bad("--ssl: TCP streams only, not with -u, -z or --relay");
	if (verify_set && cfg->ssl_no_verify)
		bad("--ssl-verify and --no-verify: choose one");
	if (cfg->ssl_no_verify && cfg->ssl_trustfile != NULL)
		bad("--no-verify: nothing to check --ssl-trustfile against");
	if ((cfg->ssl_cert == NULL) != (cfg->ssl_key == NULL))
		bad("--ssl-cert and --ssl-key go together");
	if (cfg->listen && cfg->ssl_cert == NULL)
		bad("--ssl with -l: needs --ssl-cert and --ssl-key");
	if (cfg->listen && (verify_set || cfg->ssl_no_verify ||
	    cfg->ssl_trustfile != NULL))
		bad("--ssl-verify, --no-verify, --ssl-trustfile: for a "
		    "client; -l asks for no client certificate");
}

/* Reject combinations that make no sense before doing any work. */
static void
check_combinations(const struct tnc_config *cfg, bool quit_set, bool io_set,
    bool close_set, bool verify_set)
{
	if (cfg->scan && (cfg->listen || cfg->udp || cfg->relay))
		bad("-z: TCP connect only, not with -l, -u or --relay");
	if (cfg->scan && (quit_set || close_set))
		bad("-z: sends nothing, so -q and --close do not apply");
	if (cfg->unix_path != NULL && (cfg->udp || cfg->scan || cfg->relay ||
	    cfg->src_host != NULL || cfg->src_port != NULL))
		bad("-U: a stream socket at a path: not with -u, -z, -p, -s "
		    "or --relay");
	if (cfg->unix_path != NULL && (cfg->nodelay || cfg->keepalive ||
	    cfg->user_timeout != 0))
		bad("-U: --nodelay, --keepalive and --user-timeout are TCP "
		    "only");
	if (cfg->crlf && (cfg->udp || cfg->scan || cfg->relay ||
	    cfg->exec_prog != NULL || cfg->exec_cmd != NULL))
		bad("-C: for standard input only, not with -u, -z, -e, -c or "
		    "--relay");
	if (cfg->exec_prog != NULL && cfg->exec_cmd != NULL)
		bad("-e and -c: one program only");
	if ((cfg->exec_prog != NULL || cfg->exec_cmd != NULL) &&
	    (cfg->udp || cfg->scan || cfg->relay || close_set))
		bad("-e, -c: not with -u, -z, --relay or --close");
	if (cfg->keep && !cfg->listen)
		bad("-k: only with -l");
	if (cfg->listen && cfg->src_port != NULL)
		bad("-p: not with -l; give the port to listen on as an "
		    "argument");
	if (cfg->listen && cfg->src_host != NULL)
		bad("-s: not with -l; give the address to listen on as an "
		    "argument");
	if (cfg->relay && !cfg->listen)
		bad("--relay: only with -l");
	if (cfg->relay && cfg->udp)
		bad("--relay: TCP only, not with -u");
	if (cfg->relay && close_set)
		bad("--close: not with --relay, which passes on how each "
		    "side closes");
	if (cfg->splice && !cfg->relay)
		bad("--splice: only with --relay");
	if (io_set && !cfg->relay)
		bad("--io: only with --relay");
	if (quit_set && cfg->close_how != CLOSE_GRACEFUL)
		bad("-q: only with --close graceful");
	if (cfg->udp && (cfg->nodelay || cfg->keepalive ||
	    cfg->user_timeout != 0 || close_set))
		bad("-u: --nodelay, --keepalive, --user-timeout and --close "
		    "are TCP only");
	if (cfg->udp && cfg->keep)
		bad("-k: TCP only, not with -u");
	check_ssl(cfg, verify_set);
}

int
main(int argc, char *argv[])
{
	struct tnc_config cfg = {
		.quit_ms = -1,
		.close_how = CLOSE_GRACEFUL,
		.io = TNC_IO_EPOLL,
		.buffer = BUFFER_DEFAULT,
	};
	bool quit_set = false, io_set = false, close_set = false;
	bool verify_set = false;
	bool numeric = false, unix_sock = false;
	char errbuf[ERRBUF_LEN];
	int ch;

	/* SIGINT and SIGTERM interrupt a blocking wait (no SA_RESTART);
	   each mode then reports and exits 128 + the signal. */
	if (stop_catch(NULL, errbuf) == -1)
		errx(EXIT_FAIL, "%s", errbuf);
	sock_ignore_sigpipe();

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":46Cc:e:hklNnp:q:s:Uuvw:z",
	    long_options, NULL)) != -1) {
		switch (ch) {
		case '4':
		case '6':
			/* enum addr_family's values are these digits */
			cfg.family = (enum addr_family)(ch - '0');
			break;
		case 'k':
			cfg.keep = true;
			break;
		case 'l':
			cfg.listen = true;
			break;
		case 'p':
			check_port(optarg, "-p", true);
			cfg.src_port = optarg;
			break;
		case 'q':
			cfg.quit_ms = parse_secs(optarg, "-q");
			quit_set = true;
			break;
		case 's':
			if (*optarg == '\0')
				bad("-s: empty address");
			cfg.src_host = optarg;
			break;
		case 'u':
			cfg.udp = true;
			break;
		case 'v':
			cfg.verbose++;
			break;
		case 'w':
			cfg.wait_ms = parse_secs(optarg, "-w");
			if (cfg.wait_ms == 0)
				bad("-w: must be more than 0: %s", optarg);
			break;
		case 'z':
			cfg.scan = true;
			break;
		case 'C':
			cfg.crlf = true;
			break;
		case 'c':
			cfg.exec_cmd = optarg;
			break;
		case 'e':
			cfg.exec_prog = optarg;
			break;
		case 'U':
			unix_sock = true;
			break;
		case 'N':
			/* nc's "shut down on stdin EOF": always so here. */
			break;
		case 'n':
			numeric = true;
			break;
		case OPT_NODELAY:
			cfg.nodelay = true;
			break;
		case OPT_SNDBUF:
			cfg.sndbuf = parse_size(optarg, 1, 1u << 30,
			    "--sndbuf");
			break;
		case OPT_RCVBUF:
			cfg.rcvbuf = parse_size(optarg, 1, 1u << 30,
			    "--rcvbuf");
			break;
		case OPT_KEEPALIVE:
			parse_keepalive(&cfg, optarg);
			break;
		case OPT_USER_TIMEOUT:
			cfg.user_timeout = parse_i64(optarg, 1, 0x7fffffff,
			    "--user-timeout");
			break;
		case OPT_CLOSE:
			if (close_how_parse(optarg, &cfg.close_how) == -1)
				bad("--close: want graceful, abort or plain: "
				    "%s", optarg);
			close_set = true;
			break;
		case OPT_STATS:
			cfg.stats = true;
			break;
		case OPT_RELAY:
			parse_relay(&cfg, optarg);
			break;
		case OPT_SPLICE:
			cfg.splice = true;
			break;
		case OPT_IO:
			if (tnc_io_parse(optarg, &cfg.io) != 0)
				bad("--io: want threads or epoll: %s", optarg);
			io_set = true;
			break;
		case OPT_BUFFER:
			cfg.buffer = parse_size(optarg, 4096, 1u << 30,
			    "--buffer");
			break;
		case OPT_SSL:
			cfg.ssl = true;
			break;
		case OPT_SSL_VERIFY:
			verify_set = true;
			break;
		case OPT_NO_VERIFY:
			cfg.ssl_no_verify = true;
			break;
		case OPT_SSL_TRUSTFILE:
			cfg.ssl_trustfile = optarg;
			break;
		case OPT_SSL_CERT:
			cfg.ssl_cert = optarg;
			break;
		case OPT_SSL_KEY:
			cfg.ssl_key = optarg;
			break;
		case OPT_SSL_ALLOW_TRUNCATION:
			cfg.ssl_allow_truncation = true;
			break;
		case ':':
			/* optopt is a long option's value for those. */
			if (optopt > 0 && optopt < OPT_NODELAY)
				warnx("-%c: needs an argument", optopt);
			else
				warnx("%s: needs an argument",
				    argv[optind - 1]);
			usage();
		case '?':
			if (optopt > 0 && optopt < OPT_NODELAY)
				warnx("-%c: unknown option", optopt);
			else
				warnx("%s: unknown option", argv[optind - 1]);
			usage();
		case 'h':
		case OPT_HELP:
			exit(usage_print(stdout, synopsis, help));
		case OPT_VERSION:
			printf("tnc teardown %s\n", teardown_version());
			exit(EXIT_OK);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (unix_sock && cfg.scan)
		bad("-U: a stream socket at a path: not with -u, -z, -p, -s "
		    "or --relay");
	if (cfg.scan) {
		if (argc < 2)
			usage();
		cfg.host = argv[0];
		if (*cfg.host == '\0')
			bad("host: empty");
		parse_ranges(&cfg, argc - 1, argv + 1);
	} else if (unix_sock) {
		if (argc != 1)
			usage();
		if (*argv[0] == '\0')
			bad("-U: empty path");
		cfg.unix_path = argv[0];
	} else if (cfg.listen) {
		if (argc == 1) {
			cfg.port = argv[0];
		} else if (argc == 2) {
			cfg.host = argv[0];
			cfg.port = argv[1];
		} else {
			usage();
		}
		check_port(cfg.port, "port", true);
	} else {
		if (argc != 2)
			usage();
		cfg.host = argv[0];
		cfg.port = argv[1];
		if (*cfg.host == '\0')
			bad("host: empty");
		check_port(cfg.port, "port", false);
	}
	check_combinations(&cfg, quit_set, io_set, close_set, verify_set);
	if (numeric)
		check_numeric(&cfg);

	tnc_event_init(cfg.verbose);
	if (cfg.scan) {
		int rc = tnc_scan(&cfg);

		free(cfg.ranges);
		return rc;
	}
	if (cfg.relay)
		return tnc_relay(&cfg);
	if (cfg.udp)
		return cfg.listen ? tnc_udp_listen(&cfg) : tnc_udp_client(&cfg);
	return cfg.listen ? tnc_stream_listen(&cfg) : tnc_stream_client(&cfg);
}
