/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Transmission. A socket's TX queue is tx_slots slots of xmitlen bytes in
 * its own memory, drained by sendmmsg(2) on the PFQ socket's own AF_PACKET
 * socket (a duplicate of its descriptor; each frame is addressed to the
 * device's ifindex), with the qdisc bypassed (unless a hardware queue is
 * chosen: tx_queue.c): a batch of frames costs one system call, not one
 * per frame. No new socket is made, so, as with stock libpcap, a program
 * that dropped its privileges after opening can still transmit.
 *
 * Why not PACKET_TX_RING: when the driver drops a frame of the ring (a full
 * hardware queue), the kernel marks the frame available as if it had been
 * sent and does not move past it, so the sender can neither count it nor
 * resend it in order. sendmmsg says which frame failed and why, so the
 * statistics are exact (sent + disc + fail = frames submitted, once
 * flushed) and a frame the device was too busy for is sent again, in order.
 *
 * The queue is single-producer: the caller's thread writes slots at head;
 * the drain (the caller's, or the TX thread's) sends from tail, one drain
 * at a time (flush_mu). An optional TX thread pinned to a CPU drains what
 * pfq_send_async queues (our stand-in for the original's kernel TX
 * threads); the producer wakes it through an eventfd every tx_batch frames.
 */
#include "tx.h"

#include "../shared.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#define TX_ETH_MIN 14          /* an Ethernet header */
#define TX_MAX_COPIES 256      /* as the original */
#define TX_VEC 256             /* frames per sendmmsg at most */
#define TX_BUSY_MS 1000        /* a device busy this long fails what is queued */
#define TX_THREAD_TICK_MS 10   /* the TX thread looks at least this often */

struct pfq_tx {
	int fd;
	uint8_t *buf;          /* slots x slot_size */
	uint32_t *lens;
	uint32_t slots;
	uint32_t slot_size;    /* largest frame accepted */
	/* frame counts (64 bits: a 32-bit count wraps within minutes at line
	 * rate, and slots need not divide 2^32, so frame % slots would jump) */
	_Atomic uint64_t head; /* frames written, by the producer */
	_Atomic uint64_t tail; /* frames drained, by the drain */
	uint32_t unkicked;     /* written since the drain was last asked */
	int core;              /* CPU of the TX thread, PFQ_NO_TX_THREAD none */
	int link;              /* the TC egress link choosing the hw queue, -1 */
	struct sockaddr_ll to; /* the device the frames go to */
	char dev[IF_NAMESIZE];

	pthread_mutex_t flush_mu;
	pthread_t thread;
	bool thread_on;
	pid_t thread_pid;      /* the process the thread runs in (not a fork child) */
	int efd;               /* wakes the thread */
	atomic_bool stop;

	_Atomic uint64_t sent, fail;
	uint64_t disc;         /* producer only */
};

static bool gone(int err)
{
	return err == ENETDOWN || err == ENXIO || err == ENODEV;
}

/*
 * Send what is queued, from tail. wait: keep at it until the queue is
 * empty (a busy device is retried, in order, for up to TX_BUSY_MS); else
 * stop at the first frame the device cannot take now. 0, or the first hard
 * error (-errno): a refused frame counts as failed and the drain goes on;
 * a device that is down or gone, or busy for TX_BUSY_MS without taking a
 * frame (no carrier), fails everything queued, so a flush or a close never
 * takes longer than that.
 */
