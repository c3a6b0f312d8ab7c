/*
 * test_crypto.c: transaction ids, Ed25519 signatures over the unsigned encoding,
 * key pairs and the state hash.
 */
#include <stdlib.h>

#include <sodium.h>

#include "tally.h"
#include "test.h"
#include "tx_sample.h"

typedef struct {
    tally_key key;
    uint8_t secret[TALLY_SECRET_BYTES];
} test_keypair;

static test_keypair keypair_from(uint8_t seed_byte) {
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    test_keypair pair;
    tally_keypair(&pair.key, pair.secret, seed);
    return pair;
}

/* A sample transaction of type signed by pair. */
static void signed_sample(uint8_t type, sample_rng *rng, const test_keypair *pair, tally_tx *tx) {
    sample_tx(type, rng, tx);
    tx->signer = pair->key;
    tally_tx_sign(tx, pair->secret);
}

TEST(crypto_sign_and_verify_every_type) {
    sample_rng rng = {11};
    test_keypair alice = keypair_from(0xa1);
    for (unsigned type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        tally_tx tx;
        signed_sample((uint8_t)type, &rng, &alice, &tx);
        CHECK(tally_tx_verify(&tx));
        /* The signature is libsodium's over the unsigned encoding. */
        uint8_t bytes[TALLY_TX_ENCODED_MAX];
        size_t length = tally_tx_encode_unsigned(&tx, bytes, sizeof bytes);
        REQUIRE(length > 0);
        CHECK(crypto_sign_verify_detached(tx.signature, bytes, length, alice.key.bytes) == 0);
        /* It survives the wire. */
        tally_tx decoded;
        uint8_t wire[TALLY_TX_ENCODED_MAX];
        CHECK_CODE(tally_tx_decode(wire, tally_tx_encode(&tx, wire, sizeof wire), &decoded),
                   TALLY_OK);
        CHECK(tally_tx_verify(&decoded));
        tally_tx_release(&decoded);
        tally_tx_release(&tx); /* a batch's lines are on the heap */
    }
}

