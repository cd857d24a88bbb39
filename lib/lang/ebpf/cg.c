/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PFQ/lang eBPF back end, socket-filter flavour: maps, code generation,
 * loading, and BPF_PROG_TEST_RUN with the decision read back.
 */
#include "cg-int.h"
#include "../../bpf/disasm.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A map the program uses, made when it is loaded (not when it is compiled:
 * compiling makes no kernel object and needs no privilege). Until then the
 * code and the fields below name it by a handle, MAP_HANDLE + its index. */
#define MAP_HANDLE 0x7f000000
#define MAX_SPECS 512
struct map_spec {
	enum bpf_map_type type;
	const char *name;
	uint32_t value_size, max_entries;
	const void *init; /* the value of key 0, or NULL */
	int fd;
};

struct pfq_lang_bpf {
	int prog_fd;
	/* handles until loaded, then fds (-1: none) */
	int out_fd, counters_fd, rr_fd, host_fd, vlan_fd;
	int *map_fds;
	int nmaps;
	struct map_spec *specs;
	int nspecs;
	bool bound;
	struct bpf_insn *insns;
	int ninsns;
	char devs[CG_MAX_DEVS][16];
	int ndevs;
	bool fanout;   /* the hook's skb starts at the network header */
	bool tc;       /* a TC program (else a socket filter) */
};

struct host_addrs {
	uint32_t n;
	uint32_t addrs[16];
};

static int default_ifindex(const char *dev, void *user)
{
	(void)user;
	return (int)if_nametoindex(dev);
}

/* does a function of p have any of the facts fx */
static bool uses(const pfq_lang_program *p, unsigned fx)
{
	for (int i = 0; i < p->nnodes; i++)
		if (pfq_builtins[p->nodes[i]->fid].fx & fx)
			return true;
	return false;
}

/* which decision fields the prologue must initialise */
static void decision_needs(struct cg *cg, bool all)
{
	cg->init_class = all;
	cg->init_out = all;
	cg->init_mark = all || uses(cg->prog, FX_MARK);
	cg->init_state = all || uses(cg->prog, FX_STATE);
	cg->init_logs = all || uses(cg->prog, FX_LOG);
}

/* a map of the program, made at load: its handle, or -1 */
static int declare(struct cg *cg, struct pfq_lang_bpf *b, enum bpf_map_type type, const char *name,
		   uint32_t value_size, uint32_t max_entries, const void *init)
{
	struct map_spec *v;

	if (b->nspecs == MAX_SPECS)
		return cg_error(cg, "more than %d maps", MAX_SPECS);
	v = realloc(b->specs, (size_t)(b->nspecs + 1) * sizeof(*v));
	if (!v)
		return cg_error(cg, "out of memory");
	b->specs = v;
	v[b->nspecs] = (struct map_spec){ type, name, value_size, max_entries, init, -1 };
	return MAP_HANDLE + b->nspecs++;
}

/* the maps the program needs (declared: made when it is loaded) */
static int declare_maps(struct cg *cg, struct pfq_lang_bpf *b)
{
	const pfq_lang_program *p = cg->prog;

	if (cg->flavour == PFQ_LANG_READBACK &&
	    (b->out_fd = declare(cg, b, BPF_MAP_TYPE_ARRAY, "pfq_decision",
				 sizeof(struct cg_decision), 1, NULL)) < 0)
		return -1;
	b->counters_fd = declare(cg, b, BPF_MAP_TYPE_PERCPU_ARRAY, "pfq_counters",
				 4 * PFQ_LANG_COUNTERS, 1, NULL);
	b->rr_fd = declare(cg, b, BPF_MAP_TYPE_ARRAY, "pfq_rrobin", 4, 1, NULL);
	b->host_fd = declare(cg, b, BPF_MAP_TYPE_HASH, "pfq_hosts", sizeof(struct host_addrs),
			     256, NULL);
	if (b->counters_fd < 0 || b->rr_fd < 0 || b->host_fd < 0)
		return -1;
	b->map_fds = calloc((size_t)p->nnodes + 1, sizeof(int));
	if (!b->map_fds)
		return cg_error(cg, "out of memory");
	b->nmaps = p->nnodes;
	for (int i = 0; i < p->nnodes; i++) {
		const struct bloom *bl = p->nodes[i]->extra;

		b->map_fds[i] = -1;
		if (bl && (b->map_fds[i] = declare(cg, b, BPF_MAP_TYPE_ARRAY, "pfq_bloom",
						   bl->mbits / 8, 1, bl->bits)) < 0)
			return -1;
	}
	if (cg->group && cg->group->vlan_on &&
	    (b->vlan_fd = declare(cg, b, BPF_MAP_TYPE_ARRAY, "pfq_vlans",
				  sizeof(cg->group->vlan_vids), 1, cg->group->vlan_vids)) < 0)
		return -1;
	cg->vlan_fd = b->vlan_fd;
	cg->out_fd = b->out_fd;
	/* a group's counters outlive its programs: they are the group's map */
	cg->counters_fd = cg->group ? cg->group->counters_map_fd : b->counters_fd;
	cg->rr_fd = b->rr_fd;
	cg->host_fd = b->host_fd;
	cg->map_fds = b->map_fds;
	cg->nmaps = b->nmaps;
	return 0;
}

