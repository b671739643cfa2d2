#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The kernel's BPF run-time statistics behind osiscope_bpf_program_run*: with
# --bpf.stats=on the agent keeps them on, and N resets received in a namespace of the
# test add at least N runs (the program runs for every reset on the host) and some run
# time to the program on tcp:tcp_receive_reset; osiscope_bpf_stats_enabled is 1 and its
# seconds grow. With --bpf.stats=off the agent never turns them on: enabled 0, 0 seconds.
. "$(dirname "$0")/../lib.sh"
require_root
N=9

# runs_of NAME: the value of NAME for the tcp program on the received-reset hook
runs_of() {
	awk -v n="$1" 'index($1, n "{") == 1 && /layer="tcp"/ && /program="[a-z_]*receive_reset[a-z_]*"/ {
		v = $NF; f = 1 } END { if (f) printf "%.9f\n", v; else print "none" }' "$TMP/metrics"
}

agent_start --bpf.stats=on
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
cli=$(ns_inode cli)
# ready comes once the collectors are up; the statistics are turned on just after
for i in $(seq $((50 * SCALE))); do
	scrape
	[ "$(metric osiscope_bpf_stats_enabled)" = 1 ] && break
	sleep 0.1
done
runs0=$(runs_of osiscope_bpf_program_runs_total)
secs0=$(runs_of osiscope_bpf_program_run_seconds_total)
en0=$(metric_values osiscope_bpf_stats_enabled_seconds_total)
[ "$runs0" != none ] || fail "no osiscope_bpf_program_runs_total for the received-reset program"
assert_eq "$(metric osiscope_bpf_stats_enabled)" 1 "statistics on (--bpf.stats=on)"

out=$(nsx cli "$TCPLOAD" connect 192.0.2.2 9 $N)
assert_eq "$(field refused "$out")" $N "refused connects seen by the client itself"
scrape
assert_eq "$(metric osiscope_tcp_resets_received_total netns=$cli)" $N "resets received (client netns)"
runs=$(runs_of osiscope_bpf_program_runs_total)
assert_gt "$(awk -v a="$runs" -v b="$runs0" 'BEGIN { printf "%d\n", a - b }')" $((N - 1)) \
	"runs of the received-reset program over the N resets"
assert_eq "$(awk -v a="$(runs_of osiscope_bpf_program_run_seconds_total)" -v b="$secs0" \
	'BEGIN { print (a > b) ? 1 : 0 }')" 1 "run time of the received-reset program grew"
assert_eq "$(awk -v a="$(metric_values osiscope_bpf_stats_enabled_seconds_total)" -v b="$en0" \
	'BEGIN { print (a > b) ? 1 : 0 }')" 1 "osiscope_bpf_stats_enabled_seconds_total grew"
agent_stop

agent_start --bpf.stats=off
nsx cli "$TCPLOAD" connect 192.0.2.2 9 $N >/dev/null
scrape
assert_eq "$(metric osiscope_bpf_stats_enabled)" 0 "statistics off (--bpf.stats=off)"
assert_eq "$(metric osiscope_bpf_stats_enabled_seconds_total)" 0 "seconds with statistics on (--bpf.stats=off)"
assert_eq "$(metric osiscope_tcp_resets_received_total netns=$cli)" $N "resets received (client netns, second agent)"
finish
