#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A node laid out as the kubelet does it, for real, in a directory of the test's own
# (--kubernetes.root): pods' cgroups under both drivers (systemd on cgroup v2 with
# containerd names, cgroupfs on v2 with bare IDs, cgroupfs on v1 only with CRI-O names),
# a network namespace per pod held by a sandbox process in the pod's cgroup, the
# kubelet's log links, a host-network pod, a plain Docker container with its
# config.v2.json, a pod whose container runs under an unknown runtime, malformed log
# names. Containers' processes make refused connects (and resets), DNS queries and
# failed TLS handshakes: each pod's series carry its namespace and pod with exactly its
# counts, TLS series (per cgroup) and events also the container,
# trace --pod/--namespace keep only theirs. A pod deleted mid-run loses its names (empty,
# never another pod's), then its series when its namespace goes. Then again with the
# agent and trace in a child cgroup of their own cgroup namespace (unshare -C).
. "$(dirname "$0")/../lib.sh"
require_root
command -v unshare >/dev/null || skip "unshare missing"
DNSQ=$HELPERS/dnsq

cg2=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2" && $4 == "/") print $5; break } }' /proc/self/mountinfo | head -1)
[ -n "$cg2" ] || skip "no cgroup2 mount"
cgv1=/sys/fs/cgroup/pids
[ -f "$cgv1/cgroup.procs" ] || cgv1=

