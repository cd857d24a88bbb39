/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel side of a group, as this process holds it (struct gk): the
 * group's objects (made by the first process, fetched from a live one by the
 * others), the member table, the vault and the fanout positions.
 *
 * Positions. The kernel keeps a fanout group's sockets in an array: a new
 * socket goes to the end, and when one closes the last one takes its place.
 * The fanout program answers a position, so the member table must always
 * say where each member's socket is. Sockets therefore close only here, one
 * at a time, under the group's lock (a dead member's socket stays open in
 * the vault until then): the last socket L moves from n-1 into the freed
 * position p; for the moment of the close the table gives L the value
 * (n - 1) + n * p, which the kernel reduces modulo the number of sockets to
 * n - 1 before the close and to p after it (n and n - 1 are coprime), so no
 * packet of L's goes astray. What is about to happen is written in the
 * registry first, so that a survivor finishes a close whose process died.
 */
#include "../shared.h"
#include "group.h"
#include "pfq-int.h"
#include "vault.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* a process looks for the holders of parked sockets at most this often */
#define UNPARK_NS 1000000000ull

static bool gk_fanout_check(struct gk *k, struct reg_group *g);
static int in_fanout(struct gk *k, const struct reg_group *g, uint64_t cookie);
static struct reg_member *row_of(struct reg_group *g, uint32_t id);
static int pos_of(const struct reg_group *g, uint32_t id);


static const char *const map_names[GK_NMAPS] = {
	[GK_MEMBERS] = "pfq_members", [GK_STATS] = "pfq_gstats", [GK_COUNTERS] = "pfq_gcounters",
	[GK_LOGS] = "pfq_glogs", [GK_LOGCTL] = "pfq_glogctl", [GK_FLOWS] = "pfq_gflows",
	[GK_PROGS] = "pfq_gprog", [GK_TABLE0] = "pfq_mtable", [GK_TABLE0 + 1] = "pfq_mtable",
	[GK_TABLE0 + 2] = "pfq_mtable", [GK_TABLE0 + 3] = "pfq_mtable",
};
_Static_assert(GK_NTABLES == 4, "a name for every member table");

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gk *gk_list;
static pid_t list_pid;

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void drop_objects(struct gk *k)
{
	close_fd(&k->vault[0]);
	close_fd(&k->vault[1]);
	close_fd(&k->sink);
	for (int i = 0; i < GK_NMAPS; i++)
		close_fd(&k->maps[i]);
	k->vault_id = 0;
}

struct gk *gk_get(uint64_t netns, int gid, bool create, char *err, size_t errlen)
{
	struct gk *k;
	int rc;

	pthread_mutex_lock(&list_lock);
	if (list_pid != getpid()) {
		/* a forked child: the parent's holds are not ours (our copies of
		 * its descriptors close; its locks stay with it) */
		while (gk_list) {
			k = gk_list;
			gk_list = k->next;
			drop_objects(k);
			reg_close(&k->f);
			free(k->last);
			free(k);
		}
		list_pid = getpid();
	}
	for (k = gk_list; k; k = k->next)
		if (k->netns == netns && k->gid == gid)
			break;
	if (!k) {
		k = calloc(1, sizeof(*k));
		if (!k) {
			snprintf(err, errlen, "out of memory");
			pthread_mutex_unlock(&list_lock);
			return NULL;
		}
		k->netns = netns;
		k->gid = gid;
		k->slot = -1;
		k->vault[0] = k->vault[1] = k->sink = -1;
		for (int i = 0; i < GK_NMAPS; i++)
			k->maps[i] = -1;
		pthread_mutex_init(&k->mu, NULL);
		rc = reg_open(netns, gid, create, &k->f, err, errlen);
		if (rc < 0) {
			free(k);
			errno = -rc;
			pthread_mutex_unlock(&list_lock);
			return NULL;
		}
		k->next = gk_list;
		gk_list = k;
	}
	pthread_mutex_unlock(&list_lock);
	return k;
}

