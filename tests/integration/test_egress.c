/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Egress endpoints on a test host: a group bound to b0 (traffic sent from
 * a0) with a reader socket and an egress endpoint on b1, whose packets are
 * captured on its peer a1. Steering splits the flows between the reader
 * and the device (each frame, each flow on one side, byte for byte), a copy
 * goes to both, a chosen hw TX queue is the one the frames leave by, the
 * host stack keeps receiving, unbinding gives the socket its share back and
 * a killed endpoint's share moves to the reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "capture.h"
#include "pktgen.h"
#include "sender.h"
#include "test_registry.h"
#include "testhost.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static struct testhost th;

#define NFRAMES 2000
#define NFLOWS 200
#define DPORT 4242
static uint8_t frames[NFRAMES][128];
static size_t lens[NFRAMES];
static int next_gid = 1;
/* every socket a test opens, closed after it (also when it fails: a group
 * left bound would send into the next test) */
static pfq_t *opened[32];
static int nopened;
static pid_t child = -1;

/* frame i: flow i % NFLOWS (its UDP source port), IPv4 id i */
static void make_frames(void)
{
	struct pkt_spec s;

	for (size_t i = 0; i < NFRAMES; i++) {
		pkt_spec_udp4(&s, "10.7.0.1", "10.7.0.2", (uint16_t)(10000 + i % NFLOWS), DPORT,
			      60 + i % 60);
		s.ip_id = (uint16_t)i;
		s.fill = (uint8_t)i;
		/* broadcast: side B's IPv4 stack takes it in (and drops it) */
		memset(s.dst_mac, 0xff, 6);
		lens[i] = pkt_build(&s, frames[i], sizeof(frames[i]));
		assert_true(lens[i] >= 60);
	}
}

/* the frame number of one of ours (-1: something else) */
static int frame_id(const struct cap_pkt *p)
{
	const uint8_t *d = p->data;
	int id;

	if (p->hdr.caplen < 42 || d[12] != 0x08 || d[13] != 0x00 || d[23] != 17 ||
	    (d[36] << 8 | d[37]) != DPORT)
		return -1;
	id = d[18] << 8 | d[19];
	if (id >= NFRAMES || p->hdr.caplen != lens[id] ||
	    memcmp(d, frames[id], lens[id]) != 0)
		fail_msg("frame %d arrived changed", id);
	return id;
}

/* a socket of side A or B: a group member (nogroup) or one with its own
 * bindings */
static pfq_t *open_in(char side, bool nogroup)
{
	int h = th_enter(&th, side);
	pfq_t *q = nogroup ? pfq_open_nogroup(2048, 8192, 0, 0) : pfq_open(2048, 8192, 0, 0);

	th_leave(h);
	assert_non_null(q);
	assert_true(nopened < 32);
	opened[nopened++] = q;
	return q;
}

