// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rtnetlink and sock_diag datagrams (user/nlmsg.c, ifaces.c, link_tc.c, netns.c): the
 * walk and each message parser, on a buffer of exactly the input's size. */
#include <linux/netlink.h>

#include "fuzz.h"
#include "ifaces.h"
#include "link_tc.h"
#include "netns.h"
#include "nlmsg.h"

static int one_link(const struct nlmsghdr *h, void *ctx)
{
	struct iface d;

	if (!ifaces_parse_link(h, &d))
		FUZZ_CHECK(memchr(d.name, '\0', sizeof(d.name)) && d.addrlen <= sizeof(d.addr),
			   "device name or address overflow");
	(*(unsigned int *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_dump counts = { 0 };
	struct tc_dump_counts c = { .ifindex = 1 };
	unsigned int msgs = 0;
	uint8_t *buf;
	int r;

	if (!size)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1); /* the first byte picks the ifindex */
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	c.ifindex = data[0];
	r = nl_walk(buf, size - 1, one_link, &msgs);
	FUZZ_CHECK(r <= 1 && msgs <= (size - 1) / sizeof(struct nlmsghdr), "walk result");
	tc_dump_parse(&c, buf, size - 1);
	sockdiag_parse(buf, size - 1, &counts);
	free(buf);
	return 0;
}
