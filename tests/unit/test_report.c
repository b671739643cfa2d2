// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>

#include "report.h"
#include "strbuf.h"
#include "test.h"

static const char *text(const struct report *r, struct strbuf *sb)
{
	strbuf_reset(sb);
	return report_text(r, sb) ? NULL : sb->buf;
}

static const char *json(const struct report *r, struct strbuf *sb)
{
	strbuf_reset(sb);
	return report_json(r, sb) ? NULL : sb->buf;
}

/* probe's shape: a title, two lists of rows under headings, text-only and JSON-only
 * fields, one element per line in JSON */
TEST(report_rows)
{
	struct report_node *root, *list, *row;
	struct report r;
	struct strbuf sb;

	strbuf_init(&sb);
	report_init(&r);
	root = &r.root;
	report_set_head(root, "kernel {kernel}, libbpf {libbpf}");
	report_str(root, "kernel", "6.18");
	report_set_flags(report_str(root, "libbpf", "v1.1"), REPORT_TEXT_ONLY);
	list = report_set_flags(report_list(root, "features"), REPORT_LINES);
	report_set_head(list, "features:");
	for (int i = 0; i < 2; i++) {
		row = report_set_head(report_obj(list, NULL), "{name:-8} {ok:-4} {detail}");
		report_str(row, "name", i ? "fentry" : "btf");
		report_set_words(report_bool(row, "ok", !i), "yes", "no");
		report_str(row, "detail", i ? "EPERM" : "ok");
		if (!i)
			report_set_text(row->last, "");
	}
	list = report_set_flags(report_list(root, "layers"), REPORT_LINES);
	report_set_head(list, "layers:");
	row = report_set_head(report_obj(list, NULL), "{name:-8} {ok:-4} {detail}");
	report_str(row, "name", "tcp");
	report_bool(row, "ok", true);
	report_str(row, "detail", "hooks: a b");
	if (!ASSERT_TRUE(!r.failed, "built"))
		goto out;
	ASSERT_STREQ(text(&r, &sb),
		     "kernel 6.18, libbpf v1.1\n"
		     "\n"
		     "features:\n"
		     "  btf      yes  \n"
		     "  fentry   no   EPERM\n"
		     "\n"
		     "layers:\n"
		     "  tcp      yes  hooks: a b\n",
		     "text");
	ASSERT_STREQ(json(&r, &sb),
		     "{\"kernel\":\"6.18\",\"features\":[\n"
		     "    {\"name\":\"btf\",\"ok\":true,\"detail\":\"ok\"},\n"
		     "    {\"name\":\"fentry\",\"ok\":false,\"detail\":\"EPERM\"}\n"
		     "  ],\n"
		     "  \"layers\":[\n"
		     "    {\"name\":\"tcp\",\"ok\":true,\"detail\":\"hooks: a b\"}\n"
		     "  ]\n"
		     "}\n",
		     "json: lists one element per line");
out:
	report_free(&r);
	strbuf_free(&sb);
}

/* diagnose's shape: groups with nested rows, an empty line, numbers with units */
TEST(report_groups)
{
	struct report_node *root, *groups, *g, *rows, *f, *labels;
	struct report r;
	struct strbuf sb;

	strbuf_init(&sb);
	report_init(&r);
	root = &r.root;
	report_set_head(root, "diagnose: {duration} s");
	report_num(root, "duration", 2.5, -1);
	groups = report_list(root, "layers");
	for (int i = 0; i < 3; i++) {
		g = report_set_head(report_obj(groups, NULL), "{layer}: {up}{detail}");
		report_str(g, "layer", i == 0 ? "tcp" : i == 1 ? "dns" : "udp");
		report_set_words(report_bool(g, "up", i < 2), "up", "unavailable: ");
		report_str(g, "detail", i < 2 ? "" : "not built");
		rows = report_list(g, "findings");
		if (i < 2)
			report_set_empty(rows, "nothing wrong seen");
		if (i)
			continue;
		f = report_set_head(report_obj(rows, NULL), "{where:-12} {count:4} {what}");
		report_set_flags(report_str(f, "where", "netns 1"), REPORT_TEXT_ONLY);
		report_num(f, "netns", 1, 0);
		labels = report_set_flags(report_obj(f, "labels"), REPORT_JSON_ONLY);
		report_str(labels, "netns", "1");
		report_str(labels, "result", "refused");
		report_str(f, "what", "refused");
		report_num(f, "count", 3, 0);
	}
	report_set_foot(root, "{issues}");
	report_set_words(report_num(root, "issues", 1, 0), "issue", "issues");
	if (!ASSERT_TRUE(!r.failed, "built"))
		goto out;
	ASSERT_STREQ(text(&r, &sb),
		     "diagnose: 2.5 s\n"
		     "\n"
		     "tcp: up\n"
		     "  netns 1         3 refused\n"
		     "dns: up\n"
		     "  nothing wrong seen\n"
		     "udp: unavailable: not built\n"
		     "\n"
		     "1 issue\n",
		     "text");
	ASSERT_STREQ(json(&r, &sb),
		     "{\"duration\":2.5,\"layers\":["
		     "{\"layer\":\"tcp\",\"up\":true,\"detail\":\"\",\"findings\":[{\"netns\":1,"
		     "\"labels\":{\"netns\":\"1\",\"result\":\"refused\"},\"what\":\"refused\","
		     "\"count\":3}]},"
		     "{\"layer\":\"dns\",\"up\":true,\"detail\":\"\",\"findings\":[]},"
		     "{\"layer\":\"udp\",\"up\":false,\"detail\":\"not built\",\"findings\":[]}"
		     "],\"issues\":1}\n",
		     "json: compact");
	root->last->num = 0;
	ASSERT_CONTAINS(text(&r, &sb), "\n\n0 issues\n", "plural");
	/* an empty list is still a paragraph of the root */
	report_free(&r);
	report_init(&r);
	report_set_head(&r.root, "t");
	report_list(&r.root, "l");
	report_set_foot(&r.root, "f");
	ASSERT_STREQ(text(&r, &sb), "t\n\n\nf\n", "empty paragraph");
	ASSERT_STREQ(json(&r, &sb), "{\"l\":[]}\n", "empty list");
out:
	report_free(&r);
	strbuf_free(&sb);
}

