/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test frame builder: layouts and checksums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "pktgen.h"

#include <netinet/in.h>
#include <string.h>

static void test_udp4_layout(void **state)
{
	struct pkt_spec s;
	uint8_t buf[256];
	size_t n;

	(void)state;
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1000, 53, 0);
	n = pkt_build(&s, buf, sizeof(buf));
	assert_int_equal(n, 60); /* padded to the Ethernet minimum */
	assert_int_equal(buf[12], 0x08);
	assert_int_equal(buf[13], 0x00);
	assert_int_equal(buf[14], 0x45);
	assert_int_equal(buf[23], IPPROTO_UDP);
	assert_int_equal(pkt_csum(buf + 14, 20, 0), 0); /* IP checksum verifies */
	assert_int_equal(buf[34] << 8 | buf[35], 1000);
	assert_int_equal(buf[36] << 8 | buf[37], 53);
}

static void test_vlan_and_qinq(void **state)
{
	struct pkt_spec s;
	uint8_t buf[256];

	(void)state;
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1, 2, 100);
	s.vlan_outer = 42;
	s.vlan_inner = 7;
	s.outer_tpid = 0x88a8;
	assert_int_equal(pkt_build(&s, buf, sizeof(buf)), 100);
	assert_int_equal(buf[12] << 8 | buf[13], 0x88a8);
	assert_int_equal(buf[14] << 8 | buf[15], 42);
	assert_int_equal(buf[16] << 8 | buf[17], 0x8100);
	assert_int_equal(buf[18] << 8 | buf[19], 7);
	assert_int_equal(buf[20] << 8 | buf[21], 0x0800);
}

static void test_too_small(void **state)
{
	struct pkt_spec s;
	uint8_t buf[64];

	(void)state;
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1, 2, 100);
	assert_int_equal(pkt_build(&s, buf, sizeof(buf)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp4_layout),
		cmocka_unit_test(test_vlan_and_qinq),
		cmocka_unit_test(test_too_small),
	};
	return cmocka_run_group_tests_name("pktgen", tests, NULL, NULL);
}
