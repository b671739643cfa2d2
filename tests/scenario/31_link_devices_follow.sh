#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Devices are followed while the agent runs, with no scrape needed to find them:
# - a veth pair created after the agent started gets the agent's tc programs on both
#   ends within a few maintenance periods (seen with BPF_PROG_QUERY, not through the
#   agent), counts N pings exactly and exports device counters equal to ip -s link;
# - a renamed device keeps its programs and counts on under its new name (new series,
#   from zero), the old name's series gone;
# - a deleted pair's series all go away, the namespace's other devices stay.
. "$(dirname "$0")/../lib.sh"
require_root
LP=$HELPERS/linkpkt
[ -x "$LP" ] || { fail "$LP not built"; finish; }
N=6

quiet() { for n; do nsx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done; }
ipstat() {
	nsx "$1" ip -s link show dev "$2" | awk -v d="$3" -v f="$4" '
		$1 == "RX:" || $1 == "TX:" { dir = ($1 == "RX:") ? "rx" : "tx"; for (i = 2; i <= NF; i++) col[i - 1] = $i; next }
		dir != "" { if (dir == d) for (i = 1; i <= NF; i++) if (col[i] == f) print $i; dir = "" }'
}
# programs of this test's agent on NS DEV's ingress and egress, from the kernel (tcx
# chains or classic filters), matched with the program ids the agent holds
ours_on() {
	local mine id n=0
	mine=" $(grep -h '^prog_id:' /proc/"$AGENT_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u | tr '\n' ' ') "
	for id in $(nsx "$1" "$LP" tcx "$2" 2>/dev/null | sed -n 's/.*ids=//p' | tr , ' ') \
		$(nsx "$1" tc filter show dev "$2" ingress 2>/dev/null | sed -n 's/.* id \([0-9]*\) name link_tc_.*/\1/p') \
		$(nsx "$1" tc filter show dev "$2" egress 2>/dev/null | sed -n 's/.* id \([0-9]*\) name link_tc_.*/\1/p'); do
		[[ "$mine" == *" $id "* ]] && n=$((n + 1))
	done
	echo $n
}
wait_ours() {
	local i
	for i in $(seq $((100 * SCALE))); do
		[ "$(ours_on "$1" "$2")" = 2 ] && return 0
		sleep 0.1
	done
	return 1
}
series_of() { grep -c "{netns=\"$1\",device=\"$2\"" "$TMP/metrics"; }

agent_start
ns_create a b
quiet a b
a=$(ns_inode a)
b=$(ns_inode b)
# the agent has found the namespaces (their loopback series) before the pair exists
for i in $(seq $((50 * SCALE))); do
	scrape
	[ "$(series_of "$a" lo)" -gt 0 ] && [ "$(series_of "$b" lo)" -gt 0 ] && break
	sleep 0.1
done
assert_gt "$(series_of "$a" lo)" 0 "a's loopback series before the pair exists"

log "--- a pair created after the agent started"
ns_link a b 192.0.2.1 192.0.2.2
wait_ours a eth0 || fail "a/eth0 got no programs of the agent's by itself"
wait_ours b eth0 || fail "b/eth0 got no programs of the agent's by itself"
assert_eq "$(ours_on a eth0)" 2 "programs of ours on a/eth0 (ingress, egress), without a scrape"
assert_eq "$(ours_on b eth0)" 2 "programs of ours on b/eth0"
nsx a ip neigh replace 192.0.2.2 lladdr "$(nsx b cat /sys/class/net/eth0/address)" dev eth0 nud permanent
nsx b ip neigh replace 192.0.2.1 lladdr "$(nsx a cat /sys/class/net/eth0/address)" dev eth0 nud permanent
out=$(nsx a "$LP" ping 192.0.2.2 $N)
assert_eq "$out" "sent=$N replies=$N" "pings answered"
scrape
assert_eq "$(metric osiscope_link_protocol_packets_total netns=$a device=eth0 direction=transmit protocol=ipv4/icmp)" $N "a tx ipv4/icmp"
assert_eq "$(metric osiscope_link_protocol_packets_total netns=$a device=eth0 direction=receive protocol=ipv4/icmp)" $N "a rx ipv4/icmp"
assert_eq "$(metric osiscope_link_protocol_packets_total netns=$b device=eth0 direction=receive protocol=ipv4/icmp)" $N "b rx ipv4/icmp"
assert_eq "$(metric osiscope_link_protocol_packets_total netns=$b device=eth0 direction=transmit protocol=ipv4/icmp)" $N "b tx ipv4/icmp"
for dir in rx tx; do
	d=receive
	[ $dir = tx ] && d=transmit
	assert_eq "$(metric osiscope_link_packets_total netns=$a device=eth0 direction=$d)" "$(ipstat a eth0 $dir packets)" "a/eth0 $d packets = ip -s link"
	assert_eq "$(metric osiscope_link_bytes_total netns=$b device=eth0 direction=$d)" "$(ipstat b eth0 $dir bytes)" "b/eth0 $d bytes = ip -s link"
done

log "--- rename a/eth0 to ren0"
nsx a ip link set eth0 down
nsx a ip link set eth0 name ren0
nsx a ip link set ren0 up
for i in $(seq 50); do [ "$(nsx b cat /sys/class/net/eth0/carrier)" = 1 ] && break; sleep 0.1; done
nsx a ip neigh replace 192.0.2.2 lladdr "$(nsx b cat /sys/class/net/eth0/address)" dev ren0 nud permanent
scrape # the new name's series appear, at zero: a new name is a new series
assert_eq "$(metric osiscope_link_packets_total netns=$a device=ren0 direction=transmit)" 0 "ren0 tx packets at first sight"
tx0=$(ipstat a ren0 tx packets)
before=$(metric osiscope_link_protocol_packets_total netns=$a device=ren0 direction=transmit protocol=ipv4/icmp)
out=$(nsx a "$LP" ping 192.0.2.2 $N)
assert_eq "$out" "sent=$N replies=$N" "pings after the rename"
scrape
assert_eq "$(series_of "$a" eth0)" 0 "series of the old name"
assert_eq "$(ours_on a ren0)" 2 "programs of ours still on the renamed device"
assert_eq $(($(metric osiscope_link_protocol_packets_total netns=$a device=ren0 direction=transmit protocol=ipv4/icmp) - before)) $N "ren0 tx ipv4/icmp since the rename"
assert_eq "$(metric osiscope_link_packets_total netns=$a device=ren0 direction=transmit)" $(($(ipstat a ren0 tx packets) - tx0)) "ren0 tx packets = ip -s link delta since the rename"

log "--- delete the pair"
nsx a ip link del ren0
for i in $(seq $((100 * SCALE))); do
	scrape
	[ "$(series_of "$a" ren0)$(series_of "$b" eth0)" = 00 ] && break
	sleep 0.1
done
assert_eq "$(series_of "$a" ren0)" 0 "series of the deleted a/ren0"
assert_eq "$(series_of "$b" eth0)" 0 "series of the deleted b/eth0"
assert_gt "$(series_of "$a" lo)" 0 "a's loopback series stay"
agent_stop
assert_eq "$AGENT_RC" 0 "agent exit status"
finish
