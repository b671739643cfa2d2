// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TLS load for the tls scenarios and for measuring what the tls collector's uprobes
 * cost. OpenSSL is opened with dlopen (libssl.so.3, or --lib PATH), so the helper
 * builds like the others; compiled with -DTLSLOAD_LINKED and OpenSSL's static
 * libraries it is a program with OpenSSL linked in.
 *
 *   tlsload client HOST PORT N [--ca FILE] [--tls1_3] [--send BYTES] [--lib PATH]
 *                  [--timeout MS]
 *       N connections, each SSL_set_fd + SSL_connect (+ SSL_write of BYTES and
 *       SSL_read of as many back); prints "pid=P", then "ok=N failed=M" and one line
 *       per failure reason: "reason=<OpenSSL's text> count=N" ("none" when OpenSSL
 *       raised no error: a timeout, a reset). --timeout: of each read, 10 s if not
 *       given.
 *   tlsload wait FILE ... : as client, but first waits (bounded) until FILE exists,
 *       after OpenSSL is loaded: a process whose libssl was mapped before it works.
 *   tlsload bench WHAT N --cert FILE --key FILE [--lib PATH]
 *       WHAT: handshake (N in-memory handshakes, SSL_do_handshake on both sides),
 *       handshake_io (the same, run by the first SSL_write and SSL_read),
 *       connect_state (N SSL_set_connect_state calls), free (N SSL_new + SSL_free),
 *       error (N errors raised: ERR_new + ERR_set_error), done (N SSL_do_handshake on
 *       a finished connection: entry + return probe), rw (N 1-byte SSL_write +
 *       SSL_read pairs). Prints "WHAT ns_per_op=X".
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define FUNCS(X)                              \
	X(OPENSSL_init_ssl)                   \
	X(TLS_client_method)                  \
	X(TLS_server_method)                  \
	X(TLS_method)                         \
	X(SSL_CTX_new)                        \
	X(SSL_CTX_free)                       \
	X(SSL_CTX_ctrl)                       \
	X(SSL_CTX_load_verify_locations)      \
	X(SSL_CTX_set_verify)                 \
	X(SSL_CTX_use_certificate_chain_file) \
	X(SSL_CTX_use_PrivateKey_file)        \
	X(SSL_new)                            \
	X(SSL_free)                           \
	X(SSL_set_fd)                         \
	X(SSL_set_bio)                        \
	X(SSL_connect)                        \
	X(SSL_do_handshake)                   \
	X(SSL_set_connect_state)              \
	X(SSL_set_accept_state)               \
	X(SSL_get_error)                      \
	X(SSL_read)                           \
	X(SSL_write)                          \
	X(SSL_shutdown)                       \
	X(BIO_new_bio_pair)                   \
	X(ERR_get_error)                      \
	X(ERR_reason_error_string)            \
	X(ERR_clear_error)                    \
	X(ERR_new)                            \
	X(ERR_set_error)

#define DECL(f) static __typeof__(f) *p_##f;
FUNCS(DECL)
#undef DECL

