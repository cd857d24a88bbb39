/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfqd on a test host (tests/lib/pfqdtest.h): creating, reloading,
 * releasing and adopting groups; members are forked processes joining its
 * groups themselves (test_pfqd_join.c: through pfqd, without privileges).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "grouptest.h"
#include "pfqdtest.h"
#include "sender.h"
#include "testhost.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct gt_member_cfg member(int gid)
{
	return (struct gt_member_cfg){ gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED };
}

/* every id in [first, last) received once by m[0..n-1] (owner filled) */
static void all_once(struct gt_member *m, int n, int *owner, uint32_t first, uint32_t last)
{
	gt_owners(m, n, owner, first, last);
	for (uint32_t id = first; id < last; id++)
		if (owner[id] < 0)
			fail_msg("packet %u received by no member", id);
}

/* ---- tests ---- */

/* pfqd's group splits the flows between two members */
static void test_steer(void **s)
{
	static int owner[GT_MAX_IDS];
	struct gt_member m[2];
	struct gt_member_cfg cfg = member(10);
	uint32_t count[2] = { 0 };
	pid_t pid;

	(void)s;
	write_conf("[group 10]\ninput = b0, b1\ncomputation = ip >-> steer_flow\n");
	pid = pfqd_start();
	assert_true(group_exists(10));
	gt_spawn(&m[0], &cfg);
	gt_spawn(&m[1], &cfg);
	assert_int_equal(m[0].join_err, 0);
	assert_int_equal(m[1].join_err, 0);
	gt_send_ids(0, 2000, -1);
	usleep(300000);
	gt_finish(&m[0]);
	gt_finish(&m[1]);
	all_once(m, 2, owner, 0, 2000);
	for (uint32_t id = 0; id < 2000; id++) {
		if (id % 2 && owner[id] != owner[id - 1])
			fail_msg("flow %u split between the members", id / 2);
		count[owner[id]]++;
	}
	printf("  members: %u and %u packets\n", count[0], count[1]);
	assert_true(count[0] > 600 && count[1] > 600);
	gt_release(&m[0]);
	gt_release(&m[1]);
	pfqd_stop(pid);
	assert_false(group_exists(10));
}

/* SIGHUP: group 20 unchanged (its member loses nothing while pfqd
 * reloads), 21 changed in place on the same socket (filter udp -> tcp,
 * input b1 dropped, a computation and a VLAN filter added), 22 removed, 23
 * added */
