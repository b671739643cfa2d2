#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# An MTU black hole: client -- router -- server, the router's link to the server has MTU
# 1280, and the client's namespace drops ICMP fragmentation-needed (a firewall that
# filters all ICMP). A bulk send from the client never gets through: the router answers
# every full-size segment with frag-needed, which never arrives, and the client keeps
# retransmitting -> the first problem of the three namespaces is L3 mtu_blackhole for
# the server, with the filtered ICMP as evidence and the retransmits as its symptom.
# A healthy path MTU discovery (same topology, ICMP let through) is no problem.
# The frag-needed the router sends is seen by icmp:icmp_send (6.10+; Debian's 6.1 has it
# too). Without it (5.10) no program sees it: there diagnose shows what it can, the
# client's filtered ICMP as a netfilter_drop problem, counted exactly (nft's counter),
# and nothing in the healthy client's and server's namespaces; without drop reasons
# (before 5.17) also each router's drops, NOT_SPECIFIED at ip_forward (where every
# forwarding failure is freed), as many as its IpFragFails.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/diag.sh"
require_root
command -v nft >/dev/null || skip "nft not installed"

topology() { # CLI RTR SRV: the three namespaces and their routes
	ns_create "$1" "$2" "$3"
	ns_link "$1" "$2" 192.0.2.1 192.0.2.254
	ip -n "$T-$2" link add eth1 mtu 1280 type veth peer name eth0 netns "$T-$3" || { fail "veth"; exit 1; }
	ip -n "$T-$2" addr add 198.51.100.254/24 dev eth1
	ip -n "$T-$3" addr add 198.51.100.2/24 dev eth0
	ip -n "$T-$2" link set eth1 up
	ip -n "$T-$3" link set eth0 up
	nsx "$2" sysctl -qw net.ipv4.ip_forward=1
	nsx "$1" ip route add default via 192.0.2.254
	nsx "$3" ip route add default via 198.51.100.254
}
topology cli rtr srv
topology hcli hrtr hsrv
cli=$(ns_inode cli)
rtr=$(ns_inode rtr)
srv=$(ns_inode srv)
hcli=$(ns_inode hcli)
hrtr=$(ns_inode hrtr)
hsrv=$(ns_inode hsrv)
nsx cli nft -f - <<-EOF2 || skip "nft: cannot add a table"
	table ip osiscope_test {
		chain input {
			type filter hook input priority 0; policy accept;
			icmp type destination-unreachable icmp code frag-needed counter drop
		}
	}
EOF2
# (for longer than the test lasts, under emulation too: cleanup stops them)
nsx srv "$TCPLOAD" serve 198.51.100.2 9000 600 >/dev/null &
nsx hsrv "$TCPLOAD" serve 198.51.100.2 9000 600 >/dev/null &
wait_listen() { local i; for i in $(seq 100); do nsx "$1" ss -Hltn "sport = :$2" | grep -q . && return 0; sleep 0.1; done; fail "no listener"; finish; }
wait_listen srv 9000
wait_listen hsrv 9000
retr0=$(mib cli TcpRetransSegs)

# (the window holds both sends under emulation too)
diag_start $((8 + 2 * SCALE))
nsx cli timeout 6 "$TCPLOAD" send 198.51.100.2 9000 200000 >/dev/null
rc=$?
nsx hcli timeout 6 "$TCPLOAD" send 198.51.100.2 9000 200000 >/dev/null
hrc=$?
diag_wait

assert_eq "$rc" 124 "black hole: the send never completes (timeout)"
assert_eq "$hrc" 0 "healthy path MTU discovery: the send completes"
dropped=$(nsx cli nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
assert_gt "$dropped" 0 "frag-needed dropped by the client's rule (nft counter)"
assert_gt "$(($(mib cli TcpRetransSegs) - retr0))" 2 "the client retransmits (TcpRetransSegs)"

if ! has_tracepoint icmp/icmp_send; then
	log "no icmp:icmp_send: the frag-needed sent is not seen; what this kernel gives instead"
	assert_eq "$(first_problem $cli)" "l3 netfilter_drop 192.0.2.1" "black hole: the client's first problem"
	assert_eq "$(first_field count $cli)" "$dropped" "black hole: the filtered ICMP, as many as nft's counter"
	assert_eq "$(first_field evidence $cli | grep -c "icmp packets 192.0.2.254 -> 192.0.2.1 dropped by a netfilter rule (netns $cli)")" 1 \
		"black hole: the filtered ICMP is its evidence"
	for r in rtr hrtr; do
		tracepoint_has_field skb/kfree_skb reason && break
		ns=$(ns_inode $r)
		assert_nproblems 1 "$r: one problem" $ns
		assert_eq "$(first_field evidence $ns | grep -c " at ip_forward+0x[0-9a-f]*, first 192.0.2.1:[0-9]* -> 198.51.100.2:9000 ")" 1 \
			"$r: its drops in forwarding"
		assert_eq "$(first_field count $ns)" "$(mib $r IpFragFails)" "$r: as many as IpFragFails"
	done
	assert_nproblems 0 "black hole: no problem at the server" $srv
	assert_nproblems 0 "healthy path MTU discovery: no problem at either end" $hcli $hsrv
	finish
fi
assert_eq "$(first_problem $cli $rtr $srv)" "l3 mtu_blackhole 198.51.100.2" "black hole: first problem"
assert_eq "$(first_field evidence $cli $rtr $srv | grep -c "icmp packets 192.0.2.254 -> 192.0.2.1 dropped by a netfilter rule (netns $cli)")" 1 \
	"black hole: the filtered ICMP is its evidence"
assert_eq "$(first_field symptoms $cli $rtr $srv | grep -c "TCP retransmits from 192.0.2.1 to 198.51.100.2")" 1 \
	"black hole: the retransmits are its symptom"
assert_eq "$(problems $cli $rtr $srv | grep -c '"cause":"netfilter_drop"')" 0 "black hole: the drop is no problem of its own"
assert_nproblems 0 "healthy path MTU discovery: no problem" $hcli $hrtr $hsrv
finish
