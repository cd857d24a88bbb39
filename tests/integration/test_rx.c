/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PFQ sockets on real traffic: frames sent on side A of a test host are
 * captured on side B through libpfq and compared byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/lang.h>
#include <pfq/pfq.h>

#include "capture.h"
#include "framegen.h"
#include "pktgen.h"
#include "sender.h"
#include "test_registry.h"
#include "testhost.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static struct testhost th;

/* Open a socket living in side B, bound to the given devices. */
static pfq_t *open_b(size_t caplen, size_t slots, const char *dev0, const char *dev1)
{
	int h = th_enter(&th, 'b');
	pfq_t *q;

	assert_true(h >= 0);
	q = pfq_open(caplen, slots, 0, 0);
	th_leave(h);
	assert_non_null(q);
	assert_int_equal(pfq_timestamping_enable(q, 1), 0);
	if (dev0)
		assert_int_equal(pfq_bind(q, dev0, PFQ_ANY_QUEUE), 0);
	if (dev1)
		assert_int_equal(pfq_bind(q, dev1, PFQ_ANY_QUEUE), 0);
	return q;
}

/* A varied set of frames: sizes, protocols, IPv6, ARP. */
static size_t make_frames(uint8_t frames[][1600], size_t *lens, size_t n)
{
	static const uint8_t l4s[] = { IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP };
	struct pkt_spec s;

	for (size_t i = 0; i < n; i++) {
		pkt_spec_udp4(&s, "10.1.0.1", "10.1.0.2", (uint16_t)(1000 + i), 53,
			      60 + (i * 97) % 1455);
		s.l4 = l4s[i % 3];
		s.fill = (uint8_t)i;
		if (i % 7 == 3) {
			s.l3 = PKT_IPV6;
			s.l4 = i % 2 ? IPPROTO_UDP : IPPROTO_ICMPV6;
			memset(s.src_ip, 0x20, 16);
			memset(s.dst_ip, 0x21, 16);
		} else if (i % 11 == 5) {
			s.l3 = PKT_ARP;
		}
		lens[i] = pkt_build(&s, frames[i], 1600);
		assert_true(lens[i] >= 60);
	}
	return n;
}

static void send_all(const char *dev, uint8_t frames[][1600], const size_t *lens,
		     size_t n)
{
	int fd = th_sender(&th, dev, 0);

	assert_true(fd >= 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sender_send(fd, frames[i], lens[i]), 0);
	sender_close(fd);
}

static void check_exact(struct capture *c, uint8_t frames[][1600],
			const size_t *lens, size_t n, size_t caplen, int ifindex)
{
	assert_int_equal(c->n, n);
	for (size_t i = 0; i < n; i++) {
		const struct cap_pkt *p = &c->pkts[i];
		size_t want = lens[i] < caplen ? lens[i] : caplen;

		assert_int_equal(p->hdr.len, lens[i]);
		assert_int_equal(p->hdr.caplen, want);
		assert_int_equal(p->hdr.ifindex, ifindex);
		assert_int_equal(p->hdr.direction, PFQ_DIR_IN);
		assert_memory_equal(p->data, frames[i], want);
	}
}

/* n frames of make_frames sent from a0, and what the enabled q receives in
 * c (made here): until n came or 3 s passed, then any more for 100 ms (room
 * for 2 n: a frame seen twice shows in the count) */
static void send_and_collect(pfq_t *q, uint8_t frames[][1600], size_t *lens, size_t n,
			     struct capture *c)
{
	make_frames(frames, lens, n);
	send_all("a0", frames, lens, n);
	cap_init(c, 2 * n);
	cap_collect(q, c, n, 3000, 100);
}

#define NFRAMES 64

