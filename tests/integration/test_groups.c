/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Groups across processes on a test host (tests/lib/grouptest.h): steering,
 * copies and classes, filters, counters, log, membership changes while
 * traffic flows, forwarding and the host stack, policies, many processes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "pktgen.h"
#include "sender.h"
#include "testhost.h"
#include "grouptest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>



static int next_gid = 10;

static void steer_case(const int *weights, int n, uint32_t flows)
{
	static int owner[GT_MAX_IDS];
	struct gt_member m[8];
	int gid = next_gid++, wsum = 0;
	pfq_t *mgr = gt_manager(gid, "ip >-> steer_flow");
	uint32_t count[8] = { 0 };

	for (int k = 0; k < n; k++) {
		struct gt_member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, weights[k], PFQ_POLICY_SHARED };

		gt_spawn(&m[k], &cfg);
		assert_int_equal(m[k].join_err, 0);
		wsum += weights[k];
	}
	gt_send_ids(0, 2 * flows, -1);
	usleep(300000);
	for (int k = 0; k < n; k++)
		gt_finish(&m[k]);
	gt_owners(m, n, owner, 0, 2 * flows);
	for (uint32_t id = 0; id < 2 * flows; id++) {
		if (owner[id] < 0)
			fail_msg("packet %u (flow %u) received by no member", id, id / 2);
		if (id % 2 && owner[id] != owner[id - 1])
			fail_msg("flow %u split: forward to %d, reverse to %d", id / 2, owner[id - 1],
				 owner[id]);
		count[owner[id]]++;
	}
	for (int k = 0; k < n; k++) {
		double fair = 2.0 * flows * weights[k] / wsum;

		printf("  member %d (weight %d): %u packets, fair share %.0f\n", k, weights[k],
		       count[k], fair);
		if (count[k] < fair * 0.85 || count[k] > fair * 1.15)
			fail_msg("member %d got %u packets, outside 15%% of %.0f", k, count[k], fair);
		gt_release(&m[k]);
	}
	pfq_close(mgr);
}

static void test_steer_2(void **s)
{
	(void)s;
	steer_case((int[]){ 1, 1 }, 2, 1500);
}

static void test_steer_3(void **s)
{
	(void)s;
	steer_case((int[]){ 1, 1, 1 }, 3, 1500);
}

static void test_steer_4(void **s)
{
	(void)s;
	steer_case((int[]){ 1, 1, 1, 1 }, 4, 2000);
}

static void test_steer_weights(void **s)
{
	(void)s;
	steer_case((int[]){ 2, 1, 1 }, 3, 2000);
}

/* double steering: every packet to one or two of the members */
static void test_double_steer(void **s)
{
	static uint8_t copies[GT_MAX_IDS];
	struct gt_member m[3];
	int gid = next_gid++, twice = 0;
	pfq_t *mgr = gt_manager(gid, "double_steer_ip");
	struct gt_member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };

	(void)s;
	memset(copies, 0, sizeof(copies));
	for (int k = 0; k < 3; k++)
		gt_spawn(&m[k], &cfg);
	gt_send_ids(0, 1000, -1);
	usleep(300000);
	for (int k = 0; k < 3; k++) {
		gt_finish(&m[k]);
		for (uint32_t i = 0; i < m[k].n; i++)
			if (m[k].ids[i] < 1000)
				copies[m[k].ids[i]]++;
		gt_release(&m[k]);
	}
	for (int id = 0; id < 1000; id++) {
		if (copies[id] < 1 || copies[id] > 2)
			fail_msg("packet %d received %d times", id, copies[id]);
		twice += copies[id] == 2;
	}
	printf("  double steer: %d of 1000 packets went to two members\n", twice);
	assert_true(twice > 300);
	pfq_close(mgr);
}

/* ---- copies and classes ---- */

