// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Label escaping and the exposition (exporters/escape.c, prometheus.c): two values (the
 * input split at its first NUL) as label values of one metric. Every output is valid
 * UTF-8 with no raw control character where it must not be; distinct values stay
 * distinct (one series each). */
#include "escape.h"
#include "fuzz.h"
#include "prometheus.h"
#include "registry.h"

static bool valid_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		size_t n = *p ? esc_utf8_seq(p) : 1;

		if (!n || (size_t)(end - p) < n)
			return false;
		p += n;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct metric_desc d = { .name = "osiscope_fuzz_total",
				       .help = "Fuzz.",
				       .type = METRIC_COUNTER,
				       .labels = { "comm" } };
	char *a = fuzz_str(data, size), *b, col[96];
	struct strbuf x, y;
	struct registry *reg;
	struct metric *m;
	size_t lines = 0;

	if (!a)
		return 0;
	b = a + strlen(a) + (strlen(a) < size); /* after the first NUL, or "" */
	strbuf_init(&x);
	strbuf_init(&y);
	esc_prom_label(&x, a);
	esc_prom_label(&y, b);
	FUZZ_CHECK(valid_utf8(x.buf ? x.buf : "", x.len), "label not UTF-8");
	FUZZ_CHECK(!memchr(x.buf ? x.buf : "", '\n', x.len), "raw newline in a label");
	FUZZ_CHECK(!strcmp(a, b) == (x.len == y.len && (!x.len || !memcmp(x.buf, y.buf, x.len))),
		   "distinct values rendered alike");
	strbuf_reset(&x);
	esc_json_str(&x, a);
	FUZZ_CHECK(!x.failed && valid_utf8(x.buf, x.len), "JSON not UTF-8");
	for (size_t i = 0; i < x.len; i++)
		FUZZ_CHECK((unsigned char)x.buf[i] >= 0x20 && x.buf[i] != 0x7f,
			   "raw control character in JSON");
	strbuf_reset(&x);
	esc_text(&x, a);
	for (size_t i = 0; i < x.len; i++)
		FUZZ_CHECK((unsigned char)x.buf[i] >= 0x20 ? x.buf[i] != 0x7f
							   : x.buf[i] == '\n' || x.buf[i] == '\t',
			   "control character in text output");
	esc_column(col, sizeof(col), a);
	for (const char *p = col; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "control character in columns");
	FUZZ_CHECK(valid_utf8(col, strlen(col)), "column text not UTF-8");

	reg = registry_new(16);
	m = reg ? registry_add(reg, &d) : NULL;
	if (m) {
		metric_counter_add(m, (const char *const[]){ a }, 1);
		metric_counter_add(m, (const char *const[]){ b }, 1);
		strbuf_reset(&x);
		prom_render(reg, &x);
		FUZZ_CHECK(!x.failed && valid_utf8(x.buf, x.len), "exposition not UTF-8");
		for (const char *p = x.buf; (p = strstr(p, "\nosiscope_fuzz_total{")); p++)
			lines++;
		FUZZ_CHECK(lines == (strcmp(a, b) ? 2u : 1u), "one series per distinct value");
	}
	if (reg)
		registry_free(reg);
	strbuf_free(&x);
	strbuf_free(&y);
	free(a);
	return 0;
}
