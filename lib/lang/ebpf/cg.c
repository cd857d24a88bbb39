/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PFQ/lang eBPF back end, socket-filter flavour: maps, code generation,
 * loading, and BPF_PROG_TEST_RUN with the decision read back.
 */
#include "cg-int.h"

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

struct pfq_lang_bpf {
	int prog_fd;
	int scratch_fd, rr_fd, host_fd;
	int *map_fds;
	int nmaps;
	struct bpf_insn *insns;
	int ninsns;
	char devs[CG_MAX_DEVS][16];
	int ndevs;
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

static bool uses(const pfq_lang_program *p, const char *a, const char *b)
{
	for (int i = 0; i < p->nnodes; i++) {
		const char *nm = pfq_builtins[p->nodes[i]->fid].name;

		if (!strcmp(nm, a) || (b && !strcmp(nm, b)))
			return true;
	}
	return false;
}

static int make_maps(struct cg *cg, struct pfq_lang_bpf *b)
{
	const pfq_lang_program *p = cg->prog;

	b->scratch_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "pfq_scratch", 4,
				       sizeof(struct cg_scratch), 1, NULL);
	b->rr_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pfq_rrobin", 4, 4, 1, NULL);
	b->host_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "pfq_hosts", 4,
				    sizeof(struct host_addrs), 256, NULL);
	if (b->scratch_fd < 0 || b->rr_fd < 0 || b->host_fd < 0)
		return cg_error(cg, "cannot create BPF maps: %s", strerror(errno));
	b->map_fds = calloc((size_t)p->nnodes + 1, sizeof(int));
	if (!b->map_fds)
		return cg_error(cg, "out of memory");
	b->nmaps = p->nnodes;
	for (int i = 0; i < p->nnodes; i++) {
		const struct node *n = p->nodes[i];
		const struct bloom *bl = n->extra;
		uint32_t key = 0;

		b->map_fds[i] = -1;
		if (!bl)
			continue;
		b->map_fds[i] = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pfq_bloom", 4, bl->mbits / 8,
					       1, NULL);
		if (b->map_fds[i] < 0 || bpf_map_update_elem(b->map_fds[i], &key, bl->bits, 0) < 0)
			return cg_error(cg, "cannot create the bloom filter map: %s", strerror(errno));
	}
	cg->scratch_fd = b->scratch_fd;
	cg->rr_fd = b->rr_fd;
	cg->host_fd = b->host_fd;
	cg->map_fds = b->map_fds;
	cg->nmaps = b->nmaps;
	return 0;
}

void pfq_lang_bpf_free(pfq_lang_bpf *b)
{
	if (!b)
		return;
	if (b->prog_fd >= 0)
		close(b->prog_fd);
	for (int *fd = &b->scratch_fd; fd <= &b->host_fd; fd++)
		if (*fd >= 0)
			close(*fd);
	for (int i = 0; i < b->nmaps; i++)
		if (b->map_fds[i] >= 0)
			close(b->map_fds[i]);
	free(b->map_fds);
	free(b->insns);
	free(b);
}

pfq_lang_bpf *pfq_lang_bpf_load(const pfq_lang_program *prog,
				const struct pfq_lang_bpf_opts *opts,
				struct pfq_lang_diag *diag)
{
	struct pfq_lang_diag local;
	struct pfq_lang_bpf *b = calloc(1, sizeof(*b));
	struct cg *cg = calloc(1, sizeof(*cg));
	int exit_l;

	if (!diag)
		diag = &local;
	memset(diag, 0, sizeof(*diag));
	if (!b || !cg || !prog) {
		free(b);
		free(cg);
		diag_set(diag, 0, 0, prog ? "out of memory" : "no program");
		return NULL;
	}
	b->prog_fd = b->scratch_fd = b->rr_fd = b->host_fd = -1;
	cg->prog = prog;
	cg->ifindex_of = opts && opts->ifindex_of ? opts->ifindex_of : default_ifindex;
	cg->user = opts ? opts->user : NULL;
	cg->uses_counters = uses(prog, "inc", "dec");
	cg->level = cg_needs(prog);
	/* enough for the usual headers at that depth; deeper reads take the
	 * slower path through the skb */
	cg->cache = cg->level <= 2 ? 48 : cg->level == 3 ? 80 : CG_CACHE;
	emit_init(&cg->e);
	if (make_maps(cg, b) < 0)
		goto fail;
	exit_l = emit_label(&cg->e);
	cg_prologue(cg, exit_l);
	cg_fun(cg, prog->main);
	/* the test flavour: return the fate; the group flavour appends dispatch */
	E(BI_LDX(BPF_W, BPF_REG_0, BPF_REG_7, SC(fate)));
	E(BI_EXIT());
	emit_bind(&cg->e, exit_l);
	E(BI_MOV_IMM(BPF_REG_0, 0));
	E(BI_EXIT());
	if (cg->err[0])
		goto fail;
	if (!emit_finish(&cg->e)) {
		cg_error(cg, "program too large to compile (jump out of range)");
		goto fail;
	}
	{
		LIBBPF_OPTS(bpf_prog_load_opts, lo);
		char *log = opts && opts->log_size ? opts->log : NULL;

		b->prog_fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "pfq_lang", "GPL",
					   cg->e.insns, (size_t)cg->e.n, &lo);
		if (b->prog_fd < 0) {
			int err = errno;

			if (log) {
				lo.log_buf = log;
				lo.log_size = (uint32_t)opts->log_size;
				lo.log_level = 1;
				bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "pfq_lang", "GPL",
					      cg->e.insns, (size_t)cg->e.n, &lo);
			}
			cg_error(cg, "the kernel refused the compiled program (%d instructions): %s",
				 cg->e.n, strerror(err));
			goto fail;
		}
	}
	b->insns = cg->e.insns;
	b->ninsns = cg->e.n;
	cg->e.insns = NULL;
	memcpy(b->devs, cg->devs, sizeof(b->devs));
	b->ndevs = cg->ndevs;
	emit_free(&cg->e);
	free(cg);
	return b;
