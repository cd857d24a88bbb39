/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Handover (issue 12) on a test host: the test process, as pfqd would,
 * makes a group bound to b0 (traffic from a0), opens member sockets and
 * exports them over unix socketpairs (SCM_RIGHTS) to children that dropped
 * their privileges to user nobody before importing and reading them. The
 * flows are split between the children, a child killed with SIGKILL gives
 * its share to the other within a second (the exporter sees the socketpair
 * close and closes its handle), copies to several members reach imported
 * sockets (the exporter's pfq_maintain hooks them), bad descriptions and
 * descriptors are refused, and an imported socket refuses what would
 * change it or its group.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "core/handover.h"
#include "pktgen.h"
#include "sender.h"
#include "test_registry.h"
#include "testhost.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <linux/filter.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct testhost th;

#define NFRAMES 2000
#define NFLOWS 200
#define DPORT 4343
#define NOBODY 65534
#define MAX_KIDS 2
static uint8_t frames[NFRAMES][128];
static size_t lens[NFRAMES];
static int next_gid = 1;
static pfq_t *opened[16];
static int nopened;

/* a child reading an imported socket, and the exporter's handle of it */
struct kid {
	pid_t pid;
	int sp;   /* the test process's end of the socketpair */
	pfq_t *q; /* the exported socket, NULL once closed */
	uint64_t fino; /* the inode of its fanout socket */
};
static struct kid kids[MAX_KIDS];
static int nkids;

/* what a child says after importing, and when asked */
struct import_reply {
	int rc;            /* pfq_import: 0 or -errno */
	int raw_refused;   /* it could not open an AF_PACKET socket itself */
	int eperm;         /* a forbidden call gave -EPERM */
	int locked;        /* the kernel refused to detach the sockets' filters */
};
struct report {
	int err;           /* a read's error, 0 */
	uint32_t n;        /* frames of ours received */
	uint64_t total;    /* of ours since the import */
	uint64_t recv;     /* pfq_get_stats: the sockets' recv since the import */
	uint8_t seen[NFRAMES];
};

#define OK(q, call)                                                           \
	do {                                                                  \
		int rc_ = (call);                                             \
		if (rc_ < 0)                                                  \
			fail_msg("%s: %d: %s", #call, rc_, pfq_error(q));     \
	} while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* frame i: flow i % NFLOWS (its UDP source port), IPv4 id i */
static void make_frames(void)
{
	struct pkt_spec s;

	for (size_t i = 0; i < NFRAMES; i++) {
		pkt_spec_udp4(&s, "10.8.0.1", "10.8.0.2", (uint16_t)(20000 + i % NFLOWS), DPORT,
			      60 + i % 60);
		s.ip_id = (uint16_t)i;
		s.fill = (uint8_t)i;
		memset(s.dst_mac, 0xff, 6);
		lens[i] = pkt_build(&s, frames[i], sizeof(frames[i]));
		assert_true(lens[i] >= 60);
	}
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

/* ---- the child: import, read, report ---- */

/* the frame number of one of ours, -1 */
static int frame_id(const struct pfq_pkthdr *h, const uint8_t *d)
{
	int id;

	if (h->caplen < 42 || d[12] != 0x08 || d[13] != 0x00 || d[23] != 17 ||
	    (d[36] << 8 | d[37]) != DPORT)
		return -1;
	id = d[18] << 8 | d[19];
	if (id >= NFRAMES || h->caplen != lens[id] || memcmp(d, frames[id], lens[id]) != 0)
		return -1;
	return id;
}

static void on_pkt(void *user, const struct pfq_pkthdr *h, const uint8_t *d)
{
	struct report *r = user;
	int id = frame_id(h, d);

	if (id >= 0 && r->seen[id] < 255) {
		r->seen[id]++;
		r->n++;
	}
}

static int drop_privileges(void)
{
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		return -1;
	/* (a change of credentials clears it) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return 0;
}

/* the descriptors and description of one SCM_RIGHTS message: nfds, -1 */
static int recv_handover(int sp, int *fds, void *blob, size_t *len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PFQ_HANDOVER_FDS)];
		struct cmsghdr align;
	} c;
	struct iovec iov = { blob, *len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			      .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(sp, &msg, MSG_CMSG_CLOEXEC);

	if (n <= 0)
		return -1;
	*len = (size_t)n;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

	memcpy(fds, CMSG_DATA(cm), (size_t)nfds * sizeof(int));
	return nfds;
}

static void kid_import(int sp, pfq_t **q)
{
	struct import_reply rep = { 0 };
	unsigned char blob[PFQ_HANDOVER_BLOB_MAX];
	size_t len = sizeof(blob);
	int fds[PFQ_HANDOVER_FDS], nfds;
	pfq_t *raw;

	raw = pfq_open_nogroup(64, 64, 0, 0);
	rep.raw_refused = raw == NULL && errno == EPERM;
	if (raw)
		pfq_close(raw);
	nfds = recv_handover(sp, fds, blob, &len);
	*q = nfds > 0 ? pfq_import(fds, nfds, blob, len) : NULL;
	rep.rc = *q ? 0 : -errno;
	rep.locked = nfds == PFQ_HANDOVER_FDS;
	for (int i = 0; i < nfds; i++) {
		int zero = 0;

		/* else it could bind the main socket to a device and see all */
		rep.locked &= setsockopt(fds[i], SOL_SOCKET, SO_DETACH_FILTER, &zero,
					 sizeof(zero)) < 0 && errno == EPERM;
		close(fds[i]);
	}
	if (*q)
		rep.eperm = pfq_join_group(*q, 0, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED) == -EPERM &&
			    pfq_disable(*q) == -EPERM && pfq_set_weight(*q, 2) == -EPERM;
	if (write(sp, &rep, sizeof(rep)) != (ssize_t)sizeof(rep) || !*q)
		_exit(3);
}

/* one read, as pfq_dispatch does or (copying) with pfq_recv after a poll
 * of pfq_get_fd */
static int kid_read(pfq_t *q, bool copy, long usec, struct report *r)
{
	static uint8_t buf[1 << 20];
	struct pfq_net_queue nq;
	struct pfq_pkthdr h;
	const uint8_t *d;
	struct pollfd p = { .fd = pfq_get_fd(q), .events = POLLIN };
	int n;

	if (!copy)
		return pfq_dispatch(q, on_pkt, usec, r);
	if (pfq_poll(q, 0) == 0 && poll(&p, 1, (int)(usec / 1000)) <= 0)
		return 0;
	n = pfq_recv(q, buf, sizeof(buf), &nq, 0);
	while (n > 0 && pfq_net_queue_next(&nq, &h, &d))
		on_pkt(r, &h, d);
	return n;
}

/* the child's packet sockets (its imported handle's): at most max */
static int packet_fds(int *out, int max)
{
	int n = 0;

	for (int fd = 0; fd < 1024 && n < max; fd++) {
		int dom = 0;
		socklen_t l = sizeof(dom);

		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) == 0 && dom == AF_PACKET)
			out[n++] = fd;
	}
	return n;
}

