/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpfq — PFQ sockets on a stock Linux kernel.
 *
 * A PFQ socket is an AF_PACKET socket with a memory-mapped TPACKET_V3 ring
 * and, when it has work to do, a generated eBPF socket filter that decides
 * which packets the socket takes and how many bytes of each.
 *
 * Conventions (as in libbpf): calls return a negative errno (or NULL) on
 * failure and set errno to it; the text of the last error is available
 * from pfq_error(q), or pfq_error(NULL) (per thread) for the calls without
 * a socket (the open calls, pfq_groups_info, pfq_group_log). The library
 * never prints.
 */
#ifndef PFQ_PFQ_H
#define PFQ_PFQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PFQ_VERSION_MAJOR 0
#define PFQ_VERSION_MINOR 1
#define PFQ_VERSION_PATCH 0
#define PFQ_VERSION(a, b, c) (((a) << 16) | ((b) << 8) | (c))
#define PFQ_VERSION_CODE \
	PFQ_VERSION(PFQ_VERSION_MAJOR, PFQ_VERSION_MINOR, PFQ_VERSION_PATCH)

/* Placeholders, same values as the original. */
#define PFQ_ANY_QUEUE (-1)
#define PFQ_ANY_DEVICE "any"
#define PFQ_ANY_GROUP (-1)

/* Groups. */
#define PFQ_MAX_GROUPS 64
#define PFQ_MAX_COUNTERS 64
#define PFQ_CLASS_DEFAULT (1ull << 0)
#define PFQ_CLASS_CONTROL (1ull << 63) /* managers: never a receiver of broadcast */
#define PFQ_CLASS_ANY (~PFQ_CLASS_CONTROL)
#define PFQ_VLAN_UNTAG 0     /* VLAN filter: untagged (and priority-tagged) packets */
#define PFQ_VLAN_ANYTAG (-1) /* VLAN filter: every tagged packet */

/* Who may join a group (same values as the original). */
enum pfq_group_policy {
	PFQ_POLICY_UNDEFINED = 0,  /* join: initialise the group without joining it */
	PFQ_POLICY_PRIVATE = 1,    /* only the socket that made the group */
	PFQ_POLICY_RESTRICTED = 2, /* sockets of the same process */
	PFQ_POLICY_SHARED = 3,     /* any socket of the network namespace */
};

/* Limits of the settings. */
#define PFQ_CAPLEN_MAX 262144u /* libpcap's largest snapshot length */
#define PFQ_RX_SLOTS_MAX (4u << 20)
#define PFQ_TX_SLOTS_MAX (4u << 20)
#define PFQ_TX_BATCH_MAX 65535u
#define PFQ_NO_TX_THREAD (-1) /* pfq_bind_tx: no TX thread, the caller transmits */
#define PFQ_WEIGHT_MAX 16
#define PFQ_RING_BYTES_MAX (1ull << 31)

/* Packet direction, as seen on the bound device. */
enum pfq_direction {
	PFQ_DIR_IN = 1,  /* received by the device */
	PFQ_DIR_OUT = 2, /* transmitted by the device */
	PFQ_DIR_INOUT = 3,
};

#if defined(__GNUC__)
#define PFQ_API __attribute__((visibility("default")))
#else
#define PFQ_API
#endif

typedef struct pfq pfq_t;
struct sock_fprog;

/* Per-packet header handed out with every packet. */
struct pfq_pkthdr {
	uint64_t tstamp_ns; /* CLOCK_REALTIME, ns (0 when timestamping is off) */
	uint32_t caplen;    /* bytes available at data */
	uint32_t len;       /* length on the wire */
	int32_t ifindex;    /* device the packet was seen on */
	int16_t queue;      /* hw queue of the binding, or PFQ_ANY_QUEUE */
	uint16_t vlan_tci;  /* outer VLAN TCI (0 when untagged) */
	uint16_t vlan_tpid; /* outer VLAN TPID (0 when untagged) */
	uint8_t direction;  /* PFQ_DIR_IN or PFQ_DIR_OUT */
	uint8_t pkttype;    /* PACKET_HOST, PACKET_BROADCAST, ... */
	uint32_t mark;      /* reserved for the computation's mark (0 now) */
	uint32_t state;     /* reserved for the computation's state (0 now) */
};

