// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Route layer (L3). Counts, per network namespace and in the kernel: route lookups that
 * ended on a reject route (unreachable, prohibit, blackhole), socket sends that failed
 * with ENETUNREACH or EHOSTUNREACH, and the ICMPv4 errors the kernel sends by type and
 * code, with an event for each time exceeded and fragmentation needed it sends.
 *
 * Lookups that found no route at all are not counted here: the kernel counts them in
 * the namespace's MIB (IpOutNoRoutes, IpInNoRoutes and the IPv6 pair) after walking its
 * policy rules, which a tracepoint that fires once per table cannot replay exactly.
 * userspace reads those at scrape, with the per-type ICMP MIB counters.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "osiscope.bpf.h"
#include "route.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EAGAIN 11
#define EINVAL 22
#define EACCES 13
#define ENETUNREACH 101
#define EHOSTUNREACH 113
#define LOOPBACK_IFINDEX 1
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMP_FRAG_NEEDED 4

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096); /* network namespaces */
	__type(key, __u32);
	__type(value, struct route_netns_stats);
} route_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} route_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 8192); /* (namespace, family, type, code) */
	__type(key, struct icmp_code_key);
	__type(value, __u64);
} icmp_rcvd SEC(".maps");

static const struct route_netns_stats zero_stats;

static __always_inline struct route_netns_stats *stats_for(__u32 netns)
{
	return map_lookup_or_init(&route_stats, &netns, &zero_stats);
}

static __always_inline struct route_event *event_new(__u8 type, __u32 netns, __u16 family)
{
	struct route_event *e = event_new_hdr(&route_events, sizeof(*e), type, netns);

	if (!e)
		return NULL;
	e->family = family;
	return e;
}

/* fib_props[] in net/ipv4/fib_semantics.c; ip6_rt_type_to_error() for IPv6 */
static __always_inline int kind_of_err(int err)
{
	switch (err) {
	case -EHOSTUNREACH:
		return ROUTE_UNREACHABLE;
	case -EACCES:
		return ROUTE_PROHIBIT;
	case -EINVAL:
		return ROUTE_BLACKHOLE;
	default:
		return -1;
	}
}

static __always_inline void count_lookup(__u32 netns, int fam, int kind)
{
	struct route_netns_stats *s = stats_for(netns);

	if (s && fam >= 0 && fam < ROUTE_FAMILIES && kind >= 0 && kind < ROUTE_KINDS)
		s->lookup_failures[fam][kind]++;
}

/*
 * Whether the tracepoint fired for a task (a system call), not in softirq or hardirq.
 * The preempt count says it, but reading it takes a per-CPU kernel symbol that kernels
 * without CONFIG_KALLSYMS_ALL (this one) do not resolve. The stack says it as well:
 * softirqs and interrupts run on the CPU's own stacks (x86-64 and arm64:
 * SOFTIRQ_ON_OWN_STACK), or in ksoftirqd, a kernel thread. Our own frame may be on a
 * private BPF stack (v6.13+), but the tracepoint's argument array, ctx, is on the
 * stack the kernel runs on. PREEMPT_RT kernels serve softirqs on the task's stack and
 * mark it in softirq_disable_cnt, a field only they have.
 */
#define PF_KTHREAD 0x00200000
#define TASK_STACK_SIZE (16 * 1024) /* THREAD_SIZE on x86-64 and arm64 without KASAN */
#define PC_SOFTIRQ_OFFSET 0x100

struct task_struct___rt {
	int softirq_disable_cnt;
} __attribute__((preserve_access_index));

static __always_inline bool in_task(void *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	unsigned long stack, sp = 0;

	if (BPF_CORE_READ(t, flags) & PF_KTHREAD)
		return false;
	if (bpf_core_field_exists(struct task_struct___rt, softirq_disable_cnt) &&
	    (BPF_CORE_READ((struct task_struct___rt *)t, softirq_disable_cnt) & PC_SOFTIRQ_OFFSET))
		return false;
	stack = (unsigned long)BPF_CORE_READ(t, stack);
	/* ctx's address as a number: copy the pointer's bytes */
	bpf_probe_read_kernel(&sp, sizeof(sp), &ctx);
	return sp - stack < TASK_STACK_SIZE;
}