void gk_release(struct gk *k)
{
	struct gk **pp;

	k->slot = -1;
	drop_objects(k);
	/* the rings of the sockets we parked: ours no more to keep (a long
	 * pfqd would keep those of every group a reload removed) */
	pfq_parked_maps_drop_group(k->netns, k->gid);
	pthread_mutex_lock(&list_lock);
	for (pp = &gk_list; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	pthread_mutex_unlock(&list_lock);
	/* closing the file drops our liveness lock */
	reg_close(&k->f);
	free(k->last);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

/* ---- objects ---- */

/*
 * A group map by id. Not for the program array (GK_PROGS): a new descriptor
 * made from an id counts as a user of the map, and when the last user of a
 * program array goes the kernel (6.18) takes a reference for a deferred
 * clear of its entries; a user that comes and goes again before that clear
 * ran makes a second one that is never given back, and the map stays for
 * good (measured: 63 of 200 arrays so got and closed within the window).
 * A group's program array is passed on as a copy of a live process's
 * descriptor instead (map_of_proc), which is the same user.
 */
static int map_by_id(uint32_t id, int k)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int fd = bpf_map_get_fd_by_id(id);

	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	/* ids are reused: check it is the map we mean */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ||
	    strncmp(info.name, map_names[k], sizeof(info.name)) != 0) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static uint32_t map_id(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? 0 : info.id;
}

/* map id as process pid's descriptor fdnum has it (pidfd_getfd: the same
 * open file, no new reference of the map's user count), or -errno */
static int map_of_proc(pid_t pid, int fdnum, uint32_t id)
{
	int fd = pidfd_dup(pid, fdnum);

	if (fd < 0)
		return fd;
	if (!id || map_id(fd) != id) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int gk_map_fd(uint32_t id, int kind)
{
	/* never the program array from outside the group (see map_by_id) */
	return kind == GK_PROGS ? -EPERM : map_by_id(id, kind);
}

bool gk_any_dead(struct gk *k)
{
	for (int i = 0; i < REG_MAX_PROCS; i++)
		if ((k->procs[i / 64] >> (i % 64) & 1) && i != k->slot && !reg_alive(&k->f, i))
			return true;
	return false;
}


/* the sink: position 0 of the fanout; takes nothing (a classic "ret 0") and
 * receives what no member does; its joining creates the fanout group */
static int make_sink(int ref_fd, uint32_t *fanout_id, char *err, size_t errlen)
{
	struct sock_filter none[] = { { BPF_RET | BPF_K, 0, 0, 0 } };
	struct sock_fprog fp = { 1, none };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int arg = (PACKET_FANOUT_EBPF | PACKET_FANOUT_FLAG_UNIQUEID) << 16, e;
	socklen_t l = sizeof(arg);
	int fd = ref_fd >= 0 ? pfq_packet_socket_like(ref_fd) : -EBADF;

	if (fd < 0) {
		e = -fd;
		snprintf(err, errlen, "cannot open the group's sink socket: %s%s", strerror(e),
			 e == EPERM ? " (CAP_NET_RAW is needed)" : "");
		return -e;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) < 0 ||
	    getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, &l) < 0) {
		e = errno;
		close(fd);
		snprintf(err, errlen, "cannot make the group's fanout: %s", strerror(e));
		return -e;
	}
	*fanout_id = (uint32_t)arg & 0xffff;
	return fd;
}

/* a new group instance: its maps, vault and fanout (g keeps its
 * configuration, reset by the caller when new) */
static int create_objects(struct gk *k, struct reg_group *g, char *err, size_t errlen)
{
	int fds[GK_NMAPS], rc = 0;

	drop_objects(k);
	fds[GK_MEMBERS] = pfq_lang_members_map_create();
	fds[GK_STATS] = pfq_lang_group_stats_map_create();
	fds[GK_COUNTERS] = pfq_lang_group_counters_map_create();
	fds[GK_LOGS] = pfq_lang_group_logs_map_create();
	fds[GK_LOGCTL] = pfq_lang_group_logctl_map_create();
	fds[GK_FLOWS] = pfq_lang_group_flows_map_create();
	fds[GK_PROGS] = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, map_names[GK_PROGS], 4, 4, 1, NULL);
	if (fds[GK_PROGS] < 0)
		fds[GK_PROGS] = -errno;
	for (int i = 0; i < GK_NTABLES; i++)
		fds[GK_TABLE0 + i] = pfq_lang_member_table_create();
	for (int i = 0; i < GK_NMAPS; i++) {
		if (fds[i] < 0 && !rc) {
			rc = fds[i];
			snprintf(err, errlen, "cannot create the group's BPF maps: %s%s",
				 strerror(-rc), rc == -EPERM ? " (CAP_BPF is needed)" : "");
		}
		k->maps[i] = fds[i] < 0 ? -1 : fds[i];
	}
	if (!rc)
		rc = vault_create(k->vault);
	if (!rc)
		rc = k->sink = make_sink(k->ref_fd, &g->fanout_id, err, errlen);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot make the group's objects: %s", strerror(-rc));
		drop_objects(k);
		return rc;
	}
	for (int i = 0; i < GK_NMAPS; i++)
		g->map_id[i] = map_id(k->maps[i]);
	g->vault[0] = sock_cookie(k->vault[0]);
	g->vault[1] = sock_cookie(k->vault[1]);
	g->sink = sock_cookie(k->sink);
	k->vault_id = g->vault[0];
	g->npos = 1;
	g->pos_id[0] = 0;
	g->nvault = 0;
	g->tc_n = 0;
	g->mode = PFQ_GROUP_MODE_FANOUT;
	g->want_copies = 0;
	memset(&g->closing, 0, sizeof(g->closing));
	return 0;
}

/* fetch the objects of a living instance from process slot i */
static int fetch_objects(struct gk *k, const struct reg_group *g, int i)
{
	const struct reg_proc *p = &g->proc[i];
	int rc;

	drop_objects(k);
	rc = vault_fetch(p->pid, p->vault_fd, g->vault, k->vault);
	if (!rc) {
		k->sink = fd_fetch(p->pid, p->sink_fd, g->sink);
		rc = k->sink < 0 ? k->sink : 0;
	}
	for (int m = 0; !rc && m < GK_NMAPS; m++) {
		/* the program array as a copy of process i's descriptor, not by
		 * id: see map_by_id */
		k->maps[m] = m == GK_PROGS ? map_of_proc(p->pid, p->progs_fd, g->map_id[m]) :
					     map_by_id(g->map_id[m], m);
		rc = k->maps[m] < 0 ? k->maps[m] : 0;
		if (rc)
			k->maps[m] = -1;
	}
	if (rc) {
		drop_objects(k);
		return rc;
	}
	k->vault_id = g->vault[0];
	return 0;
}

