// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "prometheus.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "../user/log.h"
#include "escape.h"

void prom_escape_label(struct strbuf *out, const char *v)
{
	/* Label values come from the kernel and from containers (comm, device names, paths)
	 * and may hold any byte: one invalid UTF-8 sequence would make Prometheus reject the
	 * whole scrape, and replacing it by U+FFFD made "curl\xff" and "curl\xfe" one
	 * series. The display form keeps them apart (exporters/escape.h). */
	esc_prom_label(out, v);
}

const char *prom_format_value(double v, char *buf)
{
	if (isnan(v))
		return strcpy(buf, "NaN");
	if (isinf(v))
		return strcpy(buf, v > 0 ? "+Inf" : "-Inf");
	/* Counters are whole numbers: print them as such, not as 1.234e+06. */
	if (fabs(v) < 9007199254740992.0 && (double)(long long)v == v) {
		snprintf(buf, 32, "%lld", (long long)v);
		return buf;
	}
	snprintf(buf, 32, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, 32, "%.17g", v);
	return buf;
}

static void put_help(struct strbuf *out, const char *help)
{
	const char *run = help;

	for (; *help; help++) {
		if (*help != '\\' && *help != '\n')
			continue;
		strbuf_append(out, run, (size_t)(help - run));
		strbuf_puts(out, *help == '\\' ? "\\\\" : "\\n");
		run = help + 1;
	}
	strbuf_append(out, run, (size_t)(help - run));
}

/* Labels derived from a series' own (registry.h), computed once per series. */
struct derived {
	const struct label_derivation *d;
	unsigned int src;
	char v[DERIVED_MAX_LABELS][DERIVED_VALUE_LEN];
};

static void put_sample_name(struct strbuf *out, const struct metric *m, const char *suffix,
			    const struct series *s, const struct derived *dv, const char *le)
{
	unsigned int nd = dv->d ? dv->d->n : 0;

	strbuf_puts(out, m->desc.name);
	if (suffix)
		strbuf_puts(out, suffix);
	if (!m->nlabels && !le)
		return;
	strbuf_putc(out, '{');
	for (unsigned int i = 0; i < m->nlabels; i++) {
		if (i)
			strbuf_putc(out, ',');
		strbuf_puts(out, m->desc.labels[i]);
		strbuf_puts(out, "=\"");
		prom_escape_label(out, s->values[i]);
		strbuf_putc(out, '"');
	}
	for (unsigned int i = 0; i < nd; i++) {
		strbuf_putc(out, ',');
		strbuf_puts(out, dv->d->names[i]);
		strbuf_puts(out, "=\"");
		prom_escape_label(out, dv->v[i]);
		strbuf_putc(out, '"');
	}
	if (le) {
		strbuf_puts(out, m->nlabels ? ",le=\"" : "le=\"");
		strbuf_puts(out, le);
		strbuf_putc(out, '"');
	}
	strbuf_putc(out, '}');
}

/* printf costs more than the rest of a sample line: whole numbers take this path */
static void put_u64(struct strbuf *out, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	strbuf_append(out, p, (size_t)(buf + sizeof(buf) - p));
}

static void put_value(struct strbuf *out, double v)
{
	char num[32];

	if (v >= 0 && v < 9007199254740992.0 && (double)(uint64_t)v == v)
		put_u64(out, (uint64_t)v);
	else
		strbuf_puts(out, prom_format_value(v, num));
}

static void put_histogram(struct strbuf *out, const struct metric *m, const struct series *s,
			  const struct derived *dv, char (*le)[32])
{
	uint64_t cum = 0;

	for (unsigned int i = 0; i <= m->desc.nbounds; i++) {
		cum += s->buckets[i];
		put_sample_name(out, m, "_bucket", s, dv, i < m->desc.nbounds ? le[i] : "+Inf");
		strbuf_putc(out, ' ');
		put_u64(out, cum);
		strbuf_putc(out, '\n');
	}
	put_sample_name(out, m, "_sum", s, dv, NULL);
	strbuf_putc(out, ' ');
	put_value(out, s->sum);
	strbuf_putc(out, '\n');
	put_sample_name(out, m, "_count", s, dv, NULL);
	strbuf_putc(out, ' ');
	put_u64(out, cum);
	strbuf_putc(out, '\n');
}

