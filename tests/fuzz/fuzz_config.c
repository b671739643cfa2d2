// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Command-line flags (user/config.c): the input split at NULs into argv. */
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), *argv[34], err[256];
	struct config cfg;
	int argc = 0;

	if (!text)
		return 0;
	argv[argc++] = "osiscope";
	for (size_t o = 0; o <= size && argc < 33; o += strlen(text + o) + 1)
		argv[argc++] = text + o;
	argv[argc] = NULL;
	err[0] = '\0';
	if (config_parse(argc, argv, &cfg, err, sizeof(err)))
		FUZZ_CHECK(err[0] && memchr(err, '\0', sizeof(err)), "an error without a reason");
	free(text);
	return 0;
}
