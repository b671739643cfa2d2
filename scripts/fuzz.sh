#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make fuzz FUZZ_SECONDS=N: runs each libFuzzer harness for N seconds, one after the
# other (the machine is shared), on a working copy of its seed corpus and regression
# inputs in DIR/corpus/NAME; a crash is kept as DIR/NAME-crash-*. Prints one line per
# harness with libFuzzer's executions, and exits 1 if any found something.
# scripts/fuzz.sh DIR SECONDS NAME...
set -u
dir=$1 secs=$2
shift 2
bad=0
printf '%-16s %12s %8s %s\n' HARNESS EXECUTIONS EXEC/S RESULT
for name in "$@"; do
	work=$dir/corpus/$name
	mkdir -p "$work"
	cp -n tests/fuzz/corpus/"$name"/* tests/fuzz/regress/"$name"/* "$work"/ 2>/dev/null
	# rss_limit: the ELF harness maps nothing itself; 2 GB is libFuzzer's default
	"$dir/$name" -max_total_time="$secs" -timeout=10 -max_len=262144 -print_final_stats=1 \
		-artifact_prefix="$dir/$name-" "$work" >"$dir/$name.log" 2>&1
	rc=$?
	runs=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$dir/$name.log")
	rate=$(awk '/^stat::average_exec_per_sec:/ { print $2 }' "$dir/$name.log")
	if [ "$rc" -eq 0 ]; then
		result=clean
	else
		result="FOUND (exit $rc): $(ls "$dir/$name"-crash-* "$dir/$name"-timeout-* "$dir/$name"-leak-* 2>/dev/null | head -1) (see $dir/$name.log)"
		bad=1
	fi
	printf '%-16s %12s %8s %s\n' "$name" "${runs:-?}" "${rate:-?}" "$result"
done
exit $bad
