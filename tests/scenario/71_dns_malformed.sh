#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Hostile DNS, both ways. The client sends 10 malformed queries (empty, cut header, no
# question, a compression loop, a label past the end, a 257-byte name, a reserved label
# type, a response sent to a server, a name with no type) and one valid query with the
# longest legal name (255 bytes); a hostile server answers a valid query with 9
# malformed responses (the same kinds, and a query from port 53), one with a wrong id
# and then the right one -> malformed counted exactly per direction, the valid ones
# counted as queries and responses, and the agent keeps running and answering.
. "$(dirname "$0")/../lib.sh"
require_root
DNSQ=$HELPERS/dnsq


agent_start --dns.timeout=1
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
ip -n "$T-srv" addr add 192.0.2.3/24 dev eth0
cli=$(ns_inode cli)

nsx srv "$DNSQ" serve 192.0.2.2 53 hostile &
nsx srv "$DNSQ" serve 192.0.2.3 53 drop &
wait_udp srv 192.0.2.2:53
wait_udp srv 192.0.2.3:53
in4=$(mib cli UdpInDatagrams)
out4=$(mib cli UdpOutDatagrams)

r=$(nsx cli "$DNSQ" hostile 192.0.2.3 53)
assert_eq "$(field malformed "$r")" 10 "malformed queries sent"
r=$(nsx cli "$DNSQ" query 192.0.2.2 53 ask.test A 1)
assert_eq "$(field noerror "$r")" 1 "the valid answer reached the client"
assert_eq "$(field received "$r")" 11 "datagrams the client received"
assert_eq "$(($(mib cli UdpInDatagrams) - in4))" 11 "kernel UdpInDatagrams delta"
assert_eq "$(($(mib cli UdpOutDatagrams) - out4))" 12 "kernel UdpOutDatagrams delta"

scrape
assert_eq "$(metric osiscope_dns_malformed_total netns=$cli direction=transmit)" 10 "malformed sent"
assert_eq "$(metric osiscope_dns_malformed_total netns=$cli direction=receive)" 9 "malformed received"
# the 255-byte name to the dropping server and ask.test: the valid queries
assert_eq "$(metric osiscope_dns_queries_total netns=$cli qtype=A)" 2 "valid queries"
# the wrong id and the right one
assert_eq "$(metric osiscope_dns_responses_total netns=$cli rcode=NOERROR)" 2 "valid responses"
assert_eq "$(metric osiscope_dns_unmatched_responses_total netns=$cli)" 1 "the response with a wrong id"
assert_eq "$(metric osiscope_dns_request_duration_seconds_count netns=$cli)" 1 "latency observations"
assert_eq "$(grep -c "^osiscope_dns_queries_total{netns=\"$cli\"" "$TMP/metrics")" 2 "query series: A and AAAA only"

# hostile traffic in a loop while scraping: still up, still answering
for i in 1 2 3 4 5; do
	nsx cli "$DNSQ" hostile 192.0.2.3 53 >/dev/null
done
scrape
assert_eq "$(metric osiscope_dns_malformed_total netns=$cli direction=transmit)" 60 "malformed sent, after five more rounds"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/-/healthy")" 200 "/-/healthy"
kill -0 "$AGENT_PID" 2>/dev/null
assert_eq $? 0 "agent still running"
# the longest legal name timed out like any unanswered query
for i in $(seq $((50 * SCALE))); do
	scrape
	[ "$(metric osiscope_dns_timeouts_total netns=$cli)" -ge 6 ] && break
	sleep 0.1
done
assert_eq "$(metric osiscope_dns_timeouts_total netns=$cli)" 6 "the six 255-byte-name queries timed out"
finish
