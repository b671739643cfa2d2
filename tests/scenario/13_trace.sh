#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# osiscope trace: N refused connects in the watched namespace give exactly N
# connect_refused events with the right 4-tuple, process and namespace, N resets sent
# and N received; connects in another namespace are filtered out by --netns; columns
# output has a header and one row per event.
. "$(dirname "$0")/../lib.sh"
require_root
N=4

ns_create cli srv other osrv
ns_link cli srv 192.0.2.1 192.0.2.2
ns_link other osrv 198.51.100.1 198.51.100.2
cli=$(ns_inode cli)
srv=$(ns_inode srv)

trace_start "$TMP/json" -o json --netns "$cli"
nsx cli "$TCPLOAD" connect 192.0.2.2 9 $N >/dev/null
nsx other "$TCPLOAD" connect 198.51.100.2 9 3 >/dev/null
trace_stop
assert_eq "$TRACE_RC" 0 "trace exit status after SIGINT"
refused=$(grep -c '"type":"connect_refused"' "$TMP/json")
assert_eq "$refused" $N "connect_refused events"
assert_eq "$(grep '"type":"connect_refused"' "$TMP/json" | grep '"dst":"192.0.2.2:9"' | grep '"comm":"tcpload"' |
	grep -c "\"netns\":$cli,")" $N "events with destination, process name and namespace"
assert_eq "$(grep -c '"type":"reset_received"' "$TMP/json")" $N "reset_received events"
assert_eq "$(grep -vc "\"netns\":$cli," "$TMP/json")" 0 "events from other namespaces"
assert_eq "$(grep '"type":"connect_refused"' "$TMP/json" | grep -c '"src":"192.0.2.1:[1-9]')" $N "source address and port"

trace_start "$TMP/cols" --netns "$srv"
nsx cli "$TCPLOAD" connect 192.0.2.2 9 $N >/dev/null
trace_stop
assert_eq "$(head -1 "$TMP/cols" | awk '{ print $1, $3 }')" "TIME EVENT" "columns header"
assert_eq "$(grep -c ' reset_sent ' "$TMP/cols")" $N "reset_sent rows in the server namespace"
if tracepoint_has_field tcp/tcp_send_reset reason; then
	assert_eq "$(grep ' reset_sent ' "$TMP/cols" | grep -c 'reason=NO_SOCKET')" $N "reset reason named from kernel BTF"
else # before v6.10 the kernel gives resets no reason
	assert_eq "$(grep ' reset_sent ' "$TMP/cols" | grep -c 'reason=')" 0 "no reset reason (tcp_send_reset has none here)"
fi
finish