static void run_exact(size_t caplen)
{
	static uint8_t frames[NFRAMES][1600];
	size_t lens[NFRAMES];
	struct capture c;
	pfq_t *q = open_b(caplen, 4096, "b0", NULL);
	int ifindex = pfq_ifindex(q, "b0");

	assert_int_equal(pfq_enable(q), 0);
	send_and_collect(q, frames, lens, NFRAMES, &c);
	check_exact(&c, frames, lens, NFRAMES, caplen, ifindex);
	cap_free(&c);
	pfq_close(q);
}

/* caplen at the maximum: the kernel binding alone, no filter */
static void test_exact_bytes_whole(void **state)
{
	(void)state;
	run_exact(PFQ_CAPLEN_MAX);
}

/* caplen 1514: the socket filter decides the snap length */
static void test_exact_bytes_filtered(void **state)
{
	(void)state;
	run_exact(1514);
}

static void test_truncation(void **state)
{
	(void)state;
	run_exact(64);
}

static void test_two_devices(void **state)
{
	static uint8_t f0[8][1600], f1[8][1600];
	size_t l0[8], l1[8], n0 = 0, n1 = 0;
	struct capture c;
	pfq_t *q = open_b(2048, 4096, "b0", "b1");
	int if0 = pfq_ifindex(q, "b0"), if1 = pfq_ifindex(q, "b1");

	(void)state;
	make_frames(f0, l0, 8);
	make_frames(f1, l1, 8);
	for (int i = 0; i < 8; i++)
		f1[i][59] ^= 0x5a; /* make the two streams differ */
	assert_int_equal(pfq_enable(q), 0);
	send_all("a0", f0, l0, 8);
	send_all("a1", f1, l1, 8);
	cap_init(&c, 64);
	cap_collect(q, &c, 16, 3000, 100);
	assert_int_equal(c.n, 16);
	for (size_t i = 0; i < c.n; i++) {
		const struct cap_pkt *p = &c.pkts[i];

		if (p->hdr.ifindex == if0) {
			assert_memory_equal(p->data, f0[n0], l0[n0]);
			n0++;
		} else {
			assert_int_equal(p->hdr.ifindex, if1);
			assert_memory_equal(p->data, f1[n1], l1[n1]);
			n1++;
		}
	}
	assert_int_equal(n0, 8);
	assert_int_equal(n1, 8);
	/* one device unbound while enabled: only b1 traffic from now on */
	assert_int_equal(pfq_unbind(q, "b0", PFQ_ANY_QUEUE), 0);
	c.n = 0;
	send_all("a0", f0, l0, 8);
	send_all("a1", f1, l1, 8);
	cap_collect(q, &c, 8, 2000, 200);
	assert_int_equal(c.n, 8);
	for (size_t i = 0; i < c.n; i++)
		assert_int_equal(c.pkts[i].hdr.ifindex, if1);
	cap_free(&c);
	pfq_close(q);
}

/* Tagged frames: on receive the kernel strips the outer tag, libpfq puts
 * it back; on transmit the frame keeps it inline. Both must read as sent. */
static void test_vlan(void **state)
{
	static uint8_t frames[4][1600];
	size_t lens[4];
	struct pkt_spec s;
	struct capture c;
	pfq_t *in = open_b(2048, 4096, "b0", NULL), *out;
	int h;

	(void)state;
	for (int i = 0; i < 4; i++) {
		pkt_spec_udp4(&s, "10.2.0.1", "10.2.0.2", 4000, 53, 100 + 10 * i);
		s.vlan_outer = 0x2000 | (42 + i); /* priority 1, VID 42.. */
		if (i == 2)
			s.vlan_inner = 7; /* QinQ: the inner tag stays inline */
		if (i == 3)
			s.outer_tpid = 0x88a8;
		lens[i] = pkt_build(&s, frames[i], 1600);
	}
	h = th_enter(&th, 'a');
	out = pfq_open(2048, 4096, 0, 0);
	th_leave(h);
	assert_non_null(out);
	assert_int_equal(pfq_bind(out, "a0", PFQ_ANY_QUEUE), 0);
	assert_int_equal(pfq_set_direction(out, PFQ_DIR_OUT), 0);
	assert_int_equal(pfq_enable(in), 0);
	assert_int_equal(pfq_enable(out), 0);
	send_all("a0", frames, lens, 4);

	cap_init(&c, 16);
	cap_collect(in, &c, 4, 3000, 100);
	assert_int_equal(c.n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(c.pkts[i].hdr.len, lens[i]);
		assert_int_equal(c.pkts[i].hdr.caplen, lens[i]);
		assert_memory_equal(c.pkts[i].data, frames[i], lens[i]);
		assert_int_equal(c.pkts[i].hdr.vlan_tci, 0x2000 | (42 + i));
	}
	c.n = 0;
	cap_collect(out, &c, 4, 3000, 100);
	assert_int_equal(c.n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(c.pkts[i].hdr.direction, PFQ_DIR_OUT);
		assert_int_equal(c.pkts[i].hdr.len, lens[i]);
		assert_memory_equal(c.pkts[i].data, frames[i], lens[i]);
	}
	cap_free(&c);
	pfq_close(in);
	pfq_close(out);
}

