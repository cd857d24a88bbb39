/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark reader: count packets through a PFQ socket until SIGINT/SIGTERM,
 * then print "recv N lost N" (the socket's own statistics).
 * Usage: pfq-rx DEV [CAPLEN] [SLOTS] [GID]
 * With GID the socket joins that group (shared, default class), binds the
 * group to DEV and sets its computation to $PFQ_BENCH_COMPUTATION (default
 * steer_flow): every reader started so is a member sharing the traffic.
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

	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: pfq-rx DEV [CAPLEN] [SLOTS] [GID]\n");
		return 2;
	}
	size_t caplen = argc > 2 ? strtoul(argv[2], NULL, 10) : PFQ_CAPLEN_MAX;
	size_t slots = argc > 3 ? strtoul(argv[3], NULL, 10) : 32768;

	if (argc > 4) {
		int gid = atoi(argv[4]);
		const char *comp = getenv("PFQ_BENCH_COMPUTATION");

		q = pfq_open_nogroup(caplen, slots, 0, 0);
		if (q && (pfq_join_group(q, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED) < 0 ||
			  pfq_set_group_computation_from_string(q, gid, comp ? comp : "steer_flow") < 0 ||
			  pfq_bind_group(q, gid, argv[1], PFQ_ANY_QUEUE) < 0)) {
			fprintf(stderr, "pfq-rx: %s\n", pfq_error(q));
			return 1;
		}
	} else {
		q = pfq_open(caplen, slots, 0, 0);
		if (q && pfq_bind(q, argv[1], PFQ_ANY_QUEUE) < 0) {
			fprintf(stderr, "pfq-rx: %s\n", pfq_error(q));
			return 1;
		}
	}
	if (!q || pfq_timestamping_enable(q, 1) < 0 || pfq_enable(q) < 0) {
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
