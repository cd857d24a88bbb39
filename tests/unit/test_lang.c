/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PFQ/lang front end and reference interpreter: the semantic vectors of the
 * specification, every example, every catalogue function, the error
 * messages, and robustness against mangled programs and frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/lang.h>
#include "../../lib/lang/group-abi.h" /* the group ABI */

#include "bigprog.h"
#include "pktgen.h"
#include "smallstack.h"
#include "../../lib/lang/lang-int.h" /* LANG_MAX_DEPTH */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* the frames of the vectors */
enum { FU, FUR, FT, FI, FA, FV, FS, FF, F6, NFRAMES };
static uint8_t frames[NFRAMES][256];
static size_t lens[NFRAMES];

static void build_frames(void)
{
	struct pkt_spec s;

	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1000, 53, 0);
	lens[FU] = pkt_build(&s, frames[FU], 256);
	pkt_spec_udp4(&s, "10.0.0.2", "10.0.0.1", 53, 1000, 0);
	lens[FUR] = pkt_build(&s, frames[FUR], 256);
	pkt_spec_udp4(&s, "10.0.0.1", "192.168.1.9", 40000, 80, 0);
	s.l4 = IPPROTO_TCP;
	s.ttl = 64;
	lens[FT] = pkt_build(&s, frames[FT], 256);
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1, 1, 0);
	s.l4 = IPPROTO_ICMP;
	s.ttl = 5;
	lens[FI] = pkt_build(&s, frames[FI], 256);
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 0, 0, 0);
	s.l3 = PKT_ARP;
	memset(s.dst_mac, 0xff, 6);
	lens[FA] = pkt_build(&s, frames[FA], 256);
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1000, 53, 0);
	s.vlan_outer = 42;
	lens[FV] = pkt_build(&s, frames[FV], 256);
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1000, 53, 0);
	lens[FS] = pkt_build(&s, frames[FS], 256);
	lens[FS] = 14 + 10; /* IPv4 header cut after 10 bytes */
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1000, 53, 0);
	s.frag = 185; /* second fragment: offset 185 * 8, no UDP header */
	lens[FF] = pkt_build(&s, frames[FF], 256);
	pkt_spec_udp4(&s, "10.0.0.1", "10.0.0.2", 1000, 53, 0);
	s.l3 = PKT_IPV6;
	inet_pton(AF_INET6, "2001:db8::1", s.src_ip);
	inet_pton(AF_INET6, "2001:db8::2", s.dst_ip);
	lens[F6] = pkt_build(&s, frames[F6], 256);
}

static struct pfq_lang_decision run(const char *src, int frame)
{
	struct pfq_lang_diag diag;
	struct pfq_lang_decision d;
	pfq_lang_program *p = pfq_lang_compile(src, &diag);

	if (!p)
		fail_msg("'%s' does not compile: %d:%d: %s", src, diag.line, diag.col, diag.msg);
	assert_int_equal(pfq_lang_run(p, frames[frame], lens[frame], NULL, &d), 0);
	pfq_lang_free(p);
	return d;
}

#define C0 PFQ_CLASS_DEFAULT

static void expect(const char *src, int frame, enum pfq_fate fate, uint64_t cls)
{
	struct pfq_lang_decision d = run(src, frame);

	if (d.fate != fate || (fate != PFQ_FATE_DROP && d.class_mask != cls))
		fail_msg("'%s' on frame %d: fate %d class 0x%llx, expected fate %d class 0x%llx",
			 src, frame, d.fate, (unsigned long long)d.class_mask, fate,
			 (unsigned long long)cls);
}

