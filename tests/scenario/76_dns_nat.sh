#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# DNS behind NAT, as in Docker's embedded DNS (the container asks 127.0.0.11:53, which
# its own OUTPUT chain DNATs to another port) or a ClusterIP: the egress hook sees the
# query after the DNAT, the ingress hook the answer after conntrack has undone it. N
# queries from a connected socket (as glibc's resolver) to a DNATed address -> N
# queries, N NOERROR responses, N latency observations, no timeout and no unmatched
# response, equal to what the client got.
. "$(dirname "$0")/../lib.sh"
require_root
DNSQ=$HELPERS/dnsq
N=5

agent_start --dns.timeout=1
ns_create cli
cli=$(ns_inode cli)
nsx cli "$DNSQ" serve 127.0.0.1 5353 noerror >/dev/null 2>&1 &
wait_udp cli 127.0.0.1:5353
nsx cli nft -f - <<-EOF2 || skip "nftables without nat (nft_nat, nf_nat)"
	table ip osiscope_test {
		chain out {
			type nat hook output priority -100; policy accept;
			ip daddr 127.0.0.11 udp dport 53 dnat to 127.0.0.1:5353
		}
	}
EOF2
out=$(nsx cli env DNSQ_CONNECT=1 "$DNSQ" query 127.0.0.11 53 nat.test A $N)
log "client: $out"
assert_eq "$(field noerror "$out")" $N "answers the client got through the DNAT"
scrape
assert_eq "$(metric osiscope_dns_queries_total netns=$cli qtype=A)" $N "queries"
assert_eq "$(metric osiscope_dns_responses_total netns=$cli rcode=NOERROR)" $N "NOERROR responses"
assert_eq "$(metric osiscope_dns_request_duration_seconds_count netns=$cli)" $N "latency observations"
assert_eq "$(metric osiscope_dns_timeouts_total netns=$cli)" 0 "timeouts"
assert_eq "$(metric osiscope_dns_unmatched_responses_total netns=$cli)" 0 "unmatched responses"
finish
