/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PFQ socket life cycle and settings. */
#include "pfq-int.h"
#include "tx.h"

#include <pfq/lang.h>
#include "group.h"
#include "../shared.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <pthread.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

int pfq_version_code(void)
{
	return PFQ_VERSION_CODE;
}

const char *pfq_string_version(void)
{
	return "0.1.0";
}

/*
 * Open sockets of the process. pfq_close checks a handle against it, so a
 * second close of the same handle is an error instead of a double free.
 */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static pfq_t **live;
static size_t nlive, live_cap;

int pfq_live_add(pfq_t *q)
{
	int err = 0;

	pthread_mutex_lock(&live_lock);
	if (nlive == live_cap) {
		size_t cap = live_cap ? live_cap * 2 : 16;
		pfq_t **n = realloc(live, cap * sizeof(*n));

		if (n) {
			live = n;
			live_cap = cap;
		}
	}
	if (nlive < live_cap)
		live[nlive++] = q;
	else
		err = -ENOMEM;
	pthread_mutex_unlock(&live_lock);
	return err;
}

static bool live_remove(pfq_t *q)
{
	bool found = false;

	pthread_mutex_lock(&live_lock);
	for (size_t i = 0; i < nlive; i++)
		if (live[i] == q) {
			live[i] = live[--nlive];
			found = true;
			break;
		}
	pthread_mutex_unlock(&live_lock);
	return found;
}

static int check_sizes(pfq_t *q, size_t caplen, size_t rx_slots,
		       size_t xmitlen, size_t tx_slots)
{
	if (caplen == 0 || caplen > PFQ_CAPLEN_MAX)
		return pfq_seterr(q, EINVAL, "caplen %zu out of range (1..%u)",
				  caplen, PFQ_CAPLEN_MAX);
	if (rx_slots == 0 || rx_slots > PFQ_RX_SLOTS_MAX)
		return pfq_seterr(q, EINVAL, "rx_slots %zu out of range (1..%u)",
				  rx_slots, PFQ_RX_SLOTS_MAX);
	if (xmitlen > PFQ_CAPLEN_MAX)
		return pfq_seterr(q, EINVAL, "xmitlen %zu out of range (0..%u)",
				  xmitlen, PFQ_CAPLEN_MAX);
	if (tx_slots > PFQ_TX_SLOTS_MAX)
		return pfq_seterr(q, EINVAL, "tx_slots %zu out of range (0..%u)",
				  tx_slots, PFQ_TX_SLOTS_MAX);
	return 0;
}

