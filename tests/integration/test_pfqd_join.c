/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The unprivileged join through pfqd (pfq_join_pfqd): members are forked
 * processes that drop to users of no privilege (numeric ids, no accounts
 * needed) before asking pfqd for a member of its group. Permitted by
 * allow_users or allow_groups they read their share; others are refused;
 * pfqd ends a member when its client dies (its share moves), when a reload
 * takes the permission away and when pfqd stops (the client's read says
 * so).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "grouptest.h"
#include "pfqdtest.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534
#define FRIEND 4243       /* not listed itself, in the listed group */
#define FRIENDS_GROUP 4242
#define STRANGER 4244

static const char group30[] = "[group 30]\ninput = b0, b1\ncomputation = ip >-> steer_flow\n"
			      "allow_users = 65534\nallow_groups = 4242\n";

static struct gt_member_cfg through_pfqd(int gid, uid_t uid, gid_t ugid, gid_t sgid)
{
	return (struct gt_member_cfg){ .gid = gid, .class_mask = PFQ_CLASS_DEFAULT,
				       .pfqd = ctl_path, .uid = uid, .ugid = ugid, .sgid = sgid };
}

/* pfqd's group 30: how many members (pfqd's own included) */
static int members_of(int gid)
{
	json_t *st = ctl("{\"cmd\":\"status\"}");
	int n = (int)json_array_size(json_object_get(status_group(st, gid), "members"));

	json_decref(st);
	return n;
}

static void wait_members(int gid, int n)
{
	for (int i = 0; i < 100 && members_of(gid) != n; i++)
		usleep(20000);
	assert_int_equal(members_of(gid), n);
}

/* run fn(arg, out, n) in a child that became user uid (and its group
 * uid); what it wrote into out (n bytes at most 512) comes back */
static void as_user(uid_t uid, void (*fn)(const void *arg, char *out, size_t n),
		    const void *arg, char *out, size_t n)
{
	char buf[512] = "";
	int p[2], st;
	pid_t pid;

	assert_true(n <= sizeof(buf));
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
			_exit(5);
		fn(arg, buf, n);
		gt_write_all(p[1], buf, n);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(gt_read_all(p[0], out, n), 0);
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

struct join_arg {
	int gid;
	const struct pfq_pfqd_opts *o;
};

/* "errno message" of a join (errno 0: joined) */
static void join(const void *arg, char *out, size_t n)
{
	const struct join_arg *a = arg;
	pfq_t *q = pfq_join_pfqd(a->gid, a->o);

	snprintf(out, n, "%d %s", q ? 0 : errno, q ? "" : pfq_error(NULL));
}

/* what a join as uid says: its errno (0: joined), its message in msg */
static int join_as(uid_t uid, int gid, const struct pfq_pfqd_opts *o, char *msg, size_t n)
{
	struct join_arg a = { gid, o };
	char buf[512];
	const char *sp;

	as_user(uid, join, &a, buf, sizeof(buf));
	sp = strchr(buf, ' ');
	snprintf(msg, n, "%s", sp ? sp + 1 : "");
	return atoi(buf);
}

/* how many of 12 connections to the control socket pfqd keeps */
static void connections(const void *arg, char *out, size_t n)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fds[12], kept = 0;

	(void)arg;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", ctl_path);
	for (int i = 0; i < 12; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof(a)) < 0)
			_exit(6);
	}
	usleep(200000);
	for (int i = 0; i < 12; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };

		kept += poll(&p, 1, 0) == 0; /* closed: readable (end of file) */
	}
	snprintf(out, n, "%d", kept);
}

/* pfqd's error to a reload ("" when it is done) */
static void reload(const void *arg, char *out, size_t n)
{
	json_t *j = ctl("{\"cmd\":\"reload\"}");

	(void)arg;
	snprintf(out, n, "%s", ok_of(j) ? "" : json_string_value(json_object_get(j, "error")));
	json_decref(j);
}

static const char *reload_as(uid_t uid)
{
	static char err[256];

	as_user(uid, reload, NULL, err, sizeof(err));
	return err;
}

/* pfqd with group30, and two members through it: nobody (allow_users)
 * and FRIEND (allow_groups); pfqd's pid */
static pid_t start_with_two(struct gt_member m[2])
{
	struct gt_member_cfg a = through_pfqd(30, NOBODY, NOBODY, 0),
			     b = through_pfqd(30, FRIEND, FRIEND, FRIENDS_GROUP);
	pid_t pid;

	write_conf(group30);
	pid = pfqd_start();
	gt_spawn(&m[0], &a);
	gt_spawn(&m[1], &b);
	assert_int_equal(m[0].join_err, 0);
	assert_int_equal(m[1].join_err, 0);
	wait_members(30, 3);
	return pid;
}

/* two users, one listed by name (number), one by its group, share the
 * flows; each flow reaches one of them */
static void test_share(void **s)
{
	static int owner[GT_MAX_IDS];
	struct gt_member m[2];
	uint32_t count[2] = { 0 };
	pid_t pid;

	(void)s;
	pid = start_with_two(m);
	gt_send_ids(0, 2000, -1);
	usleep(300000);
	gt_finish(&m[0]);
	gt_finish(&m[1]);
	gt_owners(m, 2, owner, 0, 2000);
	for (uint32_t id = 0; id < 2000; id++) {
		if (owner[id] < 0)
			fail_msg("packet %u received by no member", id);
		if (id % 2 && owner[id] != owner[id - 1])
			fail_msg("flow %u split between the members", id / 2);
		count[owner[id]]++;
	}
	printf("  members: %u and %u packets\n", count[0], count[1]);
	assert_true(count[0] > 600 && count[1] > 600);
	assert_int_equal(m[0].read_err, 0);
	/* closed by their clients: pfqd ended them */
	wait_members(30, 1);
	gt_release(&m[0]);
	gt_release(&m[1]);
	pfqd_stop(pid);
	assert_false(group_exists(30));
}