/* Reader paused: the ring fills, the rest is lost, and the counts add up. */
static void test_ring_overflow(void **state)
{
	static uint8_t frame[1][1600];
	size_t len[1];
	uint8_t *frames[1] = { frame[0] };
	struct pkt_spec s;
	struct pfq_stats st;
	struct capture c;
	const long sent_n = 20000;
	pfq_t *q = open_b(128, 512, "b0", NULL);
	int fd;

	(void)state;
	pkt_spec_udp4(&s, "10.3.0.1", "10.3.0.2", 1, 2, 60);
	len[0] = pkt_build(&s, frame[0], 1600);
	assert_int_equal(pfq_enable(q), 0);
	fd = th_sender(&th, "a0", 1);
	assert_true(fd >= 0);
	assert_int_equal(sender_bulk(fd, frames, len, 1, sent_n, 0, 0), sent_n);
	sender_close(fd);
	usleep(200 * 1000); /* let the last block retire */
	assert_int_equal(pfq_get_stats(q, &st), 0);
	assert_int_equal(st.recv + st.lost, sent_n);
	assert_true(st.lost > 0);
	cap_init(&c, (size_t)sent_n);
	cap_collect(q, &c, st.recv, 3000, 100);
	assert_int_equal(c.n, st.recv);
	assert_int_equal(pfq_get_stats(q, &st), 0);
	assert_int_equal(st.recv + st.lost, sent_n);
	cap_free(&c);
	pfq_close(q);
}

static void test_timestamps(void **state)
{
	static uint8_t frames[NFRAMES][1600];
	size_t lens[NFRAMES];
	struct capture c;
	struct timespec now;
	pfq_t *q = open_b(256, 4096, "b0", "b1");
	uint64_t last[2] = { 0, 0 }, t;
	int if0 = pfq_ifindex(q, "b0");

	(void)state;
	make_frames(frames, lens, NFRAMES);
	assert_int_equal(pfq_enable(q), 0);
	send_all("a0", frames, lens, NFRAMES);
	send_all("a1", frames, lens, NFRAMES);
	cap_init(&c, 4 * NFRAMES);
	cap_collect(q, &c, 2 * NFRAMES, 3000, 100);
	clock_gettime(CLOCK_REALTIME, &now);
	t = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	assert_int_equal(c.n, 2 * NFRAMES);
	for (size_t i = 0; i < c.n; i++) {
		uint64_t ts = c.pkts[i].hdr.tstamp_ns;
		int d = c.pkts[i].hdr.ifindex == if0 ? 0 : 1;

		assert_true(ts >= last[d]);
		assert_true(ts <= t && t - ts < 1000000000ull);
		last[d] = ts;
	}
	/* timestamping off: the field stays 0 */
	pfq_timestamping_enable(q, 0);
	c.n = 0;
	send_all("a0", frames, lens, 4);
	cap_collect(q, &c, 4, 3000, 50);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.pkts[0].hdr.tstamp_ns, 0);
	cap_free(&c);
	pfq_close(q);
}

