// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The floor for make bench: empty programs on the very hooks the collectors use, so
 * "ns per run" of a collector can be set against what the hook itself costs. The
 * loader (bench/floor.c) drops the tracepoints this kernel lacks. */
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

SEC("tp_btf/kfree_skb")
int BPF_PROG(floor_kfree_skb)
{
	return 0;
}

SEC("tp_btf/neigh_update")
int BPF_PROG(floor_neigh_update)
{
	return 0;
}

SEC("tp_btf/neigh_update_done")
int BPF_PROG(floor_neigh_update_done)
{
	return 0;
}

SEC("tp_btf/neigh_timer_handler")
int BPF_PROG(floor_neigh_timer)
{
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(floor_rx)
{
	return 0;
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(floor_tx)
{
	return 0;
}

SEC("tp_btf/net_dev_xmit_timeout")
int BPF_PROG(floor_xmit_timeout)
{
	return 0;
}

SEC("tp_btf/fib_table_lookup")
int BPF_PROG(floor_fib)
{
	return 0;
}

SEC("tp_btf/fib6_table_lookup")
int BPF_PROG(floor_fib6)
{
	return 0;
}

SEC("tp_btf/icmp_send")
int BPF_PROG(floor_icmp_send)
{
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(floor_send_length)
{
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(floor_exec)
{
	return 0;
}

/* dns: cgroup_skb on the cgroup v2 root */
SEC("cgroup_skb/egress")
int floor_cg_egress(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/ingress")
int floor_cg_ingress(struct __sk_buff *skb)
{
	return 1;
}

/* link: tc on a device, both directions (TC_ACT_UNSPEC: on to the next program) */
SEC("tc")
int floor_tc_in(struct __sk_buff *skb)
{
	return -1;
}

SEC("tc")
int floor_tc_out(struct __sk_buff *skb)
{
	return -1;
}
