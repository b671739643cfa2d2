#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# osiscope trace -l drop: N datagrams dropped by an nft rule give exactly N drop events
# in the receiver's namespace, each with its reason, layer, device, 4-tuple and the
# kernel function that freed it; --netns keeps the sender's namespace out.
. "$(dirname "$0")/../lib.sh"
require_root
require_drop_reasons
N=5
DROPLOAD=$HELPERS/dropload

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
srv=$(ns_inode srv)
nsx srv nft add table inet osi
nsx srv nft add chain inet osi input '{ type filter hook input priority 0; }'
nsx srv nft add rule inet osi input udp dport 5555 counter drop
# resolve the neighbour first (ping is not installed everywhere: a datagram to port 9)
nsx cli "$DROPLOAD" udp 192.0.2.2 9 1 >/dev/null
for i in $(seq $((50 * SCALE))); do nsx cli ip neigh show 192.0.2.2 | grep -q REACHABLE && break; sleep 0.1; done

"$OSI_BIN" trace -l drop -o json --netns "$srv" >"$TMP/json" 2>"$TMP/json.err" &
TRACE_PID=$!
for i in $(seq $((100 * SCALE))); do
	grep -q "tracing" "$TMP/json.err" 2>/dev/null && break
	kill -0 $TRACE_PID 2>/dev/null || break
	sleep 0.1
done
grep -q "tracing" "$TMP/json.err" || { cat "$TMP/json.err" >&2; fail "trace did not start"; exit 1; }
nsx cli "$DROPLOAD" udp 192.0.2.2 5555 $N >/dev/null
for i in $(seq $((50 * SCALE))); do
	[ "$(grep -c 'reason=NETFILTER_DROP' "$TMP/json")" -ge $N ] && break
	sleep 0.1
done
kill -INT $TRACE_PID
wait $TRACE_PID
assert_eq "$?" 0 "trace exit status after SIGINT"

ev=$(grep '"type":"drop"' "$TMP/json" | grep 'reason=NETFILTER_DROP')
assert_eq "$(echo "$ev" | grep -c .)" $N "NETFILTER_DROP drop events"
assert_eq "$(echo "$ev" | grep "\"netns\":$srv," | grep '"osi":"l3"' | grep -c '"device":"eth0"')" $N \
	"events with namespace, layer and device"
assert_eq "$(echo "$ev" | grep '"src":"192.0.2.1:[1-9][0-9]*"' | grep -c '"dst":"192.0.2.2:5555"')" $N \
	"source and destination with ports"
# where the kernel freed it: netfilter's own code (nf_hook_slow, or nft_do_chain where
# nftables drops by itself), named from /proc/kallsyms
assert_eq "$(echo "$ev" | grep -Ec 'proto=udp location=(nf_hook_slow|nft_do_chain)[+]0x')" $N \
	"protocol and kernel location"
assert_eq "$(grep -vc "\"netns\":$srv," "$TMP/json")" 0 "events from other namespaces"
finish
