#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# More queries in flight than the in-flight table holds (16384, for the whole host):
# those that find it full are counted as untracked (table_full), and every other one
# times out exactly once: timeouts + table_full = the queries sent. The table is
# shared with the host's other DNS, so only that sum is exact, not the split.
. "$(dirname "$0")/../lib.sh"
require_root
DNSQ=$HELPERS/dnsq
TABLE=16384 N=16500

# the burst must end before the first queries time out (and free their places): under
# emulation it takes longer
agent_start --dns.timeout=$((2 * SCALE))
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
cli=$(ns_inode cli)
nsx srv "$DNSQ" serve 192.0.2.2 53 drop &
for i in $(seq $((100 * SCALE))); do
	nsx srv ss -Hlun | awk '{ print $4 }' | grep -qxF 192.0.2.2:53 && break
	sleep 0.1
done

r=$(nsx cli "$DNSQ" burst 192.0.2.2 53 flood.test A $N)
assert_eq "$(field sent "$r")" $N "queries sent"
scrape
full=$(metric osiscope_dns_untracked_queries_total netns=$cli reason=table_full)
assert_eq "$(metric osiscope_dns_queries_total netns=$cli qtype=A)" $N "queries counted"
assert_gt "$full" $((N - TABLE - 1)) "untracked: table full"
# every tracked query is swept out once its time is up
for i in $(seq $((60 * SCALE))); do
	scrape
	[ $(($(metric osiscope_dns_timeouts_total netns=$cli) + full)) -ge $N ] && break
	sleep 0.1
done
assert_eq "$(($(metric osiscope_dns_timeouts_total netns=$cli) + full))" $N "timeouts + untracked (table full)"
assert_eq "$(metric osiscope_dns_untracked_queries_total netns=$cli reason=table_full)" "$full" "no more untracked since"
# with the table empty again, a query is followed as usual
r=$(nsx cli "$DNSQ" query 192.0.2.2 53 after.test A 1 100)
for i in $(seq $((60 * SCALE))); do
	scrape
	[ $(($(metric osiscope_dns_timeouts_total netns=$cli) + full)) -ge $((N + 1)) ] && break
	sleep 0.1
done
assert_eq "$(($(metric osiscope_dns_timeouts_total netns=$cli) + full))" $((N + 1)) "the next query tracked and timed out"
finish
