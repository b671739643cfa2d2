// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Traffic for the drop scenarios, with an exact count of what it sent:
 *   dropload udp ADDR PORT N [SIZE [SNDBUF]]
 *                                     N datagrams of SIZE bytes (default 16) from one
 *                                     unconnected socket, as fast as it can; with
 *                                     SNDBUF (bytes, SO_SNDBUF) the sends do not wait
 *                                     (MSG_DONTWAIT) and a full send buffer counts as
 *                                     eagain. prints: sent=X errors=Y eagain=Z
 *   dropload sink ADDR PORT RCVBUF    binds a UDP socket, sets SO_RCVBUF (0: leave
 *                                     it), prints "ready", reads nothing until
 *                                     SIGUSR1, then reads what is queued, prints
 *                                     read=N and exits
 * ADDR is numeric IPv4 or IPv6. udp exits 0 when every datagram was handed to the
 * kernel (or, with SNDBUF, refused for a full send buffer).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned long number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "dropload: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static socklen_t make_addr(const char *host, unsigned long port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((unsigned short)port);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)port);
		return sizeof(*a6);
	}
	fprintf(stderr, "dropload: bad address %s\n", host);
	exit(2);
}

static int udp(const char *host, unsigned long port, unsigned long n, unsigned long size,
	       unsigned long sndbuf)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(host, port, &ss);
	unsigned long sent = 0, errors = 0, eagain = 0;
	static char buf[65507];
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0), v = (int)sndbuf;

	if (fd < 0 || (sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)))) {
		perror("dropload: socket");
		return 1;
	}
	memset(buf, 'x', size);
	for (unsigned long i = 0; i < n; i++) {
		if (sendto(fd, buf, size, sndbuf ? MSG_DONTWAIT : 0, (struct sockaddr *)&ss, len) ==
		    (ssize_t)size)
			sent++;
		else if (sndbuf && errno == EAGAIN)
			eagain++;
		else
			errors++;
	}
	close(fd);
	printf("sent=%lu errors=%lu eagain=%lu\n", sent, errors, eagain);
	return errors ? 1 : 0;
}

static volatile sig_atomic_t drain;

static void on_usr1(int sig)
{
	(void)sig;
	drain = 1;
}

static int sink(const char *host, unsigned long port, unsigned long rcvbuf)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(host, port, &ss);
	struct sigaction sa = { .sa_handler = on_usr1 };
	unsigned long got = 0;
	static char buf[65536];
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0), v = (int)rcvbuf;
	sigset_t none;

	sigaction(SIGUSR1, &sa, NULL);
	if (fd < 0 || (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v))) ||
	    bind(fd, (struct sockaddr *)&ss, len)) {
		perror("dropload: sink");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	sigemptyset(&none);
	while (!drain)
		sigsuspend(&none);
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		got++;
	printf("read=%lu\n", got);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "udp"))
		return udp(argv[2], number(argv[3], 65535), number(argv[4], 100000000),
			   argc > 5 ? number(argv[5], 65507) : 16,
			   argc > 6 ? number(argv[6], 1 << 30) : 0);
	if (argc == 5 && !strcmp(argv[1], "sink"))
		return sink(argv[2], number(argv[3], 65535), number(argv[4], 1 << 30));
	fprintf(stderr, "usage: dropload udp ADDR PORT N [SIZE [SNDBUF]]\n"
			"       dropload sink ADDR PORT RCVBUF\n");
	return 2;
}
