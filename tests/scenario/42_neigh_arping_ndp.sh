#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# arping: N requests -> N ARP requests seen leaving the sender's device and arriving at
# the peer's, N replies the other way (arping's own "Sent"/"Received" counts); G
# unsolicited ARPs (-U, requests) and G ARP announcements (-A, replies) with sender IP =
# target IP counted as gratuitous only. IPv6: N times a fresh resolution -> N neighbour
# solicitations out and N advertisements in, each NDP series equal to the device's own
# ICMPv6 MIB (/proc/net/dev_snmp6/eth0) in both namespaces.
. "$(dirname "$0")/../lib.sh"
require_root
command -v arping >/dev/null || skip "arping (package iputils-arping) not installed"
N=3 G=2
NEIGHSEND=$HELPERS/neighsend

agent_start
ns_create a b
for n in a b; do # no DAD or router solicitations: the only NDP is what the test causes
	nsx $n sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.router_solicitations=0
done
ns_link a b 192.0.2.1 192.0.2.2
ip -n "$T-a" addr add 2001:db8::1/64 dev eth0 nodad
ip -n "$T-b" addr add 2001:db8::2/64 dev eth0 nodad
# b answers a's UDP with port unreachable through the entry a's solicitation left; its
# reachability probe would come 5 s later: keep it out of the test
nsx b sysctl -qw net.ipv4.neigh.eth0.delay_first_probe_time=60 net.ipv6.neigh.eth0.delay_first_probe_time=60
a=$(ns_inode a)
b=$(ns_inode b)
arp() { metric osiscope_arp_packets_total netns="$1" device=eth0 direction="$2" op="$3"; }
ndp() { metric osiscope_ndp_packets_total netns="$1" device=eth0 direction="$2" type="$3"; }
snmp6() { nsx "$1" awk -v c="$2" '$1 == c { print $2 }' /proc/net/dev_snmp6/eth0; }

log "--- arping: $N requests"
out=$(nsx a arping -c $N -w 10 -I eth0 192.0.2.2)
sent=$(echo "$out" | awk '/^Sent/ { print $2 }')
received=$(echo "$out" | awk '/^Received/ { print $2 }')
assert_eq "$sent" $N "arping: requests sent"
assert_eq "$received" $N "arping: replies received"
scrape
assert_eq "$(arp $a transmit request)" "$sent" "a: ARP requests sent"
assert_eq "$(arp $a receive reply)" "$received" "a: ARP replies received"
assert_eq "$(arp $b receive request)" "$sent" "b: ARP requests received"
assert_eq "$(arp $b transmit reply)" "$received" "b: ARP replies sent"
assert_eq "$(arp $a receive request)" 0 "a: ARP requests received"
assert_eq "$(arp $a transmit gratuitous)" 0 "a: gratuitous ARPs sent"

log "--- $G unsolicited ARPs (-U) and $G announcements (-A)"
gu=$(nsx a arping -U -c $G -I eth0 192.0.2.1 | awk '/^Sent/ { print $2 }')
ga=$(nsx a arping -A -c $G -I eth0 192.0.2.1 | awk '/^Sent/ { print $2 }')
assert_eq "$((gu + ga))" $((2 * G)) "arping: gratuitous ARPs sent"
scrape
assert_eq "$(arp $a transmit gratuitous)" $((gu + ga)) "a: gratuitous ARPs sent"
assert_eq "$(arp $b receive gratuitous)" $((gu + ga)) "b: gratuitous ARPs received"
assert_eq "$(arp $a transmit request)" "$sent" "a: requests unchanged by gratuitous ones"
assert_eq "$(arp $a transmit reply)" 0 "a: replies unchanged by announcements"

log "--- $N IPv6 resolutions"
for i in $(seq $N); do
	nsx a ip -6 neigh flush dev eth0
	nsx a "$NEIGHSEND" 2001:db8::2 9 1 >/dev/null
	for j in $(seq $((40 * SCALE))); do
		nsx a ip -6 neigh show 2001:db8::2 dev eth0 | grep -q REACHABLE && break
		sleep 0.05
	done
done
scrape
assert_eq "$(snmp6 a Icmp6OutNeighborSolicits)" $N "kernel: a's Icmp6OutNeighborSolicits"
assert_eq "$(snmp6 a Icmp6InNeighborAdvertisements)" $N "kernel: a's Icmp6InNeighborAdvertisements"
assert_eq "$(ndp $a transmit neighbor_solicit)" $N "a: neighbour solicitations sent"
assert_eq "$(ndp $a receive neighbor_advert)" $N "a: neighbour advertisements received"
assert_eq "$(ndp $b receive neighbor_solicit)" $N "b: neighbour solicitations received"
assert_eq "$(ndp $b transmit neighbor_advert)" $N "b: neighbour advertisements sent"
for ns in a b; do
	inode=$(ns_inode $ns)
	for t in NeighborSolicits:neighbor_solicit NeighborAdvertisements:neighbor_advert \
		RouterSolicits:router_solicit RouterAdvertisements:router_advert Redirects:redirect; do
		assert_eq "$(ndp $inode receive ${t#*:})" "$(snmp6 $ns Icmp6In${t%:*})" "$ns: Icmp6In${t%:*}"
		assert_eq "$(ndp $inode transmit ${t#*:})" "$(snmp6 $ns Icmp6Out${t%:*})" "$ns: Icmp6Out${t%:*}"
	done
done
assert_eq "$(metric osiscope_neigh_resolution_failures_total netns=$a device=eth0 family=ipv6)" 0 \
	"no IPv6 failure (flushing is not one)"
assert_eq "$(grep -c '^osiscope_ndp_packets_total{netns="'"$a"'",device="lo"' "$TMP/metrics")" 0 \
	"no series for loopback"
finish
