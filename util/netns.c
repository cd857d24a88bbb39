/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

int netns_enter(const char *name)
{
	char path[PATH_MAX];
	int saved, target, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return -errno;
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0 || setns(target, CLONE_NEWNET) < 0)
		err = -errno;
	if (target >= 0)
		close(target);
	if (err) {
		close(saved);
		return err;
	}
	return saved;
}

int netns_leave(int saved)
{
	int err = setns(saved, CLONE_NEWNET) < 0 ? -errno : 0;

	close(saved);
	return err;
}
