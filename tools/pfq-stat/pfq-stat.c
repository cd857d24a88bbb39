/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pfq-stat: live counters, stats and rates of the PFQ groups of this network namespace. */
#include <pfq/pfq.h>

#include "cli.h"
#include "jsonout.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fputs(
"Usage: pfq-stat [options]\n"
"Show the PFQ groups of this network namespace: policy, bindings, computation,\n"
"filters, members (socket id, process, classes, weight, packets received and\n"
"lost), the group stats (recv, drop, frwd, kern) with rates, the counters\n"
"set by `inc`/`dec` and the last lines of the group log (log_msg, log_packet,\n"
"...). Refreshes every interval until interrupted.\n"
"\n"
"Options:\n"
"  -g, --group GID      only this group\n"
"  -i, --interval SEC   seconds between refreshes, 1..3600 (default 1)\n"
"  -n, --count N        stop after N reports (default: until SIGINT)\n"
"  -1, --once           one report (same as -n 1)\n"
"  -j, --json           JSON: one object per report and line\n"
"  -h, --help           this text\n"
"\n"
"The groups are read from the registry under $PFQ_RUN_DIR (default /run/pfq),\n"
"which pfq-stat makes nothing in (no directory: no groups); reading the\n"
"groups' BPF maps needs root (CAP_SYS_ADMIN).\n"
"Exit status: 0 on success, 1 on errors, 2 on bad usage.\n", f);
}

static const char *policy_name(int p)
{
	static const char *const names[] = { "undefined", "private", "restricted", "shared" };

	return p >= 0 && p <= 3 ? names[p] : "?";
}

/* the previous report, for rates */
static struct pfq_group_info *prev;
static int nprev;

static const struct pfq_group_info *previous(int gid)
{
	for (int i = 0; i < nprev; i++)
		if (prev[i].gid == gid)
			return &prev[i];
	return NULL;
}

/* every group now, in *buf (grown to the number of groups that exist, its
 * capacity in *cap): the count, or -errno */
static int read_groups(struct pfq_group_info **buf, size_t *cap)
{
	for (;;) {
		int n = pfq_groups_info(*buf, *cap, sizeof(**buf));
		struct pfq_group_info *b;

		if (n < 0 || (size_t)n <= *cap)
			return n;
		/* more groups than room: grow to the count and ask again */
		b = realloc(*buf, (size_t)n * sizeof(**buf));
		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = (size_t)n;
	}
}

static double rate(uint64_t now, uint64_t before, double secs)
{
	return now >= before && secs > 0 ? (double)(now - before) / secs : 0.0;
}

/* a rate as pfq-stat shows it: packets per second, one decimal */
static json_t *json_rate(uint64_t now, uint64_t before, double secs)
{
	return json_real(round(rate(now, before, secs) * 10) / 10);
}

/* one group as a JSON object (keys in this order), NULL when out of memory */
/* member k's egress endpoint: "dev" or "dev@queue" ("#ifindex" when the
 * device has no name here), "-" none */
static void egress_text(const struct pfq_group_info *x, int k, char *out, size_t n)
{
	char dev[24];

	if (!x->egress[k].ifindex) {
		snprintf(out, n, "-");
		return;
	}
	if (x->egress[k].dev[0])
		snprintf(dev, sizeof(dev), "%s", x->egress[k].dev);
	else
		snprintf(dev, sizeof(dev), "#%d", (int)x->egress[k].ifindex);
	if (x->egress[k].queue >= 0)
		snprintf(out, n, "%s@%d", dev, (int)x->egress[k].queue);
	else
		snprintf(out, n, "%s", dev);
}

static json_t *egress_json(const struct pfq_group_info *x, int k)
{
	char text[40];

	if (!x->egress[k].ifindex)
		return json_null();
	egress_text(x, k, text, sizeof(text));
	return jsonout_text(text);
}

