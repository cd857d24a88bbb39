/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TPACKET_V3 receive ring: set-up, handing blocks to the reader, and
 * walking the packets of a block.
 */
#include "pfq-int.h"
#include "group.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VLAN_TAG_LEN 4
#define BLOCK_MAX (1u << 20)
#define SLOT_BYTES_MAX 2048u
/* tp_status bit we set once the VLAN tag has been put back into the frame,
 * so that walking the same block twice does not insert it twice. It is
 * bit 30, the kernel's TP_STATUS_TS_SYS_HARDWARE, which is free for us:
 * the kernel has not set it since 3.17 (linux/if_packet.h: "deprecated,
 * never set"), so it is 0 in every packet header the kernel writes; with
 * TPACKET_V3 the kernel hands a block back through the block descriptor's
 * block_status alone, never reads a packet's tp_status, and writes every
 * packet header afresh when it fills the block again, so the mark lives
 * only while the block is the reader's; and nothing in pfq reads the
 * timestamp-source bits (only the VLAN ones). */
#define PFQ_TP_TAG_INLINE TP_STATUS_TS_SYS_HARDWARE

static uint32_t frame_size(uint32_t caplen)
{
	/* what tpacket_rcv uses for one SOCK_RAW packet of caplen bytes */
	return TPACKET_ALIGN(TPACKET_ALIGN(TPACKET3_HDRLEN + 16) + VLAN_TAG_LEN + caplen);
}

int pfq_ring_geometry(pfq_t *q, uint32_t caplen, uint32_t rx_slots, struct pfq_ring *r)
{
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE);
	uint64_t total;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->frame_size = frame_size(caplen);
	/* TPACKET_V3 packs packets by their real size: a slot is room for one
	 * packet of up to SLOT_BYTES_MAX bytes (a full Ethernet frame); a larger
	 * caplen only matters for the rare larger packet, which uses the room of
	 * several slots. */
	uint32_t slot = frame_size(caplen < SLOT_BYTES_MAX ? caplen : SLOT_BYTES_MAX);

	total = (uint64_t)slot * rx_slots;
	if (total > PFQ_RING_BYTES_MAX)
		return pfq_seterr(q, ENOMEM, "rx ring of %u slots of %u bytes is too "
				  "large (max %llu bytes)", rx_slots, slot,
				  (unsigned long long)PFQ_RING_BYTES_MAX);
	/* blocks: big enough for one frame, up to 1 MiB, at least 8 per ring
	 * when the ring is large enough */
	r->block_size = page;
	while (r->block_size < r->frame_size + 64)
		r->block_size *= 2;
	while (r->block_size < BLOCK_MAX && (uint64_t)r->block_size * 8 < total)
		r->block_size *= 2;
	r->block_nr = (uint32_t)((total + r->block_size - 1) / r->block_size);
	if (r->block_nr < 2)
		r->block_nr = 2;
	return 0;
}

int pfq_ring_create(pfq_t *q, struct pfq_ring *r, int fd)
{
	struct tpacket_req3 req;
	int ver = TPACKET_V3, reserve = VLAN_TAG_LEN;
	int rc = pfq_ring_geometry(q, q->caplen, q->rx_slots, r);

	if (rc)
		return rc;
	r->fd = fd;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof(reserve)) < 0)
		return pfq_seterr(q, errno, "cannot set TPACKET_V3: %s", strerror(errno));
	memset(&req, 0, sizeof(req));
	req.tp_block_size = r->block_size;
	req.tp_block_nr = r->block_nr;
	req.tp_frame_size = r->frame_size;
	req.tp_frame_nr = (r->block_size / r->frame_size) * r->block_nr;
	req.tp_retire_blk_tov = 4; /* ms: bounds the latency of a quiet link */
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return pfq_seterr(q, errno, "cannot create the rx ring (%u blocks of "
				  "%u bytes): %s", r->block_nr, r->block_size,
				  strerror(errno));
	r->map_len = (size_t)r->block_size * r->block_nr;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, fd, 0);
	if (r->map == MAP_FAILED) {
		int err = errno;

		memset(&req, 0, sizeof(req));
		setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req));
		r->map = NULL;
		return pfq_seterr(q, err, "cannot map the rx ring: %s", strerror(err));
	}
	return 0;
}

int pfq_ring_map(pfq_t *q, struct pfq_ring *r, int fd)
{
	void *map;

	r->fd = fd;
	r->map_len = (size_t)r->block_size * r->block_nr;
	/* the kernel refuses a length other than its ring's (EINVAL) */
	map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		int err = errno;

		r->map = NULL;
		return pfq_seterr(q, EINVAL, "cannot map the ring of %u blocks of %u bytes: %s "
				  "(not the socket's ring?)", r->block_nr, r->block_size,
				  strerror(err));
	}
	r->map = map;
	return 0;
}

