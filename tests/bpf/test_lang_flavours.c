/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every program that type-checks loads in every flavour it is used in —
 * read-back, filter, the group program (fanout flavour, members flavour)
 * and its TC flavour — or is refused at once with one of the documented messages
 * (docs/pfq-lang.md, "Limits"); the kernel's verifier never rejects one.
 * Programs: a fixed list (each bloom function in a group, ...), then random
 * well-typed ones drawn from the catalogue's signatures (tests/lib/langgen)
 * for a fixed list of seeds. PFQ_LANGGEN_MORE=N adds N more seeds (from
 * PFQ_LANGGEN_SEED, default the first after the fixed ones).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/lang.h>
#include "../../lib/lang/group-abi.h" /* the group ABI */

#include "bigprog.h"
#include "langgen.h"
#include "smallstack.h"
#include "../../lib/lang/lang-int.h" /* LANG_MAX_DEPTH */

#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FIXED_SEEDS 1000

/* the group's maps and settings, as lib/core/group_kernel.c gives them */
static struct pfq_lang_group_spec spec;
/* the same with egress endpoints among the members */
static struct pfq_lang_group_spec spec_egress;

static bool always(const pfq_lang_program *p)
{
	(void)p;
	return true;
}

static bool needs_tc(const pfq_lang_program *p)
{
	return pfq_lang_needs_tc(p);
}

static void readback(struct pfq_lang_bpf_opts *o) { o->flavour = PFQ_LANG_READBACK; }
static void filter(struct pfq_lang_bpf_opts *o) { o->flavour = PFQ_LANG_FILTER; }
/* a group loads its members flavour only when a decision can name several
 * members (lib/core/group_prog.c) */
static bool copies(const pfq_lang_program *p)
{
	struct pfq_lang_fates f;

	return pfq_lang_fates(p, &f) == 0 && (f.may_copy || f.may_double);
}

static void group_socket(struct pfq_lang_bpf_opts *o)
{
	o->flavour = PFQ_LANG_GROUP_MEMBERS;
	o->group = &spec;
}

static void group_tc(struct pfq_lang_bpf_opts *o)
{
	o->flavour = PFQ_LANG_GROUP_TC;
	o->group = &spec;
}

static void group_tc_egress(struct pfq_lang_bpf_opts *o)
{
	o->flavour = PFQ_LANG_GROUP_TC;
	o->group = &spec_egress;
}

static void group_fanout(struct pfq_lang_bpf_opts *o)
{
	o->flavour = PFQ_LANG_GROUP_FANOUT;
	o->group = &spec;
}

/* The flavours a computation is loaded in, and when: a new flavour (say a
 * PACKET_FANOUT_EBPF group program) is one more line. */
static const struct flavour {
	const char *name;
	bool (*used)(const pfq_lang_program *p);
	void (*set)(struct pfq_lang_bpf_opts *o);
} flavours[] = {
	{ "read-back", always, readback },
	{ "filter", always, filter },
	/* the group's program that runs once per packet at its fanout */
	{ "group fanout", always, group_fanout },
	{ "group members", copies, group_socket },
	/* gk_compile loads it for computations that forward or decide for
	 * the host stack */
	{ "group TC", needs_tc, group_tc },
	/* ... and for any computation when a member is an egress endpoint */
	{ "group TC with egress endpoints", always, group_tc_egress },
};

#define NFLAVOURS (sizeof(flavours) / sizeof(flavours[0]))

/* Refusals the compiler makes at once, by design (docs/pfq-lang.md): the
 * message says which function. */
static const char *const documented[] = {
	"too large for the kernel's verifier", "nested more than",
};

struct tally {
	int programs, loads[NFLAVOURS], refused, rejected;
	double slowest;
};

static int fake_ifindex(const char *dev, void *user)
{
	(void)user;
	return !strcmp(dev, "lo") ? 1 : 1000 + (int)strlen(dev);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* load src in every flavour it is used in; false (after a message) when the
 * verifier rejected it or a refusal was not of the documented kind */
static bool load_everywhere(const char *src, struct tally *t)
{
	static char log[1 << 16];
	struct pfq_lang_diag diag;
	pfq_lang_program *p = pfq_lang_compile(src, &diag);
	bool ok = true;

	if (!p) {
		fprintf(stderr, "not well-typed (a generator bug): %s\n%s\n", diag.msg, src);
		return false;
	}
	t->programs++;
	for (size_t f = 0; f < NFLAVOURS && ok; f++) {
		struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .ifindex_of = fake_ifindex,
					       .log = log, .log_size = sizeof(log) };
		pfq_lang_bpf *b;
		double t0, dt;

		if (!flavours[f].used(p))
			continue;
		flavours[f].set(&o);
		log[0] = '\0';
		t0 = now();
		b = pfq_lang_bpf_load(p, &o, &diag);
		dt = now() - t0;
		if (dt > t->slowest)
			t->slowest = dt;
		if (b) {
			t->loads[f]++;
			pfq_lang_bpf_free(b);
			continue;
		}
		bool known = false;

		for (size_t k = 0; k < sizeof(documented) / sizeof(documented[0]); k++)
			known |= strstr(diag.msg, documented[k]) != NULL;
		/* "at once": the compiler refuses before the kernel sees the
		 * program (milliseconds); 3 s leaves room for a loaded VM */
		if (known && dt < 3.0) {
			t->refused++;
			break; /* the same refusal in every flavour */
		}
		size_t ll = strlen(log);

		fprintf(stderr, "%s flavour refused in %.2f s: %s\n... %s\nprogram:\n%s\n",
			flavours[f].name, dt, diag.msg, ll > 400 ? log + ll - 400 : log, src);
		t->rejected++;
		ok = false;
	}
	pfq_lang_free(p);
	return ok;
}

