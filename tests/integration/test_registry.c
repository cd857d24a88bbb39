/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The group registry cannot be broken or abused: it lives only in
 * directories of ours that no one else may write, never through a symbolic
 * link, in files of mode 0600 that other users cannot read; a record cut
 * or overwritten while members run kills no one and is repaired; a
 * group's file goes with the group, also while others join.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "grouptest.h"
#include "test_registry.h"
#include "testhost.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char top[] = "/tmp/pfq-registry-XXXXXX";

/* a socket in side B, joining gid: its return */
static int join_b(pfq_t **qp, int gid)
{
	int h = th_enter(&gt_th, 'b');
	pfq_t *q = pfq_open_nogroup(64, 64, 0, 0);

	th_leave(h);
	assert_non_null(q);
	*qp = q;
	return pfq_join_group(q, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED);
}

/* side B's namespace inode (the registry's directory name) */
static uint64_t netns_b(void)
{
	int h = th_enter(&gt_th, 'b');
	struct stat st;

	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	th_leave(h);
	return st.st_ino;
}

static void run_dir(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", top, name);
	setenv("PFQ_RUN_DIR", path, 1);
}

static void test_directories_checked(void **s)
{
	char path[256], link[512], err[256];
	pfq_t *q;

	(void)s;
	/* writable by others */
	run_dir("open", path, sizeof(path));
	assert_int_equal(mkdir(path, 0777), 0);
	assert_int_equal(chmod(path, 01777), 0);
	assert_int_equal(join_b(&q, 3), -EPERM);
	snprintf(err, sizeof(err), "%s", pfq_error(q));
	printf("  world-writable: %s\n", err);
	assert_non_null(strstr(err, "not safe"));
	pfq_close(q);
	/* someone else's */
	run_dir("theirs", path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(join_b(&q, 3), -EPERM);
	pfq_close(q);
	/* the namespace's directory is a symbolic link to another */
	run_dir("linked", path, sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(link, sizeof(link), "%s/elsewhere", top);
	assert_int_equal(mkdir(link, 0700), 0);
	snprintf(link, sizeof(link), "%s/%" PRIu64, path, netns_b());
	assert_int_equal(symlink("../elsewhere", link), 0);
	assert_true(join_b(&q, 3) < 0);
	printf("  linked directory: %s\n", pfq_error(q));
	pfq_close(q);
	/* a group file that is a symbolic link (to a file of root's) */
	run_dir("filelink", path, sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(link, sizeof(link), "%s/%" PRIu64, path, netns_b());
	assert_int_equal(mkdir(link, 0700), 0);
	strcat(link, "/g3");
	assert_int_equal(symlink("/etc/hostname", link), 0);
	assert_true(join_b(&q, 3) < 0);
	printf("  linked file: %s\n", pfq_error(q));
	pfq_close(q);
	/* a file of another user's, planted */
	run_dir("planted", path, sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(link, sizeof(link), "%s/%" PRIu64, path, netns_b());
	assert_int_equal(mkdir(link, 0700), 0);
	strcat(link, "/g3");
	int fd = open(link, O_CREAT | O_WRONLY, 0666);

	assert_true(fd >= 0);
	assert_int_equal(fchown(fd, 65534, 65534), 0);
	close(fd);
	assert_int_equal(join_b(&q, 3), -EPERM);
	pfq_close(q);
	/* a sound one: the files are ours alone */
	run_dir("sound", path, sizeof(path));
	assert_int_equal(join_b(&q, 3), 3);
	snprintf(link, sizeof(link), "%s/%" PRIu64, path, netns_b());
	struct stat st;

	assert_int_equal(stat(link, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	strcat(link, "/g3");
	assert_int_equal(stat(link, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* another user can read nothing of it */
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		_exit(open(link, O_RDONLY) < 0 && errno == EACCES ? 0 : 1);
	}
	int rc;

	waitpid(pid, &rc, 0);
	assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	pfq_close(q);
}

/* the registry file of group gid in side B's namespace */
static void group_file(int gid, char *path, size_t len)
{
	snprintf(path, len, "%s/%" PRIu64 "/g%d", getenv("PFQ_RUN_DIR"), netns_b(), gid);
}

static int members_of(int gid)
{
	struct pfq_group_info *info = calloc(PFQ_MAX_GROUPS, sizeof(*info));
	int n = gt_groups_in_b(info), members = -1;

	for (int i = 0; i < n; i++)
		if (info[i].gid == gid)
			members = info[i].nmembers;
	free(info);
	return members;
}

/* cut or overwrite the record while three members read: they live on,
 * traffic goes on, and the record is whole again within a second */
static void test_damaged_while_running(void **s)
{
	static int owner[GT_MAX_IDS];
	char path[256], file[512];
	struct gt_member m[3];
	int gid = 9, fd, members = -1;
	pfq_t *mgr;
	struct gt_member_cfg cfg = { gid, PFQ_CLASS_DEFAULT, 1, PFQ_POLICY_SHARED, true };

	(void)s;
	run_dir("damage", path, sizeof(path));
	mgr = gt_manager(gid, "ip >-> steer_flow");
	for (int k = 0; k < 3; k++)
		gt_spawn(&m[k], &cfg);
	group_file(gid, file, sizeof(file));
	for (int round = 0; round < 2; round++) {
		if (round == 0) {
			assert_int_equal(truncate(file, 0), 0);
		} else {
			char junk[8192];

			memset(junk, 0x5a, sizeof(junk));
			fd = open(file, O_WRONLY);
			assert_true(fd >= 0);
			assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
			close(fd);
		}
		for (int i = 0; i < 30 && (members = members_of(gid)) != 4; i++)
			usleep(100000);
		printf("  %s: the record lists %d members again\n", round ? "overwritten" : "cut",
		       members);
		assert_int_equal(members, 4);
	}
	gt_send_ids(0, 1000, -1);
	usleep(300000);
	for (int k = 0; k < 3; k++)
		gt_finish(&m[k]); /* alive: no SIGBUS, and they exit cleanly */
	gt_owners(m, 3, owner, 0, 1000);
	for (uint32_t id = 0; id < 1000; id++)
		if (owner[id] < 0)
			fail_msg("packet %u lost after the damage", id);
	for (int k = 0; k < 3; k++)
		gt_release(&m[k]);
	pfq_close(mgr);
	/* and the group is free afterwards */
	assert_int_equal(members_of(gid), -1);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* a process that joins group gid in side B, says so on fd, and waits */
static void joined_and_waiting(int gid, int fd)
{
	int h = th_enter(&gt_th, 'b');
	pfq_t *q = pfq_open_nogroup(64, 64, 0, 0);

	th_leave(h);
	if (!q || pfq_join_group(q, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED) != gid)
		_exit(1);
	if (write(fd, "j", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* A group's file goes with the group: when its last socket leaves, and
 * when its processes were killed (at the next look at the group); the
 * namespace's directory goes with its last file. */
static void test_file_goes_with_group(void **s)
{
	char path[256], file[512], dir[512];
	pfq_t *q, *q2;
	int fds[2], st;
	char c;

	(void)s;
	run_dir("ends", path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s/%" PRIu64, path, netns_b());
	group_file(4, file, sizeof(file));
	assert_int_equal(join_b(&q, 4), 4);
	assert_int_equal(join_b(&q2, 4), 4);
	assert_true(exists(file));
	pfq_close(q);
	assert_true(exists(file)); /* the process still has a socket in it */
	pfq_close(q2);
	assert_false(exists(file));
	assert_false(exists(dir));
	printf("  left: the file and the namespace's directory are gone\n");

	/* killed: the file stays until someone looks at the group */
	group_file(5, file, sizeof(file));
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();

	if (pid == 0)
		joined_and_waiting(5, fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_true(exists(file));
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(fds[0]);
	close(fds[1]);
	assert_true(exists(file));
	assert_int_equal(members_of(5), -1);
	assert_false(exists(file));
	assert_false(exists(dir));
	printf("  killed: gone at the next look\n");
}

/* one of the processes of test_join_leave_race: joins and leaves group gid
 * rounds times; each time its member must be in the group that the file
 * at the group's path holds (not in a file removed while it waited) */
static int join_leave_rounds(int gid, int rounds)
{
	struct pfq_group_info *info = calloc(PFQ_MAX_GROUPS, sizeof(*info));

	if (!info)
		return 2;
	for (int r = 0; r < rounds; r++) {
		int h = th_enter(&gt_th, 'b'), n;
		pfq_t *q = pfq_open_nogroup(64, 64, 0, 0);
		bool seen = false;

		th_leave(h);
		if (!q)
			return 2;
		if (pfq_join_group(q, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED) != gid) {
			fprintf(stderr, "round %d: %s\n", r, pfq_error(q));
			return 3;
		}
		n = gt_groups_in_b(info);
		for (int i = 0; i < n; i++)
			for (int j = 0; info[i].gid == gid && j < info[i].nmembers; j++)
				seen |= info[i].members[j].pid == getpid();
		if (!seen) {
			fprintf(stderr, "round %d: process %d joined a group no one sees\n", r,
				getpid());
			return 4;
		}
		pfq_close(q);
	}
	free(info);
	return 0;
}

/* processes joining and leaving one group at once: a file removed by the
 * last one out never holds a member that came in meanwhile */
static void test_join_leave_race(void **s)
{
	enum { PROCS = 4, ROUNDS = 60 };
	char path[256], dir[512];
	pid_t pid[PROCS];
	int st;

	(void)s;
	run_dir("race", path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s/%" PRIu64, path, netns_b());
	for (int i = 0; i < PROCS; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(join_leave_rounds(6, ROUNDS));
	}
	for (int i = 0; i < PROCS; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_false(exists(dir));
	printf("  %d processes x %d joins and leaves: every member in the group's file, "
	       "nothing left\n", PROCS, ROUNDS);
}

static int setup(void **s)
{
	(void)s;
	if (!mkdtemp(top))
		return -1;
	return th_create(&gt_th, 2, 1);
}

static int teardown(void **s)
{
	char cmd[300];

	(void)s;
	th_destroy(&gt_th);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directories_checked),
		cmocka_unit_test(test_damaged_while_running),
		cmocka_unit_test(test_file_goes_with_group),
		cmocka_unit_test(test_join_leave_race),
	};

	return cmocka_run_group_tests_name("registry", tests, setup, teardown);
}
