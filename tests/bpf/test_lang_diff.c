/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Differential test of the eBPF back end: for every program below and every
 * generated frame, the compiled program run by the kernel
 * (BPF_PROG_TEST_RUN) decides exactly what the reference interpreter
 * decides. A mismatch fails with the program and the frame in hex.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/lang.h>

#include "bigprog.h"
#include "framegen.h"
#include "../../lib/bpf/cbpf.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFRAMES 10000

static const char *programs[] = {
	"unit", "drop", "broadcast", "kernel", "detour",
	"ip >-> steer_flow",
	"ip6 >-> steer_flow",
	"steer_flow >-> classify 1",
	"when is_tcp drop",
	"unless is_udp drop >-> steer_ip",
	"steer_p2p", "double_steer_ip", "steer_link", "steer_mac", "double_steer_mac",
	"steer_local_link \"02:00:00:00:00:01\"",
	"steer_vlan",
	"steer_local_ip \"192.168.0.0/16\"",
	"steer_local_ip (CIDR (\"10.0.0.0\", 8))",
	"steer_local_net \"192.168.0.0\" 16 24",
	"steer_field 12 2", "steer_field 30 4", "steer_field 200 3",
	"steer_field_symmetric 26 30 4", "double_steer_field 26 30 4",
	"steer_to 3", "steer_rrobin", "steer_rss",
	"steer_rtp", "steer_voip", "steer_gtp_usr \"10.0.0.0\" 8",
	"par udp icmp >-> log_msg \"UDP or ICMP\"",
	"par (classify 2 >-> udp) icmp",
	"par3 (tcp >-> steer_flow) (udp >-> classify 4) (icmp >-> steer_p2p)",
	"par8 rtp rtcp sip gtp_cp gtp_up (vlan >-> inc 1) (flow >-> dec 2) icmp",
	"par4 voip gtp (l3_proto 0x0806) (l4_proto 47)",
	"par5 drop drop drop drop (inc 1)", "par6 drop drop drop drop drop unit",
	"par7 (classify 1 >-> drop) drop drop drop drop drop (steer_flow >-> drop)",
	"inv ip", "inv (par tcp udp) >-> inc 5",
	"when (ip_ttl .< 64) drop",
	"conditional is_udp (forward \"eth1\") (forward \"eth2\")",
	"tee \"eth1\" is_udp >-> kernel",
	"tap \"eth2\" is_tcp >-> inc 0",
	"bridge \"eth1\"",
	"link [\"lo\", \"eth1\", \"eth2\"]",
	"when (vlan_id [1,13,42,43]) (log_msg \"Got a packet!\")",
	"vlan_id_filter [-1] >-> steer_vlan", "vlan_id_filter [0, 42]", "vlan >-> filter (has_vid 43)",
	"when (bloom 1024 [\"192.168.0.13\", \"192.168.0.42\"] 32) log_packet >-> kernel",
	"bloom_filter 256 [\"10.0.0.0\", \"8.8.8.8\"] 24",
	"bloom_src_filter 64 [\"10.0.0.1\"] 32 >-> inc 3",
	"bloom_dst_filter 4096 [\"192.168.0.0\"] 16",
	"when (bloom_src 128 [\"10.0.0.1\", \"10.1.2.3\"] 32 .||. bloom_dst 8 [\"8.8.8.8\"] 8) (inc 2)",
	"main = if not is_tcp then par (when (not is_tcp) drop) (filter (ip_ttl .> 10)) else filter (ip_ttl .> 10)",
	"filter (is_frag .||. is_first_frag .||. is_more_frag) >-> inc 7",
	"no_frag >-> no_more_frag >-> flow >-> steer_flow",
	"filter (has_port 53 .||. has_src_port 5060 .||. has_dst_port 80)",
	"port 2152 >-> src_port 2152 >-> dst_port 2152",
	"filter (has_addr \"10.0.0.0/24\" .&&. not (has_dst_addr \"10.0.0.2/32\"))",
	"addr \"192.168.0.0/16\" >-> src_addr \"192.168.0.0/24\" >-> dst_addr \"0.0.0.0/0\"",
	"filter (has_src_addr \"255.255.255.255/32\" .^^. is_ip_broadcast)",
	"mark 7 >-> when (has_mark 7) (classify 5)",
	"put_state 3 >-> when (has_state 3) (classify 9) >-> when (has_state 4) drop",
	"put_state 9 >-> filter (get_state .== 9) >-> when (get_mark ./= 0) (put_state 1)",
	"when ((ip_tos .>= 128) .||. (ip_tot_len .<= 60) .||. (ip_id .== 1)) (inc 9)",
	"when (ip_frag `any_bit` 0x3fff) drop >-> when (ip_frag `all_bit` 0x2000) (inc 10)",
	"when ((tcp_source .> 1023) .&&. (tcp_dest .< 1024)) (classify 6) >-> when (tcp_hdrlen .> 20) (inc 11)",
	"when ((udp_source .== 53) .||. (udp_dest ./= 53) .||. (udp_len .> 30)) (inc 12)",
	"when ((icmp_type .== 8) .||. (icmp_code .>= 2)) (inc 13)",
	"when (42 <. ip_ttl) (inc 14) >-> when (64 >=. ip_ttl) (inc 15) >-> when (64 ==. ip_ttl) (inc 16)",
	"when (less ip_ttl 10 .||. greater_eq ip_ttl 250 .||. equal ip_ttl 64) (inc 17)",
	"when (less_eq ip_ttl 1 .||. greater ip_ttl 200 .||. not_equal ip_ttl 64) (inc 18)",
	"when (is_rtp .||. is_rtcp) (classify 1) >-> when is_sip (classify 2) >-> when is_voip (inc 19)",
	"when is_gtp (inc 20) >-> when is_gtp_cp (inc 21) >-> when is_gtp_up (inc 22)",
	"when is_broadcast (inc 23) >-> when is_multicast (inc 24) >-> when is_ip_multicast (inc 25)",
	"when is_ip_host (inc 26) >-> when is_incoming_host (inc 27) >-> ip_host",
	"mac_broadcast >-> inc 28", "mac_multicast", "ip_broadcast", "ip_multicast", "incoming_host",
	"when (is_eth_ip .||. is_eth_arp .||. is_eth_ipv6 .||. is_eth_vlan) (inc 29)",
	"when (is_eth_pup .||. is_eth_sprite .||. is_eth_revarp .||. is_eth_at .||. is_eth_aarp .||. is_eth_ipx .||. is_eth_loopback) (inc 30)",
	"when (is_l3_proto 0x0800 .&&. is_l4_proto 6) (inc 31) >-> when (is_ip6 .&&. is_icmp) (inc 32)",
	"when (has_vlan .&&. has_vid 42) (inc 33) >-> vlan",
	"kernel_if is_tcp >-> detour_if is_icmp",
	"log_buff >-> log_packet >-> trace >-> log_msg \"x\" >-> log_msg \"y\" >-> log_msg \"z\" >-> log_msg \"w\" >-> log_msg \"v\" >-> log_msg \"u\"",
	"when (xor is_tcp is_udp .&&. and is_ip is_flow .||. or is_icmp is_ip6) (inc 34)",
	"ip >-> (steer_flow $ ) ",
	"f x = when (has_port x) drop\nmain = f 53 >-> f 80 >-> steer_flow",
	"class 3 >-> flow >-> tcp >-> steer_flow >-> classify 7",
	"ip >-> udp >-> steer_flow >-> inc 1 >-> mark 3 >-> put_state 4 >-> kernel >-> classify 2 >-> forward \"eth1\" >-> log_msg \"ten\"",
};

