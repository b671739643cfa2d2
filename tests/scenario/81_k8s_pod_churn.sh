#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Pod churn: N pods come and go one after another (files, cgroups, a sandbox holding a
# network namespace, a container's refused connect). While each lives, its series carry
# its name with exactly its count and the agent's pod tables hold exactly it
# (osiscope_kubernetes_pods/containers/pod_netns = 1); after it is deleted its series go
# with its namespace; at the end the tables are empty again and no series names any of
# them: churn leaves nothing behind. The first pod's sandbox is seen by the agent before it
# joins its pod's cgroup and namespace (as a runtime's init is between its fork and its
# setns): the agent looks at it again and names its namespace.
. "$(dirname "$0")/../lib.sh"
require_root
N=12
cg2=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2" && $4 == "/") print $5; break } }' /proc/self/mountinfo | head -1)
[ -n "$cg2" ] || skip "no cgroup2 mount"
ROOT=$TMP/node
P2=$cg2/osiscope-k8s-$$
SB=
# rm_cgroups DIR: a cgroup whose last process was just reaped may still be busy a moment
rm_cgroups() {
	local i
	for i in $(seq $((100 * SCALE))); do
		[ -d "$1" ] || return 0
		find "$1" -depth -type d -exec rmdir {} \; 2>/dev/null
		[ -d "$1" ] || return 0
		sleep 0.05
	done
	fail "cgroups left under $1"
}
cleanup_81() {
	[ -n "$SB" ] && kill -9 "$SB" 2>/dev/null && wait "$SB" 2>/dev/null
	rm_cgroups "$P2"
}
trap 'cleanup_81; cleanup' EXIT
hex64() { head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# sandbox_ready PID INODE: until the sandbox is in its pod's namespace (it joins it after
# its cgroup): the kubelet starts a pod's containers once its sandbox is up
sandbox_ready() {
	local i
	for i in $(seq $((200 * SCALE))); do
		[ "$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	fail "sandbox $1 never joined namespace $2"
	return 1
}
# scrape_named: scrapes until the agent knows a namespace of a pod, in at most 17 scrapes:
# a process it saw before in another place is looked at again on every scan while it is
# young (10 s), else on one scan in 16 (NETNS_YOUNG_S, NETNS_RECHECK_EVERY in user/netns.h).
# Sets SCRAPES to how many it took; returns 1 when it never did (the checks after it fail).
scrape_named() {
	for SCRAPES in $(seq 17); do
		scrape
		[ "$(metric osiscope_kubernetes_pod_netns)" = 0 ] || return 0
	done
	log "no pod namespace known after $SCRAPES scrapes"
	return 1
}
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
	if [ "$i" = 1 ]; then
		# held before it moves until a scan has seen it where it started
		mkfifo "$TMP/go"
		bash -c 'read -r _ <"$3" && echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" sleep 600' _ "$pod/$sb" "$T-p$i" "$TMP/go" &
		SB=$!
		scrape
		assert_eq "$(metric osiscope_kubernetes_pods)/$(metric osiscope_kubernetes_pod_netns)" 1/0 \
			"pod 1 before its sandbox moved: pods/pod namespaces"
		echo go >"$TMP/go"
	else
		bash -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" sleep 600' _ "$pod/$sb" "$T-p$i" &
		SB=$!
	fi
	sandbox_ready "$SB" "${inodes[-1]}" || break
	r=$(bash -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" "$3" connect 127.0.0.1 9 1' _ "$pod/$id" "$T-p$i" "$TCPLOAD")
	scrape_named && [ "$SCRAPES" != 1 ] && log "pod $i: its namespace named after $SCRAPES scrapes"
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
	rm_cgroups "$P2/kubepods/besteffort/pod$uid"
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
