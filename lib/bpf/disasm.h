/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A readable listing of eBPF instructions (for pfq-lang dump --ebpf). */
#ifndef PFQ_BPF_DISASM_H
#define PFQ_BPF_DISASM_H

#include "insn.h"

#include <stdio.h>

void bpf_disasm(const struct bpf_insn *insns, int n, FILE *out);

#endif