/* 'H': the child puts its packet sockets in flight in a unix socket pair
 * of its own (where /proc shows them nowhere) and closes its handle, as a
 * client hiding them from pfqd would; 'U': it closes the pair, and with it
 * the sockets */
static void kid_hide(pfq_t **q, int hide[2])
{
	int fds[8], n;
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} c;
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf };
	struct cmsghdr *cm;

	n = packet_fds(fds, 8);
	if (n == 0 || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, hide) < 0)
		_exit(6);
	memset(c.buf, 0, sizeof(c.buf));
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	if (sendmsg(hide[0], &msg, 0) != 1)
		_exit(7);
	pfq_close(*q);
	*q = NULL;
}

/* 'J': the child binds its main socket (handed over unbound) to every
 * device and joins it to its group's fanout by the id its fanout socket
 * tells: the kernel appends it, behind the group's back */
static bool kid_intrude(void)
{
	int fds[8], n = packet_fds(fds, 8), main_fd = -1, id = 0;

	for (int i = 0; i < n; i++) {
		int fo = 0;
		socklen_t lf = sizeof(fo);

		if (getsockopt(fds[i], SOL_PACKET, PACKET_FANOUT, &fo, &lf) == 0 && fo)
			id = fo & 0xffff;
		else
			main_fd = fds[i];
	}
	if (main_fd < 0 || !id)
		return false;
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int arg = id | PACKET_FANOUT_EBPF << 16;

	return bind(main_fd, (struct sockaddr *)&ll, sizeof(ll)) == 0 &&
	       setsockopt(main_fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) == 0;
}

/* 'F': the child keeps copies of its packet sockets, closes its handle
 * (which unmaps the rings) and tries to free its fanout socket's ring, as
 * a client remaking it would: the kernel would take the socket out of the
 * fanout and put it back at the end. True when the kernel refused (EBUSY:
 * someone maps it), false when it freed it. */
static bool kid_free_ring(pfq_t **q)
{
	int fds[8], n = packet_fds(fds, 8), done = 0, refused = 0;

	for (int i = 0; i < n; i++)
		fds[i] = dup(fds[i]);
	pfq_close(*q);
	*q = NULL;
	for (int i = 0; i < n; i++) {
		struct tpacket_req3 none;
		int fo = 0;
		socklen_t lf = sizeof(fo);

		if (getsockopt(fds[i], SOL_PACKET, PACKET_FANOUT, &fo, &lf) < 0 || !fo)
			continue;
		memset(&none, 0, sizeof(none));
		if (setsockopt(fds[i], SOL_PACKET, PACKET_RX_RING, &none, sizeof(none)) == 0)
			done++;
		else if (errno == EBUSY)
			refused++;
	}
	/* (the copies stay open: the socket stays held) */
	return refused > 0 && done == 0;
}

/* read until the parent asks ('R': report, then go on; 'H', 'U', 'J',
 * 'F': above) or goes */
