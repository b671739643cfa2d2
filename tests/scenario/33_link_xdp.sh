#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# --link.xdp=DEV,...: on a device that already has someone's XDP program, that program
# stays (same id), the agent says so and counts that device's receive side with tc;
# on a free device the agent's XDP program counts the receive side, exactly (N echo
# replies, M ARP replies); when the agent exits its XDP program is gone and the other
# one is still there. Device names are unique to the test: the agent applies
# --link.xdp to devices of that name in every namespace.
. "$(dirname "$0")/../lib.sh"
require_root
LP=$HELPERS/linkpkt
[ -x "$LP" ] || { fail "$LP not built"; finish; }
N=6 M=3
XA=xa$$ XB=xb$$

quiet() { for n; do nsx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done; }
xdp_id() { nsx "$1" ip -d link show dev "$2" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }
xdp_name() { nsx "$1" ip -d link show dev "$2" | sed -n 's/.*prog\/xdp id [0-9]* name \([^ ]*\).*/\1/p'; }
proto() { metric osiscope_link_protocol_packets_total netns=$1 device=$2 direction=$3 protocol=$4; }

ns_create a b
quiet a b
nsx a ip link add "$XA" type veth peer name "$XB" netns "$T-b"
nsx a ip addr add 198.51.100.1/24 dev "$XA"
nsx b ip addr add 198.51.100.2/24 dev "$XB"
nsx a ip link set "$XA" up
nsx b ip link set "$XB" up
# permanent neighbours: the only ARP frames are the test's
nsx a ip neigh replace 198.51.100.2 lladdr "$(nsx b cat /sys/class/net/"$XB"/address)" dev "$XA" nud permanent
nsx b ip neigh replace 198.51.100.1 lladdr "$(nsx a cat /sys/class/net/"$XA"/address)" dev "$XB" nud permanent
a=$(ns_inode a)
b=$(ns_inode b)
out=$(nsx b "$LP" xdp-attach "$XB") || skip "cannot attach an XDP program here: $out"
theirs=${out#id=}
assert_eq "$(xdp_id b "$XB")" "$theirs" "someone's XDP program on b/$XB"

agent_start --link.xdp="$XA,$XB"
for i in $(seq $((50 * SCALE))); do
	scrape
	[ "$(metric osiscope_link_bpf_attached netns=$a device=$XA hook=xdp)" = 1 ] &&
		[ "$(metric osiscope_link_bpf_attached netns=$b device=$XB hook=tcx_ingress)$(metric osiscope_link_bpf_attached netns=$b device=$XB hook=tc_ingress)" != 00 ] && break
	sleep 0.1
done
assert_eq "$(grep -c "device $XB already has an XDP program (id $theirs, name someone_xdp" "$TMP/agent.log")" 1 "the agent says it left b/$XB's program in place"
assert_eq "$(xdp_id b "$XB")" "$theirs" "b/$XB still runs the same XDP program"
assert_eq "$(xdp_name a "$XA")" "$(link_prog link_xdp)" "a/$XA runs the agent's XDP program"
assert_eq "$(metric osiscope_link_bpf_attached netns=$a device=$XA hook=xdp)" 1 "a/$XA: xdp counts its receive side"
assert_eq "$(metric osiscope_link_bpf_attached netns=$a device=$XA hook=tcx_ingress)$(metric osiscope_link_bpf_attached netns=$a device=$XA hook=tc_ingress)" 00 "a/$XA: no tc ingress program beside XDP"
assert_eq "$(metric osiscope_link_bpf_attached netns=$b device=$XB hook=xdp)" 0 "b/$XB: no XDP of ours"

out=$(nsx a "$LP" ping 198.51.100.2 $N)
assert_eq "$out" "sent=$N replies=$N" "pings answered"
nsx a "$LP" arp "$XA" 198.51.100.1 198.51.100.2 $M >/dev/null || fail "arp requests"
# b answers the ARP requests in its softirq: wait for them on a
for i in $(seq $((50 * SCALE))); do
	scrape
	[ "$(proto $a "$XA" receive arp)" -ge $M ] && break
	sleep 0.1
done
assert_eq "$(proto $a "$XA" receive ipv4/icmp)" $N "a/$XA rx ipv4/icmp (XDP)"
assert_eq "$(proto $a "$XA" receive arp)" $M "a/$XA rx arp (XDP): the replies"
assert_eq "$(metric osiscope_link_broadcast_packets_total netns=$a device=$XA direction=receive)" 0 "a/$XA rx broadcast (XDP)"
assert_eq "$(proto $a "$XA" transmit ipv4/icmp)" $N "a/$XA tx ipv4/icmp (tc)"
assert_eq "$(proto $b "$XB" receive ipv4/icmp)" $N "b/$XB rx ipv4/icmp (tc, beside their XDP)"
assert_eq "$(proto $b "$XB" receive arp)" $M "b/$XB rx arp (tc)"
assert_eq "$(metric osiscope_link_broadcast_packets_total netns=$b device=$XB direction=receive)" $M "b/$XB rx broadcast: the ARP requests"

agent_stop
assert_eq "$AGENT_RC" 0 "agent exit status"
assert_eq "$(xdp_id a "$XA")" "" "no XDP program left on a/$XA"
assert_eq "$(xdp_id b "$XB")" "$theirs" "their XDP program still on b/$XB"
finish
