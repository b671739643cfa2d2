#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make bench: what osiscope costs the host, measured beside a baseline in the same run.
# Every figure is a ratio against something measured here and now (an empty program on
# the same hook, a peer tool, the same workload without the agent), never an absolute
# time on its own. Prints one table and writes it to bench/results.md. Bounded: the
# workloads stop by themselves, traffic stays in namespaces this script creates.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUTPUT=${OUTPUT:-.output}
case $OUTPUT in /*) ;; *) OUTPUT=$ROOT/$OUTPUT ;; esac
BIN=${OSI_BIN:-$ROOT/osiscope}
HELPERS=$OUTPUT/helpers
TCPLOAD=$HELPERS/tcpload
FLOOR=$OUTPUT/bench/floor
ROUNDS=${BENCH_ROUNDS:-5}
# BENCH_STAGES="1 3": run only those stages (1 kernel cost, 1b tls uprobes, 2 workload
# impact, 3 footprint and scrapes, 3b scrapes beside 10^5 sockets); default all. A partial
# run still replaces bench/results.md, which then says which stages it holds.
# BENCH_AGENT_ARGS="--diagnose.window=0": stage 1's agent gets these options too (say,
# no diagnose window, hence no events: what the counting alone costs).
STAGES=${BENCH_STAGES:-1 1b 2 3 3b}
NS=osib$$
PORT=$((20000 + $$ % 12000))
TMP=$(mktemp -d /tmp/osiscope-bench.XXXXXX)
RESULTS=bench/results.md
PIDS=()

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }
scripts/deps.sh bench

log() { echo "bench: $*" >&2; }
die() {
	log "FAILED: $*"
	exit 1
}
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	{
		wait
	} 2>/dev/null || true
	for n in a b l h e; do
		ip netns pids "$NS-$n" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$NS-$n" 2>/dev/null || true
	done
	for n in $(ip netns list | awk '{print $1}' | grep "^$NS-x" || true); do ip netns del "$n"; done
	rm -rf "$TMP"
}
trap cleanup EXIT
nsx() {
	local n=$1
	shift
	ip netns exec "$NS-$n" "$@"
}

# --- statistics helpers (awk) -------------------------------------------------------
# median of the numbers on stdin, and "min-max"
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.4g-%.4g", lo, hi }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.3f", a / b }'; }
fmt() { awk -v v="$1" 'BEGIN { printf "%.4g", v }'; }

# --- BPF program cost from the kernel's run-time statistics ------------------------
# prog_ids PID: the BPF programs a process holds, from its fdinfo
prog_ids() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un; }
# prog_stat ID: "name run_time_ns run_cnt"
prog_stat() {
	bpftool prog show id "$1" 2>/dev/null | awk '
		/^[0-9]+:/ { for (i = 1; i <= NF; i++) { if ($i == "name") n = $(i + 1); if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) } }
		END { printf "%s %d %d\n", n, t, c }'
}
# snapshot FILE PID...: run time and count of every program the processes hold
snapshot() {
	local f=$1 p id
	shift
	: >"$f"
	for p in "$@"; do
		for id in $(prog_ids "$p"); do echo "$p $id $(prog_stat "$id")" >>"$f"; done
	done
}
# ns_per_run BEFORE AFTER PID [NAME]: mean ns per run over the interval for that process's
# programs (only NAME if given); prints "ns runs"
ns_per_run() {
	awk -v pid="$3" -v name="${4:-}" '
		FNR == NR { t0[$2] = $4; c0[$2] = $5; next }
		$1 == pid && (name == "" || $3 == name) { t += $4 - t0[$2]; c += $5 - c0[$2] }
		END { if (c > 0) printf "%.1f %d\n", t / c, c; else print "0 0" }' "$1" "$2"
}

agent_start() {
	"$BIN" run --web.listen-address="127.0.0.1:$PORT" "$@" >"$TMP/agent.log" 2>&1 &
	AGENT=$!
	PIDS+=("$AGENT")
	for _ in $(seq 200); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/-/ready")" = 200 ] && return 0
		kill -0 "$AGENT" 2>/dev/null || { cat "$TMP/agent.log" >&2; die "agent did not start"; }
		sleep 0.1
	done
	die "agent not ready"
}
agent_stop() {
	kill -TERM "$AGENT" 2>/dev/null || true
	wait "$AGENT" 2>/dev/null || true
}
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status; }

# --- topology: a/b joined by veth (bulk, rr, lossy, refused), l for loopback churn ----
ip netns add "$NS-a"
ip netns add "$NS-b"
ip netns add "$NS-l"
for n in a b l; do nsx $n ip link set lo up; done
ip -n "$NS-a" link add eth0 type veth peer name eth0 netns "$NS-b"
ip -n "$NS-a" addr add 198.51.100.1/24 dev eth0
ip -n "$NS-b" addr add 198.51.100.2/24 dev eth0
ip -n "$NS-a" addr add 2001:db8::1/64 dev eth0 nodad
ip -n "$NS-b" addr add 2001:db8::2/64 dev eth0 nodad
ip -n "$NS-a" link set eth0 up
ip -n "$NS-b" link set eth0 up
# churn leaves TIME_WAIT sockets: let the loopback namespace reuse ports
nsx l sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65000"

nsx l "$TCPLOAD" serve 127.0.0.1 8080 100000 >/dev/null &
PIDS+=($!)
nsx b "$TCPLOAD" serve 198.51.100.2 8080 100000 >/dev/null &
PIDS+=($!)
nsx b "$TCPLOAD" echo 198.51.100.2 8081 100000 >/dev/null &
PIDS+=($!)
nsx b iperf3 -s -p 5201 >/dev/null 2>&1 &
PIDS+=($!)
nsx b "$HELPERS/dnsq" serve 198.51.100.2 53 noerror >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); }
stage() { [[ " $STAGES " == *" $1 "* ]]; }

# ===================================================================================
if stage 1; then
log "stage 1: kernel cost per event (BPF run-time statistics, all programs attached at once)"
# shellcheck disable=SC2086 # BENCH_AGENT_ARGS: options of its own, split
agent_start --bpf.stats=on ${BENCH_AGENT_ARGS:-}
CGROOT=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
"$FLOOR" 600 --cgroup "$CGROOT" --tc "/run/netns/$NS-a:eth0" >"$TMP/floor.out" 2>&1 &
FLOORPID=$!
PIDS+=("$FLOORPID")
/usr/sbin/tcpstates >/dev/null 2>&1 &
TCPSTATES=$!
PIDS+=("$TCPSTATES")
/usr/sbin/tcplife >/dev/null 2>&1 &
TCPLIFE=$!
PIDS+=("$TCPLIFE")
ulimit -l unlimited 2>/dev/null || true
# a bpftrace count() on every hook it can reach (not tc nor cgroup_skb): the one-liner
# a user would write, to hold each of our programs against
BT_HOOKS="tcp:tcp_retransmit_skb tcp:tcp_retransmit_synack tcp:tcp_send_reset tcp:tcp_receive_reset
skb:kfree_skb neigh:neigh_update neigh:neigh_update_done neigh:neigh_timer_handler
net:netif_receive_skb net:net_dev_start_xmit net:net_dev_xmit_timeout fib:fib_table_lookup
fib6:fib6_table_lookup icmp:icmp_send sock:sock_send_length sched:sched_process_exec"
bt_script='tracepoint:sock:inet_sock_set_state { @[args->newstate] = count(); }'
for h in $BT_HOOKS; do
	[ -d "/sys/kernel/tracing/events/${h%%:*}/${h##*:}" ] || [ -d "/sys/kernel/debug/tracing/events/${h%%:*}/${h##*:}" ] || continue
	bt_script="$bt_script tracepoint:$h { @${h##*:} = count(); }"
done
bpftrace -e "$bt_script" >/dev/null 2>&1 &
BPFTRACE=$!
PIDS+=("$BPFTRACE")
for _ in $(seq 100); do
	[ -n "$(prog_ids "$FLOORPID")" ] && [ -n "$(prog_ids "$TCPSTATES")" ] &&
		[ -n "$(prog_ids "$TCPLIFE")" ] && [ -n "$(prog_ids "$BPFTRACE")" ] && break
	sleep 0.1
done
for p in "$FLOORPID" "$TCPSTATES" "$TCPLIFE" "$BPFTRACE"; do
	[ -n "$(prog_ids "$p")" ] || die "a peer did not load its programs (pid $p)"
done
cpu0=$(cpu_ticks "$AGENT")
snapshot "$TMP/s0" "$AGENT" "$FLOORPID" "$TCPSTATES" "$TCPLIFE" "$BPFTRACE"
# state changes (churn), resets (closed port), retransmits (2% loss into b), SYN-ACK
# retransmits (a listener that never accepts)
nsx l "$TCPLOAD" rate 127.0.0.1 8080 3 >/dev/null
nsx a "$TCPLOAD" connect 198.51.100.2 9 2000 >/dev/null
nsx b nft add table inet bench
nsx b nft add chain inet bench in '{ type filter hook input priority 0; }'
nsx b nft add rule inet bench in tcp dport 8080 numgen random mod 100 '<' 2 drop
nsx a ethtool -K eth0 tso off gso off >/dev/null 2>&1 || true
nsx a "$TCPLOAD" send 198.51.100.2 8080 20000000 >/dev/null
nsx b nft delete table inet bench
nsx b "$TCPLOAD" listen 198.51.100.2 8090 1 4 >/dev/null &
nsx a "$TCPLOAD" parallel 198.51.100.2 8090 8 >/dev/null
sleep 2.5 # the listener's SYN-ACK timer fires after 1 s, then 2 s
# the other layers' hooks: drops and ICMP errors (UDP to a closed port, both families:
# route lookups, sends, kfree_skb, icmp_send), ARP requests and replies, neighbours that
# fail to resolve, DNS queries answered, device traffic through tc (all of the above)
nsx a "$HELPERS/routeload" udp 198.51.100.2 9 5000 >/dev/null
nsx a "$HELPERS/routeload" udp 2001:db8::2 9 5000 >/dev/null
nsx a "$HELPERS/linkpkt" arp eth0 198.51.100.1 198.51.100.2 2000 >/dev/null
nsx a sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=100
nsx a "$HELPERS/neighsend" 198.51.100.77 9 3 >/dev/null
nsx a "$HELPERS/dnsq" query 198.51.100.2 53 bench.test A 2000 >/dev/null
sleep 1 # the neighbour's last probe and its failure
snapshot "$TMP/s1" "$AGENT" "$FLOORPID" "$TCPSTATES" "$TCPLIFE" "$BPFTRACE"
cpu1=$(cpu_ticks "$AGENT")
curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/m.stage1"

read -r floor_state _ <<<"$(ns_per_run "$TMP/s0" "$TMP/s1" "$FLOORPID" floor_state)"
# each floor program's tracepoint, as bpftrace names its program
declare -A BT_OF=([floor_state]=inet_sock_set_state [floor_retransmit]=tcp_retransmit_skb
	[floor_synack]=tcp_retransmit_synack [floor_send_reset]=tcp_send_reset
	[floor_receive_reset]=tcp_receive_reset [floor_kfree_skb]=kfree_skb
	[floor_neigh_update]=neigh_update [floor_neigh_update_done]=neigh_update_done
	[floor_neigh_timer]=neigh_timer_handler [floor_rx]=netif_receive_skb
	[floor_tx]=net_dev_start_xmit [floor_xmit_timeout]=net_dev_xmit_timeout
	[floor_fib]=fib_table_lookup [floor_fib6]=fib6_table_lookup [floor_icmp_send]=icmp_send
	[floor_send_length]=sock_send_length [floor_exec]=sched_process_exec)
for prog in tcp_state_btf:floor_state tcp_retransmit_btf:floor_retransmit tcp_synack_btf:floor_synack \
	tcp_send_reset_btf:floor_send_reset tcp_receive_reset_btf:floor_receive_reset \
	drop_btf:floor_kfree_skb neigh_drop_btf:floor_kfree_skb neigh_rx_btf:floor_rx \
	neigh_tx_btf:floor_tx neigh_upd_btf:floor_neigh_update neigh_done_btf:floor_neigh_update_done \
	neigh_timer_btf:floor_neigh_timer route_fib_btf:floor_fib route_fib6_btf:floor_fib6 \
	route_icmp_btf:floor_icmp_send route_send_btf:floor_send_length link_tc_in:floor_tc_in \
	link_tc_out:floor_tc_out link_txto_btf:floor_xmit_timeout dns_egress:floor_cg_egress \
	dns_ingress:floor_cg_ingress tls_exec_btf:floor_exec; do
	ours=${prog%%:*}
	fl=${prog##*:}
	read -r o_ns o_runs <<<"$(ns_per_run "$TMP/s0" "$TMP/s1" "$AGENT" "$ours")"
	read -r f_ns f_runs <<<"$(ns_per_run "$TMP/s0" "$TMP/s1" "$FLOORPID" "$fl")"
	if [ "$o_runs" -eq 0 ]; then
		[ "$ours" = tcp_state_btf ] && die "$ours did not run"
		row "kernel ns/run, $ours" "not exercised" "" "" "" ""
		continue
	fi
	r=$(ratio "$o_ns" "$f_ns")
	# bpftrace names a program after its tracepoint, cut to 15 characters
	bt=${BT_OF[$fl]:-}
	b_runs=0
	[ -n "$bt" ] && read -r b_ns b_runs <<<"$(ns_per_run "$TMP/s0" "$TMP/s1" "$BPFTRACE" "${bt:0:15}")"
	if [ "$b_runs" -gt 0 ]; then
		rb=$(ratio "$o_ns" "$b_ns")
		row "kernel ns/run, $ours ($o_runs runs)" "$(fmt "$o_ns")" \
			"$(fmt "$f_ns") (empty $fl) / $(fmt "$b_ns") (bpftrace count())" "$r / $rb" \
			"<= 2 / <= 1" "$(awk -v r="$r" -v b="$rb" 'BEGIN { print (r <= 2 && b <= 1) ? "yes" : "no" }')"
	else
		row "kernel ns/run, $ours ($o_runs runs)" "$(fmt "$o_ns")" "$(fmt "$f_ns") (empty $fl)" "$r" \
			"<= 2" "$(awk -v r="$r" 'BEGIN { print (r <= 2) ? "yes" : "no" }')"
	fi
done
# the exec hook's own target (issue 13): at most 1 us per exec, whatever the floor
read -r ex_ns ex_runs <<<"$(ns_per_run "$TMP/s0" "$TMP/s1" "$AGENT" tls_exec_btf)"
[ "$ex_runs" -gt 0 ] && row "kernel ns per exec, tls_exec_btf ($ex_runs execs)" "$(fmt "$ex_ns")" "" "" "<= 1000" \
	"$(awk -v v="$ex_ns" 'BEGIN { print (v <= 1000) ? "yes" : "no" }')"
read -r ours_all ours_runs <<<"$(ns_per_run "$TMP/s0" "$TMP/s1" "$AGENT")"
read -r st_ns _ <<<"$(ns_per_run "$TMP/s0" "$TMP/s1" "$TCPSTATES")"
read -r tl_ns _ <<<"$(ns_per_run "$TMP/s0" "$TMP/s1" "$TCPLIFE")"
read -r bt_ns _ <<<"$(ns_per_run "$TMP/s0" "$TMP/s1" "$BPFTRACE" inet_sock_set_s)"
read -r os_ns _ <<<"$(ns_per_run "$TMP/s0" "$TMP/s1" "$AGENT" tcp_state_btf)"
r=$(ratio "$st_ns" "$os_ns")
row "kernel ns/event on inet_sock_set_state vs tcpstates" "$(fmt "$os_ns")" "$(fmt "$st_ns") (tcpstates)" \
	"tcpstates/osiscope = $r" ">= 30" "$(awk -v r="$r" 'BEGIN { print (r >= 30) ? "yes" : "no" }')"
row "kernel ns/event vs tcplife" "$(fmt "$os_ns")" "$(fmt "$tl_ns") (tcplife)" "tcplife/osiscope = $(ratio "$tl_ns" "$os_ns")" "" ""
row "kernel ns/event vs bpftrace count()" "$(fmt "$os_ns")" "$(fmt "$bt_ns") (bpftrace)" "bpftrace/osiscope = $(ratio "$bt_ns" "$os_ns")" "" ""
cpu_s=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$(getconf CLK_TCK)" 'BEGIN { print (b - a) / t }')
row "agent CPU per million kernel events (userspace)" "$(awk -v c="$cpu_s" -v n="$ours_runs" 'BEGIN { printf "%.3f s", c / n * 1e6 }')" "$ours_runs events" "" "" ""
mapmem=$(awk '/^osiscope_bpf_map_memory_bytes/ { s += $NF } END { print s }' "$TMP/m.stage1")
row "BPF map memory" "$(awk -v b="$mapmem" 'BEGIN { printf "%.2f MiB", b / 1048576 }')" "" "" "" ""
kill "$FLOORPID" "$TCPSTATES" "$TCPLIFE" "$BPFTRACE" 2>/dev/null || true
wait "$FLOORPID" "$TCPSTATES" "$TCPLIFE" "$BPFTRACE" 2>/dev/null || true
agent_stop
fi

# ===================================================================================
if stage 1b; then
log "stage 1b: what each tls uprobe costs per hit (trap and BPF program together)"
TLS_BENCH_PORT=$((PORT + 1)) tests/helpers/tls_bench.sh "$BIN" "$HELPERS/tlsload" 3 >"$TMP/tls.md" ||
	die "tls uprobe cost: tests/helpers/tls_bench.sh failed"
else
	echo "(stage 1b not run)" >"$TMP/tls.md"
fi

# ===================================================================================
if stage 2; then
log "stage 2: workload impact, $ROUNDS interleaved rounds of: none, agent, none again (A/A), agent with stats on"
run_churn() { nsx l "$TCPLOAD" rate 127.0.0.1 8080 2 | sed 's/.*per_sec=\([0-9.]*\).*/\1/'; }
run_rr() { nsx a "$TCPLOAD" rr 198.51.100.2 8081 20000 | sed 's/.*p99_us=\([0-9.]*\).*/\1/'; }
run_bulk() { nsx a iperf3 -c 198.51.100.2 -p 5201 -t 2 -J | awk -F'[:,]' '/"sum_received"/ { f = 1 } f && /"bits_per_second"/ { print $2; exit }'; }
measure() { # CONFIG ROUND
	local cfg=$1
	echo "$(run_churn)" >>"$TMP/churn.$cfg"
	echo "$(run_rr)" >>"$TMP/rr.$cfg"
	echo "$(run_bulk)" >>"$TMP/bulk.$cfg"
}
# warm-up, not recorded
run_churn >/dev/null
run_rr >/dev/null
for round in $(seq "$ROUNDS"); do
	measure none
	agent_start --bpf.stats=off
	measure agent
	agent_stop
	measure none2
	agent_start --bpf.stats=on
	measure stats
	agent_stop
	log "round $round/$ROUNDS done"
