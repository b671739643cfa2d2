#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# SYNs silently dropped by the server's namespace, the client retrying each SYN RETRIES
# times before it gives up: N connects at once all time out, which the agent must count
# as N timeouts, N * RETRIES SYN retransmits (equal to TcpExtTCPSynRetrans), as many
# retransmitted segments as TcpRetransSegs and as many active opens as TcpActiveOpens.
. "$(dirname "$0")/../lib.sh"
require_root
N=3
RETRIES=2 # the client's net.ipv4.tcp_syn_retries: SYN at 0 s, again at 1 s and 3 s, gives up at 7 s
DPORT=7

# drop_port NS PORT: drop every TCP packet to PORT at NS's input hook, silently.
# The rule lives in the test's namespace and goes away with it.
drop_port() {
	if command -v nft >/dev/null 2>&1; then
		nsx "$1" nft -f - <<-EOF && return 0
			table inet osiscope_test {
				chain input {
					type filter hook input priority 0; policy accept;
					tcp dport $2 counter drop
				}
			}
		EOF
	fi
	if command -v iptables >/dev/null 2>&1; then
		nsx "$1" iptables -A INPUT -p tcp --dport "$2" -j DROP && return 0
	fi
	skip "cannot add a drop rule: needs nft (nf_tables) or iptables (ip_tables)"
}

agent_start
ns_create cli srv
ns_link cli srv 203.0.113.1 203.0.113.2
cli=$(ns_inode cli)
srv=$(ns_inode srv)
nsx cli sysctl -qw net.ipv4.tcp_syn_retries=$RETRIES || fail "sysctl tcp_syn_retries"
# Since Linux 6.7 the first tcp_syn_linear_timeouts (default 4) SYN retransmits come at
# a fixed 1 s and are allowed on top of tcp_syn_retries (5 retransmits in 7 s for
# retries=2): turn that off so that a connect sends exactly RETRIES retransmits.
if [ -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts ]; then
	nsx cli sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0 || fail "sysctl tcp_syn_linear_timeouts"
fi
drop_port srv $DPORT
synr0=$(mib cli TcpExtTCPSynRetrans)
retr0=$(mib cli TcpRetransSegs)
opens0=$(mib cli TcpActiveOpens)

# each connect blocks until the kernel gives up on it; the timeout only bounds the test
out=$(nsx cli timeout 60 "$TCPLOAD" parallel 203.0.113.2 $DPORT $N)
assert_eq "$(field timeout "$out")" $N "connects that timed out, as the client saw them"

scrape
synr=$(($(mib cli TcpExtTCPSynRetrans) - synr0))
retr=$(($(mib cli TcpRetransSegs) - retr0))
opens=$(($(mib cli TcpActiveOpens) - opens0))
assert_eq "$synr" $((N * RETRIES)) "kernel TcpExtTCPSynRetrans delta (client netns)"
assert_eq "$(metric osiscope_tcp_syn_retransmits_total netns=$cli)" "$synr" \
	"SYN retransmits vs TcpExtTCPSynRetrans delta (client netns)"
assert_eq "$(metric osiscope_tcp_retransmitted_segments_total netns=$cli)" "$retr" \
	"retransmitted segments vs TcpRetransSegs delta (client netns)"
assert_eq "$opens" $N "kernel TcpActiveOpens delta (client netns)"
assert_eq "$(metric osiscope_tcp_active_opens_total netns=$cli)" "$opens" \
	"active opens vs TcpActiveOpens delta (client netns)"
assert_eq "$(metric osiscope_tcp_connects_total netns=$cli result=timeout)" $N "timed-out connects (client netns)"
assert_eq "$(metric osiscope_tcp_connects_total netns=$cli result=ok)" 0 "ok connects (client netns)"
# the server never saw a SYN: nothing to answer, nothing to retransmit
assert_eq "$(metric osiscope_tcp_syn_retransmits_total netns=$srv)" 0 "SYN retransmits (server netns)"
assert_eq "$(metric osiscope_tcp_resets_sent_total netns=$srv)" 0 "resets sent (server netns)"
finish