static void two_classes(const char *computation, uint32_t *got0, uint32_t *got1,
			uint32_t *tcp0, uint32_t *tcp1)
{
	struct gt_member m[2];
	int gid = next_gid++;
	pfq_t *mgr = gt_manager(gid, computation);
	struct gt_member_cfg c0 = { gid, 1ull << 0, 1, PFQ_POLICY_SHARED };
	struct gt_member_cfg c1 = { gid, 1ull << 1, 1, PFQ_POLICY_SHARED };

	gt_spawn(&m[0], &c0);
	gt_spawn(&m[1], &c1);
	gt_send_ids(0, 400, -1);
	usleep(300000);
	gt_finish(&m[0]);
	gt_finish(&m[1]);
	*got0 = m[0].n;
	*got1 = m[1].n;
	*tcp0 = *tcp1 = 0;
	for (uint32_t i = 0; i < m[0].n; i++)
		*tcp0 += gt_is_tcp_id(m[0].ids[i]);
	for (uint32_t i = 0; i < m[1].n; i++)
		*tcp1 += gt_is_tcp_id(m[1].ids[i]);
	gt_release(&m[0]);
	gt_release(&m[1]);
	pfq_close(mgr);
}

static void test_copy_classes(void **s)
{
	uint32_t n0, n1, t0, t1;

	(void)s;
	/* no computation: copy to the default class only */
	two_classes(NULL, &n0, &n1, &t0, &t1);
	assert_int_equal(n0, 400);
	assert_int_equal(n1, 0);
	/* broadcast: every class gets a copy */
	two_classes("broadcast", &n0, &n1, &t0, &t1);
	assert_int_equal(n0, 400);
	assert_int_equal(n1, 400);
	/* TCP to class 1, the rest stays in the default class */
	two_classes("when is_tcp (classify 1)", &n0, &n1, &t0, &t1);
	assert_int_equal(n0, 200);
	assert_int_equal(t0, 0);
	assert_int_equal(n1, 200);
	assert_int_equal(t1, 200);
}

/* ---- filters, counters, stats ---- */

static void test_bpf_filter_and_stats(void **s)
{
	struct gt_member m[2];
	int gid = next_gid++;
	pfq_t *mgr = gt_manager(gid, "ip >-> steer_flow");
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	struct bpf_program bp;
	struct pfq_stats st;
	struct gt_member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };
	uint32_t udp = 0;

	(void)s;
	/* the members are there first: the new filter reaches them */
	gt_spawn(&m[0], &cfg);
	gt_spawn(&m[1], &cfg);
	assert_int_equal(pcap_compile(dead, &bp, "udp and ip[8] = 77", 1, PCAP_NETMASK_UNKNOWN),
			 0);
	struct sock_fprog fp = { (unsigned short)bp.bf_len, (struct sock_filter *)bp.bf_insns };

	assert_int_equal(pfq_group_fprog(mgr, gid, &fp), 0);
	pcap_freecode(&bp);
	pcap_close(dead);
	gt_send_ids(0, 1000, -1);
	usleep(300000);
	gt_finish(&m[0]);
	gt_finish(&m[1]);
	for (int k = 0; k < 2; k++)
		for (uint32_t i = 0; i < m[k].n; i++) {
			assert_false(gt_is_tcp_id(m[k].ids[i]));
			udp++;
		}
	assert_int_equal(udp, 500);
	assert_int_equal(pfq_get_group_stats(mgr, gid, &st), 0);
	printf("  group stats: recv %llu drop %llu\n", (unsigned long long)st.recv,
	       (unsigned long long)st.drop);
	/* every packet of the bindings counted once, TCP dropped by the filter
	 * (the kernel may add a few packets of its own, e.g. IPv6 ND) */
	assert_true(st.recv >= 1000 && st.recv < 1100);
	assert_true(st.drop >= 500 && st.drop < 600);
	/* a malformed filter is refused and changes nothing */
	struct sock_filter bad[] = { { 0xffff, 0, 0, 0 } };
	struct sock_fprog badp = { 1, bad };

	assert_true(pfq_group_fprog(mgr, gid, &badp) < 0);
	assert_int_equal(pfq_group_fprog_reset(mgr, gid), 0);
	gt_release(&m[0]);
	gt_release(&m[1]);
	pfq_close(mgr);
}