#define NPROG (sizeof(programs) / sizeof(programs[0]))

static int fake_ifindex(const char *dev, void *user)
{
	(void)user;
	if (!strcmp(dev, "lo"))
		return 1;
	if (!strcmp(dev, "eth1"))
		return 1001;
	if (!strcmp(dev, "eth2"))
		return 1002;
	return 0;
}

static void hex(const uint8_t *f, size_t len, char *out, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < len && k + 3 < n; i++)
		k += (size_t)snprintf(out + k, n - k, "%02x", f[i]);
	out[k] = '\0';
}

static bool same(const struct pfq_lang_decision *a, const struct pfq_lang_decision *b)
{
	if (a->fate != b->fate || a->class_mask != b->class_mask || a->hash[0] != b->hash[0] ||
	    a->hash[1] != b->hash[1] || a->mark != b->mark || a->state != b->state ||
	    a->to_kernel != b->to_kernel || a->nfwd != b->nfwd || a->nlogs != b->nlogs ||
	    memcmp(a->counters, b->counters, sizeof(a->counters)))
		return false;
	for (int i = 0; i < a->nfwd; i++)
		if (strcmp(a->fwd[i], b->fwd[i]))
			return false;
	for (int i = 0; i < a->nlogs; i++)
		if (a->log_ids[i] != b->log_ids[i])
			return false;
	return true;
}

