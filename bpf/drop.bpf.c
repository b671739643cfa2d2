// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Drop layer (all OSI layers). Counts every skb the kernel frees as dropped, by
 * (network namespace, drop reason, device), in one per-CPU hash. Userspace names the
 * reason from the running kernel's BTF and maps it to an OSI layer.
 *
 * kfree_skb fires for every dropped packet, so the program does one hash lookup and
 * one increment; an entry is inserted only the first time a (netns, reason, device)
 * appears. Events (off unless trace asks) go through the per-CPU rate limit.
 *
 * The tracepoint's prototype changed twice: (skb, location) until v5.17, which added
 * the reason (commit c504e5c2f964, "net: skb: introduce kfree_skb_reason()"), and
 * (skb, location, reason, rx_sk) since v6.11 (commit c53795d48ee8, "net: add rx_sk to
 * trace_kfree_skb"). The loader reads the prototype from BTF and loads the matching
 * program.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "drop.h"
#include "osiscope.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";


struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384); /* netns x reason x device */
	__type(key, struct drop_key);
	__type(value, __u64);
} drops SEC(".maps");

/* Drops the hash had no room for: counted here, never silently lost. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops_uncounted SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} drop_events SEC(".maps");

/*
 * The inode of a network namespace, or 0 when net does not look like one. skb->dev
 * shares its word with skb->rbnode and UDP's dev_scratch: an skb freed from an IP
 * fragment queue, a TCP out-of-order queue or a qdisc's rbtree has no device there but
 * a pointer to another skb. Checking the namespace's type (see core_fixes.bpf.h) keeps
 * such garbage out of the netns label at the price of one load from the same cache
 * line.
 */
static __always_inline __u32 net_inum(const struct net *net, const bool btf)
{
	if (!net || ns_common_type(&net->ns, btf) != CLONE_NEWNET)
		return 0;
	return READ(btf, net, ns.inum);
}

static __always_inline __u32 sock_inum(const struct sock *sk, const bool btf)
{
	if (!sk)
		return 0;
	return net_inum(READ(btf, sk, __sk_common.skc_net.net), btf);
}

/*
 * Where the skb was when it was dropped. Its device first: the namespace a packet is in
 * is the one of the device it came in on or goes out of, even when a sending socket in
 * another namespace still owns it (skb_scrub_packet() keeps skb->sk across a veth since
 * v5.0). Without a usable device: the receiving socket the kernel names (rx_sk), else
 * the socket that owns the skb, and then the device it came in on (skb_iif), if any.
 */
static __always_inline void locate(struct drop_key *key, const struct sk_buff *skb,
				   const struct sock *rx_sk, const bool btf)
{
	const struct net_device *dev = READ(btf, skb, dev);

	if (dev) {
		key->netns = net_inum(READ(btf, dev, nd_net.net), btf);
		if (key->netns) {
			key->ifindex = READ(btf, dev, ifindex);
			return;
		}
	}
	key->netns = sock_inum(rx_sk, btf);
	if (!key->netns)
		key->netns = sock_inum(READ(btf, skb, sk), btf);
	if (key->netns)
		key->ifindex = READ(btf, skb, skb_iif);
}

/* Since v6.2 kfree_skb_reason() hands SKB_CONSUMED to the consume_skb tracepoint; the
 * check keeps a consumed skb out of the count should any path still pass it here.
 * Every other value is a drop: the kernel routes only SKB_CONSUMED elsewhere. */
static __always_inline bool skb_reason_is_drop(__u32 reason)
{
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED))
		return reason != bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED);
	return true;
}

/* Events are rare, so they read the headers through probe reads. */
static __always_inline void event_parse(struct drop_event *e, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u32 th;
	__u8 ver = 0;

	e->protocol = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	if (!head || nh == (__u16)~0U || bpf_probe_read_kernel(&ver, 1, head + nh))
		return;
	ver >>= 4;
	if (ver == 4 && (e->protocol == ETH_P_IP || !e->protocol)) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return;
		e->family = AF_INET;
		e->l4proto = ip.protocol;
		__builtin_memcpy(e->saddr, &ip.saddr, 4);
		__builtin_memcpy(e->daddr, &ip.daddr, 4);
		if (ip.frag_off & bpf_htons(0x1fff)) /* a later fragment: no ports */
			return;
		th = nh + ip.ihl * 4;
	} else if (ver == 6 && (e->protocol == ETH_P_IPV6 || !e->protocol)) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return;
		e->family = AF_INET6;
		e->l4proto = ip6.nexthdr; /* extension headers are not walked */
		__builtin_memcpy(e->saddr, &ip6.saddr, 16);
		__builtin_memcpy(e->daddr, &ip6.daddr, 16);
		th = nh + sizeof(ip6);
	} else {
		return;
	}
	if (e->l4proto == IPPROTO_TCP || e->l4proto == IPPROTO_UDP) {
		__be16 ports[2];

		if (bpf_probe_read_kernel(ports, sizeof(ports), head + th) == 0) {
			e->sport = bpf_ntohs(ports[0]);
			e->dport = bpf_ntohs(ports[1]);
		}
	}
}

