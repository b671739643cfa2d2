#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# N TLS handshakes between curl (SSL_connect) in one namespace and openssl s_server
# (-rev: BIO_do_handshake) in another, each in a cgroup of the test's own -> N ok for
# role=client comm=curl and N for role=server comm=openssl in those cgroups (what
# curl -v and s_server print), N latency observations on each side within the time
# the clients took, N TLSv1.3, no failure, one attachment to the system's libssl for
# all of them; openssl s_client, whose handshake runs inside SSL_read/SSL_write,
# counts as a handshake too (scenario 66 has more of those).
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/tls.sh"
require_root
N=5

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
CLI=$(cg cli)
SRV=$(cg srv)
tls_cert srv IP:192.0.2.2
agent_start --no-collector.tcp
srv_start srv "$SRV" 4433 "$TMP/srv.out" -cert "$TMP/srv.pem" -key "$TMP/srv.key"

t0=$(date +%s%N)
for i in $(seq $N); do
	run_in cli "$CLI" curl -sS -v -o /dev/null --cacert "$TMP/srv.pem" https://192.0.2.2:4433/ \
		>"$TMP/curl.$i" 2>&1
done
elapsed_us=$((($(date +%s%N) - t0) / 1000))
client_ok=$(cat "$TMP"/curl.* | grep -c "SSL connection using TLSv1.3")
assert_eq "$client_ok" $N "handshakes curl reports"
assert_eq "$(wait_count "$TMP/srv.out" "CONNECTION ESTABLISHED" $N)" $N "handshakes s_server reports"

scrape
assert_eq "$(mval osiscope_tls_handshakes_total role=client result=ok comm=curl cgroup=$CLI)" $N \
	"ok handshakes, client side"
assert_eq "$(mval osiscope_tls_handshakes_total role=server result=ok comm=openssl cgroup=$SRV)" $N \
	"ok handshakes, server side"
assert_eq "$(mval osiscope_tls_handshakes_total result=failed cgroup=$CLI)" 0 "failed, client side"
assert_eq "$(mval osiscope_tls_handshakes_total result=failed cgroup=$SRV)" 0 "failed, server side"
assert_eq "$(mval osiscope_tls_handshake_duration_seconds_count role=client comm=curl cgroup=$CLI)" $N \
	"latency observations, client side"
assert_eq "$(mval osiscope_tls_handshake_duration_seconds_count role=server comm=openssl cgroup=$SRV)" $N \
	"latency observations, server side"
assert_eq "$(mval osiscope_tls_handshake_duration_seconds_bucket role=client cgroup=$CLI le=+Inf)" $N \
	"+Inf bucket, client side"
sum_us=$(msum osiscope_tls_handshake_duration_seconds_sum role=client cgroup=$CLI |
	awk '{ printf "%.0f", $1 * 1e6 }')
assert_gt "$sum_us" 0 "client handshake time (us)"
assert_gt "$elapsed_us" "$sum_us" "wall time of the $N curl runs (us) over their handshake time"
tls_version TLSv1.3 # ver: unknown before 5.15
assert_eq "$(mval osiscope_tls_protocol_versions_total role=client version=$ver cgroup=$CLI)" $N \
	"$ver, client side"
assert_eq "$(mval osiscope_tls_protocol_versions_total role=server version=$ver cgroup=$SRV)" $N \
	"$ver, server side"
assert_eq "$(mval osiscope_tls_handshakes_unobserved_total cgroup=$CLI)" 0 "curl handshakes unobserved"
assert_eq "$(grep -c '^osiscope_tls_data_bytes_total' "$TMP/metrics")" 0 \
	"data-path series without --tls.data-path"
# one attachment per library file, however many processes (and paths) use it
ssl_ino=$(stat -L -c %i "$(ldd "$(command -v openssl)" | awk '$1 ~ /^libssl\.so/ { print $3 }')")
assert_eq "$(grep '^osiscope_tls_probed_libraries{' "$TMP/metrics" | grep -c "inode=\"$ssl_ino\"")" 1 \
	"series of the system's libssl"
assert_gt "$(mval osiscope_tls_probed_libraries kind=libssl inode=$ssl_ino)" 3 "its uprobes"

# s_client lets SSL_read/SSL_write do the handshake: seen in the state machine all the same
run_in cli "$CLI" openssl s_client -connect 192.0.2.2:4433 -CAfile "$TMP/srv.pem" </dev/null \
	>"$TMP/s_client.out" 2>&1
assert_eq "$(grep -c "^Verification: OK" "$TMP/s_client.out")" 1 "s_client handshake"
scrape
assert_eq "$(mval osiscope_tls_handshakes_unobserved_total role=client comm=openssl cgroup=$CLI)" 0 \
	"s_client connections unobserved"
assert_eq "$(mval osiscope_tls_handshakes_total role=client result=ok comm=openssl cgroup=$CLI)" 1 \
	"s_client handshakes counted"
finish
