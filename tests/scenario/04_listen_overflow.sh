#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A listener with a backlog of 1 that never accepts, and N clients connecting at once:
# its accept queue overflows, so the server's namespace drops SYNs and handshake ACKs.
# The agent's listen overflows, listen drops and passive opens for that namespace must
# equal the kernel's TcpExtListenOverflows, TcpExtListenDrops and TcpPassiveOpens deltas.
. "$(dirname "$0")/../lib.sh"
require_root
N=20
DPORT=8080
LISTEN_SECS=3 # then the listener closes and what is left of the handshakes ends in resets

# quiet NS: no TCP socket left that could still send (TIME-WAIT never does)
quiet() { [ -z "$(nsx "$1" ss -Htan | awk '$1 != "TIME-WAIT"')" ]; }

agent_start
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
cli=$(ns_inode cli)
srv=$(ns_inode srv)
# a client whose SYN was dropped gives up after one retry (about 2 s), not after 6;
# the server retries its SYN-ACKs once, not 5 times over a minute
nsx cli sysctl -qw net.ipv4.tcp_syn_retries=1 || fail "sysctl tcp_syn_retries"
nsx srv sysctl -qw net.ipv4.tcp_synack_retries=1 || fail "sysctl tcp_synack_retries"
ovf0=$(mib srv TcpExtListenOverflows)
drp0=$(mib srv TcpExtListenDrops)
pas0=$(mib srv TcpPassiveOpens)

nsx srv "$TCPLOAD" listen 192.0.2.2 $DPORT 1 $LISTEN_SECS >"$TMP/listen.out" &
listen_pid=$!
for i in $(seq $((50 * SCALE))); do grep -q listening "$TMP/listen.out" 2>/dev/null && break; sleep 0.1; done
out=$(nsx cli timeout 30 "$TCPLOAD" parallel 192.0.2.2 $DPORT $N)
log "client: $out"
assert_eq $(($(field ok "$out") + $(field timeout "$out"))) $N "connects that ended ok or timed out"
wait "$listen_pid"

# the listener is gone: the client's FIN retransmits to connections the server never
# created now meet resets. Wait for both namespaces to settle (bounded).
deadline=$((SECONDS + 30))
until quiet cli && quiet srv; do
	[ $SECONDS -lt $deadline ] || {
		fail "sockets still busy after 30 s: $(nsx cli ss -Htan) $(nsx srv ss -Htan)"
		break
	}
	sleep 0.1
done

scrape
ovf=$(($(mib srv TcpExtListenOverflows) - ovf0))
drp=$(($(mib srv TcpExtListenDrops) - drp0))
pas=$(($(mib srv TcpPassiveOpens) - pas0))
assert_gt "$ovf" 0 "kernel TcpExtListenOverflows delta (server netns)"
assert_gt "$drp" 0 "kernel TcpExtListenDrops delta (server netns)"
assert_eq "$(metric osiscope_tcp_listen_overflows_total netns=$srv)" "$ovf" \
	"listen overflows vs TcpExtListenOverflows delta (server netns)"
assert_eq "$(metric osiscope_tcp_listen_drops_total netns=$srv)" "$drp" \
	"listen drops vs TcpExtListenDrops delta (server netns)"
assert_eq "$(metric osiscope_tcp_passive_opens_total netns=$srv)" "$pas" \
	"passive opens vs TcpPassiveOpens delta (server netns)"
assert_eq "$(metric osiscope_tcp_listen_overflows_total netns=$cli)" 0 "listen overflows (client netns)"
finish
