// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Replays inputs through a harness without libFuzzer (make test, under ASan+UBSan):
 * driver DIR... runs every file of each DIR, prints "ok fuzz_NAME: N inputs" and exits
 * 0; a failed check or a sanitizer report ends it non-zero. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "FAIL %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);

			if (!nb) {
				fclose(f);
				free(buf);
				return -1;
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	/* an exact-size copy, so that a read past the input is ASan's to catch */
	uint8_t *exact = malloc(len ? len : 1);

	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	unsigned int inputs = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *de;

		if (!d)
			continue; /* a harness with no regression inputs yet */
		while ((de = readdir(d))) {
			char path[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			if (run_file(path)) {
				closedir(d);
				printf("FAIL %s: %s\n", name, path);
				return 1;
			}
			inputs++;
		}
		closedir(d);
	}
	if (!inputs) {
		printf("FAIL %s: no inputs\n", name);
		return 1;
	}
	printf("ok %s: %u inputs\n", name, inputs);
	return 0;
}
