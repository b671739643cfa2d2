#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The README's kernels x collectors table, from make test-kernels' output: each kernel's
# `osiscope probe` (.output/kernels/RELEASE/probe.txt) and its results line.
#   scripts/kernel-table.sh [RUNS_DIR]   (default .output/kernels)
set -euo pipefail
runs=${1:-.output/kernels}
collectors="link neigh route drop tcp udp tls dns"
printf '| kernel | result |'
for c in $collectors; do printf ' %s |' "$c"; done
printf '\n|---|---|'
for c in $collectors; do printf -- '---|'; done
printf '\n'
for d in $(ls -d "$runs"/*/ | sort -V); do
	rel=$(basename "$d")
	[ -s "$d/probe.txt" ] || continue
	line=$(sed -n 's/^[^ ]*: \([0-9]* passed, [0-9]* failed, [0-9]* skipped\).*/\1/p' "$d/line.txt" 2>/dev/null)
	printf '| %s | %s |' "$rel" "${line:-?}"
	for c in $collectors; do
		awk -v c="$c" '
		$1 == "layer" && $2 == c {
			up = $4
			rest = $0; sub(/.*(yes|no)  +/, "", rest)
			if (up != "yes") { gsub(/\|/, "/", rest); printf " **down**: %s |", rest; exit }
			n = split(rest, w, /[ ;]+/)
			modes = ""; extra = ""; none = ""
			for (i = 1; i <= n; i++) {
				if (w[i] !~ /^[a-z_]+\/[a-z0-9_]+$/) continue
				split(w[i], mh, "/")
				if (mh[1] == "none") { none = none (none ? ", " : "") mh[2]; continue }
				if (mh[1] ~ /^(fentry|fexit|kprobe)$/) { extra = extra (extra ? ", " : "") w[i]; continue }
				if (index(" " modes " ", " " mh[1] " ") == 0) modes = modes (modes ? " " : "") mh[1]
			}
			if (rest ~ /classic clsact/) modes = modes " + tc classic"
			else if (rest ~ /tcx/) modes = modes " + tcx"
			if (rest ~ /with probe reads/) modes = modes ", probe reads"
			else if (rest ~ /typed loads/) modes = modes ", typed loads"
			if (rest ~ /no drop reasons/) modes = modes "; no drop reasons"
			if (rest ~ /TcpOutRsts/) modes = modes "; resets from TcpOutRsts"
			printf " up: %s%s%s |", modes, extra ? "; " extra : "", none ? "; missing: " none : ""
		}' "$d/probe.txt"
	done
	printf '\n'
done
