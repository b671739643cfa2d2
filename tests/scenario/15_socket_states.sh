#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The socket-state gauge against ss, state by state, in both namespaces, as sockets
# change state and as they stay put: a namespace whose sockets changed no state since
# its last sock_diag dump keeps that dump's counts (a dump walks every socket of the
# host), so the scrapes with nothing changed must agree with ss as well as the others.
. "$(dirname "$0")/../lib.sh"
require_root
K=6

# our state names, then ss's
STATES="established:established syn_sent:syn-sent syn_recv:syn-recv fin_wait1:fin-wait-1
fin_wait2:fin-wait-2 time_wait:time-wait close_wait:close-wait last_ack:last-ack
listen:listening closing:closing"
# states_agree NS WHEN: every state's gauge equals ss's count in that namespace
states_agree() {
	local ns=$1 inode st ours theirs
	inode=$(ns_inode "$ns")
	for st in $STATES; do
		ours=${st%%:*}
		theirs=$(nsx "$ns" ss -Htan state "${st##*:}" | wc -l)
		assert_eq "$(metric osiscope_tcp_sockets netns=$inode state=$ours)" "$theirs" "$2: $ns $ours vs ss"
	done
}

agent_start
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
# a listener that never accepts: the connections wait in its queue, and their peers'
# FINs leave them in CLOSE_WAIT there and in FIN_WAIT2 on the client (for 60 s)
nsx srv "$TCPLOAD" listen 192.0.2.2 8080 16 30 >"$TMP/listen.out" &
for i in $(seq $((50 * SCALE))); do grep -q listening "$TMP/listen.out" 2>/dev/null && break; sleep 0.1; done
scrape
states_agree srv "listening"
states_agree cli "listening"
scrape
states_agree srv "nothing changed"

nsx cli "$TCPLOAD" parallel 192.0.2.2 8080 $K >/dev/null
# bounded wait for the kernel to finish the closes on both sides
for i in $(seq $((50 * SCALE))); do
	[ "$(nsx srv ss -Htan state close-wait | wc -l)" -eq $K ] && break
	sleep 0.1
done
assert_eq "$(nsx srv ss -Htan state close-wait | wc -l)" $K "connections in CLOSE_WAIT at the server (ss)"
scrape
states_agree srv "after $K connects and closes"
states_agree cli "after $K connects and closes"
scrape
states_agree srv "nothing changed since"
states_agree cli "nothing changed since"
finish
