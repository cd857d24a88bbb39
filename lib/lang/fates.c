/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a computation can decide, found without running it: whether a packet
 * can end copied (to every eligible member) or double-steered, and with
 * which class masks. A group uses this to choose its delivery: one receiver
 * per packet (the fanout program) unless a decision can name several.
 *
 * An abstract run of the program over the set of fates a packet may have,
 * following the interpreter's semantics (actions.c). It over-approximates:
 * a fate it does not report cannot happen.
 */
#include "group-abi.h"
#include "lang-int.h"

#include <errno.h>
#include <string.h>

enum { AF_DROP = 1, AF_COPY = 2, AF_STEER = 4, AF_DOUBLE = 8 };

struct afs {
	uint64_t classes; /* class bits a decision may carry */
	bool any_class;   /* broadcast: every class */
};

/* the fates a packet may leave n with, entering it with fates `in` */
static unsigned run(const struct node *n, unsigned in, struct afs *s, int depth)
{
	const struct builtin *b = &pfq_builtins[n->fid];
	unsigned a, out = 0;

	if (depth > 1000)
		return AF_DROP | AF_COPY | AF_STEER | AF_DOUBLE; /* (cannot happen: bounded) */
	if (b->fx & FX_STEER) {
		out = AF_DROP | AF_STEER;
		if (b->fx & FX_BROADCAST) {
			s->any_class = true;
			out |= AF_COPY;
		}
		if (b->fx & FX_DOUBLE)
			out |= AF_DOUBLE;
		return out;
	}
	switch (n->fid) {
	case B_DROP:
		return AF_DROP;
	case B_BROADCAST:
		s->any_class = true;
		return AF_COPY;
	case B_CLASSIFY:
	case B_CLASS:
		s->classes |= 1ull << (n->args[0].i & 63);
		return in;
	case B_KLEISLI:
		a = run(n->args[0].fn, in, s, depth + 1);
		out = a & AF_DROP;
		if (a & ~AF_DROP)
			out |= run(n->args[1].fn, a & ~AF_DROP, s, depth + 1);
		return out;
	case B_WHEN:
	case B_UNLESS:
		return in | run(n->args[1].fn, in, s, depth + 1);
	case B_CONDITIONAL:
		return run(n->args[1].fn, in, s, depth + 1) | run(n->args[2].fn, in, s, depth + 1);
	case B_PAR: case B_PAR3: case B_PAR4: case B_PAR5: case B_PAR6: case B_PAR7: case B_PAR8:
		for (int i = 0; i < n->nargs; i++)
			out |= run(n->args[i].fn, in, s, depth + 1);
		return out;
	case B_INV:
		a = run(n->args[0].fn, in, s, depth + 1);
		return (a & AF_DROP ? AF_COPY : 0) | (a & ~AF_DROP ? AF_DROP : 0);
	default:
		/* filters, forwarding, state, counters, logs: pass as they came,
		 * or drop */
		return in | AF_DROP;
	}
}

int pfq_lang_fates(const pfq_lang_program *prog, struct pfq_lang_fates *out)
{
	struct afs s = { PFQ_CLASS_DEFAULT, false };
	unsigned f;

	if (!prog || !out)
		return pfq_err(-EINVAL);
	f = run(prog->main, AF_COPY, &s, 0);
	memset(out, 0, sizeof(*out));
	out->may_copy = (f & AF_COPY) != 0;
	out->may_double = (f & AF_DOUBLE) != 0;
	out->may_steer = (f & AF_STEER) != 0;
	out->classes = s.any_class ? PFQ_CLASS_ANY : s.classes;
	return 0;
}
