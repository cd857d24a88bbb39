/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Configuration of a pfq pcap handle: the device name
 * `pfq[/config_file]:[dev[@queue][:dev...]]`, the PFQ_* environment
 * variables and the per-handle config file (`key = value`, # comments).
 * Precedence: defaults, then the environment, then the config file named in
 * the device (it applies to that handle only, so threads can open handles
 * configured differently).
 */
#ifndef PFQ_PCAP_CONFIG_H
#define PFQ_PCAP_CONFIG_H

#include "parse.h" /* util/: struct parse_dev and the parsers */

#include <stddef.h>

#define PFQ_PCAP_MAX_DEVS 32
#define PFQ_PCAP_MAX_VLANS 64
#define PFQ_PCAP_GROUP_MAX 63 /* PFQ_MAX_GROUPS - 1 */
#define PFQ_PCAP_CAPLEN_MAX 262144 /* PFQ_CAPLEN_MAX, libpcap's largest snapshot length */

struct pfq_pcap_config {
	/* from the device name */
	struct parse_dev devs[PFQ_PCAP_MAX_DEVS]; /* name, queue (-1: every queue) */
	int ndevs;
	char config_path[4096]; /* "" when none */
	/* settings (-1: not set) */
	int group;
	int caplen;
	long rx_slots;
	long tx_slots;
	int tx_queue;
	int tx_node;
	int tx_batch;
	int vlans[PFQ_PCAP_MAX_VLANS]; /* VLAN filter ids, -1 = any tagged */
	int nvlans;
	char *computation; /* malloc'd, NULL when none */
};

void pfq_pcap_config_init(struct pfq_pcap_config *c);
void pfq_pcap_config_free(struct pfq_pcap_config *c);

/* Is name a pfq device ("pfq", "pfq:...", "pfq/...")? */
int pfq_pcap_is_device(const char *name);
/* Parse the device name into c: 0, or -1 with err filled. */
int pfq_pcap_parse_device(const char *name, struct pfq_pcap_config *c, char *err, size_t errlen);
/* Apply the PFQ_* variables read through get (getenv in real use). */
int pfq_pcap_config_env(struct pfq_pcap_config *c, const char *(*get)(const char *name),
			char *err, size_t errlen);
/* Apply a config file's text (name is for messages: "name:line: ..."). */
int pfq_pcap_config_text(struct pfq_pcap_config *c, const char *text, const char *name,
			 char *err, size_t errlen);
/* Read and apply the config file at path: a regular file (a directory, a
 * FIFO, ... is an error, and never blocks); in a set-user-ID program one
 * the real user may read. */
int pfq_pcap_config_file(struct pfq_pcap_config *c, const char *path, char *err, size_t errlen);

#endif
