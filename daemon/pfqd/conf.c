/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration as an object: read from a file, compared, copied, freed. */
#include "conf.h"

#include <pfq/pfq.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE (1 << 20)

static int file_error(struct pfqd_conf *c, const char *path, const char *fmt, const char *what)
{
	char *msg = NULL;

	memset(c, 0, sizeof(*c));
	if (asprintf(&msg, fmt, path, what) >= 0) {
		c->errors[0] = msg;
		c->nerrors = 1;
	}
	return -1;
}

int pfqd_conf_parse_file(struct pfqd_conf *c, const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), rc;
	struct stat st;
	size_t n = 0;
	char *buf;

	if (fd < 0)
		return file_error(c, path, "%s: cannot read the configuration: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return file_error(c, path, "%s: %s", "not a regular file");
	}
	buf = parse_read_fd(fd, MAX_FILE, &n);
	rc = errno;
	close(fd);
	if (!buf && rc == ENOMEM)
		return file_error(c, path, "%s: %s", "out of memory");
	if (!buf)
		return file_error(c, path, "%s: cannot read the configuration: %s", strerror(rc));
	if (n > MAX_FILE) {
		free(buf);
		return file_error(c, path, "%s: %s", "larger than 1 MiB");
	}
	if (memchr(buf, '\0', n)) {
		/* where: FILE:LINE:COLUMN of the first NUL, as every other error */
		const char *nul = memchr(buf, '\0', n), *bol = buf;
		char where[64];
		int line = 1;

		for (const char *q = buf; q < nul; q++)
			if (*q == '\n') {
				line++;
				bol = q + 1;
			}
		snprintf(where, sizeof(where), "%d:%d: not a text file (a NUL byte)", line,
			 (int)(nul - bol) + 1);
		free(buf);
		return file_error(c, path, "%s:%s", where);
	}
	rc = pfqd_conf_parse_text(c, buf, path, flags);
	free(buf);
	return rc;
}

void pfqd_group_free(struct pfqd_group *g)
{
	free(g->computation);
	free(g->computation_file);
	free(g->filter);
	pcap_freecode(&g->fprog);
	for (int i = 0; i < g->nusers; i++)
		free(g->users[i]);
	for (int i = 0; i < g->ngroups; i++)
		free(g->groups[i]);
	memset(g, 0, sizeof(*g));
}

void pfqd_conf_free(struct pfqd_conf *c)
{
	for (int i = 0; i < c->ngroups; i++)
		pfqd_group_free(&c->groups[i]);
	free(c->groups);
	for (int i = 0; i < c->nerrors; i++)
		free(c->errors[i]);
	free(c->path);
	free(c->control);
	free(c->control_group);
	free(c->metrics);
	memset(c, 0, sizeof(*c));
}

const struct pfqd_group *pfqd_conf_group(const struct pfqd_conf *c, int gid)
{
	for (int i = 0; i < c->ngroups; i++)
		if (c->groups[i].gid == gid)
			return &c->groups[i];
	return NULL;
}

bool pfqd_id_in_range(const char *s)
{
	while (*s == '0' && s[1])
		s++;
	/* ten digits at most, then compared as text with the largest */
	return strlen(s) < 10 || (strlen(s) == 10 && strcmp(s, "4294967294") <= 0);
}

bool pfqd_str_equal(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool dev_equal(const struct parse_dev *a, const struct parse_dev *b)
{
	return !strcmp(a->name, b->name) && a->queue == b->queue;
}

/* the same inputs, in any order */
bool pfqd_inputs_equal(const struct pfqd_group *a, const struct pfqd_group *b)
{
	if (a->ninputs != b->ninputs)
		return false;
	for (int i = 0; i < a->ninputs; i++) {
		int k;

		for (k = 0; k < b->ninputs && !dev_equal(&a->inputs[i], &b->inputs[k]); k++)
			;
		if (k == b->ninputs)
			return false;
	}
	return true;
}

static bool output_equal(const struct pfqd_output *x, const struct pfqd_output *y)
{
	return dev_equal(&x->dev, &y->dev) && x->class_mask == y->class_mask &&
	       x->weight == y->weight;
}

/* the same outputs, in any order (none is given twice) */
bool pfqd_outputs_equal(const struct pfqd_group *a, const struct pfqd_group *b)
{
	if (a->noutputs != b->noutputs)
		return false;
	for (int i = 0; i < a->noutputs; i++) {
		int k;

		for (k = 0; k < b->noutputs && !output_equal(&a->outputs[i], &b->outputs[k]); k++)
			;
		if (k == b->noutputs)
			return false;
	}
	return true;
}

bool pfqd_vlans_equal(const struct pfqd_group *a, const struct pfqd_group *b)
{
	return a->vlan_on == b->vlan_on && a->nvlans == b->nvlans &&
	       !memcmp(a->vlans, b->vlans, (size_t)a->nvlans * sizeof(int));
}

static bool names_equal(char *const *a, int na, char *const *b, int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

bool pfqd_group_equal(const struct pfqd_group *a, const struct pfqd_group *b)
{
	return a->gid == b->gid && a->policy == b->policy && pfqd_inputs_equal(a, b) &&
	       pfqd_outputs_equal(a, b) && pfqd_str_equal(a->computation, b->computation) &&
	       pfqd_str_equal(a->filter, b->filter) && pfqd_vlans_equal(a, b) &&
	       names_equal(a->users, a->nusers, b->users, b->nusers) &&
	       names_equal(a->groups, a->ngroups, b->groups, b->ngroups);
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = strdup(src)))
		return -ENOMEM;
	return 0;
}

int pfqd_group_copy(struct pfqd_group *dst, const struct pfqd_group *src)
{
	int rc = 0;

	*dst = *src;
	dst->computation = dst->computation_file = dst->filter = NULL;
	dst->fprog.bf_len = 0;
	dst->fprog.bf_insns = NULL;
	dst->nusers = dst->ngroups = 0;
	rc |= dup_str(&dst->computation, src->computation);
	rc |= dup_str(&dst->computation_file, src->computation_file);
	rc |= dup_str(&dst->filter, src->filter);
	if (src->fprog.bf_len) {
		size_t n = src->fprog.bf_len * sizeof(struct bpf_insn);

		dst->fprog.bf_insns = malloc(n);
		if (dst->fprog.bf_insns) {
			memcpy(dst->fprog.bf_insns, src->fprog.bf_insns, n);
			dst->fprog.bf_len = src->fprog.bf_len;
		} else {
			rc = -ENOMEM;
		}
	}
	for (int i = 0; i < src->nusers; i++, dst->nusers++)
		rc |= dup_str(&dst->users[i], src->users[i]);
	for (int i = 0; i < src->ngroups; i++, dst->ngroups++)
		rc |= dup_str(&dst->groups[i], src->groups[i]);
	if (rc) {
		pfqd_group_free(dst);
		return -ENOMEM;
	}
	return 0;
}

const char *pfqd_policy_name(int policy)
{
	static const char *const names[] = { "undefined", "private", "restricted", "shared" };

	return policy >= 0 && policy <= 3 ? names[policy] : "?";
}
