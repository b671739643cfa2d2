#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# DNS over TCP against a dnsmasq in its own namespace, from another: N queries for a
# name it knows (NOERROR) and M for one it does not (NXDOMAIN) over IPv4, N6 over IPv6,
# each on its own connection; P queries written at once on one connection (pipelined);
# K to a server that never accepts nor answers (timeouts, --dns.timeout=1). Queries,
# responses by rcode, latency observations and timeouts equal what the client saw, all
# counted as TCP queries. S queries whose 2-byte length goes in a segment of its own are
# not read (unparsed, transmit) and their responses, read, match no query (unmatched).
# The NXDOMAIN event says proto=tcp. Nothing is counted in the server's namespace.
. "$(dirname "$0")/../lib.sh"
require_root
DNSQ=$HELPERS/dnsq
N=3 M=2 N6=2 P=2 K=2 S=2
command -v dnsmasq >/dev/null || { fail "dnsmasq missing: scripts/deps.sh installs dnsmasq-base"; finish; }

agent_start --dns.timeout=1
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
ip -n "$T-srv" addr add 192.0.2.3/24 dev eth0
ip -n "$T-cli" addr add 2001:db8::1/64 dev eth0 nodad
ip -n "$T-srv" addr add 2001:db8::2/64 dev eth0 nodad
cli=$(ns_inode cli)
srv=$(ns_inode srv)

dns_server srv "$TMP/dnsmasq.log" 192.0.2.2 2001:db8::2
nsx srv "$TCPLOAD" listen 192.0.2.3 53 16 60 &
wait_udp srv 192.0.2.2:53
for i in $(seq 100); do
	[ "$(nsx srv ss -Hltn | awk '{ print $4 }' | grep -cE '^(192\.0\.2\.[23]|\[2001:db8::2\]):53$')" -eq 3 ] && break
	sleep 0.1
done

r=$(nsx cli "$DNSQ" tcp 192.0.2.2 53 known.test A $N)
assert_eq "$(field noerror "$r")" $N "NOERROR answers over TCP (IPv4), seen by the client"
r=$(nsx cli "$DNSQ" tcp 192.0.2.2 53 nope.test A $M)
assert_eq "$(field nxdomain "$r")" $M "NXDOMAIN answers over TCP"
r=$(nsx cli "$DNSQ" tcp 2001:db8::2 53 known.test AAAA $N6)
assert_eq "$(field noerror "$r")" $N6 "NOERROR answers over TCP (IPv6)"
r=$(nsx cli "$DNSQ" tcp 192.0.2.2 53 known.test A $P pipelined)
assert_eq "$(field noerror "$r")" $P "NOERROR answers to the pipelined queries"
r=$(nsx cli "$DNSQ" tcp 192.0.2.3 53 known.test A $K)
assert_eq "$(field timeout "$r")" $K "queries the silent TCP server never answered"
sleep 2.5 # the timeout (1 s) and the sweep that finds it (every 0.25 s)
scrape
ok=$((N + N6 + P))
assert_eq "$(metric osiscope_dns_tcp_queries_total netns=$cli)" $((ok + M + K)) "queries over TCP"
assert_eq "$(metric osiscope_dns_queries_total netns=$cli qtype=A)" $((N + M + P + K)) "A queries"
assert_eq "$(metric osiscope_dns_queries_total netns=$cli qtype=AAAA)" $N6 "AAAA queries"
assert_eq "$(metric osiscope_dns_responses_total netns=$cli rcode=NOERROR)" $ok "NOERROR responses"
assert_eq "$(metric osiscope_dns_responses_total netns=$cli rcode=NXDOMAIN)" $M "NXDOMAIN responses"
assert_eq "$(metric osiscope_dns_request_duration_seconds_count netns=$cli)" $((ok + M)) \
	"latency observations: every answered query"
assert_eq "$(metric osiscope_dns_timeouts_total netns=$cli)" $K "timeouts over TCP"
assert_eq "$(metric osiscope_dns_unmatched_responses_total netns=$cli)" 0 "unmatched responses"
assert_eq "$(metric osiscope_dns_malformed_total netns=$cli)" 0 "malformed messages"
assert_eq "$(metric osiscope_dns_tcp_unparsed_total netns=$cli)" 0 "unparsed segments"

r=$(nsx cli "$DNSQ" tcp 192.0.2.2 53 known.test A $S split)
assert_eq "$(field noerror "$r")" $S "NOERROR answers to the queries sent in two segments"
scrape
assert_eq "$(metric osiscope_dns_tcp_unparsed_total netns=$cli direction=transmit)" $S \
	"queries whose header came in a later segment: unparsed"
assert_eq "$(metric osiscope_dns_tcp_queries_total netns=$cli)" $((ok + M + K)) "no query counted for them"
assert_eq "$(metric osiscope_dns_responses_total netns=$cli rcode=NOERROR)" $((ok + S)) \
	"their responses counted"
assert_eq "$(metric osiscope_dns_unmatched_responses_total netns=$cli)" $S "and unmatched"
assert_eq "$(metric osiscope_dns_tcp_unparsed_total netns=$cli direction=receive)" 0 \
	"responses all read"
trace_start "$TMP/trace" -l dns -o json --netns "$cli"
r=$(nsx cli "$DNSQ" tcp 192.0.2.2 53 nope.test AAAA 1)
assert_eq "$(field nxdomain "$r")" 1 "one more NXDOMAIN over TCP, traced"
for i in $(seq 50); do
	grep -q '"type":"dns_nxdomain"' "$TMP/trace" && break
	sleep 0.1
done
trace_stop
assert_eq "$(grep '"type":"dns_nxdomain"' "$TMP/trace" | grep '"dst":"192.0.2.2:53"' |
	grep -c 'proto=tcp qtype=AAAA .*name=nope.test')" 1 "its event: server, proto=tcp, type and name"
assert_eq "$(metric osiscope_dns_queries_total netns=$srv)" 0 "queries counted in the server's namespace"
assert_eq "$(metric osiscope_dns_responses_total netns=$srv)" 0 "responses counted in the server's namespace"
finish