void prom_render(const struct registry *reg, struct strbuf *out)
{
	static const char *const type_name[] = {
		[METRIC_COUNTER] = "counter",
		[METRIC_GAUGE] = "gauge",
		[METRIC_HISTOGRAM] = "histogram",
	};
	char le[METRIC_MAX_BOUNDS][32];
	struct derived dv;

	for (const struct metric *m = reg->first; m; m = m->next) {
		dv.d = metric_derivation(m, &dv.src);
		/* the bucket bounds, formatted once per metric rather than per series */
		if (m->desc.type == METRIC_HISTOGRAM) {
			for (unsigned int i = 0; i < m->desc.nbounds; i++)
				prom_format_value(m->desc.bounds[i], le[i]);
		}
		strbuf_puts(out, "# HELP ");
		strbuf_puts(out, m->desc.name);
		strbuf_putc(out, ' ');
		put_help(out, m->desc.help);
		strbuf_puts(out, "\n# TYPE ");
		strbuf_puts(out, m->desc.name);
		strbuf_putc(out, ' ');
		strbuf_puts(out, type_name[m->desc.type]);
		strbuf_putc(out, '\n');
		for (const struct series *s = m->first; s; s = s->order) {
			if (m->desc.type == METRIC_GAUGE && !s->touched)
				continue;
			if (dv.d)
				dv.d->fn(dv.d->ctx, s->values[dv.src], dv.v);
			if (m->desc.type == METRIC_HISTOGRAM) {
				put_histogram(out, m, s, &dv, le);
				continue;
			}
			put_sample_name(out, m, NULL, s, &dv, NULL);
			strbuf_putc(out, ' ');
			put_value(out, s->value);
			strbuf_putc(out, '\n');
		}
	}
}

int prom_gzip(const char *in, size_t len, struct strbuf *out)
{
	unsigned char chunk[16384];
	z_stream zs = { 0 };
	int flush, ret;

	/*
	 * Level 1: exposition text is so repetitive that the fastest level already shrinks
	 * it about tenfold, and the scrape must stay cheap for the host it watches.
	 */
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)in;
	do {
		/* avail_in is 32 bits: feed a body of 4 GiB or more in pieces. */
		uInt step = len > 0x40000000 ? 0x40000000 : (uInt)len;

		zs.avail_in = step;
		len -= step;
		flush = len ? Z_NO_FLUSH : Z_FINISH;
		do {
			zs.next_out = chunk;
			zs.avail_out = sizeof(chunk);
			ret = deflate(&zs, flush);
			if (ret == Z_STREAM_ERROR)
				goto fail;
			strbuf_append(out, (const char *)chunk, sizeof(chunk) - zs.avail_out);
		} while (zs.avail_out == 0);
	} while (flush != Z_FINISH);
	if (ret != Z_STREAM_END || out->failed)
		goto fail;
	deflateEnd(&zs);
	return 0;
fail:
	deflateEnd(&zs);
	return -1;
}

int prom_parse_listen(const char *addr, char *host, size_t hostlen, uint16_t *port)
{
	const char *hs, *he, *p;
	unsigned long v;
	char *end;

	if (!addr || !host || !hostlen || !port)
		return -EINVAL;
	if (addr[0] == '[') {
		hs = addr + 1;
		he = strchr(hs, ']');
		if (!he || he == hs || he[1] != ':')
			return -EINVAL;
		p = he + 2;
	} else {
		he = strrchr(addr, ':');
		if (!he)
			return -EINVAL;
		hs = addr;
		p = he + 1;
		/* A bare IPv6 address is ambiguous: its last group would read as the port. */
		if (memchr(hs, ':', (size_t)(he - hs)))
			return -EINVAL;
	}
	for (const char *c = hs; c < he; c++) {
		if (*c == '[' || *c == ']' || *c == ' ' || *c == '\t' || *c == '/')
			return -EINVAL;
	}
	/* strtoul alone would take " 80", "+80" and "-1". */
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -EINVAL;
	if ((size_t)(he - hs) >= hostlen)
		return -EINVAL;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	*port = (uint16_t)v;
	return 0;
}

/* HTTP server */

struct prom_server {
	struct MHD_Daemon *daemon;
	struct prom_server_ops ops;
};

static const char index_page[] = "<!DOCTYPE html>\n"
				 "<html><head><title>osiscope</title></head><body>\n"
				 "<h1>osiscope</h1>\n"
				 "<p><a href=\"/metrics\">Metrics</a></p>\n"
				 "</body></html>\n";

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *ctype,
			     const char *body, bool allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status,
				  const char *body)
{
	return reply(conn, status, "text/plain; charset=utf-8", body, false);
}

/*
 * Whether an Accept-Encoding value (RFC 9110 12.5.3) takes gzip: a list of codings, each
 * with an optional ;q=. q=0 refuses a coding; "*" stands for every coding not named.
 */