static void kid_main(int sp, bool copy)
{
	static struct report r;
	struct pfq_stats st;
	uint64_t total = 0;
	int hide[2] = { -1, -1 };
	pfq_t *q;

	if (drop_privileges() < 0)
		_exit(2);
	kid_import(sp, &q);
	for (;;) {
		struct pollfd p = { .fd = sp, .events = POLLIN };
		char cmd;
		int n = q ? kid_read(q, copy, 20000, &r) : (usleep(20000), 0);

		if (n < 0 && !r.err)
			r.err = n;
		if (poll(&p, 1, 0) <= 0)
			continue;
		if (read(sp, &cmd, 1) != 1)
			_exit(0);
		if (cmd == 'F') {
			cmd = q && kid_free_ring(&q) ? 'F' : 'E';
			if (write(sp, &cmd, 1) != 1)
				_exit(4);
			continue;
		}
		if (cmd == 'J') {
			cmd = kid_intrude() ? 'J' : 'E';
			if (write(sp, &cmd, 1) != 1)
				_exit(4);
			continue;
		}
		if (cmd == 'H' || cmd == 'U') {
			if (cmd == 'H' && q)
				kid_hide(&q, hide);
			if (cmd == 'U' && hide[0] >= 0) {
				close(hide[0]);
				close(hide[1]);
				hide[0] = hide[1] = -1;
			}
			if (write(sp, &cmd, 1) != 1)
				_exit(4);
			continue;
		}
		if (!q)
			_exit(5);
		/* what is queued still counts */
		while ((n = kid_read(q, copy, 0, &r)) > 0)
			;
		total += r.n;
		r.total = total;
		if (pfq_get_stats(q, &st) < 0 && !r.err)
			r.err = -errno;
		r.recv = st.recv;
		if (write(sp, &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(4);
		memset(&r, 0, sizeof(r));
	}
}

/* ---- the test process: the exporter ---- */

/* children first: they inherit nothing of the group made after */
static void spawn_kids(int n)
{
	for (int i = 0; i < n; i++) {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		kids[i].pid = fork();
		assert_true(kids[i].pid >= 0);
		if (kids[i].pid == 0) {
			close(sv[0]);
			kid_main(sv[1], i % 2 == 1);
		}
		close(sv[1]);
		kids[i].sp = sv[0];
		kids[i].q = NULL;
		nkids++;
	}
}

static pfq_t *open_in_b(void)
{
	int h = th_enter(&th, 'b');
	pfq_t *q = pfq_open_nogroup(2048, 4096, 0, 0);

	th_leave(h);
	assert_non_null(q);
	assert_true(nopened < 16);
	opened[nopened++] = q;
	return q;
}

/* the socket leaves the test's list: the caller closes it */
static void forget(pfq_t *q)
{
	for (int i = 0; i < nopened; i++)
		if (opened[i] == q)
			opened[i] = opened[--nopened];
}

static pfq_t *manager(int gid, const char *computation)
{
	pfq_t *m = open_in_b();

	assert_int_equal(pfq_join_group(m, gid, PFQ_CLASS_CONTROL, PFQ_POLICY_SHARED), gid);
	if (computation)
		OK(m, pfq_set_group_computation_from_string(m, gid, computation));
	OK(m, pfq_bind_group(m, gid, "b0", PFQ_ANY_QUEUE));
	return m;
}

static pfq_t *member(int gid)
{
	pfq_t *q = open_in_b();

	assert_int_equal(pfq_join_group(q, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), gid);
	OK(q, pfq_enable(q));
	return q;
}

static void send_handover(int sp, const int *fds, int nfds, const void *blob, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PFQ_HANDOVER_FDS)];
		struct cmsghdr align;
	} c;
	struct iovec iov = { (void *)blob, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			      .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	memset(c.buf, 0, sizeof(c.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	assert_int_equal(sendmsg(sp, &msg, 0), (ssize_t)len);
}

/* export q to kid k, which imports it as nobody */
static void export_to(struct kid *k, pfq_t *q)
{
	unsigned char blob[PFQ_HANDOVER_BLOB_MAX];
	struct import_reply rep;
	int fds[PFQ_HANDOVER_FDS], len = pfq_export(q, fds, PFQ_HANDOVER_FDS, blob, sizeof(blob));

	if (len <= 0)
		fail_msg("pfq_export: %d: %s", len, pfq_error(q));
	struct stat st;

	assert_int_equal(fstat(fds[1], &st), 0);
	k->fino = (uint64_t)st.st_ino;
	send_handover(k->sp, fds, PFQ_HANDOVER_FDS, blob, (size_t)len);
	assert_int_equal(read(k->sp, &rep, sizeof(rep)), (ssize_t)sizeof(rep));
	if (rep.rc)
		fail_msg("the child's pfq_import: %s", strerror(-rep.rc));
	assert_true(rep.raw_refused); /* it really is unprivileged */
	assert_true(rep.eperm);
	assert_true(rep.locked);
	forget(q);
	k->q = q;
}

/* a member the test process reads itself (while it tends the others) */
static pfq_t *local;
static struct report local_r;

/* As pfqd: look after the exported sockets (and the manager) for ms; a
 * child's end of the socketpair closing closes its socket. */
static void tend(pfq_t *m, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	do {
		while (local && pfq_dispatch(local, on_pkt, 0, &local_r) > 0)
			;
		for (int i = 0; i < nkids; i++) {
			struct pollfd p = { .fd = kids[i].sp, .events = 0 };

			if (!kids[i].q)
				continue;
			if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR))) {
				OK(NULL, pfq_close(kids[i].q));
				kids[i].q = NULL;
				continue;
			}
			pfq_maintain(kids[i].q);
		}
		if (m)
			pfq_maintain(m);
		usleep(20000);
	} while (now_ms() < end);
}

/* what kid k received since its last report */
static void report(struct kid *k, struct report *r)
{
	char cmd = 'R';

	assert_int_equal(write(k->sp, &cmd, 1), 1);
	assert_int_equal(read(k->sp, r, sizeof(*r)), (ssize_t)sizeof(*r));
	if (r->err)
		fail_msg("a read in the child failed: %s", strerror(-r->err));
	/* its counters are the sockets' (other packets than ours may come) */
	if (r->recv < r->total)
		fail_msg("the child's stats: recv %llu, yet %llu frames of ours",
			 (unsigned long long)r->recv, (unsigned long long)r->total);
}

/* does the packet socket of inode ino still exist (in side B)? */
static bool packet_socket_exists(uint64_t ino)
{
	char line[256];
	bool found = false;
	int h = th_enter(&th, 'b');
	FILE *f = fopen("/proc/thread-self/net/packet", "re");

	th_leave(h);
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long in = 0;
		/* sk RefCnt Type Proto Iface R Rmem User Inode */
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %llu", &in) == 1)
			found = in == ino;
	}
	fclose(f);
	return found;
}

/* every flow to one child, every frame [first, last) exactly once */
static void test_steer_split(void **state)
{
	static struct report r[2];
	int gid = next_gid++, side[NFLOWS];
	pfq_t *m;
	uint64_t killed;

	(void)state;
	spawn_kids(2);
	m = manager(gid, "ip >-> steer_flow");
	export_to(&kids[0], member(gid));
	export_to(&kids[1], member(gid));
	tend(m, 300);
	send_frames(0, 1000);
	tend(m, 500);
	report(&kids[0], &r[0]);
	report(&kids[1], &r[1]);
	printf("  child 1: %u, child 2: %u of 1000 frames\n", r[0].n, r[1].n);
	for (int f = 0; f < NFLOWS; f++)
		side[f] = -1;
	for (int i = 0; i < 1000; i++) {
		int s = r[1].seen[i] ? 1 : 0;

		if (r[0].seen[i] + r[1].seen[i] != 1)
			fail_msg("frame %d: child 1 %d, child 2 %d times", i, r[0].seen[i],
				 r[1].seen[i]);
		if (side[i % NFLOWS] >= 0 && side[i % NFLOWS] != s)
			fail_msg("flow %d went to both children", i % NFLOWS);
		side[i % NFLOWS] = s;
	}
	assert_true(r[0].n > 1000 / 4 && r[1].n > 1000 / 4);

	/* child 1 killed: its exporter closes its socket, the share moves */
	kill(kids[0].pid, SIGKILL);
	killed = now_ms();
	while (kids[0].q && now_ms() - killed < 1000)
		tend(m, 20);
	printf("  the exporter closed the killed child's socket after %llu ms\n",
	       (unsigned long long)(now_ms() - killed));
	assert_null(kids[0].q);
	send_frames(1000, 2000);
	tend(m, 500);
	report(&kids[1], &r[1]);
	printf("  after the kill: child 2 got %u of 1000\n", r[1].n);
	assert_int_equal(r[1].n, 1000);
	for (int i = 1000; i < 2000; i++)
		assert_int_equal(r[1].seen[i], 1);
}

