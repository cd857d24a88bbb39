/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The group registry: what the kernel cannot tell us about a group (who
 * joined with which policy and classes, the configuration, which socket sits
 * at which position of the group's fanout), one file per group in a
 * directory per network namespace:
 *
 *     $PFQ_RUN_DIR/<netns inode>/g<gid>       (default /run/pfq)
 *
 * Trust: the directories must belong to the caller (root) and not be
 * writable by others; files are created exclusively, mode 0600, never
 * through a symbolic link, and checked (owner, type, links, size) before use.
 *
 * A file holds a header, two slots for the group's record and a table of
 * published member statistics. A commit writes the record into the slot not
 * in use and then switches the header to it, so a process killed in the
 * middle leaves the previous record; each slot carries a checksum, and a
 * record that does not check out is reported as corrupt (never trusted).
 * Files are read and written with pread/pwrite: a truncated or damaged file
 * is an error, never a SIGBUS.
 *
 * Locks are OFD locks on the file (they belong to the open file, so threads
 * and processes exclude each other, and the kernel drops them when the
 * process dies): byte 0 guards the record (exclusive to change it, shared to
 * read it); byte REG_ALIVE + i is held exclusively by the process in proc
 * slot i for as long as it takes part in the group, so a process's death is
 * seen by testing its lock, with no pid to trust.
 */
#ifndef PFQ_REGISTRY_H
#define PFQ_REGISTRY_H

#include "../lang/group-abi.h"

#include <pfq/lang.h>
#include <pfq/pfq.h>

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#define REG_MAGIC 0x50465152u /* "PFQR" */
#define REG_VERSION 5u
#define REG_MAX_MEMBERS PFQ_MAX_MEMBERS
#define REG_MAX_PROCS 96
#define REG_MAX_POS 256      /* fanout positions: the sink and the members' sockets */
#define REG_MAX_VAULT 96     /* records in a group's vault */
#define REG_MAX_PARKED REG_MAX_POS /* parked sockets and zombies: one position each */
#define REG_MAX_FPROG 4096
#define REG_MAX_SOURCE 16384
#define REG_ALIVE 64         /* first byte of the per-process liveness locks */

/* the kernel objects of a group kept by id, in this order */
enum {
	GK_MEMBERS, GK_STATS, GK_COUNTERS, GK_LOGS, GK_LOGCTL, GK_FLOWS, GK_PROGS,
	/* the member tables, written in turn and swapped into GK_MEMBERS: an
	 * update then makes no map, which a process without CAP_BPF cannot */
	GK_TABLE0, GK_NTABLES = 4, GK_NMAPS = GK_TABLE0 + GK_NTABLES,
};

/* a process taking part in the group (a member's or a holder's) */
struct reg_proc {
	int32_t pid;         /* 0: free slot (for display and pidfd_getfd) */
	uint32_t holder;     /* its sockets that hold the group (joined with policy
			      * undefined) */
	int32_t vault_fd[2]; /* its fds of the group's vault (receiving, sending end) */
	int32_t sink_fd;     /* its fd of the group's sink socket */
	int32_t progs_fd;    /* its fd of the group's program array (GK_PROGS) */
};

struct reg_member {
	uint32_t id;         /* 0: free slot */
	uint32_t weight;
	uint64_t class_mask;
	int32_t proc;        /* its process (proc slot) */
	uint32_t active;     /* enabled: a row of the member table */
	uint32_t dirs;       /* PFQ_DIR_* it takes */
	int32_t pos;         /* its fanout socket's position, -1 before its first enable */
	uint64_t fsock;      /* cookie of its fanout socket (0: none yet) */
	uint32_t copies;     /* its main socket is hooked and takes the group's copies */
	int32_t egress_ifindex; /* an egress endpoint (pfq_egress_bind): its device, 0: none */
	int32_t egress_queue;   /* its hw TX queue, or PFQ_ANY_QUEUE */
	uint32_t exported;   /* handed to another process (pfq_export): parked, not
			      * closed in order, when its process dies */
	uint32_t ring_4k;    /* an exported one's fanout socket's rings: the length
			      * of their mapping, in 4 KiB (0: unknown) */
	uint64_t fsock_ino;  /* an exported one's inode: how /proc names it */
};

/* A parked fanout socket (design.md, Handover): an exported member's that
 * its importer may still have held when the member ended. It keeps its
 * position (pos_id) and its vault record, with no row, until a look at
 * /proc finds no process outside the group holding it; then it is closed
 * in order. */
struct reg_parked {
	uint32_t id;         /* the member id at its position */
	uint32_t zombie;     /* not in the vault: closed in order, yet a descriptor
			      * in flight keeps it (gk_close_pos); it leaves the
			      * fanout when that one goes */
	uint64_t cookie;     /* its vault record's key */
	uint64_t ino;        /* its inode (0: unknown, looked up when needed) */
	uint32_t release_s;  /* 0, or when (CLOCK_MONOTONIC s + 1) a look found no
			      * holder outside the group: the group's processes
			      * let go of their mappings of its rings
			      * (gk_keep_parked), then it is closed (gk_unpark) */
	uint32_t ring_4k;    /* its rings' mapping length in 4 KiB (0: unknown,
			      * asked of the kernel) */
};

/* a record of the vault, in queue order */
struct reg_vrec {
	uint32_t kind;       /* VAULT_* (vault.h) */
	uint32_t pad;
	uint64_t key;        /* socket cookie, or ifindex of a TC link */
};

struct reg_group {
	uint32_t used;
	int32_t policy;
	uint32_t owner_id;   /* socket that made the group */
	int32_t owner_proc;  /* its process slot (-1: none) */
	uint32_t gen;        /* bumped on every commit */
	uint32_t cfg_gen;    /* bumped on every change of configuration */
	uint32_t pending;    /* a change may be half installed: install it again */
	uint32_t pad0;

	struct reg_proc proc[REG_MAX_PROCS];
	struct reg_member m[REG_MAX_MEMBERS];

	/* configuration */
	uint32_t nbind;
	struct pfq_group_binding bind[PFQ_GROUP_MAX_BINDINGS];
	char bind_dev[PFQ_GROUP_MAX_BINDINGS][16];
	uint32_t vlan_on;
	uint8_t vlan_vids[4096 / 8];
	uint32_t fprog_len;
	struct sock_filter fprog[REG_MAX_FPROG];
	uint32_t source_len;
	char source[REG_MAX_SOURCE];
	/* what the computation can decide (pfq_lang_fates) */
	uint32_t may_copy, may_double;
	uint64_t classes;

	/* kernel side */
	uint64_t vault[2];   /* cookies of the vault's two ends */
	uint64_t sink;       /* cookie of the sink socket (fanout position 0) */
	uint32_t fanout_id;
	uint32_t map_id[GK_NMAPS];
	uint32_t mode;       /* enum pfq_group_mode the member table says */
	uint32_t want_copies;/* members mode wanted: members hook their main sockets */
	uint32_t table_gen;
	uint32_t table_slot; /* the member table in use (0..GK_NTABLES-1) */
	uint32_t npos;       /* sockets in the fanout */
	uint32_t pos_id[REG_MAX_POS]; /* member id at each position (0: the sink) */
	uint32_t nvault;
	struct reg_vrec vault_rec[REG_MAX_VAULT];
	uint32_t tc_n;       /* devices with the group's TC link (in the vault) */
	int32_t tc_ifindex[PFQ_GROUP_MAX_BINDINGS];
	/* write-ahead of a fanout socket's close: what moves where */
	struct {
		uint32_t active;
		uint32_t pos;      /* position being freed */
		uint64_t cookie;   /* its socket */
		uint32_t mover;    /* member id of the last socket, moving into pos (0: none) */
		uint32_t pad;
	} closing;
	uint32_t rotating;   /* a vault rotation was under way (audit the vault) */
	uint32_t nparked;
	struct reg_parked parked[REG_MAX_PARKED];
};

/* published socket statistics of a member (written without the lock) */
struct reg_mstats {
	uint32_t id;
	uint32_t pad;
	uint64_t recv, lost;
};

/* An open group file of this process. */
struct reg_file {
	int fd;
	int gid;
	uint64_t netns;
};

/* the namespace of a socket / of the calling thread (0 if unknown) */
uint64_t registry_netns_of_socket(int fd);
uint64_t registry_netns_of_thread(void);

/* Open the group file of gid in netns: 0, or -errno with a message. create:
 * make it (and the directories) when missing; without, nothing is made (a
 * missing directory: -ENOENT, the group does not exist). */
int reg_open(uint64_t netns, int gid, bool create, struct reg_file *f, char *err, size_t errlen);
void reg_close(struct reg_file *f);
/* the gids that have a file in netns: a bit each (none, and nothing made,
 * when the directories are missing); -errno */
int reg_list(uint64_t netns, uint64_t *gids, char *err, size_t errlen);

/* the record lock (byte 0): exclusive or shared; try: do not wait (-EAGAIN) */
int reg_lock(struct reg_file *f, bool exclusive, bool try);
void reg_unlock(struct reg_file *f);
/* the liveness lock of proc slot i: take it / is it held by a live process */
int reg_alive_take(struct reg_file *f, int slot);
void reg_alive_drop(struct reg_file *f, int slot);
bool reg_alive(struct reg_file *f, int slot);

/* Read the current record (0), an empty one for a new file (0, used = 0),
 * or -EBADMSG for a damaged file. */
int reg_read(struct reg_file *f, struct reg_group *g);
/* Commit a record (under the exclusive lock). */
int reg_write(struct reg_file *f, const struct reg_group *g);
/* the header's sequence number: changes with every commit (cheap check) */
uint64_t reg_seq(struct reg_file *f);
/* Remove the group's file (and its namespace's directory when that was its
 * last), under the exclusive lock, when no process takes part any more. A
 * process that opened the file before and waited for the lock finds it
 * unlinked (reg_unlinked) and opens the group's file again. */
void reg_unlink(struct reg_file *f);
bool reg_unlinked(struct reg_file *f);

/* published statistics of member row i */
void reg_stats_put(struct reg_file *f, int row, uint32_t id, uint64_t recv, uint64_t lost);
int reg_stats_get(struct reg_file *f, int row, struct reg_mstats *out);

/* helpers on a record */
int reg_find_member(const struct reg_group *g, uint32_t id);
int reg_count_members(const struct reg_group *g);
int reg_count_procs(const struct reg_group *g);

#endif