static int load(const char *lib)
{
#ifdef TLSLOAD_LINKED
	(void)lib;
#define SET(f) p_##f = f;
	FUNCS(SET)
#undef SET
#else
	void *h = dlopen(lib ? lib : "libssl.so.3", RTLD_NOW | RTLD_GLOBAL);

	if (!h) {
		fprintf(stderr, "tlsload: dlopen %s: %s\n", lib ? lib : "libssl.so.3", dlerror());
		return -1;
	}
#define SET(f)                                                  \
	if (!(p_##f = (__typeof__(p_##f))dlsym(h, #f))) {       \
		fprintf(stderr, "tlsload: %s not found\n", #f); \
		return -1;                                      \
	}
	FUNCS(SET)
#undef SET
#endif
	return p_OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
				  NULL)
		       ? 0
		       : -1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static unsigned long num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s) {
		fprintf(stderr, "tlsload: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

struct reason {
	char text[128];
	unsigned int n;
};

static void count_reason(struct reason *r, unsigned int *nr, const char *text)
{
	for (unsigned int i = 0; i < *nr; i++)
		if (!strcmp(r[i].text, text)) {
			r[i].n++;
			return;
		}
	if (*nr < 16) {
		snprintf(r[*nr].text, sizeof(r[*nr].text), "%s", text);
		r[(*nr)++].n = 1;
	}
}

static int client(const char *host, unsigned int port, unsigned long n, const char *ca, bool tls13,
		  unsigned long send_bytes, unsigned long timeout_ms)
{
	SSL_CTX *ctx = p_SSL_CTX_new(p_TLS_client_method());
	struct reason reasons[16];
	unsigned int nreasons = 0;
	unsigned long ok = 0, failed = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

	if (!ctx || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "tlsload: bad setup (host must be an IPv4 address)\n");
		return 1;
	}
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
	p_SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca && !p_SSL_CTX_load_verify_locations(ctx, ca, NULL)) {
		fprintf(stderr, "tlsload: cannot load %s\n", ca);
		return 1;
	}
	if (tls13)
		p_SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_3_VERSION, NULL);
	for (unsigned long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		SSL *ssl;
		int r;

		struct timeval tv = { .tv_sec = (time_t)(timeout_ms / 1000),
				      .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000 };

		if (fd >= 0) /* a peer that stops answering ends the run, not hangs it */
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			count_reason(reasons, &nreasons, "connect failed");
			failed++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		ssl = p_SSL_new(ctx);
		p_SSL_set_fd(ssl, fd);
		p_ERR_clear_error();
		r = p_SSL_connect(ssl);
		if (r == 1) {
			ok++;
			if (send_bytes) {
				char buf[4096];
				unsigned long out = 0, in = 0;

				memset(buf, 'x', sizeof(buf));
				while (out < send_bytes) {
					unsigned long chunk = send_bytes - out < sizeof(buf)
								      ? send_bytes - out
								      : sizeof(buf);
					int w;

					/* every write ends a line: s_server -rev echoes lines */
					buf[chunk - 1] = '\n';
					w = p_SSL_write(ssl, buf, (int)chunk);
					buf[chunk - 1] = 'x';

					if (w <= 0)
						break;
					out += (unsigned long)w;
				}
				while (in < out) {
					int rd = p_SSL_read(ssl, buf, sizeof(buf));

					if (rd <= 0)
						break;
					in += (unsigned long)rd;
				}
				printf("sent=%lu received=%lu\n", out, in);
			}
			p_SSL_shutdown(ssl);
		} else {
			unsigned long e = p_ERR_get_error();
			const char *text = e ? p_ERR_reason_error_string(e) : NULL;

			failed++;
			count_reason(reasons, &nreasons, text ? text : "none");
		}
		p_SSL_free(ssl);
		close(fd);
	}
	printf("ok=%lu failed=%lu\n", ok, failed);
	for (unsigned int i = 0; i < nreasons; i++)
		printf("reason=%s count=%u\n", reasons[i].text, reasons[i].n);
	p_SSL_CTX_free(ctx);
	return 0;
}

/* A client and a server SSL joined by an in-memory BIO pair, handshaken: by
 * SSL_do_handshake on both sides, or with io by the first SSL_write (client) and
 * SSL_read (server), as a BIO-based server or s_client does. */
static int pair_by(SSL_CTX *cctx, SSL_CTX *sctx, SSL **c, SSL **s, bool io)
{
	BIO *b1, *b2;
	bool wrote = false;
	char b;

	*c = p_SSL_new(cctx);
	*s = p_SSL_new(sctx);
	if (!*c || !*s || !p_BIO_new_bio_pair(&b1, 0, &b2, 0))
		return -1;
	p_SSL_set_bio(*c, b1, b1);
	p_SSL_set_bio(*s, b2, b2);
	p_SSL_set_connect_state(*c);
	p_SSL_set_accept_state(*s);
	for (int i = 0; i < 100; i++) {
		if (io) {
			if (!wrote && p_SSL_write(*c, "x", 1) == 1)
				wrote = true;
			if (p_SSL_read(*s, &b, 1) == 1)
				return wrote ? 0 : -1;
		} else {
			int rc = p_SSL_do_handshake(*c), rs = p_SSL_do_handshake(*s);

			if (rc == 1 && rs == 1)
				return 0;
		}
	}
	return -1;
}

static int pair(SSL_CTX *cctx, SSL_CTX *sctx, SSL **c, SSL **s)
{
	return pair_by(cctx, sctx, c, s, false);
}

