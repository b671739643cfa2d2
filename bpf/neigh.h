/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Neighbour layer (L2: ARP, IPv6 neighbour discovery): structures shared by
 * bpf/neigh.bpf.c and user/neigh.c. */
#ifndef OSISCOPE_NEIGH_H
#define OSISCOPE_NEIGH_H

#include "common.h"

/* Neighbour entry states: uapi <linux/neighbour.h>, a stable ABI (not in BTF: defines). */
#define NEIGH_NUD_INCOMPLETE 0x01
#define NEIGH_NUD_REACHABLE 0x02
#define NEIGH_NUD_STALE 0x04
#define NEIGH_NUD_DELAY 0x08
#define NEIGH_NUD_PROBE 0x10
#define NEIGH_NUD_FAILED 0x20
#define NEIGH_NUD_NOARP 0x40
#define NEIGH_NUD_PERMANENT 0x80
/* states in which the entry holds a link-layer address (include/net/neighbour.h) */
#define NEIGH_NUD_VALID                                                                  \
	(NEIGH_NUD_PERMANENT | NEIGH_NUD_NOARP | NEIGH_NUD_REACHABLE | NEIGH_NUD_PROBE | \
	 NEIGH_NUD_STALE | NEIGH_NUD_DELAY)

#define NEIGH_MAX_ADDR_LEN 32 /* MAX_ADDR_LEN: the size of neighbour.ha */

enum neigh_dir { NEIGH_RX = 0, NEIGH_TX, NEIGH_DIRS };
enum neigh_arp_op { NEIGH_ARP_REQUEST = 0, NEIGH_ARP_REPLY, NEIGH_ARP_GRATUITOUS, NEIGH_ARP_OPS };
enum neigh_family { NEIGH_IPV4 = 0, NEIGH_IPV6, NEIGH_FAMILIES };

/* Functions whose kfree_skb() of a packet waiting for resolution gives no drop reason
 * (ndisc_error_report on 6.18) or, on kernels before drop reasons, none at all: the
 * loader finds their address ranges in /proc/kallsyms (see user/neigh.c). */
enum neigh_drop_fn {
	NEIGH_FN_INVALIDATE = 0, /* neigh_invalidate: error_report is often a tail call */
	NEIGH_FN_ARP_ERROR, /* arp_error_report */
	NEIGH_FN_NDISC_ERROR, /* ndisc_error_report */
	NEIGH_FN_EVENT_SEND, /* __neigh_event_send: the queue's oldest pushed out (no reason
			      * before v5.17; NEIGH_QUEUEFULL or NEIGH_FAILED since) */
	NEIGH_DROP_FNS,
};

struct neigh_key {
	__u32 netns; /* network namespace inode */
	__u32 ifindex;
};

/* Per device, per CPU: userspace sums the CPUs. */
struct neigh_dev_stats {
	/* One writer program per field, so per-CPU increments need no atomics. */
	__u64 arp[NEIGH_DIRS][NEIGH_ARP_OPS]; /* netif_receive_skb / net_dev_start_xmit */
	__u64 res_failed[NEIGH_FAMILIES]; /* neigh_timer_handler: entry now NUD_FAILED */
	__u64 lladdr_changes[NEIGH_FAMILIES]; /* neigh_update .. neigh_update_done */
	__u64 unres_drops[NEIGH_FAMILIES]; /* kfree_skb: NEIGH_FAILED, _QUEUEFULL, _DEAD */
};

enum neigh_event_type {
	NEIGH_EV_RESOLUTION_FAILED = 1,
	NEIGH_EV_LLADDR_CHANGED,
};

/* Ring-buffer record: largest fields first, explicit padding, fixed size. */
struct neigh_event {
	/* type: enum neigh_event_type; pid/comm: the task that asked for the change
	 * through netlink, else 0 */
	struct event_hdr hdr;
	__u8 addr[16]; /* the neighbour's IP; IPv4 in the first 4 bytes */
	__u8 old_lladdr[NEIGH_MAX_ADDR_LEN];
	__u8 new_lladdr[NEIGH_MAX_ADDR_LEN];
	char ifname[16]; /* the device's name then (IFNAMSIZ) */
	__u32 probes; /* solicitations sent before the failure */
	__u16 family; /* AF_INET or AF_INET6 */
	__u8 lladdr_len;
	__u8 old_state; /* NUD_* */
	__u8 new_state;
	__u8 __pad[7];
};

_Static_assert(sizeof(struct neigh_event) == 160, "neigh_event layout");

#endif
