/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The unprivileged join (join.h): the request, the handover, the leases. */
#include "join.h"

#include "guard.h"
#include "log.h"
#include "parse.h"

#include "../../lib/core/lease.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* lib/core/holders.c (built into pfqd): might a process other than this
 * one hold socket fd? */
int pfq_sockets_held_elsewhere(const uint64_t *ino, int n, bool *held, const int32_t *mappers,
			       int nmappers, bool *mapped);

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif

#define JOIN_DEFAULT_CAPLEN 65535
#define JOIN_DEFAULT_SLOTS 4096
/* a client whose lease closed (a goodbye, or its death) is ended once no
 * other process holds its sockets; while one does, it is looked for again
 * this often */
#define JOIN_RECHECK_MS 1000
#define JOIN_TICK_MS 200 /* pfq_maintain's period */
#define LEASE_REPORTS_PER_S 20 /* more, and the lease is taken as a goodbye */
/* what one user other than root may hold at once: the members and their
 * rings are pfqd's (its descriptors, kernel memory no limit of the user's
 * counts), so a user permitted could otherwise take a group's 64 places
 * and gigabytes with one write of join lines */
#define JOIN_USER_MAX 8
#define JOIN_RING_BYTES_MAX (256u << 20) /* a ring (a member has two) */
/* a slot: a packet of up to 2048 bytes and its header (lib/core/ring.c,
 * rounded up) */
#define JOIN_SLOT_BYTES 2048u
#define JOIN_SLOT_HEADER 128u
/* messages of a lease read at one wake-up: a chattier client waits for the
 * next turn of the loop */
#define LEASE_READS 16

/* ---- credentials ---- */

int join_peer_cred(int fd, struct join_cred *c)
{
	struct ucred u;
	socklen_t len = sizeof(u);

	memset(c, 0, sizeof(*c));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &len) < 0)
		return -errno;
	c->uid = u.uid;
	c->gid = u.gid;
	c->pid = u.pid;
	len = sizeof(c->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, c->groups, &len) < 0)
		c->ngroups = -1; /* more than we keep: only the primary group counts */
	else
		c->ngroups = (int)(len / sizeof(gid_t));
	return 0;
}

static bool numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* a name of allow_users (user) or allow_groups as an id (a number is
 * one): false when it names nobody */
static bool list_id(const char *name, bool user, unsigned long *out)
{
	struct passwd *pw;
	struct group *gr;

	if (numeric(name)) {
		/* (one out of range names nobody: truncated, it named another) */
		*out = strtoul(name, NULL, 10);
		return pfqd_id_in_range(name);
	}
	pw = user ? getpwnam(name) : NULL;
	gr = user ? NULL : getgrnam(name);
	if (pw)
		*out = pw->pw_uid;
	if (gr)
		*out = gr->gr_gid;
	return pw || gr;
}

static bool in_group(const struct join_cred *c, gid_t g)
{
	if (c->gid == g)
		return true;
	for (int i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g)
			return true;
	return false;
}

bool join_permitted(const struct pfqd_group *g, const struct join_cred *c, char *why, size_t n)
{
	struct passwd *pw;
	unsigned long id;

	if (c->uid == 0)
		return true;
	for (int i = 0; i < g->nusers; i++)
		if (list_id(g->users[i], true, &id) && id == c->uid)
			return true;
	for (int i = 0; i < g->ngroups; i++)
		if (list_id(g->groups[i], false, &id) && in_group(c, (gid_t)id))
			return true;
	pw = getpwuid(c->uid);
	snprintf(why, n, "not permitted by pfqd: user '%s' (uid %u) is not in group %d's "
		 "allow_users, nor in a group of its allow_groups", pw ? pw->pw_name : "?",
		 (unsigned)c->uid, g->gid);
	return false;
}

/* ---- the request ---- */

/* what a join asks for, checked */
struct join_req {
	struct pfqd_live *l;
	unsigned long long class_mask;
	size_t caplen, rx_slots, weight;
	bool tstamp;
};

static json_t *refusal(int err, const char *msg)
{
	return json_pack("{s:b,s:s,s:i}", "ok", 0, "error", msg, "errno", err);
}

