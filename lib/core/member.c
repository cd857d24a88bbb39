/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A group member's sockets. Besides its main socket, a member has a socket
 * in the group's fanout, which receives what the fanout program hands it.
 * That socket is opened when the member joins (it needs CAP_NET_RAW, which
 * a program like tcpdump drops after opening its device), gets its ring and
 * joins the fanout at the member's first enable, and keeps both until it
 * leaves: the kernel moves a fanout socket to the end of the fanout whenever
 * its ring changes, so it never does.
 */
#include "group.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

int pfq_member_fsock_open(pfq_t *q)
{
	if (q->gfd >= 0)
		return 0;
	/* in the namespace of the socket, not of the calling thread */
	q->gfd = pfq_packet_socket_like(q->fd);
	if (q->gfd < 0) {
		int e = -q->gfd;

		q->gfd = -1;
		return pfq_seterr(q, e, "cannot open the group socket: %s%s", strerror(e),
				  e == EPERM ? " (CAP_NET_RAW is needed)" : "");
	}
	return 0;
}

/* Its ring and its binding to every device, which the fanout needs. Until
 * it is in the fanout (pfq_member_fsock_open_filter), a bound socket takes
 * every packet of every device of the namespace: a filter that accepts
 * nothing keeps its ring empty until then. */
