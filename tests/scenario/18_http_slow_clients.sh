#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Issue 12, finding 6: 300 clients that send their request headers a byte a second,
# from one address (127.0.0.2), while Prometheus scrapes from another (127.0.0.1). The
# server holds at most 16 connections of one address (PROM_CONN_PER_IP) and closes the
# rest at once; every scrape answers, each within 1 s (a functional bound, not a
# measurement: a scrape here takes some 50 ms; before, none was served within 10 s).
. "$(dirname "$0")/../lib.sh"
require_root
SLOW=$HELPERS/slowhttp
[ -x "$SLOW" ] || { fail "$SLOW not built"; finish; }

agent_start
# they keep sending for longer than the scrapes below take, under emulation too
"$SLOW" 127.0.0.2 127.0.0.1 "$PORT" 300 $((14 * SCALE)) >"$TMP/slow" 2>&1 &
for i in $(seq $((200 * SCALE))); do grep -q '^connected=' "$TMP/slow" && break; sleep 0.1; done
log "slow clients: $(grep '^connected=' "$TMP/slow")"
assert_eq "$(grep -c '^connected=' "$TMP/slow")" 1 "the slow clients made their connections"
ok=0
for i in $(seq 10); do
	# the bound grows with the wait scale under emulation (qemu TCG: a scrape there
	# takes some 0.5 s of its own)
	code=$(curl -s -o "$TMP/metrics" -m "$SCALE" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
	[ "$code" = 200 ] && grep -q '^osiscope_build_info' "$TMP/metrics" && ok=$((ok + 1))
	sleep 0.5
done
assert_eq "$ok" 10 "scrapes answered within $SCALE s while 300 slow clients wait"
# the kernel's view: established connections the server holds from 127.0.0.2
held=$(ss -Htn state established "( sport = :$PORT and dst 127.0.0.2 )" | wc -l)
assert_eq "$held" 16 "slow connections the server holds (its per-address limit)"
for i in $(seq $((50 * SCALE))); do [ "$(grep -c '^open=' "$TMP/slow")" -ge 2 ] && break; sleep 0.1; done
assert_eq "$(grep '^open=' "$TMP/slow" | tail -1)" "open=16" "slow connections not closed, as the client sees them"
finish
