/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which sockets are in a fanout: the kernel's own list (sock_diag, packet
 * family, PACKET_SHOW_FANOUT), in the network namespace of a socket of
 * ours. The group's books say which sockets it put in its fanout; a socket
 * of another process that joined it by id (any packet socket of the
 * namespace may, bound alike) is found here, and one the group closed but
 * a descriptor in flight keeps (group_kernel.c, gk_fanout_check).
 * The same list with PACKET_SHOW_RING_CFG sizes the rings of a parked
 * socket, which a process of the group maps to keep them (gk_keep_parked).
 */
#include "pfq-int.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct diag_look {
	uint32_t fanout_id;     /* list the sockets of this fanout, or */
	uint64_t ring_cookie;   /* (not 0) size the rings of this socket */
	struct pfq_fanout_sock *out;
	int max, n;
	size_t ring_len;
	bool found;
};

/* the bytes a mapping of the socket's rings spans (the kernel maps exactly
 * its blocks, the RX ring's then the TX ring's) */
static size_t ring_bytes(const struct nlattr *at)
{
	struct packet_diag_ring r;

	if (at->nla_len < NLA_HDRLEN + sizeof(r))
		return 0;
	memcpy(&r, (const char *)at + NLA_HDRLEN, sizeof(r));
	return (size_t)r.pdr_block_size * r.pdr_block_nr;
}

/* one answer: is it a socket of our fanout, or the one to size? */
static void diag_one(struct diag_look *a, const struct nlmsghdr *h)
{
	const struct packet_diag_msg *m = NLMSG_DATA(h);
	const struct nlattr *at;
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	uint64_t cookie;
	uint32_t fo = 0;
	size_t rings = 0;
	bool in_fanout = false;

	if (len < 0)
		return;
	cookie = (uint64_t)m->pdiag_cookie[1] << 32 | m->pdiag_cookie[0];
	at = (const struct nlattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
	while (len >= (int)sizeof(*at) && at->nla_len >= sizeof(*at) && at->nla_len <= len) {
		if (at->nla_type == PACKET_DIAG_FANOUT && at->nla_len >= NLA_HDRLEN + sizeof(fo)) {
			memcpy(&fo, (const char *)at + NLA_HDRLEN, sizeof(fo));
			in_fanout = true;
		} else if (at->nla_type == PACKET_DIAG_RX_RING ||
			   at->nla_type == PACKET_DIAG_TX_RING) {
			rings += ring_bytes(at);
		}
		len -= NLA_ALIGN(at->nla_len);
		at = (const struct nlattr *)((const char *)at + NLA_ALIGN(at->nla_len));
	}
	if (a->ring_cookie) {
		if (cookie == a->ring_cookie) {
			a->ring_len = rings;
			a->found = true;
		}
		return;
	}
	if (in_fanout && (fo & 0xffff) == a->fanout_id) {
		if (a->n < a->max)
			a->out[a->n] = (struct pfq_fanout_sock){ .cookie = cookie,
								 .ino = m->pdiag_ino };
		a->n++;
	}
}

static int diag_dump(void *arg)
{
	struct diag_look *a = arg;
	struct {
		struct nlmsghdr h;
		struct packet_diag_req r;
	} req = { .h = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		  .r = { .sdiag_family = AF_PACKET,
			 .pdiag_show = a->ring_cookie ? PACKET_SHOW_RING_CFG : PACKET_SHOW_FANOUT } };
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	long buf[8192 / sizeof(long)];
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG), rc = 0;
	bool done = false;

	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		rc = -errno;
	while (!rc && !done) {
		ssize_t got = recv(fd, buf, sizeof(buf), 0);
		size_t off = 0;

		if (got < 0) {
			rc = errno == EINTR ? 0 : -errno;
			continue;
		}
		done = got == 0;
		/* (NLMSG_OK compares signed with unsigned: walked by hand) */
		while (!done && off + sizeof(struct nlmsghdr) <= (size_t)got) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)buf + off);

			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > (size_t)got - off) {
				rc = -EIO; /* cut short: not the kernel's answer */
				done = true;
			} else if (h->nlmsg_type == NLMSG_ERROR) {
				rc = -EIO;
				done = true;
			} else if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
			} else if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
				diag_one(a, h);
			}
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
	close(fd);
	return rc;
}

int pfq_fanout_sockets(uint64_t netns, int ref_fd, uint32_t fanout_id,
		       struct pfq_fanout_sock *out, int max)
{
	struct diag_look a = { .fanout_id = fanout_id, .out = out, .max = max };
	int rc = pfq_in_netns(netns, ref_fd, diag_dump, &a);

	return rc < 0 ? rc : a.n;
}

int pfq_packet_ring_len(uint64_t netns, int ref_fd, uint64_t cookie, size_t *len)
{
	struct diag_look a = { .ring_cookie = cookie };
	int rc;

	if (!cookie)
		return -EINVAL;
	rc = pfq_in_netns(netns, ref_fd, diag_dump, &a);
	if (rc < 0)
		return rc;
	if (!a.found)
		return -ENOENT;
	*len = a.ring_len;
	return 0;
}
