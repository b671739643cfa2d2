// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * DNS layer (L7). Counts, per network namespace and in the kernel: DNS queries sent over
 * UDP and TCP by question type, the responses received by RCODE, the latency from a query to
 * its response, queries left without a response (timeouts), and packets on port 53
 * that do not parse.
 *
 * Two cgroup_skb programs (egress and ingress) on the root of the cgroup v2 hierarchy
 * run for every packet a socket sends or receives, in every network namespace and
 * container of the host (each cgroup's effective programs include its ancestors'
 * multi-attached ones, and a socket whose cgroup is unknown is charged to the root),
 * with one attachment each and nothing to follow when devices or namespaces come and
 * go. tc on every device of every namespace would cost the same per packet, see
 * forwarded packets twice or not know their socket, and lose the sender's pid.
 * The common case (not UDP or TCP, or not port 53) leaves after reading the IP protocol
 * and the ports from the linear header.
 *
 * Counted from the client's side: a query is a packet a socket sends to port 53, a
 * response one it receives from port 53. A server's side of the same exchange (query
 * in, response out) is not counted, so a query through a resolver on the same host
 * counts once per hop (the stub's and the resolver's upstream query).
 *
 * A query waits in dns_pending, keyed by namespace, 5-tuple and id, until its response
 * takes it out (latency) or a periodic BPF timer finds it older than the timeout. Both
 * sides count only when their own delete succeeds, so a query is counted once.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "dns.h"
#include "osiscope.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EEXIST 17
#define CLOCK_MONOTONIC 1
#define DNS_QR 0x80 /* in the third header byte */
#define DNS_TC 0x02
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_REFUSED 5
/* the question: a name, then type and class */
#define DNS_QBUF (DNS_NAME_MAX + 4)

/* Set by the loader before load. */
const volatile __u64 timeout_ns = 5000000000ULL;
const volatile __u64 sweep_ns = 1000000000ULL;
/* Whether this kernel lets cgroup_skb programs read the current task (pid, comm): not
 * every kernel does, so the loader probes it (libbpf_probe_bpf_helper). */
const volatile bool have_current_task = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096); /* network namespaces */
	__type(key, __u32);
	__type(value, struct dns_netns_stats);
} dns_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 8192); /* (namespace, qtype) pairs */
	__type(key, struct dns_qtype_key);
	__type(value, __u64);
} dns_qtypes SEC(".maps");

/*
 * Queries in flight. A preallocated plain hash, not an LRU: when it is full a new query
 * is counted as untracked instead of silently evicting an older one, which during an
 * outage is exactly the query about to time out. 16384 covers 3000 unanswered queries
 * a second with a 5 s timeout.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct dns_query_key);
	__type(value, struct dns_pending);
} dns_pending SEC(".maps");

/* The names of the queries in flight, for events only (the loader shrinks it when
 * events are off). An LRU: a name whose query went away without us (its namespace was
 * forgotten) ages out by itself; a name lost to eviction shows as unknown. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct dns_query_key);
	__type(value, struct dns_qname);
} dns_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} dns_events SEC(".maps");

/* DNS over TCP: where the next message starts, per socket and direction. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct dns_tcp_state);
} dns_tcp SEC(".maps");

/*
 * When each namespace last got an NXDOMAIN (events only). An answer in a namespace that
 * had one in the last DNS_NX_RECENT_NS goes out as an event too: diagnose tells a search
 * path expansion (api.default.svc.cluster.local: NXDOMAIN, then api: an answer) from a
 * name that never resolves. Answers cost an event only where NXDOMAINs already did.
 */
#define DNS_NX_RECENT_NS (10 * 1000000000ULL)
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} dns_nx_recent SEC(".maps");

struct dns_sweeper {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_sweeper);
} dns_sweeper SEC(".maps");

static const struct dns_netns_stats zero_stats;

/*
 * Counters are per CPU but updated with atomic adds: unlike tracing programs, packet
 * programs do interleave on one CPU (a softirq receive or the sweep timer inside a
 * task's send, another task after preemption), and DNS packets are few enough that
 * the atomics cost nothing measurable. For the same reason every buffer a parse uses
 * is on the stack, never a per-CPU scratch map.
 */
