#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# osiscope trace -l tls: M handshakes of a client (SSL_set_fd, SSL_connect) against a
# certificate it does not trust -> M handshake_failed events with its pid, comm,
# cgroup, namespace, local and peer address and OpenSSL's reason, and M on the server
# side (s_server: SSL_set_bio, so no socket: the process's namespace); a connection
# closed before its ClientHello -> one server-side "unexpected eof while reading"; a
# handshake the peer never answers, given up by the client -> one handshake_incomplete.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/tls.sh"
require_root
M=3

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
cli=$(ns_inode cli)
srv=$(ns_inode srv)
CLI=$(cg cli)
SRV=$(cg srv)
tls_cert srv IP:192.0.2.2
srv_start srv "$SRV" 4433 "$TMP/srv.out" -cert "$TMP/srv.pem" -key "$TMP/srv.key"
nsx srv "$TCPLOAD" serve 192.0.2.2 4435 60 >/dev/null &
wait_listen srv 4435

trace_start "$TMP/json" -l tls -o json

run_in cli "$CLI" "$TLSLOAD" client 192.0.2.2 4433 $M >"$TMP/untrusted.out"
assert_eq "$(grep '^reason=' "$TMP/untrusted.out")" "reason=certificate verify failed count=$M" \
	"failures the client reports"
pid=$(sed -n 's/^pid=//p' "$TMP/untrusted.out")
nsx cli bash -c 'exec 3<>/dev/tcp/192.0.2.2/4433; exec 3>&-'
assert_eq "$(wait_count "$TMP/srv.out" "unexpected eof while reading" 1)" 1 "s_server: eof"
run_in cli "$CLI" "$TLSLOAD" client 192.0.2.2 4435 1 --timeout 300 >"$TMP/silent.out"
assert_eq "$(grep '^reason=' "$TMP/silent.out")" "reason=none count=1" "the client gave up"
assert_eq "$(wait_count "$TMP/srv.out" "tlsv1 alert unknown ca" $M)" $M "s_server: alert unknown ca"
trace_stop # it reads what is still in the ring buffer when it stops
assert_eq "$TRACE_RC" 0 "trace exit status"

ev() { grep '"layer":"tls"' "$TMP/json" | grep "\"cgroup_id\":" | grep -- "$@"; }
client=$(ev '"type":"handshake_failed"' | grep "\"pid\":$pid,")
assert_eq "$(echo "$client" | grep -c .)" $M "client handshake_failed events"
assert_eq "$(echo "$client" | grep '"comm":"tlsload"' | grep "\"netns\":$cli," |
	grep '"dst":"192.0.2.2:4433"' | grep -c '"src":"192.0.2.1:[1-9]')" $M \
	"with comm, namespace and both addresses of the socket"
assert_eq "$(echo "$client" | grep -c "role=client reason=\\\\\"certificate verify failed\\\\\" cgroup=$CLI\"")" $M \
	"with role, reason and cgroup"
server=$(ev '"type":"handshake_failed"' | grep '"comm":"openssl"' | grep "cgroup=$SRV\"")
assert_eq "$(echo "$server" | grep "\"netns\":$srv," | grep -c 'reason=\\"tlsv1 alert unknown ca\\"')" $M \
	"server handshake_failed events"
assert_eq "$(echo "$server" | grep -c 'reason=\\"unexpected eof while reading\\"')" 1 \
	"server event for the connection closed before its ClientHello"
assert_eq "$(echo "$server" | grep -c '"dst"')" 0 "server events without a socket (SSL_set_bio)"
assert_eq "$(ev '"type":"handshake_incomplete"' | grep '"dst":"192.0.2.2:4435"' |
	grep -c "role=client reason=\\\\\"incomplete\\\\\" cgroup=$CLI\"")" 1 "handshake_incomplete event"
finish
