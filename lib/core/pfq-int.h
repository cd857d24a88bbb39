/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal state of a PFQ socket, shared by the files of lib/core. */
#ifndef PFQ_INT_H
#define PFQ_INT_H

#include <pfq/pfq.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_insn;

#define PFQ_ERRBUF 256
#define PFQ_MAX_BINDINGS 64

/* One (device, queue) binding of the socket. ifindex 0 = any device. */
struct pfq_binding {
	int ifindex;
	int queue;      /* PFQ_ANY_QUEUE or a queue number */
	bool raw_queue; /* driver keeps the queue index as is (veth) */
	char name[16];  /* as given (a device that went is unbound by it) */
};

/* A memory-mapped TPACKET_V3 receive ring. */
struct pfq_ring {
	int fd;               /* its socket */
	uint8_t *map;
	size_t map_len;
	uint32_t block_size;
	uint32_t block_nr;
	uint32_t frame_size;
	uint32_t cur;         /* block the reader looks at next */
};

struct gk;
struct pfq_tx;

struct pfq {
	int fd;
	int id;
	uint64_t holds;      /* groups this socket made its process hold (joined
			      * with PFQ_POLICY_UNDEFINED): let go at its close */
	pid_t pid;           /* the process that opened or imported it: its group
			      * membership (and lease) are that process's, not a
			      * forked child's that inherited the handle */
	bool enabled;
	bool tstamp;
	int weight;
	int dirs;
	uint32_t caplen;
	uint32_t rx_slots;
	uint32_t xmitlen;
	uint32_t tx_slots;

	struct pfq_binding bind[PFQ_MAX_BINDINGS];
	int nbind;
	bool queue_bound; /* some binding names a hw queue */
	int promisc[PFQ_MAX_BINDINGS]; /* devices put in promiscuous mode */
	int npromisc;
	int attached_ifindex; /* ifindex the AF_PACKET socket is bound to */
	int prog_fd;          /* attached eBPF filter program, -1 if none */
	struct bpf_insn *filter_insns; /* what prog_fd was loaded from */
	int filter_n;
	bool classic_attached; /* a classic filter is attached (no group) */
	struct sock_filter *fprog; /* the private group's classic filter, NULL if none */
	unsigned fprog_len;
	/* the private group's computation (only filtering ones), NULL if none */
	struct pfq_lang_program *computation;

	/* groups: the implicit private group is the socket's own bindings */
	bool private_group;  /* opened with pfq_open (pfq_bind binds it) */
	int gid;             /* the shared group joined, -1 if none */
	uint32_t member_id;  /* registry id of the socket, 0 until it joins */
	int group_progs_fd;  /* the group's program array (member filter), -1 */
	struct gk *gk;       /* this process's hold on the group */
	int gfd;             /* its socket in the group's fanout, -1 */
	bool in_fanout;      /* gfd joined the fanout (at the first enable) */
	bool fsock_open;     /* gfd's filter lets packets in (once in the fanout) */
	bool copies;         /* the main socket takes the group's copies */
	uint64_t maintain_ns;  /* last look after the group */
	/* registry commit this socket's maintenance last looked at (its own:
	 * the process's other sockets of the group look for themselves) */
	uint64_t seen_seq;
	uint64_t netns;        /* inode of the socket's network namespace (registry) */

	int efd;              /* epoll over the sockets (pfq_get_fd) */
	struct pfq_ring ring;  /* the main socket's */
	struct pfq_ring gring; /* the fanout socket's */
	/* block handed to the user (in ring or gring), released on next read */
	struct pfq_ring *held_ring;
	uint8_t *held;
	/* cursor inside a block partially consumed by pfq_recv */
	uint8_t *part_block;
	uint8_t *part_next;
	uint32_t part_left;
	struct pfq_stats acc; /* counters accumulated across PACKET_STATISTICS reads */

	/* egress endpoint (pfq_egress_bind): device (0: none) and hw queue */
	int egress_ifindex;
	int egress_queue;

	/* handover (handover.c): exported, this process keeps the socket in its
	 * group for the importer, which reads it; imported, a reader of a
	 * socket another process manages */
	bool exported;
	bool imported;
	struct pfq_stats export_acc; /* exported: acc at the export (the importer's
				      * reported counts are added to it) */
	int lease_fd; /* imported through pfqd (pfqd_join.c): the lease; else -1 */
	bool lease_reports;     /* pfqd reads reports of the counters on it */
	uint64_t report_ns;     /* the last report */
	struct pfq_stats reported; /* what it said */

