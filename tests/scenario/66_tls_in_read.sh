#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Handshakes that run inside SSL_read / SSL_write, not SSL_do_handshake: openssl
# s_server -www reads through an SSL BIO, so its side of each handshake happens in its
# first SSL_read. N clients (tlsload: SSL_connect) -> N ok handshakes for role=server
# comm=openssl in the server's cgroup, N latency observations within the time the
# clients took, N TLSv1.3, none unobserved; s_client (its side inside SSL_write and
# SSL_read) P more ok on the client side. One plain HTTP request to the TLS port ->
# one failed server handshake, reason "http request" (what s_server prints), and its
# event in trace.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/tls.sh"
require_root
N=4 P=2

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
CLI=$(cg cli)
SRV=$(cg srv)
tls_cert srv IP:192.0.2.2
agent_start --no-collector.tcp
run_in srv "$SRV" openssl s_server -accept 4433 -www -cert "$TMP/srv.pem" -key "$TMP/srv.key" \
	>"$TMP/srv.out" 2>&1 </dev/null &
wait_listen srv 4433

t0=$(date +%s%N)
r=$(run_in cli "$CLI" "$TLSLOAD" client 192.0.2.2 4433 $N --ca "$TMP/srv.pem")
elapsed_us=$((($(date +%s%N) - t0) / 1000))
assert_eq "$(field ok "$(echo "$r" | grep '^ok=')")" $N "handshakes the clients made"
for i in $(seq $P); do
	run_in cli "$CLI" openssl s_client -connect 192.0.2.2:4433 -CAfile "$TMP/srv.pem" </dev/null \
		>"$TMP/s_client.$i" 2>&1
done
assert_eq "$(cat "$TMP"/s_client.* | grep -c "^Verification: OK")" $P "s_client handshakes"

trace_start "$TMP/trace" -l tls -o json
nsx cli bash -c 'exec 3<>/dev/tcp/192.0.2.2/4433 && printf "GET / HTTP/1.0\r\n\r\n" >&3 && cat <&3 >/dev/null'
assert_eq "$(wait_count "$TMP/srv.out" "http request" 1)" 1 "s_server: http request"
for i in $(seq 50); do
	grep -q '"type":"handshake_failed"' "$TMP/trace" && break
	sleep 0.1
done
trace_stop
log "event: $(grep -m1 '"type":"handshake_failed"' "$TMP/trace")"

scrape
H=osiscope_tls_handshakes_total
assert_eq "$(mval $H role=server result=ok comm=openssl cgroup=$SRV)" $((N + P)) \
	"ok handshakes of s_server -www (inside SSL_read)"
assert_eq "$(mval osiscope_tls_handshake_duration_seconds_count role=server comm=openssl cgroup=$SRV)" \
	$((N + P)) "latency observations, server side"
tls_version TLSv1.3 # ver: unknown before 5.15
assert_eq "$(mval osiscope_tls_protocol_versions_total role=server version=$ver cgroup=$SRV)" $((N + P)) \
	"$ver, server side"
assert_eq "$(mval osiscope_tls_handshakes_unobserved_total cgroup=$SRV)" 0 "server handshakes unobserved"
assert_eq "$(mval $H role=server result=failed "reason=http request" comm=openssl cgroup=$SRV)" 1 \
	"server: http request"
assert_eq "$(mval $H result=failed cgroup=$SRV)" 1 "server: all failures"
assert_eq "$(mval $H role=client result=ok comm=tlsload cgroup=$CLI)" $N "tlsload handshakes"
assert_eq "$(mval $H role=client result=ok comm=openssl cgroup=$CLI)" $P \
	"s_client handshakes (inside SSL_write/SSL_read)"
assert_eq "$(mval osiscope_tls_handshakes_unobserved_total cgroup=$CLI)" 0 "client handshakes unobserved"
sum_us=$(msum osiscope_tls_handshake_duration_seconds_sum role=client comm=tlsload cgroup=$CLI |
	awk '{ printf "%.0f", $1 * 1e6 }')
assert_gt "$sum_us" 0 "tlsload handshake time (us)"
assert_gt "$elapsed_us" "$sum_us" "wall time of the tlsload run (us) over its handshake time"
# s_server hands OpenSSL a socket BIO, not the fd (SSL_set_fd): no addresses, but the
# process and its namespace
assert_eq "$(grep '"type":"handshake_failed"' "$TMP/trace" | grep "\"netns\":$(ns_inode srv)," |
	grep '"comm":"openssl"' | grep -c 'role=server reason=\\"http request\\"')" 1 \
	"handshake_failed event with its namespace, process and reason"
finish