/* --- IPv4: fib:fib_table_lookup(tb_id, flp, nhc, err), once per table consulted --- */

/*
 * The tracepoint does not say which namespace looked up. In task context (connect,
 * sendmsg, ip route get) it is the task's; in softirq (forwarded and received packets,
 * replies, timers) the interrupted task says nothing, so those are not counted here
 * (README: they show as ICMP unreachables sent and as drops).
 */
static __always_inline void fib4_failed(__u32 tb_id, int kind, int oif, __be32 saddr,
					__be32 daddr)
{
	struct task_struct *t;
	struct net *net;
	struct route_event *e;
	__u32 netns;

	t = (struct task_struct *)bpf_get_current_task();
	net = BPF_CORE_READ(t, nsproxy, net_ns);
	if (!net)
		return;
	/* Without policy rules fib_lookup() asks main, and when main fails also the
	 * default table if it exists, whose answer then stands (include/net/ip_fib.h).
	 * A reject route ends a walk of policy rules (fib_rules_lookup()). */
	if (tb_id == RT_TABLE_MAIN && bpf_core_field_exists(net->ipv4.fib_default) &&
	    !BPF_CORE_READ(net, ipv4.fib_has_custom_rules) && BPF_CORE_READ(net, ipv4.fib_default))
		return;
	netns = BPF_CORE_READ(net, ns.inum);
	count_lookup(netns, ROUTE_IPV4, kind);
	e = event_new(ROUTE_EV_LOOKUP_FAILED, netns, AF_INET);
	if (!e)
		return;
	e->kind = kind;
	e->table = tb_id;
	e->ifindex = oif;
	__builtin_memcpy(e->saddr, &saddr, 4);
	__builtin_memcpy(e->daddr, &daddr, 4);
	event_submit(&route_events, e);
}

static __always_inline void handle_fib4(void *ctx, __u32 tb_id, const struct flowi4 *flp, int err,
					const bool btf)
{
	int kind;

	/* the success path and a miss in one table (the walk may go on): nothing */
	if (err == 0 || err == -EAGAIN || !flp)
		return;
	kind = kind_of_err(err);
	if (kind < 0)
		return;
	/* Output lookups carry iif LOOPBACK_IFINDEX (ip_route_output_key_hash()); an input
	 * lookup (a forwarded or received packet) may run on a task's stack too (busy
	 * poll, a tun write, a vhost worker) without being that task's namespace's. */
	if (READ(btf, flp, __fl_common.flowic_iif) != LOOPBACK_IFINDEX || !in_task(ctx))
		return;
	fib4_failed(tb_id, kind, READ(btf, flp, __fl_common.flowic_oif), READ(btf, flp, saddr),
		    READ(btf, flp, daddr));
}

SEC("tp_btf/fib_table_lookup")
int BPF_PROG(route_fib_btf, u32 tb_id, const struct flowi4 *flp, const struct fib_nh_common *nhc,
	     int err)
{
	handle_fib4(ctx, tb_id, flp, err, true);
	return 0;
}

SEC("raw_tp/fib_table_lookup")
int BPF_PROG(route_fib_raw, u32 tb_id, const struct flowi4 *flp, const struct fib_nh_common *nhc,
	     int err)
{
	handle_fib4(ctx, tb_id, flp, err, false);
	return 0;
}

/* No classic tracepoint flavour: a tracepoint program sees neither the stack the
 * lookup runs on nor a trustworthy context in the record, so it cannot tell a task's
 * lookup from a softirq's. raw_tp (v4.17) is there wherever ring buffers (v5.8) are. */

/* --- IPv6: fib6:fib6_table_lookup(net, res, table, flp), once per table consulted --- */

static __always_inline bool in6_any(const struct in6_addr *a)
{
	__u64 w[2];

	bpf_probe_read_kernel(w, sizeof(w), a);
	return (w[0] | w[1]) == 0;
}