void pfq_ring_destroy(pfq_t *q, struct pfq_ring *r)
{
	struct tpacket_req3 req;

	if (!r->map)
		return;
	if (q->held_ring == r)
		pfq_ring_release_held(q);
	munmap(r->map, r->map_len);
	/* An imported socket's ring is its exporter's to free; an exported
	 * one's is left to the kernel: its importer may have joined the socket
	 * to a fanout (no guard refused it), and freeing a ring takes the
	 * socket out of its fanout and appends it again, moving another behind
	 * the group's back. Closed, the kernel frees it with the socket. */
	if (!q->imported && !q->exported) {
		memset(&req, 0, sizeof(req));
		setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req));
	}
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static struct tpacket_block_desc *block_at(const struct pfq_ring *r, uint32_t i)
{
	return (struct tpacket_block_desc *)(r->map + (size_t)i * r->block_size);
}

void pfq_ring_release_held(pfq_t *q)
{
	if (!q->held)
		return;
	__atomic_store_n(&((struct tpacket_block_desc *)q->held)->hdr.bh1.block_status,
			 TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	q->held = NULL;
	q->held_ring = NULL;
	q->part_block = NULL;
	q->part_left = 0;
}

/* the next block of r when the kernel handed it over, else NULL */
static struct tpacket_block_desc *ready_block(const struct pfq_ring *r)
{
	struct tpacket_block_desc *bd;

	if (!r->map)
		return NULL;
	bd = block_at(r, r->cur);
	return __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER ?
		       bd : NULL;
}

static int wait_slice(pfq_t *q, long usec)
{
	struct pollfd pfd = { .fd = q->efd, .events = POLLIN };
	struct timespec ts = { usec / 1000000, (usec % 1000000) * 1000 };
	int n = ppoll(&pfd, 1, usec >= 0 ? &ts : NULL, NULL);

	if (n < 0 && errno != EINTR)
		return pfq_seterr(q, errno, "poll: %s", strerror(errno));
	if (n < 0)
		return 2; /* a signal: the caller returns (as from a plain poll) */
	if (n > 0 && (pfd.revents & (POLLERR | POLLNVAL)))
		return pfq_seterr(q, EIO, "poll: socket error");
	return n > 0 ? 1 : 0;
}

/* A group member wakes up at least this often to look after the group
 * (a killed member's share goes to the others). */
#define GROUP_WAKE_USEC 200000L

/* what a read does now and then besides reading: a member looks after its
 * group; one pfqd made tells pfqd its counters instead (the group is
 * pfqd's to look after, the counters only the reader's to read) */
static void look_after(pfq_t *q)
{
	if (q->imported && q->lease_fd >= 0)
		pfq_lease_report(q, false);
	else
		pfq_group_maintain(q);
}

int pfq_ring_wait(pfq_t *q, long usec)
{
	int n;

	while (q->gid >= 0 && (usec < 0 || usec > GROUP_WAKE_USEC)) {
		n = wait_slice(q, GROUP_WAKE_USEC);
		if (n != 0)
			return n == 2 ? 0 : n;
		look_after(q);
		if (usec > 0)
			usec -= GROUP_WAKE_USEC;
	}
	n = wait_slice(q, usec);
	return n == 2 ? 0 : n;
}

bool pfq_ring_ready(const pfq_t *q)
{
	return q->part_left > 0 || ready_block(&q->ring) || ready_block(&q->gring);
}

/* of two ready blocks, the one that began first */
static struct pfq_ring *older(pfq_t *q, struct tpacket_block_desc *a,
			      struct tpacket_block_desc *b)
{
	const struct tpacket_hdr_v1 *x = &a->hdr.bh1, *y = &b->hdr.bh1;

	if (x->ts_first_pkt.ts_sec != y->ts_first_pkt.ts_sec)
		return x->ts_first_pkt.ts_sec < y->ts_first_pkt.ts_sec ? &q->ring : &q->gring;
	return x->ts_first_pkt.ts_nsec <= y->ts_first_pkt.ts_nsec ? &q->ring : &q->gring;
}

/* Is every packet of block bd inside it? The kernel's blocks are; an
 * imported ring's geometry came from another process, so its blocks are
 * checked before the reader walks them. */
static bool block_sane(const struct pfq_ring *r, const struct tpacket_block_desc *bd)
{
	const uint8_t *base = (const uint8_t *)bd;
	uint64_t off = bd->hdr.bh1.offset_to_first_pkt, size = r->block_size;
	uint64_t head = TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) + sizeof(struct sockaddr_ll);
	uint32_t n = bd->hdr.bh1.num_pkts;

	if (n > size / TPACKET3_HDRLEN)
		return false;
	for (uint32_t k = 0; k < n; k++) {
		const struct tpacket3_hdr *h;

		if (off < sizeof(*bd) || off + head > size)
			return false;
		h = (const struct tpacket3_hdr *)(base + off);
		/* the frame, and the VLAN tag put back in front of it */
		if (h->tp_mac < head || off + h->tp_mac + (uint64_t)h->tp_snaplen > size)
			return false;
		if (k + 1 < n && h->tp_next_offset == 0)
			return false;
		off += h->tp_next_offset;
	}
	return true;
}