done
for w in churn rr bulk; do
	for c in none agent none2 stats; do
		[ "$(grep -c . "$TMP/$w.$c")" -eq "$ROUNDS" ] || die "$w/$c: a run produced no number"
	done
done
impact() { # WORKLOAD LABEL TARGET-EXPR HIGHER_IS_BETTER
	local w=$1 label=$2 target=$3 hib=$4
	local n a n2 s ra raa rs met
	n=$(median <"$TMP/$w.none")
	a=$(median <"$TMP/$w.agent")
	n2=$(median <"$TMP/$w.none2")
	s=$(median <"$TMP/$w.stats")
	ra=$(ratio "$a" "$n")
	raa=$(ratio "$n2" "$n")
	rs=$(ratio "$s" "$n")
	met=$(awk -v r="$ra" -v t="$target" -v h="$hib" 'BEGIN { print ((h && r >= t) || (!h && r <= t)) ? "yes" : "no" }')
	row "$label, agent vs none" "$(fmt "$a") ($(spread <"$TMP/$w.agent"))" "$(fmt "$n") ($(spread <"$TMP/$w.none"))" "$ra" \
		"$([ "$hib" = 1 ] && echo ">=" || echo "<=") $target" "$met"
	row "$label, A/A: none vs none" "$(fmt "$n2") ($(spread <"$TMP/$w.none2"))" "$(fmt "$n")" "$raa" "noise floor" ""
	row "$label, agent with --bpf.stats=on vs none" "$(fmt "$s") ($(spread <"$TMP/$w.stats"))" "$(fmt "$n")" "$rs" "" ""
}
impact churn "connection churn (conn/s, loopback)" 0.98 1
impact rr "request/response p99 (us, veth)" 1.05 0
impact bulk "bulk throughput (bit/s, veth, iperf3)" 0.99 1
fi