ROOT=$TMP/node
P2=$cg2/osiscope-k8s-$$ # every cgroup of the test, v2
P1=${cgv1:+$cgv1/osiscope-k8s-$$}
PIDS=()
TI= # an ftrace instance of the test's own
cleanup_k8s() {
	local p
	[ -n "$TI" ] && rmdir "$TI" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	sleep 0.2
	for d in "$P2" "$P1"; do
		[ -n "$d" ] && [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
}
trap 'cleanup_k8s; cleanup' EXIT

hex64() { head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
uuid() { cat /proc/sys/kernel/random/uuid; }

# pod NAME: the kubelet's files for a pod (UID in $uid) and container (ID in $id)
podfiles() { # NAMESPACE POD UID CONTAINER ID
	mkdir -p "$ROOT/var/log/pods/$1_$2_$3/$4"
	: >"$ROOT/var/log/pods/$1_$2_$3/$4/0.log"
	ln -s "$ROOT/var/log/pods/$1_$2_$3/$4/0.log" "$ROOT/var/log/containers/$2_$1_$4-$5.log"
}
# sandbox CGROUPDIR NETNS|-: a process holding the pod's namespace, in its cgroup
sandbox() {
	mkdir -p "$1"
	if [ "$2" = - ]; then
		bash -c 'echo $$ >"$1/cgroup.procs" && exec sleep 600' _ "$1" &
	else
		bash -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" sleep 600' _ "$1" "$T-$2" &
	fi
	PIDS+=($!)
}
# in_ctr CGROUPDIR NETNS CMD...: run CMD as the container's process (v2 cgroup); with
# V1DIR set, in that v1 cgroup instead
in_ctr() {
	local cg=$1 ns=$2
	shift 2
	mkdir -p "$cg"
	bash -c 'echo $$ >"$1/cgroup.procs" && shift 2 && exec ip netns exec "$0" "$@"' "$T-$ns" "$cg" x "$@"
}

mkdir -p "$ROOT/var/log/containers" "$ROOT/var/log/pods" "$ROOT/var/lib/docker/containers"
ns_create pa pb pc pe pf
inA=$(ns_inode pa) inB=$(ns_inode pb) inC=$(ns_inode pc) inE=$(ns_inode pe) inF=$(ns_inode pf)
host=$(stat -L -c %i /proc/self/ns/net)

# pod A: shop/web-0, systemd driver, containerd, cgroup v2
uA=$(uuid) idA=$(hex64) sbA=$(hex64)
podA=$P2/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uA//-/_}.slice
podfiles shop web-0 "$uA" app "$idA"
sandbox "$podA/cri-containerd-$sbA.scope" pa
idA2=$(hex64) # its second container, a TLS server
podfiles shop web-0 "$uA" proxy "$idA2"
# pod B: billing/api-1, cgroupfs driver, bare IDs, cgroup v2
uB=$(uuid) idB=$(hex64) sbB=$(hex64)
podB=$P2/kubepods/besteffort/pod$uB
podfiles billing api-1 "$uB" worker "$idB"
sandbox "$podB/$sbB" pb
# pod C: store/db-0, cgroupfs driver on cgroup v1 only, CRI-O
uC=$(uuid) idC=$(hex64) sbC=$(hex64)
if [ -n "$P1" ]; then
	podC=$P1/kubepods/burstable/pod$uC
	podfiles store db-0 "$uC" db "$idC"
	sandbox "$podC/crio-$sbC" pc
fi
# pod D: kube-system/hostnet-0, host network: its sandbox adds nothing to the host's
uD=$(uuid) idD=$(hex64)
podfiles kube-system hostnet-0 "$uD" agent "$idD"
sandbox "$P2/kubepods/pod$uD/$(hex64)" -
# a plain Docker container, named in its config.v2.json
idE=$(hex64)
mkdir -p "$ROOT/var/lib/docker/containers/$idE"
printf '{"ID":"%s","Config":{"Hostname":"x"},"Name":"/legacy-db","Driver":"overlay2"}' "$idE" \
	>"$ROOT/var/lib/docker/containers/$idE/config.v2.json"
# pod F: batch/batch-0, its container under a runtime no one knows
uF=$(uuid) idF=$(hex64)
podF=$P2/kubepods/pod$uF
podfiles batch batch-0 "$uF" job "$idF"
sandbox "$podF/$(hex64)" pf
# malformed log names: skipped, nothing else
: >"$ROOT/var/log/containers/garbage.log"
ln -s /nonexistent "$ROOT/var/log/containers/x_y_z-nothex.log"
ln -s /nonexistent "$ROOT/var/log/containers/a_b_c_d-$(hex64).log"

nsx pa "$DNSQ" serve 127.0.0.1 53 nxdomain &
PIDS+=($!)
wait_udp pa 127.0.0.1:53

NA=5 NB=3 NC=2 NE=4 NF=2 QA=3
NCX=0
[ -n "$P1" ] && NCX=$NC
traffic() { # the containers' work; C only where cgroup v1 is there
	local r
	r=$(in_ctr "$podA/cri-containerd-$idA.scope" pa "$TCPLOAD" connect 127.0.0.1 9 "$1")
	assert_eq "$(field refused "$r")" "$1" "refused connects made in shop/web-0"
	if [ "$2" -gt 0 ]; then
		r=$(in_ctr "$podB/$idB" pb "$TCPLOAD" connect 127.0.0.1 9 "$2")
		assert_eq "$(field refused "$r")" "$2" "refused connects made in billing/api-1"
	fi
	if [ -n "$P1" ]; then
		mkdir -p "$podC/crio-$idC"
		r=$(bash -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" "$3" connect 127.0.0.1 9 "$4"' \
			_ "$podC/crio-$idC" "$T-pc" "$TCPLOAD" "$3")
		assert_eq "$(field refused "$r")" "$3" "refused connects made in store/db-0"
	fi
}

agent_start --kubernetes=on --kubernetes.root="$ROOT"
# the proxy container's TLS server, with a certificate no client trusts. A failed
# handshake ends in resets whose fate is a race: the client closes with records unread
# (a reset) while the server, having read the client's alert, closes too (a FIN). When
# the FIN reaches the client's socket after it is gone, the kernel answers it with a
# reset that finds the server's socket gone as well: sent, and received by no socket.
# So the resets the sockets received are counted by the kernel's own tcp_receive_reset
# events, read by an ftrace instance of the test's own, for the TLS port.
ev=$(tracefs_events)
if [ -n "$ev" ] && [ -d "$ev/tcp/tcp_receive_reset" ] && mkdir "${ev%/events}/instances/osiscope-$$" 2>/dev/null; then
	TI=${ev%/events}/instances/osiscope-$$
	for e in tcp/tcp_receive_reset sock/inet_sock_set_state; do
		echo 'sport == 4433 || dport == 4433' >"$TI/events/$e/filter"
		echo 1 >"$TI/events/$e/enable"
	done
fi
if command -v openssl >/dev/null && command -v curl >/dev/null && [ -n "$TI" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/srv.key" \
		-out "$TMP/srv.pem" -days 1 -subj "/CN=osiscope-test" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
	mkdir -p "$podA/cri-containerd-$idA2.scope"
	bash -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" openssl s_server -accept 4433 -rev -cert "$3" -key "$4"' \
		_ "$podA/cri-containerd-$idA2.scope" "$T-pa" "$TMP/srv.pem" "$TMP/srv.key" >/dev/null 2>&1 </dev/null &
	PIDS+=($!)
	TLS=1
fi
trace_start "$TMP/all.json" -o json -l tcp --kubernetes=on --kubernetes.root="$ROOT"
trace_start2() { # a second trace beside the first
	local out=$1
	shift
	"$OSI_BIN" trace "$@" >"$out" 2>"$out.err" &
	TRACE2_PID=$!
	for i in $(seq 100); do
		grep -q "tracing" "$out.err" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "second trace did not start"
}
TRACE_A=$TRACE_PID
trace_start2 "$TMP/podA.json" -o json -l tcp --kubernetes.root="$ROOT" --pod shop/web-0
TRACE_PODA=$TRACE2_PID
trace_start2 "$TMP/billing.cols" -l tcp --kubernetes.root="$ROOT" --namespace billing
TRACE_BILLING=$TRACE2_PID

rsts0=$(mib pa TcpOutRsts)
traffic $NA $NB $NC
r=$(in_ctr "$P2/docker/$idE" pe "$TCPLOAD" connect 127.0.0.1 9 $NE)
assert_eq "$(field refused "$r")" $NE "refused connects made in Docker's legacy-db"
r=$(in_ctr "$podF/gvisor-sandbox-1" pf "$TCPLOAD" connect 127.0.0.1 9 $NF)
assert_eq "$(field refused "$r")" $NF "refused connects made under the unknown runtime"
r=$(in_ctr "$podA/cri-containerd-$idA.scope" pa "$DNSQ" query 127.0.0.1 53 web.shop.test A $QA)
assert_eq "$(field nxdomain "$r")" $QA "DNS queries answered NXDOMAIN in shop/web-0"

NT=2
if [ -n "${TLS:-}" ]; then
	for i in $(seq $((50 * SCALE))); do nsx pa ss -Hltn 'sport = :4433' | grep -q . && break; sleep 0.1; done
	for i in $(seq $NT); do # untrusted: each fails on both sides
		in_ctr "$podA/cri-containerd-$idA.scope" pa curl -sS -o /dev/null --max-time $((5 * SCALE)) https://127.0.0.1:4433/ 2>/dev/null
	done
fi
# until each trace has written the refused connects it keeps
refused() { grep -c "$2" "$1" 2>/dev/null; }
for i in $(seq $((50 * SCALE))); do
	[ "$(refused "$TMP/all.json" connect_refused)" -ge $((NA + NB + NCX + NE + NF)) ] &&
		[ "$(refused "$TMP/podA.json" connect_refused)" -ge $NA ] &&
		[ "$(refused "$TMP/billing.cols" ' connect_refused ')" -ge $NB ] && break
	sleep 0.1
done
for p in $TRACE_A $TRACE_PODA $TRACE_BILLING; do kill -INT $p; done
wait $TRACE_A $TRACE_PODA $TRACE_BILLING 2>/dev/null

scrape
m() { metric osiscope_tcp_connects_total result=refused "$@"; }
assert_eq "$(m netns=$inA namespace=shop pod=web-0)" $NA "refused connects of shop/web-0 (systemd driver, v2)"
assert_eq "$(m netns=$inB namespace=billing pod=api-1)" $NB "refused connects of billing/api-1 (cgroupfs driver, v2)"
[ -n "$P1" ] && assert_eq "$(m netns=$inC namespace=store pod=db-0)" $NC "refused connects of store/db-0 (cgroup v1)"
assert_eq "$(m netns=$inE namespace= pod=)" $NE "refused connects of the Docker container's namespace: no pod"
assert_eq "$(m netns=$inF namespace=batch pod=batch-0)" $NF "refused connects of batch/batch-0 (unknown runtime)"
assert_eq "$(metric osiscope_dns_queries_total netns=$inA namespace=shop pod=web-0 qtype=A)" $QA "DNS queries of shop/web-0"
# refused connects and failed handshakes end in resets: the kernel's own count of them
rsts=$(($(mib pa TcpOutRsts) - rsts0))
assert_gt "$rsts" $((NA - 1)) "kernel TcpOutRsts delta in shop/web-0's namespace"
assert_eq "$(metric osiscope_tcp_resets_sent_total netns=$inA namespace=shop pod=web-0)" $rsts "resets sent in shop/web-0"
# received: one by each refused connect's socket, and what the TLS sockets received
rx=$NA
if [ -n "${TLS:-}" ]; then
	echo 0 >"$TI/tracing_on"
	tls_rx=$(grep -c ' tcp_receive_reset: ' "$TI/trace")
	rx=$((NA + tls_rx))
	log "TLS: $((rsts - NA)) resets sent, $tls_rx received by a socket (tcp_receive_reset)"
	# the states the TLS sockets went through, when a reset found no socket
	[ "$rx" = "$rsts" ] || grep -o ' \(tcp_receive_reset\|inet_sock_set_state\): .*' "$TI/trace" |
		sed 's/saddr.*oldstate/oldstate/; s/family=[A-Z_0-9]* //; s/protocol=[A-Z_]* //' >&2
fi
assert_eq "$(metric osiscope_tcp_resets_received_total netns=$inA namespace=shop pod=web-0)" $rx "resets received in shop/web-0"
if [ -n "${TLS:-}" ]; then
	# TLS series are per cgroup: they name the container too (sums over reasons)
	tls() { # ROLE CONTAINER: failed handshakes, once the collector has read them
		local i v=0
		for i in $(seq 25); do
			v=$(grep '^osiscope_tls_handshakes_total{' "$TMP/metrics" | grep "role=\"$1\"" |
				grep 'result="failed"' | grep "namespace=\"shop\",pod=\"web-0\",container=\"$2\"" |
				awk '{ s += $NF } END { print s + 0 }')
			[ "$v" -ge $NT ] && break
			sleep 0.2
			scrape
		done
		echo "$v"
	}
	assert_eq "$(tls client app)" $NT "failed TLS handshakes of shop/web-0's app container (client)"
	assert_eq "$(tls server proxy)" $NT "failed TLS handshakes of shop/web-0's proxy container (server)"
	assert_eq "$(grep '^osiscope_tls_handshakes_total{' "$TMP/metrics" | grep -v 'container="' | wc -l)" 0 \
		"every TLS series has container"
fi
assert_eq "$(grep "pod=\"web-0\"" "$TMP/metrics" | grep -c "netns=\"$inA\"")" "$(grep -c "netns=\"$inA\"" "$TMP/metrics")" \
	"every series of shop/web-0's namespace names it"
assert_eq "$(grep "pod=\"web-0\"" "$TMP/metrics" | grep -v "netns=\"$inA\"" | grep -vc 'cgroup="')" 0 \
	"no other namespace's series names it (the TLS ones by their cgroup)"
assert_eq "$(grep "netns=\"$host\"" "$TMP/metrics" | grep -vc 'namespace="",pod=""')" 0 \
	"the host's namespace is no pod's (a host-network pod's sandbox is in it)"
assert_gt "$(grep -c "netns=\"$host\"" "$TMP/metrics")" 0 "series of the host's namespace"
assert_eq "$(grep -v '^#' "$TMP/metrics" | grep 'netns="' | grep -vc 'pod="')" 0 "every series with netns has pod"

ev() { grep '"type":"connect_refused"' "$1" | grep -c "$2"; }
assert_eq "$(ev "$TMP/all.json" '"namespace":"shop","pod":"web-0","container":"app"')" $NA "events of shop/web-0's app container"
assert_eq "$(ev "$TMP/all.json" '"namespace":"billing","pod":"api-1","container":"worker"')" $NB "events of billing/api-1's worker container"
if [ -n "$P1" ]; then
	# cgroup v1: the container by the process's own cgroups while it lives, the pod by
	# its namespace in any case
	assert_eq "$(ev "$TMP/all.json" '"namespace":"store","pod":"db-0","container":"\(db\)\?"')" $NC "events of store/db-0"
fi
assert_eq "$(ev "$TMP/all.json" '"namespace":"","pod":"","container":"legacy-db"')" $NE "events of Docker's legacy-db (its name from config.v2.json)"
assert_eq "$(ev "$TMP/all.json" '"namespace":"batch","pod":"batch-0","container":""')" $NF "events under an unknown runtime: the pod, no container"
assert_eq "$(grep -c '"type":"connect_refused"' "$TMP/all.json")" $((NA + NB + NCX + NE + NF)) "every connect_refused event, each once"
assert_eq "$(ev "$TMP/podA.json" '')" $NA "trace --pod shop/web-0: its refused connects"
assert_eq "$(grep -vc '"pod":"web-0"' "$TMP/podA.json")" 0 "trace --pod shop/web-0: nothing else"
assert_eq "$(grep -c ' connect_refused ' "$TMP/billing.cols")" $NB "trace --namespace billing: its refused connects"
assert_eq "$(grep ' connect_refused ' "$TMP/billing.cols" | grep -c 'pod=billing/api-1 container=worker')" $NB \
	"trace --namespace billing: pod and container in the columns"
# the resets too (the server's side has no task: its pod by the namespace alone)
assert_eq "$(grep -v '^TIME' "$TMP/billing.cols" | grep -vc 'pod=billing/api-1')" 0 "trace --namespace billing: nothing else"
grep -q "garbage\|nothex" "$TMP/agent.log" && fail "malformed log names logged above debug"

# pod B deleted while its processes and namespace linger: no names, never another pod's
rm -f "$ROOT/var/log/containers/api-1_"*
rm -rf "$ROOT/var/log/pods/billing_api-1_$uB"
scrape
assert_eq "$(m netns=$inB namespace= pod=)" $NB "deleted pod's namespace: empty names, its count kept"
assert_eq "$(grep -c 'pod="api-1"' "$TMP/metrics")" 0 "deleted pod named nowhere"
# then its sandbox and namespace go: so do its series
kill -9 "${PIDS[1]}"
wait "${PIDS[1]}" 2>/dev/null
ip netns del "$T-pb"
scrape
scrape
assert_eq "$(grep -c "netns=\"$inB\"" "$TMP/metrics")" 0 "series of the deleted pod's namespace"
agent_stop

