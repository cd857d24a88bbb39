/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PFQ/lang cost per packet, measured by the kernel (BPF_PROG_TEST_RUN,
 * many repeats, bpf_stats off): our compiled programs against the same
 * filtering written as tcpdump expressions, compiled by libpcap and
 * translated to eBPF the way the kernel runs classic filters.
 * Usage: lang-bench [REPEAT]
 */
#include <pfq/lang.h>

#include "../lib/bpf/cbpf.h"
#include "../lib/lang/group-abi.h"
#include "pktgen.h"
#include "tcpdump-prog.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pair {
	const char *name, *lang, *pcap;
};

static const struct pair pairs[] = {
	{ "ip", "ip", "ip" },
	{ "ip, same checks", "ip",
	  "ip and ip[0] & 0xf0 = 0x40 and ip[0] & 0xf >= 5 and len >= 14 + (ip[0] & 0xf) * 4" },
	{ "ip >-> steer_flow", "ip >-> steer_flow", NULL },
	{ "when is_tcp drop", "when is_tcp drop", "not tcp" },
	{ "not tcp, same checks", "when is_tcp drop",
	  "not (ip and ip[0] & 0xf0 = 0x40 and ip[0] & 0xf >= 5 and ip[9] = 6 and "
	  "ip[6:2] & 0x1fff = 0 and len >= 34 + (ip[0] & 0xf) * 4 and tcp[12] >= 0x50)" },
	{ "tcp port 80", "tcp >-> port 80", "tcp port 80" },
	{ "udp and dst net", "udp >-> dst_addr \"10.0.0.0/8\"", "udp and dst net 10.0.0.0/8" },
	{ "10-stage pipeline",
	  "ip >-> udp >-> no_frag >-> filter (ip_ttl .> 1) >-> dst_port 53 >-> "
	  "src_addr \"10.0.0.0/8\" >-> filter (udp_len .> 8) >-> inc 1 >-> classify 2 >-> steer_flow",
	  "ip and udp and (ip[6:2] & 0x3fff = 0) and ip[8] > 1 and dst port 53 and src net 10.0.0.0/8 and udp[4:2] > 8" },
};

/* best of `rounds` runs of each program, the two interleaved so that both
 * see the same machine state (this VM drifts by 10-15 % over minutes) */
static void run_pair(int a, int b, const uint8_t *frame, size_t len, int repeat, int rounds,
		     double *ta, double *tb)
{
	uint8_t data[2048];
	int fds[2] = { a, b };
	double *out[2] = { ta, tb };

	memset(data, 0, 14);
	data[12] = 0x88;
	data[13] = 0xb5;
	memcpy(data + 14, frame, len);
	*ta = *tb = 1e9;
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < 2; k++) {
			if (fds[k] < 0)
				continue;
			LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data,
				    .data_size_in = (uint32_t)(len + 14), .repeat = repeat);
			if (bpf_prog_test_run_opts(fds[k], &t) == 0 && t.duration < *out[k])
				*out[k] = t.duration;
		}
}

/* A group of `ip >-> steer_flow` on "any" device, member table t, and
 * its program of the given flavour (the flow memory with the fanout
 * flavour), or NULL; *spec is freed by the caller. */
static pfq_lang_bpf *group_load(struct pfq_lang_group_spec **spec, const struct pfq_member_table *t,
				enum pfq_lang_flavour flavour, pfq_lang_program **p)
{
	struct pfq_lang_diag diag = { 0 };
	pfq_lang_bpf *b = NULL;
	struct pfq_lang_group_spec *g = *spec = calloc(1, sizeof(*g));

	*p = pfq_lang_compile("ip >-> steer_flow", &diag);
	if (!g || !*p)
		return NULL;
	g->members_map_fd = pfq_lang_members_map_create();
	g->stats_map_fd = pfq_lang_group_stats_map_create();
	g->counters_map_fd = pfq_lang_group_counters_map_create();
	if (flavour == PFQ_LANG_GROUP_FANOUT)
		g->flows_map_fd = pfq_lang_group_flows_map_create();
	g->nbind = 1; /* "any" device */
	g->bind[0].queue = -1;
	if (g->members_map_fd >= 0 && pfq_lang_members_map_update(g->members_map_fd, t) == 0) {
		struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .group = g, .flavour = flavour };