static void test_counters_once(void **s)
{
	struct gt_member m[3];
	int gid = next_gid++;
	pfq_t *mgr = gt_manager(gid, "when is_udp (inc 3) >-> when is_tcp (inc 5) >-> steer_flow");
	struct gt_member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };
	struct pfq_counters c;

	(void)s;
	for (int k = 0; k < 3; k++)
		gt_spawn(&m[k], &cfg);
	gt_send_ids(0, 600, -1);
	usleep(300000);
	for (int k = 0; k < 3; k++) {
		gt_finish(&m[k]);
		gt_release(&m[k]);
	}
	assert_int_equal(pfq_get_group_counters(mgr, gid, &c), 0);
	printf("  counters: udp %lld tcp %lld\n", (long long)c.counter[3],
	       (long long)c.counter[5]);
	/* once per packet, not once per member */
	assert_int_equal(c.counter[3], 300);
	assert_int_equal(c.counter[5], 300);
	/* a bad computation is refused with its position */
	assert_true(pfq_set_group_computation_from_string(mgr, gid, "steer_flwo") < 0);
	assert_non_null(strstr(pfq_error(mgr), "steer_flow"));
	/* from a file: good, malformed, missing */
	char path[] = "/tmp/pfq-comp-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("-- the computation\nmain = ip >-> steer_flow\n", f);
	fclose(f);
	OK(mgr, pfq_set_group_computation_from_file(mgr, gid, path));
	f = fopen(path, "w");
	fputs("main = ip >->\n", f);
	fclose(f);
	assert_int_equal(pfq_set_group_computation_from_file(mgr, gid, path), -EINVAL);
	assert_non_null(strstr(pfq_error(mgr), "1:"));
	unlink(path);
	assert_int_equal(pfq_set_group_computation_from_file(mgr, gid, path), -ENOENT);
	/* a directory is not an empty file (issue 13) */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(pfq_set_group_computation_from_file(mgr, gid, path), -EISDIR);
	assert_non_null(strstr(pfq_error(mgr), "Is a directory"));
	rmdir(path);
	pfq_close(mgr);
}

static void test_group_log(void **s)
{
	struct gt_member m[2];
	int gid = next_gid++, n, h, tcp = 0, udp = 0;
	pfq_t *mgr = gt_manager(gid, "when is_tcp (log_msg \"tcp seen\") >-> "
				  "when is_udp log_packet >-> steer_flow");
	struct gt_member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };
	struct pfq_log_line *lines = calloc(64, sizeof(*lines));
	uint64_t written = 0, skipped = 0;

	(void)s;
	gt_spawn(&m[0], &cfg);
	gt_spawn(&m[1], &cfg);
	gt_send_ids(0, 40, -1);
	usleep(300000);
	h = th_enter(&gt_th, 'b');
	n = pfq_group_log(gid, lines, 64, &written, &skipped);
	th_leave(h);
	/* once per packet, whatever the number of members */
	assert_int_equal(n, 40);
	assert_int_equal(written, 40);
	assert_int_equal(skipped, 0);
	for (int i = 0; i < n; i++) {
		tcp += strcmp(lines[i].text, "log_msg: tcp seen") == 0;
		udp += strncmp(lines[i].text, "log_packet: IP ", 15) == 0;
		if (i)
			assert_true(lines[i].seq > lines[i - 1].seq);
	}
	printf("  log: %s | %s\n", lines[0].text, lines[1].text);
	assert_int_equal(tcp, 20);
	assert_int_equal(udp, 20);
	/* the rate limit: at most 100 a second */
	gt_send_ids(40, 640, -1);
	usleep(300000);
	h = th_enter(&gt_th, 'b');
	n = pfq_group_log(gid, lines, 64, &written, &skipped);
	th_leave(h);
	printf("  log: %llu written, %llu skipped by the rate limit\n",
	       (unsigned long long)written, (unsigned long long)skipped);
	assert_int_equal(n, 64);
	assert_int_equal(written + skipped, 640);
	assert_true(skipped > 0);
	assert_int_equal(pfq_group_log(64, lines, 64, NULL, NULL), -EINVAL);
	for (int k = 0; k < 2; k++) {
		gt_finish(&m[k]);
		gt_release(&m[k]);
	}
	free(lines);
	pfq_close(mgr);
}