scrape_cost() { # LABEL [TARGET-US]
	local n=30 target=${2:-1} c0 c1 t0 t1 series bytes gz per
	curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/scrape"
	series=$(grep -vc '^#' "$TMP/scrape")
	bytes=$(wc -c <"$TMP/scrape")
	gz=$(curl -s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT/metrics" | wc -c)
	c0=$(cpu_ticks "$AGENT")
	t0=$(date +%s%N)
	for _ in $(seq $n); do curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics"; done
	t1=$(date +%s%N)
	c1=$(cpu_ticks "$AGENT")
	per=$(awk -v a="$c0" -v b="$c1" -v t="$(getconf CLK_TCK)" -v n=$n -v s="$series" \
		'BEGIN { printf "%.3f", (b - a) / t / n / s * 1e6 }')
	row "scrape, $1: agent CPU per series" "$per us" "$series series" "" "<= $target us" \
		"$(awk -v p="$per" -v t="$target" 'BEGIN { print (p <= t) ? "yes" : "no" }')"
	row "scrape, $1: wall time, bytes plain / gzip" \
		"$(awk -v a="$t0" -v b="$t1" -v n=$n 'BEGIN { printf "%.2f ms", (b - a) / n / 1e6 }')" \
		"$bytes / $gz bytes" "gzip $(ratio "$gz" "$bytes")" "" ""
}

# ===================================================================================
if stage 3; then
log "stage 3: footprint and scrape cost"
agent_start
sleep 2
rss_idle=$(rss_kib "$AGENT")
row "agent RSS idle" "$(awk -v k="$rss_idle" 'BEGIN { printf "%.1f MiB", k / 1024 }')" "" "" "<= 16 MiB" \
	"$(awk -v k="$rss_idle" 'BEGIN { print (k <= 16384) ? "yes" : "no" }')"
nsx l "$TCPLOAD" rate 127.0.0.1 8080 2 >/dev/null &
rss_max=0
for _ in $(seq 10); do
	r=$(rss_kib "$AGENT")
	[ "$r" -gt "$rss_max" ] && rss_max=$r
	curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics"
	sleep 0.2
done
wait $! 2>/dev/null || true
row "agent RSS under churn, scraped" "$(awk -v k="$rss_max" 'BEGIN { printf "%.1f MiB", k / 1024 }')" "" "" "" ""

scrape_cost "default ($(ip netns list | wc -l) namespaces)"
for i in $(seq 100); do ip netns add "$NS-x$i"; done
curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics" # first sight of the new namespaces
scrape_cost "100 more namespaces"
agent_stop
fi

# ===================================================================================
if stage 3b; then
log "stage 3b: scrapes beside 10^5 TCP sockets in another namespace"
# 50000 loopback connections held open in namespace h (2 sockets each), in processes of
# 8334 (two descriptors per connection, under the hard limit of open files)
ip netns add "$NS-h"
nsx h ip link set lo up
nsx h sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
for k in 0 1 2 3 4 5; do
	nsx h "$TCPLOAD" hold 127.0.0.1 $((9000 + k)) 8334 600 >"$TMP/hold.$k" &
	PIDS+=($!)
done
for _ in $(seq 600); do
	[ "$(cat "$TMP"/hold.* | grep -c holding)" -eq 6 ] && break
	sleep 0.1
done
[ "$(cat "$TMP"/hold.* | grep -c holding)" -eq 6 ] || die "could not hold 10^5 sockets"
held=$(nsx h ss -Htan | wc -l)
# what a scrape paid per namespace before: one sock_diag dump of a namespace, which
# walks every socket of the host (ss in a namespace with no socket at all)
ip netns add "$NS-e"
TIMEFORMAT='%U %S'
dump_cpu=$({ time nsx e ss -Htan >/dev/null; } 2>&1 | awk '{ printf "%.2f", ($1 + $2) * 1000 }')
ip netns del "$NS-e"
row "sock_diag dump of an empty namespace beside $held sockets (ss -tan)" "" "$dump_cpu ms CPU" "" "" ""
agent_start
curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics" # first sight: each namespace seeded once
hs=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk -v ns="netns=\"$(stat -L -c %i "/run/netns/$NS-h")\"" \
	'/^osiscope_tcp_sockets/ && index($0, ns) && /state="established"/ { print $NF }')
