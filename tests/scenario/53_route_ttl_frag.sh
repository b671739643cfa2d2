#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# client - router - server, forwarding on in the router only, routes only between the
# test's /24s (and /64s), IPv4 and IPv6:
# - N UDP probes with TTL 1 -> the router sends N time exceeded (type 11 code 0; v6
#   type 3), equal to its IcmpOutTimeExcds (Icmp6OutTimeExcds) delta, the client
#   receives N (IcmpInTimeExcds, Icmp6InTimeExcds), one icmp_ttl_exceeded_sent event per
#   IPv4 probe with the original destination;
# - N DF datagrams bigger than the router-server link's MTU -> the router sends N
#   fragmentation needed (type 3 code 4) with events naming the MTU, and N ICMPv6
#   packet too big (type 2, Icmp6OutPktTooBigs);
# - N datagrams forwarded into a prohibit route of the router -> N ICMP type 3 code 13
#   sent by the router, and no IPv4 route failure counted in any namespace of the test
#   (the IPv4 tracepoint cannot name the namespace of a softirq lookup), while the same
#   for IPv6 counts N prohibit failures in the router's namespace. Where the optional
#   fentry/kprobe on ip_error runs (57), the router's IPv4 input lookups are counted
#   there: N, each an event without a table (ip_error's, not the tracepoint's).
# Kernel-aware: without tracepoint icmp:icmp_send (Debian's 5.10) ICMPv4 errors sent
# come from the MIB by type, with the code empty, and there are no events to assert;
# with a program on icmp_rcv, received ICMPv4 come by type and code (summed here).
. "$(dirname "$0")/../lib.sh"
require_root
ROUTELOAD=$HELPERS/routeload
N=5

agent_start
ns_create cli rtr srv
ip -n "$T-cli" link add eth0 type veth peer name eth0 netns "$T-rtr" || { fail "veth cli-rtr"; exit 1; }
ip -n "$T-rtr" link add eth1 type veth peer name eth0 netns "$T-srv" || { fail "veth rtr-srv"; exit 1; }
nsx cli ip addr add 192.0.2.1/24 dev eth0
nsx cli ip addr add 2001:db8:1::1/64 dev eth0 nodad
nsx rtr ip addr add 192.0.2.254/24 dev eth0
nsx rtr ip addr add 2001:db8:1::fe/64 dev eth0 nodad
nsx rtr ip addr add 198.51.100.254/24 dev eth1
nsx rtr ip addr add 2001:db8:2::fe/64 dev eth1 nodad
nsx srv ip addr add 198.51.100.1/24 dev eth0
nsx srv ip addr add 2001:db8:2::1/64 dev eth0 nodad
nsx rtr ip link set eth1 mtu 1280
nsx srv ip link set eth0 mtu 1280
for l in "cli eth0" "rtr eth0" "rtr eth1" "srv eth0"; do set -- $l; nsx "$1" ip link set "$2" up; done
nsx cli ip route add 198.51.100.0/24 via 192.0.2.254
nsx cli ip route add 203.0.113.0/24 via 192.0.2.254
nsx cli ip -6 route add 2001:db8:2::/64 via 2001:db8:1::fe
nsx cli ip -6 route add 2001:db8:3::/64 via 2001:db8:1::fe
nsx srv ip route add 192.0.2.0/24 via 198.51.100.254
nsx srv ip -6 route add 2001:db8:1::/64 via 2001:db8:2::fe
nsx rtr ip route add prohibit 203.0.113.0/24
nsx rtr ip -6 route add prohibit 2001:db8:3::/64
nsx rtr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
	net.ipv4.icmp_ratemask=0 net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
cli=$(ns_inode cli) rtr=$(ns_inode rtr) srv=$(ns_inode srv)
# wait_mib NS COUNTER BASE WANT: bounded poll until the counter has grown by WANT
wait_mib() {
	for i in $(seq $((50 * SCALE))); do
		[ $(($(mib "$1" "$2") - $3)) -ge "$4" ] && return 0
		sleep 0.1
	done
	return 1
}
# the path first (neighbours resolved), proven by the server's port unreachables
u4=$(mib cli IcmpInDestUnreachs) u6=$(mib cli Icmp6InDestUnreachs)
nsx cli "$ROUTELOAD" udp 198.51.100.1 9 1 >/dev/null
nsx cli "$ROUTELOAD" udp 2001:db8:2::1 9 1 >/dev/null
wait_mib cli IcmpInDestUnreachs "$u4" 1 || fail "IPv4 path through the router"
wait_mib cli Icmp6InDestUnreachs "$u6" 1 || fail "IPv6 path through the router"

