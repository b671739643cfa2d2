// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TCP layer (L4/L5). Counts, per network namespace and in the kernel: retransmitted
 * segments, SYN retransmits, resets sent and received, active connects by result with
 * their latency, passive opens, and connection lifetimes with bytes moved.
 *
 * Each hook comes in up to three flavours: tp_btf (typed, direct reads), raw_tp and
 * the classic tracepoint (both read through bpf_probe_read_kernel). The loader keeps
 * the cheapest one that works on the running kernel and disables the others.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "osiscope.bpf.h"
#include "tcp.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TCPHDR_SYN 0x02
#define EAGAIN 11
#define ENOMEM 12
#define EBUSY 16
#define EINVAL 22
#define ENETUNREACH 101
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define EHOSTUNREACH 113

/* The task that connected: events name it. */
struct sk_task {
	__u32 pid;
	char comm[COMM_LEN];
};

/* What we remember about a socket from its first state to CLOSE: when that was (ns),
 * bit 0 set when it connect()ed (its SYN, acked by the SYN-ACK, is in bytes_acked). */
#define SK_ACTIVE 1ULL

/*
 * Where a socket's start is kept, by socket address: first a direct-mapped array (an
 * inlined lookup, claimed with one compare-and-swap, released with a store), and only
 * when the socket's slot is taken by another one, or the kernel has no compare-and-swap
 * (before v5.12), a preallocated LRU hash. Measured on 6.18 under loopback connection
 * churn, the LRU hash's update and delete were most of what the program cost; the LRU
 * costs about half of socket-local storage (whose create and delete allocate and free
 * per socket). The LRU's bound is the price: beyond that many connections in flight at
 * once beside the array's, the oldest lose their latency and lifetime observation (their
 * counts are unaffected). A slot is 16 bytes, four to a cache line; the task that
 * connected is kept apart (sk_tasks, same index), and only when events are on.
 */
#define SK_SLOTS 16384 /* 1 << 14 */
struct sk_slot {
	__u64 sk; /* the socket's address; 0: free */
	__u64 start;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SK_SLOTS);
	__type(key, __u32);
	__type(value, struct sk_slot);
} sk_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SK_SLOTS); /* 1 without events: never read */
	__type(key, __u32);
	__type(value, struct sk_task);
} sk_tasks SEC(".maps");

struct sk_start {
	__u64 start;
	struct sk_task task;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sk_start);
} sk_start SEC(".maps");

static __always_inline __u32 sk_slot_index(__u64 key)
{
	/* A 32-bit copy of the address is a number to the verifier (a privileged
	 * program's), where the address itself, a typed pointer under tp_btf, allows no
	 * arithmetic: one 32-bit move, written out since the object is not built for
	 * 32-bit subregisters. Sockets are slab objects at least 64 bytes apart: drop
	 * those bits, then mix. */
	__u64 lo;

	asm volatile("r1 = %[k]; w1 = w1; %[lo] = r1" : [lo] "=r"(lo) : [k] "r"(key) : "r1");
	return (((__u32)lo >> 6) * 0x9E3779B1U) >> (32 - 14);
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096); /* network namespaces; the loader may resize */
	__type(key, __u32);
	__type(value, struct tcp_netns_stats);
} tcp_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} tcp_events SEC(".maps");

/*
 * The first namespaces to show up get a slot of their own: a per-CPU array indexed by a
 * hash of the namespace's key, held by the namespace named in tcp_slot_owner. Both
 * lookups are inlined, where a hash lookup cost some 30 ns per state change (measured
 * on 6.18 under loopback churn). A namespace whose slot another one holds counts in
 * tcp_stats, as every namespace did before; userspace adds both (and frees a gone
 * namespace's slot).
 *
 * The key is struct net's cookie, on a cache line the kernel leaves alone, and not the
 * namespace's inode: the inode sits beside the namespace's reference count, which every
 * socket's creation and release writes, so under connection churn reading it missed the
 * cache on most events (some 40 ns of the 80 this program cost beyond an empty one,
 * measured on 6.18). Kernels before v5.12 set no cookie when the namespace is made: there
 * the key is the inode (netns_by_cookie false), and a namespace that takes a dead one's
 * inode counts on in its slot, as it does in tcp_stats on every kernel: the dead one
 * counts no more, and the agent, which tells the two apart (user/netns_id.c), keeps the
 * slot's readings as the baselines of the new one's series (registry_netns_renew).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCP_NS_SLOTS);
	__type(key, __u32);
	__type(value, struct tcp_ns_owner);
} tcp_slot_owner SEC(".maps");

/* A slot is claimed by creating its index here (BPF_NOEXIST: one CPU wins), not by
 * compare-and-exchange, which kernels before v5.12 refuse in any program they load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCP_NS_SLOTS);
	__type(key, __u32);
	__type(value, __u8);
} tcp_slot_claims SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCP_NS_SLOTS);
	__type(key, __u32);
	__type(value, struct tcp_netns_stats);
} tcp_slot_stats SEC(".maps");

/* Slots claimed so far: userspace reads its table of owners again when this moved. */
__u64 tcp_slot_claimed;