/* a new socket of no group with checked sizes */
static pfq_t *open_socket(size_t caplen, size_t rx_slots, size_t xmitlen, size_t tx_slots)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	pfq_t *q;

	if (check_sizes(NULL, caplen, rx_slots, xmitlen, tx_slots) < 0) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		pfq_seterr(NULL, ENOMEM, "out of memory");
		return NULL;
	}
	q->pid = getpid();
	/* Protocol 0: the socket receives nothing until pfq_enable binds it. */
	q->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		int err = errno;

		pfq_seterr(NULL, err, "cannot open AF_PACKET socket: %s%s",
			   strerror(err),
			   err == EPERM ? " (CAP_NET_RAW is needed)" : "");
		free(q);
		errno = err;
		return NULL;
	}
	if (getsockopt(q->fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) == 0)
		q->id = (int)(cookie & 0x7fffffff);
	q->weight = 1;
	q->dirs = PFQ_DIR_INOUT;
	q->caplen = (uint32_t)caplen;
	q->rx_slots = (uint32_t)rx_slots;
	q->xmitlen = (uint32_t)xmitlen;
	q->tx_slots = (uint32_t)tx_slots;
	q->prog_fd = -1;
	q->attached_ifindex = -1;
	q->gid = -1;
	q->egress_queue = PFQ_ANY_QUEUE;
	q->group_progs_fd = -1;
	q->gfd = -1;
	q->lease_fd = -1;
	q->ring.fd = q->gring.fd = -1;
	/* one pollable descriptor for the socket's two rings (the main
	 * socket's and, in a group, the fanout socket's) */
	q->efd = epoll_create1(EPOLL_CLOEXEC);
	if (q->efd < 0 || epoll_ctl(q->efd, EPOLL_CTL_ADD, q->fd,
				    &(struct epoll_event){ .events = EPOLLIN }) < 0) {
		int err = errno;

		if (q->efd >= 0)
			close(q->efd);
		close(q->fd);
		free(q);
		pfq_seterr(NULL, err, "cannot make the socket's poll set: %s", strerror(err));
		errno = err;
		return NULL;
	}
	if (pfq_live_add(q) < 0) {
		close(q->efd);
		close(q->fd);
		free(q);
		pfq_seterr(NULL, ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	pfq_clearerr(q);
	return q;
}

pfq_t *pfq_open_opts(const struct pfq_open_opts *caller_opts)
{
	struct pfq_open_opts o;
	pfq_t *q;
	int rc;

	rc = pfq_opts_take(caller_opts, &o, sizeof(o), offsetof(struct pfq_open_opts, group));
	if (!caller_opts) {
		pfq_seterr(NULL, EINVAL, "pfq_open_opts: NULL opts");
		return NULL;
	}
	if (rc == -EINVAL) {
		pfq_seterr(NULL, EINVAL, "pfq_open_opts: opts.sz is %zu: set it to "
			   "sizeof(struct pfq_open_opts)", caller_opts->sz);
		return NULL;
	}
	if (rc < 0) {
		pfq_seterr(NULL, -rc, "pfq_open_opts: a field this library does not know is set "
			   "(opts.sz %zu, known %zu)", caller_opts->sz, sizeof(o));
		return NULL;
	}
	if (o.group != PFQ_OPEN_PRIVATE && o.group != PFQ_OPEN_NOGROUP &&
	    o.group != PFQ_OPEN_JOIN) {
		pfq_seterr(NULL, EINVAL, "pfq_open_opts: opts.group %d: no such choice",
			   (int)o.group);
		return NULL;
	}
	q = open_socket(o.caplen, o.rx_slots, o.xmitlen, o.tx_slots);
	if (!q)
		return NULL;
	switch (o.group) {
	case PFQ_OPEN_PRIVATE:
		/* The private group of the original is the socket's own binding set. */
		q->private_group = true;
		return q;
	case PFQ_OPEN_JOIN:
		/* policy undefined: join nothing */
		if (o.policy == PFQ_POLICY_UNDEFINED)
			return q;
		rc = pfq_join_group(q, PFQ_ANY_GROUP, o.class_mask, o.policy);
		if (rc < 0) {
			char msg[PFQ_ERRBUF];

			snprintf(msg, sizeof(msg), "%s", q->err);
			pfq_close(q);
			pfq_seterr(NULL, -rc, "%s", msg);
			return NULL;
		}
		return q;
	default:
		return q;
	}
}

pfq_t *pfq_open(size_t caplen, size_t rx_slots, size_t xmitlen, size_t tx_slots)
{
	struct pfq_open_opts o = PFQ_OPEN_OPTS(.caplen = caplen, .rx_slots = rx_slots,
					       .xmitlen = xmitlen, .tx_slots = tx_slots,
					       .group = PFQ_OPEN_PRIVATE);

	return pfq_open_opts(&o);
}

pfq_t *pfq_open_nogroup(size_t caplen, size_t rx_slots, size_t xmitlen, size_t tx_slots)
{
	struct pfq_open_opts o = PFQ_OPEN_OPTS(.caplen = caplen, .rx_slots = rx_slots,
					       .xmitlen = xmitlen, .tx_slots = tx_slots,
					       .group = PFQ_OPEN_NOGROUP);

	return pfq_open_opts(&o);
}

pfq_t *pfq_open_group(unsigned long long class_mask, int policy, size_t caplen,
		      size_t rx_slots, size_t xmitlen, size_t tx_slots)
{
	struct pfq_open_opts o = PFQ_OPEN_OPTS(.caplen = caplen, .rx_slots = rx_slots,
					       .xmitlen = xmitlen, .tx_slots = tx_slots,
					       .group = PFQ_OPEN_JOIN, .class_mask = class_mask,
					       .policy = policy);

	return pfq_open_opts(&o);
}

static void disable_socket(pfq_t *q);

int pfq_close(pfq_t *q)
{
	if (!q)
		return pfq_seterr(NULL, EINVAL, "pfq_close: NULL socket");
	if (!live_remove(q))
		return pfq_seterr(NULL, EBADF, "pfq_close: not an open PFQ socket "
				  "(closed twice?)");
	if (q->pid != getpid()) {
		/* inherited across a fork: the socket, its settings, group and
		 * lease are the parent's; this process lets go of its copies
		 * (disabling it here stopped the parent's capture) */
		if (q->ring.map)
			munmap(q->ring.map, q->ring.map_len);
		if (q->gring.map)
			munmap(q->gring.map, q->gring.map_len);
		if (q->gfd >= 0)
			close(q->gfd);
		if (q->imported && q->lease_fd >= 0)
			close(q->lease_fd); /* (no goodbye: the lease is the parent's) */
		if (q->prog_fd >= 0)
			close(q->prog_fd);
		if (q->group_progs_fd >= 0)
			close(q->group_progs_fd);
		pfq_tx_forget(q);
		q->gk = NULL;
	} else if (q->imported) {
		/* the last counts, while the sockets are there to read them */
		pfq_lease_report(q, true);
		/* the group and the socket's settings are its exporter's */
		pfq_import_release(q);
	} else {
		if (q->enabled)
			disable_socket(q);
		pfq_unbind_tx(q); /* what is queued goes out first */
		pfq_group_close(q);
	}
	/* Closing the fd also drops the promiscuous memberships it holds. */
	close(q->fd);
	close(q->efd);
	if (q->imported && q->pid == getpid())
		pfq_lease_end(q); /* last: pfqd ends the member when it closes */
	free(q->fprog);
	free(q->filter_insns);
	pfq_lang_free(q->computation);
	memset(q, 0, sizeof(*q));
	q->fd = -1;
	free(q);
	return 0;
}

int pfq_id(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->id;
}

int pfq_get_fd(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->efd;
}

int pfq_enable(pfq_t *q)
{
	int err;

	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	if (q->enabled)
		return pfq_seterr(q, EALREADY, "socket already enabled");
	/* (a group member's main ring is made when its main socket takes
	 * packets: pfq_attach_update) */
	if (q->gid < 0) {
		err = pfq_ring_create(q, &q->ring, q->fd);
		if (err)
			return err;
	}
	q->enabled = true;
	err = pfq_attach_update(q);
	/* a group member takes its share once its filter is in place */
	if (!err)
		err = pfq_group_activate(q, true);
	if (err) {
		pfq_attach_stop(q);
		pfq_ring_destroy(q, &q->ring);
		q->enabled = false;
		return err;
	}
	pfq_clearerr(q);
	return 0;
}

/* out of the group's table, unhooked, its main ring freed */
static void disable_socket(pfq_t *q)
{
	/* out of the group's member table before the filter goes; the fanout
	 * socket keeps its ring and its place in the group's fanout */
	pfq_group_activate(q, false);
	pfq_attach_stop(q);
	pfq_stats_collect(q);
	pfq_ring_destroy(q, &q->ring);
	q->enabled = false;
}

int pfq_disable(pfq_t *q)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	if (q->pid != getpid())
		return pfq_seterr(q, EPERM, "pfq_disable: the socket is process %d's (this process "
				  "inherited it across a fork): close it instead", (int)q->pid);
	if (!q->enabled)
		return pfq_seterr(q, EALREADY, "socket not enabled");
	/* its rings are mapped by the importer, which reads them until the
	 * exporter closes the socket */
	if (q->exported)
		return pfq_seterr(q, EBUSY, "pfq_disable: the socket is exported (another "
				  "process reads it): close it instead");
	disable_socket(q);
	return 0;
}