# Again, the agent and trace in a child cgroup of their own cgroup namespace: the host's
# cgroups show as /../.. paths and under a cgroup2 mount whose root is "/..".
mkdir -p "$P2/agent"
cat >"$TMP/osiscope-cgns" <<EOF
#!/bin/bash
echo \$\$ >"$P2/agent/cgroup.procs" && exec unshare -C "$OSI_BIN" "\$@"
EOF
chmod +x "$TMP/osiscope-cgns"
REAL_BIN=$OSI_BIN
OSI_BIN=$TMP/osiscope-cgns
agent_start --kubernetes=on --kubernetes.root="$ROOT"
assert_eq "$(cat /proc/$AGENT_PID/cgroup | grep '^0::')" "0::/osiscope-k8s-$$/agent" "agent's cgroup, seen from the host"
assert_eq "$([ "$(readlink /proc/$AGENT_PID/ns/cgroup)" != "$(readlink /proc/self/ns/cgroup)" ] && echo own)" own \
	"agent in a cgroup namespace of its own"
trace_start "$TMP/cgns.json" -o json -l tcp --kubernetes=on --kubernetes.root="$ROOT"
NA2=3 NC2=2
traffic $NA2 0 $NC2
r=$(in_ctr "$podA/cri-containerd-$idA.scope" pa "$DNSQ" query 127.0.0.1 53 web.shop.test A $QA)
assert_eq "$(field nxdomain "$r")" $QA "DNS queries answered NXDOMAIN in shop/web-0"
n2=$NA2
[ -n "$P1" ] && n2=$((NA2 + NC2))
for i in $(seq $((50 * SCALE))); do
	[ "$(refused "$TMP/cgns.json" connect_refused)" -ge $n2 ] && break
	sleep 0.1
done
trace_stop
scrape
OSI_BIN=$REAL_BIN
assert_eq "$(m netns=$inA namespace=shop pod=web-0)" $NA2 "cgroup namespace: refused connects of shop/web-0"
[ -n "$P1" ] && assert_eq "$(m netns=$inC namespace=store pod=db-0)" $NC2 "cgroup namespace: refused connects of store/db-0"
assert_eq "$(metric osiscope_dns_queries_total netns=$inA namespace=shop pod=web-0 qtype=A)" $QA \
	"cgroup namespace: DNS queries of shop/web-0 (the host's cgroup2 mount, root /..)"
assert_eq "$(ev "$TMP/cgns.json" '"namespace":"shop","pod":"web-0","container":"app"')" $NA2 "cgroup namespace: events of shop/web-0's app"
[ -n "$P1" ] && assert_eq "$(ev "$TMP/cgns.json" '"namespace":"store","pod":"db-0"')" $NC2 "cgroup namespace: events of store/db-0"
agent_stop
finish
