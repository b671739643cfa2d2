// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "neigh_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
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

int neigh_parse_snmp6(const char *buf, size_t len, uint32_t *ifindex, uint64_t v[NDP_COUNTERS])
{
	const char *p = buf, *end = buf + len;
	unsigned int seen = 0;
	int found = 0;

	*ifindex = 0;
	memset(v, 0, sizeof(uint64_t) * NDP_COUNTERS);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *name = p, *q;
		char num[24];
		size_t n, k = 0;
		int idx;

		if (!eol)
			eol = end;
		for (q = p; q < eol && !isspace((unsigned char)*q); q++)
			;
		n = (size_t)(q - name);
		while (q < eol && isspace((unsigned char)*q))
			q++;
		while (q < eol && k < sizeof(num) - 1 && isdigit((unsigned char)*q))
			num[k++] = *q++;
		num[k] = '\0';
		p = eol + 1;
		if (!n || !k || (q < eol && !isspace((unsigned char)*q)))
			continue; /* no number, or more than fits in 64 bits */
		errno = 0;
		unsigned long long val = strtoull(num, NULL, 10);

		if (errno)
			continue;
		if (n == 7 && !strncmp(name, "ifIndex", 7)) {
			*ifindex = (uint32_t)val;
			continue;
		}
		idx = mib_index(name, n);
		if (idx < 0 || (seen & (1u << idx)))
			continue;
		seen |= 1u << idx;
		v[idx] = val;
		found++;
	}
	return found;
}

int neigh_kallsyms_ranges(FILE *f, const char *const *names, size_t n, uint64_t *start,
			  uint64_t *end)
{
	uint64_t *addrs = NULL;
	size_t naddrs = 0, cap = 0;
	char line[512];
	int found = 0;

	for (size_t i = 0; i < n; i++)
		start[i] = end[i] = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p, *name;
		uint64_t addr;
		size_t len;

		errno = 0;
		addr = strtoull(line, &p, 16);
		if (errno || p == line || !addr || p[0] != ' ' || !p[1] || p[2] != ' ')
			continue;
		if (naddrs == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint64_t *v = realloc(addrs, ncap * sizeof(*v));

			if (!v)
				break;
			addrs = v;
			cap = ncap;
		}
		addrs[naddrs++] = addr;
		if (p[1] != 't' && p[1] != 'T')
			continue;
		name = p + 3;
		len = strcspn(name, " \t\n");
		for (size_t i = 0; i < n; i++)
			if (!start[i] && strlen(names[i]) == len && !strncmp(name, names[i], len))
				start[i] = addr;
	}
	/* each function ends where the closest symbol above it starts (modules are listed
	 * after the kernel and not sorted, so every address is looked at) */
	for (size_t k = 0; k < naddrs; k++)
		for (size_t i = 0; i < n; i++)
			if (start[i] && addrs[k] > start[i] && (!end[i] || addrs[k] < end[i]))
				end[i] = addrs[k];
	free(addrs);
	for (size_t i = 0; i < n; i++) {
		if (!start[i] || !end[i])
			start[i] = end[i] = 0;
		else
			found++;
	}
	return found;
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
