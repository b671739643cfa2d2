#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# --tls.data-path=on: a client that SSL_writes B bytes over each of N connections and
# SSL_reads them back from openssl s_server -rev -> the client's transmit and receive
# byte counters equal what it says it sent and received; the handshakes are counted
# as without the flag. (s_server -rev reads and writes through an SSL BIO, which does
# not call SSL_read/SSL_write: the server side has no byte counters.)
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/tls.sh"
require_root
N=3
B=20000

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
CLI=$(cg cli)
SRV=$(cg srv)
tls_cert srv IP:192.0.2.2
agent_start --no-collector.tcp --tls.data-path=on
srv_start srv "$SRV" 4433 "$TMP/srv.out" -cert "$TMP/srv.pem" -key "$TMP/srv.key"

run_in cli "$CLI" "$TLSLOAD" client 192.0.2.2 4433 $N --ca "$TMP/srv.pem" --send $B >"$TMP/c.out"
assert_eq "$(grep '^ok=' "$TMP/c.out")" "ok=$N failed=0" "handshakes the client reports"
sent=$(awk -F'[= ]' '/^sent=/ { s += $2 } END { print s + 0 }' "$TMP/c.out")
received=$(awk -F'[= ]' '/^sent=/ { r += $4 } END { print r + 0 }' "$TMP/c.out")
assert_eq "$sent" $((N * B)) "bytes the client sent"
assert_eq "$received" $((N * B)) "bytes the client received"

scrape
D=osiscope_tls_data_bytes_total
assert_eq "$(mval $D role=client direction=transmit comm=tlsload cgroup=$CLI)" "$sent" "transmit bytes"
assert_eq "$(mval $D role=client direction=receive comm=tlsload cgroup=$CLI)" "$received" "receive bytes"
assert_eq "$(mval $D cgroup=$SRV)" 0 "server bytes (SSL BIO, not SSL_read/SSL_write)"
assert_eq "$(mval osiscope_tls_handshakes_total role=client result=ok comm=tlsload cgroup=$CLI)" $N \
	"ok handshakes"
assert_eq "$(mval osiscope_tls_handshakes_total role=server result=ok cgroup=$SRV)" $N "server side"
finish
