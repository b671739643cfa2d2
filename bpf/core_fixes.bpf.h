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
 * tracepoint tcp_retransmit_skb gained an err argument in v6.11 ("tcp: Add the err
 * parameter to tcp_retransmit_skb tracepoint") and since then also fires when the
 * retransmit failed; userspace reads the prototype from BTF and loads the matching
 * program (see user/tcp.c).
 */

#endif
