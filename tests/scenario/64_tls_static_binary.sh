#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A program with OpenSSL linked in statically (tlsload built against libssl.a and
# libcrypto.a: its symbols are in its .symtab, it maps no libssl) started after the
# agent: its executable is examined and probed (kind static), its N handshakes are
# counted, an untrusted one fails with OpenSSL's reason, and the probes are released
# when it exits. It waits until probed before handshaking (the race it avoids is the
# one of 62).
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/tls.sh"
require_root
command -v cc >/dev/null || skip "no C compiler"
LIBDIR=$(dirname "$(ldd "$(command -v openssl)" | awk '$1 ~ /^libssl\.so/ { print $3 }')")
[ -f "$LIBDIR/libssl.a" ] || [ -f /usr/lib/x86_64-linux-gnu/libssl.a ] || [ -f /usr/lib/aarch64-linux-gnu/libssl.a ] ||
	skip "no static OpenSSL (libssl-dev)"
N=4

cc -O2 -DTLSLOAD_LINKED "$OSI_ROOT/tests/helpers/tlsload.c" -o "$TMP/tlsstatic" \
	-Wl,-Bstatic -lssl -lcrypto -Wl,-Bdynamic -lpthread 2>"$TMP/cc.err" || {
	cat "$TMP/cc.err" >&2
	fail "building the static client"
	exit 1
}
assert_eq "$(ldd "$TMP/tlsstatic" | grep -c -e libssl -e libcrypto)" 0 "the client maps no OpenSSL library"
assert_eq "$(nm "$TMP/tlsstatic" | grep -cw -e 'T SSL_do_handshake' -e 'T ERR_vset_error')" 2 \
	"OpenSSL's functions are in its symbol table"
STATIC_INO=$(stat -c %i "$TMP/tlsstatic")

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
CLI=$(cg cli)
SRV=$(cg srv)
tls_cert srv IP:192.0.2.2
agent_start --no-collector.tcp
srv_start srv "$SRV" 4433 "$TMP/srv.out" -cert "$TMP/srv.pem" -key "$TMP/srv.key"

run_in cli "$CLI" "$TMP/tlsstatic" wait "$TMP/go" 192.0.2.2 4433 $N --ca "$TMP/srv.pem" >"$TMP/ok.out" 2>&1 &
C=$!
assert_gt "$(wait_metric osiscope_tls_probed_libraries kind=static "path=$TMP/tlsstatic" inode=$STATIC_INO)" 4 \
	"uprobes in the program (libssl's and libcrypto's in one file)"
touch "$TMP/go"
wait $C
assert_eq "$(grep '^ok=' "$TMP/ok.out")" "ok=$N failed=0" "handshakes the client reports"
# a second run, in a new namespace again (ip netns exec): the file stays probed only
# while its first namespace lives, so this one too waits until it is probed
rm -f "$TMP/go"
run_in cli "$CLI" "$TMP/tlsstatic" wait "$TMP/go" 192.0.2.2 4433 1 >"$TMP/bad.out" 2>&1 &
C=$!
for i in $(seq $((75 * SCALE))); do
	scrape
	[ "$(mval osiscope_tls_probed_libraries inode=$STATIC_INO)" -gt 0 ] && break
	sleep 0.2
done
touch "$TMP/go"
wait $C
assert_eq "$(grep '^reason=' "$TMP/bad.out")" "reason=certificate verify failed count=1" \
	"the untrusted handshake the client reports"

scrape
H=osiscope_tls_handshakes_total
assert_eq "$(mval $H role=client result=ok comm=tlsstatic cgroup=$CLI)" $N "ok handshakes"
assert_eq "$(mval $H role=client result=failed "reason=certificate verify failed" comm=tlsstatic cgroup=$CLI)" 1 \
	"failed handshake and its reason (ERR_vset_error inside the program)"
tls_version TLSv1.3 # ver: unknown before 5.15
assert_eq "$(mval osiscope_tls_protocol_versions_total role=client version=$ver cgroup=$CLI)" $N \
	"negotiated version ($ver)"
assert_eq "$(mval $H role=server result=ok cgroup=$SRV)" $N "server side"

for i in $(seq $((75 * SCALE))); do
	scrape
	grep -q "inode=\"$STATIC_INO\"" "$TMP/metrics" || break
	sleep 0.2
done
assert_eq "$(mval osiscope_tls_probed_libraries inode=$STATIC_INO)" 0 "probes released after it exited"
finish
