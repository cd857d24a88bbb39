/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfqd's small server (daemon/pfqd/server.c): a client's burst of requests
 * is answered a batch per round of the main loop, so that another client,
 * the groups' maintenance and signals are not kept waiting for all of it.
 */
#include "server.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int answered[2];

static size_t line_framing(const char *buf, size_t n)
{
	const char *nl = memchr(buf, '\n', n);

	return nl ? (size_t)(nl - buf) + 1 : 0;
}

/* requests "A\n" and "B\n": counted, answered with the same line */
static void on_request(struct server *s, struct client *c, char *req, size_t len, bool too_long)
{
	(void)s;
	assert_false(too_long);
	answered[req[0] == 'B']++;
	server_reply(c, req, len);
}

/* one round of a main loop: poll (up to ms, 0 when requests wait), handle */
static void round_of(struct server *s, int ms)
{
	struct pollfd pfd[1 + SERVER_MAX_CLIENTS];
	int n = server_pollfds(s, pfd, 1 + SERVER_MAX_CLIENTS);

	assert_true(poll(pfd, (nfds_t)n, server_pending(s) ? 0 : ms) >= 0);
	server_handle(s, pfd, n);
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void test_burst_in_batches(void **state)
{
	char dir[] = "/tmp/pfqd-server-XXXXXX", path[64], burst[300 * 2 + 1] = "";
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct server s;
	int lfd, fa, fb, rounds = 0, b_at = -1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	server_init(&s, lfd);
	s.framing = line_framing;
	s.request = on_request;
	s.idle_ms = 0;
	s.per_uid = false;

	fa = connect_to(path);
	fb = connect_to(path);
	for (int k = 0; k < 300; k++)
		strcat(burst, "A\n");
	assert_int_equal(write(fa, burst, strlen(burst)), (ssize_t)strlen(burst));
	while (s.nclients < 2 && rounds++ < 100)
		round_of(&s, 100);
	assert_int_equal(s.nclients, 2);
	/* the burst: a batch per round, then b's one request, answered at
	 * once although the burst is far from done */
	round_of(&s, 100);
	assert_true(answered[0] > 0 && answered[0] < 300);
	assert_true(server_pending(&s));
	assert_int_equal(write(fb, "B\n", 2), 2);
	for (rounds = 0; answered[0] < 300 && rounds < 1000; rounds++) {
		int before = answered[0];

		round_of(&s, 100);
		assert_true(answered[0] - before <= SERVER_BATCH);
		if (answered[1] && b_at < 0)
			b_at = answered[0];
	}
	assert_int_equal(answered[0], 300);
	assert_int_equal(answered[1], 1);
	assert_true(b_at >= 0 && b_at < 300 / 2);
	assert_false(server_pending(&s));
	/* every answer reached a */
	{
		char buf[1024];
		size_t got = 0;
		ssize_t r;

		while (got < 600 && (r = recv(fa, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			got += (size_t)r;
		assert_int_equal(got, 600);
	}
	close(fa);
	close(fb);
	server_close(&s);
	unlink(path);
	rmdir(dir);
}

/* a listening server at a new path in dir (made here) */
static int listen_at(char *dir, char *path, size_t n)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int lfd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, n, "%s/s", dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 64), 0);
	return lfd;
}

/* A server without per-user places (the metrics endpoint), full of idle
 * connections: a new client takes the place of the quietest one. */
static void test_full_of_idle(void **state)
{
	char dir[] = "/tmp/pfqd-server-XXXXXX", path[64], buf[8];
	int fds[SERVER_MAX_CLIENTS], late, late2, rounds = 0;
	struct server s;

	(void)state;
	server_init(&s, listen_at(dir, path, sizeof(path)));
	s.framing = line_framing;
	s.request = on_request;
	s.idle_ms = 0;
	s.per_uid = false;
	for (int k = 0; k < SERVER_MAX_CLIENTS; k++)
		fds[k] = connect_to(path);
	while (s.nclients < SERVER_MAX_CLIENTS && rounds++ < 200)
		round_of(&s, 100);
	assert_int_equal(s.nclients, SERVER_MAX_CLIENTS);
	/* the first one is half-way through a request: it stays */
	assert_int_equal(write(fds[0], "A", 1), 1);
	round_of(&s, 100);
	usleep((SERVER_EVICT_MS + 100) * 1000);
	late = connect_to(path);
	answered[0] = answered[1] = 0;
	assert_int_equal(write(late, "B\n", 2), 2);
	for (rounds = 0; !answered[1] && rounds < 20; rounds++)
		round_of(&s, 100);
	assert_int_equal(answered[1], 1);
	assert_int_equal(recv(late, buf, sizeof(buf), 0), 2);
	assert_int_equal(s.nclients, SERVER_MAX_CLIENTS);
	assert_int_equal(write(fds[0], "\n", 1), 1);
	for (rounds = 0; !answered[0] && rounds < 20; rounds++)
		round_of(&s, 100);
	assert_int_equal(answered[0], 1);
	assert_int_equal(recv(fds[0], buf, sizeof(buf), 0), 2);
	/* full of clients that are all mid-request: a newcomer is refused
	 * (closed), and one whose request takes longer than request_ms goes */
	for (int k = 0; k < SERVER_MAX_CLIENTS; k++)
		(void)!send(fds[k], "A", 1, MSG_NOSIGNAL); /* (one was let go) */
	assert_int_equal(send(late, "A", 1, MSG_NOSIGNAL), 1);
	late2 = connect_to(path);
	for (rounds = 0; rounds < 5; rounds++)
		round_of(&s, 50);
	assert_int_equal(s.nclients, SERVER_MAX_CLIENTS);
	assert_int_equal(recv(late2, buf, sizeof(buf), MSG_DONTWAIT), 0);
	close(late2);
	s.request_ms = 200;
	usleep(300000);
	server_expire(&s);
	assert_int_equal(s.nclients, 0);
	for (int k = 0; k < SERVER_MAX_CLIENTS; k++)
		close(fds[k]);
	close(late);
	server_close(&s);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_in_batches),
		cmocka_unit_test(test_full_of_idle),
	};
	return cmocka_run_group_tests_name("pfqd-server", tests, NULL, NULL);
}
