// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc/PID/maps lines (user/tls_util.c): paths are what processes named their files. */
#include "fuzz.h"
#include "tls_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), *line, *save = NULL;

	if (!text)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct tls_maps_entry e;

		if (!tls_maps_parse(line, &e)) {
			FUZZ_CHECK(e.path >= text && e.path <= text + size,
				   "path outside the line");
			tls_lib_kind(e.path);
		}
	}
	free(text);
	return 0;
}
