// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->root.type = REPORT_OBJ;
	r->root.report = r;
}

static void node_free(struct report_node *n)
{
	struct report_node *c, *next;

	for (c = n->first; c; c = next) {
		next = c->next;
		node_free(c);
		free(c);
	}
	free(n->key);
	free(n->str);
	free(n->words[0]);
	free(n->words[1]);
	free(n->text);
	free(n->head);
	free(n->foot);
	free(n->empty);
}

void report_free(struct report *r)
{
	node_free(&r->root);
	report_init(r);
}

/* Replaces *dst with a copy of s; false (and the report failed) when out of memory. */
static bool set_str(struct report_node *n, char **dst, const char *s)
{
	char *p = NULL;

	if (s && !(p = strdup(s))) {
		n->report->failed = true;
		return false;
	}
	free(*dst);
	*dst = p;
	return true;
}

static struct report_node *add(struct report_node *parent, const char *key, enum report_type t)
{
	struct report_node *n;

	if (!parent)
		return NULL;
	if (parent->type != REPORT_OBJ && parent->type != REPORT_LIST) {
		/* a caller's mistake, but one that must not go by silently */
		parent->report->failed = true;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		parent->report->failed = true;
		return NULL;
	}
	n->type = t;
	n->report = parent->report;
	if (parent->type == REPORT_OBJ && !set_str(n, &n->key, key ? key : "")) {
		free(n);
		return NULL;
	}
	if (parent->last)
		parent->last->next = n;
	else
		parent->first = n;
	parent->last = n;
	return n;
}

struct report_node *report_obj(struct report_node *parent, const char *key)
{
	return add(parent, key, REPORT_OBJ);
}

struct report_node *report_list(struct report_node *parent, const char *key)
{
	return add(parent, key, REPORT_LIST);
}

struct report_node *report_str(struct report_node *parent, const char *key, const char *v)
{
	struct report_node *n = add(parent, key, REPORT_STR);

	if (n && !set_str(n, &n->str, v ? v : ""))
		return NULL;
	return n;
}

struct report_node *report_num(struct report_node *parent, const char *key, double v, int prec)
{
	struct report_node *n = add(parent, key, REPORT_NUM);

	if (n) {
		n->num = v;
		n->prec = prec;
	}
	return n;
}

struct report_node *report_bool(struct report_node *parent, const char *key, bool v)
{
	struct report_node *n = add(parent, key, REPORT_BOOL);

	if (n)
		n->b = v;
	return n;
}

struct report_node *report_set_flags(struct report_node *n, unsigned int flags)
{
	if (n)
		n->flags = flags;
	return n;
}

struct report_node *report_set_head(struct report_node *n, const char *tmpl)
{
	return n && set_str(n, &n->head, tmpl) ? n : NULL;
}

struct report_node *report_set_foot(struct report_node *n, const char *tmpl)
{
	return n && set_str(n, &n->foot, tmpl) ? n : NULL;
}

struct report_node *report_set_empty(struct report_node *n, const char *line)
{
	return n && set_str(n, &n->empty, line) ? n : NULL;
}

struct report_node *report_set_words(struct report_node *n, const char *one, const char *other)
{
	return n && set_str(n, &n->words[0], one) && set_str(n, &n->words[1], other) ? n : NULL;
}

struct report_node *report_set_text(struct report_node *n, const char *text)
{
	return n && set_str(n, &n->text, text) ? n : NULL;
}

static bool is_scalar(const struct report_node *n)
{
	return n->type != REPORT_OBJ && n->type != REPORT_LIST;
}

static void put_num(struct strbuf *out, const struct report_node *n)
{
	if (n->prec < 0)
		strbuf_printf(out, "%g", n->num);
	else
		strbuf_printf(out, "%.*f", n->prec, n->num);
}

/* --- text --- */

static void put_scalar_text(struct strbuf *out, const struct report_node *n)
{
	/* values may be names that processes chose: no terminal escape passes */
	if (n->text) {
		esc_text(out, n->text);
		return;
	}
	switch (n->type) {
	case REPORT_STR:
		esc_text(out, n->str);
		break;
	case REPORT_NUM:
		put_num(out, n);
		if (n->words[0])
			strbuf_printf(out, " %s",
				      n->num == 1 || !n->words[1] ? n->words[0] : n->words[1]);
		break;
	case REPORT_BOOL:
		if (n->words[0])
			strbuf_puts(out, n->b || !n->words[1] ? n->words[0] : n->words[1]);
		else
			strbuf_puts(out, n->b ? "yes" : "no");
		break;
	default:
		break;
	}
}

static void put_indent(struct strbuf *out, int indent)
{
	strbuf_printf(out, "%*s", indent, "");
}

static const struct report_node *member(const struct report_node *obj, const char *key, size_t len)
{
	for (const struct report_node *c = obj->first; c; c = c->next) {
		if (is_scalar(c) && strlen(c->key) == len && !memcmp(c->key, key, len))
			return c;
	}
	return NULL;
}

