/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading a pfq pcap handle the way stock libpcap reads a TPACKET_V3 ring:
 *  - blocking mode waits until there are packets, or pcap_breakloop: the
 *    read timeout does not make pcap_dispatch return 0 (stock's poll waits
 *    forever too; the timeout only retires partly filled blocks, and ours
 *    retire after 4 ms);
 *  - pcap_breakloop writes an eventfd the wait polls beside the socket, so
 *    a reader blocked in another thread wakes at once; non-blocking mode
 *    has no eventfd (stock closes it there, and opens it again, or fails,
 *    when blocking mode comes back);
 *  - a batch is given back to the kernel as soon as it has been read, so
 *    that the selectable fd is readable only when there is a packet;
 *  - outgoing copies on lo and the other direction (pcap_setdirection) are
 *    skipped here, after the kernel counted them, as stock does.
 */
#include "handle.h"
#include "filter_run.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* A group member wakes up this often to look after the group (a killed
 * member's share goes to the others): pfq_read does it. */
#define GROUP_WAKE_MS 200

int pfqh_not_activated(struct pfqh *h)
{
	snprintf(h->err, sizeof(h->err), "This handle hasn't been activated yet");
	return PCAP_ERROR_NOT_ACTIVATED;
}

int pfqh_activated(struct pfqh *h)
{
	/* (libpcap's text, its two blanks included) */
	snprintf(h->err, sizeof(h->err), "can't perform  operation on activated capture");
	return PCAP_ERROR_ACTIVATED;
}

int pfqh_wake_open(struct pfqh *h)
{
	if (h->wake_fd >= 0)
		return 0;
	h->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->wake_fd < 0) {
		snprintf(h->err, sizeof(h->err), "Could not open eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Async-signal-safe: a flag and a write. */
void pfqh_breakloop(struct pfqh *h)
{
	uint64_t one = 1;
	int fd = h->wake_fd;

	h->break_loop = 1;
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the reader wakes anyway */
	}
}

int pfqh_setnonblock(struct pfqh *h, int nonblock, char *errbuf)
{
	if (!h->activated) {
		h->nonblock = nonblock != 0; /* applied at activation */
		return 0;
	}
	if (nonblock && h->wake_fd >= 0) {
		close(h->wake_fd);
		h->wake_fd = -1;
	} else if (!nonblock && pfqh_wake_open(h) < 0) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", h->err);
		return -1;
	}
	h->nonblock = nonblock != 0;
	return 0;
}

int pfqh_getnonblock(struct pfqh *h, char *errbuf)
{
	/* (as stock: the handle's message, not the caller's buffer) */
	(void)errbuf;
	if (!h->activated)
		return pfqh_not_activated(h);
	return h->nonblock;
}

static int take_break(struct pfqh *h)
{
	h->break_loop = 0;
	return PCAP_ERROR_BREAK;
}

/* Sleep until the socket or the eventfd has something: 0, or a PCAP_ERROR
 * code. */
static int wait_readable(struct pfqh *h)
{
	struct pollfd pfd[2] = { { .fd = pfq_get_fd(h->q), .events = POLLIN },
				 { .fd = h->wake_fd, .events = POLLIN } };
	int n = poll(pfd, h->wake_fd >= 0 ? 2 : 1, pfq_group_id(h->q) >= 0 ? GROUP_WAKE_MS : -1);

	if (n < 0) {
		if (errno == EINTR)
			return 0; /* the caller looks at break_loop */
		snprintf(h->err, sizeof(h->err), "can't poll on packet socket: %s", strerror(errno));
		return PCAP_ERROR;
	}
	if (n > 0 && (pfd[1].revents & POLLIN)) {
		uint64_t v;

		if (read(h->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
			snprintf(h->err, sizeof(h->err), "Error reading from event FD: %s",
				 strerror(errno));
			return PCAP_ERROR;
		}
	}
	if (n > 0 && (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL))) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(pfd[0].fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err == ENETDOWN)
			snprintf(h->err, sizeof(h->err), "The interface went down");
		else if (err == ENODEV || err == ENXIO)
			snprintf(h->err, sizeof(h->err), "The interface disappeared");
		else
			snprintf(h->err, sizeof(h->err), "Error condition on packet socket: %s",
				 err ? strerror(err) : "poll error");
		return PCAP_ERROR;
	}
	return 0;
}

