/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ABI between the group core (lib/core) and the code generator
 * (lib/lang/ebpf): what a group program reads and writes (the member
 * filter's cb[] words, the group spec with the fds of its maps, the log
 * entry, the member table and the flows), the calls that make and read those
 * maps, and the C reference of the group dispatch. Internal: no application
 * sees it (include/pfq/lang.h has the public calls); the tests and benches
 * include it to drive the group flavours directly.
 */
#ifndef PFQ_LANG_GROUP_ABI_H
#define PFQ_LANG_GROUP_ABI_H

#include <stdbool.h>
#include <stdint.h>

#include <pfq/lang.h>

/* ---- the program of a group shared by its members ----
 *
 * One program serves every member of a group. A member's own socket filter
 * (a few instructions) stores who it is in the packet's control block and
 * tail-calls the group program from a one-slot program array, so changing the
 * computation, filters or bindings replaces one program for all members at
 * once. The program does, in the original order: binding check, group
 * `recv`, BPF filter, VLAN filter, computation, dispatch. Side effects
 * (group stats and counters) are done by the run of the group's leader
 * only, so they happen once per packet whatever the number of members. */
#define PFQ_GROUP_MAX_BINDINGS 32

/* the member filter's words in __sk_buff.cb[] */
enum pfq_group_cb {
	PFQ_CB_MEMBER = 0,  /* member id */
	PFQ_CB_CAPLEN = 1,  /* bytes the member keeps */
	PFQ_CB_DIRS = 2,    /* PFQ_DIR_* the member takes */
	PFQ_CB_LEADER = 3,  /* set by the group program: this run is the leader's */
};

struct pfq_group_binding {
	int32_t ifindex;    /* 0 = every device */
	int32_t queue;      /* PFQ_ANY_QUEUE or a hw queue */
	int32_t raw_queue;  /* the driver records queue n as n (veth), not n + 1 */
};

/* per-CPU group statistics (one element, summed by the reader) */
struct pfq_group_kstats {
	/* frwd: copies sent by forwarding and to egress endpoints; disc: those
	 * the kernel refused (device down, queue full) */
	uint64_t recv, drop, frwd, kern, disc;
};

/* The group log: the last PFQ_GROUP_LOG_SLOTS packets that logged
 * (log_msg, log_buff, log_packet, trace), written by the leader's run at
 * most PFQ_GROUP_LOG_RATE times a second; the text is made again from the
 * packet's first bytes and metadata by the reference interpreter when
 * read (the same text as `pfq-lang run` for a frame of up to
 * PFQ_GROUP_LOG_BYTES; past them it runs on the cut frame). */
#define PFQ_GROUP_LOG_SLOTS 64
#define PFQ_GROUP_LOG_RATE 100
#define PFQ_GROUP_LOG_BYTES 256

struct pfq_group_log_entry {
	uint64_t seq;        /* 1, 2, ...; 0 = empty slot */
	uint64_t tstamp_ns;  /* CLOCK_MONOTONIC */
	uint32_t ifindex, len, caplen, nlogs;
	/* what the computation saw besides the bytes: the outer tag the
	 * kernel took out of the frame (present, TCI, TPID) and the mark */
	uint32_t vlan_present, vlan_tci, vlan_tpid, mark;
	uint32_t node[8];    /* the functions that logged */
	uint8_t data[PFQ_GROUP_LOG_BYTES];
};

struct pfq_group_log_ctl {
	uint64_t next;       /* seq of the next entry - 1 (entries written) */
	uint64_t sec;        /* rate limit: the current second */
	uint64_t count;      /* entries in it */
	uint64_t skipped;    /* entries the rate limit refused */
};