static void test_disable_stops_delivery(void **state)
{
	static uint8_t frames[8][1600];
	size_t lens[8];
	struct pfq_net_queue nq;
	struct capture c;
	pfq_t *q = open_b(256, 1024, "b0", NULL);

	(void)state;
	make_frames(frames, lens, 8);
	assert_int_equal(pfq_enable(q), 0);
	send_all("a0", frames, lens, 8);
	cap_init(&c, 64);
	cap_collect(q, &c, 8, 3000, 50);
	assert_int_equal(c.n, 8);
	assert_int_equal(pfq_disable(q), 0);
	assert_int_equal(pfq_is_enabled(q), 0);
	assert_int_equal(pfq_read(q, &nq, 0), -ENOTCONN);
	send_all("a0", frames, lens, 8); /* sent while disabled: never seen */
	usleep(50 * 1000);
	assert_int_equal(pfq_enable(q), 0);
	c.n = 0;
	cap_collect(q, &c, 1, 300, 0);
	assert_int_equal(c.n, 0);
	send_all("a0", frames, lens, 8);
	cap_collect(q, &c, 8, 3000, 50);
	assert_int_equal(c.n, 8);
	cap_free(&c);
	pfq_close(q);
}

static void test_poll_and_epoll(void **state)
{
	static uint8_t frames[4][1600];
	size_t lens[4];
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct pfq_net_queue nq;
	pfq_t *q = open_b(256, 1024, "b0", "b1");
	int ep = epoll_create1(0);
	struct pollfd pfd = { .fd = pfq_get_fd(q), .events = POLLIN };

	(void)state;
	make_frames(frames, lens, 4);
	assert_int_equal(pfq_enable(q), 0);
	assert_int_equal(poll(&pfd, 1, 100), 0);
	assert_int_equal(pfq_poll(q, 50000), 0);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, pfq_get_fd(q), &ev), 0);
	assert_int_equal(epoll_wait(ep, &out, 1, 100), 0);
	send_all("a1", frames, lens, 4); /* second device: same fd */
	assert_int_equal(epoll_wait(ep, &out, 1, 2000), 1);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(pfq_poll(q, 0), 1);
	assert_int_equal(pfq_read(q, &nq, 0), 4);
	/* the iterator counts down what the batch still holds */
	assert_int_equal(pfq_net_queue_left(&nq), 4);
	{
		struct pfq_pkthdr hdr;
		const uint8_t *data;

		assert_int_equal(pfq_net_queue_next(&nq, &hdr, &data), 1);
		assert_int_equal(pfq_net_queue_left(&nq), 3);
		while (pfq_net_queue_next(&nq, &hdr, &data))
			;
		assert_int_equal(pfq_net_queue_left(&nq), 0);
		assert_int_equal(nq.len, 4);
	}
	close(ep);
	pfq_close(q);
}

