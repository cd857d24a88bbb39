/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Group dispatch of the original PFQ: which members receive a packet. */
#include "group-abi.h"
#include "lang-int.h"

static bool eligible(const struct pfq_member *m, uint64_t mask)
{
	return (m->class_mask & mask) != 0;
}

/* index of the member picked by hash h, or -1 */
static int pick(const struct pfq_member_table *t, uint64_t mask, uint32_t h)
{
	uint32_t w = 0, idx, cum = 0;
	uint32_t n = t->n < PFQ_MAX_MEMBERS ? t->n : PFQ_MAX_MEMBERS;

	for (uint32_t i = 0; i < n; i++)
		if (eligible(&t->m[i], mask))
			w += t->m[i].weight;
	if (w == 0)
		return -1;
	idx = pfq_lang_fold(pfq_lang_hash_mix(h), w);
	for (uint32_t i = 0; i < n; i++) {
		if (!eligible(&t->m[i], mask))
			continue;
		cum += t->m[i].weight;
		if (idx < cum)
			return (int)i;
	}
	return -1;
}

/* the row of the n-th member (rows without a member skipped), or -1 */
static int nth_member(const struct pfq_member_table *t, uint32_t nth)
{
	uint32_t n = t->n < PFQ_MAX_MEMBERS ? t->n : PFQ_MAX_MEMBERS;

	for (uint32_t i = 0; i < n; i++)
		if (t->m[i].id && nth-- == 0)
			return (int)i;
	return -1;
}

int pfq_lang_dispatch(const struct pfq_lang_decision *d, const struct pfq_member_table *t,
		      uint32_t id)
{
	uint32_t n = t->n < PFQ_MAX_MEMBERS ? t->n : PFQ_MAX_MEMBERS;
	int a, b;

	switch (d->fate) {
	case PFQ_FATE_COPY:
		for (uint32_t i = 0; i < n; i++)
			if (t->m[i].id == id && eligible(&t->m[i], d->class_mask))
				return 1;
		return 0;
	case PFQ_FATE_STEER:
		a = pick(t, d->class_mask, d->hash[0]);
		return a >= 0 && t->m[a].id == id;
	case PFQ_FATE_DOUBLE_STEER:
		a = pick(t, d->class_mask, d->hash[0]);
		b = pick(t, d->class_mask, d->hash[1]);
		return (a >= 0 && t->m[a].id == id) || (b >= 0 && t->m[b].id == id);
	case PFQ_FATE_STEER_TO:
		a = nth_member(t, d->hash[0]);
		return a >= 0 && eligible(&t->m[a], d->class_mask) && t->m[a].id == id;
	default:
		return 0;
	}
}

int pfq_lang_dispatch_one(const struct pfq_lang_decision *d, const struct pfq_member_table *t)
{
	uint32_t n = t->n < PFQ_MAX_MEMBERS ? t->n : PFQ_MAX_MEMBERS;

	switch (d->fate) {
	case PFQ_FATE_COPY:
		/* an egress endpoint's copy is sent by the TC program */
		for (uint32_t i = 0; i < n; i++)
			if (eligible(&t->m[i], d->class_mask) && !t->m[i].egress_ifindex)
				return (int)i;
		return -1;
	case PFQ_FATE_STEER:
	case PFQ_FATE_DOUBLE_STEER:
		return pick(t, d->class_mask, d->hash[0]);
	case PFQ_FATE_STEER_TO: {
		int a = nth_member(t, d->hash[0]);

		return a >= 0 && eligible(&t->m[a], d->class_mask) ? a : -1;
	}
	default:
		return -1;
	}
}
