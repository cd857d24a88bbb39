/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Group dispatch in the compiled programs: one program instance per member,
 * each told its own id; for every frame, the members whose instance accepts
 * are exactly those the reference dispatch picks (copy to eligible classes,
 * steer to one by weight, double steer, steer-to), and steering spreads
 * flows in proportion to the weights.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/lang.h>
#include "../../lib/lang/group-abi.h" /* the group ABI */

#include "framegen.h"
#include "pktgen.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NFRAMES 3000

static const char *programs[] = {
	"unit", "broadcast", "classify 1", "classify 2 >-> ip",
	"ip >-> steer_flow", "steer_flow >-> classify 1", "double_steer_ip",
	"steer_to 2", "steer_to 7", "when is_tcp (classify 1) >-> steer_ip",
	"par (udp >-> steer_flow) (classify 2 >-> double_steer_mac)", "drop",
};

static void make_table(struct pfq_member_table *t, int n)
{
	static const struct pfq_member pool[] = {
		{ 1u << 0, 10, 1 }, { (1u << 0) | (1u << 1), 11, 2 }, { 1u << 1, 12, 1 },
		{ (1u << 2) | (1u << 0), 13, 3 },
	};

	memset(t, 0, sizeof(*t));
	t->n = (uint32_t)n;
	t->leader = pool[0].id;
	for (int i = 0; i < n; i++)
		t->m[i] = pool[i];
}

static void test_dispatch_matches_reference(void **state)
{
	static uint8_t frames[NFRAMES][FRAMEGEN_MAX];
	static size_t lens[NFRAMES];
	struct framegen g;
	int map = pfq_lang_members_map_create();
	long checked = 0;

	(void)state;
	assert_true(map >= 0);
	framegen_init(&g, 99);
	for (int i = 0; i < NFRAMES; i++)
		lens[i] = framegen_next(&g, frames[i]);
	for (int n = 1; n <= 4; n++) {
		struct pfq_member_table t;

		make_table(&t, n);
		assert_int_equal(pfq_lang_members_map_update(map, &t), 0);
		for (size_t k = 0; k < sizeof(programs) / sizeof(programs[0]); k++) {
			pfq_lang_program *p = pfq_lang_compile(programs[k], NULL);
			pfq_lang_bpf *inst[4];

			assert_non_null(p);
			for (int m = 0; m < n; m++) {
				struct pfq_lang_diag diag;
				struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .members_map_fd = map,
							       .member_id = t.m[m].id, .caplen = 1500,
							       .filter_only = 1 };

				inst[m] = pfq_lang_bpf_load(p, &o, &diag);
				if (!inst[m])
					fail_msg("'%s' as member %u: %s", programs[k], t.m[m].id, diag.msg);
			}
			for (int i = 0; i < NFRAMES; i++) {
				struct pfq_lang_decision d;

				pfq_lang_run(p, frames[i], lens[i], NULL, &d);
				for (int m = 0; m < n; m++) {
					uint32_t ret = 0;
					int want = pfq_lang_dispatch(&d, &t, t.m[m].id);

					assert_int_equal(pfq_lang_bpf_test_verdict(inst[m], frames[i], lens[i], 0, &ret), 0);
					if ((ret != 0) != want || (ret && ret != 1500))
						fail_msg("'%s', %d members: frame %d, member %u: returned %u, "
							 "reference %s", programs[k], n, i, t.m[m].id, ret,
							 want ? "receives" : "does not");
					checked++;
				}
			}
			for (int m = 0; m < n; m++)
				pfq_lang_bpf_free(inst[m]);
			pfq_lang_free(p);
		}
	}
	printf("dispatch: %ld member verdicts, all as the reference\n", checked);
	close(map);
}