/*
 * Set by the agent when its events go only to the diagnose window: a socket closing with
 * data queued (QUEUE_PURGE) is no problem there, and under connection churn such drops
 * come by the thousand a second and would use up the event budget that real faults need.
 * trace leaves it off and shows them.
 */
const volatile bool events_quiet_purge = false;

static __always_inline void send_event(const struct drop_key *key, const struct sk_buff *skb,
				       void *location)
{
	struct drop_event *e;

	if (events_quiet_purge &&
	    bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE) &&
	    key->reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE))
		return;
	e = event_new_hdr(&drop_events, sizeof(*e), 0, key->netns);

	if (!e)
		return;
	e->location = (__u64)(unsigned long)location;
	e->hdr.ifindex = key->ifindex;
	e->reason = key->reason;
	event_parse(e, skb);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void count_drop(const struct sk_buff *skb, void *location, __u32 reason,
				       const struct sock *rx_sk, const bool btf)
{
	struct drop_key key = { .reason = reason };
	__u64 one = 1, *v;
	__u32 zero = 0;

	if (!skb || !skb_reason_is_drop(reason))
		return;
	locate(&key, skb, rx_sk, btf);
	send_event(&key, skb, location);

	v = bpf_map_lookup_elem(&drops, &key);
	if (v) {
		(*v)++;
		return;
	}
	if (bpf_map_update_elem(&drops, &key, &one, BPF_NOEXIST) == 0)
		return;
	/* another CPU inserted it first, or the map is full */
	v = bpf_map_lookup_elem(&drops, &key);
	if (!v)
		v = bpf_map_lookup_elem(&drops_uncounted, &zero);
	if (v)
		(*v)++;
}

/*
 * --- since v6.11: (skb, location, reason, rx_sk) ---
 * rx_sk may be NULL. Until v6.14 (commit 5da7e15fb5a1, "net: Add rx_skb of kfree_skb to
 * raw_tp_null_args[]") the verifier took it for non-NULL and may drop the NULL check in
 * tp_btf; a load through NULL then reads 0, which net_inum() takes for "no namespace",
 * so the fallback to skb->sk still happens.
 */
SEC("tp_btf/kfree_skb")
int BPF_PROG(drop_btf, struct sk_buff *skb, void *location, enum skb_drop_reason reason,
	     struct sock *rx_sk)
{
	count_drop(skb, location, reason, rx_sk, true);
	return 0;
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(drop_raw, struct sk_buff *skb, void *location, enum skb_drop_reason reason,
	     struct sock *rx_sk)
{
	count_drop(skb, location, reason, rx_sk, false);
	return 0;
}

/* --- v5.17 to v6.10: (skb, location, reason) --- */
SEC("tp_btf/kfree_skb")
int BPF_PROG(drop_btf3, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	count_drop(skb, location, reason, NULL, true);
	return 0;
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(drop_raw3, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	count_drop(skb, location, reason, NULL, false);
	return 0;
}

/* --- before v5.17: (skb, location), no reason: every drop is NOT_SPECIFIED --- */
SEC("tp_btf/kfree_skb")
int BPF_PROG(drop_btf2, struct sk_buff *skb, void *location)
{
	count_drop(skb, location, DROP_REASON_NONE, NULL, true);
	return 0;
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(drop_raw2, struct sk_buff *skb, void *location)
{
	count_drop(skb, location, DROP_REASON_NONE, NULL, false);
	return 0;
}

/* The classic tracepoint's record has had every layout above: CO-RE says which. */
SEC("tracepoint/skb/kfree_skb")
int drop_tp(struct trace_event_raw_kfree_skb *ctx)
{
	__u32 reason = DROP_REASON_NONE;
	struct sock *rx_sk = NULL;

	if (bpf_core_field_exists(ctx->reason))
		reason = BPF_CORE_READ(ctx, reason);
	if (bpf_core_field_exists(ctx->rx_sk))
		rx_sk = BPF_CORE_READ(ctx, rx_sk);
	count_drop(BPF_CORE_READ(ctx, skbaddr), BPF_CORE_READ(ctx, location), reason, rx_sk, false);
	return 0;
}