/* A tagged packet's tag is metadata when the computation runs (the kernel
 * took it out of the frame): the log's text, made again when read, must
 * see it too (it saw an untagged frame: its log functions were not
 * reached, the lines said "(packet of N bytes)") */
static void test_group_log_vlan(void **s)
{
	struct gt_member m;
	int gid = next_gid++, n, h;
	pfq_t *mgr = gt_manager(gid, "vlan_id_filter [10] >-> log_msg \"ten\" >-> steer_flow");
	struct gt_member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };
	struct pfq_log_line *lines = calloc(64, sizeof(*lines));

	(void)s;
	gt_spawn(&m, &cfg);
	gt_send_ids(0, 20, 10);
	gt_send_ids(20, 40, 11);
	usleep(300000);
	h = th_enter(&gt_th, 'b');
	n = pfq_group_log(gid, lines, 64, NULL, NULL);
	th_leave(h);
	printf("  log of a tagged packet: %s\n", n > 0 ? lines[0].text : "-");
	assert_int_equal(n, 20);
	for (int i = 0; i < n; i++)
		assert_string_equal(lines[i].text, "log_msg: ten");
	gt_finish(&m);
	gt_release(&m);
	free(lines);
	pfq_close(mgr);
}

static void test_vlan_filters(void **s)
{
	struct gt_member m;
	int gid = next_gid++;
	pfq_t *mgr = gt_manager(gid, NULL);
	struct gt_member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };

	(void)s;
	/* ids are set while the filter is on (as the original) */
	assert_int_equal(pfq_vlan_set_filter(mgr, gid, 10), -EPERM);
	assert_int_equal(pfq_vlan_filters_enable(mgr, gid, 1), 0);
	assert_int_equal(pfq_vlan_set_filter(mgr, gid, 10), 0);
	assert_true(pfq_vlan_set_filter(mgr, gid, 4096) < 0);
	gt_spawn(&m, &cfg);
	gt_send_ids(0, 100, -1);     /* untagged */
	gt_send_ids(100, 200, 10);   /* VLAN 10 */
	gt_send_ids(200, 300, 20);   /* VLAN 20 */
	usleep(300000);
	gt_finish(&m);
	assert_int_equal(m.n, 100);
	for (uint32_t i = 0; i < m.n; i++)
		assert_true(m.ids[i] >= 100 && m.ids[i] < 200);
	gt_release(&m);
	/* untagged too, then off */
	assert_int_equal(pfq_vlan_set_filter(mgr, gid, PFQ_VLAN_UNTAG), 0);
	gt_spawn(&m, &cfg);
	gt_send_ids(0, 300, -1);
	gt_send_ids(300, 400, 20);
	usleep(300000);
	gt_finish(&m);
	assert_int_equal(m.n, 300);
	gt_release(&m);
	pfq_close(mgr);
}

/* ---- membership changes while traffic flows ---- */

static void test_kill_and_join(void **s)
{
	static int owner[GT_MAX_IDS];
	struct gt_member m[4];
	int gid = next_gid++;
	pfq_t *mgr = gt_manager(gid, "ip >-> steer_flow");
	struct gt_member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };
	struct pfq_group_info *info = calloc(PFQ_MAX_GROUPS, sizeof(*info));
	int st, n, seen = 0;
	uint32_t got3 = 0;

	(void)s;
	for (int k = 0; k < 3; k++)
		gt_spawn(&m[k], &cfg);
	gt_send_ids(0, 1000, -1);
	/* member 2 dies: within 1 s its share goes to the others */
	kill(m[2].pid, SIGKILL);
	waitpid(m[2].pid, &st, 0);
	usleep(1000000);
	gt_send_ids(1000, 2000, -1);
	/* a member joins while traffic flows and takes its share */
	gt_spawn(&m[3], &cfg);
	gt_send_ids(2000, 3000, -1);
	usleep(300000);
	n = gt_groups_in_b(info);
	for (int i = 0; i < n; i++)
		if (info[i].gid == gid)
			seen = info[i].nmembers;
	assert_int_equal(seen, 4); /* manager + 3 live members */
	gt_finish(&m[0]);
	gt_finish(&m[1]);
	gt_finish(&m[3]);
	m[2].n = 0;
	m[2].ids = NULL;
	gt_owners(m, 4, owner, 1000, 3000);
	for (uint32_t id = 1000; id < 3000; id++) {
		if (owner[id] < 0)
			fail_msg("packet %u lost after the kill / the join", id);
		if (id >= 2000 && owner[id] == 3)
			got3++;
	}
	printf("  new member took %u of 1000 packets\n", got3);
	assert_true(got3 > 200 && got3 < 480);
	for (int k = 0; k < 4; k++)
		gt_release(&m[k]);
	free(info);
	pfq_close(mgr);
}

