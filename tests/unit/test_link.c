// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The link collector's pure parts: which tc filters are ours, when another agent's
 * filter may be taken back, the --link.xdp list, and the rtnetlink dump parser fed
 * with real, foreign and broken messages. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>

#include "link.h"
#include "link_tc.h"
#include "test.h"

TEST(link_handles_ours)
{
	ASSERT_TRUE(tc_handle_is_ours(LINK_TC_PRIO, LINK_TC_HANDLE_BASE + 1), "first slot");
	ASSERT_TRUE(tc_handle_is_ours(LINK_TC_PRIO, LINK_TC_HANDLE_BASE + LINK_TC_SLOTS),
		    "last slot");
	ASSERT_TRUE(!tc_handle_is_ours(LINK_TC_PRIO, LINK_TC_HANDLE_BASE), "below the slots");
	ASSERT_TRUE(!tc_handle_is_ours(LINK_TC_PRIO, LINK_TC_HANDLE_BASE + LINK_TC_SLOTS + 1),
		    "above the slots");
	ASSERT_TRUE(!tc_handle_is_ours(1, LINK_TC_HANDLE_BASE + 1), "our handle, another priority");
	ASSERT_TRUE(!tc_handle_is_ours(LINK_TC_PRIO, 1), "libbpf's default handle");
}

TEST(link_owner_staleness)
{
	const uint64_t s = 1000000000ULL, now = 1000 * s;
	struct link_owner o = { .magic = LINK_OWNER_MAGIC, .heartbeat_ns = now - 2 * s };

	ASSERT_TRUE(!link_owner_stale(&o, sizeof(o), now), "beat 2 s ago: alive");
	o.heartbeat_ns = now - LINK_STALE_NS - 1;
	ASSERT_TRUE(link_owner_stale(&o, sizeof(o), now), "no beat for longer than the limit");
	o.heartbeat_ns = now + 5 * s;
	ASSERT_TRUE(!link_owner_stale(&o, sizeof(o), now), "a beat from the future: alive");
	o.heartbeat_ns = 0;
	ASSERT_TRUE(!link_owner_stale(&o, sizeof(o) - 1, now), "short value: not an owner record");
	o.magic = 0;
	ASSERT_TRUE(!link_owner_stale(&o, sizeof(o), now), "no magic: someone else's, never stale");
}

TEST(link_xdp_list)
{
	ASSERT_TRUE(link_name_listed("eth0", "eth0"), "single");
	ASSERT_TRUE(link_name_listed("eth0,eth1", "eth1"), "second");
	ASSERT_TRUE(!link_name_listed("eth0,eth1", "eth"), "prefix is not a match");
	ASSERT_TRUE(!link_name_listed("eth10", "eth1"), "longer name is not a match");
	ASSERT_TRUE(!link_name_listed("eth0,,", ""), "empty name");
	ASSERT_TRUE(link_name_listed(",eth0,", "eth0"), "stray commas");
	ASSERT_TRUE(!link_name_listed("", "eth0"), "empty list");
}

/* Appends one tc message (tcmsg plus an optional TCA_KIND) to buf at *off. */
static void put_tc(char *buf, size_t *off, uint16_t type, int ifindex, uint32_t prio,
		   uint32_t handle, const char *kind)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(buf + *off);
	struct tcmsg *t = NLMSG_DATA(h);
	size_t len = NLMSG_LENGTH(sizeof(*t));

	memset(h, 0, NLMSG_SPACE(sizeof(*t)) + RTA_SPACE(16));
	h->nlmsg_type = type;
	t->tcm_ifindex = ifindex;
	t->tcm_handle = handle;
	t->tcm_info = TC_H_MAKE(prio << 16, 0x0300);
	if (kind) {
		struct rtattr *a = (struct rtattr *)(buf + *off + NLMSG_ALIGN(len));

		a->rta_type = TCA_KIND;
		a->rta_len = (unsigned short)RTA_LENGTH(strlen(kind) + 1);
		memcpy(RTA_DATA(a), kind, strlen(kind) + 1);
		len = NLMSG_ALIGN(len) + RTA_ALIGN(a->rta_len);
	}
	h->nlmsg_len = (uint32_t)len;
	*off += NLMSG_ALIGN(len);
}

