/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfqd's configuration: an INI file (read with inih) describing the control
 * socket, the metrics endpoint and the groups pfqd manages. Parsing never
 * touches a group; every error names file:line:column (docs/pfqd.md has the
 * grammar).
 */
#ifndef PFQD_CONF_H
#define PFQD_CONF_H

#include "parse.h"

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PFQD_MAX_INPUTS 32   /* a group's bindings (the registry keeps 32) */
#define PFQD_MAX_OUTPUTS 16
#define PFQD_MAX_NAMES 64    /* allow_users, allow_groups */
#define PFQD_MAX_ERRORS 32   /* errors kept; the rest are counted */
#define PFQD_MAX_LINE 4096   /* a line of the file, continuation lines apart */
#define PFQD_DEFAULT_CONTROL "/run/pfqd/control"

/* where a value (or a part of it) starts in the file; line 0: nowhere */
struct pfqd_pos {
	int line, col;
};

/* an egress endpoint: a member of the group that sends what it gets */
struct pfqd_output {
	struct parse_dev dev;          /* device and hw TX queue (-1: any) */
	unsigned long long class_mask; /* default PFQ_CLASS_DEFAULT */
	int weight;                    /* 1..PFQ_WEIGHT_MAX, default 1 */
	struct pfqd_pos pos;
};

struct pfqd_group {
	int gid;
	int policy; /* PFQ_POLICY_SHARED or PFQ_POLICY_RESTRICTED */
	struct pfqd_pos pos;  /* the section header */
	int ninputs;
	struct parse_dev inputs[PFQD_MAX_INPUTS];
	struct pfqd_pos input_pos[PFQD_MAX_INPUTS];
	int noutputs;
	struct pfqd_output outputs[PFQD_MAX_OUTPUTS];
	char *computation;      /* PFQ/lang text (from the file for computation_file) */
	char *computation_file; /* as written, NULL when inline */
	char *filter;           /* tcpdump syntax, NULL none */
	struct bpf_program fprog; /* the filter compiled (bf_len 0: none) */
	bool vlan_on;
	int nvlans;
	int vlans[64]; /* PFQ_VLAN_ANYTAG, PFQ_VLAN_UNTAG or 1..4095, sorted, no repeats */
	int nusers, ngroups;
	char *users[PFQD_MAX_NAMES];
	char *groups[PFQD_MAX_NAMES];
	/* where things were written, for the checks that need the system */
	struct pfqd_pos user_pos[PFQD_MAX_NAMES], group_pos[PFQD_MAX_NAMES];
	struct pfqd_pos computation_pos, filter_pos;
};

struct pfqd_conf {
	char *path;           /* the file, as given */
	char *control;        /* control socket path ("" = none) */
	mode_t control_mode;  /* default 0666: commands check who asks */
	char *control_group;  /* NULL: pfqd's own group */
	char *metrics;        /* "ADDR:PORT", NULL = off */
	bool metrics_remote;  /* metrics on a non-loopback address allowed */
	bool require_guard;   /* refuse joins of users but root while the guard is off */
	struct pfqd_pos control_group_pos, metrics_pos;
	int ngroups;
	struct pfqd_group *groups; /* sorted by gid */
	/* errors, "file:line:col: message" each, in the order found */
	int nerrors;
	int nerrors_dropped;
	char *errors[PFQD_MAX_ERRORS];
};

/* flags of pfqd_conf_parse */
#define PFQD_CONF_SYNTAX_ONLY 0x1 /* no look-ups of devices, users, groups */
/* (a reload) inputs and outputs naming no device are no errors of the
 * file: a device that went is its group's failed step, the rest reloads */
#define PFQD_CONF_DEVICES_MAY_GO 0x2

/* Parse text (the content of path, which names it in messages) into c.
 * Everything that does not need the system is checked: the grammar, keys,
 * values, computations (type-checked) and filters (compiled); without
 * PFQD_CONF_SYNTAX_ONLY also that devices, users and unix groups exist in
 * this network namespace and system. Returns 0, or -1 with c->errors set.
 * Free c with pfqd_conf_free in both cases. */
int pfqd_conf_parse_text(struct pfqd_conf *c, const char *text, const char *path, int flags);
/* The same from the file path (a regular text file of at most 1 MiB). */
int pfqd_conf_parse_file(struct pfqd_conf *c, const char *path, int flags);
void pfqd_conf_free(struct pfqd_conf *c);

/* Does the decimal number s fit a uid or gid (0..4294967294; the largest
 * value is (uid_t)-1, "no id")? s holds digits only. */
bool pfqd_id_in_range(const char *s);

/* The group gid of c, or NULL. */
const struct pfqd_group *pfqd_conf_group(const struct pfqd_conf *c, int gid);

/* Are two groups' settings the same (positions aside)? Parts: */
bool pfqd_inputs_equal(const struct pfqd_group *a, const struct pfqd_group *b);
bool pfqd_outputs_equal(const struct pfqd_group *a, const struct pfqd_group *b);
bool pfqd_vlans_equal(const struct pfqd_group *a, const struct pfqd_group *b);
bool pfqd_str_equal(const char *a, const char *b);
bool pfqd_group_equal(const struct pfqd_group *a, const struct pfqd_group *b);

/* Deep copy of a group (for the running state); 0 or -ENOMEM. */
int pfqd_group_copy(struct pfqd_group *dst, const struct pfqd_group *src);
void pfqd_group_free(struct pfqd_group *g);

/* "shared", "restricted", ... */
const char *pfqd_policy_name(int policy);

#endif
