/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The INI layer of the configuration: inih reads the lines and calls us for
 * each key; our reader hands it the lines one by one, so we know the line
 * it is on and keep its raw text to give every error a column. Sections are
 * read here too (inih does not report them), with the same rules as inih.
 */
#include "conf_int.h"

#include <pfq/pfq.h>

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void add_error(struct pfqd_conf *c, char *msg)
{
	if (!msg)
		return;
	if (c->nerrors == PFQD_MAX_ERRORS) {
		c->nerrors_dropped++;
		free(msg);
		return;
	}
	c->errors[c->nerrors++] = msg;
}

static void verror(struct cp *p, int line, int col, const char *fmt, va_list ap)
{
	char body[1024], *msg = NULL;

	vsnprintf(body, sizeof(body), fmt, ap);
	if (asprintf(&msg, "%s:%d:%d: %s", p->path, line, col, body) < 0)
		msg = NULL;
	add_error(p->c, msg);
}

void cp_error_at(struct cp *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(p, line, col, fmt, ap);
	va_end(ap);
}

void cp_error(struct cp *p, size_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(p, p->line, p->val_col + (int)off, fmt, ap);
	va_end(ap);
}

char *cp_strdup(struct cp *p, const char *s)
{
	char *d = strdup(s);

	if (!d)
		cp_error(p, 0, "out of memory");
	return d;
}

static size_t skip_blanks(const char *s, size_t i)
{
	while (s[i] && isspace((unsigned char)s[i]))
		i++;
	return i;
}

/* an inline comment: ';' at the start or after a blank (inih's rule) */
static bool comment_at(const char *s, size_t i)
{
	return s[i] == ';' && (i == 0 || isspace((unsigned char)s[i - 1]));
}

/* "[ name ]": start the section */
static void section(struct cp *p, size_t open)
{
	const char *s = p->raw;
	size_t i = open + 1, end, a, b;
	char name[128];
	long gid;

	p->have_prev = false;
	p->sec = SEC_BAD;
	p->g = NULL;
	for (end = i; s[end] && s[end] != ']' && !comment_at(s, end); end++)
		;
	if (s[end] != ']') {
		cp_error_at(p, p->line, (int)open + 1, "missing ']' at the end of the section name");
		return;
	}
	a = skip_blanks(s, end + 1);
	if (s[a] && !comment_at(s, a) && s[a] != '#') {
		cp_error_at(p, p->line, (int)a + 1, "unexpected text after ']'");
		return;
	}
	a = skip_blanks(s, i);
	b = end;
	while (b > a && isspace((unsigned char)s[b - 1]))
		b--;
	snprintf(name, sizeof(name), "%.*s", (int)(b - a), s + a);
	if (!strcasecmp(name, "pfqd")) {
		if (p->seen_pfqd) {
			cp_error_at(p, p->line, (int)a + 1, "section [pfqd] given twice");
			return;
		}
		p->seen_pfqd = true;
		p->sec = SEC_PFQD;
		return;
	}
	if (strncasecmp(name, "group", 5) || !isspace((unsigned char)name[5])) {
		cp_error_at(p, p->line, (int)a + 1, "unknown section '%s' (expected [pfqd] or "
			    "[group GID])", name);
		return;
	}
	if (parse_long(name + 5, 0, PFQ_MAX_GROUPS - 1, PARSE_BLANKS, &gid) < 0) {
		size_t n = skip_blanks(name, 5);

		cp_error_at(p, p->line, (int)(a + n) + 1, "group id '%s' is not a number in 0..%d",
			    name + n, PFQ_MAX_GROUPS - 1);
		return;
	}
	for (int k = 0; k < p->c->ngroups; k++)
		if (p->c->groups[k].gid == gid) {
			cp_error_at(p, p->line, (int)a + 1, "group %ld defined twice (first at line %d)",
				    gid, p->c->groups[k].pos.line);
			return;
		}
	{
		int n = p->c->ngroups;
		struct pfqd_group *gs = realloc(p->c->groups, (size_t)(n + 1) * sizeof(*gs));
		struct cp_group *xs;

		if (!gs) {
			cp_error_at(p, p->line, 1, "out of memory");
			return;
		}
		p->c->groups = gs;
		xs = realloc(p->gxs, (size_t)(n + 1) * sizeof(*xs));
		if (!xs) {
			cp_error_at(p, p->line, 1, "out of memory");
			return;
		}
		p->gxs = xs;
		memset(&gs[n], 0, sizeof(gs[n]));
		memset(&xs[n], 0, sizeof(xs[n]));
		gs[n].gid = (int)gid;
		gs[n].policy = PFQ_POLICY_SHARED;
		gs[n].pos = (struct pfqd_pos){ p->line, (int)open + 1 };
		p->c->ngroups = n + 1;
		p->g = &gs[n];
		p->gx = &xs[n];
		p->sec = SEC_GROUP;
	}
}

/* what inih will make of the line in p->raw (its rules, so that both agree) */
static void classify(struct cp *p)
{
	const char *s = p->raw;
	size_t i = skip_blanks(s, 0), k;

	p->expect = p->skip = p->cont = false;
	if (!s[i] || s[i] == ';' || s[i] == '#')
		return; /* blank line or comment */
	if (p->have_prev && i > 0) {
		p->cont = p->expect = true;
		p->skip = p->prev_bad; /* the key it continues was an error already */
		p->key_col = p->val_col = (int)i + 1;
		return;
	}
	if (s[i] == '[') {
		section(p, i);
		return;
	}
	p->expect = true;
	p->key_col = (int)i + 1;
	for (k = i; s[k] && s[k] != '=' && s[k] != ':' && !comment_at(s, k); k++)
		;
	if (s[k] == ':') {
		cp_error_at(p, p->line, (int)k + 1, "expected '=' between the key and its value");
		p->skip = true;
		p->have_prev = p->prev_bad = true; /* (inih takes it as a key) */
		return;
	}
	if (s[k] != '=') {
		cp_error_at(p, p->line, (int)i + 1, "expected 'key = value', '[section]' or a "
			    "comment");
		p->skip = true;
		return;
	}
	p->val_col = (int)skip_blanks(s, k + 1) + 1;
	p->have_prev = true;
	p->prev_bad = false;
}