static void put_done(char *buf, size_t *off, int error)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(buf + *off);

	memset(h, 0, NLMSG_SPACE(sizeof(struct nlmsgerr)));
	if (error) {
		h->nlmsg_type = NLMSG_ERROR;
		h->nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
		((struct nlmsgerr *)NLMSG_DATA(h))->error = error;
	} else {
		h->nlmsg_type = NLMSG_DONE;
		h->nlmsg_len = NLMSG_LENGTH(sizeof(int));
	}
	*off += NLMSG_ALIGN(h->nlmsg_len);
}

TEST(link_tc_dump_parse)
{
	char buf[2048] __attribute__((aligned(8)));
	struct tc_dump_counts c = { .ifindex = 7 };
	size_t off = 0;

	put_tc(buf, &off, RTM_NEWQDISC, 7, 0, 0xffff0000, "clsact");
	put_tc(buf, &off, RTM_NEWQDISC, 7, 0, 0, "noqueue");
	put_tc(buf, &off, RTM_NEWQDISC, 8, 0, 0xffff0000, "clsact"); /* another device */
	put_tc(buf, &off, RTM_NEWTFILTER, 7, LINK_TC_PRIO, 0, "bpf"); /* the priority itself */
	put_tc(buf, &off, RTM_NEWTFILTER, 7, LINK_TC_PRIO, LINK_TC_HANDLE_BASE + 2, "bpf");
	put_tc(buf, &off, RTM_NEWTFILTER, 7, 100, 0x800, "u32");
	put_tc(buf, &off, RTM_NEWTFILTER, 7, 1, 1, "bpf");
	put_done(buf, &off, 0);
	ASSERT_EQ(tc_dump_parse(&c, buf, off), 1, "a whole dump ends");
	ASSERT_EQ(c.clsact, 1, "clsact qdiscs of the device");
	ASSERT_EQ(c.osiscope, 1, "our filters");
	ASSERT_EQ(c.others, 2, "other filters");

	/* the same dump cut anywhere: never read past the end, never a false end */
	for (size_t cut = 0; cut < off - NLMSG_SPACE(sizeof(int)); cut++) {
		struct tc_dump_counts k = { .ifindex = 7 };

		int r = tc_dump_parse(&k, buf, cut);

		/* cut between messages: more to come; inside one: malformed */
		if (!ASSERT_TRUE(r == 0 || r == -EBADMSG, "truncated dump: no false end"))
			break;
		if (!ASSERT_TRUE(k.osiscope <= 1 && k.others <= 2, "truncated counts"))
			break;
	}
	off = 0;
	put_done(buf, &off, -22);
	ASSERT_EQ(tc_dump_parse(&c, buf, off), -22, "error reply");
	off = 0;
	put_tc(buf, &off, RTM_NEWTFILTER, 7, 1, 1, NULL);
	((struct nlmsghdr *)buf)->nlmsg_len = NLMSG_LENGTH(2); /* shorter than a tcmsg */
	memset(&c, 0, sizeof(c));
	c.ifindex = 7;
	ASSERT_EQ(tc_dump_parse(&c, buf, NLMSG_ALIGN(NLMSG_LENGTH(2))), 0, "short message");
	ASSERT_EQ(c.others, 0, "short message not counted");
}

TEST(link_event_layout)
{
	ASSERT_EQ(sizeof(struct link_event), 72, "link_event size: struct event_hdr first");
	ASSERT_EQ(sizeof(struct link_dev_stats), 2 * (LINK_PROTOS + 2) * 8, "per-device value");
	ASSERT_EQ(sizeof(struct link_key), 8, "key");
}