static void test_reload(void **s)
{
	static int owner[GT_MAX_IDS];
	struct gt_member a, b;
	struct gt_member_cfg ca = member(20), cb = member(21);
	json_int_t sock20, sock21;
	json_t *st;
	pid_t pid;

	(void)s;
	write_conf("[group 20]\ninput = b0, b1\n"
		   "[group 21]\ninput = b0, b1\nfilter = udp\n"
		   "[group 22]\ninput = b0\n");
	pid = pfqd_start();
	sock20 = socket_of(20);
	sock21 = socket_of(21);
	gt_spawn(&a, &ca);
	gt_spawn(&b, &cb);
	gt_send_ids(0, 1000, -1);
	usleep(200000);
	write_conf("[group 20]\ninput = b1, b0 ; the same, written otherwise\n"
		   "[group 21]\ninput = b0\nfilter = tcp\ncomputation = ip >-> steer_flow\n"
		   "vlan = untagged\n"
		   "[group 23]\ninput = b1\ncomputation = steer_flow\n");
	drain_notify();
	assert_int_equal(kill(pid, SIGHUP), 0);
	/* traffic while pfqd reloads */
	gt_send_ids(1000, 2000, -1);
	wait_notify("RELOADING=1", 5000);
	wait_notify("READY=1", 20000);
	usleep(200000);
	gt_send_ids(2000, 3000, -1);
	usleep(300000);
	gt_finish(&a);
	gt_finish(&b);
	/* the unchanged group: everything */
	all_once(&a, 1, owner, 0, 3000);
	/* the changed one: UDP before; after, TCP and only what comes in on b0
	 * (even ids) */
	gt_owners(&b, 1, owner, 0, 3000);
	for (uint32_t id = 0; id < 3000; id++) {
		bool want = id < 1000 ? !gt_is_tcp_id(id) : gt_is_tcp_id(id) && id % 2 == 0;

		if (id >= 1000 && id < 2000)
			continue; /* (sent while it changed) */
		if ((owner[id] == 0) != want)
			fail_msg("group 21: packet %u (%s) %s", id, gt_is_tcp_id(id) ? "tcp" : "udp",
				 want ? "missing" : "received");
	}
	/* in place: the same sockets */
	assert_int_equal(socket_of(20), sock20);
	assert_int_equal(socket_of(21), sock21);
	st = ctl("{\"cmd\":\"status\"}");
	assert_non_null(status_group(st, 23));
	assert_null(status_group(st, 22));
	assert_string_equal(json_string_value(json_object_get(status_group(st, 21), "filter")),
			    "tcp");
	assert_int_equal(json_array_size(json_object_get(status_group(st, 21), "inputs")), 1);
	assert_true(json_is_true(json_object_get(status_group(st, 21), "vlan_filters")));
	assert_int_equal(json_integer_value(json_object_get(st, "reloads")), 1);
	json_decref(st);
	assert_false(group_exists(22));
	assert_true(group_exists(23));
	gt_release(&a);
	gt_release(&b);
	pfqd_stop(pid);
}

/* a bad file is refused (SIGHUP and the reload command) and the running
 * configuration stays */
static void test_bad_reload(void **s)
{
	static int owner[GT_MAX_IDS];
	struct gt_member m;
	struct gt_member_cfg cfg = member(30);
	char want[256];
	json_t *r, *st;
	pid_t pid;

	(void)s;
	write_conf("[group 30]\ninput = b0, b1\ncomputation = ip >-> steer_flow\n");
	pid = pfqd_start();
	gt_spawn(&m, &cfg);
	write_conf("[group 30]\ninput = b0, b1\ncomputation = ip >-> steer_flwo\n");
	assert_int_equal(kill(pid, SIGHUP), 0);
	r = ctl("{\"cmd\":\"reload\"}"); /* (answered after the SIGHUP's reload) */
	assert_false(ok_of(r));
	assert_true(json_is_true(json_object_get(r, "refused")));
	snprintf(want, sizeof(want), "%s:7:22: group 30: computation: unknown function "
		 "'steer_flwo'", conf_path);
	if (!strstr(json_string_value(json_object_get(r, "error")), want))
		fail_msg("reload error: %s\nwanted: %s", json_string_value(json_object_get(r, "error")),
			 want);
	json_decref(r);
	assert_int_equal(kill(pid, 0), 0);
	gt_send_ids(0, 1000, -1);
	usleep(300000);
	gt_finish(&m);
	all_once(&m, 1, owner, 0, 1000);
	st = ctl("{\"cmd\":\"status\"}");
	assert_string_equal(json_string_value(json_object_get(status_group(st, 30), "computation")),
			    "ip >-> steer_flow");
	assert_int_equal(json_integer_value(json_object_get(st, "reloads")), 0);
	json_decref(st);
	gt_release(&m);
	pfqd_stop(pid);
}

/* ---- kernel objects ---- */

#define MAX_HELD 256

/* the BPF maps and programs process pid holds (ids, from fdinfo): maps
 * in ids[0..], programs tagged with bit 31 */