static void test_vectors(void **state)
{
	struct pfq_lang_decision a, b;

	(void)state;
	/* 1: a program that does nothing */
	expect("unit", FA, PFQ_FATE_COPY, C0);
	expect("ip", FU, PFQ_FATE_COPY, C0);                         /* 2 */
	expect("ip", FA, PFQ_FATE_DROP, 0);                          /* 3 */
	expect("ip", F6, PFQ_FATE_DROP, 0);                          /* 4 */
	expect("ip6", F6, PFQ_FATE_COPY, C0);
	expect("ip", FV, PFQ_FATE_COPY, C0);                         /* 5 */
	a = run("ip >-> steer_flow", FU);                             /* 6 */
	b = run("ip >-> steer_flow", FUR);
	assert_int_equal(a.fate, PFQ_FATE_STEER);
	assert_int_equal(a.hash[0], b.hash[0]);
	a = run("ip >-> steer_flow", FI);                             /* 7 */
	assert_int_equal(a.fate, PFQ_FATE_STEER);
	assert_int_equal(a.hash[0], 0x0a000001u ^ 0x0a000002u);
	expect("steer_flow", FA, PFQ_FATE_DROP, 0);                  /* 8 */
	a = run("steer_flow", FF);                                    /* 9 */
	assert_int_equal(a.fate, PFQ_FATE_STEER);
	assert_int_equal(a.hash[0], 0x0a000001u ^ 0x0a000002u);
	expect("steer_flow", FS, PFQ_FATE_DROP, 0);                  /* 10 */
	expect("when is_tcp drop", FT, PFQ_FATE_DROP, 0);            /* 11 */
	expect("when is_tcp drop", FU, PFQ_FATE_COPY, C0);           /* 12 */
	expect("unless is_tcp drop", FU, PFQ_FATE_DROP, 0);          /* 13 */
	expect("inv ip", FU, PFQ_FATE_DROP, 0);                      /* 14 */
	expect("inv ip", FA, PFQ_FATE_COPY, C0);                     /* 15 */
	expect("par udp icmp", FI, PFQ_FATE_COPY, C0);               /* 16 */
	expect("par udp icmp", FT, PFQ_FATE_DROP, 0);                /* 17 */
	expect("par (classify 2 >-> udp) icmp", FI, PFQ_FATE_COPY, C0);      /* 18 */
	expect("par (classify 2 >-> udp) icmp", FU, PFQ_FATE_COPY, 1u << 2); /* 19 */
	a = run("steer_flow >-> classify 1", FU);                     /* 20 */
	assert_int_equal(a.fate, PFQ_FATE_STEER);
	assert_int_equal(a.class_mask, 1u << 1);
	expect("broadcast", FA, PFQ_FATE_COPY, PFQ_CLASS_ANY);        /* 21 */
	expect("when (ip_ttl .< 10) drop", FI, PFQ_FATE_DROP, 0);    /* 22 */
	expect("when (ip_ttl .< 10) drop", FT, PFQ_FATE_COPY, C0);   /* 23 */
	expect("when (ip_ttl .< 10) drop", FA, PFQ_FATE_COPY, C0);   /* 24 */
	expect("filter (has_port 53)", FU, PFQ_FATE_COPY, C0);       /* 25 */
	expect("filter (has_port 53)", FUR, PFQ_FATE_COPY, C0);
	expect("filter (has_dst_port 53)", FUR, PFQ_FATE_DROP, 0);   /* 26 */
	expect("filter (has_addr \"10.0.0.0/24\")", FT, PFQ_FATE_COPY, C0);   /* 27 */
	expect("filter (has_dst_addr \"10.0.0.0/24\")", FT, PFQ_FATE_DROP, 0); /* 28 */
	a = run("conditional is_udp (forward \"eth1\") (forward \"eth2\")", FU); /* 29 */
	assert_int_equal(a.fate, PFQ_FATE_COPY);
	assert_int_equal(a.nfwd, 1);
	assert_string_equal(a.fwd[0], "eth1");
	a = run("bridge \"eth1\"", FU);                               /* 30 */
	assert_int_equal(a.fate, PFQ_FATE_DROP);
	assert_string_equal(a.fwd[0], "eth1");
	a = run("tee \"eth1\" is_udp", FT);                           /* 31 */
	assert_int_equal(a.fate, PFQ_FATE_DROP);
	assert_int_equal(a.nfwd, 1);
	a = run("tap \"eth1\" is_udp", FT);                           /* 32 */
	assert_int_equal(a.fate, PFQ_FATE_DROP);
	assert_int_equal(a.nfwd, 1);
	a = run("tap \"eth1\" is_udp", FU);
	assert_int_equal(a.fate, PFQ_FATE_COPY);
	assert_int_equal(a.nfwd, 0);
	a = run("kernel", FU);                                        /* 33 */
	assert_int_equal(a.fate, PFQ_FATE_COPY);
	assert_true(a.to_kernel);
	a = run("detour", FU);                                        /* 34 */
	assert_int_equal(a.fate, PFQ_FATE_DROP);
	assert_true(a.to_kernel);
	a = run("inc 3 >-> udp >-> inc 4", FT);                       /* 35 */
	assert_int_equal(a.fate, PFQ_FATE_DROP);
	assert_int_equal(a.counters[3], 1);
	assert_int_equal(a.counters[4], 0);
	a = run("mark 7 >-> when (has_mark 7) (classify 5)", FU);     /* 36 */
	assert_int_equal(a.class_mask, 1u << 5);
	assert_int_equal(a.mark, 7);
	a = run("put_state 9 >-> filter (get_state .== 9)", FA);      /* 37 */
	assert_int_equal(a.fate, PFQ_FATE_COPY);
	assert_int_equal(a.state, 9);
	a = run("double_steer_ip", FU);                               /* 38 */
	assert_int_equal(a.fate, PFQ_FATE_DOUBLE_STEER);
	assert_int_equal(a.hash[0], 0x0a000001u);
	assert_int_equal(a.hash[1], 0x0a000002u);
	expect("vlan_id_filter [42]", FV, PFQ_FATE_COPY, C0);        /* 39 */
	expect("vlan_id_filter [42]", FU, PFQ_FATE_DROP, 0);
	a = run("steer_to 1", FA);                                    /* 40 */
	assert_int_equal(a.fate, PFQ_FATE_STEER_TO);
	assert_int_equal(a.hash[0], 1);
}