static void test_direction(void **state)
{
	static uint8_t frames[6][1600];
	size_t lens[6];
	struct capture c;
	int h;
	pfq_t *q;

	(void)state;
	make_frames(frames, lens, 6);
	/* on side A: a0 transmits, so IN sees nothing of it */
	h = th_enter(&th, 'a');
	q = pfq_open(256, 1024, 0, 0);
	th_leave(h);
	assert_non_null(q);
	assert_int_equal(pfq_bind(q, "a0", PFQ_ANY_QUEUE), 0);
	assert_int_equal(pfq_set_direction(q, PFQ_DIR_IN), 0);
	assert_int_equal(pfq_enable(q), 0);
	send_all("a0", frames, lens, 6);
	cap_init(&c, 16);
	cap_collect(q, &c, 1, 300, 0);
	assert_int_equal(c.n, 0);
	/* switched to both directions while enabled */
	assert_int_equal(pfq_set_direction(q, PFQ_DIR_INOUT), 0);
	send_all("a0", frames, lens, 6);
	cap_collect(q, &c, 6, 3000, 50);
	assert_int_equal(c.n, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(c.pkts[i].hdr.direction, PFQ_DIR_OUT);
	cap_free(&c);
	pfq_close(q);
}

#define NCOMP 1500

/* what `src` passes of the frames ref received, by frame id (MAC 10-11) */
static void check_computation(const char *src, const struct capture *ref, const struct capture *got,
			      bool odd_only)
{
	struct pfq_lang_diag diag;
	pfq_lang_program *p = pfq_lang_compile(src, &diag);
	size_t j = 0, pass = 0;

	assert_non_null(p);
	for (size_t i = 0; i < ref->n; i++) {
		const struct cap_pkt *r = &ref->pkts[i];
		struct pfq_lang_decision d;
		struct pfq_lang_meta meta = { 0 };

		pfq_lang_run(p, r->data, r->hdr.caplen, &meta, &d);
		if (d.fate == PFQ_FATE_DROP || (odd_only && !(r->data[11] & 1)))
			continue;
		pass++;
		if (j >= got->n || memcmp(got->pkts[j].data + 10, r->data + 10, 2))
			fail_msg("'%s': frame %u (%u bytes) passes but was not received in its place",
				 src, r->data[10] << 8 | r->data[11], r->hdr.len);
		j++;
	}
	if (j != got->n)
		fail_msg("'%s': %zu frames received, %zu pass", src, got->n, j);
	assert_true(pass > 0 && pass < ref->n);
	pfq_lang_free(p);
}

/* send the frames on dev to the enabled pair (ref without filter, q with
 * the computation src) and check what q got against the interpreter */
static void send_and_check(pfq_t *ref, pfq_t *q, const char *dev, uint8_t frames[][1600],
			   const size_t *lens, const char *src, bool odd_only)
{
	struct capture cr, cq;
	int fd;

	assert_int_equal(pfq_enable(ref), 0);
	assert_int_equal(pfq_enable(q), 0);
	fd = th_sender(&th, dev, 0);
	assert_true(fd >= 0);
	for (int i = 0; i < NCOMP; i++)
		sender_send(fd, frames[i], lens[i]);
	sender_close(fd);
	cap_init(&cr, NCOMP + 64);
	cap_init(&cq, NCOMP + 64);
	cap_collect(ref, &cr, NCOMP, 3000, 200);
	cap_collect(q, &cq, NCOMP, 300, 200);
	assert_true(cr.n >= NCOMP * 9 / 10);
	check_computation(src, &cr, &cq, odd_only);
	cap_free(&cr);
	cap_free(&cq);
	assert_int_equal(pfq_disable(ref), 0);
	assert_int_equal(pfq_disable(q), 0);
}

/* A filtering computation on a socket with no group: a classic socket
 * filter, after the bindings, before the BPF filter; deciding as the
 * interpreter does on the frames that arrived (tagged ones too). */
static void test_private_computation(void **state)
{
	static uint8_t frames[NCOMP][1600];
	static size_t lens[NCOMP];
	static const char *comps[] = { "par (udp >-> no_frag) (vlan >-> ip6)",
				       "when is_tcp drop >-> unless (has_vid 42) (inv icmp)" };
	/* odd frame ids (ether[11] & 1 = 1), as pcap_compile makes it */
	struct sock_filter odd[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 11),
				     BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1),
				     BPF_STMT(BPF_RET | BPF_K, 262144), BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog fp = { 4, odd };
	pfq_t *ref = open_b(2048, 8192, "b0", "b1"), *q = open_b(2048, 8192, "b0", "b1");
	struct framegen g;
	struct capture cq;

	(void)state;
	framegen_init(&g, 5);
	for (int i = 0; i < NCOMP; i++) {
		do
			lens[i] = framegen_next(&g, frames[i]);
		while (lens[i] < 14);
		frames[i][10] = (uint8_t)(i >> 8);
		frames[i][11] = (uint8_t)i;
	}
	/* refused: more than a filter, malformed; nothing changes */
	assert_int_equal(pfq_set_computation(q, "ip >-> steer_flow"), -EOPNOTSUPP);
	assert_non_null(strstr(pfq_error(q), "steer_flow does more than filter"));
	assert_int_equal(pfq_set_computation(q, "ip >->"), -EINVAL);
	assert_non_null(strstr(pfq_error(q), "1:"));
	for (int k = 0; k < 2; k++) {
		/* set while disabled, then while enabled */
		assert_int_equal(pfq_set_computation(q, comps[k]), 0);
		if (k == 1)
			assert_int_equal(pfq_set_fprog(q, &fp), 0);
		send_and_check(ref, q, k ? "a1" : "a0", frames, lens, comps[k], k == 1);
		assert_int_equal(pfq_set_fprog(q, NULL), 0);
	}
	/* in a group too: the socket's own bindings and computation come first
	 * (its eBPF member filter runs them translated), the group gets the rest */
	assert_int_equal(pfq_set_computation(q, comps[0]), 0);
	assert_true(pfq_join_group(q, PFQ_ANY_GROUP, PFQ_CLASS_DEFAULT, PFQ_POLICY_PRIVATE) >= 0);
	send_and_check(ref, q, "a0", frames, lens, comps[0], false);
	assert_int_equal(pfq_leave_group(q, pfq_group_id(q)), 0);
	/* reset: everything again */
	assert_int_equal(pfq_set_computation(q, NULL), 0);
	assert_int_equal(pfq_enable(q), 0);
	make_frames(frames, lens, 20);
	send_all("a0", frames, lens, 20);
	cap_init(&cq, 64);
	cap_collect(q, &cq, 20, 3000, 100);
	assert_int_equal(cq.n, 20);
	cap_free(&cq);
	pfq_close(q);
	pfq_close(ref);
}

