// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ELF symbol lookup (user/tls_elf.c): files any container can put in a library
 * directory. Never a read outside the image; work within the symbol budget. */
#include <elf.h>

#include "fuzz.h"
#include "tls_elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int machines[] = { EM_X86_64, EM_AARCH64 };
	struct tls_sym syms[TLS_SYM_COUNT];

	for (size_t m = 0; m < 2; m++) {
		uint64_t examined = 0;
		int n = tls_elf_lookup_work(data, size, machines[m], syms, &examined);

		FUZZ_CHECK(examined <= TLS_ELF_MAX_SYMS, "symbol budget exceeded");
		FUZZ_CHECK(n <= TLS_SYM_COUNT, "more found than looked for");
		for (int k = 0; n > 0 && k < TLS_SYM_COUNT; k++) {
			if (!syms[k].found)
				continue;
			FUZZ_CHECK(syms[k].off < size && syms[k].ncode <= sizeof(syms[k].code),
				   "symbol outside the file");
			tls_probe_skip(TLS_ARCH_X86_64, syms[k].code, syms[k].ncode);
			tls_version_field(m ? TLS_ARCH_ARM64 : TLS_ARCH_X86_64, syms[k].code,
					  syms[k].ncode);
		}
	}
	return 0;
}