/* A member that joins while other devices carry traffic takes nothing
 * from them: its fanout socket, bound to every device, takes no packet
 * until it is in the fanout (it took all of them in that moment once). */
static void test_join_takes_nothing_else(void **s)
{
	int gid = next_gid++, h, foreign = 0, st;
	pfq_t *mgr;
	pid_t tx;

	(void)s;
	h = th_enter(&gt_th, 'b');
	mgr = pfq_open_nogroup(64, 64, 0, 0);
	th_leave(h);
	assert_non_null(mgr);
	assert_int_equal(pfq_join_group(mgr, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED), gid);
	OK(mgr, pfq_set_group_computation_from_string(mgr, gid, "ip >-> steer_flow"));
	OK(mgr, pfq_bind_group(mgr, gid, "b1", PFQ_ANY_QUEUE)); /* b1 only: it stays quiet */
	tx = fork();
	assert_true(tx >= 0);
	if (tx == 0) {
		/* a0 -> b0 for at most 3 s (30,000 frames) */
		int fd = th_sender(&gt_th, "a0", 0);
		uint8_t buf[GT_FRAME_MAX];

		for (uint32_t id = 0; fd >= 0 && id < 30000; id++) {
			size_t len = gt_flow_frame(id, -1, buf);

			(void)sender_send(fd, buf, len);
			usleep(100);
		}
		_exit(0);
	}
	for (int round = 0; round < 25; round++) {
		pfq_t *q;

		h = th_enter(&gt_th, 'b');
		q = pfq_open_nogroup(64, 256, 0, 0);
		th_leave(h);
		assert_non_null(q);
		assert_int_equal(pfq_join_group(q, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), gid);
		OK(q, pfq_enable(q));
		foreign += gt_count_read(q, INT_MAX, 30);
		pfq_close(q);
	}
	kill(tx, SIGKILL);
	waitpid(tx, &st, 0);
	pfq_close(mgr);
	assert_int_equal(foreign, 0);
}

/* ---- forwarding and the host stack (the group's TC program) ---- */

