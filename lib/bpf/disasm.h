/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A readable listing of eBPF instructions (for pfq-lang dump --ebpf). */
#ifndef PFQ_BPF_DISASM_H
#define PFQ_BPF_DISASM_H

#include "insn.h"

#include <stdio.h>

void bpf_disasm(const struct bpf_insn *insns, int n, FILE *out);
/* the same, with map loads named by map_name (NULL: its fd is shown) */
void bpf_disasm_named(const struct bpf_insn *insns, int n, FILE *out,
		      const char *(*map_name)(int32_t imm, void *user), void *user);

#endif
