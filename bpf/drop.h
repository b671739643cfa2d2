/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Drop layer (all OSI layers): structures shared by bpf/drop.bpf.c and user/drop.c. */
#ifndef OSISCOPE_DROP_H
#define OSISCOPE_DROP_H

#include "common.h"

/*
 * Key of the per-CPU drop counter: one entry per (namespace, reason, device); the value
 * is a __u64 count. reason is the value the kernel passed to the kfree_skb tracepoint,
 * subsystem bits included (enum skb_drop_reason, SKB_DROP_REASON_SUBSYS_MASK). A kernel
 * without drop reasons (before v5.17) passes the place instead: reason and where_hi
 * are then the low and high halves of the kernel text address that freed the skb,
 * which userspace maps to a layer by its symbol. netns is 0 when neither the skb's
 * device nor a socket says where the skb was.
 */
struct drop_key {
	__u32 netns;
	__u32 reason;
	__u32 ifindex; /* 0 when no device is known */
	__u32 where_hi; /* 0 on a kernel with drop reasons */
};

_Static_assert(sizeof(struct drop_key) == 16, "drop_key layout");

/* What the reason-less programs record without a location; userspace labels it
 * NOT_SPECIFIED. */
#define DROP_REASON_NONE 0

/*
 * Slots: the first (namespace, device) pairs that drop get per-CPU counters of their
 * own, one per core reason, found without a hash lookup. A pair sits in one of two
 * places, drop_slot_index() or the next one, and the program claims a free one
 * (owner 0) with one compare-and-exchange the first time it drops there, then writes
 * the namespace's struct net and inode beside the owner. Userspace adopts a claimed slot
 * once its inode is there, and takes a slot back when its device or namespace goes: it
 * writes DROP_SLOT_RETIRED (never claimed), zeroes the counters at least one collection
 * later, when no program can still be counting for the former owner, clears net and
 * inode, then frees it (0). Anything else (both places taken, a subsystem reason, no
 * device, a kernel without reasons) counts in the hash; userspace adds both.
 *
 * The owner holds the namespace's key in its high half: struct net's cookie where the
 * kernel sets it when the namespace is made (v5.12+; a cookie of 2^32 or more counts in
 * the hash), else its inode. The cookie sits on a cache line the kernel leaves alone;
 * the inode beside the namespace's reference count, which every socket's creation and
 * release writes. A slot counts a drop only when the skb's device's struct net is the
 * one the claim recorded: a device pointer that is really something else (see locate()
 * in bpf/drop.bpf.c) cannot match, and a struct net freed and made again at the same
 * address has another cookie.
 */
#define DROP_SLOTS 64 /* a power of two */
#define DROP_SLOT_REASONS_MAX 256 /* core reasons a slot can hold; v6.18 has 129 */

#define DROP_SLOT_RETIRED (~0ULL)

struct drop_slot_claim {
	__u64 owner; /* drop_slot_owner(key, ifindex); 0: free */
	__u64 net; /* the claimer's struct net, written after the claim */
	__u32 netns; /* its inode, written after net: 0 until then */
	__u32 pad;
	__u64 pad2; /* 32 bytes: one cache line holds two */
};

_Static_assert(sizeof(struct drop_slot_claim) == 32, "drop_slot_claim layout");

static inline __u64 drop_slot_owner(__u32 key, __u32 ifindex)
{
	return (__u64)key << 32 | ifindex;
}

static inline __u32 drop_slot_index(__u32 key, __u32 ifindex)
{
	return ((key ^ ifindex * 0x85EBCA77U) * 0x9E3779B1U) >> (32 - 6);
}

_Static_assert(DROP_SLOTS == 1 << 6, "drop_slot_index() shift");

/* A dropped skb, for trace: sent only when events are on, under the rate limit. */
struct drop_event {
	struct event_hdr hdr; /* ifindex: the skb's device, as in struct drop_key */
	__u64 location; /* kernel text address that freed the skb (tracepoint argument) */
	__u8 saddr[16]; /* IPv4 in the first 4 bytes; set when family is */
	__u8 daddr[16];
	__u32 reason; /* as in struct drop_key */
	__u16 protocol; /* skb->protocol in host order (ETH_P_*), 0 if unset */
	__u16 family; /* AF_INET / AF_INET6 when the IP header could be read, else 0 */
	__u16 sport; /* host byte order; set for TCP and UDP */
	__u16 dport;
	__u8 l4proto; /* IPPROTO_*, when family is set */
	__u8 __pad[3];
};

_Static_assert(sizeof(struct drop_event) == 104, "drop_event layout");

#endif