static const struct tcp_netns_stats zero_stats;

const volatile bool netns_by_cookie = false;

static __always_inline __u64 netns_key(const struct net *net, const bool btf)
{
	if (netns_by_cookie)
		return READ(btf, net, net_cookie);
	return READ(btf, net, ns.inum);
}

static __always_inline __u32 net_inum(const struct net *net, const bool btf)
{
	return READ(btf, net, ns.inum);
}

/* A namespace whose slot is not its own: claim the slot if it is free, else its hash
 * entry. */
static __always_inline struct tcp_netns_stats *
stats_claim(const struct net *net, __u64 key, __u32 i, struct tcp_ns_owner *o, const bool btf)
{
	__u32 netns = net_inum(net, btf);
	__u8 one = 1;

	if (!netns)
		return NULL;
	if (o->key == 0 && bpf_map_update_elem(&tcp_slot_claims, &i, &one, BPF_NOEXIST) == 0) {
		o->netns = netns;
		asm volatile("" ::: "memory"); /* the inode is there before the key */
		o->key = key;
		__sync_fetch_and_add(&tcp_slot_claimed, 1);
		return bpf_map_lookup_elem(&tcp_slot_stats, &i);
	}
	return map_lookup_or_init(&tcp_stats, &netns, &zero_stats);
}

/* The counters of the namespace net. */
static __always_inline struct tcp_netns_stats *stats_for(const struct net *net, const bool btf)
{
	__u64 key;
	__u32 i;
	struct tcp_ns_owner *o;

	if (!net)
		return NULL;
	key = netns_key(net, btf);
	i = tcp_ns_slot(key);
	o = bpf_map_lookup_elem(&tcp_slot_owner, &i);
	if (!o || !key)
		return NULL;
	if (o->key == key)
		return bpf_map_lookup_elem(&tcp_slot_stats, &i);
	return stats_claim(net, key, i, o, btf);
}

static __always_inline const struct net *sk_net(const struct sock *sk, const bool btf)
{
	return READ(btf, sk, __sk_common.skc_net.net);
}

static __always_inline const struct net *dev_net_of(const struct net_device *dev, const bool btf)
{
	return READ(btf, dev, nd_net.net);
}

static __always_inline const struct tcp_sock *tcp_sk_of(const struct sock *sk, const bool btf)
{
	if (btf)
		return bpf_skc_to_tcp_sock((void *)sk);
	return (const struct tcp_sock *)sk;
}

static __always_inline const struct net *skb_net(const struct sk_buff *skb, const bool btf)
{
	const struct net_device *dev = READ(btf, skb, dev);

	return dev ? dev_net_of(dev, btf) : NULL;
}

/* The cgroup of a full socket: under tp_btf with plain loads. */
static __always_inline __u64 sk_cgroup_of(const struct sock *sk, const bool btf)
{
	const struct cgroup *cgrp;

	if (btf && bpf_core_field_exists(struct sock_cgroup_data, cgroup)) {
		cgrp = sk->sk_cgrp_data.cgroup;
		return cgrp && cgrp->kn ? cgrp->kn->id : 0;
	}
	return sk_cgroup_id(sk);
}

/*
 * The socket's addresses and ports. Under tp_btf these are plain loads: a reset per
 * refused connect sends up to three events, and some ten probe reads each cost a reset
 * program more than the rest of its event (measured on 6.18, 150 ns of 245 per reset).
 */