/* a size field: 0 (absent) or lo..hi */
static int size_field(json_t *req, const char *key, size_t hi, size_t *out, size_t dflt,
		      char *why, size_t n)
{
	json_t *v = json_object_get(req, key);
	json_int_t x = v ? json_integer_value(v) : 0;

	if (v && !json_is_integer(v)) {
		snprintf(why, n, "\"%s\": a number is needed", key);
		return -EINVAL;
	}
	if (x < 0 || (unsigned long long)x > hi) {
		snprintf(why, n, "\"%s\": %lld is out of 0..%zu", key, (long long)x, hi);
		return -EINVAL;
	}
	*out = x ? (size_t)x : dflt;
	return 0;
}

static int class_field(json_t *req, unsigned long long *out, char *why, size_t n)
{
	json_t *v = json_object_get(req, "class_mask");
	unsigned long m = 0;

	if (!v || json_is_null(v)) {
		m = 0;
	} else if (json_is_integer(v) && json_integer_value(v) >= 0) {
		m = (unsigned long)json_integer_value(v);
	} else if (!json_is_string(v) ||
		   parse_ulong(json_string_value(v), 0, INT64_MAX, 0, &m) < 0) {
		snprintf(why, n, "\"class_mask\": a mask in 0..0x7fffffffffffffff is needed "
			 "(a number, or a string such as \"0x3\")");
		return -EINVAL;
	}
	*out = m ? m : PFQ_CLASS_DEFAULT;
	return 0;
}

/* the devices the client means to capture on are inputs of the group */
static int devices_field(json_t *req, const struct pfqd_group *g, char *why, size_t n)
{
	json_t *v = json_object_get(req, "devices");
	struct parse_dev devs[PFQD_MAX_INPUTS];
	char msg[200];
	int nd;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(why, n, "\"devices\": a list \"dev[@queue][:dev...]\" is needed");
		return -EINVAL;
	}
	nd = parse_dev_list(json_string_value(v), devs, PFQD_MAX_INPUTS, msg, sizeof(msg));
	if (nd < 0) {
		snprintf(why, n, "\"devices\": %s", msg);
		return -EINVAL;
	}
	for (int i = 0; i < nd; i++) {
		int k;

		for (k = 0; k < g->ninputs; k++)
			if (!strcmp(g->inputs[k].name, devs[i].name) &&
			    g->inputs[k].queue == devs[i].queue)
				break;
		if (k == g->ninputs) {
			char dn[32];

			if (devs[i].queue >= 0)
				snprintf(dn, sizeof(dn), "%s@%d", devs[i].name, devs[i].queue);
			else
				snprintf(dn, sizeof(dn), "%s", devs[i].name);
			snprintf(why, n, "%s is not an input of group %d (pfqd binds the group's "
				 "devices: leave them out, or add it to pfqd's file)", dn, g->gid);
			return -ENODEV;
		}
	}
	return 0;
}

/* a and b, blanks aside (runs of blanks are one, ends trimmed) */
static bool same_text(const char *a, const char *b)
{
	while (isspace((unsigned char)*a))
		a++;
	while (isspace((unsigned char)*b))
		b++;
	for (;;) {
		while (isspace((unsigned char)*a) && (a[1] == '\0' || isspace((unsigned char)a[1])))
			a++;
		while (isspace((unsigned char)*b) && (b[1] == '\0' || isspace((unsigned char)b[1])))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (isspace((unsigned char)*a) && isspace((unsigned char)*b)) {
			a++, b++;
			continue;
		}
		if (*a != *b)
			return false;
		a++, b++;
	}
}

/* a computation the client expects is the group's */
static int computation_field(json_t *req, const struct pfqd_group *g, char *why, size_t n)
{
	json_t *v = json_object_get(req, "computation");
	const char *mine = g->computation ? g->computation : "";

	while (isspace((unsigned char)*mine))
		mine++;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(why, n, "\"computation\": a string is needed");
		return -EINVAL;
	}
	if (same_text(json_string_value(v), mine))
		return 0;
	snprintf(why, n, "group %d runs %s%.200s%s, set in pfqd's configuration (leave the "
		 "computation out, or ask for that one)", g->gid, *mine ? "'" : "no computation",
		 mine, *mine ? "'" : "");
	return -EINVAL;
}

