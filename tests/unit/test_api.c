/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libpfq calls that need no traffic: settings, validation, error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "test_registry.h"
#include <stdlib.h>
#include <stdio.h>

#include <linux/filter.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

static void test_open_validation(void **state)
{
	(void)state;
	assert_null(pfq_open(0, 1024, 0, 0));
	assert_non_null(strstr(pfq_error(NULL), "caplen"));
	assert_null(pfq_open(PFQ_CAPLEN_MAX + 1, 1024, 0, 0));
	assert_null(pfq_open((size_t)-1, 1024, 0, 0));
	assert_null(pfq_open(64, 0, 0, 0));
	assert_non_null(strstr(pfq_error(NULL), "rx_slots"));
	assert_null(pfq_open(64, PFQ_RX_SLOTS_MAX + 1, 0, 0));
	assert_null(pfq_open(64, 16, PFQ_CAPLEN_MAX + 1, 0));
	assert_null(pfq_open(64, 16, 0, PFQ_TX_SLOTS_MAX + 1));
	assert_null(pfq_open_nogroup(0, 0, 0, 0));
}

/* pfq_open_opts checks its opts as libbpf does; the open calls are it */
static void test_open_opts(void **state)
{
	struct pfq_open_opts zero = { 0 };
	struct pfq_open_opts small = { .sz = offsetof(struct pfq_open_opts, tx_slots) };
	struct {
		struct pfq_open_opts o;
		uint64_t newer; /* a field of a newer header */
	} big = { .o = PFQ_OPEN_OPTS(.caplen = 64, .rx_slots = 64), .newer = 1 };
	struct {
		struct pfq_open_opts o;
		uint64_t newer;
	} big0 = { .o = PFQ_OPEN_OPTS(.caplen = 64, .rx_slots = 64), .newer = 0 };
	/* an older caller's struct: the five size fields and nothing after */
	struct pfq_open_opts old = { .sz = offsetof(struct pfq_open_opts, group), .caplen = 96,
				     .rx_slots = 32, .xmitlen = 1514, .tx_slots = 8,
				     .group = PFQ_OPEN_NOGROUP /* not read: past sz */ };
	struct pfq_open_opts o = PFQ_OPEN_OPTS(.caplen = 64, .rx_slots = 64);
	pfq_t *q, *w;

	(void)state;
	errno = 0;
	assert_null(pfq_open_opts(NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(pfq_open_opts(&zero));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(pfq_error(NULL), "opts.sz is 0"));
	assert_null(pfq_open_opts(&small));
	assert_int_equal(errno, EINVAL);
	big.o.sz = sizeof(big);
	assert_null(pfq_open_opts(&big.o));
	assert_int_equal(errno, E2BIG);
	assert_non_null(strstr(pfq_error(NULL), "does not know"));
	/* a larger struct whose unknown tail is 0 is fine */
	big0.o.sz = sizeof(big0);
	q = pfq_open_opts(&big0.o);
	assert_non_null(q);
	assert_int_equal(pfq_close(q), 0);
	/* the sizes are checked as pfq_open checks them */
	o.caplen = 0;
	assert_null(pfq_open_opts(&o));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(pfq_error(NULL), "caplen"));
	o.caplen = 64;
	o.group = (enum pfq_open_group)7;
	assert_null(pfq_open_opts(&o));
	assert_int_equal(errno, EINVAL);
	/* an older caller: the fields past its sz read as 0 (a private group) */
	q = pfq_open_opts(&old);
	assert_non_null(q);
	assert_int_equal(pfq_get_caplen(q), 96);
	assert_int_equal(pfq_get_rx_slots(q), 32);
	assert_int_equal(pfq_get_xmitlen(q), 1514);
	assert_int_equal(pfq_get_tx_slots(q), 8);
	assert_int_equal(pfq_group_id(q), -1);
	assert_int_equal(pfq_set_computation(q, "ip"), 0); /* only a private group has one */
	assert_int_equal(pfq_close(q), 0);
	/* the wrappers are the same calls */
	q = pfq_open(64, 16, 0, 0);
	o = PFQ_OPEN_OPTS(.caplen = 64, .rx_slots = 16);
	w = pfq_open_opts(&o);
	assert_non_null(q);
	assert_non_null(w);
	assert_int_equal(pfq_get_caplen(q), pfq_get_caplen(w));
	assert_int_equal(pfq_get_rx_slots(q), pfq_get_rx_slots(w));
	assert_int_equal(pfq_set_computation(q, "ip"), 0);
	assert_int_equal(pfq_set_computation(w, "ip"), 0);
	assert_int_equal(pfq_close(q), 0);
	assert_int_equal(pfq_close(w), 0);
	q = pfq_open_nogroup(64, 16, 0, 0);
	o = PFQ_OPEN_OPTS(.caplen = 64, .rx_slots = 16, .group = PFQ_OPEN_NOGROUP);
	w = pfq_open_opts(&o);
	assert_non_null(q);
	assert_non_null(w);
	assert_int_equal(pfq_set_computation(q, "ip"), -EINVAL);
	assert_int_equal(pfq_set_computation(w, "ip"), -EINVAL);
	assert_int_equal(pfq_close(q), 0);
	assert_int_equal(pfq_close(w), 0);
	assert_null(pfq_open_nogroup(0, 16, 0, 0));
	assert_int_equal(errno, EINVAL);
	q = pfq_open_group(PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED, 64, 16, 0, 0);
	o = PFQ_OPEN_OPTS(.caplen = 64, .rx_slots = 16, .group = PFQ_OPEN_JOIN,
			  .class_mask = PFQ_CLASS_DEFAULT, .policy = PFQ_POLICY_SHARED);
	w = pfq_open_opts(&o);
	assert_non_null(q);
	assert_non_null(w);
	assert_true(pfq_group_id(q) >= 0);
	assert_true(pfq_group_id(w) >= 0);
	assert_true(pfq_group_id(q) != pfq_group_id(w));
	assert_int_equal(pfq_close(q), 0);
	assert_int_equal(pfq_close(w), 0);
	/* a join that fails fails the open, with the join's error */
	o.class_mask = 0;
	assert_null(pfq_open_opts(&o));
	assert_int_equal(errno, EINVAL);
	assert_null(pfq_open_group(0, PFQ_POLICY_SHARED, 64, 16, 0, 0));
	assert_int_equal(errno, EINVAL);
}