int pfq_member_fsock_ring(pfq_t *q)
{
	struct sock_filter none[] = { { BPF_RET | BPF_K, 0, 0, 0 } };
	struct sock_fprog fp = { 1, none };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int rc;

	if (q->gring.map)
		return 0;
	rc = pfq_ring_create(q, &q->gring, q->gfd);
	if (rc)
		return rc;
	if (setsockopt(q->gfd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0 ||
	    bind(q->gfd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    epoll_ctl(q->efd, EPOLL_CTL_ADD, q->gfd, &(struct epoll_event){ .events = EPOLLIN }) < 0) {
		rc = pfq_seterr(q, errno, "cannot set up the group socket: %s", strerror(errno));
		pfq_ring_destroy(q, &q->gring);
		return rc;
	}
	return 0;
}

/* In the fanout, the socket takes what the group's program gives it: its
 * filter only answers the caplen (the kernel copies no more), or goes.
 * 0 or -errno. */
int pfq_member_fsock_open_filter(pfq_t *q)
{
	struct sock_filter cap[] = { { BPF_RET | BPF_K, 0, 0, q->caplen } };
	struct sock_fprog fp = { 1, cap };
	int rc = q->caplen < PFQ_CAPLEN_MAX ?
			 setsockopt(q->gfd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) :
			 setsockopt(q->gfd, SOL_SOCKET, SO_DETACH_FILTER, &(int){ 0 }, sizeof(int));

	if (rc < 0)
		return -errno;
	q->fsock_open = true;
	return 0;
}

/* ---- the kept mappings of parked sockets ---- */

struct kept_map {
	uint64_t netns, cookie;
	int gid;
	void *map;
	size_t len;
	struct kept_map *next;
};

static struct kept_map *kept;
static pthread_mutex_t kept_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t kept_fork_once = PTHREAD_ONCE_INIT;

/* A child forked later has no copy of the mappings (MADV_DONTFORK) but
 * would have the list: unmapping them there unmapped whatever the child
 * had since put at those addresses (its own ring: a crash). The child
 * forgets the list, unmapping nothing. */
static void kept_fork_prepare(void)
{
	pthread_mutex_lock(&kept_mu);
}

static void kept_fork_parent(void)
{
	pthread_mutex_unlock(&kept_mu);
}

static void kept_fork_child(void)
{
	while (kept) {
		struct kept_map *m = kept;

		kept = m->next;
		free(m);
	}
	pthread_mutex_unlock(&kept_mu);
}

static void kept_fork_register(void)
{
	pthread_atfork(kept_fork_prepare, kept_fork_parent, kept_fork_child);
}

void pfq_parked_map_keep(uint64_t netns, int gid, uint64_t cookie, void *map, size_t len)
{
	struct kept_map *m = malloc(sizeof(*m));

	pthread_once(&kept_fork_once, kept_fork_register);

	if (!m) {
		/* not kept unrecorded: the entry must go when asked to */
		if (map)
			munmap(map, len);
		return;
	}
	/* a child forked later is no holder of it */
	if (map)
		madvise(map, len, MADV_DONTFORK);
	*m = (struct kept_map){ netns, cookie, gid, map, len, NULL };
	pthread_mutex_lock(&kept_mu);
	m->next = kept;
	kept = m;
	pthread_mutex_unlock(&kept_mu);
}

bool pfq_parked_map_kept(uint64_t cookie)
{
	bool found = false;

	pthread_mutex_lock(&kept_mu);
	for (struct kept_map *m = kept; m && !found; m = m->next)
		found = m->cookie == cookie;
	pthread_mutex_unlock(&kept_mu);
	return found;
}

static bool listed(uint64_t cookie, const uint64_t *list, int n)
{
	for (int i = 0; i < n; i++)
		if (list[i] == cookie)
			return true;
	return false;
}

/* Drop the kept mappings that match: of a cookie (any group: cookie != 0),
 * or of group gid of netns but for the nkeep of keep[]; of those, at most
 * max_risky not in safe[] (-1: no limit). */
static void drop(uint64_t netns, int gid, uint64_t cookie, const uint64_t *keep, int nkeep,
		 const uint64_t *safe, int nsafe, int max_risky)
{
	struct kept_map **p = &kept, *gone = NULL;

	pthread_mutex_lock(&kept_mu);
	while (*p) {
		struct kept_map *m = *p;
		bool match = cookie ? m->cookie == cookie :
				      m->netns == netns && m->gid == gid &&
					      !listed(m->cookie, keep, nkeep);

		/* (a tried one that could not be made maps nothing: no risk) */
		if (match && !cookie && max_risky >= 0 && m->map &&
		    !listed(m->cookie, safe, nsafe)) {
			match = max_risky > 0;
			if (match)
				max_risky--;
		}
		if (match) {
			*p = m->next;
			m->next = gone;
			gone = m;
		} else {
			p = &m->next;
		}
	}
	pthread_mutex_unlock(&kept_mu);
	while (gone) {
		struct kept_map *m = gone;

		gone = m->next;
		if (m->map)
			munmap(m->map, m->len);
		free(m);
	}
}

void pfq_parked_map_drop(uint64_t cookie)
{
	if (cookie)
		drop(0, -1, cookie, NULL, 0, NULL, 0, -1);
}

void pfq_parked_maps_drop_group(uint64_t netns, int gid)
{
	drop(netns, gid, 0, NULL, 0, NULL, 0, -1);
}

void pfq_parked_maps_sync(uint64_t netns, int gid, const uint64_t *keep, int nkeep,
			  const uint64_t *safe, int nsafe)
{
	drop(netns, gid, 0, keep, nkeep, safe, nsafe, 1);
}

/* The ring is unmapped without being freed: freeing a ring takes the
 * socket out of the fanout and puts it back at the end, which would move
 * it; the kernel frees it with the socket. */
int pfq_member_fsock_detach(pfq_t *q, bool keep_map)
{
	int fd = q->gfd;

	if (q->held_ring == &q->gring)
		pfq_ring_release_held(q);
	if (q->gring.map && !keep_map)
		munmap(q->gring.map, q->gring.map_len);
	memset(&q->gring, 0, sizeof(q->gring));
	q->gring.fd = -1;
	if (fd >= 0)
		epoll_ctl(q->efd, EPOLL_CTL_DEL, fd, NULL);
	q->gfd = -1;
	q->in_fanout = false;
	q->fsock_open = false;
	return fd;
}

void pfq_member_fsock_close(pfq_t *q)
{
	int fd = pfq_member_fsock_detach(q, false);

	if (fd >= 0)
		close(fd);
}

int pfq_member_copies(pfq_t *q, bool on)
{
	bool was = q->copies;
	int rc;

	if (was == on)
		return 0;
	q->copies = on;
	rc = pfq_attach_update(q);
	if (rc)
		q->copies = was;
	return rc;
}
