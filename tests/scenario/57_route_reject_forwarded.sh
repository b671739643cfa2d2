#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# IPv4 reject routes met by forwarded traffic, where the kernel allows the optional
# fentry/kprobe on ip_error: such lookups run in softirq, where the fib_table_lookup
# tracepoint cannot say whose namespace looks up. A client sends through a router
# namespace Nu datagrams to an unreachable route, Np to a prohibit route and Nb to a
# blackhole route -> exactly those counts in the router's namespace (every IPv4 packet
# it received: its IpInReceives delta, none forwarded), none in the client's. The
# router's own T sends to the prohibit route (a task's lookup, the tracepoint's) add T,
# not counted twice. With forwarding off, the same datagrams are the kernel's address
# errors (IpInAddrErrors), not reject routes: the counts stay. Where neither program
# can run (kernels without kprobes that refuse fentry, like this CI host), the agent
# starts anyway, says why, and `probe` shows none/ip_error with the reason: skipped.
. "$(dirname "$0")/../lib.sh"
require_root
ROUTELOAD=$HELPERS/routeload
Nu=3 Np=4 Nb=5 T=2 Nx=3

agent_start
require_fhook route ip_error
ns_create cli rtr
ns_link cli rtr 192.0.2.1 192.0.2.2
nsx cli ip route add 198.51.100.0/24 via 192.0.2.2
nsx rtr sysctl -qw net.ipv4.ip_forward=1
nsx rtr ip route add unreachable 198.51.100.0/26
nsx rtr ip route add prohibit 198.51.100.64/26
nsx rtr ip route add blackhole 198.51.100.128/26
cli=$(ns_inode cli) rtr=$(ns_inode rtr)
rcv=$(mib rtr IpInReceives) fwd=$(mib rtr IpForwDatagrams) noroute=$(mib rtr IpExtInNoRoutes)

send() { # ADDR COUNT: every datagram leaves the client
	local r
	r=$(nsx cli "$ROUTELOAD" udp "$1" 9 "$2")
	assert_eq "$(field ok "$r")" "$2" "datagrams to $1"
}
wait_rcv() { # COUNT: until the router has received that many IPv4 packets since $rcv
	for i in $(seq $((50 * SCALE))); do
		[ $(($(mib rtr IpInReceives) - rcv)) -ge "$1" ] && break
		sleep 0.1
	done
}
lookups() { metric osiscope_route_lookup_failures_total netns=$1 family=ipv4 kind=$2; }

send 198.51.100.1 $Nu
send 198.51.100.65 $Np
send 198.51.100.129 $Nb
r=$(nsx rtr "$ROUTELOAD" udp 198.51.100.66 9 $T)
assert_eq "$(field eacces "$r")" $T "the router's own sends to the prohibit route: EACCES"
wait_rcv $((Nu + Np + Nb))
scrape
assert_eq "$(($(mib rtr IpInReceives) - rcv))" $((Nu + Np + Nb)) "kernel IpInReceives delta (router)"
assert_eq "$(($(mib rtr IpForwDatagrams) - fwd))" 0 "kernel IpForwDatagrams delta (router)"
assert_eq "$(($(mib rtr IpExtInNoRoutes) - noroute))" 0 "kernel IpExtInNoRoutes delta (router)"
assert_eq "$(lookups $rtr unreachable)" $Nu "router: unreachable route lookups"
assert_eq "$(lookups $rtr prohibit)" $((Np + T)) "router: prohibit route lookups (forwarded + its own)"
assert_eq "$(lookups $rtr blackhole)" $Nb "router: blackhole route lookups"
assert_eq "$(lookups $rtr no_route)" 0 "router: no_route lookups"
for kind in unreachable prohibit blackhole; do
	assert_eq "$(lookups $cli $kind)" 0 "client: $kind route lookups"
done

# forwarding off: the router turns every packet not for it into an address error
addrerr=$(mib rtr IpInAddrErrors) rcv=$(mib rtr IpInReceives)
nsx rtr sysctl -qw net.ipv4.ip_forward=0
send 198.51.100.1 $Nx
send 198.51.100.65 $Nx
wait_rcv $((2 * Nx))
for i in $(seq $((50 * SCALE))); do
	[ $(($(mib rtr IpInAddrErrors) - addrerr)) -ge $((2 * Nx)) ] && break
	sleep 0.1
done
scrape
assert_eq "$(($(mib rtr IpInAddrErrors) - addrerr))" $((2 * Nx)) "kernel IpInAddrErrors delta (router, not forwarding)"
assert_eq "$(lookups $rtr unreachable)" $Nu "router, not forwarding: unreachable route lookups unchanged"
assert_eq "$(lookups $rtr prohibit)" $((Np + T)) "router, not forwarding: prohibit route lookups unchanged"
finish