static void test_differential(void **state)
{
	static uint8_t frames[NFRAMES][FRAMEGEN_MAX];
	static size_t lens[NFRAMES];
	static const uint32_t host[] = { 0x0200000a /* 10.0.0.2, network order */ };
	struct pfq_lang_meta meta = { .ifname = "lo", .host_addrs = NULL, .n_host_addrs = 1 };
	struct framegen g;
	int programs_run = 0, skipped = 0;
	long runs = 0;

	(void)state;
	meta.host_addrs = host;
	framegen_init(&g, 20261127);
	for (int i = 0; i < NFRAMES; i++)
		lens[i] = framegen_next(&g, frames[i]);
	for (size_t k = 0; k < NPROG; k++) {
		struct pfq_lang_diag diag;
		struct pfq_lang_bpf_opts opts = { .sz = sizeof(opts), .ifindex_of = fake_ifindex };
		pfq_lang_program *p = pfq_lang_compile(programs[k], &diag);
		pfq_lang_bpf *b;

		if (!p) { /* the deliberately broken ones */
			skipped++;
			continue;
		}
		b = pfq_lang_bpf_load(p, &opts, &diag);
		if (!b)
			fail_msg("program '%s' was not compiled or loaded: %s", programs[k], diag.msg);
		/* the filter flavour (what a plain socket filter runs) */
		struct pfq_lang_bpf_opts fopts = opts;

		fopts.filter_only = 1;
		pfq_lang_bpf *fb = pfq_lang_bpf_load(p, &fopts, &diag);

		if (!fb)
			fail_msg("program '%s' (filter flavour) was not loaded: %s", programs[k], diag.msg);
		assert_int_equal(pfq_lang_bpf_set_host_addrs(b, 1, host, 1), 0);
		assert_int_equal(pfq_lang_bpf_set_host_addrs(fb, 1, host, 1), 0);
		for (int i = 0; i < NFRAMES; i++) {
			struct pfq_lang_decision want, got;

			meta.mark = (i % 7 == 0) ? 7 : 0;
			meta.rrobin = pfq_lang_bpf_rrobin(b);
			pfq_lang_run(p, frames[i], lens[i], &meta, &want);
			assert_int_equal(pfq_lang_bpf_test_run(b, frames[i], lens[i], meta.mark, 1, &got, NULL), 0);
			runs++;
			uint32_t verdict = 0;

			if (strstr(programs[k], "rrobin") == NULL) { /* the counter moved on */
				assert_int_equal(pfq_lang_bpf_test_verdict(fb, frames[i], lens[i], meta.mark, &verdict), 0);
				if ((verdict != 0) != (want.fate != PFQ_FATE_DROP))
					fail_msg("filter flavour of '%s' on frame %d: verdict %u, fate %d",
						 programs[k], i, verdict, want.fate);
			}
			if (!same(&want, &got)) {
				char h[2 * FRAMEGEN_MAX + 1];

				hex(frames[i], lens[i], h, sizeof(h));
				fprintf(stderr, "interpreter: ");
				pfq_lang_decision_print(&want, stderr);
				fprintf(stderr, "\nebpf:        ");
				pfq_lang_decision_print(&got, stderr);
				fprintf(stderr, "\n");
				fail_msg("mismatch for program '%s' on frame %d (%zu bytes): %s",
					 programs[k], i, lens[i], h);
			}
		}
		programs_run++;
		pfq_lang_bpf_free(fb);
		pfq_lang_bpf_free(b);
		pfq_lang_free(p);
	}
	printf("differential: %d programs x %d frames = %ld runs, all alike, filter flavour verdicts too "
	       "(%d not compiling, as meant)\n",
	       programs_run, NFRAMES, runs, skipped);
	assert_true(programs_run >= 50);
}

