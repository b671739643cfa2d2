#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Namespaces on a busy node: the kernel hands a deleted namespace's inode to the next
# one at once, and some live and die between two scrapes.
#  - A namespace that replaces one with the same inode starts from zero: its refused
#    connects and its drops (an nft rule in the output hook) are its own, not added to
#    the old one's nor lost when the agent notices the change after them, and its device
#    gets the link collector's programs again.
#  - A namespace that comes and goes between two scrapes leaves no series behind.
# The agent tells the new namespace from the old by SO_NETNS_COOKIE (5.14+), else by
# struct net's hash_mix read with a BPF test run: where the kernel has the cookie, all
# of it runs a second time with the agent passed over it (OSI_NETNS_ID=hash_mix).
. "$(dirname "$0")/../lib.sh"
require_root
N=3 M=2 K=4
DROPLOAD=$HELPERS/dropload

# drop_out NAME COUNT: COUNT datagrams to 127.0.0.1 dropped by an nft rule in the
# namespace's output hook (no device yet: device ""); skips where nft cannot
drop_out() {
	nsx "$1" nft -f - <<'NFT' || skip "nft cannot create a filter table here"
table inet osi {
	chain output { type filter hook output priority 0; udp dport 5556 counter drop; }
}
NFT
	nsx "$1" "$DROPLOAD" udp 127.0.0.1 5556 "$2" >/dev/null
}

# reuse MODE: the whole story, the agent telling namespaces apart as it chooses (MODE
# "kernel") or by hash_mix (MODE "mix"); namespaces are named after MODE
reuse() {
	local m=$1 old new i j before brief
	agent_start_netns_id $m
	ns_create $m-peer $m-old
	ns_link $m-old $m-peer 192.0.2.1 192.0.2.2
	old=$(ns_inode $m-old)
	nsx $m-old "$TCPLOAD" connect 192.0.2.2 9 $N >/dev/null
	drop_out $m-old $N
	scrape
	assert_eq "$(metric osiscope_tcp_connects_total netns=$old result=refused)" $N "refused connects of the first namespace"
	assert_eq "$(metric osiscope_skb_drops_total netns=$old layer=l3 device=)" $N "output-hook drops of the first namespace"

	# delete it and make another at once (no scrape between): most often it gets the inode
	ip netns del "$T-$m-old"
	for i in $(seq $((50 * SCALE))); do
		ns_create "$m-new$i" 2>/dev/null
		new=$(ns_inode "$m-new$i")
		[ "$new" = "$old" ] && break
		sleep 0.05
	done
	# its drops first, before the agent (every 2 s) may notice the change: these must
	# count too
	drop_out "$m-new$i" $M
	log "first namespace inode $old, new one $new (reused: $([ "$new" = "$old" ] && echo yes || echo no))"
	ip -n "$T-$m-new$i" link add eth0 type veth peer name eth1 netns "$T-$m-peer"
	ip -n "$T-$m-new$i" addr add 198.51.100.1/24 dev eth0
	ip -n "$T-$m-peer" addr add 198.51.100.2/24 dev eth1
	ip -n "$T-$m-new$i" link set eth0 up
	ip -n "$T-$m-peer" link set eth1 up
	nsx "$m-new$i" "$TCPLOAD" connect 198.51.100.2 9 $M >/dev/null
	# the link collector follows new devices every 2 s: poll for its programs, bounded
	for j in $(seq $((50 * SCALE))); do
		scrape
		[ "$(metric osiscope_link_bpf_attached netns=$new device=eth0 hook=$(tc_hook ingress))" = 1 ] && break
		sleep 0.1
	done
	assert_eq "$(metric osiscope_tcp_connects_total netns=$new result=refused)" $M "refused connects of the namespace in its place"
	assert_eq "$(metric osiscope_skb_drops_total netns=$new layer=l3 device=)" $M "output-hook drops of the namespace in its place"
	assert_eq "$(metric osiscope_link_bpf_attached netns=$new device=eth0 hook=$(tc_hook ingress))" 1 \
		"link programs on the new namespace's device"
	# and they really count there: the new device's packets, not the old one's
	before=$(metric osiscope_link_protocol_packets_total netns=$new device=eth0 direction=transmit protocol=ipv4/tcp)
	nsx "$m-new$i" "$TCPLOAD" connect 198.51.100.2 9 1 >/dev/null
	scrape
	assert_eq $(($(metric osiscope_link_protocol_packets_total netns=$new device=eth0 direction=transmit protocol=ipv4/tcp) - before)) 1 \
		"a SYN out of the new device, seen by its tc program"

	# a namespace that lives only between two scrapes
	ns_create $m-brief
	ip -n "$T-$m-brief" link add eth0 type veth peer name eth2 netns "$T-$m-peer"
	ip -n "$T-$m-brief" addr add 203.0.113.1/24 dev eth0
	ip -n "$T-$m-peer" addr add 203.0.113.2/24 dev eth2
	ip -n "$T-$m-brief" link set eth0 up
	ip -n "$T-$m-peer" link set eth2 up
	brief=$(ns_inode $m-brief)
	nsx $m-brief "$TCPLOAD" connect 203.0.113.2 9 $K >/dev/null
	ip netns del "$T-$m-brief"
	# what the kernel counted for it shows up once, then goes with the next scans
	wait_series_gone "$brief" 60
	assert_eq "$(grep -c "netns=\"$brief\"" "$TMP/metrics")" 0 "series of a namespace that came and went between scrapes"
	agent_stop
}

each_netns_id reuse
finish
