/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A group's vault: descriptors in flight in a unix socket pair (vault.h). */
#include "vault.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

struct vrec {
	uint32_t kind;
	uint32_t pad;
	uint64_t key;
};

int vault_create(int v[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, v) < 0 ? -errno : 0;
}

int vault_put(const int v[2], int fd, uint32_t kind, uint64_t key)
{
	struct vrec r = { .kind = kind, .key = key };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &r, sizeof(r) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	ssize_t n;

	memset(cbuf, 0, sizeof(cbuf));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(v[1], &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(r) ? 0 : -EIO;
}

static int vault_recv(const int v[2], uint32_t *kind, uint64_t *key, int flags)
{
	struct vrec r;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &r, sizeof(r) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;
	int fd = -1;

	do
		n = recvmsg(v[0], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ENOENT : -errno;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	/* a record is written whole with its descriptor: anything else is not ours */
	if (n != (ssize_t)sizeof(r) || fd < 0 || (m.msg_flags & MSG_CTRUNC)) {
		if (fd >= 0)
			close(fd);
		return -EBADMSG;
	}
	*kind = r.kind;
	*key = r.key;
	return fd;
}

int vault_pop(const int v[2], uint32_t *kind, uint64_t *key)
{
	return vault_recv(v, kind, key, 0);
}

int vault_peek(const int v[2], uint32_t index, uint32_t *kind, uint64_t *key)
{
	/* the records are 16 bytes each: peeking at the offset of the index
	 * gives that one's descriptor (a copy), the queue left as it is */
	int off = (int)(index * sizeof(struct vrec)), none = -1, fd;

	if (index > (uint32_t)(INT32_MAX / sizeof(struct vrec)))
		return -EINVAL;
	if (setsockopt(v[0], SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
		return -errno;
	fd = vault_recv(v, kind, key, MSG_PEEK);
	/* (normal reads ignore it; the next peek would start there) */
	setsockopt(v[0], SOL_SOCKET, SO_PEEK_OFF, &none, sizeof(none));
	return fd;
}

uint64_t sock_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t l = sizeof(c);

	return getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &l) < 0 ? 0 : c;
}

int pidfd_dup(pid_t pid, int fdnum)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), fd, e;

	if (pfd < 0)
		return -errno;
	fd = (int)syscall(SYS_pidfd_getfd, pfd, fdnum, 0);
	e = errno;
	close(pfd);
	return fd < 0 ? -e : fd;
}

int fd_fetch(pid_t pid, int fdnum, uint64_t cookie)
{
	int fd = pidfd_dup(pid, fdnum);

	if (fd < 0)
		return fd;
	if (sock_cookie(fd) != cookie || !cookie) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int vault_fetch(pid_t pid, const int32_t fdnum[2], const uint64_t cookie[2], int v[2])
{
	v[0] = fd_fetch(pid, fdnum[0], cookie[0]);
	if (v[0] < 0)
		return v[0];
	v[1] = fd_fetch(pid, fdnum[1], cookie[1]);
	if (v[1] < 0) {
		int e = v[1];

		close(v[0]);
		v[0] = -1;
		return e;
	}
	return 0;
}
