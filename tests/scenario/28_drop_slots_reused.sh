#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The drop programs count a (namespace, device) in a per-CPU slot it claims, and there
# are 64 slots (bpf/drop.h): 72 namespaces each drop a different number of datagrams
# (UDP to a closed port on lo: NO_SOCKET), so some count in the hash, and every
# namespace's series equals what it sent. Then all of them go, their slots are taken
# back, and 72 new namespaces (the kernel reuses the inodes) drop again: each series
# equals the new namespace's own drops, nothing carried over from a slot's former owner.
. "$(dirname "$0")/../lib.sh"
require_root
require_drop_reasons
NS=72
DROPLOAD=$HELPERS/dropload

# round NAME_PREFIX OFFSET: create the namespaces, drop (i + OFFSET) % 7 + 1 datagrams in
# the i-th, then check each namespace's series
round() {
	local i n ino bad=0 total=0 want_total=0
	for i in $(seq $NS); do
		ns_create "$1$i"
		n=$(((i + $2) % 7 + 1))
		nsx "$1$i" "$DROPLOAD" udp 127.0.0.1 9999 $n >/dev/null
		want_total=$((want_total + n))
	done
	scrape
	for i in $(seq $NS); do
		ino=$(ns_inode "$1$i")
		n=$(metric osiscope_skb_drops_total netns="$ino" reason=NO_SOCKET device=lo)
		total=$((total + n))
		[ "$n" = $(((i + $2) % 7 + 1)) ] || { log "namespace $1$i ($ino): $n drops, want $(((i + $2) % 7 + 1))"; bad=$((bad + 1)); }
	done
	assert_eq "$bad" 0 "namespaces whose NO_SOCKET count differs from what they sent ($1)"
	assert_eq "$total" "$want_total" "NO_SOCKET drops of all $NS namespaces ($1)"
}

agent_start
round a 0
owners=$(for i in $(seq $NS); do drop_map_entries "$(ns_inode "a$i")"; done | awk '{ s += $1 } END { print s }')
assert_gt "$owners" $((NS - 1)) "kernel entries (slots and hash keys) for the first namespaces"
inodes=$(for i in $(seq $NS); do ns_inode "a$i"; done)
for i in $(seq $NS); do ip netns del "$T-a$i"; done
# the agent sees them go: their series and slots go (slots are freed two passes later)
for i in $(seq $((30 * SCALE))); do
	scrape
	left=0
	for ino in $inodes; do left=$((left + $(grep -c "netns=\"$ino\"" "$TMP/metrics"))); done
	[ "$left" = 0 ] && break
	sleep 0.2
done
assert_eq "$left" 0 "series of the deleted namespaces"
# two maintenance passes later the slots taken back (owner ~0) are cleared and free
for i in $(seq $((30 * SCALE))); do
	[ "$(drop_map_entries 4294967295)" = 0 ] && break
	sleep 0.5
done
assert_eq "$(drop_map_entries 4294967295)" 0 "slots still being taken back"
round b 3
reused=0
for i in $(seq $NS); do
	echo "$inodes" | grep -qx "$(ns_inode "b$i")" && reused=$((reused + 1))
done
log "inodes reused by the second round: $reused of $NS"
finish
