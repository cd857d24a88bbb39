/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Classic BPF in user space on the kernel's view of a frame.
 *
 * On Linux, stock libpcap compiles a live handle's filter for the kernel,
 * which has taken the outer VLAN tag out of a received frame and keeps it
 * as metadata: `vlan` reads it with ancillary loads (SKF_AD_VLAN_TAG_PRESENT
 * ...) and the EtherType at offset 12 is the inner one. libpcap's own
 * user-space filter knows only some of those loads, so when such a program
 * must run here (packets captured before it, a member that cannot set its
 * group's filter) it runs with this, on the frame without its outer tag
 * and the tag given as metadata: what the kernel would have decided.
 */
#ifndef PFQ_PCAP_FILTER_RUN_H
#define PFQ_PCAP_FILTER_RUN_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>

struct filter_meta {
	uint16_t vlan_tci, vlan_tpid; /* the outer tag the kernel took out (tpid 0: none) */
	uint16_t protocol;            /* the frame's EtherType after the tag */
	uint8_t pkttype;              /* PACKET_HOST, ... */
	int ifindex;
};

/* Does the program read the kernel's metadata (ancillary loads)? */
bool filter_uses_metadata(const struct bpf_insn *p, u_int n);
/* Run it: the snapshot length it answers, 0 to refuse the packet. */
u_int filter_run(const struct bpf_insn *prog, u_int n, const u_char *p, u_int wirelen,
		 u_int buflen, const struct filter_meta *m);

#endif