		b = pfq_lang_bpf_load(*p, &o, &diag);
	}
	if (!b)
		fprintf(stderr, "lang-bench: group program: %s\n", diag.msg);
	return b;
}

/* the best of 7 test runs of b (repeat runs each) on data, in ns per run,
 * counting only runs that answered want (any answer when want < 0) */
static double best_run_ns(pfq_lang_bpf *b, uint8_t *data, size_t len, struct __sk_buff *ctx,
			  long want, int repeat)
{
	double best = -1;

	for (int r = 0; b && r < 7; r++) {
		LIBBPF_OPTS(bpf_test_run_opts, tr, .data_in = data, .data_size_in = (uint32_t)len,
			    .ctx_in = ctx, .ctx_size_in = ctx ? sizeof(*ctx) : 0, .repeat = repeat);

		if (bpf_prog_test_run_opts(pfq_lang_bpf_prog_fd(b), &tr) == 0 &&
		    (want < 0 || tr.retval == want) && (best < 0 || tr.duration < best))
			best = tr.duration;
	}
	return best;
}

/* The group program of `ip >-> steer_flow` with two members, as a member's
 * filter reaches it (member id, caplen, directions in cb[]): what a group
 * adds per member run on top of the filter flavour. */
static double group_program_ns(const uint8_t *frame, size_t len, int repeat)
{
	struct pfq_member_table t = { .n = 2, .leader = 1 };
	/* the leader's run: stats, then the steering decision */
	struct __sk_buff ctx = { .cb = { 1, 0xffff, PFQ_DIR_INOUT, 0 } };
	struct pfq_lang_group_spec *spec;
	pfq_lang_program *p;
	pfq_lang_bpf *b;
	uint8_t data[2048];
	double best;

	t.m[0] = (struct pfq_member){ 1, 1, 1 };
	t.m[1] = (struct pfq_member){ 1, 2, 1 };
	b = group_load(&spec, &t, PFQ_LANG_GROUP_MEMBERS, &p);
	memset(data, 0, 14);
	data[12] = 0x88;
	data[13] = 0xb5;
	memcpy(data + 14, frame, len);
	best = best_run_ns(b, data, len + 14, &ctx, -1, repeat);
	pfq_lang_bpf_free(b);
	pfq_lang_free(p);
	free(spec);
	return best;
}

/* The fanout program of `ip >-> steer_flow` for a group of one member, with
 * its flow memory: what the kernel's PACKET_FANOUT_EBPF runs once per packet
 * for a group (issue 10). The frame repeats, so after the first run its
 * flow is remembered: the steady state of a long flow. */
static double group_fanout_ns(const uint8_t *frame, size_t len, int repeat)
{
	struct pfq_member_table t = { .n = 1, .leader = 1, .mode = PFQ_GROUP_MODE_FANOUT };
	struct pfq_lang_group_spec *spec;
	pfq_lang_program *p;
	pfq_lang_bpf *b;
	uint8_t data[2048];
	double best;

	t.m[0] = (struct pfq_member){ .class_mask = 1, .id = 1, .weight = 1, .pos = 1 };
	b = group_load(&spec, &t, PFQ_LANG_GROUP_FANOUT, &p);
	/* the program reads from the MAC header: the frame as it is; it
	 * answered the member's position when the whole path ran */
	memcpy(data, frame, len);
	best = best_run_ns(b, data, len, NULL, 1, repeat);
	pfq_lang_bpf_free(b);
	pfq_lang_free(p);
	free(spec);
	return best;
}