static int held_objects(pid_t pid, uint32_t *ids, int max)
{
	char path[64], line[128];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) && n < max) {
		char p2[64 + sizeof(e->d_name)];
		FILE *f;
		unsigned v;

		snprintf(p2, sizeof(p2), "%s/%s", path, e->d_name);
		f = fopen(p2, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f) && n < max) {
			if (sscanf(line, "map_id: %u", &v) == 1)
				ids[n++] = v;
			else if (sscanf(line, "prog_id: %u", &v) == 1)
				ids[n++] = v | 1u << 31;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* does the object exist? Asked without opening it: a descriptor made from
 * the id of a program array the kernel is still clearing keeps it for good
 * (docs/design.md, the vault) */
static bool exists(uint32_t tagged)
{
	uint32_t id = tagged & ~(1u << 31), next = 0;
	int rc = tagged >> 31 ? bpf_prog_get_next_id(id - 1, &next) :
				bpf_map_get_next_id(id - 1, &next);

	return rc == 0 && next == id;
}

/* how many of them still exist */
static int still_there(const uint32_t *ids, int n)
{
	int left = 0;

	for (int i = 0; i < n; i++)
		left += exists(ids[i]);
	return left;
}

/* on failure: which are left, and who holds them */
static void say_held(const uint32_t *ids, int n)
{
	for (int i = 0; i < n; i++) {
		bool prog = ids[i] >> 31;
		uint32_t id = ids[i] & ~(1u << 31);
		int fd = prog ? bpf_prog_get_fd_by_id(id) : bpf_map_get_fd_by_id(id);
		struct bpf_prog_info pi = { 0 };
		struct bpf_map_info mi = { 0 };
		uint32_t len = prog ? sizeof(pi) : sizeof(mi);
		char cmd[256];

		if (fd < 0)
			continue;
		bpf_obj_get_info_by_fd(fd, prog ? (void *)&pi : (void *)&mi, &len);
		close(fd);
		printf("  left: %s %u %s\n", prog ? "prog" : "map", id, prog ? pi.name : mi.name);
		snprintf(cmd, sizeof(cmd), "grep -l '^%s_id:[[:space:]]*%u$' /proc/[0-9]*/fdinfo/* "
			 "2>/dev/null | head -3 | while read f; do p=${f#/proc/}; p=${p%%%%/*}; "
			 "echo \"    held by $p: $(tr '\\0' ' ' </proc/$p/cmdline)\"; done",
			 prog ? "prog" : "map", id);
		(void)!system(cmd);
	}
}

/* SIGTERM releases everything: no group in the registry, none of the BPF
 * maps and programs pfqd held, no TC program, no control socket */
static void test_sigterm(void **s)
{
	struct gt_member m;
	struct gt_member_cfg cfg = member(40);
	uint32_t ids[MAX_HELD];
	struct stat sb;
	int n, left = -1;
	pid_t pid;

	(void)s;
	write_conf("[group 40]\ninput = b0, b1\ncomputation = ip >-> steer_flow\nfilter = udp\n"
		   "vlan = untagged, 7\n"
		   "[group 41]\ninput = b0\ncomputation = forward \"b1\"\n");
	pid = pfqd_start();
	gt_spawn(&m, &cfg);
	gt_send_ids(0, 200, -1);
	gt_finish(&m);
	gt_release(&m);
	n = held_objects(pid, ids, MAX_HELD);
	printf("  pfqd holds %d BPF maps and programs\n", n);
	assert_true(n > 0);
	assert_int_equal(gt_tc_programs("b0"), 1);
	pfqd_stop(pid);
	assert_false(group_exists(40));
	assert_false(group_exists(41));
	assert_int_equal(stat(ctl_path, &sb), -1);
	assert_int_equal(gt_tc_programs("b0"), 0);
	/* (the kernel frees them after a grace period) */
	for (int i = 0; i < 150 && left != 0; i++) {
		left = still_there(ids, n);
		if (left)
			usleep(20000);
	}
	if (left)
		say_held(ids, n);
	assert_int_equal(left, 0);
}

/* kill -9 of pfqd: the members keep the group and keep receiving; a
 * restarted pfqd adopts it without moving a flow */
static void test_kill_restart(void **s)
{
	static int owner[GT_MAX_IDS];
	struct gt_member m[2];
	struct gt_member_cfg cfg = member(50);
	uint32_t nflows = 250;
	int st;
	json_t *j;
	pid_t pid;

	(void)s;
	write_conf("[group 50]\ninput = b0, b1\ncomputation = ip >-> steer_flow\n");
	pid = pfqd_start();
	gt_spawn(&m[0], &cfg);
	gt_spawn(&m[1], &cfg);
	gt_nflows = nflows; /* each phase sends the same flows */
	gt_send_ids(0, 2 * nflows, -1);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	usleep(300000);
	gt_send_ids(2 * nflows, 4 * nflows, -1);
	pid = pfqd_start();
	/* the members are there, and pfqd again */
	j = ctl("{\"cmd\":\"status\"}");
	{
		json_t *mem;
		size_t i;
		int seen = 0;

		json_array_foreach(json_object_get(status_group(j, 50), "members"), i, mem) {
			json_int_t p = json_integer_value(json_object_get(mem, "pid"));

			seen |= (p == m[0].pid) | (p == m[1].pid) << 1 | (p == pid) << 2;
		}
		assert_int_equal(seen, 7);
	}
	json_decref(j);
	gt_send_ids(4 * nflows, 6 * nflows, -1);
	usleep(300000);
	gt_finish(&m[0]);
	gt_finish(&m[1]);
	gt_nflows = 0;
	all_once(m, 2, owner, 0, 6 * nflows);
	for (uint32_t id = 0; id < 6 * nflows; id++)
		if (owner[id] != owner[id % (2 * nflows) / 2 * 2])
			fail_msg("flow %u moved: packet %u to member %d, first to %d",
				 id % (2 * nflows) / 2, id, owner[id], owner[id % (2 * nflows) / 2 * 2]);
	gt_release(&m[0]);
	gt_release(&m[1]);
	pfqd_stop(pid);
	assert_false(group_exists(50));
}

/* the control socket: commands in JSON, and what it does with garbage */
/* the answers (lines) fd has now, read without waiting */
static int lines_ready(int fd)
{
	char buf[1 << 16];
	int lines = 0;
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		for (ssize_t i = 0; i < r; i++)
			lines += buf[i] == '\n';
	return lines;
}

/* One client writes 200 status requests at once: another client is
 * answered, and so are all 200 (that the other is not kept waiting for
 * them is unit_pfqd_server's: a batch per round) */
static void burst_then_status(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	static char burst[200 * 18 + 1];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), got;
	json_t *j;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", ctl_path);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	for (int k = 0; k < 200; k++)
		strcat(burst, "{\"cmd\":\"status\"}\n");
	assert_int_equal(write(fd, burst, strlen(burst)), (ssize_t)strlen(burst));
	usleep(20000);
	j = ctl("{\"cmd\":\"status\"}");
	assert_true(ok_of(j));
	json_decref(j);
	got = lines_ready(fd);
	printf("  burst of 200: %d answered when another client's was\n", got);
	for (int t = 0; t < 100 && got < 200; t++) {
		usleep(50000);
		got += lines_ready(fd);
	}
	assert_int_equal(got, 200);
	close(fd);
}

