/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guard of the sockets pfqd hands out (guard.c): a BPF LSM program
 * that refuses sends, socket options, bind and connect on the raw
 * AF_PACKET sockets of joined members to every process but pfqd's own.
 * The kernel checks CAP_NET_RAW only when a socket is made: without the
 * guard, a client holding the descriptors could send any frame and set
 * any device promiscuous (docs/pfqd.md, "What the sockets still allow").
 */
#ifndef PFQD_GUARD_H
#define PFQD_GUARD_H

#include <stdbool.h>
#include <stddef.h>

/* Load and attach the guard. 0; or -errno with why (the kernel has no BPF
 * LSM, pfqd lacks CAP_MAC_ADMIN, ...), pfqd then runs without it. */
int guard_start(char *why, size_t n);
/* Is the guard attached? Why not (NULL when it is). */
bool guard_active(void);
const char *guard_error(void);
/* Mark socket fd as handed out (nothing to do without the guard): 0, or
 * -errno. The mark goes with the socket. */
int guard_mark(int fd);
/* Detach and free it (pfqd's exit does the same). */
void guard_stop(void);

#endif
