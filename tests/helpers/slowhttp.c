// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * slowhttp: many HTTP clients that send their request headers slowly (slowloris), for
 * the HTTP server's limits.
 *
 *   slowhttp SRCADDR DSTADDR PORT COUNT SECONDS
 *       Opens COUNT connections from SRCADDR (IPv4) to DSTADDR:PORT, each sending
 *       "GET /metrics HTTP/1.1\r\n" and then one header byte per second, never ending
 *       the request, for SECONDS. Prints "connected=N" once every connect returned
 *       (N: those that succeeded), then every second "open=N" (connections the server
 *       has not closed), and exits after SECONDS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int conn_from(const char *src, const char *dst, int port)
{
	struct sockaddr_in s = { .sin_family = AF_INET }, d = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, src, &s.sin_addr);
	inet_pton(AF_INET, dst, &d.sin_addr);
	d.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&s, sizeof(s)) ||
	    connect(fd, (struct sockaddr *)&d, sizeof(d))) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 4096, 4096 };
	int count, secs, port, *fds, connected = 0;
	static const char start[] = "GET /metrics HTTP/1.1\r\n";

	if (argc != 6) {
		fprintf(stderr, "usage: slowhttp SRCADDR DSTADDR PORT COUNT SECONDS\n");
		return 2;
	}
	port = atoi(argv[3]);
	count = atoi(argv[4]);
	secs = atoi(argv[5]);
	if (port <= 0 || count <= 0 || count > 4000 || secs <= 0) {
		fprintf(stderr, "slowhttp: bad PORT, COUNT (1-4000) or SECONDS\n");
		return 2;
	}
	setrlimit(RLIMIT_NOFILE, &rl);
	fds = calloc((size_t)count, sizeof(*fds));
	if (!fds)
		return 1;
	for (int i = 0; i < count; i++) {
		fds[i] = conn_from(argv[1], argv[2], port);
		if (fds[i] >= 0 && send(fds[i], start, sizeof(start) - 1, MSG_NOSIGNAL) > 0)
			connected++;
	}
	printf("connected=%d\n", connected);
	fflush(stdout);
	for (int t = 0; t < secs; t++) {
		int open = 0;

		sleep(1);
		for (int i = 0; i < count; i++) {
			char c;
			ssize_t r;

			if (fds[i] < 0)
				continue;
			/* a closed connection reads EOF, a reset, or the server's answer; a
			 * held one has nothing to read */
			r = recv(fds[i], &c, 1, MSG_DONTWAIT);
			if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK) ||
			    send(fds[i], "X", 1, MSG_NOSIGNAL) < 0) {
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			open++;
		}
		printf("open=%d\n", open);
		fflush(stdout);
	}
	return 0;
}