static __always_inline void handle_fib6(const struct net *net, const struct fib6_result *res,
					const struct fib6_table *table, const struct flowi6 *flp,
					const bool btf)
{
	struct route_event *e;
	__u8 type;
	int kind, iif, oif;
	__u32 netns;

	if (!res || !net)
		return;
	type = READ(btf, res, fib6_type);
	/* the success path: unicast, local, anycast, multicast */
	if (type < RTN_BLACKHOLE || type > RTN_PROHIBIT)
		return;
	/* no route at all: ip6_null_entry, counted by the kernel as Ip6OutNoRoutes */
	if (READ(btf, res, f6i) == READ(btf, net, ipv6.fib6_null_entry))
		return;
	kind = type == RTN_UNREACHABLE ? ROUTE_UNREACHABLE
	       : type == RTN_PROHIBIT  ? ROUTE_PROHIBIT
				       : ROUTE_BLACKHOLE;
	if (!flp)
		return;
	iif = BPF_CORE_READ(flp, __fl_common.flowic_iif);
	oif = BPF_CORE_READ(flp, __fl_common.flowic_oif);
	/* ip6_dst_lookup_tail() looks up once without a source address, picks one and
	 * looks up again: the first failure is not the final one */
	if (iif == LOOPBACK_IFINDEX && in6_any(&flp->saddr))
		return;
	netns = BPF_CORE_READ(net, ns.inum);
	count_lookup(netns, ROUTE_IPV6, kind);
	e = event_new(ROUTE_EV_LOOKUP_FAILED, netns, AF_INET6);
	if (!e)
		return;
	e->kind = kind;
	e->table = table ? BPF_CORE_READ(table, tb6_id) : 0;
	e->ifindex = oif;
	BPF_CORE_READ_INTO(&e->saddr, flp, saddr.in6_u.u6_addr8);
	BPF_CORE_READ_INTO(&e->daddr, flp, daddr.in6_u.u6_addr8);
	event_submit(&route_events, e);
}

SEC("tp_btf/fib6_table_lookup")
int BPF_PROG(route_fib6_btf, const struct net *net, const struct fib6_result *res,
	     struct fib6_table *table, const struct flowi6 *flp)
{
	handle_fib6(net, res, table, flp, true);
	return 0;
}

SEC("raw_tp/fib6_table_lookup")
int BPF_PROG(route_fib6_raw, const struct net *net, const struct fib6_result *res,
	     struct fib6_table *table, const struct flowi6 *flp)
{
	handle_fib6(net, res, table, flp, false);
	return 0;
}

/* --- ICMPv4 errors sent: icmp:icmp_send(skb, type, code) (v6.10+), right before
 * icmp_push_reply(), after the kernel's own rate limits --- */

static __always_inline __u32 icmp_row(int type)
{
	switch (type) {
	case ICMP_DEST_UNREACH:
		return ICMP_ROW_DEST_UNREACH;
	case ICMP_TIME_EXCEEDED:
		return ICMP_ROW_TIME_EXCEEDED;
	case ICMP_PARAMETERPROB:
		return ICMP_ROW_PARAMETERPROB;
	case ICMP_REDIRECT:
		return ICMP_ROW_REDIRECT;
	case ICMP_SOURCE_QUENCH:
		return ICMP_ROW_SOURCE_QUENCH;
	default:
		return ICMP_ROW_OTHER;
	}
}

/* The namespace __icmp_send() itself uses: the route's device, else the skb's. */
static __always_inline struct net_device *icmp_dev(const struct sk_buff *skb)
{
	unsigned long refdst = BPF_CORE_READ(skb, _skb_refdst) & ~1UL; /* SKB_DST_NOREF */
	struct net_device *dev = NULL;

	if (refdst)
		dev = BPF_CORE_READ((struct dst_entry *)refdst, dev);
	if (!dev)
		dev = BPF_CORE_READ(skb, dev);
	return dev;
}

