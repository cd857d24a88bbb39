/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PFQ/lang: parse and type-check a computation, and run it over a frame with
 * the reference interpreter (the oracle every compiled back end must match).
 */
#ifndef PFQ_LANG_H
#define PFQ_LANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pfq/pfq.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PFQ_LANG_COUNTERS 64
#define PFQ_LANG_MAX_FWD 16
#define PFQ_LANG_MAX_LOGS 8
#define PFQ_LANG_LOG_LEN 160

typedef struct pfq_lang_program pfq_lang_program;

/* A diagnostic: where, and what. */
struct pfq_lang_diag {
	int line, col;      /* 1-based; 0 when not tied to a place */
	char msg[512];      /* "expected ..., found ...", "did you mean ..." */
	char warnings[512]; /* non-fatal notes (unknown import, ...) */
};

enum pfq_fate {
	PFQ_FATE_DROP = 0,
	PFQ_FATE_COPY = 1,
	PFQ_FATE_STEER = 2,        /* hash[0] */
	PFQ_FATE_DOUBLE_STEER = 3, /* hash[0], hash[1] */
	PFQ_FATE_STEER_TO = 4,     /* member index hash[0] */
};

/* Per-packet data that is not in the frame. */
struct pfq_lang_meta {
	bool vlan_present; /* the outer tag was stripped and is here */
	uint16_t vlan_tci;
	uint16_t vlan_tpid;
	uint32_t mark;     /* packet mark on entry */
	uint32_t rxhash;   /* receive hash (steer_rss) */
	uint32_t rrobin;   /* round-robin counter value (steer_rrobin) */
	const char *ifname;         /* device the packet came in on (link) */
	const uint32_t *host_addrs; /* IPv4 addresses of that device, network order */
	size_t n_host_addrs;
};

struct pfq_lang_decision {
	enum pfq_fate fate;
	uint64_t class_mask;
	uint32_t hash[2];
	uint32_t mark;
	uint32_t state;
	bool to_kernel;
	int nfwd;
	char fwd[PFQ_LANG_MAX_FWD][16]; /* devices to forward a copy to */
	int32_t counters[PFQ_LANG_COUNTERS]; /* deltas */
	int nlogs;
	char logs[PFQ_LANG_MAX_LOGS][PFQ_LANG_LOG_LEN];
	int log_ids[PFQ_LANG_MAX_LOGS]; /* the function (node) that logged */
};

/*
 * Errors, as in pfq.h: an int call returns a negative errno and sets errno;
 * a call that makes an object returns NULL and sets errno. The text is in
 * the struct pfq_lang_diag given (may be NULL).
 */

/* Parse and type-check src. The program (pfq_lang_free it), or NULL with
 * diag filled and errno EINVAL (malformed or ill-typed, "line:col"), E2BIG
 * (over 1 MiB), ENOMEM. */
PFQ_API pfq_lang_program *pfq_lang_compile(const char *src, struct pfq_lang_diag *diag);
/* The same from a file: also the errno of reading it (ENOENT, EISDIR,
 * EINVAL empty or not text, E2BIG). */
PFQ_API pfq_lang_program *pfq_lang_compile_file(const char *path, struct pfq_lang_diag *diag);
/* Free a program (NULL: nothing). */
PFQ_API void pfq_lang_free(pfq_lang_program *prog);
/* Print the typed program (one node per line, with types). */
PFQ_API void pfq_lang_dump(const pfq_lang_program *prog, FILE *out);
/* Run over a frame (from the MAC header) with the reference interpreter;
 * meta may be NULL. 0 with *out the decision; -EINVAL prog or out NULL,
 * frame NULL with len > 0; -ENOMEM. */
PFQ_API int pfq_lang_run(const pfq_lang_program *prog, const uint8_t *frame,
			 size_t len, const struct pfq_lang_meta *meta,
			 struct pfq_lang_decision *out);
