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
#include "impl.h"

#include <errno.h>
#include <string.h>

enum { AF_DROP = 1, AF_COPY = 2, AF_STEER = 4, AF_DOUBLE = 8 };

struct afs {
	uint64_t classes; /* class bits a decision may carry */
	bool any_class;   /* broadcast: every class */
};

/* steering functions that may also broadcast (their *_bcast_rule) or
 * double-steer, besides steering */
static bool may_broadcast(fun_impl f)
{
	return f == f_steer_p2p || f == f_steer_link || f == f_steer_local_link ||
	       f == f_steer_local_ip || f == f_steer_local_net || f == f_steer_voip ||
	       f == f_double_steer_ip || f == f_double_steer_mac;
}

static bool may_double(fun_impl f)
{
	return f == f_double_steer_ip || f == f_double_steer_mac || f == f_double_steer_field ||
	       f == f_steer_local_link || f == f_steer_local_ip || f == f_steer_local_net;
}

static bool steers(fun_impl f)
{
	return f == f_steer_flow || f == f_steer_ip || f == f_steer_vlan || f == f_steer_field ||
	       f == f_steer_field_symmetric || f == f_steer_rrobin || f == f_steer_rss ||
	       f == f_steer_gtp_usr || f == f_steer_rtp || f == f_steer_to || may_broadcast(f) ||
	       may_double(f);
}

/* the fates a packet may leave n with, entering it with fates `in` */
static unsigned run(const struct node *n, unsigned in, struct afs *s, int depth)
{
	fun_impl f = pfq_builtins[n->fid].fun;
	unsigned a, out = 0;

	if (depth > 1000)
		return AF_DROP | AF_COPY | AF_STEER | AF_DOUBLE; /* (cannot happen: bounded) */
	if (f == f_drop)
		return AF_DROP;
	if (f == f_broadcast) {
		s->any_class = true;
		return AF_COPY;
	}
	if (f == f_classify) {
		s->classes |= 1ull << (n->args[0].i & 63);
		return in;
	}
	if (f == f_kleisli) {
		a = run(n->args[0].fn, in, s, depth + 1);
		out = a & AF_DROP;
		if (a & ~AF_DROP)
			out |= run(n->args[1].fn, a & ~AF_DROP, s, depth + 1);
		return out;
	}
	if (f == f_when || f == f_unless)
		return in | run(n->args[1].fn, in, s, depth + 1);
	if (f == f_conditional)
		return run(n->args[1].fn, in, s, depth + 1) | run(n->args[2].fn, in, s, depth + 1);
	if (f == f_par) {
		for (int i = 0; i < n->nargs; i++)
			out |= run(n->args[i].fn, in, s, depth + 1);
		return out;
	}
	if (f == f_inv) {
		a = run(n->args[0].fn, in, s, depth + 1);
		return (a & AF_DROP ? AF_COPY : 0) | (a & ~AF_DROP ? AF_DROP : 0);
	}
	if (steers(f)) {
		out = AF_DROP | AF_STEER;
		if (may_broadcast(f)) {
			s->any_class = true;
			out |= AF_COPY;
		}
		if (may_double(f))
			out |= AF_DOUBLE;
		return out;
	}
	/* filters, forwarding, state, counters, logs: pass as they came, or drop */
	return in | AF_DROP;
}

int pfq_lang_fates(const pfq_lang_program *prog, struct pfq_lang_fates *out)
{
	struct afs s = { PFQ_CLASS_DEFAULT, false };
	unsigned f;

	if (!prog || !out)
		return -EINVAL;
	f = run(prog->main, AF_COPY, &s, 0);
	memset(out, 0, sizeof(*out));
	out->may_copy = (f & AF_COPY) != 0;
	out->may_double = (f & AF_DOUBLE) != 0;
	out->classes = s.any_class ? PFQ_CLASS_ANY : s.classes;
	return 0;
}
