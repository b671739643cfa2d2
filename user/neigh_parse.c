// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "neigh_parse.h"

#include "netns.h"

#include <string.h>

const char *const ndp_type_names[NDP_TYPES] = {
	[NDP_NEIGHBOR_SOLICIT] = "neighbor_solicit",
	[NDP_NEIGHBOR_ADVERT] = "neighbor_advert",
	[NDP_ROUTER_SOLICIT] = "router_solicit",
	[NDP_ROUTER_ADVERT] = "router_advert",
	[NDP_REDIRECT] = "redirect",
};

/* The kernel's names for them (net/ipv6/proc.c, icmp6type2name), after "Icmp6In"/"Icmp6Out". */
static const char *const mib_names[NDP_TYPES] = {
	[NDP_NEIGHBOR_SOLICIT] = "NeighborSolicits",
	[NDP_NEIGHBOR_ADVERT] = "NeighborAdvertisements",
	[NDP_ROUTER_SOLICIT] = "RouterSolicits",
	[NDP_ROUTER_ADVERT] = "RouterAdvertisements",
	[NDP_REDIRECT] = "Redirects",
};

static int mib_index(const char *name, size_t n)
{
	size_t p;
	int dir;

	if (n > 7 && !strncmp(name, "Icmp6In", 7)) {
		dir = 0;
		p = 7;
	} else if (n > 8 && !strncmp(name, "Icmp6Out", 8)) {
		dir = 1;
		p = 8;
	} else {
		return -1;
	}
	for (int t = 0; t < NDP_TYPES; t++)
		if (strlen(mib_names[t]) == n - p && !strncmp(name + p, mib_names[t], n - p))
			return dir * NDP_TYPES + t;
	return -1;
}

struct snmp6_ctx {
	uint32_t *ifindex;
	uint64_t *v;
	unsigned int seen;
	int found;
};

static void snmp6_pair(void *ctx, const char *name, size_t n, uint64_t val)
{
	struct snmp6_ctx *c = ctx;
	int idx;

	if (n == 7 && !strncmp(name, "ifIndex", 7)) {
		*c->ifindex = (uint32_t)val;
		return;
	}
	idx = mib_index(name, n);
	if (idx < 0 || (c->seen & (1u << idx)))
		return;
	c->seen |= 1u << idx;
	c->v[idx] = val;
	c->found++;
}

int neigh_parse_snmp6(const char *buf, size_t len, uint32_t *ifindex, uint64_t v[NDP_COUNTERS])
{
	struct snmp6_ctx c = { ifindex, v, 0, 0 };

	*ifindex = 0;
	memset(v, 0, sizeof(uint64_t) * NDP_COUNTERS);
	mib_pairs(buf, len, snmp6_pair, &c);
	return c.found;
}

const char *neigh_state_name(unsigned int state)
{
	static const char *const names[8] = {
		"incomplete", "reachable", "stale", "delay",
		"probe",      "failed",	   "noarp", "permanent",
	};

	for (int b = 0; b < 8; b++)
		if (state & (1u << b))
			return names[b];
	return "none";
}