static void report(const char *what, const struct tally *t, double secs)
{
	printf("%s: %d programs, loads:", what, t->programs);
	for (size_t f = 0; f < NFLAVOURS; f++)
		printf(" %s %d,", flavours[f].name, t->loads[f]);
	printf(" refused at once %d, verifier rejections %d; %.1f s (slowest load %.2f s)\n",
	       t->refused, t->rejected, secs, t->slowest);
}

/* What the issues found, and one of each shape, in every flavour. */
static void test_fixed_programs(void **state)
{
	static const char *programs[] = {
		"bloom_filter 64 [\"10.0.0.1\"] 32",
		"bloom_src_filter 1024 [\"10.0.0.1\", \"192.168.0.13\"] 24",
		"bloom_dst_filter 8 [\"8.8.8.8\"] 8 >-> steer_flow",
		"when (bloom 1024 [\"192.168.0.13\", \"192.168.0.42\"] 32) log_packet >-> kernel",
		"when (bloom_src 128 [\"10.0.0.1\"] 32 .||. bloom_dst 8 [\"8.8.8.8\"] 8) (inc 2) >-> steer_ip",
		"ip >-> steer_flow",
		/* issue 13, item 9: refused by the verifier after seconds */
		"f x = par (filter x >-> steer_rtp) (gtp >-> steer_gtp_usr \"10.0.0.0\" 8)\n"
		"main = f is_rtp >-> f is_rtcp >-> conditional is_gtp steer_voip (forward \"eth1\")",
		"d = par3 (rtp >-> steer_rtp) (rtcp >-> steer_voip) (gtp_up >-> steer_flow)\n"
		"main = d >-> par d (tee \"eth2\" is_udp) >-> d",
		"link [\"lo\", \"eth1\", \"eth2\"] >-> when is_ip6 (detour_if is_icmp)",
	};
	struct tally t = { 0 };
	double t0 = now();

	(void)state;
	for (size_t k = 0; k < sizeof(programs) / sizeof(programs[0]); k++)
		if (!load_everywhere(programs[k], &t))
			fail_msg("'%s' did not load", programs[k]);
	report("fixed programs", &t, now() - t0);
	assert_int_equal(t.refused, 0);
}

/* What the compiler refuses by design is refused at once, saying where,
 * in every flavour: the kernel never sees it (issue 13, item 9: the
 * verifier took 7-13 s to refuse programs). */
static void test_refused_at_once(void **state)
{
	static const struct {
		const char *prog, *says;
	} cases[] = {
		/* xor compiles its second operand twice: 2^14 copies */
		{ NULL, "'xor' at line 1 col 9" },
		/* 9,000 alternatives: too long, not too deep */
		{ NULL, "most of them for '.||.'" },
		{ "par (par (par (par (par (par (par drop unit) unit) unit) unit) unit) unit) unit",
		  "'par' at line 1 col 31: par nested more than 6 deep" },
	};
	size_t size = 1 << 20;
	char *src = malloc(size);

	(void)state;
	assert_non_null(src);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct pfq_lang_diag diag;
		pfq_lang_program *p;

		if (k == 0) {
			bigprog_xor_chain(src, size, 14);
		} else if (k == 1) {
			size_t n = (size_t)snprintf(src, size, "filter (is_tcp");

			for (int i = 0; i < 9000; i++)
				n += (size_t)snprintf(src + n, size - n, " .||. has_src_port %d", i);
			snprintf(src + n, size - n, ")");
		} else {
			snprintf(src, size, "%s", cases[k].prog);
		}
		p = pfq_lang_compile(src, &diag);
		assert_non_null(p);
		for (size_t f = 0; f < NFLAVOURS; f++) {
			struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .ifindex_of = fake_ifindex };
			double t0 = now();

			flavours[f].set(&o);
			assert_null(pfq_lang_bpf_load(p, &o, &diag));
			/* milliseconds; 3 s is room for a loaded VM under ASan */
			assert_true(now() - t0 < 3.0);
			if (!strstr(diag.msg, cases[k].says))
				fail_msg("case %zu, %s flavour: '%s', expected '%s'", k, flavours[f].name,
					 diag.msg, cases[k].says);
		}
		pfq_lang_free(p);
	}
	free(src);
}

