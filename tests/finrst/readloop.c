/* SPDX-License-Identifier: BSD-2-Clause */
/* Bench floor: read a capture with pcap_next_ex and do nothing else. */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>

#include <pcap/pcap.h>

int
main(int argc, char **argv)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t n = 0, bytes = 0, sum = 0;
	pcap_t *p;
	int rc;

	if (argc != 2)
		errx(2, "usage: readloop FILE");
	if ((p = pcap_open_offline(argv[1], ebuf)) == NULL)
		errx(3, "%s: %s", argv[1], ebuf);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		n++;
		bytes += h->caplen;
		sum += data[h->caplen ? h->caplen - 1 : 0];	/* touch it */
	}
	if (rc == -1)
		errx(3, "%s: %s", argv[1], pcap_geterr(p));
	printf("%" PRIu64 " packets, %" PRIu64 " bytes (%" PRIu64 ")\n", n,
	    bytes, sum);
	pcap_close(p);
	return 0;
}
