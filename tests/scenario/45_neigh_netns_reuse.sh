#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A pod replaced on a node: the kernel hands a deleted namespace's inode to the next one
# at once. The neighbour failures the new namespace makes before the agent notices that
# the inode names another namespace are its own: its series count exactly them (the
# entries `ip neigh` shows failed, the packets its kernel answered with host
# unreachable), neither added to the old one's nor lost when the agent notices. The
# agent is stopped (SIGSTOP, outside the namespace) from the deletion until the
# failures are made, so that it cannot notice before them, as on a busy node between
# two collections; the kernel's programs count meanwhile. The new device has the old
# one's ifindex, so both count under one kernel map key. Run with the agent's own way
# of telling namespaces apart, then, where that is SO_NETNS_COOKIE, again with hash_mix
# (what 5.10 has).
. "$(dirname "$0")/../lib.sh"
require_root
N=3 M=2
NEIGHSEND=$HELPERS/neighsend

# setup NAME: a veth pair inside the namespace (nobody answers on 192.0.2.0/24), failures
# after 3 probes 100 ms apart instead of 1 s
setup() {
	ip -n "$T-$1" link add eth0 type veth peer name eth1 || { fail "veth in $1"; exit 1; }
	ip -n "$T-$1" addr add 192.0.2.1/24 dev eth0
	ip -n "$T-$1" link set eth1 up
	ip -n "$T-$1" link set eth0 up
	nsx "$1" sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=100
}
# fail_addrs NAME ADDR...: N packets to each address, until the kernel marks each failed
# and has answered every queued packet (bounded)
fail_addrs() {
	local n=$1 addr i f u
	shift
	f=$(($(nsx "$n" ip -4 neigh show nud failed dev eth0 | wc -l) + $#))
	u=$(($(mib "$n" IcmpOutDestUnreachs) + $# * N))
	for addr in "$@"; do
		assert_eq "$(nsx "$n" "$NEIGHSEND" "$addr" 9 $N)" "sent=$N" "$n: packets accepted for $addr"
	done
	for i in $(seq $((100 * SCALE))); do
		[ "$(nsx "$n" ip -4 neigh show nud failed dev eth0 | wc -l)" -ge $f ] &&
			[ "$(mib "$n" IcmpOutDestUnreachs)" -ge $u ] && return 0
		sleep 0.05
	done
	fail "$n: not all of $* failed: $(nsx "$n" ip -4 neigh show dev eth0)"
}
# agent_stop_outside INODE: SIGSTOP the agent at a moment none of its threads is inside
# namespace INODE (its visits enter each namespace in turn: a thread stopped there would
# keep the namespace, and its inode, alive); bounded
agent_stop_outside() {
	local i t in
	for i in $(seq $((100 * SCALE))); do
		kill -STOP "$AGENT_PID"
		# until every thread has stopped, then where they are
		while grep -qv "^T" <(for t in /proc/"$AGENT_PID"/task/*/stat; do awk '{ print $3 }' "$t"; done); do
			sleep 0.01
		done
		in=0
		for t in /proc/"$AGENT_PID"/task/*; do
			[ "$(stat -L -c %i "$t/ns/net" 2>/dev/null)" = "$1" ] && in=1
		done
		[ $in = 0 ] && return 0
		kill -CONT "$AGENT_PID"
		sleep 0.05
	done
	fail "the agent was always inside netns $1"
	finish
}
failures() { metric osiscope_neigh_resolution_failures_total netns="$1" device=eth0 family=ipv4; }
drops() { metric osiscope_neigh_unresolved_drops_total netns="$1" device=eth0 family=ipv4; }

# reuse MODE: the whole story, the agent telling namespaces apart as it chooses (MODE
# "kernel") or by hash_mix (MODE "mix"); namespaces are named after MODE
reuse() {
	local m=$1 old new i got=
	# clsact filters (before tcx, 6.6) hold their namespace open until the agent sees it
	# gone, so that it can take them off at exit: a stopped agent would keep the old one
	agent_start_netns_id $m --link.tc=off
	ns_create $m-old
	setup $m-old
	old=$(ns_inode $m-old)
	fail_addrs $m-old 192.0.2.99
	scrape
	assert_eq "$(failures $old)" 1 "resolution failures of the first namespace"
	assert_eq "$(drops $old)" $N "packets it dropped while unresolved"

	agent_stop_outside $old
	ip netns del "$T-$m-old"
	# the kernel frees the inode a little after the last reference: poll for it, bounded
	for i in $(seq $((100 * SCALE))); do
		ns_create "$m-new$i"
		new=$(ns_inode "$m-new$i")
		[ "$new" = "$old" ] && break
		got="$got $new"
		ip netns del "$T-$m-new$i"
		sleep 0.05
	done
	if [ "$new" != "$old" ]; then
		log "inodes made instead:$(echo "$got" | tr ' ' '\n' | sort | uniq -c | tr '\n' ' ')"
		log "agent threads in: $(stat -L -c %i /proc/"$AGENT_PID"/task/*/ns/net | sort | uniq -c | tr '\n' ' ')"
		log "agent descriptors on it: $(ls -l /proc/"$AGENT_PID"/fd | grep -c "net:\[$old\]")"
		kill -CONT "$AGENT_PID"
		skip "the kernel did not reuse inode $old"
	fi
	setup "$m-new$i"
	fail_addrs "$m-new$i" 192.0.2.98 192.0.2.97
	log "inode $old: eth0 was ifindex $(nsx "$m-new$i" cat /sys/class/net/eth0/ifindex) in both"
	kill -CONT "$AGENT_PID"

	scrape
	assert_eq "$(nsx "$m-new$i" ip -4 neigh show nud failed dev eth0 | wc -l)" $M "kernel: failed entries of the new namespace"
	assert_eq "$(failures $new)" $M "resolution failures of the namespace in its place"
	assert_eq "$(mib "$m-new$i" IcmpOutDestUnreachs)" $((M * N)) "kernel: host unreachable errors, one per queued packet"
	assert_eq "$(drops $new)" $((M * N)) "packets the namespace in its place dropped while unresolved"
	# and it goes on counting its own
	fail_addrs "$m-new$i" 192.0.2.96
	scrape
	assert_eq "$(failures $new)" $((M + 1)) "resolution failures of the namespace in its place, then one more"
	agent_stop
}

each_netns_id reuse
finish
