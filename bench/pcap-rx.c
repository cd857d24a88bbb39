/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark reader with stock libpcap: pcap_loop counting until
 * SIGINT/SIGTERM, then print "recv N lost N" (ps_drop).
 * Usage: pcap-rx DEV [SNAPLEN]
 */
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static pcap_t *p;

static void on_signal(int sig)
{
	(void)sig;
	pcap_breakloop(p);
}

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	(void)h;
	(void)data;
	(*(unsigned long long *)user)++;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	unsigned long long n = 0;
	struct pcap_stat st = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: pcap-rx DEV [SNAPLEN]\n");
		return 2;
	}
	p = pcap_create(argv[1], err);
	if (!p) {
		fprintf(stderr, "pcap-rx: %s\n", err);
		return 1;
	}
	pcap_set_snaplen(p, argc > 2 ? atoi(argv[2]) : 65535);
	pcap_set_promisc(p, 1);
	pcap_set_timeout(p, 100); /* wake up to notice pcap_breakloop */
	if (pcap_activate(p) < 0) {
		fprintf(stderr, "pcap-rx: %s\n", pcap_geterr(p));
		return 1;
	}
	/* no SA_RESTART: the signal interrupts poll() so breakloop is seen */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	pcap_loop(p, -1, count, (u_char *)&n);
	pcap_stats(p, &st);
	printf("recv %llu lost %u\n", n, st.ps_drop);
	pcap_close(p);
	return 0;
}