/* the tag inline (file) and out of band (kernel) decide alike */
static void test_vlan_views(void **state)
{
	struct pfq_lang_meta meta = { .vlan_present = true, .vlan_tci = 42, .vlan_tpid = 0x8100 };
	struct pfq_lang_decision a, b;
	uint8_t stripped[256];
	pfq_lang_program *p = pfq_lang_compile(
		"when (has_vid 42) (classify 3) >-> ip >-> steer_field 12 2", NULL);

	(void)state;
	assert_non_null(p);
	memcpy(stripped, frames[FV], 12);
	memcpy(stripped + 12, frames[FV] + 16, lens[FV] - 16);
	pfq_lang_run(p, frames[FV], lens[FV], NULL, &a);
	pfq_lang_run(p, stripped, lens[FV] - 4, &meta, &b);
	assert_int_equal(a.fate, PFQ_FATE_STEER);
	assert_int_equal(a.class_mask, 1u << 3);
	assert_int_equal(a.hash[0], 0x0800); /* offsets count without the outer tag */
	assert_memory_equal(&a, &b, sizeof(a));
	pfq_lang_free(p);
}

static void test_examples(void **state)
{
	static const char *examples[] = {
		"ip >-> steer_flow",
		"when is_tcp drop",
		"steer_flow >-> log_msg \"Steering a flow\"",
		"par udp icmp >-> log_msg \"UDP or ICMP\"",
		"when (ip_ttl .< 64) drop",
		"conditional is_udp (forward \"eth1\") (forward \"eth2\")",
		"tee \"eth1\" is_udp >-> kernel",
		"when (vlan_id [1,13,42,43]) (log_msg \"Got a packet!\")",
		"when (bloom 1024 [\"192.168.0.13\", \"192.168.0.42\"] 32) log_packet >-> kernel",
		"main = if not is_tcp then par (when (not is_tcp) drop) (filter (ip_ttl .> 10)) else filter (ip_ttl .> 10)",
		"import Network.PFQ.Lang\nimport Network.PFQ.Lang.Default\n\nmain = steer_flow >-> when is_tcp drop >-> kernel\n",
		"-- comment\nmain :: NetFunction\nmain = ip {- block {- nested -} -}\n  >-> steer_local_net \"192.168.0.0\" 16 24\n",
		"f x = when (has_port x) drop\nn = 80\nmain = f 53 >-> f n >-> g\ng = filter ((ip_ttl .> 1) .&&. (42 <. ip_ttl) .||. is_udp)\n",
		"steer_local_ip (CIDR (\"10.0.0.0\", 8)) >-> classify 2",
		"ip >-> (steer_flow $ ) ",
		"when (ip_frag `any_bit` 0x3fff) drop >-> filter ((tcp_hdrlen .>= 20) .^^. is_udp)",
		"link [\"eth1\", \"eth2\"] >-> double_steer_field 26 30 4",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		struct pfq_lang_diag diag;
		pfq_lang_program *p = pfq_lang_compile(examples[i], &diag);

		if (i == 14) { /* "$" without a right-hand side is an error */
			assert_null(p);
			continue;
		}
		if (!p)
			fail_msg("example '%s': %d:%d: %s", examples[i], diag.line, diag.col, diag.msg);
		pfq_lang_free(p);
	}
}

