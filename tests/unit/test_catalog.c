/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The catalogue is the one source of truth of PFQ/lang's functions: a row
 * for every id of builtins.def, named after its id, with facts that hold
 * together; every back end has an entry of the right kind for every row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lang/lang-int.h"
#include "lang/classic/classic.h"
#include "lang/ebpf/cg-int.h"

#include <ctype.h>
#include <string.h>

static const char *const id_names[B_COUNT] = {
#define B(id) [B_##id] = #id,
#include "lang/builtins.def"
#undef B
};

/* the id a name is written as in builtins.def */
static void id_of(const char *name, char *out, size_t len)
{
	static const struct { const char *op, *id; } ops[] = {
		{ ">->", "KLEISLI" }, { ".&&.", "DOT_AND" }, { ".||.", "DOT_OR" },
		{ ".^^.", "DOT_XOR" }, { ".<", "DOT_LT" }, { ".<=", "DOT_LE" }, { ".>", "DOT_GT" },
		{ ".>=", "DOT_GE" }, { ".==", "DOT_EQ" }, { "./=", "DOT_NE" },
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!strcmp(name, ops[i].op)) {
			snprintf(out, len, "%s", ops[i].id);
			return;
		}
	}
	for (i = 0; name[i] && i + 1 < len; i++)
		out[i] = (char)toupper((unsigned char)name[i]);
	out[i] = 0;
}

static void test_rows(void **state)
{
	(void)state;
	for (int id = 0; id < B_COUNT; id++) {
		const struct builtin *b = &pfq_builtins[id];
		char want[64];

		if (!b->name)
			fail_msg("builtin %s (id %d) has no catalogue row", id_names[id], id);
		id_of(b->name, want, sizeof(want));
		if (strcmp(want, id_names[id]))
			fail_msg("row %d is '%s', builtins.def says %s", id, b->name, id_names[id]);
		assert_int_equal(builtin_find(b->name), id);
		assert_true(b->nargs >= 0 && b->nargs <= MAX_ARGS);
		assert_true(b->result == LT_FUN || b->result == LT_PRED || b->result == LT_PROP);
		/* the interpreter's entry for its result type */
		assert_true(b->result == LT_FUN ? b->fun != NULL :
			    b->result == LT_PRED ? b->pred != NULL : b->prop != NULL);
		assert_true(b->doc && b->doc[0]);
		assert_true(b->depth == 0 || (b->depth >= 2 && b->depth <= 4));
		if (b->depth < 3 && b->fields)
			fail_msg("'%s' reads IP fields at depth %d", b->name, b->depth);
		if (b->twin) {
			const struct builtin *t = &pfq_builtins[b->twin];

			/* a filter and its predicate: same arguments */
			assert_int_equal(b->result, LT_FUN);
			assert_int_equal(t->result, LT_PRED);
			assert_int_equal(b->nargs, t->nargs);
			for (int i = 0; i < b->nargs; i++)
				assert_int_equal(b->args[i], t->args[i]);
		}
		if (b->pred && !strncmp(b->name, "is_eth_", 7))
			assert_true(b->konst > 0 && b->konst <= 0xffff);
	}
}

static void test_back_ends_have_every_builtin(void **state)
{
	char err[200] = "";

	(void)state;
	if (cg_emitters_check(err, sizeof(err)) < 0)
		fail_msg("eBPF: %s", err);
	if (lang_classic_forms_check(err, sizeof(err)) < 0)
		fail_msg("classic: %s", err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_back_ends_have_every_builtin),
	};

	return cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
}
