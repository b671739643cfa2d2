#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Issue 12, findings 1 and 2: containers (private mount namespaces, a directory of the
# test bind-mounted over their /usr/local/lib) plant files for TLS discovery.
#   A: libssl.so.3 an ELF with 65,535 section headers over one table of 4,096 symbols
#      (22 s per lookup before), libssl.so.1.1 a FIFO, libssl.so.10 a symlink out of
#      the container to the host's libssl;
#   B: 2,000 files named libssl.so.3.N, half of them ELF files that define
#      SSL_do_handshake, half garbage.
# Meanwhile every scrape answers within 1 s (a functional bound: discovery runs in its
# own thread, a lookup is linear), none of A's files is probed, B gets exactly its quota
# of 32 probed files (MNTNS_MAX_FILES), and a real TLS client elsewhere is counted.
. "$(dirname "$0")/../lib.sh"
. "$OSI_ROOT/tests/helpers/tls.sh"
require_root
command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
command -v python3 >/dev/null || skip "python3 not installed"
[ -d /usr/local/lib ] || skip "no /usr/local/lib to mount over"
ls /usr/local/lib/libssl* >/dev/null 2>&1 && skip "the host has a libssl in /usr/local/lib"
N=3

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
CLI=$(cg cli)
SRV=$(cg srv)
tls_cert srv IP:192.0.2.2
SYS_SSL=$(ldd "$(command -v openssl)" | awk '$1 ~ /^libssl\.so/ { print $3 }')
mkdir -p "$TMP/a" "$TMP/b"
python3 - "$OSI_ROOT/tests/fuzz" "$TMP" <<'PY' || { fail "making the files"; finish; }
import sys
sys.path.insert(0, sys.argv[1])
import gen_inputs as g
tmp = sys.argv[2]
open(tmp + "/a/libssl.so.3", "wb").write(g.quadratic_elf(65535, 4096))
mini = g.mini_elf()
for i in range(2000):
    open("%s/b/libssl.so.3.%d" % (tmp, i), "wb").write(mini if i % 2 else b"not an ELF\n" * 8)
PY
mkfifo "$TMP/a/libssl.so.1.1"
ln -s "$SYS_SSL" "$TMP/a/libssl.so.10"

agent_start --no-collector.tcp
srv_start srv "$SRV" 4433 "$TMP/srv.out" -cert "$TMP/srv.pem" -key "$TMP/srv.key"

# the containers: a process each in a private mount namespace, exec'ed there (the
# agent hears of a new namespace from the exec)
for c in a b; do
	unshare -m --propagation private sh -c 'mount --bind "$0" /usr/local/lib && exec sleep 300' \
		"$TMP/$c" &
done
ok=0 slow=0
for i in $(seq 20); do
	if curl -s -o "$TMP/metrics" -m 1 "http://127.0.0.1:$PORT/metrics" &&
		grep -q '^osiscope_build_info' "$TMP/metrics"; then
		ok=$((ok + 1))
	else
		slow=$((slow + 1))
	fi
	sleep 0.25
done
assert_eq "$ok" 20 "scrapes answered within 1 s while the containers are looked at"

# B's quota, once discovery got there (bounded wait), and its warning, which comes with
# the first file over it, after the 32nd is probed: an OpenSSL file examined over its
# quota, or, when the other files' quota filled at the same time (the directory's order),
# a file not opened at all
quota='has more than 32 OpenSSL files\|has its quotas of 32 OpenSSL and 32 other libssl-named files full'
for i in $(seq $((75 * SCALE))); do
	scrape
	nb=$(grep -c '^osiscope_tls_probed_libraries{.*path="/usr/local/lib/libssl\.so\.3\.[0-9]*"' "$TMP/metrics")
	[ "$nb" -ge 32 ] && grep -q "$quota" "$TMP/agent.log" && break
	sleep 0.2
done
assert_eq "$nb" 32 "B: OpenSSL-looking files probed (its mount namespace's quota)"
assert_eq "$(grep -c "$quota" "$TMP/agent.log")" 1 "B: the quota is logged once"
for f in libssl.so.3 libssl.so.1.1 libssl.so.10; do
	assert_eq "$(grep -c "^osiscope_tls_probed_libraries{.*path=\"/usr/local/lib/$f\"" "$TMP/metrics")" 0 \
		"A: $f not probed"
done

# a real client elsewhere is still counted, exactly
for i in $(seq $N); do
	run_in cli "$CLI" curl -sS -o /dev/null --cacert "$TMP/srv.pem" https://192.0.2.2:4433/ 2>/dev/null
done
assert_eq "$(wait_count "$TMP/srv.out" "CONNECTION ESTABLISHED" $N)" $N "handshakes s_server reports"
scrape
assert_eq "$(mval osiscope_tls_handshakes_total role=client result=ok comm=curl cgroup=$CLI)" $N \
	"client handshakes counted"
assert_eq "$(kill -0 "$AGENT_PID" 2>/dev/null && echo alive)" alive "agent still running"
finish
