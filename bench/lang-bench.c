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
#include "pktgen.h"

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
	{ "ip >-> steer_flow", "ip >-> steer_flow", NULL },
	{ "when is_tcp drop", "when is_tcp drop", "not tcp" },
	{ "tcp port 80", "tcp >-> port 80", "tcp port 80" },
	{ "udp and dst net", "udp >-> dst_addr \"10.0.0.0/8\"", "udp and dst net 10.0.0.0/8" },
	{ "10-stage pipeline",
	  "ip >-> udp >-> no_frag >-> filter (ip_ttl .> 1) >-> dst_port 53 >-> "
	  "src_addr \"10.0.0.0/8\" >-> filter (udp_len .> 8) >-> inc 1 >-> classify 2 >-> steer_flow",
	  "ip and udp and (ip[6:2] & 0x3fff = 0) and ip[8] > 1 and dst port 53 and src net 10.0.0.0/8 and udp[4:2] > 8" },
};

static double run_ns(int prog_fd, const uint8_t *frame, size_t len, int repeat, int rounds)
{
	uint8_t data[2048];
	double best = 1e9;

	memset(data, 0, 14);
	data[12] = 0x88;
	data[13] = 0xb5;
	memcpy(data + 14, frame, len);
	for (int r = 0; r < rounds; r++) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data, .data_size_in = (uint32_t)(len + 14),
			    .repeat = repeat);
		if (bpf_prog_test_run_opts(prog_fd, &t) < 0)
			return -1;
		if (t.duration < best)
			best = t.duration;
	}
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
	printf("per-packet cost, kernel-measured (BPF_PROG_TEST_RUN x %d, best of 5), 60-byte UDP frame\n",
	       repeat);
	printf("%-20s %8s %12s %12s %8s\n", "filter", "insns", "pfq ns/pkt", "pcap ns/pkt", "ratio");
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct pfq_lang_diag diag;
		pfq_lang_program *p = pfq_lang_compile(pairs[i].lang, &diag);
		struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .filter_only = 1 };
		pfq_lang_bpf *b = p ? pfq_lang_bpf_load(p, &o, &diag) : NULL;
		double ours, theirs = -1;

		if (!b) {
			fprintf(stderr, "lang-bench: %s: %s\n", pairs[i].lang, diag.msg);
			return 1;
		}
		ours = run_ns(pfq_lang_bpf_prog_fd(b), frame, len, repeat, 5);
		if (pairs[i].pcap) {
			char cmd[512], err[256];
			struct sock_filter insns[256];
			struct sock_fprog fp = { 0, insns };
			FILE *f;

			/* libpcap's classic program, as tcpdump -ddd prints it */
			snprintf(cmd, sizeof(cmd), "tcpdump -ddd -y EN10MB -s 262144 '%s' 2>/dev/null",
				 pairs[i].pcap);
			f = popen(cmd, "r");
			if (f && fscanf(f, "%hu", &fp.len) == 1 && fp.len <= 256) {
				for (int k = 0; k < fp.len; k++) {
					unsigned code, jt, jf, kk;

					if (fscanf(f, "%u %u %u %u", &code, &jt, &jf, &kk) != 4)
						break;
					insns[k] = (struct sock_filter){ (uint16_t)code, (uint8_t)jt,
									 (uint8_t)jf, kk };
				}
				int fd = cbpf_load(&fp, err, sizeof(err));

				if (fd >= 0) {
					theirs = run_ns(fd, frame, len, repeat, 5);
					close(fd);
				}
			}
			if (f)
				pclose(f);
		}
		if (i == 0)
			ip_ns = ours;
		if (i == 1)
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
	printf("steer_flow on top of ip: %+.1f%%\n", (flow_ns / ip_ns - 1) * 100);
	return 0;
}
