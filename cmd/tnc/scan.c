/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc -z: which TCP ports accept a connection, sending nothing, as nc -z. */
#include <err.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errbuf.h"
#include "sock.h"
#include "stop.h"
#include "tnc.h"

/* The service name nc prints in "[tcp/NAME]", "*" when there is none. */
static const char *
service_name(unsigned port)
{
	struct servent *se = getservbyport(htons(port), "tcp");

	return se != NULL ? se->s_name : "*";
}

int
tnc_scan(const struct tnc_config *cfg)
{
	struct sock_opts o = tnc_connect_opts(cfg);
	char errbuf[ERRBUF_LEN], port[8];
	enum outcome oc;
	bool any = false;
	size_t i;
	int fd;

	for (i = 0; i < cfg->nranges; i++) {
		for (unsigned p = cfg->ranges[i].lo; p <= cfg->ranges[i].hi;
		    p++) {
			snprintf(port, sizeof(port), "%u", p);
			fd = sock_connect(cfg->host, port, &o, &oc, errbuf);
			if (stop_requested() != 0)
				return STOP_EXIT(stop_requested());
			if (fd == -1) {
				if (cfg->verbose)
					warnx("%s", errbuf);
				continue;
			}
			any = true;
			/* A FIN right away: nothing was sent, nothing read. */
			close(fd);
			if (cfg->verbose)
				fprintf(stderr, "Connection to %s %u port "
				    "[tcp/%s] succeeded!\n", cfg->host, p,
				    service_name(p));
		}
	}
	return any ? EXIT_OK : EXIT_FAIL;
}