/* the members uid holds, in every group */
static int joins_of(const struct pfqd_state *s, uid_t uid)
{
	int n = 0;

	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++)
		for (int i = 0; s->live[gid] && i < s->live[gid]->njoins; i++)
			n += s->live[gid]->joins[i].cred.uid == uid;
	return n;
}

/* a user's share of pfqd: its number of members, the size of a ring */
static int user_limits(const struct pfqd_state *s, const struct join_cred *cr,
		       const struct join_req *r, char *why, size_t n)
{
	size_t slot = (r->caplen < JOIN_SLOT_BYTES ? r->caplen : JOIN_SLOT_BYTES) +
		      JOIN_SLOT_HEADER;
	unsigned long long ring = (unsigned long long)r->rx_slots * slot;

	if (cr->uid == 0)
		return 0;
	if (joins_of(s, cr->uid) >= JOIN_USER_MAX) {
		snprintf(why, n, "uid %u holds %d members of pfqd's groups already, the most a "
			 "user may (close one first)", (unsigned)cr->uid, JOIN_USER_MAX);
		return -EUSERS;
	}
	if (ring > JOIN_RING_BYTES_MAX) {
		snprintf(why, n, "\"rx_slots\": %zu slots of %zu bytes make a ring of %llu MiB, "
			 "more than the %u MiB pfqd gives a user's member (ask for fewer "
			 "slots)", r->rx_slots, slot, ring >> 20, JOIN_RING_BYTES_MAX >> 20);
		return -ENOMEM;
	}
	return 0;
}

/* without the guard a member's sockets can send (docs/pfqd.md): with
 * require_guard, only root's may then be handed out */
static bool guarded_enough(const struct pfqd_state *s, const struct join_cred *cr, char *why,
			   size_t n)
{
	if (cr->uid == 0 || !s->conf.require_guard || guard_active())
		return true;
	snprintf(why, n, "not permitted by pfqd: its guard of the members' sockets is not "
		 "active (%s) and require_guard = yes lets only root join then", guard_error());
	return false;
}

/* the request, checked: 0, or -errno with why */
static int take_request(struct pfqd_state *s, json_t *req, const struct join_cred *cr,
			struct join_req *r, char *why, size_t n)
{
	json_t *v = json_object_get(req, "gid");
	json_int_t gid;
	int rc;

	if (!json_is_integer(v)) {
		snprintf(why, n, "\"gid\": a group id (a number) is needed");
		return -EINVAL;
	}
	gid = json_integer_value(v);
	if (gid < 0 || gid >= PFQ_MAX_GROUPS || !s->live[gid]) {
		snprintf(why, n, "group %lld is not one of pfqd's", (long long)gid);
		return -ENODEV;
	}
	r->l = s->live[gid];
	if (!join_permitted(&r->l->cfg, cr, why, n))
		return -EACCES;
	if (!guarded_enough(s, cr, why, n))
		return -EACCES;
	v = json_object_get(req, "tstamp");
	r->tstamp = v && json_is_true(v);
	if ((rc = class_field(req, &r->class_mask, why, n)) < 0 ||
	    (rc = size_field(req, "caplen", PFQ_CAPLEN_MAX, &r->caplen, JOIN_DEFAULT_CAPLEN, why,
			     n)) < 0 ||
	    (rc = size_field(req, "rx_slots", PFQ_RX_SLOTS_MAX, &r->rx_slots, JOIN_DEFAULT_SLOTS,
			     why, n)) < 0 ||
	    (rc = size_field(req, "weight", PFQ_WEIGHT_MAX, &r->weight, 1, why, n)) < 0 ||
	    (rc = devices_field(req, &r->l->cfg, why, n)) < 0 ||
	    (rc = computation_field(req, &r->l->cfg, why, n)) < 0 ||
	    (rc = user_limits(s, cr, r, why, n)) < 0)
		return rc;
	return 0;
}

/* ---- the member and its handover ---- */

/* the sockets marked for the guard (guard.h): with the guard on, none
 * leaves unmarked */
