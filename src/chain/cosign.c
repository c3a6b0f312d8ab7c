/*
 * cosign.c: co-signatures, a validator's Ed25519 signature that it re-executed a
 * block and reached the state it commits to (tally_chain.h, "Co-signatures"): the
 * message, signing, checking, the quorum that makes a block final, and the
 * validator set as the genesis gives it.
 */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "chain/bytes.h"
#include "tally_chain.h"

_Static_assert(sizeof TALLY_COSIGN_DOMAIN - 1 == TALLY_COSIGN_DOMAIN_BYTES, "the domain is 15 bytes");
_Static_assert(crypto_generichash_BYTES == TALLY_HASH_BYTES, "BLAKE2b-256");

void tally_cosign_message(const uint8_t chain_id[TALLY_CHAIN_ID_BYTES], uint64_t height,
                          const uint8_t block_hash[TALLY_HASH_BYTES], uint8_t out[TALLY_HASH_BYTES]) {
    assert(chain_id != NULL && block_hash != NULL && out != NULL);
    uint8_t bytes[TALLY_COSIGN_DOMAIN_BYTES + TALLY_CHAIN_ID_BYTES + 8u + TALLY_HASH_BYTES];
    memcpy(bytes, TALLY_COSIGN_DOMAIN, TALLY_COSIGN_DOMAIN_BYTES);
    memcpy(bytes + TALLY_COSIGN_DOMAIN_BYTES, chain_id, TALLY_CHAIN_ID_BYTES);
    le_store_u64(bytes + TALLY_COSIGN_DOMAIN_BYTES + TALLY_CHAIN_ID_BYTES, height);
    memcpy(bytes + TALLY_COSIGN_DOMAIN_BYTES + TALLY_CHAIN_ID_BYTES + 8u, block_hash, TALLY_HASH_BYTES);
    crypto_generichash(out, TALLY_HASH_BYTES, bytes, sizeof bytes, NULL, 0);
}

void tally_cosign_sign(const uint8_t secret[TALLY_SECRET_BYTES], const uint8_t chain_id[TALLY_CHAIN_ID_BYTES],
                       uint64_t height, const uint8_t block_hash[TALLY_HASH_BYTES],
                       uint8_t signature[TALLY_SIGNATURE_BYTES]) {
    assert(secret != NULL && signature != NULL);
    uint8_t message[TALLY_HASH_BYTES];
    tally_cosign_message(chain_id, height, block_hash, message);
    crypto_sign_detached(signature, NULL, message, sizeof message, secret);
}

bool tally_cosign_holds(const tally_key *validator, const uint8_t chain_id[TALLY_CHAIN_ID_BYTES], uint64_t height,
                        const uint8_t block_hash[TALLY_HASH_BYTES], const uint8_t signature[TALLY_SIGNATURE_BYTES]) {
    assert(validator != NULL && signature != NULL);
    uint8_t message[TALLY_HASH_BYTES];
    tally_cosign_message(chain_id, height, block_hash, message);
    return crypto_sign_verify_detached(signature, message, sizeof message, validator->bytes) == 0;
}

uint32_t tally_cosign_quorum(uint32_t validator_count) {
    /* A strict majority: see tally_chain.h for why that is enough and no less. */
    return validator_count == 0 ? 0 : validator_count / 2u + 1u;
}

void tally_cosign_validators(const tally_chain_rules *rules, const tally_key *producer,
                             tally_key validators[TALLY_VALIDATORS_MAX], uint32_t *count) {
    assert(rules != NULL && producer != NULL && validators != NULL && count != NULL);
    if (rules->validator_count == 0) {
        validators[0] = *producer;
        *count = 1;
        return;
    }
    *count = rules->validator_count <= TALLY_VALIDATORS_MAX ? rules->validator_count : TALLY_VALIDATORS_MAX;
    memcpy(validators, rules->validators, *count * sizeof *validators);
}
