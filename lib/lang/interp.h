/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reference interpreter's evaluation context and helpers. */
#ifndef PFQ_LANG_INTERP_H
#define PFQ_LANG_INTERP_H

#include "lang-int.h"
#include "packet.h"

struct pctx {
	struct pkt p;
	const struct pfq_lang_meta *meta;
	struct pfq_lang_decision *d; /* the monad state, updated in place */
	int node_id;                 /* function being evaluated (for logs) */
};

void eval_fun(struct pctx *c, const struct node *n);
bool eval_pred(struct pctx *c, const struct node *n);
bool eval_prop(struct pctx *c, const struct node *n, uint64_t *v);
void ctx_log(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* voip.c: RTP/RTCP/SIP/GTP heuristics */
enum voip_kind { VOIP_NONE, VOIP_RTP, VOIP_RTCP, VOIP_SIP };
enum voip_kind voip_classify(const struct pkt *p);
int gtp_kind(const struct pkt *p); /* 0 none, 1 GTP-C (2123), 2 GTP-U (2152) */
bool gtp_inner_ipv4(const struct pkt *p, uint32_t *src, uint32_t *dst);

/* bloom.c */
struct bloom *bloom_build(uint32_t m, const uint32_t *ips, int n, int prefix);
bool bloom_test(const struct bloom *b, uint32_t addr_host);
void bloom_free(struct bloom *b);

#endif
