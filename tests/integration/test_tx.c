/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PFQ TX on a test host: frames sent through libpfq's TX queue on side A
 * arrive byte for byte and in order on side B (captured with a PFQ
 * socket); copies, batches flushed on close, the TX thread, exact
 * statistics and the errors of bad calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pfq/pfq.h>

#include "capture.h"
#include "pktgen.h"
#include "testhost.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

static struct testhost th;

#define NFRAMES 300
static uint8_t frames[NFRAMES][1600];
static size_t lens[NFRAMES];

/* varied frames, each with its number in the UDP source port */
static void make_frames(void)
{
	struct pkt_spec s;

	for (size_t i = 0; i < NFRAMES; i++) {
		pkt_spec_udp4(&s, "10.9.0.1", "10.9.0.2", (uint16_t)(2000 + i), 9,
			      60 + (i * 131) % 1455);
		s.fill = (uint8_t)i;
		lens[i] = pkt_build(&s, frames[i], sizeof(frames[i]));
		assert_true(lens[i] >= 60);
	}
}

static pfq_t *open_side(char side, size_t caplen, size_t xmitlen, size_t tx_slots)
{
	int h = th_enter(&th, side);
	pfq_t *q;

	assert_true(h >= 0);
	q = pfq_open(caplen, 4096, xmitlen, tx_slots);
	th_leave(h);
	assert_non_null(q);
	return q;
}

static pfq_t *receiver(void)
{
	pfq_t *r = open_side('b', 2048, 0, 0);

	assert_int_equal(pfq_bind(r, "b0", PFQ_ANY_QUEUE), 0);
	assert_int_equal(pfq_enable(r), 0);
	return r;
}

/* the frames of c are frames[first..first+n) in order, byte for byte
 * (each possibly repeated `copies` times) */
static void check_arrived(const struct capture *c, size_t first, size_t n, unsigned copies)
{
	assert_int_equal(c->n, n * copies);
	for (size_t i = 0; i < c->n; i++) {
		size_t k = first + i / copies;

		assert_int_equal(c->pkts[i].hdr.len, lens[k]);
		assert_memory_equal(c->pkts[i].data, frames[k], lens[k]);
	}
}

/* r receives frames[0..n) in order, each `copies` times, within 3 s */
static void expect_arrived(pfq_t *r, size_t n, unsigned copies)
{
	struct capture c;

	cap_init(&c, n * copies + 16);
	cap_collect(r, &c, n * copies, 3000, 200);
	check_arrived(&c, 0, n, copies);
	cap_free(&c);
}

static void check_stats(pfq_t *q, uint64_t submitted, uint64_t sent)
{
	struct pfq_stats st;

	assert_int_equal(pfq_get_stats(q, &st), 0);
	assert_int_equal(st.sent + st.disc + st.fail, submitted);
	assert_int_equal(st.sent, sent);
}

static void test_sync_exact(void **state)
{
	pfq_t *r = receiver(), *q = open_side('a', 64, 0, 64);

	(void)state;
	assert_int_equal(pfq_bind_tx(q, "a0", PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD), 0);
	for (size_t i = 0; i < NFRAMES; i++)
		assert_int_equal(pfq_send(q, frames[i], lens[i], 1), (int)lens[i]);
	check_stats(q, NFRAMES, NFRAMES);
	expect_arrived(r, NFRAMES, 1);
	assert_int_equal(pfq_close(q), 0);
	assert_int_equal(pfq_close(r), 0);
}

static void test_copies(void **state)
{
	pfq_t *r = receiver(), *q = open_side('a', 64, 0, 16);

	(void)state;
	assert_int_equal(pfq_bind_tx(q, "a0", PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD), 0);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(pfq_send(q, frames[i], lens[i], 3), (int)lens[i]);
	check_stats(q, 30, 30);
	expect_arrived(r, 10, 3);
	pfq_close(q);
	pfq_close(r);
}

/* batched sends: whatever is still queued goes out at close */
static void test_async_flush_on_close(void **state)
{
	pfq_t *r = receiver(), *q = open_side('a', 64, 0, 512);

	(void)state;
	assert_int_equal(pfq_set_tx_batch(q, 64), 0);
	assert_int_equal(pfq_get_tx_batch(q), 64);
	assert_int_equal(pfq_bind_tx(q, "a0", PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD), 0);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(pfq_send_async(q, frames[i], lens[i], 1), (int)lens[i]);
	assert_int_equal(pfq_close(q), 0);
	expect_arrived(r, 100, 1);
	pfq_close(r);
}

/* a small queue under a stream of deferred sends: every frame is counted
 * once (sent, discarded when the queue was full, or failed), and what
 * arrived is what was counted sent */
