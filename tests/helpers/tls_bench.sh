#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# What each uprobe of the tls collector costs per hit, for make bench (root):
#   tests/helpers/tls_bench.sh OSI_BIN TLSLOAD [ROUNDS]
# Times a loop of each probed call with tlsload, without the agent, with it, with it
# and --tls.data-path=on, alternating (off, on, off, on, ...) so that drift shows as
# spread; prints a markdown table of the median ns per call and the difference, which
# is the probe's whole cost (trap + BPF program), then the BPF part alone from the
# kernel's run-time statistics. A uprobe whose first instruction the kernel emulates
# (push, jumps) costs ~1 us per hit here; one it must single-step ~10 us.
set -u
BIN=${1:?osiscope binary}
TLSLOAD=${2:?tlsload helper}
ROUNDS=${3:-3}
PORT=${TLS_BENCH_PORT:-19779}
D=$(mktemp -d /tmp/osiscope-tls-bench.XXXXXX)
AGENT=
trap '[ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/key.pem" \
	-out "$D/cert.pem" -days 1 -subj /CN=bench 2>/dev/null || exit 1
C="--cert $D/cert.pem --key $D/key.pem"
# what: calls per run; the probe it hits
# (done: SSL_do_handshake on a finished connection does not enter the state machine, the
# handshake probe; rw: one SSL_write + SSL_read pair, probed only with --tls.data-path)
CASES="connect_state:20000:SSL_set_connect_state free:20000:SSL_free error:20000:ERR_vset_error
done:20000:SSL_do_handshake_when_done_(none) rw:3000:SSL_write+SSL_read_pair_(none;_data_path)
handshake:200:one_full_handshake_(both_sides:_state_machine_entry+return)
handshake_io:200:one_handshake_inside_SSL_write/SSL_read_(both_sides:_state_machine)"

agent() { # ARGS...: start, wait until ready
	"$BIN" run --web.listen-address=127.0.0.1:$PORT --no-collector.tcp --bpf.stats=off "$@" \
		>"$D/agent.log" 2>&1 &
	AGENT=$!
	for _ in $(seq 100); do
		curl -sf -o /dev/null "http://127.0.0.1:$PORT/-/ready" && return 0
		sleep 0.1
	done
	cat "$D/agent.log" >&2
	exit 1
}
stop() {
	kill "$AGENT"
	wait "$AGENT" 2>/dev/null
	AGENT=
}
run_cases() { # TAG
	for c in $CASES; do
		IFS=: read -r what n _ <<<"$c"
		"$TLSLOAD" bench "$what" "$n" $C | awk -v t="$1" -v w="$what" '{ sub(/.*=/, ""); print t, w, $0 }'
	done
}
for r in $(seq "$ROUNDS"); do
	run_cases off >>"$D/res"
	agent
	run_cases on >>"$D/res"
	stop
	agent --tls.data-path=on
	run_cases data >>"$D/res"
	stop
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "| probe | calls | ns/call without | with (default) | cost per hit | with --tls.data-path | cost per hit |"
echo "|---|---|---|---|---|---|---|"
for c in $CASES; do
	IFS=: read -r what n probe <<<"$c"
	off=$(awk -v w="$what" '$1 == "off" && $2 == w { print $3 }' "$D/res" | median)
	on=$(awk -v w="$what" '$1 == "on" && $2 == w { print $3 }' "$D/res" | median)
	data=$(awk -v w="$what" '$1 == "data" && $2 == w { print $3 }' "$D/res" | median)
	printf "| %s | %s | %.0f | %.0f | %+.2f us | %.0f | %+.2f us |\n" "${probe//_/ }" "$n" "$off" "$on" \
		"$(echo "$on $off" | awk '{ print ($1 - $2) / 1000 }')" "$data" \
		"$(echo "$data $off" | awk '{ print ($1 - $2) / 1000 }')"
done

# the BPF programs alone, from the agent's own run-time statistics (--bpf.stats=on)
agent --tls.data-path=on --bpf.stats=on
run_cases stats >/dev/null
curl -sf "http://127.0.0.1:$PORT/metrics" >"$D/metrics"
stop
echo
echo "| BPF program | runs | ns/run |"
echo "|---|---|---|"
awk '/^osiscope_bpf_program_run(s_total|_seconds_total)\{layer="tls"/ {
		p = $0; sub(/.*program="/, "", p); sub(/".*/, "", p)
		if ($1 ~ /^osiscope_bpf_program_runs_total/) n[p] = $NF; else t[p] = $NF
	}
	END { for (p in n) if (n[p] > 0) printf "| %s | %d | %.0f |\n", p, n[p], t[p] * 1e9 / n[p] }' \
	"$D/metrics" | sort