static __always_inline void event_tuple_from_sk(struct tcp_event *e, const struct sock *sk,
						const bool btf)
{
	e->family = READ(btf, sk, __sk_common.skc_family);
	e->state = READ(btf, sk, __sk_common.skc_state);
	e->dport = bpf_ntohs(READ(btf, sk, __sk_common.skc_dport));
	if (e->state == TCP_TIME_WAIT || e->state == TCP_NEW_SYN_RECV) {
		/* a time-wait or request socket is only a sock_common: nothing beyond it */
		e->sport = READ(btf, sk, __sk_common.skc_num);
	} else {
		/* at CLOSE the port is already released (skc_num = 0); inet_sport stays */
		if (btf) {
			const struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);

			if (tp)
				e->sport = bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport);
		} else {
			e->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
		}
		if (!e->sport)
			e->sport = READ(btf, sk, __sk_common.skc_num);
		e->hdr.cgroup_id = sk_cgroup_of(sk, btf);
	}
	if (btf) {
		if (e->family == AF_INET6) {
			__builtin_memcpy(e->saddr, &sk->__sk_common.skc_v6_rcv_saddr, 16);
			__builtin_memcpy(e->daddr, &sk->__sk_common.skc_v6_daddr, 16);
		} else {
			*(__u32 *)e->saddr = sk->__sk_common.skc_rcv_saddr;
			*(__u32 *)e->daddr = sk->__sk_common.skc_daddr;
		}
	} else if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk, __sk_common.skc_daddr);
	}
}

/* A reset answering a packet that found no socket: the reset goes back to its source.
 * The headers are packet memory, two probe reads (the skb's own fields are plain loads
 * under tp_btf). */
static __always_inline void event_tuple_from_skb(struct tcp_event *e, const struct sk_buff *skb,
						 const bool btf)
{
	unsigned char *head = READ(btf, skb, head);
	__u16 nh = READ(btf, skb, network_header);
	__u16 th_off = READ(btf, skb, transport_header);
	__u8 h[sizeof(struct ipv6hdr)];
	__be16 ports[2];

	if (bpf_probe_read_kernel(h, sizeof(h), head + nh))
		return;
	if (h[0] >> 4 == 4) {
		const struct iphdr *ip = (const void *)h;

		e->family = AF_INET;
		__builtin_memcpy(e->saddr, &ip->daddr, 4);
		__builtin_memcpy(e->daddr, &ip->saddr, 4);
	} else if (h[0] >> 4 == 6) {
		const struct ipv6hdr *ip6 = (const void *)h;

		e->family = AF_INET6;
		__builtin_memcpy(e->saddr, &ip6->daddr, 16);
		__builtin_memcpy(e->daddr, &ip6->saddr, 16);
	} else {
		return;
	}
	if (bpf_probe_read_kernel(ports, sizeof(ports), head + th_off) == 0) {
		e->sport = bpf_ntohs(ports[1]);
		e->dport = bpf_ntohs(ports[0]);
	}
}

/* An event, when events are on: only then is the namespace's inode read. */
static __always_inline struct tcp_event *event_new(__u8 type, const struct net *net, const bool btf)
{
	if (!events_enabled)
		return NULL;
	return event_new_hdr(&tcp_events, sizeof(struct tcp_event), type, net_inum(net, btf));
}

static __always_inline void connect_failed(struct sock *sk, const struct net *net,
					   const struct sk_task *task, struct tcp_netns_stats *s,
					   const bool btf)
{
	int err = READ(btf, sk, sk_err);
	__u32 result;
	__u8 type;

	switch (err) {
	case ECONNREFUSED:
		result = TCP_CONNECT_REFUSED;
		type = TCP_EV_CONNECT_REFUSED;
		break;
	case ETIMEDOUT:
		result = TCP_CONNECT_TIMEOUT;
		type = TCP_EV_CONNECT_TIMEOUT;
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
		result = TCP_CONNECT_UNREACHABLE;
		type = TCP_EV_CONNECT_UNREACHABLE;
		break;
	default: /* e.g. closed by the application before the handshake finished */
		result = TCP_CONNECT_OTHER;
		type = 0;
	}
	if (result < TCP_CONNECT_RESULTS)
		s->connects[result]++;
	if (type) {
		struct tcp_event *e = event_new(type, net, btf);

		if (e) {
			event_tuple_from_sk(e, sk, btf);
			e->detail = err;
			if (task) {
				e->hdr.pid = task->pid;
				__builtin_memcpy(e->hdr.comm, task->comm, sizeof(e->hdr.comm));
			}
			event_submit(&tcp_events, e);
		}
	}
}