static __always_inline void icmp_event(const struct sk_buff *skb, __u32 netns, int type, int code)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	unsigned long refdst = BPF_CORE_READ(skb, _skb_refdst) & ~1UL;
	struct route_event *e;
	struct iphdr ip;

	e = event_new(type == ICMP_TIME_EXCEEDED ? ROUTE_EV_TTL_EXCEEDED : ROUTE_EV_FRAG_NEEDED,
		      netns, AF_INET);
	if (!e)
		return;
	e->icmp_type = type;
	e->icmp_code = code;
	e->len = BPF_CORE_READ(skb, len);
	e->ifindex = BPF_CORE_READ(skb, skb_iif);
	if (refdst)
		e->mtu = BPF_CORE_READ((struct dst_entry *)refdst, dev, mtu);
	if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) == 0) {
		__builtin_memcpy(e->saddr, &ip.saddr, 4);
		__builtin_memcpy(e->daddr, &ip.daddr, 4);
		e->ttl = ip.ttl;
		e->proto = ip.protocol;
	}
	event_submit(&route_events, e);
}

static __always_inline void handle_icmp_send(const struct sk_buff *skb, int type, int code)
{
	struct route_netns_stats *s;
	struct net_device *dev;
	__u32 netns, idx;

	if (!skb)
		return;
	dev = icmp_dev(skb);
	if (!dev)
		return;
	netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	s = stats_for(netns);
	if (!s)
		return;
	idx = icmp_row(type) * ICMP_CODES +
	      (code >= 0 && code <= ICMP_CODE_MAX ? (__u32)code : ICMP_CODE_MAX + 1);
	asm volatile("" : "+r"(idx)); /* keep the bound check on the register that indexes */
	if (idx < ICMP_ROWS * ICMP_CODES)
		(&s->icmp_sent[0][0])[idx]++;
	if (type == ICMP_TIME_EXCEEDED || (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED))
		icmp_event(skb, netns, type, code);
}

SEC("tp_btf/icmp_send")
int BPF_PROG(route_icmp_btf, const struct sk_buff *skb, int type, int code)
{
	handle_icmp_send(skb, type, code);
	return 0;
}

SEC("raw_tp/icmp_send")
int BPF_PROG(route_icmp_raw, const struct sk_buff *skb, int type, int code)
{
	handle_icmp_send(skb, type, code);
	return 0;
}

SEC("tracepoint/icmp/icmp_send")
int route_icmp_tp(struct trace_event_raw_icmp_send *ctx)
{
	handle_icmp_send(ctx->skbaddr, ctx->type, ctx->code);
	return 0;
}

/* --- sends that failed for lack of a route: sock:sock_send_length(sk, ret, flags),
 * at the end of every sock_sendmsg() (v6.3+) --- */

