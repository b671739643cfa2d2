/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_LOG_H
#define OSISCOPE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_LOGFMT, LOG_JSON };

void log_setup(enum log_level level, enum log_format format);
enum log_level log_get_level(void);
/* One line to stderr: logfmt `ts=... level=warn msg="..."` or a JSON object. */
__attribute__((format(printf, 2, 3))) void log_msg(enum log_level level, const char *fmt, ...);

#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_err(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Routes libbpf's own messages through log_msg; libbpf debug output only with -v. */
void log_setup_libbpf(int verbose);

#endif
