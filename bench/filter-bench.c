/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Filter cost where filters really run: on AF_PACKET sockets, attached the
 * usual way. libpcap's classic program (what tcpdump attaches), our classic
 * program of the same PFQ/lang filtering (what a socket with no group
 * attaches) and our eBPF program of it (what a group runs) are each put on
 * 64 sockets of one device; the same frames are sent through a veth pair
 * (in a private network namespace: nothing else runs there), and the send
 * loop, which also runs the receive path on the sending CPU, is timed.
 * Every program answers 0 (classic: every return made 0; eBPF: the program
 * followed by `drop`), so no socket copies anything and what is measured
 * is the filter. Cost per filter run = (time - time with a `ret #0` filter)
 * / 64. Interleaved rounds, best of each.
 *
 * Usage: filter-bench [--count N] [--rounds R]   (root)
 */

#include <pfq/lang.h>

#include "pktgen.h"
#include "tcpdump-prog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

#define NSOCK 64

struct row {
	const char *name, *lang, *pcap;
};

/* The "same checks" rows give libpcap the validation our predicates do on
 * these frames (IPv4 version and header length inside the frame; for TCP,
 * no later fragment and a whole TCP header): what `ip` and `is_tcp` mean in
 * PFQ/lang, where libpcap's `ip` and `tcp` compare one or two bytes. */
static const struct row rows[] = {
	{ "ip", "ip", "ip" },
	{ "ip (same checks)", "ip",
	  "ip and ip[0] & 0xf0 = 0x40 and ip[0] & 0xf >= 5 and len >= 14 + (ip[0] & 0xf) * 4" },
	{ "not tcp", "when is_tcp drop", "not tcp" },
	{ "not tcp (same checks, IPv4)", "when is_tcp drop",
	  "not (ip and ip[0] & 0xf0 = 0x40 and ip[0] & 0xf >= 5 and ip[9] = 6 and "
	  "ip[6:2] & 0x1fff = 0 and len >= 34 + (ip[0] & 0xf) * 4 and tcp[12] >= 0x50)" },
	{ "tcp port 80", "tcp >-> port 80", "tcp port 80" },
	{ "udp and dst net", "udp >-> dst_addr \"10.0.0.0/8\"", "udp and dst net 10.0.0.0/8" },
	{ "ip, no frag, udp dst 53", "ip >-> no_frag >-> udp >-> dst_port 53",
	  "ip and ip[6:2] & 0x3fff = 0 and udp dst port 53" },
};

static int socks[NSOCK], tx;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "filter-bench: '%s' failed\n", cmd);
	return rc;
}

