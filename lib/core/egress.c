/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Egress endpoints: a member socket whose share of the group's packets is
 * sent out of a device instead of being queued for reading (the original's
 * Q_SO_EGRESS_BIND; pfqd's outputs). The socket keeps its place in the
 * group (classes, weight); the group's TC program, which runs once per
 * packet at the ingress of the group's devices, makes the same decision as
 * the socket programs and clones the packet out of each endpoint it names
 * (group.c, group_kernel.c, lib/lang/ebpf/cg_dispatch.c).
 */
#include "group.h"
#include "tx.h"

#include <errno.h>
#include <string.h>

int pfq_egress_bind(pfq_t *q, const char *dev, int queue)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	int ifindex, old_ifindex = q->egress_ifindex, old_queue = q->egress_queue, rc;

	if (!dev || !*dev)
		return pfq_seterr(q, EINVAL, "pfq_egress_bind: no device");
	if (queue < PFQ_ANY_QUEUE)
		return pfq_seterr(q, EINVAL, "pfq_egress_bind: queue %d (a hw TX queue, or "
				  "PFQ_ANY_QUEUE)", queue);
	ifindex = pfq_dev_ifindex(q->fd, dev);
	if (ifindex < 0)
		return pfq_seterr(q, -ifindex, "pfq_egress_bind: no device '%s' in the socket's "
				  "network namespace", dev);
	if (queue >= 0) {
		rc = pfq_tx_queue_check(q, q->fd, dev, ifindex, queue, "pfq_egress_bind");
		if (rc)
			return rc;
	}
	q->egress_ifindex = ifindex;
	q->egress_queue = queue;
	if (q->gid < 0) {
		pfq_clearerr(q);
		return 0;
	}
	rc = pfq_group_egress_set(q);
	if (rc) {
		/* the group is as it was: so is the socket */
		q->egress_ifindex = old_ifindex;
		q->egress_queue = old_queue;
		return rc;
	}
	pfq_clearerr(q);
	return 0;
}

int pfq_egress_unbind(pfq_t *q)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	int rc = 0, old_ifindex = q->egress_ifindex, old_queue = q->egress_queue;

	if (!q->egress_ifindex)
		return 0;
	q->egress_ifindex = 0;
	q->egress_queue = PFQ_ANY_QUEUE;
	/* a change of the group like the bind: its programs are made again,
	 * so that the TC program goes with the last endpoint (when nothing
	 * else needs it) */
	if (q->gid >= 0)
		rc = pfq_group_egress_set(q);
	if (rc) {
		q->egress_ifindex = old_ifindex;
		q->egress_queue = old_queue;
	}
	return rc;
}