static bool accepts_gzip(const char *h)
{
	int gzip = -1, star = -1;

	while (h && *h) {
		const char *tok, *tok_end, *elem_end = strchr(h, ',');
		bool ok = true;
		size_t n;

		if (!elem_end)
			elem_end = h + strlen(h);
		while (h < elem_end && (*h == ' ' || *h == '\t'))
			h++;
		tok = h;
		while (h < elem_end && *h != ';' && *h != ' ' && *h != '\t')
			h++;
		tok_end = h;
		n = (size_t)(tok_end - tok);
		for (const char *q = h; q < elem_end; q++) {
			const char *v;

			if (*q != ';')
				continue;
			v = q + 1;
			while (v < elem_end && (*v == ' ' || *v == '\t'))
				v++;
			if (v + 2 > elem_end || (v[0] != 'q' && v[0] != 'Q') || v[1] != '=')
				continue;
			/* qvalue = "0" [ "." 0*3DIGIT ]: zero only if every digit is 0. */
			v += 2;
			ok = false;
			for (; v < elem_end && *v != ' ' && *v != '\t' && *v != ';'; v++) {
				if (*v != '0' && *v != '.')
					ok = true;
			}
		}
		if ((n == 4 && !strncasecmp(tok, "gzip", 4)) ||
		    (n == 6 && !strncasecmp(tok, "x-gzip", 6)))
			gzip = ok;
		else if (n == 1 && *tok == '*')
			star = ok;
		h = *elem_end ? elem_end + 1 : elem_end;
	}
	return gzip >= 0 ? gzip : star > 0;
}

static enum MHD_Result serve_metrics(struct prom_server *srv, struct MHD_Connection *conn)
{
	struct strbuf body, gz;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	bool gzip;

	strbuf_init(&body);
	if (!srv->ops.scrape || srv->ops.scrape(srv->ops.ctx, &body) || body.failed) {
		strbuf_free(&body);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "scrape failed\n");
	}
	gzip = accepts_gzip(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_ACCEPT_ENCODING));
	if (gzip) {
		strbuf_init(&gz);
		/* Identity is always acceptable, so a failed gzip still answers. */
		if (prom_gzip(body.buf, body.len, &gz)) {
			strbuf_free(&gz);
			gzip = false;
		} else {
			strbuf_free(&body);
			body = gz;
		}
	}
	if (body.buf) {
		resp = MHD_create_response_from_buffer(body.len, body.buf, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			strbuf_free(&body);
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, PROM_CONTENT_TYPE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gzip)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result serve_diagnose(struct prom_server *srv, struct MHD_Connection *conn)
{
	const char *window = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "window");
	const char *format = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
	struct MHD_Response *resp;
	struct strbuf body;
	enum MHD_Result ret;
	char err[256] = "";
	unsigned int status;
	int rc;

	strbuf_init(&body);
	rc = srv->ops.diagnose(srv->ops.ctx, window, format, &body, err, sizeof(err));
	if (rc || body.failed || !body.buf) {
		strbuf_free(&body);
		strbuf_printf(&body, "%s\n",
			      rc == -EINVAL || rc == -EAGAIN ? err : "diagnose failed");
		if (body.failed || !body.buf)
			return MHD_NO;
	}
	resp = MHD_create_response_from_buffer(body.len, body.buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		strbuf_free(&body);
		return MHD_NO;
	}
	if (rc || (format && !strcmp(format, "text")))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					"text/plain; charset=utf-8");
	else
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (!rc)
		status = MHD_HTTP_OK;
	else
		status = rc == -EINVAL	 ? MHD_HTTP_BAD_REQUEST
			 : rc == -EAGAIN ? MHD_HTTP_SERVICE_UNAVAILABLE /* not ready, no window */
					 : MHD_HTTP_INTERNAL_SERVER_ERROR;
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	static int seen;
	struct prom_server *srv = cls;

	/*
	 * No endpoint takes a body: a 405 goes out before one is read, which makes MHD drop
	 * it along with the connection.
	 */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			     "Method Not Allowed\n", true);
	/* A response queued on the first call would also cost the keep-alive connection. */
	if (!*con_cls) {
		*con_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/metrics"))
		return serve_metrics(srv, conn);
	if (!strcmp(url, "/-/healthy"))
		return reply_text(conn, MHD_HTTP_OK, "OK\n");
	if (!strcmp(url, "/-/ready")) {
		if (!srv->ops.ready || srv->ops.ready(srv->ops.ctx))
			return reply_text(conn, MHD_HTTP_OK, "Ready\n");
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "Not ready\n");
	}
	if (!strcmp(url, "/api/v1/diagnose") && srv->ops.diagnose)
		return serve_diagnose(srv, conn);
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", index_page, false);
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "Not Found\n");
}