/* Print a decision on one line ("steer hash=0x... class={0} ..."). */
PFQ_API void pfq_lang_decision_print(const struct pfq_lang_decision *d, FILE *out);
/* Names of every function of the catalogue, NULL-terminated. */
PFQ_API const char *const *pfq_lang_functions(void);
/* ---- eBPF back end ---- */
typedef struct pfq_lang_bpf pfq_lang_bpf;
struct pfq_lang_group_spec;

/* What a compiled program is for. */
enum pfq_lang_flavour {
	PFQ_LANG_FLAVOUR_INFER = 0, /* from the fields below (group spec, members_map_fd,
				     * filter_only), as before flavours had names */
	PFQ_LANG_READBACK,     /* a socket filter whose decision pfq_lang_bpf_test_run
				* reads back (tests, tools) */
	PFQ_LANG_FILTER,       /* a socket filter: the packet, or nothing when dropped */
	PFQ_LANG_MEMBER,       /* one member's socket filter, its id compiled in
				* (members_map_fd, member_id, caplen) */
	PFQ_LANG_GROUP_MEMBERS, /* the group program every member's filter tail-calls
				 * (group spec; members mode) */
	PFQ_LANG_GROUP_FANOUT, /* the group's fanout program (group spec) */
	PFQ_LANG_GROUP_TC,     /* the group's TC program (group spec) */
};

struct pfq_lang_bpf_opts {
	/* sizeof(struct pfq_lang_bpf_opts) as the caller knows it (required):
	 * fields past it read as 0, so that a program built against an older
	 * header keeps working; fields this library does not know must be 0 */
	size_t sz;
	/* resolve a forwarding device to an ifindex (NULL: the calling thread's
	 * network namespace); return <= 0 when it does not exist */
	int (*ifindex_of)(const char *dev, void *user);
	void *user;
	char *log;       /* verifier log on failure */
	size_t log_size;
	/* 1: the filter flavour, which returns pass (fate not drop) or 0 and
	 * keeps no decision for pfq_lang_bpf_test_run to read back */
	int filter_only;
	/* group flavour (members_map_fd > 0): after the computation, dispatch
	 * to the group's members as the original did, and return caplen when
	 * member_id receives the packet, 0 otherwise */
	int members_map_fd;
	uint32_t member_id;
	uint32_t caplen;
	/* the shared group program (when set, members_map_fd and member_id
	 * are ignored): see struct pfq_lang_group_spec */
	const struct pfq_lang_group_spec *group;
	/* 1: always decode with one bpf_skb_load_bytes, never the LD_ABS fast
	 * path of IP-field-free programs (for measurements) */
	int general_decoding;
	/* what the program is for (PFQ_LANG_FLAVOUR_INFER: from the fields
	 * above); the group flavours need group, PFQ_LANG_MEMBER
	 * members_map_fd */
	enum pfq_lang_flavour flavour;
};

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
	uint64_t recv, drop, frwd, kern;
};

/* The group log: the last PFQ_GROUP_LOG_SLOTS packets that logged
 * (log_msg, log_buff, log_packet, trace), written by the leader's run at
 * most PFQ_GROUP_LOG_RATE times a second; the text is made again from the
 * packet's first bytes by the reference interpreter when read. */
#define PFQ_GROUP_LOG_SLOTS 64
#define PFQ_GROUP_LOG_RATE 100
#define PFQ_GROUP_LOG_BYTES 128

