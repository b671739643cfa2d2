#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Pod churn: N pods come and go one after another (files, cgroups, a sandbox holding a
# network namespace, a container's refused connect). While each lives, its series carry
# its name with exactly its count and the agent's pod tables hold exactly it
# (osiscope_kubernetes_pods/containers/pod_netns = 1); after it is deleted its series go
# with its namespace; at the end the tables are empty again and no series names any of
# them: churn leaves nothing behind.
. "$(dirname "$0")/../lib.sh"
require_root
N=12
cg2=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2" && $4 == "/") print $5; break } }' /proc/self/mountinfo | head -1)
[ -n "$cg2" ] || skip "no cgroup2 mount"
ROOT=$TMP/node
P2=$cg2/osiscope-k8s-$$
SB=
cleanup_81() {
	[ -n "$SB" ] && kill -9 "$SB" 2>/dev/null && wait "$SB" 2>/dev/null
	sleep 0.2
	[ -d "$P2" ] && find "$P2" -depth -type d -exec rmdir {} \; 2>/dev/null
}
trap 'cleanup_81; cleanup' EXIT
hex64() { head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
mkdir -p "$ROOT/var/log/containers" "$ROOT/var/log/pods"

agent_start --kubernetes=on --kubernetes.root="$ROOT"
scrape
assert_eq "$(metric osiscope_kubernetes_pods)" 0 "pods known before"
inodes=()
for i in $(seq $N); do
	uid=$(cat /proc/sys/kernel/random/uuid) id=$(hex64) sb=$(hex64)
	pod=$P2/kubepods/besteffort/pod$uid
	mkdir -p "$pod/$sb" "$pod/$id" "$ROOT/var/log/pods/churn_churn-$i-0_$uid/app"
	: >"$ROOT/var/log/pods/churn_churn-$i-0_$uid/app/0.log"
	ln -s "$ROOT/var/log/pods/churn_churn-$i-0_$uid/app/0.log" "$ROOT/var/log/containers/churn-$i-0_churn_app-$id.log"
	ns_create "p$i"
	inodes+=("$(ns_inode "p$i")")
	bash -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" sleep 600' _ "$pod/$sb" "$T-p$i" &
	SB=$!
	r=$(bash -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" "$3" connect 127.0.0.1 9 1' _ "$pod/$id" "$T-p$i" "$TCPLOAD")
	scrape
	n=$(metric osiscope_tcp_connects_total netns="${inodes[-1]}" result=refused namespace=churn pod="churn-$i-0")
	[ "$n" = 1 ] && [ "$(field refused "$r")" = 1 ] || fail "pod $i: refused connects named churn/churn-$i-0: $n (made: $r)"
	[ "$(metric osiscope_kubernetes_pods)/$(metric osiscope_kubernetes_containers)/$(metric osiscope_kubernetes_pod_netns)" = 1/1/1 ] ||
		fail "pod $i: tables hold $(metric osiscope_kubernetes_pods)/$(metric osiscope_kubernetes_containers)/$(metric osiscope_kubernetes_pod_netns) pods/containers/namespaces, want 1/1/1"
	# deleted: files, sandbox, namespace, cgroups
	rm -f "$ROOT/var/log/containers/churn-$i-0_"*
	rm -rf "$ROOT/var/log/pods/churn_churn-$i-0_$uid"
	kill -9 "$SB"
	wait "$SB" 2>/dev/null
	SB=
	ip netns del "$T-p$i"
	sleep 0.1
	find "$P2/kubepods/besteffort/pod$uid" -depth -type d -exec rmdir {} \;
done
assert_eq "$fails" 0 "pods named while they lived, one at a time in the tables ($N pods)"
scrape
scrape
assert_eq "$(metric osiscope_kubernetes_pods)" 0 "pods known after"
assert_eq "$(metric osiscope_kubernetes_containers)" 0 "containers known after"
assert_eq "$(metric osiscope_kubernetes_pod_netns)" 0 "pod namespaces known after"
assert_eq "$(grep -c 'pod="churn-' "$TMP/metrics")" 0 "series naming a deleted pod"
left=0
for ino in "${inodes[@]}"; do left=$((left + $(grep -c "netns=\"$ino\"" "$TMP/metrics"))); done
assert_eq "$left" 0 "series of the deleted pods' namespaces"
finish