static void count_cb(void *user, const struct pfq_pkthdr *hdr, const uint8_t *data)
{
	(void)hdr;
	(void)data;
	(*(int *)user)++;
}

static void test_dispatch_and_recv(void **state)
{
	static uint8_t frames[32][1600];
	size_t lens[32];
	static uint8_t buf[1 << 20];
	struct pfq_net_queue nq;
	struct pfq_pkthdr hdr;
	const uint8_t *data;
	pfq_t *q = open_b(2048, 1024, "b0", NULL);
	int got = 0, copied = 0;

	(void)state;
	make_frames(frames, lens, 32);
	assert_int_equal(pfq_enable(q), 0);
	send_all("a0", frames, lens, 16);
	for (uint64_t end = now_ms() + 3000; got < 16 && now_ms() < end;)
		assert_true(pfq_dispatch(q, count_cb, 20000, &got) >= 0);
	assert_int_equal(got, 16);
	/* pfq_recv: a copy the caller owns; a small buffer takes what fits */
	send_all("a0", frames + 16, lens + 16, 16);
	for (uint64_t end = now_ms() + 3000; copied < 16 && now_ms() < end;) {
		int n = pfq_recv(q, buf, copied == 0 ? 2048 : sizeof(buf), &nq, 20000);

		assert_true(n >= 0);
		while (pfq_net_queue_next(&nq, &hdr, &data)) {
			assert_int_equal(hdr.len, lens[16 + copied]);
			assert_memory_equal(data, frames[16 + copied], hdr.caplen);
			copied++;
		}
	}
	assert_int_equal(copied, 16);
	assert_int_equal(pfq_recv(q, buf, 16, &nq, 0), 0);
	assert_int_equal(pfq_dispatch(q, NULL, 0, NULL), -EINVAL);
	pfq_close(q);
}

/* promiscuity count of b1, as the kernel reports it */
static int promiscuity(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ip netns exec %s ip -d link show b1 | "
		 "grep -o \"promiscuity [0-9]*\" | grep -q \"promiscuity 0\"", th.ns_b);
	return system(cmd) == 0 ? 0 : 1;
}

