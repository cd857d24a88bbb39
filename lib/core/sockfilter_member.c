/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The eBPF socket filter of a group member: it accepts the packets of the
 * socket's private bindings in the chosen directions (the binding check of
 * lang/bindings.h), runs its private computation and pcap filter (their
 * classic program, sockfilter_classic.c, translated inline) and tells the
 * kernel how many bytes to copy into the ring (the caplen); the rest goes
 * to the group program, tail-called. A socket with no group runs the
 * classic filter instead (sockfilter_classic.c). The bindings are compiled
 * in as constants; a change of bindings loads a new program, which
 * SO_ATTACH_BPF swaps in atomically.
 */
#include "pfq-int.h"

#include "../bpf/emit.h"
#include "../bpf/cbpf.h"
#include "../bpf/insn.h"
#include "../bpf/skb.h"

#include "../lang/bindings.h"
#include "../lang/group-abi.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* The socket needs a filter unless the kernel binding alone does the job:
 * one device, every queue, both directions, whole packets. */
bool pfq_filter_needed(const pfq_t *q)
{
	return q->gid >= 0 || q->fprog || q->computation || q->nbind > 1 ||
	       pfq_any_queue_binding(q) || q->dirs != PFQ_DIR_INOUT || q->caplen < PFQ_CAPLEN_MAX;
}

bool pfq_any_queue_binding(const pfq_t *q)
{
	for (int i = 0; i < q->nbind; i++)
		if (q->bind[i].queue != PFQ_ANY_QUEUE)
			return true;
	return false;
}

int pfq_filter_bindings(const pfq_t *q, struct pfq_group_binding *out)
{
	for (int i = 0; i < q->nbind; i++)
		out[i] = (struct pfq_group_binding){ .ifindex = q->bind[i].ifindex,
						     .queue = q->bind[i].queue,
						     .raw_queue = q->bind[i].raw_queue };
	return q->nbind;
}

/*
 * Registers: r6 = ctx.
 * Layout: direction check, the binding check (lang/bindings.h: one test
 * block per binding, each jumps to accept or falls to the next), accept,
 * reject. Accept answers caplen, or with a
 * private computation or classic filter runs them (their classic program,
 * translated, inline) and keeps min(its answer, caplen), a refusal going
 * where a non-matching binding goes. Reject answers
 * 0, or in a group hands the packet to the group program. Unreachable parts
 * (accept without bindings) are left out by the emitter.
 */
static struct bpf_insn *generate(const pfq_t *q, int *n, char *err, size_t errlen)
{
	struct pfq_group_binding bind[PFQ_MAX_BINDINGS];
	struct emit e;
	int reject, accept, keep;
	struct bpf_insn *insns;

	emit_init(&e);
	reject = emit_label(&e);
	accept = emit_label(&e);
	keep = emit_label(&e);
	emit(&e, BI_MOV_REG(BPF_REG_6, BPF_REG_1));
	if (q->dirs != PFQ_DIR_INOUT) {
		/* IN rejects outgoing packets, OUT everything else */
		emit(&e, BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(pkt_type)));
		emit_jmp_imm(&e, q->dirs == PFQ_DIR_IN ? BPF_JEQ : BPF_JNE, BPF_REG_2,
			     PACKET_OUTGOING, reject);
	}
	pfq_bindings_ebpf(&e, bind, pfq_filter_bindings(q, bind), accept, reject);
	/* accept: copy caplen bytes (the kernel caps it at the packet length) */
	emit_bind(&e, accept);
	if (q->fprog || q->computation) {
		/* the private computation and pcap filter, as the classic program
		 * a socket with no group runs, translated */
		struct sock_fprog fp = { 0, NULL };
		int ret = emit_label(&e);

		if (pfq_filter_classic(q, false, &fp, err, errlen) < 0 ||
		    cbpf_translate(&e, &fp, ret, -64, err, errlen) < 0) {
			free(fp.filter);
			emit_free(&e);
			return NULL;
		}
		free(fp.filter);
		emit_bind(&e, ret);
		emit_jmp_imm(&e, BPF_JEQ, BPF_REG_0, 0, reject);
		emit_jmp_imm(&e, BPF_JLE, BPF_REG_0, (int32_t)q->caplen, keep);
	}
	emit(&e, BI_MOV_IMM(BPF_REG_0, (int32_t)q->caplen));
	emit_bind(&e, keep);
	emit(&e, BI_EXIT());
	emit_bind(&e, reject);
	if (q->gid >= 0) {
		/* not for the private bindings: the group decides. Tell the
		 * group program who asks, then jump to it. */
		const uint32_t words[] = { [PFQ_CB_MEMBER] = q->member_id,
					   [PFQ_CB_CAPLEN] = q->caplen,
					   [PFQ_CB_DIRS] = (uint32_t)q->dirs };

		for (int i = 0; i <= PFQ_CB_DIRS; i++) {
			emit(&e, BI_MOV_IMM(BPF_REG_2, 0));
			emit(&e, BI_ALU32_IMM(BPF_MOV, BPF_REG_2, (int32_t)words[i]));
			emit(&e, BI_STX(BPF_W, BPF_REG_6, BPF_REG_2, SKB_CB_OFF(i)));
		}
		emit(&e, BI_MOV_REG(BPF_REG_1, BPF_REG_6));
		emit_ld_map(&e, BPF_REG_2, q->group_progs_fd);
		emit(&e, BI_MOV_IMM(BPF_REG_3, 0));
		emit(&e, BI_CALL(BPF_FUNC_tail_call));
	}
	emit(&e, BI_MOV_IMM(BPF_REG_0, 0));
	emit(&e, BI_EXIT());
	if (!emit_finish(&e)) {
		snprintf(err, errlen, "filter too large");
		emit_free(&e);
		return NULL;
	}
	insns = e.insns;
	*n = e.n;
	e.insns = NULL;
	emit_free(&e);
	return insns;
}

/* Load the filter for the current settings: program fd or negative errno.
 * The same settings give the same program: the one loaded last is reused
 * (a dup of it), so that a process without CAP_BPF can attach it again. */
int pfq_filter_load(pfq_t *q, char *log, size_t log_len)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log,
		    .log_size = (uint32_t)log_len, .log_level = 0);
	char err[256] = "";
	struct bpf_insn *insns;
	int n = 0, fd;

	if (log && log_len)
		log[0] = '\0';
	insns = generate(q, &n, err, sizeof(err));
	if (!insns) {
		if (log && log_len)
			snprintf(log, log_len, "%s", err);
		return -EINVAL;
	}
	if (q->prog_fd >= 0 && q->filter_n == n &&
	    memcmp(q->filter_insns, insns, sizeof(*insns) * (size_t)n) == 0) {
		free(insns);
		fd = dup(q->prog_fd);
		return fd < 0 ? -errno : fd;
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "pfq_sock", "GPL", insns,
			   (size_t)n, &opts);
	if (fd < 0 && log && log_len) {
		/* retry with the verifier log, to explain the failure */
		opts.log_level = 1;
		fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "pfq_sock", "GPL",
				   insns, (size_t)n, &opts);
	}
	fd = fd < 0 ? (errno ? -errno : -EINVAL) : fd;
	if (fd >= 0) {
		free(q->filter_insns);
		q->filter_insns = insns;
		q->filter_n = n;
	} else {
		free(insns);
	}
	return fd;
}
