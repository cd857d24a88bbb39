/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Does another process hold a socket? Used before an exported member's
 * fanout socket is closed in order (group.c): the kernel takes a socket out
 * of a fanout only with its last reference, so one an importer still holds
 * must not be counted as gone. /proc tells descriptors and mappings of the
 * processes we may read; a process whose descriptors we may not read
 * counts as a holder (its maps: see maps_name).
 * Descriptors in flight in a unix socket are seen nowhere: a client hiding
 * them so escapes the check (design.md, Handover).
 */
#include "pfq-int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* does a descriptor of process pid name the socket (link text want)? */
static bool fds_name(const char *pid, const char *want, bool *unreadable)
{
	char path[64], link[64];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%.16s/fd", pid);
	d = opendir(path);
	if (!d) {
		/* gone meanwhile is not a holder; refused is */
		*unreadable |= errno == EACCES || errno == EPERM;
		return false;
	}
	while (!found && (e = readdir(d))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/fd/%.16s", pid, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = strcmp(link, want) == 0;
	}
	closedir(d);
	return found;
}

/* does a mapping of process pid name the socket (its ring)? Maps we may
 * not read do not count: a process whose descriptors we read may still
 * refuse its maps (a pid 1 with capabilities we lack does, even to root),
 * and counting it made every socket look held, so that every exported
 * member was parked when it ended, and a group's vault (96 records) was
 * full after as many joins through pfqd. To hold a mapping without a
 * descriptor, a client would have to make such a process map its socket. */
static bool maps_name(const char *pid, const char *want)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%.16s/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want) != NULL;
	fclose(f);
	return found;
}

bool pfq_socket_held_elsewhere(int fd)
{
	char want[48], self[16];
	struct dirent *e;
	struct stat st;
	bool held = false, unreadable = false;
	DIR *d;

	if (fstat(fd, &st) < 0)
		return true;
	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)st.st_ino);
	snprintf(self, sizeof(self), "%d", (int)getpid());
	d = opendir("/proc");
	if (!d)
		return true;
	while (!held && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]) || strcmp(e->d_name, self) == 0)
			continue;
		held = fds_name(e->d_name, want, &unreadable) || maps_name(e->d_name, want);
	}
	closedir(d);
	return held || unreadable;
}
