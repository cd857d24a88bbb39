/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET /metrics: the groups' stats and counters in the Prometheus text
 * format, over plain HTTP/1.0 (one request per connection). */
#include "control.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t metrics_framing(const char *buf, size_t n)
{
	const char *e = memmem(buf, n, "\r\n\r\n", 4);
	const char *f = memmem(buf, n, "\n\n", 2);

	if (e && (!f || e < f))
		return (size_t)(e - buf) + 4;
	return f ? (size_t)(f - buf) + 2 : 0;
}

struct text {
	char *s;
	size_t n;
	bool oom;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char *more = NULL;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&more, fmt, ap);
	va_end(ap);
	if (k < 0) {
		t->oom = true;
		return;
	}
	char *s = realloc(t->s, t->n + (size_t)k + 1);

	if (!s) {
		t->oom = true;
		free(more);
		return;
	}
	memcpy(s + t->n, more, (size_t)k + 1);
	t->s = s;
	t->n += (size_t)k;
	free(more);
}

static void http(struct client *c, const char *status, const char *type, const char *body,
		 size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, type, len);

	server_reply(c, head, (size_t)n);
	server_reply(c, body, len);
	c->close_after = true;
}

static void family(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* each member's recv and lost as published in the registry (a member pfqd
 * made for a client: as the client reports them) */
static void member_counts(const struct pfqd_state *s, struct text *t,
			  const struct pfq_group_info *info, int ninfo)
{
	static const struct { const char *name, *help; bool lost; } mc[] = {
		{ "pfq_member_recv_total", "Packets a member received.", false },
		{ "pfq_member_lost_total", "Packets lost to a member (its ring full).", true },
	};

	for (size_t k = 0; k < sizeof(mc) / sizeof(mc[0]); k++) {
		family(t, mc[k].name, "counter", mc[k].help);
		for (int i = 0; i < ninfo && i < PFQ_MAX_GROUPS; i++)
			for (int m = 0; s->live[info[i].gid] && m < info[i].nmembers; m++)
				put(t, "%s{gid=\"%d\",id=\"%u\"} %" PRIu64 "\n", mc[k].name,
				    info[i].gid, info[i].members[m].id, mc[k].lost ?
				    info[i].members[m].lost : info[i].members[m].recv);
	}
}

static void metrics(struct pfqd_state *s, struct text *t)
{
	static const struct { const char *name, *help; size_t off; } st[] = {
		{ "pfq_group_recv_total", "Packets of the group's bindings.",
		  offsetof(struct pfq_stats, recv) },
		{ "pfq_group_drop_total", "Packets dropped by the group's filters or computation.",
		  offsetof(struct pfq_stats, drop) },
		{ "pfq_group_frwd_total", "Copies sent out of devices (forwarding, egress endpoints).",
		  offsetof(struct pfq_stats, frwd) },
		{ "pfq_group_disc_total", "Copies to send that the kernel refused.",
		  offsetof(struct pfq_stats, disc) },
		{ "pfq_group_kern_total", "Packets passed to the host stack.",
		  offsetof(struct pfq_stats, kern) },
	};
	struct pfq_stats stats[PFQ_MAX_GROUPS];
	struct pfq_counters *cn = calloc(PFQ_MAX_GROUPS, sizeof(*cn));
	struct pfq_group_info *info = calloc(PFQ_MAX_GROUPS, sizeof(*info));
	bool ok[PFQ_MAX_GROUPS] = { false };
	int ninfo = info ? pfq_groups_info(info, PFQ_MAX_GROUPS, sizeof(*info)) : -1;

	if (!cn || !info) {
		t->oom = true;
		goto out;
	}
	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++)
		ok[gid] = s->live[gid] && pfq_get_group_stats(s->live[gid]->q, gid, &stats[gid]) == 0 &&
			  pfq_get_group_counters(s->live[gid]->q, gid, &cn[gid]) == 0;
	family(t, "pfqd_groups", "gauge", "Groups pfqd holds.");
	{
		int n = 0;

		for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++)
			n += s->live[gid] != NULL;
		put(t, "pfqd_groups %d\n", n);
	}
	family(t, "pfqd_reloads_total", "counter", "Reloads applied.");
	put(t, "pfqd_reloads_total %u\n", s->reloads);
	for (size_t k = 0; k < sizeof(st) / sizeof(st[0]); k++) {
		family(t, st[k].name, "counter", st[k].help);
		for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++)
			if (ok[gid])
				put(t, "%s{gid=\"%d\"} %" PRIu64 "\n", st[k].name, gid,
				    *(const uint64_t *)((const char *)&stats[gid] + st[k].off));
	}
	family(t, "pfq_group_counter", "gauge", "The group's counters (inc/dec), non-zero ones.");
	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++)
		for (int i = 0; ok[gid] && i < PFQ_MAX_COUNTERS; i++)
			if (cn[gid].counter[i])
				put(t, "pfq_group_counter{gid=\"%d\",counter=\"%d\"} %" PRId64 "\n", gid, i,
				    cn[gid].counter[i]);
	family(t, "pfq_group_members", "gauge", "Active members (receivers) of the group.");
	for (int i = 0; i < ninfo && i < PFQ_MAX_GROUPS; i++) {
		int active = 0;

		if (!s->live[info[i].gid])
			continue;
		for (int k = 0; k < info[i].nmembers; k++)
			active += info[i].members[k].active != 0;
		put(t, "pfq_group_members{gid=\"%d\"} %d\n", info[i].gid, active);
	}
	member_counts(s, t, info, ninfo);
out:
	free(cn);
	free(info);
}

void metrics_request(struct server *s, struct client *c, char *req, size_t len, bool too_long)
{
	static const char text_type[] = "text/plain; version=0.0.4; charset=utf-8";
	struct pfqd_ctx *ctx = s->user;
	char method[16] = "", path[256] = "";
	struct text t = { 0 };

	(void)len;
	if (too_long || sscanf(req, "%15s %255s", method, path) != 2) {
		http(c, "400 Bad Request", "text/plain", "bad request\n", 12);
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		http(c, "405 Method Not Allowed", "text/plain", "GET only\n", 9);
		return;
	}
	if (strcmp(path, "/metrics")) {
		http(c, "404 Not Found", "text/plain", "see /metrics\n", 13);
		return;
	}
	metrics(ctx->state, &t);
	if (t.oom)
		http(c, "500 Internal Server Error", "text/plain", "out of memory\n", 14);
	else
		http(c, "200 OK", text_type, t.s ? t.s : "", strcmp(method, "HEAD") ? t.n : 0);
	free(t.s);
}