static void test_stats_exact_when_full(void **state)
{
	pfq_t *r = receiver(), *q = open_side('a', 64, 0, 8);
	struct pfq_stats st;
	struct capture c;
	uint64_t queued = 0, refused = 0;
	const size_t total = 20000;

	(void)state;
	assert_int_equal(pfq_set_tx_batch(q, 1000), 0);
	assert_int_equal(pfq_bind_tx(q, "a0", PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD), 0);
	cap_init(&c, total + 16);
	for (size_t i = 0; i < total; i++) {
		int n = pfq_send_deferred(q, frames[0], 60, 1);

		assert_true(n == 0 || n == 60);
		n ? queued++ : refused++;
		if (i % 512 == 0) {
			struct pfq_net_queue nq;

			if (pfq_read(r, &nq, 0) > 0) {
				/* drained below; here only keep the ring from filling */
				struct pfq_pkthdr h;
				const uint8_t *d;

				while (pfq_net_queue_next(&nq, &h, &d))
					c.n++;
			}
		}
	}
	assert_int_equal(pfq_sync_queue(q, 0), 0);
	assert_int_equal(pfq_get_stats(q, &st), 0);
	assert_int_equal(st.sent + st.disc + st.fail, total);
	assert_int_equal(st.disc, refused);
	assert_int_equal(st.sent + st.fail, queued);
	assert_int_equal(st.fail, 0);
	{
		size_t before = c.n;
		struct capture rest;

		cap_init(&rest, total + 16);
		cap_collect(r, &rest, st.sent - before, 3000, 300);
		struct pfq_stats rs;

		assert_int_equal(pfq_get_stats(r, &rs), 0);
		/* every frame sent arrived (or was lost by the receiver's ring) */
		assert_int_equal(before + rest.n + rs.lost, st.sent);
		cap_free(&rest);
	}
	cap_free(&c);
	pfq_close(q);
	pfq_close(r);
}

/* the thread named pfq-tx/<core> of this process: its tid, or -1 */
static int find_tx_thread(int core)
{
	char want[32], path[300], comm[64];
	struct dirent *e;
	DIR *d = opendir("/proc/self/task");
	int tid = -1;

	snprintf(want, sizeof(want), "pfq-tx/%d\n", core);
	while (d && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && !strcmp(comm, want))
			tid = atoi(e->d_name);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return tid;
}

static void test_tx_thread(void **state)
{
	int core = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	pfq_t *r = receiver(), *q = open_side('a', 64, 0, 256);
	cpu_set_t set;
	int tid;

	(void)state;
	assert_int_equal(pfq_set_tx_batch(q, 16), 0);
	assert_int_equal(pfq_bind_tx(q, "a0", PFQ_ANY_QUEUE, core), 0);
	tid = find_tx_thread(core);
	assert_true(tid > 0);
	assert_int_equal(sched_getaffinity(tid, sizeof(set), &set), 0);
	assert_int_equal(CPU_COUNT(&set), 1);
	assert_true(CPU_ISSET(core, &set));
	for (size_t i = 0; i < NFRAMES; i++) {
		int n;

		/* a full queue waits for the thread here; none is lost */
		while ((n = pfq_send_async(q, frames[i], lens[i], 1)) == 0)
			usleep(100);
		assert_int_equal(n, (int)lens[i]);
	}
	assert_int_equal(pfq_sync_queue(q, 0), 0);
	expect_arrived(r, NFRAMES, 1);
	assert_int_equal(pfq_unbind_tx(q), 0);
	assert_int_equal(find_tx_thread(core), -1); /* stopped and joined */
	pfq_close(q);
	pfq_close(r);
}

static void test_bad_calls(void **state)
{
	pfq_t *q = open_side('a', 64, 100, 8), *z = open_side('a', 64, 0, 0);
	uint8_t big[200];

	(void)state;
	memset(big, 0, sizeof(big));
	/* not bound */
	assert_int_equal(pfq_send(q, frames[0], 60, 1), -ENOTCONN);
	assert_int_equal(pfq_sync_queue(q, 0), -ENOTCONN);
	assert_non_null(strstr(pfq_error(q), "pfq_bind_tx"));
	/* bad bindings */
	assert_int_equal(pfq_bind_tx(z, "a0", PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD), -EINVAL);
	assert_non_null(strstr(pfq_error(z), "tx_slots"));
	assert_int_equal(pfq_bind_tx(q, "nosuch0", PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD), -ENODEV);
	assert_int_equal(pfq_bind_tx(q, NULL, PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD), -EINVAL);
	assert_int_equal(pfq_bind_tx(q, "a0", PFQ_ANY_QUEUE, 100000), -EINVAL);
	assert_int_equal(pfq_bind_tx(q, "a0", PFQ_ANY_QUEUE, -7), -EINVAL);
	assert_int_equal(pfq_bind_tx(q, "a0", 4, PFQ_NO_TX_THREAD), -EINVAL); /* 4 queues */
	assert_non_null(strstr(pfq_error(q), "4 TX queues"));
	assert_int_equal(pfq_bind_tx(q, "a0", -5, PFQ_NO_TX_THREAD), -EINVAL);
	assert_int_equal(pfq_bind_tx(q, "a0", PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD), 0);
	assert_int_equal(pfq_bind_tx(q, "a0", PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD), -EBUSY);
	assert_int_equal(pfq_set_xmitlen(q, 500), -EBUSY);
	assert_int_equal(pfq_set_tx_slots(q, 500), -EBUSY);
	/* bad frames */
	assert_int_equal(pfq_send(q, big, sizeof(big), 1), -EMSGSIZE);
	assert_non_null(strstr(pfq_error(q), "xmitlen"));
	assert_int_equal(pfq_send(q, big, 10, 1), -EINVAL);
	assert_int_equal(pfq_send(q, NULL, 60, 1), -EINVAL);
	assert_int_equal(pfq_send(q, big, 60, 9), -EINVAL); /* more copies than slots */
	assert_int_equal(pfq_sync_queue(q, 1), -EINVAL);
	assert_int_equal(pfq_set_tx_batch(q, 0), -EINVAL);
	assert_int_equal(pfq_send(NULL, big, 60, 1), -EINVAL);
	/* nothing of that counted */
	check_stats(q, 0, 0);
	assert_int_equal(pfq_send(q, frames[0], 60, 1), 60);
	check_stats(q, 1, 1);
	assert_int_equal(pfq_unbind_tx(q), 0);
	assert_int_equal(pfq_unbind_tx(q), 0);
	/* counters stay after unbind; sizes may change again */
	check_stats(q, 1, 1);
	assert_int_equal(pfq_set_xmitlen(q, 500), 0);
	pfq_close(q);
	pfq_close(z);
}

