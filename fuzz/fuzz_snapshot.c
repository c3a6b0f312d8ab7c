/*
 * fuzz_snapshot.c: libFuzzer harness for snapshots: tally_state_deserialize on
 * arbitrary bytes; a state that loads must pass tally_check_invariants and
 * serialize back to exactly the input. The checks are fuzz_check_snapshot
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
    if (!fuzz_check_snapshot(data, size, why, sizeof why)) {
        fprintf(stderr, "fuzz_snapshot: %s\n", why);
        abort();
    }
    return 0;
}
