#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Two namespaces answering ARP for one IP (192.0.2.2) behind a bridge. First in turn:
# each of K swaps of the address between them makes the asker's entry change MAC once
# (the kernel's own entry, ip neigh, says which MAC it holds), counted once per change,
# with one lladdr_changed event carrying the IP and both MACs (osiscope trace). Then
# both at once: every request gets two replies, the entry flips as the kernel decides
# (locktime), and the count equals the MAC changes the kernel announced (ip monitor).
# IPv6 likewise: both advertise one address, one MAC change per fresh resolution.
. "$(dirname "$0")/../lib.sh"
require_root
K=3 M=4

ns_create a b1 b2 sw
for n in a b1 b2; do # no DAD; no reachability probe of a during the test
	nsx $n sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.router_solicitations=0
done
nsx sw ip link add br0 type bridge
nsx sw ip link set br0 up
for n in a b1 b2; do
	ip -n "$T-$n" link add eth0 type veth peer name "p$n" netns "$T-sw" || {
		fail "veth $n"
		exit 1
	}
	nsx sw ip link set "p$n" master br0 up
	ip -n "$T-$n" link set eth0 up
done
ip -n "$T-a" addr add 192.0.2.1/24 dev eth0
ip -n "$T-a" addr add 2001:db8::1/64 dev eth0 nodad
for n in b1 b2; do
	nsx $n sysctl -qw net.ipv6.neigh.eth0.delay_first_probe_time=60
done
# replies may create the entry (no IP traffic needed), and override it at once
nsx a sysctl -qw net.ipv4.conf.eth0.arp_accept=1 net.ipv4.neigh.eth0.locktime=0
a=$(ns_inode a)
mac1=$(nsx b1 cat /sys/class/net/eth0/address)
mac2=$(nsx b2 cat /sys/class/net/eth0/address)
[ "$mac1" != "$mac2" ] || { fail "veth MACs equal"; exit 1; }

# ask: one ARP request from a's own packet socket; the replies update a's entry
ask() { nsx a arping -q -c 1 -w 2 -I eth0 192.0.2.2 >/dev/null || fail "no ARP reply"; }
entry_mac() { nsx a ip neigh show 192.0.2.2 dev eth0 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }
wait_entry() { # MAC
	local i
	for i in $(seq $((40 * SCALE))); do
		[ "$(entry_mac)" = "$1" ] && return 0
		sleep 0.05
	done
	fail "entry for 192.0.2.2 holds '$(entry_mac)', want $1"
}

agent_start
trace_start "$TMP/trace" -o json -l neigh --netns "$a"

log "--- $K swaps of 192.0.2.2 between b1 and b2"
ip -n "$T-b1" addr add 192.0.2.2/24 dev eth0
ask
wait_entry "$mac1"
holder=b1 other=b2
for i in $(seq $K); do
	ip -n "$T-$holder" addr del 192.0.2.2/24 dev eth0
	ip -n "$T-$other" addr add 192.0.2.2/24 dev eth0
	holder=$other other=$([ "$other" = b1 ] && echo b2 || echo b1)
	ask
	wait_entry "$(nsx $holder cat /sys/class/net/eth0/address)"
done
scrape
assert_eq "$(metric osiscope_neigh_lladdr_changes_total netns=$a device=eth0 family=ipv4)" $K \
	"MAC changes, one per swap"
assert_eq "$(metric osiscope_arp_packets_total netns=$a device=eth0 direction=transmit op=request)" \
	$((K + 1)) "ARP requests sent (arping)"
assert_eq "$(metric osiscope_arp_packets_total netns=$a device=eth0 direction=receive op=reply)" \
	$((K + 1)) "ARP replies received"
for n in b1 b2; do
	assert_eq "$(metric osiscope_arp_packets_total netns=$(ns_inode $n) device=eth0 direction=receive op=request)" \
		$((K + 1)) "$n: broadcast requests received"
done
assert_eq "$(metric osiscope_arp_packets_total netns=$(ns_inode b1) device=eth0 direction=transmit op=reply)" \
	$(((K + 2) / 2)) "b1: replies sent while it held the address"
trace_stop
assert_eq "$TRACE_RC" 0 "trace exit status"
ev=$(grep -c '"type":"lladdr_changed"' "$TMP/trace")
assert_eq "$ev" $K "lladdr_changed events"
assert_eq "$(grep '"type":"lladdr_changed"' "$TMP/trace" | grep '"dst":"192.0.2.2"' | grep '"device":"eth0"' |
	grep -c "ip=192.0.2.2 old=$mac1 new=$mac2")" $(((K + 1) / 2)) "events b1 -> b2 with the IP and both MACs"