static bool proc_alive(struct gk *k, const struct reg_group *g, int i)
{
	return g->proc[i].pid && (i == k->slot || reg_alive(&k->f, i));
}

int gk_attach(struct gk *k, struct reg_group *g, char *err, size_t errlen)
{
	int rc = -ESRCH, live = 0;

	if (g->used && k->vault_id && k->vault_id == g->vault[0]) {
		/* both, whatever the first finds */
		bool recovered = gk_recover(k, g), seen = gk_fanout_check(k, g);
		bool reaped = gk_reap(k, g);
		/* a full vault cannot wait for the next look */
		bool unparked = gk_unpark(k, g, g->nvault + 2 >= REG_MAX_VAULT);

		gk_keep_parked(k, g);
		return recovered || seen || reaped || unparked;
	}
	/* A process that is exiting still holds its liveness lock until its
	 * descriptors are closed, but gives none of them any more (ESRCH,
	 * EBADF): wait a moment for its lock to go rather than fail a join
	 * that raced with the group's last process dying. */
	for (int tries = 0; tries < 50; tries++) {
		live = 0;
		rc = -ESRCH;
		for (int i = 0; g->used && i < REG_MAX_PROCS; i++) {
			if (!proc_alive(k, g, i))
				continue;
			live++;
			rc = fetch_objects(k, g, i);
			if (!rc)
				break;
		}
		if (!live || !rc || (rc != -ESRCH && rc != -EBADF))
			break;
		usleep(10000);
	}
	if (g->used && live && rc) {
		snprintf(err, errlen, "group %d: cannot take hold of its kernel objects from its "
			 "processes: %s%s", k->gid, strerror(-rc), rc == -EPERM ?
			 " (joining a group needs root: CAP_SYS_PTRACE and CAP_SYS_ADMIN)" : "");
		return rc;
	}
	if (!live) {
		/* new, or every process of it died (its objects went with them) */
		struct reg_group *fresh = calloc(1, sizeof(*fresh));

		if (!fresh) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		fresh->used = 1;
		fresh->owner_proc = -1;
		fresh->gen = g->gen;
		*g = *fresh;
		free(fresh);
		err[0] = '\0';
		rc = create_objects(k, g, err, errlen);
		if (rc)
			return rc;
		/* no computation: copy to the default class */
		g->may_copy = 1;
		g->classes = PFQ_CLASS_DEFAULT;
		return 1;
	}
	gk_recover(k, g);
	gk_fanout_check(k, g);
	gk_reap(k, g);
	gk_unpark(k, g, g->nvault + 2 >= REG_MAX_VAULT);
	gk_keep_parked(k, g);
	return 1;
}

int gk_proc_add(struct gk *k, struct reg_group *g, bool holder, char *err, size_t errlen)
{
	int i, rc;

	if (k->slot >= 0) {
		g->proc[k->slot].holder += holder; /* (one per holding socket) */
		return 0;
	}
	/* a free slot whose lock is free too (a process that just left may
	 * hold it for a moment more) */
	for (i = 0; i < REG_MAX_PROCS; i++)
		if (!g->proc[i].pid && (rc = reg_alive_take(&k->f, i)) == 0)
			break;
	if (i == REG_MAX_PROCS) {
		snprintf(err, errlen, "group %d has %d processes already", k->gid, REG_MAX_PROCS);
		return -ENOSPC;
	}
	g->proc[i].pid = getpid();
	g->proc[i].holder = holder;
	g->proc[i].vault_fd[0] = k->vault[0];
	g->proc[i].vault_fd[1] = k->vault[1];
	g->proc[i].sink_fd = k->sink;
	g->proc[i].progs_fd = k->maps[GK_PROGS];
	k->slot = i;
	return 0;
}

/* ---- the vault, its order mirrored in the registry ---- */

int gk_vault_put(struct gk *k, struct reg_group *g, int fd, uint32_t kind, uint64_t key)
{
	int rc;

	if (g->nvault >= REG_MAX_VAULT)
		return -ENOSPC;
	rc = vault_put(k->vault, fd, kind, key);
	if (rc < 0)
		return rc;
	g->vault_rec[g->nvault++] = (struct reg_vrec){ .kind = kind, .key = key };
	return 0;
}

/* Take record {kind, key} out: the ones in front of it go to the end, one
 * at a time. Its fd (the caller's), or -errno. */
