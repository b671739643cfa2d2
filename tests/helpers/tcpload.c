// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test and benchmark load for TCP scenarios, with exact counts of what it did:
 *   tcpload connect ADDR PORT N [TIMEOUT_MS]   N sequential connects, close each
 *                                              prints: ok=X refused=Y timeout=Z unreachable=U other=W
 *   tcpload parallel ADDR PORT N               N connects at once, wait for all to finish
 *   tcpload listen ADDR PORT BACKLOG SECONDS   listen without accepting, for SECONDS
 *   tcpload serve ADDR PORT SECONDS            accept and discard everything, for SECONDS
 *   tcpload send ADDR PORT BYTES               one connection, send BYTES, close
 *   tcpload churn ADDR PORT N                  N connect/exchange 1 byte/close against serve
 *   tcpload rate ADDR PORT SECONDS             churn for SECONDS: prints conns= and per_sec=
 *   tcpload echo ADDR PORT SECONDS             echo server for rr
 *   tcpload rr ADDR PORT N                     N 64-byte request/responses on one connection:
 *                                              prints p50_us= p99_us=
 *   tcpload hold ADDR PORT N SECONDS [NETNS]   N connections to itself held open (2N
 *                                              sockets): prints "holding N", then waits;
 *                                              with NETNS (a path to open) the sockets are
 *                                              made there and the process goes back to its
 *                                              own namespace, which alone then keeps it
 * Addresses are numeric IPv4 or IPv6. Exit 0 when it did what it was asked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static socklen_t make_addr(const char *host, const char *port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	int p = atoi(port);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(p);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(p);
		return sizeof(*a6);
	}
	fprintf(stderr, "tcpload: bad address %s\n", host);
	exit(2);
}

enum { R_OK_, R_REFUSED, R_TIMEOUT, R_UNREACH, R_OTHER, R_N };
static const char *const rname[R_N] = { "ok", "refused", "timeout", "unreachable", "other" };

/* One blocking connect: the kernel's own SYN retries decide the timeout (see
 * net.ipv4.tcp_syn_retries) unless timeout_ms > 0 cuts it short. */
static int one_connect(struct sockaddr_storage *ss, socklen_t len, int timeout_ms, int *fdp)
{
	int fd = socket(ss->ss_family, SOCK_STREAM, 0), err;

	if (fd < 0)
		return R_OTHER;
	if (timeout_ms > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		socklen_t el = sizeof(err);

		fcntl(fd, F_SETFL, O_NONBLOCK);
		if (connect(fd, (struct sockaddr *)ss, len) && errno != EINPROGRESS) {
			err = errno;
		} else if (poll(&pfd, 1, timeout_ms) == 0) {
			err = ETIMEDOUT;
		} else {
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		}
	} else {
		err = connect(fd, (struct sockaddr *)ss, len) ? errno : 0;
	}
	if (fdp && !err) {
		*fdp = fd;
	} else {
		close(fd);
	}
	switch (err) {
	case 0:
		return R_OK_;
	case ECONNREFUSED:
		return R_REFUSED;
	case ETIMEDOUT:
		return R_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
		return R_UNREACH;
	default:
		return R_OTHER;
	}
}

static void print_counts(const int *c)
{
	for (int i = 0; i < R_N; i++)
		printf("%s%s=%d", i ? " " : "", rname[i], c[i]);
	printf("\n");
}

struct par {
	struct sockaddr_storage ss;
	socklen_t len;
	int result;
};

static void *par_connect(void *arg)
{
	struct par *p = arg;

	p->result = one_connect(&p->ss, p->len, 0, NULL);
	return NULL;
}

static int listen_on(const char *host, const char *port, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(host, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, backlog)) {
		perror("tcpload: listen");
		exit(1);
	}
	return fd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void *echo_conn(void *arg)
{
	int fd = (int)(long)arg, one = 1;
	char buf[4096];
	ssize_t r;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)r) != r)
			break;
	close(fd);
	return NULL;
}