int pfq_is_enabled(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->enabled ? 1 : 0;
}

int pfq_timestamping_enable(pfq_t *q, int on)
{
	PFQ_NEED(q);
	q->tstamp = on != 0;
	return 0;
}

int pfq_is_timestamping_enabled(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->tstamp ? 1 : 0;
}

int pfq_set_weight(pfq_t *q, int weight)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	if (weight < 1 || weight > PFQ_WEIGHT_MAX)
		return pfq_seterr(q, EINVAL, "weight %d out of range (1..%d)",
				  weight, PFQ_WEIGHT_MAX);
	q->weight = weight;
	if (q->enabled)
		return pfq_group_activate(q, true);
	/* an egress endpoint has its row while not enabled */
	return q->gid >= 0 ? pfq_group_refresh_row(q) : 0;
}

int pfq_get_weight(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->weight;
}

static int check_disabled(pfq_t *q, const char *what)
{
	if (q->enabled)
		return pfq_seterr(q, EBUSY, "%s: the socket is enabled "
				  "(disable it first)", what);
	return 0;
}

/* the TX sizes are the TX queue's: fixed while it exists */
static int check_tx_unbound(pfq_t *q, const char *what)
{
	if (q->tx)
		return pfq_seterr(q, EBUSY, "%s: the TX queue is bound (pfq_unbind_tx first)",
				  what);
	return 0;
}