static void test_control(void **s)
{
	struct gt_member m;
	struct gt_member_cfg cfg = member(60);
	json_t *j, *g, *mem;
	json_int_t udp = 0;
	bool found = false;
	size_t i;
	pid_t pid;

	(void)s;
	write_conf("[group 60]\ninput = b0, b1\n"
		   "computation = when is_udp (inc 3) >-> steer_flow\nvlan = untagged\n"
		   "allow_users = root\n");
	pid = pfqd_start();
	gt_spawn(&m, &cfg);
	gt_send_ids(0, 600, -1);
	usleep(300000);
	for (uint32_t id = 0; id < 600; id++)
		udp += !gt_is_tcp_id(id);

	j = ctl("{\"cmd\":\"status\"}");
	assert_true(ok_of(j));
	assert_int_equal(json_integer_value(json_object_get(j, "pid")), pid);
	assert_string_equal(json_string_value(json_object_get(j, "config")), conf_path);
	assert_true(json_is_integer(json_object_get(j, "uptime")));
	g = status_group(j, 60);
	assert_non_null(g);
	assert_string_equal(json_string_value(json_object_get(g, "policy")), "shared");
	assert_int_equal(json_array_size(json_object_get(g, "inputs")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(g, "allow_users"), 0)),
			    "root");
	json_array_foreach(json_object_get(g, "members"), i, mem)
		if (json_integer_value(json_object_get(mem, "pid")) == m.pid) {
			found = true;
			assert_true(json_is_true(json_object_get(mem, "active")));
		}
	assert_true(found);
	json_decref(j);

	j = ctl("{\"cmd\":\"stats\",\"gid\":60}");
	assert_true(ok_of(j));
	assert_true(json_integer_value(json_object_get(json_object_get(j, "stats"), "recv")) >= 600);
	json_decref(j);
	j = ctl("{\"cmd\":\"counters\",\"gid\":60}");
	assert_true(ok_of(j));
	assert_int_equal(json_array_size(json_object_get(j, "counters")), 64);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "counters"), 3)), udp);
	json_decref(j);

	static const struct { const char *req, *err; } bad[] = {
		{ "{\"cmd\":\"stats\"}", "\"gid\": a group id (a number) is needed" },
		{ "{\"cmd\":\"stats\",\"gid\":61}", "group 61 is not one of pfqd's" },
		{ "{\"cmd\":\"counters\",\"gid\":\"60\"}", "\"gid\": a group id (a number) is needed" },
		{ "{\"cmd\":\"explode\"}", "unknown command 'explode' (status, stats, counters, reload, join)" },
		{ "[1, 2]", "expected an object with \"cmd\": status, stats, counters, reload or join" },
		{ "{\"cmd\":7}", "expected an object with \"cmd\": status, stats, counters, reload or join" },
		{ "garbage", "not JSON: *" },
		{ "{\"cmd\":\"status\"", "not JSON: *" },
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		const char *e;
		size_t n = strlen(bad[k].err);

		j = ctl(bad[k].req);
		e = json_string_value(json_object_get(j, "error"));
		assert_false(ok_of(j));
		assert_non_null(e);
		if (bad[k].err[n - 1] == '*' ? strncmp(e, bad[k].err, n - 1) : strcmp(e, bad[k].err))
			fail_msg("'%s': error '%s', wanted '%s'", bad[k].req, e, bad[k].err);
		json_decref(j);
	}
	/* a line too long, half a line, a client that never reads, too many
	 * clients: pfqd goes on answering */
	{
		static char big[20000];

		memset(big, 'x', sizeof(big) - 1);
		j = ctl(big);
		assert_false(ok_of(j));
		assert_true(!strncmp(json_string_value(json_object_get(j, "error")), "request longer",
				     14));
		json_decref(j);
	}
	{
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int fds[40];

		snprintf(a.sun_path, sizeof(a.sun_path), "%s", ctl_path);
		for (int k = 0; k < 40; k++) {
			fds[k] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			assert_true(fds[k] >= 0);
			if (connect(fds[k], (struct sockaddr *)&a, sizeof(a)) == 0 && k % 2)
				(void)!write(fds[k], "{\"cmd\":\"sta", 11);
		}
		usleep(100000);
		for (int k = 0; k < 40; k++)
			close(fds[k]);
		usleep(100000);
	}
	burst_then_status();
	j = ctl("{\"cmd\":\"status\"}");
	assert_true(ok_of(j));
	/* pfqd's own member: the control class, never a receiver */
	found = false;
	json_array_foreach(json_object_get(status_group(j, 60), "members"), i, mem)
		if (json_integer_value(json_object_get(mem, "pid")) == pid) {
			found = true;
			assert_string_equal(json_string_value(json_object_get(mem, "class_mask")),
					    "0x8000000000000000");
			assert_false(json_is_true(json_object_get(mem, "active")));
			assert_int_equal(json_integer_value(json_object_get(mem, "recv")), 0);
		}
	assert_true(found);
	json_decref(j);
	/* a reload through the control socket */
	write_conf("[group 60]\ninput = b0, b1\n"
		   "computation = when is_udp (inc 3) >-> steer_flow\nvlan = untagged\n"
		   "allow_users = root\n[group 62]\ninput = b1\n");
	j = ctl("{\"cmd\":\"reload\"}");
	assert_true(ok_of(j));
	assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "added"), 0)), 62);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "unchanged"), 0)), 60);
	assert_int_equal(json_array_size(json_object_get(j, "changed")), 0);
	json_decref(j);
	assert_true(group_exists(62));
	gt_finish(&m);
	gt_release(&m);
	pfqd_stop(pid);
}

