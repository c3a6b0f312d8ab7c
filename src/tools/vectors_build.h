/*
 * vectors_build.h: the transaction test vectors for authors of other clients
 * (docs/ENCODING.md), built from Tally's own encoder, hash and signer. The tool
 * tally-vectors prints them to test/vectors/transactions.json, and the tests check
 * that the file still matches what this code builds.
 */
#ifndef TALLY_TOOLS_VECTORS_BUILD_H
#define TALLY_TOOLS_VECTORS_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tally.h"

#define VECTORS_FORMAT "tally-transaction-vectors"
#define VECTORS_SEED_BYTES 32u

/* The whole document. NULL when out of memory. Call tally_crypto_init first. */
json_t *vectors_build(void);

/* The body of tx as a JSON object, field by field in encoding order: integers as
 * numbers, bools as true/false, keys as lowercase hex, text as strings; policy
 * fields nested under "policy". NULL for an unknown type or out of memory. */
json_t *vectors_body_json(const tally_tx *tx);

/* One vector: tx signed with the key of seed (tx->signer must be its public key;
 * tx->signature is overwritten), with its fields, unsigned bytes, hash, signature,
 * signed bytes and the signer's address. note may be NULL. NULL on failure. */
json_t *vectors_entry_json(const char *name, const char *note,
                           const uint8_t seed[VECTORS_SEED_BYTES], tally_tx *tx);

/* Lowercase hex of bytes into out (2 * length + 1 bytes). */
void vectors_hex(const uint8_t *bytes, size_t length, char *out);

/* Parses hex (an even number of hex digits, at most 2 * out_capacity) into out and
 * sets *length; false on anything else. */
bool vectors_unhex(const char *hex, uint8_t *out, size_t out_capacity, size_t *length);

#endif
