#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Processes started after the agent are covered: curl with the system's libssl; an
# openssl s_server in its own mount namespace running a copy of libssl and libcrypto
# on a tmpfs only that namespace sees (found through /proc/PID/map_files, probed once,
# released when the server exits); and a client with yet another copy that loads it,
# waits until the agent has probed it, then handshakes. Each is counted exactly.
# The race this avoids: a short-lived process whose libssl file is new to the agent
# (not in a library directory of a namespace it already watches) handshakes before
# the next scan, up to 2 s after it started, and those handshakes are not seen.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/tls.sh"
require_root
command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
SYS_SSL=$(ldd "$(command -v openssl)" | awk '$1 ~ /^libssl\.so/ { print $3 }')
SYS_CRYPTO=$(ldd "$(command -v openssl)" | awk '$1 ~ /^libcrypto\.so/ { print $3 }')
[ -f "$SYS_SSL" ] && [ -f "$SYS_CRYPTO" ] || skip "openssl is not linked with a shared libssl"
N_A=2
N_B=3
N_C=2

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
CLI=$(cg cli)
SRV=$(cg srv)
SRV_B=$(cg copy-server)
CLI_C=$(cg copy-client)
tls_cert srv IP:192.0.2.2
mkdir -p "$TMP/lib" "$TMP/lib2"
agent_start --no-collector.tcp

# A: an ordinary client started after the agent
srv_start srv "$SRV" 4433 "$TMP/a.out" -cert "$TMP/srv.pem" -key "$TMP/srv.key"
for i in $(seq $N_A); do
	run_in cli "$CLI" curl -sS -o /dev/null --cacert "$TMP/srv.pem" https://192.0.2.2:4433/ 2>/dev/null
done
assert_eq "$(wait_count "$TMP/a.out" "CONNECTION ESTABLISHED" $N_A)" $N_A "A: handshakes s_server reports"

# B: a server in its own mount namespace, with its own copy of OpenSSL
run_in srv "$SRV_B" unshare -m --propagation private sh -c \
	'mount -t tmpfs osiscope-test "$0" && cp "$1" "$2" "$0"/ && shift 2 && LD_LIBRARY_PATH="$0" exec "$@"' \
	"$TMP/lib" "$SYS_SSL" "$SYS_CRYPTO" \
	openssl s_server -accept 4434 -rev -cert "$TMP/srv.pem" -key "$TMP/srv.key" \
	>"$TMP/b.out" 2>&1 </dev/null &
wait_listen srv 4434
B_PID=$(listen_pid srv 4434)
B_SSL="$TMP/lib/$(basename "$SYS_SSL")"
B_INO=$(stat -c %i "/proc/$B_PID/root$B_SSL")
assert_gt "$(grep -c "$B_SSL" "/proc/$B_PID/maps")" 0 "B: the server maps the copy"
assert_eq "$([ -e "$B_SSL" ] && echo visible || echo hidden)" hidden "B: the copy outside its namespace"
assert_gt "$(wait_metric osiscope_tls_probed_libraries kind=libssl "path=$B_SSL" inode=$B_INO)" 3 \
	"B: uprobes in the server's copy of libssl"
# libcrypto may come one scan later: the scan that found libssl can fall between the
# loader mapping one and the other (the agent looks at the process again at its next scan)
assert_eq "$(wait_metric osiscope_tls_probed_libraries kind=libcrypto "path=$TMP/lib/$(basename "$SYS_CRYPTO")")" 1 \
	"B: uprobes in its copy of libcrypto"
for i in $(seq $N_B); do
	run_in cli "$CLI" curl -sS -o /dev/null --cacert "$TMP/srv.pem" https://192.0.2.2:4434/ 2>/dev/null
done
assert_eq "$(wait_count "$TMP/b.out" "CONNECTION ESTABLISHED" $N_B)" $N_B "B: handshakes s_server reports"

# C: a client with a copy of its own, new to the agent when it starts
run_in cli "$CLI_C" unshare -m --propagation private sh -c \
	'mount -t tmpfs osiscope-test "$0" && cp "$1" "$2" "$0"/ && shift 2 && LD_LIBRARY_PATH="$0" exec "$@"' \
	"$TMP/lib2" "$SYS_SSL" "$SYS_CRYPTO" \
	"$TLSLOAD" wait "$TMP/go" 192.0.2.2 4433 $N_C --ca "$TMP/srv.pem" --lib "$TMP/lib2/$(basename "$SYS_SSL")" \
	>"$TMP/c.out" 2>&1 &
C_PID=$!
assert_gt "$(wait_metric osiscope_tls_probed_libraries kind=libssl "path=$TMP/lib2/$(basename "$SYS_SSL")")" 3 \
	"C: uprobes in the client's copy of libssl"
touch "$TMP/go"
wait $C_PID
assert_eq "$(grep "^ok=" "$TMP/c.out")" "ok=$N_C failed=0" "C: handshakes the client reports"

scrape
H=osiscope_tls_handshakes_total
assert_eq "$(mval $H role=client result=ok comm=curl cgroup=$CLI)" $((N_A + N_B)) "A+B: client side"
assert_eq "$(mval $H role=server result=ok comm=openssl cgroup=$SRV)" $((N_A + N_C)) \
	"A+C: server side (system libssl)"
assert_eq "$(mval $H role=server result=ok comm=openssl cgroup=$SRV_B)" $N_B "B: server side (its copy)"
assert_eq "$(mval $H role=client result=ok comm=tlsload cgroup=$CLI_C)" $N_C "C: client side (its copy)"
assert_eq "$(mval $H result=failed cgroup=$SRV_B)$(mval $H result=failed cgroup=$CLI_C)" 00 "B, C: failures"

# a library no process maps any more, in no watched library directory, is released
kill "$B_PID"
for i in $(seq $((75 * SCALE))); do
	scrape
	grep -q "inode=\"$B_INO\"" "$TMP/metrics" || break
	sleep 0.2
done
assert_eq "$(mval osiscope_tls_probed_libraries "path=$B_SSL")" 0 "B: copy released after the server exited"
assert_eq "$(mval osiscope_tls_probed_libraries "path=$TMP/lib2/$(basename "$SYS_SSL")")" 0 \
	"C: copy released after the client exited"
assert_gt "$(mval osiscope_tls_probed_libraries kind=libssl inode=$(stat -L -c %i "$SYS_SSL"))" 3 \
	"the system's libssl stays probed"
finish
