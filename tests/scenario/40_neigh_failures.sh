#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Packets to on-link addresses nobody has (192.0.2.99, 2001:db8::99): exactly one
# resolution failure per family on the sender's device, as many solicitations as the
# device's mcast_solicit allows (ARP requests seen leaving, and arriving at the peer;
# Icmp6OutNeighborSolicits), and every packet the sender's kernel accepted counted as
# dropped while unresolved. Then again with unres_qlen_bytes so small that the queue
# holds one packet: the kernel's ICMP errors (one per packet still queued when the entry
# failed) drop to 1, and the count still covers all N (N-1 pushed out of the queue).
. "$(dirname "$0")/../lib.sh"
require_root
N=5
NEIGHSEND=$HELPERS/neighsend

agent_start
ns_create a b
for n in a b; do # no DAD or router solicitations: the only NDP is what the test causes
	nsx $n sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.router_solicitations=0
done
ns_link a b 192.0.2.1 192.0.2.2
ip -n "$T-a" addr add 2001:db8::1/64 dev eth0 nodad
# a failure after 3 probes 100 ms apart instead of 1 s
nsx a sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=100 net.ipv6.neigh.eth0.retrans_time_ms=100
a=$(ns_inode a)
b=$(ns_inode b)
solicit4=$(nsx a sysctl -n net.ipv4.neigh.eth0.mcast_solicit)
solicit6=$(nsx a sysctl -n net.ipv6.neigh.eth0.mcast_solicit)
snmp6() { nsx "$1" awk -v c="$3" '$1 == c { print $2 }' "/proc/net/dev_snmp6/$2"; }
# wait_failed ADDR: until the kernel says the entry failed (bounded)
wait_failed() {
	local i
	for i in $(seq $((100 * SCALE))); do
		nsx a ip neigh show "$1" dev eth0 | grep -q FAILED && return 0
		sleep 0.05
	done
	fail "$1 never went FAILED: $(nsx a ip neigh show "$1" dev eth0)"
}
# wait_mib NAME WANT: the ICMP errors are sent from the failing timer, just after the
# entry is marked FAILED
wait_mib() {
	local i
	for i in $(seq $((40 * SCALE))); do
		[ "$(mib a "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
}

log "--- queue large enough for all $N packets"
for addr in 192.0.2.99 2001:db8::99; do
	assert_eq "$(nsx a "$NEIGHSEND" $addr 9 $N)" "sent=$N" "packets accepted for $addr"
done
wait_failed 192.0.2.99
wait_failed 2001:db8::99
wait_mib IcmpOutDestUnreachs $N
wait_mib Icmp6OutDestUnreachs $N
scrape
assert_eq "$(metric osiscope_neigh_resolution_failures_total netns=$a device=eth0 family=ipv4)" 1 \
	"IPv4 resolution failures"
assert_eq "$(metric osiscope_neigh_resolution_failures_total netns=$a device=eth0 family=ipv6)" 1 \
	"IPv6 resolution failures"
assert_eq "$(mib a IcmpOutDestUnreachs)" $N "kernel: host unreachable errors, one per queued packet"
assert_eq "$(mib a Icmp6OutDestUnreachs)" $N "kernel: ICMPv6 address unreachable errors"
assert_eq "$(metric osiscope_neigh_unresolved_drops_total netns=$a device=eth0 family=ipv4)" $N \
	"IPv4 packets dropped while unresolved"
assert_eq "$(metric osiscope_neigh_unresolved_drops_total netns=$a device=eth0 family=ipv6)" $N \
	"IPv6 packets dropped while unresolved"
assert_eq "$(metric osiscope_arp_packets_total netns=$a device=eth0 direction=transmit op=request)" \
	"$solicit4" "ARP requests sent = mcast_solicit"
assert_eq "$(metric osiscope_arp_packets_total netns=$b device=eth0 direction=receive op=request)" \
	"$solicit4" "ARP requests received by the peer"
assert_eq "$(metric osiscope_arp_packets_total netns=$a device=eth0 direction=receive op=reply)" 0 \
	"ARP replies received"
ns6=$(snmp6 a eth0 Icmp6OutNeighborSolicits)
assert_eq "$ns6" "$solicit6" "kernel Icmp6OutNeighborSolicits = mcast_solicit"
assert_eq "$(metric osiscope_ndp_packets_total netns=$a device=eth0 direction=transmit type=neighbor_solicit)" \
	"$ns6" "neighbour solicitations sent vs Icmp6OutNeighborSolicits"
assert_eq "$(metric osiscope_neigh_resolution_failures_total netns=$b device=eth0 family=ipv4)" 0 \
	"no failure in the peer namespace"
assert_eq "$(metric osiscope_neigh_lladdr_changes_total netns=$a device=eth0 family=ipv4)" 0 \
	"no address change"

log "--- unres_qlen_bytes=1: the queue keeps only the newest packet"
nsx a sysctl -qw net.ipv4.neigh.eth0.unres_qlen_bytes=1 net.ipv6.neigh.eth0.unres_qlen_bytes=1
unreach4=$(mib a IcmpOutDestUnreachs)
unreach6=$(mib a Icmp6OutDestUnreachs)
for addr in 192.0.2.98 2001:db8::98; do
	assert_eq "$(nsx a "$NEIGHSEND" $addr 9 $N)" "sent=$N" "packets accepted for $addr"
done
wait_failed 192.0.2.98
wait_failed 2001:db8::98
wait_mib IcmpOutDestUnreachs $((unreach4 + 1))
wait_mib Icmp6OutDestUnreachs $((unreach6 + 1))
scrape
assert_eq "$(($(mib a IcmpOutDestUnreachs) - unreach4))" 1 "kernel: one IPv4 packet left queued at the failure"
assert_eq "$(($(mib a Icmp6OutDestUnreachs) - unreach6))" 1 "kernel: one IPv6 packet left queued at the failure"
assert_eq "$(metric osiscope_neigh_unresolved_drops_total netns=$a device=eth0 family=ipv4)" $((2 * N)) \
	"IPv4 drops: queued at the failure and pushed out of the queue"
assert_eq "$(metric osiscope_neigh_unresolved_drops_total netns=$a device=eth0 family=ipv6)" $((2 * N)) \
	"IPv6 drops: queued at the failure and pushed out of the queue"
assert_eq "$(metric osiscope_neigh_resolution_failures_total netns=$a device=eth0 family=ipv4)" 2 \
	"IPv4 resolution failures, one per address"
assert_eq "$(metric osiscope_neigh_resolution_failures_total netns=$a device=eth0 family=ipv6)" 2 \
	"IPv6 resolution failures, one per address"
assert_eq "$(nsx a ip -4 neigh show nud failed dev eth0 | wc -l)" 2 "kernel: failed IPv4 entries"
assert_eq "$(nsx a ip -6 neigh show nud failed dev eth0 | wc -l)" 2 "kernel: failed IPv6 entries"
finish
