/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Drop layer (all OSI layers): structures shared by bpf/drop.bpf.c and user/drop.c. */
#ifndef OSISCOPE_DROP_H
#define OSISCOPE_DROP_H

#include "common.h"

/*
 * Key of the per-CPU drop counter: one entry per (namespace, reason, device); the value
 * is a __u64 count. reason is the value the kernel passed to the kfree_skb tracepoint,
 * subsystem bits included (enum skb_drop_reason, SKB_DROP_REASON_SUBSYS_MASK); on a
 * kernel without drop reasons (before v5.17) it is always DROP_REASON_NONE. netns is 0
 * when neither the skb's device nor a socket says where the skb was.
 */
struct drop_key {
	__u32 netns;
	__u32 reason;
	__u32 ifindex; /* 0 when no device is known */
	__u32 __pad;
};

_Static_assert(sizeof(struct drop_key) == 16, "drop_key layout");

/* What the reason-less programs record; userspace labels it NOT_SPECIFIED. */
#define DROP_REASON_NONE 0

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
