#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Bad flags and values print usage and exit 2; a taken port is a clear error naming the
# address, exit 1; probe reports this kernel's hooks in text and JSON.
. "$(dirname "$0")/../lib.sh"
require_root

rc() {
	"$OSI_BIN" "$@" >"$TMP/out" 2>"$TMP/err"
	echo $?
}
assert_eq "$(rc --bogus)" 2 "unknown flag"
assert_eq "$(grep -c '^Usage:' "$TMP/err")" 1 "usage printed on a bad flag"
assert_eq "$(rc --web.listen-address=nohost)" 2 "listen address without a port"
assert_eq "$(rc --log.level=loud)" 2 "bad log level"
assert_eq "$(rc --collector.nonsense)" 2 "unknown collector"
assert_eq "$(rc trace -p notanumber)" 2 "trace -p with a non-number"
assert_eq "$(rc trace --duration=-1)" 2 "negative duration"
assert_eq "$(rc trace -o yaml)" 2 "unknown output format"
assert_eq "$(rc frobnicate)" 2 "unknown command"
assert_eq "$(rc --metrics.series-budget=12x)" 2 "series budget with junk"
assert_eq "$(rc --help)" 0 "--help"
assert_eq "$(grep -c 'osiscope trace' "$TMP/out")" 1 "--help shows the trace command"
assert_eq "$(rc --version)" 0 "--version"

# a port that is taken
agent_start
assert_eq "$(timeout 10 "$OSI_BIN" run --web.listen-address="127.0.0.1:$PORT" >"$TMP/out" 2>"$TMP/err"; echo $?)" 1 \
	"second agent on a taken port"
assert_eq "$(grep -c "127.0.0.1:$PORT.*Address already in use" "$TMP/err")" 1 "error names the address and the reason"
assert_eq "$(rc probe -o json)" 0 "probe -o json"
assert_eq "$(grep -c '"name":"tcp (l4/l5)","ok":true' "$TMP/out")" 1 "probe reports the tcp layer up"
assert_eq "$(grep -c '"kind":"tp_btf","name":"inet_sock_set_state","ok":true' "$TMP/out")" 1 "probe reports tp_btf usable"
finish
