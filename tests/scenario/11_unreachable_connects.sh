#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# N connects answered with ICMP host-unreachable (an iptables REJECT in the server's
# namespace) -> N connects with result "unreachable" in the client's namespace. The
# first ICMP often arrives while connect() still holds the socket (veth delivers in the
# same softirq), which the kernel keeps as a soft error until the SYN is retransmitted
# and answered again: at least N ICMPs, and SYN retransmits equal to the MIB's.
. "$(dirname "$0")/../lib.sh"
require_root
command -v iptables >/dev/null || skip "iptables not installed"
N=4

agent_start
ns_create cli srv
ns_link cli srv 203.0.113.1 203.0.113.2
cli=$(ns_inode cli)
nsx srv iptables -A INPUT -p tcp --dport 81 -j REJECT --reject-with icmp-host-unreachable ||
	skip "iptables REJECT target unavailable"
unreach0=$(mib srv IcmpOutDestUnreachs)
synre0=$(mib cli TcpExtTCPSynRetrans)
out=$(nsx cli "$TCPLOAD" connect 203.0.113.2 81 $N)
assert_eq "$(field unreachable "$out")" $N "connects that failed with EHOSTUNREACH (client's own view)"
scrape
assert_gt $(($(mib srv IcmpOutDestUnreachs) - unreach0)) $((N - 1)) "ICMP unreachables the server namespace sent"
assert_eq "$(metric osiscope_tcp_syn_retransmits_total netns=$cli)" $(($(mib cli TcpExtTCPSynRetrans) - synre0)) \
	"SYN retransmits vs TcpExtTCPSynRetrans delta"
assert_eq "$(metric osiscope_tcp_connects_total netns=$cli result=unreachable)" $N "unreachable connects"
assert_eq "$(metric osiscope_tcp_connects_total netns=$cli result=refused)" 0 "refused connects"
assert_eq "$(metric osiscope_tcp_connects_total netns=$cli result=timeout)" 0 "timed-out connects"
finish
