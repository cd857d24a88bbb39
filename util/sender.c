/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sender.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256

int sender_open(const char *dev, int bypass)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd, one = 1, sndbuf = 4 << 20;

	sll.sll_ifindex = (int)if_nametoindex(dev);
	if (!sll.sll_ifindex)
		return -ENODEV;
	/* protocol 0: a send-only socket that receives nothing */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bypass)
		setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

void sender_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int sender_send(int fd, const uint8_t *frame, size_t len)
{
	for (;;) {
		ssize_t n = send(fd, frame, len, 0);

		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)) {
			usleep(100);
			continue;
		}
		return n < 0 ? -errno : -EIO;
	}
}

uint64_t sender_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* sleep for the long waits, spin the last stretch */
void sender_pace(uint64_t start, long sent, uint64_t pps)
{
	uint64_t due = start + (uint64_t)((__uint128_t)sent * 1000000000u / pps), now = sender_now_ns();

	if (now >= due)
		return;
	/* sleep for the long waits, spin the last stretch (a sleep's wake-up
	 * is late by tens of microseconds) */
	if (due - now > 100000) {
		uint64_t d = due - now - 50000;
		struct timespec ts = { (time_t)(d / 1000000000u), (long)(d % 1000000000u) };

		nanosleep(&ts, NULL);
	}
	while (sender_now_ns() < due)
		;
}

long sender_bulk(int fd, uint8_t *const *frames, const size_t *lens,
		 size_t nframes, long count, uint64_t pps, uint64_t deadline_ns)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	long sent = 0;
	size_t next = 0;
	uint64_t start = sender_now_ns();
	/* batches short enough to keep a low rate smooth */
	long batch = pps && pps < 100000 * BATCH ? (long)(pps / 100000) + 1 : BATCH;

	if (nframes == 0 || count < 0)
		return -EINVAL;
	while (sent < count) {
		int n = (int)((count - sent) < batch ? (count - sent) : batch), r;

		if (pps)
			sender_pace(start, sent, pps);
		for (int i = 0; i < n; i++) {
			size_t f = (next + (size_t)i) % nframes;

			iov[i].iov_base = frames[f];
			iov[i].iov_len = lens[f];
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(fd, msgs, (unsigned)n, 0);
		if (r < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
				return -errno;
			usleep(50);
			r = 0;
		}
		sent += r;
		next = (next + (size_t)r) % nframes;
		if (deadline_ns && sender_now_ns() > deadline_ns)
			break;
	}
	return sent;
}
