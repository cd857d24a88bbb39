/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Keep the kernel side of an enabled socket in line with its settings: the
 * device the AF_PACKET socket is bound to and the filter attached to it.
 * The order of the steps never lets a packet through that the new or the old
 * settings would refuse.
 */
#include "pfq-int.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

/* Bind the AF_PACKET socket: protocol 0 unhooks it (receives nothing). */
static int packet_bind(pfq_t *q, int ifindex, bool on)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = on ? htons(ETH_P_ALL) : 0,
		.sll_ifindex = ifindex,
	};

	if (bind(q->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return pfq_seterr(q, errno, "cannot bind the packet socket: %s",
				  strerror(errno));
	q->attached_ifindex = on ? ifindex : -1;
	return 0;
}

/* The one device every binding names, or 0 (all devices). */
static int target_ifindex(const pfq_t *q)
{
	int ifindex = q->nbind ? q->bind[0].ifindex : 0;

	/* a group member sees every device: the group program checks */
	if (q->gid >= 0)
		return 0;
	for (int i = 1; i < q->nbind; i++)
		if (q->bind[i].ifindex != ifindex)
			return 0;
	return ifindex;
}

/* a group member: the eBPF filter that hands packets to the group program */
static int attach_ebpf(pfq_t *q)
{
	char log[4096];
	int fd = pfq_filter_load(q, log, sizeof(log));

	if (fd < 0)
		return pfq_seterr(q, -fd, "cannot load the socket filter: %s%s%s",
				  strerror(-fd), log[0] ? "\n" : "", log);
	if (setsockopt(q->fd, SOL_SOCKET, SO_ATTACH_BPF, &fd, sizeof(fd)) < 0) {
		int err = errno;

		close(fd);
		return pfq_seterr(q, err, "cannot attach the socket filter: %s",
				  strerror(err));
	}
	if (q->prog_fd >= 0)
		close(q->prog_fd);
	q->prog_fd = fd;
	q->classic_attached = false;
	return 0;
}

/* no group: one classic filter, which replaces the old one atomically */
static int attach_classic(pfq_t *q)
{
	char err[512] = "";
	struct sock_fprog fp;
	int rc = pfq_filter_classic(q, true, &fp, err, sizeof(err));

	if (rc < 0)
		return pfq_seterr(q, -rc, "cannot make the socket filter: %s", err);
	if (setsockopt(q->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0) {
		rc = errno;
		free(fp.filter);
		return pfq_seterr(q, rc, "cannot attach the socket filter: %s", strerror(rc));
	}
	free(fp.filter);
	if (q->prog_fd >= 0)
		close(q->prog_fd);
	q->prog_fd = -1;
	q->classic_attached = true;
	return 0;
}

static int attach_filter(pfq_t *q)
{
	return q->gid >= 0 ? attach_ebpf(q) : attach_classic(q);
}

static void detach_filter(pfq_t *q)
{
	int dummy = 0;

	if (q->prog_fd < 0 && !q->classic_attached)
		return;
	setsockopt(q->fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy, sizeof(dummy));
	if (q->prog_fd >= 0)
		close(q->prog_fd);
	q->prog_fd = -1;
	q->classic_attached = false;
}

int pfq_filter_apply(pfq_t *q, char *log, size_t log_len)
{
	int rc;

	if (q->enabled)
		return pfq_attach_update(q);
	/* checked now, so that a bad setting fails where it is made */
	rc = pfq_filter_check(q, log, log_len);
	return rc < 0 ? pfq_seterr(q, -rc, "filter refused: %s", log) : 0;
}

/* Does the main socket take packets? Without a group: when it is bound.
 * In a group, the group's fanout socket takes what the group hands it; the
 * main socket only for the socket's own bindings, or when the group's
 * packets are copied to several members (members mode). */
bool pfq_main_hooked(const pfq_t *q)
{
	return q->nbind > 0 || (q->gid >= 0 && q->copies);
}

int pfq_attach_update(pfq_t *q)
{
	int err, ifindex;

	if (q->private_group)
		pfq_prune_vanished(q, NULL, NULL);
	ifindex = target_ifindex(q);

	q->queue_bound = pfq_any_queue_binding(q);

	if (!q->enabled)
		return 0; /* applied by pfq_enable */
	if (q->gid >= 0) {
		/* a group member's filter stays attached while its main socket
		 * takes nothing, so that a process without CAP_BPF (tcpdump after
		 * its privilege drop) can still take the group's copies later;
		 * an exported socket's is locked, and the copies (what changes
		 * for it) are the group program's business, not the filter's */
		err = q->exported ? 0 : attach_filter(q);
		if (err)
			return err;
		if (!pfq_main_hooked(q)) {
			err = q->attached_ifindex >= 0 ? packet_bind(q, 0, false) : 0;
			/* its ring is only there while it takes packets (an
			 * exported socket's stays: the importer has it mapped) */
			if (!err && !q->exported)
				pfq_ring_destroy(q, &q->ring);
			return err;
		}
		if (!q->ring.map) {
			err = pfq_ring_create(q, &q->ring, q->fd);
			if (err)
				return err;
		}
		return q->attached_ifindex != 0 ? packet_bind(q, 0, true) : 0;
	}
	if (!pfq_main_hooked(q)) {
		err = q->attached_ifindex >= 0 ? packet_bind(q, 0, false) : 0;
		detach_filter(q);
		return err;
	}
	if (!q->ring.map) {
		err = pfq_ring_create(q, &q->ring, q->fd);
		if (err)
			return err;
	}
	if (pfq_filter_needed(q)) {
		/* new filter first: it refuses what the new binding must not see */
		err = attach_filter(q);
		if (!err && q->attached_ifindex != ifindex)
			err = packet_bind(q, ifindex, true);
		return err;
	}
	/* narrow the binding first, then drop the filter */
	if (q->attached_ifindex != ifindex) {
		err = packet_bind(q, ifindex, true);
		if (err)
			return err;
	}
	detach_filter(q);
	return 0;
}

int pfq_attach_stop(pfq_t *q)
{
	int err = 0;

	if (q->attached_ifindex >= 0)
		err = packet_bind(q, 0, false);
	detach_filter(q);
	return err;
}
