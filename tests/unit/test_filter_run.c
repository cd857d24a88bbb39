/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pcap integration's user-space classic BPF (pcap/filter_run.c): the
 * same answers as libpcap's own filter on random frames for programs
 * without metadata, the kernel's VLAN metadata read as the kernel gives
 * it, and hostile programs (jumps and loads out of range, a division by
 * zero) refuse the packet instead of reading out of bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "filter_run.h"

#include <linux/filter.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

static const char *const exprs[] = {
	"ip", "tcp", "udp port 53", "vlan", "vlan 7 and udp", "ip[9] = 6", "len > 100",
	"ether[12:2] = 0x8100", "tcp[tcpflags] & tcp-syn != 0", "ip6 or arp", "not vlan",
	"net 10.0.0.0/8", "udp[8:4] = 0xdeadbeef", "ip[2:2] > 576 and icmp",
};

/* a frame that often parses: Ethernet, maybe a tag, IPv4, TCP or UDP */
static unsigned make_frame(u_char *f, unsigned max)
{
	unsigned n = 14 + (unsigned)(rand() % (int)(max - 14));

	for (unsigned i = 0; i < n; i++)
		f[i] = (u_char)rand();
	f[12] = rand() % 3 ? 0x08 : 0x81;
	f[13] = 0x00;
	if (f[12] == 0x81) {
		f[16] = 0x08;
		f[17] = 0x00;
	}
	unsigned ip = f[12] == 0x81 ? 18 : 14;

	if (n > ip + 20) {
		f[ip] = 0x45;
		f[ip + 9] = rand() % 2 ? 6 : 17;
	}
	return n;
}

static void test_same_as_libpcap(void **s)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
	struct filter_meta none = { 0 };
	u_char frame[256];

	(void)s;
	srand(7);
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct bpf_program bp;

		assert_int_equal(pcap_compile(dead, &bp, exprs[e], 1, PCAP_NETMASK_UNKNOWN), 0);
		assert_false(filter_uses_metadata(bp.bf_insns, bp.bf_len));
		for (int i = 0; i < 2000; i++) {
			unsigned n = make_frame(frame, sizeof(frame));
			unsigned cap = i % 5 ? n : n / 2; /* some cut short */
			struct pcap_pkthdr h = { .caplen = cap, .len = n };

			assert_int_equal(filter_run(bp.bf_insns, bp.bf_len, frame, n, cap, &none) != 0,
					 pcap_offline_filter(&bp, &h, frame) != 0);
		}
		pcap_freecode(&bp);
	}
	pcap_close(dead);
}

#define STMT(c, k) { (u_short)(c), 0, 0, (bpf_u_int32)(k) }
#define JUMP(c, k, t, f) { (u_short)(c), t, f, (bpf_u_int32)(k) }

static void test_metadata(void **s)
{
	/* tagged (the kernel's metadata) on VLAN 7: 64, else 0 */
	struct bpf_insn p[] = {
		STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT),
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 3),
		STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG),
		STMT(BPF_ALU | BPF_AND | BPF_K, 0xfff),
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 1, 0),
		STMT(BPF_RET | BPF_K, 0),
		STMT(BPF_RET | BPF_K, 64),
	};
	u_char frame[60] = { 0 };
	struct filter_meta tag7 = { .vlan_tci = 0x2007, .vlan_tpid = 0x8100 };
	struct filter_meta tag8 = { .vlan_tci = 8, .vlan_tpid = 0x8100 };
	struct filter_meta none = { 0 };

	(void)s;
	assert_true(filter_uses_metadata(p, 7));
	assert_int_equal(filter_run(p, 7, frame, 60, 60, &tag7), 64);
	assert_int_equal(filter_run(p, 7, frame, 60, 60, &tag8), 0);
	assert_int_equal(filter_run(p, 7, frame, 60, 60, &none), 0);
	/* metadata we do not have: refused */
	struct bpf_insn q[] = { STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_RXHASH),
				STMT(BPF_RET | BPF_K, 1) };

	assert_int_equal(filter_run(q, 2, frame, 60, 60, &tag7), 0);
}

static void test_hostile(void **s)
{
	u_char frame[20] = { 0 };
	struct filter_meta none = { 0 };
	struct bpf_insn beyond_ja[] = { STMT(BPF_JMP | BPF_JA, 5), STMT(BPF_RET | BPF_K, 1) };
	struct bpf_insn beyond_jt[] = { JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 200, 0),
					STMT(BPF_RET | BPF_K, 1) };
	struct bpf_insn mem[] = { STMT(BPF_LD | BPF_MEM, 99), STMT(BPF_RET | BPF_K, 1) };
	struct bpf_insn st[] = { STMT(BPF_ST, 16), STMT(BPF_RET | BPF_K, 1) };
	struct bpf_insn div0[] = { STMT(BPF_ALU | BPF_DIV | BPF_X, 0), STMT(BPF_RET | BPF_K, 1) };
	struct bpf_insn far[] = { STMT(BPF_LD | BPF_W | BPF_ABS, 0x7ffffff0),
				  STMT(BPF_RET | BPF_K, 1) };
	struct bpf_insn ind[] = { STMT(BPF_LDX | BPF_W | BPF_IMM, 0xfffffffe),
				  STMT(BPF_LD | BPF_W | BPF_IND, 4), STMT(BPF_RET | BPF_K, 1) };
	struct bpf_insn end[] = { STMT(BPF_LD | BPF_IMM, 1) };
	struct bpf_insn ret_a[] = { STMT(BPF_LD | BPF_LEN, 0), STMT(BPF_RET | BPF_A, 0) };

	(void)s;
	assert_int_equal(filter_run(beyond_ja, 2, frame, 20, 20, &none), 0);
	assert_int_equal(filter_run(beyond_jt, 2, frame, 20, 20, &none), 0);
	assert_int_equal(filter_run(mem, 2, frame, 20, 20, &none), 0);
	assert_int_equal(filter_run(st, 2, frame, 20, 20, &none), 0);
	assert_int_equal(filter_run(div0, 2, frame, 20, 20, &none), 0);
	assert_int_equal(filter_run(far, 2, frame, 20, 20, &none), 0);
	assert_int_equal(filter_run(ind, 3, frame, 20, 20, &none), 0);
	assert_int_equal(filter_run(end, 1, frame, 20, 20, &none), 0);
	assert_int_equal(filter_run(ret_a, 2, frame, 1500, 20, &none), 1500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_libpcap),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests_name("filter_run", tests, NULL, NULL);
}
