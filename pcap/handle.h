/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A pcap handle served by a PFQ socket (the state behind a pfq pcap_t). */
#ifndef PFQ_PCAP_HANDLE_H
#define PFQ_PCAP_HANDLE_H

#include "config.h"

#include <pcap/pcap.h>
#include <pfq/pfq.h>
#include <signal.h>
#include <stdbool.h>

struct pfqh {
	pcap_t *p;             /* the dead pcap_t the application holds */
	char device[4096];
	/* pcap settings */
	int snaplen, promisc, timeout_ms, buffer_size, immediate, precision;
	int rfmon;
	int nonblock;
	int dlt;               /* DLT_EN10MB, or DLT_DOCSIS (pcap_set_datalink) */
	int ndlts;             /* 2 (both), or 1 (DLT_EN10MB) when a device is loopback */
	pcap_direction_t direction;
	int activated;
	volatile sig_atomic_t break_loop;
	int wake_fd;           /* eventfd pcap_breakloop writes (blocking mode), or -1 */
	/* the capture */
	struct pfq_pcap_config cfg;
	pfq_t *q;
	int lo_ifindex;        /* outgoing copies on lo are skipped, as stock does */
	struct pfq_net_queue nq;
	struct pcap_pkthdr hdr; /* for pcap_next_ex */
	u_char *oneshot;       /* pcap_next_ex: the last packet of a batch, copied */
	/* a stock live handle that compiles our filters as stock's (shim.c,
	 * open_compiler), or NULL: the dead handle compiles */
	pcap_t *compiler;
	struct bpf_program filter;
	int has_filter;
	bool filter_meta;      /* it reads the kernel's metadata (filter_run.h) */
	unsigned long refused; /* packets the user-space filter refused */
	/* a filter the kernel took: the packets the old one let into the
	 * ring before it (stamped before refilter_until) get the new one here,
	 * as stock filters the blocks already filled (pfqh_setfilter) */
	struct bpf_program refilter;
	int has_refilter;
	uint64_t refilter_until;
	bool refilter_meta;
	u_char *untagged;      /* the refilter's copy of a frame without its tag */
	bool tx_bound;         /* pcap_inject bound the socket's TX queue */
	bool via_pfqd;         /* a member pfqd made for us (pfq_join_pfqd) */
	char err[PCAP_ERRBUF_SIZE];
};

struct pfqh *pfqh_new(const char *device, pcap_t *dead, char *errbuf);
void pfqh_free(struct pfqh *h);
int pfqh_activate(struct pfqh *h);
/* The device pcap_lookupnet answers for: the first listed, or the first
 * the group is bound to, or "" (none); -1 with errbuf on a bad name. */
int pfqh_first_device(const char *name, char dev[16], char *errbuf);
/* the message libpcap gives for calls on a handle not activated yet */
int pfqh_not_activated(struct pfqh *h);
/* ... and for settings on a handle activated already */
int pfqh_activated(struct pfqh *h);
int pfqh_dispatch(struct pfqh *h, int cnt, pcap_handler cb, u_char *user);
int pfqh_loop(struct pfqh *h, int cnt, pcap_handler cb, u_char *user);
int pfqh_next_ex(struct pfqh *h, struct pcap_pkthdr **hdr, const u_char **data);
int pfqh_setfilter(struct pfqh *h, const struct bpf_program *fp);
int pfqh_setdirection(struct pfqh *h, pcap_direction_t d);
int pfqh_stats(struct pfqh *h, struct pcap_stat *ps);
void pfqh_breakloop(struct pfqh *h);
int pfqh_setnonblock(struct pfqh *h, int nonblock, char *errbuf);
int pfqh_getnonblock(struct pfqh *h, char *errbuf);
/* read.c: the eventfd of blocking mode (0, or -1 with h->err set) */
int pfqh_wake_open(struct pfqh *h);
int pfqh_inject(struct pfqh *h, const void *buf, size_t len);

/* log a decision to stderr when PFQ_PCAP_DEBUG is set */
void pfq_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* shim.c: the system libpcap, and its filter interpreter */
void *shim_system_libpcap(void);
const char *shim_datalink_name(int dlt);
/* does the system libpcap's validator take the program (stock
 * pcap_setfilter refuses one it does not: "BPF program is not valid")? */
int shim_filter_valid(const struct bpf_insn *f, u_int len);
int shim_offline_filter(const struct bpf_program *fp, const struct pcap_pkthdr *h,
			const u_char *data);

#endif
