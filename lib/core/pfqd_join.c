/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Joining a group through pfqd (pfq_join_pfqd), the client's half.
 *
 * One JSON request on pfqd's control socket ({"cmd":"join",...}); pfqd
 * answers with one JSON line that carries, in SCM_RIGHTS, the member's two
 * sockets and the client's end of a lease (a unix socket pair), the
 * sockets' description in hex. The sockets are imported (handover.c). The
 * lease stays open as long as the socket: pfq_close says goodbye on it and
 * closes it, after the sockets and rings are gone, and pfqd then ends the
 * member; pfqd closing its end (the group removed, the permission revoked,
 * pfqd gone) wakes a reader waiting on the socket's poll set, which holds
 * the lease, and its next read that finds nothing fails with -ENOTCONN.
 * The reads also report the member's counters on the lease (lease.h): only
 * the reader may read them, only pfqd may publish them.
 * daemon/pfqd/join.c is the other half; docs/pfqd.md has the protocol.
 */
#include "pfq-int.h"
#include "lease.h"
#include "../shared.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define ANSWER_MAX 8192        /* pfqd's answer line, at most */
#define ANSWER_TIMEOUT_MS 10000 /* a join may recompile the group's programs */
#define JOIN_FDS (PFQ_HANDOVER_FDS + 1) /* the sockets, then the lease */
/* a report of the counters at most this often: pfq-stat's numbers lag by
 * this and pfqd's 0.2 s publication, and pfqd wakes up for no more */
#define LEASE_REPORT_NS 500000000ull

static const char *control_path(const struct pfq_pfqd_opts *o)
{
	const char *env = getenv("PFQD_CONTROL");

	if (o->control)
		return o->control;
	return env && *env ? env : PFQ_PFQD_CONTROL;
}

static int connect_pfqd(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(a.sun_path))
		return pfq_seterr(NULL, EINVAL, "pfqd: control socket path too long: %s", path);
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pfq_seterr(NULL, errno, "pfqd: socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		err = errno;
		close(fd);
		/* (a missing socket says it all, and the message often ends a
		 * longer one, pcap's of 256 bytes; a refused one is stale) */
		if (err == ENOENT)
			return pfq_seterr(NULL, err, "no pfqd listens on %s", path);
		if (err == ECONNREFUSED)
			return pfq_seterr(NULL, err, "no pfqd listens on %s (%s)", path,
					  strerror(err));
		return pfq_seterr(NULL, err, "pfqd: cannot connect to %s: %s", path,
				  strerror(err));
	}
	return fd;
}

static json_t *request(int gid, const struct pfq_pfqd_opts *o)
{
	json_t *r = json_pack("{s:s,s:i,s:I,s:i,s:I,s:I,s:b}", "cmd", "join", "gid", gid,
			      "class_mask", (json_int_t)(o->class_mask & INT64_MAX),
			      "weight", o->weight,
			      "caplen", (json_int_t)o->caplen, "rx_slots",
			      (json_int_t)o->rx_slots, "tstamp", o->tstamp != 0);

	if (r && o->devices)
		json_object_set_new(r, "devices", json_string(o->devices));
	if (r && o->computation)
		json_object_set_new(r, "computation", json_string(o->computation));
	return r;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			return pfq_seterr(NULL, errno, "pfqd closed the connection before the "
					  "request was sent (it stopped, or has too many clients of "
					  "its control socket)");
		if (w < 0)
			return pfq_seterr(NULL, errno, "pfqd: send: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* the descriptors of one control message, appended to fds (the rest closed) */
static void take_fds(struct msghdr *m, int *fds, int *nfds)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		int n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < JOIN_FDS)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
}

