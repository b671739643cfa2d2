#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Installs what osiscope needs to build, run and test, from Debian 12 packages only.
# Idempotent: quiet and quick when everything is already present.
# `deps.sh bench` also installs what make bench compares against; `deps.sh fuzz` what
# make fuzz links with; `deps.sh kernels` what make test-kernels needs (qemu,
# debootstrap, cpio).
set -euo pipefail

# package -> a file it provides, so the check needs no dpkg query per package
declare -A need=(
	[make]=/usr/bin/make
	[gcc]=/usr/bin/gcc
	[clang]=/usr/bin/clang
	[llvm]=/usr/bin/llvm-strip
	[pkg-config]=/usr/bin/pkg-config
	[libbpf-dev]=/usr/include/bpf/libbpf.h
	[bpftool]=/usr/sbin/bpftool
	[libelf-dev]=/usr/include/libelf.h
	[zlib1g-dev]=/usr/include/zlib.h
	[libmicrohttpd-dev]=/usr/include/microhttpd.h
	[libssl-dev]=/usr/include/openssl/ssl.h
	[openssl]=/usr/bin/openssl
	[iproute2]=/usr/sbin/ip
	[nftables]=/usr/sbin/nft
	[iptables]=/usr/sbin/iptables
	[curl]=/usr/bin/curl
	[prometheus]=/usr/bin/promtool
	[procps]=/usr/bin/pgrep
	[iputils-arping]=/usr/bin/arping
	[psmisc]=/usr/bin/killall
	[dnsmasq-base]=/usr/sbin/dnsmasq # dns tests; -base: the binary only, no service started
	# deploy/ checks (tests/scenario/84_deploy.sh): kubectl kustomize, the schema check,
	# systemd-analyze verify of the unit, the man page
	[kubernetes-client]=/usr/bin/kubectl
	[python3-yaml]=/usr/lib/python3/dist-packages/yaml/__init__.py
	[systemd]=/usr/bin/systemd-analyze
	[groff-base]=/usr/bin/groff
	[jq]=/usr/bin/jq # diagnose tests read its JSON
)

# `deps.sh fuzz`: libFuzzer and the sanitizer runtimes of Debian's clang (make fuzz)
if [ "${1:-}" = fuzz ]; then
	need[libclang-rt-14-dev]=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
fi

if [ "${1:-}" = bench ]; then
	need[iperf3]=/usr/bin/iperf3
	need[libbpf-tools]=/usr/sbin/tcpstates
	need[bpftrace]=/usr/bin/bpftrace
fi
if [ "${1:-}" = kernels ]; then
	need[qemu-system-x86]=/usr/bin/qemu-system-x86_64
	need[debootstrap]=/usr/sbin/debootstrap
	need[cpio]=/usr/bin/cpio
	need[zstd]=/usr/bin/zstd
	need[xz-utils]=/usr/bin/xz
	need[kmod]=/usr/sbin/depmod # depmod for the guest's module subset
fi

missing=()
for pkg in "${!need[@]}"; do
	[ -e "${need[$pkg]}" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages (${missing[*]}) and not root: run as root or install them" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Only refresh the package lists when they are absent or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
	apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
fi
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The prometheus package starts a server on :9090; we only want promtool.
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null; then
	systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
