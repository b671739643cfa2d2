#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Datagrams and SYNs to closed ports are dropped by the receiver with reason NO_SOCKET
# (layer l4, its eth0): N UDP datagrams over IPv4 and N6 over IPv6 equal the kernel's
# UdpNoPorts and Udp6NoPorts deltas, and M TCP connects add M more, equal to the
# TcpOutRsts delta (each SYN is answered with a reset, then dropped).
. "$(dirname "$0")/../lib.sh"
require_root
require_drop_reasons
N=6 N6=3 M=5
DROPLOAD=$HELPERS/dropload

agent_start
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
ip -n "$T-cli" addr add 2001:db8::1/64 dev eth0 nodad
ip -n "$T-srv" addr add 2001:db8::2/64 dev eth0 nodad
srv=$(ns_inode srv)
udp0=$(mib srv UdpNoPorts)
udp60=$(mib srv Udp6NoPorts)
rst0=$(mib srv TcpOutRsts)

out=$(nsx cli "$DROPLOAD" udp 192.0.2.2 9999 $N)
assert_eq "$(field sent "$out")" $N "IPv4 datagrams sent"
out=$(nsx cli "$DROPLOAD" udp 2001:db8::2 9999 $N6)
assert_eq "$(field sent "$out")" $N6 "IPv6 datagrams sent"
for i in $(seq $((50 * SCALE))); do
	[ $(($(mib srv UdpNoPorts) - udp0 + $(mib srv Udp6NoPorts) - udp60)) -ge $((N + N6)) ] && break
	sleep 0.1
done
scrape
udp=$(($(mib srv UdpNoPorts) - udp0))
udp6=$(($(mib srv Udp6NoPorts) - udp60))
assert_eq "$udp" $N "kernel UdpNoPorts delta"
assert_eq "$udp6" $N6 "kernel Udp6NoPorts delta"
assert_eq "$(metric osiscope_skb_drops_total netns=$srv layer=l4 reason=NO_SOCKET device=eth0)" $((udp + udp6)) \
	"NO_SOCKET drops vs UdpNoPorts + Udp6NoPorts"

out=$(nsx cli "$TCPLOAD" connect 192.0.2.2 9 $M)
assert_eq "$(field refused "$out")" $M "refused connects"
scrape
rst=$(($(mib srv TcpOutRsts) - rst0))
assert_eq "$rst" $M "kernel TcpOutRsts delta"
assert_eq "$(metric osiscope_skb_drops_total netns=$srv layer=l4 reason=NO_SOCKET device=eth0)" $((udp + udp6 + rst)) \
	"NO_SOCKET drops, SYNs to the closed port added"
assert_eq "$(metric osiscope_skb_drops_total netns="$(ns_inode cli)" reason=NO_SOCKET)" 0 \
	"no NO_SOCKET drop in the client's namespace"
finish