/* A new batch in h->nq (the previous one goes back to the kernel): 1, 0
 * when there is none in non-blocking mode, or a PCAP_ERROR code. */
static int refill(struct pfqh *h)
{
	for (;;) {
		int n = pfq_read(h->q, &h->nq, 0), r;

		if (n == -ENODEV) { /* (stock's words) */
			snprintf(h->err, sizeof(h->err), "The interface disappeared");
			return PCAP_ERROR;
		}
		if (n < 0) {
			snprintf(h->err, sizeof(h->err), "pfq: %s", pfq_error(h->q));
			return PCAP_ERROR;
		}
		if (n > 0)
			return 1;
		if (h->break_loop)
			return take_break(h);
		if (h->nonblock)
			return 0;
		r = wait_readable(h);
		if (r < 0)
			return r;
	}
}

/* Is the packet one the application asked for (direction, lo's copies)? */
static bool wanted(const struct pfqh *h, const struct pfq_pkthdr *hdr)
{
	if (hdr->direction == PFQ_DIR_OUT)
		return hdr->ifindex != h->lo_ifindex && h->direction != PCAP_D_IN;
	return h->direction != PCAP_D_OUT;
}

/* the frame (caplen >= 16 bytes) without its outer VLAN tag, in h->untagged */
static const u_char *untag(struct pfqh *h, const u_char *data, u_int caplen)
{
	memcpy(h->untagged, data, 12);
	memcpy(h->untagged + 12, data + 16, caplen - 16);
	return h->untagged;
}

/* Does the packet pass program fp? Stock's code (meta: it reads the
 * kernel's metadata) runs on the frame as the kernel saw it: without the
 * outer VLAN tag the ring put back, the tag as metadata. The dead handle's
 * runs on the frame as handed out. */
static bool passes(struct pfqh *h, const struct bpf_program *fp, bool meta,
		   const struct pfq_pkthdr *hdr, const struct pcap_pkthdr *ph, const u_char *data)
{
	struct filter_meta m = { .pkttype = hdr->pkttype, .ifindex = hdr->ifindex };
	u_int caplen = ph->caplen, len = ph->len;
	const u_char *frame = data;

	if (!meta)
		return shim_offline_filter(fp, ph, data) != 0;
	if (hdr->vlan_tpid && caplen >= 16 && h->untagged) {
		frame = untag(h, data, caplen);
		caplen -= 4;
		len -= 4;
		m.vlan_tci = hdr->vlan_tci;
		m.vlan_tpid = hdr->vlan_tpid;
	}
	m.protocol = caplen >= 14 ? (uint16_t)(frame[12] << 8 | frame[13]) : 0;
	return filter_run(fp->bf_insns, fp->bf_len, frame, len, caplen, &m) != 0;
}

/* Does a packet captured before the new filter pass it? The kernel ran
 * the filter on the frame without its outer VLAN tag when it had taken the
 * tag out (on receive, always), with it when the tag was in the frame;
 * the ring puts the tag back. Stock's code knows (passes); the dead
 * handle's is tried both ways. */
static bool refilter_passes(struct pfqh *h, const struct pfq_pkthdr *hdr,
			    const struct pcap_pkthdr *ph, const u_char *data)
{
	struct pcap_pkthdr bare = *ph;

	if (passes(h, &h->refilter, h->refilter_meta, hdr, ph, data))
		return true;
	if (h->refilter_meta || !hdr->vlan_tpid || ph->caplen < 16)
		return false;
	bare.caplen -= 4;
	bare.len -= 4;
	return shim_offline_filter(&h->refilter, &bare, untag(h, data, ph->caplen)) != 0;
}

/* the next packet of the batch that passes the filter, as a pcap header */
static const u_char *next_packet(struct pfqh *h, struct pcap_pkthdr *ph)
{
	struct pfq_pkthdr hdr;
	const uint8_t *data;

	while (pfq_net_queue_next(&h->nq, &hdr, &data)) {
		if (!wanted(h, &hdr))
			continue;
		ph->ts.tv_sec = (time_t)(hdr.tstamp_ns / 1000000000ull);
		ph->ts.tv_usec = (suseconds_t)(hdr.tstamp_ns % 1000000000ull);
		if (h->precision == PCAP_TSTAMP_PRECISION_MICRO)
			ph->ts.tv_usec /= 1000;
		ph->caplen = hdr.caplen < (uint32_t)h->snaplen ? hdr.caplen : (uint32_t)h->snaplen;
		ph->len = hdr.len;
		if (h->has_filter && !passes(h, &h->filter, h->filter_meta, &hdr, ph, data)) {
			h->refused++;
			continue;
		}
		if (h->has_refilter && hdr.tstamp_ns < h->refilter_until &&
		    !refilter_passes(h, &hdr, ph, data))
			continue;
		return data;
	}
	return NULL;
}