/* the fd of a handle (after bind_maps), or the value itself */
static int fd_of(const struct pfq_lang_bpf *b, int h)
{
	return h >= MAP_HANDLE && h < MAP_HANDLE + b->nspecs ? b->specs[h - MAP_HANDLE].fd : h;
}

/* the name of a handle in a listing, or NULL for a real fd */
static const char *handle_name(int32_t imm, void *user)
{
	const struct pfq_lang_bpf *b = user;

	return imm >= MAP_HANDLE && imm < MAP_HANDLE + b->nspecs ? b->specs[imm - MAP_HANDLE].name :
								   NULL;
}

/* Make the maps; insns (a copy of the program) get their fds. */
static int bind_maps(struct pfq_lang_bpf *b, struct bpf_insn *insns, int n, char *err,
		     size_t errlen)
{
	for (int i = 0; i < b->nspecs; i++) {
		struct map_spec *m = &b->specs[i];
		uint32_t key = 0;

		m->fd = bpf_map_create(m->type, m->name, 4, m->value_size, m->max_entries, NULL);
		if (m->fd < 0 || (m->init && bpf_map_update_elem(m->fd, &key, m->init, 0) < 0)) {
			snprintf(err, errlen, "cannot create the BPF map %s: %s", m->name,
				 strerror(errno));
			return -1;
		}
	}
	for (int i = 0; i + 1 < n; i++) {
		if (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM)) {
			if (insns[i].src_reg == BPF_PSEUDO_MAP_FD)
				insns[i].imm = fd_of(b, insns[i].imm);
			i++;
		}
	}
	b->out_fd = fd_of(b, b->out_fd);
	b->counters_fd = fd_of(b, b->counters_fd);
	b->rr_fd = fd_of(b, b->rr_fd);
	b->host_fd = fd_of(b, b->host_fd);
	b->vlan_fd = fd_of(b, b->vlan_fd);
	for (int i = 0; i < b->nmaps; i++)
		b->map_fds[i] = fd_of(b, b->map_fds[i]);
	b->bound = true;
	return 0;
}

/* Name the part of the program that makes it too large: what the code
 * generator found (xor compiles its second operand twice), or else, from
 * main down, the deepest function with three quarters of the code. */
static void too_large(struct cg *cg)
{
	const struct node *n = cg->prog->main;
	long total = cg->node_insns[n->id];

	if (cg->e.oom && cg->e.n < cg->e.limit) {
		cg_error(cg, "out of memory");
		return;
	}
	for (bool deeper = !cg->too_large_at; deeper;) {
		deeper = false;
		for (int i = 0; i < n->nargs; i++) {
			const struct node *c = n->args[i].fn;

			if (c && (long)cg->node_insns[c->id] * 4 >= total * 3) {
				n = c;
				deeper = true;
				break;
			}
		}
	}
	if (cg->too_large_at)
		n = cg->too_large_at;
	cg_error(cg, "program too large for the kernel's verifier: more than %d instructions, "
		 "most of them for '%s' at line %d col %d", CG_MAX_INSNS,
		 pfq_builtins[n->fid].name, n->line, n->col);
}

