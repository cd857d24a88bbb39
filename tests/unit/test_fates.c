/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfq_lang_fates: what a computation can decide, without running it. Sound
 * (every decision the interpreter makes over generated frames is among what
 * it reports) and precise where groups depend on it (steering programs
 * cannot copy, so their groups deliver through the fanout).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/lang.h>
#include "../../lib/lang/group-abi.h" /* the group ABI */

#include "framegen.h"

#include <stdio.h>

#define NFRAMES 4000

static const char *programs[] = {
	"unit", "drop", "broadcast", "kernel", "detour", "ip >-> steer_flow", "steer_flow",
	"steer_flow >-> classify 1", "when is_tcp drop", "unless is_udp drop >-> steer_ip",
	"steer_p2p", "double_steer_ip", "steer_link", "steer_mac", "double_steer_mac",
	"steer_local_link \"02:00:00:00:00:01\"", "steer_vlan", "steer_local_ip \"192.168.0.0/16\"",
	"steer_local_net \"192.168.0.0\" 16 24", "steer_field 12 2", "double_steer_field 26 30 4",
	"steer_to 3", "steer_rrobin", "steer_rss", "steer_rtp", "steer_voip",
	"steer_gtp_usr \"10.0.0.0\" 8", "par (classify 2 >-> udp) icmp",
	"par3 (tcp >-> steer_flow) (udp >-> classify 4) (icmp >-> steer_p2p)", "inv ip",
	"inv (par tcp udp) >-> steer_flow", "when is_tcp (classify 1) >-> steer_ip",
	"when is_tcp (classify 1)", "conditional is_udp (classify 3) steer_flow",
	"f x = when (has_port x) drop\nmain = f 53 >-> f 80 >-> steer_flow",
	"class 3 >-> flow >-> tcp >-> steer_flow >-> classify 7", "steer_flow >-> inv drop",
	"when is_tcp steer_flow", "unless is_tcp (steer_to 1) >-> tcp",
};

static void test_sound(void **state)
{
	static uint8_t frames[NFRAMES][FRAMEGEN_MAX];
	static size_t lens[NFRAMES];
	struct framegen g;
	long checked = 0;

	(void)state;
	framegen_init(&g, 3);
	for (int i = 0; i < NFRAMES; i++)
		lens[i] = framegen_next(&g, frames[i]);
	for (size_t k = 0; k < sizeof(programs) / sizeof(programs[0]); k++) {
		pfq_lang_program *p = pfq_lang_compile(programs[k], NULL);
		struct pfq_lang_fates f;

		assert_non_null(p);
		assert_int_equal(pfq_lang_fates(p, &f), 0);
		for (int i = 0; i < NFRAMES; i++) {
			struct pfq_lang_decision d;

			assert_true(pfq_lang_run(p, frames[i], lens[i], NULL, &d) >= 0);
			if (d.fate == PFQ_FATE_COPY && !f.may_copy)
				fail_msg("'%s': frame %d copied, not reported", programs[k], i);
			if (d.fate == PFQ_FATE_DOUBLE_STEER && !f.may_double)
				fail_msg("'%s': frame %d double-steered, not reported", programs[k], i);
			if ((d.fate == PFQ_FATE_COPY || d.fate == PFQ_FATE_DOUBLE_STEER) &&
			    (d.class_mask & ~f.classes))
				fail_msg("'%s': frame %d with classes %#llx, reported %#llx",
					 programs[k], i, (unsigned long long)d.class_mask,
					 (unsigned long long)f.classes);
			checked++;
		}
		pfq_lang_free(p);
	}
	printf("fates: %ld decisions within what was reported\n", checked);
}

static void expect(const char *src, bool copy, bool dbl, uint64_t classes)
{
	pfq_lang_program *p = pfq_lang_compile(src, NULL);
	struct pfq_lang_fates f;

	assert_non_null(p);
	assert_int_equal(pfq_lang_fates(p, &f), 0);
	if (f.may_copy != copy || f.may_double != dbl || f.classes != classes)
		fail_msg("'%s': copy %d double %d classes %#llx", src, f.may_copy, f.may_double,
			 (unsigned long long)f.classes);
	pfq_lang_free(p);
}

static void test_precise(void **state)
{
	(void)state;
	expect("ip >-> steer_flow", false, false, PFQ_CLASS_DEFAULT);
	expect("steer_flow >-> log_msg \"x\"", false, false, PFQ_CLASS_DEFAULT);
	expect("when is_tcp drop >-> steer_flow", false, false, PFQ_CLASS_DEFAULT);
	expect("steer_to 2", false, false, PFQ_CLASS_DEFAULT);
	expect("unit", true, false, PFQ_CLASS_DEFAULT);
	expect("when is_tcp steer_flow", true, false, PFQ_CLASS_DEFAULT);
	expect("when is_tcp (classify 1)", true, false, PFQ_CLASS_DEFAULT | 2);
	expect("broadcast", true, false, PFQ_CLASS_ANY);
	expect("double_steer_field 26 30 4", false, true, PFQ_CLASS_DEFAULT);
	expect("inv ip", true, false, PFQ_CLASS_DEFAULT);
	assert_int_equal(pfq_lang_fates(NULL, NULL), -22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precise),
		cmocka_unit_test(test_sound),
	};
	return cmocka_run_group_tests_name("lang-fates", tests, NULL, NULL);
}
