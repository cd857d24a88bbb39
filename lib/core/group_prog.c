/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A group's programs: compiled and loaded from the configuration in the
 * registry (gk_compile, with no lock held: verification can take seconds),
 * then installed under the group's lock (gk_install), each by one atomic
 * swap: the fanout program (PACKET_FANOUT_DATA on the sink socket), the
 * members program (slot 0 of the program array the members' own filters
 * tail-call), and the TC program for forwarding, the host stack and egress
 * endpoints (a tcx link per bound device, held in the vault, so it goes
 * with the group however its processes end).
 */
#include "group.h"
#include "vault.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>


struct gk_progs {
	pfq_lang_bpf *fanout, *members, *tc;
	struct pfq_lang_fates fates;
};

void gk_progs_free(struct gk_progs *p)
{
	if (!p)
		return;
	pfq_lang_bpf_free(p->fanout);
	pfq_lang_bpf_free(p->members);
	pfq_lang_bpf_free(p->tc);
	free(p);
}

struct ifx {
	const char *dev;
	int ifindex;
};

static int ifindex_here(void *arg)
{
	struct ifx *x = arg;

	x->ifindex = (int)if_nametoindex(x->dev);
	return 0;
}

/* forwarding devices are named in the group's namespace */
static int ifindex_in_group_ns(const char *dev, void *user)
{
	struct ifx x = { dev, 0 };

	pfq_run_in_ns_of(*(const int *)user, ifindex_here, &x);
	return x.ifindex;
}

static pfq_lang_bpf *load_flavour(const pfq_lang_program *prog,
				  const struct pfq_lang_group_spec *spec,
				  enum pfq_lang_flavour flavour, const int *sink, int gid,
				  const char *what, char *err, size_t errlen)
{
	static __thread char log[1 << 16];
	struct pfq_lang_diag diag;
	struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .group = spec, .log = log,
				       .log_size = sizeof(log), .ifindex_of = ifindex_in_group_ns,
				       .user = (void *)sink, .flavour = flavour };
	pfq_lang_bpf *b;

	log[0] = '\0';
	b = pfq_lang_bpf_load(prog, &o, &diag);
	if (!b) {
		/* the verifier's last words say why */
		size_t ll = strlen(log);
		const char *tail = ll > 160 ? log + ll - 160 : log;

		snprintf(err, errlen, "group %d %sprogram: %s%s%s", gid, what, diag.msg,
			 *tail ? ": ..." : "", tail);
	}
	return b;
}

struct gk_progs *gk_compile(struct gk *k, const struct reg_group *g, char *err, size_t errlen)
{
	struct pfq_lang_group_spec *spec = calloc(1, sizeof(*spec));
	struct gk_progs *p = calloc(1, sizeof(*p));
	struct pfq_lang_diag diag;
	pfq_lang_program *prog = NULL;

	if (!spec || !p) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* no computation: copy to the default class */
	prog = pfq_lang_compile(g->source_len ? g->source : "unit", &diag);
	if (!prog) {
		snprintf(err, errlen, "group %d computation: %d:%d: %s", k->gid, diag.line,
			 diag.col, diag.msg);
		errno = EINVAL;
		goto fail;
	}
	pfq_lang_fates(prog, &p->fates);
	spec->members_map_fd = k->maps[GK_MEMBERS];
	spec->stats_map_fd = k->maps[GK_STATS];
	spec->counters_map_fd = k->maps[GK_COUNTERS];
	spec->logs_map_fd = k->maps[GK_LOGS];
	spec->logctl_map_fd = k->maps[GK_LOGCTL];
	spec->flows_map_fd = k->maps[GK_FLOWS];
	spec->nbind = (int)g->nbind;
	memcpy(spec->bind, g->bind, sizeof(spec->bind));
	if (g->fprog_len) {
		spec->fprog_insns = g->fprog;
		spec->fprog_len = g->fprog_len;
	}
	for (int i = 0; i < REG_MAX_MEMBERS; i++)
		spec->egress |= g->m[i].id && g->m[i].egress_ifindex;
	spec->vlan_on = (int)g->vlan_on;
	memcpy(spec->vlan_vids, g->vlan_vids, sizeof(spec->vlan_vids));
	/* one receiver per packet: the fanout program; copies: the members' */
	p->fanout = load_flavour(prog, spec, PFQ_LANG_GROUP_FANOUT, &k->sink, k->gid, "fanout ",
				 err, errlen);
	if (!p->fanout)
		goto fail_inval;
	if (p->fates.may_copy || p->fates.may_double) {
		p->members = load_flavour(prog, spec, PFQ_LANG_GROUP_MEMBERS, &k->sink, k->gid, "",
					  err, errlen);
		if (!p->members)
			goto fail_inval;
	}
	/* forwarding, host-stack decisions and egress endpoints: a TC program
	 * on the devices */
	if ((pfq_lang_needs_tc(prog) || spec->egress) && g->nbind) {
		p->tc = load_flavour(prog, spec, PFQ_LANG_GROUP_TC, &k->sink, k->gid, "TC ", err,
				     errlen);
		if (!p->tc)
			goto fail_inval;
	}
	pfq_lang_free(prog);
	free(spec);
	return p;
fail_inval:
	errno = EINVAL;
fail:
	pfq_lang_free(prog);
	free(spec);
	gk_progs_free(p);
	return NULL;
}

