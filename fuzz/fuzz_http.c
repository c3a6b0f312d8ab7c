/*
 * fuzz_http.c: libFuzzer harness for the HTTP API's request parsing
 * (src/node/submission.c, without the server): the bodies of POST /v1/transactions
 * in both forms (JSON with hex, binary frames) under a content type picked by the
 * first byte, and the query-string numbers. Refusals must be well formed, accepted
 * bodies must account for every item, decoded transactions must be canonical. The
 * checks are fuzz_check_http (fuzz_checks.h), shared with the regression test.
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
    if (!fuzz_check_http(data, size, why, sizeof why)) {
        fprintf(stderr, "fuzz_http: %s\n", why);
        abort();
    }
    return 0;
}
