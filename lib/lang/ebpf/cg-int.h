/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PFQ/lang to eBPF: shared definitions of the code generator.
 *
 * Register convention of the generated code:
 *   r6 = the skb context, r7 = the scratch area (on the program's stack),
 *   r8, r9 = temporaries that survive helper calls, r0-r5 = scratch.
 * All evaluation state lives in the scratch area at fixed offsets: the
 * decision (what the interpreter returns), the decoded packet fields, and a
 * cache of the first bytes of the frame loaded with one helper call.
 */
#ifndef PFQ_LANG_CG_INT_H
#define PFQ_LANG_CG_INT_H

#include "../group-abi.h"
#include "../lang-int.h"
#include "../../bpf/emit.h"
#include "../../bpf/skb.h"

#include <stddef.h>

#define CG_CACHE 128     /* bytes of the frame loaded at once */
#define CG_PAR_DEPTH 6   /* nested par saves */
#define CG_MAX_DEVS 16   /* devices named by forward/bridge/tee/tap/link */
#define CG_MAX_LOGS 8
#define CG_TEMPS 48      /* stack bytes above the scratch area, for helper keys */
/* The largest program we hand to the kernel. The verifier's work grows with
 * the size of our programs (see cg_decode.c, forget()): up to ~20 steps per
 * instruction in the worst programs measured, so this stays well within its
 * 1,000,000 steps and about a second; larger programs (a definition that
 * doubles its argument at each use, xor nested in its second operand) are
 * refused before the kernel sees them. It is also the reach of a jump. */
#define CG_MAX_INSNS 32768

/*
 * The scratch area lives on the program's stack (no map look-up per packet).
 * The decision comes first: the read-back flavour copies that prefix into a
 * map at the end. Group counters are a per-CPU map of their own.
 */
#define CG_DECISION_FIELDS          \
	uint32_t fate;              \
	uint32_t nlogs;             \
	uint64_t class_mask;        \
	uint32_t hash0, hash1;      \
	uint32_t mark, state;       \
	uint32_t kernel, fwd_mask;  \
	uint32_t log_ids[CG_MAX_LOGS];

struct cg_decision {
	CG_DECISION_FIELDS
};

struct cg_scratch {
	CG_DECISION_FIELDS /* first: the read-back copies this prefix */
	/* decoded packet (kernel view) */
	uint32_t L;      /* valid bytes in cache */
	uint32_t len;    /* frame length */
	uint32_t shift;  /* 4 when an inline outer tag was taken out of the cache */
	uint32_t vlan, tci, tpid;
	uint32_t l3_type, l3, ipv, proto, l4, l4ok, frag, later_frag;
	uint32_t src32, dst32, s6b0, d6b0;
	uint32_t tos, ttl, tot_len, ip_id, frag_off, sport, dport;
	uint32_t tmp;    /* destination of loads beyond the cache */
	uint32_t elen;   /* IPv6 extension header length being walked */
	uint8_t cache[CG_CACHE + 8] __attribute__((aligned(8)));
	uint64_t save[CG_PAR_DEPTH][3];
};

_Static_assert(sizeof(struct cg_scratch) + CG_TEMPS <= 512, "scratch area beyond the BPF stack");
_Static_assert(offsetof(struct cg_scratch, L) == sizeof(struct cg_decision), "decision prefix");
#define CG_FRAME ((int)((sizeof(struct cg_scratch) + CG_TEMPS + 7) & ~7u))

#define SC(f) ((int16_t)offsetof(struct cg_scratch, f))
/* the group program keeps the member table pointer here (fp-relative, in
 * the temporaries above the scratch area; helper keys use -8 to -24). The
 * computation writes nothing in the temporaries but a look-up key at -8:
 * a store over part of the spilled pointer makes it a number for the
 * verifier, which then refuses the dispatch's reads through it. */
#define CG_TABLE_SLOT (-32)

struct cg {
	struct emit e;
	const struct pfq_lang_program *prog;
	enum pfq_lang_flavour flavour; /* what the program is for (never INFER) */
	/* the maps as the code names them: the program's own by a handle
	 * (cg.c, MAP_HANDLE + index; made and patched in at load), the
	 * group's by the fd in the group spec; -1: none */
	int out_fd;       /* read-back map of the decision (PFQ_LANG_READBACK) */
	int counters_fd;  /* per-CPU counters (the group's in a group flavour) */
	int rr_fd;        /* round-robin counter map */
	int host_fd;      /* ifindex -> host addresses */
	int *map_fds;     /* per-node maps (bloom tables) */
	int nmaps;
	char devs[CG_MAX_DEVS][16];
	int dev_ifindex[CG_MAX_DEVS];
	int ndevs;
	int par_depth;
	int level;        /* decoding the program needs: 0 none, 2 L2, 3 L3, 4 L4 */
	unsigned fields;  /* CG_F_*: IP header fields the program reads */
	/* decision fields to initialise: all of them when they are read back
	 * or dispatched on; in the filter flavour only those the program reads */
	bool init_class, init_mark, init_state, init_out, init_logs;
	int cache;        /* bytes of the frame loaded at once (<= CG_CACHE) */
	char err[256];
	int (*ifindex_of)(const char *dev, void *user);
	void *user;
	/* the shared group program (NULL: a per-member or plain program) */
	const struct pfq_lang_group_spec *group;
	int vlan_fd;      /* the group's VLAN id bitmap (a handle), -1 if none */
	int tc_not_ours;  /* TC flavour: label for packets of unbound queues */
	bool general_decoding; /* never the LD_ABS fast path */
	/* the fanout flavour: the hook's skb starts at the network header
	 * (not at the MAC header as for a socket filter), so every read of
	 * the frame is made relative to the MAC header */
	bool fanout;      /* flavour == PFQ_LANG_GROUP_FANOUT */
	bool tc;          /* flavour == PFQ_LANG_GROUP_TC */
	bool sticky;      /* fanout flavour (and TC with egress endpoints): steered
			   * flows keep their member */
	bool tc_verdict;  /* TC flavour: the computation decides for the host
			   * stack (else every packet goes on to it) */
	int *node_insns;  /* per node: instructions emitted for it (with its arguments) */
	const struct node *too_large_at; /* what made the program too large, if known */
};

/* emission shorthands */
#define E(i) emit(&cg->e, (i))
#define LDX(reg, f) E(BI_LDX(BPF_W, reg, BPF_REG_7, SC(f)))
#define STX(f, reg) E(BI_STX(BPF_W, BPF_REG_7, reg, SC(f)))
#define STI(f, imm) E(BI_ST(BPF_W, BPF_REG_7, SC(f), imm))

/* cg_decode.c */
/* IP header fields, by group (the catalogue's LF_*): only the groups a
 * program reads are decoded */
#define CG_F_PROTO LF_PROTO
#define CG_F_FRAG LF_FRAG
#define CG_F_ADDR LF_ADDR
#define CG_F_MISC LF_MISC
#define CG_F_PORTS LF_PORTS
#define CG_F_ALL (LF_FLOW | LF_MISC)
int cg_needs(const struct pfq_lang_program *p, unsigned *fields);
void cg_prologue(struct cg *cg, int exit_label);
/* r0 = the n (1..4) bytes at offset r1 (kernel view), big-endian;
 * jumps to absent when they are not in the frame. Clobbers r0-r5. */
void cg_load(struct cg *cg, int size, int absent);
/* the same at a constant offset */
void cg_load_at(struct cg *cg, uint32_t off, int size, int absent);
/* call the helper that copies bytes of the frame: r1 = ctx, r2 = offset
 * from the MAC header, r3 = destination, r4 = length, set by the caller;
 * r0 = 0 or < 0 (relative to the MAC header in the fanout flavour) */
void cg_skb_load(struct cg *cg);
/* copy the frame's first lreg bytes to dreg + doff (r7-r9, r4 = lreg;
 * r0 = 0 or error) */
void cg_frame_copy(struct cg *cg, int dreg, int16_t doff, int lreg);
/* reg = the frame's length from the MAC header; clobbers tmp */
void cg_frame_len(struct cg *cg, int reg, int tmp);
/* r0 = size (1, 2, 4) bytes at constant offset off of the frame with
 * LD_ABS (the caller checked off + size <= the frame's length) */
void cg_ld_abs(struct cg *cg, int size, int32_t off);

/* cg_dispatch.c: r0 = the member table (array of maps, then the table), or
 * jump to none; clobbers r0-r5 */
void cg_member_table(struct cg *cg, int map_fd, int none);
/* cg_dispatch.c: the tail of the group members and fanout flavours and of
 * the member flavour (PFQ_LANG_MEMBER: self and caplen compiled in; 0 in a
 * group flavour, which reads them from cb[]); returns through exit_label */
void cg_dispatch(struct cg *cg, int map_fd, uint32_t self, uint32_t caplen, int exit_label);
/* cg_dispatch.c, TC flavour with egress endpoints: the same decision as the
 * socket flavours, and a clone of the packet out of every egress member it
 * names; falls through. Clobbers r0-r5, r8, r9. */
void cg_dispatch_egress(struct cg *cg);

/* cg.c: r0 = the element of map_fd (map_fd < 0: of the map r0 points to,
 * an inner map) whose 32-bit key is at fp-8: key 0, stored here, unless
 * key_set says the caller put one there. Jumps to none when there is no
 * element (none < 0: the caller tests r0). Clobbers r1-r5. */
void cg_lookup(struct cg *cg, int map_fd, bool key_set, int none);

/* cg_group.c: the shared group program's parts (cg->group set) */
/* before the prologue: binding check (lang/bindings.h), then the leader
 * (members flavour) or the member table's mode (fanout), recv, BPF and
 * VLAN filters; expects r1 = ctx, leaves r1 = r6 = ctx; jumps to reject
 * (answer 0), or in the TC flavour with a packet of no binding to
 * cg->tc_not_ours */
int cg_group_entry(struct cg *cg, int reject);
/* count one packet in a group stat (leader's run only); clobbers r0-r5 */
void cg_group_stat(struct cg *cg, int field);
/* jump to skip unless this run is the leader's; clobbers r2 */
void cg_group_if_not_leader(struct cg *cg, int skip);
/* r2 = directions (enum pfq_dir, 0: any): jump to take when the packet
 * goes the way they take, else exit with r0 = 0 (clobbers r0, r3) */
void cg_group_directions(struct cg *cg, int take, int exit_label);
/* the member takes the packet: direction check, then its caplen */
void cg_group_accept(struct cg *cg, int exit_label);
#define CG_STAT_RECV 0
#define CG_STAT_DROP 1
#define CG_STAT_FRWD 2
#define CG_STAT_KERN 3
#define CG_STAT_DISC 4
/* the TC flavour's answers: tcx's "next" lets the programs after it on the
 * device (another group's, anyone's) see the packet, and is "pass" at the
 * end of the chain; TC_ACT_OK (tcx's pass) would end the chain there */
#define CG_TCX_NEXT (-1)
#define CG_TC_SHOT 2 /* TC_ACT_SHOT: the packet is dropped */
/* the leader's run keeps the packet in the group log when it logged */
void cg_group_log(struct cg *cg);
/* after bpf_clone_redirect: count r0 (0: sent) in frwd or disc, then jump
 * to done; clobbers r0-r5 */
void cg_group_sent(struct cg *cg, int done);
/* the TC flavour's end: forward the copies, answer for the host stack */
void cg_group_tc_tail(struct cg *cg, int exit_label);

/* cg_emitters.c (through the tables of cg_funs.c, cg_preds.c) */
void cg_fun(struct cg *cg, const struct node *n);
void cg_pred(struct cg *cg, const struct node *n, int yes, int no);
/* r0 = property value, or jump to absent */
void cg_prop(struct cg *cg, const struct node *n, int absent);
int cg_error(struct cg *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* every builtin has an emitter of its result type (cg_emitters.c): 0, or -1
 * with err (for the tests) */
int cg_emitters_check(char *err, size_t errlen);

#endif
