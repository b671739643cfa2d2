#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Healthy traffic of every kind between two namespaces (HTTP over IPv4 and IPv6, TLS
# with a trusted certificate, DNS that answers, a search-path NXDOMAIN followed by the
# answer for the base name, short TCP connections, sockets closing with data queued,
# IPv6 multicast nobody joined, frames for another host's MAC on the segment) ->
# diagnose reports no problem in any of the namespaces,
# both when it loads its own programs and from the agent's window, while the benign
# drops it leaves out are still counted in /metrics. The agent's endpoint refuses a bad
# window with 400, and diagnose falls back to its own programs when no agent answers.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/tls.sh"
. "$OSI_ROOT/tests/helpers/diag.sh"
require_root
DNSQ=$HELPERS/dnsq
command -v dnsmasq >/dev/null || skip "dnsmasq missing: scripts/deps.sh installs dnsmasq-base"
command -v python3 >/dev/null || skip "python3 missing (the HTTP server)"

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
nsx cli ip addr add 2001:db8::1/64 dev eth0 nodad
nsx srv ip addr add 2001:db8::2/64 dev eth0 nodad
# a segment where frames for another host's MAC arrive (a static neighbour entry sends
# them): the receiver drops them as OTHERHOST, as on any shared segment
ns_create o1 o2
# IPv4 only: the segment's drops are the frames for another host, nothing else
for n in o1 o2; do nsx $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
ns_link o1 o2 203.0.113.1 203.0.113.2
nsx o1 ip neigh replace 203.0.113.2 lladdr 02:00:00:00:00:99 dev eth0 nud permanent
cli=$(ns_inode cli)
srv=$(ns_inode srv)
o1=$(ns_inode o1)
o2=$(ns_inode o2)
CLI=$(cg cli)
SRV=$(cg srv)
tls_cert srv IP:192.0.2.2
agent_start

dns_server srv "$TMP/dnsmasq.log" 192.0.2.2
srv_start srv "$SRV" 4433 "$TMP/tls.out" -cert "$TMP/srv.pem" -key "$TMP/srv.key"
# python's http.server, without its getfqdn() at bind: a DNS query to the host's
# resolver, which these namespaces have no route to (that would be a real no_route)
http_serve() { # NS ADDR PORT
	nsx "$1" python3 -c '
import http.server, socket, socketserver, sys
class S(http.server.HTTPServer):
    address_family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "test", self.server_address[1]
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
S((sys.argv[1], int(sys.argv[2])), H).serve_forever()' "$2" "$3" >/dev/null 2>&1 &
}
http_serve srv 192.0.2.2 8080
http_serve srv 2001:db8::2 8081
nsx srv "$TCPLOAD" serve 192.0.2.2 9000 $((600 * SCALE)) >/dev/null & # stopped at cleanup
wait_udp srv 192.0.2.2:53
wait_listen srv 8080
wait_listen srv 8081
wait_listen srv 9000

traffic() { # one round of everything; counts what succeeded in $TMP/ok
	local i r ok=0 nx=0
	for i in 1 2 3; do
		nsx cli curl -sf -o /dev/null http://192.0.2.2:8080/ && ok=$((ok + 1)) || log "http4 failed"
		nsx cli curl -sf -o /dev/null 'http://[2001:db8::2]:8081/' && ok=$((ok + 1)) || log "http6 failed"
		r=$(run_in cli "$CLI" "$TLSLOAD" client 192.0.2.2 4433 1 --ca "$TMP/srv.pem" --send 16)
		ok=$((ok + $(echo "$r" | sed -n 's/^ok=\([0-9]*\).*/\1/p')))
		r=$(nsx cli "$DNSQ" query 192.0.2.2 53 known.test A 2)
		ok=$((ok + $(field noerror "$r")))
		# a resolver's search path: the expansion first (NXDOMAIN), then the name
		r=$(nsx cli "$DNSQ" query 192.0.2.2 53 known.test.svc.test A 1)
		nx=$((nx + $(field nxdomain "$r")))
		r=$(nsx cli "$DNSQ" query 192.0.2.2 53 known.test A 1)
		ok=$((ok + $(field noerror "$r")))
	done
	nsx o1 "$HELPERS/routeload" udp 203.0.113.2 9 3 >/dev/null
	r=$(nsx cli "$TCPLOAD" churn 192.0.2.2 9000 20)
	ok=$((ok + $(field ok "$r")))
	echo "$ok $nx" >"$TMP/ok"
}