static int drain(struct pfq_tx *t, bool wait)
{
	struct mmsghdr msgs[TX_VEC];
	struct iovec iov[TX_VEC];
	uint64_t busy_since = 0;
	int err = 0;

	pthread_mutex_lock(&t->flush_mu);
	for (;;) {
		uint64_t tail = atomic_load_explicit(&t->tail, memory_order_relaxed);
		uint32_t n = (uint32_t)(atomic_load_explicit(&t->head, memory_order_acquire) - tail);
		int k, r;

		if (n == 0)
			break;
		k = n < TX_VEC ? (int)n : TX_VEC;
		memset(msgs, 0, sizeof(msgs[0]) * (size_t)k);
		for (int i = 0; i < k; i++) {
			uint32_t s = (uint32_t)((tail + (uint64_t)i) % t->slots);

			iov[i].iov_base = t->buf + (size_t)s * t->slot_size;
			iov[i].iov_len = t->lens[s];
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &t->to;
			msgs[i].msg_hdr.msg_namelen = sizeof(t->to);
		}
		r = sendmmsg(t->fd, msgs, (unsigned)k, wait ? 0 : MSG_DONTWAIT);
		if (r > 0) {
			atomic_fetch_add(&t->sent, (uint64_t)r);
			atomic_store_explicit(&t->tail, tail + (uint64_t)r, memory_order_release);
			busy_since = 0;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		int e = r < 0 ? errno : EIO;

		if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
			/* the device (or the socket's buffer) is full for now */
			if (!wait)
				break;
			if (!busy_since)
				busy_since = pfq_now_ns();
			if (pfq_now_ns() - busy_since < TX_BUSY_MS * 1000000ull) {
				usleep(50);
				continue;
			}
		}
		if (!err)
			err = -e;
		if (gone(e) || e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
			/* nothing queued can leave (now) */
			atomic_fetch_add(&t->fail, (uint64_t)n);
			atomic_store_explicit(&t->tail, tail + n, memory_order_release);
			break;
		}
		/* this frame is refused (too long for the device...): count it
		 * and go on with the next */
		atomic_fetch_add(&t->fail, 1);
		atomic_store_explicit(&t->tail, tail + 1, memory_order_release);
	}
	pthread_mutex_unlock(&t->flush_mu);
	return err;
}

static void *tx_thread(void *arg)
{
	struct pfq_tx *t = arg;
	struct pollfd pfd = { .fd = t->efd, .events = POLLIN };
	uint64_t v;

	while (!atomic_load(&t->stop)) {
		if (poll(&pfd, 1, TX_THREAD_TICK_MS) > 0 && read(t->efd, &v, sizeof(v)) < 0 &&
		    errno != EAGAIN && errno != EINTR)
			break;
		drain(t, true);
	}
	return NULL;
}

/* is CPU core there and online? (the thread's own affinity may name any
 * CPU of the process's cpuset, not only those of the calling thread) */
static int cpu_usable(int core)
{
	char path[64];
	int on = 1;
	FILE *f;

	if (core < 0 || core >= CPU_SETSIZE || core >= sysconf(_SC_NPROCESSORS_CONF))
		return -EINVAL;
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", core);
	f = fopen(path, "r");
	if (f) { /* no file: a CPU that cannot go offline */
		if (fscanf(f, "%d", &on) != 1)
			on = 1;
		fclose(f);
	}
	return on ? 0 : -EINVAL;
}

static int start_thread(pfq_t *q, struct pfq_tx *t)
{
	pthread_attr_t attr;
	cpu_set_t set;
	char name[16];
	int rc;

	rc = cpu_usable(t->core);
	if (rc)
		return pfq_seterr(q, -rc, "pfq_bind_tx: TX thread: CPU %d is not online "
				  "(%ld CPUs configured)", t->core, sysconf(_SC_NPROCESSORS_CONF));
	t->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->efd < 0)
		return pfq_seterr(q, errno, "pfq_bind_tx: eventfd: %s", strerror(errno));
	CPU_ZERO(&set);
	CPU_SET(t->core, &set);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	rc = pthread_create(&t->thread, &attr, tx_thread, t);
	pthread_attr_destroy(&attr);
	if (rc) {
		close(t->efd);
		t->efd = -1;
		/* EINVAL: the CPU is outside the process's cpuset */
		return pfq_seterr(q, rc, "pfq_bind_tx: TX thread on CPU %d: %s", t->core,
				  rc == EINVAL ? "CPU not allowed to this process" : strerror(rc));
	}
	snprintf(name, sizeof(name), "pfq-tx/%d", t->core);
	pthread_setname_np(t->thread, name);
	t->thread_on = true;
	t->thread_pid = getpid();
	return 0;
}