/* every catalogue function type-checks with arguments of its signature */
static void test_every_function(void **state)
{
	const char *const *names = pfq_lang_functions();
	int n = 0;

	(void)state;
	for (; names[n]; n++) {
		static const char *samples[] = {
			[1] = "unit", [2] = "is_udp", [3] = "ip_ttl", [4] = "1", [5] = "6",
			[6] = "80", [7] = "7", [8] = "9", [9] = "\"hello\"", [10] = "\"eth1\"",
			[11] = "\"02:00:00:00:00:01\"", [12] = "\"10.0.0.0\"", [13] = "\"10.0.0.0/8\"",
			[14] = "[1, 42]", [15] = "[\"eth1\"]", [16] = "[\"10.0.0.1\"]",
		};
		char src[512], call[400];
		struct pfq_lang_diag diag;
		const char *name = names[n];
		int len = snprintf(call, sizeof(call), "(%s%s%s)", name[0] == '.' || name[0] == '>' ? "(" : "",
				   name, name[0] == '.' || name[0] == '>' ? ")" : "");

		/* arity and types from a first attempt's error would be circular:
		 * try growing argument lists of each sample type instead */
		pfq_lang_program *p = NULL;

		for (int nargs = 0; nargs <= 8 && !p; nargs++) {
			/* the signature is found by trying each type per position */
			int types[8];

			for (int k = 0; k < nargs; k++)
				types[k] = 1;
			for (;;) {
				int l = len - 1;

				snprintf(src, sizeof(src), "%.*s", l, call);
				for (int k = 0; k < nargs; k++)
					l += snprintf(src + l, sizeof(src) - (size_t)l, " %s", samples[types[k]]);
				snprintf(src + l, sizeof(src) - (size_t)l, ")");
				char prog[600];

				snprintf(prog, sizeof(prog), "x = %s\nmain = x", src);
				p = pfq_lang_compile(prog, &diag);
				if (!p) {
					snprintf(prog, sizeof(prog), "main = filter %s", src);
					p = pfq_lang_compile(prog, &diag);
				}
				if (!p) {
					snprintf(prog, sizeof(prog), "main = filter (%s .> 1)", src);
					p = pfq_lang_compile(prog, &diag);
				}
				if (p || nargs == 0)
					break;
				/* next combination of sample types */
				int k = 0;

				while (k < nargs && ++types[k] > 16)
					types[k++] = 1;
				if (k == nargs || nargs > 3)
					break;
			}
		}
		if (!p)
			fail_msg("no argument list makes '%s' type-check", name);
		pfq_lang_free(p);
	}
	assert_true(n > 140);
}

static void expect_error(const char *src, int line, int col, const char *needle)
{
	struct pfq_lang_diag diag;
	pfq_lang_program *p = pfq_lang_compile(src, &diag);

	if (p)
		fail_msg("'%s' compiled, expected an error", src);
	if (!strstr(diag.msg, needle) || (line && (diag.line != line || diag.col != col)))
		fail_msg("'%s': got %d:%d '%s', expected %d:%d '%s'", src, diag.line, diag.col,
			 diag.msg, line, col, needle);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("ip >-> steer_flw", 1, 8, "did you mean 'steer_flow'");
	expect_error("when ip drop", 1, 6, "expected a NetPredicate");
	expect_error("when is_tcp is_udp", 1, 13, "filter p");
	expect_error("filter (has_port 70000)", 1, 18, "argument 1 of 'has_port'");
	expect_error("filter (has_port \"x\")", 1, 18, "expected a Word16");
	expect_error("when is_tcp", 1, 1, "'when' takes 2 arguments");
	expect_error("classify 64", 1, 1, "class must be in 0..63");
	expect_error("inc 64", 1, 1, "counter must be in 0..63");
	expect_error("forward \"a/b\"", 1, 9, "not a valid device name");
	expect_error("addr \"10.0.0.0/33\"", 1, 6, "not a CIDR");
	expect_error("steer_local_link \"zz:00\"", 1, 18, "not a MAC");
	expect_error("steer_local_net \"10.0.0.300\" 8 16", 1, 17, "not an IPv4");
	expect_error("steer_local_net \"10.0.0.0\" 16 8", 1, 1, "subnetwork prefix");
	expect_error("steer_field 0 5", 1, 1, "field size");
	expect_error("vlan_id_filter [5000]", 1, 1, "VLAN id");
	expect_error("vlan_id_filter []", 1, 1, "empty");
	expect_error("is_tcp", 1, 1, "must be a NetFunction");
	expect_error("ip >->", 1, 7, "expected an expression");
	expect_error("(ip", 1, 4, "expected ')'");
	expect_error("ip )", 1, 4, "unexpected ')'");
	expect_error("\"unterminated", 1, 1, "unterminated string");
	expect_error("{- open", 1, 1, "unterminated block comment");
	expect_error("ip # x", 1, 4, "unexpected character");
	expect_error("when (ip_ttl .< 1 .< 2) drop", 1, 19, "non-associative");
	expect_error("filter (ip_ttl .> 1 .&&. is_udp)", 1, 21, "add parentheses");
	expect_error("", 1, 1, "empty program");
	expect_error("f = g\ng = f\nmain = f", 0, 0, "recursive");
	expect_error("f x = x\nmain = f", 2, 8, "takes 1 argument");
	expect_error("f = ip\nf = ip\nmain = f", 2, 1, "defined twice");
	expect_error("f = ip\n", 1, 1, "no 'main'");
	expect_error("main = ip\n  >-> udp\nfoo bar", 3, 1, "expected a definition");
	expect_error("filter (ip_ttl .< 99999999999999999999)", 1, 19, "too large");
	expect_error("ip ~~> udp", 1, 4, "unknown operator");
	expect_error("42", 1, 1, "expected a NetFunction");
	expect_error("steer_to (-1)", 1, 1, "member index");
	expect_error("filter (has_port (-1))", 1, 19, "out of range");
}

