// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "prometheus.h"
#include "registry.h"
#include "strbuf.h"
#include "test.h"

#define PROMTOOL "/usr/bin/promtool"

TEST(prom_format_value)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0, "0" },
		{ -0.0, "0" },
		{ 1, "1" },
		{ -5, "-5" },
		{ 1.5, "1.5" },
		{ 0.1, "0.1" },
		{ 1e-06, "1e-06" },
		{ 0.000512, "0.000512" },
		{ 2.097152, "2.097152" },
		{ -2.5e-10, "-2.5e-10" },
		{ 123456789012.0, "123456789012" },
		{ 9007199254740991.0, "9007199254740991" },
		{ 9007199254740992.0, "9007199254740992" },
		{ 1e20, "1e+20" },
		{ 1.0 / 3, "0.33333333333333331" },
		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
		{ NAN, "NaN" },
	};
	char buf[32];
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_STREQ(prom_format_value(cases[i].v, buf), cases[i].want, "format");
	/* Whatever the value, reading it back gives the same double and it fits buf. */
	srand(42);
	for (int i = 0; i < 100000; i++) {
		uint64_t bits = ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^ rand();
		double v;

		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		prom_format_value(v, buf);
		if (strtod(buf, NULL) != v || strlen(buf) >= 32) {
			if (!bad++)
				fprintf(stderr, "  %a printed as %s\n", v, buf);
		}
	}
	ASSERT_EQ(bad, 0, "round trip");
}

TEST(prom_parse_listen)
{
	static const struct {
		const char *in, *host;
		uint16_t port;
	} good[] = {
		{ ":10700", "", 10700 },	   { "127.0.0.1:9000", "127.0.0.1", 9000 },
		{ "localhost:1", "localhost", 1 }, { "[::1]:9000", "::1", 9000 },
		{ "[::]:65535", "::", 65535 },	   { "[fe80::1%eth0]:80", "fe80::1%eth0", 80 },
	};
	static const char *const bad[] = {
		"",	    ":",	  "10700",	   ":0",	":65536", ":99999999999",
		":abc",	    ": 80",	  ":+80",	   ":-1",	":80x",	  "host:",
		"::1:9000", "[::1]",	  "[::1]9000",	   "[::1:9000", "[]:80",  "a b:80",
		"[::1]:",   "[::1]:0x50", "1.2.3.4:80:80",
	};
	char host[64], small[4];
	uint16_t port;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		port = 0;
		if (!ASSERT_OK(prom_parse_listen(good[i].in, host, sizeof(host), &port),
			       good[i].in))
			continue;
		ASSERT_STREQ(host, good[i].host, good[i].in);
		ASSERT_EQ(port, good[i].port, good[i].in);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(prom_parse_listen(bad[i], host, sizeof(host), &port), -EINVAL, bad[i]);
	ASSERT_EQ(prom_parse_listen("localhost:80", small, sizeof(small), &port), -EINVAL,
		  "host too long for buffer");
	ASSERT_EQ(prom_parse_listen(NULL, host, sizeof(host), &port), -EINVAL, "NULL");
}

static int gunzip(const char *in, size_t len, struct strbuf *out)
{
	unsigned char chunk[4096];
	z_stream zs = { 0 };
	int ret;

	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret != Z_OK && ret != Z_STREAM_END)
			break;
		strbuf_append(out, (const char *)chunk, sizeof(chunk) - zs.avail_out);
	} while (ret != Z_STREAM_END);
	inflateEnd(&zs);
	/* The whole input must be one complete gzip member. */
	return ret == Z_STREAM_END && zs.avail_in == 0 ? 0 : -1;
}