static void wake_thread(struct pfq_tx *t)
{
	uint64_t one = 1;

	t->unkicked = 0;
	if (write(t->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, so the thread is woken anyway */
	}
}

static void stop_thread(struct pfq_tx *t)
{
	if (!t->thread_on)
		return;
	t->thread_on = false;
	if (t->thread_pid != getpid()) {
		/* a child of fork: the thread stayed with the parent */
		close(t->efd);
		t->efd = -1;
		return;
	}
	atomic_store(&t->stop, true);
	wake_thread(t);
	pthread_join(t->thread, NULL);
	close(t->efd);
	t->efd = -1;
}

static void tx_free(struct pfq_tx *t)
{
	if (t->link >= 0)
		close(t->link);
	if (t->fd >= 0)
		close(t->fd);
	pthread_mutex_destroy(&t->flush_mu);
	free(t->buf);
	free(t->lens);
	free(t);
}

void pfq_tx_forget(pfq_t *q)
{
	/* (the thread is the parent's: none runs here; what is queued is
	 * the parent's to send) */
	if (q->tx) {
		if (q->tx->efd >= 0)
			close(q->tx->efd);
		tx_free(q->tx);
	}
	q->tx = NULL;
}

int pfq_bind_tx(pfq_t *q, const char *dev, int queue, int core)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct pfq_tx *t;
	/* a blocking send that cannot go on (the socket's buffer full of
	 * frames a stalled device holds) gives up: see drain() */
	struct timeval send_timeout = { .tv_sec = TX_BUSY_MS / 1000 };
	int rc, mtu, one = 1;

	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	if (!dev || !dev[0] || strlen(dev) >= IF_NAMESIZE)
		return pfq_seterr(q, EINVAL, "pfq_bind_tx: bad device name");
	if (q->tx)
		return pfq_seterr(q, EBUSY, "pfq_bind_tx: TX is bound to %s already "
				  "(pfq_unbind_tx first)", q->tx->dev);
	if (q->tx_slots == 0)
		return pfq_seterr(q, EINVAL, "pfq_bind_tx: no TX queue (tx_slots is 0; "
				  "see pfq_set_tx_slots)");
	if (queue != PFQ_ANY_QUEUE && (queue < 0 || queue > 65534))
		return pfq_seterr(q, EINVAL, "pfq_bind_tx: bad TX queue %d", queue);
	if (core != PFQ_NO_TX_THREAD && core < 0)
		return pfq_seterr(q, EINVAL, "pfq_bind_tx: bad TX thread CPU %d", core);
	sll.sll_ifindex = pfq_dev_ifindex(q->fd, dev);
	if (sll.sll_ifindex <= 0)
		return pfq_seterr(q, ENODEV, "pfq_bind_tx: device '%s': no such device", dev);
	mtu = pfq_dev_mtu(q->fd, dev);
	if (mtu < 0)
		return pfq_seterr(q, -mtu, "pfq_bind_tx: device '%s': %s", dev, strerror(-mtu));

	t = calloc(1, sizeof(*t));
	if (!t)
		return pfq_seterr(q, ENOMEM, "pfq_bind_tx: out of memory");
	pthread_mutex_init(&t->flush_mu, NULL);
	t->efd = -1;
	t->link = -1;
	t->to = sll;
	t->core = core;
	t->slots = q->tx_slots;
	snprintf(t->dev, sizeof(t->dev), "%s", dev);
	/* xmitlen 0: the device's largest frame (MTU, Ethernet header, a tag) */
	t->slot_size = q->xmitlen ? q->xmitlen : (uint32_t)mtu + TX_ETH_MIN + 4;
	/* (more than the machine's memory is not tried: a sanitizer aborts
	 * on such a request rather than fail it) */
	uint64_t bytes = (uint64_t)t->slots * t->slot_size;
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || page <= 0 || bytes <= (uint64_t)pages * (uint64_t)page) {
		t->buf = malloc((size_t)bytes);
		t->lens = calloc(t->slots, sizeof(*t->lens));
	}
	/* the PFQ socket itself: no new socket, no privilege needed */
	t->fd = fcntl(q->fd, F_DUPFD_CLOEXEC, 0);
	if (!t->buf || !t->lens) {
		rc = pfq_seterr(q, ENOMEM, "pfq_bind_tx: a TX queue of %u slots of %u bytes: "
				"out of memory", t->slots, t->slot_size);
	} else if (t->fd < 0) {
		rc = pfq_seterr(q, errno, "pfq_bind_tx: %s", strerror(errno));
	} else if (setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout,
			      sizeof(send_timeout)) < 0 ||
		   (queue == PFQ_ANY_QUEUE &&
		    setsockopt(t->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)) {
		rc = pfq_seterr(q, errno, "pfq_bind_tx: %s: %s", dev, strerror(errno));
	} else {
		/* a chosen queue: the qdisc path, where a TC egress program
		 * of ours sets it (tx_queue.c) */
		rc = 0;
		if (queue != PFQ_ANY_QUEUE) {
			t->link = pfq_tx_queue_attach(q, t->fd, dev, sll.sll_ifindex, queue);
			rc = t->link < 0 ? t->link : 0;
		}
		if (!rc && core != PFQ_NO_TX_THREAD)
			rc = start_thread(q, t);
	}
	if (rc) {
		tx_free(t);
		return rc;
	}
	q->tx = t;
	return 0;
}

