/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An ordinary libpcap program that transmits: opens DEV with pcap_create /
 * pcap_activate and sends COUNT distinct UDP frames, alternating
 * pcap_inject and pcap_sendpacket, then closes. Frame i carries i in its
 * source port and payload, so a capture shows order and content.
 * Usage: pcap_inject DEV COUNT [LEN]
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t frame(uint8_t *f, unsigned i, size_t len)
{
	static const uint8_t hdr[] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, /* Ethernet */
		0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0,                 /* IPv4, UDP */
		10, 7, 0, 1, 10, 7, 0, 2,
	};
	size_t ip_len = len - 14, udp_len = len - 34;

	memcpy(f, hdr, sizeof(hdr));
	f[16] = (uint8_t)(ip_len >> 8);
	f[17] = (uint8_t)ip_len;
	f[34] = (uint8_t)((1000 + i) >> 8); /* source port */
	f[35] = (uint8_t)(1000 + i);
	f[36] = 0x13; /* destination port 5000 */
	f[37] = 0x88;
	f[38] = (uint8_t)(udp_len >> 8);
	f[39] = (uint8_t)udp_len;
	f[40] = f[41] = 0;
	for (size_t k = 42; k < len; k++)
		f[k] = (uint8_t)(i + k);
	return len;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	uint8_t f[1514];
	pcap_t *p;
	unsigned n;
	size_t len;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: pcap_inject DEV COUNT [LEN]\n");
		return 2;
	}
	n = (unsigned)strtoul(argv[2], NULL, 10);
	len = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
	p = pcap_create(argv[1], err);
	if (!p) {
		fprintf(stderr, "pcap_create: %s\n", err);
		return 1;
	}
	if (pcap_activate(p) < 0) {
		fprintf(stderr, "pcap_activate: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	for (unsigned i = 0; i < n; i++) {
		size_t l = len ? len : 60 + (i * 37) % 1400;

		if (l < 42 || l > sizeof(f)) {
			fprintf(stderr, "bad length %zu\n", l);
			return 2;
		}
		frame(f, i, l);
		if (i % 2 ? pcap_sendpacket(p, f, (int)l) != 0
			  : pcap_inject(p, f, l) != (int)l) {
			fprintf(stderr, "send %u: %s\n", i, pcap_geterr(p));
			pcap_close(p);
			return 1;
		}
	}
	pcap_close(p);
	printf("sent %u\n", n);
	return 0;
}
