#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A namespace the agent no longer finds (no process in it, not mounted) lives on while a
# socket holds it, and its connections change state after the agent forgot it: the
# kernel side then claims a namespace slot (or hash entry) for it again. That slot is
# taken back, and no series of the gone namespace comes back with it.
. "$(dirname "$0")/../lib.sh"
require_root
command -v bpftool >/dev/null || skip "needs bpftool"
N=4

agent_start
ns_create keep gone
gone=$(ns_inode gone)
nsx keep "$TCPLOAD" connect 127.0.0.1 9 2 >/dev/null
# N connections to itself inside "gone", held by a process that then goes back to the
# host's namespace: once the mount goes, nothing the agent scans leads to the namespace
"$TCPLOAD" hold 127.0.0.1 8080 $N 600 "/run/netns/$T-gone" >"$TMP/hold.out" &
hold=$!
for i in $(seq $((100 * SCALE))); do grep -q holding "$TMP/hold.out" && break; sleep 0.1; done
assert_eq "$(cat "$TMP/hold.out")" "holding $N" "connections held in the namespace"
scrape
assert_eq "$(metric osiscope_tcp_sockets netns=$gone state=established)" $((2 * N)) "its established sockets"
assert_gt "$(tcp_map_entries "$gone")" 0 "its kernel entries"

ip netns del "$T-gone"
wait_series_gone "$gone"
assert_eq "$(grep -c "netns=\"$gone\"" "$TMP/metrics")" 0 "series of the namespace no longer found"
assert_eq "$(tcp_map_entries "$gone")" 0 "its kernel entries once forgotten"
[ -e "/proc/$hold/fd" ] || fail "the process holding the namespace is gone"

# now its connections close: FIN_WAIT1, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE there
kill "$hold"
wait "$hold" 2>/dev/null
hold=
for i in $(seq $((50 * SCALE))); do
	[ "$(tcp_map_entries "$gone")" -gt 0 ] && break
	sleep 0.1
done
assert_gt "$(tcp_map_entries "$gone")" 0 "kernel entries claimed again by the late state changes"
# every scrape from now on, the first included
seen=0
for i in 1 2 3; do
	scrape
	seen=$((seen + $(grep -c "netns=\"$gone\"" "$TMP/metrics")))
	sleep 0.2
done
assert_eq "$seen" 0 "series of the gone namespace in 3 scrapes after its late state changes"
assert_eq "$(tcp_map_entries "$gone")" 0 "its kernel entries, taken back"
assert_eq "$(metric osiscope_tcp_connects_total netns=$(ns_inode keep) result=refused)" 2 "the other namespace keeps its count"
finish
