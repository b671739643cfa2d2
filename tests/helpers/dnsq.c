// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dnsq: exact DNS traffic for the dns scenarios. Every query is sent once (no retry),
 * and every run says what it sent and got, so a test can compare the agent's counts
 * with what really happened.
 *
 *   dnsq query SERVER PORT NAME TYPE COUNT [WAIT_MS]
 *       COUNT queries from one UDP socket, one at a time, each waiting up to WAIT_MS
 *       (default 2000) for its response; with DNSQ_GATE=FIFO in the environment, the
 *       socket is made first and the queries wait for a line on FIFO; with
 *       DNSQ_REPEAT=R each query is sent R times (same id and port: a retry); with
 *       DNSQ_CONNECT=1 the socket is connected to the server first (as glibc's). Prints
 *       "pid=P sent=N noerror=.. nxdomain=.. servfail=.. refused=.. rcode_other=..
 *        timeout=.. received=.." (received: every datagram the socket got).
 *   dnsq burst SERVER PORT NAME TYPE COUNT
 *       COUNT queries (ids 0..COUNT-1) from one socket as fast as they go, waiting for
 *       no answer. Prints "sent=N".
 *   dnsq serve ADDR PORT MODE
 *       A server that answers every query by MODE: drop (never), noerror, nxdomain,
 *       servfail, refused, truncated (NOERROR with the TC bit), othername (NXDOMAIN
 *       whose question's first letter is 'x': a name never asked), or hostile: HOSTILE_RESPONSES
 * malformed packets, then one response with a wrong id, then the right NOERROR response. Runs until
 * killed. dnsq hostile SERVER PORT Sends HOSTILE_QUERIES malformed queries, then one valid query
 * whose name has the longest legal length (255 bytes). Prints "malformed=N valid=1". dnsq raw
 * SERVER PORT NAME TYPE [WAIT_MS] One query over a raw IPPROTO_UDP socket (IPv4), the response read
 * from it; received counts every datagram from port 53 the raw socket saw. dnsq packet IFNAME
 * DSTMAC SRCIP SERVER PORT NAME TYPE [WAIT_MS] One query over an AF_PACKET socket (IPv4, built
 * here), the response read from it.
 *
 * NAME is presentation text: labels split on '.', "\." a literal dot, "\DDD" a byte.
 * TYPE is a mnemonic (A, AAAA, MX, TXT, PTR, SRV, HTTPS) or a number.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HOSTILE_QUERIES 10
#define HOSTILE_RESPONSES 9

static void die(const char *what)
{
	fprintf(stderr, "dnsq: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: dnsq query SERVER PORT NAME TYPE COUNT [WAIT_MS]\n"
			"       dnsq serve ADDR PORT "
			"drop|noerror|nxdomain|servfail|refused|truncated|hostile|othername\n"
			"       dnsq burst SERVER PORT NAME TYPE COUNT\n"
			"       dnsq hostile SERVER PORT\n"
			"       dnsq raw SERVER PORT NAME TYPE [WAIT_MS]\n"
			"       dnsq packet IFNAME DSTMAC SRCIP SERVER PORT NAME TYPE [WAIT_MS]\n");
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "dnsq: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static uint16_t qtype_of(const char *s)
{
	static const struct {
		const char *n;
		uint16_t v;
	} t[] = { { "A", 1 },	 { "NS", 2 },	 { "CNAME", 5 }, { "PTR", 12 },	  { "MX", 15 },
		  { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 },	 { "HTTPS", 65 }, { "ANY", 255 } };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcasecmp(s, t[i].n))
			return t[i].v;
	return (uint16_t)num(s, 0, 65535);
}

/* Presentation name to wire format into w (room for 255); returns its length. */
static size_t name_to_wire(const char *s, uint8_t *w)
{
	size_t o = 0, lab = 0;

	if (!strcmp(s, ".")) {
		w[0] = 0;
		return 1;
	}
	w[o++] = 0;
	for (; *s; s++) {
		uint8_t c = (uint8_t)*s;

		if (c == '.') {
			w[lab] = (uint8_t)(o - lab - 1);
			lab = o;
			w[o++] = 0;
			continue;
		}
		if (c == '\\' && s[1] >= '0' && s[1] <= '9' && s[2] && s[3]) {
			c = (uint8_t)((s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
			s += 3;
		} else if (c == '\\' && s[1]) {
			c = (uint8_t) * ++s;
		}
		if (o >= 254 || o - lab > 63) {
			fprintf(stderr, "dnsq: name too long\n");
			exit(2);
		}
		w[o++] = c;
	}
	w[lab] = (uint8_t)(o - lab - 1);
	if (w[lab])
		w[o++] = 0;
	return o;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A query: header, then the question. Returns its length. */
static size_t build_query(uint8_t *b, uint16_t id, const uint8_t *wire, size_t wlen, uint16_t qtype)
{
	memset(b, 0, 12);
	put16(b, id);
	b[2] = 0x01; /* RD */
	put16(b + 4, 1);
	memcpy(b + 12, wire, wlen);
	put16(b + 12 + wlen, qtype);
	put16(b + 14 + wlen, 1); /* IN */
	return 16 + wlen;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int sockaddr_of(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return AF_INET6;
	}
	fprintf(stderr, "dnsq: bad address '%s'\n", host);
	exit(2);
}

struct tally {
	unsigned sent, rcode[16], timeout, received;
};

static void tally_print(const struct tally *t)
{
	unsigned other = 0;

	for (int r = 0; r < 16; r++)
		if (r != 0 && r != 2 && r != 3 && r != 5)
			other += t->rcode[r];
	printf("pid=%d sent=%u noerror=%u nxdomain=%u servfail=%u refused=%u rcode_other=%u "
	       "timeout=%u received=%u\n",
	       getpid(), t->sent, t->rcode[0], t->rcode[3], t->rcode[2], t->rcode[5], other,
	       t->timeout, t->received);
}

/* Whether b (n bytes, a DNS message) is the response to query q (qlen bytes): same id,
 * the QR bit, and the question repeated byte for byte, as a stub resolver checks. */
static int is_response(const uint8_t *b, size_t n, const uint8_t *q, size_t qlen)
{
	return n >= qlen && get16(b) == get16(q) && (b[2] & 0x80) && get16(b + 4) == 1 &&
	       !memcmp(b + 12, q + 12, qlen - 12);
}

/* Blocks until a line can be read from path (a FIFO the test writes to). */
static void gate(const char *path)
{
	char c;
	FILE *f = fopen(path, "re");

	if (!f)
		die(path);
	if (fread(&c, 1, 1, f) != 1)
		die("read gate");
	fclose(f);
}

/* Where and what to ask: SERVER PORT NAME TYPE from argv, and a UDP socket for it. */
struct target {
	struct sockaddr_storage ss;
	socklen_t sl;
	int fam, fd;
	uint8_t wire[256];
	size_t wlen;
	uint16_t qtype;
};

static void target_open(struct target *t, char **argv)
{
	t->fam = sockaddr_of(argv[0], (int)num(argv[1], 1, 65535), &t->ss, &t->sl);
	t->wlen = name_to_wire(argv[2], t->wire);
	t->qtype = qtype_of(argv[3]);
	t->fd = socket(t->fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		die("socket");
	/* DNSQ_CONNECT=1: connect the socket to the server first, as glibc's resolver does */
	if (getenv("DNSQ_CONNECT") && connect(t->fd, (struct sockaddr *)&t->ss, t->sl))
		die("connect");
}

/* COUNT queries as fast as they go, each with its own id, waiting for none. */
static int cmd_burst(int argc, char **argv)
{
	struct target tg;
	uint8_t q[512];
	long count, sent = 0;

	if (argc < 7)
		usage();
	target_open(&tg, argv + 2);
	count = num(argv[6], 0, 65536);
	for (long i = 0; i < count; i++) {
		size_t qlen = build_query(q, (uint16_t)i, tg.wire, tg.wlen, tg.qtype);

		if (sendto(tg.fd, q, qlen, 0, (struct sockaddr *)&tg.ss, tg.sl) != (ssize_t)qlen)
			die("sendto");
		sent++;
	}
	printf("sent=%ld\n", sent);
	return 0;
}

static int cmd_query(int argc, char **argv)
{
	struct target tg;
	uint8_t q[512], r[4096];
	struct tally t = { 0 };
	long count, wait_ms = 2000, repeat = 1;
	uint16_t id0;
	size_t qlen;

	if (argc < 7)
		usage();
	target_open(&tg, argv + 2);
	count = num(argv[6], 0, 100000);
	if (argc > 7)
		wait_ms = num(argv[7], 1, 600000);
	if (getenv("DNSQ_REPEAT"))
		repeat = num(getenv("DNSQ_REPEAT"), 1, 100);
	if (getenv("DNSQ_GATE")) {
		struct sockaddr_storage any = { .ss_family = (sa_family_t)tg.fam };

		/* bound, so that ss shows the socket while it waits */
		if (bind(tg.fd, (struct sockaddr *)&any, tg.sl))
			die("bind");
		gate(getenv("DNSQ_GATE"));
	}
	id0 = (uint16_t)((unsigned)getpid() * 2654435761u >> 8);
	for (long i = 0; i < count; i++) {
		uint16_t id = (uint16_t)(id0 + i);
		uint64_t deadline;
		int got = 0;

		qlen = build_query(q, id, tg.wire, tg.wlen, tg.qtype);
		for (long k = 0; k < repeat; k++) {
			if (sendto(tg.fd, q, qlen, 0, (struct sockaddr *)&tg.ss, tg.sl) !=
			    (ssize_t)qlen)
				die("sendto");
			t.sent++;
		}
		deadline = now_ms() + (uint64_t)wait_ms;
		while (!got) {
			uint64_t now = now_ms();
			struct pollfd pfd = { .fd = tg.fd, .events = POLLIN };
			ssize_t n;

			if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) <= 0)
				break;
			n = recv(tg.fd, r, sizeof(r), 0);
			if (n < 0) {
				if (errno == ECONNREFUSED || errno == EINTR)
					continue;
				die("recv");
			}
			t.received++;
			if (is_response(r, (size_t)n, q, qlen)) {
				t.rcode[r[3] & 0x0f]++;
				got = 1;
			}
		}
		if (!got)
			t.timeout++;
	}
	tally_print(&t);
	return 0;
}

/* A response to query q (qlen bytes, already checked to hold a header) with rcode,
 * echoing its question when one parses. Returns its length. */
static size_t build_response(uint8_t *b, const uint8_t *q, size_t qlen, uint16_t id, int rcode)
{
	size_t o = 12;

	memset(b, 0, 12);
	put16(b, id);
	b[2] = 0x80 | (q[2] & 0x01); /* QR, RD as asked */
	b[3] = 0x80 | (uint8_t)rcode; /* RA */
	if (get16(q + 4) >= 1) {
		/* copy the first question if it is plain labels within the packet */
		while (o < qlen && q[o] && !(q[o] & 0xc0) && o + q[o] + 1 < qlen)
			o += q[o] + 1;
		if (o < qlen && q[o] == 0 && o + 5 <= qlen) {
			o += 5;
			memcpy(b + 12, q + 12, o - 12);
			put16(b + 4, 1);
			return o;
		}
	}
	return 12;
}

/* The malformed responses to query id, in order; returns how many were made. Each is
 * a header (id, flags, question count) and then body bytes; len cuts it short. */
static int hostile_responses(uint8_t pk[][300], size_t *len, uint16_t id)
{
	static const struct {
		uint8_t flags; /* third header byte */
		uint16_t qdcount;
		const char *body;
		size_t blen; /* body bytes */
		int len; /* the packet's length, when it is not header + body */
	} h[HOSTILE_RESPONSES] = {
		{ 0x80, 0, "", 0, 0 }, /* zero-length payload */
		{ 0x80, 0, "", 0, 7 }, /* header cut short */
		{ 0x80, 0, "", 0, -1 }, /* a response with no question */
		{ 0x80, 1, "\xc0\x0c\x00\x01\x00\x01", 6, -1 }, /* the name points at itself */
		{ 0x80, 1,
		  "\x3f"
		  "abcdefghij",
		  11, -1 }, /* a label running past the end */
		{ 0x80, 1, NULL, 0, -1 }, /* a name of 257 bytes: built below */
		{ 0x80, 1,
		  "\x41"
		  "a\x00\x00\x01\x00\x01",
		  7, -1 }, /* reserved label type 0x40 */
		{ 0x00, 1,
		  "\x01"
		  "a\x00\x00\x01\x00\x01",
		  7, -1 }, /* a query from port 53 */
		{ 0x80, 1,
		  "\x01"
		  "a\x00",
		  3, -1 }, /* a name, no type and class after it */
	};

	for (int i = 0; i < HOSTILE_RESPONSES; i++) {
		uint8_t *b = pk[i];

		memset(b, 0, 12);
		put16(b, id);
		b[2] = h[i].flags;
		put16(b + 4, h[i].qdcount);
		len[i] = 12 + h[i].blen;
		if (h[i].body) {
			memcpy(b + 12, h[i].body, h[i].blen);
		} else { /* four 63-byte labels and the root, then type and class */
			for (int l = 0; l < 4; l++) {
				b[12 + l * 64] = 63;
				memset(b + 13 + l * 64, 'x', 63);
			}
			memcpy(b + 12 + 256, "\x00\x00\x01\x00\x01", 5);
			len[i] = 12 + 257 + 4;
		}
		if (h[i].len >= 0)
			len[i] = (size_t)h[i].len;
	}
	return HOSTILE_RESPONSES;
}

static __attribute__((noreturn)) void cmd_serve(int argc, char **argv)
{
	static const struct {
		const char *mode;
		int rcode;
	} modes[] = { { "drop", -1 },	{ "noerror", 0 },   { "servfail", 2 },	 { "nxdomain", 3 },
		      { "refused", 5 }, { "hostile", 100 }, { "truncated", 101 },
		      { "othername", 102 } };
	struct sockaddr_storage ss, peer;
	socklen_t sl, pl;
	uint8_t q[4096], r[4096];
	int fd, fam, rcode = -2, one = 1;

	if (argc < 5)
		usage();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[4], modes[i].mode))
			rcode = modes[i].rcode;
	if (rcode == -2)
		usage();
	fam = sockaddr_of(argv[2], (int)num(argv[3], 1, 65535), &ss, &sl);
	fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl))
		die("bind");
	for (;;) {
		ssize_t n;
		size_t rl;

		pl = sizeof(peer);
		n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&peer, &pl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recvfrom");
		}
		if (n < 12 || (q[2] & 0x80) || rcode == -1)
			continue;
		if (rcode == 100) {
			uint8_t pk[HOSTILE_RESPONSES][300];
			size_t len[HOSTILE_RESPONSES];
			int k = hostile_responses(pk, len, get16(q));

			for (int i = 0; i < k; i++)
				sendto(fd, pk[i], len[i], 0, (struct sockaddr *)&peer, pl);
			rl = build_response(r, q, (size_t)n, (uint16_t)(get16(q) ^ 0x5555), 0);
			sendto(fd, r, rl, 0, (struct sockaddr *)&peer, pl);
			rl = build_response(r, q, (size_t)n, get16(q), 0);
			sendto(fd, r, rl, 0, (struct sockaddr *)&peer, pl);
			continue;
		}
		rl = build_response(r, q, (size_t)n, get16(q),
				    rcode == 101 ? 0 : rcode == 102 ? 3 : rcode);
		if (rcode == 101)
			r[2] |= 0x02; /* TC: the answer did not fit */
		if (rcode == 102 && rl > 13 && r[12])
			r[13] = 'x'; /* NXDOMAIN for a name never asked: nope.test -> xope.test */
		sendto(fd, r, rl, 0, (struct sockaddr *)&peer, pl);
	}
}