static int guard(pfq_t *q, const int *fds, char *why, size_t n)
{
	int rc = guard_mark(fds[0]);

	if (rc == 0)
		rc = guard_mark(fds[1]);
	if (rc == 0)
		return 0;
	snprintf(why, n, "cannot mark the member's sockets for pfqd's guard: %s", strerror(-rc));
	log_err("%s", why);
	pfq_close(q);
	errno = -rc;
	return -1;
}

static pfq_t *make_member(const struct join_req *r, int *fds, unsigned char *blob, int *blob_len,
			  char *why, size_t n)
{
	const struct pfqd_group *g = &r->l->cfg;
	pfq_t *q = pfq_open_nogroup(r->caplen, r->rx_slots, 0, 0);
	int rc;

	if (!q) {
		snprintf(why, n, "socket: %s", pfq_error(NULL));
		return NULL;
	}
	rc = pfq_timestamping_enable(q, r->tstamp);
	if (rc >= 0)
		rc = pfq_set_weight(q, (int)r->weight);
	if (rc >= 0)
		rc = pfq_join_group(q, g->gid, r->class_mask, g->policy);
	if (rc >= 0)
		rc = pfq_enable(q);
	if (rc >= 0)
		rc = pfq_export(q, fds, PFQ_HANDOVER_FDS, blob, PFQ_HANDOVER_BLOB_MAX);
	if (rc < 0) {
		char name[24];

		/* the group named once: libpfq's message often names it itself
		 * ("group 42 is full") */
		snprintf(name, sizeof(name), "group %d", g->gid);
		if (!strncmp(pfq_error(q), name, strlen(name)))
			snprintf(why, n, "%s", pfq_error(q));
		else
			snprintf(why, n, "%s: %s", name, pfq_error(q));
		pfq_close(q);
		errno = -rc;
		return NULL;
	}
	*blob_len = rc;
	return guard(q, fds, why, n) < 0 ? NULL : q;
}

/* what is queued for c goes first: the answer with the descriptors must
 * come after it. 0, or -1 when it cannot be written now */