/* what arrived on a1 (the far end of b1) since the socket was enabled */
static void drain(pfq_t *cap, struct gt_got *got, int rounds)
{
	for (int i = 0; i < rounds; i++)
		pfq_dispatch(cap, gt_on_pkt, 20000, got);
}

/* ids [first, last), even ones only (from a0: they arrive on b0); the
 * capture on a1 read on the way (its ring retires a block every 4 ms,
 * full or not) */
static void send_even(uint32_t first, uint32_t last, pfq_t *cap, struct gt_got *got)
{
	int fd = th_sender(&gt_th, "a0", 0);
	uint8_t buf[GT_FRAME_MAX];

	assert_true(fd >= 0);
	for (uint32_t id = first; id < last; id += 2) {
		assert_int_equal(sender_send(fd, buf, gt_flow_frame(id, -1, buf)), 0);
		if (id % 64 == 62) {
			usleep(2000);
			drain(cap, got, 1);
		}
	}
	close(fd);
}

/* an output (egress endpoint) shares the flows with a reader: its share
 * leaves by b1 and arrives on a1; a reload removes it and the reader gets
 * everything */
static void test_outputs(void **s)
{
	static int owner[GT_MAX_IDS];
	static struct gt_got out;
	struct gt_member m;
	struct gt_member_cfg cfg = member(12);
	uint32_t nflows = 200, nread = 0, nout = 0;
	json_int_t reader_lost = -1;
	int side[GT_MAX_IDS / 2];
	json_t *j;
	pfq_t *cap;
	pid_t pid;
	int h;

	(void)s;
	write_conf("[group 12]\ninput = b0\ncomputation = ip >-> steer_flow\n"
		   "output = b1 weight=1\n");
	pid = pfqd_start();
	gt_spawn(&m, &cfg);
	h = th_enter(&gt_th, 'a');
	cap = pfq_open(256, 8192, 0, 0);
	th_leave(h);
	assert_non_null(cap);
	OK(cap, pfq_bind(cap, "a1", PFQ_ANY_QUEUE));
	OK(cap, pfq_enable(cap));
	gt_nflows = nflows; /* each flow sent 5 times */
	send_even(0, 10 * nflows, cap, &out);
	usleep(300000);
	drain(cap, &out, 10);
	{
		json_t *mem;
		size_t i;

		j = ctl("{\"cmd\":\"status\"}");
		json_array_foreach(json_object_get(status_group(j, 12), "members"), i, mem)
			if (json_integer_value(json_object_get(mem, "pid")) == m.pid)
				reader_lost = json_integer_value(json_object_get(mem, "lost"));
		json_decref(j);
	}
	gt_finish(&m);
	gt_nflows = 0;
	gt_owners(&m, 1, owner, 0, 10 * nflows);
	for (uint32_t i = 0; i < out.n; i++) {
		uint32_t id = out.ids[i];

		if (id >= 10 * nflows || id % 2)
			continue;
		if (owner[id] == 0)
			fail_msg("packet %u both read and sent out", id);
		owner[id] = 1;
	}
	for (uint32_t f = 0; f < nflows; f++)
		side[f] = -1;
	{
		int missing = 0, first = -1;

		for (uint32_t id = 0; id < 10 * nflows; id += 2)
			if (owner[id] < 0 && missing++ == 0)
				first = (int)id;
		if (missing) {
			struct pfq_stats cs;

			j = ctl("{\"cmd\":\"stats\",\"gid\":12}");
			pfq_get_stats(cap, &cs);
			fail_msg("%d packets neither read nor sent out, the first %d (read %u, reader "
				 "lost %lld, out %u; group frwd %lld disc %lld; capture on a1 recv %llu "
				 "lost %llu)", missing, first, m.n, (long long)reader_lost, out.n,
				 json_integer_value(json_object_get(json_object_get(j, "stats"), "frwd")),
				 json_integer_value(json_object_get(json_object_get(j, "stats"), "disc")),
				 (unsigned long long)cs.recv, (unsigned long long)cs.lost);
		}
	}
	for (uint32_t id = 0; id < 10 * nflows; id += 2) {
		uint32_t f = id / 2 % nflows;

		if (side[f] >= 0 && side[f] != owner[id])
			fail_msg("flow %u split between the reader and the output", f);
		side[f] = owner[id];
		owner[id] ? nout++ : nread++;
	}
	printf("  reader %u, output %u packets\n", nread, nout);
	assert_true(nread > 0 && nout > 0);
	j = ctl("{\"cmd\":\"stats\",\"gid\":12}");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "stats"), "frwd")),
			 nout);
	json_decref(j);
	j = ctl("{\"cmd\":\"status\"}");
	assert_int_equal(json_array_size(json_object_get(status_group(j, 12), "outputs")), 1);
	json_decref(j);
	/* without the output, the reader gets everything */
	write_conf("[group 12]\ninput = b0\ncomputation = ip >-> steer_flow\n");
	j = ctl("{\"cmd\":\"reload\"}");
	assert_true(ok_of(j));
	assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "changed"), 0)), 12);
	json_decref(j);
	gt_release(&m);
	gt_spawn(&m, &cfg);
	out.n = 0;
	send_even(0, 400, cap, &out);
	usleep(300000);
	drain(cap, &out, 10);
	gt_finish(&m);
	gt_owners(&m, 1, owner, 0, 400);
	for (uint32_t id = 0; id < 400; id += 2)
		if (owner[id] != 0)
			fail_msg("packet %u not read after the output went", id);
	assert_int_equal(out.n, 0);
	gt_release(&m);
	pfq_close(cap);
	pfqd_stop(pid);
}