void pfq_lang_bpf_free(pfq_lang_bpf *b)
{
	if (!b)
		return;
	if (b->prog_fd >= 0)
		close(b->prog_fd);
	for (int i = 0; i < b->nspecs; i++)
		if (b->specs[i].fd >= 0)
			close(b->specs[i].fd);
	free(b->specs);
	free(b->map_fds);
	free(b->insns);
	free(b);
}

/*
 * The caller's options as this library knows them (as libbpf takes its
 * opts): a caller built against an older header passes a smaller sz, and
 * the fields it does not have read as 0; a newer one a larger sz, whose
 * fields unknown here must be 0, since they cannot be honoured. NULL: all 0.
 */
static bool opts_take(const struct pfq_lang_bpf_opts *in, struct pfq_lang_bpf_opts *out,
		      struct pfq_lang_diag *diag)
{
	int rc;

	if (!in) {
		memset(out, 0, sizeof(*out));
		return true;
	}
	rc = pfq_opts_take(in, out, sizeof(*out), offsetof(struct pfq_lang_bpf_opts, ifindex_of));
	if (rc == -EINVAL)
		diag_set(diag, 0, 0, "opts.sz is %zu: set it to sizeof(struct pfq_lang_bpf_opts)",
			 in->sz);
	else if (rc < 0)
		diag_set(diag, 0, 0, "opts: a field this library does not know is set "
			 "(opts.sz %zu, known %zu)", in->sz, sizeof(*out));
	if (rc < 0)
		errno = -rc;
	return rc == 0;
}

/* what the program is for: opts->flavour, or as the fields say; -1 (diag
 * set) when the fields it needs are missing */
static int flavour_of(const struct pfq_lang_bpf_opts *o, struct pfq_lang_diag *diag)
{
	enum pfq_lang_flavour f = o->flavour;

	if (f == PFQ_LANG_FLAVOUR_INFER)
		f = o->group ? (o->group->tc ? PFQ_LANG_GROUP_TC :
				o->group->fanout ? PFQ_LANG_GROUP_FANOUT : PFQ_LANG_GROUP_MEMBERS) :
		    o->members_map_fd > 0 ? PFQ_LANG_MEMBER :
		    o->filter_only ? PFQ_LANG_FILTER : PFQ_LANG_READBACK;
	switch (f) {
	case PFQ_LANG_READBACK:
	case PFQ_LANG_FILTER:
		return f;
	case PFQ_LANG_MEMBER:
		if (o->members_map_fd > 0)
			return f;
		diag_set(diag, 0, 0, "the member flavour needs opts.members_map_fd");
		return -1;
	case PFQ_LANG_GROUP_MEMBERS:
	case PFQ_LANG_GROUP_FANOUT:
	case PFQ_LANG_GROUP_TC:
		if (o->group)
			return f;
		diag_set(diag, 0, 0, "a group flavour needs opts.group");
		return -1;
	default:
		diag_set(diag, 0, 0, "opts.flavour %d: no such flavour", (int)f);
		return -1;
	}
}

/* the program's code, with map handles: no kernel object is made */
static pfq_lang_bpf *compile(const pfq_lang_program *prog,
			     const struct pfq_lang_bpf_opts *caller_opts,
			     struct pfq_lang_diag *diag)
{
	struct pfq_lang_diag local;
	struct pfq_lang_bpf_opts taken;
	const struct pfq_lang_bpf_opts *opts = &taken;
	struct pfq_lang_bpf *b;
	struct cg *cg;
	const struct pfq_lang_group_spec *group;
	int exit_l, reject = -1, flavour;

