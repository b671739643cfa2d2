#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# An nft drop rule hit N times -> N drops with reason NETFILTER_DROP, layer l3, on the
# receiver's eth0: equal to N and to the rule's own counter, and none in the sender's
# namespace. A second rule in the output hook, where the skb has no device yet, counts
# its M drops in the sender's namespace with device "".
. "$(dirname "$0")/../lib.sh"
require_root
require_drop_reasons
N=9 M=4
DROPLOAD=$HELPERS/dropload

# nft_packets NS FAMILY TABLE CHAIN: the packet counter of the chain's one counter rule
nft_packets() {
	nsx "$1" nft list chain "$2" "$3" "$4" | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

agent_start
ns_create cli srv
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
assert_eq "$(metric osiscope_skb_drops_total netns=$srv reason=NETFILTER_DROP)" "$hits" \
	"NETFILTER_DROP drops (receiver) vs the rule's counter"
assert_eq "$(metric osiscope_skb_drops_total netns=$srv reason=NETFILTER_DROP layer=l3 device=eth0)" $N \
	"NETFILTER_DROP is l3 and on the receiving eth0"
assert_eq "$(grep -c "^osiscope_skb_drops_total{netns=\"$srv\",layer=\"l3\",reason=\"NETFILTER_DROP\"" "$TMP/metrics")" 1 \
	"one series for the receiver's netfilter drops"
assert_eq "$(metric osiscope_skb_drops_total netns=$cli reason=NETFILTER_DROP layer=l3 device=)" $M \
	"output-hook drops in the sender's namespace, no device yet"
assert_eq "$(metric osiscope_skb_drops_total netns=$cli reason=NETFILTER_DROP device=eth0)" 0 \
	"no netfilter drop on the sender's eth0"
finish