int main(int argc, char **argv)
{
	int repeat = argc > 1 ? atoi(argv[1]) : 1000000;
	uint8_t frame[128];
	struct pkt_spec s;
	size_t len;
	double ip_ns = 0, flow_ns = 0;

	if (repeat < 1) {
		fprintf(stderr, "usage: lang-bench [REPEAT]\n");
		return 2;
	}
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1000, 53, 60);
	len = pkt_build(&s, frame, sizeof(frame));
	printf("per-packet cost, kernel-measured (BPF_PROG_TEST_RUN x %d, best of 7 interleaved), 60-byte UDP frame\n",
	       repeat);
	printf("%-20s %8s %12s %12s %8s\n", "filter", "insns", "pfq ns/pkt", "pcap ns/pkt", "ratio");
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct pfq_lang_diag diag;
		pfq_lang_program *p = pfq_lang_compile(pairs[i].lang, &diag);
		struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .filter_only = 1,
					       .flavour = PFQ_LANG_FILTER };
		pfq_lang_bpf *b = p ? pfq_lang_bpf_load(p, &o, &diag) : NULL;
		double ours, theirs;

		if (!b) {
			fprintf(stderr, "lang-bench: %s: %s\n", pairs[i].lang, diag.msg);
			return 1;
		}
		int pcap_fd = -1;

		if (pairs[i].pcap) {
			struct sock_filter insns[1024];
			struct sock_fprog fp = { 0, insns };
			char err[256];
			int n = tcpdump_program(pairs[i].pcap, insns, 1024);

			fp.len = (unsigned short)(n > 0 ? n : 0);
			if (n > 0)
				pcap_fd = cbpf_load(&fp, err, sizeof(err));
		}
		run_pair(pfq_lang_bpf_prog_fd(b), pcap_fd, frame, len, repeat, 7, &ours, &theirs);
		if (pcap_fd >= 0)
			close(pcap_fd);
		else
			theirs = -1;
		if (!strcmp(pairs[i].lang, "ip") && !ip_ns)
			ip_ns = ours;
		if (!strcmp(pairs[i].lang, "ip >-> steer_flow"))
			flow_ns = ours;
		if (theirs > 0)
			printf("%-20s %8d %12.1f %12.1f %8.2f\n", pairs[i].name, pfq_lang_bpf_insn_count(b),
			       ours, theirs, ours / theirs);
		else
			printf("%-20s %8d %12.1f %12s %8s\n", pairs[i].name, pfq_lang_bpf_insn_count(b),
			       ours, "-", "-");
		pfq_lang_bpf_free(b);
		pfq_lang_free(p);
	}
	/* `ip` alone takes the LD_ABS fast path; steer_flow needs the general
	 * decoder: its own cost is measured against `ip` on that decoder too */
	{
		struct pfq_lang_diag diag;
		pfq_lang_program *p = pfq_lang_compile("ip", &diag);
		struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .filter_only = 1,
					       .general_decoding = 1, .flavour = PFQ_LANG_FILTER };
		pfq_lang_bpf *b = p ? pfq_lang_bpf_load(p, &o, &diag) : NULL;
		double general_ns = 0, unused;

		if (b)
			run_pair(pfq_lang_bpf_prog_fd(b), -1, frame, len, repeat, 7, &general_ns, &unused);
		printf("ip on the general decoder: %.1f ns/pkt\n", general_ns);
		printf("group program of ip >-> steer_flow (leader's run, 2 members): %.1f ns/pkt\n",
		       group_program_ns(frame, len, repeat));
		printf("fanout program of ip >-> steer_flow (group of 1, flow remembered): %.1f ns/pkt\n",
		       group_fanout_ns(frame, len, repeat));
		printf("steer_flow on top of ip: %+.1f%% (same decoder), %+.1f%% (ip on its fast path)\n",
		       (flow_ns / general_ns - 1) * 100, (flow_ns / ip_ns - 1) * 100);
		pfq_lang_bpf_free(b);
		pfq_lang_free(p);
	}
	return 0;
}