static void test_promisc_restored(void **state)
{
	pfq_t *q = open_b(256, 64, NULL, NULL);

	(void)state;
	assert_int_equal(promiscuity(), 0);
	assert_int_equal(pfq_set_promisc(q, "b1", 1), 0);
	assert_int_equal(pfq_set_promisc(q, "b1", 1), 0);
	assert_int_equal(promiscuity(), 1);
	pfq_close(q); /* restored on close */
	assert_int_equal(promiscuity(), 0);
	q = open_b(256, 64, NULL, NULL);
	assert_int_equal(pfq_set_promisc(q, "b1", 1), 0);
	assert_int_equal(pfq_set_promisc(q, "b1", 0), 0);
	assert_int_equal(promiscuity(), 0);
	assert_int_equal(pfq_set_promisc(q, "b1", 0), 0);
	assert_true(pfq_set_promisc(q, "nosuchdev0", 1) == -ENODEV);
	pfq_close(q);
}

static void test_bind_errors(void **state)
{
	pfq_t *q = open_b(256, 64, NULL, NULL);
	struct pfq_net_queue nq;

	(void)state;
	assert_int_equal(pfq_bind(q, "nosuchdev0", PFQ_ANY_QUEUE), -ENODEV);
	assert_non_null(strstr(pfq_error(q), "nosuchdev0"));
	assert_int_equal(pfq_bind(q, "b0", 2), -ERANGE); /* b0 has 2 queues */
	assert_non_null(strstr(pfq_error(q), "out of range"));
	assert_int_equal(pfq_bind(q, "b0", -7), -EINVAL);
	assert_int_equal(pfq_bind(q, "b0", 1), 0);
	assert_int_equal(pfq_bind(q, "any", 3), -EINVAL);
	assert_int_equal(pfq_bind(q, "", PFQ_ANY_QUEUE), -EINVAL);
	assert_int_equal(pfq_bind(q, "a-name-longer-than-ifnamsiz", PFQ_ANY_QUEUE),
			 -EINVAL);
	assert_int_equal(pfq_unbind(q, "b1", PFQ_ANY_QUEUE), -ENOENT);
	assert_int_equal(pfq_read(q, &nq, 0), -ENOTCONN);
	assert_non_null(strstr(pfq_error(q), "not enabled"));
	assert_int_equal(pfq_enable(q), 0);
	assert_int_equal(pfq_enable(q), -EALREADY);
	assert_int_equal(pfq_set_caplen(q, 100), -EBUSY);
	assert_int_equal(pfq_set_rx_slots(q, 100), -EBUSY);
	pfq_close(q);
}

/* A bound device goes away (a veth pair in side B): the socket's binding to it
 * goes too. Kept, every later change of the bindings failed (the kernel
 * refuses a gone index) after changing the filter already: unbinding b0
 * said ENODEV and stopped b0's packets all the same; and the gone one
 * could never be unbound by name. */
static void test_bound_device_gone(void **state)
{
	pfq_t *q = open_b(256, 64, NULL, NULL);
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ip link add pfqvx0 type veth peer name pfqvx1 && "
		 "ip netns exec %s ip link set pfqvx0 up", th.ns_b, th.ns_b);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(pfq_bind(q, "b0", PFQ_ANY_QUEUE), 0);
	assert_int_equal(pfq_bind(q, "b1", PFQ_ANY_QUEUE), 0);
	assert_int_equal(pfq_bind(q, "pfqvx0", PFQ_ANY_QUEUE), 0);
	assert_int_equal(pfq_enable(q), 0);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ip link del pfqvx0", th.ns_b);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(pfq_unbind(q, "b1", PFQ_ANY_QUEUE), 0);
	/* the gone device's binding went with it: unbinding it is no error */
	assert_int_equal(pfq_unbind(q, "pfqvx0", PFQ_ANY_QUEUE) == 0 ||
			 pfq_unbind(q, "pfqvx0", PFQ_ANY_QUEUE) == -ENODEV, 1);
	/* b0 still takes its packets */
	static uint8_t frames[16][1600];
	size_t lens[16];
	struct capture c;

	send_and_collect(q, frames, lens, 16, &c);
	assert_int_equal(c.n, 16);
	cap_free(&c);
	pfq_close(q);
}

