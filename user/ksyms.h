/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_KSYMS_H
#define OSISCOPE_KSYMS_H

#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

/*
 * Kernel text symbols from /proc/kallsyms: the whole table to say where something
 * happened ("nf_hook_slow+0x9c": a few MB, loaded only for trace), or in one pass the
 * address ranges of a few functions (for BPF programs that recognise a call site).
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

/*
 * Finds in a /proc/kallsyms listing the text symbols names[i] ("t"/"T", module ones
 * included) and sets [start[i], end[i]) to the address range up to the next higher
 * symbol. Names not found, or listed at address 0 (kptr_restrict), get 0, 0. Returns
 * how many ranges were found.
 */
int ksyms_ranges(FILE *f, const char *const *names, size_t n, uint64_t *start, uint64_t *end);

#endif
