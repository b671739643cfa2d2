#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The tc programs live beside other people's and beside a second agent, in tcx mode and
# in classic tc mode (forced, and only in this test's namespaces):
# - someone else's egress filter on a/eth0 (u32 + mirred, copying every frame to m0,
#   seen as m1's receive count) stays listed as it was and sees every frame, while the
#   agent runs and after it exits; their clsact qdisc stays, ours on b goes;
# - a second agent attaches beside the first (classic: the next handle slot), both
#   count every frame, and stopping the second leaves the first's programs in place and
#   counting.
. "$(dirname "$0")/../lib.sh"
require_root
LP=$HELPERS/linkpkt
[ -x "$LP" ] || { fail "$LP not built"; finish; }
N=5

quiet() { for n; do nsx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done; }
ipstat() {
	nsx "$1" ip -s link show dev "$2" | awk -v d="$3" -v f="$4" '
		$1 == "RX:" || $1 == "TX:" { dir = ($1 == "RX:") ? "rx" : "tx"; for (i = 2; i <= NF; i++) col[i - 1] = $i; next }
		dir != "" { if (dir == d) for (i = 1; i <= NF; i++) if (col[i] == f) print $i; dir = "" }'
}
# ids of the link programs on NS DEV (tcx chains and classic filters)
link_ids() {
	local id
	for id in $(nsx "$1" "$LP" tcx "$2" 2>/dev/null | sed -n 's/.*ids=//p' | tr , ' '); do
		bpftool prog show id "$id" 2>/dev/null | grep -q "name link_tc_" && echo "$id"
	done
	nsx "$1" tc filter show dev "$2" ingress 2>/dev/null | sed -n 's/.* id \([0-9]*\) name link_tc_.*/\1/p'
	nsx "$1" tc filter show dev "$2" egress 2>/dev/null | sed -n 's/.* id \([0-9]*\) name link_tc_.*/\1/p'
}
held_by() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u; }
# how many link programs on a/eth0 and b/eth0 belong to PID
count_of() { { link_ids a eth0; link_ids b eth0; } | grep -cxF -f <(held_by "$1"); }
wait_count() {
	local i
	for i in $(seq $((100 * SCALE))); do
		[ "$(count_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
theirs() { nsx a tc filter show dev eth0 egress | grep -v "link_tc_\|pref 49 bpf" | tr -s " \t\n" " "; }
# the N pings go through their filter: m1 receives a copy of each request
check_theirs() {
	local r0
	assert_eq "$(theirs)" "$THEIRS" "$1: their filter as it was"
	r0=$(ipstat a m1 rx packets)
	assert_eq "$(nsx a "$LP" ping 192.0.2.2 $N)" "sent=$N replies=$N" "$1: pings"
	assert_eq $(($(ipstat a m1 rx packets) - r0)) $N "$1: frames their filter mirrored"
}
icmp_tx() { metric osiscope_link_protocol_packets_total netns=$a device=eth0 direction=transmit protocol=ipv4/icmp; }
agent2_start() {
	local try i
	# above the ports lib.sh hands out (20000-31999) and below the ephemeral range:
	# no other test's agent, or its cleanup, is there
	PORT2=$((32000 + $$ % 768))
	for try in 1 2 3 4 5; do
		"$OSI_BIN" run --web.listen-address="127.0.0.1:$PORT2" >"$TMP/agent2.log" 2>&1 &
		AGENT2=$!
		for i in $(seq $((200 * SCALE))); do
			kill -0 $AGENT2 2>/dev/null || break
			[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT2/-/ready")" = 200 ] && return 0
			sleep 0.1
		done
		wait $AGENT2 2>/dev/null
		grep -q "Address already in use" "$TMP/agent2.log" || break
		PORT2=$((32000 + (PORT2 - 32000 + 97) % 768))
	done
	cat "$TMP/agent2.log" >&2
	fail "second agent did not start"
	finish
}
scrape2() { curl -sf "http://127.0.0.1:$PORT2/metrics" >"$TMP/metrics" || fail "scrape of the second agent"; }

ns_create a b
quiet a b
ns_link a b 192.0.2.1 192.0.2.2
a=$(ns_inode a)
b=$(ns_inode b)
nsx a ip neigh replace 192.0.2.2 lladdr "$(nsx b cat /sys/class/net/eth0/address)" dev eth0 nud permanent
nsx b ip neigh replace 192.0.2.1 lladdr "$(nsx a cat /sys/class/net/eth0/address)" dev eth0 nud permanent
nsx a ip link add m0 type veth peer name m1
nsx a ip link set m0 up
nsx a ip link set m1 up
nsx a tc qdisc add dev eth0 clsact
nsx a tc filter add dev eth0 egress prio 100 protocol all u32 match u32 0 0 action mirred egress mirror dev m0 ||
	skip "no u32 classifier or mirred action in this kernel"
THEIRS=$(theirs)
check_theirs "before any agent"

for mode in tcx classic; do
	log "--- $mode"
	if [ $mode = classic ]; then
		export OSISCOPE_LINK_TC_MODE=classic:$a,$b
	else
		unset OSISCOPE_LINK_TC_MODE
	fi
	agent_start
	if [ $mode = tcx ] && ! grep -q "as tcx links" "$TMP/agent.log"; then
		log "no tcx on this kernel: the agent uses classic tc filters"
	fi
	wait_count "$AGENT_PID" 4 || fail "$mode: the agent's programs on both ends"
	assert_eq "$(count_of "$AGENT_PID")" 4 "$mode: programs of the first agent (2 devices x 2 directions)"
	if [ $mode = classic ]; then
		assert_eq "$(nsx a tc filter show dev eth0 egress | grep -c "pref 49 bpf chain 0 handle 0x5c0e001 link_tc_out")" 1 "classic: ours at priority 49, first slot"
	fi
	scrape
	t0=$(icmp_tx)
	check_theirs "$mode, first agent running"
	scrape
	assert_eq $(($(icmp_tx) - t0)) $N "$mode: first agent counted the pings"

	agent2_start
	wait_count $AGENT2 4 || fail "$mode: the second agent's programs"
	assert_eq "$(count_of $AGENT2)" 4 "$mode: programs of the second agent"
	assert_eq "$(count_of "$AGENT_PID")" 4 "$mode: the first agent's are still there"
	if [ $mode = classic ]; then
		assert_eq "$(nsx a tc filter show dev eth0 egress | grep -c "handle 0x5c0e002 link_tc_out")" 1 "classic: the second agent took the next slot"
		grep -q "every osiscope filter slot" "$TMP/agent2.log" && fail "classic: second agent found no slot"
	fi
	scrape
	t0=$(icmp_tx)
	scrape2
	u0=$(icmp_tx)
	check_theirs "$mode, two agents running"
	scrape
	assert_eq $(($(icmp_tx) - t0)) $N "$mode: first agent counted the pings beside the second"
	scrape2
	assert_eq $(($(icmp_tx) - u0)) $N "$mode: second agent counted them too"
	kill -TERM $AGENT2
	wait $AGENT2
	assert_eq $? 0 "$mode: second agent exit status"
	assert_eq "$(count_of "$AGENT_PID")" 4 "$mode: the first agent's programs after the second left"
	assert_eq "$({ link_ids a eth0; link_ids b eth0; } | wc -l)" 4 "$mode: no program of the second agent left"
	scrape
	t0=$(icmp_tx)
	check_theirs "$mode, after the second agent left"
	scrape
	assert_eq $(($(icmp_tx) - t0)) $N "$mode: first agent still counts"

	agent_stop
	assert_eq "$AGENT_RC" 0 "$mode: agent exit status"
	assert_eq "$({ link_ids a eth0; link_ids b eth0; } | wc -l)" 0 "$mode: link programs left after the agents"
	check_theirs "$mode, after the agent exited"
	assert_eq "$(nsx a tc qdisc show dev eth0 | grep -c clsact)" 1 "$mode: their clsact qdisc on a/eth0 stays"
	assert_eq "$(nsx b tc qdisc show dev eth0 | grep -c clsact)" 0 "$mode: no clsact left on b/eth0"
done
unset OSISCOPE_LINK_TC_MODE
finish
