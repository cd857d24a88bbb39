/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The unprivileged join through pfqd (pfq_join_pfqd): members are forked
 * processes that drop to users of no privilege (numeric ids, no accounts
 * needed) before asking pfqd for a member of its group. Permitted by
 * allow_users or allow_groups they read their share; others are refused;
 * pfqd ends a member when its client dies (its share moves), when a reload
 * takes the permission away and when pfqd stops (the client's read says
 * so). The clients' counts, reported on their leases, are what pfqd and
 * pfq-stat show of their members.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "core/lease.h"
#include "grouptest.h"
#include "pfqdtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/if_ether.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534
#define FRIEND 4243       /* not listed itself, in the listed group */
#define FRIENDS_GROUP 4242
#define STRANGER 4244

static const char group30[] = "[group 30]\ninput = b0, b1\ncomputation = ip >-> steer_flow\n"
			      "allow_users = 65534\nallow_groups = 4242\n";
/* the same group for nobody and FRIEND by uid (the review's tests) */
static const char group30_two_users[] = "[group 30]\ninput = b0, b1\n"
					"computation = ip >-> steer_flow\n"
					"allow_users = 65534, 4243\n";

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

/* pfqd with group30 (and [pfqd] keys), and two members through it:
 * nobody (allow_users) and FRIEND (allow_groups); pfqd's pid */
static pid_t start_with_two(struct gt_member m[2], const char *keys)
{
	struct gt_member_cfg a = through_pfqd(30, NOBODY, NOBODY, 0),
			     b = through_pfqd(30, FRIEND, FRIEND, FRIENDS_GROUP);
	pid_t pid;

	write_conf_keys(keys, group30);
	pid = pfqd_start();
	gt_spawn(&m[0], &a);
	gt_spawn(&m[1], &b);
	assert_int_equal(m[0].join_err, 0);
	assert_int_equal(m[1].join_err, 0);
	wait_members(30, 3);
	return pid;
}

/* a member pfqd made for a client, as pfqd's status shows it */
struct counts {
	long long id, recv, lost;
};

/* the two client members of group 30 (pfqd's own, of the control class,
 * aside), fewer packets first: their packets together */
static long long client_counts(struct counts c[2])
{
	json_t *st = ctl("{\"cmd\":\"status\"}"), *m;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(status_group(st, 30), "members"), i, m) {
		if (!strcmp(json_string_value(json_object_get(m, "class_mask")),
			    "0x8000000000000000") || n == 2)
			continue;
		c[n++] = (struct counts){ json_integer_value(json_object_get(m, "id")),
					  json_integer_value(json_object_get(m, "recv")),
					  json_integer_value(json_object_get(m, "lost")) };
	}
	json_decref(st);
	assert_int_equal(n, 2);
	if (c[0].recv > c[1].recv) {
		struct counts x = c[0];

		c[0] = c[1];
		c[1] = x;
	}
	return c[0].recv + c[1].recv;
}

/* GET /metrics of pfqd in side B at port: the answer (to free) */
static char *scrape(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	int h = th_enter(&gt_th, 'b'), fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t n = 0, cap = 1 << 16;
	char *buf = calloc(1, cap);
	ssize_t r;

	th_leave(h);
	assert_true(fd >= 0 && buf);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), sizeof(req) - 1);
	while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	return buf;
}

/* the counts status showed are pfq-stat's (the registry) and the metrics' */
static void published_counts(const struct counts c[2])
{
	struct pfq_group_info *info = calloc(PFQ_MAX_GROUPS, sizeof(*info));
	char *metrics = scrape(19130), line[128];
	int n = gt_groups_in_b(info), found = 0;

	for (int i = 0; i < n; i++)
		for (int k = 0; info[i].gid == 30 && k < info[i].nmembers; k++)
			for (int j = 0; j < 2; j++)
				found += info[i].members[k].id == c[j].id &&
					 (long long)info[i].members[k].recv == c[j].recv &&
					 (long long)info[i].members[k].lost == c[j].lost;
	assert_int_equal(found, 2);
	for (int j = 0; j < 2; j++) {
		snprintf(line, sizeof(line), "\npfq_member_recv_total{gid=\"30\",id=\"%lld\"} %lld\n",
			 c[j].id, c[j].recv);
		if (!strstr(metrics, line))
			fail_msg("no '%s' in the metrics:\n%s", line + 1, metrics);
	}
	free(metrics);
	free(info);
}

/* two users, one listed by name (number), one by its group, share the
 * flows; each flow reaches one of them; pfqd shows what each received */
static void test_share(void **s)
{
	static int owner[GT_MAX_IDS];
	struct counts c[2];
	struct gt_member m[2];
	uint32_t count[2] = { 0 };
	pid_t pid;

	(void)s;
	pid = start_with_two(m, "metrics = 127.0.0.1:19130\n");
	gt_send_ids(0, 2000, -1);
	usleep(300000);
	/* within a report's period (0.5 s) and pfqd's publication (0.2 s) */
	for (int i = 0; i < 100 && client_counts(c) < 2000; i++)
		usleep(20000);
	published_counts(c);
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
	/* what pfqd showed is what the clients read: the test's packets only
	 * (the group takes IPv4, and only the test sends any), none lost */
	if (c[0].recv != (m[0].n < m[1].n ? m[0].n : m[1].n) ||
	    c[1].recv != (m[0].n < m[1].n ? m[1].n : m[0].n) || c[0].lost || c[1].lost)
		fail_msg("pfqd showed recv %lld, %lld (lost %lld, %lld); the clients read %u, %u",
			 c[0].recv, c[1].recv, c[0].lost, c[1].lost, m[0].n, m[1].n);
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
	/* every refused or finished join left nothing */
	wait_members(30, 1);
	pfqd_stop(pid);
}

