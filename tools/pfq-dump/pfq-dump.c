/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pfq-dump: capture through a PFQ socket, print packets or write a pcap file. */
#include <pfq/pfq.h>

#include <arpa/inet.h>
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fputs(
"Usage: pfq-dump -i DEV[@QUEUE][:DEV[@QUEUE]...] [options]\n"
"  or:  pfq-dump -g GID [-i LIST] [-C COMPUTATION] [options]\n"
"Capture from one or more devices through a PFQ socket and print one line\n"
"per packet (or write them to a pcap file with nanosecond timestamps).\n"
"With -g the socket joins PFQ group GID (shared policy) instead: the devices\n"
"given are bound to the group, and the group's computation decides what this\n"
"member receives (e.g. its share of the flows with -C steer_flow). Without -g,\n"
"-C takes a computation that only filters (e.g. 'tcp >-> port 80'), run in\n"
"the kernel as a classic socket filter.\n"
"\n"
"Options:\n"
"  -i, --interface LIST  devices, ':'-separated; DEV@N binds hw queue N only\n"
"  -g, --group GID       join group GID (0..63)\n"
"  -C, --computation E   the PFQ/lang computation (the group's with -g)\n"
"      --class MASK      classes to join with (default 0x1, the default class)\n"
"      --weight N        this member's share of steered traffic, 1..16 (default 1)\n"
"      --pfqd[=SOCKET]   with -g: ask pfqd for the member (its control socket:\n"
"                        SOCKET, else $PFQD_CONTROL, else /run/pfqd/control);\n"
"                        done by itself when joining needs privileges we lack.\n"
"                        pfqd checks the user against the group's allow_users\n"
"                        and allow_groups; -i and -C must be the group's\n"
"  -c, --count N         stop after N packets\n"
"  -s, --snaplen N       capture length, 1..262144 (default 262144)\n"
"  -S, --slots N         rx ring slots (default 65536)\n"
"  -t, --seconds S       stop after S seconds\n"
"  -d, --direction D     in, out or inout (default inout)\n"
"  -w, --write FILE      write a pcap file (nanosecond precision) instead of printing\n"
"  -p, --no-promisc      do not put the devices in promiscuous mode\n"
"  -q, --quiet           print only the final statistics\n"
"  -h, --help            this text\n"
"\n"
"Stops on SIGINT/SIGTERM; prints the socket statistics on stderr at the end.\n"
"Exit status: 0 on success, 1 on errors, 2 on bad usage.\n", f);
}

#define MAX_DEVS 64 /* the bindings a socket may have */

/* Bind the devices of the list given with -i. */
static int bind_devs(pfq_t *q, const struct parse_dev *devs, int ndevs, int promisc)
{
	for (int i = 0; i < ndevs; i++) {
		int err = pfq_bind(q, devs[i].name, devs[i].queue);

		if (!err && promisc && strcmp(devs[i].name, PFQ_ANY_DEVICE) != 0)
			err = pfq_set_promisc(q, devs[i].name, 1);
		if (err) {
			fprintf(stderr, "pfq-dump: %s\n", pfq_error(q));
			return err;
		}
	}
	return 0;
}

