/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_ROUTE_MIB_H
#define OSISCOPE_ROUTE_MIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What the route layer reads from a namespace's MIB at scrape (user/route.c): lookups
 * that found no route, and ICMP messages by type, for IPv4 (/proc/net/snmp: Ip,
 * IcmpMsg; netstat: IpExt) and IPv6 (/proc/net/snmp6). Index 0 is IPv4, 1 IPv6.
 */
#define ROUTE_ICMP_TYPES 256

struct route_mib {
	bool has[2]; /* the family's counters exist in this namespace */
	uint64_t noroute[2]; /* Ip OutNoRoutes + IpExt InNoRoutes; Ip6 Out + In */
	uint64_t in[2][ROUTE_ICMP_TYPES]; /* InType<N> */
	uint64_t out[2][ROUTE_ICMP_TYPES]; /* OutType<N> */
};

/* Reads the calling thread's namespace into m. 0, or -errno when no IPv4 MIB is there
 * (the namespace is going away). */
int route_mib_read(struct route_mib *m);

/*
 * What the MIB counted of an ICMP type that the hook giving its errors' code (tracepoint
 * icmp_send, the program on icmpv6_push_pending_frames) did not see: errors a user-space
 * tool sends from a raw socket, for one. mib and hooked are absolute counts, the MIB
 * read before the hook's map; the hook counts a message a little before the MIB does, so
 * a reading may come out short: the result never goes below *last, the value last
 * returned, and is stored there.
 */
uint64_t route_mib_rest(uint64_t mib, uint64_t hooked, uint64_t *last);

/* Adds the text of a /proc/net/snmp6 ("Name value" lines) to m; exported for the unit
 * tests. Returns how many counters it took. */
int route_mib_parse_snmp6(const char *text, struct route_mib *m);

#endif
