/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Groups across processes on a test host: members are forked processes with
 * their own PFQ sockets in side B; the test process manages the group with a
 * control-class socket (as pfqd would) and sends the traffic.
 *
 * Traffic: flow f sends one packet forward on a0 (arrives on b0) and one
 * back out of b1, so each flow is seen in both directions on two devices of
 * the group. Every packet carries a unique IPv4 id and TTL 77 (our mark).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "pktgen.h"
#include "sender.h"
#include "test_registry.h"
#include "testhost.h"

#include <errno.h>
#include <fcntl.h>
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

#define MARK_TTL 77
#define MAX_IDS 65536

static struct testhost th;

/* a libpfq call on q that must succeed, with pfq_error on failure */
#define OK(q, call)                                                              \
	do {                                                                     \
		int rc_ = (call);                                                \
		if (rc_ < 0)                                                     \
			fail_msg("%s: %d: %s", #call, rc_, pfq_error(q));        \
	} while (0)

/* children die with the test process */
static void child_init(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}
static int next_gid = 10;

/* ---- traffic ---- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* packet id 2f (forward) or 2f+1 (reverse) of flow f: clients spread over
 * 10.0.0.0/8 with random ports, talking to a few servers on port 80 */
static size_t flow_frame(uint32_t id, int vlan, uint8_t *buf)
{
	uint32_t f = id / 2;
	uint64_t r = mix64(f);
	uint16_t port = (uint16_t)(1024 + (r >> 40) % 60000);
	struct pkt_spec s;
	char a[32], b[32];

	snprintf(a, sizeof(a), "10.%u.%u.%u", (unsigned)(r & 255), (unsigned)(r >> 8 & 255),
		 1 + (unsigned)(r >> 16 & 127));
	snprintf(b, sizeof(b), "192.168.0.%u", 1 + (unsigned)(r >> 24) % 7);
	if (id % 2 == 0)
		pkt_spec_udp4(&s, a, b, port, 80, 60 + f % 200);
	else
		pkt_spec_udp4(&s, b, a, 80, port, 60 + f % 200);
	s.l4 = f % 2 ? IPPROTO_TCP : IPPROTO_UDP;
	s.ttl = MARK_TTL;
	s.ip_id = (uint16_t)id;
	s.vlan_outer = vlan;
	return pkt_build(&s, buf, 1600);
}

static bool is_tcp_id(uint32_t id)
{
	return (id / 2) % 2 == 1;
}

/* send the packets with ids [first, last) */
static void send_ids(uint32_t first, uint32_t last, int vlan)
{
	int fa = th_sender(&th, "a0", 0), fb = th_sender(&th, "b1", 0);
	uint8_t buf[1600];

	assert_true(fa >= 0 && fb >= 0);
	for (uint32_t id = first; id < last; id++) {
		size_t len = flow_frame(id, vlan, buf);

		assert_int_equal(sender_send(id % 2 ? fb : fa, buf, len), 0);
		if (id % 256 == 255)
			usleep(2000); /* let the readers keep up */
	}
	close(fa);
	close(fb);
}

/* ---- members (child processes) ---- */

struct member_cfg {
	int gid;
	unsigned long long class_mask;
	int weight;
	int policy;
};

struct member {
	pid_t pid;
	int ctl;  /* parent -> child */
	int res;  /* child -> parent */
	int join_err;
	uint32_t n;
	uint32_t *ids;
};

struct got {
	uint32_t n;
	uint32_t ids[MAX_IDS];
};

static void on_pkt(void *user, const struct pfq_pkthdr *h, const uint8_t *d)
{
	struct got *g = user;
	size_t l3 = 14;

	if (h->caplen >= 18 && d[12] == 0x81 && d[13] == 0x00)
		l3 = 18;
	if (h->caplen < l3 + 20 || d[l3 - 2] != 0x08 || d[l3 - 1] != 0x00 ||
	    d[l3 + 8] != MARK_TTL)
		return;
	if (g->n < MAX_IDS)
		g->ids[g->n++] = (uint32_t)(d[l3 + 4] << 8 | d[l3 + 5]);
}

static void write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w <= 0)
			_exit(3);
		c += w;
		n -= (size_t)w;
	}
}

