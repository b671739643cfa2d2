#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A namespace that is deleted takes its drop series and its kernel map entries with
# it, and they do not come back with the drops of its own teardown (queues purged
# after the agent saw it go); another namespace's drops stay.
. "$(dirname "$0")/../lib.sh"
require_root
require_drop_reasons
DROPLOAD=$HELPERS/dropload

# map_keys NETNS: entries of the agent's drop map for that namespace
map_keys() { drop_map_entries "$1"; }

agent_start
ns_create keep gone
keep=$(ns_inode keep)
gone=$(ns_inode gone)
nsx keep "$DROPLOAD" udp 127.0.0.1 9999 3 >/dev/null
nsx gone "$DROPLOAD" udp 127.0.0.1 9999 4 >/dev/null
scrape
assert_eq "$(metric osiscope_skb_drops_total netns=$keep reason=NO_SOCKET device=lo)" 3 "drops in the namespace that stays"
assert_eq "$(metric osiscope_skb_drops_total netns=$gone reason=NO_SOCKET device=lo)" 4 "drops in the namespace to delete"
assert_gt "$(map_keys "$gone")" 0 "its map entries"

# a connection with unread data in a listener's queue: its teardown drops skbs too
nsx gone "$TCPLOAD" listen 127.0.0.1 8080 16 30 >/dev/null 2>&1 &
for i in $(seq $((50 * SCALE))); do nsx gone ss -Hltn | grep -q ':8080' && break; sleep 0.1; done
nsx gone timeout 5 "$TCPLOAD" send 127.0.0.1 8080 1000 >/dev/null 2>&1
ip netns pids "$T-gone" | xargs -r kill -9
ip netns del "$T-gone"
for i in $(seq $((30 * SCALE))); do
	scrape
	[ "$(grep -c "netns=\"$gone\"" "$TMP/metrics")" -eq 0 ] && [ "$(map_keys "$gone")" = 0 ] && break
	sleep 0.2
done
assert_eq "$(grep -c "netns=\"$gone\"" "$TMP/metrics")" 0 "series of the deleted namespace"
assert_eq "$(map_keys "$gone")" 0 "its map entries"
# the kernel frees the namespace's devices and sockets a while after: later drops
# there must not bring its series back
for i in 1 2 3 4 5; do
	sleep 0.2
	scrape
done
assert_eq "$(grep -c "netns=\"$gone\"" "$TMP/metrics")" 0 "series of the deleted namespace, later"
assert_eq "$(metric osiscope_skb_drops_total netns=$keep reason=NO_SOCKET device=lo)" 3 "the other namespace keeps its count"
finish
