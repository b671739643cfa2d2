// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Neighbour layer (L2: ARP and IPv6 neighbour discovery). Counts, per network
 * namespace and device, in the kernel: ARP requests, replies and gratuitous ARPs seen
 * in each direction, neighbour resolution failures, link-layer address changes of
 * valid entries (duplicate IP or MAC flapping), and packets dropped while waiting for
 * resolution. NDP message counts come from the kernel's own per-device ICMPv6 MIB at
 * scrape (user/neigh.c): nothing here runs per IPv6 packet.
 *
 * ARP has no tracepoint, so the ARP programs sit on the generic receive and transmit
 * tracepoints and leave at the first compare for anything that is not ARP.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "osiscope.bpf.h"
#include "neigh.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2

/* Address ranges [start, end) of enum neigh_drop_fn, set by the loader; 0 = unknown. */
const volatile __u64 drop_fn_start[NEIGH_DROP_FNS];
const volatile __u64 drop_fn_end[NEIGH_DROP_FNS];

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384); /* devices of every namespace */
	__type(key, struct neigh_key);
	__type(value, struct neigh_dev_stats);
} neigh_stats SEC(".maps");

/* An entry's address before neigh_update, for neigh_update_done to compare with. */
struct neigh_pending {
	__u8 ha[NEIGH_MAX_ADDR_LEN];
	__u32 pid; /* the task asking through netlink, or 0 */
	__u8 state;
	__u8 len;
	__u8 pad[2];
	char comm[COMM_LEN];
};

/*
 * Keyed by the neighbour's address. Only updates that propose a different address for
 * a valid entry are stored, so this stays nearly empty; preallocated, since the
 * updates run in softirq. Not per-CPU: a netlink update may move CPUs between the two
 * tracepoints.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct neigh_pending);
} neigh_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} neigh_events SEC(".maps");

static const struct neigh_dev_stats zero_stats;

static __always_inline struct neigh_dev_stats *stats_for(__u32 netns, __u32 ifindex)
{
	struct neigh_key key = { .netns = netns, .ifindex = ifindex };

	return map_lookup_or_init(&neigh_stats, &key, &zero_stats);
}

/* --- ARP packets --- */

/* Gratuitous: an announcement of the sender's own address (sender IP = target IP),
 * read field by field for link layers whose addresses are not 6 bytes. */
static __always_inline bool garp_any_link(const unsigned char *arp, const struct arphdr *ah,
					  __u32 room)
{
	__u32 sender = 0, target = 0;

	if (ah->ar_pro != bpf_htons(ETH_P_IP) || ah->ar_pln != 4 ||
	    ah->ar_hln > NEIGH_MAX_ADDR_LEN || sizeof(*ah) + 2 * ah->ar_hln + 8 > room)
		return false;
	bpf_probe_read_kernel(&sender, 4, arp + sizeof(*ah) + ah->ar_hln);
	bpf_probe_read_kernel(&target, 4, arp + sizeof(*ah) + 2 * ah->ar_hln + 4);
	return sender && sender == target;
}

/*
 * The ARP header starts off bytes into the skb's data. Only the linear part is read:
 * ARP is small and the kernel's own arp_rcv() pulls it there, but a driver may hand
 * over a packet whose header is still in page fragments at this point.
 */