/* pfqd's answer line (NUL-terminated in buf) and the descriptors with it */
static int read_answer(int fd, char *buf, size_t max, int *fds, int *nfds)
{
	long long deadline = (long long)(pfq_now_ns() / 1000000) + ANSWER_TIMEOUT_MS;
	size_t len = 0;

	while (!memchr(buf, '\n', len)) {
		union {
			char b[CMSG_SPACE(sizeof(int) * JOIN_FDS)];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { buf + len, max - 1 - len };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
				    .msg_controllen = sizeof(ctl.b) };
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - (long long)(pfq_now_ns() / 1000000);
		ssize_t r;

		if (len == max - 1)
			return pfq_seterr(NULL, EPROTO, "pfqd: answer longer than %zu bytes", max);
		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return pfq_seterr(NULL, ETIMEDOUT, "pfqd did not answer in %d s",
					  ANSWER_TIMEOUT_MS / 1000);
		r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ECONNRESET) /* closed with the request unread */
			return pfq_seterr(NULL, EPROTO, "pfqd closed the connection without an "
					  "answer (it stopped, or has too many clients of its "
					  "control socket)");
		if (r < 0)
			return pfq_seterr(NULL, errno, "pfqd: receive: %s", strerror(errno));
		take_fds(&m, fds, nfds);
		if (m.msg_flags & MSG_CTRUNC)
			return pfq_seterr(NULL, EPROTO, "pfqd: descriptors lost (control data "
					  "truncated)");
		if (r == 0)
			return pfq_seterr(NULL, EPROTO, "pfqd closed the connection without an "
					  "answer (it stopped, or has too many clients of its "
					  "control socket)");
		len += (size_t)r;
		buf[len] = '\0';
	}
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* the description, from lower-case hex: its length, or -1 */
static int unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

/* a refusal: pfqd's words, and its errno when it is a plausible one */
static int refused(json_t *a)
{
	const char *msg = json_string_value(json_object_get(a, "error"));
	json_int_t e = json_integer_value(json_object_get(a, "errno"));

	if (e <= 0 || e > 4095)
		e = EIO;
	if (!msg)
		msg = "join refused";
	/* pfqd's messages that name it ("not permitted by pfqd: ...") stand
	 * alone; the others say who speaks */
	return pfq_seterr(NULL, (int)e, "%s%s", strstr(msg, "pfqd") ? "" : "pfqd: ", msg);
}

/* the socket the answer hands over (the descriptors are the caller's) */
static pfq_t *take_member(json_t *a, int *fds, int nfds)
{
	unsigned char blob[PFQ_HANDOVER_BLOB_MAX];
	const char *hex = json_string_value(json_object_get(a, "handover"));
	int len = hex ? unhex(hex, blob, sizeof(blob)) : -1;
	pfq_t *q;

	if (len < 0 || nfds != JOIN_FDS) {
		pfq_seterr(NULL, EPROTO, "pfqd: malformed join answer (%d descriptors%s)", nfds,
			   len < 0 ? ", no description" : "");
		return NULL;
	}
	q = pfq_import(fds, PFQ_HANDOVER_FDS, blob, (size_t)len);
	if (!q)
		return NULL;
	q->lease_fd = fds[PFQ_HANDOVER_FDS];
	fds[PFQ_HANDOVER_FDS] = -1; /* the socket's now */
	/* (an older pfqd takes any message for a goodbye) */
	q->lease_reports = json_integer_value(json_object_get(a, "lease_stats")) >=
			   LEASE_REPORT_VERSION;
	if (epoll_ctl(q->efd, EPOLL_CTL_ADD, q->lease_fd,
		      &(struct epoll_event){ .events = EPOLLIN | EPOLLRDHUP }) < 0) {
		pfq_seterr(NULL, errno, "pfq_join_pfqd: epoll: %s", strerror(errno));
		pfq_close(q);
		return NULL;
	}
	return q;
}

static int check_opts(const struct pfq_pfqd_opts *o, int gid)
{
	if (gid < 0 || gid >= PFQ_MAX_GROUPS)
		return pfq_seterr(NULL, EINVAL, "pfq_join_pfqd: group %d out of 0..%d", gid,
				  PFQ_MAX_GROUPS - 1);
	if (o->caplen > PFQ_CAPLEN_MAX || o->rx_slots > PFQ_RX_SLOTS_MAX)
		return pfq_seterr(NULL, EINVAL, "pfq_join_pfqd: caplen or rx_slots out of range");
	if (o->weight < 0 || o->weight > PFQ_WEIGHT_MAX)
		return pfq_seterr(NULL, EINVAL, "pfq_join_pfqd: weight %d out of 1..%d", o->weight,
				  PFQ_WEIGHT_MAX);
	if (o->class_mask > INT64_MAX)
		return pfq_seterr(NULL, EINVAL, "pfq_join_pfqd: class mask 0x%llx has bit 63 "
				  "(the control class)", o->class_mask);
	return 0;
}