TEST(prom_gzip_round_trip)
{
	struct strbuf in, gz, back;
	const size_t sizes[] = { 0, 1, 100, 300000 };

	strbuf_init(&in);
	strbuf_init(&gz);
	strbuf_init(&back);
	srand(7);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		strbuf_reset(&in);
		strbuf_reset(&gz);
		strbuf_reset(&back);
		/* Half text, half noise, so some of it does not compress. */
		for (size_t i = 0; i < sizes[k]; i++)
			strbuf_putc(&in, i % 2000 < 1000 ? "abc{}=\n"[i % 7] : (char)rand());
		if (!ASSERT_OK(prom_gzip(in.buf, in.len, &gz), "prom_gzip"))
			break;
		ASSERT_TRUE(gz.len >= 18 && (unsigned char)gz.buf[0] == 0x1f &&
				    (unsigned char)gz.buf[1] == 0x8b,
			    "gzip magic");
		if (!ASSERT_OK(gunzip(gz.buf, gz.len, &back), "inflate"))
			break;
		ASSERT_EQ(back.len, in.len, "length");
		ASSERT_TRUE(back.len == in.len && (!in.len || !memcmp(back.buf, in.buf, in.len)),
			    "same bytes");
	}
	strbuf_free(&in);
	strbuf_free(&gz);
	strbuf_free(&back);
}

/* A registry holding one of everything the renderer can meet. */
static struct registry *sample_registry(void)
{
	static double bounds[20];
	const struct metric_desc descs[] = {
		{ .name = "osiscope_tcp_connects_total",
		  .help = "TCP connects by result (kernel MIB TcpActiveOpens).",
		  .type = METRIC_COUNTER,
		  .labels = { "netns", "result" },
		  .budget = 3 },
		{ .name = "osiscope_tcp_resets_sent_total",
		  .help = "Never incremented: HELP and TYPE only.",
		  .type = METRIC_COUNTER,
		  .labels = { "netns" } },
		{ .name = "osiscope_build_info",
		  .help = "Build with \\ backslash and\nnewline in help.",
		  .type = METRIC_GAUGE,
		  .labels = { "version", "revision" } },
		{ .name = "osiscope_tcp_sockets",
		  .help = "Sockets by state.",
		  .type = METRIC_GAUGE,
		  .labels = { "netns", "state" } },
		{ .name = "osiscope_tcp_connect_duration_seconds",
		  .help = "Connect latency.",
		  .type = METRIC_HISTOGRAM,
		  .labels = { "netns" },
		  .bounds = bounds,
		  .nbounds = 20 },
		{ .name = "osiscope_dns_request_duration_seconds",
		  .help = "DNS latency.",
		  .type = METRIC_HISTOGRAM,
		  .bounds = bounds,
		  .nbounds = 20 },
		{ .name = "osiscope_events_lost_total",
		  .help = "Events lost.",
		  .type = METRIC_COUNTER },
	};
	uint64_t deltas[21] = { 0 };
	struct registry *reg = registry_new(100);
	struct metric *m[sizeof(descs) / sizeof(descs[0])];

	if (!reg)
		return NULL;
	metric_log2_bounds(bounds, 20, 1e-6);
	for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++) {
		m[i] = registry_add(reg, &descs[i]);
		if (!m[i]) {
			registry_free(reg);
			return NULL;
		}
	}
	metric_counter_add(m[0], (const char *[]){ "4026531840", "ok" }, 10);
	metric_counter_add(m[0], (const char *[]){ "4026531840", "refused" }, 2);
	metric_counter_add(m[0], (const char *[]){ "4026531840", "timeout" }, 1);
	metric_gauge_reset(m[2]);
	metric_gauge_set(m[2], (const char *[]){ "0.1.0 \"q\" \\", "a\nb" }, 1);
	metric_gauge_reset(m[3]);
	metric_gauge_set(m[3], (const char *[]){ "4026531840", "established" }, 12);
	metric_gauge_set(m[3], (const char *[]){ "4026531840", "time_wait" }, NAN);
	metric_gauge_set(m[3], (const char *[]){ "4026531841", "listen" }, -INFINITY);
	deltas[0] = 1;
	deltas[11] = 4;
	deltas[20] = 2;
	metric_hist_add(m[4], (const char *[]){ "4026531840" }, deltas, 7.25);
	metric_hist_add(m[5], NULL, deltas, 1e-3);
	metric_counter_add(m[6], NULL, 0);
	return reg;
}