static void test_settings(void **state)
{
	pfq_t *q = pfq_open(1514, 4096, 1514, 64);

	(void)state;
	assert_non_null(q);
	assert_true(pfq_get_fd(q) >= 0);
	assert_true(pfq_id(q) >= 0);
	assert_int_equal(pfq_is_enabled(q), 0);
	assert_int_equal(pfq_get_caplen(q), 1514);
	assert_int_equal(pfq_get_rx_slots(q), 4096);
	assert_int_equal(pfq_get_xmitlen(q), 1514);
	assert_int_equal(pfq_get_tx_slots(q), 64);
	assert_int_equal(pfq_set_caplen(q, 96), 0);
	assert_int_equal(pfq_get_caplen(q), 96);
	assert_int_equal(pfq_set_caplen(q, 0), -EINVAL);
	assert_int_equal(pfq_get_caplen(q), 96);
	assert_int_equal(pfq_set_rx_slots(q, 0), -EINVAL);
	assert_int_equal(pfq_set_rx_slots(q, 8), 0);
	assert_int_equal(pfq_set_xmitlen(q, PFQ_CAPLEN_MAX + 1), -EINVAL);
	assert_int_equal(pfq_set_tx_slots(q, 0), 0);
	assert_int_equal(pfq_get_weight(q), 1);
	assert_int_equal(pfq_set_weight(q, 0), -EINVAL);
	assert_int_equal(pfq_set_weight(q, PFQ_WEIGHT_MAX + 1), -EINVAL);
	assert_int_equal(pfq_set_weight(q, 2), 0);
	assert_int_equal(pfq_get_weight(q), 2);
	assert_int_equal(pfq_is_timestamping_enabled(q), 0);
	pfq_timestamping_enable(q, 1);
	assert_int_equal(pfq_is_timestamping_enabled(q), 1);
	assert_int_equal(pfq_get_direction(q), PFQ_DIR_INOUT);
	assert_int_equal(pfq_set_direction(q, 0), -EINVAL);
	assert_int_equal(pfq_set_direction(q, 4), -EINVAL);
	assert_int_equal(pfq_set_direction(q, PFQ_DIR_IN), 0);
	assert_int_equal(pfq_close(q), 0);
}

