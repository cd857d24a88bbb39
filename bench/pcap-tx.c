/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark sender with libpcap: COUNT 60-byte UDP frames with
 * pcap_inject, one call per frame as an ordinary program does; prints
 * "sent N seconds S". Run on a plain device it measures stock libpcap; on
 * a pfq device under pfq-run, pfq's TX queue behind the same calls.
 * Usage: pcap-tx DEV COUNT
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	static const unsigned char frame[60] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
		0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 200, 0, 1, 10, 200, 0, 2,
		0x03, 0xe8, 0x13, 0x89, 0, 26, 0, 0,
	};
	char err[PCAP_ERRBUF_SIZE];
	struct timespec t0, t1;
	unsigned long n, sent = 0;
	pcap_t *p;

	if (argc != 3) {
		fprintf(stderr, "usage: pcap-tx DEV COUNT\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	p = pcap_create(argv[1], err);
	if (!p) {
		fprintf(stderr, "pcap-tx: %s\n", err);
		return 1;
	}
	if (pcap_activate(p) < 0) {
		fprintf(stderr, "pcap-tx: %s\n", pcap_geterr(p));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = 0; i < n; i++) {
		if (pcap_inject(p, frame, sizeof(frame)) != (int)sizeof(frame)) {
			fprintf(stderr, "pcap-tx: frame %lu: %s\n", i, pcap_geterr(p));
			break;
		}
		sent++;
	}
	pcap_close(p); /* flushes what a batching library still holds */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("sent %lu seconds %.6f\n", sent,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return sent == n ? 0 : 1;
}
