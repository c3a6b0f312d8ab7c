/*
 * test.h: Tally's small test registry. TEST(name) defines a test and registers it
 * before main runs; CHECK* macros record a failure with file and line and let the
 * test go on; REQUIRE* stop the test at the first failure. The runner (test_main.c)
 * runs all tests, or those whose name contains the first argument, and ends with
 * the line "N passed, N failed".
 */
#ifndef TALLY_TEST_H
#define TALLY_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_function)(void);
void test_register(const char *name, test_function function);
void test_fail(const char *file, int line, const char *what);
int test_current_failed(void);

#define TEST(name)                                                                  \
    static void test_##name(void);                                                  \
    __attribute__((constructor)) static void test_register_##name(void) {          \
        test_register(#name, test_##name);                                          \
    }                                                                               \
    static void test_##name(void)

#define CHECK(condition)                                                            \
    do {                                                                            \
        if (!(condition)) test_fail(__FILE__, __LINE__, #condition);                \
    } while (0)

#define REQUIRE(condition)                                                          \
    do {                                                                            \
        if (!(condition)) {                                                         \
            test_fail(__FILE__, __LINE__, #condition);                              \
            return;                                                                 \
        }                                                                           \
    } while (0)

/* Integer equality that prints both sides. */
#define CHECK_EQ(actual, expected)                                                  \
    do {                                                                            \
        long long check_actual_ = (long long)(actual);                              \
        long long check_expected_ = (long long)(expected);                          \
        if (check_actual_ != check_expected_) {                                     \
            char check_text_[512];                                                  \
            snprintf(check_text_, sizeof check_text_, "%s == %s (got %lld, want %lld)", \
                     #actual, #expected, check_actual_, check_expected_);           \
            test_fail(__FILE__, __LINE__, check_text_);                             \
        }                                                                           \
    } while (0)

/* Error-code equality that prints both names. */
#define CHECK_CODE(actual, expected)                                                \
    do {                                                                            \
        tally_error check_actual_ = (actual);                                       \
        tally_error check_expected_ = (expected);                                   \
        if (check_actual_ != check_expected_) {                                     \
            char check_text_[512];                                                  \
            snprintf(check_text_, sizeof check_text_, "%s is %s, want %s", #actual, \
                     tally_error_name(check_actual_), tally_error_name(check_expected_)); \
            test_fail(__FILE__, __LINE__, check_text_);                             \
        }                                                                           \
    } while (0)

#endif