TEST(crypto_flipped_signature_bit_fails) {
    sample_rng rng = {12};
    test_keypair alice = keypair_from(0xa1);
    tally_tx tx;
    signed_sample(TALLY_TX_TRANSFER, &rng, &alice, &tx);
    REQUIRE(tally_tx_verify(&tx));
    for (unsigned bit = 0; bit < 8 * TALLY_SIGNATURE_BYTES; bit++) {
        tx.signature[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK(!tally_tx_verify(&tx));
        tx.signature[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK(tally_tx_verify(&tx));
}

TEST(crypto_changed_content_fails) {
    sample_rng rng = {13};
    test_keypair alice = keypair_from(0xa1);
    tally_tx tx;
    signed_sample(TALLY_TX_TRANSFER, &rng, &alice, &tx);
    REQUIRE(tally_tx_verify(&tx));
    tally_tx changed = tx;
    changed.sequence++;
    CHECK(!tally_tx_verify(&changed));
    changed = tx;
    changed.chain_id[31] ^= 1;
    CHECK(!tally_tx_verify(&changed));
    changed = tx;
    changed.body.transfer.amount ^= 1;
    CHECK(!tally_tx_verify(&changed));
    changed = tx;
    changed.body.transfer.payee.bytes[0] ^= 0x80;
    CHECK(!tally_tx_verify(&changed));
    /* The same body under another type of the same layout is another message. */
    tally_tx pool;
    signed_sample(TALLY_TX_POOL_DEPOSIT, &rng, &alice, &pool);
    REQUIRE(tally_tx_verify(&pool));
    pool.type = TALLY_TX_POOL_WITHDRAW;
    CHECK(!tally_tx_verify(&pool));
    /* Bytes past a text's length are not signed: changing them changes nothing. */
    changed = tx;
    if (changed.body.transfer.memo.length < TALLY_MEMO_MAX) {
        changed.body.transfer.memo.bytes[changed.body.transfer.memo.length] = 'z';
        CHECK(tally_tx_verify(&changed));
    }
}

TEST(crypto_wrong_signer_fails) {
    sample_rng rng = {14};
    test_keypair alice = keypair_from(0xa1), bob = keypair_from(0xb0);
    tally_tx tx;
    signed_sample(TALLY_TX_TRANSFER, &rng, &alice, &tx);
    REQUIRE(tally_tx_verify(&tx));
    tx.signer = bob.key; /* claims to be bob, signed by alice */
    CHECK(!tally_tx_verify(&tx));
    /* Bob's own signature of the same content verifies; swapping it in under
     * alice's name does not. */
    tally_tx by_bob = tx;
    tally_tx_sign(&by_bob, bob.secret);
    CHECK(tally_tx_verify(&by_bob));
    tx.signer = alice.key;
    memcpy(tx.signature, by_bob.signature, sizeof tx.signature);
    CHECK(!tally_tx_verify(&tx));
    /* Keys that are not valid curve points never verify. */
    memset(tx.signer.bytes, 0, sizeof tx.signer.bytes);
    CHECK(!tally_tx_verify(&tx));
    sodium_memzero(alice.secret, sizeof alice.secret);
    sodium_memzero(bob.secret, sizeof bob.secret);
}

TEST(crypto_unencodable_transactions) {
    test_keypair alice = keypair_from(0xa1);
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = 0;
    tx.signer = alice.key;
    memset(tx.signature, 0x77, sizeof tx.signature);
    tally_tx_sign(&tx, alice.secret);
    uint8_t zero[TALLY_SIGNATURE_BYTES] = {0};
    CHECK(memcmp(tx.signature, zero, sizeof zero) == 0);
    CHECK(!tally_tx_verify(&tx));
    uint8_t hash[TALLY_HASH_BYTES];
    memset(hash, 0x77, sizeof hash);
    tally_tx_hash(&tx, hash);
    CHECK(memcmp(hash, zero, sizeof hash) == 0);
    /* A text over its maximum, in a known type. */
    tx.type = TALLY_TX_TRANSFER;
    tx.body.transfer.memo.length = TALLY_MEMO_MAX + 1;
    tally_tx_sign(&tx, alice.secret);
    CHECK(!tally_tx_verify(&tx));
}

TEST(crypto_hash_is_blake2b_of_the_unsigned_encoding) {
    sample_rng rng = {15};
    for (unsigned type = TALLY_TX_TYPE_FIRST; type <= TALLY_TX_TYPE_LAST; type++) {
        tally_tx tx;
        sample_tx((uint8_t)type, &rng, &tx);
        uint8_t bytes[TALLY_TX_ENCODED_MAX], expected[32], hash[TALLY_HASH_BYTES];
        size_t length = tally_tx_encode_unsigned(&tx, bytes, sizeof bytes);
        crypto_generichash(expected, sizeof expected, bytes, length, NULL, 0);
        tally_tx_hash(&tx, hash);
        CHECK(memcmp(hash, expected, sizeof hash) == 0);
        /* The id does not cover the signature... */
        tx.signature[0] ^= 1;
        uint8_t again[TALLY_HASH_BYTES];
        tally_tx_hash(&tx, again);
        CHECK(memcmp(hash, again, sizeof hash) == 0);
        /* ...but covers everything signed. */
        tx.sequence ^= 1;
        tally_tx_hash(&tx, again);
        CHECK(memcmp(hash, again, sizeof hash) != 0);
        tally_tx_release(&tx);
    }
    /* BLAKE2b-256 of the empty string, to pin the primitive and its size. */
    static const uint8_t empty_hash[32] = {
        0x0e, 0x57, 0x51, 0xc0, 0x26, 0xe5, 0x43, 0xb2, 0xe8, 0xab, 0x2e,
        0xb0, 0x60, 0x99, 0xda, 0xa1, 0xd1, 0xe5, 0xdf, 0x47, 0x77, 0x8f,
        0x77, 0x87, 0xfa, 0xab, 0x45, 0xcd, 0xf1, 0x2f, 0xe3, 0xa8};
    uint8_t hash[32];
    crypto_generichash(hash, sizeof hash, NULL, 0, NULL, 0);
    CHECK(memcmp(hash, empty_hash, sizeof hash) == 0);
}

TEST(crypto_keypair_from_seed_is_deterministic) {
    uint8_t seed[32];
    for (unsigned i = 0; i < sizeof seed; i++) seed[i] = (uint8_t)i;
    tally_key a, b, random_one, random_two;
    uint8_t secret_a[TALLY_SECRET_BYTES], secret_b[TALLY_SECRET_BYTES];
    uint8_t secret_random[TALLY_SECRET_BYTES];
    tally_keypair(&a, secret_a, seed);
    tally_keypair(&b, secret_b, seed);
    CHECK(memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0);
    CHECK(memcmp(secret_a, secret_b, sizeof secret_a) == 0);
    /* libsodium's layout: seed then public key. */
    CHECK(memcmp(secret_a, seed, 32) == 0);
    CHECK(memcmp(secret_a + 32, a.bytes, 32) == 0);
    /* RFC 8032 test 1's public key is for another seed; this pins our own. */
    static const uint8_t expected_public[32] = {
        0x03, 0xa1, 0x07, 0xbf, 0xf3, 0xce, 0x10, 0xbe, 0x1d, 0x70, 0xdd,
        0x18, 0xe7, 0x4b, 0xc0, 0x99, 0x67, 0xe4, 0xd6, 0x30, 0x9b, 0xa5,
        0x0d, 0x5f, 0x1d, 0xdc, 0x86, 0x64, 0x12, 0x55, 0x31, 0xb8};
    CHECK(memcmp(a.bytes, expected_public, 32) == 0);
    tally_keypair(&random_one, secret_random, NULL);
    tally_keypair(&random_two, secret_random, NULL);
    CHECK(memcmp(random_one.bytes, random_two.bytes, 32) != 0);
    sodium_memzero(secret_a, sizeof secret_a);
    sodium_memzero(secret_b, sizeof secret_b);
    sodium_memzero(secret_random, sizeof secret_random);
}

TEST(crypto_rfc8032_test_vector) {
    /* RFC 8032 section 7.1, TEST 2: libsodium's Ed25519 is the standard one. */
    static const uint8_t seed[32] = {
        0x4c, 0xcd, 0x08, 0x9b, 0x28, 0xff, 0x96, 0xda, 0x9d, 0xb6, 0xc3,
        0x46, 0xec, 0x11, 0x4e, 0x0f, 0x5b, 0x8a, 0x31, 0x9f, 0x35, 0xab,
        0xa6, 0x24, 0xda, 0x8c, 0xf6, 0xed, 0x4f, 0xb8, 0xa6, 0xfb};
    static const uint8_t public_key[32] = {
        0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a, 0x92, 0xb7, 0x0a,
        0xa7, 0x4d, 0x1b, 0x7e, 0xbc, 0x9c, 0x98, 0x2c, 0xcf, 0x2e, 0xc4,
        0x96, 0x8c, 0xc0, 0xcd, 0x55, 0xf1, 0x2a, 0xf4, 0x66, 0x0c};
    static const uint8_t message[1] = {0x72};
    static const uint8_t signature[64] = {
        0x92, 0xa0, 0x09, 0xa9, 0xf0, 0xd4, 0xca, 0xb8, 0x72, 0x0e, 0x82, 0x0b, 0x5f,
        0x64, 0x25, 0x40, 0xa2, 0xb2, 0x7b, 0x54, 0x16, 0x50, 0x3f, 0x8f, 0xb3, 0x76,
        0x22, 0x23, 0xeb, 0xdb, 0x69, 0xda, 0x08, 0x5a, 0xc1, 0xe4, 0x3e, 0x15, 0x99,
        0x6e, 0x45, 0x8f, 0x36, 0x13, 0xd0, 0xf1, 0x1d, 0x8c, 0x38, 0x7b, 0x2e, 0xae,
        0xb4, 0x30, 0x2a, 0xee, 0xb0, 0x0d, 0x29, 0x16, 0x12, 0xbb, 0x0c, 0x00};
    tally_key key;
    uint8_t secret[TALLY_SECRET_BYTES], produced[64];
    tally_keypair(&key, secret, seed);
    CHECK(memcmp(key.bytes, public_key, 32) == 0);
    crypto_sign_detached(produced, NULL, message, sizeof message, secret);
    CHECK(memcmp(produced, signature, 64) == 0);
    sodium_memzero(secret, sizeof secret);
}

