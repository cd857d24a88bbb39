/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Handing a group member socket over to another process (issue 12: pfqd
 * gives unprivileged clients a ready socket).
 *
 * The exporter (privileged) keeps its pfq_t: it stays the group's member of
 * record (its process slot in the registry, the fanout socket in the vault)
 * and looks after it with pfq_maintain. It hands out the two AF_PACKET
 * sockets of the member (main socket, fanout socket) and a description of
 * them; the importer maps their rings and reads, nothing else: it never
 * opens the registry nor changes the sockets.
 *
 * The description is checked as untrusted input: version and size, the
 * descriptors (AF_PACKET raw sockets, TPACKET_V3, the socket cookies the
 * description names), the ring geometry (the one the library gives the
 * caplen and rx slots; the kernel refuses to map another length), and the
 * blocks read from an imported ring are bounds-checked (ring.c).
 */
#include "pfq-int.h"
#include "group.h"
#include "handover.h"
#include "vault.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int pfq_managed_err(pfq_t *q, const char *what)
{
	return pfq_seterr(q, EPERM, "socket managed by another process (pfqd): %s is not "
			  "allowed on an imported socket", what);
}

/* ---- export ---- */

static int export_check(pfq_t *q, const int *fds, int max_fds, const void *blob,
			size_t blob_len)
{
	if (!fds || !blob)
		return pfq_seterr(q, EINVAL, "pfq_export: NULL argument");
	if (q->gid < 0 || !q->gk)
		return pfq_seterr(q, EINVAL, "pfq_export: the socket is not a group member");
	if (!q->enabled || !q->in_fanout || !q->gring.map)
		return pfq_seterr(q, ENOTCONN, "pfq_export: the socket is not enabled");
	if (q->exported)
		return pfq_seterr(q, EBUSY, "pfq_export: the socket is exported already");
	if (max_fds < PFQ_HANDOVER_FDS || blob_len < sizeof(struct handover_blob))
		return pfq_seterr(q, ENOSPC, "pfq_export: room for %d descriptors and %zu "
				  "bytes is needed", PFQ_HANDOVER_FDS,
				  sizeof(struct handover_blob));
	return 0;
}

static struct handover_ring ring_desc(const struct pfq_ring *r)
{
	return (struct handover_ring){ .block_size = r->block_size, .block_nr = r->block_nr,
				       .frame_size = r->frame_size, .cur = r->cur };
}

static void fill_blob(const pfq_t *q, struct handover_blob *b)
{
	memset(b, 0, sizeof(*b));
	b->magic = HANDOVER_MAGIC;
	b->version = HANDOVER_VERSION;
	b->size = (uint16_t)sizeof(*b);
	b->nfds = PFQ_HANDOVER_FDS;
	b->id = (uint32_t)q->id;
	b->gid = q->gid;
	b->caplen = q->caplen;
	b->rx_slots = q->rx_slots;
	b->flags = q->tstamp ? HANDOVER_TSTAMP : 0;
	b->weight = q->weight;
	b->dirs = q->dirs;
	b->cookie[0] = sock_cookie(q->fd);
	b->cookie[1] = sock_cookie(q->gfd);
	b->ring[0] = ring_desc(&q->ring);
	b->ring[1] = ring_desc(&q->gring);
}

/*
 * An AF_PACKET socket needs CAP_NET_RAW to be made, not to be bound: the
 * importer could detach the member filter and bind the main socket to a
 * device, and see all its traffic. Locked, the filters stay (the kernel
 * refuses to detach or replace them), so whatever the importer does with
 * the sockets, they take only what the group gives the member.
 */
static int lock_filters(pfq_t *q)
{
	int one = 1;

	if (setsockopt(q->fd, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)) < 0 ||
	    setsockopt(q->gfd, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)) < 0)
		return pfq_seterr(q, errno, "pfq_export: cannot lock the socket filters: %s",
				  strerror(errno));
	return 0;
}

/* the member's row says so: its socket is parked, not closed in order,
 * when this process dies (gk_reap) */
static int mark_exported(pfq_t *q)
{
	struct gsession s;
	int rc = gs_begin_member(&s, q, false), row;

	if (rc < 0)
		return rc;
	row = reg_find_member(s.g, (uint32_t)q->id);
	if (row >= 0) {
		struct stat st;

		s.g->m[row].exported = 1;
		/* for the looks in /proc of whoever parks or unparks it */
		if (q->gfd >= 0 && fstat(q->gfd, &st) == 0)
			s.g->m[row].fsock_ino = (uint64_t)st.st_ino;
		/* for the processes of the group that map it once parked
		 * (gk_keep_parked), where the kernel may not tell them */
		if (q->gring.map && q->gring.map_len >> 12 <= UINT32_MAX &&
		    !(q->gring.map_len & 4095))
			s.g->m[row].ring_4k = (uint32_t)(q->gring.map_len >> 12);
		s.dirty = true;
	}
	rc = gs_finish(&s);
	return rc < 0 ? pfq_seterr(q, -rc, "pfq_export: cannot write the registry: %s",
				   strerror(-rc)) : 0;
}

