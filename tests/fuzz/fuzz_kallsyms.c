// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc/kallsyms listings (user/ksyms.c): module symbol names come from modules. */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "ksyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "tcp_v4_rcv", "kfree_skb_reason", "a" };
	uint64_t start[3], end[3];
	struct ksyms k;
	char path[64], buf[128];
	FILE *f = fmemopen((void *)data, size ? size : 1, "r");
	int fd;

	if (f && size) {
		ksyms_ranges(f, names, 3, start, end);
		for (int i = 0; i < 3; i++)
			FUZZ_CHECK(start[i] <= end[i] || !end[i], "range");
	}
	if (f)
		fclose(f);
	fd = memfd_create("kallsyms", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!ksyms_load(&k, path)) {
			for (uint64_t a = 0; a < 64; a += 7)
				ksyms_format(&k, a << (a % 60), buf, sizeof(buf));
			if (k.n)
				ksyms_format(&k, k.v[k.n / 2].addr, buf, sizeof(buf));
		}
		ksyms_free(&k);
	}
	close(fd);
	return 0;
}
