#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Namespaces come and go (pods on a node): one created after the agent starts gets its
# series, and once it is deleted its series leave /metrics instead of piling up, while
# another namespace's series stay. Then 80 namespaces at once, twice: more than the
# kernel side's 64 per-CPU namespace slots, so that some count in its hash instead, and
# the second round reuses the slots the first one's namespaces freed.
. "$(dirname "$0")/../lib.sh"
require_root

agent_start
ns_create keep gone
ns_link keep gone 192.0.2.1 192.0.2.2
keep=$(ns_inode keep)
gone=$(ns_inode gone)
nsx gone "$TCPLOAD" connect 192.0.2.1 9 2 >/dev/null
nsx keep "$TCPLOAD" connect 192.0.2.2 9 3 >/dev/null
scrape
assert_eq "$(metric osiscope_tcp_connects_total netns=$gone result=refused)" 2 "refused connects in the namespace to delete"
assert_gt "$(grep -c "netns=\"$gone\"" "$TMP/metrics")" 10 "its series before deletion"

ip netns del "$T-gone"
wait_series_gone "$gone"
assert_eq "$(grep -c "netns=\"$gone\"" "$TMP/metrics")" 0 "series of the deleted namespace"
assert_eq "$(metric osiscope_tcp_connects_total netns=$keep result=refused)" 3 "the other namespace keeps its count"
assert_eq "$(metric osiscope_tcp_resets_sent_total netns=$keep)" 2 "and its resets sent"

for round in 1 2; do
	many=()
	for i in $(seq 80); do
		ns_create "m$i"
		many+=("m$i")
		nsx "m$i" "$TCPLOAD" connect 127.0.0.1 9 1 >/dev/null
	done
	scrape
	ok=0
	for n in "${many[@]}"; do
		ino=$(ns_inode "$n")
		[ "$(metric osiscope_tcp_connects_total netns=$ino result=refused)" = 1 ] &&
			[ "$(metric osiscope_tcp_active_opens_total netns=$ino)" = 1 ] &&
			[ "$(metric osiscope_tcp_resets_sent_total netns=$ino)" = 1 ] && ok=$((ok + 1))
	done
	assert_eq "$ok" 80 "round $round: namespaces with exactly one refused connect, open and reset"
	for n in "${many[@]}"; do ip netns del "$T-$n"; done
	for i in $(seq $((30 * SCALE))); do # their series go, and with them their slots
		scrape
		[ "$(grep -c "netns=\"$(ns_inode keep)\"" "$TMP/metrics")" -gt 0 ] &&
			[ "$(grep -o 'osiscope_tcp_active_opens_total{netns="[0-9]*"}' "$TMP/metrics" | wc -l)" -le 3 ] && break
		sleep 0.2
	done
done
assert_eq "$(metric osiscope_tcp_connects_total netns=$keep result=refused)" 3 "the first namespace keeps its count"
finish
