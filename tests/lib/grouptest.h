/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Group tests: members are forked processes with their own PFQ sockets on
 * side B of the test host gt_th; the test process manages the group with a
 * control-class socket (as pfqd would) and sends the traffic.
 *
 * Traffic: flow f sends one packet forward on a0 (arrives on b0) and one
 * back out of b1, so each flow is seen in both directions on two devices of
 * the group. Every packet carries a unique IPv4 id and TTL GT_MARK_TTL.
 */
#ifndef PFQ_TEST_GROUPTEST_H
#define PFQ_TEST_GROUPTEST_H

#include <pfq/pfq.h>

#include "testhost.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GT_MARK_TTL 77
#define GT_MAX_IDS 65536
#define GT_FRAME_MAX 1600 /* the buffer gt_flow_frame wants */

/* a libpfq call on q that must succeed, with pfq_error on failure */
#define OK(q, call)                                                              \
	do {                                                                     \
		int rc_ = (call);                                                \
		if (rc_ < 0)                                                     \
			fail_msg("%s: %d: %s", #call, rc_, pfq_error(q));        \
	} while (0)

/* the test host (made by the test's setup) */
extern struct testhost gt_th;

struct gt_member_cfg {
	int gid;
	unsigned long long class_mask;
	int weight;
	int policy;
	bool unprivileged; /* drop to nobody once enabled, as tcpdump does */
	/* join through pfqd at this control socket (pfq_join_pfqd), having
	 * become user uid, group ugid (and supplementary group sgid, 0 none) */
	const char *pfqd;
	uid_t uid;
	gid_t ugid, sgid;
};
struct gt_member {
	pid_t pid;
	int ctl;  /* parent -> child */
	int res;  /* child -> parent */
	int join_err;
	int read_err; /* the last read's error (-ENOTCONN: pfqd ended the member) */
	uint32_t n;
	uint32_t *ids;
};
struct gt_got {
	uint32_t n;
	uint32_t ids[GT_MAX_IDS];
};

struct CMUnitTest;

/* Run n cmocka tests as group name on a test host gt_th of two veth pairs,
 * with a registry of their own (PFQ_RUN_DIR); PFQ_TEST_FILTER selects
 * tests by name. Returns what main returns. */
int gt_run(const char *name, const struct CMUnitTest *tests, size_t n);

/* BPF objects made after a mark: set the mark, do the work, and count
 * those of ours (named pfq_...) still there. Objects made before the mark,
 * also other processes' freed meanwhile, do not count. */
struct gt_mark {
	uint32_t prog, map;
};
void gt_mark_objects(struct gt_mark *m);
int gt_count_objects_since(const struct gt_mark *m);

/* children die with the test process */
void gt_child_init(void);
uint64_t gt_mix64(uint64_t x);
/* packet id 2f (forward) or 2f+1 (reverse) of flow f; with gt_nflows set,
 * flow f mod gt_nflows (ids [2 r N, 2 (r + 1) N) send the N flows again) */
extern uint32_t gt_nflows;
uint32_t gt_flow_of(uint32_t id);
/* (buf: GT_FRAME_MAX bytes) */
size_t gt_flow_frame(uint32_t id, int vlan, uint8_t *buf);
bool gt_is_tcp_id(uint32_t id);
/* send the packets with ids [first, last) */
void gt_send_ids(uint32_t first, uint32_t last, int vlan);
/* a pfq callback collecting the ids into a struct gt_got */
void gt_on_pkt(void *user, const struct pfq_pkthdr *h, const uint8_t *d);
void gt_write_all(int fd, const void *p, size_t n);
int gt_read_all(int fd, void *p, size_t n);
/* a member: fork, join, enable, receive until told to stop */
void gt_spawn(struct gt_member *m, const struct gt_member_cfg *cfg);
/* stop a member and collect what it received */
void gt_finish(struct gt_member *m);
void gt_release(struct gt_member *m);
/* the manager: a control-class socket of the test process, computation
 * set, the group bound to b0 and b1 */
pfq_t *gt_manager(int gid, const char *computation);
/* which member got each id (-1 none); fails on a duplicate */
void gt_owners(struct gt_member *m, int n, int *owner, uint32_t first, uint32_t last);
/* packets read from q in reads of up to 10 ms for about ms milliseconds,
 * stopping once want were read; a read error fails the test */
int gt_count_read(pfq_t *q, int want, int ms);
/* the groups of side B's namespace */
int gt_groups_in_b(struct pfq_group_info *info);
/* tcx programs at the ingress of side B's device dev */
uint32_t gt_tc_programs(const char *dev);
/* UDP datagrams waiting on a socket */
int gt_drain_udp(int fd);
/* n frames from a0 to mac and 192.168.77.2, UDP to dport */
void gt_send_to_host(const uint8_t *mac, uint16_t dport, int n);

#endif
