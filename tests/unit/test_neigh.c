// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>

#include "ksyms.h"
#include "neigh_parse.h"
#include "test.h"

/* Abridged from a 6.18 /proc/net/dev_snmp6/eth0 */
static const char snmp6[] = "ifIndex                         \t7\n"
			    "Ip6InReceives                   \t120\n"
			    "Icmp6InMsgs                     \t9\n"
			    "Icmp6InRouterSolicits           \t1\n"
			    "Icmp6InRouterAdvertisements     \t2\n"
			    "Icmp6InNeighborSolicits         \t3\n"
			    "Icmp6InNeighborAdvertisements   \t4\n"
			    "Icmp6InRedirects                \t5\n"
			    "Icmp6OutRouterSolicits          \t6\n"
			    "Icmp6OutRouterAdvertisements    \t7\n"
			    "Icmp6OutNeighborSolicits        \t18446744073709551615\n"
			    "Icmp6OutNeighborAdvertisements  \t9\n"
			    "Icmp6OutRedirects               \t10\n"
			    "Icmp6InType135                  \t3\n";

TEST(neigh_snmp6)
{
	uint64_t v[NDP_COUNTERS];
	uint32_t ifindex;

	ASSERT_EQ(neigh_parse_snmp6(snmp6, strlen(snmp6), &ifindex, v), NDP_COUNTERS, "all found");
	ASSERT_EQ(ifindex, 7, "ifIndex");
	ASSERT_EQ(v[NDP_ROUTER_SOLICIT], 1, "in RS");
	ASSERT_EQ(v[NDP_ROUTER_ADVERT], 2, "in RA");
	ASSERT_EQ(v[NDP_NEIGHBOR_SOLICIT], 3, "in NS");
	ASSERT_EQ(v[NDP_NEIGHBOR_ADVERT], 4, "in NA");
	ASSERT_EQ(v[NDP_REDIRECT], 5, "in redirect");
	ASSERT_EQ(v[NDP_TYPES + NDP_ROUTER_SOLICIT], 6, "out RS");
	ASSERT_TRUE(v[NDP_TYPES + NDP_NEIGHBOR_SOLICIT] == UINT64_MAX, "out NS: full 64 bits");
	ASSERT_EQ(v[NDP_TYPES + NDP_REDIRECT], 10, "out redirect");
}

TEST(neigh_snmp6_bad_input)
{
	static const char junk[] = "Icmp6InNeighborSolicits\n" /* no value */
				   "Icmp6OutNeighborSolicits x12\n" /* not a number */
				   "Icmp6InRedirects 99999999999999999999999\n" /* too big */
				   "Icmp6InNeighborSolicitsX 4\n" /* another name */
				   "Icmp6OutRedirects 3 4\n" /* trailing junk: value 3 */
				   "Icmp6OutRedirects 8\n" /* a repeat: the first stands */
				   "\n\n\t\n"
				   "Icmp6InRouterSolicits 12"; /* no newline at the end */
	uint64_t v[NDP_COUNTERS];
	uint32_t ifindex = 99;

	ASSERT_EQ(neigh_parse_snmp6(junk, strlen(junk), &ifindex, v), 2, "only the well formed");
	ASSERT_EQ(ifindex, 0, "no ifIndex line");
	ASSERT_EQ(v[NDP_NEIGHBOR_SOLICIT], 0, "no value");
	ASSERT_EQ(v[NDP_REDIRECT], 0, "overflow skipped");
	ASSERT_EQ(v[NDP_TYPES + NDP_REDIRECT], 3, "value before trailing junk, first one");
	ASSERT_EQ(v[NDP_ROUTER_SOLICIT], 12, "last line without newline");
	/* a length shorter than the buffer is respected */
	ASSERT_EQ(neigh_parse_snmp6(snmp6, 10, &ifindex, v), 0, "cut before any counter");
	ASSERT_EQ(neigh_parse_snmp6("", 0, &ifindex, v), 0, "empty");
}

TEST(neigh_kallsyms)
{
	static const char syms[] = "ffffffff81000000 T _text\n"
				   "ffffffff81a00100 t neigh_invalidate\n"
				   "ffffffff81a00100 t neigh_invalidate_alias_same_addr\n"
				   "ffffffff81a00280 t neigh_probe\n"
				   "ffffffff81b00000 d not_text_arp_error_report\n"
				   "ffffffff81b00010 d arp_error_report\n" /* data, not text */
				   "ffffffffc0a01000 t ndisc_error_report\t[ipv6]\n"
				   "ffffffffc0a01040 t ndisc_solicit\t[ipv6]\n"
				   "ffffffffc0a00f00 t ndisc_other\t[ipv6]\n" /* unsorted */
				   "garbage line\n";
	const char *const names[] = { "neigh_invalidate", "arp_error_report",
				      "ndisc_error_report" };
	uint64_t start[3], end[3];
	FILE *f = fmemopen((void *)syms, sizeof(syms) - 1, "r");

	if (!ASSERT_OK_PTR(f, "fmemopen"))
		return;
	ASSERT_EQ(ksyms_ranges(f, names, 3, start, end), 2, "found");
	fclose(f);
	ASSERT_TRUE(start[0] == 0xffffffff81a00100ULL, "neigh_invalidate start");
	ASSERT_TRUE(end[0] == 0xffffffff81a00280ULL, "neigh_invalidate end: next higher address");
	ASSERT_TRUE(start[1] == 0 && end[1] == 0, "a data symbol is not a function");
	ASSERT_TRUE(start[2] == 0xffffffffc0a01000ULL, "module symbol start");
	ASSERT_TRUE(end[2] == 0xffffffffc0a01040ULL, "module symbol end");

	static const char hidden[] = "0000000000000000 t neigh_invalidate\n"
				     "0000000000000000 t neigh_probe\n";
	f = fmemopen((void *)hidden, sizeof(hidden) - 1, "r");
	if (!ASSERT_OK_PTR(f, "fmemopen"))
		return;
	ASSERT_EQ(ksyms_ranges(f, names, 3, start, end), 0, "kptr_restrict: none");
	fclose(f);
}

TEST(neigh_state_names)
{
	ASSERT_STREQ(neigh_state_name(0x02), "reachable", "reachable");
	ASSERT_STREQ(neigh_state_name(0x20), "failed", "failed");
	ASSERT_STREQ(neigh_state_name(0x80), "permanent", "permanent");
	ASSERT_STREQ(neigh_state_name(0), "none", "none");
}