TEST(prom_promtool_check)
{
	struct registry *reg = sample_registry();
	char path[] = "/tmp/osiscope-promtool-XXXXXX", cmd[128], out[4096];
	size_t n = 0, r;
	struct strbuf sb;
	int fd, status;
	FILE *p;

	if (access(PROMTOOL, X_OK)) {
		printf("  skip: %s not installed\n", PROMTOOL);
		registry_free(reg);
		return;
	}
	strbuf_init(&sb);
	if (!ASSERT_OK_PTR(reg, "sample registry"))
		return;
	prom_render(reg, &sb);
	ASSERT_CONTAINS(sb.buf, "{netns=\"_other\",result=\"_other\"} 1\n", "fold rendered");
	ASSERT_CONTAINS(sb.buf, "# TYPE osiscope_tcp_resets_sent_total counter\n# HELP",
			"HELP and TYPE without samples");
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		goto out;
	ASSERT_EQ(write(fd, sb.buf, sb.len), sb.len, "write");
	close(fd);
	snprintf(cmd, sizeof(cmd), PROMTOOL " check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	if (!ASSERT_OK_PTR(p, "popen"))
		goto out_unlink;
	while (n < sizeof(out) - 1 && (r = fread(out + n, 1, sizeof(out) - 1 - n, p)) > 0)
		n += r;
	out[n] = '\0';
	status = pclose(p);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "promtool exit status 0");
	if (!ASSERT_EQ(n, 0, "promtool output"))
		fprintf(stderr, "  promtool said:\n%s\n  on:\n%s", out, sb.buf);
out_unlink:
	unlink(path);
out:
	strbuf_free(&sb);
	registry_free(reg);
}

/* The server, spoken to over raw sockets. */

struct srv_ctx {
	struct registry *reg;
	int ready;
	int fail;
	int scrapes;
};

static int ctx_scrape(void *c, struct strbuf *out)
{
	struct srv_ctx *ctx = c;

	__atomic_add_fetch(&ctx->scrapes, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ctx->fail, __ATOMIC_SEQ_CST))
		return -EIO;
	registry_lock(ctx->reg);
	prom_render(ctx->reg, out);
	registry_unlock(ctx->reg);
	return 0;
}

static bool ctx_ready(void *c)
{
	struct srv_ctx *ctx = c;

	return __atomic_load_n(&ctx->ready, __ATOMIC_SEQ_CST);
}

struct http_resp {
	struct strbuf raw;
	int status;
	size_t body_off;
};

static int http_do(int family, uint16_t port, const char *req, struct http_resp *resp)
{
	struct sockaddr_storage ss = { 0 };
	struct timeval tv = { .tv_sec = 5 };
	char buf[4096], *end;
	socklen_t len;
	ssize_t n;
	int fd;

	strbuf_init(&resp->raw);
	resp->status = -1;
	resp->body_off = 0;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len) ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -errno;
	}
	/* Every request says Connection: close, so the response ends at EOF. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_append(&resp->raw, buf, (size_t)n);
	close(fd);
	if (n < 0 || !resp->raw.buf || strncmp(resp->raw.buf, "HTTP/1.", 7))
		return -EPROTO;
	resp->status = (int)strtol(resp->raw.buf + 9, NULL, 10);
	end = strstr(resp->raw.buf, "\r\n\r\n");
	if (!end)
		return -EPROTO;
	resp->body_off = (size_t)(end + 4 - resp->raw.buf);
	return 0;
}

static int http_get(uint16_t port, const char *method, const char *path, const char *extra,
		    struct http_resp *resp)
{
	char req[512];

	snprintf(req, sizeof(req),
		 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n", method, path,
		 extra ? extra : "");
	return http_do(AF_INET, port, req, resp);
}

/* The value of header name, or "" when absent; names match case-insensitively. */
static const char *http_header(const struct http_resp *resp, const char *name, char *out,
			       size_t outlen)
{
	const char *p = resp->raw.buf, *end = p + resp->body_off;
	size_t n = strlen(name);

	out[0] = '\0';
	while ((p = strstr(p, "\r\n")) && p < end) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(out, outlen, "%.*s", (int)(e - v), v);
			break;
		}
	}
	return out;
}