/* Our FIN went out in FIN_WAIT1/CLOSING/LAST_ACK; it was acked when nothing is
 * outstanding any more. */
static __always_inline bool fin_acked(const struct tcp_sock *tp, int old, const bool btf)
{
	if (old != TCP_FIN_WAIT2 && old != TCP_CLOSING && old != TCP_LAST_ACK)
		return false;
	return READ(btf, tp, snd_una) == READ(btf, tp, write_seq);
}

/* An established connection closed: its lifetime, and the bytes it moved. */
static __always_inline void closed(struct sock *sk, int old, __u64 start,
				   struct tcp_netns_stats *s, const bool btf)
{
	const struct tcp_sock *tp = tcp_sk_of(sk, btf);
	__u64 acked, received, delta;

	if (!tp)
		return;
	acked = READ(btf, tp, bytes_acked);
	received = READ(btf, tp, bytes_received);
	delta = bpf_ktime_get_ns() - (start & ~SK_ACTIVE);
	s->closes++;
	s->lifetime_sum_ns += delta;
	s->lifetime_hist[hist_slot(delta / 1000000)]++;
	/* SYN and FIN take a sequence number each, and are not data: our SYN is in
	 * bytes_acked on the active side, a FIN once acked (ours) or received (the peer's,
	 * which sets SOCK_DONE) */
	if (acked && (start & SK_ACTIVE))
		acked--;
	if (acked && fin_acked(tp, old, btf))
		acked--;
	if (received && (READ(btf, sk, __sk_common.skc_flags) &
			 (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE))))
		received--;
	s->bytes_sent += acked;
	s->bytes_received += received;
}

/*
 * The transitions that carry a socket's own observations: its start (SYN_SENT, SYN_RECV),
 * a connect's latency (SYN_SENT -> ESTABLISHED) and its end (CLOSE). cas: the socket's
 * start goes in the direct-mapped array (compare-and-swap, v5.12+), else in the LRU hash.
 */
static __always_inline void sk_track(struct sock *sk, const struct net *net, int old, int new,
				     struct tcp_netns_stats *s, const bool btf, const bool cas)
{
	__u64 key = (__u64)(unsigned long)sk;
	struct sk_slot *slot = NULL;
	const struct sk_task *task = NULL;
	struct sk_start *lru = NULL;
	__u64 start = 0;
	__u32 i = 0;

	if (cas) {
		i = sk_slot_index(key);
		slot = bpf_map_lookup_elem(&sk_slots, &i);
	}
	if (new == TCP_SYN_SENT || new == TCP_SYN_RECV) {
		struct sk_start init = {};

		init.start = bpf_ktime_get_ns() & ~SK_ACTIVE;
		if (new == TCP_SYN_SENT) {
			/* connect() and TCP Fast Open sendmsg(): a task context */
			init.start |= SK_ACTIVE;
			if (events_enabled) { /* only events name the task */
				init.task.pid = bpf_get_current_pid_tgid() >> 32;
				bpf_get_current_comm(init.task.comm, sizeof(init.task.comm));
			}
			s->active_opens++;
		} else {
			s->passive_opens++;
		}
		if (cas && slot) {
			__u64 was = __sync_val_compare_and_swap(&slot->sk, 0, key);

			if (was == 0 || was == key) {
				slot->start = init.start;
				if (events_enabled) {
					struct sk_task *t = bpf_map_lookup_elem(&sk_tasks, &i);

					if (t)
						*t = init.task;
				}
				return;
			}
		}
		/* one update, whatever a freed socket at this address left behind */
		bpf_map_update_elem(&sk_start, &key, &init, BPF_ANY);
		return;
	}

	if (cas && slot && slot->sk == key) {
		start = slot->start;
		if (events_enabled)
			task = bpf_map_lookup_elem(&sk_tasks, &i);
	} else {
		slot = NULL;
		lru = bpf_map_lookup_elem(&sk_start, &key);
		if (lru) {
			start = lru->start;
			task = &lru->task;
		}
	}
	if (new == TCP_ESTABLISHED) { /* from SYN_SENT: a connect() that worked */
		s->connects[TCP_CONNECT_OK]++;
		if (start) {
			__u64 delta = bpf_ktime_get_ns() - (start & ~SK_ACTIVE);

			s->connect_sum_ns += delta;
			s->connect_hist[hist_slot(delta / 1000)]++;
		}
		return;
	}

