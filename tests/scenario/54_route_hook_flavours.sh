#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The fallback hook flavours count like tp_btf. raw_tp: N sends into an IPv4 prohibit
# route, N into an unreachable one and N into an IPv6 prohibit route count N failures of
# each kind. raw_tp and classic tracepoints: N sends into the unreachable route count N
# EHOSTUNREACH send failures, N datagrams to a closed port N ICMP type 3 code 3 sent
# (IcmpOutDestUnreachs delta). The route lookups have no classic tracepoint flavour
# (their records cannot be attributed): tracepoint mode says so and counts none.
# Kernel-aware: where the kernel lacks icmp:icmp_send (Debian's 5.10) the agent says so
# and the port unreachables are type 3 with the code empty (the MIB); where it lacks
# sock:sock_send_length (before 6.3) the send failures come from fexit on
# inet{,6}_sendmsg, or, with no such program either, their series are absent.
. "$(dirname "$0")/../lib.sh"
require_root
ROUTELOAD=$HELPERS/routeload
N=3

for mode in raw_tp tracepoint; do
	log "--- --bpf.attach=$mode"
	agent_start --bpf.attach=$mode --no-collector.tcp
	for h in icmp/icmp_send sock/sock_send_length; do
		if has_tracepoint $h; then
			assert_eq "$(grep -c "collector route: $mode/${h#*/} attached" "$TMP/agent.log")" 1 "$mode: ${h#*/} attached"
		else
			assert_eq "$(grep -c "route: ${h%/*}:${h#*/} unavailable" "$TMP/agent.log")" 1 \
				"$mode: ${h#*/} reported unavailable (not in this kernel)"
		fi
	done
	# send failures: sock_send_length, else fexit on inet{,6}_sendmsg, else absent
	sends=$N
	if ! has_tracepoint sock/sock_send_length && ! { has_fhook route inet_sendmsg && has_fhook route inet6_sendmsg; }; then
		sends=absent
		assert_eq "$(grep -c "route: osiscope_route_send_failures_total is absent" "$TMP/agent.log")" 1 \
			"$mode: the agent says send failures are not counted"
	fi
	code=3
	has_tracepoint icmp/icmp_send || code=
	ns_create "c$mode" "s$mode"
	ns_link "c$mode" "s$mode" 192.0.2.1 192.0.2.2
	nsx "c$mode" ip addr add 2001:db8::1/64 dev eth0 nodad
	nsx "c$mode" ip route add prohibit 198.51.100.0/24
	nsx "c$mode" ip route add unreachable 203.0.113.0/24
	nsx "c$mode" ip -6 route add prohibit 2001:db8:1::/64
	nsx "s$mode" sysctl -qw net.ipv4.icmp_ratemask=0
	cli=$(ns_inode "c$mode") srv=$(ns_inode "s$mode")
	so=$(mib "s$mode" IcmpOutDestUnreachs) ci=$(mib "c$mode" IcmpInDestUnreachs)
	assert_eq "$(field eacces "$(nsx "c$mode" "$ROUTELOAD" udp 198.51.100.1 53 $N)")" $N "$mode: EACCES sends"
	assert_eq "$(field ehostunreach "$(nsx "c$mode" "$ROUTELOAD" udp 203.0.113.1 53 $N)")" $N "$mode: EHOSTUNREACH sends"
	assert_eq "$(field eacces "$(nsx "c$mode" "$ROUTELOAD" udp 2001:db8:1::1 53 $N)")" $N "$mode: IPv6 EACCES sends"
	nsx "c$mode" "$ROUTELOAD" udp 192.0.2.2 9 $N >/dev/null
	for i in $(seq 50); do [ $(($(mib "c$mode" IcmpInDestUnreachs) - ci)) -ge $N ] && break; sleep 0.1; done
	scrape
	if [ $sends = absent ]; then
		assert_eq "$(grep -c "^osiscope_route_send_failures_total{" "$TMP/metrics")" 0 "$mode: no send failure series"
	else
		assert_eq "$(metric osiscope_route_send_failures_total netns=$cli family=ipv4 error=EHOSTUNREACH)" $N \
			"$mode: EHOSTUNREACH send failures"
	fi
	assert_eq "$(metric osiscope_icmp_sent_total netns=$srv family=ipv4 type=3 code=$code)" $(($(mib "s$mode" IcmpOutDestUnreachs) - so)) \
		"$mode: port unreachables sent (type 3, code '$code') vs IcmpOutDestUnreachs delta"
	if [ $mode = raw_tp ]; then
		k=$N
		assert_eq "$(grep -c "collector route: raw_tp/fib_table_lookup attached" "$TMP/agent.log")" 1 "$mode: fib attached"
		assert_eq "$(grep -c "collector route: raw_tp/fib6_table_lookup attached" "$TMP/agent.log")" 1 "$mode: fib6 attached"
	else
		k=0
		assert_eq "$(grep -c "route: fib:fib_table_lookup unavailable.*no classic tracepoint flavour" "$TMP/agent.log")" 1 \
			"$mode: fib hook reported unavailable, with why"
		assert_eq "$(grep -c "route: fib6:fib6_table_lookup unavailable.*no classic tracepoint flavour" "$TMP/agent.log")" 1 \
			"$mode: fib6 hook reported unavailable, with why"
	fi
	assert_eq "$(metric osiscope_route_lookup_failures_total netns=$cli family=ipv4 kind=prohibit)" $k "$mode: IPv4 prohibit failures"
	assert_eq "$(metric osiscope_route_lookup_failures_total netns=$cli family=ipv4 kind=unreachable)" $k "$mode: IPv4 unreachable failures"
	assert_eq "$(metric osiscope_route_lookup_failures_total netns=$cli family=ipv6 kind=prohibit)" $k "$mode: IPv6 prohibit failures"
	agent_stop
	assert_eq "$AGENT_RC" 0 "$mode: agent exit status"
done
finish
