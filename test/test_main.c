/*
 * test_main.c: the runner. Runs every registered test (or those whose name contains
 * argv[1]) in name order and prints "N passed, N failed" as its last line; exits 1 when
 * any failed.
 */
#include "test.h"

#include <stdlib.h>

#include "tally.h"

#define TESTS_MAX 1024

typedef struct {
    const char *name;
    test_function function;
} test_entry;

static test_entry tests[TESTS_MAX];
static int test_count;
static int current_failures;

void test_register(const char *name, test_function function) {
    if (test_count == TESTS_MAX) {
        fprintf(stderr, "too many tests: raise TESTS_MAX\n");
        exit(2);
    }
    tests[test_count++] = (test_entry){name, function};
}

void test_fail(const char *file, int line, const char *what) {
    current_failures++;
    if (current_failures <= 20) fprintf(stderr, "    FAIL %s:%d: %s\n", file, line, what);
}

int test_current_failed(void) { return current_failures; }

static int compare_tests(const void *a, const void *b) {
    return strcmp(((const test_entry *)a)->name, ((const test_entry *)b)->name);
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    if (!tally_crypto_init()) {
        fprintf(stderr, "libsodium failed to initialise\n");
        return 2;
    }
    qsort(tests, (size_t)test_count, sizeof tests[0], compare_tests);
    int passed = 0, failed = 0;
    for (int i = 0; i < test_count; i++) {
        if (filter && !strstr(tests[i].name, filter)) continue;
        current_failures = 0;
        tests[i].function();
        if (current_failures == 0) {
            passed++;
            printf("ok   %s\n", tests[i].name);
        } else {
            failed++;
            printf("FAIL %s (%d checks failed)\n", tests[i].name, current_failures);
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