/*
 * A batch returned by pfq_read(): iterate it with pfq_net_queue_next();
 * pfq_net_queue_left() says how many packets it still holds. The packets
 * stay valid until the next pfq_read/pfq_recv/pfq_dispatch or
 * pfq_disable/pfq_close on the same socket.
 */
struct pfq_net_queue {
	size_t len;           /* packets in the batch */
	uint64_t opaque_[5];  /* the iterator's state: reached only through
			       * the pfq_net_queue_ calls */
};

struct pfq_stats {
	uint64_t recv; /* packets delivered to the socket */
	uint64_t lost; /* packets lost because the RX ring was full */
	uint64_t drop; /* packets dropped by filters (group level) */
	uint64_t sent; /* TX: transmitted */
	uint64_t disc; /* TX: discarded */
	uint64_t fail; /* TX: failed */
	uint64_t frwd; /* copies forwarded to devices */
	uint64_t kern; /* packets passed to the host stack */
};

/* A group's 64 counters (`inc n` / `dec n` of its computation). */
struct pfq_counters {
	int64_t counter[PFQ_MAX_COUNTERS];
};

/* What the shared registry says about a group (pfq_group_info). */
struct pfq_member_info {
	uint32_t id;         /* member socket id (pfq_id of that socket) */
	int32_t pid;         /* its process */
	uint64_t class_mask;
	int32_t weight;
	int32_t active;      /* enabled: receives its share */
	uint64_t recv, lost; /* its socket stats, as the member last published them */
};

struct pfq_group_info {
	int gid;
	int policy;           /* enum pfq_group_policy */
	int32_t owner_pid;     /* 0: none (its process ended) */
	int nmembers;
	struct pfq_member_info members[64];
	int nbind;
	struct { char dev[16]; int queue; } bind[32];
	char computation[512]; /* the source (cut), "" = none */
	int has_fprog;         /* instructions of the BPF filter, 0 = none */
	int vlan_on;
	struct pfq_stats stats;
	struct pfq_counters counters;
	/* added later (pfq_groups_info's sz says whether a caller has it):
	 * members[i]'s egress endpoint, if it is one (pfq_egress_bind):
	 * ifindex 0 none; queue -1 any; dev "" when the name is unknown */
	struct { int32_t ifindex; int32_t queue; char dev[16]; } egress[64];
};

typedef void (*pfq_handler_t)(void *user, const struct pfq_pkthdr *hdr,
			      const uint8_t *data);

/*
 * Every function below says what it does, what it returns and the errors
 * it returns (as negative errno values; errno is set to the same value and
 * the text is in pfq_error(q), or pfq_error(NULL) for the calls without a
 * socket). -EINVAL for a NULL socket or argument is not repeated.
 */

/* Version. */
/* The version this library was built as: PFQ_VERSION_CODE. */
PFQ_API int pfq_version_code(void);
/* The version as text ("0.1.0"). */
PFQ_API const char *pfq_string_version(void);

/* Open / close. Sizes: caplen 1..PFQ_CAPLEN_MAX, rx_slots 1..PFQ_RX_SLOTS_MAX,
 * xmitlen 0..PFQ_CAPLEN_MAX, tx_slots 0..PFQ_TX_SLOTS_MAX (0 = no TX queue). */

/* Which group a socket made by pfq_open_opts starts in. */
enum pfq_open_group {
	PFQ_OPEN_PRIVATE = 0, /* its own private group (pfq_open) */
	PFQ_OPEN_NOGROUP = 1, /* none (pfq_open_nogroup) */
	PFQ_OPEN_JOIN = 2,    /* the lowest free group, with class_mask and
			       * policy (pfq_open_group) */
};

/*
 * The settings of a new socket, libbpf style: set sz to sizeof(struct
 * pfq_open_opts) (PFQ_OPEN_OPTS fills it) and the rest by name. Settings
 * added later go at the end, and 0 is their default, so that a program
 * built against an older header (smaller sz) keeps its behaviour.
 */
