/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "server.h"

#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

long long server_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void server_init(struct server *s, int fd)
{
	s->fd = fd;
	s->nclients = 0;
	s->request_ms = 0;
	s->round = 0;
}

void server_reply(struct client *c, const char *data, size_t len)
{
	char *o;

	if (c->fd < 0)
		return;
	if (c->nout - c->off + len > SERVER_MAX_OUT) {
		/* a client that does not read its answers: let it go */
		c->close_after = true;
		c->nout = c->off;
		return;
	}
	o = realloc(c->out, c->nout + len);
	if (!o) {
		c->close_after = true;
		return;
	}
	memcpy(o + c->nout, data, len);
	c->out = o;
	c->nout += len;
}

static void drop(struct server *s, int i)
{
	close(s->clients[i].fd);
	free(s->clients[i].out);
	s->clients[i] = s->clients[--s->nclients];
}

int server_pollfds(const struct server *s, struct pollfd *pfd, int max)
{
	int n = 0;

	if (s->fd < 0 || max < 1)
		return 0;
	pfd[n++] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
	for (int i = 0; i < s->nclients && n < max; i++) {
		const struct client *c = &s->clients[i];

		pfd[n++] = (struct pollfd){ .fd = c->fd,
			.events = (short)((c->close_after ? 0 : POLLIN) | (c->nout > c->off ? POLLOUT : 0)) };
	}
	return n;
}

/* may the peer of fd (user *uid) take a place? */
static bool admitted(const struct server *s, int fd, uid_t *uid)
{
	struct ucred u;
	socklen_t len = sizeof(u);
	int mine = 0;

	*uid = (uid_t)-1;
	if (!s->per_uid)
		return s->nclients < SERVER_MAX_CLIENTS;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &len) < 0)
		return false;
	*uid = u.uid;
	if (u.uid == 0 || u.uid == geteuid())
		return s->nclients < SERVER_MAX_CLIENTS;
	for (int i = 0; i < s->nclients; i++)
		mine += s->clients[i].uid == u.uid;
	return mine < SERVER_MAX_PER_UID && s->nclients < SERVER_MAX_CLIENTS - SERVER_KEPT;
}

/* A server open to anyone without a per-user count (the metrics endpoint,
 * TCP on loopback): when full, of the clients between two requests with no
 * answer left to write, the one quiet the longest goes to make room, if it
 * has been quiet for SERVER_EVICT_MS. Idle connections held open by one
 * user kept every scrape out. (Those that trickle a request byte by byte
 * go when it takes longer than request_ms: server_expire.) */
static void evict_idlest(struct server *s)
{
	long long now = server_now_ms();
	int idlest = -1;

	if (s->per_uid || s->nclients < SERVER_MAX_CLIENTS)
		return;
	for (int i = 0; i < s->nclients; i++) {
		const struct client *c = &s->clients[i];

		if (c->nin || c->nout > c->off || c->pending)
			continue;
		if (idlest < 0 || c->last < s->clients[idlest].last)
			idlest = i;
	}
	if (idlest >= 0 && now - s->clients[idlest].last >= SERVER_EVICT_MS)
		drop(s, idlest);
}

static void accept_one(struct server *s)
{
	int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	uid_t uid;

	if (fd < 0)
		return;
	evict_idlest(s);
	if (!admitted(s, fd, &uid)) {
		close(fd); /* busy: the client sees the connection closed */
		return;
	}
	memset(&s->clients[s->nclients], 0, sizeof(s->clients[0]));
	s->clients[s->nclients].last = server_now_ms();
	s->clients[s->nclients].uid = uid;
	s->clients[s->nclients++].fd = fd;
}

/* Answer at most SERVER_BATCH of the complete requests in c's buffer; the
 * rest waits for the next round of the main loop (pending). A burst of
 * requests in one write (a status each, which reads every group) was
 * answered in one go: pfqd answered nobody else, maintained no group and
 * took no signal for minutes. */
static void answer(struct server *s, struct client *c)
{
	size_t len;
	int k = 0;

	c->pending = false;
	c->round = s->round;
	while (!c->close_after && (len = s->framing(c->in, c->nin)) > 0) {
		char save = c->in[len];

		if (k++ == SERVER_BATCH) {
			c->pending = true;
			return;
		}
		c->in[len] = '\0';
		s->request(s, c, c->in, len, false);
		c->in[len] = save;
		memmove(c->in, c->in + len, c->nin - len);
		c->nin -= len;
		c->in[c->nin] = '\0';
	}
}

/* read what there is and answer the complete requests: -1 to drop it */
static int input(struct server *s, struct client *c)
{
	/* (nothing more is read while answers are due: the buffer stays
	 * bounded, and the socket's queue pushes back on the client) */
	while (!c->pending) {
		ssize_t r = read(c->fd, c->in + c->nin, sizeof(c->in) - 1 - c->nin);

		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (r == 0)
			return c->nout > c->off || c->nin ? (c->close_after = true, 0) : -1;
		if (!c->nin)
			c->since = server_now_ms();
		c->nin += (size_t)r;
		c->in[c->nin] = '\0';
		answer(s, c);
		if (c->close_after || c->pending)
			return 0;
		if (c->nin == sizeof(c->in) - 1) {
			s->request(s, c, c->in, c->nin, true);
			c->nin = 0;
			c->close_after = true;
			return 0;
		}
	}
	return 0;
}

static int output(struct client *c)
{
	while (c->nout > c->off) {
		ssize_t w = send(c->fd, c->out + c->off, c->nout - c->off, MSG_NOSIGNAL);

		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->off += (size_t)w;
	}
	c->nout = c->off = 0;
	return c->close_after ? -1 : 0;
}

void server_handle(struct server *s, const struct pollfd *pfd, int n)
{
	if (n < 1)
		return;
	s->round++;
	/* clients first, by fd (indices move when one is dropped) */
	for (int k = 1; k < n; k++) {
		int i;

		if (!pfd[k].revents)
			continue;
		for (i = 0; i < s->nclients && s->clients[i].fd != pfd[k].fd; i++)
			;
		if (i == s->nclients)
			continue;
		s->clients[i].last = server_now_ms();
		if (((pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) && input(s, &s->clients[i]) < 0) ||
		    output(&s->clients[i]) < 0)
			drop(s, i);
	}
	/* the requests left from earlier rounds, a batch each (not a second
	 * one for a client answered above) */
	for (int i = 0; i < s->nclients; i++) {
		struct client *c = &s->clients[i];

		if (!c->pending || c->round == s->round)
			continue;
		answer(s, c);
		if (output(c) < 0)
			drop(s, i--);
	}
	if (pfd[0].revents & POLLIN)
		accept_one(s);
}

bool server_pending(const struct server *s)
{
	for (int i = 0; i < s->nclients; i++)
		if (s->clients[i].pending)
			return true;
	return false;
}

void server_expire(struct server *s)
{
	long long now = server_now_ms();

	for (int i = 0; i < s->nclients; i++) {
		const struct client *c = &s->clients[i];

		if ((s->idle_ms > 0 && now - c->last > s->idle_ms) ||
		    (s->request_ms > 0 && c->nin && now - c->since > s->request_ms))
			drop(s, i--);
	}
}

bool server_busy(const struct server *s)
{
	return s->nclients > 0;
}

void server_close(struct server *s)
{
	while (s->nclients)
		drop(s, 0);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