static int vault_take(struct gk *k, struct reg_group *g, uint32_t kind, uint64_t key)
{
	uint32_t j, kd;
	uint64_t ky;
	int fd;

	for (j = 0; j < g->nvault; j++)
		if (g->vault_rec[j].kind == kind && g->vault_rec[j].key == key)
			break;
	if (j == g->nvault)
		return -ENOENT;
	for (uint32_t i = 0; i < j; i++) {
		struct reg_vrec r = g->vault_rec[0];

		fd = vault_pop(k->vault, &kd, &ky);
		if (fd < 0)
			return fd;
		memmove(&g->vault_rec[0], &g->vault_rec[1], (g->nvault - 1) * sizeof(r));
		g->nvault--;
		if (kd != r.kind || ky != r.key) {
			/* the mirror is wrong: keep what is there */
			r = (struct reg_vrec){ .kind = kd, .key = ky };
		}
		int rc = gk_vault_put(k, g, fd, r.kind, r.key);

		close(fd);
		if (rc < 0)
			return rc;
	}
	fd = vault_pop(k->vault, &kd, &ky);
	if (fd < 0)
		return fd;
	memmove(&g->vault_rec[0], &g->vault_rec[1], (g->nvault - 1) * sizeof(g->vault_rec[0]));
	g->nvault--;
	if (kd != kind || ky != key) {
		/* not what the mirror said: put it back and report */
		gk_vault_put(k, g, fd, kd, ky);
		close(fd);
		return -EBADMSG;
	}
	return fd;
}

/* The vault against its mirror: the byte count says whether a process died
 * in the middle of a rotation; then read it all and believe what is there. */
static bool vault_audit(struct gk *k, struct reg_group *g)
{
	int bytes = 0, fds[REG_MAX_VAULT], n = 0, fd;
	struct reg_vrec recs[REG_MAX_VAULT];
	uint32_t kd;
	uint64_t ky;

	if (ioctl(k->vault[0], FIONREAD, &bytes) < 0 || bytes == (int)(16 * g->nvault))
		return false;
	while (n < REG_MAX_VAULT && (fd = vault_pop(k->vault, &kd, &ky)) >= 0) {
		fds[n] = fd;
		recs[n++] = (struct reg_vrec){ .kind = kd, .key = ky };
	}
	g->nvault = 0;
	for (int i = 0; i < n; i++) {
		gk_vault_put(k, g, fds[i], recs[i].kind, recs[i].key);
		close(fds[i]);
	}
	return true;
}

static bool in_vault(const struct reg_group *g, uint32_t kind, uint64_t key)
{
	for (uint32_t i = 0; i < g->nvault; i++)
		if (g->vault_rec[i].kind == kind && g->vault_rec[i].key == key)
			return true;
	return false;
}

int gk_vault_take(struct gk *k, struct reg_group *g, uint32_t kind, uint64_t key)
{
	return vault_take(k, g, kind, key);
}

/* ---- the member table ---- */

bool gk_in_table(const struct reg_member *m)
{
	/* an egress endpoint transmits whether or not its socket reads */
	return m->id && (m->active || m->egress_ifindex);
}

/* members in the table eligible for class mask mask; sockets only (not
 * egress endpoints, whose copies the TC program sends) when sockets is set */
static int eligible(const struct reg_group *g, uint64_t mask, bool sockets)
{
	int n = 0;

	for (int i = 0; i < REG_MAX_MEMBERS; i++)
		n += gk_in_table(&g->m[i]) && (g->m[i].class_mask & mask) &&
		     !(sockets && g->m[i].egress_ifindex);
	return n;
}

/* can a decision name more than one member's socket? A copy names every
 * eligible socket; a double steer any two eligible members, and a socket
 * that may be the second pick needs the members flavour to see it */
static bool needs_copies_for(const struct reg_group *g, uint64_t mask)
{
	int socks = eligible(g, mask, true);

	if (g->may_copy && socks > 1)
		return true;
	return g->may_double && socks >= 1 && eligible(g, mask, false) > 1;
}

static bool needs_copies(const struct reg_group *g)
{
	if (!g->may_copy && !g->may_double)
		return false;
	if (g->classes == PFQ_CLASS_ANY)
		return needs_copies_for(g, PFQ_CLASS_ANY);
	for (int b = 0; b < 64; b++)
		if ((g->classes >> b & 1) && needs_copies_for(g, 1ull << b))
			return true;
	return false;
}

int gk_push_table(struct gk *k, struct reg_group *g, char *err, size_t errlen)
{
	struct pfq_member_table t;
	bool ready = true;
	int rc;

	memset(&t, 0, sizeof(t));
	g->want_copies = needs_copies(g);
	for (int i = 0; i < REG_MAX_MEMBERS; i++) {
		const struct reg_member *m = &g->m[i];
		struct pfq_member *row;

		/* row i is registry slot i, for as long as its member stays:
		 * flows remember rows (a slot without an active member is a row
		 * without id and classes, which nothing picks) */
		if (!gk_in_table(m))
			continue;
		row = &t.m[i];
		t.n = (uint32_t)i + 1;
		row->id = m->id;
		row->class_mask = m->class_mask;
		row->weight = m->weight;
		row->dirs = m->dirs;
		if (m->egress_ifindex) {
			/* the TC program sends its packets; its socket takes none
			 * (the fanout answers the sink), runs no group program
			 * (so it leads nothing) and needs no copies */
			row->egress_ifindex = m->egress_ifindex;
			row->egress_qmap = m->egress_queue >= 0 ? (uint32_t)m->egress_queue + 1 : 0;
			continue;
		}
		if (!t.leader)
			t.leader = m->id;
		/* a socket without a position yet is not in the fanout: 0 (the sink) */
		row->pos = m->pos > 0 ? (uint32_t)m->pos : 0;
		if (g->closing.active && g->closing.mover == m->id)
			row->pos = (g->npos - 1) + g->npos * g->closing.pos;
		ready &= m->copies != 0;
	}
	/* copies are made by the members' own sockets, once all have hooked
	 * them; until then the fanout keeps delivering */
	g->mode = g->want_copies && ready ? PFQ_GROUP_MODE_MEMBERS : PFQ_GROUP_MODE_FANOUT;

	t.mode = g->mode;
	t.gen = ++g->table_gen;
	/* the table not in use for the longest time (a program that looked up
	 * the one before has long finished: they run for microseconds) */
	g->table_slot = (g->table_slot + 1) % GK_NTABLES;
	rc = pfq_lang_members_map_set(k->maps[GK_MEMBERS], k->maps[GK_TABLE0 + g->table_slot], &t);
	if (rc < 0)
		snprintf(err, errlen, "cannot update the group's member table: %s", strerror(-rc));
	return rc;
}

