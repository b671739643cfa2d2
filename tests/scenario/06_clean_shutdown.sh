#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The agent stopped with SIGTERM exits 0 and leaves nothing of its own in the kernel:
# every BPF program, link and map it held is gone (bpftool), and no tc filter or
# qdisc remains on a device it watched.
. "$(dirname "$0")/../lib.sh"
require_root
command -v bpftool >/dev/null || skip "bpftool not installed"

ns_create a b
ns_link a b 192.0.2.1 192.0.2.2
agent_start

# what the agent holds, from the kernel's fdinfo of each of its descriptors
ids() { grep -h "^$1_id:" /proc/"$AGENT_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u; }
progs=$(ids prog)
links=$(ids link)
maps=$(ids map)
assert_gt "$(echo "$progs" | grep -c .)" 0 "BPF programs held by the running agent"
assert_gt "$(echo "$links" | grep -c .)" 0 "BPF links held by the running agent"

agent_stop
assert_eq "$AGENT_RC" 0 "agent exit status after SIGTERM"
# the kernel frees programs and maps after an RCU grace period: poll, bounded
remaining() {
	local kind=$1 n=0 id
	shift
	for id in "$@"; do bpftool "$kind" show id "$id" >/dev/null 2>&1 && n=$((n + 1)); done
	echo $n
}
for i in $(seq $((50 * SCALE))); do
	[ "$(remaining prog $progs)$(remaining link $links)$(remaining map $maps)" = 000 ] && break
	sleep 0.1
done
assert_eq "$(remaining prog $progs)" 0 "programs still loaded after exit"
assert_eq "$(remaining link $links)" 0 "links still attached after exit"
assert_eq "$(remaining map $maps)" 0 "maps still present after exit"
for n in a b; do
	assert_eq "$(nsx $n tc filter show dev eth0 ingress | wc -l)" 0 "tc ingress filters on $n/eth0"
	assert_eq "$(nsx $n tc filter show dev eth0 egress | wc -l)" 0 "tc egress filters on $n/eth0"
	assert_eq "$(nsx $n tc qdisc show dev eth0 | grep -c clsact)" 0 "clsact qdisc on $n/eth0"
done
finish