/* Give a batch that has been read to the kernel now (taking the next one
 * if it is there already): the fd is then readable only with packets. */
static int release(struct pfqh *h)
{
	if (pfq_read(h->q, &h->nq, 0) < 0) {
		snprintf(h->err, sizeof(h->err), "pfq: %s", pfq_error(h->q));
		return PCAP_ERROR;
	}
	return 0;
}

int pfqh_dispatch(struct pfqh *h, int cnt, pcap_handler cb, u_char *user)
{
	struct pcap_pkthdr ph;
	const u_char *data;
	int n = 0;

	if (!h->activated)
		return pfqh_not_activated(h);
	if (h->break_loop)
		return take_break(h);
	do {
		if (pfq_net_queue_left(&h->nq) == 0) {
			int r = refill(h);

			if (r <= 0)
				return r;
		}
		while ((cnt <= 0 || n < cnt) && (data = next_packet(h, &ph))) {
			cb(user, &ph, data);
			n++;
			if (h->break_loop)
				break;
		}
		if (pfq_net_queue_left(&h->nq) == 0 && release(h) < 0)
			return PCAP_ERROR;
		/* blocking mode returns with packets (a batch the filter or
		 * the direction emptied is no reason to wake up) */
	} while (n == 0 && !h->nonblock && !h->break_loop);
	/* as stock: a pcap_breakloop, also from the callback, makes this
	 * call return PCAP_ERROR_BREAK, whatever it delivered (the rest of
	 * the batch stays for the next call) */
	if (h->break_loop)
		return take_break(h);
	return n;
}

int pfqh_loop(struct pfqh *h, int cnt, pcap_handler cb, u_char *user)
{
	int total = 0;

	for (;;) {
		int r = pfqh_dispatch(h, cnt > 0 ? cnt - total : -1, cb, user);

		if (r < 0)
			return r;
		total += r;
		if (cnt > 0 && total >= cnt)
			return 0;
		if (h->break_loop)
			return take_break(h);
	}
}

int pfqh_next_ex(struct pfqh *h, struct pcap_pkthdr **hdr, const u_char **data)
{
	if (!h->activated)
		return pfqh_not_activated(h);
	if (h->break_loop)
		return take_break(h);
	for (;;) {
		const u_char *d;

		if (pfq_net_queue_left(&h->nq) == 0) {
			int r = refill(h);

			if (r <= 0)
				return r == PCAP_ERROR_BREAK ? PCAP_ERROR_BREAK : r;
		}
		d = next_packet(h, &h->hdr);
		if (pfq_net_queue_left(&h->nq) == 0) {
			/* the batch is done: keep the packet, hand the batch back */
			if (d) {
				memcpy(h->oneshot, d, h->hdr.caplen);
				d = h->oneshot;
			}
			if (release(h) < 0)
				return PCAP_ERROR;
		}
		if (d) {
			*hdr = &h->hdr;
			*data = d;
			return 1;
		}
		if (h->nonblock)
			return 0;
	}
}

int pfqh_stats(struct pfqh *h, struct pcap_stat *ps)
{
	struct pfq_stats st;
	uint64_t recv;

	if (!h->activated)
		return pfqh_not_activated(h);
	if (pfq_get_stats(h->q, &st) < 0) {
		snprintf(h->err, sizeof(h->err), "stats: %s", pfq_error(h->q));
		return PCAP_ERROR;
	}
	/* as libpcap on Linux: what the socket's filter accepted, and what
	 * the full ring lost; a filter that runs here (VLAN tags) would have
	 * run in the kernel with stock libpcap, so what it refused is not
	 * counted */
	recv = st.recv + st.lost;
	ps->ps_recv = (u_int)(recv > h->refused ? recv - h->refused : 0);
	ps->ps_drop = (u_int)st.lost;
	ps->ps_ifdrop = 0;
	return 0;
}
