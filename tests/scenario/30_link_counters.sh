#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Device counters, carrier and the protocol mix on a veth pair, all exact:
# - C down/up cycles of a's eth0: 2C carrier changes on both ends, counted from once
#   both carriers are up and the agent shows it (equal to sysfs carrier_changes over the
#   cycles), osiscope_link_up 0 while down and 1 after;
# - N pings, M broadcast ARP requests (each answered), K multicast and Q broadcast
#   frames of an unknown EtherType (dropped by b's stack: b's rx drops), D pings too big
#   for b's MTU (dropped by a's veth: a's tx drops, and b's rx drops as veth reports them);
# - every packets/bytes/drops/errors series of both ends equals `ip -s link`, and the
#   kernel's counts equal what the test sent;
# - the protocol mix per direction: ipv4/icmp, arp, other, broadcast, multicast exact,
#   and per direction the protocols add up to the frames the device handled;
# - tx timeouts are exported at 0 (the watchdog cannot fire on a veth: see 36).
. "$(dirname "$0")/../lib.sh"
require_root
LP=$HELPERS/linkpkt
[ -x "$LP" ] || { fail "$LP not built"; finish; }
N=7 M=5 K=4 Q=3 D=2 C=2

# the only frames on the link are the test's: no IPv6 (RS, DAD, MLD), no ARP of the
# kernel's own (permanent neighbours, added after the carrier cycles that flush them)
quiet() { for n; do nsx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done; }
perm_neigh() { nsx "$1" ip neigh replace "$3" lladdr "$(nsx "$2" cat /sys/class/net/eth0/address)" dev eth0 nud permanent; }
# ipstat NS DEV rx|tx FIELD: a column of `ip -s link` (bytes packets errors dropped)
ipstat() {
	nsx "$1" ip -s link show dev "$2" | awk -v d="$3" -v f="$4" '
		$1 == "RX:" || $1 == "TX:" { dir = ($1 == "RX:") ? "rx" : "tx"; for (i = 2; i <= NF; i++) col[i - 1] = $i; next }
		dir != "" { if (dir == d) for (i = 1; i <= NF; i++) if (col[i] == f) print $i; dir = "" }'
}
series() { grep -c "^$1{netns=\"$2\",device=\"$3\"}" "$TMP/metrics"; }
wait_attached() {
	local i
	for i in $(seq $((50 * SCALE))); do
		scrape
		[ "$(metric osiscope_link_bpf_attached netns=$1 device=$2 hook=tcx_ingress)$(metric osiscope_link_bpf_attached netns=$1 device=$2 hook=tc_ingress)" != 00 ] && return 0
		sleep 0.1
	done
	return 1
}
proto() { metric osiscope_link_protocol_packets_total netns=$1 device=eth0 direction=$2 protocol=$3; }

agent_start
ns_create a b
quiet a b
ns_link a b 192.0.2.1 192.0.2.2
a=$(ns_inode a)
b=$(ns_inode b)
wait_attached "$a" eth0 || fail "no tc program attached to a/eth0"
wait_attached "$b" eth0 || fail "no tc program attached to b/eth0"

# the carrier comes up through the kernel's link watch, later than the device: wait
# until both ends have it and the agent shows it, then count from there (the agent's
# first sight of the pair may come before or after that carrier change)
for i in $(seq $((50 * SCALE))); do
	scrape
	[ "$(nsx a cat /sys/class/net/eth0/carrier)$(nsx b cat /sys/class/net/eth0/carrier)" = 11 ] &&
		[ "$(metric osiscope_link_up netns=$a device=eth0)$(metric osiscope_link_up netns=$b device=eth0)" = 11 ] && break
	sleep 0.1