/* ---- fanout positions ---- */

int gk_fanout_join(struct gk *k, struct reg_group *g, int fd, uint32_t id, char *err,
		   size_t errlen)
{
	int arg = (int)g->fanout_id | PACKET_FANOUT_EBPF << 16, rc;

	if (g->npos >= REG_MAX_POS) {
		snprintf(err, errlen, "group %d: its fanout is full (%d sockets)", k->gid,
			 REG_MAX_POS);
		return -ENOSPC;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot join the group's fanout: %s", strerror(-rc));
		return rc;
	}
	/* appended: the next position */
	g->pos_id[g->npos++] = id;
	rc = gk_vault_put(k, g, fd, VAULT_FSOCK, sock_cookie(fd));
	if (rc < 0)
		snprintf(err, errlen, "cannot keep the socket in the group's vault: %s",
			 strerror(-rc));
	return rc;
}

/* the row of member id, -1 */
static struct reg_member *row_of(struct reg_group *g, uint32_t id)
{
	int i = reg_find_member(g, id);

	return i < 0 ? NULL : &g->m[i];
}

/* the kernel took the socket at position p out of the fanout: the last
 * one moved into its place */
static void book_release(struct gk *k, struct reg_group *g, int p)
{
	uint32_t last = g->npos - 1;
	struct reg_member *m = row_of(g, g->pos_id[last]);
	char err[64];

	if (p <= 0 || (uint32_t)p > last)
		return;
	if ((uint32_t)p != last) {
		g->pos_id[p] = g->pos_id[last];
		if (m)
			m->pos = p;
	}
	g->pos_id[last] = 0;
	g->npos--;
	gk_push_table(k, g, err, sizeof(err));
}

/* after the close of position g->closing.pos: the last socket is there */
static void close_done(struct gk *k, struct reg_group *g)
{
	uint32_t p = g->closing.pos;

	/* (the mover written ahead is the last socket) */
	memset(&g->closing, 0, sizeof(g->closing));
	book_release(k, g, (int)p);
}

int gk_close_pos(struct gk *k, struct reg_group *g, int pos, uint64_t cookie, bool exported,
		 int fd, char *err, size_t errlen)
{
	uint32_t last = g->npos - 1;
	int vfd, rc;

	if (pos <= 0 || (uint32_t)pos > last)
		return 0;
	/* write ahead: which socket goes, who moves */
	g->closing.active = 1;
	g->closing.pos = (uint32_t)pos;
	g->closing.cookie = cookie;
	g->closing.mover = (uint32_t)pos == last ? 0 : g->pos_id[last];
	rc = gk_push_table(k, g, err, errlen); /* the mover's value for both sizes */
	if (!rc)
		rc = reg_write(&k->f, g);
	if (rc < 0) {
		memset(&g->closing, 0, sizeof(g->closing));
		return rc;
	}
	vfd = cookie ? vault_take(k, g, VAULT_FSOCK, cookie) : -ENOENT;
	/* the last references go: the kernel moves the last socket to pos */
	if (vfd >= 0)
		close(vfd);
	if (fd >= 0)
		close(fd);
	/* An exported socket that outlived our last references: a descriptor
	 * in flight in a unix socket, which /proc shows nowhere, keeps it in
	 * the fanout at its position, and nothing moved. Counted as moved, the
	 * last member's share went to it (its holder's), the last member
	 * received nothing, and its later release moved sockets behind the
	 * group's back. Kept as a zombie instead: a position with no row,
	 * until it goes (gk_fanout_check). A look that fails counts as "still
	 * there": a zombie that went is booked at the next look, a move
	 * booked that did not happen never is.
	 * A socket of our own can outlive us too: a child forked without exec
	 * inherits its descriptor (a hostile run: the books counted it gone,
	 * and the last member got nothing until the child ended). Looked at
	 * the same way, except that a look that fails counts it as gone, as
	 * it nearly always is (a process that cannot look, an unprivileged one
	 * outside the group's namespace, would otherwise leave zombies that
	 * only another process can book). */
	int there = cookie ? in_fanout(k, g, cookie) : 0;

	if (exported ? there != 0 : there > 0) {
		uint32_t id = g->pos_id[pos];

		memset(&g->closing, 0, sizeof(g->closing));
		gk_push_table(k, g, err, errlen); /* the mover's plain value again */
		if (gk_park(g, id, cookie, 0, 0, true))
			return 0;
		/* (no room to book it: as before, counted as gone) */
		g->closing = (typeof(g->closing)){ 1, (uint32_t)pos, cookie,
						   (uint32_t)pos == last ? 0 : g->pos_id[last], 0 };
	}
	close_done(k, g);
	return 0;
}

