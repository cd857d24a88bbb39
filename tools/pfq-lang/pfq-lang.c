/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pfq-lang: check, print and run PFQ/lang computations. */
#include <pfq/lang.h>

#include "jsonout.h"

#include <getopt.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_PROGRAM = 1, EXIT_USAGE = 2, EXIT_INPUT = 3 };

static void usage(FILE *f)
{
	fputs(
"Usage: pfq-lang COMMAND (FILE | -e EXPR) [options]\n"
"Parse, type-check, print and run PFQ/lang computations.\n"
"\n"
"Commands:\n"
"  check      parse and type-check; print nothing but errors and warnings\n"
"  dump       print the typed program (one function per line, with types);\n"
"             with --ebpf, compile it and print the eBPF listing (loaded and\n"
"             verified by the kernel when the caller may load programs);\n"
"             with --classic, the classic BPF program of a computation that\n"
"             only filters (tcpdump -d style)\n"
"  run        run the reference interpreter over every packet of a pcap file\n"
"             and print one decision per packet\n"
"  functions  list the function catalogue\n"
"\n"
"Options:\n"
"  -e, --expr EXPR    the program text itself instead of a FILE ('-' reads stdin)\n"
"  -r, --pcap FILE    (run) the packets, a pcap file of Ethernet frames\n"
"  -j, --json         (run) one JSON object per packet instead of a table\n"
"  -b, --ebpf         (dump) the compiled eBPF program, loaded and verified\n"
"                     by the kernel; (run) also run every packet through it\n"
"                     and report any packet where it decides differently\n"
"  -c, --classic      (dump) the classic BPF program (no root needed); a\n"
"                     computation that does more than filter is an error\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 success, 1 the program does not compile, 2 bad usage,\n"
"3 an input file cannot be read.\n"
"\n"
"Examples:\n"
"  $ pfq-lang check -e 'ip >-> steer_flow'\n"
"  $ pfq-lang dump prog.pfq\n"
"  $ pfq-lang dump --classic -e 'tcp >-> port 80'\n"
"  $ pfq-lang run -e 'when is_tcp drop' --pcap capture.pcap --json\n", f);
}

