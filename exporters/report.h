/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_REPORT_H
#define OSISCOPE_REPORT_H

#include <stdbool.h>

#include "../user/strbuf.h"

/*
 * A report: what a command found (probe, diagnose), as plain data that one renderer
 * prints as text or as JSON. The command builds a tree of objects, lists and scalars
 * and says how it reads as text; padding, indentation, escaping and number formats are
 * the renderer's.
 *
 * JSON: objects and lists map one to one and members keep the order they were added
 * in. Everything is on one line, except a list marked REPORT_LINES (one element per
 * line), and a value that spans lines is followed by a line break.
 *
 * Text:
 *  - the root prints its head line, then each of its lists and objects, then its foot
 *    line, as paragraphs separated by one blank line;
 *  - an object prints its head line, then its lists and objects two columns further
 *    in, then its foot line; without a head, one "key: value" line per scalar member;
 *  - a list prints its heading (its elements then go two columns further in), then
 *    each element (a scalar on a line of its own), or its empty line if it has none.
 * Head and foot lines are templates: {key} is the text of the object's scalar member
 * called key, {key:N} pads it to N columns, {key:-N} pads it on the right; {{ and }}
 * are braces. A scalar's text is its value (a bool: yes or no), unless set otherwise.
 *
 * Every string is copied. A failed allocation sets report.failed and makes the call
 * return NULL, and every call takes a NULL node and does nothing: a command checks
 * failed once, when it has built the report.
 */

enum report_type {
	REPORT_STR,
	REPORT_NUM,
	REPORT_BOOL,
	REPORT_OBJ,
	REPORT_LIST,
};

#define REPORT_TEXT_ONLY (1u << 0) /* left out of the JSON */
#define REPORT_JSON_ONLY (1u << 1) /* left out of the text (templates still see it) */
#define REPORT_LINES (1u << 2) /* JSON: a list with one element per line */

struct report;

struct report_node {
	enum report_type type;
	unsigned int flags;
	char *key; /* the member's name in its object; NULL in a list */
	char *str;
	double num;
	int prec; /* number: digits after the point, or -1 for the shortest form (%g) */
	bool b;
	char *words[2]; /* text of a bool (true, false), or a number's unit (one, more) */
	char *text; /* text shown in place of the value */
	char *head, *foot; /* object: template lines; list: head is the heading */
	char *empty; /* list: the line shown when it has no element */
	struct report_node *first, *last; /* object members, list elements */
	struct report_node *next;
	struct report *report;
};

struct report {
	struct report_node root; /* an object */
	bool failed;
};

void report_init(struct report *r);
void report_free(struct report *r);

/* Add to parent (an object, or a list when key is NULL) and return the new node. */
struct report_node *report_obj(struct report_node *parent, const char *key);
struct report_node *report_list(struct report_node *parent, const char *key);
struct report_node *report_str(struct report_node *parent, const char *key, const char *v);
struct report_node *report_num(struct report_node *parent, const char *key, double v, int prec);
struct report_node *report_bool(struct report_node *parent, const char *key, bool v);

/* How a node reads; each returns n. */
struct report_node *report_set_flags(struct report_node *n, unsigned int flags);
struct report_node *report_set_head(struct report_node *n, const char *tmpl);
struct report_node *report_set_foot(struct report_node *n, const char *tmpl);
struct report_node *report_set_empty(struct report_node *n, const char *line);
struct report_node *report_set_words(struct report_node *n, const char *one, const char *other);
struct report_node *report_set_text(struct report_node *n, const char *text);

/* Append the report to out; -ENOMEM (and nothing appended) if building it failed. */
int report_text(const struct report *r, struct strbuf *out);
int report_json(const struct report *r, struct strbuf *out);

#endif