static bool guard_on(void);

/* require_guard = yes, set by a reload: without the guard, the members of
 * users but root end, and only root joins (the others are told why); with
 * it, joins go on as ever */
static void test_require_guard(void **s)
{
	struct pfq_pfqd_opts o = PFQ_PFQD_OPTS(.control = ctl_path);
	struct gt_member m[2];
	char msg[512];
	bool guard;
	json_t *j;
	pid_t pid;

	(void)s;
	pid = start_with_two(m, "");
	guard = guard_on();
	write_conf_keys("require_guard = yes\n", group30);
	j = ctl("{\"cmd\":\"reload\"}");
	assert_true(ok_of(j));
	json_decref(j);
	wait_members(30, guard ? 3 : 1);
	if (guard) {
		assert_int_equal(join_as(NOBODY, 30, &o, msg, sizeof(msg)), 0);
	} else {
		assert_int_equal(join_as(NOBODY, 30, &o, msg, sizeof(msg)), EACCES);
		if (!strstr(msg, "its guard of the members' sockets is not active (") ||
		    !strstr(msg, "require_guard = yes lets only root join"))
			fail_msg("refusal: %s", msg);
	}
	assert_int_equal(join_as(0, 30, &o, msg, sizeof(msg)), 0);
	wait_members(30, guard ? 3 : 1);
	pfqd_stop(pid);
	gt_finish(&m[0]);
	gt_finish(&m[1]);
	/* ended by the reload, or by the stop */
	assert_int_equal(m[0].read_err, -ENOTCONN);
	assert_int_equal(m[1].read_err, -ENOTCONN);
	gt_release(&m[0]);
	gt_release(&m[1]);
}

/* kill -9 of a client: its share moves to the other within 1 s */
static void test_client_killed(void **s)
{
	static int owner[GT_MAX_IDS];
	struct gt_member m[2];
	int st;
	pid_t pid;

	(void)s;
	pid = start_with_two(m, "");
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
	pid = start_with_two(m, "");
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

/* ---- hostile clients: the raw protocol, no libpfq ---- */

/* the index of device dev in side B */
static int ifindex_in_b(const char *dev)
{
	int h = th_enter(&gt_th, 'b');
	int i = (int)if_nametoindex(dev);

	th_leave(h);
	return i;
}

static int ctl_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", ctl_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	return fd;
}

/* one answer line and the descriptors with it (fds: room for 8) */
static int raw_answer(int fd, char *buf, size_t max, int *fds, int *nfds)
{
	size_t len = 0;

	*nfds = 0;
	while (!memchr(buf, '\n', len) && len < max - 1) {
		char cb[CMSG_SPACE(sizeof(int) * 8)];
		struct iovec iov = { buf + len, max - 1 - len };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb,
				    .msg_controllen = sizeof(cb) };
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			return -1;
		r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
		if (r <= 0)
			return -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			for (int i = 0; i < n && *nfds < 8; i++)
				memcpy(&fds[(*nfds)++], CMSG_DATA(c) + i * sizeof(int),
				       sizeof(int));
		}
		len += (size_t)r;
		buf[len] = '\0';
	}
	return 0;
}

/* a join request by hand: its answer, the descriptors with it */
static int raw_join(const char *req, int *fds, int *nfds, char *ans, size_t n)
{
	int fd = ctl_connect(), rc;

	if (fd < 0)
		return -1;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		close(fd);
		return -1;
	}
	rc = raw_answer(fd, ans, n, fds, nfds);
	close(fd);
	return rc;
}

/* (in a child) become uid, group uid, no other group */
static void drop_to(uid_t uid)
{
	if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
		_exit(5);
}

/* a child of the test and two pipes between them: in each process, rd is
 * the end that reads what the other writes on its wr, and the other ends
 * are closed. The child (fork_talking answers 0) runs as uid, unless uid
 * is (uid_t)-1. */
struct talk {
	int rd, wr;
};

static pid_t fork_talking(uid_t uid, struct talk *t)
{
	int down[2], up[2];
	pid_t c;

	assert_int_equal(pipe(down), 0);
	assert_int_equal(pipe(up), 0);
	fflush(stdout); /* (not printed again by the child) */
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		close(down[1]);
		close(up[0]);
		if (uid != (uid_t)-1)
			drop_to(uid);
		*t = (struct talk){ down[0], up[1] };
	} else {
		close(down[0]);
		close(up[1]);
		*t = (struct talk){ up[0], down[1] };
	}
	return c;
}

/* the descriptors process pid holds */
static int pfqd_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* the handover description from its hex: its length, -1 */
static int unhex_blob(const char *s, unsigned char *out, size_t max)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return (int)(n / 2);
}

/* a user joined through pfqd holds at most 8 members, each ring at most
 * 256 MiB: one write of join lines took all 64 places of the group and
 * gigabytes of pfqd's memory */
