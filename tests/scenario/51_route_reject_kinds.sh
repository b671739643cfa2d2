#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `ip route add unreachable|prohibit|blackhole PREFIX`, IPv4 and IPv6: N UDP sends to
# each prefix fail with the kernel's error for that route type (EHOSTUNREACH, EACCES,
# EINVAL) -> exactly N route failures of that kind in the sender's namespace, N sends
# failed with EHOSTUNREACH, and no no_route failure (the MIB's IpOutNoRoutes stays).
# Then with a policy rule in front of main (the kernel then walks rules and tables), the
# same sends count the same. An event names each failed destination.
. "$(dirname "$0")/../lib.sh"
require_root
ROUTELOAD=$HELPERS/routeload
N=4

agent_start
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
nsx cli ip addr add 2001:db8::1/64 dev eth0 nodad
cli=$(ns_inode cli)
nsx cli ip route add unreachable 198.51.100.0/26
nsx cli ip route add prohibit 198.51.100.64/26
nsx cli ip route add blackhole 198.51.100.128/26
nsx cli ip -6 route add unreachable 2001:db8:1::/64
nsx cli ip -6 route add prohibit 2001:db8:2::/64
nsx cli ip -6 route add blackhole 2001:db8:3::/64

send_all() { # ROUND: N sends to each prefix, checked against what the sender saw
	local r
	r=$(nsx cli "$ROUTELOAD" udp 198.51.100.1 53 $N)
	assert_eq "$(field ehostunreach "$r")" $N "$1: IPv4 sends to the unreachable route: EHOSTUNREACH"
	r=$(nsx cli "$ROUTELOAD" udp 198.51.100.65 53 $N)
	assert_eq "$(field eacces "$r")" $N "$1: IPv4 sends to the prohibit route: EACCES"
	r=$(nsx cli "$ROUTELOAD" udp 198.51.100.129 53 $N)
	assert_eq "$(field einval "$r")" $N "$1: IPv4 sends to the blackhole route: EINVAL"
	r=$(nsx cli "$ROUTELOAD" udp 2001:db8:1::1 53 $N)
	assert_eq "$(field ehostunreach "$r")" $N "$1: IPv6 sends to the unreachable route: EHOSTUNREACH"
	r=$(nsx cli "$ROUTELOAD" udp 2001:db8:2::1 53 $N)
	assert_eq "$(field eacces "$r")" $N "$1: IPv6 sends to the prohibit route: EACCES"
	r=$(nsx cli "$ROUTELOAD" udp 2001:db8:3::1 53 $N)
	assert_eq "$(field einval "$r")" $N "$1: IPv6 sends to the blackhole route: EINVAL"
}
check() { # ROUND TIMES
	local fam kind
	scrape
	for fam in ipv4 ipv6; do
		for kind in unreachable prohibit blackhole; do
			assert_eq "$(metric osiscope_route_lookup_failures_total netns=$cli family=$fam kind=$kind)" \
				$((N * $2)) "$1: $fam $kind failures"
		done
		assert_eq "$(metric osiscope_route_lookup_failures_total netns=$cli family=$fam kind=no_route)" 0 \
			"$1: $fam no_route failures"
		assert_eq "$(metric osiscope_route_send_failures_total netns=$cli family=$fam error=EHOSTUNREACH)" \
			$((N * $2)) "$1: $fam sends failed with EHOSTUNREACH"
	done
}

out4=$(mib cli IpOutNoRoutes)
trace=$TMP/trace.json
"$OSI_BIN" trace -l route -o json --netns "$cli" >"$trace" 2>"$trace.err" &
TRACE_PID=$!
for i in $(seq 100); do grep -q tracing "$trace.err" 2>/dev/null && break; sleep 0.1; done
send_all "main table"
check "main table" 1
kill -INT $TRACE_PID
wait $TRACE_PID
assert_eq "$(grep -c '"type":"route_lookup_failed"' "$trace")" $((6 * N)) "route_lookup_failed events"
assert_eq "$(grep '"dst":"198.51.100.65"' "$trace" | grep -c 'kind=prohibit table=254')" $N \
	"IPv4 prohibit events with destination and table"
assert_eq "$(grep '"dst":"2001:db8:3::1"' "$trace" | grep -c 'kind=blackhole')" $N \
	"IPv6 blackhole events with destination"

# a rule before main: the kernel now looks up local, table 100 (empty: a miss), main
nsx cli ip rule add pref 100 lookup 100
nsx cli ip -6 rule add pref 100 lookup 100
send_all "policy rules"
check "policy rules" 2
assert_eq "$(($(mib cli IpOutNoRoutes) - out4))" 0 "kernel IpOutNoRoutes delta"
finish
