#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Every event is either delivered or counted as lost: with a tiny per-CPU event budget,
# N refused connects make 3N events (reset sent, reset received, connect refused);
# delivered + osiscope_events_lost_total must be exactly 3N. Assumes no other TCP
# reset or retransmit on the host during the second the test takes.
. "$(dirname "$0")/../lib.sh"
require_root
N=20

agent_start --log.level=debug --events.rate=4
ns_create cli srv
ns_link cli srv 198.51.100.1 198.51.100.2
cli=$(ns_inode cli)
srv=$(ns_inode srv)
out=$(nsx cli "$TCPLOAD" connect 198.51.100.2 9 $N)
assert_eq "$(field refused "$out")" $N "refused connects made"
# events arrive through the ring buffer asynchronously: wait until the count settles
prev=-1
for i in $(seq $((50 * SCALE))); do
	n=$(grep -c 'msg="event ' "$TMP/agent.log")
	[ "$n" = "$prev" ] && break
	prev=$n
	sleep 0.1
done
scrape
# only the tcp collector's events: the others (drop, ...) have budgets of their own
grep 'msg="event ' "$TMP/agent.log" | grep -F '\"layer\":\"tcp\"' >"$TMP/tcp_events"
ours=$(grep -cE "netns[^0-9]+($cli|$srv)[^0-9]" "$TMP/tcp_events")
all=$(grep -c . "$TMP/tcp_events")
lost=$(($(metric osiscope_events_lost_total layer=tcp reason=ratelimit) + $(metric osiscope_events_lost_total layer=tcp reason=ringbuf)))
assert_eq "$all" "$ours" "no foreign events delivered during the test"
assert_gt "$lost" 0 "events lost over the rate limit"
assert_eq $((ours + lost)) $((3 * N)) "delivered + lost"
finish
