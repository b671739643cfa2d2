#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The Grafana dashboard against a real Prometheus (Debian's, on loopback, its own port
# and data directory, stopped at the end) scraping the agent every second, while a pod
# (a node laid out in the test's directory, as scenario 80 does) meets one fault per
# layer, twice: carrier lost and a device down (L1), a neighbour that never answers
# (L2), no route and ICMP port unreachable (L3), refused connects and their resets
# (L4/L5), a TLS handshake with an untrusted certificate (L6), NXDOMAIN and an
# unanswered DNS query (L7). Every dashboard query, its variables replaced, must parse
# in Prometheus's query API; each one the faults light up must return a series with a
# value above zero.
. "$(dirname "$0")/../lib.sh"
require_root
PY=/usr/bin/python3
DNSQ=$HELPERS/dnsq
for t in prometheus openssl curl; do
	command -v $t >/dev/null || skip "$t not installed (scripts/deps.sh installs prometheus)"
done
cg2=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2" && $4 == "/") print $5; break } }' /proc/self/mountinfo | head -1)
[ -n "$cg2" ] || skip "no cgroup2 mount"

ROOT=$TMP/node
P2=$cg2/osiscope-k8s-$$
PIDS=()
PROM_PID=
cleanup_85() {
	local p
	[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	sleep 0.2
	[ -d "$P2" ] && find "$P2" -depth -type d -exec rmdir {} \; 2>/dev/null
}
trap 'cleanup_85; cleanup' EXIT
hex64() { head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# pod shop/web-0: systemd driver, containerd, its netns pa; a peer namespace gw
ns_create pa gw
ns_link pa gw 192.0.2.1 192.0.2.2
ip -n "$T-gw" addr add 192.0.2.3/24 dev eth0
ip -n "$T-gw" link add d0 type veth peer name d1 # devices left down
nsx pa sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=100
uid=$(cat /proc/sys/kernel/random/uuid) id=$(hex64)
pod=$P2/kubepods.slice/kubepods-pod${uid//-/_}.slice
ctr=$pod/cri-containerd-$id.scope
sandbox=$pod/cri-containerd-$(hex64).scope
mkdir -p "$ROOT/var/log/pods/shop_web-0_$uid/app" "$ROOT/var/log/containers" "$sandbox" "$ctr"
: >"$ROOT/var/log/pods/shop_web-0_$uid/app/0.log"
ln -s "$ROOT/var/log/pods/shop_web-0_$uid/app/0.log" "$ROOT/var/log/containers/web-0_shop_app-$id.log"
bash -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" sleep 600' _ "$sandbox" "$T-pa" &
PIDS+=($!)
in_ctr() { bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec ip netns exec "$0" "$@"' "$T-pa" "$ctr" "$@"; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/srv.key" \
	-out "$TMP/srv.pem" -days 1 -subj "/CN=osiscope-test" -addext "subjectAltName=IP:192.0.2.2" 2>/dev/null
nsx gw openssl s_server -accept 4433 -rev -cert "$TMP/srv.pem" -key "$TMP/srv.key" >/dev/null 2>&1 </dev/null &
PIDS+=($!)
nsx gw "$DNSQ" serve 192.0.2.2 53 nxdomain &
PIDS+=($!)
nsx gw "$DNSQ" serve 192.0.2.3 53 drop &
PIDS+=($!)
wait_udp gw 192.0.2.2:53
wait_udp gw 192.0.2.3:53

agent_start --kubernetes=on --kubernetes.root="$ROOT" --dns.timeout=1
PPORT=$((20000 + (PORT - 20000 + 6007) % 12000))
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: osiscope
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
EOF
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prom-data" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
api() { curl -sfG "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1"; }
for i in $(seq 150); do
	api 'up{job="osiscope"} == 1' 2>/dev/null | grep -q '"value"' && break
	kill -0 $PROM_PID 2>/dev/null || break
	sleep 0.2
done
api 'up{job="osiscope"} == 1' | grep -q '"value"' || { cat "$TMP/prometheus.log" >&2; fail "Prometheus does not scrape the agent"; finish; }

round=0
faults() {
	round=$((round + 1))
	ip -n "$T-gw" link set eth0 down # L1: carrier lost on pa's side
	sleep 0.2
	ip -n "$T-gw" link set eth0 up
	sleep 0.3
	in_ctr "$HELPERS/neighsend" "192.0.2.9$round" 9 2 >/dev/null # L2: nobody has it
	in_ctr "$TCPLOAD" connect 203.0.113.9 80 2 >/dev/null # L3: no route
	in_ctr "$DNSQ" query 192.0.2.2 5353 closed.test A 1 300 >/dev/null # L3: port unreachable
	in_ctr "$TCPLOAD" connect 192.0.2.2 9 3 >/dev/null # L4/L5: refused, resets
	in_ctr curl -sS -o /dev/null --max-time 3 https://192.0.2.2:4433/ 2>/dev/null # L6
	in_ctr "$DNSQ" query 192.0.2.2 53 gone.shop.test A 2 >/dev/null # L7: NXDOMAIN
	in_ctr "$DNSQ" query 192.0.2.3 53 lost.shop.test A 1 300 >/dev/null # L7: timeout
	sleep 0.5 # the neighbour fails after 3 probes 100 ms apart
}
faults
sleep 3
faults
sleep 4 # the second round's increments, scraped

# which panels the faults must light up, by title
lit=(
	"Which devices lost carrier?" "Which devices are down?"
	"Neighbour resolution failures by device" "ARP requests and replies by device"
	"Which pods have no route (route lookup failures by kind)?"
	"ICMP errors sent, by type and code" "ICMP errors received, by type and code"
	"Which pods get refused connects?" "Connect results"
	"Which pods' sessions are reset by the peer?" "Which pods reset sessions?" "TCP sockets by state"
	"TLS handshake failures by reason" "Which processes make TLS handshakes?"
	"Which pods get DNS errors, by rcode?" "Which pods' DNS queries time out?" "DNS queries by type"
)
$PY tests/deploy/grafana_check.py "$OSI_ROOT/deploy/grafana/osiscope.json" --exprs >"$TMP/exprs" ||
	{ fail "dashboard structure"; finish; }
parsed=0 total=0 withdata=0
while IFS=$'\t' read -r title expr; do
	total=$((total + 1))
	out=$(api "$expr")
	if [ "$(echo "$out" | $PY -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null)" = success ]; then
		parsed=$((parsed + 1))
	else
		fail "query of '$title' does not parse: $expr"
		continue
	fi
	pos=$(echo "$out" | $PY -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(sum(1 for x in r if float(x["value"][1]) > 0))')
	[ "$pos" -gt 0 ] && withdata=$((withdata + 1))
	log "panel '$title': $pos series above zero"
	echo "$title	$pos" >>"$TMP/panels"
done <"$TMP/exprs"
assert_eq "$parsed" "$total" "dashboard queries that parse in Prometheus"
for t in "${lit[@]}"; do
	n=$(awk -F'\t' -v t="$t" '$1 == t { s += $2 } END { print s + 0 }' "$TMP/panels")
	assert_gt "$n" 0 "lit by the faults: $t"
done
# the pod's own panels name it: namespace/pod from the node's files, through Prometheus
assert_eq "$(api 'sum by (namespace, pod) (osiscope_tcp_connects_total{result="refused",namespace="shop",pod="web-0"})' |
	$PY -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')" 6 \
	"refused connects of shop/web-0 in Prometheus (2 rounds of 3)"
log "dashboard queries: $total, parsed $parsed, with data above zero $withdata"
finish
