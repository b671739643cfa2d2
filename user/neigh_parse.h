/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Parsers of the neigh collector (user/neigh.c), apart so the unit tests link them in
 * every build. */
#ifndef OSISCOPE_NEIGH_PARSE_H
#define OSISCOPE_NEIGH_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* NDP messages of the per-device ICMPv6 MIB, by direction (0 in, 1 out) then type. */
enum ndp_type {
	NDP_NEIGHBOR_SOLICIT = 0,
	NDP_NEIGHBOR_ADVERT,
	NDP_ROUTER_SOLICIT,
	NDP_ROUTER_ADVERT,
	NDP_REDIRECT,
	NDP_TYPES,
};
#define NDP_COUNTERS (2 * NDP_TYPES)

extern const char *const ndp_type_names[NDP_TYPES]; /* "neighbor_solicit", ... */

/*
 * Parses /proc/net/dev_snmp6/DEV ("Icmp6InNeighborSolicits  12" lines) into
 * v[dir * NDP_TYPES + type] and the device's ifIndex line into *ifindex (0 if absent).
 * Reads at most len bytes; unknown lines are skipped. Returns how many of the
 * NDP_COUNTERS were found.
 */
int neigh_parse_snmp6(const char *buf, size_t len, uint32_t *ifindex, uint64_t v[NDP_COUNTERS]);

/* "reachable", "stale", ... for a NUD_* state (the lowest bit set), "none" for 0. */
const char *neigh_state_name(unsigned int state);

#endif
