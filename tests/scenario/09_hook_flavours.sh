#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The fallback hook flavours count exactly like tp_btf: with the agent forced onto
# raw_tp and then onto classic tracepoints, refused connects, resets, successful
# connects with latency, lifetimes and bytes still match the kernel and the test's count.
. "$(dirname "$0")/../lib.sh"
require_root
N=5 M=8

for mode in tp_btf raw_tp tracepoint; do
	log "--- --bpf.attach=$mode"
	agent_start --bpf.attach=$mode
	assert_eq "$(grep -c "collector tcp: $mode/inet_sock_set_state attached" "$TMP/agent.log")" 1 \
		"$mode flavour attached"
	ns_create "c$mode" "s$mode"
	ns_link "c$mode" "s$mode" 192.0.2.1 192.0.2.2
	cli=$(ns_inode "c$mode")
	srv=$(ns_inode "s$mode")
	rsts0=$(mib "s$mode" TcpOutRsts)

	nsx "c$mode" "$TCPLOAD" connect 192.0.2.2 9 $N >/dev/null
	nsx "s$mode" "$TCPLOAD" serve 192.0.2.2 8080 20 >"$TMP/serve.$mode" &
	for i in $(seq $((50 * SCALE))); do grep -q listening "$TMP/serve.$mode" 2>/dev/null && break; sleep 0.1; done
	out=$(nsx "c$mode" "$TCPLOAD" churn 192.0.2.2 8080 $M)
	for i in $(seq $((50 * SCALE))); do
		[ "$(nsx "s$mode" ss -Htan state established | wc -l)" -eq 0 ] && break
		sleep 0.1
	done
	scrape
	assert_eq "$(metric osiscope_tcp_resets_sent_total netns=$srv)" $(($(mib "s$mode" TcpOutRsts) - rsts0)) \
		"$mode: resets sent vs TcpOutRsts delta"
	assert_eq "$(metric osiscope_tcp_connects_total netns=$cli result=refused)" $N "$mode: refused connects"
	assert_eq "$(metric osiscope_tcp_resets_received_total netns=$cli)" $N "$mode: resets received"
	assert_eq "$(metric osiscope_tcp_connects_total netns=$cli result=ok)" "$(field ok "$out")" "$mode: ok connects"
	assert_eq "$(metric osiscope_tcp_connect_duration_seconds_count netns=$cli)" $M "$mode: latency observations"
	assert_eq "$(metric osiscope_tcp_connection_duration_seconds_count netns=$srv)" $M "$mode: server lifetimes"
	assert_eq "$(metric osiscope_tcp_sent_bytes_total netns=$cli)" $M "$mode: client bytes sent"
	assert_eq "$(metric osiscope_tcp_received_bytes_total netns=$cli)" $M "$mode: client bytes received"
	agent_stop
	assert_eq "$AGENT_RC" 0 "$mode: agent exit status"
done
finish
