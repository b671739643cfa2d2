#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make test-kernels: boots Debian's kernels under qemu (TCG: no KVM needed) with a guest
# root made by debootstrap, runs the unit tests and scenarios inside, and prints one line
# per kernel, "RELEASE: N passed, N failed" (failing names after it).
#
#   scripts/test-kernels.sh [SUITE...]   suites: bullseye (5.10) bookworm (6.1)
#                                        bookworm-backports (6.12); default all three
#   FULL=1          every scenario (about 27 min per kernel); default the quick set
#   TESTS="a b"     these scenario patterns instead
#   JOBS=N          boot N kernels at once (default 1; each guest is given 2 CPUs)
#   OSI_KERNEL_CACHE  downloads, kernels and the guest root (default /var/cache/osiscope-kernels)
#   OSI_GUEST_CMD=FILE  run this script in the guest instead of the tests (debugging),
#   OSI_GUEST_FILES="F..." with these files in /osiscope/extra
#   OSI_KERNEL_RUNS   where the console logs go (default $OUTPUT/kernels)
#   OSI_STALL_TIMEOUT=S  stop a guest whose tests print nothing for S seconds (default
#                     120 s times the wait scale, plus 600)
#   OSI_GUEST_LOGLEVEL=N  the guest kernel's console loglevel (default 1; 5 shows the
#                     stacks of soft lockups)
#
# Kernel packages come through a private apt configuration under the cache: the machine's
# own apt sources are never read or changed. The guest has no network device (loopback
# only), so nothing it does leaves it.
# The whole script is one block, read before any of it runs: a run goes on unchanged when
# the file is edited under it (a work tree switching branch, say).
{
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=$PWD
CACHE=${OSI_KERNEL_CACHE:-/var/cache/osiscope-kernels}
MIRROR=${OSI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
ARCHIVE=${OSI_DEBIAN_ARCHIVE:-http://archive.debian.org/debian}
OUTPUT=${OUTPUT:-.output}
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(bullseye bookworm bookworm-backports)
# One scenario per collector, plus the reset (01) and send-failure (50) checks and the
# optional fentry/kprobe programs (55, 56, 57).
QUICK="01_refused 20_drop_nft 30_link_counters 40_neigh_failures 50_route_no_route 55_route_icmp_codes 56_route_icmp6_sent 57_route_reject_forwarded 60_tls_handshakes 70_dns_queries"
if [ -n "${TESTS:-}" ]; then
	tests=$TESTS
elif [ "${FULL:-0}" = 1 ]; then
	tests=all
else
	tests=$QUICK
fi
# Waits inside scenarios are multiplied by this under emulation (readiness polls, not sleeps).
SCALE=${OSI_WAIT_SCALE:-5}
JOBS=${JOBS:-1}
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "JOBS=$JOBS: wants a number of kernels to boot at once, 1 or more"
LOCKMODE=-x
[ "$JOBS" -eq 1 ] || LOCKMODE=-s
# A whole boot: generous, TCG runs some 10-30x slower than the host, and a guest sharing
# the CPU with others takes a scenario up to 5 minutes: 10 minutes plus 3 a scenario
nscen=$(if [ "$tests" = all ]; then ls tests/scenario/*.sh; else
	for t in $tests; do ls tests/scenario | grep -F -- "$t"; done | sort -u; fi | wc -l)
BOOT_TIMEOUT=${OSI_BOOT_TIMEOUT:-$((600 + 180 * nscen))}
# No line from the tests for this long, though a scenario ends within 120 s times SCALE:
# the guest hangs (seen once each on 6.1 and 6.12 under three guests at once)
STALL=${OSI_STALL_TIMEOUT:-$((120 * SCALE + 600))}
ROOT_PKGS=iproute2,nftables,iptables,curl,openssl,dnsmasq-base,procps,iputils-arping,iputils-ping,psmisc,libbpf1,libelf1,libmicrohttpd12,zlib1g,libssl3,bpftool,kmod,bash,gawk,jq,python3,ca-certificates

say() { echo "test-kernels: $*" >&2; }
die() {
	say "$*"
	exit 1
}
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, qemu's initramfs)"
scripts/deps.sh kernels
mkdir -p "$CACHE"
# one fetch/build at a time per machine; the cache is shared by every work tree
exec 9>"$CACHE/.lock"
flock 9

apt_opts() { # SUITE: a private apt configuration for that suite, under the cache
	local d=$CACHE/apt/$1
	echo -o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=- \
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d" -o "Dir::Cache::Archives=$d/archives" \
		-o APT::Sandbox::User=root
}

# fetch_kernel SUITE: prints the kernel release; the package unpacked under $CACHE/k/RELEASE
fetch_kernel() {
	local s=$1 d=$CACHE/apt/$1 pkg rel deb
	if [ -f "$CACHE/k/$s.release" ] && [ -d "$CACHE/k/$(cat "$CACHE/k/$s.release")" ]; then
		cat "$CACHE/k/$s.release"
		return
	fi
	mkdir -p "$d/lists/partial" "$d/archives/partial" "$CACHE/debs" "$CACHE/k"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $s main" >"$d/sources.list"
	# shellcheck disable=SC2046
	if ! apt-get -qq $(apt_opts "$s") update >&2; then
		# a release past its support moves to Debian's archive (bullseye, once LTS ends)
		say "$s: not on $MIRROR, trying $ARCHIVE"
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $ARCHIVE $s main" >"$d/sources.list"
		# shellcheck disable=SC2046
		apt-get -qq $(apt_opts "$s") update >&2 || die "apt-get update for $s failed (on $MIRROR and $ARCHIVE)"
	fi
	# linux-image-amd64 is the meta package; its dependency is the kernel itself
	# shellcheck disable=SC2046
	pkg=$(apt-cache $(apt_opts "$s") show linux-image-amd64 |
		sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -1)
	[ -n "$pkg" ] || die "no linux-image-amd64 in $s"
	rel=${pkg#linux-image-}
	say "$s: $pkg"
	# shellcheck disable=SC2046
	(cd "$CACHE/debs" && apt-get -qq $(apt_opts "$s") download "$pkg" >&2) || die "download of $pkg failed"
	deb=$(ls -t "$CACHE/debs/${pkg}_"*.deb | head -1)
	rm -rf "$CACHE/k/$rel.tmp"
	dpkg-deb -x "$deb" "$CACHE/k/$rel.tmp"
	mv "$CACHE/k/$rel.tmp" "$CACHE/k/$rel"
	echo "$rel" >"$CACHE/k/$s.release"
	echo "$rel"
}

# The guest root, once: bookworm with what the scenarios run, packed as a cpio archive.
build_root() {
	# the root is made again when the list of packages changed since it was made
	if [ "$(cat "$CACHE/root/.osiscope-root" 2>/dev/null)" != "$ROOT_PKGS" ]; then
		rm -rf "$CACHE/root" "$CACHE/root.cpio"
	fi
	[ -f "$CACHE/root.cpio" ] && return
	if [ ! -f "$CACHE/root/.osiscope-root" ]; then
		say "debootstrap bookworm (once; a few minutes)"
		rm -rf "$CACHE/root.tmp"
		debootstrap --variant=minbase --include="$ROOT_PKGS" bookworm "$CACHE/root.tmp" "$MIRROR" \
			>"$CACHE/debootstrap.log" 2>&1 || die "debootstrap failed: see $CACHE/debootstrap.log"
		rm -rf "$CACHE/root.tmp"/usr/share/{doc,man,info,locale} "$CACHE/root.tmp"/var/cache/apt/*.bin \
			"$CACHE/root.tmp"/var/cache/apt/archives/*.deb "$CACHE/root.tmp"/var/lib/apt/lists/*_Packages
		echo "$ROOT_PKGS" >"$CACHE/root.tmp/.osiscope-root"
		mv "$CACHE/root.tmp" "$CACHE/root"
	fi
	# promtool (one static binary) instead of the whole prometheus package
	[ -x /usr/bin/promtool ] && cp /usr/bin/promtool "$CACHE/root/usr/bin/promtool"
	(cd "$CACHE/root" && find . -path ./init -prune -o -print | cpio -o -H newc --quiet) >"$CACHE/root.cpio.tmp"
	mv "$CACHE/root.cpio.tmp" "$CACHE/root.cpio"
}

# modules_cpio RELEASE: the kernel's network modules (and what they need), depmod'ed
modules_cpio() {
	local rel=$1 k=$CACHE/k/$1 m out=$CACHE/k/$1.modules.cpio
	[ -f "$out" ] && return
	m=$CACHE/k/$rel.mods
	rm -rf "$m"
	# usr/lib, not lib: the root's /lib is a symlink, and an archive's directory of the
	# same name would replace it when the kernel unpacks the archives one over the other
	local src=$k/lib/modules/$rel dst=$m/usr/lib/modules/$rel
	mkdir -p "$dst/kernel/drivers/net"
	cp -a "$src"/modules.{builtin,order,builtin.modinfo} "$dst/" 2>/dev/null || true
	cp -a "$src/kernel"/{net,lib,crypto} "$dst/kernel/"
	[ -d "$src/kernel/arch" ] && cp -a "$src/kernel/arch" "$dst/kernel/"
	find "$src/kernel/drivers/net" -maxdepth 1 -type f -exec cp -a {} "$dst/kernel/drivers/net/" \;
	for d in vxlan ipvlan netdevsim; do
		[ -d "$src/kernel/drivers/net/$d" ] && cp -a "$src/kernel/drivers/net/$d" "$dst/kernel/drivers/net/"
	done
	depmod -b "$m/usr" "$rel"
	(cd "$m" && find . -print | cpio -o -H newc --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$m"
}

# The tree under test: the built binary, unit tests, helpers and tests/, plus /init.
payload_cpio() {
	local p=$1/payload
	rm -rf "$p"
	mkdir -p "$p/osiscope/$OUTPUT"
	cp -a osiscope "$p/osiscope/"
	cp -a "$OUTPUT/unit-tests" "$OUTPUT/helpers" "$p/osiscope/$OUTPUT/"
	mkdir -p "$p/osiscope/$OUTPUT/bpf" # BPF objects, for bpftool in OSI_GUEST_CMD
	cp -a "$OUTPUT"/bpf/*.bpf.o "$p/osiscope/$OUTPUT/bpf/"
	cp -a tests "$p/osiscope/"
	install -m 0755 tests/kernels/guest-init.sh "$p/init"
	[ -z "${OSI_GUEST_CMD:-}" ] || install -m 0755 "$OSI_GUEST_CMD" "$p/osiscope/guest-cmd.sh"
	if [ -n "${OSI_GUEST_FILES:-}" ]; then
		mkdir -p "$p/osiscope/extra"
		# shellcheck disable=SC2086 # a list of files
		cp -a $OSI_GUEST_FILES "$p/osiscope/extra/"
	fi
	(cd "$p" && find . -print | cpio -o -H newc --quiet) >"$1/payload.cpio"
	rm -rf "$p"
}

# boot RELEASE WORKDIR: one qemu run; its serial console in WORKDIR/console.log
boot() {
	local rel=$1 w=$2 k=$CACHE/k/$1
	cat "$CACHE/root.cpio" "$CACHE/k/$rel.modules.cpio" "$runs/payload.cpio" >"$w/initrd.cpio"
	say "$rel: booting (tests: $tests)"
	# Only the heavy lock: a qemu run is long and CPU-bound; scenarios on the host go on.
	# Shared when JOBS > 1, for the guests of this run to boot together; else alone.
	# qemu.start: when the lock was got, so that the time reported is qemu's own.
	# shellcheck disable=SC2016 # expanded by that shell
	flock "$LOCKMODE" /tmp/osiscope-heavy.lock bash -c 'date +%s >"$0/qemu.start" && exec "$@"' "$w" \
		timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max \
		-smp 2 -m 3072 -nographic -no-reboot -nic none -monitor none \
		-serial "file:$w/console.log" -display none \
		-kernel "$k/boot/vmlinuz-$rel" -initrd "$w/initrd.cpio" \
		-append "console=ttyS0 panic=-1 rdinit=/init quiet loglevel=${OSI_GUEST_LOGLEVEL:-1} osi.tests=${tests// /,} osi.wait_scale=$SCALE" \
		</dev/null >"$w/qemu.log" 2>&1 &
	local q=$! lines=-1 n since
	# A guest whose tests print nothing for STALL seconds (a hung kernel: its own messages,
	# "[ time] ...", do not count) is stopped rather than left to run to BOOT_TIMEOUT
	since=$(date +%s)
	while [[ " $(jobs -rp | tr '\n' ' ') " == *" $q "* ]]; do # running (never a reused pid)
		sleep 10
		[ -e "$w/qemu.start" ] || { since=$(date +%s) && continue; }
		n=$(grep -vc '^\[' "$w/console.log" 2>/dev/null || true)
		if [ "${n:-0}" != "$lines" ]; then
			lines=${n:-0} since=$(date +%s)
		elif [ $(($(date +%s) - since)) -ge "$STALL" ]; then
			# timeout (flock's child), which hands the signal to qemu
			if pkill -TERM -P "$q"; then
				echo "$STALL" >"$w/stalled"
			fi
			break
		fi
	done
	wait "$q" || echo "qemu exit $?" >>"$w/qemu.log"
	rm -f "$w/initrd.cpio"
}

# timing WORKDIR STARTED: qemu's seconds, the guest's boot (kernel and initramfs, up to its
# /init) and tests, and the wait for the heavy lock
timing() {
	local w=$1 started=$2 q b e t
	q=$(cat "$w/qemu.start" 2>/dev/null || echo "$started")
	b=$(sed -n 's/.*OSIK-BEGIN .* up=\([0-9]*\).*/\1/p' "$w/console.log.txt" | head -1)
	e=$(sed -n 's/^OSIK-END .* up=\([0-9]*\).*/\1/p' "$w/console.log.txt" | tail -1)
	t="qemu $(($(date +%s) - q))s"
	[ -z "$b" ] || t="$t: boot ${b}s"
	[ -z "$b" ] || [ -z "$e" ] || t="$t, tests $((e - b))s"
	[ "$((q - started))" -lt 5 ] || t="$t; waited $((q - started))s for the heavy lock"
	echo "$t"
}

# report RELEASE WORKDIR: the kernel's line from the console log
report() {
	local rel=$1 log=$2/console.log p f s names why
	tr -d '\r' <"$log" >"$log.txt"
	if ! grep -q '^OSIK-END' "$log.txt"; then
		# what finished still counts; the rest is named, and the console's end shown
		p=$(grep -c '^PASS ' "$log.txt")
		f=$(grep -c '^FAIL ' "$log.txt")
		s=$(grep -c '^SKIP ' "$log.txt")
		names=$(grep -E '^FAIL ' "$log.txt" | sed -E 's/^FAIL ([^ ]*).*/\1/' | tr '\n' ' ')
		if [ -e "$2/stalled" ]; then
			why="stopped after $(cat "$2/stalled")s without a line from its tests"
		else
			why="after ${BOOT_TIMEOUT}s at most"
		fi
		echo "$rel: $p passed, $((f + 1)) failed, $s skipped (failed: ${names}the guest did not finish" \
			"($why): $(tail -c 300 "$log.txt" | tr '\n' ' '))"
		return 1
	fi
	p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log.txt" | tail -1)
	f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log.txt" | tail -1)
	s=$(sed -n 's/^\([0-9]*\) skipped$/\1/p' "$log.txt" | tail -1)
	names=$(grep -E '^(FAIL |  FAIL [a-z_]+:?)' "$log.txt" | sed -E 's/^ *FAIL ([^ :]*).*/\1/' | sort -u | tr '\n' ' ')
	echo "$rel: ${p:-0} passed, ${f:-1} failed, ${s:-0} skipped${names:+ (failed: ${names% })}"
	[ "${f:-1}" -eq 0 ]
}

[ -x osiscope ] && [ -x "$OUTPUT/unit-tests" ] || die "build first: make all $OUTPUT/unit-tests helpers"
build_root
runs=${OSI_KERNEL_RUNS:-$TREE/$OUTPUT/kernels} # console logs, probe output, results
mkdir -p "$runs"
rels=()
for s in "${SUITES[@]}"; do
	rel=$(fetch_kernel "$s")
	modules_cpio "$rel"
	rels+=("$rel")
done
flock -u 9
payload_cpio "$runs"
# run_kernel RELEASE: boots it and writes its line (and its probe output, its results)
run_kernel() {
	local rel=$1 w=$runs/$1 start line
	rm -rf "$w"
	mkdir -p "$w"
	start=$(date +%s)
	boot "$rel" "$w"
	line=$(report "$rel" "$w") || true
	line="$line [$(timing "$w" "$start")]"
	echo "$line"
	echo "$line" >"$w/line.txt"
	sed -n '/^OSIK-PROBE-BEGIN/,/^OSIK-PROBE-END/p' "$w/console.log.txt" | sed '1d;$d' >"$w/probe.txt"
	grep -E '^(PASS|FAIL|SKIP) ' "$w/console.log.txt" >"$w/results.txt" || true
}
# JOBS kernels at once: a guest keeps about one core busy (its scenarios mostly wait),
# so two guests on two cores finish sooner than one after the other
pids=()
for rel in "${rels[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
	run_kernel "$rel" &
	pids+=($!)
done
wait "${pids[@]}" || true
total_fail=0
sum_p=0 sum_f=0
lines=()
for rel in "${rels[@]}"; do
	line=$(cat "$runs/$rel/line.txt" 2>/dev/null || echo "$rel: 0 passed, 1 failed (no result)")
	lines+=("$line")
	sum_p=$((sum_p + $(echo "$line" | sed -E 's/^[^ ]* ([0-9]+) passed.*/\1/')))
	f=$(echo "$line" | sed -E 's/^[^ ]* [0-9]+ passed, ([0-9]+) failed.*/\1/')
	sum_f=$((sum_f + f))
	[ "$f" -eq 0 ] || total_fail=$((total_fail + 1))
done
echo "== kernels (console logs under $runs)"
printf '%s\n' "${lines[@]}"
rm -f "$runs/payload.cpio"
scripts/kernel-table.sh "$runs" >"$runs/table.md" && echo "README table: $runs/table.md"
echo "kernels: $sum_p passed, $sum_f failed"
[ "$total_fail" -eq 0 ]
exit
}
