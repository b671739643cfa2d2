// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Drop layer (all OSI layers). Counts every skb the kernel frees as dropped, by
 * (network namespace, drop reason, device). Userspace names the reason from the
 * running kernel's BTF and maps it to an OSI layer.
 *
 * kfree_skb fires for every dropped packet, so the common case is one increment: the
 * (namespace, device) pair's per-CPU slot, found by index with two compares (owner and
 * struct net, see drop.h), at the reason's place; the namespace is told by its cookie,
 * and its inode read only to claim a slot. Only a pair without a slot (both places
 * taken, no device) or a subsystem reason goes through the per-CPU hash: one lookup,
 * and an insert the first time. Events (off unless trace or the
 * diagnose window asks) go through the per-CPU rate limit, after the count.
 *
 * The tracepoint's prototype changed twice: (skb, location) until v5.17, which added
 * the reason (commit c504e5c2f964, "net: skb: introduce kfree_skb_reason()"), and
 * (skb, location, reason, rx_sk) since v6.11 (commit c53795d48ee8, "net: add rx_sk to
 * trace_kfree_skb"). The loader reads the prototype from BTF and loads the matching
 * program. Without a reason the key holds the location instead (see drop.h).
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

/* Slot owners (see drop.h), in the object's .bss: read with plain loads, no helper. */
struct drop_slot_claim drop_owner[DROP_SLOTS] = {};

/* The owners' key is struct net's cookie, not its inode (see drop.h): set by the loader
 * where the kernel sets the cookie when it makes the namespace (v5.12+). */
const volatile bool netns_by_cookie = false;

/* Per slot and CPU, one __u64 per core reason: the loader sets the value size to
 * drop_slot_reasons counters (no BTF value type, so that it may). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_SLOTS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, DROP_SLOT_REASONS_MAX * sizeof(__u64));
} drop_slots SEC(".maps");

/* Core reasons below this count in slots; 0 (no reasons, or slots off): none do. */
const volatile __u32 drop_slot_reasons = 0;

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

/* The network header and what follows, as far as TCP/UDP ports behind an IPv6 header
 * or an IPv4 header of up to 24 bytes: one probe read for nearly every packet. */
#define EVENT_HDR_READ 44

/*
 * Addresses and ports of a dropped skb, from a copy of its headers (the headers are
 * packet memory, read through a probe read; the skb's own fields under tp_btf with
 * plain loads).
 */
static __always_inline void event_parse(struct drop_event *e, const struct sk_buff *skb,
					const bool btf)
{
	unsigned char *head = READ(btf, skb, head);
	__u16 nh = READ(btf, skb, network_header);
	__u8 h[EVENT_HDR_READ];
	__u32 th;

	e->protocol = bpf_ntohs(READ(btf, skb, protocol));
	if (!head || nh == (__u16)~0U || bpf_probe_read_kernel(h, sizeof(h), head + nh))
		return;
	if (h[0] >> 4 == 4 && (e->protocol == ETH_P_IP || !e->protocol)) {
		const struct iphdr *ip = (const void *)h;

		e->family = AF_INET;
		e->l4proto = ip->protocol;
		__builtin_memcpy(e->saddr, &ip->saddr, 4);
		__builtin_memcpy(e->daddr, &ip->daddr, 4);
		if (ip->frag_off & bpf_htons(0x1fff)) /* a later fragment: no ports */
			return;
		th = (h[0] & 0xf) * 4;
	} else if (h[0] >> 4 == 6 && (e->protocol == ETH_P_IPV6 || !e->protocol)) {
		const struct ipv6hdr *ip6 = (const void *)h;

		e->family = AF_INET6;
		e->l4proto = ip6->nexthdr; /* extension headers are not walked */
		__builtin_memcpy(e->saddr, &ip6->saddr, 16);
		__builtin_memcpy(e->daddr, &ip6->daddr, 16);
		th = sizeof(*ip6);
	} else {
		return;
	}
	if (e->l4proto == IPPROTO_TCP || e->l4proto == IPPROTO_UDP) {
		__be16 ports[2];

		if (th + sizeof(ports) <= sizeof(h)) {
			asm volatile("" : "+r"(th));
			if (th > sizeof(h) - sizeof(ports))
				return;
			__builtin_memcpy(ports, h + th, sizeof(ports));
		} else if (bpf_probe_read_kernel(ports, sizeof(ports), head + nh + th)) {
			return;
		}
		e->sport = bpf_ntohs(ports[0]);
		e->dport = bpf_ntohs(ports[1]);
	}
}

/* With events_quiet (osiscope.bpf.h), a socket closing with data queued (QUEUE_PURGE)
 * sends no event: it is no problem for diagnose, and under connection churn such drops
 * come by the thousand a second and would use up the event budget real faults need;
 * trace shows them. */
static __always_inline void send_event(const struct drop_key *key, const struct sk_buff *skb,
				       void *location, const bool btf)
{
	struct drop_event *e;

	if (events_quiet &&
	    bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE) &&
	    key->reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE))
		return;
	e = event_new_hdr(&drop_events, sizeof(*e), 0, key->netns);

	if (!e)
		return;
	e->location = (__u64)(unsigned long)location;
	e->hdr.ifindex = key->ifindex;
	e->reason = key->reason;
	event_parse(e, skb, btf);
	event_submit(&drop_events, e);
}

