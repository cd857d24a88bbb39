/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Egress endpoints: a member of the group, with its classes and weight,
 * that sends what the group gives it out of a device. */
#include "group.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int egress_bind(pfq_t *q, const char *dev, int queue, char *err, size_t n)
{
	int rc = pfq_egress_bind(q, dev, queue);

	if (rc < 0)
		snprintf(err, n, "output %s: egress bind: %s", dev, pfq_error(q));
	return rc;
}

int output_open(pfq_t **out, int gid, int policy, const struct pfqd_output *o, char *err,
		size_t n)
{
	pfq_t *q = pfq_open_nogroup(64, 64, 0, 0);
	int rc;

	*out = NULL;
	if (!q) {
		rc = -errno;
		snprintf(err, n, "output %s: %s", o->dev.name, pfq_error(NULL));
		return rc;
	}
	/* an endpoint before it joins: it never is a reader of the group */
	rc = egress_bind(q, o->dev.name, o->dev.queue, err, n);
	if (rc >= 0) {
		rc = pfq_set_weight(q, o->weight);
		if (rc >= 0)
			rc = pfq_join_group(q, gid, o->class_mask, policy);
		if (rc < 0)
			snprintf(err, n, "output %s: %s", o->dev.name, pfq_error(q));
	}
	if (rc < 0) {
		pfq_close(q);
		return rc;
	}
	*out = q;
	return 0;
}

/* (closed as it is: unbinding first would make it a reader for a moment) */
void output_close(pfq_t **out)
{
	if (*out)
		pfq_close(*out);
	*out = NULL;
}