/* Computations that only filter, for the classic back end (with every
 * program above that only filters, too). */
static const char *filters[] = {
	"ip", "ip6", "tcp", "udp", "icmp", "flow", "vlan", "unit", "drop",
	"tcp >-> port 80", "udp >-> dst_addr \"10.0.0.0/8\"", "no_frag", "no_more_frag",
	"filter is_first_frag", "filter is_more_frag", "l3_proto 0x0806", "l4_proto 47",
	"port 53", "src_port 5060", "dst_port 80", "addr \"192.168.0.0/16\"",
	"src_addr \"10.0.0.0/24\"", "vlan_id_filter [-1]", "filter (has_vlan .&&. has_vid 42)",
	"filter (is_broadcast .^^. is_multicast)", "filter (is_l3_proto 0x8100)",
	"filter (is_l3_proto 0x88a8)", "inv (par tcp udp)", "par3 tcp (udp >-> port 53) icmp",
	"conditional is_udp (port 53) (inv tcp)", "filter (not is_ip6)",
	"filter (is_l4_proto 6 .&&. is_ip6)", "filter (is_icmp .&&. is_ip6)",
	"when (vlan_id [1,13,42,43]) drop", "filter (has_vid 0)",
	"main = if is_tcp then port 443 else (if is_udp then dst_port 53 else drop)",
	"filter (is_ip_multicast .||. is_ip_broadcast) >-> inv ip6",
	"when (is_eth_ip .||. is_eth_arp .||. is_eth_ipv6 .||. is_eth_vlan) drop",
	"par (vlan >-> ip6) (ip >-> no_frag >-> udp) >-> unless (has_dst_port 53) (src_port 53)",
	"filter ((ip_tos .>= 128) .||. (ip_tot_len .<= 60) .||. (ip_id .== 1) .||. (ip_ttl ./= 64))",
	"filter (ip_frag `any_bit` 0x3fff) >-> filter (ip_frag `all_bit` 0x2000)",
	"filter ((tcp_source .> 1023) .&&. (tcp_dest .< 1024) .||. (tcp_hdrlen .> 20))",
	"filter ((udp_source .== 53) .||. (udp_dest ./= 53) .&&. (udp_len .> 30))",
	"filter ((icmp_type .== 8) .||. (icmp_code .>= 2))",
	"filter (less ip_ttl 10 .||. greater_eq ip_ttl 250 .||. equal ip_ttl 64 .||. less_eq udp_len 9)",
	"filter (greater ip_ttl 5000000000 .||. less ip_tos 5000000000 .&&. not_equal ip_id 5000000000)",
	"filter (all_bit ip_frag 0x100000000 .||. any_bit ip_frag 0x100002000)",
	"filter (has_mark 0 .&&. has_state 0 .&&. (get_mark .== 0) .&&. (get_state ./= 1))",
	"par tcp icmp >-> port 80", "when is_udp (port 53) >-> inv (dst_port 53)",
	"filter (is_tcp .&&. has_src_port 1000) >-> dst_port 80 >-> filter (tcp_dest .== 80)",
	"ip >-> udp >-> no_frag >-> filter (ip_ttl .> 1) >-> dst_port 53 >-> src_addr \"10.0.0.0/8\" >-> filter (udp_len .> 8)",
};

#define NFILTERS (sizeof(filters) / sizeof(filters[0]))

/* the classic program run by the kernel (through the same translation as
 * pcap filters: BPF_PROG_TEST_RUN cannot run classic BPF) answers `accept`
 * exactly when the interpreter passes the packet */