/*
 * Nothing to read from a socket bound to one device: did the device go? The
 * kernel marks the socket ENETDOWN when its device goes down or away, and
 * the error keeps pfq_get_fd readable until it is read: read here (else a
 * reader waiting on that fd spins). Down is not an error (the socket takes
 * packets again when the device comes up); gone is, as stock libpcap's "The
 * interface disappeared": the socket would never take a packet again.
 */
static int device_check(pfq_t *q)
{
	struct ifreq ifr = { .ifr_ifindex = q->attached_ifindex };
	socklen_t len = sizeof(int);
	int err = 0;

	if (q->attached_ifindex <= 0 ||
	    getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != ENETDOWN)
		return 0;
	if (ioctl(q->fd, SIOCGIFNAME, &ifr) < 0 && errno == ENODEV)
		return pfq_seterr(q, ENODEV, "the device (ifindex %d) disappeared",
				  q->attached_ifindex);
	return 0;
}

/*
 * Release the block held by the reader and take the next one of either
 * ring, waiting up to usec for it. Returns 1 with *block set, 0 when none is
 * ready, or -errno.
 */
int pfq_ring_next_block(pfq_t *q, long usec, uint8_t **block)
{
	pfq_ring_release_held(q);
	look_after(q);
	for (int tries = 0; tries < 2; tries++) {
		struct tpacket_block_desc *a = ready_block(&q->ring), *b = ready_block(&q->gring);
		struct pfq_ring *r = a && b ? older(q, a, b) : a ? &q->ring : b ? &q->gring : NULL;

		if (r) {
			struct tpacket_block_desc *bd = r == &q->ring ? a : b;

			q->held = (uint8_t *)bd;
			q->held_ring = r;
			r->cur = (r->cur + 1) % r->block_nr;
			if (q->imported && !block_sane(r, bd))
				return pfq_seterr(q, EIO, "damaged block in the ring (is the "
						  "description of the socket right?)");
			*block = (uint8_t *)bd;
			return 1;
		}
		if (usec == 0 || tries == 1)
			break;
		int n = pfq_ring_wait(q, usec);

		if (n <= 0)
			return n;
	}
	/* nothing to read: has pfqd ended the membership? (its lease is in
	 * the poll set, so a reader waiting on pfq_get_fd wakes up for it) */
	if (q->imported && q->lease_fd >= 0)
		return pfq_lease_check(q);
	return device_check(q);
}

/*
 * The iterator's state, kept in the opaque words of struct pfq_net_queue
 * (copied in and out, so that no other type is read through them): the
 * public struct keeps its size, and callers reach the state only through
 * the pfq_net_queue_ calls.
 */
struct nq_state {
	uint8_t *block; /* the batch's block (ring) or the caller's buffer */
	uint8_t *next;  /* the next packet's tpacket3_hdr */
	size_t left;    /* packets not yet taken */
	uint32_t caplen;
	const pfq_t *q;
};

_Static_assert(sizeof(struct nq_state) <= sizeof(((struct pfq_net_queue *)0)->opaque_),
	       "the iterator's state must fit in struct pfq_net_queue");

static void nq_get(const struct pfq_net_queue *nq, struct nq_state *st)
{
	memcpy(st, nq->opaque_, sizeof(*st));
}

static void nq_put(struct pfq_net_queue *nq, const struct nq_state *st)
{
	memcpy(nq->opaque_, st, sizeof(*st));
}

void pfq_net_queue_from_block(const pfq_t *q, struct pfq_net_queue *nq,
			      uint8_t *block, uint8_t *first, uint32_t count)
{
	struct nq_state st = { .block = block, .next = first, .left = count,
			       .caplen = q->caplen, .q = q };

	memset(nq, 0, sizeof(*nq));
	nq->len = count;
	nq_put(nq, &st);
}

