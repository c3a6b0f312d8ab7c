/*
 * test_fuzz_regressions.c: every input the fuzzers once failed on
 * (fuzz/regressions/<fuzzer>/) and every seed (fuzz/corpus/<fuzzer>/) goes through
 * the fuzzer's own check (fuzz/fuzz_checks.h) here, under the test build's
 * sanitizers, so a fixed bug stays fixed without running libFuzzer and the checks
 * themselves are exercised by `make test`. A new crash becomes a test by saving its
 * input under fuzz/regressions/<fuzzer>/.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/fuzz_checks.h"
#include "test.h"

#define INPUT_BYTES_MAX (4u << 20)
#define INPUTS_MAX 4096u
#define PATH_BYTES 512u

typedef bool fuzz_check(const uint8_t *data, size_t size, char *why, size_t why_size);

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint8_t *read_input(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    uint8_t *bytes = malloc(INPUT_BYTES_MAX);
    *length = bytes ? fread(bytes, 1, INPUT_BYTES_MAX, file) : 0;
    bool whole = bytes && !ferror(file) && fgetc(file) == EOF;
    fclose(file);
    if (!whole) {
        free(bytes);
        return NULL;
    }
    return bytes;
}

/* Runs every file of directory (in name order) through check; returns how many
 * there were (0 when the directory is missing). */
static unsigned run_directory(const char *directory, fuzz_check *check) {
    DIR *listing = opendir(directory);
    if (!listing) return 0;
    char **names = calloc(INPUTS_MAX, sizeof *names);
    unsigned count = 0;
    struct dirent *entry;
    while (names && (entry = readdir(listing)) != NULL) {
        if (entry->d_name[0] == '.') continue;
        if (count == INPUTS_MAX) {
            test_fail(__FILE__, __LINE__, "too many inputs in one directory: raise INPUTS_MAX");
            break;
        }
        names[count] = strdup(entry->d_name);
        if (names[count]) count++;
    }
    closedir(listing);
    if (!names) return 0;
    qsort(names, count, sizeof *names, compare_names);
    for (unsigned i = 0; i < count; i++) {
        char path[PATH_BYTES], why[FUZZ_WHY_MAX], failure[PATH_BYTES + FUZZ_WHY_MAX + 8];
        snprintf(path, sizeof path, "%s/%s", directory, names[i]);
        size_t length = 0;
        uint8_t *bytes = read_input(path, &length);
        if (!bytes) {
            snprintf(failure, sizeof failure, "%s: cannot be read", path);
            test_fail(__FILE__, __LINE__, failure);
        } else if (!check(bytes, length, why, sizeof why)) {
            snprintf(failure, sizeof failure, "%s: %s", path, why);
            test_fail(__FILE__, __LINE__, failure);
        }
        free(bytes);
        free(names[i]);
    }
    free(names);
    return count;
}

/* The seeds must be there (they are committed); regressions may not be yet. */
static void run_fuzzer_inputs(const char *fuzzer, fuzz_check *check) {
    char directory[PATH_BYTES];
    snprintf(directory, sizeof directory, "fuzz/corpus/%s", fuzzer);
    unsigned seeds = run_directory(directory, check);
    CHECK(seeds > 0);
    snprintf(directory, sizeof directory, "fuzz/regressions/%s", fuzzer);
    (void)run_directory(directory, check);
}

TEST(fuzz_regressions_tx) { run_fuzzer_inputs("tx", fuzz_check_tx); }
TEST(fuzz_regressions_block) { run_fuzzer_inputs("block", fuzz_check_block); }
TEST(fuzz_regressions_snapshot) { run_fuzzer_inputs("snapshot", fuzz_check_snapshot); }
TEST(fuzz_regressions_http) { run_fuzzer_inputs("http", fuzz_check_http); }

/* Inputs too short to hold the control bytes, or with an empty body. */
TEST(fuzz_checks_accept_short_and_empty_inputs) {
    char why[FUZZ_WHY_MAX];
    static const uint8_t nothing[1] = {0};
    CHECK(fuzz_check_tx(nothing, 0, why, sizeof why));
    CHECK(fuzz_check_block(nothing, 0, why, sizeof why));
    CHECK(fuzz_check_snapshot(nothing, 0, why, sizeof why));
    CHECK(fuzz_check_http(nothing, 0, why, sizeof why));
    CHECK(fuzz_check_http(nothing, 1, why, sizeof why));
}