/* The exporter closes a live child's handle (a revocation): the child's
 * fanout socket, which it still holds, is parked, so the other members'
 * positions stay right for the kernel and the group, also for a member
 * joining after and once the child dies: every frame to exactly one of the
 * others, every flow to one, the revoked child gets nothing. */
static void test_revoke_live(void **state)
{
	static struct report r[2];
	int gid = next_gid++;
	pfq_t *m;

	(void)state;
	spawn_kids(2);
	m = manager(gid, "ip >-> steer_flow");
	export_to(&kids[0], member(gid));
	export_to(&kids[1], member(gid));
	tend(m, 200);
	OK(NULL, pfq_close(kids[0].q));
	kids[0].q = NULL;
	local = member(gid);
	memset(&local_r, 0, sizeof(local_r));
	for (int phase = 0; phase < 2; phase++) {
		uint32_t first = (uint32_t)phase * 1000;
		int side[NFLOWS];

		if (phase == 0) {
			/* parked while the child holds it, however long */
			tend(m, 1300);
			assert_true(packet_socket_exists(kids[0].fino));
		}
		if (phase == 1) {
			/* the revoked child goes: its parked socket is closed in
			 * order at the next look (within a second or so), and the
			 * frames below show the positions stayed right */
			kill(kids[0].pid, SIGKILL);
			waitpid(kids[0].pid, NULL, 0);
			kids[0].pid = -1;
			for (int t = 0; t < 40 && packet_socket_exists(kids[0].fino); t++)
				tend(m, 100);
			assert_false(packet_socket_exists(kids[0].fino));
		}
		tend(m, 300);
		send_frames(first, first + 1000);
		tend(m, 500);
		if (phase == 0) {
			report(&kids[0], &r[0]);
			assert_int_equal(r[0].n, 0);
		}
		report(&kids[1], &r[1]);
		printf("  phase %d: the other child %u, the new member %u of 1000 frames\n",
		       phase, r[1].n, local_r.n);
		for (int f = 0; f < NFLOWS; f++)
			side[f] = -1;
		for (uint32_t i = first; i < first + 1000; i++) {
			int sd = r[1].seen[i] ? 1 : 0;

			if (r[1].seen[i] + local_r.seen[i] != 1)
				fail_msg("phase %d: frame %u: child %d, new member %d times", phase,
					 i, r[1].seen[i], local_r.seen[i]);
			if (side[i % NFLOWS] >= 0 && side[i % NFLOWS] != sd)
				fail_msg("flow %u split", i % NFLOWS);
			side[i % NFLOWS] = sd;
		}
		assert_true(r[1].n > 1000 / 4 && local_r.n > 1000 / 4);
		memset(&local_r, 0, sizeof(local_r));
	}
}

/* a child's command that answers with its own letter */
static void kid_do(struct kid *k, char cmd)
{
	char ack = 0;

	assert_int_equal(write(k->sp, &cmd, 1), 1);
	assert_int_equal(read(k->sp, &ack, 1), 1);
	assert_int_equal(ack, cmd);
}

/* every frame of [first, first + 1000) once, in child k or the local
 * member, both with a share */
static void check_two(int k, struct report *r, uint32_t first, const char *what)
{
	report(&kids[k], r);
	printf("  %s: the other child %u, the local member %u of 1000 frames\n", what, r->n,
	       local_r.n);
	for (uint32_t i = first; i < first + 1000; i++)
		if (r->seen[i] + local_r.seen[i] != 1)
			fail_msg("%s: frame %u: child %d, local member %d times", what, i,
				 r->seen[i], local_r.seen[i]);
	assert_true(r->n > 1000 / 4 && local_r.n > 1000 / 4);
	memset(&local_r, 0, sizeof(local_r));
}

/* after settle_ms of tending the group, frames [first, first + 1000) are
 * each in child 1 or the local member, once */
static void exact_round(pfq_t *m, struct report *r, int settle_ms, uint32_t first,
			const char *what)
{
	memset(&local_r, 0, sizeof(local_r));
	tend(m, settle_ms);
	send_frames(first, first + 1000);
	tend(m, 500);
	check_two(1, r, first, what);
}

/* child 0's fanout socket is gone within tries tenths of a second */
static void wait_socket_gone(pfq_t *m, int tries)
{
	for (int t = 0; t < tries && packet_socket_exists(kids[0].fino); t++)
		tend(m, 100);
	assert_false(packet_socket_exists(kids[0].fino));
}

/* a steering group: members exported to two children, then one read here */
static pfq_t *two_kids_and_local(int gid)
{
	pfq_t *m;

	spawn_kids(2);
	m = manager(gid, "ip >-> steer_flow");
	export_to(&kids[0], member(gid));
	export_to(&kids[1], member(gid));
	local = member(gid);
	tend(m, 200);
	return m;
}

/* A client hides its sockets in flight in a unix socket (where /proc shows
 * them nowhere) and lets go of its member: the exporter's close in order
 * does not take the socket out of the fanout. Counted as gone, the last
 * member (the local one) received nothing and the hidden socket its
 * share. The close looks for the socket afterwards and keeps it as a
 * zombie at its position; when the client lets go of the hidden
 * descriptors, the kernel moves the last socket into its place, and the
 * next look books the move. */
static void test_hidden_fds(void **state)
{
	static struct report r;
	int gid = next_gid++;
	pfq_t *m;

	(void)state;
	m = two_kids_and_local(gid);
	kid_do(&kids[0], 'H');
	OK(NULL, pfq_close(kids[0].q));
	kids[0].q = NULL;
	assert_true(packet_socket_exists(kids[0].fino));
	exact_round(m, &r, 300, 0, "hidden");
	kid_do(&kids[0], 'U');
	wait_socket_gone(m, 10);
	exact_round(m, &r, 600, 1000, "released");
}

