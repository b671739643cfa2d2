// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The rtnetlink link message parser (user/ifaces.c): what the kernel sends in a link
 * dump, and messages cut short or carrying what it never sends. */
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>

#include "ifaces.h"
#include "test.h"

struct msg {
	char buf[1024];
	size_t len;
};

static struct nlmsghdr *msg_start(struct msg *m, uint16_t type, int ifindex, unsigned int flags)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;
	struct ifinfomsg *ifi;

	memset(m, 0, sizeof(*m));
	h->nlmsg_type = type;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	ifi = NLMSG_DATA(h);
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	m->len = h->nlmsg_len;
	return h;
}

static struct rtattr *attr(struct msg *m, unsigned short type, const void *data, size_t n)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;
	struct rtattr *a = (struct rtattr *)(m->buf + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(n);
	if (data)
		memcpy(RTA_DATA(a), data, n);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
	m->len = h->nlmsg_len;
	return a;
}

TEST(ifaces_parse_link)
{
	struct rtnl_link_stats64 st = { .rx_packets = 10, .tx_packets = 20, .rx_bytes = 1000,
					.tx_bytes = 2000, .rx_dropped = 3, .tx_errors = 4 };
	uint32_t mtu = 1500, changes = 7, up = 4, down = 3;
	uint8_t oper = 6 /* IF_OPER_UP */, carrier = 1, mac[6] = { 2, 0, 0, 0, 0, 9 };
	struct msg m;
	struct iface d;
	struct nlmsghdr *h = msg_start(&m, RTM_NEWLINK, 7, IFF_UP | (1u << 16) /* IFF_LOWER_UP */);
	struct rtattr *li;

	attr(&m, IFLA_IFNAME, "veth0", 6);
	attr(&m, IFLA_MTU, &mtu, sizeof(mtu));
	attr(&m, IFLA_OPERSTATE, &oper, 1);
	attr(&m, IFLA_CARRIER, &carrier, 1);
	attr(&m, IFLA_CARRIER_CHANGES, &changes, sizeof(changes));
	attr(&m, IFLA_CARRIER_UP_COUNT, &up, sizeof(up));
	attr(&m, IFLA_CARRIER_DOWN_COUNT, &down, sizeof(down));
	attr(&m, IFLA_ADDRESS, mac, sizeof(mac));
	attr(&m, IFLA_STATS64, &st, sizeof(st));
	/* IFLA_LINKINFO nests IFLA_INFO_KIND */
	li = attr(&m, IFLA_LINKINFO, NULL, RTA_LENGTH(5));
	{
		struct rtattr *k = RTA_DATA(li);

		k->rta_type = IFLA_INFO_KIND;
		k->rta_len = RTA_LENGTH(5);
		memcpy(RTA_DATA(k), "veth", 5);
	}
	if (!ASSERT_OK(ifaces_parse_link(h, &d), "parse"))
		return;
	ASSERT_EQ(d.ifindex, 7, "ifindex");
	ASSERT_STREQ(d.name, "veth0", "name");
	ASSERT_STREQ(d.kind, "veth", "kind from IFLA_LINKINFO");
	ASSERT_EQ(d.mtu, 1500, "mtu");
	ASSERT_EQ(d.operstate, 6, "operstate");
	ASSERT_TRUE(d.carrier && d.present, "carrier, present");
	ASSERT_EQ(d.carrier_changes, 7, "carrier changes");
	ASSERT_TRUE(d.has_carrier_counts && d.carrier_up == 4 && d.carrier_down == 3, "up/down");
	ASSERT_EQ(d.addrlen, 6, "address length");
	ASSERT_EQ(d.addr[5], 9, "address");
	ASSERT_TRUE(d.has_stats, "stats");
	ASSERT_EQ(d.stats.rx_bytes, 1000, "rx bytes");
	ASSERT_EQ(d.stats.tx_errors, 4, "tx errors");
	ASSERT_EQ(d.flags & IFF_UP, IFF_UP, "flags");
}

TEST(ifaces_parse_bad)
{
	char longname[40];
	struct msg m;
	struct iface d;
	struct nlmsghdr *h;
	uint16_t half = 5;

	/* not a link message */
	h = msg_start(&m, RTM_NEWADDR, 1, 0);
	attr(&m, IFLA_IFNAME, "eth0", 5);
	ASSERT_ERR(ifaces_parse_link(h, &d), "RTM_NEWADDR");
	/* shorter than its ifinfomsg */
	h = msg_start(&m, RTM_NEWLINK, 1, 0);
	h->nlmsg_len = NLMSG_LENGTH(2);
	ASSERT_ERR(ifaces_parse_link(h, &d), "cut ifinfomsg");
	/* no name: not a device we can label */
	h = msg_start(&m, RTM_NEWLINK, 1, 0);
	attr(&m, IFLA_MTU, &half, sizeof(half));
	ASSERT_ERR(ifaces_parse_link(h, &d), "no IFLA_IFNAME");
	/* a u32 attribute with 2 bytes reads as 0, a name without NUL and too long is cut */
	h = msg_start(&m, RTM_NEWLINK, 2, 0);
	memset(longname, 'x', sizeof(longname));
	attr(&m, IFLA_IFNAME, longname, sizeof(longname));
	attr(&m, IFLA_MTU, &half, sizeof(half));
	if (ASSERT_OK(ifaces_parse_link(h, &d), "odd attributes")) {
		ASSERT_EQ(strlen(d.name), IFNAMSIZ - 1, "name cut to IFNAMSIZ - 1");
		ASSERT_EQ(d.mtu, 0, "short u32 ignored");
	}
	/* a short IFLA_STATS64 (older kernels) fills what it has, the rest zero */
	h = msg_start(&m, RTM_NEWLINK, 3, 0);
	attr(&m, IFLA_IFNAME, "lo", 3);
	{
		uint64_t two[2] = { 5, 6 }; /* rx_packets, tx_packets */

		attr(&m, IFLA_STATS64, two, sizeof(two));
	}
	if (ASSERT_OK(ifaces_parse_link(h, &d), "short stats")) {
		ASSERT_EQ(d.stats.rx_packets, 5, "rx packets");
		ASSERT_EQ(d.stats.tx_packets, 6, "tx packets");
		ASSERT_EQ(d.stats.rx_bytes, 0, "the rest zero");
	}
	/* an attribute whose length runs past the message stops the walk */
	h = msg_start(&m, RTM_NEWLINK, 4, 0);
	attr(&m, IFLA_IFNAME, "eth1", 5);
	{
		struct rtattr *a = attr(&m, IFLA_MTU, &half, sizeof(half));

		a->rta_len = 400;
	}
	if (ASSERT_OK(ifaces_parse_link(h, &d), "attribute past the end"))
		ASSERT_STREQ(d.name, "eth1", "what came before is kept");
}

/* The cache: names for labels, gone devices kept for late counts. */
TEST(ifaces_names)
{
	struct iface_cache c = { 0 };
	char buf[IFNAMSIZ + 8];

	ASSERT_STREQ(ifaces_name(&c, 1, 0, buf, sizeof(buf)), "", "no device");
	ASSERT_STREQ(ifaces_name(&c, 1, 9, buf, sizeof(buf)), "if9", "never seen");
	ASSERT_TRUE(ifaces_find(&c, 1, 9) == NULL, "not found");
	ifaces_free(&c);
}
