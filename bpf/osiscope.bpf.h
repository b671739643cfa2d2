/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kernel-side helpers shared by every layer. */
#ifndef OSISCOPE_BPF_H
#define OSISCOPE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "common.h"

/* uapi constants that are #defines, so absent from BTF */
#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86DD

/* tp_btf hands typed pointers the verifier lets us load from directly; raw_tp and
 * tracepoint pointers must go through bpf_probe_read_kernel, several times slower.
 * btf is a constant at each call site, so only one of the two is compiled in. */
#define READ(btf, p, field) ((btf) ? (p)->field : BPF_CORE_READ(p, field))

/* New entries map_lookup_or_init() could not create (the map full, or no memory for a
 * non-preallocated one): what they would have counted is missing, and said so. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} insert_failed SEC(".maps");

/* The value of key in a hash map, created from zero (a value of the map's size) the
 * first time: one lookup once it exists. NULL (and counted) when it cannot be made. */
static __always_inline void *map_lookup_or_init(void *map, const void *key, const void *zero)
{
	__u32 slot = 0;
	__u64 *failed;
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	/* another CPU may insert it first: NOEXIST, then look again either way */
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v) {
		failed = bpf_map_lookup_elem(&insert_failed, &slot);
		if (failed)
			__sync_fetch_and_add(failed, 1);
	}
	return v;
}

/* Network namespace inode of a socket or a device. */
static __always_inline __u32 sk_netns_inum(const struct sock *sk, const bool btf)
{
	if (btf)
		return sk->__sk_common.skc_net.net->ns.inum;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u32 dev_netns_inum(const struct net_device *dev, const bool btf)
{
	if (btf)
		return dev->nd_net.net->ns.inum;
	return BPF_CORE_READ(dev, nd_net.net, ns.inum);
}

/* Set by the loader before load (read-only afterwards, so the verifier prunes). */
const volatile bool events_enabled = false;
const volatile __u32 events_per_sec = 1000; /* per CPU */
/*
 * Set when the agent's events go only to its diagnose window (trace and the debug log
 * leave it off): nobody waits on each event, so they are queued without waking the
 * agent, which drains every ring each second and before it answers a diagnose; it is
 * woken only when a quarter of a ring is full. A wakeup (irq_work, then the scheduler)
 * cost more than all the rest of an event: a reset's program took 350-700 ns with it.
 */
const volatile bool events_quiet = false;

struct ratelimit {
	__u64 window_start;
	__u32 count;
	__u32 pad;
	__u64 spent_tick; /* the tick (jiffies) in which the budget was last found spent */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ratelimit);
} event_ratelimit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LOST_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} events_lost SEC(".maps");

/* Per-CPU values need no atomics: the kernel never nests a tracing program inside
 * itself on one CPU (it skips and counts the recursion), and every counter field is
 * written by exactly one program. Userspace sums the CPUs. The lost-event counter is
 * the one exception, shared by all programs of a layer: a softirq interleaving with
 * a task on the same CPU can lose one of its increments, which is acceptable for a
 * loss estimate and not worth an atomic on every event. */
static __always_inline void count_lost(__u32 reason)
{
	__u64 *v = bpf_map_lookup_elem(&events_lost, &reason);

	if (v)
		(*v)++;
}

/*
 * Fixed one-second window per CPU: cheap, and a burst can never exceed the budget. The
 * time it read (the event's own), 0 when the event is not to be sent.
 *
 * Once the budget is spent, the events after it in the same scheduler tick are refused
 * without reading the clock: jiffies is one load (the verifier inlines bpf_jiffies64()),
 * the clock a call costing more than the rest of a refused event (measured on 6.18 in a
 * storm of drops past the budget: 93 ns per drop with the clock read). A window so
 * begins up to one tick (1-10 ms) late, never early: the budget still holds.
 */
static __always_inline __u64 event_allowed(void)
{
	__u32 zero = 0;
	struct ratelimit *rl;
	__u64 now;

	if (!events_enabled)
		return 0;
	rl = bpf_map_lookup_elem(&event_ratelimit, &zero);
	if (!rl)
		return 0;
	if (rl->count >= events_per_sec && rl->spent_tick == bpf_jiffies64()) {
		count_lost(LOST_RATELIMIT);
		return 0;
	}
	now = bpf_ktime_get_ns();
	if (now - rl->window_start >= 1000000000ULL) {
		rl->window_start = now;
		rl->count = 0;
	}
	if (rl->count >= events_per_sec) {
		rl->spent_tick = bpf_jiffies64();
		count_lost(LOST_RATELIMIT);
		return 0;
	}
	rl->count++;
	return now;
}

/* Reserves a record in rb, or counts why not. NULL when the event is not to be sent;
 * else *now is the time. */
static __always_inline void *event_reserve(void *rb, __u64 size, __u64 *now)
{
	void *e;

	*now = event_allowed();
	if (!*now)
		return NULL;
	e = bpf_ringbuf_reserve(rb, size, 0);
	if (!e)
		count_lost(LOST_RINGBUF);
	return e;
}

/* Submits an event reserved from rb (see events_quiet). */
static __always_inline void event_submit(void *rb, void *e)
{
	__u64 flags = 0;

	if (events_quiet)
		flags = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) >=
					bpf_ringbuf_query(rb, BPF_RB_RING_SIZE) / 4
				? BPF_RB_FORCE_WAKEUP
				: BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/* Reserves an event of size bytes that starts with struct event_hdr: zeroed, with time,
 * type and namespace set. NULL when it is not to be sent (see event_reserve). */
static __always_inline void *event_new_hdr(void *rb, __u64 size, __u8 type, __u32 netns)
{
	__u64 now;
	struct event_hdr *h = event_reserve(rb, size, &now);

	if (!h)
		return NULL;
	__builtin_memset(h, 0, size);
	h->ts_ns = now; /* the rate limit's clock read: one per event */
	h->type = type;
	h->netns = netns;
	return h;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, s;

	s = (v > 0xFFFFFFFFULL) << 5;
	v >>= s;
	r |= s;
	s = (v > 0xFFFF) << 4;
	v >>= s;
	r |= s;
	s = (v > 0xFF) << 3;
	v >>= s;
	r |= s;
	s = (v > 0xF) << 2;
	v >>= s;
	r |= s;
	s = (v > 0x3) << 1;
	v >>= s;
	r |= s;
	r |= (v >> 1);
	return r;
}

/* Slot of v in a HIST_SLOTS log2 histogram (see common.h). */
static __always_inline __u32 hist_slot(__u64 v)
{
	__u32 s = v ? log2_u64(v) + 1 : 0;

	if (s > HIST_SLOTS - 1)
		s = HIST_SLOTS - 1;
	/* Hide the range from clang so the mask stays on the register that indexes:
	 * otherwise it bounds a copy and the verifier sees an unbounded index. */
	asm volatile("" : "+r"(s));
	return s & (HIST_SLOTS - 1);
}

#endif