static int read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);

		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static void member_main(const struct member_cfg *cfg, int ctl, int res)
{
	static struct got got;
	int h = th_enter(&th, 'b'), rc;
	pfq_t *q = pfq_open_nogroup(128, 8192, 0, 0);
	char c;

	th_leave(h);
	if (!q)
		_exit(2);
	pfq_set_weight(q, cfg->weight ? cfg->weight : 1);
	rc = pfq_join_group(q, cfg->gid, cfg->class_mask, cfg->policy);
	if (rc < 0) {
		fprintf(stderr, "member: join: %s\n", pfq_error(q));
		int e = -rc;

		write_all(res, "E", 1);
		write_all(res, &e, sizeof(e));
		_exit(0);
	}
	if (pfq_enable(q) < 0) {
		fprintf(stderr, "member: enable: %s\n", pfq_error(q));
		_exit(4);
	}
	write_all(res, "R", 1);
	fcntl(ctl, F_SETFL, O_NONBLOCK);
	for (;;) {
		pfq_dispatch(q, on_pkt, 20000, &got);
		if (read(ctl, &c, 1) == 1)
			break;
	}
	/* drain what is still on its way */
	for (int i = 0; i < 10; i++)
		pfq_dispatch(q, on_pkt, 20000, &got);
	write_all(res, &got.n, sizeof(got.n));
	write_all(res, got.ids, got.n * sizeof(uint32_t));
	pfq_close(q);
	_exit(0);
}

static void spawn(struct member *m, const struct member_cfg *cfg)
{
	int ctl[2], res[2];
	char c;

	memset(m, 0, sizeof(*m));
	assert_int_equal(pipe(ctl), 0);
	assert_int_equal(pipe(res), 0);
	m->pid = fork();
	assert_true(m->pid >= 0);
	if (m->pid == 0) {
		child_init();
		close(ctl[1]);
		close(res[0]);
		member_main(cfg, ctl[0], res[1]);
	}
	close(ctl[0]);
	close(res[1]);
	m->ctl = ctl[1];
	m->res = res[0];
	assert_int_equal(read_all(m->res, &c, 1), 0);
	if (c == 'E')
		assert_int_equal(read_all(m->res, &m->join_err, sizeof(int)), 0);
}