static int flush(struct client *c)
{
	while (c->nout > c->off) {
		ssize_t w = send(c->fd, c->out + c->off, c->nout - c->off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c->off += (size_t)w;
	}
	c->nout = c->off = 0;
	return 0;
}

/* the answer line and the member's sockets and the lease with it */
static int send_member(struct client *c, json_t *ans, const int *fds, int nfds)
{
	char *line = json_dumps(ans, JSON_COMPACT);
	union {
		char b[CMSG_SPACE(sizeof(int) * (PFQ_HANDOVER_FDS + 1))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds) };
	struct cmsghdr *cm;
	size_t len;
	ssize_t w;

	if (!line || flush(c) < 0) {
		free(line);
		return -1;
	}
	len = strlen(line);
	line[len] = '\n'; /* json_dumps's NUL becomes the line's end */
	iov = (struct iovec){ line, len + 1 };
	memset(ctl.b, 0, sizeof(ctl.b));
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	do
		w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	/* the rest of a short write goes the usual way (the descriptors went
	 * with its first byte) */
	if (w >= 0 && (size_t)w < len + 1)
		server_reply(c, line + w, len + 1 - (size_t)w);
	free(line);
	return w < 0 ? -1 : 0;
}

static void hex(const unsigned char *b, int n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int client_pidfd(int fd, pid_t pid)
{
	int pidfd;
	socklen_t len = sizeof(pidfd);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0)
		return pidfd;
	/* older kernels: the pid may have been reused since it connected;
	 * then the wait for its exit only lasts JOIN_EXIT_WAIT_MS */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return pidfd;
}

static int keep(struct pfqd_live *l, const struct pfqd_join *j)
{
	if (l->njoins == l->joins_cap) {
		int cap = l->joins_cap ? 2 * l->joins_cap : 8;
		struct pfqd_join *v = realloc(l->joins, (size_t)cap * sizeof(*v));

		if (!v)
			return -1;
		l->joins = v;
		l->joins_cap = cap;
	}
	l->joins[l->njoins++] = *j;
	return 0;
}

static void close_socks(struct pfqd_join *j)
{
	for (int i = 0; i < 2; i++)
		if (j->sock[i] >= 0)
			close(j->sock[i]);
	j->sock[0] = j->sock[1] = -1;
}

/* make the member, hand it over, keep it: 0, or -errno with why */
static int hand_over(struct client *c, const struct join_req *r, const struct join_cred *cr,
		     char *why, size_t n)
{
	unsigned char blob[PFQ_HANDOVER_BLOB_MAX];
	char blobhex[2 * PFQ_HANDOVER_BLOB_MAX + 1], mask[32];
	struct pfqd_join j = { .pidfd = -1, .sock = { -1, -1 }, .cred = *cr };
	int fds[PFQ_HANDOVER_FDS + 1], lease[2], blen = 0, err;
	json_t *ans;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, lease) < 0) {
		snprintf(why, n, "socketpair: %s", strerror(errno));
		return -errno;
	}
	j.q = make_member(r, fds, blob, &blen, why, n);
	if (!j.q) {
		err = errno;
		close(lease[0]);
		close(lease[1]);
		return -err;
	}
	/* pfqd's own descriptors of the sockets, to look for their holders
	 * (the library's may change); closed before the member leaves */
	j.sock[0] = fcntl(fds[0], F_DUPFD_CLOEXEC, 0);
	j.sock[1] = fcntl(fds[1], F_DUPFD_CLOEXEC, 0);
	fds[PFQ_HANDOVER_FDS] = lease[1];
	hex(blob, blen, blobhex);
	snprintf(mask, sizeof(mask), "0x%llx", r->class_mask);
	ans = json_pack("{s:b,s:i,s:i,s:s,s:I,s:I,s:s,s:i}", "ok", 1, "gid", r->l->cfg.gid,
			"id", pfq_id(j.q), "class_mask", mask, "caplen", (json_int_t)r->caplen,
			"rx_slots", (json_int_t)r->rx_slots, "handover", blobhex, "lease_stats",
			LEASE_REPORT_VERSION);
	err = ans && j.sock[0] >= 0 && j.sock[1] >= 0 ? send_member(c, ans, fds,
								      PFQ_HANDOVER_FDS + 1) : -1;
	json_decref(ans);
	close(lease[1]);
	j.lease = lease[0];
	j.pidfd = client_pidfd(c->fd, cr->pid);
	if (err < 0 || keep(r->l, &j) < 0) {
		log_err("group %d: join of pid %d: cannot hand the member over: %s", r->l->cfg.gid,
			(int)cr->pid, strerror(errno));
		close_socks(&j);
		pfq_close(j.q);
		close(j.lease);
		if (j.pidfd >= 0)
			close(j.pidfd);
		c->close_after = true;
		return 0; /* nothing more can be said to it */
	}
	log_info("group %d: member %d joined for uid %u, pid %d (classes %s, weight %zu, caplen "
		 "%zu, %zu slots)", r->l->cfg.gid, pfq_id(j.q), (unsigned)cr->uid, (int)cr->pid,
		 mask, r->weight, r->caplen, r->rx_slots);
	return 0;
}

void join_command(struct pfqd_state *s, struct client *c, json_t *req)
{
	struct join_cred cr;
	struct join_req r;
	char why[512] = "";
	int rc = join_peer_cred(c->fd, &cr);
	json_t *ans;
	char *line;

	if (rc < 0)
		snprintf(why, sizeof(why), "cannot tell who asks (SO_PEERCRED): %s", strerror(-rc));
	else
		rc = take_request(s, req, &cr, &r, why, sizeof(why));
	if (rc >= 0)
		rc = hand_over(c, &r, &cr, why, sizeof(why));
	if (rc >= 0)
		return;
	if (rc == -EACCES)
		log_warn("join of group %lld refused to uid %u, pid %d: %s",
			 (long long)json_integer_value(json_object_get(req, "gid")),
			 (unsigned)cr.uid, (int)cr.pid, why);
	ans = refusal(-rc, why);
	line = ans ? json_dumps(ans, JSON_COMPACT) : NULL;
	if (line) {
		server_reply(c, line, strlen(line));
		server_reply(c, "\n", 1);
	}
	free(line);
	json_decref(ans);
}

/* ---- the leases ---- */

