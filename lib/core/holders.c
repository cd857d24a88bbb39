/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Does another process hold a socket? Used before an exported member's
 * fanout socket is closed in order (group.c): the kernel takes a socket out
 * of a fanout only with its last reference, so one an importer still holds
 * must not be counted as gone. /proc tells descriptors and mappings of the
 * processes we may read; a process whose descriptors we may not read
 * counts as a holder (its maps: see maps_name).
 * Descriptors in flight in a unix socket are seen nowhere: a client hiding
 * them so escapes the check (design.md, Handover). A parked socket is
 * looked for again later (group_kernel.c, gk_unpark), many in one pass;
 * the mapping of its rings that a process of the group keeps then does
 * not count (gk_keep_parked).
 */
#include "pfq-int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* which of the n sockets (link texts want[]) do the descriptors of task
 * dir (a /proc path: "/proc/PID" or "/proc/PID/task/TID") name? marks them
 * in held[] */
static void fds_name(const char *dir, char want[][32], int n, bool *held, bool *unreadable)
{
	char path[128], link[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%.96s/fd", dir);
	d = opendir(path);
	if (!d) {
		/* gone meanwhile is not a holder; refused is */
		*unreadable |= errno == EACCES || errno == EPERM;
		return;
	}
	while ((e = readdir(d))) {
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%.96s/fd/%.16s", dir, e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		for (int i = 0; i < n; i++)
			held[i] |= strcmp(link, want[i]) == 0;
	}
	closedir(d);
}

/* The descriptors of process pid: its own table, and those of its threads
 * made without sharing it (clone without CLONE_FILES: a hostile client kept
 * its copies there, where /proc/PID/fd does not show them). A thread that
 * shares the table (kcmp says so; the usual case) is not read again. */
static void proc_fds_name(const char *pid, char want[][32], int n, bool *held, bool *unreadable)
{
	char dir[96];
	struct dirent *e;
	DIR *d;
	long self = atol(pid);

	snprintf(dir, sizeof(dir), "/proc/%.16s", pid);
	fds_name(dir, want, n, held, unreadable);
	snprintf(dir, sizeof(dir), "/proc/%.16s/task", pid);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		long tid = atol(e->d_name);

		if (tid <= 0 || tid == self ||
		    syscall(SYS_kcmp, (pid_t)self, (pid_t)tid, KCMP_FILES, 0, 0) == 0)
			continue;
		snprintf(dir, sizeof(dir), "/proc/%.16s/task/%.16s", pid, e->d_name);
		fds_name(dir, want, n, held, unreadable);
	}
	closedir(d);
}

/* which of the sockets does a mapping of process pid name (their rings)?
 * Maps we may not read do not count: a process whose descriptors we read
 * may still refuse its maps (a pid 1 with capabilities we lack does, even
 * to root), and counting it made every socket look held, so that every
 * exported member was parked when it ended, and a group's vault (96
 * records) was full after as many joins through pfqd. To hold a mapping
 * without a descriptor, a client would have to make such a process map
 * its socket. */
static void maps_name(const char *pid, char want[][32], int n, bool *held)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%.16s/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* the path is the sixth field: compared whole, so that a file
		 * named after the socket does not count */
		char *name = line;
		size_t len;

		for (int field = 0; field < 5 && name; field++) {
			name = strchr(name, ' ');
			while (name && *name == ' ')
				name++;
		}
		if (!name)
			continue;
		len = strcspn(name, "\n");
		name[len] = '\0';
		for (int i = 0; i < n; i++)
			held[i] |= strcmp(name, want[i]) == 0;
	}
	fclose(f);
}

/* is pid (a /proc name) one of the n of pids[]? */
static bool pid_in(const char *pid, const int32_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0 && atoi(pid) == pids[i])
			return true;
	return false;
}

int pfq_sockets_held_elsewhere(const uint64_t *ino, int n, bool *held, const int32_t *mappers,
			       int nmappers, bool *mapped)
{
	char (*want)[32], self[16];
	struct dirent *e;
	bool unreadable = false;
	DIR *d;

	for (int i = 0; i < n; i++) {
		held[i] = true;
		if (mapped)
			mapped[i] = false;
	}
	want = calloc((size_t)(n > 0 ? n : 1), sizeof(*want));
	d = want ? opendir("/proc") : NULL;
	if (!d) {
		free(want);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(want[i], sizeof(want[i]), "socket:[%llu]", (unsigned long long)ino[i]);
		held[i] = false;
	}
	snprintf(self, sizeof(self), "%d", (int)getpid());
	while (!unreadable && (e = readdir(d))) {
		bool all = true;

		if (!isdigit((unsigned char)e->d_name[0]) || strcmp(e->d_name, self) == 0)
			continue;
		proc_fds_name(e->d_name, want, n, held, &unreadable);
		if (!pid_in(e->d_name, mappers, nmappers))
			maps_name(e->d_name, want, n, held);
		else if (mapped)
			maps_name(e->d_name, want, n, mapped);
		for (int i = 0; i < n; i++)
			all &= held[i];
		if (all)
			break; /* nothing left to find */
	}
	closedir(d);
	free(want);
	if (unreadable)
		for (int i = 0; i < n; i++)
			held[i] = true;
	return unreadable ? -1 : 0;
}

bool pfq_socket_held_elsewhere(int fd)
{
	struct stat st;
	uint64_t ino;
	bool held;

	if (fstat(fd, &st) < 0)
		return true;
	ino = (uint64_t)st.st_ino;
	pfq_sockets_held_elsewhere(&ino, 1, &held, NULL, 0, NULL);
	return held;
}
