# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared by the diagnose scenarios (tests/scenario/9?_diag_*.sh), sourced after lib.sh:
# diagnose in the background while a fault happens, then its first problem per
# namespace read from the JSON (the contract of DESIGN.md).
command -v jq >/dev/null || skip "jq not installed (scripts/deps.sh installs it)"

# diag_start S [ARGS...]: `osiscope diagnose --agent off -o json --duration S ARGS` in the
# background (DIAG_PID), output in $TMP/diag.json; returns once it is watching
diag_start() {
	local d=$1 i
	shift
	"$OSI_BIN" diagnose --agent off -o json --duration "$d" "$@" >"$TMP/diag.json" 2>"$TMP/diag.err" &
	DIAG_PID=$!
	for i in $(seq $((200 * SCALE))); do
		grep -q "^watching for" "$TMP/diag.err" 2>/dev/null && return 0
		kill -0 $DIAG_PID 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/diag.err" >&2
	fail "diagnose did not start watching"
	finish
}
# diag_wait: until diagnose is done; checks its exit status and that it printed JSON
diag_wait() {
	wait "$DIAG_PID"
	assert_eq "$?" 0 "diagnose exit status"
	jq -e . "$TMP/diag.json" >/dev/null || { fail "diagnose printed no JSON"; cat "$TMP/diag.json" >&2; }
}
# problems NETNS...: the problems of those namespaces, in the report's order, one JSON
# object a line
problems() {
	jq -c --argjson ns "[$(echo "$@" | tr ' ' ',')]" \
		'.problems[] | select(.netns as $n | $ns | index($n))' "$TMP/diag.json"
}
# first_problem NETNS...: "layer cause target" of the first problem of those namespaces
first_problem() { problems "$@" | head -1 | jq -r '"\(.layer) \(.cause) \(.target)"'; }
# nproblems NETNS...: how many problems those namespaces have
nproblems() { problems "$@" | wc -l; }
# first_field FIELD NETNS...: that field of the first problem (arrays joined by " | ")
first_field() {
	local f=$1
	shift
	problems "$@" | head -1 | jq -r --arg f "$f" '.[$f] | if type == "array" then join(" | ") else tostring end'
}
# assert_nproblems N WHAT NETNS...: those namespaces have N problems (shown when not)
assert_nproblems() {
	local n=$1 what=$2 got
	shift 2
	got=$(nproblems "$@")
	assert_eq "$got" "$n" "$what"
	[ "$got" = "$n" ] || problems "$@" >&2
}
