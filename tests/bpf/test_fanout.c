/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fanout flavour of the group program (one run per packet, answering
 * the position of the one member that receives it): run like the kernel's
 * fanout hook runs it (BPF_PROG_TEST_RUN of a socket filter starts at the
 * network header, as the hook does), it answers exactly what the reference
 * single-receiver dispatch picks from the interpreter's decision, counts
 * each packet once, keeps flows with their member across table changes,
 * and runs the group's classic filter from the MAC header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/lang.h>
#include "../../lib/lang/group-abi.h" /* the group ABI */

#include "framegen.h"
#include "pktgen.h"

#include <bpf/bpf.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NFRAMES 3000

struct maps {
	int members, stats, counters, logs, logctl, flows;
};

static void maps_open(struct maps *m)
{
	m->members = pfq_lang_members_map_create();
	m->stats = pfq_lang_group_stats_map_create();
	m->counters = pfq_lang_group_counters_map_create();
	m->logs = pfq_lang_group_logs_map_create();
	m->logctl = pfq_lang_group_logctl_map_create();
	m->flows = pfq_lang_group_flows_map_create();
	assert_true(m->members >= 0 && m->stats >= 0 && m->counters >= 0 && m->logs >= 0 &&
		    m->logctl >= 0 && m->flows >= 0);
}

static void maps_close(struct maps *m)
{
	close(m->members);
	close(m->stats);
	close(m->counters);
	close(m->logs);
	close(m->logctl);
	close(m->flows);
}

/* a fanout program of the group: every device, the given classic filter */
static pfq_lang_bpf *load(const char *src, const struct maps *m, bool sticky,
			  const struct sock_fprog *fp)
{
	static struct pfq_lang_group_spec spec;
	struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .group = &spec };
	struct pfq_lang_diag diag;
	pfq_lang_program *p = pfq_lang_compile(src, &diag);
	pfq_lang_bpf *b;

	if (!p)
		fail_msg("'%s': %s", src, diag.msg);
	memset(&spec, 0, sizeof(spec));
	spec.members_map_fd = m->members;
	spec.stats_map_fd = m->stats;
	spec.counters_map_fd = m->counters;
	spec.logs_map_fd = m->logs;
	spec.logctl_map_fd = m->logctl;
	spec.flows_map_fd = sticky ? m->flows : -1;
	spec.fanout = 1;
	spec.nbind = 1; /* ifindex 0: every device */
	spec.bind[0].queue = -1;
	if (fp) {
		spec.fprog_insns = fp->filter;
		spec.fprog_len = fp->len;
	}
	b = pfq_lang_bpf_load(p, &o, &diag);
	if (!b)
		fail_msg("'%s' (fanout flavour): %s", src, diag.msg);
	pfq_lang_free(p);
	return b;
}

/* n members of the pool, each at position 10 + its row */
static void make_table(struct pfq_member_table *t, int n, uint32_t gen)
{
	static const struct pfq_member pool[] = {
		{ 1u << 0, 10, 1, 0, 0 }, { (1u << 0) | (1u << 1), 11, 2, 0, 0 },
		{ 1u << 1, 12, 1, 0, 0 }, { (1u << 2) | (1u << 0), 13, 3, 0, 0 },
	};

	memset(t, 0, sizeof(*t));
	t->n = (uint32_t)n;
	t->mode = PFQ_GROUP_MODE_FANOUT;
	t->gen = gen;
	for (int i = 0; i < n; i++) {
		t->m[i] = pool[i];
		t->m[i].pos = 10 + (uint32_t)i;
	}
}

static uint32_t expected(const pfq_lang_program *p, const struct pfq_member_table *t,
			 const uint8_t *f, size_t len)
{
	struct pfq_lang_decision d;
	int row;

	pfq_lang_run(p, f, len, NULL, &d);
	row = pfq_lang_dispatch_one(&d, t);
	return row < 0 ? 0 : t->m[row].pos;
}

