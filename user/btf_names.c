// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "btf_names.h"

#include <bpf/btf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"

const char *btf_enum_name(const char *type, int64_t v, const char *prefix, char *out,
			  size_t outlen)
{
	return btf_enum_name_in(probe_kernel_btf(), type, v, prefix, out, outlen);
}

const char *btf_enum_name_in(const struct btf *btf, const char *type, int64_t v,
			     const char *prefix, char *out, size_t outlen)
{
	const struct btf_type *t;
	int id;

	if (!btf)
		return NULL;
	id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	if (id < 0)
		id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM64);
	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, id);
	/* libbpf takes a header length that is no multiple of 4, and then hands out
	 * misaligned types (found by tests/fuzz/fuzz_btf); no kernel writes such BTF */
	if (!t || (uintptr_t)t % _Alignof(struct btf_type))
		return NULL;
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *name;
		int64_t val;

		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t) + i;

			name = btf__name_by_offset(btf, e->name_off);
			val = btf_kflag(t) ? (int64_t)(int32_t)e->val : (int64_t)(uint32_t)e->val;
		} else {
			const struct btf_enum64 *e = btf_enum64(t) + i;

			name = btf__name_by_offset(btf, e->name_off);
			val = (int64_t)btf_enum64_value(e);
		}
		if (val != v || !name)
			continue;
		if (prefix && !strncmp(name, prefix, strlen(prefix)))
			name += strlen(prefix);
		snprintf(out, outlen, "%s", name);
		return out;
	}
	return NULL;
}
