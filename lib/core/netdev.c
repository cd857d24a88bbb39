/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device look-ups. They go through the ioctls of the socket's own fd, so
 * they resolve names in the network namespace the socket lives in, even if
 * the calling thread has moved to another namespace since.
 */
#include "pfq-int.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int fill_ifreq(struct ifreq *ifr, const char *dev)
{
	if (!dev || !*dev || strlen(dev) >= IFNAMSIZ)
		return -EINVAL;
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, dev, strlen(dev) + 1);
	return 0;
}

/* ifindex of dev, or a negative errno (-ENODEV when it does not exist). */
int pfq_dev_ifindex(int fd, const char *dev)
{
	struct ifreq ifr;
	int err = fill_ifreq(&ifr, dev);

	if (err)
		return err;
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	return ifr.ifr_ifindex;
}

/* Has the device of ifindex gone (its index names nothing any more)? Index
 * 0 ('any') never goes; an error other than ENODEV says nothing of it. */
bool pfq_dev_vanished(int fd, int ifindex)
{
	struct ifreq ifr = { .ifr_ifindex = ifindex };

	return ifindex > 0 && ioctl(fd, SIOCGIFNAME, &ifr) < 0 && errno == ENODEV;
}

int pfq_dev_mtu(int fd, const char *dev)
{
	struct ifreq ifr;
	int err = fill_ifreq(&ifr, dev);

	if (err)
		return err;
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	return ifr.ifr_mtu;
}

/* dev's channel counts (ethtool); -ENODEV, or 1 when the driver has none */
static int channels(int fd, const char *dev, struct ethtool_channels *ch)
{
	struct ifreq ifr;
	int err = fill_ifreq(&ifr, dev);

	if (err)
		return err;
	memset(ch, 0, sizeof(*ch));
	ch->cmd = ETHTOOL_GCHANNELS;
	ifr.ifr_data = (void *)ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return errno == ENODEV ? -ENODEV : 1;
	return 0;
}

/*
 * Number of RX queues of dev. Devices without channel information (lo,
 * most virtual devices) have one.
 */
int pfq_dev_rx_queues(int fd, const char *dev)
{
	struct ethtool_channels ch;
	int rc = channels(fd, dev, &ch);

	if (rc)
		return rc;
	return ch.rx_count + ch.combined_count ? (int)(ch.rx_count + ch.combined_count) : 1;
}

int pfq_dev_tx_queues(int fd, const char *dev)
{
	struct ethtool_channels ch;
	int rc = channels(fd, dev, &ch);

	if (rc)
		return rc < 0 ? rc : 0;
	return (int)(ch.tx_count + ch.combined_count);
}

int pfq_run_in_ns_of(int sock, int (*fn)(void *), void *arg)
{
	int target = ioctl(sock, SIOCGSKNS), self, rc;

	if (target < 0)
		return fn(arg);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || setns(target, CLONE_NEWNET) < 0) {
		rc = self < 0 ? fn(arg) : -errno;
	} else {
		rc = fn(arg);
		setns(self, CLONE_NEWNET);
	}
	close(target);
	if (self >= 0)
		close(self);
	return rc;
}

struct tcx_op {
	int prog_fd, ifindex, type, link;
};

static int tcx_create(void *arg)
{
	struct tcx_op *o = arg;

	o->link = bpf_link_create(o->prog_fd, o->ifindex, (enum bpf_attach_type)o->type, NULL);
	return o->link < 0 ? -errno : 0;
}

int pfq_tcx_attach(int sock, int prog_fd, int ifindex, int type)
{
	struct tcx_op o = { prog_fd, ifindex, type, -1 };
	int rc = pfq_run_in_ns_of(sock, tcx_create, &o);

	return rc < 0 ? rc : o.link;
}

/*
 * veth hands a packet to the peer's rx queue with the index of the tx queue
 * it left by, and never records it the way NIC drivers do (index + 1).
 */
bool pfq_dev_is_veth(int fd, const char *dev)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;

	if (fill_ifreq(&ifr, dev))
		return false;
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return false;
	return strcmp(info.driver, "veth") == 0;
}

/* A new packet socket in the network namespace of socket fd (not the
 * calling thread's: a program may create its sockets in one namespace and
 * go on in another). -errno on failure. */
int pfq_packet_socket_like(int fd)
{
	struct stat a, b;
	int ns = ioctl(fd, SIOCGSKNS), self = -1, s, e = 0;

	if (ns >= 0 && fstat(ns, &a) == 0 && stat("/proc/thread-self/ns/net", &b) == 0 &&
	    a.st_ino == b.st_ino) {
		close(ns);
		ns = -1;
	}
	if (ns >= 0) {
		self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(ns, CLONE_NEWNET) < 0) {
			e = errno;
			close(ns);
			if (self >= 0)
				close(self);
			return -e;
		}
	}
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0)
		e = errno;
	if (ns >= 0) {
		setns(self, CLONE_NEWNET);
		close(self);
		close(ns);
	}
	return s < 0 ? -e : s;
}

/* Run fn(arg) in network namespace netns (an inode number): at once when
 * the calling thread is there (no privilege needed: the usual case, tcpdump
 * runs where its group is), else in the namespace of socket ref_fd, which
 * needs CAP_NET_ADMIN (SIOCGSKNS) and CAP_SYS_ADMIN (setns); -EPERM then,
 * never a run in the wrong namespace. */
int pfq_in_netns(uint64_t netns, int ref_fd, int (*fn)(void *), void *arg)
{
	struct stat self;
	int nsfd, rc;

	if (stat("/proc/thread-self/ns/net", &self) == 0 && (uint64_t)self.st_ino == netns)
		return fn(arg);
	nsfd = ref_fd >= 0 ? ioctl(ref_fd, SIOCGSKNS) : -1;
	if (nsfd < 0)
		return -EPERM;
	close(nsfd);
	rc = pfq_run_in_ns_of(ref_fd, fn, arg);
	return rc;
}
