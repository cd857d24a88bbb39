/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The group registry file: location, mapping, locking, liveness. */
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* flock excludes other processes; threads of this one share the open file
 * description, so they take this mutex too */
static pthread_mutex_t reg_mutex = PTHREAD_MUTEX_INITIALIZER;

/* one mapping per network namespace the process has used */
#define REG_CACHE 4
static struct {
	ino_t netns;
	int fd;
	struct registry *map;
} cache[REG_CACHE];

static int errf(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

static int mkdirs(const char *path)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* open (creating) and map the registry of network namespace ino */
static struct registry *open_registry(ino_t ino, int *fdp, char *err, size_t errlen)
{
	const char *dir = getenv("PFQ_RUN_DIR");
	char path[512];
	struct stat st;
	struct registry *r;
	int fd;

	if (!dir || !*dir)
		dir = "/run/pfq";
	snprintf(path, sizeof(path), "%s/%ju", dir, (uintmax_t)ino);
	if (mkdirs(path) < 0) {
		errf(err, errlen, errno, "cannot create the run directory %s: %s", path,
		     strerror(errno));
		return NULL;
	}
	/* the name carries the layout: builds that differ never share a file */
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/groups-%u-%zu", REG_VERSION,
		 sizeof(struct registry));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		errf(err, errlen, errno, "cannot open the group registry %s: %s", path,
		     strerror(errno));
		return NULL;
	}
	/* size it under the lock, so that two first users do not race */
	flock(fd, LOCK_EX);
	if (fstat(fd, &st) == 0 && (size_t)st.st_size < sizeof(struct registry) &&
	    ftruncate(fd, sizeof(struct registry)) < 0) {
		int e = errno;

		flock(fd, LOCK_UN);
		close(fd);
		errf(err, errlen, e, "cannot size the group registry %s: %s", path, strerror(e));
		return NULL;
	}
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED) {
		int e = errno;

		flock(fd, LOCK_UN);
		close(fd);
		errf(err, errlen, e, "cannot map the group registry %s: %s", path, strerror(e));
		return NULL;
	}
	if (r->magic == 0) {
		r->magic = REG_MAGIC;
		r->version = REG_VERSION;
		r->next_id = 1;
		r->size = sizeof(*r);
	}
	flock(fd, LOCK_UN);
	if (r->magic != REG_MAGIC || r->version != REG_VERSION || r->size != sizeof(*r)) {
		munmap(r, sizeof(*r));
		close(fd);
		errf(err, errlen, EPROTO, "%s is not a group registry of this version "
		     "(remove it when no PFQ program runs)", path);
		return NULL;
	}
	*fdp = fd;
	return r;
}

/* the process that opened the cached files */
static pid_t cache_pid;

static int cache_slot(ino_t ino, char *err, size_t errlen)
{
	int free_slot = -1;

	/* after a fork the child shares the parent's open files, and flock
	 * locks belong to the open file: it must open its own to be excluded */
	if (cache_pid != getpid()) {
		for (int i = 0; i < REG_CACHE; i++) {
			if (cache[i].map) {
				munmap(cache[i].map, sizeof(struct registry));
				close(cache[i].fd);
			}
			cache[i].map = NULL;
		}
		cache_pid = getpid();
	}

	for (int i = 0; i < REG_CACHE; i++) {
		if (cache[i].map && cache[i].netns == ino)
			return i;
		if (!cache[i].map && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0) {
		/* more namespaces than slots: recycle the first */
		munmap(cache[0].map, sizeof(struct registry));
		close(cache[0].fd);
		cache[0].map = NULL;
		free_slot = 0;
	}
	cache[free_slot].map = open_registry(ino, &cache[free_slot].fd, err, errlen);
	if (!cache[free_slot].map)
		return -1;
	cache[free_slot].netns = ino;
	return free_slot;
}

uint64_t registry_netns_of_thread(void)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) < 0 && stat("/proc/self/ns/net", &st) < 0)
		return 0;
	return st.st_ino;
}

uint64_t registry_netns_of_socket(int fd)
{
	struct stat st;
	int ns = ioctl(fd, SIOCGSKNS);

	if (ns < 0)
		return registry_netns_of_thread();
	if (fstat(ns, &st) < 0)
		st.st_ino = 0;
	close(ns);
	return st.st_ino;
}

struct registry *registry_lock(uint64_t netns, char *err, size_t errlen)
{
	int i;

