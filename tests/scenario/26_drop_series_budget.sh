#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Reasons x devices x namespaces cannot outgrow the series budget: with a budget of 80,
# drops on 48 devices keep their own device label only while the metric has fewer
# than 40 series; the rest fold into device="_other" of the same namespace and reason
# (counted in osiscope_series_overflow_total), and no drop is lost: the namespace's
# NETFILTER_DROP series still add up to the nft chain's counter.
. "$(dirname "$0")/../lib.sh"
require_root
require_drop_reasons
K=48 BUDGET=80
DROPLOAD=$HELPERS/dropload

agent_start --metrics.series-budget=$BUDGET
ns_create dev
ns=$(ns_inode dev)
# no IPv6: the veth pairs' multicast chatter would add drops of its own
nsx dev sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
devs=
for k in $(seq $K); do
	ip -n "$T-dev" link add "v$k" type veth peer name "p$k"
	ip -n "$T-dev" link set "v$k" up
	ip -n "$T-dev" link set "p$k" up
	ip -n "$T-dev" addr add "198.51.100.$k/32" dev "v$k"
	ip -n "$T-dev" route add "203.0.113.$k/32" dev "v$k"
	ip -n "$T-dev" neigh add "203.0.113.$k" lladdr 02:00:00:00:00:01 dev "v$k" nud permanent
	devs="$devs${devs:+, }v$k"
done
nsx dev nft add table netdev osi
nsx dev nft add chain netdev osi e "{ type filter hook egress devices = { $devs } priority 0; }" ||
	skip "nft netdev egress chain on several devices not available"
nsx dev nft add rule netdev osi e udp dport 7777 counter drop
for k in $(seq $K); do nsx dev "$DROPLOAD" udp "203.0.113.$k" 7777 2 >/dev/null; done
hits=$(nsx dev nft list chain netdev osi e | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
assert_eq "$hits" $((2 * K)) "nft chain counter"

scrape
series() { grep "^osiscope_skb_drops_total{netns=\"$ns\",layer=\"l3\",reason=\"NETFILTER_DROP\"" "$TMP/metrics"; }
assert_eq "$(series | awk '{ s += $NF } END { print s + 0 }')" "$hits" "all drops counted, folded or not"
own=$(series | grep -vc 'device="_other"')
assert_gt "$own" 0 "devices with their own series"
assert_gt "$((BUDGET / 2 + 1))" "$own" "devices with their own series, at most half the budget"
assert_eq "$(series | grep -c 'device="_other"')" 1 "one folded series for the namespace and reason"
assert_eq "$(metric osiscope_skb_drops_total netns=$ns reason=NETFILTER_DROP device=_other)" $((2 * (K - own))) \
	"folded drops: the devices without their own series"
assert_gt "$(metric osiscope_series_overflow_total metric=osiscope_skb_drops_total)" $((K - own - 1)) \
	"folds counted in osiscope_series_overflow_total"
log "series of the metric: $(grep -c '^osiscope_skb_drops_total{' "$TMP/metrics")"
finish
