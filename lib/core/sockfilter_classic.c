/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The classic BPF filter of a socket with no group (a group member's is
 * eBPF: sockfilter_member.c): bindings (lang/bindings.h), directions,
 * the private computation (when it only filters, see lang/classic), the
 * pcap filter (pfq_set_fprog) and the caplen, in one classic program
 * attached with SO_ATTACH_FILTER. The kernel inlines the packet loads of a
 * classic socket filter (an eBPF one pays a helper call for each), so a
 * filtered capture costs what it costs with stock libpcap.
 */
#include "pfq-int.h"

#include "../bpf/casm.h"
#include "../lang/bindings.h"
#include "../lang/classic/classic.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* directions, then the binding check */
static void bindings(const pfq_t *q, struct casm *a, int accept, int reject)
{
	struct pfq_group_binding bind[PFQ_MAX_BINDINGS];

	if (q->dirs != PFQ_DIR_INOUT) {
		CASM_LD_ANC(a, SKF_AD_PKTTYPE);
		if (q->dirs == PFQ_DIR_IN)
			casm_jmp(a, BPF_JEQ | BPF_K, PACKET_OUTGOING, reject, CASM_NEXT);
		else
			casm_jmp(a, BPF_JEQ | BPF_K, PACKET_OUTGOING, CASM_NEXT, reject);
	}
	pfq_bindings_classic(a, bind, pfq_filter_bindings(q, bind), accept, reject);
}

/* the pcap program, its answers capped at caplen and its refusals sent to
 * reject */
static int append_fprog(const pfq_t *q, struct casm *a, int reject, char *err, size_t errlen)
{
	unsigned n = q->fprog_len;
	int *at = malloc(n * sizeof(*at));

	if (!at) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		at[i] = casm_label(a);
	/* a classic program starts with A = X = 0 */
	CASM_LD_IMM(a, 0);
	CASM_LDX_IMM(a, 0);
	for (unsigned i = 0; i < n; i++) {
		const struct sock_filter *f = &q->fprog[i];
		unsigned t = i + 1 + (BPF_OP(f->code) == BPF_JA ? f->k : f->jt), u = i + 1 + f->jf;

		casm_bind(a, at[i]);
		if (BPF_CLASS(f->code) == BPF_JMP) {
			if (t >= n || u >= n || (BPF_OP(f->code) == BPF_JA && f->k >= n)) {
				snprintf(err, errlen, "BPF filter: jump out of the program at %u", i);
				free(at);
				return -1;
			}
			if (BPF_OP(f->code) == BPF_JA)
				casm_ja(a, at[t]);
			else
				casm_jmp(a, (uint16_t)(f->code & ~0x07), f->k, at[t], at[u]);
		} else if (f->code == (BPF_RET | BPF_K)) {
			if (f->k == 0)
				casm_ja(a, reject);
			else
				CASM_RET(a, f->k < q->caplen ? f->k : q->caplen);
		} else if (f->code == (BPF_RET | BPF_A)) {
			int cap = casm_label(a);

			casm_jmp(a, BPF_JGT | BPF_K, q->caplen, cap, CASM_NEXT);
			CASM_RET_A(a);
			casm_bind(a, cap);
			CASM_RET(a, q->caplen);
		} else {
			casm_op(a, f->code, f->k);
		}
	}
	free(at);
	return 0;
}

int pfq_filter_classic(const pfq_t *q, bool with_bindings, struct sock_fprog *out, char *err,
		       size_t errlen)
{
	struct casm a;
	int accept, reject, len = 0, rc = 0;

	casm_init(&a);
	accept = casm_label(&a);
	reject = casm_label(&a);
	if (with_bindings)
		bindings(q, &a, accept, reject);
	casm_bind(&a, accept);
	if (q->computation) {
		int pass = casm_label(&a);

		/* without a pcap filter, passing is answering caplen */
		rc = lang_classic_emit(q->computation, &a, pass, reject,
				       q->fprog ? -1 : (int64_t)q->caplen, err, errlen);
		casm_bind(&a, pass);
	}
	if (!rc && q->fprog)
		rc = append_fprog(q, &a, reject, err, errlen);
	else if (!rc)
		CASM_RET(&a, q->caplen);
	casm_bind(&a, reject);
	CASM_RET(&a, 0);
	out->filter = rc ? NULL : casm_finish(&a, BPF_MAXINSNS, &len);
	out->len = (unsigned short)len;
	if (!rc && !out->filter) {
		snprintf(err, errlen, "the socket filter would exceed %d classic instructions",
			 BPF_MAXINSNS);
		rc = -1;
	}
	casm_free(&a);
	return rc ? -EINVAL : 0;
}

int pfq_filter_check(pfq_t *q, char *log, size_t log_len)
{
	struct sock_fprog fp;
	int fd, rc = 0;

	if (q->gid >= 0) {
		fd = pfq_filter_load(q, log, log_len);
		if (fd < 0)
			return fd;
		close(fd);
		return 0;
	}
	rc = pfq_filter_classic(q, true, &fp, log, log_len);
	if (rc < 0)
		return rc;
	/* the kernel's own checks, on a socket that receives nothing */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0) {
		rc = -errno;
		snprintf(log, log_len, "the kernel refuses the classic filter: %s", strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	free(fp.filter);
	return rc;
}
