/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pfqd's configuration parser (daemon/pfqd/conf.h): values, and errors that
 * name file:line:column. No system look-ups (PFQD_CONF_SYNTAX_ONLY) except
 * in test_system, which looks up devices that cannot exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "conf.h"

#include <pfq/pfq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void parse_ok(struct pfqd_conf *c, const char *text)
{
	if (pfqd_conf_parse_text(c, text, "t.conf", PFQD_CONF_SYNTAX_ONLY) < 0)
		fail_msg("unexpected error: %s\nin:\n%s", c->errors[0], text);
}

/* the first error is exactly want, or begins with it when want ends in '*' */
static void parse_bad(const char *text, const char *want)
{
	struct pfqd_conf c;
	size_t n = strlen(want);
	bool prefix = n && want[n - 1] == '*';

	if (pfqd_conf_parse_text(&c, text, "t.conf", PFQD_CONF_SYNTAX_ONLY) == 0)
		fail_msg("no error for:\n%s", text);
	assert_true(c.nerrors >= 1);
	if (prefix ? strncmp(c.errors[0], want, n - 1) : strcmp(c.errors[0], want))
		fail_msg("for:\n%s\nerror: %s\nwanted: %s", text, c.errors[0], want);
	pfqd_conf_free(&c);
}

static void test_values(void **state)
{
	struct pfqd_conf c;
	const struct pfqd_group *g;

	(void)state;
	parse_ok(&c,
		 "; comment\n"
		 "# comment\n"
		 "[pfqd]\n"
		 "control = /run/x/ctl\n"
		 "CONTROL_MODE = 0600 ; inline comment\n"
		 "control_group = adm\n"
		 "metrics = 127.0.0.1:9120\n"
		 "require_guard = yes\n"
		 "\n"
		 "[group 42]\n"
		 "policy = restricted\n"
		 "input = eth0, eth1@2,\n"
		 "        eth2\n"
		 "output = eth3 class=0x6 weight=2\n"
		 "output = eth4@1\n"
		 "computation = ip >->\n"
		 "    steer_flow\n"
		 "filter = tcp\n"
		 "  port 80\n"
		 "vlan = 20, untagged, any, 10\n"
		 "allow_users = alice, 1000\n"
		 "allow_groups = capture\n"
		 "[ Group 3 ]\r\n"
		 "input = any\r\n");
	assert_string_equal(c.control, "/run/x/ctl");
	assert_int_equal(c.control_mode, 0600);
	assert_string_equal(c.control_group, "adm");
	assert_string_equal(c.metrics, "127.0.0.1:9120");
	assert_true(c.require_guard);
	assert_int_equal(c.ngroups, 2);
	assert_int_equal(c.groups[0].gid, 3); /* sorted by gid */
	assert_int_equal(c.groups[0].policy, PFQ_POLICY_SHARED);
	assert_string_equal(c.groups[0].inputs[0].name, "any");
	g = pfqd_conf_group(&c, 42);
	assert_non_null(g);
	assert_int_equal(g->policy, PFQ_POLICY_RESTRICTED);
	assert_int_equal(g->ninputs, 3);
	assert_string_equal(g->inputs[1].name, "eth1");
	assert_int_equal(g->inputs[1].queue, 2);
	assert_int_equal(g->inputs[2].queue, -1);
	assert_int_equal(g->input_pos[2].line, 13);
	assert_int_equal(g->input_pos[2].col, 9);
	assert_int_equal(g->noutputs, 2);
	assert_int_equal(g->outputs[0].class_mask, 6);
	assert_int_equal(g->outputs[0].weight, 2);
	assert_int_equal(g->outputs[1].class_mask, PFQ_CLASS_DEFAULT);
	assert_int_equal(g->outputs[1].dev.queue, 1);
	assert_string_equal(g->computation, "ip >->\nsteer_flow");
	assert_string_equal(g->filter, "tcp port 80");
	assert_true(g->fprog.bf_len > 0);
	assert_true(g->vlan_on);
	assert_int_equal(g->nvlans, 4);
	assert_int_equal(g->vlans[0], PFQ_VLAN_ANYTAG);
	assert_int_equal(g->vlans[1], PFQ_VLAN_UNTAG);
	assert_int_equal(g->vlans[3], 20);
	assert_int_equal(g->nusers, 2);
	assert_string_equal(g->users[1], "1000");
	assert_string_equal(g->groups[0], "capture");
	pfqd_conf_free(&c);
}

