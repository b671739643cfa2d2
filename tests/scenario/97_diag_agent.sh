#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# diagnose from the running agent's window, after the fault (no waiting):
#  - the client's DNS server does not answer ARP: its queries time out -> from
#    GET /api/v1/diagnose the first problem of the client's namespace is L2 neigh_failed
#    for the server's address, the unanswered queries its symptom (a lower cause explains
#    the L7 one); `osiscope diagnose --agent URL` prints the same as text;
#  - N refused connects: all N counted in one L4 problem;
#  - the window is bounded: an agent keeping 4 events, given the N refused connects
#    again, counts no more than 4 of them and says its oldest events are gone.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/diag.sh"
require_root
DNSQ=$HELPERS/dnsq
N=8

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
cli=$(ns_inode cli)
agent_start --dns.timeout=1
r=$(nsx cli "$DNSQ" query 192.0.2.53 53 known.test A 2 300)
assert_eq "$(field sent "$r") $(field received "$r")" "2 0" "queries to the silent server: none answered"
# until the kernel gave up on the neighbour (3 probes a second apart), bounded
for i in $(seq 100); do
	nsx cli ip neigh show nud failed | grep -q '^192.0.2.53 ' && break
	sleep 0.1
done
assert_eq "$(nsx cli ip neigh show nud failed | grep -c '^192.0.2.53 ')" 1 "ip neigh: 192.0.2.53 FAILED"
sleep 0.5 # the event's way through the ring buffer
curl -s -o "$TMP/diag.json" -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/diagnose?window=60" >"$TMP/code"
assert_eq "$(cat "$TMP/code")" 200 "GET /api/v1/diagnose?window=60"
assert_eq "$(first_problem $cli)" "l2 neigh_failed 192.0.2.53" "first problem"
assert_eq "$(first_field symptoms $cli | grep -c "2 DNS queries to 192.0.2.53:53 unanswered")" 1 \
	"the unanswered queries are its symptom"
assert_nproblems 1 "one problem" $cli
# refused connects in a namespace of their own: all counted, from the window
ns_create rc rs
ns_link rc rs 203.0.113.1 203.0.113.2
rc=$(ns_inode rc)
rs=$(ns_inode rs)
r=$(nsx rc "$TCPLOAD" connect 203.0.113.2 81 $N)
assert_eq "$(field refused "$r")" $N "connects refused (client's view)"
sleep 0.5
curl -s -o "$TMP/diag.json" "http://127.0.0.1:$PORT/api/v1/diagnose?window=60"
assert_eq "$(first_problem $rc $rs)" "l4 connect_refused 203.0.113.2:81" "refused: first problem"
assert_eq "$(first_field count $rc $rs)" $N "refused: every connect counted"
"$OSI_BIN" diagnose --agent "http://127.0.0.1:$PORT" --duration 60 >"$TMP/diag.txt" 2>"$TMP/diag.err"
assert_eq "$?" 0 "diagnose --agent: exit status"
assert_eq "$(grep -c "^L2 neigh_failed: 192.0.2.53 does not answer ARP on eth0" "$TMP/diag.txt")" 1 \
	"diagnose --agent: the problem as text"
assert_eq "$(grep -A1 "^L2 neigh_failed" "$TMP/diag.txt" | grep -c "where: netns $cli, device eth0, peer 192.0.2.53")" 1 \
	"diagnose --agent: where"
agent_stop

agent_start --diagnose.events=4
r=$(nsx cli "$TCPLOAD" connect 192.0.2.2 81 $N)
assert_eq "$(field refused "$r")" $N "bounded window: connects refused (client's view)"
curl -s "http://127.0.0.1:$PORT/api/v1/diagnose?window=60&format=text" >"$TMP/diag.txt"
curl -s "http://127.0.0.1:$PORT/api/v1/diagnose?window=60" >"$TMP/diag.json"
# each refused connect leaves several events (reset sent and received, the drop): the
# last 4 hold at most one or two of them, and the report says the oldest are gone
got=$(problems $cli | jq -r 'select(.cause == "connect_refused") | .count')
assert_eq "$([ "${got:-0}" -le 4 ] && echo yes)" yes "bounded window: at most the 4 events kept (${got:-0} of $N)"
assert_eq "$(grep -c "the window was full, its oldest events are gone" "$TMP/diag.txt")" 1 \
	"bounded window: says so"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/diagnose?format=yaml")
assert_eq "$code" 400 "format=yaml: 400"
finish
