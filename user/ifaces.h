/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_IFACES_H
#define OSISCOPE_IFACES_H

#include <linux/if_link.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Network devices of every namespace, from one rtnetlink link dump per namespace and
 * collection (the same source as `ip -s link`). The kernel side counts by ifindex;
 * this turns an ifindex back into the name a label shows, and gives the link
 * collector the devices' own counters. A device that is gone stays, marked absent, so
 * that what was counted on it just before still gets its name.
 */
struct iface {
	uint32_t ifindex;
	char name[IFNAMSIZ];
	char kind[16]; /* IFLA_INFO_KIND: "veth", "bridge"; "" for a physical device */
	uint32_t flags; /* IFF_* */
	uint32_t mtu;
	uint32_t carrier_changes; /* IFLA_CARRIER_CHANGES */
	uint32_t carrier_up, carrier_down; /* IFLA_CARRIER_{UP,DOWN}_COUNT (v4.16+) */
	uint8_t operstate; /* IF_OPER_* (RFC 2863) */
	bool carrier; /* IFLA_CARRIER */
	bool has_carrier_counts; /* the kernel reported carrier_up / carrier_down */
	bool present; /* in the last dump */
	bool has_stats;
	uint8_t addrlen;
	uint8_t addr[32]; /* link-layer address */
	struct rtnl_link_stats64 stats;
	uint64_t gone_gen; /* the first collection to show it missing */
};

struct iface_ns {
	uint32_t netns;
	uint64_t gen; /* collection of the last dump */
	struct iface *v;
	size_t n, cap;
};

struct iface_cache {
	struct iface_ns *ns;
	size_t n, cap;
};

/* Dumps the devices of the calling thread's namespace into c as netns's. 0 or -errno. */
/* Dumps a namespace's devices as of collection gen; one that went is marked gone as of
 * collection gone_gen: gen itself, or gen + 1 for a dump between collections (the next
 * collection is the first to show it missing). */
int ifaces_dump(struct iface_cache *c, uint32_t netns, uint64_t gen, uint64_t gone_gen);
const struct iface_ns *ifaces_ns(const struct iface_cache *c, uint32_t netns);
/* The device, present or gone; NULL if never seen. */
const struct iface *ifaces_find(const struct iface_cache *c, uint32_t netns, uint32_t ifindex);
/* What a device label shows: its name, "" for ifindex 0 (no device), "if<N>" for an
 * ifindex never seen in that namespace. Returns buf. */
const char *ifaces_name(const struct iface_cache *c, uint32_t netns, uint32_t ifindex,
			char *buf, size_t len);
void ifaces_forget(struct iface_cache *c, uint32_t netns);
void ifaces_free(struct iface_cache *c);

/* Parses one RTM_NEWLINK message into d (exported for the unit tests). 0 or -EINVAL. */
struct nlmsghdr;
int ifaces_parse_link(const struct nlmsghdr *h, struct iface *d);

#endif
