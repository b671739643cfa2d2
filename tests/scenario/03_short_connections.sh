#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# N short connections -> N ok connects with N latency observations, N connection
# lifetimes on each side with the bytes moved, and the TIME_WAIT gauge equal to what
# ss counts in the client namespace (the active closer keeps the TIME_WAIT sockets).
. "$(dirname "$0")/../lib.sh"
require_root
N=25

agent_start
ns_create cli srv
ns_link cli srv 203.0.113.1 203.0.113.2
cli=$(ns_inode cli)
srv=$(ns_inode srv)
opens0=$(mib cli TcpActiveOpens)
popens0=$(mib srv TcpPassiveOpens)

nsx srv "$TCPLOAD" serve 203.0.113.2 8080 30 >"$TMP/serve.out" &
# an IPv6 listener too: the state gauge covers both families
nsx srv "$TCPLOAD" listen ::1 8443 8 30 >/dev/null &
for i in $(seq $((50 * SCALE))); do grep -q listening "$TMP/serve.out" 2>/dev/null && break; sleep 0.1; done
# churn: connect, read the server's byte, write one back, close first
out=$(nsx cli "$TCPLOAD" churn 203.0.113.2 8080 $N)
assert_eq "$(field ok "$out")" $N "connections the client made"

# the server closes its side once it has read our close: wait for the kernel, bounded
for i in $(seq $((50 * SCALE))); do
	[ "$(nsx srv ss -Htan state established | wc -l)" -eq 0 ] && break
	sleep 0.1
done
scrape
tw=$(nsx cli ss -Htan state time-wait | wc -l)
assert_gt "$tw" 0 "TIME_WAIT sockets in the client namespace (ss)"
assert_eq "$(metric osiscope_tcp_sockets netns=$cli state=time_wait)" "$tw" "TIME_WAIT gauge vs ss"
assert_eq "$(metric osiscope_tcp_sockets netns=$srv state=listen)" \
	"$(nsx srv ss -Htan state listening | wc -l)" "LISTEN gauge vs ss (server)"
assert_eq "$(metric osiscope_tcp_connects_total netns=$cli result=ok)" $N "ok connects"
assert_eq "$(metric osiscope_tcp_connect_duration_seconds_count netns=$cli)" $N "connect latency observations"
assert_eq "$(metric osiscope_tcp_active_opens_total netns=$cli)" $(($(mib cli TcpActiveOpens) - opens0)) \
	"active opens vs TcpActiveOpens delta"
assert_eq "$(metric osiscope_tcp_passive_opens_total netns=$srv)" $(($(mib srv TcpPassiveOpens) - popens0)) \
	"passive opens vs TcpPassiveOpens delta"
assert_eq "$(metric osiscope_tcp_connection_duration_seconds_count netns=$cli)" $N "connection lifetimes (client)"
assert_eq "$(metric osiscope_tcp_connection_duration_seconds_count netns=$srv)" $N "connection lifetimes (server)"
# each connection moved exactly one byte each way
assert_eq "$(metric osiscope_tcp_sent_bytes_total netns=$cli)" $N "bytes sent by the client's connections"
assert_eq "$(metric osiscope_tcp_received_bytes_total netns=$cli)" $N "bytes received by the client's connections"
assert_eq "$(metric osiscope_tcp_sent_bytes_total netns=$srv)" $N "bytes sent by the server's connections"
assert_eq "$(metric osiscope_tcp_received_bytes_total netns=$srv)" $N "bytes received by the server's connections"
finish