	if (!diag)
		diag = &local;
	memset(diag, 0, sizeof(*diag));
	if (!opts_take(caller_opts, &taken, diag))
		return NULL;
	flavour = flavour_of(opts, diag);
	if (flavour < 0) {
		errno = EINVAL;
		return NULL;
	}
	/* the group spec belongs to the group flavours */
	group = flavour >= PFQ_LANG_GROUP_MEMBERS ? opts->group : NULL;
	b = calloc(1, sizeof(*b));
	cg = calloc(1, sizeof(*cg));
	if (!b || !cg || !prog) {
		free(b);
		free(cg);
		diag_set(diag, 0, 0, prog ? "out of memory" : "no program");
		errno = prog ? ENOMEM : EINVAL;
		return NULL;
	}
	b->prog_fd = b->out_fd = b->counters_fd = b->rr_fd = b->host_fd = b->vlan_fd = -1;
	cg->flavour = (enum pfq_lang_flavour)flavour;
	cg->group = group;
	cg->fanout = flavour == PFQ_LANG_GROUP_FANOUT;
	cg->tc = flavour == PFQ_LANG_GROUP_TC;
	/* a flow keeps its member across membership changes; round robin
	 * steers packets, not flows, and has nothing to keep */
	cg->sticky = (cg->fanout || (cg->tc && group->egress)) && group->flows_map_fd > 0 &&
		     !uses(prog, FX_PER_PACKET);
	cg->tc_verdict = cg->tc && uses(prog, FX_TC);
	if (cg->tc && group->egress && uses(prog, FX_PER_PACKET)) {
		/* the fanout and TC programs would count apart: a packet could
		 * reach a reader and an endpoint, or neither */
		diag_set(diag, 0, 0, "round-robin steering (steer_rrobin) cannot serve egress "
			 "endpoints: use a steering by flow");
		free(b);
		free(cg);
		errno = EINVAL;
		return NULL;
	}
	cg->general_decoding = opts->general_decoding;
	cg->out_fd = -1;
	cg->prog = prog;
	cg->ifindex_of = opts->ifindex_of ? opts->ifindex_of : default_ifindex;
	cg->user = opts->user;
	cg->level = cg_needs(prog, &cg->fields);
	/* the read-back and group flavours use the whole decision */
	decision_needs(cg, flavour != PFQ_LANG_FILTER);
	/* enough for the usual headers at that depth; deeper reads take the
	 * slower path through the skb */
	cg->cache = cg->level <= 2 ? 48 : cg->level == 3 ? 80 : CG_CACHE;
	emit_init(&cg->e);
	cg->e.limit = CG_MAX_INSNS + 1; /* one more: too large, and no need to go on */
	cg->node_insns = calloc((size_t)prog->nnodes + 1, sizeof(int));
	if (!cg->node_insns || declare_maps(cg, b) < 0)
		goto fail;
	exit_l = emit_label(&cg->e);
	if (group) {
		reject = emit_label(&cg->e);
		cg->tc_not_ours = emit_label(&cg->e);
		if (cg_group_entry(cg, reject) < 0)
			goto fail;
	}
	cg_prologue(cg, exit_l);
	cg_fun(cg, prog->main);
	if (b->out_fd >= 0) {
		/* read-back flavour: copy the decision out for the caller */
		int skip = emit_label(&cg->e);

		cg_lookup(cg, b->out_fd, false, skip);
		for (int off = 0; off < (int)sizeof(struct cg_decision); off += 8) {
			E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_7, (int16_t)off));
			E(BI_STX(BPF_DW, BPF_REG_0, BPF_REG_2, (int16_t)off));
		}
		emit_bind(&cg->e, skip);
	}
	if (cg->tc) {
		if (group->egress)
			cg_dispatch_egress(cg);
		cg_group_tc_tail(cg, exit_l);
		/* refused by the group's filters: the group takes it from the
		 * stack as the original did (when its computation decides for
		 * the stack at all); another queue's: not ours */
		emit_bind(&cg->e, reject);
		E(BI_MOV_IMM(BPF_REG_0, cg->tc_verdict ? CG_TC_SHOT : CG_TCX_NEXT));
		emit_ja(&cg->e, exit_l);
		emit_bind(&cg->e, cg->tc_not_ours);
		E(BI_MOV_IMM(BPF_REG_0, CG_TCX_NEXT));
		emit_ja(&cg->e, exit_l);
	} else if (group) {
		int keep = emit_label(&cg->e);

		/* a packet the computation drops counts in the group's drop
		 * (and its logs are kept all the same) */
		E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, SC(fate)));
		emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, PFQ_FATE_DROP, keep);
		if (cg->init_logs)
			cg_group_log(cg);
		cg_group_stat(cg, CG_STAT_DROP);
		emit_ja(&cg->e, reject);
		emit_bind(&cg->e, keep);
		if (cg->init_logs)
			cg_group_log(cg);
		cg_dispatch(cg, group->members_map_fd, 0, 0, exit_l);
		emit_bind(&cg->e, reject);
		emit_bind(&cg->e, cg->tc_not_ours);
		E(BI_MOV_IMM(BPF_REG_0, 0));
		emit_ja(&cg->e, exit_l);
	} else if (flavour == PFQ_LANG_MEMBER) {
		cg_dispatch(cg, opts->members_map_fd, opts->member_id,
			    opts->caplen ? opts->caplen : 0xffffffffu, exit_l);
	}
	/* a socket filter's answer: the whole packet, or nothing when dropped */
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, SC(fate)));
	E(BI_MOV_IMM(BPF_REG_0, 0));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_DROP, exit_l);
	E(BI_ALU32_IMM(BPF_MOV, BPF_REG_0, -1));
	emit_bind(&cg->e, exit_l);
	E(BI_EXIT());
	if (cg->err[0])
		goto fail;
	if (cg->e.oom || cg->e.n > CG_MAX_INSNS) {
		too_large(cg);
		goto fail;
	}
	if (!emit_finish(&cg->e)) {
		cg_error(cg, "out of memory");
		goto fail;
	}
	b->insns = cg->e.insns;
	b->ninsns = cg->e.n;
	b->fanout = cg->fanout;
	b->tc = cg->tc;
	cg->e.insns = NULL;
	memcpy(b->devs, cg->devs, sizeof(b->devs));
	b->ndevs = cg->ndevs;
	emit_free(&cg->e);
	free(cg->node_insns);
	free(cg);
	return b;