static int bench(const char *what, unsigned long n, const char *cert, const char *key)
{
	SSL_CTX *cctx = p_SSL_CTX_new(p_TLS_method()), *sctx = p_SSL_CTX_new(p_TLS_method());
	SSL *c = NULL, *s = NULL;
	uint64_t t0, t;
	char buf[1];

	if (!cctx || !sctx || !cert || !key ||
	    p_SSL_CTX_use_certificate_chain_file(sctx, cert) != 1 ||
	    p_SSL_CTX_use_PrivateKey_file(sctx, key, SSL_FILETYPE_PEM) != 1) {
		fprintf(stderr, "tlsload: bench needs --cert and --key\n");
		return 1;
	}
	if (pair(cctx, sctx, &c, &s)) {
		fprintf(stderr, "tlsload: in-memory handshake failed\n");
		return 1;
	}
	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		if (!strcmp(what, "handshake")) {
			SSL *a, *b;

			if (pair(cctx, sctx, &a, &b))
				return 1;
			p_SSL_free(a);
			p_SSL_free(b);
		} else if (!strcmp(what, "handshake_io")) {
			SSL *a, *b;

			if (pair_by(cctx, sctx, &a, &b, true))
				return 1;
			p_SSL_free(a);
			p_SSL_free(b);
		} else if (!strcmp(what, "connect_state")) {
			p_SSL_set_connect_state(c);
		} else if (!strcmp(what, "free")) {
			p_SSL_free(p_SSL_new(cctx));
		} else if (!strcmp(what, "error")) {
			p_ERR_new();
			p_ERR_set_error(ERR_LIB_SSL, SSL_R_BAD_LENGTH, NULL);
			p_ERR_clear_error();
		} else if (!strcmp(what, "done")) {
			p_SSL_do_handshake(c);
		} else if (!strcmp(what, "rw")) {
			if (p_SSL_write(c, "x", 1) != 1 || p_SSL_read(s, buf, 1) != 1)
				return 1;
		} else {
			fprintf(stderr, "tlsload: unknown bench %s\n", what);
			return 2;
		}
	}
	t = now_ns() - t0;
	printf("%s ns_per_op=%.0f\n", what, (double)t / (double)(n ? n : 1));
	return 0;
}

int main(int argc, char **argv)
{
	const char *ca = NULL, *lib = NULL, *cert = NULL, *key = NULL, *wait = NULL;
	unsigned long send_bytes = 0, timeout_ms = 10000;
	bool tls13 = false;
	char *pos[8];
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ca") && i + 1 < argc)
			ca = argv[++i];
		else if (!strcmp(argv[i], "--lib") && i + 1 < argc)
			lib = argv[++i];
		else if (!strcmp(argv[i], "--cert") && i + 1 < argc)
			cert = argv[++i];
		else if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key = argv[++i];
		else if (!strcmp(argv[i], "--send") && i + 1 < argc)
			send_bytes = num(argv[++i], "byte count");
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_ms = num(argv[++i], "timeout");
		else if (!strcmp(argv[i], "--tls1_3"))
			tls13 = true;
		else if (npos < 8)
			pos[npos++] = argv[i];
	}
	if (npos >= 1 && !strcmp(pos[0], "wait") && npos >= 2) {
		wait = pos[1];
		memmove(pos + 1, pos + 2, (size_t)(npos - 2) * sizeof(*pos));
		npos--;
		pos[0] = "client";
	}
	if (load(lib))
		return 1;
	if (wait) {
		struct stat st;

		for (int i = 0; i < 300 && stat(wait, &st); i++)
			usleep(100000);
	}
	if (npos == 4 && !strcmp(pos[0], "client"))
		return client(pos[1], (unsigned int)num(pos[2], "port"), num(pos[3], "count"), ca,
			      tls13, send_bytes, timeout_ms);
	if (npos == 3 && !strcmp(pos[0], "bench"))
		return bench(pos[1], num(pos[2], "count"), cert, key);
	fprintf(stderr, "usage: tlsload client HOST PORT N [--ca FILE] [--tls1_3] [--send BYTES] "
			"[--lib PATH] [--timeout MS]\n"
			"       tlsload wait FILE HOST PORT N ...\n"
			"       tlsload bench WHAT N --cert FILE --key FILE [--lib PATH]\n");
	return 2;
}
