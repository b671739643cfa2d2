# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared by the tls scenarios (tests/scenario/6?_tls_*.sh), sourced after lib.sh:
# certificates, cgroups of the test's own, openssl s_server, and reading series whose
# label values have spaces (OpenSSL's reason texts).
TLSLOAD=$HELPERS/tlsload
command -v openssl >/dev/null || skip "openssl not installed"
[ -x "$TLSLOAD" ] || skip "$TLSLOAD not built"
CG_ROOT=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2" && $4 == "/") print $5; break } }' /proc/self/mountinfo | head -1)
[ -n "$CG_ROOT" ] || skip "no cgroup2 hierarchy mounted"

tls_cleanup() {
	cleanup
	local d
	for d in "$CG_ROOT"/osiscope-"$T"-*; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
}
trap tls_cleanup EXIT

# cg NAME: path (relative to the cgroup2 root, as the cgroup label shows it) of a cgroup
# of this test, created on first use, removed at exit
cg() {
	local c="/osiscope-$T-$1"
	[ -d "$CG_ROOT$c" ] || mkdir "$CG_ROOT$c" || { fail "mkdir $CG_ROOT$c"; exit 1; }
	echo "$c"
}
# run_in NS CGROUP CMD...: CMD in the network namespace and the cgroup (same pid). The
# cgroup first: ip netns exec mounts a sysfs of the namespace over /sys.
run_in() {
	local ns=$1 c=$2
	shift 2
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG_ROOT$c" ip netns exec "$T-$ns" "$@"
}
# tls_cert NAME SAN [CN]: self-signed P-256 certificate $TMP/NAME.pem and key
# $TMP/NAME.key, subject CN (osiscope-test). A certificate of another CN, given to a
# client as its only CA (--cacert), makes it distrust the server's: the system's CA
# store is not relied on (a guest root may have none, curl then fails before its
# handshake).
tls_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/$1.key" \
		-out "$TMP/$1.pem" -days 1 -subj "/CN=${3:-osiscope-test}" -addext "subjectAltName=$2" \
		2>"$TMP/req.err" || { cat "$TMP/req.err" >&2; fail "openssl req"; exit 1; }
}
wait_listen() { # NS PORT
	local i
	for i in $(seq $((100 * SCALE))); do
		nsx "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on port $2 in $1"
	exit 1
}
# listen_pid NS PORT: pid of the process listening on the TCP port
listen_pid() { nsx "$1" ss -Hltnp "sport = :$2" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1; }
# srv_start NS CGROUP PORT OUT ARGS...: openssl s_server -rev (it handshakes with
# BIO_do_handshake, that is SSL_do_handshake) in NS and CGROUP, output in OUT; waits
# until it listens; SRV_PID is its pid
srv_start() {
	local ns=$1 c=$2 port=$3 out=$4
	shift 4
	run_in "$ns" "$c" openssl s_server -accept "$port" -rev "$@" >"$out" 2>&1 </dev/null &
	wait_listen "$ns" "$port"
	SRV_PID=$(listen_pid "$ns" "$port")
}
# tls_version VERSION: sets ver to the version label the agent gives a handshake that
# negotiated VERSION: "unknown" when it says it cannot read them (no
# bpf_get_attach_cookie, before 5.15; a backport may have it earlier), a failure if it
# says so on 5.15 or later
tls_version() {
	ver=$1
	grep -q "negotiated versions show as unknown" "$TMP/agent.log" || return 0
	ver=unknown
	kernel_at_least 5 15 && fail "the agent reads no TLS versions on $(uname -r) (5.15+)"
	return 0
}
# wait_count FILE PATTERN N: until FILE has N lines matching PATTERN (bounded); prints
# how many it has
wait_count() {
	local i n=0
	for i in $(seq $((100 * SCALE))); do
		n=$(grep -c -- "$2" "$1" 2>/dev/null)
		[ "${n:-0}" -ge "$3" ] && break
		sleep 0.1
	done
	echo "${n:-0}"
}
# mval NAME [LABEL=VALUE]...: value of the series of NAME with those labels in the last
# scrape (values may contain spaces), 0 when absent; the sum if several match
mval() { msel "%.0f" "$@"; }
# msum NAME LABELS...: the same with 6 decimals (histogram sums in seconds)
msum() { msel "%.6f" "$@"; }
msel() {
	local fmt=$1 name=$2
	shift 2
	WANT=$(printf '%s\t' "$@") awk -v name="$name" -v fmt="$fmt\n" '
		BEGIN { n = split(ENVIRON["WANT"], w, "\t") }
		/^#/ { next }
		{
			s = $1; sub(/\{.*/, "", s)
			if (s != name) next
			for (i = 1; i <= n; i++) {
				if (w[i] == "") continue
				k = substr(w[i], 1, index(w[i], "=") - 1)
				v = substr(w[i], index(w[i], "=") + 1)
				if (index($0, k "=\"" v "\"") == 0) next
			}
			sum += $NF
		}
		END { printf fmt, sum }' "$TMP/metrics"
}
# wait_metric NAME LABELS...: scrapes until the series exists (bounded: 15 s, several
# maintain periods); prints its value
wait_metric() {
	local i v=0
	for i in $(seq $((75 * SCALE))); do
		scrape
		grep -q "^$1{" "$TMP/metrics" && v=$(mval "$@") && [ "$v" != 0 ] && break
		sleep 0.2
	done
	echo "$v"
}