/* stop a member and collect what it received */
static void finish(struct member *m)
{
	int st;

	if (m->join_err) {
		waitpid(m->pid, &st, 0);
		return;
	}
	assert_int_equal(write(m->ctl, "S", 1), 1);
	assert_int_equal(read_all(m->res, &m->n, sizeof(m->n)), 0);
	m->ids = calloc(m->n + 1, sizeof(uint32_t));
	assert_int_equal(read_all(m->res, m->ids, m->n * sizeof(uint32_t)), 0);
	waitpid(m->pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(m->ctl);
	close(m->res);
}

static void release(struct member *m)
{
	free(m->ids);
	m->ids = NULL;
}

/* ---- the manager: a control-class socket of the test process ---- */

static pfq_t *manager(int gid, const char *computation)
{
	int h = th_enter(&th, 'b');
	pfq_t *q = pfq_open_nogroup(64, 64, 0, 0);

	th_leave(h);
	assert_non_null(q);
	assert_int_equal(pfq_join_group(q, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED), gid);
	if (computation)
		OK(q, pfq_set_group_computation_from_string(q, gid, computation));
	OK(q, pfq_bind_group(q, gid, "b0", PFQ_ANY_QUEUE));
	OK(q, pfq_bind_group(q, gid, "b1", PFQ_ANY_QUEUE));
	return q;
}

/* which member got each id (-1 none); fails on a duplicate */
static void owners(struct member *m, int n, int *owner, uint32_t first, uint32_t last)
{
	for (uint32_t id = first; id < last; id++)
		owner[id] = -1;
	for (int k = 0; k < n; k++)
		for (uint32_t i = 0; i < m[k].n; i++) {
			uint32_t id = m[k].ids[i];

			if (id < first || id >= last)
				continue;
			if (owner[id] != -1)
				fail_msg("packet %u received by members %d and %d", id, owner[id], k);
			owner[id] = k;
		}
}

static void steer_case(const int *weights, int n, uint32_t flows)
{
	static int owner[MAX_IDS];
	struct member m[8];
	int gid = next_gid++, wsum = 0;
	pfq_t *mgr = manager(gid, "ip >-> steer_flow");
	uint32_t count[8] = { 0 };

	for (int k = 0; k < n; k++) {
		struct member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, weights[k], PFQ_POLICY_SHARED };

		spawn(&m[k], &cfg);
		assert_int_equal(m[k].join_err, 0);
		wsum += weights[k];
	}
	send_ids(0, 2 * flows, -1);
	usleep(300000);
	for (int k = 0; k < n; k++)
		finish(&m[k]);
	owners(m, n, owner, 0, 2 * flows);
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
		release(&m[k]);
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
	static uint8_t copies[MAX_IDS];
	struct member m[3];
	int gid = next_gid++, twice = 0;
	pfq_t *mgr = manager(gid, "double_steer_ip");
	struct member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };

	(void)s;
	memset(copies, 0, sizeof(copies));
	for (int k = 0; k < 3; k++)
		spawn(&m[k], &cfg);
	send_ids(0, 1000, -1);
	usleep(300000);
	for (int k = 0; k < 3; k++) {
		finish(&m[k]);
		for (uint32_t i = 0; i < m[k].n; i++)
			if (m[k].ids[i] < 1000)
				copies[m[k].ids[i]]++;
		release(&m[k]);
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
	struct member m[2];
	int gid = next_gid++;
	pfq_t *mgr = manager(gid, computation);
	struct member_cfg c0 = { gid, 1ull << 0, 1, PFQ_POLICY_SHARED };
	struct member_cfg c1 = { gid, 1ull << 1, 1, PFQ_POLICY_SHARED };

	spawn(&m[0], &c0);
	spawn(&m[1], &c1);
	send_ids(0, 400, -1);
	usleep(300000);
	finish(&m[0]);
	finish(&m[1]);
	*got0 = m[0].n;
	*got1 = m[1].n;
	*tcp0 = *tcp1 = 0;
	for (uint32_t i = 0; i < m[0].n; i++)
		*tcp0 += is_tcp_id(m[0].ids[i]);
	for (uint32_t i = 0; i < m[1].n; i++)
		*tcp1 += is_tcp_id(m[1].ids[i]);
	release(&m[0]);
	release(&m[1]);
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
	struct member m[2];
	int gid = next_gid++;
	pfq_t *mgr = manager(gid, "ip >-> steer_flow");
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	struct bpf_program bp;
	struct pfq_stats st;
	struct member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };
	uint32_t udp = 0;

	(void)s;
	/* the members are there first: the new filter reaches them */
	spawn(&m[0], &cfg);
	spawn(&m[1], &cfg);
	assert_int_equal(pcap_compile(dead, &bp, "udp and ip[8] = 77", 1, PCAP_NETMASK_UNKNOWN),
			 0);
	struct sock_fprog fp = { (unsigned short)bp.bf_len, (struct sock_filter *)bp.bf_insns };

	assert_int_equal(pfq_group_fprog(mgr, gid, &fp), 0);
	pcap_freecode(&bp);
	pcap_close(dead);
	send_ids(0, 1000, -1);
	usleep(300000);
	finish(&m[0]);
	finish(&m[1]);
	for (int k = 0; k < 2; k++)
		for (uint32_t i = 0; i < m[k].n; i++) {
			assert_false(is_tcp_id(m[k].ids[i]));
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
	release(&m[0]);
	release(&m[1]);
	pfq_close(mgr);
}