/* inih's reader: the next line of the text, as fgets would give it */
static char *reader(char *str, int num, void *stream)
{
	struct cp *p = stream;
	const char *nl;
	size_t n;

	if (p->expect && !p->handled && !p->skip)
		cp_error_at(p, p->line, p->key_col, "expected 'key = value'");
	p->expect = p->handled = false;
	if (!*p->cur)
		return NULL;
	nl = strchr(p->cur, '\n');
	n = nl ? (size_t)(nl - p->cur) : strlen(p->cur);
	p->line++;
	if (p->line == 1 && n >= 3 && !memcmp(p->cur, "\xef\xbb\xbf", 3)) {
		p->cur += 3; /* a UTF-8 byte order mark */
		n -= 3;
	}
	if (n > PFQD_MAX_LINE || n + 2 > (size_t)num) {
		cp_error_at(p, p->line, PFQD_MAX_LINE + 1, "line longer than %d characters",
			    PFQD_MAX_LINE);
		p->raw[0] = '\0';
	} else {
		memcpy(p->raw, p->cur, n);
		p->raw[n] = '\0';
		if (n && p->raw[n - 1] == '\r')
			p->raw[n - 1] = '\0';
	}
	p->cur += n + (nl ? 1 : 0);
	classify(p);
	snprintf(str, (size_t)num, "%s\n", p->raw);
	return str;
}

static int on_pair(void *user, const char *section_name, const char *key, const char *val)
{
	struct cp *p = user;

	(void)section_name; /* ours, from the reader */
	p->handled = true;
	if (p->skip || p->sec == SEC_BAD)
		return 1;
	if (p->sec == SEC_NONE)
		cp_error_at(p, p->line, p->key_col, "'%s' outside a section (a key goes under "
			    "[pfqd] or [group GID])", key);
	else if (p->sec == SEC_PFQD)
		cp_pfqd_key(p, key, val, p->cont);
	else
		cp_group_key(p, key, val, p->cont);
	return 1;
}

/* the line and column of an error "path:line:col: ..." (0 0 when not) */
static void where(const struct cp *p, const char *e, long *line, long *col)
{
	size_t n = strlen(p->path);
	char *end;

	*line = *col = 0;
	if (strncmp(e, p->path, n) || e[n] != ':')
		return;
	*line = strtol(e + n + 1, &end, 10);
	if (*end == ':')
		*col = strtol(end + 1, NULL, 10);
}

/* errors in the order of the file (computations and filters are checked
 * at the end), stable */
static void sort_errors(const struct cp *p)
{
	struct pfqd_conf *c = p->c;

	for (int i = 1; i < c->nerrors; i++) {
		char *e = c->errors[i];
		long l, col;
		int k = i;

		where(p, e, &l, &col);
		for (; k > 0; k--) {
			long l2, c2;

			where(p, c->errors[k - 1], &l2, &c2);
			if (l2 < l || (l2 == l && c2 <= col))
				break;
			c->errors[k] = c->errors[k - 1];
		}
		c->errors[k] = e;
	}
}

static int by_gid(const void *a, const void *b)
{
	return ((const struct pfqd_group *)a)->gid - ((const struct pfqd_group *)b)->gid;
}

int pfqd_conf_parse_text(struct pfqd_conf *c, const char *text, const char *path, int flags)
{
	struct cp p = { .c = c, .path = path, .flags = flags, .cur = text };
	int rc;

	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	c->control = strdup(PFQD_DEFAULT_CONTROL);
	c->control_mode = 0666; /* who may do what is checked per command */
	if (!c->path || !c->control) {
		cp_error_at(&p, 0, 0, "out of memory");
		return -1;
	}
	p.dead = pcap_open_dead(DLT_EN10MB, 262144);
	if (!p.dead) {
		cp_error_at(&p, 0, 0, "out of memory");
		return -1;
	}
	/* inih's settings (Debian builds them as variables): lines up to
	 * PFQD_MAX_LINE, continuation lines, ';' comments after a blank */
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_initial_alloc = ini_max_line = PFQD_MAX_LINE + 3;
	ini_allow_multiline = true;
	ini_allow_inline_comments = true;
	ini_allow_no_value = false;
	ini_stop_on_first_error = false;
	rc = ini_parse_stream(reader, &p, on_pair, &p);
	if (rc == -2)
		cp_error_at(&p, p.line, 1, "out of memory");
	cp_finish_pfqd(&p);
	for (int i = 0; i < c->ngroups; i++)
		cp_finish_group(&p, &c->groups[i], &p.gxs[i]);
	if (!(flags & PFQD_CONF_SYNTAX_ONLY))
		cp_check_system(&p);
	sort_errors(&p);
	if (c->ngroups > 1)
		qsort(c->groups, (size_t)c->ngroups, sizeof(c->groups[0]), by_gid);
	free(p.gxs);
	pcap_close(p.dead);
	return c->nerrors ? -1 : 0;
}