static json_t *group_json(const struct pfq_group_info *x, double secs)
{
	const struct pfq_group_info *p = previous(x->gid);
	json_t *bindings = json_array(), *members = json_array(), *counters = json_object();
	json_t *lines = json_array();
	struct pfq_log_line log[16];
	uint64_t written = 0, skipped = 0;
	int bad = !bindings || !members || !counters || !lines;
	int nl = bad ? 0 : pfq_group_log(x->gid, log, 16, &written, &skipped);

	for (int k = 0; k < x->nbind && !bad; k++)
		bad = json_array_append_new(bindings,
					    json_pack("{s:o, s:i}", "dev",
						      jsonout_text(x->bind[k].dev), "queue",
						      x->bind[k].queue)) < 0;
	for (int k = 0; k < x->nmembers && !bad; k++) {
		const struct pfq_member_info *m = &x->members[k];
		char mask[32];

		snprintf(mask, sizeof(mask), "0x%" PRIx64, m->class_mask);
		bad = json_array_append_new(members,
					    json_pack("{s:I, s:i, s:s, s:i, s:b, s:o, s:o, s:o}", "id",
						      (json_int_t)m->id, "pid", m->pid, "class_mask",
						      mask, "weight", m->weight, "active",
						      m->active ? 1 : 0, "recv", jsonout_u64(m->recv),
						      "lost", jsonout_u64(m->lost), "egress",
						      egress_json(x, k))) < 0;
	}
	for (int k = 0; k < PFQ_MAX_COUNTERS && !bad; k++)
		if (x->counters.counter[k]) {
			char key[16];

			snprintf(key, sizeof(key), "%d", k);
			bad = json_object_set_new(counters, key,
						  json_integer(x->counters.counter[k])) < 0;
		}
	for (int k = 0; k < nl && !bad; k++)
		bad = json_array_append_new(lines,
					    json_pack("{s:o, s:i, s:I, s:o}", "seq",
						      jsonout_u64(log[k].seq), "ifindex",
						      log[k].ifindex, "len", (json_int_t)log[k].len,
						      "text", jsonout_text(log[k].text))) < 0;
	if (bad) {
		json_decref(bindings);
		json_decref(members);
		json_decref(counters);
		json_decref(lines);
		return NULL;
	}
	/* json_pack takes the references given with "o", also when it fails */
	return json_pack("{s:i, s:s, s:i, s:o, s:i, s:b, s:o,"
			 " s:{s:o, s:o, s:o, s:o, s:o}, s:{s:o, s:o}, s:o, s:o,"
			 " s:{s:o, s:o, s:o}}",
			 "gid", x->gid, "policy", policy_name(x->policy), "owner_pid", x->owner_pid,
			 "computation", jsonout_text(x->computation), "bpf_filter", x->has_fprog,
			 "vlan_filters", x->vlan_on ? 1 : 0, "bindings", bindings,
			 "stats", "recv", jsonout_u64(x->stats.recv), "drop",
			 jsonout_u64(x->stats.drop), "frwd", jsonout_u64(x->stats.frwd), "disc",
			 jsonout_u64(x->stats.disc), "kern", jsonout_u64(x->stats.kern),
			 "rates", "recv", json_rate(x->stats.recv, p ? p->stats.recv : x->stats.recv,
						    p ? secs : 0),
			 "drop", json_rate(x->stats.drop, p ? p->stats.drop : x->stats.drop,
					   p ? secs : 0),
			 "members", members, "counters", counters,
			 "log", "written", jsonout_u64(written), "skipped", jsonout_u64(skipped),
			 "lines", lines);
}

/* {"groups":[...]} on one line; -1 when out of memory or the write failed */
static int print_json(const struct pfq_group_info *g, int n, double secs)
{
	json_t *groups = json_array();
	int bad = !groups;

	for (int i = 0; i < n && !bad; i++)
		bad = json_array_append_new(groups, group_json(&g[i], secs)) < 0;
	if (bad) {
		json_decref(groups);
		return -1;
	}
	return jsonout_line(json_pack("{s:o}", "groups", groups), stdout, 15);
}