done
ma0=$(metric osiscope_link_carrier_changes_total netns=$a device=eth0)
mb0=$(metric osiscope_link_carrier_changes_total netns=$b device=eth0)
log "--- carrier: $C down/up cycles of a/eth0"
ca0=$(nsx a cat /sys/class/net/eth0/carrier_changes)
cb0=$(nsx b cat /sys/class/net/eth0/carrier_changes)
for i in $(seq $C); do
	nsx a ip link set eth0 down
	if [ "$i" = 1 ]; then
		scrape
		assert_eq "$(metric osiscope_link_up netns=$a device=eth0)" 0 "a/eth0 up while down"
		assert_eq "$(metric osiscope_link_up netns=$b device=eth0)" 0 "b/eth0 up while its peer is down"
	fi
	nsx a ip link set eth0 up
done
for i in $(seq 50); do [ "$(nsx b cat /sys/class/net/eth0/carrier)" = 1 ] && break; sleep 0.1; done
ca=$(nsx a cat /sys/class/net/eth0/carrier_changes)
cb=$(nsx b cat /sys/class/net/eth0/carrier_changes)
assert_eq $((ca - ca0)) $((2 * C)) "kernel carrier changes of a/eth0 during the cycles"
assert_eq $((cb - cb0)) $((2 * C)) "kernel carrier changes of b/eth0 during the cycles"

log "--- traffic"
perm_neigh a b 192.0.2.2
perm_neigh b a 192.0.2.1
out=$(nsx a "$LP" ping 192.0.2.2 $N)
assert_eq "$out" "sent=$N replies=$N" "pings answered"
nsx a "$LP" arp eth0 192.0.2.1 192.0.2.2 $M >/dev/null || fail "arp requests"
nsx a "$LP" raw eth0 01:00:5e:00:00:fb 0x88b5 $K >/dev/null || fail "multicast frames"
nsx a "$LP" raw eth0 ff:ff:ff:ff:ff:ff 0x88b6 $Q >/dev/null || fail "broadcast frames"
nsx b ip link set eth0 mtu 1280
out=$(nsx a "$LP" ping 192.0.2.2 $D 1400 DF)
assert_eq "$out" "sent=$D replies=0" "pings larger than b's MTU, unanswered"
# ARP replies are sent from b's softirq: wait until all are in a's counters
for i in $(seq $((50 * SCALE))); do
	[ "$(ipstat a eth0 rx packets)" = $((N + M)) ] && break
	sleep 0.1
done

scrape
log "--- device counters = ip -s link"
for n in a b; do
	ns=$(ns_inode $n)
	for dir in rx tx; do
		d=receive
		[ $dir = tx ] && d=transmit
		assert_eq "$(metric osiscope_link_packets_total netns=$ns device=eth0 direction=$d)" "$(ipstat $n eth0 $dir packets)" "$n/eth0 $d packets"
		assert_eq "$(metric osiscope_link_bytes_total netns=$ns device=eth0 direction=$d)" "$(ipstat $n eth0 $dir bytes)" "$n/eth0 $d bytes"
		assert_eq "$(metric osiscope_link_drops_total netns=$ns device=eth0 direction=$d)" "$(ipstat $n eth0 $dir dropped)" "$n/eth0 $d drops"
		assert_eq "$(metric osiscope_link_errors_total netns=$ns device=eth0 direction=$d)" "$(ipstat $n eth0 $dir errors)" "$n/eth0 $d errors"
	done
	c0=$ca0 m0=$ma0
	[ $n = b ] && c0=$cb0 m0=$mb0
	assert_eq "$(($(metric osiscope_link_carrier_changes_total netns=$ns device=eth0) - m0))" $(($(nsx $n cat /sys/class/net/eth0/carrier_changes) - c0)) "$n/eth0 carrier changes = sysfs carrier_changes during the cycles"
	assert_eq "$(metric osiscope_link_up netns=$ns device=eth0)" 1 "$n/eth0 up after the cycles"
	assert_eq "$(series osiscope_link_tx_timeouts_total $ns eth0)" 1 "$n/eth0 tx timeouts series exported"
	assert_eq "$(metric osiscope_link_tx_timeouts_total netns=$ns device=eth0)" 0 "$n/eth0 tx timeouts"