static void test_defaults(void **state)
{
	struct pfqd_conf c;

	(void)state;
	parse_ok(&c, "");
	assert_string_equal(c.control, PFQD_DEFAULT_CONTROL);
	assert_int_equal(c.control_mode, 0666);
	assert_null(c.metrics);
	assert_false(c.require_guard);
	assert_int_equal(c.ngroups, 0);
	pfqd_conf_free(&c);
	parse_ok(&c, "[group 0]\n");
	assert_int_equal(c.groups[0].policy, PFQ_POLICY_SHARED);
	assert_null(c.groups[0].computation);
	assert_false(c.groups[0].vlan_on);
	pfqd_conf_free(&c);
}

static void test_errors(void **state)
{
	(void)state;
	/* the grammar */
	parse_bad("x = 1\n", "t.conf:1:1: 'x' outside a section (a key goes under [pfqd] or "
		  "[group GID])");
	parse_bad("[group 1\n", "t.conf:1:1: missing ']' at the end of the section name");
	parse_bad("[group 1] x\n", "t.conf:1:11: unexpected text after ']'");
	parse_bad("[groups]\n", "t.conf:1:2: unknown section 'groups' (expected [pfqd] or "
		  "[group GID])");
	parse_bad("[group 64]\n", "t.conf:1:8: group id '64' is not a number in 0..63");
	parse_bad("[group x]\n", "t.conf:1:8: group id 'x' is not a number in 0..63");
	parse_bad("[group 1]\n\n[group 1]\n", "t.conf:3:2: group 1 defined twice (first at line 1)");
	parse_bad("[pfqd]\n[pfqd]\n", "t.conf:2:2: section [pfqd] given twice");
	parse_bad("[group 1]\n  input: b0\n", "t.conf:2:8: expected '=' between the key and its "
		  "value");
	{
		struct pfqd_conf c;

		/* (the line continuing a bad one says nothing more) */
		assert_int_equal(pfqd_conf_parse_text(&c, "[group 1]\ninput: b0\n  b1\n", "t.conf",
						      PFQD_CONF_SYNTAX_ONLY), -1);
		assert_int_equal(c.nerrors, 1);
		pfqd_conf_free(&c);
	}
	parse_bad("[group 1]\ninput b0\n", "t.conf:2:1: expected 'key = value', '[section]' or a "
		  "comment");
	parse_bad("[group 1]\n = b0\n", "t.conf:2:2: missing key before '='");
	parse_bad("[group 1]\nbogus = 1\n", "t.conf:2:1: unknown key 'bogus' in [group 1] (policy, "
		  "input, output, computation, computation_file, filter, vlan, allow_users, "
		  "allow_groups)");
	parse_bad("[pfqd]\ninput = b0\n", "t.conf:2:1: unknown key 'input' in [pfqd]*");
	parse_bad("[group 1]\npolicy = shared\npolicy = shared\n", "t.conf:3:1: policy given "
		  "twice in [group 1]");
	parse_bad("[group 1]\npolicy = shared\n   restricted\n", "t.conf:3:4: policy takes one "
		  "line (this indented line continues it)");
	{
		char *big = malloc(PFQD_MAX_LINE + 64);

		assert_non_null(big);
		strcpy(big, "[group 1]\nfilter = ");
		memset(big + strlen(big), 'x', PFQD_MAX_LINE);
		strcpy(big + strlen("[group 1]\nfilter = ") + PFQD_MAX_LINE, "\n");
		parse_bad(big, "t.conf:2:4097: line longer than 4096 characters");
		free(big);
	}
	/* an id past a uid's range names nobody (truncated, 2^32 + 1003 was gid
	 * 1003, 2^32 root's group) */
	parse_bad("[group 1]\nallow_groups = 4294968299\n", "t.conf:2:16: allow_groups: "
		  "'4294968299' is not a group name or number (ids are 0..4294967294)");
	parse_bad("[group 1]\nallow_users = 4294967295\n", "t.conf:2:15: allow_users: "
		  "'4294967295' is not a user name or number (ids are 0..4294967294)");
	parse_bad("[pfqd]\ncontrol_group = 4294967296\n", "t.conf:2:17: control_group: "
		  "'4294967296' is not a group name or number (ids are 0..4294967294)");
	/* [pfqd] */
	parse_bad("[pfqd]\ncontrol = run/ctl\n", "t.conf:2:11: control: 'run/ctl' is not an "
		  "absolute path");
	parse_bad("[pfqd]\ncontrol_mode = 0668\n", "t.conf:2:16: control_mode: '0668' is not an "
		  "octal mode in 0..0777 (e.g. 0660)");
	parse_bad("[pfqd]\ncontrol_group = Adm\n", "t.conf:2:17: control_group: 'Adm' is not a "
		  "group name or number");
	parse_bad("[pfqd]\nmetrics = 127.0.0.1\n", "t.conf:2:11: metrics: '127.0.0.1' is not "
		  "ADDRESS:PORT");
	parse_bad("[pfqd]\nmetrics = 127.0.0.1:0\n", "t.conf:2:21: metrics: port '0' is not a "
		  "number in 1..65535");
	parse_bad("[pfqd]\nmetrics = 10.1.2.3:9120\n", "t.conf:2:11: metrics: '10.1.2.3:9120' is "
		  "not a loopback address (metrics_remote = yes serves it elsewhere)");
	parse_bad("[pfqd]\nmetrics = [::1:9120\n", "t.conf:2:11: metrics: '[::1:9120' is not "
		  "[IPV6]:PORT");
	parse_bad("[pfqd]\nmetrics_remote = maybe\n", "t.conf:2:18: metrics_remote: 'maybe' is "
		  "not yes or no");
	parse_bad("[pfqd]\nrequire_guard = sometimes\n", "t.conf:2:17: require_guard: "
		  "'sometimes' is not yes or no");
	/* [group N] */
	parse_bad("[group 1]\npolicy = private\n", "t.conf:2:10: policy: 'private' is not for a "
		  "group pfqd holds for others (shared or restricted)");
	parse_bad("[group 1]\npolicy = open\n", "t.conf:2:10: policy: 'open' is not shared or "
		  "restricted");
	parse_bad("[group 1]\ninput = b0, b1@x\n", "t.conf:2:13: input: queue 'x' is not a number "
		  "in 0..65535");
	parse_bad("[group 1]\ninput = b0,, b1\n", "t.conf:2:12: empty entry in the list");
	parse_bad("[group 1]\ninput = b0, b0\n", "t.conf:2:13: input: 'b0' listed twice");
	parse_bad("[group 1]\ninput = b0:b1\n", "t.conf:2:9: input: 'b0:b1': devices are "
		  "separated by ','");
	parse_bad("[group 1]\ninput = any@1\n", "t.conf:2:9: input: 'any@1': the device 'any' "
		  "has no queues");
	parse_bad("[group 1]\ninput =\n", "t.conf:2:8: empty list");
	parse_bad("[group 1]\noutput = b0 weight=17\n", "t.conf:2:20: output: weight '17' is not a "
		  "number in 1..16");
	parse_bad("[group 1]\noutput = b0 class=0\n", "t.conf:2:19: output: class '0' is not a "
		  "class mask in 0x1..0x7fffffffffffffff");
	parse_bad("[group 1]\noutput = b0 queue=1\n", "t.conf:2:13: output: unknown option "
		  "'queue=1' (class=MASK, weight=N; a hardware queue is written dev@N)");
	parse_bad("[group 1]\noutput = b0\noutput = b0\n", "t.conf:3:10: output: 'b0' given twice "
		  "(first at line 2)");
	parse_bad("[group 1]\nvlan = 10, 4096\n", "t.conf:2:12: vlan: '4096' is not a VLAN id "
		  "(1..4095, untagged or 0, any or -1)");
	parse_bad("[group 1]\nvlan = 10, 10\n", "t.conf:2:12: vlan: '10' listed twice");
	parse_bad("[group 1]\nallow_users = root, Bob\n", "t.conf:2:21: allow_users: 'Bob' is "
		  "not a user name or number");
	/* computations and filters, where the error is */
	parse_bad("[group 1]\ncomputation = ip >-> steer_flwo\n", "t.conf:2:22: group 1: "
		  "computation: unknown function 'steer_flwo'*");
	parse_bad("[group 1]\ncomputation = ip >->\n\t  steer_flwo\n", "t.conf:3:4: group 1: "
		  "computation: unknown function 'steer_flwo'*");
	parse_bad("[group 1]\ncomputation =\n", "t.conf:2:14: group 1: empty computation");
	parse_bad("[group 1]\ncomputation = ip\ncomputation_file = x.pfq\n", "t.conf:3:20: group "
		  "1: computation and computation_file both given (line 2)");
	parse_bad("[group 1]\ncomputation_file = /nonexistent/x.pfq\n", "t.conf:2:20: group 1: "
		  "computation_file: /nonexistent/x.pfq: *");
	parse_bad("[group 1]\nfilter = tcp port\n", "t.conf:2:10: group 1: filter: *");
}