static void test_user_limits(void **s)
{
	struct pfq_pfqd_opts o = PFQ_PFQD_OPTS(.control = ctl_path, .caplen = 2048,
					       .rx_slots = 200000);
	char msg[512];
	int p[2], st, fds0;
	pid_t pid, c;

	(void)s;
	write_conf(group30_two_users);
	pid = pfqd_start();
	/* (pfqd opens descriptors for a moment now and then, its looks at the
	 * kernel's lists and /proc: the fewest seen over 0.2 s) */
	fds0 = pfqd_fds(pid);
	for (int i = 0; i < 10; i++) {
		int n = pfqd_fds(pid);

		fds0 = n < fds0 ? n : fds0;
		usleep(20000);
	}
	assert_int_equal(join_as(NOBODY, 30, &o, msg, sizeof(msg)), ENOMEM);
	if (!strstr(msg, "slots of 2176 bytes make a ring of 415 MiB, more than the 256 MiB "
			 "pfqd gives"))
		fail_msg("refusal: %s", msg);
	/* pfq-dump -g's sizes (65536 slots, caplen 262144) pass */
	o.caplen = PFQ_CAPLEN_MAX;
	o.rx_slots = 65536;
	assert_int_equal(join_as(NOBODY, 30, &o, msg, sizeof(msg)), 0);
	/* twenty joins in one write, never read */
	assert_int_equal(pipe(p), 0);
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		char req[1024] = "";
		int fd, x;

		close(p[1]);
		drop_to(NOBODY);
		fd = ctl_connect();
		for (int i = 0; i < 20; i++)
			strcat(req, "{\"cmd\":\"join\",\"gid\":30}\n");
		if (fd < 0 || send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
			_exit(10);
		(void)!read(p[0], &x, 1);
		_exit(0);
	}
	close(p[0]);
	wait_members(30, 1 + 8);
	usleep(200000);
	assert_int_equal(members_of(30), 1 + 8);
	o = PFQ_PFQD_OPTS(.control = ctl_path);
	assert_int_equal(join_as(NOBODY, 30, &o, msg, sizeof(msg)), EUSERS);
	if (!strstr(msg, "uid 65534 holds 8 members of pfqd's groups already"))
		fail_msg("refusal: %s", msg);
	/* another user is not held out */
	assert_int_equal(join_as(FRIEND, 30, &o, msg, sizeof(msg)), 0);
	close(p[1]);
	assert_int_equal(waitpid(c, &st, 0), c);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	wait_members(30, 1);
	/* nothing left behind */
	for (int i = 0; i < 50 && pfqd_fds(pid) > fds0; i++)
		usleep(20000);
	assert_true(pfqd_fds(pid) <= fds0);
	pfqd_stop(pid);
}

/* the control socket is open to every user: one that connects again and
 * again and says nothing takes 4 places, and holds out neither another
 * user nor root */
static void test_control_hogged(void **s)
{
	struct pfq_pfqd_opts o = PFQ_PFQD_OPTS(.control = ctl_path);
	char msg[512];
	struct talk t;
	int st, n;
	pid_t pid, c;
	json_t *j;

	(void)s;
	write_conf(group30_two_users);
	pid = pfqd_start();
	c = fork_talking(NOBODY, &t);
	if (c == 0) {
		struct pfq_pfqd_opts mine = PFQ_PFQD_OPTS(.control = ctl_path);
		int x, held = 0, busy;

		for (int i = 0; i < 64; i++) {
			int fd = ctl_connect();

			if (fd >= 0)
				(void)!send(fd, "{", 1, MSG_NOSIGNAL);
		}
		usleep(300000);
		/* the connections pfqd kept open */
		for (int fd = 3; fd < 256; fd++) {
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			int type;
			socklen_t len = sizeof(type);

			if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
			    type == SOCK_STREAM && poll(&pf, 1, 0) == 0)
				held++;
		}
		/* its own join finds no room, and says why */
		busy = !pfq_join_pfqd(30, &mine) && strstr(pfq_error(NULL), "has too many "
								     "clients of its control socket)");
		gt_write_all(t.wr, &held, sizeof(held));
		gt_write_all(t.wr, &busy, sizeof(busy));
		(void)!read(t.rd, &x, 1);
		_exit(0);
	}
	assert_int_equal(gt_read_all(t.rd, &n, sizeof(n)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(gt_read_all(t.rd, &n, sizeof(n)), 0);
	assert_true(n);
	assert_int_equal(join_as(FRIEND, 30, &o, msg, sizeof(msg)), 0);
	j = ctl("{\"cmd\":\"status\"}");
	assert_true(ok_of(j));
	json_decref(j);
	close(t.wr);
	close(t.rd);
	assert_int_equal(waitpid(c, &st, 0), c);
	pfqd_stop(pid);
}

/* ---- pfqd's guard (daemon/pfqd/guard.c) ---- */

/* is pfqd's guard attached? (if not, says why: a kernel without the BPF
 * LSM, or one refusing LSM programs) */
static bool guard_on(void)
{
	json_t *st = ctl("{\"cmd\":\"status\"}"), *g = json_object_get(st, "guard");
	const char *why = json_string_value(json_object_get(g, "error"));
	bool on = json_is_true(json_object_get(g, "active"));

	assert_non_null(g);
	if (!on)
		printf("  pfqd's guard is not active (%s): its checks are skipped\n",
		       why ? why : "?");
	json_decref(st);
	return on;
}

static bool eperm(long rc)
{
	return rc == -1 && errno == EPERM;
}

/* (in the client) the sends on socket fd, refused: 0, or the first check
 * that failed */
static int sends_refused(int fd, struct sockaddr_ll *ll, uint8_t *frame, size_t len)
{
	struct iovec iov = { frame, len };
	struct mmsghdr mm = { .msg_hdr = { .msg_name = ll, .msg_namelen = sizeof(*ll),
					   .msg_iov = &iov, .msg_iovlen = 1 } };

	if (!eperm(sendto(fd, frame, len, 0, (struct sockaddr *)ll, sizeof(*ll))))
		return 1;
	if (!eperm(sendmsg(fd, &mm.msg_hdr, 0)))
		return 2;
	if (!eperm(sendmmsg(fd, &mm, 1, 0)))
		return 3;
	if (!eperm(write(fd, frame, len)))
		return 4;
	return 0;
}

/* (in the client) the socket options that would change socket fd, bind
 * and connect, refused: 0, or the first check that failed */
static int options_refused(int fd, struct sockaddr_ll *ll)
{
	struct packet_mreq mr = { .mr_ifindex = ll->sll_ifindex, .mr_type = PACKET_MR_PROMISC };
	struct tpacket_req req = { .tp_block_size = 4096, .tp_block_nr = 1,
				   .tp_frame_size = 2048, .tp_frame_nr = 2 };
	struct sock_filter acc = { BPF_RET | BPF_K, 0, 0, 0xffff };
	struct sock_fprog fp = { 1, &acc };
	const struct {
		int level, name;
		const void *v;
		socklen_t len;
	} opts[] = {
		{ SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr) },
		{ SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof(mr) },
		{ SOL_PACKET, PACKET_TX_RING, &req, sizeof(req) },
		{ SOL_PACKET, PACKET_RX_RING, &req, sizeof(req) },
		{ SOL_PACKET, PACKET_FANOUT, &(int){ 77 }, sizeof(int) },
		{ SOL_PACKET, PACKET_VERSION, &(int){ TPACKET_V2 }, sizeof(int) },
		{ SOL_PACKET, PACKET_QDISC_BYPASS, &(int){ 1 }, sizeof(int) },
		{ SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp) },
		{ SOL_SOCKET, SO_ATTACH_BPF, &(int){ -1 }, sizeof(int) },
		{ SOL_SOCKET, SO_DETACH_FILTER, &(int){ 1 }, sizeof(int) },
		{ SOL_SOCKET, SO_SNDBUF, &(int){ 1 << 20 }, sizeof(int) },
	};
	int n = (int)(sizeof(opts) / sizeof(opts[0]));

	for (int i = 0; i < n; i++)
		if (!eperm(setsockopt(fd, opts[i].level, opts[i].name, opts[i].v, opts[i].len)))
			return 10 + i;
	if (!eperm(bind(fd, (struct sockaddr *)ll, sizeof(*ll))))
		return 30;
	if (!eperm(connect(fd, (struct sockaddr *)ll, sizeof(*ll))))
		return 31;
	return 0;
}