/* ---- TC links ---- */

static bool has_tc(const struct reg_group *g, int ifindex)
{
	for (uint32_t i = 0; i < g->tc_n; i++)
		if (g->tc_ifindex[i] == ifindex)
			return true;
	return false;
}

/* the TC program on every bound device (prog_fd < 0: on none) */
static int tc_update(struct gk *k, struct reg_group *g, int prog_fd, char *err, size_t errlen)
{
	int32_t want[PFQ_GROUP_MAX_BINDINGS];
	uint32_t nwant = 0, keep = 0;

	for (uint32_t i = 0; prog_fd >= 0 && i < g->nbind; i++) {
		uint32_t j;

		if (g->bind[i].ifindex <= 0)
			continue; /* "any device" has no TC hook */
		for (j = 0; j < nwant && want[j] != g->bind[i].ifindex; j++)
			;
		if (j == nwant)
			want[nwant++] = g->bind[i].ifindex;
	}
	for (uint32_t i = 0; i < nwant; i++) {
		int rc;

		if (has_tc(g, want[i])) {
			int l = gk_vault_take(k, g, VAULT_LINK, (uint64_t)want[i]);

			rc = l < 0 ? l : bpf_link_update(l, prog_fd, NULL);
			if (rc < 0 && l >= 0)
				rc = -errno;
			if (l >= 0) {
				gk_vault_put(k, g, l, VAULT_LINK, (uint64_t)want[i]);
				close(l);
			}
		} else {
			int link = pfq_tcx_attach(k->sink, prog_fd, want[i], PFQ_TCX_INGRESS);

			rc = link < 0 ? link : gk_vault_put(k, g, link, VAULT_LINK, (uint64_t)want[i]);
			if (link >= 0)
				close(link);
		}
		if (rc < 0) {
			snprintf(err, errlen, "cannot attach the group's TC program to ifindex %d: "
				 "%s", want[i], strerror(-rc));
			return rc;
		}
	}
	/* detach where it no longer belongs: closing the link detaches it */
	for (uint32_t i = 0; i < g->tc_n; i++) {
		uint32_t j;

		for (j = 0; j < nwant && want[j] != g->tc_ifindex[i]; j++)
			;
		if (j == nwant) {
			int l = gk_vault_take(k, g, VAULT_LINK, (uint64_t)g->tc_ifindex[i]);

			if (l >= 0)
				close(l);
		} else {
			g->tc_ifindex[keep++] = g->tc_ifindex[i];
		}
	}
	g->tc_n = keep;
	for (uint32_t i = 0; i < nwant; i++)
		if (!has_tc(g, want[i]))
			g->tc_ifindex[g->tc_n++] = want[i];
	return 0;
}

int gk_install(struct gk *k, struct reg_group *g, const struct gk_progs *p, char *err,
	       size_t errlen)
{
	int fd = pfq_lang_bpf_prog_fd(p->fanout), rc;
	uint32_t key = 0;

	/* one swap each: every packet meets the old program or the new one */
	if (setsockopt(k->sink, SOL_PACKET, PACKET_FANOUT_DATA, &fd, sizeof(fd)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot install the group's fanout program: %s",
			 strerror(-rc));
		return rc;
	}
	if (p->members) {
		fd = pfq_lang_bpf_prog_fd(p->members);
		if (bpf_map_update_elem(k->maps[GK_PROGS], &key, &fd, BPF_ANY) < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot install the group program: %s",
				 strerror(-rc));
			return rc;
		}
	} else {
		bpf_map_delete_elem(k->maps[GK_PROGS], &key);
	}
	rc = tc_update(k, g, p->tc ? pfq_lang_bpf_prog_fd(p->tc) : -1, err, errlen);
	if (rc < 0)
		return rc;
	g->may_copy = p->fates.may_copy;
	g->may_double = p->fates.may_double;
	g->classes = p->fates.classes;
	return 0;
}

int gk_reinstall(struct gk *k, struct reg_group *g, char *err, size_t errlen)
{
	struct gk_progs *p = gk_compile(k, g, err, errlen);
	int rc;

	if (!p)
		return -(errno ? errno : EINVAL);
	rc = gk_install(k, g, p, err, errlen);
	gk_progs_free(p);
	if (!rc)
		g->pending = 0;
	return rc;
}
