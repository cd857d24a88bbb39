/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kill -9 at random points of a join, a change and a leave (200 rounds
 * each, PFQ_FAULT_ROUNDS for more), with the invariants checked after every
 * round: the registry lists the processes that live; the kernel runs what
 * the registry says (the TC program is there exactly when the recorded
 * computation needs one; a change a killed process left half done is
 * installed by the next one); a member that stays receives every packet
 * (the fanout's positions are what the group thinks); a group whose
 * processes all died is free for the next joiner; and no BPF object is
 * left behind at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "grouptest.h"
#include "testhost.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define G_STAY 5 /* the group with a member that stays */
#define G_NEW 6  /* made anew by killed joiners */

static int rounds = 200;
static uint32_t next_id;

/* ---- a member that stays and counts, asked over a pipe ---- */

struct stayer {
	pid_t pid;
	int ctl, res;
};

static void count(void *user, const struct pfq_pkthdr *h, const uint8_t *d)
{
	(void)h;
	(void)d;
	(*(uint32_t *)user)++;
}

static void stayer_start(struct stayer *st)
{
	int ctl[2], res[2];
	char c;

	assert_int_equal(pipe(ctl), 0);
	assert_int_equal(pipe(res), 0);
	st->pid = fork();
	if (st->pid == 0) {
		gt_child_init();
		close(ctl[1]);
		close(res[0]);
		int h = th_enter(&gt_th, 'b');
		pfq_t *q = pfq_open_nogroup(128, 4096, 0, 0);
		uint32_t n = 0;

		th_leave(h);
		if (!q || pfq_join_group(q, G_STAY, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED) < 0 ||
		    pfq_enable(q) < 0)
			_exit(2);
		fcntl(ctl[0], F_SETFL, O_NONBLOCK);
		gt_write_all(res[1], "R", 1);
		for (;;) {
			pfq_dispatch(q, count, 20000, &n);
			if (read(ctl[0], &c, 1) == 1) {
				if (c == 'S')
					break;
				/* 'Q': what came so far, from zero */
				gt_write_all(res[1], &n, sizeof(n));
				n = 0;
			}
		}
		pfq_close(q);
		_exit(0);
	}
	close(ctl[0]);
	close(res[1]);
	st->ctl = ctl[1];
	st->res = res[0];
	assert_int_equal(gt_read_all(st->res, &c, 1), 0);
}

static uint32_t stayer_count(struct stayer *st)
{
	uint32_t n = 0;

	usleep(100000);
	assert_int_equal(write(st->ctl, "Q", 1), 1);
	assert_int_equal(gt_read_all(st->res, &n, sizeof(n)), 0);
	return n;
}

static void stayer_stop(struct stayer *st)
{
	int rc;

	assert_int_equal(write(st->ctl, "S", 1), 1);
	waitpid(st->pid, &rc, 0);
	close(st->ctl);
	close(st->res);
}

/* ---- what the kernel holds ---- */


static int tcx_count(void *arg)
{
	uint32_t ids[8], *n = arg;

	*n = 8;
	if (bpf_prog_query((int)if_nametoindex("b0"), 46 /* BPF_TCX_INGRESS */, 0, NULL, ids,
			   n) < 0)
		*n = 0;
	return 0;
}

static uint32_t tc_programs(void)
{
	uint32_t n = 0;

	th_in_b(&gt_th, tcx_count, &n);
	return n;
}

/* group gid as the registry lists it: members, computation; -1 if none */
static int listed(int gid, char *computation, size_t len)
{
	struct pfq_group_info *info = calloc(PFQ_MAX_GROUPS, sizeof(*info));
	int n = gt_groups_in_b(info), members = -1;

	for (int i = 0; i < n; i++)
		if (info[i].gid == gid) {
			members = info[i].nmembers;
			if (computation)
				snprintf(computation, len, "%s", info[i].computation);
		}
	free(info);
	return members;
}

/* ---- the victims ---- */

enum op { OP_JOIN, OP_CHANGE, OP_LEAVE };

static const char *const computations[] = {
	"ip >-> steer_flow",
	"forward \"b1\" >-> steer_flow",
	"when is_tcp (forward \"b1\") >-> ip >-> steer_flow",
};

static void victim(enum op op, int go, int k)
{
	int h = th_enter(&gt_th, 'b');
	pfq_t *q = pfq_open_nogroup(128, 1024, 0, 0);
	char c = 'g';

	th_leave(h);
	if (!q)
		_exit(2);
	if (write(go, &c, 1) != 1) /* from here on, the parent may kill us */
		_exit(3);
	switch (op) {
	case OP_JOIN:
		pfq_join_group(q, G_NEW, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED);
		pfq_set_group_computation_from_string(q, G_NEW, computations[k % 3]);
		pfq_bind_group(q, G_NEW, "b0", PFQ_ANY_QUEUE);
		pfq_enable(q);
		break;
	case OP_CHANGE:
		pfq_join_group(q, G_STAY, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED);
		pfq_set_group_computation_from_string(q, G_STAY, computations[k % 3]);
		break;
	case OP_LEAVE:
		pfq_join_group(q, G_STAY, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED);
		pfq_enable(q);
		if (k % 2)
			pfq_leave_group(q, G_STAY);
		break;
	}
	pfq_close(q);
	_exit(0);
}

/* run op in a child and kill it somewhere in the middle (or after) */
static void strike(enum op op, int k, unsigned *seed)
{
	int go[2], st;
	pid_t pid;
	char c;

	assert_int_equal(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		gt_child_init();
		close(go[0]);
		victim(op, go[1], k);
	}
	close(go[1]);
	if (read(go[0], &c, 1) == 1)
		usleep((useconds_t)(rand_r(seed) % 20000));
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(go[0]);
}

/* the traffic the member that stays must see whole: the other members of
 * its group are dead or control members, so all of it */
static void check_delivery(struct stayer *st, int round, const char *what)
{
	uint32_t n;

	stayer_count(st); /* what came before, forgotten */
	gt_send_ids(next_id, next_id + 40, -1);
	next_id = (next_id + 40) % 60000;
	n = stayer_count(st);
	if (n != 40)
		fail_msg("%s, round %d: the member that stays got %u of 40 packets", what, round, n);
}

/* wait (up to 2 s) until the registry lists n members of gid */
static int members_become(int gid, int n, char *computation, size_t len)
{
	int m = -2;

	for (int i = 0; i < 20 && (m = listed(gid, computation, len)) != n; i++)
		usleep(100000);
	return m;
}

static void test_kill_anywhere(void **s)
{
	unsigned seed = 1234;
	int tc_bad = 0;
	struct gt_mark before;
	pfq_t *mgr;
	struct stayer st;
	struct timespec t0, t1;

	(void)s;
	gt_mark_objects(&before);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mgr = gt_manager(G_STAY, computations[0]);
	stayer_start(&st);
	if (getenv("PFQ_FAULT_ROUNDS"))
		rounds = atoi(getenv("PFQ_FAULT_ROUNDS"));
	for (int r = 0; r < rounds; r++) {
		char comp[512];
		int m;

		/* a change killed anywhere: the registry and the kernel agree */
		strike(OP_CHANGE, r, &seed);
		m = members_become(G_STAY, 2, comp, sizeof(comp));
		if (m != 2)
			fail_msg("change, round %d: %d members listed, not 2", r, m);
		/* set again what the registry says: it must take effect (a change
		 * left pending is installed, never taken as done) */
		OK(mgr, pfq_set_group_computation_from_string(mgr, G_STAY, comp));
		if ((tc_programs() == 1) != (strstr(comp, "forward") != NULL))
			tc_bad++;
		check_delivery(&st, r, "change");

		/* a member killed while it joins or leaves: its share comes back */
		strike(OP_LEAVE, r, &seed);
		m = members_become(G_STAY, 2, NULL, 0);
		if (m != 2)
			fail_msg("leave, round %d: %d members listed, not 2", r, m);
		check_delivery(&st, r, "leave");

		/* a joiner of a new group killed anywhere: the gid is not poisoned */
		strike(OP_JOIN, r, &seed);
		pfq_t *q;
		int h = th_enter(&gt_th, 'b');

		q = pfq_open_nogroup(64, 64, 0, 0);
		th_leave(h);
		assert_non_null(q);
		if (pfq_join_group(q, G_NEW, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED) != G_NEW)
			fail_msg("join, round %d: group %d cannot be joined: %s", r, G_NEW,
				 pfq_error(q));
		m = listed(G_NEW, NULL, 0);
		if (m != 1)
			fail_msg("join, round %d: %d members of the new group, not 1", r, m);
		pfq_close(q);
		if (listed(G_NEW, NULL, 0) != -1)
			fail_msg("join, round %d: the group outlived its last process", r);
	}
	stayer_stop(&st);
	pfq_close(mgr);
	assert_int_equal(tc_programs(), 0);
	/* programs go after an RCU grace period, their maps with them */
	for (int i = 0; i < 200 && gt_count_objects_since(&before) != 0; i++)
		usleep(10000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("  %d rounds of kill -9 in a change, a join/leave and a join: %d TC "
	       "mismatches, %d BPF objects of the test left, %.1f s\n", rounds, tc_bad,
	       gt_count_objects_since(&before), (double)(t1.tv_sec - t0.tv_sec));
	assert_int_equal(tc_bad, 0);
	assert_int_equal(gt_count_objects_since(&before), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_anywhere),
	};

	return gt_run("group-faults", tests, sizeof(tests) / sizeof(tests[0]));
}
