#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The protocol classifier on frames a veth cannot easily carry here (VLAN and QinQ tags,
# IPv6 with a hop-by-hop header, ESP, GRE, LLDP, a cut VLAN tag, a GSO packet of 5
# segments):
# the agent's own ingress program is run on each crafted frame with BPF_PROG_TEST_RUN
# as if a/t0 had received it, a known number of times, and every protocol, broadcast
# and multicast count must come out exact; the program hands every frame on
# (TC_ACT_UNSPEC). Both flavours: typed context reads (bpf_cast_to_kern_ctx) and the
# probe-read programs of kernels before 6.3 (--bpf.attach=raw_tp).
. "$(dirname "$0")/../lib.sh"
require_root
LP=$HELPERS/linkpkt
[ -x "$LP" ] || { fail "$LP not built"; finish; }

UC=020000000002020000000001 # unicast destination, source
BC=ffffffffffff020000000001
ip4() { echo "4500003c0000000040${1}0000c0000201c0000202"; }             # IPv4, protocol $1
ip6() { echo "600000000014${1}4020010db800000000000000000000000120010db8000000000000000000000002"; } # next header $1
Z20=0000000000000000000000000000000000000000
# frame REPEAT GSO_SEGS HEX
FRAMES="
3 0 ${UC}0800$(ip4 06)$Z20
4 0 ${BC}0800$(ip4 11)$Z20
2 0 ${UC}81000064 0800$(ip4 01)$Z20
5 0 ${UC}88a80064 86dd$(ip6 11)$Z20
3 0 333300000016020000000001 86dd$(ip6 00)3a00050200000000$Z20
2 0 ${UC}86dd$(ip6 06)$Z20
1 0 ${UC}86dd$(ip6 32)$Z20
2 0 ${UC}0800$(ip4 2f)$Z20
3 0 ${BC}0806 00010800060400010200000000010c00020100000000000000c0000202
2 0 0180c200000e020000000001 88cc 020704020000000001
1 0 ${UC}810000
2 5 ${UC}0800$(ip4 06)$Z20
"
want() {
	case $1 in
	ipv4/tcp) echo $((3 + 2 * 5)) ;;
	ipv4/udp) echo 4 ;;
	ipv4/icmp) echo 2 ;;
	ipv4/other) echo 2 ;;
	ipv6/tcp) echo 2 ;;
	ipv6/udp) echo 5 ;;
	ipv6/icmpv6) echo 3 ;;
	ipv6/other) echo 1 ;;
	arp) echo 3 ;;
	other) echo $((2 + 1)) ;;
	esac
}

ns_create a
nsx a sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
nsx a ip link add t0 type veth peer name t1
nsx a ip link set t0 up
nsx a ip link set t1 up
a=$(ns_inode a)
ifindex=$(nsx a cat /sys/class/net/t0/ifindex)

for mode in tp_btf raw_tp; do
	log "--- --bpf.attach=$mode"
	agent_start --bpf.attach=$mode
	name=$(link_prog link_tc_in)
	prog=
	for i in $(seq $((100 * SCALE))); do
		for id in $(nsx a "$LP" tcx t0 2>/dev/null | sed -n 's/.*ids=//p' | tr , ' ') \
			$(nsx a tc filter show dev t0 ingress 2>/dev/null | sed -n 's/.* id \([0-9]*\) name link_tc_.*/\1/p'); do
			grep -qx "$id" <(grep -h '^prog_id:' /proc/"$AGENT_PID"/fdinfo/* | awk '{ print $2 }') &&
				bpftool prog show id "$id" | grep -q "name $name " && prog=$id
		done
		[ -n "$prog" ] && break
		sleep 0.1
	done
	[ -n "$prog" ] || { fail "$mode: no $name program of the agent on a/t0"; continue; }
	assert_gt "$prog" 0 "$mode: $name attached to a/t0"
	echo "$FRAMES" | while read -r n segs hex; do
		[ -n "$n" ] || continue
		hex=$(echo "$hex" | tr -d ' ')
		out=$(nsx a "$LP" testrun "$prog" "$n" "$ifindex" "$segs" "$hex") || echo "FAILED $hex" >>"$TMP/testrun.err"
		[ "$out" = "retval=-1 runs=$n" ] || echo "$out $hex" >>"$TMP/testrun.err"
	done
	assert_eq "$(cat "$TMP/testrun.err" 2>/dev/null)" "" "$mode: every run handed the frame on (TC_ACT_UNSPEC)"
	rm -f "$TMP/testrun.err"
	scrape
	for p in ipv4/tcp ipv4/udp ipv4/icmp ipv4/other ipv6/tcp ipv6/udp ipv6/icmpv6 ipv6/other arp other; do
		assert_eq "$(metric osiscope_link_protocol_packets_total netns=$a device=t0 direction=receive protocol=$p)" "$(want $p)" "$mode: $p"
	done
	assert_eq "$(metric osiscope_link_broadcast_packets_total netns=$a device=t0 direction=receive)" $((4 + 3)) "$mode: broadcast (UDP, ARP)"
	assert_eq "$(metric osiscope_link_multicast_packets_total netns=$a device=t0 direction=receive)" $((3 + 2)) "$mode: multicast (MLD, LLDP)"
	assert_eq "$(awk -v ns="$a" 'index($0, "osiscope_link_protocol_packets_total{netns=\"" ns "\",device=\"t0\",direction=\"transmit\"") == 1 { s += $NF } END { print s + 0 }' "$TMP/metrics")" 0 "$mode: nothing counted as sent"
	agent_stop
	assert_eq "$AGENT_RC" 0 "$mode: agent exit status"
done
finish