/* Send n frames from a0 with the thread pinned to cpu: with no XPS map, the
 * packet socket picks tx queue (cpu % queues), and veth delivers into the
 * peer's rx queue of the same index. */
static void send_from_cpu(int cpu, uint8_t frames[][1600], const size_t *lens, size_t n)
{
	cpu_set_t old, one;
	int fd = th_sender(&th, "a0", 1);

	assert_true(fd >= 0);
	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sender_send(fd, frames[i], lens[i]), 0);
	sched_setaffinity(0, sizeof(old), &old);
	sender_close(fd);
}

/* Binding to a hw queue: packets of the other queue are refused. */
static void test_queue_binding(void **state)
{
	static uint8_t frames[8][1600];
	size_t lens[8];
	struct capture c;
	pfq_t *any = open_b(256, 1024, "b0", NULL), *q0, *q1;
	int h = th_enter(&th, 'b');
	int two_cpus = sysconf(_SC_NPROCESSORS_ONLN) > 1;

	(void)state;
	q0 = pfq_open(256, 1024, 0, 0);
	q1 = pfq_open(256, 1024, 0, 0);
	th_leave(h);
	assert_int_equal(pfq_bind(q0, "b0", 0), 0);
	assert_int_equal(pfq_bind(q1, "b0", 1), 0);
	make_frames(frames, lens, 8);
	assert_int_equal(pfq_enable(any), 0);
	assert_int_equal(pfq_enable(q0), 0);
	assert_int_equal(pfq_enable(q1), 0);
	send_from_cpu(0, frames, lens, 8);
	if (two_cpus)
		send_from_cpu(1, frames, lens, 5);
	cap_init(&c, 64);
	cap_collect(any, &c, two_cpus ? 13 : 8, 3000, 50);
	assert_int_equal(c.n, two_cpus ? 13 : 8);
	assert_int_equal(c.pkts[0].hdr.queue, PFQ_ANY_QUEUE);
	c.n = 0;
	cap_collect(q0, &c, 8, 2000, 50);
	assert_int_equal(c.n, 8);
	for (size_t i = 0; i < c.n; i++)
		assert_int_equal(c.pkts[i].hdr.queue, 0);
	c.n = 0;
	cap_collect(q1, &c, two_cpus ? 5 : 0, 2000, 50);
	assert_int_equal(c.n, two_cpus ? 5 : 0);
	for (size_t i = 0; i < c.n; i++)
		assert_int_equal(c.pkts[i].hdr.queue, 1);
	cap_free(&c);
	pfq_close(any);
	pfq_close(q0);
	pfq_close(q1);
}

static int setup(void **state)
{
	(void)state;
	return th_create(&th, 2, 2);
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
		cmocka_unit_test(test_exact_bytes_whole),
		cmocka_unit_test(test_exact_bytes_filtered),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_two_devices),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_ring_overflow),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_disable_stops_delivery),
		cmocka_unit_test(test_poll_and_epoll),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_private_computation),
		cmocka_unit_test(test_dispatch_and_recv),
		cmocka_unit_test(test_promisc_restored),
		cmocka_unit_test(test_bind_errors),
		cmocka_unit_test(test_bound_device_gone),
		cmocka_unit_test(test_queue_binding),
	};
	char dir[] = "/tmp/pfq-rx-XXXXXX";

	/* test_private_computation joins a group */
	if (test_registry_enter(dir) < 0)
		return 1;
	return test_registry_leave(dir, cmocka_run_group_tests_name("pfq-rx", tests, setup, teardown));
}