static void test_counters_once(void **s)
{
	struct member m[3];
	int gid = next_gid++;
	pfq_t *mgr = manager(gid, "when is_udp (inc 3) >-> when is_tcp (inc 5) >-> steer_flow");
	struct member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };
	struct pfq_counters c;

	(void)s;
	for (int k = 0; k < 3; k++)
		spawn(&m[k], &cfg);
	send_ids(0, 600, -1);
	usleep(300000);
	for (int k = 0; k < 3; k++) {
		finish(&m[k]);
		release(&m[k]);
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
	struct member m[2];
	int gid = next_gid++, n, h, tcp = 0, udp = 0;
	pfq_t *mgr = manager(gid, "when is_tcp (log_msg \"tcp seen\") >-> "
				  "when is_udp log_packet >-> steer_flow");
	struct member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };
	struct pfq_log_line *lines = calloc(64, sizeof(*lines));
	uint64_t written = 0, skipped = 0;

	(void)s;
	spawn(&m[0], &cfg);
	spawn(&m[1], &cfg);
	send_ids(0, 40, -1);
	usleep(300000);
	h = th_enter(&th, 'b');
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
	send_ids(40, 640, -1);
	usleep(300000);
	h = th_enter(&th, 'b');
	n = pfq_group_log(gid, lines, 64, &written, &skipped);
	th_leave(h);
	printf("  log: %llu written, %llu skipped by the rate limit\n",
	       (unsigned long long)written, (unsigned long long)skipped);
	assert_int_equal(n, 64);
	assert_int_equal(written + skipped, 640);
	assert_true(skipped > 0);
	assert_int_equal(pfq_group_log(64, lines, 64, NULL, NULL), -EINVAL);
	for (int k = 0; k < 2; k++) {
		finish(&m[k]);
		release(&m[k]);
	}
	free(lines);
	pfq_close(mgr);
}

static void test_vlan_filters(void **s)
{
	struct member m;
	int gid = next_gid++;
	pfq_t *mgr = manager(gid, NULL);
	struct member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };

	(void)s;
	assert_int_equal(pfq_vlan_filters_enable(mgr, gid, 1), 0);
	assert_int_equal(pfq_vlan_set_filter(mgr, gid, 10), 0);
	assert_true(pfq_vlan_set_filter(mgr, gid, 4096) < 0);
	spawn(&m, &cfg);
	send_ids(0, 100, -1);     /* untagged */
	send_ids(100, 200, 10);   /* VLAN 10 */
	send_ids(200, 300, 20);   /* VLAN 20 */
	usleep(300000);
	finish(&m);
	assert_int_equal(m.n, 100);
	for (uint32_t i = 0; i < m.n; i++)
		assert_true(m.ids[i] >= 100 && m.ids[i] < 200);
	release(&m);
	/* untagged too, then off */
	assert_int_equal(pfq_vlan_set_filter(mgr, gid, PFQ_VLAN_UNTAG), 0);
	spawn(&m, &cfg);
	send_ids(0, 300, -1);
	send_ids(300, 400, 20);
	usleep(300000);
	finish(&m);
	assert_int_equal(m.n, 300);
	release(&m);
	pfq_close(mgr);
}

/* the groups of side B's namespace */
static int groups_in_b(struct pfq_group_info *info)
{
	int h = th_enter(&th, 'b'), n;

	n = pfq_groups_info(info, PFQ_MAX_GROUPS);
	th_leave(h);
	return n;
}

/* ---- membership changes while traffic flows ---- */