struct pfq_open_opts {
	size_t sz;
	size_t caplen;   /* 1..PFQ_CAPLEN_MAX */
	size_t rx_slots; /* 1..PFQ_RX_SLOTS_MAX */
	size_t xmitlen;  /* 0..PFQ_CAPLEN_MAX */
	size_t tx_slots; /* 0..PFQ_TX_SLOTS_MAX (0 = no TX queue) */
	enum pfq_open_group group;
	unsigned long long class_mask; /* PFQ_OPEN_JOIN: the classes joined */
	int policy;      /* PFQ_OPEN_JOIN: enum pfq_group_policy
			  * (PFQ_POLICY_UNDEFINED: join nothing) */
};

/* struct pfq_open_opts o = PFQ_OPEN_OPTS(.caplen = 1514, .rx_slots = 4096); */
#define PFQ_OPEN_OPTS(...) \
	((struct pfq_open_opts){ .sz = sizeof(struct pfq_open_opts), __VA_ARGS__ })

/* Open a socket as opts say, disabled and unbound; pfq_open, pfq_open_nogroup
 * and pfq_open_group are this call with their arguments. The socket, or NULL
 * with errno: EINVAL opts NULL, opts->sz below the five size fields, a size
 * out of range, an unknown group; E2BIG a field this library does not know
 * is set (opts->sz larger than its struct, a byte past it not 0); EPERM no
 * privilege (CAP_NET_RAW); ENOMEM; PFQ_OPEN_JOIN: the errors of
 * pfq_join_group. */
PFQ_API pfq_t *pfq_open_opts(const struct pfq_open_opts *opts);
/* Open a socket with its own private group (pfq_bind binds it). The socket,
 * or NULL with errno EINVAL (sizes), EPERM, ENOMEM. */
PFQ_API pfq_t *pfq_open(size_t caplen, size_t rx_slots, size_t xmitlen,
		size_t tx_slots);
/* Open a socket of no group (pfq_bind binds the group it joins later).
 * As pfq_open. */
PFQ_API pfq_t *pfq_open_nogroup(size_t caplen, size_t rx_slots, size_t xmitlen,
			size_t tx_slots);
/* Open a socket joined to the lowest free group with class_mask and policy
 * (PFQ_POLICY_UNDEFINED: none). As pfq_open, and the errors of
 * pfq_join_group. */
PFQ_API pfq_t *pfq_open_group(unsigned long long class_mask, int policy, size_t caplen,
			      size_t rx_slots, size_t xmitlen, size_t tx_slots);
/* Disable, leave the group, close and free. 0; -EBADF not an open socket
 * (closed twice), said in pfq_error(NULL). */
PFQ_API int pfq_close(pfq_t *q);
/* The text of q's last error (NULL: the calling thread's last error of the
 * calls without a socket). Never NULL. */
PFQ_API const char *pfq_error(const pfq_t *q);
/* The socket's id (from the kernel's socket cookie), >= 0. */
PFQ_API int pfq_id(const pfq_t *q);
/* The one pollable descriptor of the socket (poll it, do not read it). */
PFQ_API int pfq_get_fd(const pfq_t *q);

/* State and settings (sizes only while disabled). */
/* Make and map the ring, hook the socket into its bindings. 0; -EALREADY
 * enabled; -ENOMEM ring too large; the errors of the ring and filter set-up. */
PFQ_API int pfq_enable(pfq_t *q);
/* Unhook and free the ring (stats are kept). 0; -EALREADY not enabled. */
PFQ_API int pfq_disable(pfq_t *q);
/* 1 enabled, 0 not. */
PFQ_API int pfq_is_enabled(const pfq_t *q);
/* Stamp tstamp_ns of each packet (on != 0) or not. 0. */
PFQ_API int pfq_timestamping_enable(pfq_t *q, int on);
/* 1 timestamping, 0 not. */
PFQ_API int pfq_is_timestamping_enabled(const pfq_t *q);
/* The socket's share of steered traffic in its group. 0; -EINVAL weight
 * outside 1..PFQ_WEIGHT_MAX. */
