/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/bpf without the kernel: the eBPF buffer's labels (forward, backward,
 * unbound, out of range), its removal of unreachable code (jumps re-aimed,
 * wide loads kept whole), its size limit; the classic assembler's labels and
 * its "ja" trampolines for targets beyond a short jump's reach; the checks
 * cbpf_check makes of classic programs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpf/casm.h"
#include "bpf/emit.h"
#include "bpf/cbpf.h"

#include <stdlib.h>
#include <string.h>

/* ---- eBPF buffer ---- */

static void test_emit_forward_and_backward(void **state)
{
	struct emit e;
	int fwd, back;

	(void)state;
	emit_init(&e);
	fwd = emit_label(&e);
	back = emit_label(&e);
	emit_bind(&e, back);                                    /* 0 */
	emit_jmp_imm(&e, BPF_JEQ, BPF_REG_1, 7, fwd);           /* 0: to 3 */
	emit(&e, BI_MOV_IMM(BPF_REG_0, 1));                     /* 1 */
	emit(&e, BI_EXIT());                                    /* 2 */
	emit_bind(&e, fwd);
	emit(&e, BI_ALU_IMM(BPF_ADD, BPF_REG_1, 1));            /* 3 */
	emit_jmp_imm(&e, BPF_JLT, BPF_REG_1, 100, back);        /* 4: to 0 */
	emit(&e, BI_EXIT());                                    /* 5 */
	assert_true(emit_finish(&e));
	assert_int_equal(e.n, 6);
	assert_int_equal(e.insns[0].off, 2);
	assert_int_equal(e.insns[0].imm, 7);
	assert_int_equal(e.insns[4].off, -5);
	emit_free(&e);
}

static void test_emit_unbound_label_fails(void **state)
{
	struct emit e;

	(void)state;
	emit_init(&e);
	emit_ja(&e, emit_label(&e));
	emit(&e, BI_EXIT());
	assert_false(emit_finish(&e));
	emit_free(&e);
}

/* code nobody jumps to is dropped, the jumps around it re-aimed, and a
 * wide load (two slots) stays whole */
static void test_emit_drops_unreachable(void **state)
{
	struct emit e;
	int over, end;

	(void)state;
	emit_init(&e);
	over = emit_label(&e);
	end = emit_label(&e);
	emit_jmp_imm(&e, BPF_JEQ, BPF_REG_1, 0, over);          /* 0 */
	emit_ld64(&e, BPF_REG_0, 0x1122334455667788ull);         /* 1, 2 */
	emit_ja(&e, end);                                        /* 3 */
	emit(&e, BI_MOV_IMM(BPF_REG_0, 99));                    /* 4: unreachable */
	emit(&e, BI_MOV_IMM(BPF_REG_0, 98));                    /* 5: unreachable */
	emit_bind(&e, over);
	emit(&e, BI_MOV_IMM(BPF_REG_0, 2));                     /* 6 -> 4 */
	emit_bind(&e, end);
	emit(&e, BI_EXIT());                                    /* 7 -> 5 */
	assert_true(emit_finish(&e));
	assert_int_equal(e.n, 6);
	assert_int_equal(e.insns[0].off, 3);                     /* to the mov 2 */
	assert_int_equal(e.insns[1].code, BPF_LD | BPF_DW | BPF_IMM);
	assert_int_equal((uint32_t)e.insns[1].imm, 0x55667788u);
	assert_int_equal((uint32_t)e.insns[2].imm, 0x11223344u);
	assert_int_equal(e.insns[3].off, 1);                     /* to the exit */
	assert_int_equal(e.insns[4].imm, 2);
	assert_int_equal(e.insns[5].code, BPF_JMP | BPF_EXIT);
	emit_free(&e);
}

static void test_emit_limits(void **state)
{
	struct emit e;
	int far;

	(void)state;
	/* more instructions than the limit: the buffer fails at the end */
	emit_init(&e);
	e.limit = 3;
	for (int i = 0; i < 5; i++)
		emit(&e, BI_MOV_IMM(BPF_REG_0, i));
	assert_true(e.oom);
	assert_false(emit_finish(&e));
	emit_free(&e);
	/* a jump further than 32767 instructions cannot be encoded */
	emit_init(&e);
	far = emit_label(&e);
	emit_jmp_imm(&e, BPF_JEQ, BPF_REG_1, 0, far);
	for (int i = 0; i < 40000; i++)
		emit(&e, BI_MOV_IMM(BPF_REG_0, i));
	emit_bind(&e, far);
	emit(&e, BI_EXIT());
	assert_false(emit_finish(&e));
	emit_free(&e);
}

/* ---- classic assembler ---- */