/* the sockets in the group's fanout, as the kernel lists them (out holds
 * REG_MAX_POS); their number or -errno */
static int fanout_list(struct gk *k, const struct reg_group *g, struct pfq_fanout_sock *out)
{
	if (k->sink < 0)
		return -EBADF;
	return pfq_fanout_sockets(k->netns, k->sink, g->fanout_id, out, REG_MAX_POS);
}

/* is the socket of cookie in the group's fanout? 1, 0, or -errno */
static int in_fanout(struct gk *k, const struct reg_group *g, uint64_t cookie)
{
	struct pfq_fanout_sock *fs = calloc(REG_MAX_POS, sizeof(*fs));
	int n = fs ? fanout_list(k, g, fs) : -ENOMEM, found = 0;

	for (int i = 0; i < n && i < REG_MAX_POS; i++)
		found |= fs[i].cookie == cookie;
	free(fs);
	return n < 0 ? n : found;
}

/* is cookie a socket the books put in the fanout? */
static bool booked(const struct reg_group *g, uint64_t cookie)
{
	if (cookie == g->sink)
		return true;
	for (int r = 0; r < REG_MAX_MEMBERS; r++)
		if (g->m[r].id && g->m[r].pos > 0 && g->m[r].fsock == cookie)
			return true;
	for (uint32_t i = 0; i < g->nparked && i < REG_MAX_PARKED; i++)
		if (g->parked[i].cookie == cookie)
			return true;
	return false;
}

/*
 * What happened in the fanout behind the group's back, from the kernel's
 * list (one sock_diag dump), at the start of every locked session, so that
 * no join or close of ours comes between such an event and its booking:
 *
 * - Zombies that went (gk_close_pos): the kernel took each out when its
 *   last holder let go, moving the last socket into its place. Until this
 *   look the moved socket's share went to the sink (its old position is
 *   the old count minus one, which the kernel reduces to 0): lost, not
 *   another member's.
 * - Intruders: any packet socket of the namespace bound alike may join a
 *   fanout by its id (a socket pfqd handed to a client, when no guard
 *   refuses it), and the kernel appends it. It takes nothing (no row names
 *   its position), but the next close in order would move it, the last
 *   socket, not the one the books say. Booked at the end as a zombie.
 *
 * Two such events between two looks may have happened in either order,
 * which the list does not tell (it has no positions): the books take one
 * (design.md, Handover, "Zombies": a limit).
 */
static bool gk_fanout_check(struct gk *k, struct reg_group *g)
{
	struct pfq_fanout_sock *fs;
	bool changed = false;
	char err[64];
	int n;

	if (k->sink < 0)
		return false;
	fs = calloc(REG_MAX_POS, sizeof(*fs));
	n = fs ? fanout_list(k, g, fs) : -ENOMEM;
	if (n < 0 || n > REG_MAX_POS) {
		free(fs);
		return false;
	}
	for (int i = (int)g->nparked - 1; i >= 0 && i < REG_MAX_PARKED; i--) {
		struct reg_parked z = g->parked[i];
		bool there = false;

		for (int j = 0; j < n && !there; j++)
			there = fs[j].cookie == z.cookie;
		if (!z.zombie || there)
			continue;
		g->parked[i] = g->parked[--g->nparked];
		memset(&g->parked[g->nparked], 0, sizeof(g->parked[0]));
		book_release(k, g, pos_of(g, z.id));
		changed = true;
	}
	for (int i = 0; i < n; i++) {
		uint32_t id = 0x80000000u | (uint32_t)(fs[i].cookie & 0x7fffffff);

		if (booked(g, fs[i].cookie) || g->npos >= REG_MAX_POS)
			continue;
		g->pos_id[g->npos++] = id;
		if (!gk_park(g, id, fs[i].cookie, 0, 0, true)) {
			g->pos_id[--g->npos] = 0;
			continue;
		}
		changed = true;
	}
	free(fs);
	if (changed)
		gk_push_table(k, g, err, sizeof(err));
	return changed;
}

bool gk_recover(struct gk *k, struct reg_group *g)
{
	bool changed = vault_audit(k, g);

	if (!g->closing.active)
		return changed;
	if (g->closing.cookie && in_vault(g, VAULT_FSOCK, g->closing.cookie)) {
		/* not closed yet: do it now (the mover's value is still right) */
		int vfd = vault_take(k, g, VAULT_FSOCK, g->closing.cookie);

		if (vfd >= 0)
			close(vfd);
	}
	close_done(k, g);
	return true;
}