fail:
	diag_set(diag, 0, 0, "%s", cg->err[0] ? cg->err : "out of memory");
	emit_free(&cg->e);
	free(cg->node_insns);
	free(cg);
	pfq_lang_bpf_free(b);
	errno = strstr(diag->msg, "out of memory") ? ENOMEM :
		strstr(diag->msg, "too large") ? E2BIG : EINVAL;
	return NULL;
}

pfq_lang_bpf *pfq_lang_bpf_compile(const pfq_lang_program *prog,
				   const struct pfq_lang_bpf_opts *opts, struct pfq_lang_diag *diag)
{
	return compile(prog, opts, diag);
}

pfq_lang_bpf *pfq_lang_bpf_load(const pfq_lang_program *prog,
				const struct pfq_lang_bpf_opts *opts, struct pfq_lang_diag *diag)
{
	struct pfq_lang_diag local;
	pfq_lang_bpf *b;
	struct bpf_insn *insns;
	enum bpf_prog_type type;
	char *log = opts && opts->sz >= offsetof(struct pfq_lang_bpf_opts, log_size) + sizeof(size_t) &&
			    opts->log_size ? opts->log : NULL;
	char err[300];
	int e = 0;

	if (!diag)
		diag = &local;
	b = compile(prog, opts, diag);
	if (!b)
		return NULL;
	/* the maps, and their fds in a copy of the code (the listing keeps
	 * their names) */
	insns = malloc((size_t)b->ninsns * sizeof(*insns));
	if (!insns) {
		diag_set(diag, 0, 0, "out of memory");
		pfq_lang_bpf_free(b);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(insns, b->insns, (size_t)b->ninsns * sizeof(*insns));
	if (bind_maps(b, insns, b->ninsns, err, sizeof(err)) < 0) {
		e = errno;
		diag_set(diag, 0, 0, "%s", err);
		goto fail;
	}
	type = b->tc ? BPF_PROG_TYPE_SCHED_CLS : BPF_PROG_TYPE_SOCKET_FILTER;
	{
		LIBBPF_OPTS(bpf_prog_load_opts, lo);

		b->prog_fd = bpf_prog_load(type, "pfq_lang", "GPL", insns, (size_t)b->ninsns, &lo);
		if (b->prog_fd < 0) {
			e = errno;
			if (log) {
				lo.log_buf = log;
				lo.log_size = (uint32_t)opts->log_size;
				lo.log_level = 1;
				bpf_prog_load(type, "pfq_lang", "GPL", insns, (size_t)b->ninsns, &lo);
			}
			diag_set(diag, 0, 0, "the kernel refused the compiled program (%d "
				 "instructions): %s", b->ninsns, strerror(e));
			goto fail;
		}
	}
	free(insns);
	return b;
fail:
	free(insns);
	pfq_lang_bpf_free(b);
	errno = e > 0 ? e : EINVAL;
	return NULL;
}

void cg_lookup(struct cg *cg, int map_fd, bool key_set, int none)
{
	if (!key_set)
		E(BI_ST(BPF_W, BPF_REG_10, -8, 0));
	if (map_fd >= 0)
		emit_ld_map(&cg->e, BPF_REG_1, map_fd);
	else
		E(BI_MOV_REG(BPF_REG_1, BPF_REG_0));
	E(BI_MOV_REG(BPF_REG_2, BPF_REG_10));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_2, -8));
	E(BI_CALL(BPF_FUNC_map_lookup_elem));
	if (none >= 0)
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_0, 0, none);
}

