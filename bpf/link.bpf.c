// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Link layer (L1/L2). The device counters themselves (packets, bytes, drops, errors,
 * carrier) come from rtnetlink in userspace; this object adds what the kernel does not
 * count per device: the protocol mix and broadcast/multicast frames in each direction
 * (a tc program on ingress and egress, or opt-in XDP on ingress), and transmit queue
 * timeouts (tracepoint net:net_dev_xmit_timeout).
 *
 * The tc and XDP programs run on every frame of every device, so they find the
 * device's per-CPU counters in its slot (an array place userspace gave it when it
 * attached, see link.h) or else with one hash lookup, and do a few increments, nothing
 * else: no event, no update once the device's entry exists, no helper call on the fast
 * path. They always pass the frame on (TC_ACT_UNSPEC / TCX_NEXT,
 * XDP_PASS) to whatever filter or program comes next.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "link.h"
#include "osiscope.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* wire constants (if_ether.h defines, absent from BTF) */
#define ETH_HLEN 14
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define NEXTHDR_HOP 0
#define NEXTHDR_ICMP 58
/* TC_ACT_UNSPEC: for a classic filter, "go on with the next filter"; for tcx it is
 * TCX_NEXT, the same value. */
#define LINK_TC_NEXT (-1)
/* The deepest header byte the classifier reads: Ethernet, one VLAN tag, the IPv6
 * header and the first byte of a hop-by-hop header. */
#define LINK_HDR_MAX (ETH_HLEN + 4 + 40 + 1)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	/* entries are created once per device: no per-CPU preallocation of thousands */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384); /* devices, all namespaces */
	__type(key, struct link_key);
	__type(value, struct link_dev_stats);
} link_stats SEC(".maps");

/* The devices userspace gave a slot (see link.h): owner netns << 32 | ifindex, 0 free. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LINK_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} link_slot_owner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LINK_SLOTS);
	__type(key, __u32);
	__type(value, struct link_dev_stats);
} link_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct link_key);
	__type(value, __u64);
} link_txto SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} link_events SEC(".maps");

/* The object's .bss: written by userspace through the mmap, see link.h. */
struct link_owner link_owner = {};

static const struct link_dev_stats zero_stats;

/* 6.3+: a typed pointer to the sk_buff / xdp_buff behind the context, read with plain
 * loads. Older kernels take the probe-read programs (the loader picks). */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;

/* The device's slot, if userspace gave it one: two array lookups, inlined. */
static __always_inline struct link_dev_stats *slot_for(const struct link_key *k)
{
	__u64 owner = (__u64)k->netns << 32 | k->ifindex, *o;
	__u32 i = link_slot_index(k->netns, k->ifindex);

	o = bpf_map_lookup_elem(&link_slot_owner, &i);
	if (!o || *o != owner) {
		i = (i + 1) & (LINK_SLOTS - 1);
		o = bpf_map_lookup_elem(&link_slot_owner, &i);
		if (!o || *o != owner)
			return NULL;
	}
	return bpf_map_lookup_elem(&link_slots, &i);
}

static __always_inline struct link_dev_stats *stats_for(const struct link_key *k)
{
	struct link_dev_stats *s = slot_for(k);

	if (s)
		return s;
	s = bpf_map_lookup_elem(&link_stats, k);
	if (s)
		return s;
	/* frames before userspace registered the device (it does so as it attaches) */
	bpf_map_update_elem(&link_stats, k, &zero_stats, BPF_NOEXIST);
	__sync_fetch_and_add(&link_owner.created, 1);
	return bpf_map_lookup_elem(&link_stats, k);
}

/*
 * One frame starting at its Ethernet header, p..end readable. Per-CPU counters need no
 * atomics: a direction of a device is counted by one program, and a CPU runs one
 * packet's programs to completion (softirq or BH-disabled) before the next.
 */
static __always_inline void count_frame(struct link_dir_stats *d, const __u8 *p, const void *end,
					__u32 segs)
{
	const __u8 *l3 = p + ETH_HLEN;
	__u32 slot = LINK_P_OTHER;
	__u16 proto;
	__u8 nh;

	if ((const void *)(p + ETH_HLEN) > end)
		goto out;
	if (p[0] & 1) {
		if (*(const __u32 *)p == 0xffffffff && *(const __u16 *)(p + 4) == 0xffff)
			d->broadcast += segs;
		else
			d->multicast += segs;
	}
	proto = *(const __u16 *)(p + 12);
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		if ((const void *)(p + ETH_HLEN + 4) > end)
			goto out;
		proto = *(const __u16 *)(p + ETH_HLEN + 2);
		l3 = p + ETH_HLEN + 4;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		slot = LINK_P_IPV4_OTHER;
		if ((const void *)(l3 + 20) > end)
			goto out;
		nh = l3[9];
		if (nh == IPPROTO_TCP)
			slot = LINK_P_IPV4_TCP;
		else if (nh == IPPROTO_UDP)
			slot = LINK_P_IPV4_UDP;
		else if (nh == IPPROTO_ICMP)
			slot = LINK_P_IPV4_ICMP;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		slot = LINK_P_IPV6_OTHER;
		if ((const void *)(l3 + 40) > end)
			goto out;
		nh = l3[6];
		if (nh == NEXTHDR_HOP) {
			if ((const void *)(l3 + 41) > end)
				goto out;
			nh = l3[40];
		}
		if (nh == IPPROTO_TCP)
			slot = LINK_P_IPV6_TCP;
		else if (nh == IPPROTO_UDP)
			slot = LINK_P_IPV6_UDP;
		else if (nh == NEXTHDR_ICMP)
			slot = LINK_P_IPV6_ICMP;
	} else if (proto == bpf_htons(ETH_P_ARP)) {
		slot = LINK_P_ARP;
	}