static __always_inline void handle_send(const struct sock *sk, int ret, const bool btf)
{
	struct route_netns_stats *s;
	__u16 family;
	int fam;

	/* the success path, and every other error: nothing */
	if (ret != -ENETUNREACH && ret != -EHOSTUNREACH)
		return;
	if (!sk)
		return;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_INET)
		fam = ROUTE_IPV4;
	else if (family == AF_INET6)
		fam = ROUTE_IPV6;
	else
		return;
	s = stats_for(BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum));
	if (s)
		s->send_failures[fam][ret == -ENETUNREACH ? ROUTE_SEND_ENETUNREACH
							  : ROUTE_SEND_EHOSTUNREACH]++;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(route_send_btf, struct sock *sk, int ret, int flags)
{
	handle_send(sk, ret, true);
	return 0;
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(route_send_raw, struct sock *sk, int ret, int flags)
{
	handle_send(sk, ret, false);
	return 0;
}

SEC("tracepoint/sock/sock_send_length")
int route_send_tp(struct trace_event_raw_sock_msg_length *ctx)
{
	handle_send(ctx->sk, ctx->ret, false);
	return 0;
}

/* Before v6.3 (no sock_send_length): the return of the IPv4 and IPv6 sockets' sendmsg,
 * where fexit is allowed. sock_sendmsg() itself is inlined into the send syscalls; these
 * are reached through the socket's ops, never inlined, by every send of an inet socket. */
SEC("fexit/inet_sendmsg")
int BPF_PROG(route_send_fexit, struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
	handle_send(BPF_CORE_READ(sock, sk), ret, false);
	return 0;
}

SEC("fexit/inet6_sendmsg")
int BPF_PROG(route_send6_fexit, struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
	handle_send(BPF_CORE_READ(sock, sk), ret, false);
	return 0;
}

/*
 * --- ICMP received, by type and code: icmp_rcv() / icmpv6_rcv(), optional ---
 * No tracepoint sees a received ICMP message; the protocol handlers are called through
 * the protocol table, never inlined. At their entry the transport header is the ICMP
 * header. Counted before their checksum check: messages the MIB then counts as
 * InCsumErrors are counted here too.
 */
static __always_inline void count_icmp_rcv(const struct sk_buff *skb, __u8 family)
{
	static const __u64 zero;
	struct icmp_code_key k = {};
	const struct net_device *dev;
	unsigned char *head;
	__u8 tc[2] = {};
	__u16 th;
	__u64 *v;

	if (!skb)
		return;
	dev = BPF_CORE_READ(skb, dev);
	if (!dev)
		return;
	head = BPF_CORE_READ(skb, head);
	th = BPF_CORE_READ(skb, transport_header);
	if (bpf_probe_read_kernel(tc, sizeof(tc), head + th))
		return;
	k.netns = dev_netns_inum(dev, false);
	k.family = family;
	k.type = tc[0];
	k.code = tc[1];
	v = map_lookup_or_init(&icmp_rcvd, &k, &zero);
	if (v)
		(*v)++;
}

SEC("fentry/icmp_rcv")
int BPF_PROG(route_icmp_rcv_fentry, struct sk_buff *skb)
{
	count_icmp_rcv(skb, ROUTE_IPV4);
	return 0;
}

SEC("kprobe/icmp_rcv")
int BPF_KPROBE(route_icmp_rcv_kprobe, struct sk_buff *skb)
{
	count_icmp_rcv(skb, ROUTE_IPV4);
	return 0;
}

SEC("fentry/icmpv6_rcv")
int BPF_PROG(route_icmp6_rcv_fentry, struct sk_buff *skb)
{
	count_icmp_rcv(skb, ROUTE_IPV6);
	return 0;
}

SEC("kprobe/icmpv6_rcv")
int BPF_KPROBE(route_icmp6_rcv_kprobe, struct sk_buff *skb)
{
	count_icmp_rcv(skb, ROUTE_IPV6);
	return 0;
}

/*
 * --- ICMPv6 errors sent, by type and code: icmpv6_push_pending_frames(), optional ---
 * icmp6_send() (behind icmpv6_send(), the REJECT targets, tunnels) decides, rate-limits
 * and queues the message, then hands it here to be sent; the kernel's MIB counts it on
 * the way (Icmp6OutType<N> in __ip6_make_skb()) when something was queued. An fentry on
 * icmp6_send() itself would also count the messages its rate limits then drop. Echo
 * replies and ping sockets come here too: only the error types 1 to 4 are counted, the
 * MIB gives the rest. The socket's namespace is the one the MIB counts in
 * (icmpv6_xmit_lock() sets it on the per-CPU socket), and the one the message leaves.
 */
static __always_inline void count_icmp6_sent(const struct sock *sk, const struct icmp6hdr *thdr)
{
	struct route_netns_stats *s;
	__u8 tc[2] = {};
	__u32 row, idx;

	if (!sk || !thdr || !BPF_CORE_READ(sk, sk_write_queue.qlen))
		return;
	if (bpf_probe_read_kernel(tc, sizeof(tc), thdr) || tc[0] < 1 || tc[0] > ICMP6_ROWS)
		return;
	s = stats_for(BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum));
	if (!s)
		return;
	row = tc[0] - 1; /* enum icmp6_row */
	idx = row * ICMP_CODES + (tc[1] <= ICMP_CODE_MAX ? tc[1] : ICMP_CODE_MAX + 1);
	asm volatile("" : "+r"(idx)); /* keep the bound check on the register that indexes */
	if (idx < ICMP6_ROWS * ICMP_CODES)
		(&s->icmp6_sent[0][0])[idx]++;
}