static void test_kill_and_join(void **s)
{
	static int owner[MAX_IDS];
	struct member m[4];
	int gid = next_gid++;
	pfq_t *mgr = manager(gid, "ip >-> steer_flow");
	struct member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };
	struct pfq_group_info *info = calloc(PFQ_MAX_GROUPS, sizeof(*info));
	int st, n, seen = 0;
	uint32_t got3 = 0;

	(void)s;
	for (int k = 0; k < 3; k++)
		spawn(&m[k], &cfg);
	send_ids(0, 1000, -1);
	/* member 2 dies: within 1 s its share goes to the others */
	kill(m[2].pid, SIGKILL);
	waitpid(m[2].pid, &st, 0);
	usleep(1000000);
	send_ids(1000, 2000, -1);
	/* a member joins while traffic flows and takes its share */
	spawn(&m[3], &cfg);
	send_ids(2000, 3000, -1);
	usleep(300000);
	n = groups_in_b(info);
	for (int i = 0; i < n; i++)
		if (info[i].gid == gid)
			seen = info[i].nmembers;
	assert_int_equal(seen, 4); /* manager + 3 live members */
	finish(&m[0]);
	finish(&m[1]);
	finish(&m[3]);
	m[2].n = 0;
	m[2].ids = NULL;
	owners(m, 4, owner, 1000, 3000);
	for (uint32_t id = 1000; id < 3000; id++) {
		if (owner[id] < 0)
			fail_msg("packet %u lost after the kill / the join", id);
		if (id >= 2000 && owner[id] == 3)
			got3++;
	}
	printf("  new member took %u of 1000 packets\n", got3);
	assert_true(got3 > 200 && got3 < 480);
	for (int k = 0; k < 4; k++)
		release(&m[k]);
	free(info);
	pfq_close(mgr);
}

/* ---- forwarding and the host stack (the group's TC program) ---- */