static const char *http_body(const struct http_resp *resp)
{
	return resp->raw.buf + resp->body_off;
}

static size_t http_body_len(const struct http_resp *resp)
{
	return resp->raw.len - resp->body_off;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static struct prom_server *start_on_free_port(const char *fmt, const struct prom_server_ops *ops,
					      uint16_t *port)
{
	struct prom_server *srv;
	char addr[64], err[256];

	srand((unsigned int)(getpid() ^ time(NULL)));
	for (int i = 0; i < 20; i++) {
		*port = (uint16_t)(20000 + rand() % 40000);
		snprintf(addr, sizeof(addr), fmt, *port);
		srv = prom_server_start(addr, ops, err, sizeof(err));
		if (srv)
			return srv;
	}
	fprintf(stderr, "  no free port: %s\n", err);
	return NULL;
}

TEST(prom_server_http)
{
	struct srv_ctx ctx = { 0 };
	const struct prom_server_ops ops = { .scrape = ctx_scrape,
					     .ready = ctx_ready,
					     .ctx = &ctx };
	struct prom_server *srv, *dup;
	struct strbuf plain, back;
	struct http_resp r;
	char h[256], addr[64], err[256];
	int fds_before = count_fds();
	uint16_t port;

	strbuf_init(&plain);
	strbuf_init(&back);
	ctx.reg = sample_registry();
	if (!ASSERT_OK_PTR(ctx.reg, "sample registry"))
		return;
	srv = start_on_free_port("127.0.0.1:%u", &ops, &port);
	if (!ASSERT_OK_PTR(srv, "prom_server_start"))
		goto out;

	/* The port is taken now: a second server says why it cannot listen. */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	err[0] = '\0';
	dup = prom_server_start(addr, &ops, err, sizeof(err));
	ASSERT_TRUE(dup == NULL, "second bind fails");
	prom_server_stop(dup);
	snprintf(h, sizeof(h), "listen on %s: Address already in use", addr);
	ASSERT_STREQ(err, h, "bind error");
	ASSERT_TRUE(prom_server_start("nope", &ops, err, sizeof(err)) == NULL, "bad address");
	ASSERT_CONTAINS(err, "nope", "bad address error");

	if (ASSERT_OK(http_get(port, "GET", "/metrics", NULL, &r), "GET /metrics")) {
		ASSERT_EQ(r.status, 200, "status");
		ASSERT_STREQ(http_header(&r, "Content-Type", h, sizeof(h)),
			     "text/plain; version=0.0.4; charset=utf-8", "Content-Type");
		ASSERT_STREQ(http_header(&r, "Vary", h, sizeof(h)), "Accept-Encoding", "Vary");
		ASSERT_STREQ(http_header(&r, "Content-Encoding", h, sizeof(h)), "",
			     "no Content-Encoding");
		registry_lock(ctx.reg);
		prom_render(ctx.reg, &plain);
		registry_unlock(ctx.reg);
		ASSERT_EQ(http_body_len(&r), plain.len, "body length");
		ASSERT_STREQ(http_body(&r), plain.buf, "body is the rendering");
	}
	strbuf_free(&r.raw);

	if (ASSERT_OK(http_get(port, "GET", "/metrics", "Accept-Encoding: gzip\r\n", &r),
		      "GET gzip")) {
		ASSERT_EQ(r.status, 200, "gzip status");
		ASSERT_STREQ(http_header(&r, "Content-Encoding", h, sizeof(h)), "gzip",
			     "Content-Encoding");
		ASSERT_STREQ(http_header(&r, "Vary", h, sizeof(h)), "Accept-Encoding",
			     "Vary with gzip");
		ASSERT_STREQ(http_header(&r, "Content-Type", h, sizeof(h)), PROM_CONTENT_TYPE,
			     "Content-Type with gzip");
		if (ASSERT_OK(gunzip(http_body(&r), http_body_len(&r), &back), "gunzip body"))
			ASSERT_STREQ(back.buf, plain.buf, "gunzipped body");
	}
	strbuf_free(&r.raw);

	{
		static const struct {
			const char *accept;
			const char *want;
		} enc[] = {
			{ "Accept-Encoding: gzip;q=0\r\n", "" },
			{ "Accept-Encoding: gzip; q=0.000\r\n", "" },
			{ "Accept-Encoding: identity\r\n", "" },
			{ "Accept-Encoding: gzipx, xgzip\r\n", "" },
			{ "Accept-Encoding: deflate, GZIP;q=0.5\r\n", "gzip" },
			{ "Accept-Encoding: br,gzip\r\n", "gzip" },
			{ "Accept-Encoding: x-gzip\r\n", "gzip" },
			{ "Accept-Encoding: *\r\n", "gzip" },
			{ "Accept-Encoding: *, gzip;q=0\r\n", "" },
			{ "Accept-Encoding: *;q=0\r\n", "" },
		};

		for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
			if (ASSERT_OK(http_get(port, "GET", "/metrics", enc[i].accept, &r),
				      enc[i].accept))
				ASSERT_STREQ(http_header(&r, "Content-Encoding", h, sizeof(h)),
					     enc[i].want, enc[i].accept);
			strbuf_free(&r.raw);
		}
	}

	if (ASSERT_OK(http_get(port, "HEAD", "/metrics", NULL, &r), "HEAD /metrics")) {
		ASSERT_EQ(r.status, 200, "HEAD status");
		ASSERT_EQ(http_body_len(&r), 0, "HEAD has no body");
		ASSERT_EQ(strtoul(http_header(&r, "Content-Length", h, sizeof(h)), NULL, 10),
			  plain.len, "HEAD Content-Length");
		ASSERT_STREQ(http_header(&r, "Content-Type", h, sizeof(h)), PROM_CONTENT_TYPE,
			     "HEAD Content-Type");
	}
	strbuf_free(&r.raw);

	if (ASSERT_OK(http_get(port, "GET", "/metrics?debug=1&x", NULL, &r), "query")) {
		ASSERT_EQ(r.status, 200, "query ignored");
		ASSERT_EQ(http_body_len(&r), plain.len, "query body");
	}
	strbuf_free(&r.raw);

	if (ASSERT_OK(http_get(port, "GET", "/nope", NULL, &r), "GET /nope")) {
		ASSERT_EQ(r.status, 404, "404");
		ASSERT_STREQ(http_body(&r), "Not Found\n", "404 body");
	}
	strbuf_free(&r.raw);

	if (ASSERT_OK(http_get(port, "POST", "/metrics", "Content-Length: 5\r\n", &r),
		      "POST /metrics")) {
		ASSERT_EQ(r.status, 405, "405");
		ASSERT_STREQ(http_header(&r, "Allow", h, sizeof(h)), "GET, HEAD", "Allow");
	}
	strbuf_free(&r.raw);
	if (ASSERT_OK(http_do(AF_INET, port,
			      "PUT /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			      "Content-Length: 5\r\n\r\nhello",
			      &r),
		      "PUT with a body")) {
		ASSERT_EQ(r.status, 405, "405 with body");
		ASSERT_STREQ(http_header(&r, "Allow", h, sizeof(h)), "GET, HEAD", "Allow");
	}
	strbuf_free(&r.raw);

	/* Scrapers keep their connection: two requests, one connection. */
	if (ASSERT_OK(http_do(AF_INET, port,
			      "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"
			      "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			      &r),
		      "keep-alive")) {
		const char *second = strstr(http_body(&r), "HTTP/1.1 200 OK\r\n");

		ASSERT_EQ(r.status, 200, "first response");
		ASSERT_TRUE(!strncmp(http_body(&r), "OK\n", 3), "first body");
		ASSERT_TRUE(second != NULL, "second response on the same connection");
		ASSERT_CONTAINS(second, "\r\n\r\n# HELP ", "second body");
	}
	strbuf_free(&r.raw);

	if (ASSERT_OK(http_get(port, "GET", "/-/healthy", NULL, &r), "healthy")) {
		ASSERT_EQ(r.status, 200, "healthy status");
		ASSERT_STREQ(http_body(&r), "OK\n", "healthy body");
	}
	strbuf_free(&r.raw);

	if (ASSERT_OK(http_get(port, "GET", "/-/ready", NULL, &r), "not ready")) {
		ASSERT_EQ(r.status, 503, "503 before ready");
		ASSERT_STREQ(http_body(&r), "Not ready\n", "not ready body");
	}
	strbuf_free(&r.raw);
	__atomic_store_n(&ctx.ready, 1, __ATOMIC_SEQ_CST);
	if (ASSERT_OK(http_get(port, "GET", "/-/ready", NULL, &r), "ready")) {
		ASSERT_EQ(r.status, 200, "200 once ready");
		ASSERT_STREQ(http_body(&r), "Ready\n", "ready body");
	}
	strbuf_free(&r.raw);

	if (ASSERT_OK(http_get(port, "GET", "/", NULL, &r), "index")) {
		ASSERT_EQ(r.status, 200, "index status");
		ASSERT_CONTAINS(http_body(&r), "href=\"/metrics\"", "index links /metrics");
	}
	strbuf_free(&r.raw);

	__atomic_store_n(&ctx.fail, 1, __ATOMIC_SEQ_CST);
	if (ASSERT_OK(http_get(port, "GET", "/metrics", NULL, &r), "failing scrape")) {
		ASSERT_EQ(r.status, 500, "500");
		ASSERT_CONTAINS(http_body(&r), "scrape failed", "500 body");
	}
	strbuf_free(&r.raw);

	prom_server_stop(srv);
	/* The listening socket and every connection are closed by stop. */
	ASSERT_EQ(count_fds(), fds_before, "no fd left open");
out:
	strbuf_free(&plain);
	strbuf_free(&back);
	registry_free(ctx.reg);
}

TEST(prom_server_dual_stack)
{
	struct srv_ctx ctx = { .ready = 1 };
	const struct prom_server_ops ops = { .scrape = ctx_scrape,
					     .ready = ctx_ready,
					     .ctx = &ctx };
	struct prom_server *srv;
	struct http_resp r;
	uint16_t port;
	int fd;

	ctx.reg = registry_new(10);
	/* ":PORT" is every address, IPv4 included even though the socket is IPv6. */
	srv = start_on_free_port(":%u", &ops, &port);
	if (!ASSERT_OK_PTR(srv, "start on all addresses"))
		goto out;
	if (ASSERT_OK(http_get(port, "GET", "/-/ready", NULL, &r), "IPv4 on :PORT"))
		ASSERT_EQ(r.status, 200, "IPv4 status");
	strbuf_free(&r.raw);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd >= 0) {
		close(fd);
		if (ASSERT_OK(
			    http_do(AF_INET6, port,
				    "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
				    &r),
			    "IPv6 on :PORT"))
			ASSERT_EQ(r.status, 200, "IPv6 status");
		strbuf_free(&r.raw);
	} else {
		printf("  skip IPv6: %s\n", strerror(errno));
	}
	prom_server_stop(srv);

	srv = start_on_free_port("[::1]:%u", &ops, &port);
	if (srv) {
		if (ASSERT_OK(http_do(AF_INET6, port,
				      "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: "
				      "close\r\n\r\n",
				      &r),
			      "GET over [::1]"))
			ASSERT_EQ(r.status, 200, "[::1] status");
		strbuf_free(&r.raw);
		prom_server_stop(srv);
	} else {
		printf("  skip [::1]: no IPv6 loopback\n");
	}
out:
	registry_free(ctx.reg);
}
