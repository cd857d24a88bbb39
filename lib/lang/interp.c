/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reference interpreter: run a typed program over one frame. */
#include "impl.h"
#include "group-abi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void eval_fun(struct pctx *c, const struct node *n)
{
	c->node_id = n->id;
	pfq_builtins[n->fid].fun(c, n);
}

bool eval_pred(struct pctx *c, const struct node *n)
{
	return pfq_builtins[n->fid].pred(c, n);
}

bool eval_prop(struct pctx *c, const struct node *n, uint64_t *v)
{
	return pfq_builtins[n->fid].prop(c, n, v);
}

void ctx_log(struct pctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->d->nlogs >= PFQ_LANG_MAX_LOGS)
		return;
	c->d->log_ids[c->d->nlogs] = c->node_id;
	va_start(ap, fmt);
	vsnprintf(c->d->logs[c->d->nlogs++], PFQ_LANG_LOG_LEN, fmt, ap);
	va_end(ap);
}

int pfq_lang_run(const pfq_lang_program *prog, const uint8_t *frame, size_t len,
		 const struct pfq_lang_meta *meta, struct pfq_lang_decision *out)
{
	uint8_t small[2048], *buf = small;
	struct pctx c;

	if (!out)
		return pfq_err(-EINVAL);
	memset(out, 0, sizeof(*out));
	out->fate = PFQ_FATE_COPY;
	out->class_mask = PFQ_CLASS_DEFAULT;
	out->mark = meta ? meta->mark : 0;
	if (!prog || (!frame && len))
		return pfq_err(-EINVAL);
	if (len > PKT_MAX_FRAME)
		len = PKT_MAX_FRAME;
	if (len > sizeof(small)) {
		buf = malloc(len);
		if (!buf)
			return pfq_err(-ENOMEM);
	}
	c.meta = meta;
	c.d = out;
	pkt_decode(&c.p, frame, len, meta && meta->vlan_present, meta ? meta->vlan_tci : 0,
		   meta ? meta->vlan_tpid : 0, buf);
	eval_fun(&c, prog->main);
	if (buf != small)
		free(buf);
	return 0;
}

static const char *fate_name(enum pfq_fate f)
{
	switch (f) {
	case PFQ_FATE_DROP: return "drop";
	case PFQ_FATE_COPY: return "copy";
	case PFQ_FATE_STEER: return "steer";
	case PFQ_FATE_DOUBLE_STEER: return "double-steer";
	case PFQ_FATE_STEER_TO: return "steer-to";
	}
	return "?";
}

static void print_classes(uint64_t m, FILE *out)
{
	bool first = true;

	if (m == PFQ_CLASS_ANY) {
		fputs("{any}", out);
		return;
	}
	fputc('{', out);
	for (int i = 0; i < 64; i++)
		if (m & (1ull << i)) {
			fprintf(out, first ? "%d" : ",%d", i);
			first = false;
		}
	fputc('}', out);
}

void pfq_lang_decision_print(const struct pfq_lang_decision *d, FILE *out)
{
	fputs(fate_name(d->fate), out);
	if (d->fate != PFQ_FATE_DROP) {
		fputc(' ', out);
		print_classes(d->class_mask, out);
	}
	if (d->fate == PFQ_FATE_STEER || d->fate == PFQ_FATE_STEER_TO)
		fprintf(out, " hash=0x%08x", d->hash[0]);
	else if (d->fate == PFQ_FATE_DOUBLE_STEER)
		fprintf(out, " hash=0x%08x,0x%08x", d->hash[0], d->hash[1]);
	if (d->mark)
		fprintf(out, " mark=%u", d->mark);
	if (d->state)
		fprintf(out, " state=%u", d->state);
	if (d->to_kernel)
		fputs(" kernel", out);
	for (int i = 0; i < d->nfwd; i++)
		fprintf(out, i ? ",%s" : " forward=%s", d->fwd[i]);
	for (int i = 0; i < PFQ_LANG_COUNTERS; i++)
		if (d->counters[i])
			fprintf(out, " counter[%d]%+d", i, d->counters[i]);
	for (int i = 0; i < d->nlogs; i++)
		fprintf(out, " log=\"%s\"", d->logs[i]);
}

/* hash mixing and folding of the original group dispatch */
uint32_t pfq_lang_hash_mix(uint32_t a)
{
	a = (a ^ 0xdeadbeefu) + (a << 4);
	a ^= a >> 10;
	a += a << 7;
	a ^= a >> 13;
	return a;
}

uint32_t pfq_lang_fold(uint32_t a, uint32_t n)
{
	uint32_t p = 1;

	if (n <= 1)
		return 0;
	if ((n & (n - 1)) == 0)
		return a & (n - 1);
	if (n == 3 || n == 5 || n == 6 || n == 7)
		return a % n;
	while (p < n)
		p <<= 1;
	return (a & (p - 1)) < n ? (a & (p - 1)) : a % n;
}
