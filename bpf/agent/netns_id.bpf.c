// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The agent's own program, no collector's: tells a network namespace from the one that
 * had its inode before, on kernels without SO_NETNS_COOKIE (before v5.14). Run with
 * BPF_PROG_TEST_RUN (raw_tp: v5.10+), it executes in the calling thread, which has
 * entered the namespace, and returns that namespace's hash_mix: 32 random bits the
 * kernel draws when it makes the namespace (setup_net(), v5.2+: commit 355b98553789
 * "netns: provide pure entropy for net_hash_mix()") and never changes. user/netns_id.c
 * adds the inode.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ctx[0]: the inode of the namespace the caller believes it is in. Returns its
 * hash_mix, 1 for a hash_mix of 0, or 0 when the thread is elsewhere or the kernel has
 * no hash_mix. */
SEC("raw_tp")
int netns_hash_mix(__u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct net *net = BPF_CORE_READ(task, nsproxy, net_ns);
	__u32 mix;

	if (!net || !bpf_core_field_exists(net->hash_mix) ||
	    BPF_CORE_READ(net, ns.inum) != (__u32)ctx[0])
		return 0;
	mix = BPF_CORE_READ(net, hash_mix);
	return mix ? mix : 1;
}
