/*
 * test.h: the smallest harness that says what failed and where.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_STR(a, "b"); }
 *   int main(void) { RUN(name); ...; return test_summary(); }
 *
 * Each test prints "PASS: file: name" or "FAIL: file: name: file:line: what".
 * tests/run.sh counts these lines across every test program and prints the
 * closing line "N passed, N failed".  A check failure ends that test only.
 */
#ifndef BALIE_TEST_H
#define BALIE_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_count, test_passed_count;
static int test_cur_failed;
static const char *test_cur_name;

#define TEST(name) static void test_##name(void)

#define TEST_FAIL_(...)                                                        \
	do {                                                                   \
		if (!test_cur_failed)                                          \
			printf("FAIL: %s: %s: %s:%d: ", __FILE__, test_cur_name, __FILE__, __LINE__); \
		else                                                           \
			printf("      also %s:%d: ", __FILE__, __LINE__);          \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		test_cur_failed = 1;                                           \
	} while (0)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			TEST_FAIL_("CHECK(%s)", #cond);                        \
			return;                                                \
		}                                                              \
	} while (0)

/* Like CHECK but goes on with the test. */
#define EXPECT(cond)                                                           \
	do {                                                                   \
		if (!(cond))                                                   \
			TEST_FAIL_("EXPECT(%s)", #cond);                       \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                       \
			TEST_FAIL_("%s == \"%s\", expected \"%s\"", #a,        \
			           a_ ? a_ : "(null)", b_ ? b_ : "(null)");     \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_INT(a, b)                                                        \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			TEST_FAIL_("%s == %lld, expected %lld", #a, a_, b_);   \
			return;                                                \
		}                                                              \
	} while (0)

#define RUN(name)                                                              \
	do {                                                                   \
		test_cur_name = #name;                                         \
		test_cur_failed = 0;                                           \
		test_##name();                                                 \
		if (test_cur_failed)                                           \
			test_failed_count++;                                   \
		else {                                                         \
			test_passed_count++;                                   \
			printf("PASS: %s: %s\n", __FILE__, #name);             \
		}                                                              \
		fflush(stdout);                                                \
	} while (0)

static inline int test_summary(void)
{
	return test_failed_count ? 1 : 0;
}

/* Directory holding the fixtures, set by tests/run.sh (default tests/fixtures). */
static inline const char *test_fixture_dir(void)
{
	const char *d = getenv("BALIE_FIXTURES");
	return d ? d : "tests/fixtures";
}

#endif
