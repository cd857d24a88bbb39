/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shim-bench: what one libpcap call costs on handles that are not pfq's:
 * a file (pcap_next_ex and pcap_loop per packet, pcap_datalink per call)
 * and a plain device (pcap_datalink, and pcap_next_ex / pcap_dispatch that
 * find nothing in non-blocking mode: pcap_loop would wait for packets).
 * Linked against the system libpcap only; bench/shim.sh runs it stock,
 * under pfq-run and with the drop-in, and compares. Prints "NAME NS" lines,
 * each the best of --repeat runs.
 *
 *   shim-bench --file PATH [--count N] [--calls N] [--repeat N] [--device DEV]
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long count = 1000000, calls = 10000000, repeat = 5;
static volatile long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "shim-bench: %s: %s\n", what, why);
	exit(1);
}

/* a file of count 60-byte UDP frames */
static void write_file(const char *path)
{
	static u_char frame[60] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45 };
	struct pcap_pkthdr h = { .caplen = sizeof(frame), .len = sizeof(frame) };
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
	pcap_dumper_t *d = pcap_dump_open(dead, path);

	if (!d)
		die(path, pcap_geterr(dead));
	for (long i = 0; i < count; i++) {
		h.ts.tv_sec = i / 1000000;
		h.ts.tv_usec = i % 1000000;
		frame[59] = (u_char)i;
		pcap_dump((u_char *)d, &h, frame);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

static pcap_t *open_file(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);

	if (!p)
		die(path, err);
	return p;
}

static void touch(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	(void)user;
	sink += h->caplen + data[59];
}

/* ns per packet or per call, the best of the runs */
static double best(double (*run)(void *), void *arg)
{
	double b = 1e30;

	for (long r = 0; r < repeat; r++) {
		double v = run(arg);

		if (v < b)
			b = v;
	}
	return b;
}

static double file_next_ex(void *path)
{
	pcap_t *p = open_file(path);
	struct pcap_pkthdr *h;
	const u_char *data;
	long n = 0;
	double t = now();

	while (pcap_next_ex(p, &h, &data) == 1) {
		sink += h->caplen + data[59];
		n++;
	}
	t = now() - t;
	pcap_close(p);
	if (n != count)
		die("pcap_next_ex", "short file");
	return t / (double)n;
}

static double file_loop(void *path)
{
	pcap_t *p = open_file(path);
	double t = now();

	if (pcap_loop(p, -1, touch, NULL) < 0)
		die("pcap_loop", pcap_geterr(p));
	t = now() - t;
	pcap_close(p);
	return t / (double)count;
}

static double datalink(void *p)
{
	double t = now();

	for (long i = 0; i < calls; i++)
		sink += pcap_datalink(p);
	return (now() - t) / (double)calls;
}

static double idle_next_ex(void *p)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	long n = calls / 50;
	double t = now();

	for (long i = 0; i < n; i++)
		sink += pcap_next_ex(p, &h, &data);
	return (now() - t) / (double)n;
}

static double idle_dispatch(void *p)
{
	long n = calls / 50;
	double t = now();

	for (long i = 0; i < n; i++)
		sink += pcap_dispatch(p, -1, touch, NULL);
	return (now() - t) / (double)n;
}

static long number(const char *s, const char *opt)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 1 || v > 1000000000)
		die(opt, "a number 1..1e9");
	return v;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *device = NULL;
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			die(argv[i], "missing value");
		if (!strcmp(argv[i], "--file"))
			path = argv[++i];
		else if (!strcmp(argv[i], "--count"))
			count = number(argv[++i], "--count");
		else if (!strcmp(argv[i], "--calls"))
			calls = number(argv[++i], "--calls");
		else if (!strcmp(argv[i], "--repeat"))
			repeat = number(argv[++i], "--repeat");
		else if (!strcmp(argv[i], "--device"))
			device = argv[++i];
		else
			die(argv[i], "unknown option");
	}
	if (!path)
		die("--file", "missing");
	write_file(path);
	printf("file_pcap_next_ex %.2f\n", best(file_next_ex, (void *)path));
	printf("file_pcap_loop %.2f\n", best(file_loop, (void *)path));
	p = open_file(path);
	printf("file_pcap_datalink %.2f\n", best(datalink, p));
	pcap_close(p);
	if (device) {
		p = pcap_open_live(device, 262144, 0, 1000, err);
		if (!p || pcap_setnonblock(p, 1, err) < 0)
			die(device, err);
		printf("device_pcap_datalink %.2f\n", best(datalink, p));
		printf("device_pcap_next_ex_idle %.2f\n", best(idle_next_ex, p));
		printf("device_pcap_dispatch_idle %.2f\n", best(idle_dispatch, p));
		pcap_close(p);
	}
	return 0;
}
