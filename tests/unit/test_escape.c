// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One escaping for every output (exporters/escape.c): issue 12, findings 4 and 5. */
#include <stdlib.h>

#include "escape.h"
#include "test.h"

static const char *label(struct strbuf *sb, const char *raw)
{
	strbuf_reset(sb);
	esc_prom_label(sb, raw);
	return sb->buf ? sb->buf : "";
}

/* Whether s is valid UTF-8 all through. */
static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = esc_utf8_seq(p);

		if (!n)
			return false;
		p += n;
	}
	return true;
}

TEST(escape_labels_stay_distinct)
{
	/* three process names that all rendered as "curl\uFFFD": one series */
	const char *raw[] = { "curl\xff",  "curl\xfe",	  "curl\xef\xbf\xbd",
			      "curl\\xff", "curl\\\\xff", "curl\\",
			      "curl" };
	const size_t n = sizeof(raw) / sizeof(raw[0]);
	char *seen[sizeof(raw) / sizeof(raw[0])];
	struct strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < n; i++) {
		seen[i] = strdup(label(&sb, raw[i]));
		ASSERT_TRUE(valid_utf8(seen[i]), "valid UTF-8");
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (!ASSERT_TRUE(strcmp(seen[i], seen[j]),
					 "distinct raw values stay apart"))
				fprintf(stderr, "  %zu and %zu: %s\n", i, j, seen[i]);
	ASSERT_STREQ(seen[0], "curl\\\\xff", "0xff byte");
	ASSERT_STREQ(seen[2], "curl\xef\xbf\xbd", "a real U+FFFD is kept");
	ASSERT_STREQ(seen[3], "curl\\\\\\\\xff", "the text \\xff");
	for (size_t i = 0; i < n; i++)
		free(seen[i]);
	strbuf_free(&sb);
}

TEST(escape_json)
{
	struct strbuf sb;

	strbuf_init(&sb);
	esc_json_str(&sb, "a\"b\\c\n\x1b[31m\x7f\xc2\x9b|\xff\xc3");
	ASSERT_STREQ(sb.buf, "\"a\\\"b\\\\\\\\c\\n\\u001b[31m\\u007f\\u009b|\\\\xff\\\\xc3\"",
		     "quotes, backslash, controls, C1, invalid bytes");
	ASSERT_TRUE(valid_utf8(sb.buf), "valid UTF-8");
	strbuf_reset(&sb);
	strbuf_json_str(&sb, "\xfe");
	ASSERT_STREQ(sb.buf, "\"\\\\xfe\"", "strbuf_json_str is the same escaping");
	strbuf_free(&sb);
}

TEST(escape_columns)
{
	char buf[64];

	ASSERT_STREQ(esc_column(buf, sizeof(buf),
				"\x1b]0;owned\x07x\xc2\x9b"
				"2J\xff"),
		     "\\x1b]0;owned\\x07x\\xc2\\x9b2J\\xff", "no terminal escape passes");
	ASSERT_STREQ(esc_column(buf, sizeof(buf), "caf\xc3\xa9"), "caf\xc3\xa9", "UTF-8 kept");
	ASSERT_STREQ(esc_column(buf, 5, "caf\xc3\xa9"), "caf", "cut before a whole sequence");
	ASSERT_STREQ(esc_column(buf, 1, "abc"), "", "no room");
}