static void test_errors_before_enable(void **state)
{
	pfq_t *q = pfq_open(64, 64, 0, 0);
	struct pfq_net_queue nq;
	struct pfq_stats st;
	char buf[4096];

	(void)state;
	assert_int_equal(pfq_read(q, &nq, 0), -ENOTCONN);
	assert_int_equal(pfq_recv(q, buf, sizeof(buf), &nq, 0), -ENOTCONN);
	assert_int_equal(pfq_poll(q, 0), -ENOTCONN);
	assert_int_equal(pfq_disable(q), -EALREADY);
	assert_int_equal(pfq_get_stats(q, &st), 0);
	assert_int_equal(st.recv, 0);
	assert_int_equal(pfq_get_stats(q, NULL), -EINVAL);
	assert_int_equal(pfq_ifindex(q, "no-such-dev"), -ENODEV);
	assert_int_equal(pfq_ifindex(q, NULL), -EINVAL);
	assert_int_equal(pfq_ifindex(q, "lo"), 1);
	assert_int_equal(pfq_bind(q, NULL, PFQ_ANY_QUEUE), -EINVAL);
	assert_int_equal(pfq_bind(q, "lo", 1), -ERANGE);
	assert_int_equal(pfq_close(q), 0);
}

/* classic programs the kernel refuses, and why (not const: a sock_fprog
 * points to writable instructions) */
static struct {
	unsigned short len;
	struct sock_filter insns[4];
	const char *why;
} malformed[] = {
	/* ld #1 (and then?) */
	{ 1, { { BPF_LD | BPF_IMM, 0, 0, 1 } }, "does not end with a return" },
	/* jeq #1, ret, (falls off the end) */
	{ 3, { { BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 1 }, { BPF_RET | BPF_K, 0, 0, 1 },
	       { BPF_LD | BPF_IMM, 0, 0, 1 } }, "does not end with a return" },
	{ 2, { { BPF_LD | BPF_MEM, 0, 0, 3 }, { BPF_RET | BPF_A, 0, 0, 0 } },
	  "memory word 3 read before it is written" },
	/* M[2] written on one path only */
	{ 4, { { BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0 }, { BPF_ST, 0, 0, 2 },
	       { BPF_LDX | BPF_MEM, 0, 0, 2 }, { BPF_RET | BPF_K, 0, 0, 1 } },
	  "memory word 2 read before" },
	{ 2, { { BPF_ST, 0, 0, 16 }, { BPF_RET | BPF_K, 0, 0, 1 } }, "memory word 16" },
	{ 2, { { BPF_ALU | BPF_DIV | BPF_K, 0, 0, 0 }, { BPF_RET | BPF_A, 0, 0, 0 } },
	  "division by 0" },
	{ 2, { { BPF_ALU | BPF_LSH | BPF_K, 0, 0, 32 }, { BPF_RET | BPF_A, 0, 0, 0 } },
	  "shift by 32" },
	{ 2, { { BPF_JMP | BPF_JA, 0, 0, 1 }, { BPF_RET | BPF_K, 0, 0, 1 } }, "beyond" },
	{ 2, { { BPF_LD | BPF_H | BPF_IMM, 0, 0, 1 }, { BPF_RET | BPF_A, 0, 0, 0 } },
	  "unknown code 0x0008" },
	{ 1, { { BPF_RET | BPF_X, 0, 0, 0 } }, "unknown code" },
};