	if (!netns) {
		errf(err, errlen, ENOENT, "cannot identify the network namespace");
		return NULL;
	}
	pthread_mutex_lock(&reg_mutex);
	i = cache_slot((ino_t)netns, err, errlen);
	if (i < 0) {
		pthread_mutex_unlock(&reg_mutex);
		return NULL;
	}
	while (flock(cache[i].fd, LOCK_EX) < 0 && errno == EINTR)
		;
	return cache[i].map;
}

void registry_unlock(struct registry *r)
{
	for (int i = 0; i < REG_CACHE; i++)
		if (cache[i].map == r) {
			flock(cache[i].fd, LOCK_UN);
			break;
		}
	pthread_mutex_unlock(&reg_mutex);
}

/* start time of a process (field 22 of /proc/pid/stat), 0 if none */
static uint64_t proc_start(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the command name may hold spaces: count fields after its ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	/* p is before field 3; move it before field 22 */
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p, " %llu", &start);
	return start;
}

struct reg_proc registry_self(void)
{
	static __thread struct reg_proc self;
	int pid = getpid();

	/* cached per process (a fork gets a new pid) */
	if (self.pid != pid) {
		self.pid = pid;
		self.start = proc_start(pid);
	}
	return self;
}

bool registry_proc_alive(const struct reg_proc *p)
{
	if (p->pid <= 0)
		return false;
	if (kill(p->pid, 0) < 0 && errno == ESRCH)
		return false;
	/* the pid may have been reused by another process */
	return proc_start(p->pid) == p->start;
}

bool registry_same_proc(const struct reg_proc *a, const struct reg_proc *b)
{
	return a->pid == b->pid && a->start == b->start;
}

int reg_find_member(const struct reg_group *g, uint32_t id)
{
	for (int i = 0; i < REG_MAX_MEMBERS; i++)
		if (g->m[i].id == id && id)
			return i;
	return -1;
}

int reg_count_members(const struct reg_group *g)
{
	int n = 0;

	for (int i = 0; i < REG_MAX_MEMBERS; i++)
		n += g->m[i].id != 0;
	return n;
}

int reg_count_holders(const struct reg_group *g)
{
	int n = 0;

	for (int i = 0; i < REG_MAX_HOLDERS; i++)
		n += g->holders[i].pid > 0;
	return n;
}

void reg_free_group(struct reg_group *g)
{
	memset(g, 0, sizeof(*g));
}

/* The file is root's, but a bad length must never send a loop past an
 * array: lengths out of range are taken as empty. */
static void sanitize(struct reg_group *g)
{
	if (g->nbind > PFQ_GROUP_MAX_BINDINGS)
		g->nbind = 0;
	if (g->tc_n > PFQ_GROUP_MAX_BINDINGS)
		g->tc_n = 0;
	if (g->fprog_len > REG_MAX_FPROG)
		g->fprog_len = 0;
	if (g->source_len >= REG_MAX_SOURCE)
		g->source_len = 0;
	g->source[REG_MAX_SOURCE - 1] = '\0';
	for (int i = 0; i < PFQ_GROUP_MAX_BINDINGS; i++)
		g->bind_dev[i][15] = '\0';
}

void registry_reap(struct registry *r, void (*changed)(struct registry *r, int gid))
{
	/* one liveness check per process, not per member */
	struct reg_proc seen[64];
	bool alive[64];
	int nseen = 0;

	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++) {
		struct reg_group *g = &r->g[gid];
		bool change = false;

		if (!g->used)
			continue;
		sanitize(g);
		change = g->dirty != 0;
		for (int i = 0; i < REG_MAX_MEMBERS + REG_MAX_HOLDERS; i++) {
			bool member = i < REG_MAX_MEMBERS;
			struct reg_proc *p = member ? &g->m[i].proc : &g->holders[i - REG_MAX_MEMBERS];
			int k;

			if (member ? !g->m[i].id : p->pid <= 0)
				continue;
			for (k = 0; k < nseen; k++)
				if (registry_same_proc(&seen[k], p))
					break;
			if (k == nseen) {
				bool a = registry_proc_alive(p);

				if (nseen < 64) {
					seen[nseen] = *p;
					alive[nseen++] = a;
				}
				if (a)
					continue;
			} else if (alive[k]) {
				continue;
			}
			if (member)
				memset(&g->m[i], 0, sizeof(g->m[i]));
			else
				memset(p, 0, sizeof(*p));
			change = true;
		}
		if (!change)
			continue;
		g->gen++;
		/* the callback frees an empty group (after undoing its kernel
		 * side); without one, free it here */
		if (changed)
			changed(r, gid);
		else if (!reg_count_members(g) && !reg_count_holders(g))
			reg_free_group(g);
	}
}
