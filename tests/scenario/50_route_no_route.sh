#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# N connects and M UDP sends to addresses no route covers, IPv4 and IPv6 -> N + M route
# failures of kind no_route in the client's namespace, equal to its IpOutNoRoutes
# (Ip6OutNoRoutes) delta; M failed sends with ENETUNREACH; no reject-route kinds.
. "$(dirname "$0")/../lib.sh"
require_root
ROUTELOAD=$HELPERS/routeload
N=5 M=3

agent_start
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
nsx cli ip addr add 2001:db8::1/64 dev eth0 nodad
cli=$(ns_inode cli)
out4=$(mib cli IpOutNoRoutes) in4=$(mib cli IpExtInNoRoutes)
out6=$(mib cli Ip6OutNoRoutes) in6=$(mib cli Ip6InNoRoutes)

r=$(nsx cli "$TCPLOAD" connect 203.0.113.9 80 $N)
assert_eq "$(field unreachable "$r")" $N "IPv4 connects that failed with ENETUNREACH (client's view)"
r=$(nsx cli "$ROUTELOAD" udp 203.0.113.9 53 $M)
assert_eq "$(field enetunreach "$r")" $M "IPv4 UDP sends that failed with ENETUNREACH"
r=$(nsx cli "$TCPLOAD" connect 2001:db8:ffff::9 80 $N)
assert_eq "$(field unreachable "$r")" $N "IPv6 connects that failed with ENETUNREACH"
r=$(nsx cli "$ROUTELOAD" udp 2001:db8:ffff::9 53 $M)
assert_eq "$(field enetunreach "$r")" $M "IPv6 UDP sends that failed with ENETUNREACH"

scrape
d4=$(($(mib cli IpOutNoRoutes) - out4 + $(mib cli IpExtInNoRoutes) - in4))
d6=$(($(mib cli Ip6OutNoRoutes) - out6 + $(mib cli Ip6InNoRoutes) - in6))
assert_eq "$d4" $((N + M)) "kernel IpOutNoRoutes + IpExtInNoRoutes delta"
assert_eq "$d6" $((N + M)) "kernel Ip6OutNoRoutes + Ip6InNoRoutes delta"
assert_eq "$(metric osiscope_route_lookup_failures_total netns=$cli family=ipv4 kind=no_route)" "$d4" \
	"IPv4 no_route failures vs the MIB"
assert_eq "$(metric osiscope_route_lookup_failures_total netns=$cli family=ipv6 kind=no_route)" "$d6" \
	"IPv6 no_route failures vs the MIB"
for fam in ipv4 ipv6; do
	assert_eq "$(metric osiscope_route_send_failures_total netns=$cli family=$fam error=ENETUNREACH)" $M \
		"$fam sends failed with ENETUNREACH"
	assert_eq "$(metric osiscope_route_send_failures_total netns=$cli family=$fam error=EHOSTUNREACH)" 0 \
		"$fam sends failed with EHOSTUNREACH"
	for kind in unreachable prohibit blackhole; do
		assert_eq "$(metric osiscope_route_lookup_failures_total netns=$cli family=$fam kind=$kind)" 0 \
			"$fam $kind failures"
	done
done
finish