/* who is refused, and why */
static void test_refused(void **s)
{
	struct pfq_pfqd_opts o = PFQ_PFQD_OPTS(.control = ctl_path);
	char msg[512], missing[160];
	pid_t pid;

	(void)s;
	write_conf(group30);
	pid = pfqd_start();
	assert_int_equal(join_as(STRANGER, 30, &o, msg, sizeof(msg)), EACCES);
	if (!strstr(msg, "not permitted by pfqd: user '?' (uid 4244) is not in group 30's "
			 "allow_users"))
		fail_msg("refusal: %s", msg);
	assert_int_equal(join_as(NOBODY, 31, &o, msg, sizeof(msg)), ENODEV);
	assert_non_null(strstr(msg, "group 31 is not one of pfqd's"));
	o.devices = "b0:b2";
	assert_int_equal(join_as(NOBODY, 30, &o, msg, sizeof(msg)), ENODEV);
	assert_non_null(strstr(msg, "b2 is not an input of group 30"));
	o.devices = "b1:b0";
	o.computation = "  ip\n>->   steer_flow ";
	assert_int_equal(join_as(NOBODY, 30, &o, msg, sizeof(msg)), 0);
	o.computation = "steer_flow";
	assert_int_equal(join_as(NOBODY, 30, &o, msg, sizeof(msg)), EINVAL);
	assert_non_null(strstr(msg, "group 30 runs 'ip >-> steer_flow'"));
	o.computation = NULL;
	o.caplen = PFQ_CAPLEN_MAX + 1;
	assert_int_equal(join_as(NOBODY, 30, &o, msg, sizeof(msg)), EINVAL);
	o.caplen = 0;
	o.class_mask = 1ull << 63;
	assert_int_equal(join_as(NOBODY, 30, &o, msg, sizeof(msg)), EINVAL);
	/* no pfqd there */
	snprintf(missing, sizeof(missing), "%s/none", dir);
	o = PFQ_PFQD_OPTS(.control = missing);
	assert_int_equal(join_as(NOBODY, 30, &o, msg, sizeof(msg)), ENOENT);
	assert_non_null(strstr(msg, "no pfqd listens on"));
	/* one user cannot take every place on the control socket */
	{
		char kept[16];
		json_t *j;

		as_user(STRANGER, connections, NULL, kept, sizeof(kept));
		assert_string_equal(kept, "8");
		j = ctl("{\"cmd\":\"status\"}");
		assert_true(ok_of(j));
		json_decref(j);
	}
	/* every refused or finished join left nothing */
	wait_members(30, 1);
	pfqd_stop(pid);
}

/* kill -9 of a client: its share moves to the other within 1 s */
static void test_client_killed(void **s)
{
	static int owner[GT_MAX_IDS];
	struct gt_member m[2];
	int st;
	pid_t pid;

	(void)s;
	pid = start_with_two(m);
	gt_send_ids(0, 1000, -1);
	kill(m[1].pid, SIGKILL);
	waitpid(m[1].pid, &st, 0);
	usleep(1000000);
	assert_int_equal(members_of(30), 2);
	gt_send_ids(1000, 3000, -1);
	usleep(300000);
	gt_finish(&m[0]);
	gt_owners(m, 1, owner, 1000, 3000);
	for (uint32_t id = 1000; id < 3000; id++)
		if (owner[id] != 0)
			fail_msg("packet %u, after the kill, not with the survivor", id);
	gt_release(&m[0]);
	close(m[1].ctl);
	close(m[1].res);
	wait_members(30, 1);
	pfqd_stop(pid);
}

/* a reload that takes the permission away ends the member (the client's
 * read says so); pfqd's stop ends the others */
static void test_revoked(void **s)
{
	struct gt_member m[2];
	json_t *j;
	pid_t pid;

	(void)s;
	pid = start_with_two(m);
	/* only root or pfqd's user may reload */
	assert_string_equal(reload_as(NOBODY), "reload: only root or pfqd's own user may reload");
	write_conf("[group 30]\ninput = b0, b1\ncomputation = ip >-> steer_flow\n"
		   "allow_users = 65534\n");
	j = ctl("{\"cmd\":\"reload\"}");
	assert_true(ok_of(j));
	json_decref(j);
	wait_members(30, 2);
	gt_send_ids(0, 1000, -1);
	usleep(300000);
	pfqd_stop(pid);
	usleep(100000);
	gt_finish(&m[0]);
	gt_finish(&m[1]);
	/* the permitted one had everything, then pfqd stopped */
	assert_int_equal(m[0].n, 1000);
	assert_int_equal(m[0].read_err, -ENOTCONN);
	assert_int_equal(m[1].n, 0);
	assert_int_equal(m[1].read_err, -ENOTCONN);
	gt_release(&m[0]);
	gt_release(&m[1]);
	for (int i = 0; i < 50 && group_exists(30); i++)
		usleep(20000);
	assert_false(group_exists(30));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_share, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_refused, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_client_killed, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_revoked, pt_setup, pt_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return gt_run("pfqd_join", tests, sizeof(tests) / sizeof(tests[0]));
}
