// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The route layer's per-namespace MIB readings (route_mib.h). */
#include "route_mib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"

/* "InType0".."InType255", then "OutType0".."OutType255": names of the IcmpMsg line */
static char icmpmsg_store[2 * ROUTE_ICMP_TYPES][12];
static const char *icmpmsg_names[2 * ROUTE_ICMP_TYPES];

static void icmpmsg_init(void)
{
	if (icmpmsg_names[0])
		return;
	for (int i = 0; i < 2 * ROUTE_ICMP_TYPES; i++) {
		snprintf(icmpmsg_store[i], sizeof(icmpmsg_store[i]), "%sType%d",
			 i < ROUTE_ICMP_TYPES ? "In" : "Out", i % ROUTE_ICMP_TYPES);
		icmpmsg_names[i] = icmpmsg_store[i];
	}
}

/* Parses an unsigned decimal that must fill the token; false if it does not. */
static bool parse_u64(const char *s, size_t len, uint64_t *v)
{
	char buf[24], *end;

	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return !errno && *end == '\0' && buf[0] != '-';
}

/* "Icmp6InType134" -> in, 134 */
static bool icmp6_type(const char *name, size_t len, bool *in, int *type)
{
	const char *p;
	uint64_t t;

	if (len > 11 && !strncmp(name, "Icmp6InType", 11)) {
		*in = true;
		p = name + 11;
	} else if (len > 12 && !strncmp(name, "Icmp6OutType", 12)) {
		*in = false;
		p = name + 12;
	} else {
		return false;
	}
	if (!parse_u64(p, len - (size_t)(p - name), &t) || t >= ROUTE_ICMP_TYPES)
		return false;
	*type = (int)t;
	return true;
}

int route_mib_parse_snmp6(const char *text, struct route_mib *m)
{
	int taken = 0;

	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n'), *name = line, *val;
		size_t nlen, vlen, llen = eol ? (size_t)(eol - line) : strlen(line);
		uint64_t v;
		bool in;
		int type;

		nlen = strcspn(name, " \t\n");
		if (nlen > llen)
			nlen = llen;
		val = name + nlen;
		while (val < line + llen && (*val == ' ' || *val == '\t'))
			val++;
		vlen = (size_t)(line + llen - val);
		line = eol ? eol + 1 : NULL;
		if (!nlen || !parse_u64(val, vlen, &v))
			continue;
		if ((nlen == 14 && !strncmp(name, "Ip6OutNoRoutes", 14)) ||
		    (nlen == 13 && !strncmp(name, "Ip6InNoRoutes", 13))) {
			m->noroute[1] += v;
		} else if (icmp6_type(name, nlen, &in, &type)) {
			if (in)
				m->in[1][type] = v;
			else
				m->out[1][type] = v;
		} else {
			continue;
		}
		m->has[1] = true;
		taken++;
	}
	return taken;
}

static int read_file(const char *path, char **buf, size_t *cap)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (*cap - len < 4096) {
			size_t c = *cap ? *cap * 2 : 16384;
			char *t = realloc(*buf, c);

			if (!t) {
				close(fd);
				return -ENOMEM;
			}
			*buf = t;
			*cap = c;
		}
		n = read(fd, *buf + len, *cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	(*buf)[len] = '\0';
	return 0;
}

int route_mib_read(struct route_mib *m)
{
	static const char *const ip[] = { "OutNoRoutes" }, *const ipext[] = { "InNoRoutes" };
	static __thread char *buf;
	static __thread size_t cap;
	uint64_t v[2] = { 0, 0 }, types[2 * ROUTE_ICMP_TYPES];

	memset(m, 0, sizeof(*m));
	icmpmsg_init();
	if (mib_read("Ip", ip, v, 1) != 1)
		return -ENOENT;
	mib_read("IpExt", ipext, v + 1, 1);
	m->has[0] = true;
	m->noroute[0] = v[0] + v[1];
	/* IcmpMsg lists only the types seen so far: the others stay at zero */
	memset(types, 0, sizeof(types));
	mib_read("IcmpMsg", icmpmsg_names, types, 2 * ROUTE_ICMP_TYPES);
	memcpy(m->in[0], types, sizeof(m->in[0]));
	memcpy(m->out[0], types + ROUTE_ICMP_TYPES, sizeof(m->out[0]));
	/* no snmp6 where IPv6 is disabled */
	if (read_file("/proc/thread-self/net/snmp6", &buf, &cap) == 0)
		route_mib_parse_snmp6(buf, m);
	return 0;
}