	struct pfq_tx *tx;    /* the TX queue (tx.c), NULL until pfq_bind_tx */
	uint32_t tx_batch;    /* 0: 1 */
	struct pfq_stats tx_done; /* TX counters of queues unbound before */

	char err[PFQ_ERRBUF];
};

/* every public call on a socket starts with this: a NULL handle is an
 * error, not a crash */
#define PFQ_NEED(q)                                                           \
	do {                                                                  \
		if (!(q))                                                     \
			return pfq_seterr(NULL, EINVAL, "%s: NULL socket", __func__); \
	} while (0)

/* an imported socket refuses what changes its group or its socket: -EPERM
 * from the public call that starts with this */
#define PFQ_NOT_IMPORTED(q)                                                   \
	do {                                                                  \
		if ((q) && (q)->imported)                                     \
			return pfq_managed_err(q, __func__);                  \
	} while (0)

/* socket.c: count q among the open sockets (pfq_close checks them):
 * 0 or -ENOMEM */
int pfq_live_add(pfq_t *q);

/* an exported socket's filters are locked (SO_LOCK_FILTER) and its rings
 * mapped by the importer: -EBUSY from the public call that changes them */
#define PFQ_NOT_EXPORTED(q)                                                   \
	do {                                                                  \
		if ((q)->exported)                                            \
			return pfq_seterr(q, EBUSY, "%s: the socket is exported "    \
					  "(another process reads it): close it instead", \
					  __func__);                          \
	} while (0)

