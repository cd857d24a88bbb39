/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The unprivileged join: a client of the control socket asks to join one of
 * pfqd's groups ({"cmd":"join","gid":N,...}); pfqd checks the client's
 * credentials (SO_PEERCRED, SO_PEERGROUPS) against the group's allow_users
 * and allow_groups, makes a member socket in the group for it and hands it
 * over (pfq_export): the two sockets and a lease travel in SCM_RIGHTS with
 * the JSON answer. pfqd stays the member of record: it looks after the
 * member (pfq_maintain) and ends it when the lease closes (the client
 * closed its socket, or exited), when the group goes, or when a reload
 * takes the permission away (the client's reads then fail). The client
 * reports its member's counters on the lease, which pfqd publishes
 * (pfq_set_importer_stats). libpfq's pfq_join_pfqd is the client's half.
 */
#ifndef PFQD_JOIN_H
#define PFQD_JOIN_H

#include "group.h"
#include "server.h"
#include "state.h"

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#define JOIN_MAX_GROUPS 256 /* supplementary groups of a client kept */

/* who asked */
struct join_cred {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int ngroups; /* -1: unknown (only gid is checked) */
	gid_t groups[JOIN_MAX_GROUPS];
};

struct pfqd_join {
	pfq_t *q;
	int lease;           /* pfqd's end of the lease */
	int pidfd;           /* the client's process; -1: unknown */
	struct join_cred cred;
	int sock[2];         /* the member's sockets (pfqd's descriptors of them) */
	long long closed_ms; /* the lease closed at (0: open) */
	long long check_ms;  /* closed, its sockets still held: look again then */
	bool exited;         /* closed, and the client's process is gone */
	bool reported;       /* the client reported the member's counters */
	long long recheck_ms;/* the wait before the next look (doubles) */
	long long window_ms; /* reports counted since then (a flood is cut off) */
	int reports;
};

/* The credentials of the peer of a unix socket. 0, or -errno. */
int join_peer_cred(int fd, struct join_cred *c);
/* May c join group g? true; false with why ("user 'bob' (uid 1001) is not
 * in group 42's allow_users or allow_groups"). Root always may. */
bool join_permitted(const struct pfqd_group *g, const struct join_cred *c, char *why,
		    size_t n);

/* {"cmd":"join",...} from client c: answered here (with the descriptors) */
void join_command(struct pfqd_state *s, struct client *c, json_t *req);

/* The main loop's part: the pollfds of every join (at most max written),
 * what they said, and the periodic work (maintenance, clients gone); the
 * poll timeout it needs in ms (-1: none). */
int joins_count(const struct pfqd_state *s);
int joins_pollfds(const struct pfqd_state *s, struct pollfd *pfd, int max);
void joins_handle(struct pfqd_state *s, const struct pollfd *pfd, int n);
int joins_tick(struct pfqd_state *s);
/* After a reload: end the joins the new lists no longer permit. */
void joins_recheck(struct pfqd_state *s);
/* End every join of l (why: for the log). */
void joins_release(struct pfqd_live *l, const char *why);

#endif
