/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A chosen hardware TX queue. A packet socket cannot ask for a TX queue; on
 * the qdisc path the kernel picks one with netdev_pick_tx: XPS if the
 * device has a map, else skb_tx_hash, which takes "the recorded RX queue"
 * (skb->queue_mapping - 1) when queue_mapping is not 0. So a TC egress
 * program (tcx, kernel 6.6) that sets queue_mapping to queue + 1 on the
 * frames of one socket (matched by its cookie) sends them on that queue.
 * It works for drivers that keep the kernel's choice (no ndo_select_queue,
 * no XPS map: veth, most virtual devices); a device with an XPS map is
 * refused, since XPS would silently win. The program is the socket's own:
 * its link fd dies with the socket's TX queue or the process.
 */
#include "tx.h"

#include "../bpf/insn.h"
#include "../bpf/skb.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TCX_NEXT (-1)

/* does dev (as this mount namespace's sysfs shows it, if it is ours) have
 * an XPS map? */
static bool has_xps(const char *dev, int ifindex)
{
	char path[128], buf[256];
	glob_t g;
	FILE *f;
	bool xps = false;
	int idx = -1;

	snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", dev);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%d", &idx) != 1)
		idx = -1;
	fclose(f);
	if (idx != ifindex)
		return false; /* another namespace's device of the same name */
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues/tx-*/xps_cpus", dev);
	if (glob(path, 0, NULL, &g) != 0)
		return false;
	for (size_t i = 0; i < g.gl_pathc && !xps; i++) {
		f = fopen(g.gl_pathv[i], "r");
		if (!f)
			continue;
		/* a mask such as "00000000,00000003": any non-zero digit */
		if (fgets(buf, sizeof(buf), f))
			xps = strpbrk(buf, "123456789abcdefABCDEF") != NULL;
		fclose(f);
	}
	globfree(&g);
	return xps;
}

int pfq_tx_queue_check(pfq_t *q, int sock, const char *dev, int ifindex, int queue,
		       const char *what)
{
	int ntxq = pfq_dev_tx_queues(sock, dev);

	if (ntxq > 0 && queue >= ntxq)
		return pfq_seterr(q, EINVAL, "%s: device '%s' has %d TX queues (0..%d), not %d",
				  what, dev, ntxq, ntxq - 1, queue);
	if (has_xps(dev, ifindex))
		return pfq_seterr(q, EOPNOTSUPP, "%s: device '%s' has an XPS map, which picks "
				  "the TX queue by CPU: queue %d cannot be chosen (clear "
				  "queues/tx-*/xps_cpus, or use PFQ_ANY_QUEUE)", what, dev, queue);
	return 0;
}

int pfq_tx_queue_attach(pfq_t *q, int sock, const char *dev, int ifindex, int queue)
{
	uint64_t cookie = sock_cookie(sock);
	struct bpf_insn prog[] = {
		BI_MOV_REG(BPF_REG_6, BPF_REG_1),
		BI_CALL(BPF_FUNC_get_socket_cookie),
		BI_LD_IMM64(BPF_REG_1, cookie),
		BI_JMP_REG(BPF_JNE, BPF_REG_0, BPF_REG_1, 2),
		BI_MOV_IMM(BPF_REG_2, queue + 1),
		BI_STX(BPF_W, BPF_REG_6, BPF_REG_2, SKB_OFF(queue_mapping)),
		BI_MOV_IMM(BPF_REG_0, TCX_NEXT),
		BI_EXIT(),
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = PFQ_TCX_EGRESS);
	int prog_fd, link, rc = pfq_tx_queue_check(q, sock, dev, ifindex, queue, "pfq_bind_tx");

	if (rc)
		return rc;
	if (!cookie)
		return pfq_seterr(q, EIO, "pfq_bind_tx: no socket cookie");
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "pfq_txq", "GPL", prog,
				sizeof(prog) / sizeof(prog[0]), &opts);
	if (prog_fd < 0)
		return pfq_seterr(q, errno, "pfq_bind_tx: TX queue %d needs a TC egress program: "
				  "%s", queue, strerror(errno));
	link = pfq_tcx_attach(sock, prog_fd, ifindex, PFQ_TCX_EGRESS);
	close(prog_fd);
	if (link < 0)
		return pfq_seterr(q, -link, "pfq_bind_tx: TX queue %d: cannot attach the TC egress "
				  "program to '%s': %s", queue, dev, strerror(-link));
	return link;
}
