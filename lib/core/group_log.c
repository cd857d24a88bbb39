/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading a group's log. The kernel keeps, per logging packet, which
 * functions logged and the packet's first bytes; the text is made here by
 * the reference interpreter running the group's computation over those
 * bytes, so it reads exactly as `pfq-lang run` would print it.
 */
#include "group.h"
#include "../lang/lang-int.h"

#include <bpf/bpf.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int by_seq(const void *a, const void *b)
{
	const struct pfq_group_log_entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* the text of what node logged for entry e */
static void line_text(const pfq_lang_program *prog, const struct pfq_group_log_entry *e,
		      uint32_t node, char *out, size_t outlen)
{
	struct pfq_lang_decision *d = calloc(1, sizeof(*d));
	struct pfq_lang_meta meta = { 0 };
	char ifname[IF_NAMESIZE] = "";
	const char *fname = "log";

	if (prog && node < (uint32_t)prog->nnodes)
		fname = pfq_builtins[prog->nodes[node]->fid].name;
	snprintf(out, outlen, "%s: (packet of %u bytes)", fname, e->len);
	if (!d || !prog)
		goto out;
	if (if_indextoname(e->ifindex, ifname))
		meta.ifname = ifname;
	/* (the tag the kernel took out is not in the bytes: the computation
	 * saw it as metadata, and so must its run here) */
	meta.vlan_present = e->vlan_present != 0;
	meta.vlan_tci = (uint16_t)e->vlan_tci;
	meta.vlan_tpid = (uint16_t)e->vlan_tpid;
	meta.mark = e->mark;
	if (pfq_lang_run(prog, e->data, e->caplen, &meta, d) < 0)
		goto out;
	for (int j = 0; j < d->nlogs; j++)
		if ((uint32_t)d->log_ids[j] == node) {
			snprintf(out, outlen, "%s: %s", fname, d->logs[j]);
			break;
		}
out:
	free(d);
}

int pfq_group_log(int gid, struct pfq_log_line *out, int max, uint64_t *written,
		  uint64_t *skipped)
{
	struct pfq_group_log_entry *ents = calloc(PFQ_GROUP_LOG_SLOTS, sizeof(*ents));
	struct pfq_group_log_ctl ctl = { 0 };
	char err[256], *src = NULL;
	struct reg_group *g = malloc(sizeof(*g));
	pfq_lang_program *prog = NULL;
	struct pfq_lang_diag diag;
	int fds[GK_NMAPS], n = 0, rc = 0;

	if (gid < 0 || gid >= PFQ_MAX_GROUPS || (!out && max) || !ents || !g) {
		free(ents);
		free(g);
		return ents && g ? pfq_seterr(NULL, EINVAL, "pfq_group_log: bad argument")
				 : pfq_seterr(NULL, ENOMEM, "pfq_group_log: bad argument");
	}
	rc = pfq_group_peek(registry_netns_of_thread(), gid, g, fds, err, sizeof(err));
	if (rc < 0)
		goto fail;
	{
		uint32_t key = 0;

		bpf_map_lookup_elem(fds[GK_LOGCTL], &key, &ctl);
		for (key = 0; key < PFQ_GROUP_LOG_SLOTS; key++)
			bpf_map_lookup_elem(fds[GK_LOGS], &key, &ents[key]);
		if (g->source_len)
			src = strndup(g->source, g->source_len);
	}
	for (int i = 0; i < GK_NMAPS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (src)
		prog = pfq_lang_compile(src, &diag);
	qsort(ents, PFQ_GROUP_LOG_SLOTS, sizeof(*ents), by_seq);
	/* the newest max lines (an entry logs up to 8 of them) */
	for (int i = 0; i < PFQ_GROUP_LOG_SLOTS; i++) {
		const struct pfq_group_log_entry *e = &ents[i];

		if (!e->seq)
			continue;
		for (uint32_t k = 0; k < e->nlogs && k < 8; k++) {
			struct pfq_log_line *l;

			if (n == max) {
				/* full: drop the oldest */
				memmove(out, out + 1, sizeof(*out) * (size_t)(max - 1));
				n--;
			}
			if (max == 0)
				break;
			l = &out[n++];
			l->seq = e->seq;
			l->tstamp_ns = e->tstamp_ns;
			l->ifindex = (int)e->ifindex;
			l->len = e->len;
			line_text(prog, e, e->node[k], l->text, sizeof(l->text));
		}
	}
	if (written)
		*written = ctl.next;
	if (skipped)
		*skipped = ctl.skipped;
	pfq_lang_free(prog);
	free(src);
	free(ents);
	free(g);
	return n;
fail:
	free(ents);
	free(g);
	return pfq_seterr(NULL, rc, "%s", err);
}
