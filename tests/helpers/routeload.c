// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Load for the route scenarios, with exact counts of what it did:
 *   routeload udp ADDR PORT N [ttl=T] [size=BYTES] [df]
 *       N sendto() of one datagram each from one unconnected UDP socket (an unconnected
 *       socket is not told of ICMP errors, so each send stands alone). ttl sets
 *       IP_TTL / IPV6_UNICAST_HOPS; df sends with DF (IPv6: never fragments) whatever
 *       path MTU the kernel has learnt (IP_PMTUDISC_PROBE), so every datagram tries.
 *       prints: ok=X enetunreach=Y ehostunreach=Z eacces=A einval=B emsgsize=M other=O
 *   routeload icmp ADDR N TYPE CODE
 *       N ICMP (ICMPv6 for an IPv6 address) messages of that type and code sent from a
 *       raw socket, as a user-space tool would send an error: the kernel's MIB counts
 *       them (OutType<TYPE>), its own error paths never see them. Each carries the
 *       start of a made-up invoking datagram. prints: ok=X other=O
 * Addresses are numeric IPv4 or IPv6. Exit 0 when every send was made, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: routeload udp ADDR PORT N [ttl=T] [size=BYTES] [df]\n"
			"       routeload icmp ADDR N TYPE CODE\n");
	exit(2);
}

static long number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		usage();
	return v;
}

/* The Internet checksum (RFC 1071): ICMPv4 raw sockets send what they are given; for
 * ICMPv6 the kernel fills it in. */
static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int icmp_load(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	/* 8 bytes of header, unused word, then an invoking datagram's first 28 bytes */
	uint8_t msg[8 + 28] = { 0 };
	long n, ok = 0, other = 0;
	socklen_t len;
	int fd;

	if (argc != 6)
		usage();
	n = number(argv[3], 0, 1000000);
	msg[0] = (uint8_t)number(argv[4], 0, 255);
	msg[1] = (uint8_t)number(argv[5], 0, 255);
	if (inet_pton(AF_INET, argv[2], &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		len = sizeof(*a4);
		msg[8] = 0x45; /* IPv4, 20-byte header */
		msg[8 + 9] = IPPROTO_UDP;
	} else if (inet_pton(AF_INET6, argv[2], &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		len = sizeof(*a6);
		msg[8] = 0x60; /* IPv6 */
		msg[8 + 6] = IPPROTO_UDP;
	} else {
		fprintf(stderr, "routeload: bad address %s\n", argv[2]);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_RAW, ss.ss_family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0) {
		perror("routeload: raw socket");
		return 1;
	}
	if (ss.ss_family == AF_INET) {
		uint16_t c = csum(msg, sizeof(msg));

		msg[2] = (uint8_t)(c >> 8);
		msg[3] = (uint8_t)c;
	}
	for (long i = 0; i < n; i++) {
		if (sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&ss, len) == (ssize_t)sizeof(msg))
			ok++;
		else
			other++;
	}
	printf("ok=%ld other=%ld\n", ok, other);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	long n, ttl = -1, size = 16, ok = 0, netun = 0, hostun = 0, acces = 0, inval = 0,
		msgsize = 0, other = 0;
	socklen_t len;
	bool df = false;
	char *buf;
	int fd, port;

	if (argc > 1 && !strcmp(argv[1], "icmp"))
		return icmp_load(argc, argv);
	if (argc < 5 || strcmp(argv[1], "udp"))
		usage();
	port = (int)number(argv[3], 1, 65535);
	n = number(argv[4], 0, 1000000);
	for (int i = 5; i < argc; i++) {
		if (!strncmp(argv[i], "ttl=", 4))
			ttl = number(argv[i] + 4, 1, 255);
		else if (!strncmp(argv[i], "size=", 5))
			size = number(argv[i] + 5, 0, 65000);
		else if (!strcmp(argv[i], "df"))
			df = true;
		else
			usage();
	}
	if (inet_pton(AF_INET, argv[2], &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, argv[2], &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "routeload: bad address %s\n", argv[2]);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("routeload: socket");
		return 1;
	}
	if (ttl > 0) {
		int v = (int)ttl;
		int r = ss.ss_family == AF_INET
				? setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof(v))
				: setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v));

		if (r) {
			perror("routeload: ttl");
			return 1;
		}
	}
	if (df) {
		int v = ss.ss_family == AF_INET ? IP_PMTUDISC_PROBE : IPV6_PMTUDISC_PROBE;
		int r = ss.ss_family == AF_INET
				? setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v))
				: setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v));

		if (r) {
			perror("routeload: df");
			return 1;
		}
	}
	buf = calloc(1, (size_t)size + 1);
	if (!buf)
		return 1;
	for (long i = 0; i < n; i++) {
		if (sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&ss, len) >= 0) {
			ok++;
			continue;
		}
		switch (errno) {
		case ENETUNREACH:
			netun++;
			break;
		case EHOSTUNREACH:
			hostun++;
			break;
		case EACCES:
			acces++;
			break;
		case EINVAL:
			inval++;
			break;
		case EMSGSIZE:
			msgsize++;
			break;
		default:
			other++;
		}
	}
	printf("ok=%ld enetunreach=%ld ehostunreach=%ld eacces=%ld einval=%ld emsgsize=%ld "
	       "other=%ld\n",
	       ok, netun, hostun, acces, inval, msgsize, other);
	free(buf);
	close(fd);
	return 0;
}
