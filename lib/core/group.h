/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Groups. The registry (registry.c) says who takes part and how the group is
 * configured; the kernel objects do the work per packet:
 *
 *   - a PACKET_FANOUT_EBPF group holding a sink socket at position 0 and
 *     each member's fanout socket; its program (the fanout flavour of the
 *     group program) runs once per packet and names the one member that
 *     receives it (fanout mode);
 *   - when a decision can name several members (copies, double steering),
 *     each member's own socket runs the members flavour of the group
 *     program instead, tail-called from its filter (members mode);
 *   - maps: member table, stats, counters, log, flows, program array;
 *   - a TC link per bound device when the computation forwards or decides
 *     for the host stack.
 *
 * Every process of a group holds the group's vault (vault.h), in which the
 * fanout sockets and TC links live; everything else is referenced from
 * them. So the kernel keeps a group's objects exactly as long as one of its
 * processes lives: a dead member leaves its fanout socket in place (no
 * other member moves) until a survivor closes it in order (gk_close_pos).
 */
#ifndef PFQ_GROUP_H
#define PFQ_GROUP_H

#include "pfq-int.h"
#include "registry.h"

#include <pthread.h>
#include <stddef.h>

/* This process's hold on a group: its open registry file, its proc slot,
 * and its descriptors of the group's objects. */
struct gk {
	uint64_t netns;
	int gid;
	struct reg_file f;
	int slot;            /* our proc slot, -1 none */
	uint64_t vault_id;   /* the group instance (cookie of the vault's end 0) */
	int vault[2];
	int sink;
	int maps[GK_NMAPS];
	int refs;            /* our sockets and holds in the group */
	int ref_fd;          /* a socket of the caller, in the group's namespace
			      * (borrowed for the session: new sockets go there) */
	pthread_mutex_t mu;  /* threads of this process share the file's locks */
	uint64_t procs[2];   /* proc slots in use when we last looked */
	struct reg_group *last; /* the record as we last left it (repairs) */
	uint32_t nparked;    /* parked sockets when we last looked */
	uint32_t nzombies;   /* of them zombies (gk_close_pos) */
	uint64_t unpark_ns;  /* our last look for their holders (gk_unpark) */
	uint64_t unpark_wait_ns; /* until the next (doubles while nothing goes) */
	struct gk *next;
};

/* group_kernel.c: this process's hold on group gid of netns (made on first
 * use, with the registry file open); NULL with a message */
struct gk *gk_get(uint64_t netns, int gid, bool create, char *err, size_t errlen);
/* forget the hold (the caller took its proc slot out of the registry, or
 * never had one): descriptors and registry file closed */
void gk_release(struct gk *k);
/* Under the record lock, with g read: make sure the group exists in the
 * kernel and this process holds it (creating it when no process does),
 * then reap what dead processes left. 1 when g changed, 0 when not, or
 * -errno with a message. */
int gk_attach(struct gk *k, struct reg_group *g, char *err, size_t errlen);
/* the processes of g that died: remove them and what they left; true
 * when something changed */
bool gk_reap(struct gk *k, struct reg_group *g);
/* park the fanout socket of member id (design.md, Handover): it keeps its
 * position and vault record, with no row */
bool gk_park(struct reg_group *g, uint32_t id, uint64_t cookie, uint64_t ino, uint32_t ring_4k,
	     bool zombie);
/* close in order the parked sockets no process outside the group holds
 * any more (a look at /proc, root only, at most once a second unless
 * force); true when g changed */
bool gk_unpark(struct gk *k, struct reg_group *g, bool force);
/* keep a mapping of the rings of every parked socket (ours not yet made
 * are made), and let go of those asked for (release_s) */
void gk_keep_parked(struct gk *k, const struct reg_group *g);
/* is a look due, for the holders of parked sockets (root, every second)
 * or for zombies gone (everyone, every time)? no lock: what we saw */
bool gk_unpark_due(const struct gk *k);
/* finish what a process killed in the middle of a change left */
bool gk_recover(struct gk *k, struct reg_group *g);
/* a proc slot for this process (holder: policy undefined) */
int gk_proc_add(struct gk *k, struct reg_group *g, bool holder, char *err, size_t errlen);
/* Install the member table the registry describes (active members, their
 * positions, the mode); 0 or -errno. */