/* a restricted group takes pfqd's sockets only; a policy does not change
 * under a running group */
static void test_policy(void **s)
{
	struct gt_member m;
	struct gt_member_cfg cfg = member(63);
	json_t *j;
	pid_t pid;

	(void)s;
	write_conf("[group 63]\npolicy = restricted\ninput = b0\n");
	pid = pfqd_start();
	gt_spawn(&m, &cfg);
	assert_int_equal(m.join_err, EACCES);
	gt_finish(&m);
	write_conf("[group 63]\npolicy = shared\ninput = b0\n");
	j = ctl("{\"cmd\":\"reload\"}");
	assert_false(ok_of(j));
	assert_true(json_is_true(json_object_get(j, "refused")));
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")),
			       ":5:1: group 63: the policy cannot change while the group runs "
			       "(restricted now; remove the group, reload, then add it again)"));
	json_decref(j);
	j = ctl("{\"cmd\":\"status\"}");
	assert_string_equal(json_string_value(json_object_get(status_group(j, 63), "policy")),
			    "restricted");
	json_decref(j);
	pfqd_stop(pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_steer, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_reload, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_bad_reload, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_sigterm, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_kill_restart, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_control, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_policy, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_outputs, pt_setup, pt_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return gt_run("pfqd", tests, sizeof(tests) / sizeof(tests[0]));
}
