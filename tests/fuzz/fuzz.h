/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libFuzzer harnesses for every parser of input the agent does not control (issue 12).
 * Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput; `make fuzz` links it with
 * libFuzzer (clang -fsanitize=fuzzer,address,undefined), and `make test` links it with
 * driver.c under ASan+UBSan to replay tests/fuzz/corpus/NAME and tests/fuzz/regress/NAME.
 * A harness aborts (FUZZ_CHECK) when a property that must hold does not: bounded work,
 * valid output, distinct values kept distinct.
 */
#ifndef OSISCOPE_FUZZ_H
#define OSISCOPE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, what)                                                    \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, what); \
			abort();                                                  \
		}                                                                 \
	} while (0)

/* A NUL-terminated heap copy of the input (freed by the caller). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
