/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pfq pcap device names, environment variables and config files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[512];

static void test_is_device(void **state)
{
	(void)state;
	assert_true(pfq_pcap_is_device("pfq"));
	assert_true(pfq_pcap_is_device("pfq:"));
	assert_true(pfq_pcap_is_device("pfq:eth0"));
	assert_true(pfq_pcap_is_device("pfq/x.conf:eth0"));
	assert_false(pfq_pcap_is_device("pfqx:eth0"));
	assert_false(pfq_pcap_is_device("eth0"));
	assert_false(pfq_pcap_is_device("any"));
	assert_false(pfq_pcap_is_device(""));
	assert_false(pfq_pcap_is_device(NULL));
}

static void test_device_names(void **state)
{
	struct pfq_pcap_config c;

	(void)state;
	pfq_pcap_config_init(&c);
	assert_int_equal(pfq_pcap_parse_device("pfq", &c, err, sizeof(err)), 0);
	assert_int_equal(c.ndevs, 0);
	assert_int_equal(pfq_pcap_parse_device("pfq:", &c, err, sizeof(err)), 0);
	assert_int_equal(c.ndevs, 0);
	assert_int_equal(pfq_pcap_parse_device("pfq:eth0:eth1", &c, err, sizeof(err)), 0);
	assert_int_equal(c.ndevs, 2);
	assert_string_equal(c.devs[1].name, "eth1");
	assert_int_equal(c.devs[0].queue, -1);
	assert_int_equal(pfq_pcap_parse_device("pfq:eth0@3:eth0.1", &c, err, sizeof(err)), 0);
	assert_int_equal(c.devs[0].queue, 3);
	assert_string_equal(c.devs[1].name, "eth0.1"); /* a VLAN device name, not a queue */
	assert_int_equal(pfq_pcap_parse_device("pfq/pfq-pcap.conf:eth0:eth1", &c, err, sizeof(err)), 0);
	assert_string_equal(c.config_path, "pfq-pcap.conf");
	assert_int_equal(c.ndevs, 2);
	assert_int_equal(pfq_pcap_parse_device("pfq//etc/pfq.conf:eth0", &c, err, sizeof(err)), 0);
	assert_string_equal(c.config_path, "/etc/pfq.conf");
	assert_int_equal(pfq_pcap_parse_device("pfq/only.conf", &c, err, sizeof(err)), 0);
	assert_string_equal(c.config_path, "only.conf");
	assert_int_equal(c.ndevs, 0);
	static const char *bad[] = { "pfq:eth0::eth1", "pfq:eth0:", "pfq:a-very-long-device-name",
				     "pfq:eth0@", "pfq:eth0@x", "pfq:eth0@70000", "pfq:eth0@-1",
				     "pfq:eth 0", "pfq/:eth0", "pfq:eth0:eth0", "pfq:..", "eth0",
				     "pfq:@1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (pfq_pcap_parse_device(bad[i], &c, err, sizeof(err)) == 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err, bad[i]));
	}
	pfq_pcap_config_free(&c);
}

static const char *env_vals[16][2];

static const char *fake_env(const char *name)
{
	for (int i = 0; env_vals[i][0]; i++)
		if (!strcmp(env_vals[i][0], name))
			return env_vals[i][1];
	return NULL;
}

static int with_env(struct pfq_pcap_config *c, const char *k, const char *v)
{
	memset(env_vals, 0, sizeof(env_vals));
	env_vals[0][0] = k;
	env_vals[0][1] = v;
	return pfq_pcap_config_env(c, fake_env, err, sizeof(err));
}

