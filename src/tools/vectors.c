/*
 * vectors.c: tally-vectors prints the transaction test vectors as JSON on stdout
 * (`make vectors` writes them to test/vectors/transactions.json). Other clients
 * check their encoder, hash and signer against that file; Tally's tests check
 * that the file still matches this build.
 */
#include <stdio.h>

#include <jansson.h>

#include "tally.h"
#include "tools/vectors_build.h"

int main(void) {
    if (!tally_crypto_init()) {
        fprintf(stderr, "tally-vectors: libsodium failed to initialise\n");
        return 1;
    }
    json_t *document = vectors_build();
    if (document == NULL) {
        fprintf(stderr, "tally-vectors: could not build the vectors\n");
        return 1;
    }
    int failed = json_dumpf(document, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(document);
    if (failed != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        fprintf(stderr, "tally-vectors: could not write the vectors\n");
        return 1;
    }
    return 0;
}
