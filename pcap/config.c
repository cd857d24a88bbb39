/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE (1 << 20)
#define MAX_LINE 4096

static int fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (err && n) {
		va_start(ap, fmt);
		vsnprintf(err, n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void pfq_pcap_config_init(struct pfq_pcap_config *c)
{
	memset(c, 0, sizeof(*c));
	c->group = c->caplen = c->tx_queue = c->tx_node = c->tx_batch = -1;
	c->rx_slots = c->tx_slots = -1;
}

void pfq_pcap_config_free(struct pfq_pcap_config *c)
{
	free(c->computation);
	c->computation = NULL;
}

int pfq_pcap_is_device(const char *name)
{
	return name && strncmp(name, "pfq", 3) == 0 &&
	       (name[3] == '\0' || name[3] == ':' || name[3] == '/');
}

int pfq_pcap_parse_device(const char *name, struct pfq_pcap_config *c, char *err, size_t errlen)
{
	char msg[256];
	const char *p;
	int ndevs;

	if (!pfq_pcap_is_device(name))
		return fail(err, errlen, "'%s' is not a pfq device (pfq[/config]:dev[:dev...])",
			    name ? name : "(null)");
	p = name + 3;
	c->ndevs = 0;
	c->config_path[0] = '\0';
	if (*p == '/') {
		const char *colon = strchr(p + 1, ':');
		size_t n = colon ? (size_t)(colon - (p + 1)) : strlen(p + 1);

		if (n == 0)
			return fail(err, errlen, "'%s': empty config file name after 'pfq/'", name);
		if (n >= sizeof(c->config_path))
			return fail(err, errlen, "'%s': config file name too long", name);
		memcpy(c->config_path, p + 1, n);
		c->config_path[n] = '\0';
		p = colon ? colon : p + 1 + n;
	}
	if (*p == '\0')
		return 0;
	/* the devices after ':' (util/parse.c, as the tools read them) */
	ndevs = parse_dev_list(p + 1, c->devs, PFQ_PCAP_MAX_DEVS, msg, sizeof(msg));
	if (ndevs < 0)
		return fail(err, errlen, "'%s': %s", name, msg);
	c->ndevs = ndevs;
	return 0;
}

static int parse_vlans(struct pfq_pcap_config *c, const char *v, char *msg, size_t n)
{
	char buf[MAX_LINE], *save = NULL, *tok;

	if (strlen(v) >= sizeof(buf))
		return fail(msg, n, "list too long");
	strcpy(buf, v);
	c->nvlans = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long id;

		if (parse_long(tok, -1, 4095, PARSE_BLANKS, &id) < 0)
			return fail(msg, n, "'%s' is not a VLAN id (-1..4095)", tok);
		if (c->nvlans == PFQ_PCAP_MAX_VLANS)
			return fail(msg, n, "more than %d VLAN ids", PFQ_PCAP_MAX_VLANS);
		c->vlans[c->nvlans++] = (int)id;
	}
	if (c->nvlans == 0)
		return fail(msg, n, "empty VLAN id list");
	return 0;
}

/* apply one setting (key without the PFQ_ prefix, any case); msg gets the
 * reason on failure */
static int apply(struct pfq_pcap_config *c, const char *key, const char *val, char *msg, size_t n)
{
	static const struct { const char *key; long lo, hi; } nums[] = {
		{ "group", 0, PFQ_PCAP_GROUP_MAX }, { "caplen", 1, PFQ_PCAP_CAPLEN_MAX },
		{ "rx_slots", 1, 4L << 20 }, { "tx_slots", 0, 4L << 20 },
		{ "tx_queue", -1, 65535 }, { "tx_node", -1, 4095 }, { "tx_batch", 1, 65535 },
	};
	long v;

	if (!strcasecmp(key, "computation")) {
		char *dup;

		while (isspace((unsigned char)*val))
			val++;
		if (!*val)
			return fail(msg, n, "empty computation");
		dup = strdup(val);
		if (!dup)
			return fail(msg, n, "out of memory");
		free(c->computation);
		c->computation = dup;
		return 0;
	}
	if (!strcasecmp(key, "vlan"))
		return parse_vlans(c, val, msg, n);
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (strcasecmp(key, nums[i].key))
			continue;
		if (parse_long(val, nums[i].lo, nums[i].hi, PARSE_BLANKS, &v) < 0)
			return fail(msg, n, "'%s' is not a number in %ld..%ld", val, nums[i].lo,
				    nums[i].hi);
		if (i == 0) c->group = (int)v;
		else if (i == 1) c->caplen = (int)v;
		else if (i == 2) c->rx_slots = v;
		else if (i == 3) c->tx_slots = v;
		else if (i == 4) c->tx_queue = (int)v;
		else if (i == 5) c->tx_node = (int)v;
		else c->tx_batch = (int)v;
		return 0;
	}
	return fail(msg, n, "unknown key '%s' (group, caplen, rx_slots, tx_slots, tx_queue, "
		    "tx_node, tx_batch, vlan, computation)", key);
}