static void test_fprog(void **state)
{
	pfq_t *q = pfq_open(64, 64, 0, 0), *g = pfq_open_nogroup(64, 64, 0, 0);
	struct sock_filter ok[] = { { 0x06, 0, 0, 0xffff } }; /* ret #65535 */
	struct sock_filter bad[] = { { 0xffff, 0, 0, 0 } };
	struct sock_filter nojump[] = { { 0x15, 5, 0, 1 }, { 0x06, 0, 0, 0 } };
	struct sock_fprog p_ok = { 1, ok }, p_bad = { 1, bad }, p_nj = { 2, nojump };
	struct sock_fprog p_empty = { 0, ok };
	unsigned long long mask = 1;

	(void)state;
	assert_int_equal(pfq_set_fprog(q, &p_ok), 0);
	assert_true(pfq_set_fprog(q, &p_bad) < 0);
	assert_true(pfq_set_fprog(q, &p_nj) < 0);   /* jump out of the program */
	assert_int_equal(pfq_set_fprog(q, &p_empty), -EINVAL);
	assert_int_equal(pfq_set_fprog(NULL, &p_ok), -EINVAL);
	/* checked as the kernel checks a filter (issue 13: a program with no
	 * return was taken, and then dropped every packet) */
	for (size_t k = 0; k < sizeof(malformed) / sizeof(malformed[0]); k++) {
		struct sock_fprog fp = { malformed[k].len, malformed[k].insns };

		assert_int_equal(pfq_set_fprog(q, &fp), -EINVAL);
		if (!strstr(pfq_error(q), malformed[k].why))
			fail_msg("malformed filter %zu: '%s', expected '%s'", k, pfq_error(q),
				 malformed[k].why);
	}
	/* the same checks for a group's filter */
	int gid = pfq_join_group(q, 17, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED);

	assert_true(gid >= 0);
	for (size_t k = 0; k < sizeof(malformed) / sizeof(malformed[0]); k++) {
		struct sock_fprog fp = { malformed[k].len, malformed[k].insns };

		assert_int_equal(pfq_group_fprog(q, gid, &fp), -EINVAL);
		assert_non_null(strstr(pfq_error(q), malformed[k].why));
	}
	assert_int_equal(pfq_group_fprog(q, gid, &p_ok), 0);
	assert_int_equal(pfq_leave_group(q, gid), 0);
	assert_int_equal(pfq_set_fprog(q, NULL), 0);
	/* without a group, a socket opened with no group has nothing to bind */
	assert_int_equal(pfq_bind(g, "lo", PFQ_ANY_QUEUE), -EINVAL);
	assert_int_equal(pfq_groups_mask(g, &mask), 0);
	assert_int_equal(mask, 0);
	assert_int_equal(pfq_group_id(g), -1);
	assert_int_equal(pfq_leave_group(g, 3), -ENOENT);
	assert_int_equal(pfq_set_group_computation_from_string(g, 3, "ip"), -EACCES);
	assert_int_equal(pfq_join_group(NULL, 1, 1, PFQ_POLICY_SHARED), -EINVAL);
	assert_int_equal(pfq_close(q), 0);
	assert_int_equal(pfq_close(g), 0);
}

static void test_open_group(void **state)
{
	pfq_t *a = pfq_open_group(PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED, 64, 64, 0, 0);
	pfq_t *b = pfq_open_group(PFQ_CLASS_DEFAULT, PFQ_POLICY_PRIVATE, 64, 64, 0, 0);
	pfq_t *c = pfq_open_group(PFQ_CLASS_DEFAULT, PFQ_POLICY_UNDEFINED, 64, 64, 0, 0);
	struct pfq_group_info info[PFQ_MAX_GROUPS];
	unsigned long long mask = 0;
	int ga, gb, n;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	ga = pfq_group_id(a);
	gb = pfq_group_id(b);
	assert_true(ga >= 0 && gb >= 0 && ga != gb);
	assert_int_equal(pfq_group_id(c), -1); /* undefined: joins nothing */
	assert_int_equal(pfq_groups_mask(a, &mask), 0);
	assert_int_equal(mask, 1ull << ga);
	/* a shared group takes c, the private one does not */
	assert_int_equal(pfq_join_group(c, gb, PFQ_CLASS_DEFAULT, PFQ_POLICY_PRIVATE), -EACCES);
	assert_int_equal(pfq_join_group(c, ga, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), ga);
	/* pfq_bind of a socket in a group binds the group */
	assert_int_equal(pfq_bind(c, "lo", PFQ_ANY_QUEUE), 0);
	n = pfq_groups_info(info, PFQ_MAX_GROUPS, sizeof(info[0]));
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++)
		if (info[i].gid == ga) {
			assert_int_equal(info[i].nmembers, 2);
			assert_int_equal(info[i].nbind, 1);
			assert_string_equal(info[i].bind[0].dev, "lo");
		}
	assert_int_equal(pfq_close(a), 0);
	assert_int_equal(pfq_close(b), 0);
	assert_int_equal(pfq_close(c), 0);
	assert_int_equal(pfq_groups_info(info, PFQ_MAX_GROUPS, sizeof(info[0])), 0);
}

