#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A lossy link: the server's namespace drops a random share of what reaches its input
# hook (data, ACKs, FINs and SYNs of one port), so the client retransmits for real while
# it sends a few MB. The agent's retransmitted segments and SYN retransmits per
# namespace must equal the kernel's TcpRetransSegs and TcpExtTCPSynRetrans deltas.
# The loss is at the receiver's ingress, not at the sender's egress: a transmit that
# fails locally makes the tcp_retransmit_skb tracepoint and the MIB disagree (see
# retrans_counted() in bpf/tcp.bpf.c), which is not what this test is about.
. "$(dirname "$0")/../lib.sh"
require_root
DPORT=5001
LOSS=3 # percent of the client's packets to this port dropped at the server's input
BYTES=$((4 * 1024 * 1024))

# drop_random NS PORT PERCENT: drop that share of TCP packets to PORT at NS's input hook.
# The rule lives in the test's namespace and goes away with it.
drop_random() {
	if command -v nft >/dev/null 2>&1; then
		nsx "$1" nft -f - <<-EOF && return 0
			table inet osiscope_test {
				chain input {
					type filter hook input priority 0; policy accept;
					tcp dport $2 numgen random mod 100 < $3 counter drop
				}
			}
		EOF
	fi
	if command -v iptables >/dev/null 2>&1; then
		nsx "$1" iptables -A INPUT -p tcp --dport "$2" -m statistic --mode random \
			--probability "$(printf '0.%02d' "$3")" -j DROP && return 0
	fi
	skip "cannot add a random drop rule: needs nft (nf_tables, nft_numgen) or iptables (xt_statistic)"
}
# quiet NS: no TCP socket left that could still send (LISTEN and TIME-WAIT never do)
quiet() { [ -z "$(nsx "$1" ss -Htan | awk '$1 != "LISTEN" && $1 != "TIME-WAIT"')" ]; }

agent_start
ns_create cli srv
ns_link cli srv 198.51.100.1 198.51.100.2
declare -A inode retr0 synr0
for ns in cli srv; do inode[$ns]=$(ns_inode $ns); done
# one MSS per packet (no TSO/GSO super-packets): every drop is one segment, so a few
# MB make thousands of packets and losing none of them is out of the question
ip -n "$T-cli" link set eth0 gso_max_segs 1 || fail "ip link set eth0 gso_max_segs 1"
drop_random srv $DPORT $LOSS
for ns in cli srv; do
	retr0[$ns]=$(mib $ns TcpRetransSegs)
	synr0[$ns]=$(mib $ns TcpExtTCPSynRetrans)
done

nsx srv "$TCPLOAD" serve 198.51.100.2 $DPORT 60 >"$TMP/serve.out" &
serve_pid=$!
for i in $(seq $((50 * SCALE))); do grep -q listening "$TMP/serve.out" 2>/dev/null && break; sleep 0.1; done
out=$(nsx cli timeout 60 "$TCPLOAD" send 198.51.100.2 $DPORT $BYTES)
assert_eq "$out" "sent=$BYTES" "what the client sent over the lossy link"
kill "$serve_pid" 2>/dev/null
wait "$serve_pid" 2>/dev/null

# the server may still retransmit its FIN if the client's last ACK was dropped: wait for
# the kernel to finish with both ends (bounded), so that nstat and the scrape agree
deadline=$((SECONDS + 30))
until quiet cli && quiet srv; do
	[ $SECONDS -lt $deadline ] || {
		fail "sockets still busy after 30 s: $(nsx cli ss -Htan) $(nsx srv ss -Htan)"
		break
	}
	sleep 0.1
done

scrape
for ns in cli srv; do
	retr=$(($(mib $ns TcpRetransSegs) - ${retr0[$ns]}))
	synr=$(($(mib $ns TcpExtTCPSynRetrans) - ${synr0[$ns]}))
	# the sender is the one that must have retransmitted; the server may have (its FIN)
	[ $ns = cli ] && assert_gt "$retr" 0 "kernel TcpRetransSegs delta ($ns netns)"
	# a retransmit timer (softirq) interrupting the same program on its CPU is
	# skipped by the kernel, and counted as a recursion miss
	assert_counted "$(metric osiscope_tcp_retransmitted_segments_total netns=${inode[$ns]})" "$retr" \
		"$(misses tcp_retransmit_btf)" "retransmitted segments vs TcpRetransSegs delta ($ns netns)"
	assert_eq "$(metric osiscope_tcp_syn_retransmits_total netns=${inode[$ns]})" "$synr" \
		"SYN retransmits vs TcpExtTCPSynRetrans delta ($ns netns)"
done
finish
