/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pfqd: holds the PFQ groups a configuration file describes. */
#include "conf.h"
#include "control.h"
#include "guard.h"
#include "join.h"
#include "log.h"
#include "state.h"

#include <pfq/pfq.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

/* exit statuses (documented in --help and docs/pfqd.md) */
enum { EXIT_OK = 0, EXIT_CONFIG = 1, EXIT_USAGE = 2, EXIT_SETUP = 3 };

/* help2man reads this: "Options:" and "Files:" are its own section names,
 * "*Signals*" and "*Exit status*" make sections of those names */
static void usage(FILE *f)
{
	fputs(
"Usage: pfqd -c FILE [--foreground]\n"
"  or:  pfqd --check FILE | --check-syntax FILE\n"
"Hold the PFQ groups a configuration file describes.\n"
"\n"
"pfqd creates each configured group (or adopts it when it exists already,\n"
"without disturbing its members, unless another pfqd holds it), joined with\n"
"the control class so that it never receives a packet itself: it binds the\n"
"group's inputs (devices and hardware queues), sets its PFQ/lang computation,\n"
"its BPF filter (tcpdump syntax) and its VLAN filters, and opens its egress\n"
"endpoints. Capture programs then join the groups (PFQ_GROUP=42 tcpdump -i\n"
"pfq). pfqd holds the groups until it is stopped; a reload applies a changed\n"
"file in place.\n"
"A control socket answers JSON commands, one object a line: status, stats,\n"
"counters, reload (root or pfqd's user) and join: a user listed in a group's\n"
"allow_users or allow_groups gets a member of it without privileges (the\n"
"pcap library, pfq-dump -g and pfq_join_pfqd ask for it by themselves).\n"
"On kernels with the BPF LSM (and with CAP_MAC_ADMIN), a BPF program refuses\n"
"sends, socket options, bind and connect on the sockets handed to such users\n"
"(the status command says whether it is active); without it they could send\n"
"frames and set devices promiscuous with them, and 'require_guard = yes'\n"
"then refuses the joins of every user but root.\n"
"With 'metrics = ADDR:PORT' pfqd also serves the groups' statistics at\n"
"http://ADDR:PORT/metrics in the Prometheus format.\n"
"\n"
"Options:\n"
"  -c, --config FILE     the configuration file (INI; see pfqd.conf.example)\n"
"  -f, --foreground      stay in the foreground (the default: pfqd never\n"
"                        forks; under systemd use Type=notify)\n"
"      --check FILE      check FILE completely (grammar, values, computations\n"
"                        type-checked, filters compiled, devices, users and\n"
"                        groups looked up) without touching any group\n"
"      --check-syntax FILE  check FILE without looking anything up on this\n"
"                        system (devices, users, groups)\n"
"  -h, --help            this text\n"
"  -V, --version         the version\n"
"\n"
"*Signals*\n"
"  SIGHUP                reload the configuration file: a bad file is refused\n"
"                        with its errors and the running configuration stays;\n"
"                        unchanged groups are not touched, changed ones are\n"
"                        updated in place, removed ones released\n"
"  SIGTERM, SIGINT       release every group and exit\n"
"\n"
"*Exit status*\n"
"  0                     success (--check: the file is good)\n"
"  1                     errors in the configuration file\n"
"  2                     bad usage\n"
"  3                     the groups, the control socket or the metrics\n"
"                        endpoint could not be set up\n"
"\n"
"Files:\n"
"  /etc/pfq/pfqd.conf    the usual configuration file (pfqd.service)\n"
"  /run/pfqd/control     the default control socket\n"
"  $PFQ_RUN_DIR          the group registry (default /run/pfq)\n"
"\n"
"Errors in the file are reported as FILE:LINE:COLUMN: message. Logs go to\n"
"stderr, one line per event, prefixed with the level.\n", f);
}

struct daemon {
	const char *path;
	struct pfqd_conf ep;  /* the endpoints open: control, metrics */
	bool endpoints_stale; /* a reload changed the configuration */
	struct pfqd_state state;
	struct server control, metrics;
	struct pfqd_ctx ctx;
};

static void print_errors(const struct pfqd_conf *c)
{
	for (int i = 0; i < c->nerrors; i++)
		fprintf(stderr, "%s\n", c->errors[i]);
	if (c->nerrors_dropped)
		fprintf(stderr, "(%d more errors)\n", c->nerrors_dropped);
}

