/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bindings of a socket to (device, hw queue) pairs. */
#include "pfq-int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Resolve dev/queue into a binding, validating both. */
int pfq_make_binding(pfq_t *q, const char *dev, int queue,
			struct pfq_binding *b)
{
	int nq;

	if (!dev || !*dev)
		return pfq_seterr(q, EINVAL, "bind: empty device name");
	snprintf(b->name, sizeof(b->name), "%s", dev);
	if (queue < PFQ_ANY_QUEUE)
		return pfq_seterr(q, EINVAL, "bind: queue %d invalid "
				  "(a queue number or PFQ_ANY_QUEUE)", queue);
	if (strcmp(dev, PFQ_ANY_DEVICE) == 0) {
		if (queue != PFQ_ANY_QUEUE)
			return pfq_seterr(q, EINVAL, "bind: device 'any' takes "
					  "no queue number");
		b->ifindex = 0;
		b->queue = PFQ_ANY_QUEUE;
		b->raw_queue = false;
		return 0;
	}
	b->ifindex = pfq_ifindex(q, dev);
	if (b->ifindex < 0)
		return b->ifindex;
	b->queue = queue;
	b->raw_queue = false;
	if (queue != PFQ_ANY_QUEUE) {
		b->raw_queue = pfq_dev_is_veth(q->fd, dev);
		nq = pfq_dev_rx_queues(q->fd, dev);
		if (nq < 0)
			return pfq_seterr(q, -nq, "device '%s': %s", dev, strerror(-nq));
		if (queue >= nq)
			return pfq_seterr(q, ERANGE, "bind: queue %d out of range: "
					  "'%s' has %d rx queue%s", queue, dev, nq,
					  nq == 1 ? "" : "s");
	}
	return 0;
}

/* Bindings to devices that went (their index names nothing any more): a
 * device of the same name made later has another index. Kept, they made
 * every later change of the socket's bindings fail (the kernel refuses to
 * bind a gone index), and could not be unbound by name. The number gone. */
int pfq_prune_vanished(pfq_t *q, const char *name, bool *named)
{
	int gone = 0;

	for (int i = 0; i < q->nbind;) {
		if (pfq_dev_vanished(q->fd, q->bind[i].ifindex)) {
			if (name && named && strncmp(q->bind[i].name, name, sizeof(q->bind[i].name)) == 0)
				*named = true;
			q->bind[i] = q->bind[--q->nbind];
			gone++;
		} else {
			i++;
		}
	}
	return gone;
}

static int find_binding(const pfq_t *q, const struct pfq_binding *b)
{
	for (int i = 0; i < q->nbind; i++)
		if (q->bind[i].ifindex == b->ifindex && q->bind[i].queue == b->queue)
			return i;
	return -1;
}

/* pfq_bind binds the socket's default group: its private one (pfq_open),
 * else the group it joined */
int pfq_bind(pfq_t *q, const char *dev, int queue)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	PFQ_NOT_EXPORTED(q);
	struct pfq_binding b;
	int err;

	if (!q->private_group) {
		if (q->gid >= 0)
			return pfq_bind_group(q, q->gid, dev, queue);
		return pfq_seterr(q, EINVAL, "bind: default group undefined (open the socket "
				  "with pfq_open, or join a group)");
	}
	err = pfq_make_binding(q, dev, queue, &b);

	if (err)
		return err;
	if (find_binding(q, &b) >= 0)
		return 0;
	if (q->nbind == PFQ_MAX_BINDINGS)
		return pfq_seterr(q, ENOSPC, "bind: too many bindings (max %d)",
				  PFQ_MAX_BINDINGS);
	q->bind[q->nbind++] = b;
	err = pfq_attach_update(q);
	if (err) {
		/* (found again: the update may have pruned and moved others) */
		int at = find_binding(q, &b);

		if (at >= 0)
			q->bind[at] = q->bind[--q->nbind];
		pfq_attach_update(q); /* (the kernel's side back as it was) */
	}
	return err;
}

int pfq_unbind(pfq_t *q, const char *dev, int queue)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	PFQ_NOT_EXPORTED(q);
	struct pfq_binding b, old;
	int err, i;

	if (!q->private_group) {
		if (q->gid >= 0)
			return pfq_unbind_group(q, q->gid, dev, queue);
		return pfq_seterr(q, EINVAL, "unbind: default group undefined");
	}
	err = pfq_make_binding(q, dev, queue, &b);
	i = err ? -1 : find_binding(q, &b);
	if (err == -ENODEV || (!err && i < 0)) {
		/* a device that went (maybe one of the same name came since):
		 * its binding goes, by the name it was bound with */
		bool named = false;

		if (pfq_prune_vanished(q, dev, &named) > 0)
			pfq_attach_update(q);
		if (named)
			return 0;
	}
	if (err)
		return err;
	if (i < 0)
		return pfq_seterr(q, ENOENT, "unbind: '%s' queue %d is not bound",
				  dev, queue);
	old = q->bind[i];
	q->bind[i] = q->bind[--q->nbind];
	err = pfq_attach_update(q);
	if (err) {
		/* back as it was, in the kernel too (the filter may have
		 * changed before the bind failed) */
		if (find_binding(q, &old) < 0 && q->nbind < PFQ_MAX_BINDINGS)
			q->bind[q->nbind++] = old;
		pfq_attach_update(q);
	}
	return err;
}