SEC("fentry/icmpv6_push_pending_frames")
int BPF_PROG(route_icmp6_sent_fentry, struct sock *sk, struct flowi6 *fl6, struct icmp6hdr *thdr)
{
	count_icmp6_sent(sk, thdr);
	return 0;
}

SEC("kprobe/icmpv6_push_pending_frames")
int BPF_KPROBE(route_icmp6_sent_kprobe, struct sock *sk, struct flowi6 *fl6, struct icmp6hdr *thdr)
{
	count_icmp6_sent(sk, thdr);
	return 0;
}

/*
 * --- IPv4 received packets whose input route ended on a reject route: ip_error(),
 * optional ---
 * A forwarded packet is looked up in softirq, where fib_table_lookup cannot tell whose
 * namespace looks up (handle_fib4() takes only a task's output lookups). When an input
 * lookup fails, ip_route_input_slow() gives the packet a route whose input function is
 * ip_error() and whose dst.error is the lookup's error; such routes are never cached,
 * so ip_error() runs once per failed lookup (once per packet where list receive's route
 * hint lends one packet's route to the next ones to the same destination). Counted in
 * the receiving device's namespace, the router's.
 * No lookup is counted twice: handle_fib4() takes only flows with iif LOOPBACK_IFINDEX,
 * which ip_route_output_key_hash() sets on every output lookup; ip_error() runs only on
 * routes made by input lookups, whose iif is the receiving device, and only when the
 * packet is delivered to that route (not for `ip route get ... iif`).
 */
/* IN_DEV_FORWARD(): cnf.data[IPV4_DEVCONF_FORWARDING - 1] */
#define IPV4_DEVCONF_FORWARDING_IDX 0

static __always_inline void count_reject_input(const struct sk_buff *skb)
{
	struct route_netns_stats *s;
	struct route_event *e;
	struct net_device *dev;
	struct in_device *in_dev;
	unsigned long refdst;
	unsigned char *head;
	struct iphdr ip;
	int kind;
	__u32 netns;

	if (!skb)
		return;
	dev = BPF_CORE_READ(skb, dev);
	refdst = BPF_CORE_READ(skb, _skb_refdst) & ~1UL; /* SKB_DST_NOREF */
	if (!dev || !refdst)
		return;
	switch (BPF_CORE_READ((struct dst_entry *)refdst, error)) {
	case EACCES:
		kind = ROUTE_PROHIBIT;
		break;
	case EINVAL:
		kind = ROUTE_BLACKHOLE;
		break;
	case EHOSTUNREACH:
		/* a device that does not forward turns every failed or non-local lookup into
		 * EHOSTUNREACH (the kernel counts IpInAddrErrors): only a forwarding one's is
		 * an unreachable route. (A VRF's packets come with its master device here.) */
		in_dev = BPF_CORE_READ(dev, ip_ptr);
		if (!in_dev || !BPF_CORE_READ(in_dev, cnf.data[IPV4_DEVCONF_FORWARDING_IDX]))
			return;
		kind = ROUTE_UNREACHABLE;
		break;
	default: /* ENETUNREACH: no route; the kernel counts IpInNoRoutes */
		return;
	}
	netns = dev_netns_inum(dev, false);
	s = stats_for(netns);
	if (s)
		s->input_failures[kind]++;
	e = event_new(ROUTE_EV_LOOKUP_FAILED, netns, AF_INET);
	if (!e)
		return;
	e->kind = kind;
	e->ifindex = BPF_CORE_READ(dev, ifindex);
	head = BPF_CORE_READ(skb, head) + BPF_CORE_READ(skb, network_header);
	if (bpf_probe_read_kernel(&ip, sizeof(ip), head) == 0) {
		__builtin_memcpy(e->saddr, &ip.saddr, 4);
		__builtin_memcpy(e->daddr, &ip.daddr, 4);
	}
	event_submit(&route_events, e);
}

SEC("fentry/ip_error")
int BPF_PROG(route_reject_in_fentry, struct sk_buff *skb)
{
	count_reject_input(skb);
	return 0;
}

SEC("kprobe/ip_error")
int BPF_KPROBE(route_reject_in_kprobe, struct sk_buff *skb)
{
	count_reject_input(skb);
	return 0;
}
