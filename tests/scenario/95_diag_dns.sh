#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# DNS faults, each client in a namespace of its own with its own server, while diagnose
# watches (--dns.timeout=1):
#  - a name that does not exist, also tried with a search suffix first -> L7
#    dns_nxdomain for nope.test, its search-path expansion folded in as evidence;
#  - a search-path expansion answered NXDOMAIN, then the name itself answered -> no
#    problem at all (a resolver with ndots does this for every name);
#  - a server that receives queries and never answers -> L7 dns_no_answer;
#  - a server address where nothing listens on port 53 (ICMP port unreachable) -> L4
#    port_closed on the server's side, the client's unanswered queries its symptom.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/diag.sh"
require_root
DNSQ=$HELPERS/dnsq
command -v dnsmasq >/dev/null || skip "dnsmasq missing: scripts/deps.sh installs dnsmasq-base"
N=3

ns_create c1 s1 c2 s2 c3 s3 c4 s4
ns_link c1 s1 192.0.2.1 192.0.2.2
ns_link c2 s2 192.0.2.1 192.0.2.2
ns_link c3 s3 192.0.2.1 192.0.2.3
ns_link c4 s4 192.0.2.1 192.0.2.4
for i in 1 2 3 4; do eval "c$i=$(ns_inode c$i) s$i=$(ns_inode s$i)"; done
for s in s1 s2; do
	dns_server $s "$TMP/dnsmasq-$s.log" 192.0.2.2
	wait_udp $s 192.0.2.2:53
done
nsx s3 "$DNSQ" serve 192.0.2.3 53 drop >/dev/null &
wait_udp s3 192.0.2.3:53
noports0=$(mib s4 UdpNoPorts)

diag_start 10 --dns.timeout=1
r1x=$(nsx c1 "$DNSQ" query 192.0.2.2 53 nope.test.svc.test A 1)
r1=$(nsx c1 "$DNSQ" query 192.0.2.2 53 nope.test A $N)
r2x=$(nsx c2 "$DNSQ" query 192.0.2.2 53 known.test.svc.test A 1)
r2=$(nsx c2 "$DNSQ" query 192.0.2.2 53 known.test A 1)
r3=$(nsx c3 "$DNSQ" query 192.0.2.3 53 known.test A $N 300)
r4=$(nsx c4 "$DNSQ" query 192.0.2.4 53 known.test A $N 300)
sleep 1.5 # the last timeouts (1 s) come from the agent's sweep
diag_wait

assert_eq "$(field nxdomain "$r1x") $(field nxdomain "$r1")" "1 $N" "NXDOMAIN answers (client's view)"
assert_eq "$(field nxdomain "$r2x") $(field noerror "$r2")" "1 1" "search path: NXDOMAIN, then the answer"
assert_eq "$(field sent "$r3") $(field received "$r3")" "$N 0" "silent server: queries sent, none answered"
assert_eq "$(($(mib s4 UdpNoPorts) - noports0))" $N "closed port: UdpNoPorts in the server's namespace"

assert_eq "$(first_problem $c1 $s1)" "l7 dns_nxdomain nope.test" "NXDOMAIN: first problem"
assert_eq "$(first_field count $c1 $s1)" $N "NXDOMAIN: the answers for the name"
assert_eq "$(first_field evidence $c1 $s1 | grep -c "NXDOMAIN for nope.test.svc.test")" 1 \
	"NXDOMAIN: the search-path expansion is its evidence"
assert_nproblems 1 "NXDOMAIN: one problem" $c1 $s1
assert_nproblems 0 "search path then answer: no problem" $c2 $s2
assert_eq "$(first_problem $c3 $s3)" "l7 dns_no_answer 192.0.2.3:53" "silent server: first problem"
assert_eq "$(first_field count $c3 $s3)" $N "silent server: the queries"
# the timeout events (the kernel's sweep, or before 5.15 the agent's) and the counter agree
timeouts() {
	jq -r --argjson n "$1" '.layers[] | select(.layer == "dns") | .findings[] |
		select(.what == "DNS queries timed out" and .netns == $n) | .count' "$TMP/diag.json"
}
assert_eq "$(timeouts $c3) $(timeouts $c4)" "$N $N" "osiscope_dns_timeouts_total: each query once"
assert_eq "$(first_problem $c4 $s4)" "l4 port_closed 192.0.2.4:53" "closed port: first problem"
assert_eq "$(first_field netns $c4 $s4)" "$s4" "closed port: in the server's namespace"
assert_eq "$(first_field symptoms $c4 $s4 | grep -c "$N DNS queries to 192.0.2.4:53 unanswered")" 1 \
	"closed port: the unanswered queries are its symptom"
finish