static void test_warnings(void **state)
{
	struct pfq_lang_diag diag;
	pfq_lang_program *p = pfq_lang_compile("import Foo.Bar\nmain = ip", &diag);

	(void)state;
	assert_non_null(p);
	assert_non_null(strstr(diag.warnings, "Foo.Bar"));
	pfq_lang_free(p);
}

/* every frame prefix of every vector frame, for a broad program: the
 * interpreter never reads out of bounds (ASan watches) and decides */
static void test_truncated_frames(void **state)
{
	static const char *progs[] = {
		"steer_flow", "steer_rtp", "steer_gtp_usr \"10.0.0.0\" 8",
		"when ((ip_ttl .< 10) .||. (tcp_hdrlen .> 20) .||. (udp_len .== 8) .||. (icmp_type .== 8)) drop",
		"filter (is_voip .||. is_gtp .||. is_frag .||. has_vid 42) >-> double_steer_mac",
		"steer_field_symmetric 26 30 4 >-> log_packet >-> log_buff",
	};
	struct pfq_lang_decision d;

	(void)state;
	for (size_t k = 0; k < sizeof(progs) / sizeof(progs[0]); k++) {
		pfq_lang_program *p = pfq_lang_compile(progs[k], NULL);

		assert_non_null(p);
		for (int f = 0; f < NFRAMES; f++)
			for (size_t len = 0; len <= lens[f]; len++) {
				uint8_t *copy = malloc(len ? len : 1);

				memcpy(copy, frames[f], len);
				assert_int_equal(pfq_lang_run(p, copy, len, NULL, &d), 0);
				free(copy);
			}
		pfq_lang_free(p);
	}
}

/* mangled programs: compile or fail cleanly (ASan/UBSan watch) */
static void test_mangled_programs(void **state)
{
	static const char *seeds[] = {
		"main = if not is_tcp then par (when (not is_tcp) drop) (filter (ip_ttl .> 10)) else filter (ip_ttl .> 10)",
		"when (bloom 1024 [\"192.168.0.13\", \"192.168.0.42\"] 32) log_packet >-> kernel",
		"f x = when (has_port x) drop\nmain = f 53 >-> steer_local_ip (CIDR (\"10.0.0.0\", 8))",
	};
	static const char alphabet[] = "()[]\"{}-`$.,=<>|&^ \n0x9fz_";
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		const char *s = seeds[round % 3];
		char buf[512];
		size_t n = strlen(s);

		memcpy(buf, s, n + 1);
		for (int m = 0; m < 1 + round % 4; m++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % n;

			seed = seed * 1103515245u + 12345u;
			if ((seed >> 4) % 3 == 0)
				memmove(buf + at, buf + at + 1, n - at), n--;
			else
				buf[at] = alphabet[(seed >> 9) % (sizeof(alphabet) - 1)];
		}
		pfq_lang_program *p = pfq_lang_compile(buf, NULL);

		if (p) {
			struct pfq_lang_decision d;

			for (int f = 0; f < NFRAMES; f++)
				pfq_lang_run(p, frames[f], lens[f], NULL, &d);
			pfq_lang_free(p);
		}
	}
}

/* Programs that grow exponentially when expanded or compiled are refused
 * at once with a clear error, not after minutes and gigabytes. */