int pfq_pcap_config_env(struct pfq_pcap_config *c, const char *(*get)(const char *name),
			char *err, size_t errlen)
{
	/* each setting and the names it goes by, the first one set wins: the
	 * seed's own example spells PFQ_GORUP, and older releases used
	 * PFQ_FUNCTION, PFQ_VLAN_ID and PFQ_TX_THREAD */
	static const struct { const char *key, *vars[3]; } map[] = {
		{ "group", { "PFQ_GROUP", "PFQ_GORUP", NULL } },
		{ "caplen", { "PFQ_CAPLEN", NULL } },
		{ "rx_slots", { "PFQ_RX_SLOTS", NULL } },
		{ "tx_slots", { "PFQ_TX_SLOTS", NULL } },
		{ "tx_queue", { "PFQ_TX_QUEUE", NULL } },
		{ "tx_node", { "PFQ_TX_NODE", "PFQ_TX_THREAD", NULL } },
		{ "tx_batch", { "PFQ_TX_BATCH", NULL } },
		{ "vlan", { "PFQ_VLAN", "PFQ_VLAN_ID", NULL } },
		{ "computation", { "PFQ_COMPUTATION", "PFQ_FUNCTION", NULL } },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		for (int k = 0; k < 3 && map[i].vars[k]; k++) {
			const char *v = get(map[i].vars[k]);
			char msg[512];

			/* set but empty is unset, as most programs take an empty
			 * variable (PFQ_GROUP= tcpdump ...: no group) */
			if (!v || !*v)
				continue;
			if (apply(c, map[i].key, v, msg, sizeof(msg)) < 0)
				return fail(err, errlen, "%s=%s: %s", map[i].vars[k], v, msg);
			break;
		}
	}
	return 0;
}

/* strip a # comment (outside double quotes) and surrounding blanks */
static char *clean_line(char *s)
{
	bool quoted = false;
	char *e;

	for (char *p = s; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '#' && !quoted) {
			*p = '\0';
			break;
		}
	}
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int pfq_pcap_config_text(struct pfq_pcap_config *c, const char *text, const char *name,
			 char *err, size_t errlen)
{
	int line = 0;

	while (text && *text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		char buf[MAX_LINE], msg[512], *s, *eq, *k;

		line++;
		if (n >= sizeof(buf))
			return fail(err, errlen, "%s:%d: line longer than %d characters", name, line,
				    MAX_LINE - 1);
		memcpy(buf, text, n);
		buf[n] = '\0';
		text = nl ? nl + 1 : text + n;
		s = clean_line(buf);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq)
			return fail(err, errlen, "%s:%d: expected 'key = value', found '%s'", name,
				    line, s);
		*eq = '\0';
		k = clean_line(s);
		if (!*k)
			return fail(err, errlen, "%s:%d: missing key before '='", name, line);
		if (apply(c, k, clean_line(eq + 1), msg, sizeof(msg)) < 0)
			return fail(err, errlen, "%s:%d: %s: %s", name, line, k, msg);
	}
	return 0;
}

/* what a path names, for messages about files that are not config files */
static const char *kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
	       S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : "not a file";
}

int pfq_pcap_config_file(struct pfq_pcap_config *c, const char *path, char *err, size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), r;
	struct stat st;
	size_t n = 0;
	char *buf;

	if (fd < 0)
		return fail(err, errlen, "cannot read config file '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = errno;
		close(fd);
		return fail(err, errlen, "cannot read config file '%s': %s", path, strerror(r));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, "config file '%s' is %s, not a regular file", path,
			    kind(st.st_mode));
	}
	/* a set-user-ID or capability-raised program reads only what the user
	 * who started it may read (access() checks with the real ids) */
	if (getauxval(AT_SECURE) && access(path, R_OK) < 0) {
		r = errno;
		close(fd);
		return fail(err, errlen, "cannot read config file '%s': %s (for the user who "
			    "started this privileged program)", path, strerror(r));
	}
	buf = parse_read_fd(fd, MAX_FILE, &n);
	r = errno;
	close(fd);
	if (!buf && r == ENOMEM)
		return fail(err, errlen, "out of memory");
	if (!buf)
		return fail(err, errlen, "cannot read config file '%s': %s", path, strerror(r));
	if (n > MAX_FILE) {
		free(buf);
		return fail(err, errlen, "config file '%s' is larger than %d bytes", path, MAX_FILE);
	}
	if (memchr(buf, '\0', n)) {
		free(buf);
		return fail(err, errlen, "config file '%s' is not a text file", path);
	}
	r = pfq_pcap_config_text(c, buf, path, err, errlen);
	free(buf);
	return r;
}