PFQ_API int pfq_set_weight(pfq_t *q, int weight);
/* The weight, 1..PFQ_WEIGHT_MAX. */
PFQ_API int pfq_get_weight(const pfq_t *q);
/* Bytes kept of each packet. 0; -EBUSY enabled; -EINVAL out of range. */
PFQ_API int pfq_set_caplen(pfq_t *q, size_t caplen);
/* The caplen. */
PFQ_API ssize_t pfq_get_caplen(const pfq_t *q);
/* Packets the RX ring holds. 0; -EBUSY enabled; -EINVAL out of range. */
PFQ_API int pfq_set_rx_slots(pfq_t *q, size_t slots);
/* The RX slots. */
PFQ_API ssize_t pfq_get_rx_slots(const pfq_t *q);
/* Largest packet sent (TX). 0; -EBUSY while TX is bound (pfq_bind_tx);
 * -EINVAL out of range. */
PFQ_API int pfq_set_xmitlen(pfq_t *q, size_t xmitlen);
/* The xmitlen. */
PFQ_API ssize_t pfq_get_xmitlen(const pfq_t *q);
/* Packets the TX queue holds. 0; -EBUSY while TX is bound (pfq_bind_tx);
 * -EINVAL out of range. */
PFQ_API int pfq_set_tx_slots(pfq_t *q, size_t slots);
/* The TX slots. */
PFQ_API ssize_t pfq_get_tx_slots(const pfq_t *q);
/* Which packets of the bound devices: PFQ_DIR_IN, _OUT or _INOUT (may
 * change while enabled). 0; -EINVAL another value. */
PFQ_API int pfq_set_direction(pfq_t *q, int dirs);
/* The direction, PFQ_DIR_*. */
PFQ_API int pfq_get_direction(const pfq_t *q);

/* Devices. */
/* The ifindex of dev in the socket's network namespace (> 0); -ENODEV no
 * such device; -EINVAL empty or long name. */
PFQ_API int pfq_ifindex(pfq_t *q, const char *dev);
/* Promiscuous mode on dev through this socket (undone on close). 0;
 * -ENODEV; -ENOSPC too many devices; the kernel's error. */
PFQ_API int pfq_set_promisc(pfq_t *q, const char *dev, int on);

/* Bindings: dev may be PFQ_ANY_DEVICE ("any"); queue a hw RX queue or
 * PFQ_ANY_QUEUE. A socket may be bound to several devices. */
/* Add the binding (dev, queue) (the group's when the socket is in one). 0;
 * -ENODEV; -ERANGE queue beyond the device's RX queues; -EINVAL bad queue,
 * "any" with a queue, bad name; -ENOSPC more than 64 bindings. */
PFQ_API int pfq_bind(pfq_t *q, const char *dev, int queue);
/* Remove the binding (dev, queue). 0; -ENOENT not bound; as pfq_bind. */
PFQ_API int pfq_unbind(pfq_t *q, const char *dev, int queue);

/* The classic BPF filter (e.g. from pcap_compile) of the socket's private
 * group, run in the kernel after the binding check: a packet it refuses is
 * not copied; its answer caps the bytes kept. NULL resets. 0; -EINVAL
 * malformed or refused program (pfq_error says which instruction); -ENOMEM. */
PFQ_API int pfq_set_fprog(pfq_t *q, const struct sock_fprog *prog);
/* The PFQ/lang computation of the socket's private group (pfq_open), run
 * in the kernel after the binding check and before the BPF filter. It must
 * only filter (every function passes or drops: see
 * pfq_lang_classic_compile); it then runs as a classic socket filter.
 * NULL or "" resets. 0; -EOPNOTSUPP it does more (classes, steering,
 * counters, forwarding...: a group's work), naming the function; -EINVAL
 * malformed text ("line:col: message") or no private group. */
PFQ_API int pfq_set_computation(pfq_t *q, const char *src);

/* Receive. usec: -1 waits forever, 0 does not wait. Every call: -ENOTCONN
 * before pfq_enable. */
/* Wait for packets. 1 ready, 0 timeout or a signal; -ENOTCONN; -EIO. */
PFQ_API int pfq_poll(pfq_t *q, long usec);
/* The next batch, zero copy, in nq (the previous one goes back to the
 * kernel). Its packet count (0: timeout); -ENOTCONN. */
PFQ_API int pfq_read(pfq_t *q, struct pfq_net_queue *nq, long usec);
/* The next packet of the batch: 1 with hdr and *data set, 0 at the end
 * (and for a NULL argument: errno EINVAL, pfq_error(NULL) says which). */