trace=$TMP/trace.json
"$OSI_BIN" trace -l route -o json --netns "$rtr" >"$trace" 2>"$trace.err" &
TRACE_PID=$!
for i in $(seq 100); do grep -q tracing "$trace.err" 2>/dev/null && break; sleep 0.1; done

ro4=$(mib rtr IcmpOutTimeExcds) ci4=$(mib cli IcmpInTimeExcds)
ro6=$(mib rtr Icmp6OutTimeExcds) ci6=$(mib cli Icmp6InTimeExcds)
nsx cli "$ROUTELOAD" udp 198.51.100.1 33434 $N ttl=1 >/dev/null
nsx cli "$ROUTELOAD" udp 2001:db8:2::1 33434 $N ttl=1 >/dev/null
wait_mib cli IcmpInTimeExcds "$ci4" $N
wait_mib cli Icmp6InTimeExcds "$ci6" $N

fo4=$(mib rtr IcmpOutDestUnreachs) fi4=$(mib cli IcmpInDestUnreachs)
fo6=$(mib rtr Icmp6OutPktTooBigs) fi6=$(mib cli Icmp6InPktTooBigs)
nsx cli "$ROUTELOAD" udp 198.51.100.1 9 $N size=1400 df >/dev/null
nsx cli "$ROUTELOAD" udp 2001:db8:2::1 9 $N size=1400 df >/dev/null
wait_mib cli IcmpInDestUnreachs "$fi4" $N
wait_mib cli Icmp6InPktTooBigs "$fi6" $N
fo4=$(($(mib rtr IcmpOutDestUnreachs) - fo4)) fi4=$(($(mib cli IcmpInDestUnreachs) - fi4))

po4=$(mib rtr IcmpOutDestUnreachs) pi4=$(mib cli IcmpInDestUnreachs)
nsx cli "$ROUTELOAD" udp 203.0.113.1 9 $N >/dev/null
nsx cli "$ROUTELOAD" udp 2001:db8:3::1 9 $N >/dev/null
wait_mib cli IcmpInDestUnreachs "$pi4" $N
po4=$(($(mib rtr IcmpOutDestUnreachs) - po4)) pi4=$(($(mib cli IcmpInDestUnreachs) - pi4))
kill -INT $TRACE_PID
wait $TRACE_PID

scrape
ro4=$(($(mib rtr IcmpOutTimeExcds) - ro4)) ci4=$(($(mib cli IcmpInTimeExcds) - ci4))
ro6=$(($(mib rtr Icmp6OutTimeExcds) - ro6)) ci6=$(($(mib cli Icmp6InTimeExcds) - ci6))
fo6=$(($(mib rtr Icmp6OutPktTooBigs) - fo6)) fi6=$(($(mib cli Icmp6InPktTooBigs) - fi6))

# sent4 NETNS TYPE CODE: ICMPv4 sent of that type and code from the tracepoint, else of
# that type from the MIB (code "")
if has_tracepoint icmp/icmp_send; then
	sent4() { metric osiscope_icmp_sent_total netns=$1 family=ipv4 type=$2 code=$3; }
else
	sent4() { metric osiscope_icmp_sent_total netns=$1 family=ipv4 type=$2 code=; }
	assert_eq "$(grep -c "route: ICMPv4 errors sent are counted by type only (kernel MIB), without their code" \
		"$TMP/agent.log")" 1 "no icmp:icmp_send: the agent says ICMPv4 errors sent have no code"
	log "skip: ICMPv4 events and codes sent need icmp:icmp_send (6.1 in Debian's kernels, not 5.10)"
fi

