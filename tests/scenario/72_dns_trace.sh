#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# osiscope trace -l dns -o json: each NXDOMAIN (dnsmasq), SERVFAIL and REFUSED (test
# servers) and each timeout gives exactly one event, with the query's name (escaped
# when hostile, cut when long), type, server, and the pid, comm and cgroup of the
# process that asked; other namespaces give none, and answers that went well none
# either, except in a namespace that had an NXDOMAIN in the last 10 s (dns_answer: how
# diagnose tells a search-path expansion from a name that never resolves).
. "$(dirname "$0")/../lib.sh"
require_root
DNSQ=$HELPERS/dnsq
command -v dnsmasq >/dev/null || { fail "dnsmasq missing: scripts/deps.sh installs dnsmasq-base"; finish; }

cgroot=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2" && $4 == "/") print $5; break } }' /proc/self/mountinfo | head -1)
CG=
trap 'cleanup; [ -n "$CG" ] && rmdir "$CG" 2>/dev/null' EXIT

ns_create cli srv other osrv
ns_link cli srv 192.0.2.1 192.0.2.2
for a in 3 4 5 6; do ip -n "$T-srv" addr add 192.0.2.$a/24 dev eth0; done
ns_link other osrv 198.51.100.1 198.51.100.2
cli=$(ns_inode cli)

dns_server srv "$TMP/dnsmasq.log" 192.0.2.2
nsx srv "$DNSQ" serve 192.0.2.3 53 drop &
nsx srv "$DNSQ" serve 192.0.2.4 53 servfail &
nsx srv "$DNSQ" serve 192.0.2.5 53 refused &
nsx srv "$DNSQ" serve 192.0.2.6 53 othername & # NXDOMAIN for xope.test when asked nope.test
nsx osrv "$DNSQ" serve 198.51.100.2 53 nxdomain &
for a in 192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5 192.0.2.6; do wait_udp srv $a:53; done
wait_udp osrv 198.51.100.2:53

trace_start "$TMP/json" -l dns -o json --netns "$cli" --dns.timeout=1
q() { nsx cli "$DNSQ" query "$@"; }
pid_nx=$(field pid "$(q 192.0.2.2 53 nope.test A 1)")
CG=$cgroot/osiscope-test-$$
mkdir "$CG" || fail "mkdir $CG"
pid_cg=$(field pid "$(bash -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" "$3" query 192.0.2.2 53 nope.test A 1' \
	_ "$CG" "$T-cli" "$DNSQ")")
q 192.0.2.2 53 'we\.ird\032na"me\\x\000.test' AAAA 1 >/dev/null
long=$(printf 'a%.0s' $(seq 63)).$(printf 'b%.0s' $(seq 63)).$(printf 'c%.0s' $(seq 63)).test
q 192.0.2.2 53 "$long" A 1 >/dev/null
q 192.0.2.2 53 known.test A 3 >/dev/null
pid_sf=$(field pid "$(q 192.0.2.4 53 fail.test MX 2)")
q 192.0.2.5 53 no.test TXT 1 >/dev/null
q 192.0.2.6 53 nope.test A 1 >/dev/null
pid_to=$(field pid "$(q 192.0.2.3 53 gone.test A 2 200)")
# the same failures from another namespace: filtered out by --netns
nsx other "$DNSQ" query 198.51.100.2 53 nope.test A 2 >/dev/null
# the timeouts come from the kernel's sweep (bpf_timer, every 0.25 s here), or before
# 5.15 from the agent's, every 2 s: the same events, found a little later
age='1'
grep -q "the agent sweeps timed-out queries itself" "$TMP/json.err" && age='[123]'
for i in $(seq $((50 * SCALE))); do
	[ "$(grep -c '"type":"dns_timeout"' "$TMP/json")" -ge 2 ] && break
	sleep 0.1
done
kill -INT "$TRACE_PID"
wait "$TRACE_PID"
assert_eq $? 0 "trace exit status after SIGINT"

ev() { grep "\"type\":\"dns_$1\"" "$TMP/json"; }
assert_eq "$(ev nxdomain | wc -l)" 5 "dns_nxdomain events"
# issue 12: the name is the one asked for, marked when the response named another
assert_eq "$(ev nxdomain | grep '"dst":"192.0.2.6:53"' | grep -c 'qtype=A id=[0-9]* latency=[0-9.]*s question=differs name=nope.test"')" 1 \
	"NXDOMAIN for a name never asked: the query's name, marked"
assert_eq "$(grep -c 'xope' "$TMP/json")" 0 "the response's other name is never shown"
assert_eq "$(ev nxdomain | grep '"dst":"192.0.2.2:53"' | grep -c 'question=')" 0 "no mark when the response repeats the question"
assert_eq "$(ev nxdomain | grep -c "\"netns\":$cli,.*\"dst\":\"192.0.2.2:53\"")" 4 "... from the client namespace, to dnsmasq"
assert_eq "$(ev nxdomain | grep "\"pid\":$pid_nx," | grep '"comm":"dnsq"' | grep -c 'qtype=A id=[0-9]* latency=0\.[0-9]*s name=nope.test"')" 1 \
	"nope.test: pid, comm, qtype, latency and name"
assert_eq "$(ev nxdomain | grep "\"pid\":$pid_cg," | grep -c "\"cgroup_id\":$(stat -c %i "$CG"),")" 1 \
	"the query from a child cgroup carries that cgroup's id"
assert_eq "$(ev nxdomain | grep -cF 'qtype=AAAA' | tr -d ' ')" 1 "the hostile name's event"
# JSON of the display form (exporters/escape.h): the name's own backslashes doubled
assert_eq "$(ev nxdomain | grep -oF 'name=we\\\\.ird\\\\032na\\\\\"me\\\\\\\\x\\\\000.test"' | wc -l)" 1 "hostile name escaped"
# 196 bytes: the event keeps 128, and the detail line has room for fewer
assert_eq "$(ev nxdomain | grep -c '"detail":"qtype=A id=[0-9]* latency=[0-9.]*s name=a\{63\}\.b*\.\.\."')" 1 "long name cut"
assert_eq "$(ev servfail | grep "\"pid\":$pid_sf," | grep '"dst":"192.0.2.4:53"' | grep -c 'qtype=MX .*name=fail.test"')" 2 "dns_servfail events"
assert_eq "$(ev refused | grep '"dst":"192.0.2.5:53"' | grep -c 'qtype=TXT .*name=no.test"')" 1 "dns_refused events"
assert_eq "$(ev timeout | grep "\"pid\":$pid_to," | grep '"comm":"dnsq"' | grep '"dst":"192.0.2.3:53"' |
	grep -c "qtype=A id=[0-9]* after=$age\\.[0-9]*s name=gone.test\"")" 2 "dns_timeout events: pid, server, age, name"
assert_eq "$(ev answer | grep '"dst":"192.0.2.2:53"' | grep -c 'qtype=A .*name=known.test"')" 3 \
	"dns_answer events for the answers right after the NXDOMAINs"
assert_eq "$(wc -l <"$TMP/json")" 13 "events in all"
assert_eq "$(grep -vc "\"netns\":$cli," "$TMP/json")" 0 "events from other namespaces"
assert_eq "$(grep -c 'events lost' "$TMP/json.err")" 0 "events lost"
finish