static char *read_stream(FILE *in)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t r = fread(buf + n, 1, cap - n - 1, in);

		n += r;
		if (r == 0)
			break;
		if (n + 1 == cap) {
			char *nb = cap > (1 << 21) ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* one JSON object for the decision on packet idx (keys in this order) */
static int print_json(long idx, const struct pcap_pkthdr *h, const struct pfq_lang_decision *d)
{
	static const char *fates[] = { "drop", "copy", "steer", "double_steer", "steer_to" };
	json_t *fwd = json_array(), *counters = json_object(), *logs = json_array();
	int bad = !fwd || !counters || !logs;

	for (int i = 0; i < d->nfwd && !bad; i++)
		bad = json_array_append_new(fwd, jsonout_text(d->fwd[i])) < 0;
	for (int i = 0; i < PFQ_LANG_COUNTERS && !bad; i++)
		if (d->counters[i]) {
			char key[16];

			snprintf(key, sizeof(key), "%d", i);
			bad = json_object_set_new(counters, key, json_integer(d->counters[i])) < 0;
		}
	for (int i = 0; i < d->nlogs && !bad; i++)
		bad = json_array_append_new(logs, jsonout_text(d->logs[i])) < 0;
	if (bad) {
		json_decref(fwd);
		json_decref(counters);
		json_decref(logs);
		return -1;
	}
	/* json_pack takes the three references, also when it fails */
	return jsonout_line(json_pack("{s:I, s:I, s:s, s:o, s:[I,I], s:I, s:I, s:b, s:o, s:o, s:o}",
				      "packet", (json_int_t)idx, "len", (json_int_t)h->len,
				      "fate", fates[d->fate], "class_mask",
				      jsonout_u64(d->class_mask), "hash", (json_int_t)d->hash[0],
				      (json_int_t)d->hash[1], "mark", (json_int_t)d->mark,
				      "state", (json_int_t)d->state, "kernel", d->to_kernel ? 1 : 0,
				      "forward", fwd, "counters", counters, "logs", logs),
			    stdout, 17);
}

static int run_pcap(const pfq_lang_program *prog, pfq_lang_bpf *bpf, const char *path, int json)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	long idx = 0;
	int r;

	if (!p) {
		fprintf(stderr, "pfq-lang: %s\n", err);
		return EXIT_INPUT;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "pfq-lang: %s: link type %s, only Ethernet is supported\n", path,
			pcap_datalink_val_to_name(pcap_datalink(p)));
		pcap_close(p);
		return EXIT_INPUT;
	}
	if (!json)
		printf("%-8s %-6s %s\n", "packet", "len", "decision");
	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		struct pfq_lang_decision d;

		idx++;
		pfq_lang_run(prog, data, h->caplen, NULL, &d);
		if (bpf) {
			struct pfq_lang_decision k;

			if (pfq_lang_bpf_test_run(bpf, data, h->caplen, 0, 1, &k, NULL) == 0 &&
			    (k.fate != d.fate || k.class_mask != d.class_mask || k.hash[0] != d.hash[0] ||
			     k.hash[1] != d.hash[1]))
				fprintf(stderr, "pfq-lang: packet %ld: the eBPF program decides differently\n",
					idx);
		}
		if (json) {
			if (print_json(idx, h, &d) < 0) {
				fprintf(stderr, "pfq-lang: out of memory or cannot write the output\n");
				pcap_close(p);
				return EXIT_INPUT;
			}
		} else {
			printf("%-8ld %-6u ", idx, h->len);
			pfq_lang_decision_print(&d, stdout);
			putchar('\n');
		}
	}
	if (r == -1) {
		fprintf(stderr, "pfq-lang: %s: %s\n", path, pcap_geterr(p));
		pcap_close(p);
		return EXIT_INPUT;
	}
	pcap_close(p);
	return EXIT_OK;
}

/* a classic program, one instruction a line, as tcpdump -d prints it */
static void print_classic(const struct sock_fprog *fp)
{
	for (unsigned i = 0; i < fp->len; i++) {
		const struct sock_filter *f = &fp->filter[i];
		char *text = bpf_image((const struct bpf_insn *)f, (int)i);

		puts(text ? text : "?");
	}
}

struct cli {
	const char *expr, *pcap;
	int json, ebpf, classic;
};

/* options may stand before and after the command: parse a run of them;
 * returns -1 after --help, -2 on a bad option, 0 otherwise */