#define INC(p) __sync_fetch_and_add(&(p), 1)
#define ADD(p, v) __sync_fetch_and_add(&(p), (v))

static __always_inline struct dns_netns_stats *stats_for(__u32 netns)
{
	return map_lookup_or_init(&dns_stats, &netns, &zero_stats);
}

static __always_inline void count_qtype(struct dns_netns_stats *s, __u32 netns, __u16 qtype)
{
	struct dns_qtype_key k = { .netns = netns, .qtype = qtype };
	static const __u64 zero;
	__u64 *v = bpf_map_lookup_elem(&dns_qtypes, &k);

	if (!v) {
		bpf_map_update_elem(&dns_qtypes, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&dns_qtypes, &k);
	}
	if (v)
		INC(*v);
	else
		INC(s->queries_unlabelled);
}

/*
 * Length of the question's name on the wire (root label included), read from the
 * packet at off one label length at a time, or -1 when it is not a valid question name
 * within n bytes: a label running past them, a compression pointer or reserved label
 * type (nothing precedes the first question that a pointer could legitimately name, so
 * a loop is refused before it starts), or more than DNS_NAME_MAX bytes. At most 128
 * rounds: every label but the root takes two bytes or more of the 255. Not copied
 * whole: the stack holds only what events show of it (see dns_message()).
 */
static __always_inline int qname_len(struct __sk_buff *skb, __u32 off, __u32 n)
{
	__u32 o = 0;
	__u8 len;

	for (int i = 0; i < 128; i++) {
		if (o >= n || o >= DNS_NAME_MAX)
			return -1;
		if (bpf_skb_load_bytes(skb, off + o, &len, 1))
			return -1;
		if (len == 0)
			return (int)o + 1;
		if (len & 0xc0)
			return -1;
		o += len + 1;
	}
	return -1;
}

/* Since v6.2 (the patch set "bpf: Implement two type cast kfuncs") a program may turn
 * its context into the kernel's sk_buff and read through it with plain loads; the
 * loader sets this when the kernel's BTF has the kfunc. */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;
const volatile bool have_kern_ctx = false;

