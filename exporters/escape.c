// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "escape.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* RFC 3629 table 3-7: no overlong forms, UTF-16 surrogates or code points past
 * U+10FFFF. Reads no further than the first byte that does not fit (so never past the
 * terminating NUL). */
size_t esc_utf8_seq(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* What one output does with a character of the display form: put is called with
 * every valid sequence (after backslashes were doubled and invalid bytes written as
 * \xNN, which reach it as plain ASCII). */
typedef void (*esc_put_fn)(struct strbuf *out, const unsigned char *c, size_t n);

static void put_plain(struct strbuf *out, const unsigned char *c, size_t n)
{
	strbuf_append(out, (const char *)c, n);
}

static void display(struct strbuf *out, const char *s, esc_put_fn put, bool injective)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = esc_utf8_seq(p);

		if (*p == '\\' && injective) {
			put(out, (const unsigned char *)"\\\\", 2);
			p++;
		} else if (!n) {
			unsigned char x[4] = { '\\', 'x', (unsigned char)hex[*p >> 4],
					       (unsigned char)hex[*p & 15] };

			put(out, x, 4);
			p++;
		} else {
			put(out, p, n);
			p += n;
		}
	}
}

void esc_display(struct strbuf *out, const char *s)
{
	display(out, s, put_plain, true);
}

/* Text format 0.0.4: backslash, double quote and line feed are escaped in a label
 * value, everything else is taken as it is (and must be valid UTF-8). */
static void put_prom(struct strbuf *out, const unsigned char *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (c[i] == '\\')
			strbuf_puts(out, "\\\\");
		else if (c[i] == '"')
			strbuf_puts(out, "\\\"");
		else if (c[i] == '\n')
			strbuf_puts(out, "\\n");
		else
			strbuf_putc(out, (char)c[i]);
	}
}

void esc_prom_label(struct strbuf *out, const char *s)
{
	display(out, s, put_prom, true);
}

/* RFC 8259: quotation mark, reverse solidus and the control characters U+0000 to
 * U+001F must be escaped; DEL and C1 are escaped too, for whoever prints the line. */
static void put_json(struct strbuf *out, const unsigned char *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (c[i]) {
		case '"':
			strbuf_puts(out, "\\\"");
			break;
		case '\\':
			strbuf_puts(out, "\\\\");
			break;
		case '\n':
			strbuf_puts(out, "\\n");
			break;
		case '\t':
			strbuf_puts(out, "\\t");
			break;
		case '\r':
			strbuf_puts(out, "\\r");
			break;
		default:
			if (c[i] < 0x20 || c[i] == 0x7f)
				strbuf_printf(out, "\\u%04x", c[i]);
			else if (n == 2 && c[0] == 0xc2 && c[1] < 0xa0) /* U+0080..U+009F */
				return (void)strbuf_printf(out, "\\u%04x", c[1]);
			else
				strbuf_putc(out, (char)c[i]);
		}
	}
}

void esc_json_str(struct strbuf *out, const char *s)
{
	strbuf_putc(out, '"');
	display(out, s, put_json, true);
	strbuf_putc(out, '"');
}

/* Control characters (C0, DEL, and C1, which terminals may take for ESC [ and the
 * like) as the \xNN of their bytes. */
static void put_column(struct strbuf *out, const unsigned char *c, size_t n)
{
	if ((n == 1 && (c[0] < 0x20 || c[0] == 0x7f)) || (n == 2 && c[0] == 0xc2 && c[1] < 0xa0)) {
		for (size_t i = 0; i < n; i++)
			strbuf_printf(out, "\\x%02x", c[i]);
		return;
	}
	strbuf_append(out, (const char *)c, n);
}

/* Text output keeps its layout: line feeds and tabs pass, other controls do not. */
static void put_text(struct strbuf *out, const unsigned char *c, size_t n)
{
	if (n == 1 && (c[0] == '\n' || c[0] == '\t'))
		strbuf_putc(out, (char)c[0]);
	else
		put_column(out, c, n);
}

void esc_text(struct strbuf *out, const char *s)
{
	display(out, s, put_text, false);
}

const char *esc_column(char *buf, size_t len, const char *s)
{
	struct strbuf sb;
	size_t n;

	if (!len)
		return buf;
	strbuf_init(&sb);
	display(&sb, s, put_column, false);
	n = sb.len < len ? sb.len : len - 1;
	/* never half a UTF-8 sequence at the cut */
	while (n && n < sb.len && ((unsigned char)sb.buf[n] & 0xc0) == 0x80)
		n--;
	if (n)
		memcpy(buf, sb.buf, n);
	buf[n] = '\0';
	strbuf_free(&sb);
	return buf;
}