PFQ_API int pfq_net_queue_next(struct pfq_net_queue *nq, struct pfq_pkthdr *hdr,
		       const uint8_t **data);
/* Packets of the batch not yet taken by pfq_net_queue_next (0 for NULL). */
PFQ_API size_t pfq_net_queue_left(const struct pfq_net_queue *nq);
/* As pfq_read, copying the batch into buf (what fits; the rest comes with
 * the next call). The packet count; -ENOSPC not one packet fits; -ENOTCONN. */
PFQ_API int pfq_recv(pfq_t *q, void *buf, size_t buflen, struct pfq_net_queue *nq,
	     long usec);
/* Read one batch and call cb for each packet. The count; as pfq_read. */
PFQ_API int pfq_dispatch(pfq_t *q, pfq_handler_t cb, long usec, void *user);

/*
 * Transmit. A socket's TX queue holds tx_slots frames of at most xmitlen
 * bytes (xmitlen 0: the device's MTU + 18) and sends on one device; it is
 * made by pfq_bind_tx (sizes are fixed until pfq_unbind_tx). Calls on one
 * socket's TX queue must not run concurrently.
 *
 * pfq_bind_tx: queue is PFQ_ANY_QUEUE (the kernel picks the hardware queue
 * of the sending CPU) or a hardware TX queue of dev (through the qdisc, set
 * by a TC egress program of the socket's own; -EOPNOTSUPP on a device with
 * an XPS map); core is PFQ_NO_TX_THREAD or the CPU of a TX thread that
 * transmits what pfq_send_async queues. Errors: -EINVAL (tx_slots 0, a
 * queue the device does not have, bad core: offline or not allowed),
 * -ENODEV, -EBUSY (bound already), -ENOMEM, -EPERM.
 */
PFQ_API int pfq_bind_tx(pfq_t *q, const char *dev, int queue, int core);
/* Flush what is queued, stop the TX thread, free the queue. 0. */
PFQ_API int pfq_unbind_tx(pfq_t *q);
/* Queue copies (0 = 1) of the frame and transmit now: len, or -errno
 * (-ENOTCONN not bound, -EMSGSIZE over xmitlen, -EINVAL shorter than an
 * Ethernet header or too many copies, -ENETDOWN ...). A full queue is
 * flushed first, so nothing is discarded. */
PFQ_API int pfq_send(pfq_t *q, const void *buf, size_t len, unsigned copies);
/* Queue without waiting: transmitted when tx_batch frames wait (by the TX
 * thread if the socket has one), on pfq_sync_queue or on close. len, 0
 * when the queue is full (the frame counts as discarded: disc), or -errno. */
PFQ_API int pfq_send_async(pfq_t *q, const void *buf, size_t len, unsigned copies);
/* As pfq_send_async, never using the TX thread's wake-up. */
PFQ_API int pfq_send_deferred(pfq_t *q, const void *buf, size_t len, unsigned copies);
/* pfq_send (async 0) or pfq_send_async (async != 0) with a transmit time,
 * which is ignored (a packet socket has no per-frame transmit time without
 * an ETF qdisc; the original 6.1 ignored it too). */
PFQ_API int pfq_send_raw(pfq_t *q, const void *buf, size_t len, uint64_t nsec,
			 unsigned copies, int async);
/* Transmit everything queued and wait for it; queue must be 0. 0 or -errno. */
PFQ_API int pfq_sync_queue(pfq_t *q, int queue);
/* Frames queued before pfq_send_async transmits: 1..PFQ_TX_BATCH_MAX. */
PFQ_API int pfq_set_tx_batch(pfq_t *q, size_t batch);
PFQ_API ssize_t pfq_get_tx_batch(const pfq_t *q);

/* Statistics. */
/* The socket's counters (recv, lost; TX: sent, disc, fail, where
 * sent + disc + fail = frames submitted once flushed); the group's are
 * read with pfq_get_group_stats. 0; the kernel's error reading them. */
PFQ_API int pfq_get_stats(pfq_t *q, struct pfq_stats *stats);

/*
 * Groups, shared by the processes of a network namespace (registry under
 * $PFQ_RUN_DIR, default /run/pfq). A socket is a member of one group at a
 * time (besides its private bindings when opened with pfq_open). Calls on
 * a group: -EINVAL gid out of 0..PFQ_MAX_GROUPS-1; -EACCES not a member or
 * refused by the group's policy; -ENOENT no such group.
 */
