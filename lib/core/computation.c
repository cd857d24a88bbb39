/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The computation of a socket's private group. The original ran any
 * computation on a private group; here a socket with no group has a classic
 * socket filter and no group program, so its computation must be one that
 * only filters. That is what lets it cost what a pcap filter costs.
 */
#include "pfq-int.h"

#include "../lang/classic/classic.h"

#include <pfq/lang.h>

int pfq_set_computation(pfq_t *q, const char *src)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	PFQ_NOT_EXPORTED(q);
	pfq_lang_program *old = q->computation, *p = NULL;
	char log[512] = "";
	int err;

	if (!q->private_group)
		return pfq_seterr(q, EINVAL, "pfq_set_computation: the socket has no private group "
				  "(pfq_open_nogroup): set its group's computation");
	if (src && *src) {
		struct pfq_lang_diag d;

		p = pfq_lang_compile(src, &d);
		if (!p)
			return pfq_seterr(q, EINVAL, "computation: %d:%d: %s", d.line, d.col, d.msg);
		if (lang_classic_check(p, log, sizeof(log)) < 0) {
			pfq_lang_free(p);
			return pfq_seterr(q, EOPNOTSUPP, "computation: %s", log);
		}
	}
	q->computation = p;
	err = pfq_filter_apply(q, log, sizeof(log));
	if (err) {
		q->computation = old;
		pfq_lang_free(p);
		pfq_attach_update(q);
		return err;
	}
	pfq_lang_free(old);
	pfq_clearerr(q);
	return 0;
}