static void test_explosive_programs(void **state)
{
	char src[2048];
	struct pfq_lang_diag diag;
	struct sock_fprog fp;
	pfq_lang_program *p;

	(void)state;
	bigprog_doubling(src, sizeof(src), 30);
	assert_null(pfq_lang_compile(src, &diag));
	assert_non_null(strstr(diag.msg, "program too large"));
	bigprog_xor_chain(src, sizeof(src), 40);
	p = pfq_lang_compile(src, &diag);
	assert_non_null(p);
	assert_int_equal(pfq_lang_classic_compile(p, 1, &fp, &diag), -E2BIG);
	assert_int_equal(errno, E2BIG);
	pfq_lang_free(p);
}

/* what one thread does with a program: everything that walks it */
struct walk {
	const char *src;
	bool compiled, classic;
	char msg[512];
};

static void walk(void *arg)
{
	struct walk *w = arg;
	struct pfq_lang_diag diag;
	struct pfq_lang_decision d;
	struct sock_fprog fp;
	pfq_lang_program *p = pfq_lang_compile(w->src, &diag);
	FILE *null = fopen("/dev/null", "w");

	snprintf(w->msg, sizeof(w->msg), "%s", diag.msg);
	w->compiled = p != NULL;
	if (p) {
		for (int f = 0; f < NFRAMES; f++)
			pfq_lang_run(p, frames[f], lens[f], NULL, &d);
		pfq_lang_dump(p, null);
		w->classic = pfq_lang_classic_compile(p, 1, &fp, &diag) == 0;
		if (w->classic)
			free(fp.filter);
	}
	pfq_lang_free(p);
	if (null)
		fclose(null);
}

/* compile, run, dump, classic-compile and free src on a thread with a 1 MB
 * stack (a stack overflow kills the test) */
static struct walk walk_small(const char *src)
{
	struct walk w = { .src = src };

	assert_int_equal(run_with_stack(1 << 20, walk, &w), 0);
	return w;
}

/* Every stage recurses over the program: nesting is bounded so that the
 * deepest program accepted fits a 1 MB stack, with every sanitizer on,
 * and anything deeper is refused with a message (issue 13, item 11: a 16 KB
 * chain of .||. crashed tcpdump with a 2 MB stack). */
static void test_deep_programs(void **state)
{
	size_t size = 64 * LANG_MAX_DEPTH + 1024;
	char *src = malloc(size);

	(void)state;
	for (int shape = 0; shape < BIGPROG_DEEP_SHAPES; shape++) {
		struct walk w;

		bigprog_deep(src, size, shape, LANG_MAX_DEPTH - 2);
		w = walk_small(src);
		if (!w.compiled)
			fail_msg("shape %d, %d deep, refused: %s", shape, LANG_MAX_DEPTH - 2, w.msg);
		bigprog_deep(src, size, shape, LANG_MAX_DEPTH + 1);
		w = walk_small(src);
		if (w.compiled || !strstr(w.msg, "nested too deeply"))
			fail_msg("shape %d, %d deep: '%s'", shape, LANG_MAX_DEPTH + 1, w.msg);
		bigprog_deep(src, size, shape, 100000);
		assert_false(walk_small(src).compiled);
	}
	free(src);
}

/* Chains of .||. .&&. >-> nest log2(n) deep: a thousand alternatives are
 * a program like any other. */
static void test_long_chains(void **state)
{
	static const char *const terms[] = { " .||. is_udp", " .&&. has_port 53", " >-> ip" };
	static const char *const first[] = { "filter (is_tcp", "filter (is_tcp", "unit" };
	size_t size = 1 << 20;
	char *src = malloc(size);

	(void)state;
	for (int k = 0; k < 3; k++) {
		size_t n = (size_t)snprintf(src, size, "%s", first[k]);

		/* 60 KB of terms and more (16 KB crashed tcpdump) */
		for (int i = 0; i < 5000; i++)
			n += (size_t)snprintf(src + n, size - n, "%s", terms[k]);
		snprintf(src + n, size - n, "%s", k < 2 ? ")" : "");
		struct walk w = walk_small(src);

		if (!w.compiled)
			fail_msg("chain %d refused: %s", k, w.msg);
	}
	/* the same meaning whichever way they are grouped */
	expect("filter (is_udp .||. is_tcp .||. is_icmp .||. is_ip6)", FT, PFQ_FATE_COPY, C0);
	expect("filter (is_udp .||. is_icmp .||. is_ip6 .||. is_tcp)", FU, PFQ_FATE_COPY, C0);
	expect("filter (is_udp .||. is_icmp .||. is_ip6 .||. has_vlan)", FT, PFQ_FATE_DROP, 0);
	expect("filter (is_ip .&&. is_udp .&&. has_port 53 .&&. is_ip)", FU, PFQ_FATE_COPY, C0);
	expect("filter (is_ip .&&. is_udp .&&. has_port 54 .&&. is_ip)", FU, PFQ_FATE_DROP, 0);
	expect("ip >-> classify 1 >-> udp >-> classify 2 >-> drop >-> classify 3", FU,
	       PFQ_FATE_DROP, 0);
	expect("ip >-> classify 1 >-> udp >-> classify 2 >-> unit >-> classify 3", FU,
	       PFQ_FATE_COPY, 1u << 3);
	expect("ip >-> classify 1 >-> tcp >-> classify 2", FU, PFQ_FATE_DROP, 0);
	free(src);
}

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Definitions: recursion is found as such (with the cycle), not as a
 * nesting limit; long chains of them are fine; programs that multiply when
 * expanded, or have very many definitions, are answered at once. */
