/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A group's life as its members come, go and die (tests/lib/grouptest.h):
 * a steered flow stays with one member across a join and a kill -9; two
 * members killed at once leave the group consistent; a join racing with
 * the last member's death joins; the kernel objects
 * (fanout, programs, maps, TC links) go with the group's last process
 * however it ends and whatever privileges it had left; a change verified
 * in one group does not stall the members of another.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "grouptest.h"
#include "sender.h"
#include "testhost.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int next_gid = 30;

/* ids of round r of the gt_nflows flows */
static void send_round(uint32_t r)
{
	gt_send_ids(2 * gt_nflows * r, 2 * gt_nflows * (r + 1), -1);
}

/* the member that received flow f's packets in ids [first, last): -1 none,
 * -2 more than one */
static void flow_owners(struct gt_member *m, int n, uint32_t first, uint32_t last, int *owner)
{
	for (uint32_t f = 0; f < gt_nflows; f++)
		owner[f] = -1;
	for (int k = 0; k < n; k++)
		for (uint32_t i = 0; i < m[k].n; i++) {
			uint32_t id = m[k].ids[i], f = gt_flow_of(id);

			if (id < first || id >= last)
				continue;
			owner[f] = owner[f] == -1 || owner[f] == k ? k : -2;
		}
}

/*
 * 600 flows over 3 members, sent in rounds. A fourth member joins: the
 * flows keep their members (they have memory) while it takes new ones. A
 * member is killed: its flows go to one survivor each and stay there; no
 * packet sent a second after the kill is lost; no flow is ever in two
 * members that live.
 */
static void test_flows_stay_across_join_and_kill(void **s)
{
	enum { FLOWS = 600, NEW = 200 };
	static int before[FLOWS], after_join[FLOWS], after_kill[FLOWS], owner[GT_MAX_IDS];
	struct gt_member m[4];
	int gid = next_gid++, st, took = 0, moved = 0;
	pfq_t *mgr = gt_manager(gid, "ip >-> steer_flow");
	struct gt_member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED, false };

	(void)s;
	/* ids: rounds of the old flows at 2 FLOWS r; the new flows after */
	const uint32_t round_ids = 2 * FLOWS, new_base = 5 * round_ids;

	gt_nflows = FLOWS;
	for (int k = 0; k < 3; k++)
		gt_spawn(&m[k], &cfg);
	send_round(0);
	usleep(300000);
	/* the fourth joins; the old flows again, then new flows */
	gt_spawn(&m[3], &cfg);
	send_round(1);
	gt_nflows = FLOWS + NEW; /* ids from new_base: flows FLOWS.. */
	gt_send_ids(new_base, new_base + 2 * NEW, -1);
	gt_nflows = FLOWS;
	usleep(300000);
	/* member 1 dies; a second later the flows again, twice */
	kill(m[1].pid, SIGKILL);
	waitpid(m[1].pid, &st, 0);
	usleep(1000000);
	send_round(6);
	send_round(7);
	usleep(300000);
	for (int k = 0; k < 4; k++)
		if (k != 1)
			gt_finish(&m[k]);
	m[1].n = 0;
	flow_owners(m, 4, 0, round_ids, before);
	flow_owners(m, 4, round_ids, 2 * round_ids, after_join);
	flow_owners(m, 4, 6 * round_ids, 8 * round_ids, after_kill);
	for (int f = 0; f < FLOWS; f++) {
		/* member 1's packets died with it: its flows were owned by none */
		if (before[f] == -2 || after_join[f] == -2 || after_kill[f] == -2)
			fail_msg("flow %d split between members (%d %d %d)", f, before[f],
				 after_join[f], after_kill[f]);
		if (before[f] != after_join[f])
			fail_msg("flow %d moved from member %d to %d when a member joined", f,
				 before[f], after_join[f]);
		if (after_kill[f] < 0)
			fail_msg("flow %d lost after the kill", f);
		if (before[f] >= 0 && after_kill[f] != before[f])
			fail_msg("flow %d of member %d moved to %d when another died", f, before[f],
				 after_kill[f]);
		moved += before[f] < 0;
	}
	/* the new flows: some to the new member */
	gt_nflows = 0;
	gt_owners(m, 4, owner, new_base, new_base + 2 * NEW);
	for (uint32_t id = new_base; id < new_base + 2 * NEW; id++)
		took += owner[id] == 3;
	/* and every packet after the kill reached exactly one member */
	gt_owners(m, 4, owner, 6 * round_ids, 8 * round_ids);
	for (uint32_t id = 6 * round_ids; id < 8 * round_ids; id++)
		if (owner[id] < 0)
			fail_msg("packet %u lost after the kill", id);
	printf("  the new member took %d of %d new packets; %d flows of the dead member "
	       "moved\n", took, 2 * NEW, moved);
	assert_true(took > 2 * NEW / 8);
	assert_true(moved > FLOWS / 8);
	for (int k = 0; k < 4; k++)
		gt_release(&m[k]);
	pfq_close(mgr);
}

