/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device look-ups. They go through the ioctls of the socket's own fd, so
 * they resolve names in the network namespace the socket lives in, even if
 * the calling thread has moved to another namespace since.
 */
#include "pfq-int.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>

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

/*
 * Number of RX queues of dev. Devices without channel information (lo,
 * most virtual devices) have one.
 */
int pfq_dev_rx_queues(int fd, const char *dev)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr;
	int err = fill_ifreq(&ifr, dev);

	if (err)
		return err;
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return errno == ENODEV ? -ENODEV : 1;
	if (ch.rx_count + ch.combined_count == 0)
		return 1;
	return (int)(ch.rx_count + ch.combined_count);
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