/* Slot i holds owner for net now, claimed from free if need be (net is then checked to be
 * a namespace, and recorded with its inode). */
static __always_inline bool slot_take(__u32 i, __u64 owner, const struct net *net,
				      const bool btf)
{
	struct drop_slot_claim *o = &drop_owner[i & (DROP_SLOTS - 1)];
	__u64 was = o->owner;
	__u32 inum;

	if (was)
		return was == owner && o->net == (__u64)(unsigned long)net;
	inum = net_inum(net, btf);
	if (!inum)
		return false;
	/* compare-and-exchange: v5.12+, and every kernel with reasons has it */
	was = __sync_val_compare_and_swap(&o->owner, 0, owner);
	if (was) /* another CPU claimed it first: its net may not be written yet */
		return was == owner && o->net == (__u64)(unsigned long)net;
	o->net = (__u64)(unsigned long)net;
	asm volatile("" ::: "memory"); /* net is there before the inode userspace waits for */
	o->netns = inum;
	return true;
}

/*
 * Counts the drop in the slot of the skb's (namespace, device), if it has or can claim
 * one, and says where it counted in key (netns and ifindex). Reads the device's struct
 * net's cookie, and its inode only to claim a slot (see drop.h).
 *
 * An skb without a device is placed as locate() places it, by its socket, when it came
 * in on loopback (ifindex 1 in every namespace) or on no device: under connection churn
 * nearly every drop is a closing socket's purged queue (QUEUE_PURGE), which in the hash
 * read the namespace's inode beside the reference count every socket's creation and
 * release writes (a cache miss). Neither device goes before its namespace, so such a
 * slot is never one userspace takes back for a device that went. Device-less drops that
 * came in on another device count in the hash as before. (Counting them in slots was
 * reverted for 24_drop_devices losing a deleted device's count; the cause was the
 * agent's maintenance pass, fixed since, so moving them to slots is untried, not
 * refuted: under churn they are few.)
 */