/* UDP datagrams waiting on a socket */
static int drain_udp(int fd)
{
	char buf[2048];
	int n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

/* n frames from a0 to b0's own MAC and 192.168.77.2, UDP to dport */
static void send_to_host(const uint8_t *mac, uint16_t dport, int n)
{
	int fd = th_sender(&th, "a0", 0);
	uint8_t buf[1600];
	struct pkt_spec s;

	assert_true(fd >= 0);
	for (int i = 0; i < n; i++) {
		pkt_spec_udp4(&s, "192.168.77.1", "192.168.77.2", (uint16_t)(2000 + i), dport, 80);
		memcpy(s.dst_mac, mac, 6);
		s.ttl = MARK_TTL;
		size_t len = pkt_build(&s, buf, sizeof(buf));

		assert_int_equal(sender_send(fd, buf, len), 0);
	}
	close(fd);
	usleep(200000);
}

static void test_forward_and_kernel(void **s)
{
	int gid = next_gid++, h, u7000, u7001, cap_h;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct ifreq ifr;
	uint8_t mac[6];
	pfq_t *mgr, *cap;
	struct pfq_stats st;
	struct got *got = calloc(1, sizeof(*got));

	(void)s;
	assert_int_equal(th_exec(&th, 'b', "ip addr add 192.168.77.2/24 dev b0"), 0);
	h = th_enter(&th, 'b');
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
	send_to_host(mac, 7000, 20);
	send_to_host(mac, 7001, 20);
	assert_int_equal(drain_udp(u7000), 20);
	assert_int_equal(drain_udp(u7001), 20);

	/* kernel_if: only port 7000 reaches the stack; every packet is also
	 * forwarded out of b1 (seen on a1) */
	h = th_enter(&th, 'b');
	mgr = pfq_open_nogroup(64, 64, 0, 0);
	th_leave(h);
	cap_h = th_enter(&th, 'a');
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
	send_to_host(mac, 7000, 30);
	send_to_host(mac, 7001, 30);
	assert_int_equal(drain_udp(u7000), 30);
	assert_int_equal(drain_udp(u7001), 0);
	for (int i = 0; i < 20; i++)
		pfq_dispatch(cap, on_pkt, 20000, got);
	assert_int_equal(got->n, 60); /* the copies sent out of b1 */
	assert_int_equal(pfq_get_group_stats(mgr, gid, &st), 0);
	printf("  group stats: frwd %llu kern %llu\n", (unsigned long long)st.frwd,
	       (unsigned long long)st.kern);
	assert_int_equal(st.frwd, 60);
	assert_int_equal(st.kern, 30);
	/* a computation without such actions takes the TC program away */
	OK(mgr, pfq_set_group_computation_from_string(mgr, gid, "steer_flow"));
	send_to_host(mac, 7001, 10);
	assert_int_equal(drain_udp(u7001), 10);
	/* and so does the end of the group */
	OK(mgr, pfq_set_group_computation_from_string(mgr, gid, "detour"));
	send_to_host(mac, 7001, 10);
	send_to_host(mac, 7000, 10);
	assert_int_equal(drain_udp(u7001), 10);
	assert_int_equal(drain_udp(u7000), 10);
	/* a computation that decides for the stack decides for every packet:
	 * what it does not pass is taken away */
	OK(mgr, pfq_set_group_computation_from_string(mgr, gid, "detour_if is_tcp"));
	send_to_host(mac, 7001, 10);
	assert_int_equal(drain_udp(u7001), 0);
	pfq_close(mgr);
	send_to_host(mac, 7001, 10);
	assert_int_equal(drain_udp(u7001), 10);
	/* a device that does not exist is refused at compile time */
	h = th_enter(&th, 'b');
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
	th_exec(&th, 'b', "ip addr del 192.168.77.2/24 dev b0");
}

/* ---- policies across processes ---- */

static void holder_main(int ctl, int res, int policy, int gid)
{
	int h = th_enter(&th, 'b');
	pfq_t *q = pfq_open_nogroup(64, 64, 0, 0);
	char c;

	th_leave(h);
	if (!q || pfq_join_group(q, gid, PFQ_CLASS_DEFAULT, policy) != gid)
		_exit(2);
	write_all(res, "R", 1);
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
			child_init(), holder_main(ctl[i][0], res[i][1], pols[i], gids[i]);
		assert_int_equal(read_all(res[i][0], &c, 1), 0);
	}
	h = th_enter(&th, 'b');
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
	int held = next_gid++, found = -1, n;

	assert_int_equal(pfq_join_group(q2, held, PFQ_CLASS_DEFAULT, PFQ_POLICY_UNDEFINED), held);
	assert_int_equal(pfq_group_id(q2), -1);
	n = groups_in_b(info);
	for (int i = 0; i < n; i++)
		if (info[i].gid == held)
			found = info[i].nmembers;
	assert_int_equal(found, 0);
	assert_int_equal(pfq_leave_group(q2, held), 0);
	found = -1;
	n = groups_in_b(info);
	for (int i = 0; i < n; i++)
		if (info[i].gid == held)
			found = info[i].nmembers;
	assert_int_equal(found, -1);
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
	pfq_t *mgr = manager(gid, "ip >-> steer_flow");
	struct pfq_group_info *info = calloc(PFQ_MAX_GROUPS, sizeof(*info));
	pid_t pids[N];
	int st, n, members = -1, bad = 0;

	(void)s;
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			child_init();
			int h = th_enter(&th, 'b');
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
	n = groups_in_b(info);
	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		if (info[i].gid == gid)
			members = info[i].nmembers;
	/* only the manager is left */
	assert_int_equal(members, 1);
	free(info);
	pfq_close(mgr);
	/* and with it the group */
	n = groups_in_b(info = calloc(PFQ_MAX_GROUPS, sizeof(*info)));
	for (int i = 0; i < n; i++)
		assert_int_not_equal(info[i].gid, gid);
	free(info);
}

static int setup(void **s)
{
	(void)s;
	return th_create(&th, 2, 1);
}

static int teardown(void **s)
{
	(void)s;
	th_destroy(&th);
	return 0;
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
		cmocka_unit_test(test_kill_and_join),
		cmocka_unit_test(test_forward_and_kernel),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_many_processes),
	};
	char dir[] = "/tmp/pfq-groups-XXXXXX";

	if (test_registry_enter(dir) < 0)
		return 1;
	if (getenv("PFQ_TEST_FILTER"))
		cmocka_set_test_filter(getenv("PFQ_TEST_FILTER"));
	return test_registry_leave(dir, cmocka_run_group_tests(tests, setup, teardown));
}
