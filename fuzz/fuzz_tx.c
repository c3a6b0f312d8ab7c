/*
 * fuzz_tx.c: libFuzzer harness for transactions: tally_tx_decode on arbitrary bytes;
 * a transaction that decodes must re-encode to exactly those bytes, and is applied
 * with tally_apply to a copy of a prepared state (two networks, members, lines,
 * debts, a default, a reserve asset and a funded pool). Three control bytes in
 * front let the fuzzer sign as a prepared member with its next sequence, aim the
 * key field at a member and pick the block time, so inputs reach the deep rules.
 * After it the invariants must hold and a refusal must leave the state hash as it
 * was. The checks are fuzz_check_tx (fuzz_checks.h), shared with the regression test.
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
    if (!fuzz_check_tx(data, size, why, sizeof why)) {
        fprintf(stderr, "fuzz_tx: %s\n", why);
        abort();
    }
    return 0;
}