static __always_inline bool slot_count(struct drop_key *key, const struct sk_buff *skb,
				       const struct sock *rx_sk, const bool btf)
{
	const struct net_device *dev = READ(btf, skb, dev);
	const struct net *net = NULL;
	const struct sock *sk;
	__u32 reason = key->reason, ifindex, i, j;
	__u64 nskey, owner, *c;

	if (reason >= drop_slot_reasons)
		return false;
	if (dev) {
		net = READ(btf, dev, nd_net.net);
		ifindex = READ(btf, dev, ifindex);
	} else {
		ifindex = READ(btf, skb, skb_iif);
		if (ifindex > 1)
			return false;
		if (rx_sk)
			net = READ(btf, rx_sk, __sk_common.skc_net.net);
		if (!net) {
			sk = READ(btf, skb, sk);
			if (sk)
				net = READ(btf, sk, __sk_common.skc_net.net);
		}
	}
	if (!net)
		return false;
	if (netns_by_cookie) {
		nskey = READ(btf, net, net_cookie);
		if (!nskey || nskey >> 32)
			return false;
	} else {
		nskey = net_inum(net, btf);
		if (!nskey)
			return false;
	}
	owner = drop_slot_owner((__u32)nskey, ifindex);
	i = drop_slot_index((__u32)nskey, ifindex) & (DROP_SLOTS - 1);
	j = (i + 1) & (DROP_SLOTS - 1);
	if (drop_owner[i].owner != owner || drop_owner[i].net != (__u64)(unsigned long)net) {
		if (drop_owner[j].owner == owner &&
		    drop_owner[j].net == (__u64)(unsigned long)net)
			i = j;
		else if (!slot_take(i, owner, net, btf)) {
			if (!slot_take(j, owner, net, btf))
				return false;
			i = j;
		}
	}
	c = bpf_map_lookup_elem(&drop_slots, &i);
	/* bound the register that indexes (the map's value holds drop_slot_reasons) */
	asm volatile("" : "+r"(reason));
	if (!c || reason >= drop_slot_reasons)
		return false;
	c[reason]++;
	key->netns = drop_owner[i & (DROP_SLOTS - 1)].netns;
	if (!key->netns) /* claimed by another CPU this instant */
		key->netns = net_inum(net, btf);
	key->ifindex = ifindex;
	return true;
}

/* Counts the key's drop in the hash. */
static __always_inline void count_key(const struct drop_key *key)
{
	__u64 one = 1, *v;
	__u32 zero = 0;

	v = bpf_map_lookup_elem(&drops, key);
	if (v) {
		(*v)++;
		return;
	}
	if (bpf_map_update_elem(&drops, key, &one, BPF_NOEXIST) == 0)
		return;
	/* another CPU inserted it first, or the map is full */
	v = bpf_map_lookup_elem(&drops, key);
	if (!v)
		v = bpf_map_lookup_elem(&drops_uncounted, &zero);
	if (v)
		(*v)++;
}

/* has_reason: the hook passes one (v5.17+); else the key holds the location. */
static __always_inline void count_drop(const struct sk_buff *skb, void *location, __u32 reason,
				       const bool has_reason, const bool slots,
				       const struct sock *rx_sk, const bool btf)
{
	struct drop_key key = { .reason = reason };

	if (!skb || (has_reason && !skb_reason_is_drop(reason)))
		return;
	if (!has_reason) {
		key.reason = (__u32)(unsigned long)location;
		key.where_hi = (__u32)((unsigned long)location >> 32);
	}
	if (!(has_reason && slots && slot_count(&key, skb, rx_sk, btf))) {
		locate(&key, skb, rx_sk, btf);
		count_key(&key);
	}
	send_event(&key, skb, location, btf);
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
	count_drop(skb, location, reason, true, true, rx_sk, true);
	return 0;
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(drop_raw, struct sk_buff *skb, void *location, enum skb_drop_reason reason,
	     struct sock *rx_sk)
{
	count_drop(skb, location, reason, true, true, rx_sk, false);
	return 0;
}

/* --- v5.17 to v6.10: (skb, location, reason) --- */
SEC("tp_btf/kfree_skb")
int BPF_PROG(drop_btf3, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	count_drop(skb, location, reason, true, true, NULL, true);
	return 0;
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(drop_raw3, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	count_drop(skb, location, reason, true, true, NULL, false);
	return 0;
}

/* --- before v5.17: (skb, location), no reason: every drop is NOT_SPECIFIED, placed
 * by its location --- */
SEC("tp_btf/kfree_skb")
int BPF_PROG(drop_btf2, struct sk_buff *skb, void *location)
{
	count_drop(skb, location, DROP_REASON_NONE, false, false, NULL, true);
	return 0;
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(drop_raw2, struct sk_buff *skb, void *location)
{
	count_drop(skb, location, DROP_REASON_NONE, false, false, NULL, false);
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
	/* no slots: this one must load on 5.10 too, which has no compare-and-exchange */
	count_drop(BPF_CORE_READ(ctx, skbaddr), BPF_CORE_READ(ctx, location), reason,
		   bpf_core_field_exists(ctx->reason), false, rx_sk, false);
	return 0;
}
