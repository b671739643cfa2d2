/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_STRBUF_H
#define OSISCOPE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/* Growable byte buffer. On allocation failure it sets .failed and drops further
 * output, so callers check once at the end instead of after every append. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	int failed;
};

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
__attribute__((format(printf, 2, 3))) void strbuf_printf(struct strbuf *sb, const char *fmt, ...);
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included: esc_json_str() of
 * exporters/escape.h (valid UTF-8 always, invalid bytes as \\xNN). */
void strbuf_json_str(struct strbuf *sb, const char *s);

#endif
