#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Routing faults, each in namespaces of its own, while diagnose watches:
#  - no route at all: a connect fails with ENETUNREACH -> L3 no_route in that namespace,
#    counting exactly the namespace's IpOutNoRoutes delta;
#  - an unreachable and a prohibit route: connects fail at once -> L3 route_unreachable
#    and route_prohibit, each naming the destination;
#  - an unreachable route on a router: the client's connects through it fail with
#    EHOSTUNREACH (the router's ICMP) -> one L3 route_unreachable problem in the router's
#    namespace, the client's failed connects its symptom, no L3/L4 problem of the
#    client's own.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/diag.sh"
require_root
N=2

ns_create nr ur pr cli rtr
for n in ur pr; do nsx $n ip link add dummy0 type dummy && nsx $n ip link set dummy0 up; done
nsx ur ip route add unreachable 198.51.100.0/26
nsx pr ip route add prohibit 198.51.100.64/26
ns_link cli rtr 192.0.2.1 192.0.2.254
nsx cli ip route add default via 192.0.2.254
nsx rtr sysctl -qw net.ipv4.ip_forward=1
nsx rtr ip route add unreachable 203.0.113.0/24
nr=$(ns_inode nr)
ur=$(ns_inode ur)
pr=$(ns_inode pr)
cli=$(ns_inode cli)
rtr=$(ns_inode rtr)
noroute0=$(mib nr IpOutNoRoutes)

diag_start 8
r_nr=$(nsx nr "$TCPLOAD" connect 198.51.100.1 80 $N)
r_ur=$(nsx ur "$TCPLOAD" connect 198.51.100.1 80 $N)
r_pr=$(nsx pr "$TCPLOAD" connect 198.51.100.65 80 $N)
r_cli=$(nsx cli "$TCPLOAD" connect 203.0.113.5 80 $N)
diag_wait

assert_eq "$(field unreachable "$r_nr")" $N "no route: connects failed (ENETUNREACH)"
assert_eq "$(field unreachable "$r_ur")" $N "unreachable route: connects failed (EHOSTUNREACH)"
assert_eq "$(field other "$r_pr")" $N "prohibit route: connects failed (EACCES)"
assert_eq "$(field unreachable "$r_cli")" $N "through the router: connects failed (EHOSTUNREACH)"

assert_eq "$(first_problem $nr)" "l3 no_route " "no route: first problem"
assert_eq "$(first_field count $nr)" $(($(mib nr IpOutNoRoutes) - noroute0)) \
	"no route: its count is the IpOutNoRoutes delta"
assert_eq "$(first_problem $ur)" "l3 route_unreachable 198.51.100.1" "unreachable route: first problem"
assert_eq "$(first_field count $ur)" $N "unreachable route: one lookup per connect"
assert_eq "$(first_problem $pr)" "l3 route_prohibit 198.51.100.65" "prohibit route: first problem"
assert_eq "$(first_problem $cli $rtr)" "l3 route_unreachable 203.0.113.5" "router: first problem"
assert_eq "$(first_field netns $cli $rtr)" "$rtr" "router: in the router's namespace"
# (the tcp collector's connect_unreachable events: one per connect is not guaranteed)
assert_eq "$(first_field symptoms $cli $rtr | grep -c "TCP connects\? to 203.0.113.5:80 failed: EHOSTUNREACH (netns $cli")" 1 \
	"router: the client's connects are its symptom"
assert_nproblems 0 "router: the client has no problem of its own" $cli
finish
