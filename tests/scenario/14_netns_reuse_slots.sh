#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Pods replaced on a node: the kernel hands a deleted namespace's inode to the next one at
# once, again and again. The tcp programs key a namespace's slot by its cookie, which a
# new namespace does not share: each one in turn claims a slot of its own under the
# same inode. The gone ones' slots are taken back (not held as long as the inode lives,
# which would use up the 64 slots), and each namespace's series counts its own connects,
# exactly. (A namespace whose slot is held by another key counts in the hash, under its
# inode: that entry is the inode's as long as it lives.)
. "$(dirname "$0")/../lib.sh"
require_root
command -v bpftool >/dev/null || skip "needs bpftool"
ROUNDS=5

agent_start
ns_create n0
ino=$(ns_inode n0)
nsx n0 "$TCPLOAD" connect 127.0.0.1 9 1 >/dev/null
scrape
assert_eq "$(metric osiscope_tcp_connects_total netns=$ino result=refused)" 1 "refused connects of the first namespace"
reused=0
for r in $(seq $ROUNDS); do
	ip netns del "$T-n$((r - 1))"
	# the kernel frees the inode a little after the last reference: poll for it, bounded
	for i in $(seq $((100 * SCALE))); do
		ns_create "n$r"
		[ "$(ns_inode "n$r")" = "$ino" ] && break
		ip netns del "$T-n$r"
		sleep 0.05
	done
	[ "$(ns_inode "n$r" 2>/dev/null)" = "$ino" ] || skip "the kernel did not reuse inode $ino (round $r)"
	nsx "n$r" "$TCPLOAD" connect 127.0.0.1 9 $((r + 1)) >/dev/null
	scrape
	[ "$(metric osiscope_tcp_connects_total netns=$ino result=refused)" = $((r + 1)) ] && reused=$((reused + 1))
done
assert_eq "$reused" $ROUNDS "namespaces in turn under inode $ino counting exactly their own refused connects"
scrape
log "inode $ino: $(tcp_map_entries "$ino" hash) hash entry"
assert_eq "$(tcp_map_entries "$ino" slots)" 1 "slots held for inode $ino (the live namespace's)"
assert_eq "$(metric osiscope_tcp_active_opens_total netns=$ino)" $((ROUNDS + 1)) "active opens of the last one"
# and the last one still counts in its own slot
nsx "n$ROUNDS" "$TCPLOAD" connect 127.0.0.1 9 2 >/dev/null
scrape
assert_eq "$(metric osiscope_tcp_connects_total netns=$ino result=refused)" $((ROUNDS + 3)) "refused connects of the last namespace, then 2 more"
assert_eq "$(tcp_map_entries "$ino" slots)" 1 "slots held for inode $ino, still"
finish