struct deep {
	char *src;
	struct tally t;
	bool ok;
};

static void load_deep(void *arg)
{
	struct deep *d = arg;

	d->ok = load_everywhere(d->src, &d->t);
}

/* The code generators recurse over the program too: the deepest programs
 * load in every flavour from a thread with a 1 MB stack (issue 13, item 11). */
static void test_deep_programs(void **state)
{
	size_t size = 64 * LANG_MAX_DEPTH + 1024;
	struct deep d = { .src = malloc(size) };
	double t0 = now();

	(void)state;
	assert_non_null(d.src);
	for (int shape = 0; shape < BIGPROG_DEEP_SHAPES; shape++) {
		bigprog_deep(d.src, size, shape, LANG_MAX_DEPTH - 2);
		assert_int_equal(run_with_stack(1 << 20, load_deep, &d), 0);
		if (!d.ok)
			fail_msg("shape %d did not load", shape);
	}
	report("deep programs", &d.t, now() - t0);
	free(d.src);
}

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : dflt;
}

/* random programs of seeds [from, from + n) */
static void generated(const char *what, long from, long n, bool *seen)
{
	struct tally t = { 0 };
	double t0 = now();
	int failed = 0, too_long = 0;

	for (long seed = from; seed < from + n; seed++) {
		static char src[8192];
		struct langgen g;

		langgen_init(&g, (uint64_t)seed, seen);
		if (!langgen_program(&g, src, sizeof(src))) {
			too_long++;
			continue;
		}
		if (!load_everywhere(src, &t)) {
			fprintf(stderr, "(seed %ld)\n", seed);
			failed++;
		}
	}
	report(what, &t, now() - t0);
	assert_int_equal(failed, 0);
	assert_int_equal(t.rejected, 0);
	assert_true(t.programs >= n * 9 / 10 - too_long);
}

static void test_generated(void **state)
{
	bool seen[512] = { false };
	int missing = 0;

	(void)state;
	generated("generated programs", 1, FIXED_SEEDS, seen);
	/* the seeds reach every function of the catalogue */
	for (int i = 0; pfq_lang_functions()[i]; i++)
		if (!seen[i]) {
			fprintf(stderr, "no generated program uses '%s'\n", pfq_lang_functions()[i]);
			missing++;
		}
	assert_int_equal(missing, 0);
}

/* PFQ_LANGGEN_MORE=N: N more seeds, from PFQ_LANGGEN_SEED */
static void test_more_generated(void **state)
{
	long n = env_long("PFQ_LANGGEN_MORE", 0);

	(void)state;
	if (n <= 0)
		skip();
	generated("more generated programs", env_long("PFQ_LANGGEN_SEED", FIXED_SEEDS + 1), n, NULL);
}

static int group_setup(void **state)
{
	static const struct sock_filter accept_all[] = { { BPF_RET | BPF_K, 0, 0, 0xffff } };

	(void)state;
	memset(&spec, 0, sizeof(spec));
	spec.members_map_fd = pfq_lang_members_map_create();
	spec.stats_map_fd = pfq_lang_group_stats_map_create();
	spec.counters_map_fd = pfq_lang_group_counters_map_create();
	spec.logs_map_fd = pfq_lang_group_logs_map_create();
	spec.logctl_map_fd = pfq_lang_group_logctl_map_create();
	spec.flows_map_fd = pfq_lang_group_flows_map_create();
	if (spec.members_map_fd < 0 || spec.stats_map_fd < 0 || spec.counters_map_fd < 0 ||
	    spec.logs_map_fd < 0 || spec.logctl_map_fd < 0 || spec.flows_map_fd < 0)
		return -1;
	/* what a group of a capture usually has: two bindings (one on a hw
	 * queue), a pcap filter and VLAN filters */
	spec.nbind = 2;
	spec.bind[0] = (struct pfq_group_binding){ 1, -1, 0 };
	spec.bind[1] = (struct pfq_group_binding){ 2, 1, 1 };
	spec.fprog_insns = accept_all;
	spec.fprog_len = 1;
	spec.vlan_on = 1;
	spec.vlan_vids[0] = 1;
	spec_egress = spec;
	spec_egress.egress = 1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	close(spec.members_map_fd);
	close(spec.stats_map_fd);
	close(spec.counters_map_fd);
	close(spec.logs_map_fd);
	close(spec.flows_map_fd);
	close(spec.logctl_map_fd);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_programs),
		cmocka_unit_test(test_deep_programs),
		cmocka_unit_test(test_refused_at_once),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_more_generated),
	};
	return cmocka_run_group_tests_name("pfq-lang-flavours", tests, group_setup, group_teardown);
}
