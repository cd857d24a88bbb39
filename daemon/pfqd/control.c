/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening the control socket and the metrics socket. */
#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(int fd, char *err, size_t n, const char *fmt, const char *a, int e)
{
	snprintf(err, n, fmt, a, strerror(e));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* the parent directory of path, made if missing */
static int make_dir(const char *path, char *err, size_t n)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : fail(-1, err, n, "%s: %s", dir, ENOTDIR);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail(-1, err, n, "cannot make %s: %s", dir, errno);
	return 0;
}

static int group_id(const char *group, gid_t *gid, char *err, size_t n)
{
	struct group *gr;
	char *end;
	unsigned long v;

	*gid = (gid_t)-1;
	if (!group)
		return 0;
	gr = getgrnam(group);
	v = strtoul(group, &end, 10);
	if (gr)
		*gid = gr->gr_gid;
	else if (*group && !*end && pfqd_id_in_range(group))
		*gid = (gid_t)v;
	else
		return fail(-1, err, n, "control_group %s: %s", group, ENOENT);
	return 0;
}

/* Give the socket at path its group and mode, without following a
 * symbolic link put in its place (chmod and chown follow them: in a
 * directory others may write to, a link raced in would have had root
 * give any file the socket's mode). 0, or -1 with errno. */
static int socket_mode(const char *path, gid_t gid, mode_t mode)
{
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC), rc = -1, e;
	char proc[64];
	struct stat st;

	if (fd < 0)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) < 0)
		goto out;
	if (!S_ISSOCK(st.st_mode)) {
		errno = ENOTSOCK;
		goto out;
	}
	if (gid != (gid_t)-1 && fchownat(fd, "", (uid_t)-1, gid, AT_EMPTY_PATH) < 0)
		goto out;
	/* (the descriptor's link in /proc names the socket itself; pfqd needs
	 * /proc anyway, for its members' processes) */
	rc = chmod(proc, mode);
out:
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

int control_chmod(const char *path, mode_t mode, const char *group, char *err, size_t n)
{
	gid_t gid;

	if (group_id(group, &gid, err, n) < 0)
		return -1;
	if (socket_mode(path, gid, mode) < 0)
		return fail(-1, err, n, "control socket %s: %s", path, errno);
	return 0;
}

int control_listen(const char *path, mode_t mode, const char *group, char *err, size_t n)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	gid_t gid;
	mode_t old;
	int fd, rc;

	if (group_id(group, &gid, err, n) < 0)
		return -1;
	if (make_dir(path, err, n) < 0)
		return -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(-1, err, n, "control socket %s: %s", path, errno);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return fail(fd, err, n, "%s exists and is not a socket (%s)", path, EEXIST);
		/* a socket: stale unless someone answers on it */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(probe);
			return fail(fd, err, n, "%s: another pfqd listens on it (%s)", path, EADDRINUSE);
		}
		if (probe >= 0)
			close(probe);
		if (unlink(path) < 0 && errno != ENOENT)
			return fail(fd, err, n, "cannot remove the stale socket %s: %s", path, errno);
	}
	/* made with no access at all, then given its mode: never looser */
	old = umask(0777);
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (rc < 0)
		return fail(fd, err, n, "control socket %s: %s", path, errno);
	if (socket_mode(path, gid, mode) < 0) {
		int e = errno;

		unlink(path);
		return fail(fd, err, n, "control socket %s: %s", path, e);
	}
	if (listen(fd, 16) < 0) {
		int e = errno;

		unlink(path);
		return fail(fd, err, n, "control socket %s: %s", path, e);
	}
	return fd;
}

int metrics_listen(const char *addr, bool remote, char *err, size_t n)
{
	struct sockaddr_storage ss = { 0 };
	const char *colon = strrchr(addr, ':');
	char host[64];
	socklen_t len;
	int fd, one = 1, port = atoi(colon + 1);
	bool loopback;

	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host, &s6->sin6_addr);
		loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &s4->sin_addr);
		loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
		len = sizeof(*s4);
	}
	if (!loopback && !remote) {
		snprintf(err, n, "metrics: %s is not a loopback address (metrics_remote = yes "
			 "allows it)", host);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(-1, err, n, "metrics %s: %s", addr, errno);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0)
		return fail(fd, err, n, "metrics %s: %s", addr, errno);
	return fd;
}
