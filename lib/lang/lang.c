/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PFQ/lang entry points: compile (parse + type check), free, dump. */
#include "impl.h"
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SOURCE (1 << 20)

pfq_lang_program *pfq_lang_compile(const char *src, struct pfq_lang_diag *diag)
{
	struct pfq_lang_diag local;
	struct ast **defs = NULL, *main_expr;
	int ndefs = 0;
	pfq_lang_program *p;

	if (!diag)
		diag = &local;
	memset(diag, 0, sizeof(*diag));
	if (!src) {
		diag_set(diag, 0, 0, "no program text");
		errno = EINVAL;
		return NULL;
	}
	if (strlen(src) > MAX_SOURCE) {
		diag_set(diag, 0, 0, "program longer than %d bytes", MAX_SOURCE);
		errno = E2BIG;
		return NULL;
	}
	main_expr = lang_parse(src, diag, &defs, &ndefs);
	if (!main_expr) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p)
		p->main = lang_typecheck(p, main_expr, defs, ndefs, diag);
	else
		diag_set(diag, 0, 0, "out of memory");
	ast_free(main_expr);
	for (int i = 0; i < ndefs; i++)
		ast_free(defs[i]);
	free(defs);
	if (!p || !p->main) {
		int e = p ? EINVAL : ENOMEM;

		pfq_lang_free(p);
		errno = e;
		return NULL;
	}
	return p;
}

pfq_lang_program *pfq_lang_compile_file(const char *path, struct pfq_lang_diag *diag)
{
	struct pfq_lang_diag local;
	size_t n;
	char *buf;

	if (!diag)
		diag = &local;
	memset(diag, 0, sizeof(*diag));
	buf = lang_read_source(path, MAX_SOURCE, &n, diag->msg, sizeof(diag->msg));
	if (!buf)
		return NULL;
	pfq_lang_program *p = pfq_lang_compile(buf, diag);

	free(buf);
	return p;
}

void pfq_lang_free(pfq_lang_program *p)
{
	if (!p)
		return;
	node_free_all(p);
	free(p);
}

static void dump_arg(const struct arg *a, FILE *out)
{
	switch (a->type) {
	case LT_INT: fprintf(out, "%lld", (long long)a->i); break;
	case LT_W8: case LT_W16: case LT_W32: case LT_W64:
		fprintf(out, "%llu", (unsigned long long)a->u);
		break;
	case LT_STR: case LT_DEV: case LT_MAC: case LT_IPV4: fprintf(out, "\"%s\"", a->s); break;
	case LT_CIDR: {
		const uint8_t *b = (const uint8_t *)&a->cidr.addr;

		fprintf(out, "%u.%u.%u.%u/%d", b[0], b[1], b[2], b[3], a->cidr.prefix);
		break;
	}
	case LT_LIST_INT:
		for (int i = 0; i < a->nints; i++)
			fprintf(out, "%s%lld", i ? "," : "[", (long long)a->ints[i]);
		fputs(a->nints ? "]" : "[]", out);
		break;
	case LT_LIST_DEV:
		for (int i = 0; i < a->nstrs; i++)
			fprintf(out, "%s\"%s\"", i ? "," : "[", a->strs[i]);
		fputs(a->nstrs ? "]" : "[]", out);
		break;
	case LT_LIST_IPV4:
		for (int i = 0; i < a->nips; i++) {
			const uint8_t *b = (const uint8_t *)&a->ips[i];

			fprintf(out, "%s%u.%u.%u.%u", i ? "," : "[", b[0], b[1], b[2], b[3]);
		}
		fputs(a->nips ? "]" : "[]", out);
		break;
	default:
		break;
	}
}

static void dump_node(const struct node *n, int depth, FILE *out)
{
	const struct builtin *b = &pfq_builtins[n->fid];

	fprintf(out, "%*s%s :: %s", depth * 2, "", b->name, lt_name(n->type));
	for (int i = 0; i < n->nargs; i++)
		if (n->args[i].type != LT_FUN && n->args[i].type != LT_PRED &&
		    n->args[i].type != LT_PROP) {
			fputc(' ', out);
			dump_arg(&n->args[i], out);
			fprintf(out, " :: %s", lt_name(n->args[i].type));
		}
	fprintf(out, "    -- line %d col %d\n", n->line, n->col);
	for (int i = 0; i < n->nargs; i++)
		if (n->args[i].fn)
			dump_node(n->args[i].fn, depth + 1, out);
}

void pfq_lang_dump(const pfq_lang_program *p, FILE *out)
{
	if (p && p->main)
		dump_node(p->main, 0, out);
}