/* an IPv4 / IPv6 EtherType without room for the IP header after it */
static bool short_ip(const uint8_t *f, size_t len)
{
	int type = f[12] << 8 | f[13];

	return (type == 0x0800 && len < 14 + 20) || (type == 0x86dd && len < 14 + 40);
}

static void flows_clear(int fd)
{
	static struct pfq_flow_bucket zero[PFQ_FLOW_ENTRIES];
	static uint32_t keys[PFQ_FLOW_ENTRIES];
	uint32_t count = PFQ_FLOW_ENTRIES;

	for (uint32_t i = 0; i < PFQ_FLOW_ENTRIES; i++)
		keys[i] = i;
	assert_int_equal(bpf_map_update_batch(fd, keys, zero, &count, NULL), 0);
}

static const char *programs[] = {
	"unit", "ip >-> steer_flow", "steer_flow", "steer_ip >-> classify 1",
	"when is_tcp drop >-> steer_flow", "steer_to 1", "steer_to 2", "steer_to 3", "classify 2",
	"when is_tcp (classify 1) >-> steer_ip", "drop", "double_steer_ip",
	"steer_mac", "steer_vlan", "par (udp >-> steer_flow) (classify 2)",
	"steer_field 26 4", "inc 3 >-> steer_flow",
};

static void test_matches_reference(void **state)
{
	static uint8_t frames[NFRAMES][FRAMEGEN_MAX];
	static size_t lens[NFRAMES];
	struct framegen g;
	struct maps m;
	long checked = 0, skipped = 0;

	(void)state;
	maps_open(&m);
	framegen_init(&g, 7);
	for (int i = 0; i < NFRAMES; i++)
		lens[i] = framegen_next(&g, frames[i]);
	/* 1 to 4 members, then 4 rows of which the second has no member (a
	 * member left: rows are stable), then 4 of which the first is an
	 * egress endpoint (its socket takes nothing: the fanout answers 0, the
	 * sink, when it is picked, and a copy goes to the first socket) */
	for (int n = 1; n <= 6; n++) {
		struct pfq_member_table t;

		make_table(&t, n < 4 ? n : 4, (uint32_t)n);
		if (n == 5)
			t.m[1] = (struct pfq_member){ 0 };
		if (n == 6) {
			t.m[0].egress_ifindex = 1;
			t.m[0].pos = 0;
		}
		assert_int_equal(pfq_lang_members_map_update(m.members, &t), 0);
		for (size_t k = 0; k < sizeof(programs) / sizeof(programs[0]); k++) {
			pfq_lang_program *p = pfq_lang_compile(programs[k], NULL);

			for (int sticky = 0; sticky < 2; sticky++) {
				pfq_lang_bpf *b = load(programs[k], &m, sticky, NULL);

				/* a flow then takes the member the table picks for its
				 * first packet, as the reference does */
				flows_clear(m.flows);

				for (int i = 0; i < NFRAMES; i++) {
					uint32_t ret = 0, want;

					if (lens[i] < 14) {
						skipped++;
						continue;
					}
					want = expected(p, &t, frames[i], lens[i]);
					if (pfq_lang_bpf_test_verdict(b, frames[i], lens[i], 0, &ret) < 0) {
						/* the test run wants a whole IP header after
						 * an IP EtherType; a device hands such frames
						 * to the hook all the same */
						if (!short_ip(frames[i], lens[i]))
							fail_msg("frame %d (%zu bytes) refused by the "
								 "test run", i, lens[i]);
						skipped++;
						continue;
					}
					if (ret != want)
						fail_msg("'%s'%s, %d members: frame %d (%zu bytes): "
							 "answered %u, reference %u", programs[k],
							 sticky ? " with memory" : "", n, i, lens[i], ret,
							 want);
					checked++;
				}
				pfq_lang_bpf_free(b);
			}
			pfq_lang_free(p);
		}
	}
	printf("fanout: %ld answers as the reference (%ld runs of frames under 14 bytes, or "
	       "too short for their IP header, skipped)\n",
	       checked, skipped);
	maps_close(&m);
}

