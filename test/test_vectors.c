/*
 * test_vectors.c: the published test vectors (test/vectors/transactions.json).
 * The file must match, byte for byte, what this build's encoder, hash and signer
 * produce; every vector is also checked against libsodium directly; and the
 * decoder is hardened on every vector: all truncations and all single-byte
 * mutations (but of the longest batch: see mutation_values). Tests run from the
 * repository root.
 */
#include <stdlib.h>

#include <jansson.h>
#include <sodium.h>

#include "tally.h"
#include "test.h"
#include "tools/vectors_build.h"

#define VECTORS_PATH "test/vectors/transactions.json"

static json_t *load_vectors(void) {
    json_error_t error;
    json_t *document = json_load_file(VECTORS_PATH, 0, &error);
    if (document == NULL) {
        char why[600];
        snprintf(why, sizeof why, "cannot load %s: %s (line %d)", VECTORS_PATH, error.text,
                 error.line);
        test_fail(__FILE__, __LINE__, why);
    }
    return document;
}

static const char *string_of(const json_t *object, const char *key) {
    const char *value = json_string_value(json_object_get(object, key));
    return value ? value : "";
}

/* The hex field `key` of object into out; its length, or 0 on failure. */
static size_t hex_of(const json_t *object, const char *key, uint8_t *out, size_t capacity) {
    size_t length = 0;
    if (!vectors_unhex(string_of(object, key), out, capacity, &length)) return 0;
    return length;
}

TEST(vectors_file_matches_this_build) {
    json_t *file = load_vectors();
    REQUIRE(file != NULL);
    json_t *built = vectors_build();
    REQUIRE(built != NULL);
    CHECK(strcmp(string_of(file, "format"), VECTORS_FORMAT) == 0);
    CHECK(json_equal(file, built));
    if (!json_equal(file, built)) {
        /* Name the first vector that differs, to make the failure readable. */
        json_t *file_vectors = json_object_get(file, "vectors");
        json_t *built_vectors = json_object_get(built, "vectors");
        for (size_t i = 0; i < json_array_size(built_vectors); i++) {
            json_t *entry = json_array_get(built_vectors, i);
            if (!json_equal(entry, json_array_get(file_vectors, i))) {
                char why[300];
                snprintf(why, sizeof why, "vector %zu (%s) differs: run `make vectors`", i,
                         string_of(entry, "name"));
                test_fail(__FILE__, __LINE__, why);
                break;
            }
        }
    }
    json_decref(built);
    json_decref(file);
}

TEST(vectors_cover_every_type) {
    json_t *file = load_vectors();
    REQUIRE(file != NULL);
    json_t *vectors = json_object_get(file, "vectors");
    int per_type[TALLY_TX_TYPE_LAST + 1] = {0};
    bool memo_utf8 = false, max_fee_zero = false;
    size_t index;
    json_t *entry;
    json_array_foreach(vectors, index, entry) {
        json_int_t type = json_integer_value(json_object_get(entry, "type_code"));
        REQUIRE(type >= TALLY_TX_TYPE_FIRST && type <= TALLY_TX_TYPE_LAST);
        per_type[type]++;
        if (type != TALLY_TX_TRANSFER) continue;
        json_t *body = json_object_get(entry, "body");
        const char *memo = string_of(body, "memo");
        for (const char *c = memo; *c; c++) memo_utf8 |= (unsigned char)*c >= 0x80;
        max_fee_zero |= json_integer_value(json_object_get(body, "max_fee")) == 0;
    }
    for (unsigned type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        CHECK(per_type[type] >= 1);
    }
    CHECK(per_type[TALLY_TX_TRANSFER] >= 3);
    CHECK(memo_utf8);
    CHECK(max_fee_zero);
    /* Batches: the shortest, one with a repeated payee, and the longest encoding. */
    CHECK(per_type[TALLY_TX_TRANSFER_BATCH] >= 3);
    size_t longest = 0;
    json_array_foreach(vectors, index, entry) {
        size_t length = strlen(string_of(entry, "signed")) / 2;
        if (length > longest) longest = length;
    }
    CHECK_EQ(longest, TALLY_TX_ENCODED_MAX);
    /* The longest but a batch is a listing with every text at its maximum, under the
     * single transaction's bound. */
    size_t longest_single = 0;
    json_array_foreach(vectors, index, entry) {
        if (json_integer_value(json_object_get(entry, "type_code")) == TALLY_TX_TRANSFER_BATCH) continue;
        size_t length = strlen(string_of(entry, "signed")) / 2;
        if (length > longest_single) longest_single = length;
    }
    CHECK_EQ(longest_single, 698);
    CHECK(longest_single <= TALLY_TX_SINGLE_ENCODED_MAX);
    /* Every marketplace type that carries a text has a refused vector of it. */
    json_t *refused = json_object_get(file, "refused");
    static const uint8_t texts[] = {TALLY_TX_CATEGORY_SET,  TALLY_TX_LISTING_CREATE, TALLY_TX_LISTING_UPDATE,
                                    TALLY_TX_ORDER_CREATE,  TALLY_TX_ORDER_DECLINE,  TALLY_TX_ORDER_DISPUTE,
                                    TALLY_TX_ORDER_RESOLVE, TALLY_TX_REVIEW};
    for (size_t i = 0; i < sizeof texts; i++) {
        bool found = false;
        json_array_foreach(refused, index, entry) found |= strcmp(string_of(entry, "type"), tally_tx_type_name(texts[i])) == 0;
        CHECK(found);
    }
    /* The validator set: a change in force at once, one that waits for an approval,
     * and one the decoder refuses (17 keys). */
    CHECK(per_type[TALLY_TX_VALIDATOR_PROPOSE] >= 2);
    bool count_refused = false;
    json_array_foreach(refused, index, entry) {
        count_refused |= strcmp(string_of(entry, "type"), "validator_propose") == 0 &&
                         strcmp(string_of(entry, "error"), "DECODE_BAD_VALUE") == 0;
    }
    CHECK(count_refused);
    json_decref(file);
}