/* pfq_groups_info fills what the caller has room for and counts them all */
static void test_groups_info_sizes(void **state)
{
	pfq_t *a = pfq_open_group(PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED, 64, 64, 0, 0);
	pfq_t *b = pfq_open_group(PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED, 64, 64, 0, 0);
	struct pfq_group_info one[1];
	struct {
		struct pfq_group_info i;
		uint64_t newer; /* a field of a newer header */
	} big[2];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	/* counting only, to size a buffer */
	assert_int_equal(pfq_groups_info(NULL, 0, sizeof(one[0])), 2);
	/* room for one: the first is filled, both counted */
	memset(one, 0xa5, sizeof(one));
	assert_int_equal(pfq_groups_info(one, 1, sizeof(one[0])), 2);
	assert_true(one[0].gid == pfq_group_id(a) || one[0].gid == pfq_group_id(b));
	assert_int_equal(one[0].nmembers, 1);
	/* a newer caller's entries: laid out at its size, its tail zeroed */
	memset(big, 0xa5, sizeof(big));
	assert_int_equal(pfq_groups_info(&big[0].i, 2, sizeof(big[0])), 2);
	assert_int_equal(big[0].newer, 0);
	assert_int_equal(big[1].newer, 0);
	assert_int_not_equal(big[0].i.gid, big[1].i.gid);
	assert_int_equal(big[1].i.nmembers, 1);
	/* errors */
	errno = 0;
	assert_int_equal(pfq_groups_info(one, 1, 0), -EINVAL);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(pfq_error(NULL), "sizeof(struct pfq_group_info)"));
	assert_int_equal(pfq_groups_info(one, 1, offsetof(struct pfq_group_info, stats)),
			 -EINVAL);
	assert_int_equal(pfq_groups_info(NULL, 1, sizeof(one[0])), -EINVAL);
	assert_int_equal(pfq_close(a), 0);
	assert_int_equal(pfq_close(b), 0);
	assert_int_equal(pfq_groups_info(NULL, 0, sizeof(one[0])), 0);
}

static void test_double_close(void **state)
{
	pfq_t *q = pfq_open(64, 64, 0, 0);

	(void)state;
	assert_int_equal(pfq_close(q), 0);
	assert_int_equal(pfq_close(q), -EBADF);
	assert_non_null(strstr(pfq_error(NULL), "not an open"));
	assert_int_equal(pfq_close(NULL), -EINVAL);
}

static void test_enable_empty_and_huge(void **state)
{
	pfq_t *q = pfq_open(64, 64, 0, 0);
	struct pfq_net_queue nq;

	(void)state;
	/* enabled without bindings: receives nothing, reads return 0 */
	assert_int_equal(pfq_enable(q), 0);
	assert_int_equal(pfq_read(q, &nq, 1000), 0);
	assert_int_equal(nq.len, 0);
	assert_int_equal(pfq_net_queue_left(&nq), 0);
	assert_int_equal(pfq_disable(q), 0);
	/* a ring over the size limit is refused at enable */
	assert_int_equal(pfq_set_caplen(q, PFQ_CAPLEN_MAX), 0);
	assert_int_equal(pfq_set_rx_slots(q, PFQ_RX_SLOTS_MAX), 0);
	assert_int_equal(pfq_enable(q), -ENOMEM);
	assert_non_null(strstr(pfq_error(q), "too large"));
	assert_int_equal(pfq_is_enabled(q), 0);
	assert_int_equal(pfq_close(q), 0);
}

