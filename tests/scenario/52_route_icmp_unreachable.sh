#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# N UDP datagrams to a closed port, IPv4 and IPv6 -> the server's namespace sends N
# port unreachables: ICMP type 3 code 3 equal to its IcmpOutDestUnreachs delta (and
# IcmpMsg OutType3), ICMPv6 type 1 equal to Icmp6OutDestUnreachs; the client's
# namespace receives N: type 3 equal to IcmpInDestUnreachs, type 1 to
# Icmp6InDestUnreachs (received messages carry no code: the MIB has none).
# Without tracepoint icmp:icmp_send (Debian's 5.10) the agent counts ICMPv4 errors sent
# from the MIB, by type with the code empty, and says so: type 3 with code "".
. "$(dirname "$0")/../lib.sh"
require_root
ROUTELOAD=$HELPERS/routeload
N=6

agent_start
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
nsx cli ip addr add 2001:db8::1/64 dev eth0 nodad
nsx srv ip addr add 2001:db8::2/64 dev eth0 nodad
# no ICMP rate limit in the server: every datagram gets its answer
nsx srv sysctl -qw net.ipv4.icmp_ratemask=0 net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
cli=$(ns_inode cli)
srv=$(ns_inode srv)
so4=$(mib srv IcmpOutDestUnreachs) st4=$(mib srv IcmpMsgOutType3) ci4=$(mib cli IcmpInDestUnreachs)
so6=$(mib srv Icmp6OutDestUnreachs) ci6=$(mib cli Icmp6InDestUnreachs)

r=$(nsx cli "$ROUTELOAD" udp 192.0.2.2 9 $N)
assert_eq "$(field ok "$r")" $N "IPv4 datagrams sent"
r=$(nsx cli "$ROUTELOAD" udp 2001:db8::2 9 $N)
assert_eq "$(field ok "$r")" $N "IPv6 datagrams sent"
# the answers travel back through the veth softirq: wait until the client has them all
for i in $(seq $((50 * SCALE))); do
	[ $(($(mib cli IcmpInDestUnreachs) - ci4)) -ge $N ] && [ $(($(mib cli Icmp6InDestUnreachs) - ci6)) -ge $N ] && break
	sleep 0.1
done

scrape
so4=$(($(mib srv IcmpOutDestUnreachs) - so4)) st4=$(($(mib srv IcmpMsgOutType3) - st4))
ci4=$(($(mib cli IcmpInDestUnreachs) - ci4))
so6=$(($(mib srv Icmp6OutDestUnreachs) - so6)) ci6=$(($(mib cli Icmp6InDestUnreachs) - ci6))
assert_eq "$so4" $N "kernel IcmpOutDestUnreachs delta (server)"
assert_eq "$st4" $N "kernel IcmpMsgOutType3 delta (server)"
if has_tracepoint icmp/icmp_send; then
	assert_eq "$(metric osiscope_icmp_sent_total netns=$srv family=ipv4 type=3 code=3)" "$so4" \
		"port unreachables sent (server, type 3 code 3)"
	assert_eq "$(metric osiscope_icmp_sent_total netns=$srv family=ipv4 type=3 code=4)" 0 \
		"fragmentation needed sent (server)"
else
	assert_eq "$(grep -c "route: ICMPv4 errors sent are counted by type only (kernel MIB), without their code" \
		"$TMP/agent.log")" 1 "no icmp:icmp_send: the agent says ICMPv4 errors sent have no code"
	assert_eq "$(metric osiscope_icmp_sent_total netns=$srv family=ipv4 type=3 code=)" "$st4" \
		"destination unreachables sent (server, type 3, MIB: no code)"
	assert_eq "$(grep -c "^osiscope_icmp_sent_total{netns=\"$srv\",family=\"ipv4\",type=\"3\",code=\"[0-9]" "$TMP/metrics")" 0 \
		"no ICMPv4 series with a code (server)"
fi
assert_eq "$ci4" $N "kernel IcmpInDestUnreachs delta (client)"
assert_eq "$(metric osiscope_icmp_received_total netns=$cli family=ipv4 type=3)" "$ci4" \
	"destination unreachables received (client, type 3)"
assert_eq "$(metric_sum osiscope_icmp_sent_total netns=$cli family=ipv4 type=3)" 0 \
	"destination unreachables sent (client)"
assert_eq "$so6" $N "kernel Icmp6OutDestUnreachs delta (server)"
assert_eq "$(metric osiscope_icmp_sent_total netns=$srv family=ipv6 type=1)" "$so6" \
	"ICMPv6 destination unreachables sent (server, type 1)"
assert_eq "$ci6" $N "kernel Icmp6InDestUnreachs delta (client)"
assert_eq "$(metric osiscope_icmp_received_total netns=$cli family=ipv6 type=1)" "$ci6" \
	"ICMPv6 destination unreachables received (client, type 1)"
finish
