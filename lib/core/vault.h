/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A group's vault: the kernel objects that must live exactly as long as the
 * group (the members' fanout sockets, the TC links) sit as file descriptors
 * in flight in a unix socket pair that every process of the group holds.
 * No process owns them: when one dies its sockets stay where they are, and
 * when the last process of the group is gone the kernel closes the pair and
 * everything in it, whatever privileges those processes had.
 *
 * The queue is FIFO; each record is {kind, key} with one descriptor. Taking
 * a record out means taking the ones in front of it and putting them back
 * at the end (the registry mirrors the order, so that a record is only taken
 * out deliberately).
 */
#ifndef PFQ_VAULT_H
#define PFQ_VAULT_H

#include <stdint.h>
#include <sys/types.h>

enum vault_kind {
	VAULT_FSOCK = 1, /* a member's fanout socket; key: its cookie */
	VAULT_LINK = 2,  /* a TC link of the group; key: the ifindex */
};

/* end 0 receives, end 1 sends */
int vault_create(int v[2]);
/* put fd (a dup stays with the vault) at the end; 0 or -errno */
int vault_put(const int v[2], int fd, uint32_t kind, uint64_t key);
/* take the first record: its fd (the caller's now), or -ENOENT/-errno */
int vault_pop(const int v[2], uint32_t *kind, uint64_t *key);
/* a copy of the descriptor of record index (0: the first), the queue left
 * as it is (nothing to lose if we die meanwhile), or -ENOENT/-errno */
int vault_peek(const int v[2], uint32_t index, uint32_t *kind, uint64_t *key);
/* fetch the vault's ends (and check them by cookie) from process pid,
 * where they are fds fdnum[0], fdnum[1] */
int vault_fetch(pid_t pid, const int32_t fdnum[2], const uint64_t cookie[2], int v[2]);
/* fetch another socket of process pid, checked by cookie */
int fd_fetch(pid_t pid, int fdnum, uint64_t cookie);
/* a copy of process pid's descriptor fdnum (pidfd_getfd), or -errno */
int pidfd_dup(pid_t pid, int fdnum);
/* the cookie of a socket (0 when it has none) */
uint64_t sock_cookie(int fd);

#endif