/* error.c */
int pfq_seterr(pfq_t *q, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pfq_clearerr(pfq_t *q);
/* handover.c: -EPERM, "socket managed by another process (pfqd): what" */
int pfq_managed_err(pfq_t *q, const char *what);
/* handover.c: what pfq_close frees of an imported socket besides its main
 * socket and poll set (its rings' maps, its fanout socket) */
void pfq_import_release(pfq_t *q);
/* pfqd_join.c: the lease of a socket joined through pfqd: goodbye and
 * close (pfq_close, after the sockets and rings are gone) */
void pfq_lease_end(pfq_t *q);
/* pfqd_join.c: has pfqd ended the membership (the lease's far end
 * closed)? -ENOTCONN said in q's error, or 0 */
int pfq_lease_check(pfq_t *q);
/* pfqd_join.c: tell pfqd the counters (it publishes them for pfq-stat),
 * at most every LEASE_REPORT_NS unless now; never blocks, never fails */
void pfq_lease_report(pfq_t *q, bool now);
/* holders.c: might a process other than this one hold socket fd (a
 * descriptor or a mapping of it; true when /proc cannot tell)? */
bool pfq_socket_held_elsewhere(int fd);
/* the same for the n sockets of inodes ino[], in one pass over /proc:
 * held[i] for each; -1 (all held) when /proc cannot tell. Mappings by the
 * nmappers processes of pids mappers[] do not count: they set mapped[i]
 * instead (mapped may be NULL). */
int pfq_sockets_held_elsewhere(const uint64_t *ino, int n, bool *held, const int32_t *mappers,
			       int nmappers, bool *mapped);
/* bind.c: drop the bindings to devices that went; how many (*named: one
 * of them was bound by that name; name and named may be NULL) */
int pfq_prune_vanished(pfq_t *q, const char *name, bool *named);
/* member.c: the rings of parked sockets this process keeps mapped (their
 * holders may not free them, group.c member_out): kept, and dropped when
 * the socket is unparked or the process leaves the group */
void pfq_parked_map_keep(uint64_t netns, int gid, uint64_t cookie, void *map, size_t len);
/* is one kept for that cookie (map NULL: tried, and it could not be made)? */
bool pfq_parked_map_kept(uint64_t cookie);
void pfq_parked_map_drop(uint64_t cookie);
void pfq_parked_maps_drop_group(uint64_t netns, int gid);
/* drop those of group gid of netns but the nkeep of keep[]; of those not
 * in safe[] (whose socket the vault still holds), one at most */
void pfq_parked_maps_sync(uint64_t netns, int gid, const uint64_t *keep, int nkeep,
			  const uint64_t *safe, int nsafe);

/* netdev.c: device look-ups through the socket's own network namespace */
int pfq_dev_ifindex(int fd, const char *dev);
int pfq_dev_rx_queues(int fd, const char *dev);
bool pfq_dev_is_veth(int fd, const char *dev);
/* the device of ifindex went (SIOCGIFNAME: ENODEV); never for 0, 'any' */
bool pfq_dev_vanished(int fd, int ifindex);
int pfq_packet_socket_like(int fd);
/* MTU of dev, or -errno */
int pfq_dev_mtu(int fd, const char *dev);
/* TX queues of dev (0 when the driver does not say) or -errno */
int pfq_dev_tx_queues(int fd, const char *dev);
/* run fn(arg) with the calling thread in socket sock's network namespace
 * (the kernel resolves device indexes in the caller's): fn's result */
int pfq_run_in_ns_of(int sock, int (*fn)(void *), void *arg);
/* run fn(arg) in network namespace netns: at once when the calling thread
 * is there, else in ref_fd's (privileged); -EPERM when it cannot */
int pfq_in_netns(uint64_t netns, int ref_fd, int (*fn)(void *), void *arg);
/* fanout_diag.c: the sockets in fanout fanout_id of namespace netns (ref_fd
 * a socket there), as the kernel lists them (at most max in out); their
 * number or -errno */
struct pfq_fanout_sock {
	uint64_t cookie;
	uint64_t ino;
};
int pfq_fanout_sockets(uint64_t netns, int ref_fd, uint32_t fanout_id,
		       struct pfq_fanout_sock *out, int max);
/* the length of a mapping of the rings of the packet socket of that cookie
 * in namespace netns (ref_fd a socket there): 0 or -errno (-ENOENT: no
 * such socket) */
int pfq_packet_ring_len(uint64_t netns, int ref_fd, uint64_t cookie, size_t *len);
/* a tcx link (BPF_TCX_INGRESS 46 / BPF_TCX_EGRESS 47; our uapi headers may
 * predate them) of prog_fd on ifindex of socket sock's namespace: the link
 * fd, or -errno */
#define PFQ_TCX_INGRESS 46
#define PFQ_TCX_EGRESS 47
int pfq_tcx_attach(int sock, int prog_fd, int ifindex, int type);

/* bind.c */
int pfq_make_binding(pfq_t *q, const char *dev, int queue, struct pfq_binding *b);

/* ring.c: a ring of socket fd (of r->fd after); its geometry is a function
 * of the caplen and rx slots */
int pfq_ring_create(pfq_t *q, struct pfq_ring *r, int fd);
/* the geometry pfq_ring_create gives a ring of caplen and rx_slots (r's
 * sizes, nothing else); 0 or -ENOMEM (too large) */
int pfq_ring_geometry(pfq_t *q, uint32_t caplen, uint32_t rx_slots, struct pfq_ring *r);
/* map the ring socket fd has (r's sizes set): 0 or -EINVAL */
int pfq_ring_map(pfq_t *q, struct pfq_ring *r, int fd);
void pfq_ring_destroy(pfq_t *q, struct pfq_ring *r);
/* the next block of either ring, waiting up to usec: 1, 0 or -errno */
int pfq_ring_next_block(pfq_t *q, long usec, uint8_t **block);
void pfq_ring_release_held(pfq_t *q);
bool pfq_ring_ready(const pfq_t *q);
int pfq_ring_wait(pfq_t *q, long usec);
void pfq_net_queue_from_block(const pfq_t *q, struct pfq_net_queue *nq,
			      uint8_t *block, uint8_t *first, uint32_t count);

/* attach.c: keep the kernel side (bind + filter) in line with the settings */
bool pfq_main_hooked(const pfq_t *q);
int pfq_attach_update(pfq_t *q);
int pfq_attach_stop(pfq_t *q);

/* sockfilter_member.c: does the socket need a filter at all; the eBPF
 * socket filter of a group member for the current settings */
bool pfq_filter_needed(const pfq_t *q);
bool pfq_any_queue_binding(const pfq_t *q); /* some binding names a hw queue */
/* the socket's bindings as the binding check takes them (lang/bindings.h):
 * out has room for PFQ_MAX_BINDINGS; returns their number */
struct pfq_group_binding;
int pfq_filter_bindings(const pfq_t *q, struct pfq_group_binding *out);
int pfq_filter_load(pfq_t *q, char *log, size_t log_len);
/* sockfilter_classic.c: the classic filter of a socket with no group; with
 * with_bindings false only its computation, pcap filter and caplen (a
 * group member's private part) */
struct sock_fprog;
int pfq_filter_classic(const pfq_t *q, bool with_bindings, struct sock_fprog *out, char *err,
		       size_t errlen);
/* would the kernel take the filter of the current settings? 0 or -errno */
int pfq_filter_check(pfq_t *q, char *log, size_t log_len);
/* attach.c: apply a filter setting (just check it while disabled) */
int pfq_filter_apply(pfq_t *q, char *log, size_t log_len);

/* stats.c */
int pfq_stats_collect(pfq_t *q);

#endif /* PFQ_INT_H */
