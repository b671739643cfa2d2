// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * neighsend ADDR PORT N [BYTES]: sends N UDP datagrams of BYTES (default 8) to
 * ADDR:PORT (IPv4 or IPv6) from one unconnected socket, as fast as it can, and prints
 * "sent=N" (the datagrams the kernel accepted). For the neigh scenarios: packets to an
 * on-link address wait in the neighbour's queue, so every one the kernel accepted is
 * either delivered or counted as dropped while unresolved.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || *out > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	unsigned long port, n, bytes = 8, sent = 0;
	socklen_t sl;
	char buf[1400] = { 0 };
	int fd;

	if (argc < 4 || argc > 5 || parse_uint(argv[2], 65535, &port) ||
	    parse_uint(argv[3], 1000000, &n) ||
	    (argc == 5 && parse_uint(argv[4], sizeof(buf), &bytes))) {
		fprintf(stderr, "usage: neighsend ADDR PORT N [BYTES<=%zu]\n", sizeof(buf));
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[1], &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "neighsend: bad address %s\n", argv[1]);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("neighsend: socket");
		return 1;
	}
	for (unsigned long i = 0; i < n; i++) {
		if (sendto(fd, buf, bytes, 0, (struct sockaddr *)&ss, sl) == (ssize_t)bytes)
			sent++;
		else
			fprintf(stderr, "neighsend: sendto: %s\n", strerror(errno));
	}
	close(fd);
	printf("sent=%lu\n", sent);
	return sent == n ? 0 : 1;
}
