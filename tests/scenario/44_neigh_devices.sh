#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Devices come and go: a device created after the agent started has its series at zero
# from the next scrape; a renamed device's series move to the new name (what it counted
# since the last scrape goes there too); a deleted device's series go after the scrape
# that first misses it (its last counts are in that one); a new device taking a gone
# one's name continues its series (a counter labelled by name never goes backwards);
# loopback and NOARP devices have none.
. "$(dirname "$0")/../lib.sh"
require_root
command -v arping >/dev/null || skip "arping (package iputils-arping) not installed"

agent_start
ns_create a b
ns_link a b 192.0.2.1 192.0.2.2
ip -n "$T-a" link add noarp0 type veth peer name noarp1
ip -n "$T-a" link set noarp0 up arp off
a=$(ns_inode a)
b=$(ns_inode b)
series() { grep -c "^osiscope_arp_packets_total{netns=\"$1\",device=\"$2\"," "$TMP/metrics"; }
tx_requests() { metric osiscope_arp_packets_total netns=$a device="$1" direction=transmit op=request; }

scrape
assert_eq "$(series $a eth0)" 6 "new device: ARP series at zero (2 directions x 3 ops)"
assert_eq "$(tx_requests eth0)" 0 "new device: requests sent"
assert_eq "$(grep -c "^osiscope_ndp_packets_total{netns=\"$a\",device=\"eth0\"," "$TMP/metrics")" 10 \
	"new device: NDP series at zero (2 directions x 5 types)"
assert_eq "$(series $a lo)" 0 "no series for loopback"
assert_eq "$(series $a noarp0)" 0 "no series for a NOARP device"

nsx a arping -q -c 1 -w 2 -I eth0 192.0.2.2
scrape
assert_eq "$(tx_requests eth0)" 1 "requests sent"
ip -n "$T-a" link set eth0 down
ip -n "$T-a" link set eth0 name lan0
ip -n "$T-a" link set lan0 up
nsx a arping -q -c 1 -w 2 -I lan0 192.0.2.2
scrape
assert_eq "$(series $a eth0)" 0 "renamed: no series under the old name"
assert_eq "$(series $a lan0)" 6 "renamed: series under the new name"
assert_eq "$(tx_requests lan0)" 1 "renamed: requests sent since the rename"

ip -n "$T-a" link del lan0
scrape
assert_eq "$(series $a lan0)" 6 "deleted: still there in the scrape that first misses it"
scrape
assert_eq "$(series $a lan0)" 0 "deleted: gone after"
assert_eq "$(series $b eth0)" 0 "deleted: its peer in the other namespace gone too"

ns_link a b 192.0.2.1 192.0.2.2
ip -n "$T-a" link set eth0 down
ip -n "$T-a" link set eth0 name lan0
ip -n "$T-a" link set lan0 up
scrape
assert_eq "$(series $a lan0)" 6 "a new device under a gone one's name has its series"
before=$(tx_requests lan0)
nsx a arping -q -c 1 -w 2 -I lan0 192.0.2.2
scrape
assert_eq "$(($(tx_requests lan0) - before))" 1 "and counts on"
finish