/* the position of member id's socket, -1 */
static int pos_of(const struct reg_group *g, uint32_t id)
{
	for (uint32_t p = 1; p < g->npos; p++)
		if (g->pos_id[p] == id)
			return (int)p;
	return -1;
}

bool gk_park(struct reg_group *g, uint32_t id, uint64_t cookie, uint64_t ino, uint32_t ring_4k,
	     bool zombie)
{
	/* (as many as positions: each entry has one) */
	if (g->nparked >= REG_MAX_PARKED)
		return false;
	g->parked[g->nparked++] = (struct reg_parked){ .id = id, .zombie = zombie,
						       .cookie = cookie, .ino = ino,
						       .ring_4k = ring_4k };
	return true;
}

bool gk_unpark_due(const struct gk *k)
{
	return k->nzombies ||
	       (k->nparked && geteuid() == 0 && pfq_now_ns() >= k->unpark_ns + k->unpark_wait_ns);
}

/* the monotonic clock's seconds, + 1 (0 says "not yet" in the registry) */
static uint32_t now_s1(void)
{
	return (uint32_t)(pfq_now_ns() / 1000000000ull) + 1;
}

/* A parked socket (group.c, member_out) is closed in order once no process
 * but the group's holds it: its importer exited, or closed what it kept.
 * Without this a group kept them until it ended, and pfqd killed again and
 * again with members through it (its reaper parks them all) filled the
 * vault: no join, root's included, found a place. Only root reads every
 * process's descriptors; a process whose /proc we may not read counts as a
 * holder.
 * The mappings of its rings that the group's processes keep (gk_keep_parked)
 * do not count as holders, but they keep the socket: closed in order while
 * one is left, it would stay in the fanout (a zombie). So the first look
 * that finds no other holder asks them to let go (release_s), and a later
 * one closes it when none is left, or RELEASE_WAIT_S after asking (a
 * process stopped with ^Z does not let go: the close then leaves a zombie,
 * which the looks book when it goes), or at once when the vault is full.
 * Ours goes first.
 * The look walks all of /proc: after one that freed nothing the next waits
 * twice as long (1 s to 64 s), 1 s while some are asked to let go; a full
 * vault looks at once, at most every 0.1 s. */
#define RELEASE_WAIT_S 10
bool gk_unpark(struct gk *k, struct reg_group *g, bool force)
{
	uint64_t ino[REG_MAX_PARKED], now = pfq_now_ns();
	bool held[REG_MAX_PARKED], mapped[REG_MAX_PARKED], changed = false, asking = false;
	int n = (int)(g->nparked < REG_MAX_PARKED ? g->nparked : REG_MAX_PARKED);
	int32_t group_pids[REG_MAX_PROCS];
	int npids = 0;
	char err[128];

	if (!k->unpark_wait_ns)
		k->unpark_wait_ns = UNPARK_NS;
	if (!n || geteuid() != 0 ||
	    now < k->unpark_ns + (force ? UNPARK_NS / 10 : k->unpark_wait_ns))
		return false;
	k->unpark_ns = now;
	for (int i = 0; i < n; i++)
		ino[i] = g->parked[i].zombie ? 0 : g->parked[i].ino;
	for (int i = 0; i < REG_MAX_PROCS; i++)
		if (g->proc[i].pid && proc_alive(k, g, i))
			group_pids[npids++] = g->proc[i].pid;
	if (pfq_sockets_held_elsewhere(ino, n, held, group_pids, npids, mapped) < 0)
		return false;
	/* backwards: a freed entry takes the last one, already looked at */
	for (int i = n - 1; i >= 0; i--) {
		struct reg_parked p = g->parked[i];
		int pos = pos_of(g, p.id);

		/* (a position we cannot find: left alone, closing it would move
		 * the last socket where the books cannot tell) */
		if (!p.ino || p.zombie || pos <= 0)
			continue;
		if (held[i]) {
			/* held again (a look can miss a descriptor on its way
			 * between two processes): kept, and mapped again */
			if (p.release_s) {
				g->parked[i].release_s = 0;
				changed = true;
			}
			continue;
		}
		if (mapped[i] && !force &&
		    (!p.release_s || now_s1() < p.release_s + RELEASE_WAIT_S)) {
			if (!p.release_s) {
				g->parked[i].release_s = now_s1();
				changed = true;
			}
			asking = true;
			continue;
		}
		g->parked[i] = g->parked[--g->nparked];
		memset(&g->parked[g->nparked], 0, sizeof(g->parked[0]));
		pfq_parked_map_drop(p.cookie);
		if (gk_close_pos(k, g, pos, p.cookie, true, -1, err, sizeof(err)) < 0) {
			gk_park(g, p.id, p.cookie, p.ino, p.ring_4k, false); /* nothing closed */
			continue;
		}
		changed = true;
	}
	k->unpark_wait_ns = changed || asking ? UNPARK_NS : k->unpark_wait_ns * 2;
	if (k->unpark_wait_ns > 64 * UNPARK_NS)
		k->unpark_wait_ns = 64 * UNPARK_NS;
	return changed;
}

/* map the rings of the parked socket of that cookie, the vault's record
 * peeked at (the queue stays as it is: a process killed meanwhile takes
 * nothing with it): 0 or -errno. A failure is remembered as tried. */
