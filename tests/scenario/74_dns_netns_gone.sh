#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A namespace that goes away with DNS queries still in flight: its dns series leave
# /metrics, and its queries do not time out later and bring them back, while another
# namespace's counts stay.
. "$(dirname "$0")/../lib.sh"
require_root
DNSQ=$HELPERS/dnsq
TIMEOUT=3

listens() { nsx "$1" ss -Hlun | awk '{ print $4 }' | grep -qxF "$2"; }

agent_start --dns.timeout=$TIMEOUT
ns_create keep gone srv osrv
ns_link gone srv 192.0.2.1 192.0.2.2
ns_link keep osrv 198.51.100.1 198.51.100.2
keep=$(ns_inode keep)
gone=$(ns_inode gone)
nsx srv "$DNSQ" serve 192.0.2.2 53 drop &
nsx osrv "$DNSQ" serve 198.51.100.2 53 nxdomain &
for i in $(seq $((100 * SCALE))); do
	listens srv 192.0.2.2:53 && listens osrv 198.51.100.2:53 && break
	sleep 0.1
done

start=$(date +%s%N)
r=$(nsx gone "$DNSQ" query 192.0.2.2 53 lost.test A 3 50)
assert_eq "$(field timeout "$r")" 3 "queries left in flight"
r=$(nsx keep "$DNSQ" query 198.51.100.2 53 nope.test A 2)
assert_eq "$(field nxdomain "$r")" 2 "answers in the namespace that stays"
scrape
assert_eq "$(metric osiscope_dns_queries_total netns=$gone qtype=A)" 3 "queries of the namespace to delete"
assert_eq "$(metric osiscope_dns_timeouts_total netns=$gone)" 0 "not timed out yet"

ip netns del "$T-gone"
# Other tests on the machine make namespaces too, and the kernel reuses a freed
# namespace's inode: so look at what only this namespace had, its nonzero values.
left() { grep "^osiscope_dns_.*netns=\"$gone\"" "$TMP/metrics" | grep -vc ' 0$'; }
for i in $(seq $((30 * SCALE))); do
	scrape
	[ "$(left)" -eq 0 ] && break
	sleep 0.2
done
assert_eq "$(left)" 0 "nonzero dns series of the deleted namespace"
# past the timeout and a sweep: had its queries stayed in flight, they would be back
while [ $(($(date +%s%N) - start)) -lt $(((TIMEOUT * 4 + 4) * 250000000)) ]; do
	sleep 0.2
done
scrape
scrape
assert_eq "$(metric osiscope_dns_timeouts_total netns=$gone)" 0 "timeouts of the deleted namespace, once they were due"
assert_eq "$(left)" 0 "nonzero dns series of the deleted namespace, once its timeouts were due"
assert_eq "$(metric osiscope_dns_responses_total netns=$keep rcode=NXDOMAIN)" 2 "the other namespace keeps its count"
finish
