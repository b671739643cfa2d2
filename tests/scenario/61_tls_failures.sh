#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# M curl handshakes against a certificate curl does not trust (its only CA another
# self-signed certificate, not the system's store), and K with curl asking
# for TLS 1.3 only from an openssl s_server that speaks TLS 1.2 only -> on the client
# M "certificate verify failed" and K "tlsv1 alert protocol version", on the servers M
# "tlsv1 alert unknown ca" and K "unsupported protocol" (OpenSSL's own texts, as curl
# and s_server print them), no ok handshake; diagnose names the failures.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/tls.sh"
require_root
M=3
K=2

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
CLI=$(cg cli)
SRV_A=$(cg untrusted)
SRV_B=$(cg tls12)
tls_cert srv IP:192.0.2.2
tls_cert other IP:192.0.2.2 osiscope-other # the only CA the untrusted runs trust
agent_start --no-collector.tcp
srv_start srv "$SRV_A" 4433 "$TMP/a.out" -cert "$TMP/srv.pem" -key "$TMP/srv.key"
srv_start srv "$SRV_B" 4434 "$TMP/b.out" -cert "$TMP/srv.pem" -key "$TMP/srv.key" -tls1_2

rc60=0 rc35=0
codes=
for i in $(seq $M); do
	run_in cli "$CLI" curl -sS -o /dev/null --cacert "$TMP/other.pem" https://192.0.2.2:4433/ \
		2>>"$TMP/curl.err"
	rc=$?
	codes="$codes $rc"
	[ $rc -eq 60 ] && rc60=$((rc60 + 1))
done
for i in $(seq $K); do
	run_in cli "$CLI" curl -sS -o /dev/null --tlsv1.3 --cacert "$TMP/srv.pem" https://192.0.2.2:4434/ \
		2>>"$TMP/curl.err"
	rc=$?
	codes="$codes $rc"
	[ $rc -eq 35 ] && rc35=$((rc35 + 1))
done
[ "$rc60$rc35" = "$M$K" ] || log "curl exit codes:$codes; curl said: $(tr '\n' ' ' <"$TMP/curl.err")"
assert_eq "$rc60" $M "curl runs failing certificate verification (exit 60)"
assert_eq "$rc35" $K "curl runs failing the handshake (exit 35)"
assert_eq "$(grep -c "tlsv1 alert protocol version" "$TMP/curl.err")" $K "curl: alert protocol version"
assert_eq "$(wait_count "$TMP/a.out" "tlsv1 alert unknown ca" $M)" $M "s_server: alert unknown ca"
assert_eq "$(wait_count "$TMP/b.out" "unsupported protocol" $K)" $K "s_server: unsupported protocol"

scrape
H=osiscope_tls_handshakes_total
assert_eq "$(mval $H role=client result=failed "reason=certificate verify failed" comm=curl cgroup=$CLI)" $M \
	"client: certificate verify failed"
assert_eq "$(mval $H role=client result=failed "reason=tlsv1 alert protocol version" comm=curl cgroup=$CLI)" $K \
	"client: tlsv1 alert protocol version"
assert_eq "$(mval $H role=client result=failed cgroup=$CLI)" $((M + K)) "client: all failures"
assert_eq "$(mval $H result=ok cgroup=$CLI)" 0 "client: ok"
assert_eq "$(mval $H role=server result=failed "reason=tlsv1 alert unknown ca" comm=openssl cgroup=$SRV_A)" $M \
	"server: tlsv1 alert unknown ca"
assert_eq "$(mval $H role=server result=failed "reason=unsupported protocol" comm=openssl cgroup=$SRV_B)" $K \
	"server: unsupported protocol"
assert_eq "$(mval $H result=failed cgroup=$SRV_A)" $M "server A: all failures"
assert_eq "$(mval $H result=failed cgroup=$SRV_B)" $K "server B: all failures"
assert_eq "$(mval $H result=ok cgroup=$SRV_A)$(mval $H result=ok cgroup=$SRV_B)" 00 "servers: ok"
assert_eq "$(mval osiscope_tls_handshake_duration_seconds_count cgroup=$CLI)" 0 "client: latency observations"

# diagnose: one more untrusted handshake while it watches
"$OSI_BIN" diagnose --agent off --duration 6 --no-collector.tcp >"$TMP/diag" 2>"$TMP/diag.err" &
DIAG=$!
for i in $(seq $((100 * SCALE))); do
	grep -q "watching" "$TMP/diag.err" && break
	sleep 0.1
done
run_in cli "$CLI" curl -sS -o /dev/null --cacert "$TMP/other.pem" https://192.0.2.2:4433/ 2>/dev/null
wait $DIAG
assert_eq "$?" 0 "diagnose exit status"
assert_eq "$(grep -c "^L6 tls_cert_verify: TLS handshakes of curl fail: certificate verify failed" "$TMP/diag")" 1 \
	"diagnose: the untrusted handshake, with its reason"
assert_eq "$(grep -A1 "^L6 tls_cert_verify" "$TMP/diag" | grep -cE "where: netns $(ns_inode cli)(,|$)")" 1 \
	"diagnose: the client's namespace"
finish