int pfq_unbind_tx(pfq_t *q)
{
	struct pfq_tx *t;

	PFQ_NEED(q);
	t = q->tx;
	if (!t)
		return 0;
	/* everything out (or counted failed), then the thread stopped */
	stop_thread(t);
	drain(t, true);
	q->tx_done.sent += atomic_load(&t->sent);
	q->tx_done.disc += t->disc;
	q->tx_done.fail += atomic_load(&t->fail);
	tx_free(t);
	q->tx = NULL;
	return 0;
}

/* write copies frames of buf at head: 1 (queued), 0 (no room), or -errno */
static int enqueue(pfq_t *q, const void *buf, size_t len, unsigned copies)
{
	struct pfq_tx *t = q->tx;
	uint64_t head;

	if (!t)
		return pfq_seterr(q, ENOTCONN, "send: TX is not bound (pfq_bind_tx)");
	if (!buf)
		return pfq_seterr(q, EINVAL, "send: NULL buffer");
	if (len < TX_ETH_MIN)
		return pfq_seterr(q, EINVAL, "send: a frame of %zu bytes is shorter than an "
				  "Ethernet header (14)", len);
	if (len > t->slot_size)
		return pfq_seterr(q, EMSGSIZE, "send: a frame of %zu bytes is over the TX "
				  "slot size (xmitlen %u)", len, t->slot_size);
	if (copies > TX_MAX_COPIES || copies > t->slots)
		return pfq_seterr(q, EINVAL, "send: %u copies (at most %u, and tx_slots)",
				  copies, TX_MAX_COPIES);
	head = atomic_load_explicit(&t->head, memory_order_relaxed);
	if (t->slots - (head - atomic_load_explicit(&t->tail, memory_order_acquire)) < copies)
		return 0;
	for (unsigned c = 0; c < copies; c++) {
		uint32_t s = (uint32_t)((head + c) % t->slots);

		memcpy(t->buf + (size_t)s * t->slot_size, buf, len);
		t->lens[s] = (uint32_t)len;
	}
	atomic_store_explicit(&t->head, head + copies, memory_order_release);
	t->unkicked += copies;
	return 1;
}

/* the drain's error as the caller's */
static int drain_error(pfq_t *q, int rc)
{
	return pfq_seterr(q, -rc, "send on %s: %s", q->tx->dev, strerror(-rc));
}