static void test_definitions(void **state)
{
	size_t size = 1 << 20, n;
	char *src = malloc(size);
	struct pfq_lang_diag diag;
	pfq_lang_program *p;
	double t0;

	(void)state;
	/* issue 13, item 12: 65 deep said "is recursive" */
	for (int depth = 65; depth <= 160; depth += 95) {
		n = (size_t)snprintf(src, size, "d0 = unit\n");
		for (int i = 1; i <= depth; i++)
			n += (size_t)snprintf(src + n, size - n, "d%d = d%d >-> ip\n", i, i - 1);
		snprintf(src + n, size - n, "main = d%d >-> classify 3", depth);
		expect(src, FU, PFQ_FATE_COPY, 1u << 3);
		expect(src, FA, PFQ_FATE_DROP, 0);
	}
	expect_error("f = g\ng = h\nh = f\nmain = f", 1, 1, "'f' is recursive (f -> g -> h -> f)");
	expect_error("f x = when x (f x)\nmain = f is_tcp", 1, 1, "'f' is recursive (f -> f)");
	expect_error("a = b\nb = a\nc = ip\nmain = c", 1, 1, "'a' is recursive (a -> b -> a)");
	expect("f f = f\nmain = f ip", FU, PFQ_FATE_COPY, C0); /* the parameter hides f */
	/* a definition that doubles what it is given (f x = g (x >-> x)) */
	n = (size_t)snprintf(src, size, "a0 x = x\n");
	for (int i = 1; i <= 40; i++)
		n += (size_t)snprintf(src + n, size - n, "a%d x = a%d (x >-> x)\n", i, i - 1);
	snprintf(src + n, size - n, "main = a40 unit");
	t0 = seconds();
	assert_null(pfq_lang_compile(src, &diag));
	assert_non_null(strstr(diag.msg, "program too large"));
	/* ... or uses itself twice (2^40 uses of the identity, no function) */
	n = (size_t)snprintf(src, size, "a0 x = x\n");
	for (int i = 1; i <= 40; i++)
		n += (size_t)snprintf(src + n, size - n, "a%d x = a%d (a%d x)\n", i, i - 1, i - 1);
	snprintf(src + n, size - n, "main = a40 unit");
	assert_null(pfq_lang_compile(src, &diag));
	/* 50,000 definitions (looked up by name, not one by one), one used */
	n = 0;
	for (int i = 0; i < 50000; i++)
		n += (size_t)snprintf(src + n, size - n, "d%d = unit\n", i);
	snprintf(src + n, size - n, "main = d49999 >-> d0");
	p = pfq_lang_compile(src, &diag);
	assert_non_null(p);
	pfq_lang_free(p);
	snprintf(src + n, size - n, "d7 = ip\nmain = d0");
	assert_null(pfq_lang_compile(src, &diag));
	assert_non_null(strstr(diag.msg, "'d7' is defined twice (first on line 8)"));
	/* milliseconds here; an exponential expansion would take hours, so
	 * the bound is loose enough for a busy machine under ASan */
	assert_true(seconds() - t0 < 30.0);
	free(src);
}

/* pfq_lang_compile_file: what is wrong with the file, said as such */
static void test_source_files(void **state)
{
	char dir[] = "/tmp/pfq-lang-XXXXXX", path[64];
	struct pfq_lang_diag diag;
	pfq_lang_program *p;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* issue 13: a directory said "is empty" */
	assert_null(pfq_lang_compile_file(dir, &diag));
	assert_non_null(strstr(diag.msg, "Is a directory"));
	snprintf(path, sizeof(path), "%s/prog.pfq", dir);
	assert_null(pfq_lang_compile_file(path, &diag));
	assert_non_null(strstr(diag.msg, "No such file"));
	f = fopen(path, "w");
	fclose(f);
	assert_null(pfq_lang_compile_file(path, &diag));
	assert_non_null(strstr(diag.msg, "is empty"));
	f = fopen(path, "w");
	fputs("ip\n", f);
	fputc('\0', f);
	fclose(f);
	assert_null(pfq_lang_compile_file(path, &diag));
	assert_non_null(strstr(diag.msg, "not a text file"));
	f = fopen(path, "w");
	fputs("-- a module\nmain = ip >-> steer_flow\n", f);
	fclose(f);
	p = pfq_lang_compile_file(path, &diag);
	assert_non_null(p);
	pfq_lang_free(p);
	unlink(path);
	rmdir(dir);
}