/* Join group gid (PFQ_ANY_GROUP: the lowest free one) with these classes
 * (PFQ_POLICY_UNDEFINED: hold the group without joining, until this socket
 * leaves it or closes). The gid; -EINVAL
 * gid, empty mask, policy; -EACCES the policy refuses; -EBUSY member of
 * another group, or no free group; -ENOSPC 64 members. */
PFQ_API int pfq_join_group(pfq_t *q, int gid, unsigned long long class_mask, int policy);
/* Leave group gid (or release a hold). 0; -ENOENT not a member. */
PFQ_API int pfq_leave_group(pfq_t *q, int gid);
/* *mask = bit gid of the group joined (0: none). 0. */
PFQ_API int pfq_groups_mask(const pfq_t *q, unsigned long long *mask);
/* The gid joined, -1 none (not an error). */
PFQ_API int pfq_group_id(const pfq_t *q);
/* Add a binding to group gid (the caller must be a member). 0; as pfq_bind,
 * but -ENOSPC past 32 bindings of the group. */
PFQ_API int pfq_bind_group(pfq_t *q, int gid, const char *dev, int queue);
/* Remove a binding of group gid. 0; -ENOENT not bound; as pfq_bind. */
PFQ_API int pfq_unbind_group(pfq_t *q, int gid, const char *dev, int queue);
/*
 * Egress endpoint: the packets the socket's group dispatches to it (by its
 * classes and weight, as to any member) are sent out of dev, on hardware
 * TX queue `queue` (PFQ_ANY_QUEUE: the kernel's choice), instead of being
 * queued for reading; the group's TC program does it in the kernel, for
 * packets received on the group's devices, counted in the group's frwd
 * (disc when the device refuses them). An endpoint sends whether or not
 * the socket is enabled. Set before or after joining; it stays across
 * leave and join. Needs CAP_BPF and CAP_NET_ADMIN while in a group.
 * 0; -EINVAL NULL dev, queue < -1 or one the device lacks; -ENODEV;
 * -EOPNOTSUPP queue on a device with an XPS map; -EPERM; the kernel's
 * error loading the group's program (the socket then is as before).
 */
PFQ_API int pfq_egress_bind(pfq_t *q, const char *dev, int queue);
/* Back to a socket endpoint (its packets are queued for reading). 0. */
PFQ_API int pfq_egress_unbind(pfq_t *q);
/* The group's PFQ/lang computation; NULL or "" resets it (the group then
 * copies every packet to the default class). 0; -EINVAL "line:col:
 * message"; -E2BIG over 16 KiB; the kernel's error loading it. */
PFQ_API int pfq_set_group_computation_from_string(pfq_t *q, int gid, const char *src);
/* The same from a file. 0; as above; the error of reading it (-ENOENT,
 * -EISDIR, -EINVAL empty or not text). */
PFQ_API int pfq_set_group_computation_from_file(pfq_t *q, int gid, const char *path);
/* The group's classic BPF filter (e.g. from pcap_compile); NULL resets. 0;
 * -EINVAL malformed program. */
PFQ_API int pfq_group_fprog(pfq_t *q, int gid, const struct sock_fprog *prog);
/* Remove the group's classic BPF filter. 0. */
PFQ_API int pfq_group_fprog_reset(pfq_t *q, int gid);
/* VLAN filters: vid 1..4095, PFQ_VLAN_UNTAG (0) untagged, PFQ_VLAN_ANYTAG (-1) all tagged. */
/* Turn the group's VLAN filter on or off. 0. */
PFQ_API int pfq_vlan_filters_enable(pfq_t *q, int gid, int on);
/* Let vid pass the group's VLAN filter (which must be on). 0; -EINVAL vid;
 * -EPERM the filter is off. */
PFQ_API int pfq_vlan_set_filter(pfq_t *q, int gid, int vid);
/* Stop letting vid pass. 0; -EINVAL vid; -EPERM the filter is off. */
PFQ_API int pfq_vlan_reset_filter(pfq_t *q, int gid, int vid);
/* The group's statistics (recv, drop, frwd, kern; disc: forwarded and
 * egress copies the kernel refused). 0; -ENOENT; -EACCES
 * (private: the owner socket only; restricted: its process). */