/* a member table in the members mode: the fanout program hands nothing */
static void test_mode(void **state)
{
	struct maps m;
	struct pfq_member_table t;
	uint8_t f[64];
	struct pkt_spec s;
	uint32_t ret = 1;
	pfq_lang_bpf *b;

	(void)state;
	maps_open(&m);
	b = load("unit", &m, false, NULL);
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1000, 2000, 60);
	size_t len = pkt_build(&s, f, sizeof(f));

	make_table(&t, 1, 1);
	assert_int_equal(pfq_lang_members_map_update(m.members, &t), 0);
	assert_int_equal(pfq_lang_bpf_test_verdict(b, f, len, 0, &ret), 0);
	assert_int_equal(ret, 10);
	t.mode = PFQ_GROUP_MODE_MEMBERS;
	assert_int_equal(pfq_lang_members_map_update(m.members, &t), 0);
	assert_int_equal(pfq_lang_bpf_test_verdict(b, f, len, 0, &ret), 0);
	assert_int_equal(ret, 0);
	pfq_lang_bpf_free(b);
	maps_close(&m);
}

static size_t flow_frame(int f, bool reverse, uint8_t *buf)
{
	struct pkt_spec s;
	char a[32];

	snprintf(a, sizeof(a), "10.%d.%d.%d", f % 7, (f / 7) % 250, 1 + f % 200);
	if (reverse)
		pkt_spec_udp4(&s, "192.168.1.1", a, 53, (uint16_t)(1024 + f * 13 % 50000), 60);
	else
		pkt_spec_udp4(&s, a, "192.168.1.1", (uint16_t)(1024 + f * 13 % 50000), 53, 60);
	s.l4 = f % 2 ? IPPROTO_TCP : IPPROTO_UDP;
	return pkt_build(&s, buf, FRAMEGEN_MAX);
}

/*
 * With memory, a flow stays with its member while members come and go: a
 * member joins (flows already seen keep their member, new flows spread over
 * all), another leaves (only its flows move). Without memory, a join moves
 * flows. Counts: recv once per packet.
 */
static void test_flows_keep_their_member(void **state)
{
	enum { FLOWS = 2000 };
	static uint32_t first[FLOWS];
	struct maps m;
	struct pfq_member_table t;
	struct pfq_group_kstats ks;
	uint8_t f[FRAMEGEN_MAX];
	pfq_lang_bpf *b;
	int moved = 0, to_new = 0, runs = 0;

	(void)state;
	maps_open(&m);
	b = load("ip >-> steer_flow", &m, true, NULL);
	/* members 10 and 11 (weights 1, 2), default class */
	make_table(&t, 2, 1);
	assert_int_equal(pfq_lang_members_map_update(m.members, &t), 0);
	for (int fl = 0; fl < FLOWS; fl++) {
		uint32_t r1 = 0, r2 = 0;
		size_t len = flow_frame(fl, false, f);

		assert_int_equal(pfq_lang_bpf_test_verdict(b, f, len, 0, &r1), 0);
		len = flow_frame(fl, true, f);
		assert_int_equal(pfq_lang_bpf_test_verdict(b, f, len, 0, &r2), 0);
		assert_true(r1 == 10 || r1 == 11);
		assert_int_equal(r1, r2); /* both directions, one member */
		first[fl] = r1;
		runs += 2;
	}
	/* member 13 joins (row 2, position 12); rows of 10 and 11 unchanged */
	t.n = 3;
	t.m[2] = (struct pfq_member){ 1u << 0, 13, 3, 12, 0 };
	t.gen = 2;
	assert_int_equal(pfq_lang_members_map_update(m.members, &t), 0);
	for (int fl = 0; fl < FLOWS; fl++) {
		uint32_t r = 0;
		size_t len = flow_frame(fl, fl % 2, f);

		assert_int_equal(pfq_lang_bpf_test_verdict(b, f, len, 0, &r), 0);
		runs++;
		if (r != first[fl])
			fail_msg("flow %d moved from %u to %u when a member joined", fl, first[fl], r);
	}
	/* new flows reach the new member too */
	for (int fl = FLOWS; fl < 2 * FLOWS; fl++) {
		uint32_t r = 0;
		size_t len = flow_frame(fl, false, f);

		assert_int_equal(pfq_lang_bpf_test_verdict(b, f, len, 0, &r), 0);
		runs++;
		to_new += r == 12;
	}
	printf("  after the join, %d of %d new flows went to the new member (weight 3 of 6)\n",
	       to_new, FLOWS);
	assert_true(to_new > FLOWS / 2 * 85 / 100 && to_new < FLOWS / 2 * 115 / 100);
	/* member 10 leaves: its row stays, empty */
	t.m[0] = (struct pfq_member){ 0 };
	t.gen = 3;
	assert_int_equal(pfq_lang_members_map_update(m.members, &t), 0);
	for (int fl = 0; fl < FLOWS; fl++) {
		uint32_t r = 0;
		size_t len = flow_frame(fl, false, f);

		assert_int_equal(pfq_lang_bpf_test_verdict(b, f, len, 0, &r), 0);
		runs++;
		if (first[fl] == 11 && r != 11)
			fail_msg("flow %d of member 11 moved to %u when member 10 left", fl, r);
		if (first[fl] == 10)
			moved += (r == 11 || r == 12);
	}
	assert_int_equal(pfq_lang_group_stats_read(m.stats, &ks), 0);
	assert_int_equal(ks.recv, (uint64_t)runs);
	assert_int_equal(ks.drop, 0);
	printf("  the leaver's flows moved to the others: %d\n", moved);
	assert_true(moved > 0);
	pfq_lang_bpf_free(b);
	maps_close(&m);
}

