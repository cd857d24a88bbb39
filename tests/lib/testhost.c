/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "testhost.h"

#include "netns.h"
#include "sender.h"

#include <bpf/bpf.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PFQ_SOURCE_DIR
#error "PFQ_SOURCE_DIR must point at the source tree"
#endif
#define TESTHOST_SH PFQ_SOURCE_DIR "/scripts/testhost.sh"
#define MAX_LIVE 16

static struct testhost *live[MAX_LIVE];
static int counter;

static void destroy_all(void)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i])
			th_destroy(live[i]);
}

static void on_signal(int sig)
{
	destroy_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void track(struct testhost *th)
{
	static int hooked;

	if (!hooked) {
		atexit(destroy_all);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		hooked = 1;
	}
	for (int i = 0; i < MAX_LIVE; i++)
		if (!live[i]) {
			live[i] = th;
			return;
		}
}

int th_create(struct testhost *th, int pairs, int queues)
{
	char cmd[512];

	memset(th, 0, sizeof(*th));
	snprintf(th->name, sizeof(th->name), "pfqt%d-%d", (int)getpid(), counter++);
	snprintf(th->ns_a, sizeof(th->ns_a), "%s-a", th->name);
	snprintf(th->ns_b, sizeof(th->ns_b), "%s-b", th->name);
	th->pairs = pairs;
	snprintf(cmd, sizeof(cmd), "%s create %s --pairs %d --queues %d",
		 TESTHOST_SH, th->name, pairs, queues);
	if (system(cmd) != 0) {
		fprintf(stderr, "testhost: '%s' failed\n", cmd);
		return -1;
	}
	track(th);
	return 0;
}

void th_destroy(struct testhost *th)
{
	char cmd[512];

	if (!th->name[0])
		return;
	snprintf(cmd, sizeof(cmd), "%s destroy %s", TESTHOST_SH, th->name);
	if (system(cmd) != 0)
		fprintf(stderr, "testhost: '%s' failed\n", cmd);
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i] == th)
			live[i] = NULL;
	th->name[0] = '\0';
}

int th_exec(const struct testhost *th, char side, const char *fmt, ...)
{
	char inner[768], cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(inner, sizeof(inner), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s sh -c '%s'",
		 side == 'a' ? th->ns_a : th->ns_b, inner);
	return system(cmd);
}

int th_enter(const struct testhost *th, char side)
{
	return netns_enter(side == 'a' ? th->ns_a : th->ns_b);
}

void th_leave(int handle)
{
	if (handle >= 0)
		netns_leave(handle);
}

int th_sender(const struct testhost *th, const char *dev, int bypass)
{
	int h = th_enter(th, dev[0] == 'b' ? 'b' : 'a'), fd;

	if (h < 0)
		return h;
	fd = sender_open(dev, bypass);
	th_leave(h);
	return fd;
}

int th_in_b(const struct testhost *th, int (*fn)(void *), void *arg)
{
	int h = th_enter(th, 'b'), r;

	if (h < 0)
		return h;
	r = fn(arg);
	th_leave(h);
	return r;
}

/* ---- TC programs on a device of side B ---- */

struct tcx_query {
	const char *dev;
	uint32_t count;
};

#define TCX_INGRESS 46 /* BPF_TCX_INGRESS (our uapi headers may predate it) */

static int tcx_count(void *arg)
{
	struct tcx_query *t = arg;
	uint32_t ids[8];

	t->count = 8;
	if (bpf_prog_query((int)if_nametoindex(t->dev), TCX_INGRESS, 0, NULL, ids, &t->count) < 0)
		t->count = 0;
	return 0;
}

uint32_t th_tc_programs(const struct testhost *th, const char *dev)
{
	struct tcx_query t = { dev, 0 };

	th_in_b(th, tcx_count, &t);
	return t.count;
}
