/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_TEST_H
#define OSISCOPE_TEST_H

/* Unit test harness in the style of the kernel's BPF selftests: ASSERT_* print what
 * was expected and what came, mark the current test failed and evaluate to a bool. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern int test__failed;

#define TEST_FAIL(fmt, ...)                                                                 \
	({                                                                                  \
		fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__);  \
		test__failed = 1;                                                           \
		false;                                                                      \
	})

#define ASSERT_TRUE(cond, what) ((cond) ? true : TEST_FAIL("%s: expected true", what))
#define ASSERT_EQ(a, b, what)                                                               \
	({                                                                                  \
		long long __a = (long long)(a), __b = (long long)(b);                       \
		__a == __b ? true : TEST_FAIL("%s: got %lld, want %lld", what, __a, __b);   \
	})
#define ASSERT_OK(err, what)                                                                \
	({                                                                                  \
		long long __e = (long long)(err);                                           \
		__e == 0 ? true : TEST_FAIL("%s: error %lld", what, __e);                   \
	})
#define ASSERT_ERR(err, what)                                                               \
	({                                                                                  \
		long long __e = (long long)(err);                                           \
		__e != 0 ? true : TEST_FAIL("%s: expected an error", what);                 \
	})
#define ASSERT_OK_PTR(p, what) ((p) ? true : TEST_FAIL("%s: NULL", what))
#define ASSERT_STREQ(a, b, what)                                                            \
	({                                                                                  \
		const char *__a = (a), *__b = (b);                                          \
		(__a && __b && !strcmp(__a, __b))                                           \
			? true                                                              \
			: TEST_FAIL("%s: got \"%s\", want \"%s\"", what, __a ? __a : "(null)", \
				    __b ? __b : "(null)");                                  \
	})
#define ASSERT_CONTAINS(hay, needle, what)                                                  \
	({                                                                                  \
		const char *__h = (hay), *__n = (needle);                                   \
		(__h && strstr(__h, __n)) ? true                                            \
					  : TEST_FAIL("%s: \"%s\" not found in:\n%s", what, \
						      __n, __h ? __h : "(null)");           \
	})

struct unit_test {
	const char *name;
	void (*fn)(void);
};

/* Each tests/unit/<x>.c defines TEST(name) functions; the section collects them. */
#define TEST(n)                                                                             \
	static void test_##n(void);                                                         \
	static const struct unit_test __test_##n                                            \
		__attribute__((used, section("unit_tests"), aligned(8))) = { #n, test_##n }; \
	static void test_##n(void)

#endif