	/* CLOSE */
	if (old == TCP_SYN_SENT)
		connect_failed(sk, net, task, s, btf);
	else if (start && old != TCP_SYN_RECV) /* it was established */
		closed(sk, old, start, s, btf);
	if (slot) /* everything read: the slot is free for the next socket */
		slot->sk = 0;
	else if (lru)
		bpf_map_delete_elem(&sk_start, &key);
}

static __always_inline void handle_state(struct sock *sk, int old, int new, const bool btf,
					 const bool cas)
{
	struct tcp_netns_stats *s;
	const struct net *net;

	if (sk_protocol(sk, btf) != IPPROTO_TCP) /* MPTCP's parent socket shares the tracepoint */
		return;
	net = sk_net(sk, btf);
	s = stats_for(net, btf);
	if (!s)
		return;
	s->state_changes++;
	/* a passive child starts as its listener's copy: it was never counted as LISTEN */
	if (!(old == TCP_LISTEN && new == TCP_SYN_RECV))
		s->states[old & 15]--;
	s->states[new & 15]++;
	/* Most transitions (FIN_WAIT*, CLOSE_WAIT, LAST_ACK, a passive open completing)
	 * carry nothing else we count. */
	switch (new) {
	case TCP_SYN_SENT:
		break;
	case TCP_SYN_RECV:
		if (old == TCP_SYN_SENT) /* simultaneous open: still the active side's */
			return;
		break;
	case TCP_ESTABLISHED:
		if (old != TCP_SYN_SENT)
			return;
		break;
	case TCP_CLOSE:
		if (old == TCP_LISTEN || old == TCP_CLOSE)
			return;
		break;
	default:
		return;
	}
	sk_track(sk, net, old, new, s, btf, cas);
}

/*
 * Since v6.17 the tracepoint also fires for failed retransmits. The MIB counter
 * TcpRetransSegs is bumped after the early exits (-EBUSY still in host queue, -ENOMEM,
 * -EAGAIN outside the window, -EHOSTUNREACH from rebuild_header, -EINVAL from the
 * WARN_ON_ONCE of a bad skb) and before the transmit, whose own errors (-ENOBUFS,
 * -EPERM from netfilter, ...) still count.
 */
static __always_inline bool retrans_counted(int err)
{
	return err != -EBUSY && err != -ENOMEM && err != -EAGAIN && err != -EHOSTUNREACH &&
	       err != -EINVAL;
}

static __always_inline void handle_retransmit(const struct sock *sk, const struct sk_buff *skb,
					      int err, const bool btf)
{
	struct tcp_skb_cb *tcb;
	struct tcp_netns_stats *s;
	const struct net *net;
	struct tcp_event *e;
	__u16 segs;
	__u8 flags;

	if (!sk || !skb || !retrans_counted(err))
		return;
	tcb = (struct tcp_skb_cb *)__builtin_preserve_access_index(&skb->cb);
	segs = BPF_CORE_READ(tcb, tcp_gso_segs);
	flags = BPF_CORE_READ(tcb, tcp_flags);
	if (!segs)
		segs = 1;
	net = sk_net(sk, btf);
	s = stats_for(net, btf);
	if (!s)
		return;
	s->retrans_segs += segs;
	if (flags & TCPHDR_SYN)
		s->syn_retrans++;
	e = event_new(TCP_EV_RETRANSMIT, net, btf);
	if (e) {
		event_tuple_from_sk(e, sk, btf);
		e->detail = segs;
		event_submit(&tcp_events, e);
	}
}

static __always_inline void handle_synack(const struct sock *sk, const bool btf)
{
	struct tcp_netns_stats *s;

	if (!sk)
		return;
	s = stats_for(sk_net(sk, btf), btf);
	if (s)
		s->synack_retrans++;
}