fail:
	diag_set(diag, 0, 0, "%s", cg->err[0] ? cg->err : "out of memory");
	emit_free(&cg->e);
	free(cg);
	pfq_lang_bpf_free(b);
	return NULL;
}

int pfq_lang_bpf_prog_fd(const pfq_lang_bpf *b)
{
	return b ? b->prog_fd : -EINVAL;
}

int pfq_lang_bpf_insn_count(const pfq_lang_bpf *b)
{
	return b ? b->ninsns : -EINVAL;
}

int pfq_lang_bpf_set_host_addrs(pfq_lang_bpf *b, int ifindex, const uint32_t *addrs, size_t n)
{
	struct host_addrs v = { 0 };
	uint32_t key = (uint32_t)ifindex;

	if (n > 16)
		return -E2BIG;
	v.n = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		v.addrs[i] = ntohl(addrs[i]);
	return bpf_map_update_elem(b->host_fd, &key, &v, 0) < 0 ? -errno : 0;
}

uint32_t pfq_lang_bpf_rrobin(const pfq_lang_bpf *b)
{
	uint32_t key = 0, v = 0;

	bpf_map_lookup_elem(b->rr_fd, &key, &v);
	return v;
}

int pfq_lang_bpf_test_run(pfq_lang_bpf *b, const uint8_t *frame, size_t len, uint32_t mark,
			  int repeat, struct pfq_lang_decision *out, uint32_t *ns_per_run)
{
	struct __sk_buff ctx = { .mark = mark };
	uint8_t *data = malloc(len + 14);
	int ncpu = libbpf_num_possible_cpus(), cpu, err = 0;
	size_t vsz = (sizeof(struct cg_scratch) + 7) & ~(size_t)7;
	cpu_set_t old, one;
	uint32_t key = 0;

	if (!data || ncpu <= 0)
		return -ENOMEM;
	/* test runs of socket filters start at L3: put a dummy Ethernet header
	 * in front, so that the program sees the frame from its MAC header */
	memset(data, 0, 14);
	data[12] = 0x88; /* any EtherType: only its length matters */
	data[13] = 0xb5;
	memcpy(data + 14, frame, len);
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data, .data_size_in = (uint32_t)(len + 14),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat > 1 ? repeat : 1);
	/* run on one known CPU, to read that CPU's scratch area back */
	sched_getaffinity(0, sizeof(old), &old);
	cpu = sched_getcpu();
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
	if (bpf_prog_test_run_opts(b->prog_fd, &t) < 0)
		err = -errno;
	sched_setaffinity(0, sizeof(old), &old);
	free(data);
	if (err)
		return err;
	if (ns_per_run)
		*ns_per_run = t.duration;
	if (!out)
		return 0;
	uint8_t *vals = malloc(vsz * (size_t)ncpu);

	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(b->scratch_fd, &key, vals) < 0) {
		free(vals);
		return -errno;
	}
	const struct cg_scratch *s = (const struct cg_scratch *)(vals + vsz * (size_t)cpu);

	memset(out, 0, sizeof(*out));
	out->fate = (enum pfq_fate)s->fate;
	out->class_mask = s->class_mask;
	out->hash[0] = s->hash0;
	out->hash[1] = s->hash1;
	out->mark = s->mark;
	out->state = s->state;
	out->to_kernel = s->kernel != 0;
	for (int i = 0; i < b->ndevs; i++)
		if (s->fwd_mask & (1u << i))
			snprintf(out->fwd[out->nfwd++], sizeof(out->fwd[0]), "%s", b->devs[i]);
	memcpy(out->counters, s->counters, sizeof(out->counters));
	out->nlogs = (int)(s->nlogs < CG_MAX_LOGS ? s->nlogs : CG_MAX_LOGS);
	for (int i = 0; i < out->nlogs; i++)
		out->log_ids[i] = (int)s->log_ids[i];
	free(vals);
	return 0;
}

void pfq_lang_bpf_dump(const pfq_lang_bpf *b, FILE *out)
{
	for (int i = 0; i < b->ninsns; i++) {
		const struct bpf_insn *x = &b->insns[i];

		fprintf(out, "%5d: code=0x%02x dst=r%d src=r%d off=%-6d imm=%d\n", i, x->code,
			x->dst_reg, x->src_reg, x->off, x->imm);
	}
}