int pfq_set_caplen(pfq_t *q, size_t caplen)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	int err = check_disabled(q, "caplen");

	if (!err)
		err = check_sizes(q, caplen, q->rx_slots, q->xmitlen, q->tx_slots);
	if (!err)
		q->caplen = (uint32_t)caplen;
	return err;
}

ssize_t pfq_get_caplen(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->caplen;
}

int pfq_set_rx_slots(pfq_t *q, size_t slots)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	int err = check_disabled(q, "rx_slots");

	if (!err)
		err = check_sizes(q, q->caplen, slots, q->xmitlen, q->tx_slots);
	if (!err)
		q->rx_slots = (uint32_t)slots;
	return err;
}

ssize_t pfq_get_rx_slots(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->rx_slots;
}

int pfq_set_xmitlen(pfq_t *q, size_t xmitlen)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	int err = check_tx_unbound(q, "xmitlen");

	if (!err)
		err = check_sizes(q, q->caplen, q->rx_slots, xmitlen, q->tx_slots);
	if (!err)
		q->xmitlen = (uint32_t)xmitlen;
	return err;
}

ssize_t pfq_get_xmitlen(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->xmitlen;
}

int pfq_set_tx_slots(pfq_t *q, size_t slots)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	int err = check_tx_unbound(q, "tx_slots");

	if (!err)
		err = check_sizes(q, q->caplen, q->rx_slots, q->xmitlen, slots);
	if (!err)
		q->tx_slots = (uint32_t)slots;
	return err;
}

ssize_t pfq_get_tx_slots(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->tx_slots;
}

int pfq_set_direction(pfq_t *q, int dirs)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	PFQ_NOT_EXPORTED(q);
	int old = q->dirs, err;

	if (dirs < PFQ_DIR_IN || dirs > PFQ_DIR_INOUT)
		return pfq_seterr(q, EINVAL, "direction %d invalid "
				  "(PFQ_DIR_IN, PFQ_DIR_OUT or PFQ_DIR_INOUT)", dirs);
	q->dirs = dirs;
	err = pfq_attach_update(q);
	if (err)
		q->dirs = old;
	return err;
}

int pfq_get_direction(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->dirs;
}

int pfq_ifindex(pfq_t *q, const char *dev)
{
	PFQ_NEED(q);
	int ifindex = pfq_dev_ifindex(q->fd, dev);

	if (ifindex < 0)
		return pfq_seterr(q, -ifindex, "device '%s': %s", dev ? dev : "(null)",
				  ifindex == -ENODEV ? "no such device" : strerror(-ifindex));
	return ifindex;
}

int pfq_set_promisc(pfq_t *q, const char *dev, int on)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int ifindex = pfq_ifindex(q, dev), i;

	if (ifindex < 0)
		return ifindex;
	for (i = 0; i < q->npromisc && q->promisc[i] != ifindex; i++)
		;
	if ((i < q->npromisc) == (on != 0))
		return 0; /* already in the requested state through this socket */
	if (on && q->npromisc == PFQ_MAX_BINDINGS)
		return pfq_seterr(q, ENOSPC, "too many promiscuous devices");
	/* A membership belongs to the socket: the kernel drops it (and the
	 * promiscuous mode it holds) when the socket is closed, even on a crash. */
	mr.mr_ifindex = ifindex;
	if (setsockopt(q->fd, SOL_PACKET,
		       on ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP,
		       &mr, sizeof(mr)) < 0)
		return pfq_seterr(q, errno, "promiscuous mode on '%s': %s", dev,
				  strerror(errno));
	if (on)
		q->promisc[q->npromisc++] = ifindex;
	else
		q->promisc[i] = q->promisc[--q->npromisc];
	return 0;
}