static void test_fold(void **state)
{
	(void)state;
	assert_int_equal(pfq_lang_fold(12345, 1), 0);
	assert_int_equal(pfq_lang_fold(13, 4), 1);
	assert_int_equal(pfq_lang_fold(13, 3), 1);
	for (uint32_t n = 1; n < 40; n++)
		for (uint32_t h = 0; h < 1000; h++)
			assert_true(pfq_lang_fold(pfq_lang_hash_mix(h), n) < n);
}

static int setup(void **state)
{
	(void)state;
	build_frames();
	return 0;
}

/* the options' size is checked before anything is made (libbpf's way) */
static void test_bpf_opts_size(void **state)
{
	pfq_lang_program *p = pfq_lang_compile("ip", NULL);
	struct {
		struct pfq_lang_bpf_opts o;
		uint64_t newer; /* a field of a newer header */
	} big = { .o = { .sz = sizeof(big) }, .newer = 1 };
	struct pfq_lang_bpf_opts zero = { 0 };
	struct pfq_lang_diag d;

	(void)state;
	assert_non_null(p);
	assert_null(pfq_lang_bpf_load(p, &zero, &d));
	assert_non_null(strstr(d.msg, "opts.sz is 0"));
	assert_int_equal(errno, EINVAL);
	assert_null(pfq_lang_bpf_load(p, &big.o, &d));
	assert_non_null(strstr(d.msg, "does not know"));
	assert_int_equal(errno, E2BIG);
	/* the error convention: NULL with errno, or -errno with errno */
	errno = 0;
	assert_null(pfq_lang_compile("main = ip >->", &d));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(pfq_lang_run(p, NULL, 10, NULL, &(struct pfq_lang_decision){ 0 }),
			 -EINVAL);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(pfq_lang_fates(NULL, NULL), -EINVAL);
	assert_int_equal(errno, EINVAL);
	pfq_lang_free(p);
}

/* a flavour without what it needs is refused before anything is made */
static void test_bpf_flavours_checked(void **state)
{
	pfq_lang_program *p = pfq_lang_compile("ip >-> steer_flow", NULL);
	struct pfq_lang_bpf_opts o = { .sz = sizeof(o) };
	struct pfq_lang_diag d;

	(void)state;
	assert_non_null(p);
	o.flavour = PFQ_LANG_GROUP_FANOUT;
	assert_null(pfq_lang_bpf_compile(p, &o, &d));
	assert_non_null(strstr(d.msg, "needs opts.group"));
	o.flavour = PFQ_LANG_MEMBER;
	assert_null(pfq_lang_bpf_compile(p, &o, &d));
	assert_non_null(strstr(d.msg, "members_map_fd"));
	o.flavour = (enum pfq_lang_flavour)99;
	assert_null(pfq_lang_bpf_compile(p, &o, &d));
	assert_non_null(strstr(d.msg, "no such flavour"));
	/* compiling alone makes nothing and needs nothing */
	o.flavour = PFQ_LANG_FILTER;
	pfq_lang_bpf *b = pfq_lang_bpf_compile(p, &o, &d);
	assert_non_null(b);
	assert_true(pfq_lang_bpf_insn_count(b) > 10);
	assert_int_equal(pfq_lang_bpf_prog_fd(b), -1);
	pfq_lang_bpf_free(b);
	pfq_lang_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bpf_opts_size),
		cmocka_unit_test(test_bpf_flavours_checked),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_vlan_views),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_every_function),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_truncated_frames),
		cmocka_unit_test(test_mangled_programs),
		cmocka_unit_test(test_explosive_programs),
		cmocka_unit_test(test_deep_programs),
		cmocka_unit_test(test_long_chains),
		cmocka_unit_test(test_definitions),
		cmocka_unit_test(test_source_files),
		cmocka_unit_test(test_fold),
	};
	return cmocka_run_group_tests_name("pfq-lang", tests, setup, NULL);
}