static int cmd_hostile(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t pk[HOSTILE_QUERIES][300], wire[256];
	size_t len[HOSTILE_QUERIES];
	int fd, fam, n = 0;
	uint16_t id = (uint16_t)getpid();

	if (argc < 4)
		usage();
	fam = sockaddr_of(argv[2], (int)num(argv[3], 1, 65535), &ss, &sl);
	fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	/* the responses' malformations, as queries (QR clear), and one of its own */
	n = hostile_responses(pk, len, id);
	for (int i = 0; i < n; i++)
		pk[i][2] &= (uint8_t)~0x80;
	/* 8. above is now a plain query: make it a response sent to a server instead */
	pk[7][2] |= 0x80;
	/* 10. a query asking no question at all, after a valid-looking name */
	memset(pk[n], 0, 12);
	put16(pk[n], id);
	memcpy(pk[n] + 12,
	       "\x01"
	       "a\x00\x00\x01\x00\x01",
	       7);
	len[n++] = 19;
	for (int i = 0; i < n; i++)
		if (sendto(fd, pk[i], len[i], 0, (struct sockaddr *)&ss, sl) != (ssize_t)len[i])
			die("sendto");
	/* the longest legal name: three 63-byte labels, one of 61, the root = 255 bytes */
	for (int l = 0; l < 4; l++) {
		int ll = l < 3 ? 63 : 61;

		wire[l * 64] = (uint8_t)ll;
		memset(wire + l * 64 + 1, 'a' + l, (size_t)ll);
	}
	wire[254] = 0;
	{
		uint8_t q[300];
		size_t ql = build_query(q, (uint16_t)(id + 1), wire, 255, 1);

		if (sendto(fd, q, ql, 0, (struct sockaddr *)&ss, sl) != (ssize_t)ql)
			die("sendto");
	}
	printf("malformed=%d valid=1\n", n);
	return 0;
}