static __always_inline __u32 sock_netns(struct __sk_buff *ctx)
{
	/* The context of a cgroup_skb program is the kernel's sk_buff, and skb->sk the
	 * socket being filtered (__cgroup_bpf_run_filter_skb runs only with one). */
	if (have_kern_ctx) {
		struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);
		struct sock *sk = skb->sk;

		return sk ? sk->__sk_common.skc_net.net->ns.inum : 0;
	}
	/* Older kernels: three probe reads, about 100 ns more per DNS packet on 6.18. */
	return BPF_CORE_READ((struct sk_buff *)ctx, sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline struct dns_event *event_new(__u8 type, const struct dns_flow_key *k)
{
	struct dns_event *e = event_new_hdr(&dns_events, sizeof(*e), type, k->netns);

	if (!e)
		return NULL;
	e->family = k->family;
	e->cport = k->cport;
	e->sport = k->sport;
	e->id = k->id;
	e->proto = k->proto;
	__builtin_memcpy(e->client, k->client, sizeof(e->client));
	__builtin_memcpy(e->server, k->server, sizeof(e->server));
	return e;
}

static __always_inline void query_key(const struct dns_flow_key *k, struct dns_query_key *q)
{
	__builtin_memcpy(q->client, k->client, sizeof(q->client));
	q->netns = k->netns;
	q->cport = k->cport;
	q->id = k->id;
	q->family = k->family;
	q->proto = k->proto;
	q->__pad = 0;
}

static __always_inline void event_from_pending(struct dns_event *e, const struct dns_pending *p)
{
	e->hdr.cgroup_id = p->cgroup_id;
	e->hdr.pid = p->pid;
	e->qtype = p->qtype;
	__builtin_memcpy(e->hdr.comm, p->comm, sizeof(e->hdr.comm));
}

/* The name a query in flight was sent with, into the event, and forgotten. */
static __always_inline void event_name_of_query(struct dns_event *e,
						const struct dns_query_key *k, __u16 qname_len)
{
	struct dns_qname *n = bpf_map_lookup_elem(&dns_names, k);

	if (!n)
		return;
	__builtin_memcpy(e->qname, n->b, sizeof(e->qname));
	e->qname_len = qname_len;
}

/*
 * Kernels that give cgroup_skb programs no current task (before v6.?): the sender as an
 * optional fentry/kprobe on udp_sendmsg / udpv6_sendmsg saw it, by socket. The egress
 * program runs inside that call, so the entry is the latest send's.
 */
const volatile bool have_owner = false;

struct dns_owner {
	__u32 pid;
	char comm[COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096); /* the loader shrinks it when unused */
	__type(key, __u64); /* struct sock address */
	__type(value, struct dns_owner);
} dns_owners SEC(".maps");

static __always_inline void query_owner(struct __sk_buff *skb, struct dns_pending *p)
{
	__u64 sk = (__u64)BPF_CORE_READ((struct sk_buff *)skb, sk);
	struct dns_owner *o = bpf_map_lookup_elem(&dns_owners, &sk);

	if (!o)
		return;
	p->pid = o->pid;
	__builtin_memcpy(p->comm, o->comm, sizeof(p->comm));
}

/* on_query() and on_response() take their pending entry and key from dns_packet(): one
 * copy of each on the stack for both (the stack also holds the question, see
 * dns_message()). */

static __always_inline void on_query(struct __sk_buff *skb, struct dns_netns_stats *s,
				     const struct dns_flow_key *k, const __u8 *q, int nlen,
				     __u16 qtype, struct dns_pending *p, struct dns_query_key *qk)
{
	long err;

	__builtin_memset(p, 0, sizeof(*p));
	query_key(k, qk);
	count_qtype(s, k->netns, qtype);
	__builtin_memcpy(p->server, k->server, sizeof(p->server));
	p->sport = k->sport;
	p->ts_ns = bpf_ktime_get_ns();
	p->cgroup_id = bpf_skb_cgroup_id(skb);
	p->qtype = qtype;
	p->qname_len = nlen;
	if (have_current_task) {
		p->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(p->comm, sizeof(p->comm));
	} else if (have_owner) {
		query_owner(skb, p);
	}
	/* NOEXIST: a retry with the same id and ports keeps the first send's time */
	err = bpf_map_update_elem(&dns_pending, qk, p, BPF_NOEXIST);
	/* the error as an int: before v6.4 ("bpf: return long from bpf_map_ops funcs") the
	 * map's update returned int, and the program sees it zero-extended (-EEXIST as
	 * 4294967279) */
	if ((int)err == -EEXIST)
		INC(s->untracked_in_flight);
	else if (err)
		INC(s->untracked_full);
	else if (events_enabled)
		bpf_map_update_elem(&dns_names, qk, q, BPF_ANY);
}

/* Whether the first len bytes (of at most DNS_NAME_COPY) of two names are the same:
 * compared 8 bytes at a time, little verifier work. */
static __always_inline bool same_name(const __u8 *a, const __u8 *b, int len)
{
	__u64 diff = 0;

#pragma unroll
	for (int w = 0; w < DNS_NAME_COPY / 8; w++) {
		__u64 x, y, mask = ~0ULL;
		int left = len - w * 8;

		if (left <= 0)
			break;
		__builtin_memcpy(&x, a + w * 8, 8);
		__builtin_memcpy(&y, b + w * 8, 8);
		if (left < 8)
			mask = (1ULL << (left * 8)) - 1; /* the bytes in front: little-endian */
		diff |= (x ^ y) & mask;
	}
	return diff == 0;
}

static __always_inline void on_response(struct dns_netns_stats *s, const struct dns_flow_key *k,
					const __u8 *q, int nlen, __u16 qtype, __u8 flags,
					__u8 rcode, struct dns_pending *got,
					struct dns_query_key *qk)
{
	struct dns_pending *p;
	struct dns_event *e;
	__u64 now, lat = 0;
	bool matched = false;
	__u8 type;

	__builtin_memset(got, 0, sizeof(*got));
	query_key(k, qk);
	rcode &= DNS_RCODES - 1;
	INC(s->responses[rcode]);
	if (flags & DNS_TC)
		INC(s->truncated);
	p = bpf_map_lookup_elem(&dns_pending, qk);
	if (p) {
		/* copy before the delete: a freed element is reused at once */
		*got = *p;
		matched = bpf_map_delete_elem(&dns_pending, qk) == 0;
	}
	if (!matched) {
		/* no query in flight, or the timer took it an instant ago and counted it */
		INC(s->unmatched);
	} else {
		now = bpf_ktime_get_ns();
		lat = now > got->ts_ns ? now - got->ts_ns : 0;
		if (lat > timeout_ns) {
			/* the sweep had not come by yet: still a timeout, as promised */
			INC(s->timeouts);
			e = event_new(DNS_EV_TIMEOUT, k);
			if (e) {
				event_from_pending(e, got);
				event_name_of_query(e, qk, got->qname_len);
				e->latency_ns = lat;
				e->rcode = rcode;
				e->late = 1;
				event_submit(&dns_events, e);
			}
			lat = 0;
		} else {
			ADD(s->latency_sum_ns, lat);
			INC(s->latency_hist[hist_slot(lat / 1000)]);
		}
	}

	switch (rcode) {
	case DNS_RCODE_NXDOMAIN:
		type = DNS_EV_NXDOMAIN;
		if (events_enabled) {
			__u64 t = bpf_ktime_get_ns();

			bpf_map_update_elem(&dns_nx_recent, &k->netns, &t, BPF_ANY);
		}
		break;
	case 0: {
		__u64 *t = events_enabled ? bpf_map_lookup_elem(&dns_nx_recent, &k->netns) : NULL;

		type = t && bpf_ktime_get_ns() - *t < DNS_NX_RECENT_NS ? DNS_EV_ANSWER : 0;
		break;
	}
	case DNS_RCODE_SERVFAIL:
		type = DNS_EV_SERVFAIL;
		break;
	case DNS_RCODE_REFUSED:
		type = DNS_EV_REFUSED;
		break;
	default:
		type = 0;
	}
	if (type && (e = event_new(type, k))) {
		struct dns_qname *asked = NULL;

		if (matched) {
			event_from_pending(e, got);
			asked = bpf_map_lookup_elem(&dns_names, qk);
		}
		if (asked) {
			/* what the client asked for; the response's question only marks it */
			__builtin_memcpy(e->qname, asked->b, sizeof(e->qname));
			e->qname_len = got->qname_len;
			e->name_src = nlen != got->qname_len || qtype != got->qtype ||
				      !same_name(q, asked->b, nlen);
		} else {
			e->qtype = qtype;
			e->qname_len = nlen;
			__builtin_memcpy(e->qname, q, sizeof(e->qname));
			e->name_src = DNS_NAME_SRC_RESPONSE;
		}
		e->rcode = rcode;
		e->latency_ns = lat;
		event_submit(&dns_events, e);
	}
	if (events_enabled && matched)
		bpf_map_delete_elem(&dns_names, qk);
}

/* Everything after the ports said DNS: rare, so loads go through bpf_skb_load_bytes,
 * which also reads paged data (a NIC's receive often leaves the payload in pages).
 * cut: a TCP message that goes on in the next segment, whose question may not be here. */
static __always_inline void dns_packet(struct __sk_buff *skb, struct dns_flow_key *k, __u32 off,
				       __u32 dlen, const bool egress, bool both53, bool cut)
{
	struct dns_netns_stats *s;
	__u8 q[DNS_NAME_COPY] = {}; /* the start of the name, for events */
	__u8 hdr[DNS_HDR_LEN], tb[2];
	struct dns_pending pend;
	struct dns_query_key qk;
	__u16 qdcount, qtype;
	__u64 n, c; /* 64-bit: bounded on the registers the loads get */
	int nlen;
	bool qr;

	k->netns = sock_netns(skb);
	s = stats_for(k->netns);
	if (!s)
		return;
	if (dlen < DNS_HDR_LEN || bpf_skb_load_bytes(skb, off, hdr, DNS_HDR_LEN))
		goto malformed;
	qr = hdr[2] & DNS_QR;
	/* the server's side of an exchange between two port-53 peers: not ours */
	if (both53 && qr == egress)
		return;
	/* a response sent to a server port, or a query coming from one */
	if (qr == egress)
		goto malformed;
	k->id = (__u16)hdr[0] << 8 | hdr[1];
	qdcount = (__u16)hdr[4] << 8 | hdr[5];
	/* A query asks one question, and a response repeats it: resolvers (glibc's
	 * res_queriesmatch, for one) drop a response whose question count differs. */
	if (!qdcount)
		goto malformed;

	n = (__u64)dlen - DNS_HDR_LEN;
	if (n > DNS_QBUF)
		n = DNS_QBUF;
	/* the smallest question: the root name, type and class */
	if (n < 5)
		goto malformed;
	nlen = qname_len(skb, off + DNS_HDR_LEN, n);
	if ((nlen <= 0 || (__u32)nlen + 4 > n) && cut) {
		INC(s->tcp_unparsed[egress ? DNS_DIR_TRANSMIT : DNS_DIR_RECEIVE]);
		return;
	}
	if (nlen <= 0 || (__u32)nlen + 4 > n)
		goto malformed;
	if (bpf_skb_load_bytes(skb, off + DNS_HDR_LEN + nlen, tb, 2))
		goto malformed;
	qtype = (__u16)tb[0] << 8 | tb[1];
	c = nlen < DNS_NAME_COPY ? nlen : DNS_NAME_COPY;
	barrier_var(c);
	if (c < 1 || c > DNS_NAME_COPY || bpf_skb_load_bytes(skb, off + DNS_HDR_LEN, q, c))
		goto malformed;

	if (egress) {
		if (k->proto == IPPROTO_TCP)
			INC(s->tcp_queries);
		on_query(skb, s, k, q, nlen, qtype, &pend, &qk);
	} else {
		on_response(s, k, q, nlen, qtype, hdr[2], hdr[3] & 0x0f, &pend, &qk);
	}
	return;
malformed:
	INC(s->malformed[egress ? DNS_DIR_TRANSMIT : DNS_DIR_RECEIVE]);
}

#define MSG_EGRESS 1
#define MSG_CUT 2 /* a TCP message that goes on in the next segment */
#define MSG_BOTH53 4 /* UDP between two port-53 sockets */
#define MSG_V6 8
#define MSG_TCP 16
#define MSG_DNAT 32 /* sent to another port than 53 by a socket connected to 53 */
#define MSG_L3_SHIFT 8 /* the IP header's length, in the bits above */

/*
 * A subprogram, not inlined: the question buffer is on its stack once, whether a UDP
 * datagram or the messages of a TCP segment come here. Global, so verified once on its
 * own rather than at each of its call sites (a datagram's, and each message's of a TCP
 * segment), with events on too: inlined or static, the object goes over the verifier's
 * 1M instructions (E2BIG).
 *
 * Its arguments are the context and scalars only: before v5.12 ("bpf: Support pointers
 * in global func args") a global function takes no other pointer, and 5.10 refuses the
 * object (EINVAL). So the flow is read again here, from the IP and transport headers at
 * the start of the packet (a DNS packet is rare: two more loads). off: the message's
 * start; dlen: its bytes in this packet; flags: MSG_*, and the IP header's length above
 * MSG_L3_SHIFT. The 64-bit arguments are bounded here, so that the verifier sees the
 * bounds on the registers the helpers get.
 */
__noinline int dns_message(struct __sk_buff *skb, __u64 off, __u64 dlen, __u64 flags)
{
	const bool egress = flags & MSG_EGRESS;
	struct dns_flow_key k = {};
	__u8 a[32], ports[4];
	__u16 sport, dport;
	__u32 l3 = (flags >> MSG_L3_SHIFT) & 0xff;

	if (dlen > 0xffff || off > 0xffff)
		return 0;
	/* the source and destination addresses, side by side in both IP versions */
	if (bpf_skb_load_bytes(skb, flags & MSG_V6 ? 8 : 12, a, flags & MSG_V6 ? 32 : 8) ||
	    bpf_skb_load_bytes(skb, l3, ports, 4))
		return 0;
	k.family = flags & MSG_V6 ? AF_INET6 : AF_INET;
	/* the client is us, the server the peer */
	if (flags & MSG_V6) {
		__builtin_memcpy(egress ? k.client : k.server, a, 16);
		__builtin_memcpy(egress ? k.server : k.client, a + 16, 16);
	} else {
		__builtin_memcpy(egress ? k.client : k.server, a, 4);
		__builtin_memcpy(egress ? k.server : k.client, a + 4, 4);
	}
	sport = (__u16)ports[0] << 8 | ports[1];
	dport = (__u16)ports[2] << 8 | ports[3];
	k.proto = flags & MSG_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	k.cport = egress ? sport : dport;
	k.sport = flags & MSG_DNAT ? DNS_PORT : egress ? dport : sport;
	dns_packet(skb, &k, off, dlen, egress, flags & MSG_BOTH53, flags & MSG_CUT);
	return 0;
}

/* The flags of a message in a packet whose IP header is l3 bytes long. */
static __always_inline __u64 msg_flags(__u32 l3, const bool v6, const bool egress)
{
	return (__u64)l3 << MSG_L3_SHIFT | (v6 ? MSG_V6 : 0) | (egress ? MSG_EGRESS : 0);
}

/* --- DNS over TCP --- */

#define TCP_FLAG_SYN 0x02
/* messages read from one segment: a client's A and AAAA queries (glibc writes both at
 * once), a few pipelined ones */
#define DNS_TCP_MSGS 4

static __always_inline void tcp_unparsed(struct __sk_buff *skb, const bool egress)
{
	struct dns_netns_stats *s = stats_for(sock_netns(skb));

	if (s)
		INC(s->tcp_unparsed[egress ? DNS_DIR_TRANSMIT : DNS_DIR_RECEIVE]);
}

/*
 * The plen payload bytes at off of a segment whose first byte has sequence number seq.
 * A message is read only when its length prefix and DNS header are in the segment it
 * starts in (its question too, unless it is cut); whatever else may start a message is
 * counted as unparsed. Segments that start before the next message are the rest of one,
 * or retransmits: not read again.
 */
static __always_inline void tcp_segment(struct __sk_buff *skb, struct bpf_sock *sk, __u64 flags,
					__u32 seq, __u32 off, __u32 plen, const bool egress)
{
	const int d = egress ? DNS_DIR_TRANSMIT : DNS_DIR_RECEIVE;
	struct dns_tcp_state *st;
	__u32 o = 0, mlen, avail;
	__u8 lenb[2];
	__s32 delta;

	st = bpf_sk_storage_get(&dns_tcp, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		goto unparsed;
	if (st->state[d] == DNS_TCP_LOST)
		return;
	if (st->state[d] == DNS_TCP_NEW) {
		st->state[d] = DNS_TCP_IN_STEP;
		st->next[d] = seq;
	}
	delta = (__s32)(seq - st->next[d]);
	if (delta > 0)
		goto lost; /* a segment before this one was not seen (lost, or reordered) */
	if (delta < 0) {
		if ((__s32)(seq + plen - st->next[d]) <= 0)
			return;
		o = (__u32)-delta;
	}
	for (int i = 0; i < DNS_TCP_MSGS; i++) {
		if (o >= plen)
			return; /* the next message starts in a later segment */
		if (o + 2 > plen || bpf_skb_load_bytes(skb, off + o, lenb, 2))
			goto lost; /* its length prefix is split */
		mlen = (__u32)lenb[0] << 8 | lenb[1];
		st->next[d] = seq + o + 2 + mlen;
		avail = plen - o - 2;
		if (avail < DNS_HDR_LEN && mlen >= DNS_HDR_LEN)
			tcp_unparsed(skb, egress); /* its header comes in the next segment */
		else
			dns_message(skb, off + o + 2, mlen < avail ? mlen : avail,
				    flags | (mlen > avail ? MSG_CUT : 0));
		o += 2 + mlen;
	}
	if (o >= plen)
		return;
lost:
	st->state[d] = DNS_TCP_LOST;
unparsed:
	tcp_unparsed(skb, egress);
}

static __always_inline void handle_tcp(struct __sk_buff *skb, __u8 *ip, __u32 l3, void *end,
				       const bool v6, const bool egress)
{
	struct bpf_sock *sk;
	__u8 *th = ip + l3;
	__u16 sport, dport;
	__u32 doff, len, seq;
	bool dnat = false;

	if (th + 20 > (__u8 *)end)
		return;
	sport = (__u16)th[0] << 8 | th[1];
	dport = (__u16)th[2] << 8 | th[3];
	sk = skb->sk;
	if (egress ? dport != DNS_PORT : sport != DNS_PORT) {
		/* a connection DNATed on its way out still names port 53 (see handle()) */
		if (!egress || !sk || bpf_ntohs(sk->dst_port) != DNS_PORT)
			return;
		dnat = true;
	}
	doff = (th[12] >> 4) * 4;
	len = skb->len;
	if (doff < 20 || len <= l3 + doff)
		return; /* no payload: handshake, acknowledgements, FIN */
	if (!sk)
		return;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->type != SOCK_STREAM || sk->protocol != IPPROTO_TCP)
		return;
	seq = (__u32)th[4] << 24 | (__u32)th[5] << 16 | (__u32)th[6] << 8 | th[7];
	if (th[13] & TCP_FLAG_SYN)
		seq++; /* data on a SYN (Fast Open) starts after it */
	tcp_segment(skb, sk, msg_flags(l3, v6, egress) | MSG_TCP | (dnat ? MSG_DNAT : 0), seq,
		    l3 + doff, len - l3 - doff, egress);
}

static __always_inline void handle(struct __sk_buff *skb, const bool egress)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct bpf_sock *sk;
	bool dnat = false;
	__u8 *ip = data, *udp;
	__u16 sport, dport, ulen;
	__u32 l3, off, len;
	__u8 proto;
	bool v6;

	/* data is at the network header: cgroup_skb sees IP packets only */
	if (ip + 1 > (__u8 *)end)
		return;
	v6 = (ip[0] >> 4) == 6;
	if ((ip[0] >> 4) == 4) {
		if (ip + 20 > (__u8 *)end)
			return;
		proto = ip[9];
		l3 = (ip[0] & 0x0f) * 4;
		if (l3 < 20)
			return;
	} else if (v6) {
		/* extension headers before UDP are not followed: DNS does not use them */
		if (ip + 40 > (__u8 *)end)
			return;
		proto = ip[6];
		l3 = 40;
	} else {
		return;
	}
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return;
	udp = ip + l3; /* or the TCP header: the ports come first in both */
	/* the common case on the way in, for both: not from port 53 */
	if (!egress && (udp + 2 > (__u8 *)end || udp[0] != 0 || udp[1] != DNS_PORT))
		return;
	if (proto == IPPROTO_TCP) {
		handle_tcp(skb, ip, l3, end, v6, egress);
		return;
	}
	if (udp + 8 > (__u8 *)end)
		return;
	sport = (__u16)udp[0] << 8 | udp[1];
	dport = (__u16)udp[2] << 8 | udp[3];
	if ((egress ? dport : sport) != DNS_PORT) {
		if (!egress)
			return;
		/* maybe a query DNATed on its way out: its socket says (below) */
		dnat = true;
	}
	/* UDP sockets only. A raw IPPROTO_UDP socket gets its own copy of every UDP
	 * packet the namespace receives: counting it too would count responses twice. */
	sk = skb->sk;
	if (!sk)
		return;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->type != SOCK_DGRAM || sk->protocol != IPPROTO_UDP)
		return;
	/* The egress hook runs after OUTPUT DNAT (Docker's embedded DNS, a ClusterIP):
	 * a connected socket (glibc's resolver connects) still names port 53. */
	if (dnat && bpf_ntohs(sk->dst_port) != DNS_PORT)
		return;

	/* a DNS packet: the DNS payload: the UDP length, never past what the packet holds */
	ulen = (__u16)udp[4] << 8 | udp[5];
	off = l3 + 8;
	len = skb->len;
	if (len < off)
		return;
	if (ulen < 8 || ulen > len - l3)
		ulen = len - off + 8;
	dns_message(skb, off, ulen - 8,
		    msg_flags(l3, v6, egress) | (dnat ? MSG_DNAT : 0) |
			    (sport == DNS_PORT && dport == DNS_PORT ? MSG_BOTH53 : 0));
}