/* the group's classic filter reads the frame from its MAC header */
static void test_classic_filter(void **state)
{
	/* udp, IPv4 TTL 77, and length > 70 */
	struct sock_filter ins[] = {
		{ BPF_LD | BPF_H | BPF_ABS, 0, 0, 12 },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 7, 0x0800 },
		{ BPF_LD | BPF_B | BPF_ABS, 0, 0, 23 },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 17 },
		{ BPF_LDX | BPF_B | BPF_MSH, 0, 0, 14 },
		{ BPF_LD | BPF_H | BPF_IND, 0, 0, 14 + 2 }, /* udp dst port */
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 53 },
		{ BPF_LD | BPF_W | BPF_LEN, 0, 0, 0 },
		{ BPF_JMP | BPF_JGT | BPF_K, 1, 0, 70 },
		{ BPF_RET | BPF_K, 0, 0, 0 },
		{ BPF_RET | BPF_K, 0, 0, 0xffff },
	};
	struct sock_fprog fp = { sizeof(ins) / sizeof(ins[0]), ins };
	struct pfq_member_table t;
	struct maps m;
	pfq_lang_bpf *b;
	int passed = 0;

	(void)state;
	maps_open(&m);
	make_table(&t, 1, 1);
	assert_int_equal(pfq_lang_members_map_update(m.members, &t), 0);
	b = load("unit", &m, false, &fp);
	for (int k = 0; k < 8; k++) {
		struct pkt_spec s;
		uint8_t f[256];
		uint32_t ret = 1;

		pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 999, k % 2 ? 53 : 54, k < 4 ? 60 : 100);
		s.l4 = k % 4 < 2 ? IPPROTO_UDP : IPPROTO_TCP;
		size_t len = pkt_build(&s, f, sizeof(f));
		bool want = s.l4 == IPPROTO_UDP && k % 2 && len > 70;

		assert_int_equal(pfq_lang_bpf_test_verdict(b, f, len, 0, &ret), 0);
		assert_int_equal(ret, want ? 10u : 0u);
		passed += want;
	}
	assert_int_equal(passed, 1);
	pfq_lang_bpf_free(b);
	maps_close(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_classic_filter),
		cmocka_unit_test(test_flows_keep_their_member),
		cmocka_unit_test(test_matches_reference),
	};
	return cmocka_run_group_tests_name("group-fanout", tests, NULL, NULL);
}