/* Two members die at once: the others keep their flows, the dead ones'
 * flows go to them, and a member joining afterwards takes its share (the
 * fanout's positions are still what the group thinks they are). */
static void test_two_die_at_once(void **s)
{
	enum { FLOWS = 500 };
	static int owner[GT_MAX_IDS];
	struct gt_member m[6];
	struct pfq_group_info *info = calloc(PFQ_MAX_GROUPS, sizeof(*info));
	int gid = next_gid++, st, n, members = -1, per[6] = { 0 };
	pfq_t *mgr = gt_manager(gid, "ip >-> steer_flow");
	struct gt_member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED, false };

	(void)s;
	gt_nflows = 0;
	for (int k = 0; k < 5; k++)
		gt_spawn(&m[k], &cfg);
	gt_send_ids(0, 2 * FLOWS, -1);
	kill(m[1].pid, SIGKILL);
	kill(m[3].pid, SIGKILL);
	waitpid(m[1].pid, &st, 0);
	waitpid(m[3].pid, &st, 0);
	usleep(1000000);
	gt_spawn(&m[5], &cfg);
	gt_send_ids(2 * FLOWS, 4 * FLOWS, -1);
	usleep(300000);
	n = gt_groups_in_b(info);
	for (int i = 0; i < n; i++)
		if (info[i].gid == gid)
			members = info[i].nmembers;
	assert_int_equal(members, 5); /* the manager and 4 live members */
	for (int k = 0; k < 6; k++) {
		if (k == 1 || k == 3) {
			m[k].n = 0;
			continue;
		}
		gt_finish(&m[k]);
	}
	gt_owners(m, 6, owner, 2 * FLOWS, 4 * FLOWS);
	for (uint32_t id = 2 * FLOWS; id < 4 * FLOWS; id++) {
		if (owner[id] < 0)
			fail_msg("packet %u lost after two members died", id);
		per[owner[id]]++;
		if (id % 2 && owner[id] != owner[id - 1])
			fail_msg("flow %u split: %d and %d", id / 2, owner[id - 1], owner[id]);
	}
	printf("  after two died and one joined: %d %d %d %d packets\n", per[0], per[2], per[4],
	       per[5]);
	assert_true(per[5] > 0 && per[0] > 0 && per[2] > 0 && per[4] > 0);
	for (int k = 0; k < 6; k++)
		gt_release(&m[k]);
	free(info);
	pfq_close(mgr);
}

/* ---- kernel objects ---- */


/* a process makes a group that forwards (a TC program on b0), joins, then
 * dies as asked; nothing of the group may stay in the kernel */
