/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pfq-gen: send generated Ethernet frames on a device, bounded in count and time. */
#include "cli.h"
#include "pfq-tx.h"
#include "pktgen.h"
#include "sender.h"

#include <pfq/pfq.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FLOWS 65536

static void usage(FILE *f)
{
	fputs(
"Usage: pfq-gen -i DEV [options]\n"
"Send generated frames on DEV (a raw AF_PACKET sender, or libpfq's TX queue\n"
"with --pfq), then print how many were sent. Every run is bounded by\n"
"--count and --seconds.\n"
"\n"
"Options:\n"
"  -i, --interface DEV   device to send on (required)\n"
"  -n, --count N         frames to send (default 1000, max 1e9)\n"
"  -l, --length N        frame length without FCS, 60..9000 (default 60)\n"
"  -f, --flows N         distinct flows (source ports / addresses), 1..65536 (default 1)\n"
"  -p, --proto P         udp, tcp, icmp (default udp)\n"
"  -6, --ipv6            IPv6 instead of IPv4\n"
"      --vlan VID        add an 802.1Q tag with this VLAN id (0..4095)\n"
"      --src IP, --dst IP\n"
"                        addresses (default 10.200.0.1 -> 10.200.0.2)\n"
"      --dst-mac MAC     destination MAC (default 02:00:00:00:00:02)\n"
"  -r, --rate PPS        frames per second (default: as fast as the device\n"
"                        takes them), 1..100000000\n"
"  -t, --seconds S       stop after S seconds even if frames remain (default 60)\n"
"      --no-bypass       go through the qdisc, so that captures of DEV's\n"
"                        outgoing traffic see the frames (slower)\n"
"      --pfq             send through a libpfq TX queue (pfq_send, or\n"
"                        pfq_send_async with --batch); the options below\n"
"                        need it\n"
"      --batch N         tx_batch: frames per transmission, 1..65535 (default 1:\n"
"                        every frame sent at once)\n"
"      --tx-thread CPU   a TX thread on CPU sends the batches\n"
"      --tx-queue Q      the device's hardware TX queue Q\n"
"      --tx-slots N      TX queue slots, 1..4194304 (default 4096)\n"
"  -q, --quiet           print nothing but errors\n"
"  -h, --help            this text\n"
"\n"
"Exit status: 0 when every frame was sent, 1 on errors, 2 on bad usage.\n", f);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char extra;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &extra) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "length", required_argument, NULL, 'l' },
		{ "flows", required_argument, NULL, 'f' },
		{ "proto", required_argument, NULL, 'p' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "vlan", required_argument, NULL, 'V' },
		{ "src", required_argument, NULL, 'S' },
		{ "dst", required_argument, NULL, 'D' },
		{ "dst-mac", required_argument, NULL, 'M' },
		{ "seconds", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "no-bypass", no_argument, NULL, 'B' },
		{ "pfq", no_argument, NULL, 'P' },
		{ "batch", required_argument, NULL, 'b' },
		{ "tx-thread", required_argument, NULL, 'T' },
		{ "tx-queue", required_argument, NULL, 'Q' },
		{ "tx-slots", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 } };
	static const char *const proto_names[] = { "udp", "tcp", "icmp", NULL };
	static const int proto_values[] = { IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP };
	const struct cli cli = { "pfq-gen", opts };
	const char *dev = NULL, *src = NULL, *dst = NULL;
	long count = 1000, len = 60, flows = 1, vlan = -1, seconds = 60, rate = 0;
	int l4 = IPPROTO_UDP, v6 = 0, bypass = 1, quiet = 0, use_pfq = 0, c, fd;
	long batch = 1, tx_cpu = PFQ_NO_TX_THREAD, tx_queue = PFQ_ANY_QUEUE, tx_slots = 4096;
	bool pfq_opts = false;
	uint8_t dst_mac[6] = { 2, 0, 0, 0, 0, 2 };
	struct pkt_spec s;

	while ((c = getopt_long(argc, argv, "i:n:l:f:p:6t:r:qh", opts, NULL)) != -1) {
		int bad = 0, k;

		switch (c) {
		case 'i': dev = optarg; break;
		case 'n': bad = cli_long(&cli, c, optarg, 0, 1000000000L, &count); break;
		case 'l': bad = cli_long(&cli, c, optarg, 60, 9000, &len); break;
		case 'f': bad = cli_long(&cli, c, optarg, 1, MAX_FLOWS, &flows); break;
		case 'V': bad = cli_long(&cli, c, optarg, 0, 4095, &vlan); break;
		case 't': bad = cli_long(&cli, c, optarg, 1, 86400, &seconds); break;
		case 'r': bad = cli_long(&cli, c, optarg, 1, 100000000L, &rate); break;
		case 'S': src = optarg; break;
		case 'D': dst = optarg; break;
		case 'M':
			if (parse_mac(optarg, dst_mac) < 0)
				bad = cli_bad_value(&cli, c, optarg,
						    "expected a MAC address (like 02:00:00:00:00:02)");
			break;
		case '6': v6 = 1; break;
		case 'B': bypass = 0; break;
		case 'P': use_pfq = 1; break;
		case 'b': bad = cli_long(&cli, c, optarg, 1, PFQ_TX_BATCH_MAX, &batch); pfq_opts = true; break;
		case 'T': bad = cli_long(&cli, c, optarg, 0, 4095, &tx_cpu); pfq_opts = true; break;
		case 'Q': bad = cli_long(&cli, c, optarg, 0, 65534, &tx_queue); pfq_opts = true; break;
		case 'L': bad = cli_long(&cli, c, optarg, 1, PFQ_TX_SLOTS_MAX, &tx_slots); pfq_opts = true; break;
		case 'q': quiet = 1; break;
		case 'p':
			bad = cli_choice(&cli, c, optarg, proto_names, &k);
			if (!bad)
				l4 = proto_values[k];
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (bad)
			return 2;
	}
	if (!dev || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (pfq_opts && !use_pfq) {
		fprintf(stderr, "pfq-gen: --batch, --tx-thread, --tx-queue and --tx-slots need --pfq\n");
		return 2;
	}
	if (v6 && l4 == IPPROTO_ICMP)
		l4 = IPPROTO_ICMPV6;
	for (int k = 0; k < 2; k++) {
		const char *a = k ? dst : src;
		uint8_t ip[16];

		if (a && inet_pton(v6 ? AF_INET6 : AF_INET, a, ip) != 1) {
			fprintf(stderr, "pfq-gen: invalid value '%s' for --%s: not an %s\n", a,
				k ? "dst" : "src", v6 ? "IPv6 address" : "IPv4 address (IPv6 needs -6)");
			return 2;
		}
	}

	uint8_t **frames = calloc((size_t)flows, sizeof(*frames));
	size_t *lens = calloc((size_t)flows, sizeof(*lens));
	uint8_t *mem = calloc((size_t)flows, 9216);
	long sent = -1;
	int rc = 1;

	if (!frames || !lens || !mem) {
		fprintf(stderr, "pfq-gen: out of memory\n");
		goto out;
	}
	pkt_spec_udp4(&s, src ? src : "10.200.0.1", dst ? dst : "10.200.0.2",
		      1024, 5001, (size_t)len);
	memcpy(s.dst_mac, dst_mac, 6);
	s.l4 = (uint8_t)l4;
	s.vlan_outer = (int)vlan;
	if (v6) {
		s.l3 = PKT_IPV6;
		if (!src)
			src = "fd00::1";
		if (!dst)
			dst = "fd00::2";
	}
	/* (checked above) */
	inet_pton(v6 ? AF_INET6 : AF_INET, src ? src : "10.200.0.1", s.src_ip);
	inet_pton(v6 ? AF_INET6 : AF_INET, dst ? dst : "10.200.0.2", s.dst_ip);
	for (long i = 0; i < flows; i++) {
		/* flows differ in source port and low source address byte,
		 * scattered as in real traffic (not in lockstep, which flow
		 * hashes that mix the two would fold onto few values) */
		uint64_t r = (uint64_t)i * 0x9e3779b97f4a7c15ull;

		r ^= r >> 29;
		r *= 0xbf58476d1ce4e5b9ull;
		r ^= r >> 32;
		/* i * 40507 mod 60000 is a permutation: ports stay distinct */
		s.sport = (uint16_t)(1024 + (uint64_t)i * 40507u % 60000u);
		s.src_ip[v6 ? 15 : 3] = (uint8_t)(1 + (r >> 20) % 254);
		frames[i] = mem + (size_t)i * 9216;
		lens[i] = pkt_build(&s, frames[i], 9216);
	}
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t deadline = (uint64_t)(t0.tv_sec + seconds) * 1000000000ull +
			    (uint64_t)t0.tv_nsec;

	if (use_pfq) {
		struct pfq_gen_tx tx = { .batch = batch, .thread_cpu = (int)tx_cpu,
					 .queue = (int)tx_queue, .slots = tx_slots };
		struct pfq_stats st = { 0 };
		char err[512] = "";

		sent = pfq_gen_send(dev, frames, lens, (size_t)flows, count, (uint64_t)rate,
				    deadline, &tx, &st, err, sizeof(err));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (sent < 0) {
			fprintf(stderr, "pfq-gen: %s\n", err);
			goto out;
		}
		if (st.fail)
			fprintf(stderr, "pfq-gen: %llu frames failed\n", (unsigned long long)st.fail);
	} else {
		fd = sender_open(dev, bypass);
		if (fd < 0) {
			fprintf(stderr, "pfq-gen: cannot send on '%s': %s\n", dev, strerror(-fd));
			goto out;
		}
		sent = sender_bulk(fd, frames, lens, (size_t)flows, count, (uint64_t)rate, deadline);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		sender_close(fd);
	}
	if (sent < 0) {
		fprintf(stderr, "pfq-gen: send failed: %s\n", strerror((int)-sent));
		goto out;
	}
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	if (!quiet)
		printf("sent %ld frames of %ld bytes in %.3f s (%.0f pps)\n", sent, len,
		       secs, secs > 0 ? (double)sent / secs : 0.0);
	rc = sent == count ? 0 : 1;
out:
	free(frames);
	free(lens);
	free(mem);
	return rc;
}
