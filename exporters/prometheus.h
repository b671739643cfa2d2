/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_PROMETHEUS_H
#define OSISCOPE_PROMETHEUS_H

#include <stdbool.h>
#include <stdint.h>

#include "../user/registry.h"
#include "../user/strbuf.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Renders every metric of reg in the Prometheus text format 0.0.4. The caller holds
 * the registry lock. Histograms are rendered cumulative with _bucket/_sum/_count. */
void prom_render(const struct registry *reg, struct strbuf *out);
/* Escapes a label value into out: its display form (exporters/escape.h: invalid UTF-8
 * bytes as \xNN, backslashes doubled), then backslash, double quote and newline. */
void prom_escape_label(struct strbuf *out, const char *v);
/* Formats a sample value the way Prometheus parses it (+Inf, -Inf, NaN, integers
 * without exponent). buf must hold 32 bytes. */
const char *prom_format_value(double v, char *buf);

/* The HTTP server's limits against slow or many clients. */
#define PROM_CONN_TIMEOUT_S 10 /* an idle connection is closed */
#define PROM_CONN_MAX 256 /* connections at once */
#define PROM_CONN_PER_IP 16 /* connections at once from one address */
#define PROM_THREADS 4

/* HTTP server (libmicrohttpd). scrape() fills out with the whole body; ready() says
 * whether /-/ready answers 200. Both are called from the server's threads, several at
 * once (PROM_THREADS): scrape() serializes what it needs. */
struct prom_server;
struct prom_server_ops {
	int (*scrape)(void *ctx, struct strbuf *out);
	bool (*ready)(void *ctx);
	void *ctx;
};
/* addr is "[HOST]:PORT" (":10700", "127.0.0.1:9000", "[::1]:9000"). On failure
 * returns NULL and writes a reason into err. */
struct prom_server *prom_server_start(const char *addr, const struct prom_server_ops *ops,
				      char *err, size_t errlen);
void prom_server_stop(struct prom_server *srv);
/* Parses "[HOST]:PORT"; 0 or -EINVAL. host gets "" for all addresses. */
int prom_parse_listen(const char *addr, char *host, size_t hostlen, uint16_t *port);

/* gzip (RFC 1952) of in; 0 or -1. */
int prom_gzip(const char *in, size_t len, struct strbuf *out);

#endif