pfq_t *pfq_join_pfqd(int gid, const struct pfq_pfqd_opts *opts)
{
	struct pfq_pfqd_opts o;
	int fds[JOIN_FDS], nfds = 0, fd = -1, rc;
	char *buf = NULL, *line = NULL;
	json_t *req = NULL, *ans = NULL;
	pfq_t *q = NULL;

	rc = opts ? pfq_opts_take(opts, &o, sizeof(o), offsetof(struct pfq_pfqd_opts, tstamp))
		  : (memset(&o, 0, sizeof(o)), 0);
	if (rc < 0) {
		pfq_seterr(NULL, -rc, "pfq_join_pfqd: bad options (sz %zu)", pfq_opts_sz(opts));
		return NULL;
	}
	if (check_opts(&o, gid) < 0)
		return NULL;
	fd = connect_pfqd(control_path(&o));
	if (fd < 0)
		return NULL;
	req = request(gid, &o);
	line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	buf = malloc(ANSWER_MAX);
	if (!line || !buf) {
		pfq_seterr(NULL, ENOMEM, "out of memory");
		goto out;
	}
	if (send_all(fd, line, strlen(line)) < 0 || send_all(fd, "\n", 1) < 0 ||
	    read_answer(fd, buf, ANSWER_MAX, fds, &nfds) < 0)
		goto out;
	ans = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	if (!json_is_object(ans)) {
		pfq_seterr(NULL, EPROTO, "pfqd: the answer is not a JSON object");
		goto out;
	}
	if (!json_is_true(json_object_get(ans, "ok"))) {
		refused(ans);
		goto out;
	}
	q = take_member(ans, fds, nfds);
out:
	rc = errno;
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (fd >= 0)
		close(fd);
	json_decref(req);
	json_decref(ans);
	free(line);
	free(buf);
	if (!q)
		errno = rc;
	return q;
}

void pfq_lease_report(pfq_t *q, bool now)
{
	uint64_t t = pfq_now_ns();
	struct lease_report m;
	int err = errno;

	if (q->lease_fd < 0 || !q->lease_reports || (!now && t - q->report_ns < LEASE_REPORT_NS))
		return;
	q->report_ns = t;
	/* (a failure says nothing new to pfqd, and is not the read's) */
	if (pfq_stats_collect(q) < 0 || (q->acc.recv == q->reported.recv &&
					 q->acc.lost == q->reported.lost)) {
		errno = err;
		return;
	}
	m = (struct lease_report){ .magic = LEASE_REPORT_MAGIC, .id = (uint32_t)q->id,
				   .recv = q->acc.recv, .lost = q->acc.lost };
	/* never waits: a lease full (pfqd busy) or closed skips this one */
	if (send(q->lease_fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT) == sizeof(m))
		q->reported = q->acc;
	errno = err;
}

void pfq_lease_end(pfq_t *q)
{
	if (q->lease_fd < 0)
		return;
	/* a goodbye: pfqd ends the member at once (without it, a closed lease
	 * looks like an exit, for which pfqd waits until the process is gone) */
	(void)!send(q->lease_fd, LEASE_BYE, strlen(LEASE_BYE), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(q->lease_fd);
	q->lease_fd = -1;
}

int pfq_lease_check(pfq_t *q)
{
	struct pollfd p = { .fd = q->lease_fd, .events = POLLIN };

	if (q->lease_fd < 0 || poll(&p, 1, 0) <= 0 || !p.revents)
		return 0;
	return pfq_seterr(q, ENOTCONN, "pfqd ended the membership (the group was removed, "
			  "the permission taken away, or pfqd stopped)");
}
