/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* util/parse.c and util/cli.c: the numbers and device lists of the tools and
 * of the pcap configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli.h"
#include "parse.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static void test_long(void **state)
{
	static const struct { const char *s; long v; } good[] = {
		{ "0", 0 }, { "7", 7 }, { "-1", -1 }, { "+5", 5 }, { "0x1f", 31 }, { "0X1F", 31 },
		{ "-0x10", -16 }, { "010", 10 }, /* not octal */ { "-0", 0 },
		{ "9223372036854775807", LONG_MAX }, { "-9223372036854775808", LONG_MIN },
		{ "0x7fffffffffffffff", LONG_MAX },
	};
	static const char *const syntax[] = {
		"", " ", "-", "+", "0x", "-0x", "x1", "1x", "12 ", " 12", "1.5", "1e3", "--1",
		"+-1", "0x0x1", "0xg", "１", "99999999999999999999x", "1 2",
	};
	static const char *const range[] = {
		"9223372036854775808", "-9223372036854775809", "99999999999999999999",
		"0x10000000000000000", "18446744073709551616",
	};
	long v;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 42;
		if (parse_long(good[i].s, LONG_MIN, LONG_MAX, 0, &v) != 0 || v != good[i].v)
			fail_msg("'%s': %ld", good[i].s, v);
	}
	for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++) {
		v = 42;
		if (parse_long(syntax[i], LONG_MIN, LONG_MAX, 0, &v) != -EINVAL || v != 42)
			fail_msg("'%s' is no number", syntax[i]);
	}
	for (size_t i = 0; i < sizeof(range) / sizeof(range[0]); i++)
		if (parse_long(range[i], LONG_MIN, LONG_MAX, 0, &v) != -ERANGE)
			fail_msg("'%s' is out of range", range[i]);
	/* the range, both ends included */
	assert_int_equal(parse_long("1", 1, 16, 0, &v), 0);
	assert_int_equal(parse_long("16", 1, 16, 0, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(parse_long("0", 1, 16, 0, &v), -ERANGE);
	assert_int_equal(parse_long("17", 1, 16, 0, &v), -ERANGE);
	assert_int_equal(parse_long("-2", -1, 65535, 0, &v), -ERANGE);
	assert_int_equal(v, 16);
	/* blanks, only when asked for */
	assert_int_equal(parse_long(" \t12 \r\n", 0, 100, PARSE_BLANKS, &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(parse_long("   ", 0, 100, PARSE_BLANKS, &v), -EINVAL);
	assert_int_equal(parse_long(" 1 2 ", 0, 100, PARSE_BLANKS, &v), -EINVAL);
	assert_int_equal(parse_long(" 12", 0, 100, 0, &v), -EINVAL);
}

static void test_ulong(void **state)
{
	unsigned long v = 42;

	(void)state;
	assert_int_equal(parse_ulong("18446744073709551615", 0, ULONG_MAX, 0, &v), 0);
	assert_true(v == ULONG_MAX);
	assert_int_equal(parse_ulong("0xffffffffffffffff", 0, ULONG_MAX, 0, &v), 0);
	assert_int_equal(parse_ulong("18446744073709551616", 0, ULONG_MAX, 0, &v), -ERANGE);
	assert_int_equal(parse_ulong("0x1", 1, 0x7fffffff, 0, &v), 0);
	assert_true(v == 1);
	/* no sign: "-1" is not ULONG_MAX, as strtoul would have it */
	assert_int_equal(parse_ulong("-1", 0, ULONG_MAX, 0, &v), -EINVAL);
	assert_int_equal(parse_ulong("+1", 0, ULONG_MAX, 0, &v), -EINVAL);
	assert_int_equal(parse_ulong("0x80000000", 1, 0x7fffffff, 0, &v), -ERANGE);
	assert_int_equal(parse_ulong("0", 1, 10, 0, &v), -ERANGE);
	assert_true(v == 1);
	assert_int_equal(parse_ulong(" 3 ", 1, 10, PARSE_BLANKS, &v), 0);
	assert_true(v == 3);
}

static void test_ifname(void **state)
{
	(void)state;
	assert_true(parse_ifname_valid("eth0", 4));
	assert_true(parse_ifname_valid("eth0.100", 8));
	assert_true(parse_ifname_valid("a-15-chars-name", 15));
	assert_false(parse_ifname_valid("a-16-chars-name!", 16));
	assert_false(parse_ifname_valid("", 0));
	assert_false(parse_ifname_valid(".", 1));
	assert_false(parse_ifname_valid("..", 2));
	assert_true(parse_ifname_valid("...", 3));
	assert_false(parse_ifname_valid("a/b", 3));
	assert_false(parse_ifname_valid("a@b", 3));
	assert_false(parse_ifname_valid("a:b", 3));
	assert_false(parse_ifname_valid("a b", 3));
	assert_false(parse_ifname_valid("a\tb", 3));
	assert_false(parse_ifname_valid("a\x7f", 2));
	assert_true(parse_ifname_valid("eth0:junk", 4)); /* only the n bytes count */
}

static void test_dev_list(void **state)
{
	struct parse_dev d[4];
	char msg[128];

	(void)state;
	assert_int_equal(parse_dev_list("", d, 4, msg, sizeof(msg)), 0);
	assert_int_equal(parse_dev_list("eth0", d, 4, msg, sizeof(msg)), 1);
	assert_string_equal(d[0].name, "eth0");
	assert_int_equal(d[0].queue, -1);
	assert_int_equal(parse_dev_list("eth0@3:eth0.1:any@0x10:eth0", d, 4, msg, sizeof(msg)), 4);
	assert_int_equal(d[0].queue, 3);
	assert_string_equal(d[1].name, "eth0.1");
	assert_int_equal(d[1].queue, -1);
	assert_string_equal(d[2].name, "any");
	assert_int_equal(d[2].queue, 16);
	assert_string_equal(d[3].name, "eth0"); /* every queue: not the same binding as @3 */
	assert_int_equal(parse_dev_list("eth0@65535", d, 4, msg, sizeof(msg)), 1);
	assert_int_equal(d[0].queue, 65535);

	static const struct { const char *list, *msg; int rc; } bad[] = {
		{ ":", "'' is not a valid device name", -EINVAL },
		{ "eth0::eth1", "'' is not a valid device name", -EINVAL },
		{ "eth0:", "empty device name at the end", -EINVAL },
		{ "eth0@", "missing queue after '@'", -EINVAL },
		{ "eth0@x", "queue 'x' is not a number in 0..65535", -EINVAL },
		{ "eth0@-1", "queue '-1' is not a number in 0..65535", -EINVAL },
		{ "eth0@65536", "queue '65536' is not a number in 0..65535", -EINVAL },
		{ "eth0@ 1", "queue ' 1' is not a number", -EINVAL },
		{ "eth0@1@2", "queue '1@2' is not a number", -EINVAL },
		{ "eth0@0000000000000000000000000000000001", "is not a number", -EINVAL },
		{ "@1", "'' is not a valid device name", -EINVAL },
		{ "a-very-long-device-name", "'a-very-long-device-name' is not a valid device name",
		  -EINVAL },
		{ "eth 0", "'eth 0' is not a valid device name", -EINVAL },
		{ "..", "'..' is not a valid device name", -EINVAL },
		{ "eth0:eth0", "device 'eth0' listed twice", -EINVAL },
		{ "eth0@1:eth0@1", "device 'eth0@1' listed twice", -EINVAL },
		{ "a:b:c:d:e", "more than 4 devices", -E2BIG },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		msg[0] = '\0';
		rc = parse_dev_list(bad[i].list, d, 4, msg, sizeof(msg));
		if (rc != bad[i].rc || !strstr(msg, bad[i].msg))
			fail_msg("'%s': %d '%s', expected %d '%s'", bad[i].list, rc, msg, bad[i].rc,
				 bad[i].msg);
	}
	/* a message that does not fit is cut, not overrun; no buffer at all is fine */
	assert_int_equal(parse_dev_list("eth0@x", d, 4, msg, 8), -EINVAL);
	assert_int_equal(strlen(msg), 7);
	assert_int_equal(parse_dev_list("eth0@x", d, 4, NULL, 0), -EINVAL);
}

static void test_cli(void **state)
{
	static const struct option opts[] = {
		{ "snaplen", required_argument, NULL, 's' },
		{ "class", required_argument, NULL, 1 },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const dirs[] = { "in", "out", "inout", NULL };
	const struct cli cli = { "test", opts };
	char buf[32];
	long v = 42;
	unsigned long u = 42;
	int k = -1;

	(void)state;
	assert_string_equal(cli_opt_name(&cli, 's', buf, sizeof(buf)), "--snaplen");
	assert_string_equal(cli_opt_name(&cli, 1, buf, sizeof(buf)), "--class");
	assert_string_equal(cli_opt_name(&cli, 'x', buf, sizeof(buf)), "-x");
	assert_int_equal(cli_long(&cli, 's', "64", 1, 262144, &v), 0);
	assert_int_equal(v, 64);
	/* the failures print on stderr (see tests/tools/test_cli.sh) */
	assert_int_equal(cli_long(&cli, 's', "0", 1, 262144, &v), -1);
	assert_int_equal(v, 64);
	assert_int_equal(cli_ulong(&cli, 1, "0x3", 1, 0x7fffffff, &u), 0);
	assert_true(u == 3);
	assert_int_equal(cli_ulong(&cli, 1, "-1", 1, 0x7fffffff, &u), -1);
	assert_int_equal(cli_choice(&cli, 'd', "out", dirs, &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(cli_choice(&cli, 'd', "inout", dirs, &k), 0);
	assert_int_equal(k, 2);
	assert_int_equal(cli_choice(&cli, 'd', "sideways", dirs, &k), -1);
	assert_int_equal(cli_choice(&cli, 'd', "", dirs, &k), -1);
	assert_int_equal(k, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_ulong),
		cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_dev_list),
		cmocka_unit_test(test_cli),
	};
	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
