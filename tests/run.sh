#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs the unit tests, then every scenario (root), and ends with the line
# "N passed, N failed" (skipped scenarios are listed, and counted on the line before).
# tests/run.sh PATTERN... runs only the scenarios whose name holds one of the patterns
# (OSI_WITH_UNIT=1: the unit tests too). OSI_SCENARIO_TIMEOUT: seconds per scenario.
set -u
cd "$(dirname "$0")/.."
pattern=${1:-}
patterns=("$@")
passed=0 failed=0 skipped=0
# scenario logs: $OSI_LOG_DIR/osiscope-NAME.log (default /tmp); set it apart per work tree
logdir=${OSI_LOG_DIR:-/tmp}
mkdir -p "$logdir"

if [ -z "$pattern" ] || [ "${OSI_WITH_UNIT:-}" = 1 ]; then
	echo "== unit tests"
	out=$("${OUTPUT:-.output}"/unit-tests 2>&1)
	echo "$out" | grep -v '^unit:' | sed 's/^/  /'
	p=$(echo "$out" | grep -c '^ok ')
	f=$(echo "$out" | grep -c '^FAIL ')
	[ "$p" -gt 0 ] || f=$((f + 1)) # a unit binary that ran nothing is a failure
	passed=$((passed + p))
	failed=$((failed + f))

	# The same unit tests under ASan+UBSan, and each fuzz harness replaying its seeds and
	# regression inputs (tests/fuzz): one result line each. OSI_NO_ASAN=1 (make
	# test-kernels' guests: nothing there depends on the kernel) leaves them out.
	asan=${OUTPUT:-.output}/asan
	[ "${OSI_NO_ASAN:-}" = 1 ] || echo "== under ASan+UBSan: unit tests, fuzz seeds and regression inputs"
	if [ "${OSI_NO_ASAN:-}" = 1 ]; then
		:
	elif [ -x "$asan/unit-tests" ]; then
		out=$("$asan"/unit-tests 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && ! echo "$out" | grep -q '^FAIL '; then
			echo "  ok unit tests under ASan+UBSan: $(echo "$out" | grep -c '^ok ') passed"
			passed=$((passed + 1))
		else
			echo "$out" | grep -v '^ok ' | sed 's/^/  /'
			echo "  FAIL unit tests under ASan+UBSan (exit $rc)"
			failed=$((failed + 1))
		fi
	else
		echo "  FAIL $asan/unit-tests not built (make test builds it)"
		failed=$((failed + 1))
	fi
	for src in tests/fuzz/fuzz_*.c; do
		[ "${OSI_NO_ASAN:-}" = 1 ] && break
		name=$(basename "$src" .c)
		if [ ! -x "$asan/$name" ]; then
			echo "  FAIL $asan/$name not built"
			failed=$((failed + 1))
			continue
		fi
		out=$("$asan/$name" "tests/fuzz/corpus/$name" "tests/fuzz/regress/$name" 2>&1)
		rc=$?
		if [ $rc -eq 0 ]; then
			echo "  $(echo "$out" | tail -1)"
			passed=$((passed + 1))
		else
			echo "$out" | tail -20 | sed 's/^/  /'
			echo "  FAIL $name (exit $rc)"
			failed=$((failed + 1))
		fi
	done
fi

echo "== scenario tests"
for t in tests/scenario/[0-9]*.sh; do
	name=$(basename "$t" .sh)
	if [ -n "$pattern" ]; then
		match=
		for p in "${patterns[@]}"; do [[ "$name" == *"$p"* ]] && match=1; done
		[ -n "$match" ] || continue
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP $name (needs root)"
		skipped=$((skipped + 1))
		continue
	fi
	start=$(date +%s)
	# One scenario at a time on this machine, whichever tree runs it: scenarios share
	# the host's CPUs, tracepoints and ports, and are written to run alone.
	flock /tmp/osiscope-scenario.lock timeout "${OSI_SCENARIO_TIMEOUT:-300}" bash "$t" >"$logdir/osiscope-$name.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0)
		echo "PASS $name (${secs}s)"
		passed=$((passed + 1))
		;;
	77)
		echo "SKIP $name: $(grep -m1 'SKIP:' "$logdir/osiscope-$name.log" | sed 's/.*SKIP: //')"
		skipped=$((skipped + 1))
		;;
	*)
		echo "FAIL $name (exit $rc, ${secs}s)"
		sed 's/^/    /' "$logdir/osiscope-$name.log"
		failed=$((failed + 1))
		;;
	esac
done
echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