row "established gauge of that namespace vs ss" "$hs" "$(nsx h ss -Htan state established | wc -l) (ss)" "" "equal" \
	"$([ "$hs" = "$(nsx h ss -Htan state established | wc -l)" ] && echo yes || echo no)"
scrape_cost "$held sockets in another namespace ($(ip netns list | wc -l) namespaces)" 5
agent_stop
ip netns pids "$NS-h" | xargs -r kill 2>/dev/null || true
ip netns del "$NS-h"
fi

# ===================================================================================
{
	echo "# osiscope benchmark"
	echo
	echo "Latest run of \`make bench\` (this file is replaced on every run)."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- kernel: $(uname -r); osiscope $("$BIN" --version | awk '{ print $2, $3, $4 }')"
	echo "- rounds: $ROUNDS per configuration, interleaved; figures are medians (min-max)"
	echo "- stages: $STAGES"
	[ -z "${BENCH_AGENT_ARGS:-}" ] || echo "- stage 1's agent options: $BENCH_AGENT_ARGS"
	echo
	echo "| figure | osiscope | baseline | ratio | target | met |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
	echo
	echo "Kernel cost comes from BPF run-time statistics (run_time_ns / run_cnt) with every"
	echo "program attached at once to the same workload; the baseline is an empty program on"
	echo "the same tracepoint (bench/floor.bpf.c), whose own figure is mostly the cost of"
	echo "the statistics' clock reads. Peers: Debian's libbpf-tools tcpstates and tcplife,"
	echo "and bpftrace count()s on the same tracepoints (classic ones: @[args->newstate] on"
	echo "sock:inet_sock_set_state, a plain @ elsewhere; none on tc or cgroup_skb). Each"
	echo "program's target: at most 2x its empty floor and at most bpftrace's count()."
	echo
	echo "Stage 3b holds 10^5 TCP sockets (50,000 loopback connections) in a namespace of"
	echo "its own while the agent is scraped; socket states are counted in the kernel, so a"
	echo "scrape walks none of them (the sock_diag row is what one dump per namespace costs)."
	echo
	echo "## TLS uprobes, per hit"
	echo
	echo "A uprobe traps into the kernel, which costs far more than the BPF program it runs;"
	echo "each probed OpenSSL call is timed in a loop (tests/helpers/tls_bench.sh) without the"
	echo "agent, with it, and with --tls.data-path=on, alternating. The second table is the"
	echo "BPF part alone, from run-time statistics. SSL_write+SSL_read pairs carry no probe by"
	echo "default (target: at most 2 us more per call): handshakes inside them are seen in"
	echo "the state machine, whose entry and return the two handshake rows pay."
	echo
	cat "$TMP/tls.md"
} >"$RESULTS"
cat "$RESULTS"