/* A client joins its main socket to the group's fanout by id (no guard
 * refuses it): the kernel appends it behind the group's back. At the next
 * close in order the kernel moves it, the last socket, into the place of
 * the one leaving, where the books said the local member moved: the local
 * member's share went to the intruder (whose locked filter drops it).
 * The close's session books the intruder first, at the end. */
static void test_intruder(void **state)
{
	static struct report r;
	int gid = next_gid++;
	pfq_t *m;

	(void)state;
	m = two_kids_and_local(gid);
	kid_do(&kids[0], 'J');
	/* child 1 goes; its member leaves in order (tend sees it gone) */
	kill(kids[1].pid, SIGKILL);
	waitpid(kids[1].pid, NULL, 0);
	kids[1].pid = -1;
	tend(m, 300);
	assert_null(kids[1].q);
	memset(&local_r, 0, sizeof(local_r));
	send_frames(0, 1000);
	tend(m, 500);
	check_two(0, &r, 0, "intruded");
}

/* The part another root process of the group (as a second pfqd would be)
 * plays: an exporter joins with a share of the traffic and exports its
 * member to kids[0]; a bystander joins the control class (no share of the
 * traffic) and only looks after its member. */
enum root_role { ROOT_EXPORTER, ROOT_BYSTANDER };

/* in the forked root process (no cmocka there): 0 once kids[0] imported
 * q, else the exit code that says which step failed */
static int export_to_kid0(pfq_t *q)
{
	unsigned char blob[PFQ_HANDOVER_BLOB_MAX];
	struct import_reply rep;
	int fds[PFQ_HANDOVER_FDS], len;

	len = pfq_export(q, fds, PFQ_HANDOVER_FDS, blob, sizeof(blob));
	if (len <= 0)
		return 3;
	send_handover(kids[0].sp, fds, PFQ_HANDOVER_FDS, blob, (size_t)len);
	if (read(kids[0].sp, &rep, sizeof(rep)) != (ssize_t)sizeof(rep) || rep.rc)
		return 4;
	return 0;
}

/* fork a root process of the group in side B, playing role; it maintains
 * its member until killed. Returns once it is in place. */
static pid_t spawn_group_root(int gid, enum root_role role)
{
	int ready[2];
	pid_t pid;
	char b = 0;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned long long class = role == ROOT_BYSTANDER ? PFQ_CLASS_CONTROL
								   : PFQ_CLASS_DEFAULT;
		int h = th_enter(&th, 'b'), rc;
		pfq_t *q = pfq_open_nogroup(2048, 4096, 0, 0);

		th_leave(h);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!q || pfq_join_group(q, gid, class, PFQ_POLICY_SHARED) != gid ||
		    pfq_enable(q) < 0)
			_exit(2);
		if (role == ROOT_EXPORTER && (rc = export_to_kid0(q)) != 0)
			_exit(rc);
		b = 1;
		if (write(ready[1], &b, 1) != 1)
			_exit(5);
		for (;;)
			pfq_maintain(q), usleep(50000);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &b, 1), 1);
	assert_int_equal(b, 1);
	close(ready[0]);
	return pid;
}

/* Another exporter process (root, as a second pfqd would be) makes the
 * group, exports its member to child 1 and waits; killed with SIGKILL, its
 * member is reaped by the test process's maintenance and its socket, which
 * child 1 still holds, parked: the members' positions stay right, before
 * and after child 1 dies. */
static void test_exporter_killed(void **state)
{
	static struct report r[2];
	int gid = next_gid++;
	pid_t exporter;
	pfq_t *m;

	(void)state;
	spawn_kids(2);
	/* before the test process touches the group: it inherits nothing */
	exporter = spawn_group_root(gid, ROOT_EXPORTER);
	m = manager(gid, "ip >-> steer_flow");
	export_to(&kids[1], member(gid));
	local = member(gid);
	tend(m, 200);
	kill(exporter, SIGKILL);
	waitpid(exporter, NULL, 0);
	for (int phase = 0; phase < 2; phase++) {
		uint32_t first = (uint32_t)phase * 1000;

		if (phase == 1) {
			kill(kids[0].pid, SIGKILL);
			waitpid(kids[0].pid, NULL, 0);
			kids[0].pid = -1;
		}
		memset(&local_r, 0, sizeof(local_r));
		/* the reap: within the maintenance period */
		tend(m, 500);
		send_frames(first, first + 1000);
		tend(m, 500);
		if (phase == 0) {
			report(&kids[0], &r[0]);
			assert_int_equal(r[0].n, 0);
		}
		report(&kids[1], &r[1]);
		printf("  phase %d: the other child %u, the test's member %u of 1000 frames\n",
		       phase, r[1].n, local_r.n);
		for (uint32_t i = first; i < first + 1000; i++)
			if (r[1].seen[i] + local_r.seen[i] != 1)
				fail_msg("phase %d: frame %u: child %d, the test's member %d times",
					 phase, i, r[1].seen[i], local_r.seen[i]);
		assert_true(r[1].n > 1000 / 4 && local_r.n > 1000 / 4);
	}
}

/* The same exporter killed, and then its child, which kept copies of its
 * sockets, tries to free its fanout socket's ring: freed, the socket would
 * go to the end of the fanout, where the books have another member, whose
 * share it would take. Its exporter kept the ring mapped, which the kernel
 * requires to be unmapped first; that mapping died with it: every other
 * process of the group maps a parked socket's ring, from the vault. One
 * of them killed too (here the bystander) leaves the others' mappings. */