int pfq_lang_bpf_prog_fd(const pfq_lang_bpf *b)
{
	return b ? b->prog_fd : pfq_err(-EINVAL);
}

int pfq_lang_bpf_insn_count(const pfq_lang_bpf *b)
{
	return b ? b->ninsns : pfq_err(-EINVAL);
}

int pfq_lang_bpf_set_host_addrs(pfq_lang_bpf *b, int ifindex, const uint32_t *addrs, size_t n)
{
	struct host_addrs v = { 0 };
	uint32_t key = (uint32_t)ifindex;

	if (!b || (n && !addrs))
		return pfq_err(-EINVAL);
	if (n > 16)
		return pfq_err(-E2BIG);
	v.n = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		v.addrs[i] = ntohl(addrs[i]);
	return pfq_err(bpf_map_update_elem(b->host_fd, &key, &v, 0) < 0 ? -errno : 0);
}

uint32_t pfq_lang_bpf_rrobin(const pfq_lang_bpf *b)
{
	uint32_t key = 0, v = 0;

	if (b)
		bpf_map_lookup_elem(b->rr_fd, &key, &v);
	return v;
}

/* Test runs of socket filters start at L3: put a dummy Ethernet header in
 * front of the frame, so that the program sees it from its MAC header. The
 * EtherType is not IPv4: with IPv4 the kernel demands an IP header there.
 * (A fanout program expects exactly that start: it gets the frame as is.) */
static uint8_t *test_input(const uint8_t *frame, size_t len)
{
	uint8_t *data = malloc(len + 14);

	if (data) {
		memset(data, 0, 14);
		data[12] = 0x88;
		data[13] = 0xb5;
		if (len)
			memcpy(data + 14, frame, len);
	}
	return data;
}

/* One BPF_PROG_TEST_RUN of the program over frame, repeated `repeat` times:
 * 0 with the return value and the kernel's time per run, or -errno. */
static int run_frame(const struct pfq_lang_bpf *b, const uint8_t *frame, size_t len,
		     uint32_t mark, int repeat, uint32_t *retval, uint32_t *duration)
{
	struct __sk_buff ctx = { .mark = mark };
	uint8_t *data;
	int err = 0;

	size_t pad = b && b->fanout ? 0 : 14;

	if (!b || (!frame && len) || (b->fanout && len < 14))
		return -EINVAL;
	data = pad ? test_input(frame, len) : malloc(len);
	if (!data)
		return -ENOMEM;
	if (!pad)
		memcpy(data, frame, len);
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data, .data_size_in = (uint32_t)(len + pad),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat > 1 ? repeat : 1);
	if (bpf_prog_test_run_opts(b->prog_fd, &t) < 0)
		err = -errno;
	free(data);
	if (!err && retval)
		*retval = t.retval;
	if (!err && duration)
		*duration = t.duration;
	return err;
}

/* the counters of one CPU */
static int read_counters(const struct pfq_lang_bpf *b, int cpu, int32_t *c)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t vsz = 4 * PFQ_LANG_COUNTERS;
	uint8_t *vals = ncpu > 0 ? malloc(vsz * (size_t)ncpu) : NULL;
	uint32_t key = 0;
	int err = 0;

	if (!vals)
		return -1;
	if (bpf_map_lookup_elem(b->counters_fd, &key, vals) < 0)
		err = -1;
	else
		memcpy(c, vals + vsz * (size_t)cpu, vsz);
	free(vals);
	return err;
}

