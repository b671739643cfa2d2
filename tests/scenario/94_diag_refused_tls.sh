#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Faults at L4 and L6, each in namespaces of their own, while diagnose watches:
#  - a closed port: N connects refused -> L4 connect_refused for 192.0.2.2:81, counting
#    the N connects, checked with ss -ltn;
#  - a certificate the client does not trust: M handshakes fail -> L6 tls_cert_verify in
#    the client's namespace with OpenSSL's reason, the server's view of the same
#    handshakes ("tlsv1 alert unknown ca") as evidence rather than a second problem.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/tls.sh"
. "$OSI_ROOT/tests/helpers/diag.sh"
require_root
N=3
M=2

ns_create cli srv tcli tsrv
ns_link cli srv 192.0.2.1 192.0.2.2
ns_link tcli tsrv 198.51.100.1 198.51.100.2
cli=$(ns_inode cli)
srv=$(ns_inode srv)
tcli=$(ns_inode tcli)
tsrv=$(ns_inode tsrv)
CLI=$(cg tcli)
SRV=$(cg tsrv)
tls_cert tsrv IP:198.51.100.2
srv_start tsrv "$SRV" 4433 "$TMP/tls.out" -cert "$TMP/tsrv.pem" -key "$TMP/tsrv.key"

diag_start 8
r=$(nsx cli "$TCPLOAD" connect 192.0.2.2 81 $N)
# no --ca: the system's bundle, which does not have our self-signed certificate
t=$(run_in tcli "$CLI" "$TLSLOAD" client 198.51.100.2 4433 $M)
diag_wait

assert_eq "$(field refused "$r")" $N "connects refused (client's view)"
assert_eq "$(nsx srv ss -Hltn 'sport = :81' | wc -l)" 0 "ss -ltn: nothing listens on 81"
assert_eq "$(echo "$t" | grep -c "^reason=certificate verify failed count=$M")" 1 \
	"handshakes failed on certificate verification (client's view)"

assert_eq "$(first_problem $cli $srv)" "l4 connect_refused 192.0.2.2:81" "closed port: first problem"
assert_eq "$(first_field count $cli $srv)" $N "closed port: the connects"
assert_eq "$(first_field netns $cli $srv)" "$cli" "closed port: in the client's namespace"
assert_eq "$(first_field check $cli $srv | grep -c "ss -ltn 'sport = :81'")" 1 "closed port: the check"
assert_nproblems 1 "closed port: one problem" $cli $srv

assert_eq "$(first_problem $tcli $tsrv)" "l6 tls_cert_verify 198.51.100.2:4433" "TLS: first problem"
assert_eq "$(first_field netns $tcli $tsrv)" "$tcli" "TLS: in the client's namespace"
assert_eq "$(first_field count $tcli $tsrv)" $M "TLS: the handshakes"
assert_eq "$(first_field summary $tcli $tsrv | grep -c "certificate verify failed")" 1 "TLS: OpenSSL's reason"
assert_eq "$(first_field evidence $tcli $tsrv | grep -c "tlsv1 alert unknown ca")" 1 \
	"TLS: the server's view is evidence"
assert_eq "$(first_field check $tcli $tsrv | grep -c "openssl s_client -connect 198.51.100.2:4433")" 1 \
	"TLS: the check"
assert_nproblems 1 "TLS: one problem" $tcli $tsrv
finish