TEST(report_json_escaping)
{
	struct report_node *l;
	struct report r;
	struct strbuf sb;

	strbuf_init(&sb);
	report_init(&r);
	report_str(&r.root, "quote\"key", "say \"hi\" \\ back");
	report_str(&r.root, "lines", "one\ntwo\r\n\tthree");
	report_str(&r.root, "ctl", "\x01\x1f\x7f end");
	report_str(&r.root, "utf8", "caf\xc3\xa9");
	report_str(&r.root, "null", NULL);
	l = report_list(&r.root, "nums");
	report_num(l, NULL, 0.1, -1);
	report_num(l, NULL, 1e21, -1);
	report_num(l, NULL, 2.5, 0);
	report_num(l, NULL, -3, 2);
	report_num(l, NULL, NAN, -1);
	report_num(l, NULL, INFINITY, 0);
	report_bool(l, NULL, false);
	ASSERT_STREQ(json(&r, &sb),
		     /* the display form doubles a backslash (exporters/escape.h) */
		     "{\"quote\\\"key\":\"say \\\"hi\\\" \\\\\\\\ back\","
		     "\"lines\":\"one\\ntwo\\r\\n\\tthree\","
		     "\"ctl\":\"\\u0001\\u001f\\u007f end\","
		     "\"utf8\":\"caf\xc3\xa9\","
		     "\"null\":\"\","
		     "\"nums\":[0.1,1e+21,2,-3.00,null,null,false]}\n",
		     "escaped strings, numbers JSON can read");
	/* text is printed as it is, but for what a terminal would take as a command */
	report_free(&r);
	report_init(&r);
	report_set_head(&r.root, "[{s}]");
	report_str(&r.root, "s", "a \"b\"\nc\x1b[2J\xff");
	ASSERT_STREQ(text(&r, &sb), "[a \"b\"\nc\\x1b[2J\\xff]\n", "text unescaped, escapes shown");
	report_free(&r);
	strbuf_free(&sb);
}

TEST(report_templates)
{
	struct report_node *o, *l;
	struct report r;
	struct strbuf sb;

	strbuf_init(&sb);
	report_init(&r);
	report_set_head(&r.root, "{{{a}}} {a:5}|{a:-5}|{missing}|{a:1}|{b}{c} {unclosed");
	report_str(&r.root, "a", "xyz");
	report_num(&r.root, "b", 7, 0);
	report_set_words(r.root.last, "unit", "units");
	report_set_text(report_bool(&r.root, "c", true), "!");
	ASSERT_STREQ(text(&r, &sb), "{xyz}   xyz|xyz  ||xyz|7 units! {unclosed\n", "template");

	/* without templates: one "key: value" line per scalar, lists of scalars */
	report_free(&r);
	report_init(&r);
	report_str(&r.root, "cause", "neigh_failed");
	report_set_flags(report_str(&r.root, "hidden", "x"), REPORT_JSON_ONLY);
	report_bool(&r.root, "ok", false);
	l = report_set_head(report_list(&r.root, "symptoms"), "symptoms:");
	report_str(l, NULL, "connect timeouts");
	report_str(l, NULL, "dns timeouts");
	o = report_obj(&r.root, "evidence");
	report_num(o, "count", 3, 0);
	ASSERT_STREQ(text(&r, &sb),
		     "cause: neigh_failed\n"
		     "ok: no\n"
		     "\n"
		     "symptoms:\n"
		     "  connect timeouts\n"
		     "  dns timeouts\n"
		     "\n"
		     "count: 3\n",
		     "default layout");
	ASSERT_STREQ(json(&r, &sb),
		     "{\"cause\":\"neigh_failed\",\"hidden\":\"x\",\"ok\":false,"
		     "\"symptoms\":[\"connect timeouts\",\"dns timeouts\"],"
		     "\"evidence\":{\"count\":3}}\n",
		     "default json");
	report_free(&r);
	strbuf_free(&sb);
}

TEST(report_failed)
{
	struct report_node *s;
	struct report r;
	struct strbuf sb;

	strbuf_init(&sb);
	report_init(&r);
	ASSERT_TRUE(report_str(NULL, "a", "b") == NULL, "NULL parent");
	ASSERT_TRUE(report_set_head(NULL, "x") == NULL, "NULL node");
	ASSERT_TRUE(!r.failed, "NULL is not a failure of this report");
	s = report_str(&r.root, "a", "b");
	ASSERT_TRUE(report_obj(s, "c") == NULL, "a scalar has no members");
	ASSERT_TRUE(r.failed, "marked failed");
	ASSERT_EQ(report_text(&r, &sb), -ENOMEM, "text refused");
	ASSERT_EQ(report_json(&r, &sb), -ENOMEM, "json refused");
	ASSERT_EQ(sb.len, 0, "nothing written");
	report_free(&r);
	ASSERT_TRUE(!r.failed && !r.root.first, "free leaves an empty report");
	strbuf_free(&sb);
}
