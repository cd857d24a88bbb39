/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The classic BPF filter of a socket's private group. */
#include "pfq-int.h"

#include "../bpf/cbpf.h"

#include <linux/filter.h>
#include <stdlib.h>
#include <string.h>

int pfq_set_fprog(pfq_t *q, const struct sock_fprog *prog)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	PFQ_NOT_EXPORTED(q);
	struct sock_filter *old = q->fprog, *copy = NULL;
	unsigned old_len = q->fprog_len;
	int err;

	if (prog) {
		char why[128];

		/* checked as the kernel checks it: it reaches the kernel inside
		 * the socket's own filter, where a path that does not return
		 * would fall into what comes next */
		if (cbpf_check(prog, why, sizeof(why)) < 0)
			return pfq_seterr(q, EINVAL, "BPF filter: %s", why);
		copy = malloc(prog->len * sizeof(*copy));
		if (!copy)
			return pfq_seterr(q, ENOMEM, "out of memory");
		memcpy(copy, prog->filter, prog->len * sizeof(*copy));
	}
	q->fprog = copy;
	q->fprog_len = prog ? prog->len : 0;
	/* a program the kernel refuses changes nothing (checked now even
	 * while the socket is disabled) */
	char log[512] = "";

	err = pfq_filter_apply(q, log, sizeof(log));
	if (err) {
		q->fprog = old;
		q->fprog_len = old_len;
		free(copy);
		pfq_attach_update(q);
		return err;
	}
	free(old);
	pfq_clearerr(q);
	return 0;
}