struct pfq_lang_group_spec {
	int members_map_fd;  /* struct pfq_member_table */
	int logs_map_fd;     /* array of PFQ_GROUP_LOG_SLOTS entries, -1/0: none */
	int logctl_map_fd;   /* array of 1 struct pfq_group_log_ctl */
	int stats_map_fd;    /* per-CPU array, 1 x struct pfq_group_kstats */
	int counters_map_fd; /* per-CPU array, 1 x int32_t[PFQ_LANG_COUNTERS] */
	int nbind;           /* 0: the group receives nothing */
	struct pfq_group_binding bind[PFQ_GROUP_MAX_BINDINGS];
	/* classic BPF filter (pcap_compile), NULL = none */
	const void *fprog_insns; /* struct sock_filter[] */
	unsigned fprog_len;
	/* VLAN filter: when on, a packet passes if the bit of its VLAN id is
	 * set in vlan_vids (bit 0: untagged and priority-tagged packets) */
	int vlan_on;
	uint8_t vlan_vids[4096 / 8];
	/* tc and fanout: read only when opts.flavour is PFQ_LANG_FLAVOUR_INFER
	 * (the library passes PFQ_LANG_GROUP_TC, _FANOUT or _MEMBERS).
	 * 1: the TC flavour, a SCHED_CLS program for the ingress of the bound
	 * devices that runs the computation once per packet and executes its
	 * forwarding (copies sent on the target devices, counted in frwd) and
	 * its verdict for the host stack (tcx "next" when `kernel`/`detour` asked
	 * for it, counted in kern; TC_ACT_SHOT otherwise) */
	int tc;
	/* 1: the fanout flavour, the PACKET_FANOUT_EBPF program of the group's
	 * fanout (every member socket and a sink at position 0 are in it). It
	 * runs once per packet, does every side effect itself (stats,
	 * counters, log) and answers the `pos` of the one member that receives
	 * the packet, or 0 (the sink) when none does. It works while the member
	 * table's mode is PFQ_GROUP_MODE_FANOUT, and answers 0 otherwise. */
	int fanout;
	/* fanout flavour: an array of PFQ_FLOW_SLOTS flows (pfq_lang_group_
	 * flows_map_create) that keeps each steered flow with the member that
	 * took its first packet, for as long as that member is in the table and
	 * eligible; -1 or 0: steering without memory (a change of members then
	 * moves flows). Round-robin steering never uses it. */
	int flows_map_fd;
	/* TC flavour: 1 when some member is an egress endpoint (pfq_egress_bind):
	 * the program also runs the dispatch and sends a copy of the packet
	 * out of each egress member's device that the decision names (frwd;
	 * disc when refused). It decides for the host stack only when the
	 * computation does (pfq_lang_needs_tc); otherwise it answers tcx "next"
	 * to every packet. */
	int egress;
};

/* The flows a group remembers (fanout flavour): a flow's tag is its hash
 * xor its class mask (folded to 32 bits, times a large odd constant); the
 * tag picks a bucket of PFQ_FLOW_WAYS ways, and a way holds, in one 64-bit
 * word written at once, the tag in its high half and the member's row + 1
 * in its low half (0: empty). A new flow takes an empty way, or evicts one
 * the tag picks: memory for about as many flows as ways, at the cost of one
 * array look-up (which the verifier inlines) per packet. */
#define PFQ_FLOW_BUCKETS 65536
#define PFQ_FLOW_WAYS 4
/* After the buckets, PFQ_FLOW_NEAR near buckets (16 KiB), the same
 * 4-way layout, picked by other bits of the tag: a copy of the flow's
 * entry, written whenever a packet of the flow goes the long way (through
 * its bucket). A packet whose near way holds its tag and names an eligible
 * row goes there without reading its bucket: the buckets span 512 pages,
 * each flow's in another, and the TLB miss of that read (a nested page
 * walk in a VM) was up to half of the fanout program's time (perf, issue
 * 10); the near buckets span 4 pages. A near way only ever repeats the
 * flow's last answer from its bucket, so a flow keeps its member as
 * before, and for longer when its near way outlives its bucket entry. */
#define PFQ_FLOW_NEAR 512
#define PFQ_FLOW_ENTRIES (PFQ_FLOW_BUCKETS + PFQ_FLOW_NEAR)

struct pfq_flow_bucket {
	uint64_t way[PFQ_FLOW_WAYS];
};

/* What a program can decide (over-approximated: what is not reported
 * cannot happen): a copy to every eligible member, a double steer, and the
 * class bits its decisions may carry (PFQ_CLASS_ANY when it broadcasts). */
struct pfq_lang_fates {
	bool may_copy;
	bool may_double;
	uint64_t classes;
	bool may_steer;   /* a steer or steer-to (to one member) */
};
int pfq_lang_fates(const pfq_lang_program *prog, struct pfq_lang_fates *out);

/* Does the program forward packets or decide for the host stack (forward,
 * bridge, tee, tap, link, kernel, detour and their _if forms)? */