/* a device that is down: the send fails, the frame counts as failed */
static void test_device_down(void **state)
{
	pfq_t *q = open_side('a', 64, 0, 8);

	(void)state;
	assert_int_equal(pfq_bind_tx(q, "a1", PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD), 0);
	assert_int_equal(th_exec(&th, 'a', "ip link set a1 down"), 0);
	assert_int_equal(pfq_send(q, frames[0], lens[0], 1), -ENETDOWN);
	check_stats(q, 1, 0);
	assert_int_equal(th_exec(&th, 'a', "ip link set a1 up"), 0);
	assert_int_equal(pfq_send(q, frames[0], lens[0], 1), (int)lens[0]);
	check_stats(q, 2, 1);
	pfq_close(q);
}

/* a program that opened its socket and then gave up its privileges (as
 * tcpdump does) can still transmit, as with stock libpcap */
static void test_after_privilege_drop(void **state)
{
	pfq_t *r = receiver();
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pfq_t *q = open_side('a', 64, 0, 16);

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		if (pfq_bind_tx(q, "a0", PFQ_ANY_QUEUE, PFQ_NO_TX_THREAD) < 0) {
			fprintf(stderr, "%s\n", pfq_error(q));
			_exit(3);
		}
		for (size_t i = 0; i < 10; i++)
			if (pfq_send(q, frames[i], lens[i], 1) != (int)lens[i])
				_exit(4);
		_exit(pfq_close(q) == 0 ? 0 : 5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	expect_arrived(r, 10, 1);
	pfq_close(r);
}

/* a chosen hardware TX queue: the frames leave by it, and veth hands them
 * to the peer's RX queue of the same number */
static void test_hw_queue(void **state)
{
	pfq_t *r[4];
	struct capture c[4];

	(void)state;
	for (int k = 0; k < 4; k++) {
		r[k] = open_side('b', 2048, 0, 0);
		assert_int_equal(pfq_bind(r[k], "b0", k), 0);
		assert_int_equal(pfq_enable(r[k]), 0);
	}
	for (int want = 0; want < 4; want++) {
		pfq_t *q = open_side('a', 64, 0, 64);

		assert_int_equal(pfq_bind_tx(q, "a0", want, PFQ_NO_TX_THREAD), 0);
		for (size_t i = 0; i < 20; i++)
			assert_int_equal(pfq_send(q, frames[i], lens[i], 1), (int)lens[i]);
		check_stats(q, 20, 20);
		for (int k = 0; k < 4; k++) {
			cap_init(&c[k], 64);
			cap_collect(r[k], &c[k], k == want ? 20 : 0, k == want ? 3000 : 100, 100);
		}
		for (int k = 0; k < 4; k++) {
			if (k == want)
				check_arrived(&c[k], 0, 20, 1);
			else
				assert_int_equal(c[k].n, 0);
			cap_free(&c[k]);
		}
		assert_int_equal(pfq_close(q), 0);
	}
	for (int k = 0; k < 4; k++)
		pfq_close(r[k]);
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
		cmocka_unit_test(test_sync_exact),
		cmocka_unit_test(test_copies),
		cmocka_unit_test(test_async_flush_on_close),
		cmocka_unit_test(test_stats_exact_when_full),
		cmocka_unit_test(test_tx_thread),
		cmocka_unit_test(test_bad_calls),
		cmocka_unit_test(test_device_down),
		cmocka_unit_test(test_hw_queue),
		cmocka_unit_test(test_after_privilege_drop),
	};

	return cmocka_run_group_tests_name("pfq-tx", tests, setup, teardown);
}
