#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The fallback hook flavours count like tp_btf. Forced onto raw_tp: ARP requests,
# replies and gratuitous ARPs (arping's counts), packets dropped while unresolved
# (IPv4 and IPv6), the resolution failures and a MAC change all match. Forced onto
# classic tracepoints: the ARP and drop counts still match; the neigh tracepoints have
# no such flavour (their records carry neither namespace nor ifindex), so the agent
# says so and their counters stay at zero instead of being wrong.
# Kernel-aware: before v5.17 skb:kfree_skb has no reason argument, so the raw_tp
# program (which takes three) does not fit and the agent takes the classic tracepoint
# for the drops there too (they are then known by drop site alone).
. "$(dirname "$0")/../lib.sh"
require_root
command -v arping >/dev/null || skip "arping (package iputils-arping) not installed"
N=2
NEIGHSEND=$HELPERS/neighsend

for mode in raw_tp tracepoint; do
	log "--- --bpf.attach=$mode"
	agent_start --bpf.attach=$mode
	for h in netif_receive_skb net_dev_start_xmit kfree_skb; do
		m=$mode
		[ $h = kfree_skb ] && ! tracepoint_has_field skb/kfree_skb reason && m=tracepoint
		assert_eq "$(grep -c "collector neigh: $m/$h attached" "$TMP/agent.log")" 1 "$mode: $h attached ($m)"
	done
	ns_create "a$mode" "b$mode"
	for n in "a$mode" "b$mode"; do
		nsx $n sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.router_solicitations=0
	done
	ns_link "a$mode" "b$mode" 192.0.2.1 192.0.2.2
	ip -n "$T-a$mode" addr add 2001:db8::1/64 dev eth0 nodad
	nsx "a$mode" sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=100 net.ipv6.neigh.eth0.retrans_time_ms=100
	a=$(ns_inode "a$mode")
	b=$(ns_inode "b$mode")

	out=$(nsx "a$mode" arping -c $N -w 10 -I eth0 192.0.2.2)
	sent=$(echo "$out" | awk '/^Sent/ { print $2 }')
	received=$(echo "$out" | awk '/^Received/ { print $2 }')
	gu=$(nsx "a$mode" arping -U -c $N -I eth0 192.0.2.1 | awk '/^Sent/ { print $2 }')
	for addr in 192.0.2.99 2001:db8::99; do
		nsx "a$mode" "$NEIGHSEND" $addr 9 $N >/dev/null
	done
	for i in $(seq $((100 * SCALE))); do
		[ "$(nsx "a$mode" ip neigh show nud failed dev eth0 | wc -l)" -eq 2 ] && break
		sleep 0.05
	done
	nsx "a$mode" ip neigh add 192.0.2.7 lladdr 02:00:00:00:00:01 dev eth0 nud reachable
	nsx "a$mode" ip neigh replace 192.0.2.7 lladdr 02:00:00:00:00:02 dev eth0 nud reachable
	scrape
	assert_eq "$sent" $N "$mode: arping sent"
	solicit=$(nsx "a$mode" sysctl -n net.ipv4.neigh.eth0.mcast_solicit)
	tx=neigh_tx_btf
	[ "$mode" = raw_tp ] && tx=neigh_tx_raw
	[ "$mode" = tracepoint ] && tx=neigh_tx_tp
	lost=$(($(misses $tx) + $(insert_failures neigh)))
	assert_counted "$(metric osiscope_arp_packets_total netns=$a device=eth0 direction=transmit op=request)" \
		$((sent + solicit)) "$lost" "$mode: ARP requests sent (arping's and the kernel's mcast_solicit)"
	# what the peer saw arrive, to tell a miscount of ours from a different count of the kernel's
	log "$mode: ARP requests received by the peer: $(metric osiscope_arp_packets_total netns=$b device=eth0 direction=receive op=request)"
	assert_eq "$(metric osiscope_arp_packets_total netns=$a device=eth0 direction=receive op=reply)" "$received" \
		"$mode: ARP replies received"
	assert_eq "$(metric osiscope_arp_packets_total netns=$b device=eth0 direction=transmit op=reply)" "$received" \
		"$mode: ARP replies sent by the peer"
	assert_eq "$(metric osiscope_arp_packets_total netns=$b device=eth0 direction=receive op=gratuitous)" "$gu" \
		"$mode: gratuitous ARPs received by the peer"
	for f in ipv4 ipv6; do
		assert_eq "$(metric osiscope_neigh_unresolved_drops_total netns=$a device=eth0 family=$f)" $N \
			"$mode: $f packets dropped while unresolved"
	done
	if [ $mode = raw_tp ]; then
		want_failed=1 want_changes=1
	else
		want_failed=0 want_changes=0
		assert_eq "$(grep -c "neigh: neigh:neigh_timer_handler unavailable" "$TMP/agent.log")" 1 \
			"$mode: the agent says resolution failures are not counted"
	fi
	for f in ipv4 ipv6; do
		assert_eq "$(metric osiscope_neigh_resolution_failures_total netns=$a device=eth0 family=$f)" $want_failed \
			"$mode: $f resolution failures"
	done
	assert_eq "$(metric osiscope_neigh_lladdr_changes_total netns=$a device=eth0 family=ipv4)" $want_changes \
		"$mode: MAC changes"
	agent_stop
	assert_eq "$AGENT_RC" 0 "$mode: agent exit status"
done
finish