int pfq_lang_bpf_test_run(pfq_lang_bpf *b, const uint8_t *frame, size_t len, uint32_t mark,
			  int repeat, struct pfq_lang_decision *out, uint32_t *ns_per_run)
{
	int32_t before[PFQ_LANG_COUNTERS], after[PFQ_LANG_COUNTERS];
	int cpu, err;
	cpu_set_t old, one;
	uint32_t key = 0;

	if (!b)
		return pfq_err(-EINVAL);
	/* run on one known CPU, to read that CPU's counters before and after */
	sched_getaffinity(0, sizeof(old), &old);
	cpu = sched_getcpu();
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
	err = read_counters(b, cpu, before) < 0 ? -errno : 0;
	if (!err)
		err = run_frame(b, frame, len, mark, repeat, NULL, ns_per_run);
	if (!err && read_counters(b, cpu, after) < 0)
		err = -errno;
	sched_setaffinity(0, sizeof(old), &old);
	if (err)
		return pfq_err(err);
	if (!out)
		return 0;
	struct cg_decision dd;

	if (b->out_fd < 0)
		return pfq_err(-ENOTSUP);
	if (bpf_map_lookup_elem(b->out_fd, &key, &dd) < 0)
		return pfq_err(-errno);
	memset(out, 0, sizeof(*out));
	out->fate = (enum pfq_fate)dd.fate;
	out->class_mask = dd.class_mask;
	out->hash[0] = dd.hash0;
	out->hash[1] = dd.hash1;
	out->mark = dd.mark;
	out->state = dd.state;
	out->to_kernel = dd.kernel != 0;
	for (int i = 0; i < b->ndevs; i++)
		if (dd.fwd_mask & (1u << i))
			snprintf(out->fwd[out->nfwd++], sizeof(out->fwd[0]), "%s", b->devs[i]);
	out->nlogs = (int)(dd.nlogs < CG_MAX_LOGS ? dd.nlogs : CG_MAX_LOGS);
	for (int i = 0; i < out->nlogs; i++)
		out->log_ids[i] = (int)dd.log_ids[i];
	for (int i = 0; i < PFQ_LANG_COUNTERS; i++)
		out->counters[i] = after[i] - before[i];
	return 0;
}

int pfq_lang_bpf_test_verdict(pfq_lang_bpf *b, const uint8_t *frame, size_t len, uint32_t mark,
			      uint32_t *retval)
{
	return pfq_err(run_frame(b, frame, len, mark, 1, retval, NULL));
}

/*
 * The member table is an array map holding one table, inside a one-slot
 * array of maps. An update builds a new inner map and swaps it into the
 * slot: readers see the old table or the new one, never a mix; and both
 * look-ups are array look-ups, which the verifier inlines (no helper call).
 */
static int table_map(const struct pfq_member_table *t)
{
	uint32_t key = 0;
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pfq_mtable", 4,
				sizeof(struct pfq_member_table), 1, NULL);

	if (fd >= 0 && t && bpf_map_update_elem(fd, &key, t, BPF_ANY) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int pfq_lang_members_map_create(void)
{
	struct pfq_member_table empty = { 0 };
	int inner = table_map(&empty), fd, e;
	uint32_t key = 0;
	LIBBPF_OPTS(bpf_map_create_opts, o, .inner_map_fd = (uint32_t)inner);

	if (inner < 0)
		return pfq_err(-errno);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "pfq_members", 4, 4, 1, &o);
	if (fd >= 0 && bpf_map_update_elem(fd, &key, &inner, BPF_ANY) < 0) {
		e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	e = errno;
	close(inner);
	return pfq_err(fd < 0 ? -e : fd);
}

int pfq_lang_member_table_create(void)
{
	struct pfq_member_table empty = { 0 };
	int fd = table_map(&empty);

	return pfq_err(fd < 0 ? -errno : fd);
}

/* t with its order filled in from its rows (the steer_to index) */
static int table_complete(const struct pfq_member_table *t, struct pfq_member_table *out)
{
	if (!t || t->n > PFQ_MAX_MEMBERS)
		return -EINVAL;
	*out = *t;
	out->nmembers = 0;
	memset(out->order, 0, sizeof(out->order));
	for (uint32_t i = 0; i < t->n; i++)
		if (t->m[i].id)
			out->order[out->nmembers++] = (uint8_t)i;
	return 0;
}

int pfq_lang_members_map_set(int map_fd, int table_fd, const struct pfq_member_table *t)
{
	struct pfq_member_table full;
	uint32_t key = 0;

	if (table_complete(t, &full) < 0)
		return pfq_err(-EINVAL);
	if (bpf_map_update_elem(table_fd, &key, &full, BPF_ANY) < 0 ||
	    bpf_map_update_elem(map_fd, &key, &table_fd, BPF_ANY) < 0)
		return pfq_err(-errno);
	return 0;
}

int pfq_lang_members_map_update(int map_fd, const struct pfq_member_table *t)
{
	struct pfq_member_table full;
	uint32_t key = 0;
	int inner, rc = 0;

	if (table_complete(t, &full) < 0)
		return pfq_err(-EINVAL);
	inner = table_map(&full);
	if (inner < 0)
		return pfq_err(-errno);
	if (bpf_map_update_elem(map_fd, &key, &inner, BPF_ANY) < 0)
		rc = -errno;
	close(inner); /* the outer map keeps it */
	return pfq_err(rc);
}

int pfq_lang_needs_tc(const pfq_lang_program *prog)
{
	return prog && uses(prog, FX_TC);
}

/* ---- group maps ---- */

int pfq_lang_group_flows_map_create(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pfq_gflows", 4,
				sizeof(struct pfq_flow_bucket), PFQ_FLOW_ENTRIES, NULL);

	return pfq_err(fd < 0 ? -errno : fd);
}

