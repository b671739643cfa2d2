// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Enum names out of BTF (user/btf_names.c): module BTF under /sys/kernel/btf. Every enum
 * of the input is looked up by name and a few values. */
#include <bpf/btf.h>

#include "btf_names.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btf *btf = btf__new(data, (__u32)size);
	char out[64];

	if (!btf) /* libbpf 1.x: NULL and errno on error */
		return 0;
	for (__u32 id = 1; id < btf__type_cnt(btf) && id < 256; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;

		if (!t || (uintptr_t)t % _Alignof(struct btf_type) ||
		    (!btf_is_enum(t) && !btf_is_enum64(t)))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		for (int64_t v = -1; name && v < 4; v++)
			if (btf_enum_name_in(btf, name, v, "SKB_DROP_REASON_", out, sizeof(out)))
				FUZZ_CHECK(memchr(out, '\0', sizeof(out)), "unterminated name");
	}
	btf_enum_name_in(btf, "skb_drop_reason", 2, "SKB_DROP_REASON_", out, sizeof(out));
	btf__free(btf);
	return 0;
}