/* several errors: all of them, each at its place */
static void test_many(void **state)
{
	struct pfqd_conf c;

	(void)state;
	assert_int_equal(pfqd_conf_parse_text(&c, "[group 1]\npolicy = x\nvlan = 5000\n"
					      "[group 2]\nfilter = (\n", "t.conf",
					      PFQD_CONF_SYNTAX_ONLY), -1);
	assert_int_equal(c.nerrors, 3);
	assert_true(!strncmp(c.errors[0], "t.conf:2:10: ", 13));
	assert_true(!strncmp(c.errors[1], "t.conf:3:8: ", 12));
	assert_true(!strncmp(c.errors[2], "t.conf:5:10: ", 13));
	pfqd_conf_free(&c);
}

static void test_system(void **state)
{
	struct pfqd_conf c;

	(void)state;
	assert_int_equal(pfqd_conf_parse_text(&c, "[group 1]\ninput = lo, nosuchdev0\n"
					      "output = nosuchdev1\nallow_users = nosuchuser0\n"
					      "allow_groups = nosuchgroup0\n", "t.conf", 0), -1);
	assert_int_equal(c.nerrors, 4);
	assert_string_equal(c.errors[0], "t.conf:2:13: group 1: input: no device 'nosuchdev0' in "
			    "this network namespace");
	assert_string_equal(c.errors[1], "t.conf:3:10: group 1: output: no device 'nosuchdev1' in "
			    "this network namespace");
	assert_string_equal(c.errors[2], "t.conf:4:15: group 1: allow_users: no user "
			    "'nosuchuser0'");
	assert_string_equal(c.errors[3], "t.conf:5:16: group 1: allow_groups: no unix group "
			    "'nosuchgroup0'");
	pfqd_conf_free(&c);
	/* the hint for the old dev.queue notation */
	assert_int_equal(pfqd_conf_parse_text(&c, "[group 1]\ninput = lo.1\n", "t.conf", 0), -1);
	assert_string_equal(c.errors[0], "t.conf:2:9: group 1: input: no device 'lo.1' in this "
			    "network namespace (a hardware queue is written lo@1)");
	pfqd_conf_free(&c);
}