static void summary(const uint8_t *p, uint32_t caplen, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	uint32_t off = 12;
	uint16_t type;

	if (caplen < 14) {
		snprintf(out, n, "truncated frame");
		return;
	}
	type = (uint16_t)(p[12] << 8 | p[13]);
	while ((type == 0x8100 || type == 0x88a8) && off + 6 <= caplen) {
		off += 4;
		type = (uint16_t)(p[off] << 8 | p[off + 1]);
	}
	off += 2;
	if (type == 0x0800 && caplen >= off + 20) {
		const uint8_t *ip = p + off;
		uint32_t hl = (uint32_t)(ip[0] & 0xf) * 4;
		const uint8_t *l4 = ip + hl;

		inet_ntop(AF_INET, ip + 12, a, sizeof(a));
		inet_ntop(AF_INET, ip + 16, b, sizeof(b));
		if ((ip[9] == 6 || ip[9] == 17) && caplen >= off + hl + 4)
			snprintf(out, n, "IP %s.%u > %s.%u %s", a, l4[0] << 8 | l4[1], b,
				 l4[2] << 8 | l4[3], ip[9] == 6 ? "tcp" : "udp");
		else
			snprintf(out, n, "IP %s > %s proto %u", a, b, ip[9]);
	} else if (type == 0x86dd && caplen >= off + 40) {
		inet_ntop(AF_INET6, p + off + 8, a, sizeof(a));
		inet_ntop(AF_INET6, p + off + 24, b, sizeof(b));
		snprintf(out, n, "IP6 %s > %s next %u", a, b, p[off + 6]);
	} else if (type == 0x0806) {
		snprintf(out, n, "ARP");
	} else {
		snprintf(out, n, "ethertype 0x%04x", type);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "slots", required_argument, NULL, 'S' },
		{ "seconds", required_argument, NULL, 't' },
		{ "direction", required_argument, NULL, 'd' },
		{ "write", required_argument, NULL, 'w' },
		{ "no-promisc", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "group", required_argument, NULL, 'g' },
		{ "computation", required_argument, NULL, 'C' },
		{ "class", required_argument, NULL, 1 },
		{ "weight", required_argument, NULL, 2 },
		{ "pfqd", optional_argument, NULL, 3 },
		{ 0 } };
	static const char *const dir_names[] = { "in", "out", "inout", NULL };
	static const int dir_values[] = { PFQ_DIR_IN, PFQ_DIR_OUT, PFQ_DIR_INOUT };
	const struct cli cli = { "pfq-dump", opts };
	struct parse_dev dev[MAX_DEVS];
	int ndevs = 0;
	unsigned long class_mask = 1;
	long gid = -1, weight = 1;
	const char *computation = NULL, *pfqd = NULL;
	const char *devs = NULL, *wfile = NULL;
	long count = -1, snaplen = PFQ_CAPLEN_MAX, slots = 65536, seconds = -1;
	int dirs = PFQ_DIR_INOUT, promisc = 1, quiet = 0, c, rc = 0;
	pcap_t *dead = NULL;
	pcap_dumper_t *dumper = NULL;

	while ((c = getopt_long(argc, argv, "i:c:s:S:t:d:w:pqhg:C:", opts, NULL)) != -1) {
		int bad = 0, k;

		switch (c) {
		case 'i': devs = optarg; break;
		case 'g': bad = cli_long(&cli, c, optarg, 0, PFQ_MAX_GROUPS - 1, &gid); break;
		case 'C': computation = optarg; break;
		case 1: bad = cli_ulong(&cli, c, optarg, 1, 0x7fffffffUL, &class_mask); break;
		case 2: bad = cli_long(&cli, c, optarg, 1, PFQ_WEIGHT_MAX, &weight); break;
		case 3: pfqd = optarg ? optarg : ""; break;
		case 'c': bad = cli_long(&cli, c, optarg, 1, 1L << 40, &count); break;
		case 's': bad = cli_long(&cli, c, optarg, 1, PFQ_CAPLEN_MAX, &snaplen); break;
		case 'S': bad = cli_long(&cli, c, optarg, 1, PFQ_RX_SLOTS_MAX, &slots); break;
		case 't': bad = cli_long(&cli, c, optarg, 1, 86400 * 365L, &seconds); break;
		case 'w': wfile = optarg; break;
		case 'p': promisc = 0; break;
		case 'q': quiet = 1; break;
		case 'd':
			bad = cli_choice(&cli, c, optarg, dir_names, &k);
			if (!bad)
				dirs = dir_values[k];
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (bad)
			return 2;
	}
	if ((!devs && gid < 0) || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (pfqd && gid < 0) {
		/* (ignored, it captured directly: not what was asked) */
		fprintf(stderr, "pfq-dump: --pfqd asks pfqd for a member of a group: it needs -g GID\n");
		return 2;
	}
	/* a bad list exits with 1, as a device that cannot be bound does */
	if (devs) {
		char msg[256];

		ndevs = parse_dev_list(devs, dev, MAX_DEVS, msg, sizeof(msg));
		if (ndevs == 0)
			snprintf(msg, sizeof(msg), "empty device list");
		if (ndevs <= 0) {
			fprintf(stderr, "pfq-dump: invalid value '%s' for --interface: %s\n", devs, msg);
			return 1;
		}
	}
	/* with a group, pfq_bind binds the group the socket joined */
	pfq_t *q = gid < 0 || pfqd ? NULL
				   : pfq_open_nogroup((size_t)snaplen, (size_t)slots, 0, 0);

	if (gid < 0)
		q = pfq_open((size_t)snaplen, (size_t)slots, 0, 0);
	/* a group without the privileges joining needs: pfqd's member */
	if (gid >= 0 && (pfqd || (!q && (errno == EPERM || errno == EACCES)))) {
		struct pfq_pfqd_opts o = PFQ_PFQD_OPTS(.control = pfqd && *pfqd ? pfqd : NULL,
			.class_mask = class_mask, .weight = (int)weight, .caplen = (size_t)snaplen,
			.rx_slots = (size_t)slots, .tstamp = 1, .devices = devs,
			.computation = computation);

		if (dirs != PFQ_DIR_INOUT) {
			fprintf(stderr, "pfq-dump: --direction: a member pfqd makes takes what the "
				"group gives it (inout)\n");
			return 1;
		}
		q = pfq_join_pfqd((int)gid, &o);
		if (!q) {
			fprintf(stderr, "pfq-dump: group %ld: %s\n", gid, pfq_error(NULL));
			return 1;
		}
		goto capture;
	}
	if (!q) {
		fprintf(stderr, "pfq-dump: %s\n", pfq_error(NULL));
		return 1;
	}
	pfq_timestamping_enable(q, 1);
	if (gid >= 0 && (pfq_set_weight(q, (int)weight) < 0 ||
			 pfq_join_group(q, (int)gid, (unsigned long long)class_mask,
					PFQ_POLICY_SHARED) < 0 ||
			 (computation &&
			  pfq_set_group_computation_from_string(q, (int)gid, computation) < 0))) {
		fprintf(stderr, "pfq-dump: group %ld: %s\n", gid, pfq_error(q));
		pfq_close(q);
		return 1;
	}
	if (gid < 0 && computation && pfq_set_computation(q, computation) < 0) {
		fprintf(stderr, "pfq-dump: %s%s\n", pfq_error(q),
			strstr(pfq_error(q), "needs a group") ? " (use -g)" : "");
		pfq_close(q);
		return 1;
	}
	if (bind_devs(q, dev, ndevs, promisc) < 0) {
		pfq_close(q);
		return 1;
	}
	if (pfq_set_direction(q, dirs) < 0 || pfq_enable(q) < 0) {
		fprintf(stderr, "pfq-dump: %s\n", pfq_error(q));
		pfq_close(q);
		return 1;
	}
capture:
	if (wfile) {
		dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)snaplen,
							    PCAP_TSTAMP_PRECISION_NANO);
		dumper = dead ? pcap_dump_open(dead, wfile) : NULL;
		if (!dumper) {
			fprintf(stderr, "pfq-dump: cannot write '%s': %s\n", wfile,
				dead ? pcap_geterr(dead) : "out of memory");
			if (dead)
				pcap_close(dead);
			pfq_close(q);
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	time_t end = seconds > 0 ? time(NULL) + seconds : 0;
	long got = 0;

	while (!stop && (count < 0 || got < count) && (!end || time(NULL) < end)) {
		struct pfq_net_queue nq;
		struct pfq_pkthdr h;
		const uint8_t *data;
		int n = pfq_read(q, &nq, 100000);

		if (n < 0) {
			fprintf(stderr, "pfq-dump: %s\n", pfq_error(q));
			rc = 1;
			break;
		}
		while ((count < 0 || got < count) && pfq_net_queue_next(&nq, &h, &data)) {
			got++;
			if (dumper) {
				struct pcap_pkthdr ph = { .caplen = h.caplen, .len = h.len };

				/* the dumper was opened for ns: tv_usec carries ns */
				ph.ts.tv_sec = (time_t)(h.tstamp_ns / 1000000000ull);
				ph.ts.tv_usec = (suseconds_t)(h.tstamp_ns % 1000000000ull);
				pcap_dump((u_char *)dumper, &ph, data);
			} else if (!quiet) {
				char ifname[IF_NAMESIZE] = "?", sum[160];

				if_indextoname((unsigned)h.ifindex, ifname);
				summary(data, h.caplen, sum, sizeof(sum));
				printf("%llu.%09llu %s %s len %u cap %u%s %s\n",
				       (unsigned long long)(h.tstamp_ns / 1000000000ull),
				       (unsigned long long)(h.tstamp_ns % 1000000000ull), ifname,
				       h.direction == PFQ_DIR_OUT ? "out" : "in", h.len, h.caplen,
				       h.vlan_tpid ? " vlan" : "", sum);
			}
		}
	}
	struct pfq_stats st = { 0 };

	pfq_get_stats(q, &st);
	fprintf(stderr, "%ld packets captured, %llu received, %llu lost\n", got,
		(unsigned long long)st.recv, (unsigned long long)st.lost);
	if (dumper)
		pcap_dump_close(dumper);
	if (dead)
		pcap_close(dead);
	pfq_close(q);
	return rc;
}