static void lone_member(int gid, bool unprivileged, bool kill_it)
{
	int res[2], ctl[2], st;
	pid_t pid;
	char c;

	assert_int_equal(pipe(res), 0);
	assert_int_equal(pipe(ctl), 0);
	pid = fork();
	if (pid == 0) {
		gt_child_init();
		close(res[0]);
		close(ctl[1]);
		int h = th_enter(&gt_th, 'b');
		pfq_t *q = pfq_open_nogroup(128, 4096, 0, 0);

		th_leave(h);
		if (!q || pfq_join_group(q, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED) != gid ||
		    pfq_set_group_computation_from_string(q, gid,
			    "forward \"b1\" >-> kernel_if (has_dst_port 7000)") < 0 ||
		    pfq_bind_group(q, gid, "b0", PFQ_ANY_QUEUE) < 0 || pfq_enable(q) < 0) {
			fprintf(stderr, "lone member: %s\n", q ? pfq_error(q) : pfq_error(NULL));
			_exit(2);
		}
		if (unprivileged && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(3);
		gt_write_all(res[1], "R", 1);
		/* until killed, or told to go */
		if (read(ctl[0], &c, 1) < 0)
			_exit(4);
		pfq_close(q);
		_exit(0);
	}
	close(res[1]);
	close(ctl[0]);
	assert_int_equal(gt_read_all(res[0], &c, 1), 0);
	assert_int_equal(gt_tc_programs("b0"), 1);
	if (kill_it)
		kill(pid, SIGKILL);
	close(ctl[1]);
	waitpid(pid, &st, 0);
	close(res[0]);
}

static void test_objects_go_with_the_group(void **s)
{
	int gid = next_gid++, u, h;
	struct gt_mark before;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(7001) };
	struct ifreq ifr;
	uint8_t mac[6];

	(void)s;
	gt_mark_objects(&before);
	assert_int_equal(th_exec(&gt_th, 'b', "ip addr add 192.168.77.2/24 dev b0"), 0);
	h = th_enter(&gt_th, 'b');
	u = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(u, (struct sockaddr *)&sa, sizeof(sa)), 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "b0");
	assert_int_equal(ioctl(u, SIOCGIFHWADDR, &ifr), 0);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	th_leave(h);
	/* the host takes the device's traffic */
	gt_send_to_host(mac, 7001, 10);
	assert_int_equal(gt_drain_udp(u), 10);
	/* killed -9; killed -9 after dropping its privileges; exiting after
	 * dropping them (its close can no longer change the kernel) */
	for (int round = 0; round < 3; round++) {
		struct timespec t0, t1;

		lone_member(gid, round > 0, round < 2);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* the kernel frees it all with the last descriptor: at once */
		assert_int_equal(gt_tc_programs("b0"), 0);
		for (int i = 0; i < 100 && gt_count_objects_since(&before) != 0; i++)
			usleep(10000);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_int_equal(gt_count_objects_since(&before), 0);
		printf("  round %d: TC program and %s gone %.0f ms after the process\n", round,
		       "maps", (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			       (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
		/* and the host sees the device's traffic again */
		gt_send_to_host(mac, 7001, 10);
		assert_int_equal(gt_drain_udp(u), 10);
	}
	close(u);
	th_exec(&gt_th, 'b', "ip addr del 192.168.77.2/24 dev b0");
}

static void ignore(void *user, const struct pfq_pkthdr *h, const uint8_t *d)
{
	(void)user;
	(void)h;
	(void)d;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * A change of one group is compiled and verified with no lock held: a
 * member of another group reading at full rate meanwhile loses nothing,
 * and the registry of its own group stays free (its reads never wait).
 */
static void test_change_does_not_stall_others(void **s)
{
	int gx = next_gid++, gy = next_gid++, h, sent = 0, rc;
	double slowest = 0, changes_ms = 0;
	pfq_t *mx = gt_manager(gx, NULL), *my = gt_manager(gy, NULL), *rx;
	struct pfq_stats st;
	pid_t pid;

	(void)s;
	h = th_enter(&gt_th, 'b');
	rx = pfq_open_nogroup(128, 1 << 16, 0, 0);
	th_leave(h);
	assert_non_null(rx);
	assert_int_equal(pfq_join_group(rx, gx, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), gx);
	OK(rx, pfq_enable(rx));
	/* group Y's changes, in a child of its own (a socket of this process
	 * is not the child's): programs that take the verifier long */
	pid = fork();
	if (pid == 0) {
		gt_child_init();
		int hh = th_enter(&gt_th, 'b');
		pfq_t *c = pfq_open_nogroup(64, 64, 0, 0);

		th_leave(hh);
		if (!c || pfq_join_group(c, gy, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED) != gy)
			_exit(2);
		for (int i = 0; i < 6; i++) {
			char src[4096];
			int n = snprintf(src, sizeof(src), "when (has_port %d) drop", 100 + i);

			for (int k = 0; k < 40; k++)
				n += snprintf(src + n, sizeof(src) - (size_t)n,
					      " >-> when (has_src_port %d .||. is_rtp) (inc %d)",
					      1000 + k + i, k % 64);
			if (pfq_set_group_computation_from_string(c, gy, src) < 0) {
				fprintf(stderr, "change: %s\n", pfq_error(c));
				_exit(3);
			}
		}
		pfq_close(c);
		_exit(0);
	}
	/* meanwhile X's member reads what is sent; no read waits for Y */
	{
		int fd = th_sender(&gt_th, "a0", 1);
		uint8_t buf[GT_FRAME_MAX];
		struct timespec t0, tr;

		assert_true(fd >= 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			for (int i = 0; i < 200; i++) {
				size_t len = gt_flow_frame((uint32_t)(sent % 60000), -1, buf);

				if (sender_send(fd, buf, len) == 0)
					sent++;
			}
			clock_gettime(CLOCK_MONOTONIC, &tr);
			while (pfq_dispatch(rx, ignore, 0, NULL) > 0)
				;
			if (ms_since(&tr) > slowest)
				slowest = ms_since(&tr);
		} while (waitpid(pid, &rc, WNOHANG) == 0 && ms_since(&t0) < 60000);
		changes_ms = ms_since(&t0);
		close(fd);
	}
	assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	for (int i = 0; i < 20; i++)
		pfq_dispatch(rx, ignore, 20000, NULL);
	OK(rx, pfq_get_stats(rx, &st));
	printf("  %d sent to group %d while group %d changed 6 times in %.0f ms: recv %llu lost "
	       "%llu; slowest read %.1f ms\n", sent, gx, gy, changes_ms,
	       (unsigned long long)st.recv, (unsigned long long)st.lost, slowest);
	assert_int_equal(st.lost, 0);
	/* a read that waited for Y's lock would take a change's time; the bound
	 * is generous for a loaded machine, far below what one change takes */
	assert_true(slowest < 300);
	assert_int_equal(st.recv, (uint64_t)sent);
	pfq_close(rx);
	pfq_close(mx);
	pfq_close(my);
}

/* A join that races with the death of the group's last process: the
 * dying process still holds its liveness lock for a moment but gives no
 * descriptor any more. The join joins (the old group or a fresh one),
 * it does not fail. */
static void test_join_as_last_dies(void **s)
{
	int gid = next_gid++, failed = 0;

	(void)s;
	for (int round = 0; round < 120; round++) {
		int ready[2], go[2], st;
		pid_t killer;
		char c;

		assert_int_equal(pipe(ready), 0);
		assert_int_equal(pipe(go), 0);
		/* the killer's child makes the group; the killer kills it and
		 * reaps it at once, as a shell would */
		killer = fork();
		if (killer == 0) {
			pid_t creator = fork();

			if (creator == 0) {
				int h = th_enter(&gt_th, 'b');
				pfq_t *q = pfq_open_nogroup(64, 64, 0, 0);

				th_leave(h);
				if (!q ||
				    pfq_join_group(q, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED) != gid ||
				    pfq_set_group_computation_from_string(q, gid, "ip >-> steer_flow") < 0 ||
				    pfq_bind_group(q, gid, "b0", PFQ_ANY_QUEUE) < 0 ||
				    write(ready[1], "r", 1) != 1)
					_exit(1);
				for (;;)
					pause();
			}
			if (read(ready[0], &c, 1) != 1 || write(go[1], "k", 1) != 1)
				_exit(1);
			usleep(500 + (useconds_t)(round % 30) * 250);
			kill(creator, SIGKILL);
			waitpid(creator, &st, 0);
			_exit(0);
		}
		close(ready[1]);
		close(go[1]);
		assert_int_equal(read(go[0], &c, 1), 1); /* the group is made */
		close(ready[0]);
		close(go[0]);
		int h = th_enter(&gt_th, 'b');
		pfq_t *q = pfq_open_nogroup(64, 64, 0, 0);

		th_leave(h);
		assert_non_null(q);
		if (pfq_join_group(q, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED) != gid) {
			printf("  round %d: %s\n", round, pfq_error(q));
			failed++;
		}
		waitpid(killer, &st, 0);
		pfq_close(q);
	}
	printf("  120 joins as the last process died: %d failed\n", failed);
	assert_int_equal(failed, 0);
}

/* A member's process forks; the child reads through the handle it
 * inherited, then closes it. The membership stays the parent's: the
 * child's reads used to touch what its copy of the library had freed
 * (ASan: a use after free), and its close took the parent's member out of
 * the group (the parent then read nothing, and no error said why). */
static void test_forked_child_inherits(void **s)
{
	int gid = next_gid++, st, h;
	pfq_t *mgr = gt_manager(gid, NULL), *q;
	pid_t pid;

	(void)s;
	h = th_enter(&gt_th, 'b');
	q = pfq_open_nogroup(2048, 4096, 0, 0);
	th_leave(h);
	assert_non_null(q);
	assert_int_equal(pfq_join_group(q, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), gid);
	OK(q, pfq_enable(q));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pfq_net_queue nq;
		/* a group change through it is refused, reading is not */
		int r = pfq_read(q, &nq, 300000), w = pfq_set_weight(q, 3);
		int l = pfq_leave_group(q, gid), d = pfq_disable(q);
		int j = pfq_join_group(q, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED);

		_exit(r >= 0 && w == -EPERM && l == -EPERM && d == -EPERM && j == -EPERM &&
		      pfq_close(q) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	usleep(300000);
	gt_send_ids(0, 100, -1);
	assert_int_equal(gt_count_read(q, 100, 3000), 100);
	OK(q, pfq_close(q));
	OK(mgr, pfq_close(mgr));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flows_stay_across_join_and_kill),
		cmocka_unit_test(test_two_die_at_once),
		cmocka_unit_test(test_join_as_last_dies),
		cmocka_unit_test(test_objects_go_with_the_group),
		cmocka_unit_test(test_change_does_not_stall_others),
		cmocka_unit_test(test_forked_child_inherits),
	};

	return gt_run("group-life", tests, sizeof(tests) / sizeof(tests[0]));
}
