// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ifaces.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nlmsg.h"

/* Gone devices kept per namespace for naming late counts; the oldest go first. */
#define IFACES_GONE_MAX 64

static void attr_str(char *out, size_t len, const struct rtattr *a)
{
	size_t n = RTA_PAYLOAD(a);

	if (n >= len)
		n = len - 1;
	memcpy(out, RTA_DATA(a), n);
	out[n] = '\0';
}

static uint32_t attr_u32(const struct rtattr *a)
{
	uint32_t v = 0;

	if (RTA_PAYLOAD(a) >= sizeof(v))
		memcpy(&v, RTA_DATA(a), sizeof(v));
	return v;
}

static uint8_t attr_u8(const struct rtattr *a)
{
	return RTA_PAYLOAD(a) >= 1 ? *(const uint8_t *)RTA_DATA(a) : 0;
}

int ifaces_parse_link(const struct nlmsghdr *h, struct iface *d)
{
	const struct ifinfomsg *ifi;
	const struct rtattr *a;
	int len;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -EINVAL;
	ifi = NLMSG_DATA(h);
	memset(d, 0, sizeof(*d));
	d->ifindex = (uint32_t)ifi->ifi_index;
	d->flags = ifi->ifi_flags;
	d->present = true;
	len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case IFLA_IFNAME:
			attr_str(d->name, sizeof(d->name), a);
			break;
		case IFLA_MTU:
			d->mtu = attr_u32(a);
			break;
		case IFLA_OPERSTATE:
			d->operstate = attr_u8(a);
			break;
		case IFLA_CARRIER:
			d->carrier = attr_u8(a) != 0;
			break;
		case IFLA_CARRIER_CHANGES:
			d->carrier_changes = attr_u32(a);
			break;
		case IFLA_CARRIER_UP_COUNT:
			d->carrier_up = attr_u32(a);
			d->has_carrier_counts = true;
			break;
		case IFLA_CARRIER_DOWN_COUNT:
			d->carrier_down = attr_u32(a);
			d->has_carrier_counts = true;
			break;
		case IFLA_ADDRESS:
			d->addrlen = RTA_PAYLOAD(a) < sizeof(d->addr) ? RTA_PAYLOAD(a) : sizeof(d->addr);
			memcpy(d->addr, RTA_DATA(a), d->addrlen);
			break;
		case IFLA_STATS64: {
			size_t n = RTA_PAYLOAD(a);

			/* older kernels send a shorter struct: what is missing stays zero */
			memcpy(&d->stats, RTA_DATA(a), n < sizeof(d->stats) ? n : sizeof(d->stats));
			d->has_stats = true;
			break;
		}
		case IFLA_LINKINFO: {
			const struct rtattr *li = RTA_DATA(a);
			int lilen = (int)RTA_PAYLOAD(a);

			for (; RTA_OK(li, lilen); li = RTA_NEXT(li, lilen))
				if (li->rta_type == IFLA_INFO_KIND)
					attr_str(d->kind, sizeof(d->kind), li);
			break;
		}
		}
	}
	return d->name[0] ? 0 : -EINVAL;
}

static struct iface_ns *ns_get(struct iface_cache *c, uint32_t netns, bool create)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->ns[i].netns == netns)
			return &c->ns[i];
	if (!create)
		return NULL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct iface_ns *v = realloc(c->ns, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->ns = v;
		c->cap = cap;
	}
	memset(&c->ns[c->n], 0, sizeof(c->ns[0]));
	c->ns[c->n].netns = netns;
	return &c->ns[c->n++];
}

static struct iface *dev_slot(struct iface_ns *ns, uint32_t ifindex)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].ifindex == ifindex)
			return &ns->v[i];
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 8;
		struct iface *v = realloc(ns->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		ns->v = v;
		ns->cap = cap;
	}
	memset(&ns->v[ns->n], 0, sizeof(ns->v[0]));
	return &ns->v[ns->n++];
}

/* Marks what the dump did not list as gone and keeps at most IFACES_GONE_MAX of those. */
static void prune(struct iface_ns *ns, uint64_t gen)
{
	size_t gone = 0;

	for (size_t i = 0; i < ns->n; i++) {
		struct iface *d = &ns->v[i];

		if (d->present && d->gone_gen != UINT64_MAX)
			continue;
		if (d->present) { /* not seen this time */
			d->present = false;
			d->gone_gen = gen;
		}
		gone++;
	}
	while (gone > IFACES_GONE_MAX) {
		size_t oldest = SIZE_MAX;

		for (size_t i = 0; i < ns->n; i++)
			if (!ns->v[i].present &&
			    (oldest == SIZE_MAX || ns->v[i].gone_gen < ns->v[oldest].gone_gen))
				oldest = i;
		ns->v[oldest] = ns->v[--ns->n];
		gone--;
	}
}

static int dump_link(const struct nlmsghdr *h, void *ctx)
{
	struct iface_ns *ns = ctx;
	struct iface d, *slot;

	if (ifaces_parse_link(h, &d))
		return 0;
	slot = dev_slot(ns, d.ifindex);
	if (slot)
		*slot = d;
	return 0;
}

int ifaces_dump(struct iface_cache *c, uint32_t netns, uint64_t gen, uint64_t gone_gen)
{
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifi;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	struct iface_ns *ns;
	int fd, err;

	ns = ns_get(c, netns, true);
	if (!ns)
		return -ENOMEM;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* mark every known device as not seen yet: gone_gen == UINT64_MAX while pending */
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].present)
			ns->v[i].gone_gen = UINT64_MAX;
	err = nl_dump(fd, &req, sizeof(req), dump_link, ns);
	if (!err) {
		prune(ns, gone_gen);
		ns->gen = gen;
	} else {
		/* keep what the previous dump said rather than half of this one */
		for (size_t i = 0; i < ns->n; i++)
			if (ns->v[i].gone_gen == UINT64_MAX)
				ns->v[i].gone_gen = 0;
	}
	close(fd);
	return err;
}

const struct iface_ns *ifaces_ns(const struct iface_cache *c, uint32_t netns)
{
	return c ? ns_get((struct iface_cache *)c, netns, false) : NULL;
}

const struct iface *ifaces_find(const struct iface_cache *c, uint32_t netns, uint32_t ifindex)
{
	const struct iface_ns *ns = ifaces_ns(c, netns);

	for (size_t i = 0; ns && i < ns->n; i++)
		if (ns->v[i].ifindex == ifindex)
			return &ns->v[i];
	return NULL;
}

const char *ifaces_name(const struct iface_cache *c, uint32_t netns, uint32_t ifindex,
			char *buf, size_t len)
{
	const struct iface *d;

	if (!ifindex) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	d = ifaces_find(c, netns, ifindex);
	if (d)
		snprintf(buf, len, "%s", d->name);
	else
		snprintf(buf, len, "if%u", ifindex);
	return buf;
}

void ifaces_forget(struct iface_cache *c, uint32_t netns)
{
	struct iface_ns *ns = ns_get(c, netns, false);

	if (!ns)
		return;
	free(ns->v);
	*ns = c->ns[--c->n];
}

void ifaces_free(struct iface_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->ns[i].v);
	free(c->ns);
	memset(c, 0, sizeof(*c));
}