static int parse_opts(int argc, char **argv, const char *spec, struct cli *o)
{
	static const struct option opts[] = {
		{ "expr", required_argument, NULL, 'e' },
		{ "pcap", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "ebpf", no_argument, NULL, 'b' },
		{ "classic", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 } };
	int c;

	while ((c = getopt_long(argc, argv, spec, opts, NULL)) != -1) {
		switch (c) {
		case 'e': o->expr = optarg; break;
		case 'r': o->pcap = optarg; break;
		case 'j': o->json = 1; break;
		case 'b': o->ebpf = 1; break;
		case 'c': o->classic = 1; break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return -2;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli o = { 0 };
	const char *cmd, *file = NULL;
	struct pfq_lang_diag diag;
	pfq_lang_program *prog;
	int r;

	/* "+": stop at the command, then go on after it */
	if ((r = parse_opts(argc, argv, "+e:r:jbch", &o)) < 0)
		return r == -1 ? EXIT_OK : EXIT_USAGE;
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	if ((r = parse_opts(argc, argv, "e:r:jbch", &o)) < 0)
		return r == -1 ? EXIT_OK : EXIT_USAGE;
	const char *expr = o.expr, *pcap = o.pcap;
	int json = o.json, ebpf = o.ebpf;
	if (optind < argc)
		file = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "pfq-lang: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "functions")) {
		for (const char *const *f = pfq_lang_functions(); *f; f++)
			puts(*f);
		return EXIT_OK;
	}
	if (strcmp(cmd, "check") && strcmp(cmd, "dump") && strcmp(cmd, "run")) {
		fprintf(stderr, "pfq-lang: unknown command '%s' (check, dump, run, functions)\n", cmd);
		return EXIT_USAGE;
	}
	if (!!expr == !!file) {
		fprintf(stderr, "pfq-lang: give the program as FILE or with -e EXPR (one of them)\n");
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "run") && !pcap) {
		fprintf(stderr, "pfq-lang: run needs --pcap FILE\n");
		return EXIT_USAGE;
	}
	const char *where = file ? file : "<expr>";

	if (file && !strcmp(file, "-")) {
		char *text = read_stream(stdin);

		if (!text) {
			fprintf(stderr, "pfq-lang: cannot read the standard input\n");
			return EXIT_INPUT;
		}
		prog = pfq_lang_compile(text, &diag);
		free(text);
		where = "<stdin>";
	} else if (file) {
		/* (not opened here: a FIFO would be opened, and read, twice) */
		if (access(file, R_OK) < 0) {
			perror(file);
			return EXIT_INPUT;
		}
		prog = pfq_lang_compile_file(file, &diag);
	} else {
		prog = pfq_lang_compile(expr, &diag);
	}
	if (diag.warnings[0])
		fprintf(stderr, "%s: warning: %s", where, diag.warnings);
	if (!prog) {
		if (diag.line)
			fprintf(stderr, "%s:%d:%d: error: %s\n", where, diag.line, diag.col, diag.msg);
		else
			fprintf(stderr, "%s: error: %s\n", where, diag.msg);
		return EXIT_PROGRAM;
	}
	int rc = EXIT_OK;
	pfq_lang_bpf *bpf = NULL;

	const char *verified = "verified and JIT-compiled";

	if (ebpf) {
		static char log[1 << 16];
		struct pfq_lang_bpf_opts bo = { .sz = sizeof(bo), .log = log, .log_size = sizeof(log),
						.flavour = PFQ_LANG_READBACK };

		bpf = pfq_lang_bpf_load(prog, &bo, &diag);
		/* a listing needs no privilege: without the right to load, the
		 * code as compiled, not verified */
		if (!bpf && !strcmp(cmd, "dump") && strstr(diag.msg, strerror(EPERM))) {
			bpf = pfq_lang_bpf_compile(prog, &bo, &diag);
			verified = "not verified (loading needs CAP_BPF)";
		}
		if (!bpf) {
			fprintf(stderr, "%s: error: %s\n%s", where, diag.msg, log);
			pfq_lang_free(prog);
			return EXIT_PROGRAM;
		}
	}
	if (!strcmp(cmd, "dump") && o.classic) {
		struct sock_fprog fp;

		if (pfq_lang_classic_compile(prog, 262144, &fp, &diag) < 0) {
			fprintf(stderr, "%s: error: %s\n", where, diag.msg);
			rc = EXIT_PROGRAM;
		} else {
			pfq_lang_dump(prog, stdout);
			printf("-- classic BPF: %u instructions (pass: ret #262144)\n", fp.len);
			print_classic(&fp);
			free(fp.filter);
		}
	} else if (!strcmp(cmd, "dump")) {
		pfq_lang_dump(prog, stdout);
		if (bpf) {
			printf("-- eBPF socket filter: %d instructions, %s\n",
			       pfq_lang_bpf_insn_count(bpf), verified);
			pfq_lang_bpf_dump(bpf, stdout);
		}
	} else if (!strcmp(cmd, "run")) {
		rc = run_pcap(prog, bpf, pcap, json);
	}
	pfq_lang_bpf_free(bpf);
	pfq_lang_free(prog);
	return rc;
}