/* many flows, weights 1:2:1 -> shares 25% : 50% : 25%, each flow to one member */
static void test_steering_spread(void **state)
{
	struct pfq_member_table t = { .n = 3, .leader = 1 };
	int map = pfq_lang_members_map_create(), count[3] = { 0 };
	pfq_lang_program *p = pfq_lang_compile("ip >-> steer_flow", NULL);
	pfq_lang_bpf *inst[3];
	const int flows = 4000;

	(void)state;
	for (int m = 0; m < 3; m++)
		t.m[m] = (struct pfq_member){ 1, (uint32_t)(m + 1), m == 1 ? 2u : 1u };
	assert_int_equal(pfq_lang_members_map_update(map, &t), 0);
	for (int m = 0; m < 3; m++) {
		struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .members_map_fd = map,
					       .member_id = (uint32_t)(m + 1), .filter_only = 1 };

		inst[m] = pfq_lang_bpf_load(p, &o, NULL);
		assert_non_null(inst[m]);
	}
	for (int f = 0; f < flows; f++) {
		uint8_t fr[128], rv[128];
		struct pkt_spec s;
		char src[32];
		int got = 0, got_rev = 0, who = -1, who_rev = -1;

		snprintf(src, sizeof(src), "10.%d.%d.%d", f % 7, (f / 7) % 250, 1 + f % 200);
		pkt_spec_udp4(&s, src, "192.168.1.1", (uint16_t)(1024 + f * 13 % 50000), 53, 60);
		s.l4 = f % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		size_t len = pkt_build(&s, fr, sizeof(fr));

		/* and the reverse direction of the same flow */
		pkt_spec_udp4(&s, "192.168.1.1", src, 53, (uint16_t)(1024 + f * 13 % 50000), 60);
		s.l4 = f % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		size_t rlen = pkt_build(&s, rv, sizeof(rv));

		for (int m = 0; m < 3; m++) {
			uint32_t r1 = 0, r2 = 0;

			assert_int_equal(pfq_lang_bpf_test_verdict(inst[m], fr, len, 0, &r1), 0);
			assert_int_equal(pfq_lang_bpf_test_verdict(inst[m], rv, rlen, 0, &r2), 0);
			if (r1) {
				got++;
				who = m;
			}
			if (r2) {
				got_rev++;
				who_rev = m;
			}
		}
		assert_int_equal(got, 1);       /* exactly one member */
		assert_int_equal(got_rev, 1);
		assert_int_equal(who, who_rev); /* both directions to the same member */
		count[who]++;
	}
	printf("spread over 1:2:1 weights: %d %d %d of %d flows\n", count[0], count[1], count[2], flows);
	assert_true(count[0] > flows / 4 * 85 / 100 && count[0] < flows / 4 * 115 / 100);
	assert_true(count[1] > flows / 2 * 85 / 100 && count[1] < flows / 2 * 115 / 100);
	assert_true(count[2] > flows / 4 * 85 / 100 && count[2] < flows / 4 * 115 / 100);
	for (int m = 0; m < 3; m++)
		pfq_lang_bpf_free(inst[m]);
	pfq_lang_free(p);
	close(map);
}

/* the table is replaced as a whole: a member that left gets nothing */
static void test_table_update(void **state)
{
	struct pfq_member_table t = { .n = 2, .leader = 1 };
	int map = pfq_lang_members_map_create();
	pfq_lang_program *p = pfq_lang_compile("unit", NULL);
	struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .members_map_fd = map, .member_id = 2,
				       .filter_only = 1 };
	pfq_lang_bpf *b;
	uint8_t fr[64] = { 0 };
	uint32_t ret = 0;

	(void)state;
	t.m[0] = (struct pfq_member){ 1, 1, 1 };
	t.m[1] = (struct pfq_member){ 1, 2, 1 };
	assert_int_equal(pfq_lang_members_map_update(map, &t), 0);
	b = pfq_lang_bpf_load(p, &o, NULL);
	assert_non_null(b);
	assert_int_equal(pfq_lang_bpf_test_verdict(b, fr, sizeof(fr), 0, &ret), 0);
	assert_true(ret != 0);
	t.n = 1;
	assert_int_equal(pfq_lang_members_map_update(map, &t), 0);
	assert_int_equal(pfq_lang_bpf_test_verdict(b, fr, sizeof(fr), 0, &ret), 0);
	assert_int_equal(ret, 0);
	t.n = PFQ_MAX_MEMBERS + 1;
	assert_int_equal(pfq_lang_members_map_update(map, &t), -22);
	pfq_lang_bpf_free(b);
	pfq_lang_free(p);
	close(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_update),
		cmocka_unit_test(test_steering_spread),
		cmocka_unit_test(test_dispatch_matches_reference),
	};
	return cmocka_run_group_tests_name("group-dispatch", tests, NULL, NULL);
}