SEC("cgroup_skb/egress")
int dns_egress(struct __sk_buff *skb)
{
	handle(skb, true);
	return 1; /* observe only: let every packet through */
}

SEC("cgroup_skb/ingress")
int dns_ingress(struct __sk_buff *skb)
{
	handle(skb, false);
	return 1;
}

struct sweep_ctx {
	__u64 now;
};

static long sweep_one(struct bpf_map *map, struct dns_query_key *k, struct dns_pending *p,
		      struct sweep_ctx *cx)
{
	struct dns_netns_stats *s;
	struct dns_pending got;
	struct dns_flow_key fk;
	struct dns_event *e;

	/* a query inserted on another CPU after `now` was read is younger than now */
	if (cx->now <= p->ts_ns || cx->now - p->ts_ns <= timeout_ns)
		return 0;
	got = *p;
	/* a response deleting it at the same moment counts it instead */
	if (bpf_map_delete_elem(&dns_pending, k))
		return 0;
	s = stats_for(k->netns);
	if (s)
		INC(s->timeouts);
	/* the flow as the query left */
	__builtin_memcpy(fk.client, k->client, sizeof(fk.client));
	__builtin_memcpy(fk.server, got.server, sizeof(fk.server));
	fk.netns = k->netns;
	fk.cport = k->cport;
	fk.sport = got.sport;
	fk.id = k->id;
	fk.family = k->family;
	fk.proto = k->proto;
	e = event_new(DNS_EV_TIMEOUT, &fk);
	if (e) {
		event_from_pending(e, &got);
		event_name_of_query(e, k, got.qname_len);
		e->latency_ns = cx->now - got.ts_ns;
		event_submit(&dns_events, e);
	}
	if (events_enabled)
		bpf_map_delete_elem(&dns_names, k);
	return 0;
}

