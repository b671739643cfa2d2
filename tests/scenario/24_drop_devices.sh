#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Drops are counted per device: an nft egress chain on each of three veths drops what
# goes out of it, and each device's NETFILTER_DROP series equals its own chain's
# counter. When a device is deleted, its series and its kernel map entries go away
# (after one scrape has shown its last count, even when the agent's maintenance saw it
# go first); the other devices' stay.
. "$(dirname "$0")/../lib.sh"
require_root
require_drop_reasons
DROPLOAD=$HELPERS/dropload

chain_packets() { # CHAIN
	nsx dev nft list chain netdev osi "$1" | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
# map_keys IFINDEX: entries of the agent's drop map for that device in our namespace
# (the map is found through the agent's own file descriptors)
map_keys() { drop_map_entries "$ns" "$1"; }

agent_start
ns_create dev
ns=$(ns_inode dev)
nsx dev nft add table netdev osi
for k in 1 2 3; do
	ip -n "$T-dev" link add "v$k" type veth peer name "p$k"
	ip -n "$T-dev" link set "v$k" up
	ip -n "$T-dev" link set "p$k" up
	ip -n "$T-dev" addr add "198.51.100.$k/32" dev "v$k"
	ip -n "$T-dev" route add "203.0.113.$k/32" dev "v$k"
	# a permanent neighbour: no ARP goes out, only the datagrams
	ip -n "$T-dev" neigh add "203.0.113.$k" lladdr "02:00:00:00:00:0$k" dev "v$k" nud permanent
	nsx dev nft add chain netdev osi "e$k" "{ type filter hook egress device v$k priority 0; }" ||
		skip "nft netdev egress hook not available"
	nsx dev nft add rule netdev osi "e$k" udp dport 7777 counter drop
done
for k in 1 2 3; do
	out=$(nsx dev "$DROPLOAD" udp "203.0.113.$k" 7777 $((k * 3)))
	assert_eq "$(field sent "$out")" $((k * 3)) "datagrams sent out of v$k"
done
scrape
for k in 1 2 3; do
	assert_eq "$(chain_packets "e$k")" $((k * 3)) "v$k egress chain counter"
	assert_eq "$(metric osiscope_skb_drops_total netns=$ns layer=l3 reason=NETFILTER_DROP device=v$k)" \
		"$(chain_packets "e$k")" "v$k drops vs its chain's counter"
done
if2=$(nsx dev cat /sys/class/net/v2/ifindex)
# its netfilter drops, and whatever else v2 dropped (IPv6 multicast from p2, say)
assert_gt "$(map_keys "$if2")" 0 "map entries for v2"

ip -n "$T-dev" link del v2
# the agent's maintenance (every 2 s) lists devices between scrapes too: one that finds
# v2 gone must leave it to the next scrape to show its last count (it once deleted the
# series there, when the pass came between the device's removal and the scrape)
sleep 3
scrape # the one that sees v2 gone: its count is still shown
assert_eq "$(metric osiscope_skb_drops_total netns=$ns reason=NETFILTER_DROP device=v2)" 6 "v2 right after it went"
scrape
assert_eq "$(grep -c "netns=\"$ns\".*device=\"v2\"" "$TMP/metrics")" 0 "v2 series after it went"
assert_eq "$(map_keys "$if2")" 0 "map entries for v2 after it went"
assert_eq "$(metric osiscope_skb_drops_total netns=$ns reason=NETFILTER_DROP device=v1)" 3 "v1 stays"
assert_eq "$(metric osiscope_skb_drops_total netns=$ns reason=NETFILTER_DROP device=v3)" 9 "v3 stays"
finish