/* One template line of obj; an unknown key reads as nothing. tmp is scratch space. */
static void put_line(struct strbuf *out, const struct report_node *obj, const char *t, int indent,
		     struct strbuf *tmp)
{
	put_indent(out, indent);
	while (*t) {
		const char *end, *colon;
		const struct report_node *m;
		long width = 0;

		if ((t[0] == '{' || t[0] == '}') && t[1] == t[0]) {
			strbuf_putc(out, t[0]);
			t += 2;
			continue;
		}
		end = t[0] == '{' ? strchr(t, '}') : NULL;
		if (!end) {
			strbuf_putc(out, *t++);
			continue;
		}
		colon = memchr(t, ':', (size_t)(end - t));
		if (colon)
			width = strtol(colon + 1, NULL, 10);
		m = member(obj, t + 1, (size_t)((colon ? colon : end) - t - 1));
		strbuf_reset(tmp);
		if (m)
			put_scalar_text(tmp, m);
		strbuf_printf(out, "%*s", (int)width, tmp->buf ? tmp->buf : "");
		t = end + 1;
	}
	strbuf_putc(out, '\n');
}

static void text_node(struct strbuf *out, const struct report_node *n, int indent,
		      struct strbuf *tmp);

/* The root's parts are paragraphs: a blank line between each two, even an empty one. */
static void text_obj(struct strbuf *out, const struct report_node *o, int indent, bool root,
		     struct strbuf *tmp)
{
	int in = indent;
	bool any = false;

	if (o->head) {
		put_line(out, o, o->head, indent, tmp);
		in = root ? indent : indent + 2;
		any = true;
	} else {
		for (const struct report_node *c = o->first; c; c = c->next) {
			if (!is_scalar(c) || (c->flags & REPORT_JSON_ONLY))
				continue;
			put_indent(out, indent);
			strbuf_printf(out, "%s: ", c->key);
			put_scalar_text(out, c);
			strbuf_putc(out, '\n');
			any = true;
		}
	}
	for (const struct report_node *c = o->first; c; c = c->next) {
		if (is_scalar(c) || (c->flags & REPORT_JSON_ONLY))
			continue;
		if (root && any)
			strbuf_putc(out, '\n');
		text_node(out, c, in, tmp);
		any = true;
	}
	if (o->foot) {
		if (root && any)
			strbuf_putc(out, '\n');
		put_line(out, o, o->foot, indent, tmp);
	}
}

static void text_list(struct strbuf *out, const struct report_node *l, int indent,
		      struct strbuf *tmp)
{
	int in = indent;
	bool any = false;

	if (l->head) {
		put_indent(out, indent);
		strbuf_puts(out, l->head);
		strbuf_putc(out, '\n');
		in += 2;
	}
	for (const struct report_node *e = l->first; e; e = e->next) {
		if (e->flags & REPORT_JSON_ONLY)
			continue;
		text_node(out, e, in, tmp);
		any = true;
	}
	if (!any && l->empty) {
		put_indent(out, in);
		strbuf_puts(out, l->empty);
		strbuf_putc(out, '\n');
	}
}

static void text_node(struct strbuf *out, const struct report_node *n, int indent,
		      struct strbuf *tmp)
{
	if (n->type == REPORT_OBJ) {
		text_obj(out, n, indent, false, tmp);
	} else if (n->type == REPORT_LIST) {
		text_list(out, n, indent, tmp);
	} else {
		put_indent(out, indent);
		put_scalar_text(out, n);
		strbuf_putc(out, '\n');
	}
}

int report_text(const struct report *r, struct strbuf *out)
{
	struct strbuf tmp;

	if (r->failed)
		return -ENOMEM;
	strbuf_init(&tmp);
	text_obj(out, &r->root, 0, true, &tmp);
	strbuf_free(&tmp);
	return out->failed || tmp.failed ? -ENOMEM : 0;
}

/* --- JSON --- */

static void json_break(struct strbuf *out, int depth)
{
	strbuf_putc(out, '\n');
	strbuf_printf(out, "%*s", 2 * depth, "");
}

/* Returns whether the value spanned lines. */
static bool json_node(struct strbuf *out, const struct report_node *n, int depth)
{
	bool lines = n->type == REPORT_LIST && (n->flags & REPORT_LINES);
	bool first = true, broke = false, any_broke = false;

	switch (n->type) {
	case REPORT_STR:
		strbuf_json_str(out, n->str);
		return false;
	case REPORT_NUM:
		/* JSON has no NaN nor infinities */
		if (isfinite(n->num))
			put_num(out, n);
		else
			strbuf_puts(out, "null");
		return false;
	case REPORT_BOOL:
		strbuf_puts(out, n->b ? "true" : "false");
		return false;
	default:
		break;
	}
	strbuf_putc(out, n->type == REPORT_OBJ ? '{' : '[');
	for (const struct report_node *c = n->first; c; c = c->next) {
		if (c->flags & REPORT_TEXT_ONLY)
			continue;
		if (!first)
			strbuf_putc(out, ',');
		if (lines || broke)
			json_break(out, depth + 1);
		if (n->type == REPORT_OBJ) {
			strbuf_json_str(out, c->key);
			strbuf_putc(out, ':');
		}
		broke = json_node(out, c, depth + 1);
		any_broke |= broke;
		first = false;
	}
	lines = lines && !first;
	if (lines || broke)
		json_break(out, depth);
	strbuf_putc(out, n->type == REPORT_OBJ ? '}' : ']');
	return lines || any_broke;
}

int report_json(const struct report *r, struct strbuf *out)
{
	if (r->failed)
		return -ENOMEM;
	json_node(out, &r->root, 0);
	strbuf_putc(out, '\n');
	return out->failed ? -ENOMEM : 0;
}
