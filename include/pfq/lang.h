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
struct pfq_lang_group_spec; /* internal: lib/lang/group-abi.h */

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

#ifdef __cplusplus
}
#endif

#endif
