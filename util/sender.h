/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Raw frame sender on a device (AF_PACKET), single frames or bulk. */
#ifndef PFQ_UTIL_SENDER_H
#define PFQ_UTIL_SENDER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Open a sender on dev in the caller's network namespace; -errno on error.
 * bypass skips the qdisc (fast bulk sends), but then the frames are not seen
 * by packet sockets capturing dev's outgoing traffic.
 */
int sender_open(const char *dev, int bypass);
void sender_close(int fd);
/* Send one frame; 0 or -errno. */
int sender_send(int fd, const uint8_t *frame, size_t len);
/*
 * Send count frames, cycling through nframes templates, in batches of
 * sendmmsg, at pps frames per second (0: as fast as the device takes
 * them). Stops after count frames or when deadline_ns (CLOCK_MONOTONIC,
 * 0 = none) passes. Returns frames sent or -errno.
 */
long sender_bulk(int fd, uint8_t *const *frames, const size_t *lens,
		 size_t nframes, long count, uint64_t pps, uint64_t deadline_ns);

/* CLOCK_MONOTONIC in nanoseconds */
uint64_t sender_now_ns(void);
/* at pps frames per second from start (sender_now_ns), wait until frame
 * number sent is due */
void sender_pace(uint64_t start, long sent, uint64_t pps);

#endif
