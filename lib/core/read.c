/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Receive calls: poll, read a batch, copy a batch, dispatch to a callback. */
#include "pfq-int.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <string.h>

static int check_enabled(pfq_t *q)
{
	if (!q)
		return pfq_seterr(NULL, EINVAL, "NULL socket");
	if (!q->enabled)
		return pfq_seterr(q, ENOTCONN, "socket not enabled");
	/* two readers of one ring would take each other's blocks */
	if (q->exported)
		return pfq_seterr(q, EBUSY, "socket exported: the importing process reads it");
	return 0;
}

int pfq_poll(pfq_t *q, long usec)
{
	int err = check_enabled(q);

	if (err)
		return err;
	if (pfq_ring_ready(q))
		return 1;
	return pfq_ring_wait(q, usec);
}

/* Packets not yet handed out: the rest of a block pfq_recv could not copy
 * whole, or the next ready block. Returns their count, 0 or -errno. */
static int take_packets(pfq_t *q, long usec, uint8_t **block, uint8_t **first)
{
	int n;

	if (q->part_left) {
		*block = q->part_block;
		*first = q->part_next;
		n = (int)q->part_left;
		q->part_left = 0;
		return n;
	}
	n = pfq_ring_next_block(q, usec, block);
	if (n <= 0)
		return n;
	struct tpacket_block_desc *bd = (struct tpacket_block_desc *)*block;

	*first = *block + bd->hdr.bh1.offset_to_first_pkt;
	return (int)bd->hdr.bh1.num_pkts;
}

int pfq_read(pfq_t *q, struct pfq_net_queue *nq, long usec)
{
	uint8_t *block = NULL, *first = NULL;
	int err = check_enabled(q), n;

	if (err)
		return err;
	if (!nq)
		return pfq_seterr(q, EINVAL, "pfq_read: NULL net queue");
	n = take_packets(q, usec, &block, &first);
	if (n < 0)
		return n;
	pfq_net_queue_from_block(q, nq, block, first, (uint32_t)(n > 0 ? n : 0));
	return n;
}

/* Bytes a frame takes in the block, up to the next frame. */
static size_t frame_span(const struct tpacket3_hdr *h)
{
	if (h->tp_next_offset)
		return h->tp_next_offset;
	return TPACKET_ALIGN(h->tp_mac + h->tp_snaplen);
}

int pfq_recv(pfq_t *q, void *buf, size_t buflen, struct pfq_net_queue *nq,
	     long usec)
{
	uint8_t *block = NULL, *first = NULL, *p;
	size_t used = 0;
	int err = check_enabled(q), n, k;

	if (err)
		return err;
	if (!buf || !nq)
		return pfq_seterr(q, EINVAL, "pfq_recv: NULL buffer or net queue");
	n = take_packets(q, usec, &block, &first);
	if (n <= 0) {
		pfq_net_queue_from_block(q, nq, buf, buf, 0);
		return n;
	}
	/* copy the longest run of whole frames that fits */
	p = first;
	for (k = 0; k < n; k++) {
		size_t span = frame_span((struct tpacket3_hdr *)p);

		if (used + span > buflen)
			break;
		used += span;
		p += span;
	}
	if (k == 0) {
		q->part_block = block;
		q->part_next = first;
		q->part_left = (uint32_t)n;
		return pfq_seterr(q, ENOSPC, "pfq_recv: buffer of %zu bytes too "
				  "small for one packet of %zu", buflen,
				  frame_span((struct tpacket3_hdr *)first));
	}
	memcpy(buf, first, used);
	if (k < n) {
		q->part_block = block;
		q->part_next = p;
		q->part_left = (uint32_t)(n - k);
	} else {
		pfq_ring_release_held(q); /* all copied: give the block back now */
	}
	pfq_net_queue_from_block(q, nq, buf, buf, (uint32_t)k);
	return k;
}

int pfq_dispatch(pfq_t *q, pfq_handler_t cb, long usec, void *user)
{
	struct pfq_net_queue nq;
	struct pfq_pkthdr hdr;
	const uint8_t *data;
	int n;

	if (!cb)
		return pfq_seterr(q, EINVAL, "pfq_dispatch: NULL callback");
	n = pfq_read(q, &nq, usec);
	if (n <= 0)
		return n;
	while (pfq_net_queue_next(&nq, &hdr, &data))
		cb(user, &hdr, data);
	return n;
}
