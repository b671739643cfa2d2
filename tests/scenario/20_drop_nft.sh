#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# An nft drop rule hit N times -> N drops with reason NETFILTER_DROP, layer l3, on the
# receiver's eth0: equal to N and to the rule's own counter, and none in the sender's
# namespace. A second rule in the output hook, where the skb has no device yet, counts
# its M drops in the sender's namespace with device "".
# Before v5.17 the kernel gives no reason: the same drops count as NOT_SPECIFIED, and
# their layer, l3, comes from where they were freed (nf_hook_slow). IPv6 is off on the
# link there, so that no other l3 drop (MLD to groups nobody joined, freed by
# ip6_mc_input) adds to the receiver's count.
. "$(dirname "$0")/../lib.sh"
require_root
N=9 M=4
if tracepoint_has_field skb/kfree_skb reason; then
	REASON=NETFILTER_DROP
else
	REASON=NOT_SPECIFIED
fi
DROPLOAD=$HELPERS/dropload

# nft_packets NS FAMILY TABLE CHAIN: the packet counter of the chain's one counter rule
nft_packets() {
	nsx "$1" nft list chain "$2" "$3" "$4" | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

agent_start
ns_create cli srv
if [ $REASON = NOT_SPECIFIED ]; then
	for n in cli srv; do
		nsx $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	grep -q "every drop is counted as reason NOT_SPECIFIED, its layer taken from the kernel symbol of the drop location" "$TMP/agent.log" ||
		fail "the agent log does not say where the layer comes from without drop reasons"
fi
ns_link cli srv 192.0.2.1 192.0.2.2
cli=$(ns_inode cli)
srv=$(ns_inode srv)
nsx srv nft -f - <<'NFT' || skip "nft cannot create a filter table here"
table inet osi {
	chain input { type filter hook input priority 0; udp dport 5555 counter drop; }
}
NFT
nsx cli nft -f - <<'NFT'
table inet osi {
	chain output { type filter hook output priority 0; udp dport 5556 counter drop; }
}
NFT

out=$(nsx cli "$DROPLOAD" udp 192.0.2.2 5555 $N)
assert_eq "$(field sent "$out")" $N "datagrams sent to the dropped port"
# the first datagram waits for ARP: poll the rule until it has seen all of them
for i in $(seq 50); do [ "$(nft_packets srv inet osi input)" = $N ] && break; sleep 0.1; done
hits=$(nft_packets srv inet osi input)
assert_eq "$hits" $N "nft input rule counter"
out=$(nsx cli "$DROPLOAD" udp 192.0.2.2 5556 $M)
# the output hook drops in sendto(): sendmsg reports EPERM for each, nothing is sent
assert_eq "$(nft_packets cli inet osi output)" $M "nft output rule counter"

scrape
if [ $REASON = NETFILTER_DROP ]; then
	assert_eq "$(metric osiscope_skb_drops_total netns=$srv reason=$REASON)" "$hits" \
		"$REASON drops (receiver) vs the rule's counter"
fi
assert_eq "$(metric osiscope_skb_drops_total netns=$srv reason=$REASON layer=l3 device=eth0)" $N \
	"$REASON is l3 and on the receiving eth0"
assert_eq "$(grep -c "^osiscope_skb_drops_total{netns=\"$srv\",layer=\"l3\",reason=\"$REASON\"" "$TMP/metrics")" 1 \
	"one series for the receiver's netfilter drops"
assert_eq "$(metric osiscope_skb_drops_total netns=$cli reason=$REASON layer=l3 device=)" $M \
	"output-hook drops in the sender's namespace, no device yet"
assert_eq "$(metric osiscope_skb_drops_total netns=$cli reason=$REASON layer=l3 device=eth0)" 0 \
	"no netfilter drop on the sender's eth0"
finish