static __always_inline void handle_send_reset(const struct sock *sk, const struct sk_buff *skb,
					      __u32 reason, const bool btf)
{
	struct tcp_netns_stats *s;
	const struct net *net;
	struct tcp_event *e;
	bool from_skb = false;

	/*
	 * A reset answering a packet that found no socket has sk NULL (v6.10+). Before
	 * 838a10bd2ebf ("bpf: Augment raw_tp arguments with PTR_MAYBE_NULL") the verifier
	 * took tp_btf arguments as never NULL and dropped a NULL check on them, the load
	 * through NULL reading 0: a namespace of NULL falls back to the skb either way.
	 */
	net = sk ? sk_net(sk, btf) : NULL;
	if (!net && skb) {
		net = skb_net(skb, btf);
		from_skb = true;
	}
	s = stats_for(net, btf);
	if (!s)
		return;
	s->rst_sent++;
	e = event_new(TCP_EV_RESET_SENT, net, btf);
	if (!e)
		return;
	if (from_skb)
		event_tuple_from_skb(e, skb, btf);
	else if (sk) /* not NULL, as net was not: said again for the verifier */
		event_tuple_from_sk(e, sk, btf);
	e->detail = reason;
	event_submit(&tcp_events, e);
}

static __always_inline void handle_receive_reset(const struct sock *sk, const bool btf)
{
	struct tcp_netns_stats *s;
	const struct net *net;
	struct tcp_event *e;

	if (!sk)
		return;
	net = sk_net(sk, btf);
	s = stats_for(net, btf);
	if (!s)
		return;
	s->rst_received++;
	e = event_new(TCP_EV_RESET_RECEIVED, net, btf);
	if (e) {
		event_tuple_from_sk(e, sk, btf);
		event_submit(&tcp_events, e);
	}
}

/* --- inet_sock_set_state --- */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state_btf, const struct sock *sk, const int old, const int new)
{
	handle_state((struct sock *)sk, old, new, true, true);
	return 0;
}

