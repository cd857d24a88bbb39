/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small non-blocking server for pfqd's main loop: a listening socket and
 * its clients, each with a bounded input buffer and an output queue. A
 * request is what framing says is complete (a line, an HTTP header); the
 * handler answers with server_reply. Used by the control socket (JSON lines)
 * and the metrics endpoint (HTTP).
 */
#ifndef PFQD_SERVER_H
#define PFQD_SERVER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SERVER_MAX_CLIENTS 32
#define SERVER_MAX_IN 8192        /* a request, at most */
#define SERVER_MAX_OUT (4u << 20) /* answers waiting, at most */
/* with per_uid set: the clients of one user other than root and the
 * server's own, and the places kept for those two */
#define SERVER_MAX_PER_UID 4
#define SERVER_KEPT 4
/* without per_uid: a full server lets its quietest client go for a new one
 * when that one has been quiet this long */
#define SERVER_EVICT_MS 500
/* requests of one client answered in a round of the main loop, at most */
#define SERVER_BATCH 4

struct client {
	int fd;
	char in[SERVER_MAX_IN];
	size_t nin;
	char *out;
	size_t nout, off;
	bool close_after; /* once the output is written */
	long long last;   /* ms (CLOCK_MONOTONIC) of its last activity */
	uid_t uid;        /* its user (per_uid servers) */
	bool pending;     /* complete requests wait in in[] (SERVER_BATCH) */
	unsigned round;   /* the server's round in which it was last answered */
	long long since;  /* ms: the first byte of the request in in[] came */
};

struct server {
	int fd; /* listening; -1: none */
	int nclients;
	struct client clients[SERVER_MAX_CLIENTS];
	/* the length of the first complete request in buf (0: none yet) */
	size_t (*framing)(const char *buf, size_t n);
	/* answer req (len bytes, NUL-terminated in place); too_long: the buffer
	 * filled without a complete request (answer, and it is closed) */
	void (*request)(struct server *s, struct client *c, char *req, size_t len, bool too_long);
	void *user;
	int idle_ms; /* a client quiet for longer is let go (0: never) */
	/* a request not complete this long after its first byte: let go (0:
	 * never) */
	int request_ms;
	unsigned round; /* server_handle calls */
	/* a unix socket open to every user: one user takes at most
	 * SERVER_MAX_PER_UID places, and SERVER_KEPT are kept for root and
	 * the server's user, so that no user can hold the others out */
	bool per_uid;
};

/* CLOCK_MONOTONIC in ms (the clients' activity times; pfqd's other timers) */
long long server_now_ms(void);
void server_init(struct server *s, int fd);
/* Queue an answer (copied). */
void server_reply(struct client *c, const char *data, size_t len);
/* The pollfds of the server (listening socket, clients) after pfd[0..]:
 * how many were written (at most max). */
int server_pollfds(const struct server *s, struct pollfd *pfd, int max);
/* Handle what poll said for the entries server_pollfds wrote. */
void server_handle(struct server *s, const struct pollfd *pfd, int n);
/* Let go of the clients idle for longer than s->idle_ms. */
void server_expire(struct server *s);
/* Do requests read earlier wait for an answer (the main loop then polls
 * without waiting, and server_handle answers the next batch)? */
bool server_pending(const struct server *s);
/* Has the server clients (the main loop then wakes up to expire them)? */
bool server_busy(const struct server *s);
/* Close every client and the listening socket. */
void server_close(struct server *s);

#endif