PFQ_API int pfq_get_group_stats(pfq_t *q, int gid, struct pfq_stats *stats);
/* The group's 64 counters, summed over CPUs. 0; as pfq_get_group_stats. */
PFQ_API int pfq_get_group_counters(pfq_t *q, int gid, struct pfq_counters *counters);
/* The groups of this network namespace, for tools (no socket needed).
 * out is an array of max entries of sz bytes each, sz being
 * sizeof(struct pfq_group_info) as the caller's header has it (fields added
 * later go at the end: an older caller gets the fields it knows, a newer
 * one has the fields this library does not know zeroed). Returns the
 * number of groups that exist, which may be more than max: then only the
 * first max are filled (truncation, not an error); call with out NULL and
 * max 0 to size the buffer. -EINVAL: sz below this struct's first size, or
 * out NULL with max > 0; -ENOMEM; the registry's errors (-EPERM an unsafe
 * run directory, ...), said in pfq_error(NULL). */
PFQ_API int pfq_groups_info(struct pfq_group_info *out, size_t max, size_t sz);
/* Why the last pfq_groups_info or pfq_group_log failed: the same text as
 * pfq_error(NULL), kept for older callers. */
PFQ_API const char *pfq_groups_error(void);

/*
 * Handover: a privileged process (pfqd) hands a ready member socket to
 * another, possibly unprivileged, process, which reads it with the usual
 * calls. The exporter keeps its handle: it stays the group's member of
 * record, looks after the group with pfq_maintain, and its pfq_close makes
 * the member leave (the importer then receives nothing more). Send the
 * descriptors with SCM_RIGHTS and the description as the message's data.
 */
#define PFQ_HANDOVER_FDS 2        /* descriptors of a handover */
#define PFQ_HANDOVER_BLOB_MAX 256 /* bytes a description may take */

/* Export q, an enabled member of a group: fds receives its PFQ_HANDOVER_FDS
 * descriptors (q's own: do not close them; valid until pfq_close(q)) and
 * blob its description (versioned, at most PFQ_HANDOVER_BLOB_MAX bytes).
 * From now on the importer reads q and its counters: q's read calls fail
 * with -EBUSY, pfq_disable too (close it instead; closed while the importer
 * still holds the sockets, or when this process dies, the member's fanout
 * position is parked, receiving nothing, until the group ends). The
 * description's size
 * in bytes; -EINVAL not a group member; -ENOTCONN not enabled; -EBUSY
 * exported already; -ENOSPC max_fds or blob_len too small; -EPERM an
 * imported socket; the errors of making its ring. */
PFQ_API int pfq_export(pfq_t *q, int *fds, int max_fds, void *blob, size_t blob_len);
/* Look after q's group as a read does every 0.2 s (reap dead processes,
 * hook q for the group's copies), without reading: for a manager holding
 * sockets for others, called at least every 0.2 s (it does its work at most
 * that often). 0 (also for a socket of no group, or an imported one, whose
 * exporter does it). */
PFQ_API int pfq_maintain(pfq_t *q);
/* The importer's counts since the import, as it reports them (its reads
 * own the kernel's counters: PACKET_STATISTICS resets on read): q's
 * counters become the export's plus these, in pfq_get_stats(q) and in what
 * pfq_maintain publishes for pfq-stat and pfq_groups_info. 0; -EINVAL q
 * is not exported. */
PFQ_API int pfq_set_importer_stats(pfq_t *q, uint64_t recv, uint64_t lost);
/* A socket reading what another process exported (needs no privilege):
 * fds and blob as received (the caller keeps its fds: close them after).
 * The socket is enabled; pfq_read, pfq_recv, pfq_dispatch, pfq_poll,
 * pfq_get_fd, pfq_get_stats, pfq_timestamping_enable and pfq_close work;
 * what changes the socket or its group (join, leave, bind, enable, disable,
 * sizes, weight, direction, filters, computations, egress, TX, group stats)
 * fails with -EPERM. NULL with errno: EINVAL a description truncated, of
 * another version or out of range, descriptors that are not the raw
 * AF_PACKET sockets it names, or rings of another geometry; ENOMEM. */
