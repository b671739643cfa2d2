#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Nothing of the link collector's stays on a device after the agent is gone:
# - tcx mode, SIGTERM and SIGKILL alike: no tcx program and no XDP program (opt-in,
#   a link too) of ours on any test device, no clsact qdisc;
# - classic tc mode (forced, only in this test's namespaces), SIGTERM: no filter and no
#   clsact qdisc left;
# - classic tc mode, SIGKILL: the filters stay (nothing can remove them), and an agent
#   started right away takes other slots, then, once the dead agent's heartbeat is
#   stale, removes its filters; at its own SIGTERM nothing is left.
. "$(dirname "$0")/../lib.sh"
require_root
LP=$HELPERS/linkpkt
[ -x "$LP" ] || { fail "$LP not built"; finish; }
XA=xa$$ XB=xb$$

quiet() { for n; do nsx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done; }
DEVS="a:eth0 b:eth0 a:$XA b:$XB"
# link programs (tcx or classic) on every test device, one id a line
link_ids() {
	local nd n d id
	for nd in $DEVS; do
		n=${nd%%:*} d=${nd#*:}
		for id in $(nsx $n "$LP" tcx $d 2>/dev/null | sed -n 's/.*ids=//p' | tr , ' '); do
			bpftool prog show id "$id" 2>/dev/null | grep -q "name link_tc_" && echo "$id"
		done
		nsx $n tc filter show dev $d ingress 2>/dev/null | sed -n 's/.* id \([0-9]*\) name link_tc_.*/\1/p'
		nsx $n tc filter show dev $d egress 2>/dev/null | sed -n 's/.* id \([0-9]*\) name link_tc_.*/\1/p'
	done
}
xdp_count() { local nd; for nd in $DEVS; do nsx ${nd%%:*} ip -d link show dev ${nd#*:} | grep -c "prog/xdp"; done | awk '{ s += $1 } END { print s }'; }
clsact_count() { local nd; for nd in $DEVS; do nsx ${nd%%:*} tc qdisc show dev ${nd#*:} | grep -c clsact; done | awk '{ s += $1 } END { print s }'; }
held_by() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u; }
mine() { link_ids | grep -cxF -f <(held_by "$1"); }
wait_mine() {
	local i
	for i in $(seq $((100 * SCALE))); do
		[ "$(mine "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_gone() {
	local i
	for i in $(seq $((50 * SCALE))); do
		[ "$(link_ids | wc -l)$(xdp_count)" = 00 ] && return 0
		sleep 0.1
	done
	return 1
}

ns_create a b
quiet a b
ns_link a b 192.0.2.1 192.0.2.2
nsx a ip link add "$XA" type veth peer name "$XB" netns "$T-b"
nsx a ip link set "$XA" up
nsx b ip link set "$XB" up
a=$(ns_inode a)
b=$(ns_inode b)

sigs="TERM KILL"
bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -q "'BPF_TCX_INGRESS'" ||
	{ sigs=TERM; log "no tcx on this kernel: a SIGKILL is covered by the classic part"; }
for sig in $sigs; do
	log "--- tcx mode (or classic where the kernel has no tcx), SIG$sig"
	agent_start --link.xdp="$XA"
	# 4 devices x 2 directions, less a/$XA's ingress, counted by XDP
	wait_mine "$AGENT_PID" 7 || fail "SIG$sig: the agent's programs on the test devices"
	assert_eq "$(mine "$AGENT_PID")" 7 "SIG$sig: tc programs of the agent"
	assert_eq "$(xdp_count)" 1 "SIG$sig: the agent's XDP program"
	if [ $sig = TERM ]; then
		agent_stop
		assert_eq "$AGENT_RC" 0 "SIGTERM: exit status"
	else
		{ kill -KILL "$AGENT_PID"; wait "$AGENT_PID"; } 2>/dev/null
		AGENT_PID=
	fi
	wait_gone
	assert_eq "$(link_ids | wc -l)" 0 "SIG$sig: link programs left on the test devices"
	assert_eq "$(xdp_count)" 0 "SIG$sig: XDP programs left"
	assert_eq "$(clsact_count)" 0 "SIG$sig: clsact qdiscs left"
done

export OSISCOPE_LINK_TC_MODE=classic:$a,$b
log "--- classic tc, SIGTERM"
agent_start
wait_mine "$AGENT_PID" 8 || fail "classic: the agent's filters"
assert_eq "$(mine "$AGENT_PID")" 8 "classic: filters of the agent"
assert_eq "$(clsact_count)" 4 "classic: clsact qdiscs the agent created"
agent_stop
assert_eq "$AGENT_RC" 0 "classic SIGTERM: exit status"
assert_eq "$(link_ids | wc -l)" 0 "classic SIGTERM: filters left"
assert_eq "$(clsact_count)" 0 "classic SIGTERM: clsact qdiscs left"

log "--- classic tc, SIGKILL, and an agent started right after"
agent_start
wait_mine "$AGENT_PID" 8 || fail "classic: the first agent's filters"
dead=$(held_by "$AGENT_PID" | grep -xF -f <(link_ids) | sort | tr '\n' ' ')
{ kill -KILL "$AGENT_PID"; wait "$AGENT_PID"; } 2>/dev/null
AGENT_PID=
killed=$(date +%s)
assert_eq "$(link_ids | wc -l)" 8 "classic SIGKILL: the dead agent's filters stay"
agent_start
wait_mine "$AGENT_PID" 8 || fail "classic: the second agent's filters"
took=$(($(date +%s) - killed))
assert_eq "$(mine "$AGENT_PID")" 8 "classic: the new agent attached beside the dead one's"
if [ "$took" -lt 14 ]; then
	assert_eq "$(nsx a tc filter show dev eth0 egress | grep -c "handle 0x5c0e002 link_tc_out")" 1 "classic: the new agent took the second slot"
else # a slow start (emulation): the dead agent's heartbeat was stale before it looked
	log "the new agent took ${took} s to attach: the dead one's heartbeat (15 s) may be stale by then"
	assert_eq "$(nsx a tc filter show dev eth0 egress | grep -c "handle 0x5c0e00[12] link_tc_out")" 1 "classic: the new agent took a slot"
fi
# the dead agent's heartbeat goes stale after 15 s, and the new agent looks every 14 s
for i in $(seq $((450 * SCALE))); do
	[ "$(link_ids | wc -l)" = 8 ] && break
	sleep 0.1
done
assert_eq "$(link_ids | wc -l)" 8 "classic: filters left once the dead agent's are removed"
assert_eq "$(mine "$AGENT_PID")" 8 "classic: they are all the new agent's"
assert_eq "$(grep -c "removed the tc filter (handle 0x5c0e001, .* of an osiscope agent that is gone" "$TMP/agent.log")" 8 "classic: the new agent says it removed the dead one's 8 filters"
assert_eq "$(echo $dead | wc -w)" 2 "ids of the dead agent's programs (ingress, egress)"
gone=0
for i in $(seq $((50 * SCALE))); do
	gone=0
	for id in $dead; do bpftool prog show id "$id" >/dev/null 2>&1 || gone=$((gone + 1)); done
	[ $gone = 2 ] && break
	sleep 0.1
done
assert_eq $gone 2 "the dead agent's programs (and maps) are freed"
agent_stop
assert_eq "$AGENT_RC" 0 "classic: exit status"
assert_eq "$(link_ids | wc -l)" 0 "classic: filters left at the end"
assert_eq "$(clsact_count)" 0 "classic: clsact qdiscs left at the end (the dead agent's, all osiscope's)"
unset OSISCOPE_LINK_TC_MODE
finish
