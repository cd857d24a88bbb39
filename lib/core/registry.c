/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The group registry files: trusted directories, checked files, double-
 * buffered records, OFD locks (see registry.h). */
#include "registry.h"
#include "../shared.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_SIZE 4096u
#define SLOT_SIZE ((sizeof(struct reg_group) + 4095u) & ~4095u)
#define STATS_OFF (HDR_SIZE + 2 * SLOT_SIZE)
#define FILE_SIZE (STATS_OFF + REG_MAX_MEMBERS * sizeof(struct reg_mstats))

struct reg_header {
	uint32_t magic, version;
	uint64_t record_size; /* sizeof(struct reg_group) of the writer */
	uint64_t seq;         /* commits so far; the record is in slot seq % 2 */
	uint64_t sum[2];      /* checksum of each slot's record */
};

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

/* a directory we may trust: ours (or root's), not writable by others */
static int trusted_dir(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return pfq_errf(err, errlen, errno, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return pfq_errf(err, errlen, ENOTDIR, "%s is not a directory", path);
	if ((st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & 022))
		return pfq_errf(err, errlen, EPERM, "the run directory %s is not safe: it must belong "
			    "to root (or to uid %u) and not be writable by group or others "
			    "(owner %u, mode %03o)", path, (unsigned)geteuid(), (unsigned)st.st_uid,
			    (unsigned)(st.st_mode & 0777));
	return 0;
}

/* open (making when missing, if create) directory name inside dirfd,
 * checked; missing and not made: -ENOENT */
static int open_dir_at(int dirfd, const char *name, const char *shown, bool create, char *err,
		       size_t errlen)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc;

	if (fd < 0 && errno == ENOENT && !create)
		return pfq_errf(err, errlen, ENOENT, "%s does not exist", shown);
	/* (another process may remove it again, empty, between our mkdir and
	 * open: reg_unlink) */
	for (int tries = 0; fd < 0 && errno == ENOENT && tries < 16; tries++) {
		if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
			return pfq_errf(err, errlen, errno, "cannot create %s: %s", shown,
				    strerror(errno));
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return pfq_errf(err, errlen, errno, "cannot open %s: %s%s", shown, strerror(errno),
			    errno == ELOOP || errno == ENOTDIR ? " (a symbolic link or a file, "
			    "not a directory)" : "");
	rc = trusted_dir(fd, shown, err, errlen);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* the run directory ($PFQ_RUN_DIR, made with its parents when missing if
 * create; missing and not made: -ENOENT) */
static int open_run_dir(char *path, size_t pathlen, bool create, char *err, size_t errlen)
{
	const char *dir = secure_getenv("PFQ_RUN_DIR");
	char buf[512];
	int fd;

	if (!dir || !*dir)
		dir = "/run/pfq";
	if (dir[0] != '/' || strlen(dir) >= sizeof(buf))
		return pfq_errf(err, errlen, EINVAL, "PFQ_RUN_DIR '%s': not an absolute path "
			    "(of at most %zu characters)", dir, sizeof(buf) - 1);
	snprintf(path, pathlen, "%s", dir);
	snprintf(buf, sizeof(buf), "%s", dir);
	/* the parents: made if missing (0755), not checked (the last one is) */
	for (char *p = buf + 1; create && *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return pfq_errf(err, errlen, errno, "cannot create %s: %s", buf,
				    strerror(errno));
		*p = '/';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create && mkdir(dir, 0755) == 0)
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pfq_errf(err, errlen, errno, "cannot open the run directory %s: %s", dir,
			    strerror(errno));
	int rc = trusted_dir(fd, dir, err, errlen);

	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* the directory of netns's groups; create: made (with the run directory)
 * when missing, else a missing one is -ENOENT: a look from outside (pfq-stat)
 * makes nothing */
static int open_ns_dir(uint64_t netns, bool create, char *err, size_t errlen)
{
	char run[512], name[32], shown[600];
	int run_fd, fd;

	if (!netns)
		return pfq_errf(err, errlen, ENOENT, "cannot identify the network namespace");
	run_fd = open_run_dir(run, sizeof(run), create, err, errlen);
	if (run_fd < 0)
		return run_fd;
	snprintf(name, sizeof(name), "%" PRIu64, netns);
	snprintf(shown, sizeof(shown), "%s/%s", run, name);
	fd = open_dir_at(run_fd, name, shown, create, err, errlen);
	close(run_fd);
	return fd;
}

/* a group file we may trust: a regular file of ours, one link, 0600, sized */
static int trusted_file(int fd, const char *shown, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return pfq_errf(err, errlen, errno, "%s: %s", shown, strerror(errno));
	/* (no link: removed with its group since our open; the locked look
	 * that follows opens the group's path again) */
	if (!S_ISREG(st.st_mode) || st.st_nlink > 1 || st.st_uid != geteuid() ||
	    (st.st_mode & 077))
		return pfq_errf(err, errlen, EPERM, "%s is not a registry file of ours (it must be a "
			    "regular file of uid %u, mode 0600, with one link)", shown,
			    (unsigned)geteuid());
	/* (a wrong size is damage, which the reader reports and repairs) */
	return 0;
}

/* open (or make) file name in dir: fd or -errno */
static int open_group_file(int dir, const char *name, int gid, bool create, uint64_t netns,
			   char *err, size_t errlen)
{
	int fd = openat(dir, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT || !create)
		return fd < 0 ? -errno : fd;
	fd = openat(dir, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		/* an empty record at once: an empty file is a damaged one */
		struct reg_group *g = calloc(1, sizeof(*g));
		struct reg_file nf = { .fd = fd, .gid = gid, .netns = netns };

		if (!g || reg_write(&nf, g) < 0) {
			free(g);
			close(fd);
			unlinkat(dir, name, 0);
			return pfq_errf(err, errlen, ENOMEM, "cannot make the registry of group %d",
				    gid);
		}
		free(g);
		return fd;
	}
	if (errno == EEXIST) /* made meanwhile */
		fd = openat(dir, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int reg_open(uint64_t netns, int gid, bool create, struct reg_file *f, char *err, size_t errlen)
{
	char name[16];
	int dir, fd = -ENOENT, rc;

	f->fd = -1;
	snprintf(name, sizeof(name), "g%d", gid);
	/* the namespace's directory goes with its last group file (reg_unlink):
	 * a file made in it just after that fails with ENOENT, so look again */
	for (int tries = 0; tries < 16; tries++) {
		dir = open_ns_dir(netns, create, err, errlen);
		if (dir == -ENOENT && !create && netns)
			return pfq_errf(err, errlen, ENOENT, "group %d does not exist", gid);
		if (dir < 0)
			return dir;
		err[0] = '\0';
		fd = open_group_file(dir, name, gid, create, netns, err, errlen);
		close(dir);
		if (fd != -ENOENT || !create)
			break;
	}
	if (fd < 0 && err[0])
		return fd;
	if (fd < 0)
		return fd == -ENOENT ? pfq_errf(err, errlen, ENOENT, "group %d does not exist", gid) :
			pfq_errf(err, errlen, -fd, "cannot open the registry of group %d: %s", gid,
			     strerror(-fd));
	snprintf(name, sizeof(name), "group %d", gid);
	rc = trusted_file(fd, name, err, errlen);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	f->fd = fd;
	f->gid = gid;
	f->netns = netns;
	return 0;
}

bool reg_unlinked(struct reg_file *f)
{
	struct stat st;

	return fstat(f->fd, &st) == 0 && st.st_nlink == 0;
}

void reg_unlink(struct reg_file *f)
{
	char run[512], name[32], err[64];
	struct stat mine, there;
	int run_fd, dir;

	if (fstat(f->fd, &mine) < 0 || mine.st_nlink == 0)
		return;
	run_fd = open_run_dir(run, sizeof(run), false, err, sizeof(err));
	if (run_fd < 0)
		return;
	snprintf(name, sizeof(name), "%" PRIu64, f->netns);
	/* (not made when missing, and not checked: only our own file goes) */
	dir = openat(run_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir >= 0) {
		char gname[16];

		snprintf(gname, sizeof(gname), "g%d", f->gid);
		/* only our file: under its lock no one else removes it, so the
		 * name can only be another file if ours was gone already */
		if (fstatat(dir, gname, &there, AT_SYMLINK_NOFOLLOW) == 0 &&
		    there.st_dev == mine.st_dev && there.st_ino == mine.st_ino)
			unlinkat(dir, gname, 0);
		close(dir);
		/* the namespace's directory too when that was its last file (fails
		 * with ENOTEMPTY otherwise; reg_open copes with a directory that
		 * went between its open and the file's) */
		unlinkat(run_fd, name, AT_REMOVEDIR);
	}
	close(run_fd);
}
void reg_close(struct reg_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int reg_list(uint64_t netns, uint64_t *gids, char *err, size_t errlen)
{
	int dir = open_ns_dir(netns, false, err, errlen);
	struct dirent *de;
	DIR *d;

	*gids = 0;
	if (dir == -ENOENT && netns)
		return 0; /* no directory: no group */
	if (dir < 0)
		return dir;
	d = fdopendir(dir);
	if (!d) {
		close(dir);
		return pfq_errf(err, errlen, errno, "cannot list the registry: %s", strerror(errno));
	}
	while ((de = readdir(d))) {
		char *end;
		long gid;

		if (de->d_name[0] != 'g')
			continue;
		gid = strtol(de->d_name + 1, &end, 10);
		if (*end || end == de->d_name + 1 || gid < 0 || gid >= PFQ_MAX_GROUPS)
			continue;
		*gids |= 1ull << gid;
	}
	closedir(d);
	return 0;
}

/* ---- locks ---- */

static int ofd_lock(int fd, short type, off_t start, bool wait)
{
	struct flock l = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = 1 };

	while (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &l) < 0) {
		if (errno == EINTR && wait)
			continue;
		return errno == EAGAIN || errno == EACCES ? -EAGAIN : -errno;
	}
	return 0;
}

int reg_lock(struct reg_file *f, bool exclusive, bool try)
{
	return ofd_lock(f->fd, exclusive ? F_WRLCK : F_RDLCK, 0, !try);
}

void reg_unlock(struct reg_file *f)
{
	ofd_lock(f->fd, F_UNLCK, 0, false);
}

int reg_alive_take(struct reg_file *f, int slot)
{
	return ofd_lock(f->fd, F_WRLCK, REG_ALIVE + slot, false);
}

void reg_alive_drop(struct reg_file *f, int slot)
{
	ofd_lock(f->fd, F_UNLCK, REG_ALIVE + slot, false);
}

bool reg_alive(struct reg_file *f, int slot)
{
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = REG_ALIVE + slot,
			   .l_len = 1 };

	/* another open file holds it (our own locks never conflict with us:
	 * the caller knows its own slot) */
	if (fcntl(f->fd, F_OFD_GETLK, &l) < 0)
		return true; /* cannot tell: keep it */
	return l.l_type != F_UNLCK;
}

/* ---- records ---- */

static uint64_t checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int read_exact(int fd, void *p, size_t n, off_t off)
{
	ssize_t r = pread(fd, p, n, off);

	if (r < 0)
		return -errno;
	return (size_t)r == n ? 0 : -EBADMSG;
}

static int write_exact(int fd, const void *p, size_t n, off_t off)
{
	ssize_t w = pwrite(fd, p, n, off);

	if (w < 0)
		return -errno;
	return (size_t)w == n ? 0 : -EIO;
}

static int read_header(struct reg_file *f, struct reg_header *h)
{
	struct stat st;

	if (fstat(f->fd, &st) < 0)
		return -errno;
	/* (a new file gets its first record when it is made: a shorter one,
	 * even an empty one, was cut) */
	if ((uint64_t)st.st_size != FILE_SIZE || read_exact(f->fd, h, sizeof(*h), 0) < 0 ||
	    h->magic != REG_MAGIC || h->version != REG_VERSION ||
	    h->record_size != sizeof(struct reg_group))
		return -EBADMSG;
	return 0;
}

uint64_t reg_seq(struct reg_file *f)
{
	struct reg_header h;

	return read_header(f, &h) < 0 ? UINT64_MAX : h.seq;
}

int reg_read(struct reg_file *f, struct reg_group *g)
{
	struct reg_header h;
	int rc = read_header(f, &h);

	if (rc < 0)
		return rc;
	rc = read_exact(f->fd, g, sizeof(*g), HDR_SIZE + (off_t)(h.seq % 2) * SLOT_SIZE);
	if (rc < 0)
		return rc;
	if (checksum(g, sizeof(*g)) != h.sum[h.seq % 2])
		return -EBADMSG;
	/* lengths are used as bounds: out of range is damage */
	if (g->nbind > PFQ_GROUP_MAX_BINDINGS || g->tc_n > PFQ_GROUP_MAX_BINDINGS ||
	    g->fprog_len > REG_MAX_FPROG || g->source_len >= REG_MAX_SOURCE ||
	    g->npos > REG_MAX_POS || g->nvault > REG_MAX_VAULT || g->nparked > REG_MAX_PARKED ||
	    g->closing.pos >= REG_MAX_POS)
		return -EBADMSG;
	g->source[REG_MAX_SOURCE - 1] = '\0';
	for (int i = 0; i < PFQ_GROUP_MAX_BINDINGS; i++)
		g->bind_dev[i][15] = '\0';
	return 0;
}

int reg_write(struct reg_file *f, const struct reg_group *g)
{
	struct reg_header h;
	int rc = read_header(f, &h);

	if (rc < 0 || h.magic == 0) {
		/* new or damaged: the file starts over at its size */
		memset(&h, 0, sizeof(h));
		if (ftruncate(f->fd, (off_t)FILE_SIZE) < 0)
			return -errno;
		h.magic = REG_MAGIC;
		h.version = REG_VERSION;
		h.record_size = sizeof(struct reg_group);
		h.seq = 0;
	}
	/* the slot not in use, then the header that points at it */
	uint64_t next = h.seq + 1;

	rc = write_exact(f->fd, g, sizeof(*g), HDR_SIZE + (off_t)(next % 2) * SLOT_SIZE);
	if (rc < 0)
		return rc;
	h.sum[next % 2] = checksum(g, sizeof(*g));
	h.seq = next;
	return write_exact(f->fd, &h, sizeof(h), 0);
}

void reg_stats_put(struct reg_file *f, int row, uint32_t id, uint64_t recv, uint64_t lost)
{
	struct reg_mstats s = { .id = id, .recv = recv, .lost = lost };

	if (row >= 0 && row < REG_MAX_MEMBERS)
		write_exact(f->fd, &s, sizeof(s), (off_t)(STATS_OFF + row * sizeof(s)));
}

int reg_stats_get(struct reg_file *f, int row, struct reg_mstats *out)
{
	if (row < 0 || row >= REG_MAX_MEMBERS)
		return -EINVAL;
	return read_exact(f->fd, out, sizeof(*out), (off_t)(STATS_OFF + row * sizeof(*out)));
}

int reg_find_member(const struct reg_group *g, uint32_t id)
{
	for (int i = 0; i < REG_MAX_MEMBERS && id; i++)
		if (g->m[i].id == id)
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

int reg_count_procs(const struct reg_group *g)
{
	int n = 0;

	for (int i = 0; i < REG_MAX_PROCS; i++)
		n += g->proc[i].pid != 0;
	return n;
}
