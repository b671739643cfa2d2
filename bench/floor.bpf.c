// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The floor for make bench: empty programs on the very hooks the collectors use, so
 * "ns per run" of a collector can be set against what the hook itself costs. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_state)
{
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(floor_retransmit)
{
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(floor_synack)
{
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(floor_send_reset)
{
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(floor_receive_reset)
{
	return 0;
}
