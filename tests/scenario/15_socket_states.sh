#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The socket-state gauge against ss, state by state, in both namespaces, as sockets
# change state and as they stay put: a namespace whose sockets changed no state since
# its last sock_diag dump keeps that dump's counts (a dump walks every socket of the
# host), so the scrapes with nothing changed must agree with ss as well as the others.
# Then again beside more than 16384 sockets on the host, where nothing is dumped any more
# (full sockets counted in the kernel from state changes, timewait ones from sockstat,
# all as time_wait).
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
# FIN_WAIT2 lasts tcp_fin_timeout: longer than the scenario under emulation too
nsx cli sysctl -qw net.ipv4.tcp_fin_timeout=$((60 * SCALE))
# a listener that never accepts: the connections wait in its queue, and their peers'
# FINs leave them in CLOSE_WAIT there and in FIN_WAIT2 on the client (tcp_fin_timeout)
nsx srv "$TCPLOAD" listen 192.0.2.2 8080 16 $((30 * SCALE)) >"$TMP/listen.out" &
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

# --- beside 16400 sockets in another namespace: no dump at all
ns_create big
nsx big sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
nsx big "$TCPLOAD" hold 127.0.0.1 9000 8200 $((60 * SCALE)) >"$TMP/hold.out" &
for i in $(seq $((200 * SCALE))); do grep -q holding "$TMP/hold.out" 2>/dev/null && break; sleep 0.1; done
assert_eq "$(cat "$TMP/hold.out")" "holding 8200" "connections held in namespace big"
scrape # counts the host's sockets: the next scrapes dump nothing
nsx srv "$TCPLOAD" listen 192.0.2.2 8081 16 $((30 * SCALE)) >"$TMP/listen2.out" &
for i in $(seq $((50 * SCALE))); do grep -q listening "$TMP/listen2.out" 2>/dev/null && break; sleep 0.1; done
nsx cli "$TCPLOAD" parallel 192.0.2.2 8081 $K >/dev/null
for i in $(seq $((50 * SCALE))); do
	[ "$(nsx srv ss -Htan state close-wait | wc -l)" -eq $((2 * K)) ] && break
	sleep 0.1
done
scrape
# full sockets as ss counts them; timewait ones (ss marks them timer:(timewait,...))
# all as time_wait, whatever their substate
big_agree() {
	local ns=$1 inode st ours theirs tw
	inode=$(ns_inode "$ns")
	tw=$(nsx "$ns" ss -Htano | grep -c 'timer:(timewait')
	for st in $STATES; do
		ours=${st%%:*}
		theirs=$(nsx "$ns" ss -Htano state "${st##*:}" | grep -vc 'timer:(timewait')
		[ "$ours" = time_wait ] && theirs=$tw
		assert_eq "$(metric osiscope_tcp_sockets netns=$inode state=$ours)" "$theirs" "$2: $ns $ours vs ss"
	done
}
big_agree srv "beside 16400 sockets"
big_agree cli "beside 16400 sockets"
assert_eq "$(metric osiscope_tcp_sockets netns="$(ns_inode big)" state=established)" 16400 \
	"established sockets in namespace big"
finish