static void test_exporter_killed_ring(void **state)
{
	static struct report r;
	int gid = next_gid++;
	pid_t exporter, bystander;
	pfq_t *m;

	(void)state;
	spawn_kids(2);
	exporter = spawn_group_root(gid, ROOT_EXPORTER);
	bystander = spawn_group_root(gid, ROOT_BYSTANDER);
	m = manager(gid, "ip >-> steer_flow");
	export_to(&kids[1], member(gid));
	local = member(gid);
	tend(m, 200);
	kill(exporter, SIGKILL);
	waitpid(exporter, NULL, 0);
	/* the reap, and every process's mapping (within the maintenance
	 * period) */
	tend(m, 500);
	kill(bystander, SIGKILL);
	waitpid(bystander, NULL, 0);
	tend(m, 500);
	kid_do(&kids[0], 'F');
	exact_round(m, &r, 300, 0, "ring kept");
}

/* A process of the group that maps a parked socket's ring is stopped
 * (^Z) when the socket's client goes: asked to let go, it cannot. The
 * socket is closed in order all the same after a while (its mapping keeps
 * it in the fanout: a zombie, nothing steered to it), and when the
 * process goes on and lets go, the kernel's move of the last socket is
 * booked. Every frame reaches exactly one member throughout. */
static pid_t stopped_pid = -1;

/* does a mapping of process pid name socket ino? */
static bool maps_socket(pid_t pid, uint64_t ino)
{
	char path[64], want[48], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)ino);
	f = fopen(path, "re");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want) != NULL;
	fclose(f);
	return found;
}

static void test_mapper_stopped(void **state)
{
	static struct report r;
	int gid = next_gid++;
	pfq_t *m;

	(void)state;
	spawn_kids(2);
	stopped_pid = spawn_group_root(gid, ROOT_BYSTANDER);
	m = manager(gid, "ip >-> steer_flow");
	export_to(&kids[0], member(gid));
	export_to(&kids[1], member(gid));
	local = member(gid);
	tend(m, 200);
	/* revoked while the child holds it: parked, and mapped by all */
	OK(NULL, pfq_close(kids[0].q));
	kids[0].q = NULL;
	tend(m, 500);
	assert_true(maps_socket(stopped_pid, kids[0].fino));
	kill(stopped_pid, SIGSTOP);
	kill(kids[0].pid, SIGKILL);
	waitpid(kids[0].pid, NULL, 0);
	kids[0].pid = -1;
	/* asked, waited for (10 s), closed in order: a zombie */
	tend(m, 12500);
	assert_true(packet_socket_exists(kids[0].fino));
	memset(&local_r, 0, sizeof(local_r));
	send_frames(0, 1000);
	tend(m, 500);
	check_two(1, &r, 0, "mapper stopped");
	kill(stopped_pid, SIGCONT);
	wait_socket_gone(m, 40);
	exact_round(m, &r, 500, 1000, "mapper on again");
}

/* A process of the group forks after it mapped a parked socket's rings:
 * the child has no copy of the mapping and must not believe it has (the
 * list of them came with the fork: the child never mapped the socket, and
 * unmapping "it" later unmapped whatever the child had put there since, a
 * crash); joining the group, it maps the socket itself. */
static void test_forked_mapper(void **state)
{
	static struct report r;
	int gid = next_gid++;
	pfq_t *m;

	(void)state;
	m = two_kids_and_local(gid);
	OK(NULL, pfq_close(kids[0].q));
	kids[0].q = NULL;
	tend(m, 500);
	assert_true(maps_socket(getpid(), kids[0].fino));
	stopped_pid = spawn_group_root(gid, ROOT_BYSTANDER); /* forked now, from this process */
	for (int t = 0; t < 20 && !maps_socket(stopped_pid, kids[0].fino); t++)
		tend(m, 100);
	assert_true(maps_socket(stopped_pid, kids[0].fino));
	/* and lets go when the socket goes */
	kill(kids[0].pid, SIGKILL);
	waitpid(kids[0].pid, NULL, 0);
	kids[0].pid = -1;
	wait_socket_gone(m, 60);
	exact_round(m, &r, 300, 0, "after the fork");
}

/* A member's process forks a child that does not exec (its descriptors
 * come with it) and then leaves the group: its socket outlives the close
 * in order (the child holds it) and stays in the fanout. Counted as gone,
 * the books moved the last socket into its place while the kernel did
 * not: the last member's share went to the child's copy. Looked at after
 * the close, it is a zombie until the child ends. */