static __always_inline void count_arp(const struct sk_buff *skb, const struct net_device *dev,
				      __u32 off, int dir, const bool btf)
{
	const unsigned char *data = READ(btf, skb, data);
	__u32 headlen = READ(btf, skb, len) - READ(btf, skb, data_len);
	struct neigh_dev_stats *s;
	/* Ethernet and IPv4, the common case: the whole packet in one read */
	struct {
		struct arphdr h;
		__u8 sha[6], sip[4], tha[6], tip[4];
	} eth;
	__u32 sip, tip;
	bool garp;
	__u32 op;

	if (!dev || off > 64 || off + sizeof(eth.h) > headlen)
		return;
	if (off + sizeof(eth) <= headlen) {
		if (bpf_probe_read_kernel(&eth, sizeof(eth), data + off))
			return;
	} else if (bpf_probe_read_kernel(&eth.h, sizeof(eth.h), data + off)) {
		return;
	}
	if (eth.h.ar_hln == 6 && eth.h.ar_pln == 4 && eth.h.ar_pro == bpf_htons(ETH_P_IP) &&
	    off + sizeof(eth) <= headlen) {
		__builtin_memcpy(&sip, eth.sip, 4);
		__builtin_memcpy(&tip, eth.tip, 4);
		garp = sip && sip == tip;
	} else
		garp = garp_any_link(data + off, &eth.h, headlen - off);
	switch (bpf_ntohs(eth.h.ar_op)) {
	case ARPOP_REQUEST:
		op = garp ? NEIGH_ARP_GRATUITOUS : NEIGH_ARP_REQUEST;
		break;
	case ARPOP_REPLY:
		op = garp ? NEIGH_ARP_GRATUITOUS : NEIGH_ARP_REPLY;
		break;
	default: /* RARP, InARP: not counted */
		return;
	}
	s = stats_for(dev_netns_inum(dev, btf), READ(btf, dev, ifindex));
	if (s)
		s->arp[dir][op]++;
}

/* On transmit the data starts at the link-layer header. The network header is set by
 * the kernel's ARP and by datagram packet sockets; a raw packet socket leaves it at the
 * frame's start, where the device's header length says how far ARP is. */