static int check(const char *path, int flags)
{
	struct pfqd_conf c;
	int rc = pfqd_conf_parse_file(&c, path, flags);

	if (rc < 0)
		print_errors(&c);
	else
		printf("%s: good: %d groups\n", path, c.ngroups);
	pfqd_conf_free(&c);
	return rc < 0 ? EXIT_CONFIG : EXIT_OK;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* (re)open the control socket and the metrics endpoint as c says, where
 * it differs from what is open (d->ep) */
static int open_endpoints(struct daemon *d, const struct pfqd_conf *c)
{
	struct pfqd_conf *ep = &d->ep;
	char err[512];
	int fd, rc = 0;

	if (d->control.fd >= 0 && pfqd_str_equal(ep->control, c->control)) {
		/* the same socket: its mode and group only */
		if ((ep->control_mode != c->control_mode ||
		     !pfqd_str_equal(ep->control_group, c->control_group)) &&
		    control_chmod(c->control, c->control_mode, c->control_group, err,
				  sizeof(err)) < 0) {
			log_err("%s", err);
			rc = -1;
		}
	} else {
		fd = control_listen(c->control, c->control_mode, c->control_group, err, sizeof(err));
		if (fd < 0) {
			log_err("%s", err);
			return -1;
		}
		server_close(&d->control);
		if (ep->control)
			unlink(ep->control);
		d->control.fd = fd;
		free(ep->control);
		ep->control = dup_or_null(c->control);
		log_info("control socket %s (mode %04o)", c->control, (unsigned)c->control_mode);
	}
	ep->control_mode = c->control_mode;
	free(ep->control_group);
	ep->control_group = dup_or_null(c->control_group);
	if (d->metrics.fd < 0 || !pfqd_str_equal(ep->metrics, c->metrics) ||
	    ep->metrics_remote != c->metrics_remote) {
		server_close(&d->metrics);
		free(ep->metrics);
		ep->metrics = NULL;
		if (c->metrics) {
			fd = metrics_listen(c->metrics, c->metrics_remote, err, sizeof(err));
			if (fd < 0) {
				log_err("%s", err);
				return -1;
			}
			d->metrics.fd = fd;
			ep->metrics = dup_or_null(c->metrics);
			ep->metrics_remote = c->metrics_remote;
			log_info("metrics on http://%s/metrics", c->metrics);
		}
	}
	return rc;
}

/* the reload of SIGHUP and of the control command; the endpoints are
 * reopened by the main loop, after the request that asked for it */
static int do_reload(struct pfqd_ctx *ctx, struct pfqd_reload *r)
{
	struct daemon *d = (struct daemon *)((char *)ctx - offsetof(struct daemon, ctx));
	int rc;

	sd_notify(0, "RELOADING=1");
	log_info("reloading %s", d->path);
	rc = state_reload(&d->state, d->path, r);
	if (r->refused) {
		log_err("reload refused, the running configuration stays:");
		for (char *line = r->error, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			log_err("  %.*s", nl ? (int)(nl - line) : (int)strlen(line), line);
		}
	} else {
		d->endpoints_stale = true;
		log_info("reloaded: %d added, %d changed, %d removed, %d unchanged%s", r->nadded,
			 r->nchanged, r->nremoved, r->nunchanged, rc < 0 ? " (with errors)" : "");
	}
	sd_notify(0, "READY=1");
	return rc;
}

/* the guard of the sockets handed to joined clients (guard.h); without
 * it, pfqd runs as before and says once what that allows */
static void start_guard(void)
{
	char why[256];

	if (guard_start(why, sizeof(why)) == 0) {
		log_info("the sockets handed to joined clients are guarded (BPF LSM: no send, "
			 "socket option, bind or connect but pfqd's own)");
		return;
	}
	log_warn("no guard of the sockets handed to joined clients: %s. A client permitted "
		 "by allow_users or allow_groups can send any frame on them and set devices "
		 "promiscuous, unless require_guard = yes refuses their joins (see pfqd(8), "
		 "docs/pfqd.md)", why);
}

static int run(struct daemon *d)
{
	struct pfqd_conf c;
	sigset_t set;
	int sfd, status = EXIT_OK;

	if (pfqd_conf_parse_file(&c, d->path, 0) < 0) {
		print_errors(&c);
		pfqd_conf_free(&c);
		return EXIT_CONFIG;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	server_init(&d->control, -1);
	server_init(&d->metrics, -1);
	d->control.framing = control_framing;
	d->control.request = control_request;
	d->metrics.framing = metrics_framing;
	d->metrics.request = metrics_request;
	d->control.idle_ms = 60000; /* a client that says nothing for a minute goes */
	d->control.per_uid = true;  /* mode 0666: every user may connect */
	d->metrics.idle_ms = 10000;
	d->metrics.request_ms = 2000; /* an HTTP request comes at once */
	d->ctx = (struct pfqd_ctx){ .state = &d->state, .config_path = d->path,
				    .reload = do_reload };
	d->control.user = d->metrics.user = &d->ctx;
	if (sfd < 0 || open_endpoints(d, &c) < 0) {
		if (sfd < 0)
			log_err("signalfd: %s", strerror(errno));
		pfqd_conf_free(&c);
		status = EXIT_SETUP;
		goto out;
	}
	start_guard();
	if (state_start(&d->state, &c) < 0) {
		pfqd_conf_free(&c);
		status = EXIT_SETUP;
		goto out;
	}
	log_info("ready: %d groups from %s (pid %d)", d->state.conf.ngroups, d->path, (int)getpid());
	sd_notifyf(0, "READY=1\nSTATUS=%d groups\nMAINPID=%d", d->state.conf.ngroups,
		   (int)getpid());
	for (;;) {
		int nj = joins_count(&d->state), n = 1, nc, nm, jn, timeout, sig;
		struct pollfd *pfd = calloc((size_t)(1 + 2 * (1 + SERVER_MAX_CLIENTS) + nj),
					    sizeof(*pfd));
		struct signalfd_siginfo si;

		if (!pfd) {
			log_err("out of memory");
			status = EXIT_SETUP;
			break;
		}
		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		nc = server_pollfds(&d->control, pfd + n, 1 + SERVER_MAX_CLIENTS);
		n += nc;
		nm = server_pollfds(&d->metrics, pfd + n, 1 + SERVER_MAX_CLIENTS);
		n += nm;
		jn = joins_pollfds(&d->state, pfd + n, nj);
		n += jn;
		/* the groups and the joined members are looked after every 0.2 s */
		timeout = joins_tick(&d->state);
		if (timeout < 0 && (server_busy(&d->control) || server_busy(&d->metrics)))
			timeout = 1000;
		if (server_pending(&d->control) || server_pending(&d->metrics))
			timeout = 0;
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			free(pfd);
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			status = EXIT_SETUP;
			break;
		}
		server_handle(&d->control, pfd + 1, nc);
		server_handle(&d->metrics, pfd + 1 + nc, nm);
		joins_handle(&d->state, pfd + 1 + nc + nm, jn);
		sig = pfd[0].revents & POLLIN;
		free(pfd);
		server_expire(&d->control);
		server_expire(&d->metrics);
		if (sig && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			struct pfqd_reload *r;

			if (si.ssi_signo != SIGHUP) {
				log_info("signal %d: releasing the groups", (int)si.ssi_signo);
				break;
			}
			r = calloc(1, sizeof(*r));
			if (r)
				do_reload(&d->ctx, r);
			free(r);
		}
		if (d->endpoints_stale) {
			d->endpoints_stale = false;
			open_endpoints(d, &d->state.conf);
		}
	}
	sd_notify(0, "STOPPING=1");
	state_stop(&d->state);
out:
	guard_stop();
	server_close(&d->metrics);
	server_close(&d->control);
	if (d->ep.control)
		unlink(d->ep.control);
	pfqd_conf_free(&d->ep);
	close(sfd);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", required_argument, NULL, 'C' },
		{ "check-syntax", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct daemon d;
	const char *check_path = NULL;
	int o, flags = 0, rc;

	while ((o = getopt_long(argc, argv, "c:fhV", opts, NULL)) != -1) {
		switch (o) {
		case 'c': d.path = optarg; break;
		case 'f': break;
		case 'C': check_path = optarg; flags = 0; break;
		case 'S': check_path = optarg; flags = PFQD_CONF_SYNTAX_ONLY; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("pfqd (pfq) %s\n", pfq_string_version()); return EXIT_OK;
		default:
			fprintf(stderr, "Try 'pfqd --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pfqd: unexpected argument '%s'\nTry 'pfqd --help'.\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (check_path)
		return check(check_path, flags);
	if (!d.path) {
		fprintf(stderr, "pfqd: a configuration file is needed (-c FILE)\n"
			"Try 'pfqd --help'.\n");
		return EXIT_USAGE;
	}
	rc = run(&d);
	return rc;
}
