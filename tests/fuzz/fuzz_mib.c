// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* MIB text: /proc/net/snmp6 and dev_snmp6 (user/netns.c, route_mib.c, neigh_parse.c). */
#include "fuzz.h"
#include "neigh_parse.h"
#include "netns.h"
#include "route_mib.h"

static void pair(void *ctx, const char *name, size_t nlen, uint64_t v)
{
	const char *text = ctx;

	FUZZ_CHECK(name >= text && nlen < 4096, "name outside the text");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t v[NDP_COUNTERS];
	struct route_mib m;
	uint32_t ifindex;
	char *text = fuzz_str(data, size);

	if (!text)
		return 0;
	mib_pairs(text, size, pair, text);
	memset(&m, 0, sizeof(m));
	route_mib_parse_snmp6(text, &m);
	neigh_parse_snmp6(text, size, &ifindex, v);
	free(text);
	return 0;
}