static uint16_t ip_csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Waits on fd for an IPv4 packet from sport 53 to dport with DNS id; fills the tally. */
static void wait_ip_response(int fd, uint16_t dport, const uint8_t *q, size_t qlen, long wait_ms,
			     struct tally *t)
{
	uint64_t deadline = now_ms() + (uint64_t)wait_ms;
	uint8_t b[4096];

	for (;;) {
		uint64_t now = now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		const struct iphdr *ip = (const struct iphdr *)b;
		size_t ihl;
		ssize_t n;

		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) <= 0)
			break;
		n = recv(fd, b, sizeof(b), 0);
		if (n < (ssize_t)sizeof(*ip) || ip->version != 4 || ip->protocol != IPPROTO_UDP)
			continue;
		ihl = (size_t)ip->ihl * 4;
		if ((size_t)n < ihl + 8 || get16(b + ihl) != 53)
			continue;
		/* every datagram from port 53, to whichever port: a raw socket gets them all */
		t->received++;
		if (get16(b + ihl + 2) != dport)
			continue;
		if (is_response(b + ihl + 8, (size_t)n - ihl - 8, q, qlen)) {
			t->rcode[b[ihl + 8 + 3] & 0x0f]++;
			return;
		}
	}
	t->timeout++;
}

static int cmd_raw(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t wire[256], pk[600];
	struct tally t = { 0 };
	uint16_t sport = (uint16_t)(40000 + getpid() % 20000), id = (uint16_t)getpid();
	long wait_ms = 2000;
	size_t ql;
	int fd;

	if (argc < 6)
		usage();
	if (sockaddr_of(argv[2], (int)num(argv[3], 1, 65535), &ss, &sl) != AF_INET)
		usage();
	if (argc > 6)
		wait_ms = num(argv[6], 1, 600000);
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		die("socket raw");
	ql = build_query(pk + 8, id, wire, name_to_wire(argv[4], wire), qtype_of(argv[5]));
	put16(pk, sport);
	put16(pk + 2, (uint16_t)num(argv[3], 1, 65535));
	put16(pk + 4, (uint16_t)(ql + 8));
	put16(pk + 6, 0); /* no checksum: allowed over IPv4 */
	/* the kernel routes it and builds the IP header */
	((struct sockaddr_in *)&ss)->sin_port = 0;
	if (sendto(fd, pk, ql + 8, 0, (struct sockaddr *)&ss, sl) != (ssize_t)(ql + 8))
		die("sendto");
	t.sent++;
	wait_ip_response(fd, sport, pk + 8, ql, wait_ms, &t);
	tally_print(&t);
	return 0;
}