/* The same without compare-and-swap, which kernels before v5.12 refuse even in code
 * that cannot run: the loader keeps one of the two. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state_btf_lru, const struct sock *sk, const int old, const int new)
{
	handle_state((struct sock *)sk, old, new, true, false);
	return 0;
}

/* The fallback flavours keep sockets in the LRU hash only. */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(tcp_state_raw, const struct sock *sk, const int old, const int new)
{
	handle_state((struct sock *)sk, old, new, false, false);
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int tcp_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	handle_state((struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate, false, false);
	return 0;
}

/* --- tcp_retransmit_skb: (sk, skb) before v6.17, (sk, skb, err) since --- */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_btf, const struct sock *sk, const struct sk_buff *skb, int err)
{
	handle_retransmit(sk, skb, err, true);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_btf2, const struct sock *sk, const struct sk_buff *skb)
{
	handle_retransmit(sk, skb, 0, true);
	return 0;
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_raw, const struct sock *sk, const struct sk_buff *skb, int err)
{
	handle_retransmit(sk, skb, err, false);
	return 0;
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_raw2, const struct sock *sk, const struct sk_buff *skb)
{
	handle_retransmit(sk, skb, 0, false);
	return 0;
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int tcp_retransmit_tp(void *ctx)
{
	const struct sk_buff *skb;
	const struct sock *sk;
	int err = 0;

	TCP_SK_SKB_RECORD(ctx, trace_event_raw_tcp_retransmit_skb, &sk, &skb);
	if (bpf_core_type_exists(struct trace_event_raw_tcp_retransmit_skb) &&
	    bpf_core_field_exists(struct trace_event_raw_tcp_retransmit_skb, err))
		err = BPF_CORE_READ((struct trace_event_raw_tcp_retransmit_skb *)ctx, err);
	handle_retransmit(sk, skb, err, false);
	return 0;
}

/* --- tcp_retransmit_synack --- */
SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(tcp_synack_btf, const struct sock *sk, const struct request_sock *req)
{
	handle_synack(sk, true);
	return 0;
}

SEC("raw_tp/tcp_retransmit_synack")
int BPF_PROG(tcp_synack_raw, const struct sock *sk, const struct request_sock *req)
{
	handle_synack(sk, false);
	return 0;
}

SEC("tracepoint/tcp/tcp_retransmit_synack")
int tcp_synack_tp(struct trace_event_raw_tcp_retransmit_synack *ctx)
{
	handle_synack(ctx->skaddr, false);
	return 0;
}

/* --- tcp_send_reset: (sk, skb) before v6.10, (sk, skb, reason) since --- */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tcp_send_reset_btf, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	handle_send_reset(sk, skb, reason, true);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tcp_send_reset_btf2, const struct sock *sk, const struct sk_buff *skb)
{
	handle_send_reset(sk, skb, 0, true);
	return 0;
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(tcp_send_reset_raw, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	handle_send_reset(sk, skb, reason, false);
	return 0;
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(tcp_send_reset_raw2, const struct sock *sk, const struct sk_buff *skb)
{
	handle_send_reset(sk, skb, 0, false);
	return 0;
}

SEC("tracepoint/tcp/tcp_send_reset")
int tcp_send_reset_tp(void *ctx)
{
	const struct sk_buff *skb;
	const struct sock *sk;
	__u32 reason = 0;

	TCP_SK_SKB_RECORD(ctx, trace_event_raw_tcp_send_reset, &sk, &skb);
	if (bpf_core_type_exists(struct trace_event_raw_tcp_send_reset) &&
	    bpf_core_field_exists(struct trace_event_raw_tcp_send_reset, reason))
		reason = BPF_CORE_READ((struct trace_event_raw_tcp_send_reset *)ctx, reason);
	handle_send_reset(sk, skb, reason, false);
	return 0;
}

/* --- tcp_receive_reset --- */
SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tcp_receive_reset_btf, const struct sock *sk)
{
	handle_receive_reset(sk, true);
	return 0;
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(tcp_receive_reset_raw, const struct sock *sk)
{
	handle_receive_reset(sk, false);
	return 0;
}

SEC("tracepoint/tcp/tcp_receive_reset")
int tcp_receive_reset_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	handle_receive_reset(ctx->skaddr, false);
	return 0;
}

/*
 * --- resets the tracepoint misses, before v6.10 ---
 * There tcp_v{4,6}_send_reset() calls tcp_send_reset only for a full socket: a reset
 * answering a packet that found no socket (a closed port), a time-wait or a request
 * socket goes out untraced. The loader attaches these (fentry, else kprobe) only on
 * such kernels; they count exactly those calls, mirroring the functions' early returns
 * before the reset is sent (never a reset for a reset; with no socket, only for a
 * packet routed to this host).
 */
#define TCPHDR_RST 0x04
#define RTF_LOCAL 0x80000000

static __always_inline bool rst_answers_rst(const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 th_off = BPF_CORE_READ(skb, transport_header);
	__u8 flags = 0;

	bpf_probe_read_kernel(&flags, 1, head + th_off + 13);
	return flags & TCPHDR_RST;
}

static __always_inline void handle_untraced_reset(const struct sock *sk,
						  const struct sk_buff *skb, bool v6)
{
	unsigned long dst;
	__u8 state;

	if (!skb || rst_answers_rst(skb))
		return;
	if (sk) {
		state = BPF_CORE_READ(sk, __sk_common.skc_state);
		if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
			handle_send_reset(sk, skb, 0, false);
		return; /* a full socket's reset: the tracepoint has it */
	}
	dst = BPF_CORE_READ(skb, _skb_refdst) & ~1UL; /* SKB_DST_NOREF */
	if (!dst)
		return;
	if (v6) {
		if (!(BPF_CORE_READ((struct rt6_info *)dst, rt6i_flags) & RTF_LOCAL))
			return;
	} else if (BPF_CORE_READ((struct rtable *)dst, rt_type) != RTN_LOCAL) {
		return;
	}
	handle_send_reset(NULL, skb, 0, false);
}

SEC("fentry/tcp_v4_send_reset")
int BPF_PROG(tcp_v4_rst_fentry, const struct sock *sk, struct sk_buff *skb)
{
	handle_untraced_reset(sk, skb, false);
	return 0;
}

SEC("fentry/tcp_v6_send_reset")
int BPF_PROG(tcp_v6_rst_fentry, const struct sock *sk, struct sk_buff *skb)
{
	handle_untraced_reset(sk, skb, true);
	return 0;
}

SEC("kprobe/tcp_v4_send_reset")
int BPF_KPROBE(tcp_v4_rst_kprobe, const struct sock *sk, struct sk_buff *skb)
{
	handle_untraced_reset(sk, skb, false);
	return 0;
}

SEC("kprobe/tcp_v6_send_reset")
int BPF_KPROBE(tcp_v6_rst_kprobe, const struct sock *sk, struct sk_buff *skb)
{
	handle_untraced_reset(sk, skb, true);
	return 0;
}