PFQ_API pfq_t *pfq_import(const int *fds, int nfds, const void *blob, size_t blob_len);

/*
 * Joining through pfqd: a process without the privileges joining needs
 * (CAP_NET_RAW, CAP_BPF) asks pfqd, over its control socket, for a member
 * socket of one of pfqd's groups. pfqd checks the caller's user and groups
 * against the group's allow_users/allow_groups, makes the member and hands
 * it over (pfq_export/pfq_import above) with a lease: the membership lasts
 * until pfq_close (or the process's exit), and ends from pfqd's side when
 * the group is removed, the permission taken away or pfqd stops, which the
 * socket's reads then report (-ENOTCONN).
 */
#define PFQ_PFQD_CONTROL "/run/pfqd/control" /* pfqd's default control socket */

struct pfq_pfqd_opts {
	size_t sz;
	/* pfqd's control socket; NULL: $PFQD_CONTROL, else PFQ_PFQD_CONTROL */
	const char *control;
	unsigned long long class_mask; /* the classes joined; 0: PFQ_CLASS_DEFAULT */
	int weight;                    /* share of steered traffic, 1..PFQ_WEIGHT_MAX; 0: 1 */
	size_t caplen;                 /* 1..PFQ_CAPLEN_MAX; 0: 65535 */
	size_t rx_slots;               /* 1..PFQ_RX_SLOTS_MAX; 0: 4096 */
	int tstamp;                    /* timestamps on (pfq_timestamping_enable) */
	/* NULL, or "dev[@queue][:dev...]": devices the caller means to capture
	 * on, which pfqd checks are inputs of the group (it binds them; a
	 * client cannot add any) */
	const char *devices;
	/* NULL, or the computation the caller expects the group to run: pfqd
	 * refuses the join when the group runs another (blanks aside) */
	const char *computation;
};

/* struct pfq_pfqd_opts o = PFQ_PFQD_OPTS(.caplen = 1514); */
#define PFQ_PFQD_OPTS(...) \
	((struct pfq_pfqd_opts){ .sz = sizeof(struct pfq_pfqd_opts), __VA_ARGS__ })

/* Join group gid through pfqd (opts NULL: the defaults). An enabled socket
 * that reads the member's share, as pfq_import's (what would change the
 * socket or its group fails with -EPERM). NULL with errno, the reason in
 * pfq_error(NULL): ENOENT/ECONNREFUSED no pfqd listens on the control
 * socket; EACCES not permitted by pfqd (the caller's user and groups are
 * not in the group's lists), or the control socket's mode; ENODEV the group
 * is not pfqd's, or a device is not its input; EINVAL bad options, or
 * another computation; EUSERS the caller's user holds the most members
 * pfqd gives a user (8); ENOMEM a ring larger than pfqd gives a user's
 * member (256 MiB: rx_slots x (min(caplen, 2048) + 128)); ETIMEDOUT pfqd
 * did not answer in 10 s; EPROTO a malformed answer; the errors of joining
 * (ENOSPC the group is full, ...) as pfqd reports them. */
PFQ_API pfq_t *pfq_join_pfqd(int gid, const struct pfq_pfqd_opts *opts);

/* A line of a group's log (log_msg, log_buff, log_packet, trace). */
struct pfq_log_line {
	uint64_t seq;        /* 1, 2, ... in the order written */
	uint64_t tstamp_ns;  /* CLOCK_MONOTONIC */
	int ifindex;
	uint32_t len;        /* of the packet */
	char text[200];      /* "log_msg: hello" */
};
/* The last lines of group gid's log (the calling thread's namespace),
 * oldest first; at most 64 are kept and at most 100 written a second.
 * *written and *skipped (may be NULL): lines written since the group began
 * and refused by the rate limit. The count of lines in out (at most max);
 * -EINVAL gid, out NULL with max > 0; -ENOENT no such group; -ENOMEM; said
 * in pfq_error(NULL). */
PFQ_API int pfq_group_log(int gid, struct pfq_log_line *out, int max, uint64_t *written,
			  uint64_t *skipped);

#ifdef __cplusplus
}
#endif

#endif /* PFQ_PFQ_H */