static void test_forward_and_kernel(void **s)
{
	int gid = next_gid++, h, u7000, u7001, cap_h;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct ifreq ifr;
	uint8_t mac[6];
	pfq_t *mgr, *cap;
	struct pfq_stats st;
	struct gt_got *got = calloc(1, sizeof(*got));

	(void)s;
	assert_int_equal(th_exec(&gt_th, 'b', "ip addr add 192.168.77.2/24 dev b0"), 0);
	h = th_enter(&gt_th, 'b');
	u7000 = socket(AF_INET, SOCK_DGRAM, 0);
	u7001 = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_port = htons(7000);
	assert_int_equal(bind(u7000, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sa.sin_port = htons(7001);
	assert_int_equal(bind(u7001, (struct sockaddr *)&sa, sizeof(sa)), 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "b0");
	assert_int_equal(ioctl(u7000, SIOCGIFHWADDR, &ifr), 0);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	th_leave(h);

	/* without a group the host stack gets everything */
	gt_send_to_host(mac, 7000, 20);
	gt_send_to_host(mac, 7001, 20);
	assert_int_equal(gt_drain_udp(u7000), 20);
	assert_int_equal(gt_drain_udp(u7001), 20);

	/* kernel_if: only port 7000 reaches the stack; every packet is also
	 * forwarded out of b1 (seen on a1) */
	h = th_enter(&gt_th, 'b');
	mgr = pfq_open_nogroup(64, 64, 0, 0);
	th_leave(h);
	cap_h = th_enter(&gt_th, 'a');
	cap = pfq_open(256, 4096, 0, 0);
	th_leave(cap_h);
	assert_non_null(mgr);
	assert_non_null(cap);
	OK(cap, pfq_bind(cap, "a1", PFQ_ANY_QUEUE));
	OK(cap, pfq_enable(cap));
	assert_int_equal(pfq_join_group(mgr, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED), gid);
	OK(mgr, pfq_set_group_computation_from_string(mgr, gid,
		"forward \"b1\" >-> kernel_if (has_dst_port 7000)"));
	OK(mgr, pfq_bind_group(mgr, gid, "b0", PFQ_ANY_QUEUE));
	gt_send_to_host(mac, 7000, 30);
	gt_send_to_host(mac, 7001, 30);
	assert_int_equal(gt_drain_udp(u7000), 30);
	assert_int_equal(gt_drain_udp(u7001), 0);
	for (int i = 0; i < 20; i++)
		pfq_dispatch(cap, gt_on_pkt, 20000, got);
	assert_int_equal(got->n, 60); /* the copies sent out of b1 */
	assert_int_equal(pfq_get_group_stats(mgr, gid, &st), 0);
	printf("  group stats: frwd %llu kern %llu\n", (unsigned long long)st.frwd,
	       (unsigned long long)st.kern);
	assert_int_equal(st.frwd, 60);
	assert_int_equal(st.kern, 30);
	/* a computation without such actions takes the TC program away */
	OK(mgr, pfq_set_group_computation_from_string(mgr, gid, "steer_flow"));
	gt_send_to_host(mac, 7001, 10);
	assert_int_equal(gt_drain_udp(u7001), 10);
	/* and so does the end of the group */
	OK(mgr, pfq_set_group_computation_from_string(mgr, gid, "detour"));
	gt_send_to_host(mac, 7001, 10);
	gt_send_to_host(mac, 7000, 10);
	assert_int_equal(gt_drain_udp(u7001), 10);
	assert_int_equal(gt_drain_udp(u7000), 10);
	/* a computation that decides for the stack decides for every packet:
	 * what it does not pass is taken away */
	OK(mgr, pfq_set_group_computation_from_string(mgr, gid, "detour_if is_tcp"));
	gt_send_to_host(mac, 7001, 10);
	assert_int_equal(gt_drain_udp(u7001), 0);
	pfq_close(mgr);
	gt_send_to_host(mac, 7001, 10);
	assert_int_equal(gt_drain_udp(u7001), 10);
	/* a device that does not exist is refused at compile time */
	h = th_enter(&gt_th, 'b');
	mgr = pfq_open_nogroup(64, 64, 0, 0);
	th_leave(h);
	assert_int_equal(pfq_join_group(mgr, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED), gid);
	assert_true(pfq_set_group_computation_from_string(mgr, gid, "forward \"nosuch0\"") < 0);
	assert_non_null(strstr(pfq_error(mgr), "nosuch0"));
	pfq_close(mgr);
	pfq_close(cap);
	close(u7000);
	close(u7001);
	free(got);
	th_exec(&gt_th, 'b', "ip addr del 192.168.77.2/24 dev b0");
}

/* the members of group gid in side B, -1 when it does not exist (info has
 * room for every group) */
static int members_in_b(struct pfq_group_info *info, int gid)
{
	int n = gt_groups_in_b(info);

	for (int i = 0; i < n; i++)
		if (info[i].gid == gid)
			return info[i].nmembers;
	return -1;
}

/* ---- policies across processes ---- */

static void holder_main(int ctl, int res, int policy, int gid)
{
	int h = th_enter(&gt_th, 'b');
	pfq_t *q = pfq_open_nogroup(64, 64, 0, 0);
	char c;

	th_leave(h);
	if (!q || pfq_join_group(q, gid, PFQ_CLASS_DEFAULT, policy) != gid)
		_exit(2);
	gt_write_all(res, "R", 1);
	if (read(ctl, &c, 1) < 0)
		_exit(3);
	_exit(0);
}

static void test_policies(void **s)
{
	int gp = next_gid++, gr = next_gid++, gs = next_gid++;
	int gids[3] = { gp, gr, gs }, pols[3] = { PFQ_POLICY_PRIVATE, PFQ_POLICY_RESTRICTED,
						  PFQ_POLICY_SHARED };
	pid_t pids[3];
	int ctl[3][2], res[3][2], st, h;
	pfq_t *q, *q2;
	char c;

	(void)s;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pipe(ctl[i]), 0);
		assert_int_equal(pipe(res[i]), 0);
		pids[i] = fork();
		if (pids[i] == 0)
			gt_child_init(), holder_main(ctl[i][0], res[i][1], pols[i], gids[i]);
		assert_int_equal(gt_read_all(res[i][0], &c, 1), 0);
	}
	h = th_enter(&gt_th, 'b');
	q = pfq_open_nogroup(64, 64, 0, 0);
	q2 = pfq_open_nogroup(64, 64, 0, 0);
	th_leave(h);
	/* another process's private and restricted groups are closed */
	assert_int_equal(pfq_join_group(q, gp, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), -EACCES);
	assert_non_null(strstr(pfq_error(q), "private"));
	assert_int_equal(pfq_join_group(q, gr, PFQ_CLASS_DEFAULT, PFQ_POLICY_RESTRICTED),
			 -EACCES);
	assert_non_null(strstr(pfq_error(q), "restricted"));
	/* a shared group takes shared joins only */
	assert_int_equal(pfq_join_group(q, gs, PFQ_CLASS_DEFAULT, PFQ_POLICY_RESTRICTED),
			 -EACCES);
	assert_int_equal(pfq_join_group(q, gs, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), gs);
	/* one group per socket */
	assert_int_equal(pfq_join_group(q, gp, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), -EBUSY);
	/* the stats of another process's restricted group are closed too */
	struct pfq_stats stt;

	assert_int_equal(pfq_get_group_stats(q, gr, &stt), -EACCES);
	assert_int_equal(pfq_leave_group(q, gs), 0);
	/* in this process: restricted joinable by a second socket, private not */
	int mine = pfq_join_group(q, PFQ_ANY_GROUP, PFQ_CLASS_DEFAULT, PFQ_POLICY_RESTRICTED);

	assert_true(mine >= 0);
	assert_int_equal(pfq_join_group(q2, mine, PFQ_CLASS_DEFAULT, PFQ_POLICY_RESTRICTED), mine);
	assert_int_equal(pfq_leave_group(q2, mine), 0);
	assert_int_equal(pfq_leave_group(q, mine), 0);
	mine = pfq_join_group(q, PFQ_ANY_GROUP, PFQ_CLASS_DEFAULT, PFQ_POLICY_PRIVATE);
	assert_true(mine >= 0);
	assert_int_equal(pfq_join_group(q2, mine, PFQ_CLASS_DEFAULT, PFQ_POLICY_PRIVATE), -EACCES);
	/* policy undefined holds a group without joining it */
	struct pfq_group_info *info = calloc(PFQ_MAX_GROUPS, sizeof(*info));
	int held = next_gid++;

	assert_int_equal(pfq_join_group(q2, held, PFQ_CLASS_DEFAULT, PFQ_POLICY_UNDEFINED), held);
	assert_int_equal(pfq_group_id(q2), -1);
	assert_int_equal(members_in_b(info, held), 0);
	assert_int_equal(pfq_leave_group(q2, held), 0);
	assert_int_equal(members_in_b(info, held), -1);
	/* ... and the hold goes with the socket that took it (held for the
	 * process, such groups outlived every socket: "no free group") */
	h = th_enter(&gt_th, 'b');
	pfq_t *q3 = pfq_open_nogroup(64, 64, 0, 0);

	th_leave(h);
	assert_non_null(q3);
	assert_int_equal(pfq_join_group(q3, held, PFQ_CLASS_DEFAULT, PFQ_POLICY_UNDEFINED), held);
	/* another socket of the process holds it too: it stays for that one */
	assert_int_equal(pfq_join_group(q2, held, PFQ_CLASS_DEFAULT, PFQ_POLICY_UNDEFINED), held);
	pfq_close(q3);
	assert_int_equal(members_in_b(info, held), 0);
	assert_int_equal(pfq_leave_group(q2, held), 0);
	assert_int_equal(members_in_b(info, held), -1);
	free(info);
	/* bad arguments */
	assert_int_equal(pfq_join_group(q2, 64, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), -EINVAL);
	assert_int_equal(pfq_join_group(q2, 1, 0, PFQ_POLICY_SHARED), -EINVAL);
	assert_int_equal(pfq_join_group(q2, 1, 1, 7), -EINVAL);
	assert_int_equal(pfq_bind_group(q2, gs, "b0", PFQ_ANY_QUEUE), -EACCES);
	pfq_close(q);
	pfq_close(q2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(write(ctl[i][1], "x", 1), 1);
		waitpid(pids[i], &st, 0);
		close(ctl[i][0]);
		close(ctl[i][1]);
		close(res[i][0]);
		close(res[i][1]);
	}
}

