#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Drops without a device, counted where their socket is: a client that closes first
# frees the server's FIN, left in its queue, as its socket is destroyed
# (sk_stream_kill_queues(): QUEUE_PURGE since 6.7, NOT_SPECIFIED before), one per
# connection and with no device on the skb. N connections over loopback count N on lo
# (the pair's per-CPU slot), M over a veth count M on eth0 (the hash: a device that can
# go); the server's namespace counts none. When the namespace goes, so do its series
# and its kernel entries, slots included.
# The client's FIN timeout is over TCP_TIMEWAIT_LEN (60 s), so a closed socket waits for
# the server's FIN as a full socket, whose queue takes it: with the default 60 s, a close
# that sees its FIN acknowledged at once turns into a timewait socket, which takes the FIN
# without queueing it, and that connection has no purge (one of 23 over the veth, under
# emulation).
. "$(dirname "$0")/../lib.sh"
require_root
require_drop_reasons
N=37 M=23

agent_start
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
nsx cli sysctl -qw net.ipv4.tcp_fin_timeout=90
cli=$(ns_inode cli)
srv=$(ns_inode srv)
# QUEUE_PURGE where the kernel has it; before 6.7 the purge is NOT_SPECIFIED, which the
# veth's own IPv6 traffic (MLD, neighbour discovery) also gives on eth0, never on lo
if grep -q '"QUEUE_PURGE"' "$(tracefs_events)/skb/kfree_skb/format" 2>/dev/null; then
	purge=QUEUE_PURGE
else
	purge=NOT_SPECIFIED
fi
nsx cli "$TCPLOAD" serve 127.0.0.1 8080 $((60 * SCALE)) >/dev/null 2>&1 &
nsx srv "$TCPLOAD" serve 192.0.2.2 8080 $((60 * SCALE)) >/dev/null 2>&1 &
for i in $(seq $((50 * SCALE))); do
	nsx cli ss -Hltn | grep -q '127.0.0.1:8080' && nsx srv ss -Hltn | grep -q ':8080' && break
	sleep 0.1
done
out=$(nsx cli "$TCPLOAD" churn 127.0.0.1 8080 $N)
assert_eq "$(field ok "$out")" $N "connections over loopback"
out=$(nsx cli "$TCPLOAD" churn 192.0.2.2 8080 $M)
assert_eq "$(field ok "$out")" $M "connections over the veth"
# the last FINs are freed when their sockets finish closing: wait for the counts
for i in $(seq $((50 * SCALE))); do
	scrape
	[ "$(metric osiscope_skb_drops_total netns=$cli reason=$purge device=lo)" -ge $N ] &&
		[ "$(metric osiscope_skb_drops_total netns=$cli reason=$purge device=eth0)" -ge $M ] && break
	sleep 0.1
done
assert_eq "$(metric osiscope_skb_drops_total netns=$cli reason=$purge device=lo)" $N \
	"$purge drops on lo, one per connection"
if [ $purge = QUEUE_PURGE ]; then
	assert_eq "$(metric osiscope_skb_drops_total netns=$cli reason=$purge device=eth0)" $M \
		"$purge drops on eth0, one per connection"
	assert_eq "$(metric_sum osiscope_skb_drops_total netns=$srv reason=$purge)" 0 \
		"$purge drops in the server's namespace"
else
	assert_gt "$(metric osiscope_skb_drops_total netns=$cli reason=$purge device=eth0)" $((M - 1)) \
		"$purge drops on eth0, at least one per connection"
fi
assert_gt "$(drop_map_entries "$cli" 1)" 0 "kernel entries for the client's lo"

ip netns pids "$T-cli" | xargs -r kill
ip netns pids "$T-srv" | xargs -r kill
ip netns del "$T-cli"
wait_series_gone "$cli"
assert_eq "$(grep -c "netns=\"$cli\"" "$TMP/metrics")" 0 "series of the deleted namespace"
for i in $(seq $((30 * SCALE))); do
	[ "$(drop_map_entries "$cli")" = 0 ] && break
	scrape
	sleep 0.2
done
assert_eq "$(drop_map_entries "$cli")" 0 "its kernel entries, slots included"
finish
