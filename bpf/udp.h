/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* UDP layer (L4): structures shared by bpf/udp.bpf.c and user/udp.c. */
#ifndef OSISCOPE_UDP_H
#define OSISCOPE_UDP_H

#include "common.h"

enum udp_family {
	UDP_IPV4 = 0,
	UDP_IPV6,
	UDP_FAMILIES,
};

/* Datagrams a bound socket could not queue (tracepoint udp:udp_fail_queue_rcv_skb), by
 * namespace, family of the datagram (as the kernel's MIB counts it: an IPv4 datagram to
 * a dual-stack socket is Udp's) and local port. Value: a per-CPU __u64. */
struct udp_port_key {
	__u32 netns;
	__u16 port; /* local, host order */
	__u8 family; /* enum udp_family */
	__u8 __pad;
};

_Static_assert(sizeof(struct udp_port_key) == 8, "udp_port_key layout");

enum udp_event_type {
	UDP_EV_SOCKET_DROP = 1, /* a datagram dropped at a bound socket */
};

/* Ring-buffer record: largest fields first, explicit padding, fixed size. */
struct udp_event {
	struct event_hdr hdr; /* netns and cgroup_id of the socket; no pid (softirq) */
	__u8 saddr[16]; /* the datagram's source; IPv4 in the first 4 bytes */
	__u8 daddr[16]; /* its destination */
	__s32 err; /* what queueing returned: -ENOMEM receive buffer full, -ENOBUFS memory */
	__u32 rcvbuf; /* the socket's SO_RCVBUF */
	__u32 rmem; /* bytes it had queued (sk_rmem_alloc) */
	__u32 len; /* of the datagram (UDP header included) */
	__u16 family; /* AF_INET or AF_INET6, of the datagram */
	__u16 sport; /* host order */
	__u16 dport; /* host order: the socket's port */
	__u8 __pad[2];
};

_Static_assert(sizeof(struct udp_event) == 104, "udp_event layout");

#endif
