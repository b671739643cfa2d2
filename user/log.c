// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "log.h"

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "strbuf.h"

static enum log_level min_level = LOG_INFO;
static enum log_format out_format = LOG_LOGFMT;
static int libbpf_verbose;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_setup(enum log_level level, enum log_format format)
{
	min_level = level;
	out_format = format;
}

enum log_level log_get_level(void)
{
	return min_level;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	struct strbuf msg, line;
	struct timespec ts;
	struct tm tm;
	char when[96];

	if (level < min_level)
		return;
	strbuf_init(&msg);
	strbuf_init(&line);
	strbuf_vprintf(&msg, fmt, ap);
	while (msg.len && msg.buf[msg.len - 1] == '\n')
		msg.buf[--msg.len] = '\0';
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ts.tv_nsec / 1000000);
	if (out_format == LOG_JSON) {
		strbuf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", when,
			      level_names[level]);
		strbuf_json_str(&line, msg.buf ? msg.buf : "");
		strbuf_puts(&line, "}\n");
	} else {
		/* logfmt quotes with the same escapes as JSON strings */
		strbuf_printf(&line, "ts=%s level=%s msg=", when, level_names[level]);
		strbuf_json_str(&line, msg.buf ? msg.buf : "");
		strbuf_putc(&line, '\n');
	}
	if (!line.failed)
		fputs(line.buf, stderr);
	strbuf_free(&msg);
	strbuf_free(&line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	/* libbpf warnings are mostly expected noise while probing: show them at debug,
	 * the caller logs the failure that matters with its reason. */
	log_vmsg(libbpf_verbose ? LOG_INFO : LOG_DEBUG, fmt, ap);
	return 0;
}

void log_setup_libbpf(int verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
}
