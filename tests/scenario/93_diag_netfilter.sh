#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A netfilter rule on the peer drops what the client sends, while diagnose watches:
#  - TCP: the server's namespace drops SYNs to port 8080; the client's connects time out
#    after SYN retransmits -> one L3 netfilter_drop problem in the server's namespace
#    for 192.0.2.2:8080, the client's timed-out connects its symptom, the SYN
#    retransmits its evidence, and no L4 problem of the client's own;
#  - DNS: another server's namespace drops queries to port 53; the client's queries go
#    unanswered -> L3 netfilter_drop for 198.51.100.2:53 with the DNS timeouts as its
#    symptom, not an L7 problem of their own.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/diag.sh"
require_root
command -v nft >/dev/null || skip "nft not installed"
DNSQ=$HELPERS/dnsq
N=2

ns_create cli srv dcli dsrv
ns_link cli srv 192.0.2.1 192.0.2.2
ns_link dcli dsrv 198.51.100.1 198.51.100.2
cli=$(ns_inode cli)
srv=$(ns_inode srv)
dcli=$(ns_inode dcli)
dsrv=$(ns_inode dsrv)
nsx cli sysctl -qw net.ipv4.tcp_syn_retries=1
[ -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts ] && nsx cli sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0
nsx srv nft -f - <<-EOF2 || skip "nft: cannot add a table"
	table inet osiscope_test {
		chain input {
			type filter hook input priority 0; policy accept;
			tcp dport 8080 drop
		}
	}
EOF2
nsx dsrv nft -f - <<-EOF2
	table inet osiscope_test {
		chain input {
			type filter hook input priority 0; policy accept;
			udp dport 53 drop
		}
	}
EOF2
nsx dsrv "$DNSQ" serve 198.51.100.2 53 drop >/dev/null &
wait_udp dsrv 198.51.100.2:53
synr0=$(mib cli TcpExtTCPSynRetrans)

diag_start 12 --dns.timeout=1
r_tcp=$(nsx cli timeout 30 "$TCPLOAD" parallel 192.0.2.2 8080 $N)
r_dns=$(nsx dcli "$DNSQ" query 198.51.100.2 53 known.test A $N 300)
sleep 1.5 # the last query's timeout (1 s) comes from the agent's sweep
diag_wait

assert_eq "$(field timeout "$r_tcp")" $N "connects that timed out (client's view)"
assert_eq "$(field timeout "$r_dns")" $N "queries never answered (client's view)"
synr=$(($(mib cli TcpExtTCPSynRetrans) - synr0))

assert_eq "$(first_problem $cli $srv)" "l3 netfilter_drop 192.0.2.2:8080" "TCP: first problem"
assert_eq "$(first_field netns $cli $srv)" "$srv" "TCP: in the server's namespace"
assert_eq "$(first_field symptoms $cli $srv | grep -c "$N TCP connects to 192.0.2.2:8080 timed out (netns $cli")" 1 \
	"TCP: the client's timeouts are its symptom"
assert_eq "$(first_field evidence $cli $srv | grep -c "$synr SYN retransmits from 192.0.2.1 to 192.0.2.2:8080")" 1 \
	"TCP: the SYN retransmits (TcpExtTCPSynRetrans delta $synr) are its evidence"
assert_eq "$(first_field check $cli $srv | grep -c "nft list ruleset")" 1 "TCP: the check"
assert_nproblems 0 "TCP: no problem of the client's own" $cli

assert_eq "$(first_problem $dcli $dsrv)" "l3 netfilter_drop 198.51.100.2:53" "DNS: first problem"
assert_eq "$(first_field symptoms $dcli $dsrv | grep -c "$N DNS queries to 198.51.100.2:53 unanswered")" 1 \
	"DNS: the unanswered queries are its symptom"
assert_nproblems 0 "DNS: no problem of the client's own" $dcli
finish