int pfq_export(pfq_t *q, int *fds, int max_fds, void *blob, size_t blob_len)
{
	struct handover_blob b;
	int rc;

	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	rc = export_check(q, fds, max_fds, blob, blob_len);
	if (rc)
		return rc;
	/* the main ring exists from now on, hooked or not: the importer maps
	 * it once, and the copies the group may want later land in it */
	if (!q->ring.map) {
		rc = pfq_ring_create(q, &q->ring, q->fd);
		if (rc)
			return rc;
	}
	/* marked first: a socket marked but not handed over is only parked
	 * when its process dies, where one handed over unmarked would be
	 * closed in order under its importer */
	rc = mark_exported(q);
	if (!rc)
		rc = lock_filters(q);
	if (rc)
		return rc;
	pfq_ring_release_held(q);
	/* the importer counts from the handover on */
	pfq_stats_collect(q);
	q->export_acc = q->acc;
	q->exported = true;
	fill_blob(q, &b);
	memcpy(blob, &b, sizeof(b));
	fds[0] = q->fd;
	fds[1] = q->gfd;
	pfq_clearerr(q);
	return (int)sizeof(b);
}

int pfq_set_importer_stats(pfq_t *q, uint64_t recv, uint64_t lost)
{
	PFQ_NEED(q);
	if (!q->exported)
		return pfq_seterr(q, EINVAL, "pfq_set_importer_stats: the socket is not exported");
	/* the exporter's read of the counters stopped at the export */
	q->acc.recv = q->export_acc.recv + recv;
	q->acc.lost = q->export_acc.lost + lost;
	return 0;
}

int pfq_maintain(pfq_t *q)
{
	PFQ_NEED(q);
	/* an imported socket's group is looked after by its exporter */
	if (q->imported || q->gid < 0)
		return 0;
	pfq_group_maintain(q);
	return 0;
}

/* ---- import ---- */

static int int_opt(int fd, int level, int name, int *v)
{
	socklen_t len = sizeof(*v);

	return getsockopt(fd, level, name, v, &len) == 0 ? 0 : -errno;
}

/* fd is a raw AF_PACKET socket with a TPACKET_V3 ring, the one cookie names */
static int check_fd(int fd, int i, uint64_t cookie)
{
	int domain = 0, type = 0, ver = -1;

	if (fd < 0)
		return pfq_seterr(NULL, EINVAL, "pfq_import: descriptor %d is %d", i, fd);
	if (int_opt(fd, SOL_SOCKET, SO_DOMAIN, &domain) < 0 ||
	    int_opt(fd, SOL_SOCKET, SO_TYPE, &type) < 0 || domain != AF_PACKET ||
	    type != SOCK_RAW)
		return pfq_seterr(NULL, EINVAL, "pfq_import: descriptor %d (fd %d) is not a raw "
				  "AF_PACKET socket", i, fd);
	if (sock_cookie(fd) != cookie)
		return pfq_seterr(NULL, EINVAL, "pfq_import: descriptor %d (fd %d) is not the "
				  "socket the description names", i, fd);
	if (int_opt(fd, SOL_PACKET, PACKET_VERSION, &ver) < 0 || ver != TPACKET_V3)
		return pfq_seterr(NULL, EINVAL, "pfq_import: descriptor %d (fd %d) has no "
				  "TPACKET_V3 ring", i, fd);
	return 0;
}

/* the description, taken and checked (not the descriptors) */
static int take_blob(const void *blob, size_t len, struct handover_blob *b)
{
	if (!blob || len < offsetof(struct handover_blob, nfds))
		return pfq_seterr(NULL, EINVAL, "pfq_import: description missing or truncated "
				  "(%zu bytes)", blob ? len : 0);
	memcpy(b, blob, offsetof(struct handover_blob, nfds));
	if (b->magic != HANDOVER_MAGIC)
		return pfq_seterr(NULL, EINVAL, "pfq_import: not a PFQ socket description");
	if (b->version != HANDOVER_VERSION)
		return pfq_seterr(NULL, EINVAL, "pfq_import: description version %u (this "
				  "library reads version %u)", b->version, HANDOVER_VERSION);
	if (b->size != sizeof(*b) || len < sizeof(*b))
		return pfq_seterr(NULL, EINVAL, "pfq_import: description of %zu bytes, size "
				  "%u (version %u has %zu)", len, b->size, b->version,
				  sizeof(*b));
	memcpy(b, blob, sizeof(*b));
	if (b->nfds != PFQ_HANDOVER_FDS || b->gid < 0 || b->gid >= PFQ_MAX_GROUPS ||
	    b->caplen == 0 || b->caplen > PFQ_CAPLEN_MAX || b->rx_slots == 0 ||
	    b->rx_slots > PFQ_RX_SLOTS_MAX || b->weight < 1 || b->weight > PFQ_WEIGHT_MAX ||
	    b->dirs < PFQ_DIR_IN || b->dirs > PFQ_DIR_INOUT)
		return pfq_seterr(NULL, EINVAL, "pfq_import: description out of range");
	return 0;
}

