/*
 * crypto.c: what the chain layer asks of libsodium. Transaction ids and state
 * hashes are BLAKE2b-256, signatures Ed25519 over the unsigned canonical encoding,
 * and account addresses are keys in checksummed base32 text. No primitive is
 * written here; this file only fixes which bytes go into which libsodium call.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tally.h"

/* The length of an address: "tly1" + 58 base32 characters of 36 bytes (32 key
 * bytes, 4 checksum bytes) = 62 = TALLY_ADDRESS_LENGTH. */
#define ADDRESS_PREFIX "tly1"
#define ADDRESS_PREFIX_LENGTH 4u
#define ADDRESS_CHECKSUM_BYTES 4u
#define ADDRESS_PAYLOAD_BYTES (TALLY_KEY_BYTES + ADDRESS_CHECKSUM_BYTES)
#define ADDRESS_BASE32_LENGTH ((ADDRESS_PAYLOAD_BYTES * 8u + 4u) / 5u)
#define ADDRESS_TEXT_LENGTH (ADDRESS_PREFIX_LENGTH + ADDRESS_BASE32_LENGTH)

_Static_assert(ADDRESS_BASE32_LENGTH == 58u, "36 bytes are 58 base32 characters");
_Static_assert(ADDRESS_TEXT_LENGTH == TALLY_ADDRESS_LENGTH, "an address is 62 characters");
_Static_assert(crypto_generichash_BYTES_MIN <= TALLY_HASH_BYTES &&
                   TALLY_HASH_BYTES <= crypto_generichash_BYTES_MAX,
               "BLAKE2b can give 32 bytes");
_Static_assert(crypto_sign_PUBLICKEYBYTES == TALLY_KEY_BYTES, "Ed25519 public key size");
_Static_assert(crypto_sign_SECRETKEYBYTES == TALLY_SECRET_BYTES, "Ed25519 secret key size");
_Static_assert(crypto_sign_BYTES == TALLY_SIGNATURE_BYTES, "Ed25519 signature size");
_Static_assert(crypto_sign_SEEDBYTES == 32, "Ed25519 seed size");

bool tally_crypto_init(void) {
    if (sodium_init() < 0) return false;
    /* A random secret for the state's lookup tables: this process's states hash keys
     * an attacker cannot predict (see tally_index_secret_set). */
    uint8_t secret[TALLY_INDEX_SECRET_BYTES];
    randombytes_buf(secret, sizeof secret);
    tally_index_secret_set(secret);
    sodium_memzero(secret, sizeof secret);
    return true;
}

/* ------------------------------------------------------------------------ */
/* Transactions.                                                             */
/* ------------------------------------------------------------------------ */

void tally_tx_hash(const tally_tx *tx, uint8_t out[TALLY_HASH_BYTES]) {
    assert(tx != NULL && out != NULL);
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode_unsigned(tx, bytes, sizeof bytes);
    if (length == 0) {
        /* Not encodable (unknown type, text too long): no transaction has this id,
         * and the all-zero id is never a BLAKE2b output anyone will meet. */
        memset(out, 0, TALLY_HASH_BYTES);
        return;
    }
    crypto_generichash(out, TALLY_HASH_BYTES, bytes, length, NULL, 0);
}

void tally_tx_sign(tally_tx *tx, const uint8_t secret_key[TALLY_SECRET_BYTES]) {
    assert(tx != NULL && secret_key != NULL);
    /* libsodium's secret key is seed || public key. */
    assert(memcmp(secret_key + 32, tx->signer.bytes, TALLY_KEY_BYTES) == 0);
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode_unsigned(tx, bytes, sizeof bytes);
    if (length == 0) {
        /* Unencodable: leave a signature that never verifies. */
        memset(tx->signature, 0, TALLY_SIGNATURE_BYTES);
        return;
    }
    crypto_sign_detached(tx->signature, NULL, bytes, length, secret_key);
}

