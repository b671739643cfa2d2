// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The route layer's per-namespace MIB readings (route_mib.h). */
#include "route_mib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns.h"

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

struct snmp6_ctx {
	struct route_mib *m;
	int taken;
};

static void snmp6_pair(void *ctx, const char *name, size_t nlen, uint64_t v)
{
	struct snmp6_ctx *c = ctx;
	bool in;
	int type;

	if ((nlen == 14 && !strncmp(name, "Ip6OutNoRoutes", 14)) ||
	    (nlen == 13 && !strncmp(name, "Ip6InNoRoutes", 13))) {
		c->m->noroute[1] += v;
	} else if (icmp6_type(name, nlen, &in, &type)) {
		if (in)
			c->m->in[1][type] = v;
		else
			c->m->out[1][type] = v;
	} else {
		return;
	}
	c->m->has[1] = true;
	c->taken++;
}

uint64_t route_mib_rest(uint64_t mib, uint64_t hooked, uint64_t *last)
{
	uint64_t rest = mib > hooked ? mib - hooked : 0;

	if (rest < *last)
		rest = *last;
	*last = rest;
	return rest;
}

int route_mib_parse_snmp6(const char *text, struct route_mib *m)
{
	struct snmp6_ctx c = { m, 0 };

	mib_pairs(text, strlen(text), snmp6_pair, &c);
	return c.taken;
}

/* "InType3" / "OutType11" of the IcmpMsg line */
static void icmpmsg_counter(void *ctx, const char *name, size_t nlen, uint64_t v)
{
	struct route_mib *m = ctx;
	uint64_t t;

	if (nlen > 6 && !strncmp(name, "InType", 6) && parse_u64(name + 6, nlen - 6, &t) &&
	    t < ROUTE_ICMP_TYPES)
		m->in[0][t] = v;
	else if (nlen > 7 && !strncmp(name, "OutType", 7) && parse_u64(name + 7, nlen - 7, &t) &&
		 t < ROUTE_ICMP_TYPES)
		m->out[0][t] = v;
}

int route_mib_read(struct route_mib *m)
{
	static const char *const ip[] = { "OutNoRoutes" }, *const ipext[] = { "InNoRoutes" };
	const char *snmp6;
	uint64_t v[2] = { 0, 0 };

	memset(m, 0, sizeof(*m));
	if (mib_read("Ip", ip, v, 1) != 1)
		return -ENOENT;
	mib_read("IpExt", ipext, v + 1, 1);
	m->has[0] = true;
	m->noroute[0] = v[0] + v[1];
	/* IcmpMsg lists only the types seen so far: the others stay at zero */
	mib_read_each("IcmpMsg", icmpmsg_counter, m);
	/* no snmp6 where IPv6 is disabled */
	snmp6 = mib_snmp6_text();
	if (snmp6)
		route_mib_parse_snmp6(snmp6, m);
	return 0;
}