struct pfq_group_log_entry {
	uint64_t seq;        /* 1, 2, ...; 0 = empty slot */
	uint64_t tstamp_ns;  /* CLOCK_MONOTONIC */
	uint32_t ifindex, len, caplen, nlogs;
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
	/* 1: the TC flavour, a SCHED_CLS program for the ingress of the bound
	 * devices that runs the computation once per packet and executes its
	 * forwarding (copies sent on the target devices, counted in frwd) and
	 * its verdict for the host stack (TC_ACT_OK when `kernel`/`detour` asked
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

struct pfq_flow_bucket {
	uint64_t way[PFQ_FLOW_WAYS];
};

/* ---- the classic BPF back end ----
 *
 * A computation that only filters (every function passes or drops the
 * packet: no classes, steering, state, counters, logs, forwarding; and no
 * VoIP/GTP heuristics, blooms or host addresses, which classic BPF cannot
 * read) also compiles to classic BPF, the program format of
 * SO_ATTACH_FILTER and of pcap. The kernel inlines the packet loads of
 * classic socket filters (an eBPF socket filter pays a helper call for
 * each), so the same filtering costs what a pcap filter costs. The program
 * answers `accept` for a packet the computation passes and 0 for one it
 * drops, deciding exactly as the interpreter does. On success out->filter
 * is malloc'ed (free it) and 0 is returned; -EOPNOTSUPP with diag->msg
 * naming the function that needs a group, -E2BIG when the program would
 * exceed 4096 instructions, -EINVAL on NULL arguments (errno set too). */
PFQ_API int pfq_lang_classic_compile(const pfq_lang_program *prog, uint32_t accept,
				     struct sock_fprog *out, struct pfq_lang_diag *diag);

/* What a program can decide (over-approximated: what is not reported
 * cannot happen): a copy to every eligible member, a double steer, and the
 * class bits its decisions may carry (PFQ_CLASS_ANY when it broadcasts). */
struct pfq_lang_fates {
	bool may_copy;
	bool may_double;
	uint64_t classes;
};
/* What prog can decide, in *out. 0; -EINVAL NULL argument. */
PFQ_API int pfq_lang_fates(const pfq_lang_program *prog, struct pfq_lang_fates *out);

/* Does the program forward packets or decide for the host stack (forward,
 * bridge, tee, tap, link, kernel, detour and their _if forms)? 1 or 0 (0
 * for NULL). */
PFQ_API int pfq_lang_needs_tc(const pfq_lang_program *prog);

/* Create the maps a group spec names (-errno on failure). */
PFQ_API int pfq_lang_group_stats_map_create(void);
PFQ_API int pfq_lang_group_flows_map_create(void);
PFQ_API int pfq_lang_group_counters_map_create(void);
PFQ_API int pfq_lang_group_logs_map_create(void);
PFQ_API int pfq_lang_group_logctl_map_create(void);
/* Sum the per-CPU values of those maps. */
PFQ_API int pfq_lang_group_stats_read(int map_fd, struct pfq_group_kstats *out);
PFQ_API int pfq_lang_group_counters_read(int map_fd, int64_t out[PFQ_LANG_COUNTERS]);

/* ---- group dispatch ---- */
#define PFQ_MAX_MEMBERS 64

struct pfq_member {
	uint64_t class_mask; /* classes the member joined with */
	uint32_t id;         /* member (socket) id */
	uint32_t weight;     /* 1..16: share of steered traffic */
	uint32_t pos;        /* fanout mode: the fanout program's answer that
			      * reaches this member's socket */
	uint32_t dirs;       /* fanout mode: PFQ_DIR_* the member takes (0: both) */
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
PFQ_API int pfq_lang_members_map_create(void);
PFQ_API int pfq_lang_members_map_update(int map_fd, const struct pfq_member_table *t);
/* The same without making a map (which needs CAP_BPF): table_fd is one of
 * a few tables made beforehand (pfq_lang_member_table_create), used in
 * turn; it is written, then swapped in. A table must not be written again
 * while a program may still read it: after the next swap, not before. */
PFQ_API int pfq_lang_member_table_create(void);
PFQ_API int pfq_lang_members_map_set(int map_fd, int table_fd, const struct pfq_member_table *t);
/* Reference dispatch: 1 when member id receives a packet with decision d.
 * Copy: every eligible member (class in the mask); steer: the entry
 * fold(mix(hash), W) of the list where each eligible member appears
 * weight times; double steer: either hash; steer-to n: member n. */
PFQ_API int pfq_lang_dispatch(const struct pfq_lang_decision *d,
			      const struct pfq_member_table *t, uint32_t id);

/* Compile only: the code (pfq_lang_bpf_dump, pfq_lang_bpf_insn_count), its
 * maps named but not made; no kernel object, no privilege needed. The
 * program (pfq_lang_bpf_free it), or NULL with diag filled and errno
 * EINVAL (prog NULL, opts.sz 0 or too small, a flavour without what it
 * needs, a function the flavour cannot do), E2BIG (a field of opts this
 * library does not know is set; code too large), ENOMEM. */
PFQ_API pfq_lang_bpf *pfq_lang_bpf_compile(const pfq_lang_program *prog,
					   const struct pfq_lang_bpf_opts *opts,
					   struct pfq_lang_diag *diag);
/* Compile, make the maps and load (the kernel verifies and JIT-compiles
 * the program; opts->log gets the verifier's log on refusal). As
 * pfq_lang_bpf_compile, and errno of the kernel (EPERM no privilege,
 * EACCES/EINVAL refused: diag says so). */
PFQ_API pfq_lang_bpf *pfq_lang_bpf_load(const pfq_lang_program *prog,
					const struct pfq_lang_bpf_opts *opts,
					struct pfq_lang_diag *diag);
/* Close the program's kernel objects and free it (NULL: nothing). */
PFQ_API void pfq_lang_bpf_free(pfq_lang_bpf *b);
/* The loaded program's fd (-1 when only compiled); -EINVAL b NULL. */
PFQ_API int pfq_lang_bpf_prog_fd(const pfq_lang_bpf *b);
/* The number of eBPF instructions; -EINVAL b NULL. */
PFQ_API int pfq_lang_bpf_insn_count(const pfq_lang_bpf *b);
/* Print the generated instructions. */
PFQ_API void pfq_lang_bpf_dump(const pfq_lang_bpf *b, FILE *out);
/* IPv4 addresses (network order) of device ifindex, for ip_host. 0;
 * -EINVAL; -E2BIG more than 16; the kernel's error. */
PFQ_API int pfq_lang_bpf_set_host_addrs(pfq_lang_bpf *b, int ifindex,
					const uint32_t *addrs, size_t n);
/* Run the loaded program over a frame with BPF_PROG_TEST_RUN and read its
 * decision back. repeat > 1 measures: *ns_per_run gets the kernel's time.
 * 0; -EINVAL; -ENOTSUP a flavour that keeps no decision (out not NULL);
 * -ENOMEM; the kernel's error. */
PFQ_API int pfq_lang_bpf_test_run(pfq_lang_bpf *b, const uint8_t *frame, size_t len,
				  uint32_t mark, int repeat, struct pfq_lang_decision *out,
				  uint32_t *ns_per_run);
/* Run once and give the program's return value (the socket filter's
 * answer: bytes to keep, 0 = not for this socket). 0; -EINVAL; -ENOMEM;
 * the kernel's error. */
PFQ_API int pfq_lang_bpf_test_verdict(pfq_lang_bpf *b, const uint8_t *frame, size_t len,
				      uint32_t mark, uint32_t *retval);
/* The value steer_rrobin gives the next packet (0 when it cannot be read). */
PFQ_API uint32_t pfq_lang_bpf_rrobin(const pfq_lang_bpf *b);

/* Reference dispatch of the fanout flavour (one receiver): the row of the
 * member that receives a packet with decision d, or -1. Copy: the first
 * eligible member; steer and double steer: the member hash[0] picks;
 * steer-to n: member n (the n-th row that has a member) when eligible. */
PFQ_API int pfq_lang_dispatch_one(const struct pfq_lang_decision *d,
				  const struct pfq_member_table *t);

/* The original dispatch hash: mix a steering hash, then fold it to n. */
PFQ_API uint32_t pfq_lang_hash_mix(uint32_t h);
PFQ_API uint32_t pfq_lang_fold(uint32_t h, uint32_t n);

#ifdef __cplusplus
}
#endif

#endif