int pfq_lang_group_stats_map_create(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "pfq_gstats", 4,
				sizeof(struct pfq_group_kstats), 1, NULL);

	return pfq_err(fd < 0 ? -errno : fd);
}

int pfq_lang_group_counters_map_create(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "pfq_gcounters", 4,
				4 * PFQ_LANG_COUNTERS, 1, NULL);

	return pfq_err(fd < 0 ? -errno : fd);
}

int pfq_lang_group_logs_map_create(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pfq_glogs", 4,
				sizeof(struct pfq_group_log_entry), PFQ_GROUP_LOG_SLOTS, NULL);

	return pfq_err(fd < 0 ? -errno : fd);
}

int pfq_lang_group_logctl_map_create(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pfq_glogctl", 4,
				sizeof(struct pfq_group_log_ctl), 1, NULL);

	return pfq_err(fd < 0 ? -errno : fd);
}

/* the values of every CPU of a one-element per-CPU array (malloc'd) */
static void *percpu_values(int map_fd, size_t vsz, int *ncpu)
{
	uint32_t key = 0;
	void *v;

	*ncpu = libbpf_num_possible_cpus();
	if (*ncpu <= 0)
		return NULL;
	/* per-CPU values are rounded up to 8 bytes each */
	v = calloc((size_t)*ncpu, (vsz + 7) & ~(size_t)7);
	if (v && bpf_map_lookup_elem(map_fd, &key, v) < 0) {
		free(v);
		return NULL;
	}
	return v;
}

int pfq_lang_group_stats_read(int map_fd, struct pfq_group_kstats *out)
{
	int ncpu;
	struct pfq_group_kstats *v = percpu_values(map_fd, sizeof(*v), &ncpu);

	if (!out)
		return pfq_err(-EINVAL);
	if (!v)
		return pfq_err(errno ? -errno : -ENOMEM);
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < ncpu; c++) {
		out->recv += v[c].recv;
		out->drop += v[c].drop;
		out->frwd += v[c].frwd;
		out->kern += v[c].kern;
		out->disc += v[c].disc;
	}
	free(v);
	return 0;
}

int pfq_lang_group_counters_read(int map_fd, int64_t out[PFQ_LANG_COUNTERS])
{
	int ncpu;
	int32_t *v = percpu_values(map_fd, 4 * PFQ_LANG_COUNTERS, &ncpu);

	if (!out)
		return pfq_err(-EINVAL);
	if (!v)
		return pfq_err(errno ? -errno : -ENOMEM);
	memset(out, 0, sizeof(int64_t) * PFQ_LANG_COUNTERS);
	for (int c = 0; c < ncpu; c++)
		for (int i = 0; i < PFQ_LANG_COUNTERS; i++)
			out[i] += v[c * PFQ_LANG_COUNTERS + i];
	free(v);
	return 0;
}

void pfq_lang_bpf_dump(const pfq_lang_bpf *b, FILE *out)
{
	if (b && out)
		bpf_disasm_named(b->insns, b->ninsns, out, handle_name, (void *)b);
}
