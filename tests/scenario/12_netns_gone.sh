#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Namespaces come and go (pods on a node): one created after the agent starts gets its
# series, and once it is deleted its series leave /metrics instead of piling up, while
# another namespace's series stay.
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
# the agent needs two collections without the namespace; the kernel frees it a
# little after the last reference goes: poll a bounded number of scrapes
for i in $(seq $((30 * SCALE))); do
	scrape
	[ "$(grep -c "netns=\"$gone\"" "$TMP/metrics")" -eq 0 ] && break
	sleep 0.2
done
assert_eq "$(grep -c "netns=\"$gone\"" "$TMP/metrics")" 0 "series of the deleted namespace"
assert_eq "$(metric osiscope_tcp_connects_total netns=$keep result=refused)" 3 "the other namespace keeps its count"
assert_eq "$(metric osiscope_tcp_resets_sent_total netns=$keep)" 2 "and its resets sent"
finish
