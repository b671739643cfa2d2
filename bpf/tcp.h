/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TCP layer (L4/L5): structures shared by bpf/tcp.bpf.c and user/tcp.c. */
#ifndef OSISCOPE_TCP_H
#define OSISCOPE_TCP_H

#include "common.h"

enum tcp_connect_result {
	TCP_CONNECT_OK = 0,
	TCP_CONNECT_REFUSED,
	TCP_CONNECT_TIMEOUT,
	TCP_CONNECT_UNREACHABLE,
	TCP_CONNECT_OTHER,
	TCP_CONNECT_RESULTS,
};

/* Slots of bpf/tcp.bpf.c's per-CPU array of namespaces (tcp_slot_owner/_stats), and the
 * slot of a namespace's key there. */
#define TCP_NS_SLOTS 64
static inline __u32 tcp_ns_slot(__u64 key)
{
	return ((__u32)(key ^ (key >> 32)) * 0x9E3779B1U) >> (32 - 6);
}

/* Who holds a slot: a namespace's key (struct net's cookie where the kernel sets one when
 * the namespace is made, v5.12+, else its inode) and its inode. */
struct tcp_ns_owner {
	__u64 key; /* 0: free */
	__u32 netns;
	__u32 pad;
};

/* Per network namespace, per CPU: userspace sums the CPUs. */
struct tcp_netns_stats {
	/* Written on every state change: first, in as few cache lines as may be. Full
	 * sockets by state (TCP_STATE_SLOTS: kernel state & 15), counted from every change:
	 * the old state's slot goes down, the new one's up, so the sum over CPUs (modulo
	 * 2^64) is the net change since the entry was made. A passive child is created from
	 * its listener's copy (LISTEN -> SYN_RECV): only SYN_RECV goes up. Userspace adds
	 * what a sock_diag dump said once (see user/tcp.c). */
	__u64 states[16];
	__u64 state_changes; /* every inet_sock_set_state of a TCP socket */
	/* One writer program per field, so per-CPU increments need no atomics. */
	__u64 retrans_segs; /* tcp_retransmit_skb: MIB TcpRetransSegs, less SYN-ACKs */
	__u64 syn_retrans; /* tcp_retransmit_skb with SYN: TcpExtTCPSynRetrans, less SYN-ACKs */
	__u64 synack_retrans; /* tcp_retransmit_synack: in both MIB counters above */
	__u64 rst_sent; /* MIB TcpOutRsts */
	__u64 rst_received;
	__u64 passive_opens; /* MIB TcpPassiveOpens */
	__u64 active_opens; /* MIB TcpActiveOpens (those that reached SYN_SENT) */
	__u64 connects[TCP_CONNECT_RESULTS];
	__u64 closes; /* established connections that closed */
	__u64 bytes_sent; /* acked by the peer, at close */
	__u64 bytes_received; /* at close */
	__u64 connect_sum_ns;
	__u64 lifetime_sum_ns;
	__u64 connect_hist[HIST_SLOTS]; /* SYN_SENT -> ESTABLISHED, microseconds */
	__u64 lifetime_hist[HIST_SLOTS]; /* first state to CLOSE, milliseconds */
};

enum tcp_event_type {
	TCP_EV_RESET_SENT = 1,
	TCP_EV_RESET_RECEIVED,
	TCP_EV_CONNECT_REFUSED,
	TCP_EV_CONNECT_TIMEOUT,
	TCP_EV_CONNECT_UNREACHABLE,
	TCP_EV_RETRANSMIT,
};

/* Ring-buffer record: largest fields first, explicit padding, fixed size. */
struct tcp_event {
	/* type: enum tcp_event_type; cgroup_id: of the socket's cgroup; pid/comm: the task
	 * that connected */
	struct event_hdr hdr;
	__u8 saddr[16]; /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u32 detail; /* reset reason, socket error, or retransmitted segments */
	__u16 sport; /* host byte order */
	__u16 dport;
	__u16 family; /* AF_INET or AF_INET6 */
	__u8 state; /* TCP state of the socket when it happened */
	__u8 __pad[5];
};

_Static_assert(sizeof(struct tcp_event) == 96, "tcp_event layout");

#endif