out:
	d->proto[slot] += segs;
}

static __always_inline bool tc_key(struct __sk_buff *ctx, struct link_key *k, const bool cast)
{
	struct net_device *dev;

	if (cast) {
		struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);

		dev = skb->dev;
		if (!dev)
			return false;
		k->netns = dev->nd_net.net->ns.inum;
	} else {
		/* the context is the sk_buff itself; reading it as memory needs the
		 * privileges the agent has anyway (CAP_PERFMON) */
		dev = BPF_CORE_READ((struct sk_buff *)ctx, dev);
		if (!dev)
			return false;
		k->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	}
	k->ifindex = ctx->ifindex;
	return true;
}

static __always_inline int on_tc(struct __sk_buff *ctx, const __u32 dir, const bool cast)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct link_key k;
	struct link_dev_stats *s;
	__u32 segs = ctx->gso_segs;

	if (!tc_key(ctx, &k, cast))
		return LINK_TC_NEXT;
	s = stats_for(&k);
	if (!s)
		return LINK_TC_NEXT;
	if (!segs)
		segs = 1;
	if (data + LINK_HDR_MAX > end && ctx->len >= LINK_HDR_MAX) {
		/* headers beyond the linear part (rare: drivers pull them): copy them */
		__u8 buf[LINK_HDR_MAX];

		if (!bpf_skb_load_bytes(ctx, 0, buf, sizeof(buf))) {
			count_frame(&s->dir[dir], buf, buf + sizeof(buf), segs);
			return LINK_TC_NEXT;
		}
	}
	count_frame(&s->dir[dir], data, end, segs);
	return LINK_TC_NEXT;
}

SEC("tc")
int link_tc_in(struct __sk_buff *ctx)
{
	return on_tc(ctx, LINK_RX, true);
}

SEC("tc")
int link_tc_out(struct __sk_buff *ctx)
{
	return on_tc(ctx, LINK_TX, true);
}

SEC("tc")
int link_tc_in_pr(struct __sk_buff *ctx)
{
	return on_tc(ctx, LINK_RX, false);
}

SEC("tc")
int link_tc_out_pr(struct __sk_buff *ctx)
{
	return on_tc(ctx, LINK_TX, false);
}

static __always_inline int on_xdp(struct xdp_md *ctx, const bool cast)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct link_key k;
	struct link_dev_stats *s;

	if (cast) {
		struct xdp_buff *x = bpf_cast_to_kern_ctx(ctx);

		k.netns = x->rxq->dev->nd_net.net->ns.inum;
	} else {
		k.netns = BPF_CORE_READ((struct xdp_buff *)ctx, rxq, dev, nd_net.net, ns.inum);
	}
	k.ifindex = ctx->ingress_ifindex;
	s = stats_for(&k);
	if (s)
		count_frame(&s->dir[LINK_RX], data, end, 1);
	return XDP_PASS;
}

SEC("xdp")
int link_xdp(struct xdp_md *ctx)
{
	return on_xdp(ctx, true);
}

SEC("xdp")
int link_xdp_pr(struct xdp_md *ctx)
{
	return on_xdp(ctx, false);
}

/* Rare (a stuck transmit queue), so it also sends an event. */
static __always_inline void on_tx_timeout(struct net_device *dev, int queue, const bool btf)
{
	struct link_key k = {};
	struct link_event *e;
	__u64 *v, one = 1;

	if (btf) {
		k.netns = dev->nd_net.net->ns.inum;
		k.ifindex = dev->ifindex;
	} else {
		k.netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
		k.ifindex = BPF_CORE_READ(dev, ifindex);
	}
	v = bpf_map_lookup_elem(&link_txto, &k);
	if (v)
		(*v)++;
	else
		bpf_map_update_elem(&link_txto, &k, &one, BPF_NOEXIST);
	e = event_new_hdr(&link_events, sizeof(*e), LINK_EV_TX_TIMEOUT, k.netns);
	if (!e)
		return;
	e->hdr.ifindex = k.ifindex;
	e->queue = (__u32)queue;
	bpf_probe_read_kernel_str(e->name, sizeof(e->name), dev->name);
	event_submit(&link_events, e);
}

SEC("tp_btf/net_dev_xmit_timeout")
int BPF_PROG(link_txto_btf, struct net_device *dev, int queue)
{
	on_tx_timeout(dev, queue, true);
	return 0;
}

SEC("raw_tp/net_dev_xmit_timeout")
int BPF_PROG(link_txto_raw, struct net_device *dev, int queue)
{
	on_tx_timeout(dev, queue, false);
	return 0;
}
