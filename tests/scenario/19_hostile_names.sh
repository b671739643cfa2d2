#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Issue 12, findings 4 and 5: processes named with invalid UTF-8, escape sequences, a
# backslash and a newline (the kernel names a process after the file it exec'ed: here
# symlinks to curl) make TLS handshakes, good and failed. The exposition then has one
# series per distinct name, no duplicate, is valid UTF-8 and passes promtool; every
# `trace -o json` line parses and keeps the names apart; the column output carries no
# control character to the terminal.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/tls.sh"
require_root
command -v python3 >/dev/null || skip "python3 not installed"
CURL=$(command -v curl) || skip "curl not installed"
names=($'curl\xff' $'curl\xfe' $'curl\xef\xbf\xbd' $'a\\xff' $'a\xff' $'\x1b[31mred\x1b[0m'
	$'\x1b]0;pwn\x07' $'nl\nx')
N=${#names[@]}

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
CLI=$(cg cli)
SRV=$(cg srv)
tls_cert srv IP:192.0.2.2
tls_cert other IP:192.0.2.2 osiscope-other # the only CA the untrusted runs trust
mkdir "$TMP/bin"
for n in "${names[@]}"; do ln -s "$CURL" "$TMP/bin/$n"; done

agent_start --no-collector.tcp
srv_start srv "$SRV" 4433 "$TMP/srv.out" -cert "$TMP/srv.pem" -key "$TMP/srv.key"
trace_start "$TMP/json" -l tls -o json
JSON_PID=$TRACE_PID
trace_start "$TMP/cols" -l tls -o columns
for n in "${names[@]}"; do
	run_in cli "$CLI" "$TMP/bin/$n" -sS -o /dev/null --cacert "$TMP/srv.pem" https://192.0.2.2:4433/ 2>/dev/null
	run_in cli "$CLI" "$TMP/bin/$n" -sS -o /dev/null --cacert "$TMP/other.pem" https://192.0.2.2:4433/ \
		2>/dev/null # untrusted
done
assert_eq "$(wait_count "$TMP/srv.out" "CONNECTION ESTABLISHED" $N)" $N "handshakes s_server reports"
assert_eq "$(wait_count "$TMP/srv.out" "alert unknown ca" $N)" $N "failures s_server reports"
trace_stop
TRACE_PID=$JSON_PID
trace_stop

scrape
ok=$(grep '^osiscope_tls_handshakes_total{role="client",result="ok",' "$TMP/metrics" | grep "cgroup=\"$CLI\"")
assert_eq "$(echo "$ok" | grep -c .)" $N "one series per distinct process name"
assert_eq "$(echo "$ok" | grep -c ' 1$')" $N "each counts its one handshake"
assert_eq "$(grep -v '^#' "$TMP/metrics" | sed 's/ [^ ]*$//' | sort | uniq -d | wc -l)" 0 "duplicate series"
assert_eq "$(python3 -c 'import sys; open(sys.argv[1], encoding="utf-8").read(); print("utf-8")' "$TMP/metrics" 2>&1)" \
	utf-8 "the exposition is valid UTF-8"
assert_eq "$(echo "$ok" | grep -cF 'comm="curl\\xff"')" 1 "0xff as \\xff"
assert_eq "$(echo "$ok" | grep -cF 'comm="a\\\\xff"')" 1 "the text \\xff with its backslash doubled"
assert_eq "$(echo "$ok" | grep -cF $'comm="curl\xef\xbf\xbd"')" 1 "a real U+FFFD kept"
assert_eq "$(echo "$ok" | grep -cF 'comm="nl\nx"')" 1 "a newline escaped"
if command -v promtool >/dev/null; then
	lint=$(promtool check metrics <"$TMP/metrics" 2>&1)
	assert_eq "$?" 0 "promtool check metrics exit status"
	assert_eq "$lint" "" "promtool findings"
fi

# trace -o json: every line is JSON, and the failed handshakes keep the names apart
python3 - "$TMP/json" "$CLI" >"$TMP/json.check" 2>&1 <<'PY'
import json, sys
bad, comms = 0, set()
for line in open(sys.argv[1], "rb"):
    try:
        ev = json.loads(line.decode("utf-8"))
    except Exception as e:
        bad += 1
        continue
    if ev.get("type") == "handshake_failed" and ("cgroup=%s\"" % sys.argv[2]) in ev.get("detail", "") + '"':
        comms.add(ev.get("comm"))
print("bad=%d names=%d" % (bad, len(comms)))
PY
assert_eq "$(cat "$TMP/json.check")" "bad=0 names=$N" "JSON lines that do not parse; distinct names of the failures"
assert_eq "$(grep '"type":"handshake_failed"' "$TMP/json" | grep -c 'role=client')" $N "client handshake_failed events (JSON)"
# columns: the failures are there, and no ESC, BEL or other C0 byte but the line ends
assert_eq "$(grep 'handshake_failed' "$TMP/cols" | grep -c 'role=client')" $N "client handshake_failed events (columns)"
assert_eq "$(tr -d '\n' <"$TMP/cols" | LC_ALL=C grep -c '[[:cntrl:]]')" 0 "control characters in the column output"
assert_eq "$(grep -cF '\x1b[31mred' "$TMP/cols")" 1 "the escape sequence shown as text"
finish