/* (in the client, as root: no guard) the documented limit, shown: the
 * main socket bound to lo (it still receives only its share), a frame sent
 * out of b0, b0 promiscuous. 0, or the check that failed */
static int unguarded(const int *fds, int lo, int b0, uint8_t *frame, size_t len)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = lo };
	struct packet_mreq mr = { .mr_ifindex = b0, .mr_type = PACKET_MR_PROMISC };

	if (bind(fds[0], (struct sockaddr *)&ll, sizeof(ll)) < 0)
		return 13;
	ll.sll_ifindex = b0;
	ll.sll_halen = 6;
	printf("  a frame sent by hand on the member's socket: %s\n",
	       sendto(fds[0], frame, len, 0, (struct sockaddr *)&ll, sizeof(ll)) == (ssize_t)len ?
		       "sent (the documented limit without the guard)" : "refused");
	printf("  b0 promiscuous by hand: %s\n",
	       setsockopt(fds[0], SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) == 0 ?
		       "done (the documented limit without the guard)" : "refused");
	fflush(stdout);
	return 0;
}

/* (in the client) what it may do with the sockets it was handed, by hand:
 * 0, or the check that failed */
static int try_sockets(const int *fds, bool guard, int lo, int b0)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = b0, .sll_halen = 6 };
	uint8_t frame[GT_FRAME_MAX];
	size_t len = gt_flow_frame(60000, -1, frame);
	int one = 1, rc;

	/* the filters stay, the fanout socket is not bound elsewhere, guard
	 * or not */
	if (setsockopt(fds[0], SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)) == 0 ||
	    setsockopt(fds[1], SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)) == 0)
		return 12;
	ll.sll_ifindex = lo;
	if (bind(fds[1], (struct sockaddr *)&ll, sizeof(ll)) == 0)
		return 14;
	ll.sll_ifindex = b0;
	if (!guard)
		return unguarded(fds, lo, b0, frame, len);
	for (int i = 0; i < 2; i++) {
		rc = sends_refused(fds[i], &ll, frame, len);
		if (!rc)
			rc = options_refused(fds[i], &ll);
		if (rc)
			return 40 * i + 20 + rc;
	}
	printf("  sends, socket options, bind and connect on the member's sockets: refused\n");
	return 0;
}

/* the joined client of test_raw_sockets (as nobody): tries its sockets,
 * says "R" and its main socket's fd, reads its share, says how many frames
 * of lo it got, waits for go */