/* a network namespace of our own (gone with the process) with x0 <-> x1 */
static int setup(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		perror("filter-bench: unshare(CLONE_NEWNET)");
		return -1;
	}
	if (sh("ip link add x0 type veth peer name x1") || sh("ip link set x0 up") ||
	    sh("ip link set x1 up"))
		return -1;
	/* nothing but our frames: no IPv6 neighbour discovery on the pair */
	sh("sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1 || true");
	int rx_if = (int)if_nametoindex("x1"), one = 1;
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = rx_if };

	for (int i = 0; i < NSOCK; i++) {
		socks[i] = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
		if (socks[i] < 0 || bind(socks[i], (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("filter-bench: packet socket");
			return -1;
		}
	}
	tx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	a.sll_protocol = 0;
	a.sll_ifindex = (int)if_nametoindex("x0");
	if (tx < 0 || bind(tx, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("filter-bench: sender");
		return -1;
	}
	setsockopt(tx, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	return 0;
}

/* libpcap's program for expr, every return made 0; its length or -1 */
static int pcap_program(const char *expr, struct sock_filter *ins, int max)
{
	int n = tcpdump_program(expr, ins, max);

	for (int k = 0; k < n; k++)
		if (BPF_CLASS(ins[k].code) == BPF_RET)
			ins[k] = (struct sock_filter){ BPF_RET | BPF_K, 0, 0, 0 };
	return n;
}

static int attach_classic(struct sock_filter *ins, int n)
{
	struct sock_fprog p = { (unsigned short)n, ins };

	for (int i = 0; i < NSOCK; i++)
		if (setsockopt(socks[i], SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p)) < 0)
			return -1;
	return 0;
}

static int attach_ebpf(int fd)
{
	for (int i = 0; i < NSOCK; i++)
		if (setsockopt(socks[i], SOL_SOCKET, SO_ATTACH_BPF, &fd, sizeof(fd)) < 0)
			return -1;
	return 0;
}

/* ns per frame for sending (and receiving) count frames */
static double send_frames(const uint8_t *frame, size_t len, long count)
{
	double t0 = now();

	for (long i = 0; i < count; i++)
		if (send(tx, frame, len, 0) < 0 && errno != ENOBUFS)
			return -1;
	return (now() - t0) / (double)count * 1e9;
}

struct progs {
	struct sock_filter pcap[512];
	int npcap;
	struct sock_fprog classic;
	pfq_lang_bpf *ebpf;
};

static int make_progs(const struct row *r, struct progs *p)
{
	struct pfq_lang_diag d;
	pfq_lang_program *lp = pfq_lang_compile(r->lang, &d), *dropped;
	char src[512];
	struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .filter_only = 1,
				       .flavour = PFQ_LANG_FILTER };

	p->npcap = pcap_program(r->pcap, p->pcap, 512);
	if (!lp || p->npcap < 0 || pfq_lang_classic_compile(lp, 0, &p->classic, &d) < 0) {
		fprintf(stderr, "filter-bench: '%s' / '%s': %s\n", r->lang, r->pcap,
			p->npcap < 0 ? "tcpdump -ddd failed" : d.msg);
		pfq_lang_free(lp);
		return -1;
	}
	snprintf(src, sizeof(src), "%s >-> drop", r->lang);
	dropped = pfq_lang_compile(src, &d);
	p->ebpf = dropped ? pfq_lang_bpf_load(dropped, &o, &d) : NULL;
	pfq_lang_free(dropped);
	pfq_lang_free(lp);
	if (!p->ebpf) {
		fprintf(stderr, "filter-bench: '%s': %s\n", src, d.msg);
		return -1;
	}
	return 0;
}

/* the number in text when it is lo..hi, else -1 */
static long in_range(const char *text, long lo, long hi)
{
	char *end;
	long v = strtol(text, &end, 10);

	return *text && !*end && v >= lo && v <= hi ? v : -1;
}

static void usage(FILE *f)
{
	fputs("Usage: filter-bench [--count N] [--rounds R]\n"
	      "Per-run cost of socket filters attached the usual way (64 sockets of one\n"
	      "device, a private network namespace): libpcap's classic program, our\n"
	      "classic and our eBPF program of the same filtering. Needs root.\n"
	      "  -n, --count N   frames per measurement (default 100000)\n"
	      "  -r, --rounds R  interleaved rounds, best kept (default 5)\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "count", required_argument, NULL, 'n' },
					      { "rounds", required_argument, NULL, 'r' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	long count = 100000, rounds = 5;
	struct sock_filter ret0[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	uint8_t frames[2][128];
	size_t lens[2];
	const char *fname[2] = { "UDP to port 53", "TCP to port 80" };
	struct pkt_spec s;
	cpu_set_t cpu;
	int c;

	while ((c = getopt_long(argc, argv, "n:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': count = in_range(optarg, 100, 100000000); break;
		case 'r': rounds = in_range(optarg, 1, 50); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (count < 0 || rounds < 0) {
			fprintf(stderr, "filter-bench: invalid value '%s'\n", optarg);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* rows as they come, also into a file */
	/* the sender and the receive path on one CPU: no cross-CPU noise */
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu() > 0 ? sched_getcpu() : 0, &cpu);
	sched_setaffinity(0, sizeof(cpu), &cpu);
	if (setup() < 0)
		return 1;
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1000, 53, 60);
	lens[0] = pkt_build(&s, frames[0], sizeof(frames[0]));
	s.l4 = IPPROTO_TCP;
	s.dport = 80;
	lens[1] = pkt_build(&s, frames[1], sizeof(frames[1]));
	printf("socket filter cost per run, attached the usual way (%d sockets, %ld frames, best of %ld "
	       "interleaved rounds), ns\n", NSOCK, count, rounds);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		printf("  %-28s PFQ/lang: %s\n  %-28s tcpdump:  %s\n", rows[i].name, rows[i].lang, "",
		       rows[i].pcap);
	printf("%-16s %-28s %6s %8s %8s %8s %8s\n", "frame", "filter", "pcap", "classic", "eBPF",
	       "classic/", "eBPF/");
	printf("%-16s %-28s %6s %8s %8s %8s %8s\n", "", "", "", "(ours)", "(ours)", "pcap", "pcap");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct progs p = { 0 };

		if (make_progs(&rows[i], &p) < 0)
			return 1;
		for (int f = 0; f < 2; f++) {
			double best[4] = { 1e18, 1e18, 1e18, 1e18 };

			send_frames(frames[f], lens[f], count / 10); /* warm up */
			for (long r = 0; r < rounds; r++)
				for (int k = 0; k < 4; k++) {
					double t;
					int rc = k == 0 ? attach_classic(ret0, 1)
						 : k == 1 ? attach_classic(p.pcap, p.npcap)
						 : k == 2 ? attach_classic(p.classic.filter, p.classic.len)
							  : attach_ebpf(pfq_lang_bpf_prog_fd(p.ebpf));

					if (rc < 0) {
						perror("filter-bench: attach");
						return 1;
					}
					t = send_frames(frames[f], lens[f], count);
					if (t < 0) {
						perror("filter-bench: send");
						return 1;
					}
					if (t < best[k])
						best[k] = t;
				}
			double pc = (best[1] - best[0]) / NSOCK, cl = (best[2] - best[0]) / NSOCK,
			       eb = (best[3] - best[0]) / NSOCK;
			printf("%-16s %-28s %6.1f %8.1f %8.1f %8.2f %8.2f\n", fname[f], rows[i].name, pc,
			       cl, eb, pc > 0.05 ? cl / pc : 0, pc > 0.05 ? eb / pc : 0);
		}
		free(p.classic.filter);
		pfq_lang_bpf_free(p.ebpf);
	}
	printf("(differences of timings of %d sockets each; this VM drifts: compare the ratios of one run)\n", NSOCK);
	return 0;
}
