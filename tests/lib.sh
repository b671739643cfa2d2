# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Scenario test library: sourced by tests/scenario/*.sh. Every scenario builds its own
# namespaces (named after its pid, removed on exit), starts its own agent on its own
# port, makes a condition happen for real and compares what the agent exported with
# the kernel's own counters (nstat, ss, ip) or with the count of what it did.
# Exit status: 0 pass, 1 fail, 77 skipped (a kernel feature is really missing).
set -u

OSI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OSI_BIN=${OSI_BIN:-$OSI_ROOT/osiscope}
OUTPUT=${OUTPUT:-.output}
case $OUTPUT in
/*) HELPERS=$OUTPUT/helpers ;;
*) HELPERS=$OSI_ROOT/$OUTPUT/helpers ;;
esac
TCPLOAD=$HELPERS/tcpload
T=osi$$r$RANDOM # namespace name prefix: unique per run (pids repeat across runs)
TMP=$(mktemp -d /tmp/osiscope-test.XXXXXX)
AGENT_PID=
# below the kernel's ephemeral range (32768-60999), so no client socket holds it
PORT=$((20000 + $$ % 12000))
fails=0
checks=0
# Readiness polls wait this many times longer (make test-kernels sets it under emulation);
# waits are polls of a condition, never fixed sleeps tuned to one machine.
SCALE=${OSI_WAIT_SCALE:-1}

log() { echo "  $*" >&2; }
fail() {
	echo "  FAIL: $*" >&2
	fails=$((fails + 1))
}
skip() {
	echo "  SKIP: $*" >&2
	exit 77
}
# assert_eq GOT WANT WHAT
assert_eq() {
	checks=$((checks + 1))
	if [ "$1" = "$2" ]; then log "ok: $3 = $1"; else fail "$3: got '$1', want '$2'"; fi
}
# assert_gt GOT MIN WHAT: GOT > MIN, so a test cannot pass on a condition that never happened
assert_gt() {
	checks=$((checks + 1))
	if [ "$1" -gt "$2" ] 2>/dev/null; then log "ok: $3 = $1 (> $2)"; else fail "$3: got '$1', want more than $2"; fi
}

# assert_counted GOT WANT MISSES WHAT: GOT = WANT, or short of it by no more than the
# kernel's recursion misses of the counting program (it skips a tracing program that a
# softirq interrupts on the same CPU and counts that, nothing else): those are
# reported, not hidden, in osiscope_bpf_program_recursion_misses_total.
assert_counted() {
	checks=$((checks + 1))
	if [ "$1" = "$2" ]; then
		log "ok: $4 = $1"
	elif [ "$1" -lt "$2" ] 2>/dev/null && [ $(($2 - $1)) -le "$3" ]; then
		log "ok: $4 = $1, $(($2 - $1)) short of $2: the kernel skipped the program $3 times (recursion misses)"
	else
		fail "$4: got '$1', want '$2' (recursion misses of the program: $3)"
	fi
}
# misses PROGRAM: its recursion misses since the agent started, from the last scrape
misses() { metric osiscope_bpf_program_recursion_misses_total program="$1"; }
# insert_failures LAYER: counts its kernel side could not keep (no map entry could be made)
insert_failures() { metric osiscope_bpf_map_insert_failures_total layer="$1"; }

cleanup() {
	agent_stop
	# background helpers: stop and reap them quietly (bash reports killed jobs)
	{
		kill $(jobs -p) 2>/dev/null
		wait
	} 2>/dev/null
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$T-"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

require_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }

# ns_create NAME...: empty namespaces with loopback up, no route anywhere
ns_create() {
	for n in "$@"; do
		ip netns add "$T-$n" || { fail "ip netns add $T-$n"; exit 1; }
		ip -n "$T-$n" link set lo up
	done
}
# nsx NAME CMD...: run in a namespace
nsx() {
	local n=$1
	shift
	ip netns exec "$T-$n" "$@"
}
# ns_link A B ADDR_A ADDR_B [PREFIXLEN]: veth eth0 in A <-> eth0 in B, addresses, up.
# Only the /24 between them is reachable: no default route, nothing leaves the machine.
ns_link() {
	local a=$1 b=$2 pa=$3 pb=$4 len=${5:-24}
	ip -n "$T-$a" link add eth0 type veth peer name eth0 netns "$T-$b" || { fail "veth $a-$b"; exit 1; }
	ip -n "$T-$a" addr add "$pa/$len" dev eth0
	ip -n "$T-$b" addr add "$pb/$len" dev eth0
	ip -n "$T-$a" link set eth0 up
	ip -n "$T-$b" link set eth0 up
}
# ns_inode NAME: the namespace's inode, as the agent's netns label shows it
ns_inode() { stat -L -c %i "/run/netns/$T-$1"; }
# mib NAME COUNTER: absolute value of a kernel MIB counter in that namespace
mib() { nsx "$1" nstat -asz "$2" | awk -v c="$2" '$1 == c { print $2; f = 1 } END { if (!f) print 0 }'; }

agent_start() {
	local i try
	for try in 1 2 3 4 5; do
		"$OSI_BIN" run --web.listen-address="127.0.0.1:$PORT" "$@" >"$TMP/agent.log" 2>&1 &
		AGENT_PID=$!
		agent_wait_ready && return 0
		# another test or agent on this machine may hold the port: take another
		grep -q "Address already in use" "$TMP/agent.log" || break
		PORT=$((20000 + (PORT - 20000 + 997) % 12000))
	done
	cat "$TMP/agent.log" >&2
	fail "agent did not start"
	AGENT_PID=
	exit 1
}
agent_wait_ready() {
	local i
	for i in $(seq 1 $((200 * SCALE))); do
		if ! kill -0 "$AGENT_PID" 2>/dev/null; then
			wait "$AGENT_PID" 2>/dev/null
			return 1
		fi
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/-/ready")" = 200 ] && return 0
		sleep 0.1
	done
	kill "$AGENT_PID" 2>/dev/null
	return 1
}
agent_running() { case "$(awk '{ print $3 }' "/proc/$AGENT_PID/stat" 2>/dev/null)" in "" | Z) return 1 ;; esac; }
agent_stop() {
	local i
	[ -n "$AGENT_PID" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null
	kill -CONT "$AGENT_PID" 2>/dev/null # a test may have stopped it (SIGSTOP)
	# until it exits (a zombie until the wait: kill -0 would still see it) or is gone; one
	# that hangs is killed after 10 s
	for i in $(seq $((100 * SCALE))); do
		agent_running || break
		sleep 0.1
	done
	if agent_running; then
		echo "  the agent did not stop within $((10 * SCALE)) s of SIGTERM: SIGKILL" >&2
		kill -KILL "$AGENT_PID" 2>/dev/null
	fi
	wait "$AGENT_PID" 2>/dev/null
	AGENT_RC=$?
	AGENT_PID=
}
# scrape: /metrics into $TMP/metrics. An agent that does not answer in 30 s (times the
# wait scale) ends the test, with where each of its threads waits in the kernel: a hang
# in a guest leaves nothing else to go on. Called in a subshell ($(...)), it ends only
# that, and every later scrape fails at once: finish reports it.
scrape() {
	local t rc
	if [ ! -e "$TMP/scrape.failed" ]; then
		curl -sf --max-time $((30 * SCALE)) "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics" && return 0
		rc=$?
		{
			echo "scrape failed (curl exit $rc)"
			if [ -n "${AGENT_PID:-}" ] && [ -d "/proc/$AGENT_PID" ]; then
				for t in /proc/"$AGENT_PID"/task/*; do
					echo "  thread ${t##*/} $(cat "$t/comm" 2>/dev/null):" \
						"$(awk '/^State/ { print $2, $3 }' "$t/status" 2>/dev/null)" \
						"wchan=$(cat "$t/wchan" 2>/dev/null)"
					sed 's/^/    /' "$t/stack" 2>/dev/null
				done
			else
				echo "  the agent (pid ${AGENT_PID:-none}) is gone"
			fi
		} >"$TMP/scrape.failed"
	fi
	[ "$BASHPID" = "$$" ] || exit 1
	finish
}
# wait_udp NS ADDR:PORT: until a UDP socket of the namespace is bound there (bounded)
wait_udp() {
	local i
	for i in $(seq $((100 * SCALE))); do
		nsx "$1" ss -Hlun | awk '{ print $4 }' | grep -qxF "$2" && return 0
		sleep 0.1
	done
	fail "nothing listens on $2 in $1"
	finish
}
# trace_start OUT ARGS...: `osiscope trace ARGS` in the background (TRACE_PID), its
# events in OUT, once it says it is tracing; trace_stop: SIGINT, exit status in TRACE_RC
trace_start() {
	local out=$1 i
	shift
	"$OSI_BIN" trace "$@" >"$out" 2>"$out.err" &
	TRACE_PID=$!
	for i in $(seq $((100 * SCALE))); do
		grep -q "tracing" "$out.err" 2>/dev/null && return 0
		kill -0 $TRACE_PID 2>/dev/null || break
		sleep 0.1
	done
	cat "$out.err" >&2
	fail "trace did not start"
	exit 1
}
trace_stop() {
	kill -INT "$TRACE_PID"
	wait "$TRACE_PID"
	TRACE_RC=$?
}
# metric_values NAME [label=value]...: the value of every series of NAME with those
# labels in the last scrape, one a line
metric_values() {
	local name=$1
	shift
	awk -v name="$name" -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		$0 ~ /^#/ { next }
		{
			s = $1; sub(/\{.*/, "", s)
			if (s != name) next
			for (i = 1; i <= n; i++) {
				split(w[i], kv, "=")
				if (index($0, kv[1] "=\"" kv[2] "\"") == 0) next
			}
			print $NF
		}' "$TMP/metrics"
}
# metric NAME [label=value]...: value of the one series of NAME with those labels in
# the last scrape, 0 when absent. For a histogram give NAME_count / NAME_sum.
metric() { metric_values "$@" | awk '{ v = $1; found = 1 } END { if (found) printf "%.0f\n", v; else print 0 }'; }
# metric_sum NAME [label=value]...: the sum of every series of NAME with those labels
# (e.g. every code of one ICMP type), 0 when there is none
metric_sum() { metric_values "$@" | awk '{ t += $1 } END { printf "%.0f\n", t }'; }
# What the running kernel gives, from what the agent said it chose (after agent_start):
# tc_hook DIR: the link programs' hook, tcx_DIR on 6.6+ (tcx links), tc_DIR with classic
# clsact filters; link_prog NAME: the program's name, NAME_pr where the packet programs
# read the device with probe reads (before 6.3, or --bpf.attach).
tc_hook() {
	if grep -q "link: tc programs as tcx links" "$TMP/agent.log"; then echo "tcx_$1"; else echo "tc_$1"; fi
}
link_prog() {
	if grep -q "link: packet programs read the device with bpf_probe_read_kernel" "$TMP/agent.log"; then
		echo "${1}_pr"
	else
		echo "$1"
	fi
}
# has_tracepoint CATEGORY/NAME: whether the kernel has that tracepoint;
# tracepoint_has_field CATEGORY/NAME FIELD: and whether its record has that field
tracefs_events() {
	local d
	for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		[ -d "$d/events" ] && { echo "$d/events"; return; }
	done
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null && echo /sys/kernel/tracing/events
}
has_tracepoint() { [ -d "$(tracefs_events)/$1" ]; }
tracepoint_has_field() { grep -q "field:.*[ *]$2;" "$(tracefs_events)/$1/format" 2>/dev/null; }
# dns_server NS LOG ADDR...: dnsmasq in namespace NS, in the background, answering on
# each ADDR (port 53, UDP and TCP) for the zone test/ with known.test at 192.0.2.100 and
# 2001:db8::100 (an AAAA only where it listens on IPv6 too), its log in LOG
dns_server() {
	local ns=$1 log=$2 a args=() rec=known.test,192.0.2.100
	shift 2
	for a in "$@"; do
		args+=(--listen-address="$a")
		[[ $a == *:* ]] && rec=known.test,192.0.2.100,2001:db8::100
	done
	nsx "$ns" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--no-poll --bind-interfaces "${args[@]}" --port=53 --local=/test/ \
		--host-record="$rec" --user=root --pid-file= --log-facility="$log" &
}
# kernel_at_least MAJOR MINOR: the running kernel is MAJOR.MINOR or newer
kernel_at_least() {
	local r
	r=$(uname -r)
	local ma=${r%%.*} mi=${r#*.}
	mi=${mi%%[!0-9]*}
	[ "$ma" -gt "$1" ] || { [ "$ma" -eq "$1" ] && [ "$mi" -ge "$2" ]; }
}
# the drop reasons the drop scenarios count by: skb:kfree_skb's reason (v5.17+)
require_drop_reasons() {
	tracepoint_has_field skb/kfree_skb reason || skip "needs 5.17+: skb:kfree_skb has no drop reason"
}

# drop_map_entries NETNS [IFINDEX]: the drop collector's kernel entries for a namespace
# (and device): keys of its hash, plus the slots its .bss says the pair owns (the dump
# is the 4-byte key, then the slots: struct drop_slot_claim, 32 bytes each, see
# bpf/drop.h: the owner's low half (ifindex) in bytes 0-3, its high half in 4-7 (all
# ones: retired), the inode in bytes 16-19, little-endian)
drop_map_entries() {
	local id n=0 name cache=$TMP/.drop_maps.$AGENT_PID
	# the two maps' ids, found once per agent: one bpftool per map is minutes under emulation
	if [ ! -s "$cache" ]; then
		awk '/^map_id:/ { print $2 }' /proc/"$AGENT_PID"/fdinfo/* 2>/dev/null | sort -u >"$cache.fd"
		bpftool map show | awk -F'[: ]+' 'NR == FNR { own[$1] = 1; next }
			/^[0-9]+:/ && own[$1] { for (i = 2; i < NF; i++) if ($i == "name" && ($(i + 1) == "drops" || $(i + 1) == "drop_bpf.bss")) print $1, $(i + 1) }' \
			"$cache.fd" - >"$cache"
		rm -f "$cache.fd"
	fi
	while read -r id name; do
		if [ "$name" = drops ]; then
			n=$((n + $(bpftool -j map dump id "$id" | grep -o "\"netns\":$1,\"reason\":[0-9]*,\"ifindex\":${2:-[0-9]*}," | wc -l)))
		elif [ "$name" = drop_bpf.bss ]; then
			n=$((n + $(bpftool -j map dump id "$id" | grep -o '"0x[0-9a-f]*"' | tr -d '"' | tail -n +5 | awk -v ns="$1" -v ifi="${2:-}" '
				{ h = tolower(substr($1, 3)); b[(NR - 1) % 32] = (index("0123456789abcdef", substr(h, 1, 1)) - 1) * 16 + index("0123456789abcdef", substr(h, 2, 1)) - 1 }
				NR % 32 == 0 {
					lo = b[0] + b[1] * 256 + b[2] * 65536 + b[3] * 16777216
					hi = b[4] + b[5] * 256 + b[6] * 65536 + b[7] * 16777216
					inum = b[16] + b[17] * 256 + b[18] * 65536 + b[19] * 16777216
					if (hi != 4294967295 && inum == ns && (ifi == "" || lo == ifi)) c++
				}
				END { print c + 0 }')))
		fi
	done <"$cache"
	echo "$n"
}

# wait_series_gone INODE [N]: scrapes until no series names network namespace INODE (the
# agent forgets a namespace after two collections without it, and the kernel frees it a
# little after its last reference goes), at most N (default 30) times the wait scale
wait_series_gone() {
	local i
	for i in $(seq $((${2:-30} * SCALE))); do
		scrape
		[ "$(grep -c "netns=\"$1\"" "$TMP/metrics")" -eq 0 ] && return 0
		sleep 0.2
	done
}

# each_netns_id FN: FN kernel, the agent telling namespaces apart as it chooses, then,
# where that was SO_NETNS_COOKIE, FN mix, with it passed over (OSI_NETNS_ID=hash_mix: what
# kernels before 5.14 have). FN starts its agent with agent_start_netns_id "$1" [ARGS].
each_netns_id() {
	"$1" kernel
	if grep -q "told apart by SO_NETNS_COOKIE" "$TMP/agent.log"; then
		log "--- again with the agent passed over SO_NETNS_COOKIE (OSI_NETNS_ID=hash_mix)"
		"$1" mix
	fi
}
agent_start_netns_id() {
	local m=$1
	shift
	if [ "$m" = mix ]; then
		OSI_NETNS_ID=hash_mix agent_start "$@"
		assert_eq "$(grep -c "network namespaces told apart by struct net's hash_mix" "$TMP/agent.log")" 1 \
			"the agent tells namespaces apart by hash_mix"
	else
		agent_start "$@"
		assert_eq "$(grep -c "network namespaces told apart by" "$TMP/agent.log")" 1 \
			"the agent tells namespaces apart"
	fi
}

# has_fhook COLLECTOR FUNC (after agent_start): whether an optional fentry/kprobe program
# runs on kernel function FUNC (the agent logs every one it wanted and could not have)
has_fhook() { ! grep -q "$1: no program on $2:\|$1: attach [a-z]*/$2:" "$TMP/agent.log"; }

# tcp_map_entries NETNS [slots|hash]: the tcp collector's kernel entries for a namespace:
# slots of its per-CPU namespace array held for it (bpf/tcp.h, struct tcp_ns_owner: key
# 0 is a free slot), plus its key in the tcp_stats hash (or only one of the two)
tcp_map_entries() {
	local id name n=0
	for id in $(awk '/^map_id:/ { print $2 }' /proc/"$AGENT_PID"/fdinfo/* 2>/dev/null | sort -u); do
		name=$(bpftool map show id "$id" | awk '{ for (i = 1; i < NF; i++) if ($i == "name") print $(i + 1) }')
		if [ "$name" = tcp_slot_owner ] && [ "${2:-slots}" = slots ]; then
			n=$((n + $(bpftool -j map dump id "$id" | grep -o '"value":{"key":[0-9]*,"netns":[0-9]*' |
				awk -F'[:,]' -v ns="$1" '$3 != 0 && $5 == ns { c++ } END { print c + 0 }')))
		elif [ "$name" = tcp_stats ] && [ "${2:-hash}" = hash ]; then
			n=$((n + $(bpftool -j map dump id "$id" | grep -c "^ *\"key\":$1,\?$\|{\"key\":$1,")))
		fi
	done
	echo "$n"
}

# require_fhook COLLECTOR FUNC (after agent_start): skip, with the agent's reason, where
# no optional fentry/kprobe program runs on kernel function FUNC; `probe` must say why too
require_fhook() {
	has_fhook "$1" "$2" && return 0
	local why
	why=$(sed -n "s/.*$1: no program on $2: \([^\"]*\)\".*/\1/p" "$TMP/agent.log")
	"$OSI_BIN" probe >"$TMP/probe" 2>&1
	grep -q "none/$2 (" "$TMP/probe" || { fail "probe does not show why $2 has no program"; finish; }
	skip "needs fentry or a kprobe on $2: $why"
}

# field KEY LINE: KEY=value out of "ok=1 refused=2 ..."
field() { echo "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

finish() {
	if [ -e "$TMP/scrape.failed" ]; then
		fail "$(head -1 "$TMP/scrape.failed")"
		sed 1d "$TMP/scrape.failed" >&2
	elif [ "$checks" -eq 0 ]; then
		fail "no check ran"
	fi
	[ "$fails" -eq 0 ] && exit 0
	echo "  --- agent log ---" >&2
	tail -20 "$TMP/agent.log" >&2 2>/dev/null
	exit 1
}