static void raw_client(int go, int res, bool guard, int lo, int b0)
{
	static struct gt_got got;
	unsigned char blob[PFQ_HANDOVER_BLOB_MAX];
	int fds[8], nfds, blen, x;
	char ans[4096];
	json_t *a;
	pfq_t *q;

	drop_to(NOBODY);
	if (raw_join("{\"cmd\":\"join\",\"gid\":30}", fds, &nfds, ans, sizeof(ans)) < 0 ||
	    nfds != 3)
		_exit(10);
	a = json_loads(ans, JSON_DISABLE_EOF_CHECK, NULL);
	blen = unhex_blob(json_string_value(json_object_get(a, "handover")), blob, sizeof(blob));
	q = blen > 0 ? pfq_import(fds, 2, blob, (size_t)blen) : NULL;
	if (!q)
		_exit(11);
	x = try_sockets(fds, guard, lo, b0);
	if (x)
		_exit(x);
	gt_write_all(res, "R", 1);
	gt_write_all(res, &fds[0], sizeof(fds[0]));
	/* libpfq reads as ever */
	for (int i = 0; i < 30; i++)
		pfq_dispatch(q, gt_on_pkt, 50000, &got);
	/* (its own frame out of b0, when sent, is the group's, on an input) */
	x = 0;
	for (uint32_t i = 0; i < got.n; i++)
		x += got.ids[i] < 20;
	gt_write_all(res, &x, sizeof(x));
	(void)!read(go, &x, 1);
	pfq_close(q);
	json_decref(a);
	_exit(0);
}

/* a root process that gets the member's main socket (here from the client,
 * by pidfd_getfd) and sends on it: refused with the guard (it lets only
 * pfqd's own process through), sent without it */
static void root_sends_on(pid_t client, int fdnum, int lo, bool guard)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_ifindex = lo, .sll_halen = 6 };
	uint8_t frame[GT_FRAME_MAX];
	size_t len = gt_flow_frame(60001, -1, frame);
	int pidfd = (int)syscall(SYS_pidfd_open, client, 0), fd;

	assert_true(pidfd >= 0);
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, fdnum, 0);
	assert_true(fd >= 0);
	if (guard) {
		assert_int_equal(sendto(fd, frame, len, 0, (struct sockaddr *)&ll, sizeof(ll)), -1);
		assert_int_equal(errno, EPERM);
	} else {
		assert_int_equal(sendto(fd, frame, len, 0, (struct sockaddr *)&ll, sizeof(ll)),
				 (ssize_t)len);
	}
	close(fd);
	close(pidfd);
}

/* frames marked 0..19 on lo from an ordinary socket of this (root)
 * process: sent, guard or not */
static void send_marked_on_lo(int lo)
{
	int h = th_enter(&gt_th, 'b'), fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_ifindex = lo, .sll_halen = 6 };
	uint8_t frame[GT_FRAME_MAX];

	th_leave(h);
	assert_true(fd >= 0);
	for (uint32_t id = 0; id < 20; id++) {
		size_t len = gt_flow_frame(id, -1, frame);

		assert_int_equal(sendto(fd, frame, len, 0, (struct sockaddr *)&ll, sizeof(ll)),
				 (ssize_t)len);
	}
	close(fd);
}

/* pfqd's guard objects: its programs (named pfqd_guard_*), the links
 * that hold them and their map, by id. Maps are never opened by id (this
 * kernel leaks some opened so): their ids are only listed. */
struct guard_ids {
	__u32 prog[8], link[8], map;
	int nprog, nlink;
};

static void find_guard_progs(struct guard_ids *g)
{
	for (__u32 id = 0; g->nprog < 8 && bpf_prog_get_next_id(id, &id) == 0;) {
		__u32 maps[4] = { 0 };
		struct bpf_prog_info info = { .nr_map_ids = 4, .map_ids = (__u64)(uintptr_t)maps };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    !strncmp(info.name, "pfqd_guard_", 11)) {
			g->prog[g->nprog++] = id;
			g->map = maps[0];
		}
		close(fd);
	}
}

static bool is_guard_prog(const struct guard_ids *g, __u32 id)
{
	for (int i = 0; i < g->nprog; i++)
		if (g->prog[i] == id)
			return true;
	return false;
}

static void find_guard_links(struct guard_ids *g)
{
	for (__u32 id = 0; g->nlink < 8 && bpf_link_get_next_id(id, &id) == 0;) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && is_guard_prog(g, info.prog_id))
			g->link[g->nlink++] = id;
		close(fd);
	}
}

static struct guard_ids guard_objects(void)
{
	struct guard_ids g = { .nprog = 0 };

	find_guard_progs(&g);
	find_guard_links(&g);
	return g;
}

static bool id_listed(int (*next)(__u32, __u32 *), __u32 want)
{
	for (__u32 id = 0; next(id, &id) == 0;)
		if (id == want)
			return true;
	return false;
}

/* every object of g gone (the kernel frees them a little later) */
static void wait_guard_gone(const struct guard_ids *g)
{
	bool left = true;

	for (int t = 0; t < 100 && left; t++) {
		struct guard_ids now = guard_objects();

		left = now.nprog > 0 || id_listed(bpf_map_get_next_id, g->map);
		for (int i = 0; i < g->nlink; i++)
			left |= id_listed(bpf_link_get_next_id, g->link[i]);
		if (left)
			usleep(50000);
	}
	assert_false(left);
}

/* What a client may do with the sockets it was handed, by hand. The
 * locked filters keep what they receive to the member's share. With
 * pfqd's guard (a BPF LSM), every send, socket option, bind and connect on
 * them is refused (EPERM), to root holding them too, while the client
 * reads through libpfq as ever, and root's own sockets still send; the
 * guard's programs, links and map go with pfqd. Without it (a kernel
 * without the BPF LSM), sending and the promiscuous mode are the
 * documented limit (docs/pfqd.md). */