static __always_inline void count_arp_tx(const struct sk_buff *skb, const struct net_device *dev,
					 const bool btf)
{
	const unsigned char *head = READ(btf, skb, head), *data = READ(btf, skb, data);
	long off = (long)READ(btf, skb, network_header) - (data - head);

	if (off <= 0 && dev)
		off = READ(btf, dev, hard_header_len);
	if (off < 0)
		return;
	count_arp(skb, dev, (__u32)off, NEIGH_TX, btf);
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(neigh_rx_btf, struct sk_buff *skb)
{
	/* the common case: one load and compare */
	if (skb->protocol != bpf_htons(ETH_P_ARP))
		return 0;
	/* here the data starts at the network header (eth_type_trans pulled the rest) */
	count_arp(skb, skb->dev, 0, NEIGH_RX, true);
	return 0;
}

SEC("raw_tp/netif_receive_skb")
int BPF_PROG(neigh_rx_raw, struct sk_buff *skb)
{
	if (BPF_CORE_READ(skb, protocol) != bpf_htons(ETH_P_ARP))
		return 0;
	count_arp(skb, BPF_CORE_READ(skb, dev), 0, NEIGH_RX, false);
	return 0;
}

SEC("tracepoint/net/netif_receive_skb")
int neigh_rx_tp(struct trace_event_raw_net_dev_template *ctx)
{
	struct sk_buff *skb = ctx->skbaddr;

	if (BPF_CORE_READ(skb, protocol) != bpf_htons(ETH_P_ARP))
		return 0;
	count_arp(skb, BPF_CORE_READ(skb, dev), 0, NEIGH_RX, false);
	return 0;
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(neigh_tx_btf, const struct sk_buff *skb, const struct net_device *dev)
{
	if (skb->protocol != bpf_htons(ETH_P_ARP))
		return 0;
	count_arp_tx(skb, dev, true);
	return 0;
}

SEC("raw_tp/net_dev_start_xmit")
int BPF_PROG(neigh_tx_raw, const struct sk_buff *skb, const struct net_device *dev)
{
	if (BPF_CORE_READ(skb, protocol) != bpf_htons(ETH_P_ARP))
		return 0;
	count_arp_tx(skb, dev, false);
	return 0;
}

SEC("tracepoint/net/net_dev_start_xmit")
int neigh_tx_tp(struct trace_event_raw_net_dev_start_xmit *ctx)
{
	const struct sk_buff *skb = ctx->skbaddr;

	/* the record has the protocol (host order, inside a VLAN tag) and the offset */
	if (ctx->protocol != ETH_P_ARP)
		return 0;
	if (ctx->network_offset > 0)
		count_arp(skb, BPF_CORE_READ(skb, dev), ctx->network_offset, NEIGH_TX, false);
	else
		count_arp_tx(skb, BPF_CORE_READ(skb, dev), false);
	return 0;
}

/* --- packets dropped while unresolved --- */

static __always_inline bool reason_is(__u32 reason, const __u32 want)
{
	return reason == want;
}

#define DROP_REASON(name)                                                            \
	(bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_##name) && \
	 reason_is(reason, bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_##name)))

static __always_inline bool in_drop_fn(__u64 loc)
{
	for (int i = 0; i < NEIGH_DROP_FNS; i++)
		if (loc >= drop_fn_start[i] && loc < drop_fn_end[i])
			return true;
	return false;
}

/* NEIGH_FAILED: freed when the entry failed (ARP's error report), or when no probe
 * may be sent at all; NEIGH_QUEUEFULL: pushed out of the entry's queue (unres_qlen_bytes)
 * by a newer packet; NEIGH_DEAD: the entry was removed meanwhile. IPv6's error report
 * frees without a reason (6.18), as everything did before v5.17: those are known by
 * where they are freed. */
static __always_inline bool unresolved_drop(__u32 reason, __u64 location)
{
	if (DROP_REASON(NEIGH_FAILED) || DROP_REASON(NEIGH_QUEUEFULL) || DROP_REASON(NEIGH_DEAD))
		return true;
	if (reason && !DROP_REASON(NOT_SPECIFIED) && !DROP_REASON(QUEUE_PURGE))
		return false;
	return in_drop_fn(location);
}

static __always_inline void count_drop(const struct sk_buff *skb, const bool btf)
{
	const struct net_device *dev = READ(btf, skb, dev);
	__u16 proto = READ(btf, skb, protocol);
	struct neigh_dev_stats *s;
	int fam;

	if (proto == bpf_htons(ETH_P_IP))
		fam = NEIGH_IPV4;
	else if (proto == bpf_htons(ETH_P_IPV6))
		fam = NEIGH_IPV6;
	else
		return;
	if (!dev)
		return;
	s = stats_for(dev_netns_inum(dev, btf), READ(btf, dev, ifindex));
	if (s)
		s->unres_drops[fam]++;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(neigh_drop_btf, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	if (unresolved_drop(reason, (__u64)location))
		count_drop(skb, true);
	return 0;
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(neigh_drop_raw, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	if (unresolved_drop(reason, (__u64)location))
		count_drop(skb, false);
	return 0;
}

SEC("tracepoint/skb/kfree_skb")
int neigh_drop_tp(struct trace_event_raw_kfree_skb *ctx)
{
	__u32 reason = 0;

	if (bpf_core_field_exists(ctx->reason))
		reason = BPF_CORE_READ(ctx, reason);
	if (unresolved_drop(reason, (__u64)ctx->location))
		count_drop(ctx->skbaddr, false);
	return 0;
}

/* --- neighbour entries --- */

static __always_inline int neigh_family(const struct neighbour *n, __u16 *af, const bool btf)
{
	const struct neigh_table *tbl = READ(btf, n, tbl);
	int family;

	if (!tbl)
		return -1;
	family = READ(btf, tbl, family);
	*af = family;
	if (family == AF_INET)
		return NEIGH_IPV4;
	if (family == AF_INET6)
		return NEIGH_IPV6;
	return -1; /* another table (e.g. a driver's own) */
}

static __always_inline struct neigh_event *event_new(__u8 type, const struct neighbour *n,
						     __u32 netns, __u32 ifindex, __u16 af)
{
	struct neigh_event *e = event_new_hdr(&neigh_events, sizeof(*e), type, netns);

	if (!e)
		return NULL;
	e->hdr.ifindex = ifindex;
	e->family = af;
	BPF_CORE_READ_STR_INTO(&e->ifname, n, dev, name);
	bpf_probe_read_kernel(e->addr, af == AF_INET6 ? 16 : 4,
			      (const void *)n +
				      bpf_core_field_offset(struct neighbour, primary_key));
	return e;
}

/* The timer's last word on an entry whose probes all went unanswered is NUD_FAILED: once
 * failed, the timer is not armed again, so this is once per failure. */
static __always_inline void handle_timer(const struct neighbour *n, const bool btf)
{
	const struct net_device *dev;
	struct neigh_dev_stats *s;
	struct neigh_event *e;
	__u32 netns, ifindex;
	__u16 af;
	int fam;

	if (!n || READ(btf, n, nud_state) != NEIGH_NUD_FAILED)
		return;
	fam = neigh_family(n, &af, btf);
	dev = READ(btf, n, dev);
	if (fam < 0 || !dev)
		return;
	netns = dev_netns_inum(dev, btf);
	ifindex = READ(btf, dev, ifindex);
	s = stats_for(netns, ifindex);
	if (!s)
		return;
	s->res_failed[fam]++;
	e = event_new(NEIGH_EV_RESOLUTION_FAILED, n, netns, ifindex, af);
	if (e) {
		e->new_state = NEIGH_NUD_FAILED;
		e->probes = BPF_CORE_READ(n, probes.counter);
		event_submit(&neigh_events, e);
	}
}

static __always_inline __u8 addr_len_of(const struct neighbour *n, const bool btf)
{
	const struct net_device *dev = READ(btf, n, dev);

	return dev ? READ(btf, dev, addr_len) : 0;
}

static __always_inline bool ha_equal(const __u8 *a, const __u8 *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/*
 * The entry's address, its first len bytes and zeros after (as a probe read of len bytes
 * into a zeroed buffer leaves it): under tp_btf four plain loads, masked, where the probe
 * read cost the update program a third of what it cost beyond an empty one (6.18). 0, or
 * -errno from the probe read.
 */
static __always_inline long entry_ha(__u8 *dst, const struct neighbour *n, __u32 len,
				     const bool btf)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (btf && bpf_core_field_size(struct neighbour, ha) == NEIGH_MAX_ADDR_LEN) {
		const __u64 *src = (const __u64 *)n->ha;
		__u64 *d = (__u64 *)dst;

#pragma unroll
		for (int i = 0; i < NEIGH_MAX_ADDR_LEN / 8; i++) {
			int keep = (int)len - i * 8;
			__u64 w = src[i];

			if (keep <= 0)
				w = 0;
			else if (keep < 8)
				w &= ~0ULL >> (64 - 8 * keep);
			d[i] = w;
		}
		return 0;
	}
#endif
	return bpf_probe_read_kernel(dst, len,
				     (const void *)n + bpf_core_field_offset(struct neighbour, ha));
}

/*
 * neigh_update fires before __neigh_update takes the entry's lock and decides: an
 * address it proposes may still be refused (no override flag, or within locktime of
 * the last change). So only remember the address the entry had, when the proposed one
 * differs from it, and let neigh_update_done see what the entry really holds after.
 */
static __always_inline void handle_update(const struct neighbour *n, const __u8 *lladdr,
					  __u32 nlmsg_pid, const bool btf)
{
	struct neigh_pending p = {};
	__u8 proposed[NEIGH_MAX_ADDR_LEN] = {};
	__u64 key = (__u64)(unsigned long)n;
	__u32 len; /* 32 bits: one register, bounded where the probe read takes it */

	if (!n || !lladdr)
		return;
	p.state = READ(btf, n, nud_state);
	if (!(p.state & NEIGH_NUD_VALID))
		return;
	len = addr_len_of(n, btf);
	if (len == 0 || len > NEIGH_MAX_ADDR_LEN)
		return;
	p.len = len;
	if (bpf_probe_read_kernel(proposed, len, lladdr) || entry_ha(p.ha, n, len, btf))
		return;
	if (ha_equal(p.ha, proposed))
		return;
	if (nlmsg_pid) { /* rtnetlink runs in the requester's context */
		p.pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(p.comm, sizeof(p.comm));
	}
	bpf_map_update_elem(&neigh_pending, &key, &p, BPF_ANY);
}

static __always_inline void handle_update_done(const struct neighbour *n, const bool btf)
{
	__u8 now[NEIGH_MAX_ADDR_LEN] = {};
	__u64 key = (__u64)(unsigned long)n;
	struct neigh_pending *pp, p;
	const struct net_device *dev;
	struct neigh_dev_stats *s;
	struct neigh_event *e;
	__u32 netns, ifindex;
	__u8 state;
	__u16 af;
	int fam;

	pp = bpf_map_lookup_elem(&neigh_pending, &key);
	if (!pp)
		return;
	p = *pp;
	bpf_map_delete_elem(&neigh_pending, &key);
	state = READ(btf, n, nud_state);
	if (!(state & NEIGH_NUD_VALID) || p.len == 0 || p.len > NEIGH_MAX_ADDR_LEN)
		return;
	if (bpf_probe_read_kernel(now, p.len,
				  (const void *)n + bpf_core_field_offset(struct neighbour, ha)))
		return;
	if (ha_equal(p.ha, now))
		return;
	fam = neigh_family(n, &af, btf);
	dev = READ(btf, n, dev);
	if (fam < 0 || !dev)
		return;
	netns = dev_netns_inum(dev, btf);
	ifindex = READ(btf, dev, ifindex);
	s = stats_for(netns, ifindex);
	if (!s)
		return;
	s->lladdr_changes[fam]++;
	e = event_new(NEIGH_EV_LLADDR_CHANGED, n, netns, ifindex, af);
	if (!e)
		return;
	__builtin_memcpy(e->old_lladdr, p.ha, sizeof(e->old_lladdr));
	__builtin_memcpy(e->new_lladdr, now, sizeof(e->new_lladdr));
	e->lladdr_len = p.len;
	e->old_state = p.state;
	e->new_state = state;
	e->hdr.pid = p.pid;
	__builtin_memcpy(e->hdr.comm, p.comm, sizeof(e->hdr.comm));
	event_submit(&neigh_events, e);
}

SEC("tp_btf/neigh_update")
int BPF_PROG(neigh_upd_btf, struct neighbour *n, const u8 *lladdr, u8 new, u32 flags, u32 nlmsg_pid)
{
	handle_update(n, lladdr, nlmsg_pid, true);
	return 0;
}

SEC("raw_tp/neigh_update")
int BPF_PROG(neigh_upd_raw, struct neighbour *n, const u8 *lladdr, u8 new, u32 flags, u32 nlmsg_pid)
{
	handle_update(n, lladdr, nlmsg_pid, false);
	return 0;
}

SEC("tp_btf/neigh_update_done")
int BPF_PROG(neigh_done_btf, struct neighbour *n, int err)
{
	handle_update_done(n, true);
	return 0;
}

SEC("raw_tp/neigh_update_done")
int BPF_PROG(neigh_done_raw, struct neighbour *n, int err)
{
	handle_update_done(n, false);
	return 0;
}

SEC("tp_btf/neigh_timer_handler")
int BPF_PROG(neigh_timer_btf, struct neighbour *n, int err)
{
	handle_timer(n, true);
	return 0;
}

SEC("raw_tp/neigh_timer_handler")
int BPF_PROG(neigh_timer_raw, struct neighbour *n, int err)
{
	handle_timer(n, false);
	return 0;
}