#define OK(q, call)                                                           \
	do {                                                                  \
		int rc_ = (call);                                             \
		if (rc_ < 0)                                                  \
			fail_msg("%s: %d: %s", #call, rc_, pfq_error(q));     \
	} while (0)

/* the group's manager: control class, bound to b0 */
static pfq_t *manager(int gid, const char *computation)
{
	pfq_t *m = open_in('b', true);

	assert_int_equal(pfq_join_group(m, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED), gid);
	OK(m, pfq_set_group_computation_from_string(m, gid, computation));
	OK(m, pfq_bind_group(m, gid, "b0", PFQ_ANY_QUEUE));
	return m;
}

static pfq_t *reader(int gid)
{
	pfq_t *r = open_in('b', true);

	assert_int_equal(pfq_join_group(r, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), gid);
	OK(r, pfq_enable(r));
	return r;
}

static pfq_t *endpoint(int gid, const char *dev, int queue)
{
	pfq_t *e = open_in('b', true);

	/* bound before the join: the join makes it an endpoint of the group */
	OK(e, pfq_egress_bind(e, dev, queue));
	assert_int_equal(pfq_join_group(e, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), gid);
	return e;
}

/* a socket on side A's a1 (queue, or any): what the endpoints sent */
static pfq_t *peer(int queue)
{
	pfq_t *c = open_in('a', false);

	OK(c, pfq_bind(c, "a1", queue));
	OK(c, pfq_enable(c));
	return c;
}

static void send_frames(size_t first, size_t last)
{
	int fd = th_sender(&th, "a0", 0);

	assert_true(fd >= 0);
	for (size_t i = first; i < last; i++) {
		assert_int_equal(sender_send(fd, frames[i], lens[i]), 0);
		if (i % 256 == 255)
			usleep(2000);
	}
	close(fd);
}

/* per frame: how many times q got it (our frames only) */
static size_t collect(pfq_t *q, uint8_t *seen, size_t want, int timeout_ms)
{
	struct capture c;
	size_t n = 0;

	cap_init(&c, 2 * NFRAMES + 64);
	cap_collect(q, &c, want, timeout_ms, 200);
	for (size_t i = 0; i < c.n; i++) {
		int id = frame_id(&c.pkts[i]);

		if (id >= 0) {
			seen[id]++;
			n++;
		}
	}
	cap_free(&c);
	return n;
}

static uint64_t group_frwd(pfq_t *m, int gid, uint64_t *disc)
{
	struct pfq_stats st;

	OK(m, pfq_get_group_stats(m, gid, &st));
	if (disc)
		*disc = st.disc;
	return st.frwd;
}

/* steering: every frame, every flow to the reader or out of b1, never both */
static void test_steer_split(void **state)
{
	static uint8_t got_r[NFRAMES], got_c[NFRAMES];
	int gid = next_gid++;
	pfq_t *m = manager(gid, "ip >-> steer_flow"), *r = reader(gid);
	pfq_t *e = endpoint(gid, "b1", PFQ_ANY_QUEUE), *c = peer(PFQ_ANY_QUEUE);
	size_t nr, nc;
	int side[NFLOWS];
	uint64_t disc;

	(void)state; /* the group and its members live until after_test */
	(void)e;
	memset(got_r, 0, sizeof(got_r));
	memset(got_c, 0, sizeof(got_c));
	send_frames(0, NFRAMES);
	nc = collect(c, got_c, NFRAMES, 1500);
	nr = collect(r, got_r, NFRAMES - nc, 1500);
	printf("  reader %zu, out of b1 %zu of %d frames\n", nr, nc, NFRAMES);
	for (int f = 0; f < NFLOWS; f++)
		side[f] = -1;
	for (int i = 0; i < NFRAMES; i++) {
		int s = got_c[i] ? 1 : 0;

		if (got_r[i] + got_c[i] != 1)
			fail_msg("frame %d: reader %d, endpoint %d times", i, got_r[i], got_c[i]);
		if (side[i % NFLOWS] >= 0 && side[i % NFLOWS] != s)
			fail_msg("flow %d went to both the reader and the endpoint", i % NFLOWS);
		side[i % NFLOWS] = s;
	}
	assert_true(nr > NFRAMES / 4 && nc > NFRAMES / 4);
	assert_int_equal(group_frwd(m, gid, &disc), nc);
	assert_int_equal(disc, 0);
}

/* a copy to the class: the reader and each endpoint get every frame */
static void test_copy(void **state)
{
	static uint8_t got_r[NFRAMES], got_c[NFRAMES];
	int gid = next_gid++;
	/* an endpoint in the first row: the reader's copy is not its */
	pfq_t *m = manager(gid, "ip"), *e1 = endpoint(gid, "b1", PFQ_ANY_QUEUE);
	pfq_t *r = reader(gid), *e2 = endpoint(gid, "b1", PFQ_ANY_QUEUE);
	pfq_t *c = peer(PFQ_ANY_QUEUE);

	(void)state; /* the group and its members live until after_test */
	(void)e1; (void)e2;
	memset(got_r, 0, sizeof(got_r));
	memset(got_c, 0, sizeof(got_c));
	send_frames(0, 500);
	assert_int_equal(collect(c, got_c, 1000, 2000), 1000);
	assert_int_equal(collect(r, got_r, 500, 2000), 500);
	for (int i = 0; i < 500; i++)
		if (got_r[i] != 1 || got_c[i] != 2)
			fail_msg("frame %d: reader %d, out of b1 %d times (want 1, 2)", i, got_r[i],
				 got_c[i]);
	assert_int_equal(group_frwd(m, gid, NULL), 1000);
}

/* a chosen hw TX queue: the frames leave b1 by it (veth hands them to a1's
 * RX queue of the same number) */
static void test_queue(void **state)
{
	static uint8_t got[4][NFRAMES];
	int gid = next_gid++;
	pfq_t *m = manager(gid, "ip"), *e = endpoint(gid, "b1", 2), *c[4];

	(void)state; /* the group and its members live until after_test */
	(void)m; (void)e;
	memset(got, 0, sizeof(got));
	for (int k = 0; k < 4; k++)
		c[k] = peer(k);
	send_frames(0, 300);
	for (int k = 0; k < 4; k++)
		assert_int_equal(collect(c[k], got[k], k == 2 ? 300 : 0, k == 2 ? 2000 : 100),
				 k == 2 ? 300 : 0);
}

/* IPv4 datagrams side B's stack received (Ip: InReceives) */
static int read_in_receives(void *arg)
{
	FILE *f = fopen("/proc/thread-self/net/snmp", "r");
	char head[1024], vals[1024];

	*(long *)arg = -1;
	while (f && fgets(head, sizeof(head), f) && fgets(vals, sizeof(vals), f))
		if (!strncmp(head, "Ip:", 3)) {
			/* Ip: Forwarding DefaultTTL InReceives ... */
			sscanf(vals, "Ip: %*d %*d %ld", (long *)arg);
			break;
		}
	if (f)
		fclose(f);
	return 0;
}

static long in_receives(void)
{
	long n;

	assert_int_equal(th_in_b(&th, read_in_receives, &n), 0);
	assert_true(n >= 0);
	return n;
}

/* a group with endpoints but no computation that decides for the host
 * stack leaves the stack alone: it still receives every packet */
static void test_host_stack_untouched(void **state)
{
	static uint8_t got_c[NFRAMES];
	int gid = next_gid++;
	pfq_t *m = manager(gid, "ip"), *e = endpoint(gid, "b1", PFQ_ANY_QUEUE);
	pfq_t *c = peer(PFQ_ANY_QUEUE);
	long before = in_receives(), after;

	(void)state; /* the group and its members live until after_test */
	(void)m; (void)e;
	memset(got_c, 0, sizeof(got_c));
	send_frames(0, 400);
	assert_int_equal(collect(c, got_c, 400, 2000), 400);
	after = in_receives();
	printf("  host stack: %ld IPv4 datagrams received meanwhile\n", after - before);
	assert_true(after - before >= 400);
}

struct egress_query {
	int gid;
	uint32_t id;
	char dev[16];
	int queue;
};

/* the egress endpoint pfq_groups_info says member id of group gid has */
static int query_egress(void *arg)
{
	static struct pfq_group_info info[PFQ_MAX_GROUPS];
	struct egress_query *e = arg;
	int n = pfq_groups_info(info, PFQ_MAX_GROUPS, sizeof(info[0]));

	e->dev[0] = '\0';
	e->queue = -2;
	for (int i = 0; i < n && i < PFQ_MAX_GROUPS; i++)
		for (int k = 0; info[i].gid == e->gid && k < info[i].nmembers; k++)
			if (info[i].members[k].id == e->id) {
				snprintf(e->dev, sizeof(e->dev), "%s", info[i].egress[k].dev);
				e->queue = info[i].egress[k].ifindex ? info[i].egress[k].queue : -2;
			}
	return 0;
}

/* "dev@queue" of member q's endpoint as tools see it, "" none */
static const char *egress_of(int gid, pfq_t *q)
{
	static char out[40];
	struct egress_query e = { gid, (uint32_t)pfq_id(q), "", -2 };

	th_in_b(&th, query_egress, &e);
	snprintf(out, sizeof(out), "%s@%d", e.dev, e.queue);
	return e.queue == -2 ? "" : out;
}

/* unbound, the socket reads its share again; bound again, it sends */
static void test_unbind(void **state)
{
	static uint8_t got_e[NFRAMES], got_c[NFRAMES];
	int gid = next_gid++;
	pfq_t *m = manager(gid, "ip"), *e = endpoint(gid, "b1", PFQ_ANY_QUEUE);
	pfq_t *c = peer(PFQ_ANY_QUEUE);

	(void)state; /* the group and its members live until after_test */
	(void)m;
	memset(got_e, 0, sizeof(got_e));
	memset(got_c, 0, sizeof(got_c));
	OK(e, pfq_enable(e));
	send_frames(0, 200);
	assert_int_equal(collect(c, got_c, 200, 2000), 200);
	assert_int_equal(collect(e, got_e, 0, 100), 0);
	assert_int_equal(th_tc_programs(&th, "b0"), 1);
	assert_string_equal(egress_of(gid, e), "b1@-1");
	OK(e, pfq_egress_unbind(e));
	assert_string_equal(egress_of(gid, e), "");
	/* the last endpoint gone, and 'ip' needs no TC program: it goes */
	assert_int_equal(th_tc_programs(&th, "b0"), 0);
	send_frames(200, 400);
	assert_int_equal(collect(e, got_e, 200, 2000), 200);
	assert_int_equal(collect(c, got_c, 0, 200), 0);
	OK(e, pfq_egress_bind(e, "b1", PFQ_ANY_QUEUE));
	assert_int_equal(th_tc_programs(&th, "b0"), 1);
	send_frames(400, 600);
	assert_int_equal(collect(c, got_c, 200, 2000), 200);
	assert_int_equal(collect(e, got_e, 0, 100), 0);
	for (int i = 0; i < 600; i++)
		assert_int_equal(got_e[i] + got_c[i], 1);
}

/* an endpoint in another process killed with SIGKILL: its share goes to
 * the reader within a second */
static void test_killed_endpoint(void **state)
{
	static uint8_t got_r[NFRAMES], got_c[NFRAMES];
	int gid = next_gid++, ready[2];
	pfq_t *m = manager(gid, "ip >-> steer_flow"), *r = reader(gid), *c = peer(PFQ_ANY_QUEUE);
	pid_t pid;
	char b = 0;
	size_t nr, nc;

	(void)state; /* the group and its members live until after_test */
	(void)m;
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid > 0)
		child = pid;
	if (pid == 0) {
		pfq_t *e;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		e = endpoint(gid, "b1", PFQ_ANY_QUEUE);
		b = e ? 1 : 0;
		if (write(ready[1], &b, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	assert_int_equal(read(ready[0], &b, 1), 1);
	assert_int_equal(b, 1);
	memset(got_r, 0, sizeof(got_r));
	memset(got_c, 0, sizeof(got_c));
	send_frames(0, 1000);
	nc = collect(c, got_c, NFRAMES, 1000);
	nr = collect(r, got_r, 1000 - nc, 1500);
	assert_true(nc > 0);
	assert_int_equal(nr + nc, 1000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	child = -1;
	/* the reader's reads look after the group (every 0.2 s) */
	collect(r, got_r, 0, 1000);
	memset(got_r, 0, sizeof(got_r));
	memset(got_c, 0, sizeof(got_c));
	send_frames(1000, 2000);
	nr = collect(r, got_r, 1000, 2000);
	nc = collect(c, got_c, 0, 200);
	printf("  after the kill: reader %zu, out of b1 %zu of 1000\n", nr, nc);
	assert_int_equal(nr, 1000);
	assert_int_equal(nc, 0);
	close(ready[0]);
	close(ready[1]);
}

/* two groups on one device, each with an endpoint: both send (the first
 * group's TC program lets the next one run) */
static void test_two_groups(void **state)
{
	static uint8_t got[2][NFRAMES];
	int ga = next_gid++, gb = next_gid++;
	pfq_t *ma = manager(ga, "ip"), *mb = manager(gb, "ip");
	pfq_t *ea = endpoint(ga, "b1", 1), *eb = endpoint(gb, "b1", 3);
	pfq_t *c1 = peer(1), *c3 = peer(3);

	(void)state; /* the groups and their members live until after_test */
	(void)ma;
	(void)mb;
	(void)ea;
	(void)eb;
	memset(got, 0, sizeof(got));
	send_frames(0, 100);
	assert_int_equal(collect(c1, got[0], 100, 2000), 100);
	assert_int_equal(collect(c3, got[1], 100, 2000), 100);
}

/* frames the endpoint's device refuses (it is down) count in disc */
static void test_disc(void **state)
{
	static uint8_t got[NFRAMES];
	int gid = next_gid++;
	pfq_t *m = manager(gid, "ip"), *e = endpoint(gid, "b1", PFQ_ANY_QUEUE);
	uint64_t disc = 0;

	(void)state;
	(void)e;
	assert_int_equal(th_exec(&th, 'b', "ip link set b1 down"), 0);
	send_frames(0, 50);
	usleep(200000);
	assert_int_equal(group_frwd(m, gid, &disc), 0);
	assert_int_equal(th_exec(&th, 'b', "ip link set b1 up"), 0);
	assert_int_equal(disc, 50);
	memset(got, 0, sizeof(got));
	(void)got;
}

/* a socket that took the group's copies (members mode) and becomes an
 * endpoint reads nothing more; the readers keep their copies */
static void test_endpoint_in_members_mode(void **state)
{
	static uint8_t got_r1[NFRAMES], got_r2[NFRAMES], got_e[NFRAMES], got_c[NFRAMES];
	int gid = next_gid++;
	pfq_t *m = manager(gid, "ip"), *r1 = reader(gid), *r2 = reader(gid), *e = reader(gid);
	pfq_t *c = peer(PFQ_ANY_QUEUE);

	(void)state;
	(void)m;
	memset(got_r1, 0, sizeof(got_r1));
	memset(got_r2, 0, sizeof(got_r2));
	memset(got_e, 0, sizeof(got_e));
	memset(got_c, 0, sizeof(got_c));
	/* the members take copies when they next look after the group (in
	 * their reads): then the group is in members mode */
	for (int round = 0; round < 3; round++) {
		collect(r1, got_r1, 0, 250);
		collect(r2, got_r2, 0, 250);
		collect(e, got_e, 0, 250);
	}
	OK(e, pfq_egress_bind(e, "b1", PFQ_ANY_QUEUE));
	send_frames(0, 200);
	assert_int_equal(collect(c, got_c, 200, 2000), 200);
	assert_int_equal(collect(r1, got_r1, 200, 2000), 200);
	assert_int_equal(collect(r2, got_r2, 200, 2000), 200);
	assert_int_equal(collect(e, got_e, 0, 200), 0);
}

/* the weight of an endpoint that does not read (not enabled) counts */
static void test_weight(void **state)
{
	static uint8_t got_r[NFRAMES], got_c[NFRAMES];
	int gid = next_gid++;
	pfq_t *m = manager(gid, "ip >-> steer_flow"), *r = reader(gid);
	pfq_t *e = endpoint(gid, "b1", PFQ_ANY_QUEUE), *c = peer(PFQ_ANY_QUEUE);
	size_t nc, nr;

	(void)state;
	(void)m;
	OK(e, pfq_set_weight(e, 8));
	memset(got_r, 0, sizeof(got_r));
	memset(got_c, 0, sizeof(got_c));
	send_frames(0, NFRAMES);
	nc = collect(c, got_c, NFRAMES, 1500);
	nr = collect(r, got_r, NFRAMES - nc, 1500);
	printf("  weight 8 endpoint %zu, weight 1 reader %zu of %d\n", nc, nr, NFRAMES);
	assert_int_equal(nc + nr, NFRAMES);
	assert_true(nc > NFRAMES * 3 / 4);
}

/* what the group cannot serve is refused, with the reason */
static void test_refused(void **state)
{
	int gid = next_gid++;
	pfq_t *m = manager(gid, "steer_rrobin"), *e = open_in('b', true);

	(void)state;
	OK(e, pfq_egress_bind(e, "b1", PFQ_ANY_QUEUE));
	assert_true(pfq_join_group(e, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED) < 0);
	assert_non_null(strstr(pfq_error(e), "steer_rrobin"));
	/* by flow it serves; then no round robin while it is there */
	OK(m, pfq_set_group_computation_from_string(m, gid, "ip >-> steer_flow"));
	assert_int_equal(pfq_join_group(e, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), gid);
	assert_true(pfq_set_group_computation_from_string(m, gid, "steer_rrobin") < 0);
	assert_non_null(strstr(pfq_error(m), "steer_rrobin"));
	/* no binding to any device, no endpoint on a captured device */
	assert_true(pfq_bind_group(m, gid, "any", PFQ_ANY_QUEUE) < 0);
	assert_non_null(strstr(pfq_error(m), "by name"));
	assert_true(pfq_egress_bind(e, "b0", PFQ_ANY_QUEUE) < 0);
	assert_non_null(strstr(pfq_error(e), "captures from"));
	/* and the endpoint still sends where it did */
	{
		static uint8_t got_c[NFRAMES];
		pfq_t *c = peer(PFQ_ANY_QUEUE);

		memset(got_c, 0, sizeof(got_c));
		send_frames(0, 100);
		assert_int_equal(collect(c, got_c, 100, 2000), 100);
	}
}

static void test_bad_calls(void **state)
{
	pfq_t *q = open_in('b', true);

	(void)state;
	assert_int_equal(pfq_egress_bind(NULL, "b1", 0), -EINVAL);
	assert_int_equal(pfq_egress_bind(q, NULL, 0), -EINVAL);
	assert_int_equal(pfq_egress_bind(q, "nosuchdev0", PFQ_ANY_QUEUE), -ENODEV);
	assert_non_null(strstr(pfq_error(q), "nosuchdev0"));
	assert_int_equal(pfq_egress_bind(q, "b1", -2), -EINVAL);
	assert_int_equal(pfq_egress_bind(q, "b1", 4), -EINVAL); /* 4 queues: 0..3 */
	assert_non_null(strstr(pfq_error(q), "4 TX queues"));
	assert_int_equal(pfq_egress_unbind(q), 0); /* not bound: nothing to do */
	assert_int_equal(pfq_egress_unbind(NULL), -EINVAL);
}

static int after_test(void **state)
{
	(void)state;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	while (nopened > 0)
		pfq_close(opened[--nopened]);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	make_frames();
	return th_create(&th, 2, 4);
}

static int teardown(void **state)
{
	(void)state;
	th_destroy(&th);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bad_calls, after_test),
		cmocka_unit_test_teardown(test_steer_split, after_test),
		cmocka_unit_test_teardown(test_copy, after_test),
		cmocka_unit_test_teardown(test_queue, after_test),
		cmocka_unit_test_teardown(test_host_stack_untouched, after_test),
		cmocka_unit_test_teardown(test_unbind, after_test),
		cmocka_unit_test_teardown(test_killed_endpoint, after_test),
		cmocka_unit_test_teardown(test_two_groups, after_test),
		cmocka_unit_test_teardown(test_disc, after_test),
		cmocka_unit_test_teardown(test_endpoint_in_members_mode, after_test),
		cmocka_unit_test_teardown(test_weight, after_test),
		cmocka_unit_test_teardown(test_refused, after_test),
	};
	char dir[] = "/tmp/pfq-egress-XXXXXX";

	if (test_registry_enter(dir) < 0)
		return 1;
	return test_registry_leave(dir, cmocka_run_group_tests_name("pfq-egress", tests, setup,
								    teardown));
}