done
log "--- the kernel counted what the test did"
assert_eq "$(ipstat a eth0 tx packets)" $((N + M + K + Q)) "a/eth0 tx packets (ip)"
assert_eq "$(ipstat a eth0 tx dropped)" $D "a/eth0 tx drops (ip): too big for b"
assert_eq "$(ipstat b eth0 rx packets)" $((N + M + K + Q)) "b/eth0 rx packets (ip)"
# veth reports a frame it could not hand to its peer as the peer's receive drop too
assert_eq "$(ipstat b eth0 rx dropped)" $((K + Q + D)) "b/eth0 rx drops (ip): unknown EtherType, and a's too-big frames"
assert_eq "$(($(metric osiscope_link_carrier_changes_total netns=$a device=eth0) - ma0))" $((2 * C)) "a/eth0 carrier changes = the test's down/up cycles"
assert_eq "$(($(metric osiscope_link_carrier_changes_total netns=$b device=eth0) - mb0))" $((2 * C)) "b/eth0 carrier changes = its peer's cycles"

log "--- protocol mix"
assert_eq "$(proto $a transmit ipv4/icmp)" $((N + D)) "a tx ipv4/icmp (the too-big ones too: tc sees them before the veth drops them)"
assert_eq "$(proto $a receive ipv4/icmp)" $N "a rx ipv4/icmp"
assert_eq "$(proto $a transmit arp)" $M "a tx arp"
assert_eq "$(proto $a receive arp)" $M "a rx arp"
assert_eq "$(proto $a transmit other)" $((K + Q)) "a tx other"
assert_eq "$(proto $a receive other)" 0 "a rx other"
assert_eq "$(proto $b receive ipv4/icmp)" $N "b rx ipv4/icmp"
assert_eq "$(proto $b transmit ipv4/icmp)" $N "b tx ipv4/icmp"
assert_eq "$(proto $b receive arp)" $M "b rx arp"
assert_eq "$(proto $b transmit arp)" $M "b tx arp"
assert_eq "$(proto $b receive other)" $((K + Q)) "b rx other"
assert_eq "$(proto $b transmit ipv4/udp)" 0 "b tx ipv4/udp"
assert_eq "$(metric osiscope_link_broadcast_packets_total netns=$a device=eth0 direction=transmit)" $((M + Q)) "a tx broadcast (ARP requests and the broadcast frames)"
assert_eq "$(metric osiscope_link_broadcast_packets_total netns=$b device=eth0 direction=receive)" $((M + Q)) "b rx broadcast"
assert_eq "$(metric osiscope_link_broadcast_packets_total netns=$a device=eth0 direction=receive)" 0 "a rx broadcast (ARP replies are unicast)"
assert_eq "$(metric osiscope_link_multicast_packets_total netns=$a device=eth0 direction=transmit)" $K "a tx multicast"
assert_eq "$(metric osiscope_link_multicast_packets_total netns=$b device=eth0 direction=receive)" $K "b rx multicast"
assert_eq "$(metric osiscope_link_multicast_packets_total netns=$b device=eth0 direction=transmit)" 0 "b tx multicast"
sum() { awk -v ns="$1" -v d="$2" 'index($0, "osiscope_link_protocol_packets_total{netns=\"" ns "\",device=\"eth0\",direction=\"" d "\"") == 1 { s += $NF } END { print s + 0 }' "$TMP/metrics"; }
assert_eq "$(sum $a transmit)" $(($(ipstat a eth0 tx packets) + $(ipstat a eth0 tx dropped))) "a: protocols sent = frames the device was given (ip tx packets + tx dropped)"
assert_eq "$(sum $b receive)" "$(ipstat b eth0 rx packets)" "b: protocols received = ip rx packets"
assert_eq "$(grep -c "^osiscope_link_bpf_attached{netns=\"$a\",device=\"lo\"" "$TMP/metrics")" 0 "no program on loopback"
assert_eq "$(series osiscope_link_up $a lo)" 1 "loopback still has its device series"

agent_stop
assert_eq "$AGENT_RC" 0 "agent exit status"
finish