static void test_forked_holder(void **state)
{
	static struct report r;
	int gid = next_gid++;
	pfq_t *m, *own;
	pid_t holder;

	(void)state;
	spawn_kids(1);
	m = manager(gid, "ip >-> steer_flow");
	own = member(gid);
	export_to(&kids[0], member(gid));
	tend(m, 200);
	holder = fork();
	assert_true(holder >= 0);
	if (holder == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	stopped_pid = holder; /* (killed after the test whatever happens) */
	forget(own);
	OK(NULL, pfq_close(own));
	tend(m, 300);
	for (int phase = 0; phase < 2; phase++) {
		uint32_t first = (uint32_t)phase * 1000;

		if (phase == 1) {
			kill(holder, SIGKILL);
			waitpid(holder, NULL, 0);
			stopped_pid = -1;
			tend(m, 800);
		}
		send_frames(first, first + 1000);
		tend(m, 500);
		report(&kids[0], &r);
		printf("  phase %d: the remaining member %u of 1000 frames\n", phase, r.n);
		assert_int_equal(r.n, 1000);
	}
}

/* Copies to both members (members mode) reach the imported sockets: set
 * before the handover, and set after it (a change of computation, as a
 * reload of pfqd's: the exporter's pfq_maintain of each socket it holds
 * hooks that one for the copies). */
static void test_copies(void **state)
{
	static struct report r[2];
	int gid = next_gid++;
	pfq_t *m;

	(void)state;
	spawn_kids(2);
	m = manager(gid, "ip");
	export_to(&kids[0], member(gid));
	export_to(&kids[1], member(gid));
	for (int phase = 0; phase < 3; phase++) {
		uint32_t first = (uint32_t)phase * 500, want[3] = { 2, 1, 2 };

		/* 0: copies; 1: steering; 2: copies again */
		if (phase > 0)
			OK(m, pfq_set_group_computation_from_string(m, gid, phase == 1 ?
								    "ip >-> steer_flow" : "ip"));
		tend(m, 1000);
		send_frames(first, first + 500);
		tend(m, 500);
		report(&kids[0], &r[0]);
		report(&kids[1], &r[1]);
		printf("  phase %d: child 1: %u, child 2: %u of 500 frames\n", phase, r[0].n,
		       r[1].n);
		for (uint32_t i = first; i < first + 500; i++)
			if (r[0].seen[i] + r[1].seen[i] != want[phase] || r[0].seen[i] > 1 ||
			    r[1].seen[i] > 1)
				fail_msg("phase %d: frame %u: child 1 %d, child 2 %d times", phase,
					 i, r[0].seen[i], r[1].seen[i]);
	}
}

/* a broken description (bytes of the real one changed) is refused */
static void refused(const int *fds, int nfds, const struct handover_blob *b, size_t len,
		    const char *why)
{
	pfq_t *q;

	errno = 0;
	q = pfq_import(fds, nfds, b, len);
	if (q || errno != EINVAL)
		fail_msg("%s: pfq_import %s (errno %d)", why, q ? "took it" : "failed", errno);
	printf("  %s: %s\n", why, pfq_error(NULL));
}

static void broken_blobs(const int *fds, const struct handover_blob *good, size_t len)
{
	struct handover_blob b;

	refused(fds, 2, NULL, len, "no description");
	refused(fds, 2, good, len - 1, "truncated");
	refused(fds, 2, good, 4, "a few bytes");
	b = *good, b.magic ^= 1;
	refused(fds, 2, &b, len, "not a description");
	b = *good, b.version = 2;
	refused(fds, 2, &b, len, "version 2");
	b = *good, b.size = (uint16_t)(len + 8);
	refused(fds, 2, &b, len, "larger size");
	refused(fds, 1, good, len, "one descriptor");
	b = *good, b.gid = 99;
	refused(fds, 2, &b, len, "gid 99");
	b = *good, b.caplen = 100;
	refused(fds, 2, &b, len, "another caplen (geometry)");
	b = *good, b.ring[1].block_size *= 2, b.ring[1].block_nr /= 2;
	refused(fds, 2, &b, len, "same length, other blocks");
	b = *good, b.ring[0].cur = b.ring[0].block_nr;
	refused(fds, 2, &b, len, "cursor past the ring");
}

/* random bytes changed: refused with EINVAL, or a socket that reads (a
 * change the checks cannot see, such as the weight or the cursor) */
static void mutated_blobs(const int *fds, const struct handover_blob *good, size_t len)
{
	struct pfq_net_queue nq;
	int took = 0;

	srand(12);
	for (int round = 0; round < 3000; round++) {
		unsigned char b[sizeof(*good)];
		pfq_t *q;

		memcpy(b, good, sizeof(b));
		for (int k = 1 + rand() % 3; k > 0; k--)
			b[(size_t)rand() % len] ^= (unsigned char)(1 + rand() % 255);
		errno = 0;
		q = pfq_import(fds, 2, b, len);
		if (!q) {
			if (errno != EINVAL)
				fail_msg("round %d: errno %d (%s)", round, errno, pfq_error(NULL));
			continue;
		}
		took++;
		assert_true(pfq_read(q, &nq, 0) >= 0);
		assert_int_equal(pfq_close(q), 0);
	}
	printf("  3000 mutated descriptions: %d taken (harmless fields), the rest refused\n",
	       took);
}

static void broken_fds(const int *fds, const struct handover_blob *good, size_t len)
{
	int swapped[2] = { fds[1], fds[0] }, bad[2] = { -1, fds[1] }, p[2];
	int udp = socket(AF_INET, SOCK_DGRAM, 0);

	refused(swapped, 2, good, len, "descriptors swapped");
	refused(bad, 2, good, len, "descriptor -1");
	assert_int_equal(pipe(p), 0);
	bad[0] = p[0];
	refused(bad, 2, good, len, "a pipe");
	assert_true(udp >= 0);
	bad[0] = fds[0];
	bad[1] = udp;
	refused(bad, 2, good, len, "a UDP socket");
	close(p[0]);
	close(p[1]);
	close(udp);
}

/* export's own errors */
static void export_errors(pfq_t *m, int gid)
{
	unsigned char blob[PFQ_HANDOVER_BLOB_MAX];
	int fds[PFQ_HANDOVER_FDS];
	pfq_t *lone = open_in_b(), *off = open_in_b();

	assert_int_equal(pfq_export(NULL, fds, 2, blob, sizeof(blob)), -EINVAL);
	assert_int_equal(pfq_export(lone, fds, 2, blob, sizeof(blob)), -EINVAL);
	assert_int_equal(pfq_join_group(off, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), gid);
	assert_int_equal(pfq_export(off, fds, 2, blob, sizeof(blob)), -ENOTCONN);
	assert_int_equal(pfq_export(m, fds, 2, blob, sizeof(blob)), -ENOTCONN);
	OK(off, pfq_enable(off));
	assert_int_equal(pfq_export(off, fds, 1, blob, sizeof(blob)), -ENOSPC);
	assert_int_equal(pfq_export(off, fds, 2, blob, 8), -ENOSPC);
	assert_int_equal(pfq_set_importer_stats(NULL, 1, 1), -EINVAL);
	assert_int_equal(pfq_set_importer_stats(off, 1, 1), -EINVAL);
}

/* what an imported socket refuses, what it does */
static void imported_calls(pfq_t *imp, pfq_t *q, int gid)
{
	struct sock_fprog none = { 0, NULL };
	struct pfq_stats st;

	assert_int_equal(pfq_join_group(imp, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED), -EPERM);
	assert_non_null(strstr(pfq_error(imp), "socket managed by another process (pfqd)"));
	assert_int_equal(pfq_leave_group(imp, gid), -EPERM);
	assert_int_equal(pfq_bind(imp, "b0", PFQ_ANY_QUEUE), -EPERM);
	assert_int_equal(pfq_unbind(imp, "b0", PFQ_ANY_QUEUE), -EPERM);
	assert_int_equal(pfq_bind_group(imp, gid, "b1", PFQ_ANY_QUEUE), -EPERM);
	assert_int_equal(pfq_unbind_group(imp, gid, "b0", PFQ_ANY_QUEUE), -EPERM);
	assert_int_equal(pfq_enable(imp), -EPERM);
	assert_int_equal(pfq_disable(imp), -EPERM);
	assert_int_equal(pfq_set_caplen(imp, 100), -EPERM);
	assert_int_equal(pfq_set_rx_slots(imp, 100), -EPERM);
	assert_int_equal(pfq_set_weight(imp, 2), -EPERM);
	assert_int_equal(pfq_set_direction(imp, PFQ_DIR_IN), -EPERM);
	assert_int_equal(pfq_set_promisc(imp, "b0", 1), -EPERM);
	assert_int_equal(pfq_set_fprog(imp, &none), -EPERM);
	assert_int_equal(pfq_set_computation(imp, "ip"), -EPERM);
	assert_int_equal(pfq_set_group_computation_from_string(imp, gid, "ip"), -EPERM);
	assert_int_equal(pfq_group_fprog_reset(imp, gid), -EPERM);
	assert_int_equal(pfq_vlan_filters_enable(imp, gid, 1), -EPERM);
	assert_int_equal(pfq_egress_bind(imp, "b1", PFQ_ANY_QUEUE), -EPERM);
	assert_int_equal(pfq_bind_tx(imp, "b1", PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD), -EPERM);
	assert_int_equal(pfq_get_group_stats(imp, gid, &st), -EPERM);
	/* what it does */
	assert_int_equal(pfq_is_enabled(imp), 1);
	assert_int_equal(pfq_group_id(imp), gid);
	assert_int_equal(pfq_id(imp), pfq_id(q));
	assert_true(pfq_get_fd(imp) >= 0);
	assert_int_equal(pfq_get_caplen(imp), 2048);
	OK(imp, pfq_timestamping_enable(imp, 1));
	OK(imp, pfq_get_stats(imp, &st));
	assert_int_equal(pfq_maintain(imp), 0);
	assert_true(pfq_poll(imp, 0) >= 0);
	assert_int_equal(pfq_set_importer_stats(imp, 1, 1), -EINVAL);
	/* the exporter shows the importer's counts on top of the export's */
	{
		struct pfq_stats at, now;

		OK(q, pfq_get_stats(q, &at));
		OK(q, pfq_set_importer_stats(q, 5, 2));
		OK(q, pfq_get_stats(q, &now));
		assert_true(now.recv == at.recv + 5 && now.lost == at.lost + 2);
		OK(q, pfq_set_importer_stats(q, 0, 0));
	}
}

static void test_bad_handover(void **state)
{
	unsigned char raw[PFQ_HANDOVER_BLOB_MAX];
	struct handover_blob good;
	struct pfq_net_queue nq;
	int gid = next_gid++, fds[PFQ_HANDOVER_FDS], len;
	pfq_t *m = manager(gid, "ip >-> steer_flow"), *q = member(gid), *imp;

	(void)state;
	export_errors(m, gid);
	len = pfq_export(q, fds, PFQ_HANDOVER_FDS, raw, sizeof(raw));
	assert_int_equal(len, (int)sizeof(good));
	memcpy(&good, raw, sizeof(good));
	/* exported: the importer reads it, not the exporter */
	assert_int_equal(pfq_export(q, fds, PFQ_HANDOVER_FDS, raw, sizeof(raw)), -EBUSY);
	assert_int_equal(pfq_read(q, &nq, 0), -EBUSY);
	assert_int_equal(pfq_disable(q), -EBUSY);
	assert_int_equal(pfq_leave_group(q, gid), -EBUSY);
	assert_int_equal(pfq_bind(q, "b1", PFQ_ANY_QUEUE), -EBUSY);
	assert_int_equal(pfq_set_direction(q, PFQ_DIR_IN), -EBUSY);
	OK(q, pfq_set_weight(q, 2)); /* the group's business: allowed */
	broken_blobs(fds, &good, (size_t)len);
	broken_fds(fds, &good, (size_t)len);
	mutated_blobs(fds, &good, (size_t)len);
	imp = pfq_import(fds, PFQ_HANDOVER_FDS, raw, (size_t)len);
	if (!imp)
		fail_msg("pfq_import: %s", pfq_error(NULL));
	imported_calls(imp, q, gid);
	assert_int_equal(pfq_export(imp, fds, PFQ_HANDOVER_FDS, raw, sizeof(raw)), -EPERM);
	assert_int_equal(pfq_close(imp), 0);
}

static int after_test(void **state)
{
	(void)state;
	if (stopped_pid > 0) {
		kill(stopped_pid, SIGKILL);
		waitpid(stopped_pid, NULL, 0);
		stopped_pid = -1;
	}
	/* the children first: their references to the sockets go with them */
	local = NULL;
	for (int i = 0; i < nkids; i++) {
		if (kids[i].pid > 0) {
			kill(kids[i].pid, SIGKILL);
			waitpid(kids[i].pid, NULL, 0);
		}
		close(kids[i].sp);
		if (kids[i].q)
			pfq_close(kids[i].q);
	}
	nkids = 0;
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
		cmocka_unit_test_teardown(test_bad_handover, after_test),
		cmocka_unit_test_teardown(test_steer_split, after_test),
		cmocka_unit_test_teardown(test_copies, after_test),
		cmocka_unit_test_teardown(test_revoke_live, after_test),
		cmocka_unit_test_teardown(test_exporter_killed, after_test),
		cmocka_unit_test_teardown(test_exporter_killed_ring, after_test),
		cmocka_unit_test_teardown(test_mapper_stopped, after_test),
		cmocka_unit_test_teardown(test_forked_mapper, after_test),
		cmocka_unit_test_teardown(test_forked_holder, after_test),
		cmocka_unit_test_teardown(test_hidden_fds, after_test),
		cmocka_unit_test_teardown(test_intruder, after_test),
	};
	char dir[] = "/tmp/pfq-handover-XXXXXX";

	if (test_registry_enter(dir) < 0)
		return 1;
	return test_registry_leave(dir, cmocka_run_group_tests_name("pfq-handover", tests, setup,
								    teardown));
}
