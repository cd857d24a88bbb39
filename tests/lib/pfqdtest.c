/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfqd on a test host (tests/lib/grouptest.h): it runs in side B's
 * namespace with the test's registry, its configuration, control socket and
 * log in a directory of the test (pt_setup/pt_teardown, one per test). Its
 * readiness comes through sd_notify (NOTIFY_SOCKET set to a datagram socket
 * of the test), its answers through the control socket (JSON, jansson).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "pfqdtest.h"
#include "grouptest.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

char dir[48];
char conf_path[100], ctl_path[100], notify_path[100], log_path[100];
static int notify_fd = -1;

/* ---- pfqd ---- */

/* the configuration file: [pfqd] with the test's control socket and the
 * keys given ("key = value\n" lines), then the groups given */
void write_conf_keys(const char *keys, const char *groups)
{
	FILE *f = fopen(conf_path, "w");

	assert_non_null(f);
	fprintf(f, "[pfqd]\ncontrol = %s\ncontrol_mode = 0666\n%s\n%s", ctl_path, keys, groups);
	assert_int_equal(fclose(f), 0);
}

void write_conf(const char *groups)
{
	write_conf_keys("", groups);
}

/* wait for a notification holding what (READY=1, RELOADING=1, ...) */
void wait_notify(const char *what, int ms)
{
	char buf[512];

	for (int waited = 0; waited < ms;) {
		struct pollfd p = { .fd = notify_fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 50) == 0) {
			waited += 50;
			continue;
		}
		n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, what))
			return;
	}
	fail_msg("pfqd did not notify %s within %d ms (log: %s)", what, ms, log_path);
}

void drain_notify(void)
{
	char buf[512];

	while (recv(notify_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* start pfqd in side B and wait for READY=1 */
/* the pfqds a test started and did not stop (a failed assertion skips the
 * test's own stop: the next test would meet that pfqd's members) */
static pid_t running[16];

static void remember(pid_t pid, bool on)
{
	for (int i = 0; i < 16; i++)
		if (on ? running[i] == 0 : running[i] == pid) {
			running[i] = on ? pid : 0;
			return;
		}
}

pid_t pfqd_start(void)
{
	pid_t pid;

	drain_notify();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

		gt_child_init();
		if (fd >= 0)
			dup2(fd, 2);
		if (th_enter(&gt_th, 'b') < 0)
			_exit(120);
		setenv("NOTIFY_SOCKET", notify_path, 1);
		execl(PFQD_BIN, "pfqd", "-c", conf_path, (char *)NULL);
		_exit(127);
	}
	remember(pid, true);
	wait_notify("READY=1", 20000);
	return pid;
}

/* SIGTERM, exit status 0, STOPPING=1 said */
void pfqd_stop(pid_t pid)
{
	int st;

	remember(pid, false);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("pfqd ended with status 0x%x (log: %s)", st, log_path);
	wait_notify("STOPPING=1", 1000);
}

/* one request on the control socket, its answer parsed */
json_t *ctl(const char *req)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char buf[1 << 16];
	size_t n = 0;
	json_error_t e;
	json_t *j;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", ctl_path);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	/* (pfqd may close before taking it all: a request too long) */
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req))
		(void)!send(fd, "\n", 1, MSG_NOSIGNAL);
	while (n < sizeof(buf) - 1 && !memchr(buf, '\n', n)) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	j = json_loads(buf, JSON_DISABLE_EOF_CHECK, &e);
	if (!j)
		fail_msg("control answer is not JSON: '%s' (%s)", buf, e.text);
	return j;
}

bool ok_of(json_t *j)
{
	return json_is_true(json_object_get(j, "ok"));
}

/* the status entry of group gid (borrowed from st), or NULL */
json_t *status_group(json_t *st, int gid)
{
	json_t *gs = json_object_get(st, "groups"), *g;
	size_t i;

	json_array_foreach(gs, i, g)
		if (json_integer_value(json_object_get(g, "gid")) == gid)
			return g;
	return NULL;
}

json_int_t socket_of(int gid)
{
	json_t *st = ctl("{\"cmd\":\"status\"}"), *g = status_group(st, gid);
	json_int_t id;

	assert_non_null(g);
	id = json_integer_value(json_object_get(g, "socket"));
	json_decref(st);
	return id;
}

bool group_exists(int gid)
{
	struct pfq_group_info info[PFQ_MAX_GROUPS];
	int n = gt_groups_in_b(info);

	for (int i = 0; i < n && i < PFQ_MAX_GROUPS; i++)
		if (info[i].gid == gid)
			return true;
	return false;
}


int pt_setup(void **s)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	(void)s;
	snprintf(dir, sizeof(dir), "/tmp/pfqd-test-XXXXXX");
	/* open to every user: members joining through pfqd drop their
	 * privileges first */
	if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/pfqd.conf", dir);
	snprintf(ctl_path, sizeof(ctl_path), "%s/control", dir);
	snprintf(notify_path, sizeof(notify_path), "%s/notify", dir);
	snprintf(log_path, sizeof(log_path), "%s/pfqd.log", dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", notify_path);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0 || bind(notify_fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	return 0;
}

int pt_teardown(void **s)
{
	char cmd[512];

	(void)s;
	for (int i = 0; i < 16; i++)
		if (running[i] > 0) {
			/* (only a child of ours not reaped yet: a test that
			 * killed its pfqd itself reaped it, and its pid may be
			 * another process's now) */
			if (waitpid(running[i], NULL, WNOHANG) == 0) {
				kill(running[i], SIGKILL);
				waitpid(running[i], NULL, 0);
			}
			running[i] = 0;
		}
	close(notify_fd);
	snprintf(cmd, sizeof(cmd), "cat %s >&2; rm -rf %s", log_path, dir);
	if (getenv("PFQD_TEST_LOG"))
		(void)!system(cmd);
	else {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	}
	return 0;
}

