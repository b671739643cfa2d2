#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Transmit timeouts, as far as this machine allows: the watchdog behind the tracepoint
# net:net_dev_xmit_timeout only runs for drivers with ndo_tx_timeout (NICs; no veth,
# dummy or ifb here), so no timeout is ever made to happen. What is checked is that
# the hook is there in both flavours: the agent attaches tp_btf (and raw_tp when told
# to), holds a BPF link for its link_txto_* program on exactly that tracepoint (the
# raw tracepoint link's name, from the kernel's fdinfo), and exports
# osiscope_link_tx_timeouts_total at 0 for the test's devices.
. "$(dirname "$0")/../lib.sh"
require_root
command -v bpftool >/dev/null || skip "bpftool not installed"

bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -q "TYPEDEF 'btf_trace_net_dev_xmit_timeout'" ||
	skip "no tracepoint net_dev_xmit_timeout in this kernel's BTF"
ns_create a b
ns_link a b 192.0.2.1 192.0.2.2
a=$(ns_inode a)
b=$(ns_inode b)

for mode in tp_btf raw_tp; do
	log "--- --bpf.attach=$mode"
	agent_start --bpf.attach=$mode
	assert_eq "$(grep -c "collector link: $mode/net_dev_xmit_timeout attached" "$TMP/agent.log")" 1 "$mode flavour attached"
	prog=link_txto_btf
	[ $mode = raw_tp ] && prog=link_txto_raw
	found=0
	for f in /proc/"$AGENT_PID"/fdinfo/*; do
		grep -q '^link_type:' "$f" 2>/dev/null || continue
		id=$(awk '$1 == "prog_id:" { print $2 }' "$f")
		bpftool prog show id "$id" 2>/dev/null | grep -q "name $prog " || continue
		# tp_btf programs attach through BPF_RAW_TRACEPOINT_OPEN as well
		[ "$(awk '$1 == "tp_name:" { print $2 }' "$f")" = net_dev_xmit_timeout ] && found=$((found + 1))
	done
	assert_eq $found 1 "$mode: a link of the agent's runs $prog on net_dev_xmit_timeout"
	scrape
	for ns in $a $b; do
		assert_eq "$(grep -c "^osiscope_link_tx_timeouts_total{netns=\"$ns\",device=\"eth0\"} 0$" "$TMP/metrics")" 1 "$mode: tx timeouts of $ns/eth0 exported at 0"
	done
	agent_stop
	assert_eq "$AGENT_RC" 0 "$mode: agent exit status"
done
finish