bool tally_tx_verify(const tally_tx *tx) {
    assert(tx != NULL);
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode_unsigned(tx, bytes, sizeof bytes);
    if (length == 0) return false;
    return crypto_sign_verify_detached(tx->signature, bytes, length, tx->signer.bytes) == 0;
}

void tally_keypair(tally_key *public_key, uint8_t secret_key[TALLY_SECRET_BYTES],
                   const uint8_t *seed) {
    assert(public_key != NULL && secret_key != NULL);
    if (seed == NULL) {
        crypto_sign_keypair(public_key->bytes, secret_key);
    } else {
        crypto_sign_seed_keypair(public_key->bytes, secret_key, seed);
    }
}

/* ------------------------------------------------------------------------ */
/* Addresses.                                                                */
/* ------------------------------------------------------------------------ */

static const char base32_alphabet[32] = "abcdefghijklmnopqrstuvwxyz234567";

/* The value of a lowercase RFC 4648 base32 character, or -1. */
static int base32_value(char c) {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

static void address_payload(const tally_key *key, uint8_t payload[ADDRESS_PAYLOAD_BYTES]) {
    uint8_t digest[TALLY_HASH_BYTES];
    crypto_generichash(digest, sizeof digest, key->bytes, TALLY_KEY_BYTES, NULL, 0);
    memcpy(payload, key->bytes, TALLY_KEY_BYTES);
    memcpy(payload + TALLY_KEY_BYTES, digest, ADDRESS_CHECKSUM_BYTES);
}

/* out needs ADDRESS_TEXT_LENGTH + 1 = 63 bytes. */
void tally_address_encode(const tally_key *key, char out[TALLY_ADDRESS_LENGTH + 1]) {
    assert(key != NULL && out != NULL);
    uint8_t payload[ADDRESS_PAYLOAD_BYTES];
    address_payload(key, payload);

    char *cursor = out;
    memcpy(cursor, ADDRESS_PREFIX, ADDRESS_PREFIX_LENGTH);
    cursor += ADDRESS_PREFIX_LENGTH;
    uint32_t buffer = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < ADDRESS_PAYLOAD_BYTES; i++) {
        buffer = (buffer << 8) | payload[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            *cursor++ = base32_alphabet[(buffer >> bits) & 31u];
        }
    }
    if (bits > 0) *cursor++ = base32_alphabet[(buffer << (5 - bits)) & 31u];
    *cursor = '\0';
    assert((size_t)(cursor - out) == ADDRESS_TEXT_LENGTH);
}

bool tally_address_decode(const char *text, tally_key *key) {
    assert(text != NULL && key != NULL);
    /* Look at no more than one character past the expected end. */
    size_t length = strnlen(text, ADDRESS_TEXT_LENGTH + 1);
    if (length != ADDRESS_TEXT_LENGTH) return false;
    if (memcmp(text, ADDRESS_PREFIX, ADDRESS_PREFIX_LENGTH) != 0) return false;

    uint8_t payload[ADDRESS_PAYLOAD_BYTES];
    size_t written = 0;
    uint32_t buffer = 0;
    unsigned bits = 0;
    for (size_t i = ADDRESS_PREFIX_LENGTH; i < ADDRESS_TEXT_LENGTH; i++) {
        int value = base32_value(text[i]);
        if (value < 0) return false;
        buffer = (buffer << 5) | (uint32_t)value;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            payload[written++] = (uint8_t)(buffer >> bits);
        }
    }
    assert(written == ADDRESS_PAYLOAD_BYTES);
    /* The last character carries 2 padding bits; they must be zero, or two texts
     * would name the same key. */
    if ((buffer & ((1u << bits) - 1u)) != 0) return false;

    tally_key decoded;
    memcpy(decoded.bytes, payload, TALLY_KEY_BYTES);
    uint8_t expected[ADDRESS_PAYLOAD_BYTES];
    address_payload(&decoded, expected);
    if (memcmp(expected + TALLY_KEY_BYTES, payload + TALLY_KEY_BYTES, ADDRESS_CHECKSUM_BYTES) != 0) {
        return false;
    }
    *key = decoded;
    return true;
}