/* every call on a NULL socket answers -EINVAL and says why */
static void test_null_socket(void **state)
{
	struct pfq_net_queue nq;
	struct pfq_stats st;
	char buf[64];

	(void)state;
	assert_int_equal(pfq_enable(NULL), -EINVAL);
	assert_non_null(strstr(pfq_error(NULL), "NULL socket"));
	assert_int_equal(pfq_disable(NULL), -EINVAL);
	assert_int_equal(pfq_is_enabled(NULL), -EINVAL);
	assert_int_equal(pfq_timestamping_enable(NULL, 1), -EINVAL);
	assert_int_equal(pfq_is_timestamping_enabled(NULL), -EINVAL);
	assert_int_equal(pfq_set_weight(NULL, 1), -EINVAL);
	assert_int_equal(pfq_get_weight(NULL), -EINVAL);
	assert_int_equal(pfq_set_caplen(NULL, 64), -EINVAL);
	assert_int_equal(pfq_get_caplen(NULL), -EINVAL);
	assert_int_equal(pfq_set_rx_slots(NULL, 64), -EINVAL);
	assert_int_equal(pfq_get_rx_slots(NULL), -EINVAL);
	assert_int_equal(pfq_set_xmitlen(NULL, 64), -EINVAL);
	assert_int_equal(pfq_get_xmitlen(NULL), -EINVAL);
	assert_int_equal(pfq_set_tx_slots(NULL, 64), -EINVAL);
	assert_int_equal(pfq_get_tx_slots(NULL), -EINVAL);
	assert_int_equal(pfq_set_direction(NULL, PFQ_DIR_IN), -EINVAL);
	assert_int_equal(pfq_get_direction(NULL), -EINVAL);
	assert_int_equal(pfq_ifindex(NULL, "lo"), -EINVAL);
	assert_int_equal(pfq_set_promisc(NULL, "lo", 1), -EINVAL);
	assert_int_equal(pfq_bind(NULL, "lo", PFQ_ANY_QUEUE), -EINVAL);
	assert_int_equal(pfq_unbind(NULL, "lo", PFQ_ANY_QUEUE), -EINVAL);
	assert_int_equal(pfq_poll(NULL, 0), -EINVAL);
	assert_int_equal(pfq_read(NULL, &nq, 0), -EINVAL);
	assert_int_equal(pfq_recv(NULL, buf, sizeof(buf), &nq, 0), -EINVAL);
	assert_int_equal(pfq_get_stats(NULL, &st), -EINVAL);
	/* each says so itself (pfq_id left the error of the call before) */
	assert_int_equal(pfq_enable(NULL), -EINVAL);
	assert_int_equal(pfq_id(NULL), -EINVAL);
	assert_non_null(strstr(pfq_error(NULL), "pfq_id: NULL socket"));
	assert_int_equal(pfq_get_fd(NULL), -EINVAL);
	assert_non_null(strstr(pfq_error(NULL), "pfq_get_fd: NULL socket"));
	assert_int_equal(pfq_net_queue_next(NULL, NULL, NULL), 0);
	assert_int_equal(pfq_net_queue_left(NULL), 0);
	assert_int_equal(pfq_export(NULL, NULL, 0, NULL, 0), -EINVAL);
	assert_int_equal(pfq_maintain(NULL), -EINVAL);
}

/* the handover's calls on what is not a group member, and on nothing
 * (integration_handover exports real members) */
static void test_handover_args(void **state)
{
	pfq_t *q = pfq_open(64, 64, 0, 0);
	unsigned char blob[PFQ_HANDOVER_BLOB_MAX];
	int fds[PFQ_HANDOVER_FDS] = { -1, -1 };

	(void)state;
	assert_non_null(q);
	assert_int_equal(pfq_export(q, fds, PFQ_HANDOVER_FDS, blob, sizeof(blob)), -EINVAL);
	assert_non_null(strstr(pfq_error(q), "not a group member"));
	assert_int_equal(pfq_export(q, NULL, PFQ_HANDOVER_FDS, blob, sizeof(blob)), -EINVAL);
	assert_int_equal(pfq_maintain(q), 0); /* no group: nothing to do */
	errno = 0;
	assert_null(pfq_import(fds, PFQ_HANDOVER_FDS, NULL, 0));
	assert_int_equal(errno, EINVAL);
	memset(blob, 0, sizeof(blob));
	assert_null(pfq_import(fds, PFQ_HANDOVER_FDS, blob, sizeof(blob)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(pfq_error(NULL), "not a PFQ socket description"));
	assert_int_equal(pfq_close(q), 0);
}

static void test_version(void **state)
{
	(void)state;
	assert_int_equal(pfq_version_code(), PFQ_VERSION_CODE);
	assert_string_equal(pfq_string_version(), "0.1.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_validation),
		cmocka_unit_test(test_open_opts),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_errors_before_enable),
		cmocka_unit_test(test_double_close),
		cmocka_unit_test(test_fprog),
		cmocka_unit_test(test_open_group),
		cmocka_unit_test(test_groups_info_sizes),
		cmocka_unit_test(test_enable_empty_and_huge),
		cmocka_unit_test(test_null_socket),
		cmocka_unit_test(test_handover_args),
		cmocka_unit_test(test_version),
	};
	char dir[] = "/tmp/pfq-api-XXXXXX";

	if (test_registry_enter(dir) < 0)
		return 1;
	return test_registry_leave(dir, cmocka_run_group_tests_name("pfq-api", tests, NULL, NULL));
}