static void classic_agrees(const char *src, uint8_t frames[][FRAMEGEN_MAX], const size_t *lens)
{
	struct pfq_lang_diag diag;
	pfq_lang_program *p = pfq_lang_compile(src, &diag);
	struct sock_fprog fp;
	char err[256];
	int fd;

	if (!p)
		fail_msg("'%s' does not compile: %s", src, diag.msg);
	if (pfq_lang_classic_compile(p, 0x1234, &fp, &diag) < 0)
		fail_msg("'%s' has no classic program: %s", src, diag.msg);
	fd = cbpf_load(&fp, err, sizeof(err));
	if (fd < 0)
		fail_msg("'%s': classic program of %u instructions refused: %s", src, fp.len, err);
	for (int i = 0; i < NFRAMES; i++) {
		struct pfq_lang_meta meta = { 0 };
		struct pfq_lang_decision want;
		uint8_t data[FRAMEGEN_MAX + 14] = { 0 };

		data[12] = 0x88; /* a header the test run takes off (see cg.c) */
		data[13] = 0xb5;
		memcpy(data + 14, frames[i], lens[i]);
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data,
			    .data_size_in = (uint32_t)(lens[i] + 14));
		pfq_lang_run(p, frames[i], lens[i], &meta, &want);
		assert_int_equal(bpf_prog_test_run_opts(fd, &t), 0);
		if (t.retval != (want.fate == PFQ_FATE_DROP ? 0u : 0x1234u)) {
			char h[2 * FRAMEGEN_MAX + 1];

			hex(frames[i], lens[i], h, sizeof(h));
			fail_msg("classic '%s' on frame %d (%zu bytes): answer %u, interpreter fate %d: %s",
				 src, i, lens[i], t.retval, want.fate, h);
		}
	}
	close(fd);
	free(fp.filter);
	pfq_lang_free(p);
}

static void test_classic(void **state)
{
	static uint8_t frames[NFRAMES][FRAMEGEN_MAX];
	static size_t lens[NFRAMES];
	struct framegen g;
	int n = 0, refused = 0;

	(void)state;
	framegen_init(&g, 20261128);
	for (int i = 0; i < NFRAMES; i++)
		lens[i] = framegen_next(&g, frames[i]);
	for (size_t k = 0; k < NFILTERS; k++, n++)
		classic_agrees(filters[k], frames, lens);
	for (size_t k = 0; k < NPROG; k++) {
		struct pfq_lang_diag diag;
		pfq_lang_program *p = pfq_lang_compile(programs[k], &diag);
		struct sock_fprog fp = { 0, NULL };

		if (!p)
			continue;
		if (pfq_lang_classic_compile(p, 1, &fp, &diag) == 0) {
			free(fp.filter);
			classic_agrees(programs[k], frames, lens);
			n++;
		} else {
			/* refused, naming the function that needs a group */
			assert_int_equal(errno, EOPNOTSUPP);
			assert_non_null(strstr(diag.msg, "needs a group"));
			refused++;
		}
		pfq_lang_free(p);
	}
	printf("classic back end: %d filtering programs x %d frames, all alike; %d programs "
	       "that do more refused\n", n, NFRAMES, refused);
	assert_true(n >= 50);
}

/* xor nested in its second operand doubles the code at each level: the
 * compiler stops at the kernel's size limit and says so, at once */
static void test_too_large(void **state)
{
	char src[1024];
	struct pfq_lang_diag diag;
	struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .filter_only = 1 };
	pfq_lang_program *p;

	(void)state;
	bigprog_xor_chain(src, sizeof(src), 40);
	p = pfq_lang_compile(src, &diag);
	assert_non_null(p);
	assert_null(pfq_lang_bpf_load(p, &o, &diag));
	assert_non_null(strstr(diag.msg, "too large"));
	pfq_lang_free(p);
}

/* every function of the catalogue appears in some program above */
static void test_coverage(void **state)
{
	(void)state;
	for (const char *const *f = pfq_lang_functions(); *f; f++) {
		bool found = false;
		size_t n = strlen(*f);

		for (size_t k = 0; k < NPROG && !found; k++) {
			for (const char *s = strstr(programs[k], *f); s && !found; s = strstr(s + 1, *f)) {
				bool start = s == programs[k] || !(isalnum((unsigned char)s[-1]) || s[-1] == '_');
				bool end = !(isalnum((unsigned char)s[n]) || s[n] == '_');

				found = start && end;
			}
		}
		if (!found && strcmp(*f, "filter") && strcmp(*f, "conditional") && strcmp(*f, ">->") &&
		    strcmp(*f, ".&&.") && strcmp(*f, ".||.") && strcmp(*f, ".^^."))
			fail_msg("function '%s' is in no differential program", *f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coverage),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_classic),
		cmocka_unit_test(test_too_large),
	};
	return cmocka_run_group_tests_name("pfq-lang-ebpf", tests, NULL, NULL);
}
