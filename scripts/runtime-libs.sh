#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# runtime-libs.sh BINARY ROOT: BINARY as ROOT/usr/sbin/osiscope with exactly the shared
# libraries it links (as ldd resolves them here, the loader too) under ROOT: the
# runtime image's content (deploy/Dockerfile), checked by chroot in tests.
set -eu
bin=$1
root=$2
install -D -m 0755 "$bin" "$root/usr/sbin/osiscope"
ldd "$bin" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