static int listen_on(const struct sockaddr *sa, socklen_t salen)
{
	int fd, one = 1, zero = 0, err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Restarting the agent must not wait for TIME_WAIT of the last scrapes. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	/* One socket takes IPv4 too, whatever net.ipv6.bindv6only says. */
	if (sa->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
		goto fail;
	if (bind(fd, sa, salen) || listen(fd, SOMAXCONN))
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

/*
 * The listening socket is made here, not by libmicrohttpd, so that a failure names its
 * cause ("Address already in use") instead of only going to MHD's log.
 */
static int open_listener(const char *addr, const char *host, uint16_t port, char *err,
			 size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char service[8];
	int fd = -EADDRNOTAVAIL, rc;

	if (!*host) {
		struct sockaddr_in6 any6 = { .sin6_family = AF_INET6,
					     .sin6_port = htons(port),
					     .sin6_addr = IN6ADDR_ANY_INIT };
		struct sockaddr_in any4 = { .sin_family = AF_INET,
					    .sin_port = htons(port),
					    .sin_addr.s_addr = htonl(INADDR_ANY) };

		fd = listen_on((struct sockaddr *)&any6, sizeof(any6));
		/* A host booted with ipv6.disable=1 still gets the IPv4 listener. */
		if (fd == -EAFNOSUPPORT)
			fd = listen_on((struct sockaddr *)&any4, sizeof(any4));
		if (fd < 0)
			snprintf(err, errlen, "listen on %s: %s", addr, strerror(-fd));
		return fd;
	}
	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_ADDRCONFIG;
		rc = getaddrinfo(host, service, &hints, &res);
	}
	if (rc) {
		snprintf(err, errlen, "listen on %s: %s", addr,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = listen_on(ai->ai_addr, ai->ai_addrlen);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "listen on %s: %s", addr, strerror(-fd));
	return fd;
}

/*
 * MHD closes a failed daemon's listen socket on some failure paths and not on others
 * (not when it rejects its options, for one): close fd only if it is still our listener.
 */
static void close_if_listening(int fd, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int on = 0;
	socklen_t olen = sizeof(on);
	uint16_t p;

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) || !on ||
	    getsockname(fd, (struct sockaddr *)&ss, &len))
		return;
	if (ss.ss_family == AF_INET)
		p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		return;
	if (p == port)
		close(fd);
}

/* libmicrohttpd's messages (a client that went away, one over its address's limit) are
 * what clients did, not the agent: debug lines, so that no client can fill the log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_msg(LOG_DEBUG, "http: %s", msg);
}

struct prom_server *prom_server_start(const char *addr, const struct prom_server_ops *ops,
				      char *err, size_t errlen)
{
	/* epoll, not select: the agent holds many BPF fds and select stops at fd 1024. */
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	struct prom_server *srv;
	char host[256];
	uint16_t port;
	int fd;

	if (!ops || prom_parse_listen(addr, host, sizeof(host), &port)) {
		snprintf(err, errlen, "invalid listen address \"%s\": want [HOST]:PORT",
			 addr ? addr : "");
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "listen on %s: %s", addr, strerror(ENOMEM));
		return NULL;
	}
	srv->ops = *ops;
	fd = open_listener(addr, host, port, err, errlen);
	if (fd < 0) {
		free(srv);
		return NULL;
	}
	/*
	 * Clients that send their request slowly, or many at once, must not keep a scrape
	 * out: an idle connection is closed after PROM_CONN_TIMEOUT_S, one address holds
	 * at most PROM_CONN_PER_IP (more are closed at accept), and PROM_THREADS threads
	 * each serve their share, so one scrape that waits for the registry lock holds up
	 * no other connection.
	 */
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, srv, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)PROM_CONN_TIMEOUT_S,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)PROM_CONN_MAX,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)PROM_CONN_PER_IP,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)PROM_THREADS,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (!srv->daemon) {
		close_if_listening(fd, port);
		snprintf(err, errlen, "listen on %s: cannot start the HTTP server", addr);
		free(srv);
		return NULL;
	}
	/* The socket is MHD's now: MHD_stop_daemon() closes it. */
	return srv;
}

void prom_server_stop(struct prom_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->daemon);
	free(srv);
}