/* ring i of the description is the one the library makes for its sizes */
static int check_ring(const struct handover_blob *b, int i, struct pfq_ring *r)
{
	const struct handover_ring *d = &b->ring[i];

	if (pfq_ring_geometry(NULL, b->caplen, b->rx_slots, r) < 0)
		return pfq_seterr(NULL, EINVAL, "pfq_import: ring of caplen %u, %u slots is "
				  "too large", b->caplen, b->rx_slots);
	if (d->block_size != r->block_size || d->block_nr != r->block_nr ||
	    d->frame_size != r->frame_size || d->cur >= r->block_nr)
		return pfq_seterr(NULL, EINVAL, "pfq_import: ring %d: geometry %u x %u (frame "
				  "%u, at %u) is not the one of caplen %u, %u slots", i,
				  d->block_nr, d->block_size, d->frame_size, d->cur, b->caplen,
				  b->rx_slots);
	r->cur = d->cur;
	return 0;
}

static pfq_t *new_imported(const struct handover_blob *b)
{
	pfq_t *q = calloc(1, sizeof(*q));

	if (!q) {
		pfq_seterr(NULL, ENOMEM, "out of memory");
		return NULL;
	}
	q->pid = getpid();
	q->imported = true;
	q->enabled = true;
	q->id = (int)b->id;
	q->member_id = b->id;
	q->gid = b->gid;
	q->caplen = b->caplen;
	q->rx_slots = b->rx_slots;
	q->tstamp = (b->flags & HANDOVER_TSTAMP) != 0;
	q->weight = b->weight;
	q->dirs = b->dirs;
	q->prog_fd = -1;
	q->attached_ifindex = -1;
	q->group_progs_fd = -1;
	q->egress_queue = PFQ_ANY_QUEUE;
	q->fd = q->gfd = q->efd = q->lease_fd = -1;
	q->ring.fd = q->gring.fd = -1;
	return q;
}

/* our own descriptors of the sockets, their rings mapped, one poll set */
static int attach_imported(pfq_t *q, const int *fds, const struct pfq_ring *geo)
{
	struct pfq_ring *rings[PFQ_HANDOVER_FDS] = { &q->ring, &q->gring };
	int *own[PFQ_HANDOVER_FDS] = { &q->fd, &q->gfd };

	q->efd = epoll_create1(EPOLL_CLOEXEC);
	if (q->efd < 0)
		return pfq_seterr(NULL, errno, "pfq_import: epoll: %s", strerror(errno));
	for (int i = 0; i < PFQ_HANDOVER_FDS; i++) {
		*own[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
		if (*own[i] < 0)
			return pfq_seterr(NULL, errno, "pfq_import: dup: %s", strerror(errno));
		*rings[i] = geo[i];
		if (pfq_ring_map(q, rings[i], *own[i]) < 0)
			return pfq_seterr(NULL, EINVAL, "pfq_import: %s", q->err);
		if (epoll_ctl(q->efd, EPOLL_CTL_ADD, *own[i],
			      &(struct epoll_event){ .events = EPOLLIN }) < 0)
			return pfq_seterr(NULL, errno, "pfq_import: epoll: %s", strerror(errno));
	}
	return 0;
}

void pfq_import_release(pfq_t *q)
{
	pfq_ring_destroy(q, &q->ring);
	pfq_ring_destroy(q, &q->gring);
	if (q->gfd >= 0)
		close(q->gfd);
	q->gfd = -1;
}

static void free_imported(pfq_t *q)
{
	int err = errno;

	pfq_import_release(q);
	if (q->fd >= 0)
		close(q->fd);
	if (q->efd >= 0)
		close(q->efd);
	free(q);
	errno = err;
}

pfq_t *pfq_import(const int *fds, int nfds, const void *blob, size_t blob_len)
{
	struct pfq_ring geo[PFQ_HANDOVER_FDS];
	struct handover_blob b;
	pfq_t *q;

	if (take_blob(blob, blob_len, &b) < 0)
		return NULL;
	if (!fds || nfds != (int)b.nfds) {
		pfq_seterr(NULL, EINVAL, "pfq_import: %d descriptors, the description has %u",
			   fds ? nfds : 0, b.nfds);
		return NULL;
	}
	for (int i = 0; i < PFQ_HANDOVER_FDS; i++)
		if (check_fd(fds[i], i, b.cookie[i]) < 0 || check_ring(&b, i, &geo[i]) < 0)
			return NULL;
	q = new_imported(&b);
	if (!q)
		return NULL;
	if (attach_imported(q, fds, geo) < 0) {
		free_imported(q);
		return NULL;
	}
	if (pfq_live_add(q) < 0) {
		free_imported(q);
		pfq_seterr(NULL, ENOMEM, "out of memory");
		return NULL;
	}
	pfq_clearerr(q);
	return q;
}