static void end(struct pfqd_live *l, int i, const char *why)
{
	struct pfqd_join *j = &l->joins[i];
	struct pfq_stats st = { 0 };
	char counts[64] = "";

	/* its last numbers, as its client reported them */
	if (j->reported && pfq_get_stats(j->q, &st) == 0)
		snprintf(counts, sizeof(counts), " (recv %llu, lost %llu)",
			 (unsigned long long)st.recv, (unsigned long long)st.lost);
	log_info("group %d: member %d of pid %d ended: %s%s", l->cfg.gid, pfq_id(j->q),
		 (int)j->cred.pid, why, counts);
	/* the lease first: a client that waits wakes up (and lets go of its
	 * sockets) while the member leaves */
	close(j->lease);
	close_socks(j); /* (the member leaves in order only with the last ones) */
	pfq_close(j->q);
	if (j->pidfd >= 0)
		close(j->pidfd);
	l->joins[i] = l->joins[--l->njoins];
}

void joins_release(struct pfqd_live *l, const char *why)
{
	while (l->njoins > 0)
		end(l, l->njoins - 1, why);
	free(l->joins);
	l->joins = NULL;
	l->joins_cap = 0;
}

int joins_count(const struct pfqd_state *s)
{
	int n = 0;

	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++)
		if (s->live[gid])
			n += s->live[gid]->njoins;
	return n;
}

/* a join waits on its lease, or, once the lease closed, on its process */
int joins_pollfds(const struct pfqd_state *s, struct pollfd *pfd, int max)
{
	int n = 0;

	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++) {
		const struct pfqd_live *l = s->live[gid];

		for (int i = 0; l && i < l->njoins && n < max; i++) {
			const struct pfqd_join *j = &l->joins[i];

			/* (a pidfd stays readable once its process is gone) */
			pfd[n++] = (struct pollfd){ .fd = !j->closed_ms ? j->lease :
							  j->exited ? -1 : j->pidfd,
						    .events = POLLIN };
		}
	}
	return n;
}

static bool exited(const struct pfqd_join *j)
{
	struct pollfd p = { .fd = j->pidfd, .events = POLLIN };

	return j->pidfd < 0 || (poll(&p, 1, 0) > 0 && p.revents);
}

/*
 * The lease closed: end the member once no other process holds its
 * sockets. pfq_close would otherwise find them held and park the member:
 * a parked socket keeps its fanout position and its vault record (96 a
 * group) until the group ends, so a client that said goodbye (or passed
 * the sockets to another process and exited) and kept them, join after
 * join, filled the vault and no one could join the group any more. A
 * client keeping its sockets keeps its member, counted as its user's, as
 * with its lease. A dying client's descriptors close one by one: its exit
 * (the pidfd) or the next look ends it. true: ended.
 */
static bool end_when_free(struct pfqd_live *l, int i, const char *why)
{
	struct pfqd_join *j = &l->joins[i];

	uint64_t ino[2] = { 0, 0 };
	bool held[2] = { true, true };
	struct stat st;

	if (!j->exited)
		j->exited = exited(j);
	for (int k = 0; k < 2; k++)
		if (fstat(j->sock[k], &st) == 0)
			ino[k] = (uint64_t)st.st_ino;
	/* one walk of /proc for both; a socket we cannot name counts as held */
	if (ino[0] && ino[1])
		pfq_sockets_held_elsewhere(ino, 2, held, NULL, 0, NULL);
	if (held[0] || held[1]) {
		if (!j->check_ms)
			log_info("group %d: member %d of pid %d: the lease closed, its sockets are "
				 "still held: it stays until they are closed", l->cfg.gid,
				 pfq_id(j->q), (int)j->cred.pid);
		/* each look walks /proc: a member kept for long is looked at
		 * less and less often (1 s doubling to 32 s) */
		j->recheck_ms = j->recheck_ms ? j->recheck_ms * 2 : JOIN_RECHECK_MS;
		if (j->recheck_ms > 32 * JOIN_RECHECK_MS)
			j->recheck_ms = 32 * JOIN_RECHECK_MS;
		j->check_ms = server_now_ms() + j->recheck_ms;
		return false;
	}
	end(l, i, why);
	return true;
}

/* a message of n bytes: a report of the lease's own member (taken: true)?
 * The client's word, so only its member's numbers, which pfq_maintain
 * publishes at its next turn. */