/* Checks one vector against libsodium and the codec; the decoded tx in *tx. */
static void check_vector(json_t *entry, tally_tx *tx) {
    const char *name = string_of(entry, "name");
    uint8_t signed_bytes[TALLY_TX_ENCODED_MAX], unsigned_bytes[TALLY_TX_ENCODED_MAX];
    uint8_t hash[TALLY_HASH_BYTES], signature[TALLY_SIGNATURE_BYTES];
    uint8_t signer[TALLY_KEY_BYTES], seed[VECTORS_SEED_BYTES], chain_id[TALLY_CHAIN_ID_BYTES];
    size_t signed_length = hex_of(entry, "signed", signed_bytes, sizeof signed_bytes);
    size_t unsigned_length = hex_of(entry, "unsigned", unsigned_bytes, sizeof unsigned_bytes);
    REQUIRE(signed_length > 64 && unsigned_length == signed_length - 64);
    REQUIRE(hex_of(entry, "hash", hash, sizeof hash) == sizeof hash);
    REQUIRE(hex_of(entry, "signature", signature, sizeof signature) == sizeof signature);
    REQUIRE(hex_of(entry, "signer", signer, sizeof signer) == sizeof signer);
    REQUIRE(hex_of(entry, "signer_seed", seed, sizeof seed) == sizeof seed);
    REQUIRE(hex_of(entry, "chain_id", chain_id, sizeof chain_id) == sizeof chain_id);

    /* The file is consistent with itself, by libsodium alone. */
    CHECK(memcmp(signed_bytes, unsigned_bytes, unsigned_length) == 0);
    CHECK(memcmp(signed_bytes + unsigned_length, signature, 64) == 0);
    uint8_t expected_hash[TALLY_HASH_BYTES];
    crypto_generichash(expected_hash, sizeof expected_hash, unsigned_bytes, unsigned_length,
                       NULL, 0);
    CHECK(memcmp(expected_hash, hash, sizeof hash) == 0);
    CHECK(crypto_sign_verify_detached(signature, unsigned_bytes, unsigned_length, signer) == 0);
    uint8_t public_key[crypto_sign_PUBLICKEYBYTES], secret_key[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(public_key, secret_key, seed);
    CHECK(memcmp(public_key, signer, sizeof signer) == 0);
    sodium_memzero(secret_key, sizeof secret_key);

    /* The codec agrees. */
    CHECK_CODE(tally_tx_decode(signed_bytes, signed_length, tx), TALLY_OK);
    CHECK_EQ(tx->type, json_integer_value(json_object_get(entry, "type_code")));
    CHECK(strcmp(tally_tx_type_name(tx->type) ? tally_tx_type_name(tx->type) : "",
                 string_of(entry, "type")) == 0);
    CHECK(memcmp(tx->chain_id, chain_id, sizeof chain_id) == 0);
    CHECK(memcmp(tx->signer.bytes, signer, sizeof signer) == 0);
    CHECK_EQ(tx->sequence, json_integer_value(json_object_get(entry, "sequence")));
    uint8_t again[TALLY_TX_ENCODED_MAX];
    CHECK_EQ(tally_tx_encode(tx, again, sizeof again), signed_length);
    CHECK(memcmp(again, signed_bytes, signed_length) == 0);
    uint8_t tx_hash[TALLY_HASH_BYTES];
    tally_tx_hash(tx, tx_hash);
    CHECK(memcmp(tx_hash, hash, sizeof hash) == 0);
    CHECK(tally_tx_verify(tx));
    char address[128];
    tally_address_encode(&tx->signer, address);
    CHECK(strcmp(address, string_of(entry, "signer_address")) == 0);

    /* Re-signing from the seed gives the same signature (Ed25519 is deterministic),
     * and the fields print as the file has them (the copy shares a batch's lines). */
    tally_tx copy = *tx;
    memset(copy.signature, 0, sizeof copy.signature);
    const char *note = json_string_value(json_object_get(entry, "note"));
    json_t *rebuilt = vectors_entry_json(name, note, seed, &copy);
    REQUIRE(rebuilt != NULL);
    CHECK(memcmp(copy.signature, signature, sizeof signature) == 0);
    CHECK(json_equal(rebuilt, entry));
    json_decref(rebuilt);
    if (test_current_failed()) {
        char why[200];
        snprintf(why, sizeof why, "in vector %s", name);
        test_fail(__FILE__, __LINE__, why);
    }
}

TEST(vectors_agree_with_libsodium_and_the_codec) {
    json_t *file = load_vectors();
    REQUIRE(file != NULL);
    size_t index;
    json_t *entry;
    json_array_foreach(json_object_get(file, "vectors"), index, entry) {
        tally_tx tx;
        memset(&tx, 0, sizeof tx);
        check_vector(entry, &tx);
        tally_tx_release(&tx);
        if (test_current_failed()) break;
    }
    json_decref(file);
}

/* The signed bytes of every vector in a heap buffer of exactly their length, so
 * AddressSanitizer catches any read past the end. */
typedef struct {
    char name[64];
    uint8_t *bytes;
    size_t length;
} vector_bytes;

#define VECTORS_MAX 128

static size_t load_vector_bytes(vector_bytes out[VECTORS_MAX]) {
    json_t *file = load_vectors();
    if (file == NULL) return 0;
    size_t count = 0, index;
    json_t *entry;
    json_array_foreach(json_object_get(file, "vectors"), index, entry) {
        if (count == VECTORS_MAX) break;
        uint8_t bytes[TALLY_TX_ENCODED_MAX];
        size_t length = hex_of(entry, "signed", bytes, sizeof bytes);
        if (length == 0) continue;
        vector_bytes *v = &out[count++];
        snprintf(v->name, sizeof v->name, "%s", string_of(entry, "name"));
        v->bytes = malloc(length);
        if (v->bytes == NULL) abort();
        memcpy(v->bytes, bytes, length);
        v->length = length;
    }
    json_decref(file);
    return count;
}

static void free_vector_bytes(vector_bytes *vectors, size_t count) {
    for (size_t i = 0; i < count; i++) free(vectors[i].bytes);
}

TEST(vectors_every_truncation_is_refused) {
    vector_bytes vectors[VECTORS_MAX];
    size_t count = load_vector_bytes(vectors);
    REQUIRE(count > 0);
    for (size_t v = 0; v < count; v++) {
        for (size_t length = 0; length < vectors[v].length; length++) {
            /* A fresh allocation of exactly `length` bytes for each prefix. */
            uint8_t *prefix = malloc(length > 0 ? length : 1);
            if (prefix == NULL) abort();
            memcpy(prefix, vectors[v].bytes, length);
            tally_tx tx;
            tally_error error = tally_tx_decode(prefix, length, &tx);
            free(prefix);
            if (error != TALLY_ERR_DECODE_TRUNCATED) {
                char why[200];
                snprintf(why, sizeof why, "%s cut to %zu bytes: %s", vectors[v].name, length,
                         tally_error_name(error));
                test_fail(__FILE__, __LINE__, why);
            }
        }
    }
    free_vector_bytes(vectors, count);
}

/* Which values the byte at `at` of a vector of `length` bytes is mutated to: all
 * 255 others (ALL), the five that also get a signature check (CHECKED), or none.
 * Every vector gets ALL at every byte but the longest batch (27 KB, each decode of
 * it costs what a hundred short ones do): it repeats one line layout 256 times,
 * which the short batch vectors take every mutation of, so it gets ALL at its
 * line count and CHECKED at its header and fixed fields, its first and last
 * lines, its signature, and every 101st byte between (101 and the 106 bytes of a
 * line are coprime, so the stride meets every offset in a line). */
enum { MUTATE_NONE, MUTATE_CHECKED, MUTATE_ALL };
#define BATCH_COUNT_AT 86u /* header 74 | network_id 4 | max_fee 8 */
static int mutation_values(size_t at, size_t length) {
    if (length <= TALLY_TX_SINGLE_ENCODED_MAX || at == BATCH_COUNT_AT || at == BATCH_COUNT_AT + 1) return MUTATE_ALL;
    size_t line = TALLY_BATCH_LINE_ENCODED_MAX;
    bool edge = at < BATCH_COUNT_AT + 2 + line || at >= length - TALLY_SIGNATURE_BYTES - line;
    return edge || at % 101 == 0 ? MUTATE_CHECKED : MUTATE_NONE;
}

/* Whether a mutated byte value also gets the (slow) signature check. */
static bool verify_this_value(uint8_t original, uint8_t value) {
    unsigned inverted = 0xffu - original; /* original ^ 0xff */
    return value == (uint8_t)(original ^ 0x01u) || value == (uint8_t)(original ^ 0x80u) ||
           value == inverted || value == 0x00 || value == 0xff;
}

TEST(vectors_every_single_byte_mutation_is_caught) {
    /* At every position, every other byte value: decode refuses it, or it decodes
     * to a transaction that re-encodes to exactly the mutated bytes (the encoding
     * is canonical: no two byte strings mean the same transaction) and whose
     * signature fails (checked for values x^01, x^80, x^ff, 00 and ff). */
    vector_bytes vectors[VECTORS_MAX];
    size_t count = load_vector_bytes(vectors);
    REQUIRE(count > 0);
    long decoded = 0, refused = 0, verified = 0;
    for (size_t v = 0; v < count && !test_current_failed(); v++) {
        uint8_t *bytes = vectors[v].bytes;
        size_t length = vectors[v].length;
        for (size_t at = 0; at < length && !test_current_failed(); at++) {
            uint8_t original = bytes[at];
            int values = mutation_values(at, length);
            for (unsigned value = 0; value < 256 && values != MUTATE_NONE; value++) {
                if (value == original || (values == MUTATE_CHECKED && !verify_this_value(original, (uint8_t)value)))
                    continue;
                bytes[at] = (uint8_t)value;
                tally_tx tx;
                if (tally_tx_decode(bytes, length, &tx) != TALLY_OK) {
                    refused++;
                    continue;
                }
                decoded++;
                uint8_t again[TALLY_TX_ENCODED_MAX];
                bool canonical = tally_tx_encode(&tx, again, sizeof again) == length &&
                                 memcmp(again, bytes, length) == 0;
                bool signature_fails = true;
                if (verify_this_value(original, (uint8_t)value)) {
                    verified++;
                    signature_fails = !tally_tx_verify(&tx);
                }
                tally_tx_release(&tx);
                if (!canonical || !signature_fails) {
                    char why[200];
                    snprintf(why, sizeof why, "%s byte %zu %02x->%02x: %s", vectors[v].name,
                             at, original, value,
                             canonical ? "signature still verifies" : "not canonical");
                    test_fail(__FILE__, __LINE__, why);
                    break;
                }
            }
            bytes[at] = original;
        }
    }
    /* Both outcomes happened: the test exercised what it claims to. */
    CHECK(decoded > 0 && refused > 0 && verified > 0);
    free_vector_bytes(vectors, count);
}

/* Finding 12 of issue 7: the vectors list text every decoder must refuse. Every
 * refused encoding is refused with the error it names; all but the validator set's
 * (a count past its 16 slots, DECODE_BAD_VALUE) are spoofing or broken text. */
TEST(hardening_12_vectors_of_spoofing_text_are_refused_by_the_decoder) {
    json_t *file = load_vectors();
    REQUIRE(file != NULL);
    json_t *refused = json_object_get(file, "refused");
    REQUIRE(json_array_size(refused) >= 6);
    size_t index, texts = 0;
    json_t *entry;
    json_array_foreach(refused, index, entry) {
        uint8_t bytes[TALLY_TX_ENCODED_MAX];
        size_t length = hex_of(entry, "signed", bytes, sizeof bytes);
        REQUIRE(length > 0);
        tally_tx tx;
        tally_error error = tally_tx_decode(bytes, length, &tx);
        CHECK(strcmp(tally_error_name(error), string_of(entry, "error")) == 0);
        bool count = strcmp(string_of(entry, "type"), "validator_propose") == 0;
        CHECK_CODE(error, count ? TALLY_ERR_DECODE_BAD_VALUE : TALLY_ERR_DECODE_BAD_TEXT);
        texts += !count;
        if (error == TALLY_OK) tally_tx_release(&tx);
    }
    CHECK(texts >= 16);
    json_decref(file);
}