/* ---- 50 processes join and leave at once ---- */

static void test_many_processes(void **s)
{
	enum { N = 50 };
	int gid = next_gid++;
	pfq_t *mgr = gt_manager(gid, "ip >-> steer_flow");
	struct pfq_group_info *info = calloc(PFQ_MAX_GROUPS, sizeof(*info));
	pid_t pids[N];
	int st, n, members = -1, bad = 0;

	(void)s;
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			gt_child_init();
			int h = th_enter(&gt_th, 'b');
			pfq_t *q = pfq_open_nogroup(64, 64, 0, 0);

			th_leave(h);
			if (!q || pfq_join_group(q, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED) != gid ||
			    pfq_enable(q) < 0)
				_exit(2);
			usleep((useconds_t)(1000 * (i % 7)));
			if (i % 3 == 0)
				raise(SIGKILL); /* dies without leaving */
			if (i % 3 == 1)
				pfq_leave_group(q, gid);
			pfq_close(q); /* i % 3 == 2: leaves by closing */
			_exit(0);
		}
	}
	for (int i = 0; i < N; i++) {
		waitpid(pids[i], &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			bad++;
	}
	assert_int_equal(bad, 0);
	/* only the manager is left, once a member has looked after the group
	 * (the killed ones stay listed until then: their share is lost till
	 * then, which the listing must show); the manager's read does it
	 * (a control member: it reads nothing) */
	OK(mgr, pfq_enable(mgr));
	for (int tries = 0; tries < 20 && members != 1; tries++) {
		struct pfq_net_queue nq;

		assert_true(pfq_read(mgr, &nq, 0) >= 0);
		n = gt_groups_in_b(info);
		assert_true(n > 0);
		for (int i = 0; i < n; i++)
			if (info[i].gid == gid)
				members = info[i].nmembers;
		if (members != 1)
			usleep(100000);
	}
	assert_int_equal(members, 1);
	free(info);
	pfq_close(mgr);
	/* and with it the group */
	n = gt_groups_in_b(info = calloc(PFQ_MAX_GROUPS, sizeof(*info)));
	for (int i = 0; i < n; i++)
		assert_int_not_equal(info[i].gid, gid);
	free(info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steer_2),
		cmocka_unit_test(test_steer_3),
		cmocka_unit_test(test_steer_4),
		cmocka_unit_test(test_steer_weights),
		cmocka_unit_test(test_double_steer),
		cmocka_unit_test(test_copy_classes),
		cmocka_unit_test(test_bpf_filter_and_stats),
		cmocka_unit_test(test_counters_once),
		cmocka_unit_test(test_vlan_filters),
		cmocka_unit_test(test_group_log),
		cmocka_unit_test(test_group_log_vlan),
		cmocka_unit_test(test_kill_and_join),
		cmocka_unit_test(test_join_takes_nothing_else),
		cmocka_unit_test(test_forward_and_kernel),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_many_processes),
	};

	return gt_run("groups", tests, sizeof(tests) / sizeof(tests[0]));
}