static void *drain(void *arg)
{
	int fd = (int)(long)arg;
	char buf[65536];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	/* echo one byte back would be the churn reply: serve writes before reading */
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	int counts[R_N] = { 0 };
	socklen_t len;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 4) {
		fprintf(stderr, "usage: see the comment at the top of tests/helpers/tcpload.c\n");
		return 2;
	}
	if (!strcmp(argv[1], "connect") && argc >= 5) {
		int n = atoi(argv[4]), timeout = argc > 5 ? atoi(argv[5]) : 0;

		len = make_addr(argv[2], argv[3], &ss);
		for (int i = 0; i < n; i++)
			counts[one_connect(&ss, len, timeout, NULL)]++;
		print_counts(counts);
		return 0;
	}
	if (!strcmp(argv[1], "parallel") && argc >= 5) {
		int n = atoi(argv[4]);
		struct par *p = calloc(n, sizeof(*p));
		pthread_t *t = calloc(n, sizeof(*t));

		for (int i = 0; i < n; i++) {
			p[i].len = make_addr(argv[2], argv[3], &p[i].ss);
			pthread_create(&t[i], NULL, par_connect, &p[i]);
		}
		for (int i = 0; i < n; i++) {
			pthread_join(t[i], NULL);
			counts[p[i].result]++;
		}
		print_counts(counts);
		return 0;
	}
	if (!strcmp(argv[1], "listen") && argc >= 6) {
		int fd = listen_on(argv[2], argv[3], atoi(argv[4]));

		printf("listening\n");
		fflush(stdout);
		usleep((useconds_t)(atof(argv[5]) * 1e6));
		close(fd);
		return 0;
	}
	if (!strcmp(argv[1], "serve") && argc >= 5) {
		int fd = listen_on(argv[2], argv[3], 1024);
		double end = now() + atof(argv[4]);

		printf("listening\n");
		fflush(stdout);
		while (now() < end) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			pthread_t t;
			int c;

			if (poll(&pfd, 1, 100) <= 0)
				continue;
			c = accept(fd, NULL, NULL);
			if (c < 0)
				continue;
			if (write(c, "x", 1) != 1) {
				close(c);
				continue;
			}
			pthread_create(&t, NULL, drain, (void *)(long)c);
			pthread_detach(t);
		}
		return 0;
	}
	if (!strcmp(argv[1], "echo") && argc >= 5) {
		int fd = listen_on(argv[2], argv[3], 128);
		double end = now() + atof(argv[4]);

		printf("listening\n");
		fflush(stdout);
		while (now() < end) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			pthread_t t;
			int c;

			if (poll(&pfd, 1, 100) <= 0)
				continue;
			c = accept(fd, NULL, NULL);
			if (c < 0)
				continue;
			pthread_create(&t, NULL, echo_conn, (void *)(long)c);
			pthread_detach(t);
		}
		return 0;
	}
	if (!strcmp(argv[1], "rr") && argc >= 5) {
		int n = atoi(argv[4]), fd = -1, one = 1;
		double *lat = calloc(n > 0 ? n : 1, sizeof(double));
		char buf[64] = { 0 };

		len = make_addr(argv[2], argv[3], &ss);
		if (!lat || one_connect(&ss, len, 0, &fd) != R_OK_) {
			fprintf(stderr, "tcpload: connect failed\n");
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		for (int i = 0; i < n; i++) {
			double t0 = now();

			if (write(fd, buf, sizeof(buf)) != sizeof(buf) || read_full(fd, buf, sizeof(buf))) {
				fprintf(stderr, "tcpload: rr broke after %d\n", i);
				return 1;
			}
			lat[i] = (now() - t0) * 1e6;
		}
		close(fd);
		qsort(lat, n, sizeof(double), cmp_double);
		printf("p50_us=%.2f p99_us=%.2f n=%d\n", lat[n / 2], lat[(int)(n * 0.99)], n);
		return 0;
	}
	if (!strcmp(argv[1], "rate") && argc >= 5) {
		double secs = atof(argv[4]), start = now(), end = start + secs;
		long conns = 0;
		char c;

		len = make_addr(argv[2], argv[3], &ss);
		while (now() < end) {
			int fd = -1;

			if (one_connect(&ss, len, 0, &fd) != R_OK_) {
				counts[R_OTHER]++;
				continue;
			}
			if (read(fd, &c, 1) == 1 && write(fd, "y", 1) == 1)
				conns++;
			close(fd);
		}
		printf("conns=%ld per_sec=%.1f failed=%d\n", conns, conns / (now() - start),
		       counts[R_OTHER]);
		return 0;
	}
	if (!strcmp(argv[1], "send") && argc >= 5) {
		long long left = atoll(argv[4]);
		static char buf[65536];
		int fd = -1;

		len = make_addr(argv[2], argv[3], &ss);
		if (one_connect(&ss, len, 0, &fd) != R_OK_) {
			fprintf(stderr, "tcpload: connect failed\n");
			return 1;
		}
		while (left > 0) {
			size_t chunk = left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf);
			ssize_t w = write(fd, buf, chunk);

			if (w <= 0) {
				perror("tcpload: write");
				return 1;
			}
			left -= w;
		}
		shutdown(fd, SHUT_WR);
		/* wait for the peer to close: everything sent was delivered */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		printf("sent=%s\n", argv[4]);
		return 0;
	}
	if (!strcmp(argv[1], "churn") && argc >= 5) {
		int n = atoi(argv[4]);
		char c;

		len = make_addr(argv[2], argv[3], &ss);
		for (int i = 0; i < n; i++) {
			int fd = -1, r = one_connect(&ss, len, 0, &fd);

			counts[r]++;
			if (r != R_OK_)
				continue;
			if (read(fd, &c, 1) != 1 || write(fd, "y", 1) != 1)
				counts[R_OTHER]++;
			close(fd);
		}
		print_counts(counts);
		return 0;
	}
	if (!strcmp(argv[1], "hold") && argc >= 6) {
		int n = atoi(argv[4]), lfd, held = 0, own = -1, nsfd;
		struct rlimit rl;
		struct sockaddr_storage ss;
		socklen_t len = make_addr(argv[2], argv[3], &ss);

		/* within the hard limit: more sockets take more processes */
		getrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 2 * (rlim_t)n + 64)
			n = -1;
		else
			rl.rlim_cur = 2 * (rlim_t)n + 64;
		if (n <= 0 || setrlimit(RLIMIT_NOFILE, &rl)) {
			fprintf(stderr, "tcpload: hold: cannot have %s descriptors (hard limit %llu)\n",
				argv[4], (unsigned long long)rl.rlim_max);
			return 1;
		}
		if (argc >= 7) {
			own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
			nsfd = open(argv[6], O_RDONLY | O_CLOEXEC);
			if (own < 0 || nsfd < 0 || setns(nsfd, CLONE_NEWNET)) {
				fprintf(stderr, "tcpload: hold: enter %s: %s\n", argv[6], strerror(errno));
				return 1;
			}
			close(nsfd);
		}
		lfd = listen_on(argv[2], argv[3], 4096);
		/* connect a batch, accept it, and again: the backlog never overflows */
		while (held < n) {
			int batch = n - held < 1024 ? n - held : 1024, fd;

			for (int i = 0; i < batch; i++) {
				if (one_connect(&ss, len, 0, &fd) != R_OK_) {
					fprintf(stderr, "tcpload: hold: connect %d failed\n", held + i);
					return 1;
				}
			}
			for (int i = 0; i < batch; i++) {
				if (accept(lfd, NULL, NULL) < 0) {
					fprintf(stderr, "tcpload: hold: accept failed: %s\n", strerror(errno));
					return 1;
				}
			}
			held += batch;
		}
		if (own >= 0 && setns(own, CLONE_NEWNET)) {
			fprintf(stderr, "tcpload: hold: back to own namespace: %s\n", strerror(errno));
			return 1;
		}
		printf("holding %d\n", held);
		fflush(stdout);
		usleep((useconds_t)(atof(argv[5]) * 1e6));
		return 0;
	}
	fprintf(stderr, "tcpload: unknown mode or missing arguments\n");
	return 2;
}
