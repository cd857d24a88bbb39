/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "grouptest.h"

#include "pktgen.h"
#include "test_registry.h"
#include "sender.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct testhost gt_th;

static int gt_setup(void **s)
{
	(void)s;
	return th_create(&gt_th, 2, 1);
}

static int gt_teardown(void **s)
{
	(void)s;
	th_destroy(&gt_th);
	return 0;
}

int gt_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/pfq-%s-XXXXXX", name);
	if (test_registry_enter(dir) < 0)
		return 1;
	if (getenv("PFQ_TEST_FILTER"))
		cmocka_set_test_filter(getenv("PFQ_TEST_FILTER"));
	return test_registry_leave(dir, _cmocka_run_group_tests(name, tests, n, gt_setup,
								 gt_teardown));
}

/* children die with the test process */
void gt_child_init(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* ---- traffic ---- */

uint64_t gt_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint32_t gt_nflows;

uint32_t gt_flow_of(uint32_t id)
{
	return gt_nflows ? id / 2 % gt_nflows : id / 2;
}

/* packet id 2f (forward) or 2f+1 (reverse) of flow f: clients spread over
 * 10.0.0.0/8 with random ports, talking to a few servers on port 80 */
size_t gt_flow_frame(uint32_t id, int vlan, uint8_t *buf)
{
	uint32_t f = gt_flow_of(id);
	uint64_t r = gt_mix64(f);
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
	s.ttl = GT_MARK_TTL;
	s.ip_id = (uint16_t)id;
	s.vlan_outer = vlan;
	return pkt_build(&s, buf, GT_FRAME_MAX);
}

bool gt_is_tcp_id(uint32_t id)
{
	return gt_flow_of(id) % 2 == 1;
}

/* send the packets with ids [first, last) */
void gt_send_ids(uint32_t first, uint32_t last, int vlan)
{
	int fa = th_sender(&gt_th, "a0", 0), fb = th_sender(&gt_th, "b1", 0);
	uint8_t buf[1600];

	assert_true(fa >= 0 && fb >= 0);
	for (uint32_t id = first; id < last; id++) {
		size_t len = gt_flow_frame(id, vlan, buf);

		assert_int_equal(sender_send(id % 2 ? fb : fa, buf, len), 0);
		if (id % 256 == 255)
			usleep(2000); /* let the readers keep up */
	}
	close(fa);
	close(fb);
}

/* ---- members (child processes) ---- */




void gt_on_pkt(void *user, const struct pfq_pkthdr *h, const uint8_t *d)
{
	struct gt_got *g = user;
	size_t l3 = 14;

	if (h->caplen >= 18 && d[12] == 0x81 && d[13] == 0x00)
		l3 = 18;
	if (h->caplen < l3 + 20 || d[l3 - 2] != 0x08 || d[l3 - 1] != 0x00 ||
	    d[l3 + 8] != GT_MARK_TTL)
		return;
	if (g->n < GT_MAX_IDS)
		g->ids[g->n++] = (uint32_t)(d[l3 + 4] << 8 | d[l3 + 5]);
}

void gt_write_all(int fd, const void *p, size_t n)
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

int gt_read_all(int fd, void *p, size_t n)
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

static void join_failed(int res, int e)
{
	gt_write_all(res, "E", 1);
	gt_write_all(res, &e, sizeof(e));
	_exit(0);
}

/* a member pfqd makes, asked for without privileges */
static pfq_t *join_through_pfqd(const struct gt_member_cfg *cfg, int res)
{
	struct pfq_pfqd_opts o = PFQ_PFQD_OPTS(.control = cfg->pfqd,
					       .class_mask = cfg->class_mask, .caplen = 128,
					       .rx_slots = 8192);
	pfq_t *q;

	if (setgroups(cfg->sgid ? 1 : 0, &cfg->sgid) < 0 || setgid(cfg->ugid) < 0 ||
	    setuid(cfg->uid) < 0)
		_exit(5);
	gt_child_init(); /* (a change of credentials clears the death signal) */
	q = pfq_join_pfqd(cfg->gid, &o);
	if (!q) {
		fprintf(stderr, "member: join through pfqd: %s\n", pfq_error(NULL));
		join_failed(res, errno);
	}
	return q;
}

static pfq_t *join_directly(const struct gt_member_cfg *cfg, int res)
{
	int h = th_enter(&gt_th, 'b'), rc;
	pfq_t *q = pfq_open_nogroup(128, 8192, 0, 0);

	th_leave(h);
	if (!q)
		_exit(2);
	pfq_set_weight(q, cfg->weight ? cfg->weight : 1);
	rc = pfq_join_group(q, cfg->gid, cfg->class_mask, cfg->policy);
	if (rc < 0) {
		fprintf(stderr, "member: join: %s\n", pfq_error(q));
		join_failed(res, -rc);
	}
	if (pfq_enable(q) < 0) {
		fprintf(stderr, "member: enable: %s\n", pfq_error(q));
		_exit(4);
	}
	if (cfg->unprivileged && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
		_exit(5);
	gt_child_init(); /* (a change of credentials clears the death signal) */
	return q;
}

/* read: its error, kept (an ended member is not read in a busy loop) */
static void read_some(pfq_t *q, struct gt_got *got, int *err)
{
	int rc = pfq_dispatch(q, gt_on_pkt, 20000, got);

	if (rc < 0) {
		*err = rc;
		usleep(10000);
	}
}

void gt_member_main(const struct gt_member_cfg *cfg, int ctl, int res)
{
	static struct gt_got got;
	pfq_t *q = cfg->pfqd ? join_through_pfqd(cfg, res) : join_directly(cfg, res);
	int err = 0;
	char c;

	gt_write_all(res, "R", 1);
	fcntl(ctl, F_SETFL, O_NONBLOCK);
	for (;;) {
		read_some(q, &got, &err);
		if (read(ctl, &c, 1) == 1)
			break;
	}
	/* drain what is still on its way */
	for (int i = 0; i < 10; i++)
		read_some(q, &got, &err);
	gt_write_all(res, &got.n, sizeof(got.n));
	gt_write_all(res, got.ids, got.n * sizeof(uint32_t));
	gt_write_all(res, &err, sizeof(err));
	pfq_close(q);
	_exit(0);
}

void gt_spawn(struct gt_member *m, const struct gt_member_cfg *cfg)
{
	int ctl[2], res[2];
	char c;

	memset(m, 0, sizeof(*m));
	assert_int_equal(pipe(ctl), 0);
	assert_int_equal(pipe(res), 0);
	m->pid = fork();
	assert_true(m->pid >= 0);
	if (m->pid == 0) {
		gt_child_init();
		close(ctl[1]);
		close(res[0]);
		gt_member_main(cfg, ctl[0], res[1]);
	}
	close(ctl[0]);
	close(res[1]);
	m->ctl = ctl[1];
	m->res = res[0];
	assert_int_equal(gt_read_all(m->res, &c, 1), 0);
	if (c == 'E')
		assert_int_equal(gt_read_all(m->res, &m->join_err, sizeof(int)), 0);
}

/* stop a member and collect what it received */
void gt_finish(struct gt_member *m)
{
	int st;

	if (m->join_err) {
		waitpid(m->pid, &st, 0);
		return;
	}
	assert_int_equal(write(m->ctl, "S", 1), 1);
	assert_int_equal(gt_read_all(m->res, &m->n, sizeof(m->n)), 0);
	m->ids = calloc(m->n + 1, sizeof(uint32_t));
	assert_int_equal(gt_read_all(m->res, m->ids, m->n * sizeof(uint32_t)), 0);
	assert_int_equal(gt_read_all(m->res, &m->read_err, sizeof(int)), 0);
	waitpid(m->pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(m->ctl);
	close(m->res);
}

void gt_release(struct gt_member *m)
{
	free(m->ids);
	m->ids = NULL;
}

/* ---- the manager: a control-class socket of the test process ---- */

pfq_t *gt_manager(int gid, const char *computation)
{
	int h = th_enter(&gt_th, 'b');
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
void gt_owners(struct gt_member *m, int n, int *owner, uint32_t first, uint32_t last)
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

/* the groups of side B's namespace */
int gt_count_read(pfq_t *q, int want, int ms)
{
	struct pfq_net_queue nq;
	int got = 0;

	for (int t = 0; t < ms / 10 && got < want; t++) {
		int n = pfq_read(q, &nq, 10000);

		if (n < 0)
			fail_msg("pfq_read: %d: %s", n, pfq_error(q));
		got += n; /* (the batch's packet count) */
	}
	return got;
}

int gt_groups_in_b(struct pfq_group_info *info)
{
	int h = th_enter(&gt_th, 'b'), n;

	n = pfq_groups_info(info, PFQ_MAX_GROUPS, sizeof(info[0]));
	th_leave(h);
	return n;
}

/* UDP datagrams waiting on a socket */
int gt_drain_udp(int fd)
{
	char buf[2048];
	int n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

/* n frames from a0 to b0's own MAC and 192.168.77.2, UDP to dport */
void gt_send_to_host(const uint8_t *mac, uint16_t dport, int n)
{
	int fd = th_sender(&gt_th, "a0", 0);
	uint8_t buf[1600];
	struct pkt_spec s;

	assert_true(fd >= 0);
	for (int i = 0; i < n; i++) {
		pkt_spec_udp4(&s, "192.168.77.1", "192.168.77.2", (uint16_t)(2000 + i), dport, 80);
		memcpy(s.dst_mac, mac, 6);
		s.ttl = GT_MARK_TTL;
		size_t len = pkt_build(&s, buf, sizeof(buf));

		assert_int_equal(sender_send(fd, buf, len), 0);
	}
	close(fd);
	usleep(200000);
}


/* the highest id of the system's BPF programs or maps so far (ids grow:
 * the kernel hands them out cyclically over 2^31) */
static uint32_t last_id(int (*next)(uint32_t, uint32_t *))
{
	uint32_t id = 0, last = 0;

	while (next(id, &id) == 0)
		last = id;
	return last;
}

/* how many BPF programs or maps of ours (named pfq_...) with an id above
 * `after` the system has */
static int count_ours(int (*next)(uint32_t, uint32_t *), int (*get)(uint32_t), bool prog,
		      uint32_t after)
{
	uint32_t id = after;
	int n = 0;

	while (next(id, &id) == 0) {
		struct bpf_prog_info pi = { 0 };
		struct bpf_map_info mi = { 0 };
		uint32_t len = prog ? sizeof(pi) : sizeof(mi);
		int fd = get(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, prog ? (void *)&pi : (void *)&mi, &len) == 0 &&
		    !strncmp(prog ? pi.name : mi.name, "pfq_", 4))
			n++;
		close(fd);
	}
	return n;
}

void gt_mark_objects(struct gt_mark *m)
{
	m->prog = last_id(bpf_prog_get_next_id);
	m->map = last_id(bpf_map_get_next_id);
}

/* wait (up to 3 s) until no object above the mark has gone for 300 ms:
 * opening a program array by id while the kernel still clears the one its
 * last user closed keeps it for good (lib/core/group_kernel.c, map_by_id),
 * and the count below opens every object by id */
static void settle(const struct gt_mark *m)
{
	uint32_t before = 0;
	int quiet = 0;

	for (int i = 0; i < 60 && quiet < 6; i++) {
		uint32_t id = m->map, n = 0;

		while (bpf_map_get_next_id(id, &id) == 0)
			n++;
		id = m->prog;
		while (bpf_prog_get_next_id(id, &id) == 0)
			n++;
		quiet = n == before ? quiet + 1 : 0;
		before = n;
		usleep(50000);
	}
}

int gt_count_objects_since(const struct gt_mark *m)
{
	settle(m);
	return count_ours(bpf_prog_get_next_id, bpf_prog_get_fd_by_id, true, m->prog) +
	       count_ours(bpf_map_get_next_id, bpf_map_get_fd_by_id, false, m->map);
}

uint32_t gt_tc_programs(const char *dev)
{
	return th_tc_programs(&gt_th, dev);
}
