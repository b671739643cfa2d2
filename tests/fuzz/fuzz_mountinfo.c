// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc/self/mountinfo (user/tls_cgroup.c): mount points are paths a container may
 * have chosen. The parser reads a file: the input goes through a memfd. */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "tls_cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], out[256];
	int fd = memfd_create("mountinfo", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!tls_cgroup2_root(path, out, sizeof(out)))
			FUZZ_CHECK(memchr(out, '\0', sizeof(out)), "unterminated mount point");
	}
	close(fd);
	return 0;
}
