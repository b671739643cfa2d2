// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * UDP layer (L4). Counts, per network namespace, family and local port, the datagrams a
 * bound socket could not queue (its receive buffer full, or UDP memory over its limit),
 * with an event for each. Everything else of UDP (datagrams in and out, errors by kind)
 * the kernel counts per namespace in its MIB, and userspace reads it at scrape, as it
 * reads the receive queues of the sockets.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "osiscope.bpf.h"
#include "udp.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384); /* (namespace, family, port) */
	__type(key, struct udp_port_key);
	__type(value, __u64);
} udp_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} udp_events SEC(".maps");

static const __u64 zero;

static __always_inline void drop_event(const struct sock *sk, const struct sk_buff *skb, int rc,
				       __u32 netns, __u16 family, __u16 port, const bool btf)
{
	struct udp_event *e = event_new_hdr(&udp_events, sizeof(*e), UDP_EV_SOCKET_DROP, netns);
	unsigned char *head;
	__u16 nh, th;
	struct udphdr uh;

	if (!e)
		return;
	e->hdr.cgroup_id = sk_cgroup_id(sk);
	e->err = rc;
	e->family = family;
	e->dport = port;
	e->rcvbuf = READ(btf, sk, sk_rcvbuf);
	e->rmem = READ(btf, sk, sk_backlog.rmem_alloc.counter);
	if (skb) {
		head = READ(btf, skb, head);
		nh = READ(btf, skb, network_header);
		th = READ(btf, skb, transport_header);
		if (family == AF_INET) {
			bpf_probe_read_kernel(e->saddr, 4,
					      head + nh + offsetof(struct iphdr, saddr));
			bpf_probe_read_kernel(e->daddr, 4,
					      head + nh + offsetof(struct iphdr, daddr));
		} else {
			bpf_probe_read_kernel(e->saddr, 16,
					      head + nh + offsetof(struct ipv6hdr, saddr));
			bpf_probe_read_kernel(e->daddr, 16,
					      head + nh + offsetof(struct ipv6hdr, daddr));
		}
		if (bpf_probe_read_kernel(&uh, sizeof(uh), head + th) == 0) {
			e->sport = bpf_ntohs(uh.source);
			e->len = bpf_ntohs(uh.len);
		}
	} else if (family == AF_INET) {
		/* no packet (before 6.10): the address the socket is bound to, 0.0.0.0 for
		 * a wildcard bind */
		__be32 a = READ(btf, sk, __sk_common.skc_rcv_saddr);

		__builtin_memcpy(e->daddr, &a, 4);
	} else {
		BPF_CORE_READ_INTO(e->daddr, sk, __sk_common.skc_v6_rcv_saddr);
	}
	event_submit(&udp_events, e);
}

/*
 * udp:udp_fail_queue_rcv_skb(rc, sk, skb): __udp_enqueue_schedule_skb() refused the
 * datagram (__udp_queue_rcv_skb, __udpv6_queue_rcv_skb); the kernel then counts it in
 * RcvbufErrors (-ENOMEM) or not (-ENOBUFS: memory), and in InErrors. Kernels before the
 * skb argument (2023) get the short flavour: the family is then the socket's.
 */
static __always_inline void handle_fail(const struct sock *sk, const struct sk_buff *skb, int rc,
					const bool btf)
{
	struct udp_port_key key = {};
	__u16 family;
	__u64 *v;

	if (!sk)
		return;
	family = READ(btf, sk, __sk_common.skc_family);
	if (skb && READ(btf, skb, protocol) == bpf_htons(ETH_P_IP))
		family = AF_INET; /* an IPv4 datagram to a dual-stack socket */
	key.netns = sk_netns_inum(sk, btf);
	key.port = READ(btf, sk, __sk_common.skc_num);
	key.family = family == AF_INET6 ? UDP_IPV6 : UDP_IPV4;
	v = map_lookup_or_init(&udp_drops, &key, &zero);
	if (v)
		(*v)++;
	drop_event(sk, skb, rc, key.netns, family, key.port, btf);
}

SEC("tp_btf/udp_fail_queue_rcv_skb")
int BPF_PROG(udp_fail_btf, int rc, struct sock *sk, struct sk_buff *skb)
{
	handle_fail(sk, skb, rc, true);
	return 0;
}

SEC("tp_btf/udp_fail_queue_rcv_skb")
int BPF_PROG(udp_fail_btf_short, int rc, struct sock *sk)
{
	handle_fail(sk, NULL, rc, true);
	return 0;
}

SEC("raw_tp/udp_fail_queue_rcv_skb")
int BPF_PROG(udp_fail_raw, int rc, struct sock *sk, struct sk_buff *skb)
{
	handle_fail(sk, skb, rc, false);
	return 0;
}

SEC("raw_tp/udp_fail_queue_rcv_skb")
int BPF_PROG(udp_fail_raw_short, int rc, struct sock *sk)
{
	handle_fail(sk, NULL, rc, false);
	return 0;
}

/* No classic tracepoint flavour: its record has the ports and addresses but not the
 * socket, so not the namespace. */
