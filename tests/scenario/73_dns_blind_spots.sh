#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# What the cgroup_skb programs on the cgroup root see and what they leave out, shown for
# real: a UDP socket made before the agent started is counted; DNS over a raw
# IPPROTO_UDP socket and over AF_PACKET is not, although the server answers both (raw
# sockets by choice: one gets a copy of every UDP packet of its namespace), and a raw
# UDP socket listening beside a client (it does get the copy) does not make that
# client's response count twice.
. "$(dirname "$0")/../lib.sh"
require_root
DNSQ=$HELPERS/dnsq

wait_for() { # WHAT CMD...: until CMD succeeds
	local what=$1
	shift
	for i in $(seq $((100 * SCALE))); do
		"$@" && return 0
		sleep 0.1
	done
	fail "$what"
	finish
}
listens() { nsx "$1" ss -Hlun | awk '{ print $4 }' | grep -qxF "$2"; }
sockets() { [ -n "$(nsx cli ss -H "$1")" ]; } # -ua: UDP, -wa: raw

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
ip -n "$T-srv" addr add 192.0.2.3/24 dev eth0
cli=$(ns_inode cli)
nsx srv "$DNSQ" serve 192.0.2.2 53 nxdomain &
nsx srv "$DNSQ" serve 192.0.2.3 53 drop &
wait_for "server 192.0.2.2" listens srv 192.0.2.2:53
wait_for "server 192.0.2.3" listens srv 192.0.2.3:53

# a socket made before the agent, used after
mkfifo "$TMP/gate"
DNSQ_GATE=$TMP/gate nsx cli "$DNSQ" query 192.0.2.2 53 early.test A 1 >"$TMP/early" &
early=$!
wait_for "the early socket" sockets -ua
agent_start --dns.timeout=1
out4=$(mib cli UdpOutDatagrams)
echo go >"$TMP/gate"
wait $early
assert_eq "$(field nxdomain "$(cat "$TMP/early")")" 1 "answer on the socket made before the agent"

r=$(nsx cli "$DNSQ" raw 192.0.2.2 53 raw.test A)
assert_eq "$(field nxdomain "$r")" 1 "answer over a raw socket"
mac=$(ip -n "$T-srv" -br link show eth0 | awk '{ print $3 }')
r=$(nsx cli "$DNSQ" packet eth0 "$mac" 192.0.2.1 192.0.2.2 53 packet.test A)
assert_eq "$(field nxdomain "$r")" 1 "answer over AF_PACKET"

# a raw UDP socket waits (on an unanswered query of its own) while a client asks
nsx cli "$DNSQ" raw 192.0.2.3 53 listen.test A 1500 >"$TMP/raw" &
rawp=$!
wait_for "the raw socket" sockets -wa
r=$(nsx cli "$DNSQ" query 192.0.2.2 53 beside.test A 1)
assert_eq "$(field nxdomain "$r")" 1 "answer beside the raw socket"
wait $rawp
assert_eq "$(field received "$(cat "$TMP/raw")")" 1 "the raw socket got a copy of that answer"

scrape
assert_eq "$(($(mib cli UdpOutDatagrams) - out4))" 2 "kernel UdpOutDatagrams delta (UDP sockets only)"
assert_eq "$(metric osiscope_dns_queries_total netns=$cli qtype=A)" 2 "queries: the early socket's and beside.test"
assert_eq "$(metric osiscope_dns_responses_total netns=$cli rcode=NXDOMAIN)" 2 "responses, each once"
assert_eq "$(metric osiscope_dns_request_duration_seconds_count netns=$cli)" 2 "latency observations"
assert_eq "$(metric osiscope_dns_unmatched_responses_total netns=$cli)" 0 "unmatched responses"
assert_eq "$(metric osiscope_dns_malformed_total netns=$cli direction=receive)" 0 "malformed received"
finish
