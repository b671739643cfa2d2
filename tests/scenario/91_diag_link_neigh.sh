#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Two faults below IP, each in namespaces of its own, while diagnose watches:
#  - a neighbour that never answers ARP: N connects to 192.0.2.9 fail with EHOSTUNREACH
#    -> the first problem of the client's namespace is L2 neigh_failed for 192.0.2.9 on
#    eth0, with the N connects as its symptom (not an L4 problem of their own);
#  - the peer of a veth set down: the client's eth0 loses its carrier, and a connect over
#    it fails -> the first problem of that namespace is L1 carrier_lost on eth0, with the
#    ARP failure and the connect as what it explains. The peer that was set down on
#    purpose is no problem.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/diag.sh"
require_root
N=2

ns_create cli srv lcli lsrv
ns_link cli srv 192.0.2.1 192.0.2.2
ns_link lcli lsrv 198.51.100.1 198.51.100.2
cli=$(ns_inode cli)
srv=$(ns_inode srv)
lcli=$(ns_inode lcli)
lsrv=$(ns_inode lsrv)

diag_start 12
nsx cli "$TCPLOAD" parallel 192.0.2.9 80 $N >"$TMP/neigh.out" &
NEIGH=$!
nsx lsrv ip link set eth0 down
nsx lcli "$TCPLOAD" connect 198.51.100.2 80 1 >"$TMP/carrier.out"
wait $NEIGH
diag_wait

# what the kernel and the clients saw
assert_eq "$(field unreachable "$(cat "$TMP/neigh.out")")" $N "connects to the silent neighbour: EHOSTUNREACH"
assert_eq "$(nsx cli ip neigh show nud failed | grep -c '^192.0.2.9 ')" 1 "ip neigh: 192.0.2.9 FAILED"
assert_eq "$(field unreachable "$(cat "$TMP/carrier.out")")" 1 "connect over the carrierless link: EHOSTUNREACH"
assert_eq "$(nsx lcli ip link show eth0 | grep -c NO-CARRIER)" 1 "ip link: eth0 NO-CARRIER"

# what diagnose made of it
assert_eq "$(first_problem $cli)" "l2 neigh_failed 192.0.2.9" "client: first problem"
assert_eq "$(first_field device $cli)" eth0 "client: its device"
assert_eq "$(first_field symptoms $cli | grep -c "$N TCP connects to 192.0.2.9:80 failed: EHOSTUNREACH")" 1 \
	"client: the connects are its symptom"
assert_eq "$(first_field check $cli)" "ip netns exec $T-cli ip neigh show nud failed dev eth0" \
	"client: the check, run inside its namespace"
assert_eq "$(problems $cli | grep -c '"cause":"host_unreachable"')" 0 "client: no L3/L4 problem of its own"
assert_nproblems 0 "server: no problem" $srv

assert_eq "$(first_problem $lcli)" "l1 carrier_lost eth0" "link client: first problem"
assert_eq "$(first_field symptoms $lcli | grep -c "ARP resolution of 198.51.100.2 failed")" 1 \
	"link client: the ARP failure is its symptom"
assert_eq "$(first_field symptoms $lcli | grep -c "TCP connect to 198.51.100.2:80 failed")" 1 \
	"link client: the connect is its symptom"
assert_nproblems 1 "link client: one problem" $lcli
assert_nproblems 0 "the peer set down on purpose: no problem" $lsrv
finish