static void print_text(const struct pfq_group_info *g, int n, double secs)
{
	if (n == 0)
		printf("no PFQ groups in this network namespace\n");
	for (int i = 0; i < n; i++) {
		const struct pfq_group_info *x = &g[i], *p = previous(x->gid);

		printf("group %d  policy %s  owner ", x->gid, policy_name(x->policy));
		/* (a shared group whose creating process ended has none) */
		if (x->owner_pid > 0)
			printf("pid %d\n", (int)x->owner_pid);
		else
			printf("none\n");
		printf("  bindings:");
		for (int k = 0; k < x->nbind; k++)
			printf(" %s%s", x->bind[k].dev, x->bind[k].queue >= 0 ? "@" : "");
		if (!x->nbind)
			printf(" none");
		printf("\n  computation: %s\n", x->computation[0] ? x->computation :
		       "(none: copy to the default class)");
		printf("  filters: bpf %s, vlan %s\n", x->has_fprog ? "on" : "off",
		       x->vlan_on ? "on" : "off");
		printf("  stats: recv %" PRIu64 " (%.0f/s)  drop %" PRIu64 " (%.0f/s)  frwd %" PRIu64
		       "  disc %" PRIu64 "  kern %" PRIu64 "\n", x->stats.recv,
		       p ? rate(x->stats.recv, p->stats.recv, secs) : 0.0, x->stats.drop,
		       p ? rate(x->stats.drop, p->stats.drop, secs) : 0.0, x->stats.frwd,
		       x->stats.disc, x->stats.kern);
		printf("  %-8s %-8s %-18s %-6s %-6s %-12s %-12s %s\n", "socket", "pid", "classes",
		       "weight", "state", "recv", "lost", "egress");
		for (int k = 0; k < x->nmembers; k++) {
			const struct pfq_member_info *m = &x->members[k];
			char eg[40];

			egress_text(x, k, eg, sizeof(eg));
			printf("  %-8u %-8d 0x%-16" PRIx64 " %-6d %-6s %-12" PRIu64 " %-12" PRIu64
			       " %s\n", m->id, m->pid, m->class_mask, m->weight,
			       m->active ? "on" : "off", m->recv, m->lost, eg);
		}
		for (int k = 0, first = 1; k < PFQ_MAX_COUNTERS; k++)
			if (x->counters.counter[k]) {
				printf("%s[%d]=%" PRId64, first ? "  counters: " : " ", k,
				       x->counters.counter[k]);
				first = 0;
			}
		printf("\n");
		{
			struct pfq_log_line lines[5];
			uint64_t w = 0, sk = 0;
			int nl = pfq_group_log(x->gid, lines, 5, &w, &sk);

			if (nl > 0)
				printf("  log: %" PRIu64 " lines (%" PRIu64 " over the rate limit), the last:\n",
				       w, sk);
			for (int k = 0; k < nl; k++)
				printf("    #%" PRIu64 " %s\n", lines[k].seq, lines[k].text);
		}
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli cli = { "pfq-stat", opts };
	struct pfq_group_info *info = NULL;
	size_t cap = 0;
	long gid = -1, interval = 1, count = 0;
	int json = 0, c, reports = 0;
	struct timespec last = { 0, 0 };

	while ((c = getopt_long(argc, argv, "g:i:n:1jh", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			if (cli_long(&cli, c, optarg, 0, PFQ_MAX_GROUPS - 1, &gid) < 0)
				return 2;
			break;
		case 'i':
			if (cli_long(&cli, c, optarg, 1, 3600, &interval) < 0)
				return 2;
			break;
		case 'n':
			if (cli_long(&cli, c, optarg, 1, 1L << 30, &count) < 0)
				return 2;
			break;
		case '1':
			count = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pfq-stat: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		struct timespec now;
		int n = read_groups(&info, &cap), k = 0;
		struct pfq_group_info *p;
		double secs;

		if (n < 0) {
			fprintf(stderr, "pfq-stat: %s\n",
				n == -ENOMEM ? "out of memory" : pfq_error(NULL));
			return 1;
		}
		/* keep only the asked group */
		for (int i = 0; i < n; i++)
			if (gid < 0 || info[i].gid == gid)
				info[k++] = info[i];
		clock_gettime(CLOCK_MONOTONIC, &now);
		secs = (double)(now.tv_sec - last.tv_sec) + (now.tv_nsec - last.tv_nsec) / 1e9;
		if (json) {
			if (print_json(info, k, secs) < 0) {
				fprintf(stderr, "pfq-stat: out of memory or cannot write the output\n");
				return 1;
			}
		} else {
			if (isatty(STDOUT_FILENO) && count != 1)
				printf("\033[H\033[2J"); /* a refreshing view */
			print_text(info, k, secs);
		}
		fflush(stdout);
		p = k ? realloc(prev, sizeof(info[0]) * (size_t)k) : prev;
		if (k && !p) {
			fprintf(stderr, "pfq-stat: out of memory\n");
			return 1;
		}
		prev = p;
		if (k)
			memcpy(prev, info, sizeof(info[0]) * (size_t)k);
		nprev = k;
		last = now;
		if (count && ++reports >= count)
			break;
		for (long t = 0; t < interval * 10 && !stop; t++)
			usleep(100000);
	}
	free(info);
	free(prev);
	return 0;
}
