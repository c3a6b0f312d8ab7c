/*
 * fuzz_block.c: libFuzzer harness for blocks: tally_block_decode on arbitrary bytes;
 * a block that decodes must re-encode to exactly those bytes, tally_block_check
 * against the fuzz chain's genesis tip must answer without crashing, and a block it
 * passes is applied to the genesis state. The checks are fuzz_check_block
 * (fuzz_checks.h), shared with the regression test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_checks.h"
#include "fuzz_world.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    (void)fuzz_world_get(); /* built once, not in the first input's time */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char why[FUZZ_WHY_MAX];
    if (!fuzz_check_block(data, size, why, sizeof why)) {
        fprintf(stderr, "fuzz_block: %s\n", why);
        abort();
    }
    return 0;
}