/* queued and sent now, waiting for it: len or -errno */
int pfq_send(pfq_t *q, const void *buf, size_t len, unsigned copies)
{
	int rc;

	PFQ_NEED(q);
	copies = copies ? copies : 1;
	rc = enqueue(q, buf, len, copies);
	if (rc == 0) {
		/* full: make room by sending what waits */
		rc = drain(q->tx, true);
		if (rc)
			return drain_error(q, rc);
		rc = enqueue(q, buf, len, copies);
	}
	if (rc < 0)
		return rc;
	q->tx->unkicked = 0;
	rc = drain(q->tx, true);
	return rc ? drain_error(q, rc) : (int)len;
}

/* queued; the batch goes out when tx_batch frames wait, by the TX thread
 * when use_thread and there is one, else by a drain that does not wait.
 * len, 0 (full: discarded) or -errno */
static int send_later(pfq_t *q, const void *buf, size_t len, unsigned copies, bool use_thread)
{
	struct pfq_tx *t;
	bool threaded;
	int rc;

	PFQ_NEED(q);
	copies = copies ? copies : 1;
	t = q->tx;
	threaded = t && use_thread && t->thread_on;
	rc = enqueue(q, buf, len, copies);
	if (rc == 0 && !threaded) {
		/* full: out with what waits, as far as the device takes it */
		rc = drain(t, false);
		if (rc)
			return drain_error(q, rc);
		rc = enqueue(q, buf, len, copies);
	}
	if (rc < 0)
		return rc;
	if (rc == 0) {
		t->disc += copies;
		if (threaded)
			wake_thread(t);
		return 0;
	}
	if (t->unkicked >= (uint32_t)pfq_get_tx_batch(q)) {
		if (threaded) {
			wake_thread(t);
		} else {
			t->unkicked = 0;
			rc = drain(t, false);
			if (rc)
				return drain_error(q, rc);
		}
	}
	return (int)len;
}

int pfq_send_async(pfq_t *q, const void *buf, size_t len, unsigned copies)
{
	return send_later(q, buf, len, copies, true);
}

int pfq_send_deferred(pfq_t *q, const void *buf, size_t len, unsigned copies)
{
	return send_later(q, buf, len, copies, false);
}

int pfq_send_raw(pfq_t *q, const void *buf, size_t len, uint64_t nsec, unsigned copies,
		 int async)
{
	/* the kernel's packet sockets have no per-frame transmit time here
	 * (SO_TXTIME needs a socket-wide ETF qdisc): kept out, as the
	 * original 6.1 ignored it */
	(void)nsec;
	return async ? send_later(q, buf, len, copies, true) : pfq_send(q, buf, len, copies);
}

int pfq_sync_queue(pfq_t *q, int queue)
{
	int rc;

	PFQ_NEED(q);
	if (queue != 0)
		return pfq_seterr(q, EINVAL, "pfq_sync_queue: queue %d (a socket has one TX "
				  "queue: 0)", queue);
	if (!q->tx)
		return pfq_seterr(q, ENOTCONN, "pfq_sync_queue: TX is not bound (pfq_bind_tx)");
	q->tx->unkicked = 0;
	rc = drain(q->tx, true);
	return rc ? drain_error(q, rc) : 0;
}

int pfq_set_tx_batch(pfq_t *q, size_t batch)
{
	PFQ_NEED(q);
	if (batch < 1 || batch > PFQ_TX_BATCH_MAX)
		return pfq_seterr(q, EINVAL, "tx_batch %zu out of range (1..%u)", batch,
				  PFQ_TX_BATCH_MAX);
	q->tx_batch = (uint32_t)batch;
	return 0;
}

ssize_t pfq_get_tx_batch(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->tx_batch ? q->tx_batch : 1;
}

void pfq_tx_stats(pfq_t *q, struct pfq_stats *s)
{
	s->sent = q->tx_done.sent;
	s->disc = q->tx_done.disc;
	s->fail = q->tx_done.fail;
	if (q->tx) {
		s->sent += atomic_load(&q->tx->sent);
		s->disc += q->tx->disc;
		s->fail += atomic_load(&q->tx->fail);
	}
}