size_t pfq_net_queue_left(const struct pfq_net_queue *nq)
{
	struct nq_state st;

	if (!nq)
		return 0;
	nq_get(nq, &st);
	return st.left;
}

/* hw queue to report: the queue of the binding when it names exactly one */
static int16_t report_queue(const pfq_t *q, int ifindex)
{
	int queue = PFQ_ANY_QUEUE;

	if (!q->queue_bound)
		return PFQ_ANY_QUEUE;
	for (int i = 0; i < q->nbind; i++) {
		const struct pfq_binding *b = &q->bind[i];

		if (b->ifindex != ifindex && b->ifindex != 0)
			continue;
		if (b->queue == PFQ_ANY_QUEUE || (queue != PFQ_ANY_QUEUE && queue != b->queue))
			return PFQ_ANY_QUEUE;
		queue = b->queue;
	}
	return (int16_t)queue;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * The kernel strips the outer VLAN tag on receive and reports it beside the
 * frame; put it back where it was on the wire, as stock libpcap does. The
 * ring reserves VLAN_TAG_LEN bytes in front of the MAC header for this.
 */
static void reinsert_vlan_tag(struct tpacket3_hdr *h, uint32_t caplen_max)
{
	uint8_t *mac = (uint8_t *)h + h->tp_mac;
	uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ?
				h->hv1.tp_vlan_tpid : 0x8100;

	if (h->tp_snaplen < 12)
		return;
	memmove(mac - VLAN_TAG_LEN, mac, 12);
	mac -= VLAN_TAG_LEN;
	put_be16(mac + 12, tpid);
	put_be16(mac + 14, h->hv1.tp_vlan_tci);
	h->tp_mac -= VLAN_TAG_LEN;
	h->tp_snaplen += VLAN_TAG_LEN;
	if (h->tp_snaplen > caplen_max)
		h->tp_snaplen = caplen_max;
	h->tp_len += VLAN_TAG_LEN;
	h->tp_status |= PFQ_TP_TAG_INLINE;
}

int pfq_net_queue_next(struct pfq_net_queue *nq, struct pfq_pkthdr *hdr,
		       const uint8_t **data)
{
	struct tpacket3_hdr *h;
	const struct sockaddr_ll *sll;
	const uint8_t *mac;
	struct nq_state st;

	if (!nq)
		return 0;
	/* (0, not an error code: a loop "while (pfq_net_queue_next(...))"
	 * ends; the packet stays for a call that can take it) */
	if (!hdr || !data) {
		pfq_seterr(NULL, EINVAL, "pfq_net_queue_next: NULL %s", hdr ? "data" : "hdr");
		return 0;
	}
	nq_get(nq, &st);
	if (st.left == 0)
		return 0;
	h = (struct tpacket3_hdr *)st.next;
	sll = (const struct sockaddr_ll *)((uint8_t *)h +
					   TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
	if ((h->tp_status & (TP_STATUS_VLAN_VALID | PFQ_TP_TAG_INLINE)) ==
	    TP_STATUS_VLAN_VALID)
		reinsert_vlan_tag(h, st.caplen);

	mac = (const uint8_t *)h + h->tp_mac;
	hdr->tstamp_ns = st.q->tstamp ?
		(uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec : 0;
	hdr->caplen = h->tp_snaplen < st.caplen ? h->tp_snaplen : st.caplen;
	hdr->len = h->tp_len;
	hdr->ifindex = sll->sll_ifindex;
	hdr->queue = report_queue(st.q, sll->sll_ifindex);
	hdr->pkttype = sll->sll_pkttype;
	hdr->direction = sll->sll_pkttype == PACKET_OUTGOING ? PFQ_DIR_OUT : PFQ_DIR_IN;
	hdr->vlan_tpid = 0;
	hdr->vlan_tci = 0;
	hdr->mark = 0;
	hdr->state = 0;
	if (h->tp_status & TP_STATUS_VLAN_VALID) {
		/* the tag the kernel took out, also when too little of the
		 * frame was kept to show it */
		hdr->vlan_tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ?
					 h->hv1.tp_vlan_tpid : 0x8100;
		hdr->vlan_tci = (uint16_t)h->hv1.tp_vlan_tci;
	} else if (hdr->caplen >= 16) {
		uint16_t type = (uint16_t)(mac[12] << 8 | mac[13]);

		if (type == 0x8100 || type == 0x88a8) {
			hdr->vlan_tpid = type;
			hdr->vlan_tci = (uint16_t)(mac[14] << 8 | mac[15]);
		}
	}
	*data = mac;
	st.left--;
	st.next = st.left ? st.next + h->tp_next_offset : NULL;
	nq_put(nq, &st);
	return 1;
}