static void test_environment(void **state)
{
	struct pfq_pcap_config c;

	(void)state;
	pfq_pcap_config_init(&c);
	memset(env_vals, 0, sizeof(env_vals));
	env_vals[0][0] = "PFQ_GROUP"; env_vals[0][1] = "42";
	env_vals[1][0] = "PFQ_CAPLEN"; env_vals[1][1] = "64";
	env_vals[2][0] = "PFQ_RX_SLOTS"; env_vals[2][1] = "131072";
	env_vals[3][0] = "PFQ_TX_SLOTS"; env_vals[3][1] = "8192";
	env_vals[4][0] = "PFQ_TX_QUEUE"; env_vals[4][1] = "1";
	env_vals[5][0] = "PFQ_TX_NODE"; env_vals[5][1] = "0";
	env_vals[6][0] = "PFQ_TX_BATCH"; env_vals[6][1] = "16";
	env_vals[7][0] = "PFQ_COMPUTATION"; env_vals[7][1] = "ip >-> steer_flow";
	env_vals[8][0] = "PFQ_VLAN"; env_vals[8][1] = "1, 42,-1";
	assert_int_equal(pfq_pcap_config_env(&c, fake_env, err, sizeof(err)), 0);
	assert_int_equal(c.group, 42);
	assert_int_equal(c.caplen, 64);
	assert_int_equal(c.rx_slots, 131072);
	assert_int_equal(c.tx_slots, 8192);
	assert_int_equal(c.tx_queue, 1);
	assert_int_equal(c.tx_node, 0);
	assert_int_equal(c.tx_batch, 16);
	assert_string_equal(c.computation, "ip >-> steer_flow");
	assert_int_equal(c.nvlans, 3);
	assert_int_equal(c.vlans[2], -1);
	/* the seed's spelling */
	pfq_pcap_config_free(&c);
	pfq_pcap_config_init(&c);
	assert_int_equal(with_env(&c, "PFQ_GORUP", "7"), 0);
	assert_int_equal(c.group, 7);
	/* set but empty is unset: nothing changes, and the next name is read */
	pfq_pcap_config_free(&c);
	pfq_pcap_config_init(&c);
	static const char *unset[] = { "PFQ_GROUP", "PFQ_CAPLEN", "PFQ_RX_SLOTS", "PFQ_TX_SLOTS",
				       "PFQ_TX_QUEUE", "PFQ_TX_NODE", "PFQ_TX_BATCH", "PFQ_VLAN",
				       "PFQ_COMPUTATION" };
	for (size_t i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
		assert_int_equal(with_env(&c, unset[i], ""), 0);
	assert_int_equal(c.group, -1);
	assert_int_equal(c.caplen, -1);
	assert_int_equal(c.rx_slots, -1);
	assert_int_equal(c.tx_slots, -1);
	assert_int_equal(c.tx_queue, -1);
	assert_int_equal(c.tx_node, -1);
	assert_int_equal(c.tx_batch, -1);
	assert_int_equal(c.nvlans, 0);
	assert_null(c.computation);
	memset(env_vals, 0, sizeof(env_vals));
	env_vals[0][0] = "PFQ_GROUP"; env_vals[0][1] = "";
	env_vals[1][0] = "PFQ_GORUP"; env_vals[1][1] = "9";
	assert_int_equal(pfq_pcap_config_env(&c, fake_env, err, sizeof(err)), 0);
	assert_int_equal(c.group, 9);
	static const char *bad[][2] = {
		{ "PFQ_CAPLEN", "abc" }, { "PFQ_CAPLEN", "0" }, { "PFQ_CAPLEN", "300000" },
		{ "PFQ_RX_SLOTS", "-5" }, { "PFQ_RX_SLOTS", " " }, { "PFQ_GROUP", "4096" },
		{ "PFQ_GROUP", "12x" }, { "PFQ_TX_BATCH", "0" }, { "PFQ_VLAN", "5000" },
		{ "PFQ_VLAN", "," }, { "PFQ_COMPUTATION", "   " }, { "PFQ_TX_QUEUE", "-2" },
		{ "PFQ_RX_SLOTS", "99999999999999999999" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (with_env(&c, bad[i][0], bad[i][1]) == 0)
			fail_msg("%s=%s accepted", bad[i][0], bad[i][1]);
		assert_non_null(strstr(err, bad[i][0]));
	}
	pfq_pcap_config_free(&c);
}

static void test_config_text(void **state)
{
	struct pfq_pcap_config c;
	const char *seed = "# PFQ configuration file\n\ngroup  = 11\ncaplen = 64\n\n"
			   "rx_slots = 131072\n\ntx_node  = 1\n\ncomputation = ip >-> steer_flow\n";

	(void)state;
	pfq_pcap_config_init(&c);
	assert_int_equal(pfq_pcap_config_text(&c, seed, "seed.conf", err, sizeof(err)), 0);
	assert_int_equal(c.group, 11);
	assert_int_equal(c.caplen, 64);
	assert_int_equal(c.rx_slots, 131072);
	assert_int_equal(c.tx_node, 1);
	assert_string_equal(c.computation, "ip >-> steer_flow");
	assert_int_equal(pfq_pcap_config_text(&c, "COMPUTATION = when (has_port 80) (log_msg \"#80\") # c\r\n"
					      "tx_batch=4", "x", err, sizeof(err)), 0);
	assert_string_equal(c.computation, "when (has_port 80) (log_msg \"#80\")");
	assert_int_equal(c.tx_batch, 4);
	static const char *bad[][2] = {
		{ "group = 11\nfoo = 1\n", "x:2: foo: unknown key" },
		{ "caplen 64\n", "x:1: expected 'key = value'" },
		{ "= 3\n", "x:1: missing key" },
		{ "\n\ncaplen = abc\n", "x:3: caplen:" },
		{ "vlan = 1,x\n", "x:1: vlan:" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (pfq_pcap_config_text(&c, bad[i][0], "x", err, sizeof(err)) == 0)
			fail_msg("'%s' accepted", bad[i][0]);
		if (!strstr(err, bad[i][1]))
			fail_msg("'%s': got '%s', expected '%s'", bad[i][0], err, bad[i][1]);
	}
	/* files */
	char path[] = "/tmp/pfq-conf-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, seed, strlen(seed)), (ssize_t)strlen(seed));
	close(fd);
	pfq_pcap_config_free(&c);
	pfq_pcap_config_init(&c);
	assert_int_equal(pfq_pcap_config_file(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.group, 11);
	unlink(path);
	assert_int_equal(pfq_pcap_config_file(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read config file"));
	/* a directory, and a FIFO with no writer: errors, at once */
	assert_int_equal(pfq_pcap_config_file(&c, "/tmp", err, sizeof(err)), -1);
	assert_string_equal(err, "config file '/tmp' is a directory, not a regular file");
	assert_int_equal(pfq_pcap_config_file(&c, "/", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is a directory"));
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(pfq_pcap_config_file(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is a FIFO, not a regular file"));
	unlink(path);
	pfq_pcap_config_free(&c);
}

/* caplen goes up to libpcap's largest snapshot length */
static void test_caplen_range(void **state)
{
	struct pfq_pcap_config c;
	char msg[256];

	(void)state;
	pfq_pcap_config_init(&c);
	assert_int_equal(pfq_pcap_config_text(&c, "caplen = 262144\n", "x", msg, sizeof(msg)), 0);
	assert_int_equal(c.caplen, 262144);
	assert_int_equal(pfq_pcap_config_text(&c, "caplen = 262145\n", "x", msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "1..262144"));
	pfq_pcap_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_device),
		cmocka_unit_test(test_device_names),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_config_text),
		cmocka_unit_test(test_caplen_range),
	};
	return cmocka_run_group_tests_name("pcap-config", tests, NULL, NULL);
}
