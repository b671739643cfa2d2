#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# ICMP errors a user-space tool sends from a raw socket: the kernel's MIB counts them by
# type (IcmpMsg OutType3, Icmp6OutDestUnreachs), while neither the icmp_send tracepoint
# nor the optional program on icmpv6_push_pending_frames, which give the code of the
# errors the kernel makes, sees them. A server namespace answers N datagrams to a closed
# port (the kernel: type 3 code 3, ICMPv6 type 1 code 4) and sends R host unreachables
# (type 3 code 1) and R ICMPv6 address unreachables (type 1 code 3) from a raw socket ->
# for each family the type's series add up to the MIB's count: the kernel's errors with
# their code where a hook gives it, and the rest with the code empty.
. "$(dirname "$0")/../lib.sh"
require_root
ROUTELOAD=$HELPERS/routeload
N=5 R=3

agent_start
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
nsx cli ip addr add 2001:db8::1/64 dev eth0 nodad
nsx srv ip addr add 2001:db8::2/64 dev eth0 nodad
nsx srv sysctl -qw net.ipv4.icmp_ratemask=0 net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
srv=$(ns_inode srv)

for a in 192.0.2.2 2001:db8::2; do
	r=$(nsx cli "$ROUTELOAD" udp $a 9 $N)
	assert_eq "$(field ok "$r")" $N "datagrams to a closed port of $a"
done
r=$(nsx srv "$ROUTELOAD" icmp 192.0.2.1 $R 3 1)
assert_eq "$(field ok "$r")" $R "host unreachables sent from a raw socket"
r=$(nsx srv "$ROUTELOAD" icmp 2001:db8::1 $R 1 3)
assert_eq "$(field ok "$r")" $R "ICMPv6 address unreachables sent from a raw socket"
# a new namespace: its MIB counted from zero, and so does the agent
o4=$(mib srv IcmpMsgOutType3) o6=$(mib srv Icmp6OutDestUnreachs)
assert_eq "$o4" $((N + R)) "kernel IcmpMsg OutType3 (server)"
assert_eq "$o6" $((N + R)) "kernel Icmp6OutDestUnreachs (server)"
scrape

# type_sum FAMILY TYPE: the server's osiscope_icmp_sent_total series of that type, added
type_sum() {
	awk -v ns="$srv" -v f="$1" -v t="$2" '/^osiscope_icmp_sent_total\{/ &&
		index($0, "netns=\"" ns "\"") && index($0, "family=\"" f "\"") &&
		index($0, "type=\"" t "\"") { s += $NF } END { printf "%.0f\n", s }' "$TMP/metrics"
}
sent() { metric osiscope_icmp_sent_total netns=$srv "$@"; }
assert_eq "$(type_sum ipv4 3)" "$o4" "type 3 series, added, against IcmpMsg OutType3"
assert_eq "$(type_sum ipv6 1)" "$o6" "ICMPv6 type 1 series, added, against Icmp6OutDestUnreachs"
if grep -q "ICMPv4 errors sent are counted by type only" "$TMP/agent.log"; then
	assert_eq "$(sent family=ipv4 type=3 code=)" $((N + R)) "type 3, no code (no tracepoint)"
else
	assert_eq "$(sent family=ipv4 type=3 code=3)" $N "port unreachables the kernel sent (type 3 code 3)"
	assert_eq "$(sent family=ipv4 type=3 code=1)" 0 "host unreachables with their code (no hook sees them)"
	assert_eq "$(sent family=ipv4 type=3 code=)" $R "the raw socket's, code empty"
fi
if grep -q "route: no program on icmpv6_push_pending_frames:" "$TMP/agent.log"; then
	log "no program on icmpv6_push_pending_frames: ICMPv6 errors sent by type only"
	assert_eq "$(sent family=ipv6 type=1 code=)" $((N + R)) "ICMPv6 type 1, no code (no program)"
else
	assert_eq "$(sent family=ipv6 type=1 code=4)" $N "ICMPv6 port unreachables the kernel sent (type 1 code 4)"
	assert_eq "$(sent family=ipv6 type=1 code=3)" 0 "address unreachables with their code (no hook sees them)"
	assert_eq "$(sent family=ipv6 type=1 code=)" $R "the raw socket's, code empty"
fi
finish
