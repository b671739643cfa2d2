// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Runs every TEST() linked in; prints "ok NAME" / "FAIL NAME" per test and a last line
 * "unit: N passed, N failed". Exit 1 if any failed. An argument runs only the tests
 * whose name contains it. */
#include <stdio.h>
#include <string.h>

#include "test.h"

int test__failed;

extern const struct unit_test __start_unit_tests[];
extern const struct unit_test __stop_unit_tests[];

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (const struct unit_test *t = __start_unit_tests; t < __stop_unit_tests; t++) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		test__failed = 0;
		t->fn();
		printf("%s %s\n", test__failed ? "FAIL" : "ok", t->name);
		if (test__failed)
			failed++;
		else
			passed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