static int cmd_packet(int argc, char **argv)
{
	struct sockaddr_ll ll = { 0 };
	struct in_addr src, dst;
	uint8_t wire[256], pk[600];
	struct iphdr *ip = (struct iphdr *)pk;
	struct tally t = { 0 };
	uint16_t sport = (uint16_t)(40000 + getpid() % 20000), id = (uint16_t)getpid();
	unsigned int mac[6];
	long wait_ms = 2000;
	size_t ql;
	int fd;

	if (argc < 9)
		usage();
	if (sscanf(argv[3], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
		   &mac[5]) != 6 ||
	    inet_pton(AF_INET, argv[4], &src) != 1 || inet_pton(AF_INET, argv[5], &dst) != 1)
		usage();
	if (argc > 9)
		wait_ms = num(argv[9], 1, 600000);
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_IP);
	ll.sll_ifindex = (int)if_nametoindex(argv[2]);
	ll.sll_halen = 6;
	for (int i = 0; i < 6; i++)
		ll.sll_addr[i] = (uint8_t)mac[i];
	if (!ll.sll_ifindex)
		die("if_nametoindex");
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0)
		die("socket packet");
	ql = build_query(pk + 28, id, wire, name_to_wire(argv[7], wire), qtype_of(argv[8]));
	memset(pk, 0, 28);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)(ql + 28));
	ip->saddr = src.s_addr;
	ip->daddr = dst.s_addr;
	ip->check = htons(ip_csum(pk, 20));
	put16(pk + 20, sport);
	put16(pk + 22, (uint16_t)num(argv[6], 1, 65535));
	put16(pk + 24, (uint16_t)(ql + 8));
	if (sendto(fd, pk, ql + 28, 0, (struct sockaddr *)&ll, sizeof(ll)) != (ssize_t)(ql + 28))
		die("sendto");
	t.sent++;
	wait_ip_response(fd, sport, pk + 28, ql, wait_ms, &t);
	tally_print(&t);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "query"))
		return cmd_query(argc, argv);
	if (!strcmp(argv[1], "serve"))
		cmd_serve(argc, argv);
	if (!strcmp(argv[1], "hostile"))
		return cmd_hostile(argc, argv);
	if (!strcmp(argv[1], "burst"))
		return cmd_burst(argc, argv);
	if (!strcmp(argv[1], "raw"))
		return cmd_raw(argc, argv);
	if (!strcmp(argv[1], "packet"))
		return cmd_packet(argc, argv);
	usage();
	return 2;
}
