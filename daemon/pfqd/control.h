/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The control socket (unix stream, JSON lines) and the metrics endpoint
 * (HTTP, Prometheus text): opening them, and their requests. */
#ifndef PFQD_CONTROL_H
#define PFQD_CONTROL_H

#include "server.h"
#include "state.h"

#include <stddef.h>

/* Listen on path with mode and unix group (NULL: ours): the directory is
 * made if missing (0755); a stale socket is removed, anything else there is
 * an error, as is a pfqd answering on it. The fd, or -1 with err set. */
int control_listen(const char *path, mode_t mode, const char *group, char *err, size_t n);
/* Give the socket at path its mode and group. 0, or -1 with err set. */
int control_chmod(const char *path, mode_t mode, const char *group, char *err, size_t n);
/* Listen on ADDR:PORT (TCP). The fd, or -1 with err set. */
int metrics_listen(const char *addr, bool remote, char *err, size_t n);

/* what the requests act on */
struct pfqd_ctx {
	struct pfqd_state *state;
	const char *config_path;
	/* reload (the main loop's, shared with SIGHUP); fills r */
	int (*reload)(struct pfqd_ctx *ctx, struct pfqd_reload *r);
};

/* commands.c: one JSON request line, answered with one JSON line */
void control_request(struct server *s, struct client *c, char *req, size_t len, bool too_long);
size_t control_framing(const char *buf, size_t n);
/* metrics.c: one HTTP request */
void metrics_request(struct server *s, struct client *c, char *req, size_t len, bool too_long);
size_t metrics_framing(const char *buf, size_t n);

#endif