static int sweep(void *map, __u32 *key, struct dns_sweeper *sw)
{
	struct sweep_ctx cx = { .now = bpf_ktime_get_ns() };

	bpf_for_each_map_elem(&dns_pending, sweep_one, &cx, 0);
	bpf_timer_start(&sw->timer, sweep_ns, 0);
	return 0;
}

/* Run once by the loader (BPF_PROG_TEST_RUN): starts the periodic sweep, which lives as
 * long as the dns_sweeper map, that is as long as the agent. */
SEC("syscall")
int dns_sweep_start(void *ctx)
{
	__u32 zero = 0;
	struct dns_sweeper *sw = bpf_map_lookup_elem(&dns_sweeper, &zero);
	long err;

	if (!sw)
		return -1;
	err = bpf_timer_init(&sw->timer, &dns_sweeper, CLOCK_MONOTONIC);
	if (err)
		return err;
	err = bpf_timer_set_callback(&sw->timer, sweep);
	if (err)
		return err;
	return bpf_timer_start(&sw->timer, sweep_ns, 0);
}

static __always_inline void note_owner(const struct sock *sk)
{
	struct dns_owner o = {};
	__u64 key = (__u64)sk;

	o.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(o.comm, sizeof(o.comm));
	bpf_map_update_elem(&dns_owners, &key, &o, BPF_ANY);
}

SEC("fentry/udp_sendmsg")
int BPF_PROG(dns_owner_fentry, struct sock *sk)
{
	note_owner(sk);
	return 0;
}

SEC("fentry/udpv6_sendmsg")
int BPF_PROG(dns_owner6_fentry, struct sock *sk)
{
	note_owner(sk);
	return 0;
}

SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(dns_owner_kprobe, struct sock *sk)
{
	note_owner(sk);
	return 0;
}

SEC("kprobe/udpv6_sendmsg")
int BPF_KPROBE(dns_owner6_kprobe, struct sock *sk)
{
	note_owner(sk);
	return 0;
}
