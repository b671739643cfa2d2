/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every kernel-version difference the BPF programs care about, in one place. Each
 * entry names the kernel change and reads both layouts through CO-RE, so one object
 * runs on old and new kernels without recompiling.
 */
#ifndef OSISCOPE_CORE_FIXES_BPF_H
#define OSISCOPE_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/*
 * sock_cgroup_data lost its union of (is_data, classid) and val in v5.15, commit
 * 8520e224f547 ("bpf, cgroups: Fix cgroup v2 fallback on v1/v2 mixed mode"): since then
 * it holds a plain struct cgroup pointer. Before it, val is that pointer when the low
 * bit (is_data) is clear.
 */
struct sock_cgroup_data___old {
	__u64 val;
} __attribute__((preserve_access_index));

static __always_inline __u64 sk_cgroup_id(const struct sock *sk)
{
	struct cgroup *cgrp;

	if (bpf_core_field_exists(struct sock_cgroup_data, cgroup)) {
		cgrp = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	} else {
		struct sock_cgroup_data___old *d = (void *)&sk->sk_cgrp_data;
		__u64 val = BPF_CORE_READ(d, val);

		if (val & 1)
			return 0;
		cgrp = (struct cgroup *)(unsigned long)val;
	}
	if (!cgrp)
		return 0;
	return BPF_CORE_READ(cgrp, kn, id);
}

/*
 * sk_protocol was an 8-bit bitfield until v5.6, commit bf9765145b85 ("sock: Make
 * sk_protocol a 16-bit value"); the probed bitfield read handles both.
 */
static __always_inline __u16 sk_protocol(const struct sock *sk, const bool btf)
{
	if (btf) /* a BTF-typed pointer: a plain load */
		return (__u16)BPF_CORE_READ_BITFIELD(sk, sk_protocol);
	return (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/*
 * tracepoint tcp_retransmit_skb gained an err argument in v6.17, commit ad892e912b84
 * ("tcp: trace retransmit failures in tcp_retransmit_skb"), and since then also fires
 * when the retransmit failed; userspace reads the prototype from BTF and loads the
 * matching program (see user/tcp.c).
 *
 * The classic tracepoints' records: tcp_retransmit_skb and tcp_send_reset were events
 * of class tcp_event_sk_skb until they got records of their own (tcp_send_reset in
 * v6.10 with its reason, tcp_retransmit_skb in v6.17, ad892e912b84; tcp_retransmit_skb
 * also had its own before v4.16's tcp_event_sk_skb). Every layout starts with skbaddr
 * and skaddr: read them from whichever record type this kernel has.
 */
struct trace_event_raw_tcp_event_sk_skb___old {
	struct trace_entry ent;
	const void *skbaddr;
	const void *skaddr;
} __attribute__((preserve_access_index));

#define TCP_SK_SKB_RECORD(ctx, type, skp, skbp)                                              \
	do {                                                                                 \
		if (bpf_core_type_exists(struct type)) {                                     \
			*(skp) = BPF_CORE_READ((struct type *)(ctx), skaddr);                \
			*(skbp) = BPF_CORE_READ((struct type *)(ctx), skbaddr);              \
		} else {                                                                     \
			struct trace_event_raw_tcp_event_sk_skb___old *o = (void *)(ctx);    \
			*(skp) = BPF_CORE_READ(o, skaddr);                                   \
			*(skbp) = BPF_CORE_READ(o, skbaddr);                                 \
		}                                                                            \
	} while (0)

/*
 * The type of a namespace (CLONE_NEW*): struct ns_common carries it as ns_type since
 * v6.18, whose namespace rework took it out of the namespace's operations
 * (proc_ns_operations.type, older kernels). The drop layer checks it to tell a real
 * struct net from whatever a reused skb->dev word points to.
 */
#ifndef CLONE_NEWNET
#define CLONE_NEWNET 0x40000000
#endif
struct proc_ns_operations___old {
	int type;
} __attribute__((preserve_access_index));
struct ns_common___old {
	const struct proc_ns_operations___old *ops;
} __attribute__((preserve_access_index));

static __always_inline __u32 ns_common_type(const struct ns_common *ns, const bool btf)
{
	const struct ns_common___old *old = (const void *)ns;

	if (bpf_core_field_exists(struct ns_common, ns_type))
		return btf ? ns->ns_type : BPF_CORE_READ(ns, ns_type);
	/* typed pointers under tp_btf: plain loads, not two probe reads per drop */
	return btf ? old->ops->type : BPF_CORE_READ(old, ops, type);
}

#endif