static bool take_report(struct pfqd_join *j, const struct lease_report *m, ssize_t n)
{
	long long now = server_now_ms();

	if (n != (ssize_t)sizeof(*m) || m->magic != LEASE_REPORT_MAGIC ||
	    m->id != (uint32_t)pfq_id(j->q))
		return false;
	/* libpfq reports at most twice a second: a client flooding its lease
	 * (a hostile one kept pfqd at 99 % of a CPU) is not one of ours */
	if (now - j->window_ms >= 1000) {
		j->window_ms = now;
		j->reports = 0;
	}
	if (++j->reports > LEASE_REPORTS_PER_S)
		return false;
	pfq_set_importer_stats(j->q, m->recv, m->lost);
	j->reported = true;
	return true;
}

/* the lease has something to say: reports of the counters, a goodbye (any
 * other message too: before the reports every message was one, and a
 * client that says what pfqd does not read is not one it understands), or
 * its close */
static void lease_event(struct pfqd_live *l, int i)
{
	struct pfqd_join *j = &l->joins[i];
	/* a byte more than a report: a longer message is cut, and not one */
	union {
		struct lease_report r;
		char b[sizeof(struct lease_report) + 1];
	} m;
	ssize_t n = 0;
	int k;

	for (k = 0; k < LEASE_READS; k++) {
		n = recv(j->lease, &m, sizeof(m), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (!take_report(j, &m.r, n))
			break;
	}
	if (k == LEASE_READS)
		return; /* the rest at the next turn */
	j->closed_ms = server_now_ms();
	if (n == (ssize_t)strlen(LEASE_BYE) && !memcmp(m.b, LEASE_BYE, (size_t)n))
		end_when_free(l, i, "the client closed it");
	else if (n > 0)
		end_when_free(l, i, "the client said what pfqd does not read, taken as a goodbye");
	else
		end_when_free(l, i, "the client exited");
}

void joins_handle(struct pfqd_state *s, const struct pollfd *pfd, int n)
{
	for (int k = 0; k < n; k++) {
		if (!pfd[k].revents)
			continue;
		for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++) {
			struct pfqd_live *l = s->live[gid];

			for (int i = 0; l && i < l->njoins; i++) {
				struct pfqd_join *j = &l->joins[i];

				if (!j->closed_ms && j->lease == pfd[k].fd)
					lease_event(l, i);
				else if (j->closed_ms && !j->exited && j->pidfd == pfd[k].fd)
					end_when_free(l, i, "the client exited");
				else
					continue;
				gid = PFQ_MAX_GROUPS; /* found */
				break;
			}
		}
	}
}

int joins_tick(struct pfqd_state *s)
{
	long long now = server_now_ms();
	int any = 0;

	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++) {
		struct pfqd_live *l = s->live[gid];

		if (!l)
			continue;
		/* pfqd's own sockets never read, and reading is what looks after
		 * a group: without this, a member killed while only pfqd was left
		 * to notice kept its share (and its place in pfq-stat), and the
		 * sockets parked for pfqd's clients stayed until the group ended */
		if (l->q)
			pfq_maintain(l->q);
		for (int o = 0; o < PFQD_MAX_OUTPUTS; o++)
			if (l->out[o])
				pfq_maintain(l->out[o]);
		any = 1;
		for (int i = 0; i < l->njoins; i++) {
			struct pfqd_join *j = &l->joins[i];

			if (j->closed_ms && now >= j->check_ms) {
				if (end_when_free(l, i, "its sockets were closed")) {
					i--;
					continue;
				}
			}
			pfq_maintain(j->q);
			any = 1;
		}
	}
	return any ? JOIN_TICK_MS : -1;
}

void joins_recheck(struct pfqd_state *s)
{
	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++) {
		struct pfqd_live *l = s->live[gid];
		char why[512];

		for (int i = 0; l && i < l->njoins; i++)
			if (!join_permitted(&l->cfg, &l->joins[i].cred, why, sizeof(why)))
				end(l, i--, "the permission was taken away");
			else if (!guarded_enough(s, &l->joins[i].cred, why, sizeof(why)))
				end(l, i--, "require_guard = yes and the guard is not active");
	}
}
