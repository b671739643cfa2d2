/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one place where text that osiscope did not write (process names, device names,
 * cgroup and file paths, DNS names, OpenSSL texts) is made safe for an output. Every
 * output applies the same mapping first, the "display form" of the raw bytes:
 *
 *   valid UTF-8 (RFC 3629) is kept, a backslash becomes two, and each byte of an
 *   invalid sequence becomes \xNN (lowercase hex).
 *
 * The mapping is injective (a raw "\xff" text is "\\xff", a 0xff byte "\xff") and its
 * result is valid UTF-8, so distinct raw values never collapse into one series and a
 * Prometheus server or JSON parser never rejects a scrape or a line. Each output then
 * quotes the display form its own way: Prometheus label escapes, JSON \u escapes for
 * control characters, and for a terminal \xNN for every control character (C0, DEL,
 * C1) so that no escape sequence reaches it. Columns are for people, not parsers: there
 * a backslash stays single (a DNS name's "\032" reads as it does in dig).
 */
#ifndef OSISCOPE_ESCAPE_H
#define OSISCOPE_ESCAPE_H

#include <stddef.h>

#include "../user/strbuf.h"

/* Length of the valid UTF-8 sequence at p (NUL-terminated), 0 if there is none. */
size_t esc_utf8_seq(const unsigned char *p);
/* The display form of s, appended to out. */
void esc_display(struct strbuf *out, const char *s);
/* A Prometheus label value (text format 0.0.4), without its quotes. */
void esc_prom_label(struct strbuf *out, const char *s);
/* A JSON string, quotes included. */
void esc_json_str(struct strbuf *out, const char *s);
/* For a terminal (text reports): invalid bytes and control characters as \xNN but line
 * feed and tab, appended to out. */
void esc_text(struct strbuf *out, const char *s);
/* For a terminal, one line (trace columns): every control character as \xNN, into buf
 * (cut at len - 1 on a character boundary); returns buf. */
const char *esc_column(char *buf, size_t len, const char *s);

#endif