int gk_push_table(struct gk *k, struct reg_group *g, char *err, size_t errlen);
/* does the member have a row in the member table (enabled, or an egress
 * endpoint)? */
bool gk_in_table(const struct reg_member *m);
/* put a fanout socket (or TC link) in the vault (a dup stays there) / take
 * one out (the fd is the caller's) */
int gk_vault_put(struct gk *k, struct reg_group *g, int fd, uint32_t kind, uint64_t key);
int gk_vault_take(struct gk *k, struct reg_group *g, uint32_t kind, uint64_t key);
/* close the fanout socket (cookie) at position pos, in order: the last one
 * moves there. fd: the caller's own descriptor of it, closed too (-1).
 * exported: looked for in the fanout after the close; still there (held
 * by a descriptor in flight), it stays a zombie at pos and nothing moves. */
int gk_close_pos(struct gk *k, struct reg_group *g, int pos, uint64_t cookie, bool exported,
		 int fd, char *err, size_t errlen);
/* a fanout socket joins the group's fanout at the next position */
int gk_fanout_join(struct gk *k, struct reg_group *g, int fd, uint32_t id, char *err,
		   size_t errlen);

/* group_prog.c: compile and load the group's programs for the configuration
 * in g (outside any lock), and install them (under the record lock) */
struct gk_progs;
struct gk_progs *gk_compile(struct gk *k, const struct reg_group *g, char *err, size_t errlen);
int gk_install(struct gk *k, struct reg_group *g, const struct gk_progs *p, char *err,
	       size_t errlen);
void gk_progs_free(struct gk_progs *p);
/* both at once, under the lock (a new group; putting a failed change back) */
int gk_reinstall(struct gk *k, struct reg_group *g, char *err, size_t errlen);

/* group_kernel.c: a group map by id (checked by name), this process's
 * descriptor of it otherwise; -errno */
int gk_map_fd(uint32_t id, int kind);
/* any process of the group gone since we last looked? */
bool gk_any_dead(struct gk *k);

/* group.c: one locked look at a member's group (exclusive record lock, the
 * record read, dead processes reaped): begin (try: -EAGAIN rather than
 * wait), then finish (commit when dirty, unlock) */
struct gsession {
	struct gk *k;
	struct reg_group *g;
	bool dirty;
};
int gs_begin_member(struct gsession *s, pfq_t *q, bool try);
int gs_finish(struct gsession *s);

/* group.c: read group gid of netns from outside (tools): its record and,
 * when fds is not NULL, its stats, counters and log maps (the others -1;
 * the caller closes them); -ENOENT when no live process holds it */
int pfq_group_peek(uint64_t netns, int gid, struct reg_group *g, int fds[GK_NMAPS], char *err,
		   size_t errlen);

/* group.c: a member socket's part, for the socket's life cycle */
int pfq_group_activate(pfq_t *q, bool on); /* enable / disable */
void pfq_group_close(pfq_t *q);            /* leave on close */
void pfq_group_maintain(pfq_t *q);         /* look after the group now and then */
/* the socket's egress endpoint (q->egress_*, none: ifindex 0) in its
 * group, a change that makes the group's programs again (group_config.c):
 * the TC program comes with the first endpoint and goes with the last */
int pfq_group_egress_set(pfq_t *q);
/* the member takes its part as the group makes it now (its copies hooked
 * or not: an endpoint's never) */
int pfq_group_own_part(pfq_t *q);
/* the member's row takes the socket's weight and directions now */
int pfq_group_refresh_row(pfq_t *q);

/* member.c: a member's sockets */
int pfq_member_fsock_open(pfq_t *q);       /* its fanout socket (join, privileged) */
int pfq_member_fsock_ring(pfq_t *q);       /* its ring, before its first enable */
int pfq_member_fsock_open_filter(pfq_t *q); /* once in the fanout: packets may come */
/* unmap its ring (a mapping holds the socket open; keep_map: the mapping
 * stays, for good, a parked socket's) and hand over the fd */
int pfq_member_fsock_detach(pfq_t *q, bool keep_map);
void pfq_member_fsock_close(pfq_t *q);
int pfq_member_copies(pfq_t *q, bool on);  /* hook its main socket for copies */

#endif
