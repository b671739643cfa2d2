#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# /init of the make test-kernels guest (an initramfs of a debootstrap root, the kernel's
# network modules and the built tree under /osiscope). Runs the unit tests and the
# scenarios named on the kernel command line (osi.tests=a,b,c or osi.tests=all), prints
# `osiscope probe` between markers, then powers the machine off. The guest has loopback
# only: qemu gives it no network device.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# what udev would make: bash's process substitution, <(...), reads /dev/fd/N (without it
# 32, 34 and 35 read "grep: /dev/fd/63: No such file or directory" and wait until they time out)
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /run/netns /run/lock
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo 1 >/proc/sys/kernel/printk # the console is the test report: keep the kernel quiet
ulimit -l unlimited
ulimit -n 65536
hostname osiscope-guest
ip link set lo up

tests=$(sed -n 's/.*osi\.tests=\([^ ]*\).*/\1/p' /proc/cmdline)
scale=$(sed -n 's/.*osi\.wait_scale=\([0-9]*\).*/\1/p' /proc/cmdline)
# uptime: the host tells the boot (kernel, initramfs unpacked) from the tests
echo "OSIK-BEGIN $(uname -r) up=$(cut -d' ' -f1 /proc/uptime)"
# What the scenarios need that the kernel has as modules; the rest loads on demand.
for m in veth dummy sch_ingress sch_netem cls_bpf act_bpf nf_tables nft_reject nft_reject_inet \
	nf_conntrack ip_tables iptable_filter ip6_tables ip6table_filter ipt_REJECT ip6t_REJECT \
	nft_compat x_tables xt_tcpudp; do
	modprobe -q "$m" 2>/dev/null
done

cd /osiscope || exit 1
# the ASan builds and fuzz replays depend on no kernel and are not in the guest
export OSI_BIN=/osiscope/osiscope OUTPUT=/osiscope/.output OSI_LOG_DIR=/tmp/logs OSI_NO_ASAN=1
export OSI_WAIT_SCALE=${scale:-5} OSI_SCENARIO_TIMEOUT=$((120 * ${scale:-5}))
echo "OSIK-PROBE-BEGIN"
./osiscope probe 2>&1
echo "OSIK-PROBE-END"
if [ -x /osiscope/guest-cmd.sh ]; then # OSI_GUEST_CMD: a command of one's own instead
	/osiscope/guest-cmd.sh 2>&1
elif [ "$tests" = all ] || [ -z "$tests" ]; then
	OSI_WITH_UNIT=1 tests/run.sh 2>&1
else
	# shellcheck disable=SC2086 # one pattern per scenario
	OSI_WITH_UNIT=1 tests/run.sh ${tests//,/ } 2>&1
fi
echo "OSIK-END rc=$? up=$(cut -d' ' -f1 /proc/uptime)"
sync
echo o >/proc/sysrq-trigger
sleep 30
