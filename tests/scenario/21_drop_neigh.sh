#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Datagrams to an on-link address with no host behind it wait on the unresolved
# neighbour and are dropped with the kernel's neighbour reasons, counted on the
# sender's eth0 (the neighbour-failure count itself is the neigh collector's):
#  - N1 datagrams within the queue limit (unres_qlen_bytes): all N1 are NEIGH_FAILED
#    when resolution gives up;
#  - N2 datagrams with unres_qlen_bytes 0: each new one pushes the one queued before it
#    out (NEIGH_QUEUEFULL), so N2-1 are NEIGH_QUEUEFULL and the last one NEIGH_FAILED.
. "$(dirname "$0")/../lib.sh"
require_root
require_drop_reasons
N1=5 N2=8
DROPLOAD=$HELPERS/dropload

# drops NETNS REASON: the drop counter of that reason on eth0, from a fresh scrape
drops() {
	scrape
	metric osiscope_skb_drops_total netns="$1" layer=l2 reason="$2" device=eth0
}
# wait_drops NETNS REASON WANT: bounded poll, the queue is flushed when resolution fails
wait_drops() {
	for i in $(seq 60); do [ "$(drops "$1" "$2")" = "$3" ] && return; sleep 0.1; done
}
# wait_failed ADDR: until the neighbour entry is FAILED
wait_failed() {
	for i in $(seq 60); do
		nsx cli ip neigh show "$1" dev eth0 | grep -q FAILED && return
		sleep 0.1
	done
}

agent_start
ns_create cli peer
ns_link cli peer 192.0.2.1 192.0.2.2
cli=$(ns_inode cli)
# one probe, 100 ms apart: resolution of a missing host fails fast
nsx cli sysctl -qw net.ipv4.neigh.eth0.mcast_solicit=1 net.ipv4.neigh.eth0.retrans_time_ms=100
qlen=$(nsx cli sysctl -n net.ipv4.neigh.eth0.unres_qlen_bytes)
log "queue limit: unres_qlen_bytes=$qlen ($(nsx cli ip ntable show dev eth0 name arp_cache | grep -ow 'queue [0-9]*' | head -1))"
# every small datagram's skb is far below 4 KiB of truesize: N1 of them fit the queue
assert_gt "$((qlen / N1))" 4096 "room in the neighbour queue per datagram (bytes)"

out=$(nsx cli "$DROPLOAD" udp 192.0.2.99 7 $N1)
assert_eq "$(field sent "$out")" $N1 "datagrams sent to 192.0.2.99"
wait_failed 192.0.2.99
wait_drops "$cli" NEIGH_FAILED $N1
assert_eq "$(drops "$cli" NEIGH_FAILED)" $N1 "NEIGH_FAILED drops: all queued datagrams"
assert_eq "$(drops "$cli" NEIGH_QUEUEFULL)" 0 "NEIGH_QUEUEFULL drops within the limit"

nsx cli sysctl -qw net.ipv4.neigh.eth0.unres_qlen_bytes=0
assert_eq "$(nsx cli sysctl -n net.ipv4.neigh.eth0.unres_qlen_bytes)" 0 "queue limit now"
out=$(nsx cli "$DROPLOAD" udp 192.0.2.98 7 $N2)
assert_eq "$(field sent "$out")" $N2 "datagrams sent to 192.0.2.98"
wait_failed 192.0.2.98
wait_drops "$cli" NEIGH_FAILED $((N1 + 1))
assert_eq "$(drops "$cli" NEIGH_QUEUEFULL)" $((N2 - 1)) "NEIGH_QUEUEFULL drops: all but the last"
assert_eq "$(drops "$cli" NEIGH_FAILED)" $((N1 + 1)) "NEIGH_FAILED drops: the last one more"
assert_eq "$(metric osiscope_skb_drops_total netns="$(ns_inode peer)" reason=NEIGH_FAILED)" 0 \
	"nothing of it in the peer's namespace"
finish
