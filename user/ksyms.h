/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_DROP_KSYMS_H
#define OSISCOPE_DROP_KSYMS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Kernel text symbols from /proc/kallsyms, to say where a drop happened
 * ("nf_hook_slow+0x9c"). Loaded only for trace (a few MB), once.
 */
struct ksym {
	uint64_t addr;
	uint32_t name; /* offset in names */
};

struct ksyms {
	struct ksym *v;
	size_t n, cap;
	char *names;
	size_t nlen, ncap;
};

/* Reads text symbols (types t/T) from path. 0, or -errno; -EPERM when the addresses
 * are hidden (kernel.kptr_restrict) and all read as zero. */
int ksyms_load(struct ksyms *k, const char *path);
void ksyms_free(struct ksyms *k);
/* "func+0x1c" for an address inside a known function, else "0xffffffff81..."; buf. */
const char *ksyms_format(const struct ksyms *k, uint64_t addr, char *buf, size_t len);

#endif