static int map_parked(struct gk *k, const struct reg_group *g, const struct reg_parked *p)
{
	uint64_t cookie = p->cookie, key;
	uint32_t j, kind;
	size_t len = (size_t)p->ring_4k << 12;
	void *map = NULL;
	int fd, rc;

	for (j = 0; j < g->nvault; j++)
		if (g->vault_rec[j].kind == VAULT_FSOCK && g->vault_rec[j].key == cookie)
			break;
	fd = j < g->nvault ? vault_peek(k->vault, j, &kind, &key) : -ENOENT;
	rc = fd < 0 ? fd : kind != VAULT_FSOCK || key != cookie ? -EBADMSG : 0;
	/* the length its exporter wrote (the kernel maps exactly that much,
	 * or refuses), else the kernel's (in its namespace: a process there,
	 * or a privileged one) */
	if (!rc && len) {
		map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			map = NULL;
	}
	if (!rc && !map)
		rc = pfq_packet_ring_len(k->netns, fd, cookie, &len);
	if (!rc && !map && !len)
		rc = -ENOBUFS; /* no ring: freed already (or never made) */
	if (!rc && !map) {
		map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			rc = -errno;
			map = NULL;
		}
	}
	if (fd >= 0)
		close(fd);
	pfq_parked_map_keep(k->netns, k->gid, cookie, map, len);
	return rc;
}

/* Whoever holds a parked socket (its importer, still) could free its ring
 * and make another: the kernel takes a socket out of its fanout for that
 * and puts it back at the end, where the books have another member, whose
 * share it would then receive. The kernel refuses to free a ring that is
 * mapped (EBUSY): every process of the group keeps a mapping of each
 * parked socket's rings, so that one dying (pfqd killed, say) leaves the
 * others'. The one that parks it has its mapping already (group.c,
 * member_out); the others map it at their next session, from the vault.
 * Asked to (release_s, by gk_unpark), they let go. The registry does not
 * change. */
void gk_keep_parked(struct gk *k, const struct reg_group *g)
{
	uint64_t keep[REG_MAX_PARKED], safe[REG_MAX_PARKED];
	int nkeep = 0, nsafe = 0;

	if (k->slot < 0 || !k->vault_id)
		return;
	for (uint32_t i = 0; i < g->nparked && i < REG_MAX_PARKED; i++) {
		const struct reg_parked *p = &g->parked[i];

		if (p->zombie)
			continue; /* (ours goes below) */
		if (p->release_s) {
			safe[nsafe++] = p->cookie;
			continue;
		}
		if (!pfq_parked_map_kept(p->cookie))
			map_parked(k, g, p);
		keep[nkeep++] = p->cookie;
	}
	/* A mapping of a socket the vault holds goes at no cost. One of a
	 * zombie may be its last reference: the kernel then moves the last
	 * socket into its place, which the next session's look books; two
	 * at once could be booked in the wrong order (two members would swap
	 * shares), so one per session. */
	pfq_parked_maps_sync(k->netns, k->gid, keep, nkeep, safe, nsafe);
}

bool gk_reap(struct gk *k, struct reg_group *g)
{
	struct { uint32_t id; uint64_t cookie; } dead[REG_MAX_MEMBERS];
	int ndead = 0;
	bool changed = false;
	char err[128];

	for (int i = 0; i < REG_MAX_PROCS; i++) {
		if (!g->proc[i].pid || proc_alive(k, g, i))
			continue;
		for (int r = 0; r < REG_MAX_MEMBERS; r++) {
			struct reg_member *m = &g->m[r];

			if (!m->id || m->proc != i)
				continue;
			/* an exported socket may still be held by its importer,
			 * which would take it out of the fanout at its own time:
			 * parked (group.c, member_out) */
			if (m->pos > 0 && m->fsock && !m->exported)
				dead[ndead++] = (typeof(dead[0])){ m->id, m->fsock };
			else if (m->pos > 0 && m->fsock)
				gk_park(g, m->id, m->fsock, m->fsock_ino, m->ring_4k, false);
			memset(m, 0, sizeof(*m));
		}
		memset(&g->proc[i], 0, sizeof(g->proc[i]));
		if (g->owner_proc == i)
			g->owner_proc = -1;
		changed = true;
	}
	if (!changed || !k->vault_id)
		return changed;
	gk_push_table(k, g, err, sizeof(err));
	/* their sockets close in the vault's order: the records rotated out of
	 * the way of the next one are then never another dead member's */
	while (ndead > 0) {
		int best = -1;
		uint32_t at = UINT32_MAX;

		for (int d = 0; d < ndead; d++)
			for (uint32_t j = 0; j < g->nvault && j < at; j++)
				if (g->vault_rec[j].kind == VAULT_FSOCK &&
				    g->vault_rec[j].key == dead[d].cookie) {
					best = d;
					at = j;
				}
		if (best < 0)
			break; /* not in the vault: closed already */
		/* positions shift as sockets close: look it up again */
		gk_close_pos(k, g, pos_of(g, dead[best].id), dead[best].cookie, false, -1, err,
			     sizeof(err));
		dead[best] = dead[--ndead];
	}
	return true;
}
