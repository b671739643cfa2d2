/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Route layer (L3): structures shared by bpf/route.bpf.c and user/route.c. */
#ifndef OSISCOPE_ROUTE_H
#define OSISCOPE_ROUTE_H

#include "common.h"

enum route_family {
	ROUTE_IPV4 = 0,
	ROUTE_IPV6,
	ROUTE_FAMILIES,
};

/* Lookups that ended on a reject route. kind="no_route" comes from the namespace's MIB
 * (Ip{,6}{Out,In}NoRoutes), read at scrape: see user/route.c. */
enum route_kind {
	ROUTE_UNREACHABLE = 0, /* RTN_UNREACHABLE: -EHOSTUNREACH */
	ROUTE_PROHIBIT, /* RTN_PROHIBIT: -EACCES */
	ROUTE_BLACKHOLE, /* RTN_BLACKHOLE (and blackhole nexthops): -EINVAL */
	ROUTE_KINDS,
};

enum route_send_error {
	ROUTE_SEND_ENETUNREACH = 0,
	ROUTE_SEND_EHOSTUNREACH,
	ROUTE_SEND_ERRORS,
};

/*
 * ICMPv4 messages the kernel sends through __icmp_send() (tracepoint icmp:icmp_send),
 * by type and code. The error types get a row each; a type the kernel never passes
 * there lands in the last row. Codes above ICMP_CODE_MAX share the last column.
 */
enum icmp_row {
	ICMP_ROW_DEST_UNREACH = 0, /* type 3 */
	ICMP_ROW_TIME_EXCEEDED, /* 11 */
	ICMP_ROW_PARAMETERPROB, /* 12 */
	ICMP_ROW_REDIRECT, /* 5 */
	ICMP_ROW_SOURCE_QUENCH, /* 4 */
	ICMP_ROW_OTHER,
	ICMP_ROWS,
};
#define ICMP_CODE_MAX 15
#define ICMP_CODES (ICMP_CODE_MAX + 2) /* 0..15, then "other" */

/*
 * ICMPv6 errors the kernel sends, by type and code, where an optional fentry/kprobe on
 * icmpv6_push_pending_frames() runs: no tracepoint sees them. The four error types
 * RFC 4443 defines, each a row; any other type is left to the MIB.
 */
enum icmp6_row {
	ICMP6_ROW_DEST_UNREACH = 0, /* type 1 */
	ICMP6_ROW_PKT_TOOBIG, /* 2 */
	ICMP6_ROW_TIME_EXCEED, /* 3 */
	ICMP6_ROW_PARAMPROB, /* 4 */
	ICMP6_ROWS,
};

/* Per network namespace, per CPU: userspace sums the CPUs. Each field has one writer
 * program (fib writes [ROUTE_IPV4], fib6 [ROUTE_IPV6], the program on ip_error
 * input_failures), and the kernel never nests a program within itself on one CPU, so
 * increments need no atomics. */
struct route_netns_stats {
	__u64 lookup_failures[ROUTE_FAMILIES][ROUTE_KINDS];
	/* IPv4 received packets whose input route ended on a reject route (ip_error()):
	 * userspace adds them to lookup_failures[ROUTE_IPV4] */
	__u64 input_failures[ROUTE_KINDS];
	__u64 send_failures[ROUTE_FAMILIES][ROUTE_SEND_ERRORS];
	__u64 icmp_sent[ICMP_ROWS][ICMP_CODES];
	__u64 icmp6_sent[ICMP6_ROWS][ICMP_CODES];
};

/* ICMP messages received by type and code, where an optional fentry/kprobe on icmp_rcv
 * and icmpv6_rcv runs (no tracepoint sees them): one counter per key, per CPU. */
struct icmp_code_key {
	__u32 netns;
	__u8 family; /* enum route_family */
	__u8 type;
	__u8 code;
	__u8 __pad;
};

enum route_event_type {
	ROUTE_EV_LOOKUP_FAILED = 1, /* a lookup ended on a reject route */
	ROUTE_EV_TTL_EXCEEDED, /* ICMP time exceeded sent */
	ROUTE_EV_FRAG_NEEDED, /* ICMP fragmentation needed sent */
};

/* Ring-buffer record: largest fields first, explicit padding, fixed size. */
struct route_event {
	struct event_hdr hdr; /* type: enum route_event_type */
	__u8 saddr[16]; /* IPv4 in the first 4 bytes; for ICMP: the offending packet's */
	__u8 daddr[16]; /* the offending packet's (original) destination */
	__u32 table; /* routing table of a failed lookup; 0 for a received packet's */
	__u32 mtu; /* frag needed: MTU of the device the packet was to leave by */
	__u32 len; /* ICMP: length of the offending packet */
	__u32 ifindex; /* ICMP: device it came in on; lookup: oif, else iif */
	__u16 family; /* AF_INET or AF_INET6 */
	__u8 kind; /* lookup: enum route_kind */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 ttl; /* ICMP: TTL of the offending packet as it arrived */
	__u8 proto; /* ICMP: protocol of the offending packet */
	__u8 __pad[1];
};

_Static_assert(sizeof(struct route_event) == 104, "route_event layout");

#endif