assert_eq "$(grep '"type":"lladdr_changed"' "$TMP/trace" | grep -c "ip=192.0.2.2 old=$mac2 new=$mac1")" \
	$((K / 2)) "events b2 -> b1"

log "--- b1 and b2 both answer, $M requests"
ip -n "$T-$other" addr add 192.0.2.2/24 dev eth0
changes0=$(metric osiscope_neigh_lladdr_changes_total netns=$a device=eth0 family=ipv4)
replies0=$(metric osiscope_arp_packets_total netns=$a device=eth0 direction=receive op=reply)
nsx a ip monitor neigh >"$TMP/monitor" 2>&1 &
MON=$!
for i in $(seq $((50 * SCALE))); do # ip monitor is listening once it answers a change of its own
	nsx a ip neigh replace 192.0.2.77 lladdr 02:00:00:00:00:77 dev eth0 nud stale
	grep -q 192.0.2.77 "$TMP/monitor" && break
	sleep 0.05
done
for i in $(seq $M); do ask; done
nsx a ip neigh replace 192.0.2.78 lladdr 02:00:00:00:00:78 dev eth0 nud stale
for i in $(seq $((50 * SCALE))); do # and has printed everything once it printed the marker after
	grep -q 192.0.2.78 "$TMP/monitor" && break
	sleep 0.05
done
kill $MON
wait $MON 2>/dev/null
# the kernel announces every change of the entry's MAC (RTM_NEWNEIGH with its lladdr)
kernel=$(awk '$1 == "192.0.2.2" { for (i = 1; i < NF; i++) if ($i == "lladdr") { if (last != "" && $(i + 1) != last) n++; last = $(i + 1) } }
	END { print n + 0 }' "$TMP/monitor")
# the first announcement may already differ from what the entry held before
first=$(awk '$1 == "192.0.2.2" { for (i = 1; i < NF; i++) if ($i == "lladdr") { print $(i + 1); exit } }' "$TMP/monitor")
[ -n "$first" ] && [ "$first" != "$(nsx $holder cat /sys/class/net/eth0/address)" ] && kernel=$((kernel + 1))
scrape
assert_gt "$kernel" 0 "MAC changes the kernel announced"
assert_eq "$(($(metric osiscope_neigh_lladdr_changes_total netns=$a device=eth0 family=ipv4) - changes0))" \
	"$kernel" "MAC changes vs the kernel's announcements"
assert_eq "$(($(metric osiscope_arp_packets_total netns=$a device=eth0 direction=receive op=reply) - replies0))" \
	$((2 * M)) "two replies per request"
assert_eq "$(metric osiscope_neigh_lladdr_changes_total netns=$a device=eth0 family=ipv6)" 0 "IPv6 changes"

log "--- IPv6: b1 and b2 both advertise 2001:db8::2, $K fresh resolutions"
# Both answer a's solicitation with the override flag: the first advertisement fills
# the new entry, the second replaces its MAC (no locktime in IPv6): one change each.
for n in b1 b2; do ip -n "$T-$n" addr add 2001:db8::2/64 dev eth0 nodad; done
trace_start "$TMP/trace6" -o json -l neigh --netns "$a"
for i in $(seq $K); do
	nsx a ip -6 neigh flush dev eth0
	nsx a "$HELPERS/neighsend" 2001:db8::2 9 1 >/dev/null
	for j in $(seq $((40 * SCALE))); do
		nsx a ip -6 neigh show 2001:db8::2 dev eth0 | grep -q REACHABLE && break
		sleep 0.05
	done
done
scrape
assert_eq "$(metric osiscope_neigh_lladdr_changes_total netns=$a device=eth0 family=ipv6)" $K \
	"IPv6 MAC changes, one per resolution"
assert_eq "$(metric osiscope_ndp_packets_total netns=$a device=eth0 direction=receive type=neighbor_advert)" \
	$((2 * K)) "two advertisements per solicitation"
trace_stop
assert_eq "$(grep '"type":"lladdr_changed"' "$TMP/trace6" | grep '"dst":"2001:db8::2"' |
	grep -Ec "ip=2001:db8::2 old=($mac1 new=$mac2|$mac2 new=$mac1)")" $K "IPv6 events with the IP and both MACs"
finish
