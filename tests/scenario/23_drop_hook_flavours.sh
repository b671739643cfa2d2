#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The fallback hook flavours count drops exactly like tp_btf: forced onto raw_tp and
# then onto the classic tracepoint, N nft drops and M datagrams to a closed port still
# give NETFILTER_DROP = the rule's counter and NO_SOCKET = the UdpNoPorts delta, in the
# receiver's namespace and on its eth0.
. "$(dirname "$0")/../lib.sh"
require_root
require_drop_reasons
N=7 M=4
DROPLOAD=$HELPERS/dropload

nft_packets() {
	nsx "$1" nft list chain inet osi input | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

for mode in tp_btf raw_tp tracepoint; do
	log "--- --bpf.attach=$mode"
	agent_start --bpf.attach=$mode
	assert_eq "$(grep -c "collector drop: $mode/kfree_skb attached" "$TMP/agent.log")" 1 "$mode flavour attached"
	ns_create "c$mode" "s$mode"
	ns_link "c$mode" "s$mode" 192.0.2.1 192.0.2.2
	srv=$(ns_inode "s$mode")
	nsx "s$mode" nft add table inet osi
	nsx "s$mode" nft add chain inet osi input '{ type filter hook input priority 0; }'
	nsx "s$mode" nft add rule inet osi input udp dport 5555 counter drop
	udp0=$(mib "s$mode" UdpNoPorts)

	nsx "c$mode" "$DROPLOAD" udp 192.0.2.2 5555 $N >/dev/null
	nsx "c$mode" "$DROPLOAD" udp 192.0.2.2 9999 $M >/dev/null
	for i in $(seq $((50 * SCALE))); do
		[ "$(nft_packets "s$mode")" = $N ] && [ $(($(mib "s$mode" UdpNoPorts) - udp0)) -ge $M ] && break
		sleep 0.1
	done
	scrape
	assert_eq "$(metric osiscope_skb_drops_total netns=$srv layer=l3 reason=NETFILTER_DROP device=eth0)" \
		"$(nft_packets "s$mode")" "$mode: NETFILTER_DROP vs the rule's counter"
	assert_eq "$(metric osiscope_skb_drops_total netns=$srv layer=l4 reason=NO_SOCKET device=eth0)" \
		$(($(mib "s$mode" UdpNoPorts) - udp0)) "$mode: NO_SOCKET vs the UdpNoPorts delta"
	assert_eq "$(metric osiscope_skb_drops_total netns=$srv reason=NO_SOCKET)" $M "$mode: NO_SOCKET vs datagrams sent"
	agent_stop
	assert_eq "$AGENT_RC" 0 "$mode: agent exit status"
done
finish
