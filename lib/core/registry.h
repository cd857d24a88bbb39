/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The group registry: one file per network namespace,
 * $PFQ_RUN_DIR/<netns inode>/groups-<version>-<size> (default /run/pfq), mapped shared by
 * every process that uses groups and locked with flock while it is read or
 * changed. It holds what the kernel cannot tell us: who joined with which
 * policy and classes, the bindings, filters and computation of each group,
 * and the ids of the group's BPF maps (processes open them by id).
 *
 * Liveness: every member and holder records its pid and the process start
 * time; entries of processes that no longer exist are removed by whoever
 * takes the lock next (registry_reap), so a killed process loses its share.
 */
#ifndef PFQ_REGISTRY_H
#define PFQ_REGISTRY_H

#include <pfq/lang.h>
#include <pfq/pfq.h>

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#define REG_MAGIC 0x50465152u /* "PFQR" */
#define REG_VERSION 1u
#define REG_MAX_MEMBERS PFQ_MAX_MEMBERS
#define REG_MAX_HOLDERS 8
#define REG_MAX_FPROG 4096
#define REG_MAX_SOURCE 16384

struct reg_proc {
	int32_t pid;
	uint32_t pad;
	uint64_t start; /* process start time (clock ticks since boot) */
};

struct reg_member {
	uint32_t id;        /* 0: free slot */
	uint32_t weight;
	uint64_t class_mask;
	struct reg_proc proc;
	uint32_t active;    /* enabled: in the kernel's member table */
	uint32_t pad;
	uint64_t recv, lost; /* socket stats, published by the member (tools) */
};

struct reg_group {
	uint32_t used;
	int32_t policy;
	uint32_t owner_id;  /* socket that made the group */
	uint32_t gen;       /* bumped on every change */
	uint32_t dirty;     /* the kernel's member table lags the registry (a push
			     * failed, e.g. in a process without CAP_BPF) */
	uint32_t pad;
	struct reg_proc owner;
	struct reg_member m[REG_MAX_MEMBERS];
	struct reg_proc holders[REG_MAX_HOLDERS]; /* joined with policy undefined */
	uint32_t nbind;
	struct pfq_group_binding bind[PFQ_GROUP_MAX_BINDINGS];
	char bind_dev[PFQ_GROUP_MAX_BINDINGS][16];
	uint32_t vlan_on;
	uint8_t vlan_vids[4096 / 8];
	uint32_t fprog_len;
	struct sock_filter fprog[REG_MAX_FPROG];
	uint32_t source_len;
	char source[REG_MAX_SOURCE];
	/* the group's kernel objects, by id */
	uint32_t prog_array_id, members_id, stats_id, counters_id, logs_id, logctl_id;
	/* devices whose TC ingress runs the group's TC program (forwarding,
	 * kernel/detour), to detach them when that changes or the group goes */
	uint32_t tc_n;
	int32_t tc_ifindex[PFQ_GROUP_MAX_BINDINGS];
};

struct registry {
	uint32_t magic, version;
	uint32_t next_id;   /* member socket ids */
	uint32_t size;      /* sizeof(struct registry): the layout of this build */
	struct reg_group g[PFQ_MAX_GROUPS];
};

/* Lock the registry of network namespace netns (created on first use); NULL with errno and a message in err. */
struct registry *registry_lock(uint64_t netns, char *err, size_t errlen);
/* the inode of a network namespace: the calling thread's, a socket's */
uint64_t registry_netns_of_thread(void);
uint64_t registry_netns_of_socket(int fd);
void registry_unlock(struct registry *r);

/* this process, as the registry records it */
struct reg_proc registry_self(void);
bool registry_proc_alive(const struct reg_proc *p);
bool registry_same_proc(const struct reg_proc *a, const struct reg_proc *b);

/* Remove members and holders of dead processes. Calls changed(gid) for
 * every group whose membership changed (or whose kernel table lags): it
 * must free the groups left empty. Without changed, they are freed here. */
void registry_reap(struct registry *r, void (*changed)(struct registry *r, int gid));

/* helpers on one group */
int reg_find_member(const struct reg_group *g, uint32_t id);
int reg_count_members(const struct reg_group *g);
int reg_count_holders(const struct reg_group *g);
void reg_free_group(struct reg_group *g);

#endif