diag_start 15
traffic
read -r ok nx <"$TMP/ok"
assert_eq "$ok" $((3 * 3 + 3 * 3 + 20)) "exchanges that succeeded (HTTP v4/v6, TLS, DNS, TCP)"
assert_eq "$nx" 3 "search-path expansions answered NXDOMAIN"
diag_wait
assert_nproblems 0 "problems in the two namespaces (own programs)" $cli $srv
assert_nproblems 0 "problems on the shared segment (own programs)" $o1 $o2
assert_eq "$(jq -r 'keys_unsorted | join(",")' "$TMP/diag.json")" "duration_seconds,problems,layers" \
	"the report's members"

# the same from the agent's window, which has seen both rounds
traffic
scrape
# the kernel's reason for each, or NOT_SPECIFIED where it has none (every drop before
# 5.17, a purge before 6.7): the names skb:kfree_skb's format prints
reason_or_none() { grep -q "\"$1\"" "$(tracefs_events)/skb/kfree_skb/format" 2>/dev/null && echo "$1" || echo NOT_SPECIFIED; }
purge=$(reason_or_none QUEUE_PURGE)
otherhost=$(reason_or_none OTHERHOST)
assert_gt "$(metric_sum osiscope_skb_drops_total netns=$srv reason=$purge)" 0 \
	"benign drops are still in /metrics ($purge in the server's namespace)"
"$OSI_BIN" diagnose --agent "http://127.0.0.1:$PORT" -o json --duration 120 >"$TMP/diag.json" \
	2>"$TMP/diag.err"
assert_eq "$?" 0 "diagnose through the agent: exit status"
assert_eq "$(grep -c "^watching for 120 s... (the window of the agent" "$TMP/diag.err")" 1 \
	"diagnose says it used the agent"
assert_eq "$(jq -r '.problems | type' "$TMP/diag.json")" array "the agent's report has problems"
assert_nproblems 0 "problems in the two namespaces (agent's window)" $cli $srv
assert_eq "$(metric_sum osiscope_skb_drops_total netns=$o2 reason=$otherhost)" 6 \
	"frames for another host: 2 rounds of 3 datagrams, dropped as $otherhost (still in /metrics)"
assert_nproblems 0 "problems on the shared segment (agent's window)" $o1 $o2

code=$(curl -s -o "$TMP/bad" -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/diagnose?window=soon")
assert_eq "$code" 400 "window=soon: status"
assert_eq "$(grep -c "window=soon: want seconds" "$TMP/bad")" 1 "window=soon: the reason"
code=$(curl -s -o "$TMP/all" -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/diagnose?window=99999")
assert_eq "$code" 200 "window=99999: status (capped at the window kept)"
assert_eq "$(jq -r '.duration_seconds <= 300' "$TMP/all")" true "window=99999: at most the 300 s kept"

# nothing listens on this port: diagnose loads its own programs and says so
"$OSI_BIN" diagnose --agent "http://127.0.0.1:1" --duration 1 >"$TMP/diag.txt" 2>"$TMP/diag.err"
assert_eq "$?" 0 "diagnose without an agent: exit status"
assert_eq "$(grep -c "no agent answers at http://127.0.0.1:1 .*loading the programs here" "$TMP/diag.err")" 1 \
	"diagnose says it loads its own programs"
assert_eq "$(grep -c "^watching for 1 s...$" "$TMP/diag.err")" 1 "then watches"
finish
