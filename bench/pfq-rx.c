/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark reader: count packets through a PFQ socket until SIGINT/SIGTERM,
 * then print "recv N lost N" (the socket's own statistics).
 * Usage: pfq-rx DEV [CAPLEN] [SLOTS]
 */
#include <pfq/pfq.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void count(void *user, const struct pfq_pkthdr *h, const uint8_t *data)
{
	(void)h;
	(void)data;
	(*(unsigned long long *)user)++;
}

int main(int argc, char **argv)
{
	unsigned long long n = 0;
	struct pfq_stats st;
	pfq_t *q;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: pfq-rx DEV [CAPLEN] [SLOTS]\n");
		return 2;
	}
	q = pfq_open(argc > 2 ? strtoul(argv[2], NULL, 10) : 65535,
		     argc > 3 ? strtoul(argv[3], NULL, 10) : 32768, 0, 0);
	if (!q || pfq_timestamping_enable(q, 1) < 0 ||
	    pfq_bind(q, argv[1], PFQ_ANY_QUEUE) < 0 || pfq_enable(q) < 0) {
		fprintf(stderr, "pfq-rx: %s\n", pfq_error(q));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		if (pfq_dispatch(q, count, 100000, &n) < 0)
			break;
	/* drain what is already in the ring */
	while (pfq_dispatch(q, count, 0, &n) > 0)
		;
	pfq_get_stats(q, &st);
	printf("recv %llu lost %llu\n", n, (unsigned long long)st.lost);
	pfq_close(q);
	return 0;
}
