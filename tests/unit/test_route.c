// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The route collector's MIB readings: the snmp6 parser on real and broken text, and a
 * read of this process's own namespace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_mib.h"
#include "test.h"

TEST(route_snmp6_parse)
{
	static struct route_mib m;
	const char *text = "Ip6InReceives                   \t12\n"
			   "Ip6InNoRoutes                   \t2\n"
			   "Ip6OutNoRoutes                  \t5\n"
			   "Icmp6OutDestUnreachs            \t7\n"
			   "Icmp6InType1                    \t3\n"
			   "Icmp6OutType1                   \t7\n"
			   "Icmp6InType134                  \t9\n"
			   "Icmp6OutType255                 \t1\n";

	memset(&m, 0, sizeof(m));
	ASSERT_EQ(route_mib_parse_snmp6(text, &m), 6, "counters taken");
	ASSERT_TRUE(m.has[1], "IPv6 seen");
	ASSERT_TRUE(!m.has[0], "IPv4 untouched");
	ASSERT_EQ(m.noroute[1], 7, "Ip6OutNoRoutes + Ip6InNoRoutes");
	ASSERT_EQ(m.in[1][1], 3, "Icmp6InType1");
	ASSERT_EQ(m.out[1][1], 7, "Icmp6OutType1");
	ASSERT_EQ(m.in[1][134], 9, "Icmp6InType134");
	ASSERT_EQ(m.out[1][255], 1, "Icmp6OutType255");
}

TEST(route_snmp6_bad_input)
{
	static struct route_mib m;
	const char *text = "Icmp6InType256 4\n" /* no such type */
			   "Icmp6InType 4\n" /* no number */
			   "Icmp6InTypeX 4\n"
			   "Icmp6OutType1 -4\n" /* not a counter */
			   "Icmp6OutType2 99999999999999999999999\n" /* overflows */
			   "Icmp6OutType3\n" /* no value */
			   "Ip6OutNoRoutes 3junk\n"
			   "\n\n   \n"
			   "Icmp6InType2 8"; /* last line without newline: still read */

	memset(&m, 0, sizeof(m));
	ASSERT_EQ(route_mib_parse_snmp6(text, &m), 1, "only the good line");
	ASSERT_EQ(m.in[1][2], 8, "Icmp6InType2");
	ASSERT_EQ(m.out[1][1] + m.out[1][2] + m.out[1][3] + m.noroute[1], 0, "bad lines ignored");
	memset(&m, 0, sizeof(m));
	ASSERT_EQ(route_mib_parse_snmp6("", &m), 0, "empty text");
	ASSERT_TRUE(!m.has[1], "nothing seen in empty text");
}

/* this process's namespace: the reading agrees with /proc/net/snmp's IcmpMsg line */
TEST(route_mib_read_self)
{
	static struct route_mib m;
	char hdr[4096], val[4096], line[4096];
	FILE *f = fopen("/proc/self/net/snmp", "r");
	uint64_t want_in[ROUTE_ICMP_TYPES] = { 0 };

	if (!ASSERT_OK_PTR(f, "open /proc/self/net/snmp"))
		return;
	hdr[0] = val[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "IcmpMsg:", 8))
			continue;
		if (!hdr[0])
			snprintf(hdr, sizeof(hdr), "%s", line);
		else
			snprintf(val, sizeof(val), "%s", line);
	}
	fclose(f);
	/* "IcmpMsg: InType3 OutType3" / "IcmpMsg: 1 2": walk both lines side by side */
	char *hs = NULL, *vs = NULL;
	char *h = strtok_r(hdr + 8, " \n", &hs), *v = strtok_r(val + 8, " \n", &vs);

	for (; h && v; h = strtok_r(NULL, " \n", &hs), v = strtok_r(NULL, " \n", &vs))
		if (!strncmp(h, "InType", 6) && atoi(h + 6) >= 0 && atoi(h + 6) < ROUTE_ICMP_TYPES)
			want_in[atoi(h + 6)] = strtoull(v, NULL, 10);
	ASSERT_OK(route_mib_read(&m), "route_mib_read");
	ASSERT_TRUE(m.has[0], "IPv4 counters found");
	/* counters only grow: what we read after is at least what the file said before */
	for (int t = 0; t < ROUTE_ICMP_TYPES; t++)
		if (m.in[0][t] < want_in[t])
			ASSERT_EQ(m.in[0][t], want_in[t], "IcmpMsg InType");
}

/* The MIB's rest of a hooked ICMP type: what the hook did not see, never going back. */
TEST(route_mib_rest)
{
	uint64_t last = 0;

	ASSERT_EQ(route_mib_rest(0, 0, &last), 0, "nothing sent");
	ASSERT_EQ(route_mib_rest(5, 5, &last), 0, "every error seen by the hook");
	ASSERT_EQ(route_mib_rest(8, 5, &last), 3, "three from a raw socket");
	ASSERT_EQ(last, 3, "kept");
	/* the hook counted two more before the MIB did (the MIB is read first) */
	ASSERT_EQ(route_mib_rest(8, 7, &last), 3, "a short reading does not go back");
	ASSERT_EQ(route_mib_rest(10, 7, &last), 3, "the MIB catches up: same rest");
	ASSERT_EQ(route_mib_rest(12, 8, &last), 4, "one more from the raw socket");
	/* a hook that counted more than the MIB ever did (a message it saw that the kernel
	 * then failed to build) never makes the rest wrap */
	last = 0;
	ASSERT_EQ(route_mib_rest(3, 4, &last), 0, "hook ahead of the MIB");
	ASSERT_EQ(route_mib_rest(UINT64_MAX, 0, &last), UINT64_MAX, "all of a full counter");
}