/* computation_file: relative to the configuration's directory, its text
 * kept, its errors at their place in it */
static void test_computation_file(void **state)
{
	char dir[] = "/tmp/pfqd-conf-XXXXXX", path[64], conf[64];
	struct pfqd_conf c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lb.pfq", dir);
	snprintf(conf, sizeof(conf), "%s/pfqd.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("ip >->\n   steer_flow\n", f);
	fclose(f);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs("[group 1]\ncomputation_file = lb.pfq\n", f);
	fclose(f);
	assert_int_equal(pfqd_conf_parse_file(&c, conf, PFQD_CONF_SYNTAX_ONLY), 0);
	assert_string_equal(c.groups[0].computation, "ip >->\n   steer_flow\n");
	assert_string_equal(c.groups[0].computation_file, "lb.pfq");
	pfqd_conf_free(&c);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("ip >->\n   steer_flwo\n", f);
	fclose(f);
	assert_int_equal(pfqd_conf_parse_file(&c, conf, PFQD_CONF_SYNTAX_ONLY), -1);
	{
		char want[256];

		snprintf(want, sizeof(want), "%s:2:20: group 1: computation_file: %s:2:4: unknown "
			 "function 'steer_flwo'", conf, path);
		if (strncmp(c.errors[0], want, strlen(want)))
			fail_msg("error: %s\nwanted: %s", c.errors[0], want);
	}
	pfqd_conf_free(&c);
	unlink(path);
	unlink(conf);
	rmdir(dir);
}

static void test_equal(void **state)
{
	static const char base[] = "[group 5]\ninput = a0, b0\ncomputation = steer_flow\n"
				   "filter = udp\nvlan = 7\n";
	struct pfqd_conf a, b;
	struct pfqd_group copy;

	(void)state;
	parse_ok(&a, base);
	parse_ok(&b, "; moved about\n[group 5]\nvlan = 7\nfilter = udp\n"
		     "computation = steer_flow\ninput = b0,a0\n");
	assert_true(pfqd_group_equal(&a.groups[0], &b.groups[0]));
	assert_int_equal(pfqd_group_copy(&copy, &a.groups[0]), 0);
	assert_true(pfqd_group_equal(&copy, &b.groups[0]));
	pfqd_group_free(&copy);
	pfqd_conf_free(&b);
	parse_ok(&b, "[group 5]\ninput = a0, b0\ncomputation = steer_flow\nfilter = tcp\n"
		     "vlan = 7\n");
	assert_false(pfqd_group_equal(&a.groups[0], &b.groups[0]));
	assert_true(pfqd_inputs_equal(&a.groups[0], &b.groups[0]));
	pfqd_conf_free(&b);
	pfqd_conf_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_system),
		cmocka_unit_test(test_computation_file),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
