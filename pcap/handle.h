/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A pcap handle served by a PFQ socket (the state behind a pfq pcap_t). */
#ifndef PFQ_PCAP_HANDLE_H
#define PFQ_PCAP_HANDLE_H

#include "config.h"

#include <pcap/pcap.h>
#include <pfq/pfq.h>
#include <signal.h>

struct pfqh {
	pcap_t *p;             /* the dead pcap_t the application holds */
	char device[4096];
	/* pcap settings */
	int snaplen, promisc, timeout_ms, buffer_size, immediate, precision;
	int nonblock;
	int activated;
	volatile sig_atomic_t break_loop;
	/* the capture */
	struct pfq_pcap_config cfg;
	pfq_t *q;
	struct pfq_net_queue nq;
	struct pcap_pkthdr hdr; /* for pcap_next_ex */
	struct bpf_program filter;
	int has_filter;
	int tx_fd;
	char err[PCAP_ERRBUF_SIZE];
};

struct pfqh *pfqh_new(const char *device, pcap_t *dead, char *errbuf);
void pfqh_free(struct pfqh *h);
int pfqh_activate(struct pfqh *h);
int pfqh_dispatch(struct pfqh *h, int cnt, pcap_handler cb, u_char *user);
int pfqh_loop(struct pfqh *h, int cnt, pcap_handler cb, u_char *user);
int pfqh_next_ex(struct pfqh *h, struct pcap_pkthdr **hdr, const u_char **data);
int pfqh_setfilter(struct pfqh *h, const struct bpf_program *fp);
int pfqh_setdirection(struct pfqh *h, pcap_direction_t d);
int pfqh_stats(struct pfqh *h, struct pcap_stat *ps);
int pfqh_inject(struct pfqh *h, const void *buf, size_t len);

/* log a decision to stderr when PFQ_PCAP_DEBUG is set */
void pfq_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* shim.c: the system libpcap, and its filter interpreter */
void *shim_system_libpcap(void);
int shim_offline_filter(const struct bpf_program *fp, const struct pcap_pkthdr *h,
			const u_char *data);

#endif