/* where the jump at pc goes when taken (or not), through ja trampolines */
static int follow(const struct sock_filter *p, int len, int pc, bool taken)
{
	int to = pc + 1 + (taken ? p[pc].jt : p[pc].jf);

	while (to < len && p[to].code == (BPF_JMP | BPF_JA))
		to = to + 1 + (int)p[to].k;
	return to;
}

static void test_casm_near_and_far(void **state)
{
	struct casm a;
	struct sock_filter *p;
	int len = 0, near, far, pc;

	(void)state;
	for (int gap = 0; gap <= 600; gap += 150) {
		casm_init(&a);
		near = casm_label(&a);
		far = casm_label(&a);
		CASM_LD_ABS(&a, BPF_H, 12);
		casm_jmp(&a, BPF_JEQ | BPF_K, 0x800, far, near);
		casm_bind(&a, near);
		CASM_RET(&a, 1);
		for (int i = 0; i < gap; i++)
			CASM_LD_IMM(&a, i);
		casm_bind(&a, far);
		CASM_RET(&a, 2);
		p = casm_finish(&a, 4096, &len);
		assert_non_null(p);
		/* a trampoline only when the target is out of reach */
		assert_int_equal(len, 4 + gap + (gap + 1 > 255 ? 1 : 0));
		pc = follow(p, len, 1, true);
		assert_int_equal(p[pc].code, BPF_RET | BPF_K);
		assert_int_equal(p[pc].k, 2);
		pc = follow(p, len, 1, false);
		assert_int_equal(p[pc].code, BPF_RET | BPF_K);
		assert_int_equal(p[pc].k, 1);
		free(p);
		casm_free(&a);
	}
}

static void test_casm_errors(void **state)
{
	struct casm a;
	int len = 0, l;

	(void)state;
	/* unbound label */
	casm_init(&a);
	casm_ja(&a, casm_label(&a));
	CASM_RET(&a, 0);
	assert_null(casm_finish(&a, 4096, &len));
	casm_free(&a);
	/* a label behind its jump (classic jumps only go forward) */
	casm_init(&a);
	l = casm_label(&a);
	casm_bind(&a, l);
	CASM_LD_LEN(&a);
	casm_jmp(&a, BPF_JGT | BPF_K, 10, l, CASM_NEXT);
	CASM_RET(&a, 0);
	assert_null(casm_finish(&a, 4096, &len));
	casm_free(&a);
	/* longer than the caller's maximum */
	casm_init(&a);
	for (int i = 0; i < 20; i++)
		CASM_LD_IMM(&a, i);
	CASM_RET_A(&a);
	assert_null(casm_finish(&a, 10, &len));
	casm_free(&a);
}

/* ---- classic checks ---- */

static int check(const struct sock_filter *f, int n, char *err, size_t errlen)
{
	struct sock_fprog fp = { .len = (unsigned short)n, .filter = (struct sock_filter *)f };

	err[0] = 0;
	return cbpf_check(&fp, err, errlen);
}

static void test_cbpf_check(void **state)
{
	static const struct sock_filter good[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 262144),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	static const struct sock_filter no_ret[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
	};
	static const struct sock_filter div0[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter shift[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter beyond[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	static const struct sock_filter unwritten[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 1),
		BPF_STMT(BPF_ST, 3),
		BPF_STMT(BPF_LD | BPF_MEM, 3), /* not written when len <= 100 */
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter bad_code[] = {
		{ 0xffff, 0, 0, 0 },
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter *big = calloc(4097, sizeof(*big));
	char err[200];

	(void)state;
	assert_int_equal(check(good, 4, err, sizeof(err)), 0);
	assert_int_equal(check(no_ret, 1, err, sizeof(err)), -1);
	assert_true(err[0]);
	assert_int_equal(check(div0, 3, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "instruction 1"));
	assert_int_equal(check(shift, 3, err, sizeof(err)), -1);
	assert_int_equal(check(beyond, 2, err, sizeof(err)), -1);
	assert_int_equal(check(unwritten, 5, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "instruction 3"));
	assert_int_equal(check(bad_code, 2, err, sizeof(err)), -1);
	assert_int_equal(check(good, 0, err, sizeof(err)), -1);
	assert_non_null(big);
	for (int i = 0; i < 4097; i++)
		big[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	assert_int_equal(check(big, 4096, err, sizeof(err)), 0);
	assert_int_equal(check(big, 4097, err, sizeof(err)), -1);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emit_forward_and_backward),
		cmocka_unit_test(test_emit_unbound_label_fails),
		cmocka_unit_test(test_emit_drops_unreachable),
		cmocka_unit_test(test_emit_limits),
		cmocka_unit_test(test_casm_near_and_far),
		cmocka_unit_test(test_casm_errors),
		cmocka_unit_test(test_cbpf_check),
	};

	return cmocka_run_group_tests_name("bpf-asm", tests, NULL, NULL);
}