int pfq_lang_needs_tc(const pfq_lang_program *prog);

/* Create the maps a group spec names (-errno on failure). */
int pfq_lang_group_stats_map_create(void);
int pfq_lang_group_flows_map_create(void);
int pfq_lang_group_counters_map_create(void);
int pfq_lang_group_logs_map_create(void);
int pfq_lang_group_logctl_map_create(void);
/* Sum the per-CPU values of those maps. */
int pfq_lang_group_stats_read(int map_fd, struct pfq_group_kstats *out);
int pfq_lang_group_counters_read(int map_fd, int64_t out[PFQ_LANG_COUNTERS]);

/* ---- group dispatch ---- */
#define PFQ_MAX_MEMBERS 64

struct pfq_member {
	uint64_t class_mask; /* classes the member joined with */
	uint32_t id;         /* member (socket) id */
	uint32_t weight;     /* 1..16: share of steered traffic */
	uint32_t pos;        /* fanout mode: the fanout program's answer that
			      * reaches this member's socket */
	uint32_t dirs;       /* fanout mode: PFQ_DIR_* the member takes (0: both) */
	/* an egress endpoint: the device its packets are sent out of (0: a
	 * socket endpoint) and queue_mapping to give them (hw TX queue + 1;
	 * 0: the kernel's choice). Its pos is 0: the fanout never hands the
	 * packet to its socket; the group's TC program sends it. */
	int32_t egress_ifindex;
	uint32_t egress_qmap;
};

/* Which path delivers a group's packets. */
enum pfq_group_mode {
	/* one program per member's socket (tail-called from the member's own
	 * filter): every member evaluates; copies to several members work */
	PFQ_GROUP_MODE_MEMBERS = 0,
	/* the group's fanout program evaluates once per packet and hands it
	 * to the one member's socket: only while no packet can go to more
	 * than one member */
	PFQ_GROUP_MODE_FANOUT = 1,
};

/* The members of a group, in dispatch order. */
struct pfq_member_table {
	uint32_t n;          /* rows; a row whose id is 0 is no member */
	uint32_t leader;     /* id of the member that performs side effects */
	uint32_t mode;       /* enum pfq_group_mode */
	uint32_t gen;        /* changes with every change of the rows */
	struct pfq_member m[PFQ_MAX_MEMBERS];
	/* the members' rows in order (steer_to n is member order[n]); filled
	 * by the update calls from the rows */
	uint32_t nmembers;
	uint8_t order[PFQ_MAX_MEMBERS];
};

/* The map holding a group's member table: a one-slot array of maps whose
 * inner map holds the table; an update swaps in a new inner map, so the
 * whole table changes at once (never a torn table). */
int pfq_lang_members_map_create(void);
int pfq_lang_members_map_update(int map_fd, const struct pfq_member_table *t);
/* The same without making a map (which needs CAP_BPF): table_fd is one of
 * a few tables made beforehand (pfq_lang_member_table_create), used in
 * turn; it is written, then swapped in. A table must not be written again
 * while a program may still read it: after the next swap, not before. */
int pfq_lang_member_table_create(void);
int pfq_lang_members_map_set(int map_fd, int table_fd, const struct pfq_member_table *t);
/* Reference dispatch: 1 when member id receives a packet with decision d
 * in its socket (never an egress endpoint's, which the TC program sends).
 * Copy: every eligible member (class in the mask); steer: the entry
 * fold(mix(hash), W) of the list where each eligible member appears
 * weight times; double steer: either hash; steer-to n: member n. */
int pfq_lang_dispatch(const struct pfq_lang_decision *d,
		      const struct pfq_member_table *t, uint32_t id);

/* Reference dispatch of the fanout flavour (one receiver): the row of the
 * member that receives a packet with decision d, or -1. Copy: the first
 * eligible member that is not an egress endpoint; steer and double steer: the member hash[0] picks;
 * steer-to n: member n (the n-th row that has a member) when eligible. */
int pfq_lang_dispatch_one(const struct pfq_lang_decision *d,
			  const struct pfq_member_table *t);

/* The original dispatch hash: mix a steering hash, then fold it to n. */
uint32_t pfq_lang_hash_mix(uint32_t h);
uint32_t pfq_lang_fold(uint32_t h, uint32_t n);

#endif