log "--- TTL exceeded"
assert_eq "$ro4" $N "kernel IcmpOutTimeExcds delta (router)"
assert_eq "$(sent4 $rtr 11 0)" "$ro4" "time exceeded sent (router)"
assert_eq "$ci4" $N "kernel IcmpInTimeExcds delta (client)"
assert_eq "$(metric osiscope_icmp_received_total netns=$cli family=ipv4 type=11)" "$ci4" "time exceeded received (client)"
assert_eq "$ro6" $N "kernel Icmp6OutTimeExcds delta (router)"
assert_eq "$(metric osiscope_icmp_sent_total netns=$rtr family=ipv6 type=3)" "$ro6" "ICMPv6 time exceeded sent (router)"
assert_eq "$(metric osiscope_icmp_received_total netns=$cli family=ipv6 type=3)" "$ci6" "ICMPv6 time exceeded received (client)"
assert_eq "$(metric_sum osiscope_icmp_sent_total netns=$cli family=ipv4 type=11)" 0 "time exceeded sent (client)"
has_tracepoint icmp/icmp_send &&
	assert_eq "$(grep '"type":"icmp_ttl_exceeded_sent"' "$trace" | grep '"src":"192.0.2.1"' |
		grep '"dst":"198.51.100.1"' | grep -c 'ttl=1 proto=17')" $N "time exceeded events with the original packet"

log "--- fragmentation needed / packet too big"
assert_eq "$fo4" $N "kernel IcmpOutDestUnreachs delta (router, fragmentation needed)"
if has_tracepoint icmp/icmp_send; then
	assert_eq "$(sent4 $rtr 3 4)" $N "fragmentation needed sent (router)"
	assert_eq "$(grep '"type":"icmp_frag_needed_sent"' "$trace" | grep '"dst":"198.51.100.1"' |
		grep -c 'code=4 mtu=1280 len=1428')" $N "fragmentation needed events with next hop MTU and length"
fi
assert_eq "$fo6" $N "kernel Icmp6OutPktTooBigs delta (router)"
assert_eq "$(metric osiscope_icmp_sent_total netns=$rtr family=ipv6 type=2)" "$fo6" "ICMPv6 packet too big sent (router)"
assert_eq "$fi6" $N "kernel Icmp6InPktTooBigs delta (client)"
assert_eq "$(metric osiscope_icmp_received_total netns=$cli family=ipv6 type=2)" "$fi6" "ICMPv6 packet too big received (client)"
assert_eq "$(metric_sum osiscope_icmp_received_total netns=$cli family=ipv4 type=3)" "$(mib cli IcmpInDestUnreachs)" \
	"destination unreachables received (client) vs IcmpInDestUnreachs (the namespace is younger than the agent)"
assert_eq "$((fi4 + pi4))" $((2 * N)) "kernel IcmpInDestUnreachs delta (client: frag needed and prohibited)"

log "--- forwarded into a prohibit route"
assert_eq "$po4" $N "kernel IcmpOutDestUnreachs delta (router, prohibited)"
if has_tracepoint icmp/icmp_send; then
	assert_eq "$(sent4 $rtr 3 13)" $N "communication prohibited sent (router)"
else # the MIB's type 3: frag needed and prohibited together
	assert_eq "$(sent4 $rtr 3)" "$(mib rtr IcmpMsgOutType3)" "destination unreachables sent (router) vs IcmpMsgOutType3"
fi
for ns in $cli $srv; do
	assert_eq "$(metric osiscope_route_lookup_failures_total netns=$ns family=ipv4 kind=prohibit)" 0 \
		"IPv4 prohibit failures in netns $ns (client, server)"
done
if has_fhook route ip_error; then
	assert_eq "$(metric osiscope_route_lookup_failures_total netns=$rtr family=ipv4 kind=prohibit)" $N \
		"IPv4 prohibit failures (router: its input lookups, from ip_error)"
	assert_eq "$(grep '"type":"route_lookup_failed"' "$trace" | grep '"dst":"203.0.113.1"' |
		grep 'kind=prohibit' | grep -vc 'table=')" $N "IPv4 prohibit events without a table (ip_error's)"
else
	assert_eq "$(metric osiscope_route_lookup_failures_total netns=$rtr family=ipv4 kind=prohibit)" 0 \
		"IPv4 prohibit failures (router: softirq lookups are not attributed without ip_error)"
fi
assert_eq "$(metric osiscope_route_lookup_failures_total netns=$rtr family=ipv6 kind=prohibit)" $N "IPv6 prohibit failures (router)"
assert_eq "$(metric osiscope_route_lookup_failures_total netns=$cli family=ipv6 kind=prohibit)" 0 "IPv6 prohibit failures (client)"
finish
