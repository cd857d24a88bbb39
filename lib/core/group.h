/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Groups: the registry side (group.c) and the kernel side (group_kernel.c). */
#ifndef PFQ_GROUP_H
#define PFQ_GROUP_H

#include "pfq-int.h"
#include "registry.h"

#include <stddef.h>

/* the kernel objects of a group, in the order of their ids in reg_group */
enum { GK_PROGS, GK_MEMBERS, GK_STATS, GK_COUNTERS, GK_LOGS, GK_LOGCTL, GK_NOBJ };

/* Make the objects of a new group and record their ids. */
int gk_create(struct registry *r, int gid, char *err, size_t errlen);
/* This process's fds for the objects of group gid (opened by id). */
int gk_fds(struct registry *r, int gid, int fds[GK_NOBJ], char *err, size_t errlen);
/* Close this process's fds of a group that no longer exists. */
void gk_forget(const struct registry *r, int gid);
/* Install the member table the registry describes (active members). */
int gk_push_members(struct registry *r, int gid, char *err, size_t errlen);
/* Compile and install the group program (computation, bindings, filters). */
int gk_push_program(struct registry *r, int gid, char *err, size_t errlen);

/* Attach the group's TC program where it must run, detach it elsewhere
 * (tc_prog_fd < 0: everywhere). */
int gk_tc_update(struct registry *r, int gid, int tc_prog_fd, char *err, size_t errlen);
void gk_tc_clear(struct registry *r, int gid);

/* group.c: lock the registry and reap what dead processes left */
struct registry *pfq_group_lock(pfq_t *q);
/* the socket of the current registry operation (its namespace), or -1 */
int pfq_group_cur_fd(void);
/* the text pfq_groups_error gives (calls without a socket) */
void pfq_groups_seterr(const char *msg);
/* free an empty group: kernel side, fds, registry entry */
void pfq_group_free(struct registry *r, int gid);

/* group.c: a member socket's part, for the socket's life cycle */
int pfq_group_activate(pfq_t *q, bool on); /* enable / disable */
void pfq_group_close(pfq_t *q);            /* leave on close */
void pfq_group_maintain(pfq_t *q);         /* reap dead members now and then */

#endif