static void test_raw_sockets(void **s)
{
	int lo = ifindex_in_b("lo"), b0 = ifindex_in_b("b0"), st, fdnum;
	struct talk t;
	int got_n = 0;
	struct guard_ids g = { .nprog = 0 };
	bool guard;
	pid_t pid, c;
	char r;

	(void)s;
	write_conf(group30);
	pid = pfqd_start();
	guard = guard_on();
	if (guard) {
		g = guard_objects();
		assert_int_equal(g.nprog, 4);
		assert_int_equal(g.nlink, 4);
		assert_true(g.map != 0);
	}
	c = fork_talking((uid_t)-1, &t); /* (raw_client drops to nobody) */
	if (c == 0)
		raw_client(t.rd, t.wr, guard, lo, b0);
	if (gt_read_all(t.rd, &r, 1) < 0) {
		assert_int_equal(waitpid(c, &st, 0), c);
		fail_msg("the client failed check %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	assert_int_equal(gt_read_all(t.rd, &fdnum, sizeof(fdnum)), 0);
	root_sends_on(c, fdnum, lo, guard);
	/* marked frames on lo: none of them is the member's */
	send_marked_on_lo(lo);
	assert_int_equal(gt_read_all(t.rd, &got_n, sizeof(got_n)), 0);
	assert_int_equal(got_n, 0);
	close(t.wr);
	assert_int_equal(waitpid(c, &st, 0), c);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(t.rd);
	/* pfqd, root, works on the marked sockets: the member leaves in order */
	wait_members(30, 1);
	pfqd_stop(pid);
	if (guard)
		wait_guard_gone(&g);
}

/* a join by hand whose client keeps the sockets and lets go of the lease
 * (a goodbye, or a process that passes them on and exits): pfqd used to end
 * it at once, parking the socket still held for good (a vault record of
 * the group's 96): 96 of them and no one could join the group any more.
 * The member now stays as long as its sockets are held, counted as its
 * user's. n: the joins that worked */
static int joins_kept(int tries, bool pass_on)
{
	int n = 0;

	for (int i = 0; i < tries; i++) {
		int fds[8], nfds = 0, sp[2], st;
		char ans[4096] = "", cb[CMSG_SPACE(2 * sizeof(int))];
		struct iovec iov = { ans, 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb,
				    .msg_controllen = sizeof(cb) };
		pid_t c;

		if (!pass_on) {
			if (raw_join("{\"cmd\":\"join\",\"gid\":30,\"rx_slots\":64}", fds, &nfds,
				     ans, sizeof(ans)) < 0 || nfds != 3)
				break;
			(void)!send(fds[2], "bye", 3, MSG_NOSIGNAL);
			close(fds[2]);
			n++;
			continue;
		}
		/* a process joins, passes the sockets on to this one, exits */
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0)
			break;
		c = fork();
		if (c == 0) {
			struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

			if (raw_join("{\"cmd\":\"join\",\"gid\":30,\"rx_slots\":64}", fds, &nfds,
				     ans, sizeof(ans)) < 0 || nfds != 3)
				_exit(1);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
			memcpy(CMSG_DATA(cm), fds, 2 * sizeof(int));
			_exit(sendmsg(sp[0], &m, 0) == 1 ? 0 : 2);
		}
		waitpid(c, &st, 0);
		close(sp[0]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || recvmsg(sp[1], &m, 0) != 1) {
			close(sp[1]);
			break;
		}
		close(sp[1]);
		n++;
	}
	return n;
}

static void test_sockets_kept(void **s)
{
	struct pfq_pfqd_opts o = PFQ_PFQD_OPTS(.control = ctl_path);
	char msg[512];
	struct talk t;
	int st, n[2];
	pid_t pid, c;

	(void)s;
	write_conf(group30_two_users);
	pid = pfqd_start();
	c = fork_talking(NOBODY, &t);
	if (c == 0) {
		int x, k[2];

		k[0] = joins_kept(100, false);
		k[1] = joins_kept(100, true);
		gt_write_all(t.wr, k, sizeof(k));
		(void)!read(t.rd, &x, 1);
		_exit(0);
	}
	assert_int_equal(gt_read_all(t.rd, n, sizeof(n)), 0);
	/* the user's 8 members, no more */
	assert_int_equal(n[0] + n[1], 8);
	assert_int_equal(members_of(30), 1 + 8);
	assert_int_equal(join_as(FRIEND, 30, &o, msg, sizeof(msg)), 0);
	/* the sockets closed, the members go, in order */
	close(t.wr);
	assert_int_equal(waitpid(c, &st, 0), c);
	for (int i = 0; i < 150 && members_of(30) != 1; i++)
		usleep(20000);
	assert_int_equal(members_of(30), 1);
	close(t.rd);
	pfqd_stop(pid);
}

/* a member pfqd ends whose client let go of it leaves in order, never
 * parked: the processes whose maps pfqd may not read (here pid 1) counted
 * as holders of every socket, so each member was parked, and after 96
 * joins (the group's vault) no one could join any more */
static void test_many_joins(void **s)
{
	struct pfq_pfqd_opts o = PFQ_PFQD_OPTS(.control = ctl_path, .rx_slots = 64);
	char msg[512];
	pid_t pid;

	(void)s;
	write_conf(group30);
	pid = pfqd_start();
	for (int i = 0; i < 100; i++)
		if (join_as(NOBODY, 30, &o, msg, sizeof(msg)) != 0)
			fail_msg("join %d: %s", i, msg);
	wait_members(30, 1);
	pfqd_stop(pid);
}


/* the packet sockets of side B's namespace */
static int packet_sockets_in_b(void)
{
	char line[256];
	int h = th_enter(&gt_th, 'b'), n = -1; /* its header line */
	FILE *f = fopen("/proc/thread-self/net/packet", "re");

	th_leave(h);
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* pfqd killed (-9) again and again while a client reads through it and a
 * root member stays in the group: the root member reaps pfqd and parks the
 * client's socket (the client may still hold it); once the client is gone,
 * a later look finds no holder and closes the socket in order. Parked for
 * good, they filled the group's vault (96 records): no join found a place
 * any more, root's included. */
static void test_pfqd_killed_again(void **s)
{
	static int owner[GT_MAX_IDS];
	struct gt_member_cfg rc = { .gid = 30, .class_mask = PFQ_CLASS_DEFAULT, .weight = 1,
				    .policy = PFQ_POLICY_SHARED },
			     cc = through_pfqd(30, NOBODY, NOBODY, 0);
	struct gt_member root, m;
	int base, now = -1;
	pid_t pid;

	(void)s;
	write_conf(group30);
	pid = pfqd_start();
	gt_spawn(&root, &rc);
	assert_int_equal(root.join_err, 0);
	wait_members(30, 2);
	base = packet_sockets_in_b();
	for (int round = 0; round < 4; round++) {
		gt_spawn(&m, &cc);
		assert_int_equal(m.join_err, 0);
		wait_members(30, 3);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		kill(m.pid, SIGKILL);
		waitpid(m.pid, NULL, 0);
		close(m.ctl);
		close(m.res);
		pid = pfqd_start();
		wait_members(30, 2);
		for (int i = 0; i < 100 && (now = packet_sockets_in_b()) != base; i++)
			usleep(50000);
		if (now != base)
			fail_msg("round %d: %d packet sockets in side B, %d before the client: "
				 "its parked socket stayed", round, now, base);
	}
	/* the positions stayed right: everything reaches the root member */
	gt_send_ids(0, 1000, -1);
	usleep(300000);
	gt_finish(&root);
	gt_owners(&root, 1, owner, 0, 1000);
	for (uint32_t id = 0; id < 1000; id++)
		if (owner[id] != 0)
			fail_msg("packet %u not with the root member", id);
	gt_release(&root);
	pfqd_stop(pid);
}

/* a client whose permission a reload took away, holding its sockets: its
 * member is parked (nothing steered to it). Freeing the fanout socket's
 * ring took the socket out of the fanout and put it back at the end, where
 * the last member's share went: the revoked client read it, the member
 * nothing. pfqd keeps its mapping of a parked socket's ring: the kernel
 * refuses a new one (EBUSY) */
static void test_revoked_ring(void **s)
{
	struct gt_member m;
	struct gt_member_cfg b = through_pfqd(30, FRIEND, FRIEND, 0);
	struct talk t;
	int st;
	uint32_t n = 0;
	pid_t pid, c;
	json_t *j;

	(void)s;
	write_conf(group30_two_users);
	pid = pfqd_start();
	c = fork_talking(NOBODY, &t);
	if (c == 0) {
		static struct gt_got got;
		int fds[8], nfds, x;
		char ans[4096];
		struct tpacket_req3 req;

		if (raw_join("{\"cmd\":\"join\",\"gid\":30}", fds, &nfds, ans, sizeof(ans)) < 0 ||
		    nfds != 3)
			_exit(10);
		gt_write_all(t.wr, "J", 1);
		(void)!read(t.rd, &x, 1); /* revoked */
		memset(&req, 0, sizeof(req));
		if (setsockopt(fds[1], SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) == 0 ||
		    errno != EBUSY)
			printf("  the fanout socket's ring freed: %s\n", strerror(errno));
		gt_write_all(t.wr, "R", 1);
		for (int i = 0; i < 40; i++) {
			struct pollfd pf[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };

			if (poll(pf, 2, 50) <= 0)
				continue;
			for (int k = 0; k < 2; k++) {
				uint8_t buf[2048];
				ssize_t r;

				while ((r = recv(fds[k], buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
					struct pfq_pkthdr h = { .caplen = (uint32_t)r, .len = (uint32_t)r };

					gt_on_pkt(&got, &h, buf);
				}
			}
		}
		gt_write_all(t.wr, &got.n, sizeof(got.n));
		_exit(0);
	}
	{
		char r;

		assert_int_equal(gt_read_all(t.rd, &r, 1), 0);
	}
	gt_spawn(&m, &b);
	assert_int_equal(m.join_err, 0);
	wait_members(30, 3);
	write_conf("[group 30]\ninput = b0, b1\ncomputation = ip >-> steer_flow\n"
		   "allow_users = 4243\n");
	j = ctl("{\"cmd\":\"reload\"}");
	assert_true(ok_of(j));
	json_decref(j);
	wait_members(30, 2);
	gt_write_all(t.wr, "G", 1);
	{
		char r;

		assert_int_equal(gt_read_all(t.rd, &r, 1), 0);
	}
	usleep(100000);
	gt_send_ids(0, 2000, -1);
	assert_int_equal(gt_read_all(t.rd, &n, sizeof(n)), 0);
	waitpid(c, &st, 0);
	close(t.rd);
	close(t.wr);
	gt_finish(&m);
	if (n || m.n != 2000)
		fail_msg("the revoked client read %u packets, the member %u of 2000", n, m.n);
	gt_release(&m);
	pfqd_stop(pid);
}

/* times what is in pfqd's log */
static int in_log(const char *what)
{
	char buf[1 << 16];
	FILE *f = fopen(log_path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	int k = 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	for (const char *p = buf; (p = strstr(p, what)); p++)
		k++;
	return k;
}

/* member id's recv and lost in pfqd's status are these, within a second */
static void wait_counts(long long id, long long recv, long long lost)
{
	long long r = -1, l = -1;

	for (int i = 0; i < 50 && (r != recv || l != lost); i++) {
		json_t *st = ctl("{\"cmd\":\"status\"}"), *m;
		size_t k;

		json_array_foreach(json_object_get(status_group(st, 30), "members"), k, m)
			if (json_integer_value(json_object_get(m, "id")) == id) {
				r = json_integer_value(json_object_get(m, "recv"));
				l = json_integer_value(json_object_get(m, "lost"));
			}
		json_decref(st);
		if (r != recv || l != lost)
			usleep(20000);
	}
	if (r != recv || l != lost)
		fail_msg("member %lld: recv %lld, lost %lld; %lld, %lld reported", id, r, l, recv,
			 lost);
}

/* What a client says on its lease is untrusted: a report of its own
 * member is published; one naming another member, or a message of another
 * size, is taken as a goodbye (the member then stays while its sockets are
 * held, and the lease is not read any more). */
static void test_lease_reports(void **s)
{
	pid_t pid;

	(void)s;
	write_conf(group30);
	pid = pfqd_start();
	for (int t = 0; t < 2; t++) {
		struct lease_report r = { LEASE_REPORT_MAGIC, 0, 12345, 7 }, later;
		char ans[4096], longer[sizeof(r) + 1] = "";
		int fds[8], nfds = 0;
		json_t *a;

		assert_int_equal(raw_join("{\"cmd\":\"join\",\"gid\":30}", fds, &nfds, ans,
					  sizeof(ans)), 0);
		assert_int_equal(nfds, 3);
		a = json_loads(ans, JSON_DISABLE_EOF_CHECK, NULL);
		assert_int_equal(json_integer_value(json_object_get(a, "lease_stats")),
				 LEASE_REPORT_VERSION);
		r.id = (uint32_t)json_integer_value(json_object_get(a, "id"));
		json_decref(a);
		assert_int_equal(send(fds[2], &r, sizeof(r), 0), sizeof(r));
		wait_counts(r.id, 12345, 7);
		/* another member's numbers (t 0), a report and a byte more (t 1) */
		later = (struct lease_report){ LEASE_REPORT_MAGIC, r.id + 1, 99, 99 };
		memcpy(longer, &r, sizeof(r));
		if (t == 0)
			assert_int_equal(send(fds[2], &later, sizeof(later), 0), sizeof(later));
		else
			assert_int_equal(send(fds[2], longer, sizeof(longer), 0), sizeof(longer));
		later.id = r.id;
		assert_int_equal(send(fds[2], &later, sizeof(later), 0), sizeof(later));
		for (int i = 0; i < 50 && in_log("its sockets are still held") != t + 1; i++)
			usleep(20000);
		assert_int_equal(in_log("its sockets are still held"), t + 1);
		usleep(500000); /* (pfqd publishes every 0.2 s) */
		wait_counts(r.id, 12345, 7);
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		wait_members(30, 1);
	}
	pfqd_stop(pid);
}

/* a client flooding its lease with reports (libpfq sends at most two a
 * second; a hostile client kept pfqd at 99 % of a CPU) is taken as having
 * said goodbye: its member ends once its sockets are free, and pfqd keeps
 * serving others */
static void test_lease_flood(void **s)
{
	struct lease_report r = { LEASE_REPORT_MAGIC, 0, 1, 0 };
	char ans[4096];
	int fds[8], nfds = 0, before;
	pid_t pid;
	json_t *a;

	(void)s;
	write_conf(group30);
	pid = pfqd_start();
	assert_int_equal(raw_join("{\"cmd\":\"join\",\"gid\":30}", fds, &nfds, ans, sizeof(ans)),
			 0);
	assert_int_equal(nfds, 3);
	a = json_loads(ans, JSON_DISABLE_EOF_CHECK, NULL);
	r.id = (uint32_t)json_integer_value(json_object_get(a, "id"));
	json_decref(a);
	before = in_log("its sockets are still held");
	for (int i = 0; i < 200; i++) {
		r.recv = (uint64_t)i;
		if (send(fds[2], &r, sizeof(r), MSG_DONTWAIT) != (ssize_t)sizeof(r))
			break;
	}
	/* (reports within the limit leave the lease open) */
	for (int i = 0; i < 50 && in_log("its sockets are still held") == before; i++)
		usleep(20000);
	assert_int_equal(in_log("its sockets are still held"), before + 1);
	/* its member ends when the client lets go of the sockets */
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	wait_members(30, 1);
	/* and pfqd still answers */
	nfds = 0;
	assert_int_equal(raw_join("{\"cmd\":\"join\",\"gid\":30}", fds, &nfds, ans, sizeof(ans)),
			 0);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	wait_members(30, 1);
	pfqd_stop(pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_share, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_refused, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_require_guard, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_client_killed, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_revoked, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_user_limits, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_control_hogged, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_raw_sockets, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_many_joins, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_sockets_kept, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_pfqd_killed_again, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_revoked_ring, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_lease_reports, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_lease_flood, pt_setup, pt_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return gt_run("pfqd_join", tests, sizeof(tests) / sizeof(tests[0]));
}
