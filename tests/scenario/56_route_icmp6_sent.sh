#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# ICMPv6 errors sent by type and code, where the kernel allows the optional fentry/kprobe
# on icmpv6_push_pending_frames (no tracepoint sees ICMPv6 sent). A router namespace gets
# N datagrams to a closed port of its own (type 1 code 4), M to a prohibit route
# (type 1 code 1), U to an unreachable route (type 1 code 0) and K with hop limit 1 to a
# route it would forward (type 3 code 0) -> exactly those counts in its namespace, their
# sums equal to its Icmp6OutDestUnreachs and Icmp6OutTimeExcds deltas. R address
# unreachables (type 1 code 3) the router sends from a raw socket, which the program does
# not see, are the only code-less (MIB) series beside them. Where neither program can
# run (kernels without kprobes that refuse fentry, like this CI host), the agent starts
# anyway, says why, and `probe` shows none/icmpv6_push_pending_frames with the reason:
# skipped.
. "$(dirname "$0")/../lib.sh"
require_root
ROUTELOAD=$HELPERS/routeload
N=4 M=3 U=2 K=2 R=3

agent_start
require_fhook route icmpv6_push_pending_frames
ns_create cli rtr
ns_link cli rtr 192.0.2.1 192.0.2.2
nsx cli ip addr add 2001:db8::1/64 dev eth0 nodad
nsx rtr ip addr add 2001:db8::2/64 dev eth0 nodad
nsx cli ip -6 route add 2001:db8:f000::/36 via 2001:db8::2
# no rate limit on the router's errors, so that each datagram gets its answer
nsx rtr sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.icmp.ratelimit=0
nsx rtr ip -6 route add unreachable 2001:db8:f001::/64
nsx rtr ip -6 route add prohibit 2001:db8:f002::/64
# a route the router would forward by (to a neighbour that never answers): hop limit
# 1 ends there first
nsx rtr ip -6 route add 2001:db8:f003::/64 via 2001:db8::3 dev eth0
rtr=$(ns_inode rtr)
du=$(mib rtr Icmp6OutDestUnreachs) te=$(mib rtr Icmp6OutTimeExcds)

send() { # ADDR COUNT [OPTION]: every datagram leaves the client
	local r
	r=$(nsx cli "$ROUTELOAD" udp "$1" 9 "$2" ${3:-})
	assert_eq "$(field ok "$r")" "$2" "datagrams to $1 ${3:-}"
}
send 2001:db8::2 $N
send 2001:db8:f002::1 $M
send 2001:db8:f001::1 $U
send 2001:db8:f003::1 $K ttl=1
r=$(nsx rtr "$ROUTELOAD" icmp 2001:db8::1 $R 1 3)
assert_eq "$(field ok "$r")" $R "ICMPv6 address unreachables sent from a raw socket"
for i in $(seq $((50 * SCALE))); do
	[ $(($(mib rtr Icmp6OutDestUnreachs) - du)) -ge $((N + M + U + R)) ] &&
		[ $(($(mib rtr Icmp6OutTimeExcds) - te)) -ge $K ] && break
	sleep 0.1
done
scrape
du=$(($(mib rtr Icmp6OutDestUnreachs) - du)) te=$(($(mib rtr Icmp6OutTimeExcds) - te))
assert_eq "$du" $((N + M + U + R)) "kernel Icmp6OutDestUnreachs delta (router)"
assert_eq "$te" $K "kernel Icmp6OutTimeExcds delta (router)"
sent() { metric osiscope_icmp_sent_total netns=$rtr family=ipv6 "$@"; }
assert_eq "$(sent type=1 code=4)" $N "ICMPv6 port unreachables sent (type 1 code 4)"
assert_eq "$(sent type=1 code=1)" $M "ICMPv6 administratively prohibited sent (type 1 code 1)"
assert_eq "$(sent type=1 code=0)" $U "ICMPv6 no route sent (type 1 code 0)"
assert_eq "$(sent type=3 code=0)" $K "ICMPv6 hop limit exceeded sent (type 3 code 0)"
sum=$(awk -v ns="$rtr" '/^osiscope_icmp_sent_total\{/ && index($0, "netns=\"" ns "\"") &&
	/family="ipv6"/ && /type="1"/ { s += $NF } END { printf "%.0f\n", s }' "$TMP/metrics")
assert_eq "$sum" "$du" "type 1 series of the router, summed, against Icmp6OutDestUnreachs"
sum=$(awk -v ns="$rtr" '/^osiscope_icmp_sent_total\{/ && index($0, "netns=\"" ns "\"") &&
	/family="ipv6"/ && /type="3"/ { s += $NF } END { printf "%.0f\n", s }' "$TMP/metrics")
assert_eq "$sum" "$te" "type 3 series of the router, summed, against Icmp6OutTimeExcds"
assert_eq "$(sent type=1 code=3)" 0 "the raw socket's address unreachables: not seen by the program"
assert_eq "$(sent type=1 code=)" $R "they are the MIB's rest of type 1, code empty"
assert_eq "$(grep -c 'osiscope_icmp_sent_total{.*netns="'$rtr'".*family="ipv6".*type="3".*code=""' "$TMP/metrics")" 0 \
	"no code-less (MIB) series for type 3, all seen by the program"
finish
