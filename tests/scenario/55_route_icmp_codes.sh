#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# ICMP received by type and code, where the kernel allows the optional fentry/kprobe on
# icmp_rcv / icmpv6_rcv (no tracepoint sees received ICMP): N datagrams to a closed port
# and M to a port the server rejects as administratively prohibited, IPv4 and IPv6 ->
# the client receives N type 3 code 3 and M type 3 code 13 (IPv6: type 1 codes 4 and 1),
# their sums equal to its IcmpInDestUnreachs (Icmp6InDestUnreachs) delta. Where neither
# program can run (this is so on kernels without kprobes that refuse fentry), the agent
# still starts, says why, and `probe` shows none/icmp_rcv with the reason: skipped.
. "$(dirname "$0")/../lib.sh"
require_root
ROUTELOAD=$HELPERS/routeload
N=4 M=3

agent_start
require_fhook route icmp_rcv
command -v iptables >/dev/null && command -v ip6tables >/dev/null || skip "iptables not installed"
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
nsx cli ip addr add 2001:db8::1/64 dev eth0 nodad
nsx srv ip addr add 2001:db8::2/64 dev eth0 nodad
nsx srv sysctl -qw net.ipv4.icmp_ratemask=0 net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
nsx srv iptables -A INPUT -p udp --dport 10 -j REJECT --reject-with icmp-admin-prohibited ||
	skip "iptables REJECT target unavailable"
nsx srv ip6tables -A INPUT -p udp --dport 10 -j REJECT --reject-with icmp6-adm-prohibited ||
	skip "ip6tables REJECT target unavailable"
cli=$(ns_inode cli)
ci4=$(mib cli IcmpInDestUnreachs) ci6=$(mib cli Icmp6InDestUnreachs)

for a in 192.0.2.2 2001:db8::2; do
	r=$(nsx cli "$ROUTELOAD" udp $a 9 $N)
	assert_eq "$(field ok "$r")" $N "datagrams to a closed port of $a"
	r=$(nsx cli "$ROUTELOAD" udp $a 10 $M)
	assert_eq "$(field ok "$r")" $M "datagrams to a rejected port of $a"
done
for i in $(seq $((50 * SCALE))); do
	[ $(($(mib cli IcmpInDestUnreachs) - ci4)) -ge $((N + M)) ] &&
		[ $(($(mib cli Icmp6InDestUnreachs) - ci6)) -ge $((N + M)) ] && break
	sleep 0.1
done
scrape
ci4=$(($(mib cli IcmpInDestUnreachs) - ci4)) ci6=$(($(mib cli Icmp6InDestUnreachs) - ci6))
assert_eq "$ci4" $((N + M)) "kernel IcmpInDestUnreachs delta (client)"
assert_eq "$ci6" $((N + M)) "kernel Icmp6InDestUnreachs delta (client)"
assert_eq "$(metric osiscope_icmp_received_total netns=$cli family=ipv4 type=3 code=3)" $N "port unreachables received (type 3 code 3)"
assert_eq "$(metric osiscope_icmp_received_total netns=$cli family=ipv4 type=3 code=13)" $M "administratively prohibited received (type 3 code 13)"
assert_eq "$(metric osiscope_icmp_received_total netns=$cli family=ipv6 type=1 code=4)" $N "ICMPv6 port unreachables received (type 1 code 4)"
assert_eq "$(metric osiscope_icmp_received_total netns=$cli family=ipv6 type=1 code=1)" $M "ICMPv6 administratively prohibited received (type 1 code 1)"
assert_eq "$(grep -c 'osiscope_icmp_received_total{.*netns="'$cli'".*code=""' "$TMP/metrics")" 0 "no code-less (MIB) series beside them"
finish
