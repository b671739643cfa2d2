/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_BTF_NAMES_H
#define OSISCOPE_BTF_NAMES_H

#include <stddef.h>
#include <stdint.h>

/*
 * Names the kernel defines, read from the running kernel's BTF so labels follow the
 * kernel instead of a table of ours. Looks up the enumerator of enum `type` whose
 * value is v, strips `prefix` if present, and lowercases nothing (kernel names as is).
 * Returns out, or NULL when the kernel has no such enum or value.
 */
const char *btf_enum_name(const char *type, int64_t v, const char *prefix, char *out,
			  size_t outlen);
/* The same in a given BTF (a module's, or a test's); NULL btf names nothing. */
struct btf;
const char *btf_enum_name_in(const struct btf *btf, const char *type, int64_t v,
			     const char *prefix, char *out, size_t outlen);

#endif
