/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Link layer (L1/L2): structures shared by bpf/link.bpf.c and user/link.c. */
#ifndef OSISCOPE_LINK_H
#define OSISCOPE_LINK_H

#include "common.h"

/* What the tc/XDP programs tell apart: the EtherType (one VLAN tag looked through),
 * then the IP protocol (one IPv6 hop-by-hop header looked through, as MLD has). */
enum link_proto {
	LINK_P_IPV4_TCP = 0,
	LINK_P_IPV4_UDP,
	LINK_P_IPV4_ICMP,
	LINK_P_IPV4_OTHER,
	LINK_P_IPV6_TCP,
	LINK_P_IPV6_UDP,
	LINK_P_IPV6_ICMP,
	LINK_P_IPV6_OTHER,
	LINK_P_ARP,
	LINK_P_OTHER, /* any other EtherType, or a frame too short to tell */
	LINK_PROTOS,
};

enum link_dir {
	LINK_RX = 0,
	LINK_TX,
	LINK_DIRS,
};

/* A device: ifindex is only unique within its network namespace. */
struct link_key {
	__u32 netns;
	__u32 ifindex;
};

/*
 * Slots: userspace gives a device it registers one of two places in a per-CPU array,
 * link_slot_index() or the next one, zeroing its counters before it writes the owner
 * (netns << 32 | ifindex); the programs find the device there with one compare instead
 * of a hash lookup. A device with neither place free counts in the hash, as every
 * device did before. A freed place is given out again only two maintenance passes
 * later, when no program can still count for the device that had it.
 */
#define LINK_SLOTS 256 /* a power of two */

static inline __u32 link_slot_index(__u32 netns, __u32 ifindex)
{
	return ((netns ^ ifindex * 0x85EBCA77U) * 0x9E3779B1U) >> (32 - 8);
}

_Static_assert(LINK_SLOTS == 1 << 8, "link_slot_index() shift");

struct link_dir_stats {
	__u64 proto[LINK_PROTOS]; /* wire frames: a GSO/GRO packet counts its segments */
	__u64 broadcast; /* destination ff:ff:ff:ff:ff:ff */
	__u64 multicast; /* group bit set, broadcast excluded */
};

/* Per device, per CPU (userspace sums the CPUs). Each direction is written by one
 * program only (tc ingress or XDP for rx, tc egress for tx). */
struct link_dev_stats {
	struct link_dir_stats dir[LINK_DIRS];
};

/*
 * Globals of the object (its .bss), readable by another agent through the map ids
 * of a tc filter it finds: with classic tc a filter outlives a SIGKILLed agent, and
 * a heartbeat that stopped is how the next agent knows it may take the filter away.
 */
#define LINK_OWNER_MAGIC 0x6f7369736c696e6bULL /* "osislink" */
struct link_owner {
	__u64 magic; /* LINK_OWNER_MAGIC once userspace runs */
	__u64 heartbeat_ns; /* CLOCK_MONOTONIC of the owner's last maintenance pass */
	__u64 pid; /* the owner's pid, for the log line */
	__u64 created; /* device entries the programs had to create themselves */
};

enum link_event_type {
	LINK_EV_TX_TIMEOUT = 1,
};

/* Ring-buffer record: largest fields first, explicit padding, fixed size. */
struct link_event {
	struct event_hdr hdr; /* type: enum link_event_type */
	__u32 queue; /* the transmit queue that timed out */
	char name[16]; /* device name at the time */
	__u8 __pad[4];
};

_Static_assert(sizeof(struct link_event) == 72, "link_event layout");

#endif
