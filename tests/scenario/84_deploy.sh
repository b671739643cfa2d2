#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# deploy/, checked offline: the kustomization renders (kubectl kustomize) and every
# rendered object passes tests/deploy/k8s_check.py (a schema of the API fields used, and
# the DaemonSet/Service/PodMonitor wired to each other); a manifest with a typo fails it.
# The alert rules pass promtool check rules and their unit tests (promtool test rules).
# The dashboard is valid JSON with rows L1..L7 in order and the instance, namespace and
# pod variables. make install puts binary, unit and man page under DESTDIR/PREFIX; the
# installed unit passes systemd-analyze verify; the man page renders without warnings.
# The runtime image's files (scripts/runtime-libs.sh, as deploy/Dockerfile uses it) run
# osiscope --version in a chroot of their own. (make image itself needs a docker or
# podman daemon, which this test does not assume.)
. "$(dirname "$0")/../lib.sh"
cd "$OSI_ROOT"
PY=/usr/bin/python3
# the kernel guests (make test-kernels) carry no deployment tools: nothing here depends
# on the kernel
[ -z "${OSI_GUEST:-}" ] || command -v kubectl >/dev/null || skip "no kubectl in the kernel guest's root"
for t in kubectl promtool; do
	command -v $t >/dev/null || { fail "$t missing: scripts/deps.sh installs it"; finish; }
done
$PY -c 'import yaml' 2>/dev/null || { fail "python3-yaml missing: scripts/deps.sh installs it"; finish; }

kubectl kustomize deploy/kubernetes >"$TMP/rendered.yaml" 2>"$TMP/kustomize.err"
assert_eq "$?" 0 "kubectl kustomize deploy/kubernetes"
out=$($PY tests/deploy/k8s_check.py "$TMP/rendered.yaml" 2>&1)
assert_eq "$?" 0 "rendered objects pass the offline schema check"
log "$out"
assert_eq "$(grep -c '^kind:' "$TMP/rendered.yaml")" 5 "rendered objects"
# the checker can fail: a typo, privileged, a writable host mount, honorLabels off
for bad in 's/hostPID: true/hostPid: true/' 's/privileged: false/privileged: true/' \
	'0,/readOnly: true/s//readOnly: false/' 's/honorLabels: true/honorLabels: false/' \
	's/path: \/-\/ready/path: \/ready/'; do
	sed "$bad" "$TMP/rendered.yaml" >"$TMP/bad.yaml"
	cmp -s "$TMP/bad.yaml" "$TMP/rendered.yaml" && { fail "sed '$bad' changed nothing"; continue; }
	$PY tests/deploy/k8s_check.py "$TMP/bad.yaml" >/dev/null 2>&1
	assert_eq "$?" 1 "schema check refuses: sed '$bad'"
done

out=$(promtool check rules deploy/prometheus/*.yml 2>&1)
assert_eq "$?" 0 "promtool check rules"
assert_gt "$(echo "$out" | sed -n 's/.*SUCCESS: \([0-9]*\) rules found.*/\1/p')" 0 "alert rules"
for l in l1 l2 l3 l4 l5 l6 l7; do
	n=$(grep -c "layer: $l\$" deploy/prometheus/alerts.yml)
	assert_gt "$n" 0 "alert rules of layer $l"
done
assert_eq "$(grep -c 'summary:' deploy/prometheus/alerts.yml)" "$(grep -c 'alert:' deploy/prometheus/alerts.yml)" "a summary per alert"
assert_eq "$(grep 'summary:' deploy/prometheus/alerts.yml | grep -vc 'confirm with: ')" 0 "every summary names the command that confirms it"
out=$(cd deploy/prometheus/tests && promtool test rules alerts.test.yaml 2>&1)
assert_eq "$?" 0 "promtool test rules (alert unit tests)"
echo "$out" | grep -q SUCCESS || fail "promtool test rules: $out"

$PY -m json.tool deploy/grafana/osiscope.json >/dev/null
assert_eq "$?" 0 "dashboard is valid JSON"
out=$($PY tests/deploy/grafana_check.py deploy/grafana/osiscope.json 2>&1)
assert_eq "$?" 0 "dashboard structure: rows L1..L7 in order, variables instance/namespace/pod"
log "$out"
# the structure check can fail: rows out of order
$PY - deploy/grafana/osiscope.json >"$TMP/swapped.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [i for i, p in enumerate(d["panels"]) if p["type"] == "row"]
d["panels"][rows[0]]["title"], d["panels"][rows[1]]["title"] = d["panels"][rows[1]]["title"], d["panels"][rows[0]]["title"]
print(json.dumps(d))
PYEOF
$PY tests/deploy/grafana_check.py "$TMP/swapped.json" >/dev/null 2>&1
assert_eq "$?" 1 "structure check refuses rows out of order"

make -s install DESTDIR="$TMP/dest" PREFIX=/usr >/dev/null 2>&1
for f in usr/sbin/osiscope usr/share/man/man8/osiscope.8 usr/lib/systemd/system/osiscope.service; do
	assert_eq "$([ -s "$TMP/dest/$f" ] && echo yes)" yes "make install DESTDIR PREFIX=/usr: $f"
done
assert_eq "$(grep '^ExecStart=' "$TMP/dest/usr/lib/systemd/system/osiscope.service" | cut -d' ' -f1)" \
	"ExecStart=/usr/sbin/osiscope" "installed unit starts the installed binary"
make -s install PREFIX="$TMP/prefix" >/dev/null 2>&1
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify --man=no "$TMP/prefix/lib/systemd/system/osiscope.service" 2>&1)
	assert_eq "$?:$out" "0:" "systemd-analyze verify of the installed unit"
fi
# the runtime image's content (deploy/Dockerfile's last stage): the binary and the
# libraries it links, nothing else, runs on its own
scripts/runtime-libs.sh "$OSI_BIN" "$TMP/rootfs"
out=$(chroot "$TMP/rootfs" /usr/sbin/osiscope --version 2>&1)
assert_eq "$?" 0 "the runtime image's files alone run osiscope --version ($out)"
assert_eq "$(find "$TMP/rootfs" -type f | wc -l)" "$(($(ldd "$OSI_BIN" | grep -c '/') + 1))" \
	"runtime files: the binary and its libraries"
out=$(groff -man -Tutf8 -ww -z doc/osiscope.8 2>&1)
assert_eq "$?:$out" "0:" "man page renders without warnings"
finish
