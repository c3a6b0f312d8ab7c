/*
 * chain.c: blocks as links of a chain. The chain id and the genesis block; building
 * the next block from a state (apply the candidates, keep the accepted ones, end
 * the block, commit to the state, sign); and verifying a received block onto a
 * state, where every claim the block makes (links, signature, roots, each result,
 * the state it commits to, the invariants) is recomputed rather than trusted.
 */
#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include <sodium.h>

#include "chain/block_internal.h"
#include "chain/bytes.h"
#include "chain/chain_errors.h"
#include "chain/chain_internal.h"

#define CHAIN_ID_DOMAIN "tally-genesis-v2"
#define INVARIANT_WHY_MAX 200u

static const uint8_t zero_hash[TALLY_HASH_BYTES];

static bool is_zero_hash(const uint8_t hash[TALLY_HASH_BYTES]) {
    return sodium_memcmp(hash, zero_hash, TALLY_HASH_BYTES) == 0;
}

/* The public half of a libsodium Ed25519 secret key (seed || public key). */
static const uint8_t *secret_public_half(const uint8_t secret[TALLY_SECRET_BYTES]) {
    return secret + TALLY_SECRET_BYTES - TALLY_KEY_BYTES;
}

static void header_sign(tally_block_header *header, const uint8_t secret[TALLY_SECRET_BYTES]) {
    uint8_t bytes[TALLY_BLOCK_HEADER_BYTES];
    tally_block_header_encode(header, bytes);
    crypto_sign_detached(header->signature, NULL, bytes, TALLY_BLOCK_SIGNED_BYTES, secret);
}

bool block_header_signature_holds(const tally_block_header *header) {
    uint8_t bytes[TALLY_BLOCK_HEADER_BYTES];
    tally_block_header_encode(header, bytes);
    return crypto_sign_verify_detached(header->signature, bytes, TALLY_BLOCK_SIGNED_BYTES,
                                       header->producer.bytes) == 0;
}

static void tip_from_header(tally_chain_tip *tip, const tally_block_header *header) {
    tip->height = header->height;
    tally_block_hash(header, tip->hash);
    tip->block_time = header->block_time;
    memcpy(tip->state_hash, header->state_hash, TALLY_HASH_BYTES);
}

/* ------------------------------------------------------------------------ */
/* Genesis.                                                                  */
/* ------------------------------------------------------------------------ */

void tally_chain_id(const tally_key *producer, int64_t genesis_time, const char *name,
                    size_t name_length, const tally_chain_rules *rules, uint8_t out[TALLY_CHAIN_ID_BYTES]) {
    assert(producer != NULL && out != NULL && rules != NULL);
    assert(name != NULL && name_length <= TALLY_NAME_MAX);
    assert(rules->validator_count <= TALLY_VALIDATORS_MAX);
    uint8_t rules_bytes[CHAIN_RULES_BYTES_MAX];
    size_t rules_length = chain_rules_encode(rules, rules_bytes);
    uint8_t time_bytes[8], length_bytes[2];
    le_store_u64(time_bytes, (uint64_t)genesis_time);
    le_store_u16(length_bytes, (uint16_t)name_length);
    crypto_generichash_state state;
    crypto_generichash_init(&state, NULL, 0, TALLY_CHAIN_ID_BYTES);
    crypto_generichash_update(&state, (const uint8_t *)CHAIN_ID_DOMAIN, strlen(CHAIN_ID_DOMAIN));
    crypto_generichash_update(&state, producer->bytes, TALLY_KEY_BYTES);
    crypto_generichash_update(&state, time_bytes, sizeof time_bytes);
    crypto_generichash_update(&state, length_bytes, sizeof length_bytes);
    crypto_generichash_update(&state, (const uint8_t *)name, name_length);
    crypto_generichash_update(&state, rules_bytes, rules_length);
    crypto_generichash_final(&state, out, TALLY_CHAIN_ID_BYTES);
}

/* The hash of the empty state of a chain, and (when `state` is not NULL) that
 * state. false when out of memory. */
static bool empty_state(const uint8_t chain_id[TALLY_CHAIN_ID_BYTES], const tally_chain_rules *rules,
                        uint8_t hash[TALLY_HASH_BYTES], tally_state **state) {
    tally_state *made = tally_state_create_for_chain(chain_id, rules);
    if (made == NULL) return false;
    bool hashed = tally_state_commit(made, hash);
    if (hashed && state != NULL) {
        *state = made;
    } else {
        tally_state_destroy(made);
    }
    return hashed;
}

tally_chain_error tally_genesis_make(const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                     int64_t genesis_time, const char *name, size_t name_length,
                                     const tally_chain_rules *rules, tally_block *genesis,
                                     tally_chain_failure *failure) {
    assert(producer_secret != NULL && genesis != NULL);
    if (!chain_name_is_valid(name, name_length))
        return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_BAD_NAME, 0, TALLY_NO_TX, NULL);
    tally_key producer;
    memcpy(producer.bytes, secret_public_half(producer_secret), TALLY_KEY_BYTES);
    tally_chain_rules chosen;
    if (rules == NULL) tally_chain_rules_defaults(&chosen, &producer);
    else chosen = *rules;
    if (chosen.validator_count == 0) {
        chosen.validator_count = 1;
        chosen.validators[0] = producer;
    }
    if (!chain_rules_are_valid_for_genesis(&chosen) ||
        sodium_memcmp(chosen.validators[0].bytes, producer.bytes, TALLY_KEY_BYTES) != 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, 0, TALLY_NO_TX,
                          "the chain rules are out of range or do not make the producer validator 0");
    tally_block_header *header = &genesis->header;
    block_release_lines(genesis);
    memset(header, 0, sizeof *header);
    header->version = TALLY_BLOCK_VERSION;
    header->block_time = genesis_time;
    header->producer = producer;
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    tally_chain_id(&header->producer, genesis_time, name, name_length, &chosen, chain_id);
    if (!empty_state(chain_id, &chosen, header->state_hash, NULL))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, 0, TALLY_NO_TX, NULL);
    genesis->rules = chosen;
    memset(genesis->name, 0, sizeof genesis->name);
    memcpy(genesis->name, name, name_length);
    genesis->name_length = (uint16_t)name_length;
    header_sign(header, producer_secret);
    return TALLY_CHAIN_OK;
}

tally_chain_error tally_genesis_open(const tally_block *genesis, tally_state **state,
                                     tally_chain_tip *tip, tally_chain_failure *failure) {
    assert(genesis != NULL && state != NULL && tip != NULL);
    *state = NULL;
    const tally_block_header *header = &genesis->header;
    if (header->version != TALLY_BLOCK_VERSION)
        return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_BAD_VERSION, 0, TALLY_NO_TX, NULL);
    if (header->height != 0 || header->tx_count != 0 || genesis->event_count != 0 || !is_zero_hash(header->prev_hash) ||
        !is_zero_hash(header->tx_root) || !is_zero_hash(header->results_root))
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_GENESIS, 0, TALLY_NO_TX, NULL);
    if (!chain_name_is_valid(genesis->name, genesis->name_length))
        return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_BAD_NAME, 0, TALLY_NO_TX, NULL);
    if (!chain_rules_are_valid_for_genesis(&genesis->rules))
        return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_BAD_RULES, 0, TALLY_NO_TX, NULL);
    if (sodium_memcmp(genesis->rules.validators[0].bytes, header->producer.bytes, TALLY_KEY_BYTES) != 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_GENESIS, 0, TALLY_NO_TX,
                          "the genesis producer is not the chain's validator 0");
    if (!block_header_signature_holds(header))
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE, 0, TALLY_NO_TX, NULL);

    tally_chain_tip made;
    memset(&made, 0, sizeof made);
    made.producer = header->producer;
    made.validator_count = genesis->rules.validator_count;
    memcpy(made.validators, genesis->rules.validators, sizeof made.validators);
    tally_chain_id(&header->producer, header->block_time, genesis->name, genesis->name_length, &genesis->rules,
                   made.chain_id);
    uint8_t expected[TALLY_HASH_BYTES];
    tally_state *created = NULL;
    if (!empty_state(made.chain_id, &genesis->rules, expected, &created))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, 0, TALLY_NO_TX, NULL);
    /* The state hash commits to the chain id, so this also binds the name. */
    if (sodium_memcmp(expected, header->state_hash, TALLY_HASH_BYTES) != 0) {
        tally_state_destroy(created);
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_STATE_HASH, 0, TALLY_NO_TX,
                          "the state hash is not that of the empty state of the chain");
    }
    tip_from_header(&made, header);
    *tip = made;
    *state = created;
    return TALLY_CHAIN_OK;
}

int tally_chain_roster_index(const tally_chain_tip *tip, const tally_key *key) {
    assert(tip != NULL && key != NULL);
    for (uint8_t i = 0; i < tip->validator_count && i < TALLY_VALIDATORS_MAX; i++)
        if (sodium_memcmp(tip->validators[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) return i;
    return -1;
}

int tally_chain_validator_index(const tally_chain_tip *tip, const tally_key *key) {
    int slot = tally_chain_roster_index(tip, key);
    return slot >= 0 && (tip->retired >> slot & 1u) == 0 ? slot : -1;
}

void tally_chain_tip_take_validators(tally_chain_tip *tip, const tally_state *state) {
    assert(tip != NULL && state != NULL);
    const tally_chain_rules *rules = tally_state_chain_rules(state);
    tip->validator_count = rules->validator_count;
    memcpy(tip->validators, rules->validators, sizeof tip->validators);
    tip->retired = rules->retired;
}

/* ------------------------------------------------------------------------ */
/* Building.                                                                 */
/* ------------------------------------------------------------------------ */

/* The events of a block being built, appended to it as its end makes them. */
typedef struct {
    tally_block *block;
    bool out_of_memory;
} event_recorder;

static void record_event(void *context, const tally_event *event) {
    event_recorder *recorder = context;
    tally_block *block = recorder->block;
    /* The core makes at most TALLY_BLOCK_EVENTS_MAX; the room is made as they come. */
    if (recorder->out_of_memory || !block_reserve_events(block, block->event_count + 1)) {
        recorder->out_of_memory = true;
        return;
    }
    block->events[block->event_count++] = *event;
}

/* Everything but the transactions: end of block, commitment, roots, signature. */
static tally_chain_error build_finish(tally_state *state, tally_chain_tip *tip,
                                      const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                      int64_t block_time, tally_block *block,
                                      tally_chain_failure *failure) {
    tally_block_header *header = &block->header;
    event_recorder recorder = {block, false};
    block->event_count = 0;
    (void)tally_end_block_events(state, block_time, record_event, &recorder);
    if (recorder.out_of_memory)
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, header->height, TALLY_NO_TX,
                          "no memory to record the events of the block's end");
    /* The commitment rehashes what the block touched (and the log of each table). */
    if (!tally_state_commit(state, header->state_hash))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, header->height, TALLY_NO_TX, NULL);
    /* Accepted transactions are encodable: the core refuses values the encoder
     * cannot write (text too long, unknown type). */
    if (!tally_block_tx_root(block->txs, header->tx_count, header->tx_root))
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, header->height, TALLY_NO_TX,
                          "an accepted transaction cannot be encoded");
    tally_block_results_root(block->results, header->tx_count, block->events, block->event_count,
                             header->results_root);
    header_sign(header, producer_secret);
    tip_from_header(tip, header);
    tally_chain_tip_take_validators(tip, state); /* a change in force checks the next block */
    return TALLY_CHAIN_OK;
}

/* The refusals that come before the state is touched. */
static tally_chain_error build_check(const tally_chain_tip *tip,
                                     const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                     int64_t block_time, const tally_tx *candidates, uint32_t candidate_count,
                                     tally_block *block, tally_chain_failure *failure) {
    if (tip->height == UINT64_MAX)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, TALLY_NO_HEIGHT, TALLY_NO_TX,
                          "the chain has reached the last height");
    uint64_t height = tip->height + 1;
    if (candidate_count > TALLY_BLOCK_TXS_MAX)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, height, TALLY_NO_TX,
                          "%u candidates are more than a block holds", candidate_count);
    if (block_time < tip->block_time)
        return chain_fail(failure, TALLY_CHAIN_ERR_TIME_BACKWARDS, height, TALLY_NO_TX, NULL);
    tally_key signer;
    memcpy(signer.bytes, secret_public_half(producer_secret), TALLY_KEY_BYTES);
    if (tally_chain_validator_index(tip, &signer) < 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_WRONG_PRODUCER, height, TALLY_NO_TX,
                          "the secret key is not a validator's of this chain");
    uint64_t lines = 0;
    for (uint32_t i = 0; i < candidate_count; i++) lines += block_lines_of(&candidates[i]);
    if (lines > TALLY_BLOCK_LINES_MAX)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, height, TALLY_NO_TX,
                          "the candidates' batches hold %" PRIu64 " lines, more than a block holds", lines);
    if (!block_reserve(block, candidate_count))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
    return TALLY_CHAIN_OK;
}

tally_chain_error block_build(tally_state *state, tally_chain_tip *tip,
                              const uint8_t producer_secret[TALLY_SECRET_BYTES], int64_t block_time,
                              const tally_tx *candidates, const tally_tx_prepared *prepared, uint32_t candidate_count,
                              bool signatures_checked, tally_result *candidate_results,
                              tally_block *block, bool *state_changed, tally_chain_failure *failure) {
    assert(state != NULL && tip != NULL && producer_secret != NULL && block != NULL);
    assert(candidates != NULL || candidate_count == 0);
    *state_changed = false;
    tally_chain_error error = build_check(tip, producer_secret, block_time, candidates, candidate_count, block, failure);
    if (error != TALLY_CHAIN_OK) return error;

    tally_block_header *header = &block->header;
    block_release_lines(block);
    memset(header, 0, sizeof *header);
    header->version = TALLY_BLOCK_VERSION;
    header->height = tip->height + 1;
    memcpy(header->prev_hash, tip->hash, TALLY_HASH_BYTES);
    header->block_time = block_time;
    memcpy(header->producer.bytes, secret_public_half(producer_secret), TALLY_KEY_BYTES);
    block->name_length = 0;
    block->event_count = 0;
    *state_changed = true;
    for (uint32_t i = 0; i < candidate_count; i++) {
        tally_result result = signatures_checked
                                  ? tally_apply_prepared(state, &candidates[i], prepared ? &prepared[i] : NULL, block_time)
                                  : tally_apply_signed(state, &candidates[i], block_time);
        if (candidate_results != NULL) candidate_results[i] = result;
        if (result.code != TALLY_OK) continue; /* refused: changed nothing, stays out */
        /* The block owns its lines: a batch's are copied from the candidate's. */
        if (!tally_tx_copy(&block->txs[header->tx_count], &candidates[i]))
            return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, header->height, i, NULL);
        block->results[header->tx_count] = result;
        header->tx_count++;
    }
    return build_finish(state, tip, producer_secret, block_time, block, failure);
}

tally_chain_error tally_block_build(tally_state *state, tally_chain_tip *tip,
                                    const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                    int64_t block_time, const tally_tx *candidates,
                                    uint32_t candidate_count, tally_result *candidate_results,
                                    tally_block *block, tally_chain_failure *failure) {
    bool state_changed;
    return block_build(state, tip, producer_secret, block_time, candidates, NULL, candidate_count, false,
                       candidate_results, block, &state_changed, failure);
}

tally_chain_error tally_block_build_verified(tally_state *state, tally_chain_tip *tip,
                                             const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                             int64_t block_time, const tally_tx *candidates,
                                             uint32_t candidate_count, tally_result *candidate_results,
                                             tally_block *block, tally_chain_failure *failure) {
    bool state_changed;
    return block_build(state, tip, producer_secret, block_time, candidates, NULL, candidate_count, true,
                       candidate_results, block, &state_changed, failure);
}

/* ------------------------------------------------------------------------ */
/* Verifying.                                                                */
/* ------------------------------------------------------------------------ */

/* Failures name the block by its place in the chain (tip height + 1), which is
 * where a forged height claims to be elsewhere. */
static tally_chain_error check_header(const tally_chain_tip *tip, const tally_block_header *header,
                                      const block_signatures *checked, tally_chain_failure *failure) {
    uint64_t height = tip->height == UINT64_MAX ? TALLY_NO_HEIGHT : tip->height + 1;
    if (header->version != TALLY_BLOCK_VERSION)
        return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_BAD_VERSION, height, TALLY_NO_TX, NULL);
    if (header->tx_count > TALLY_BLOCK_TXS_MAX)
        return chain_fail(failure, TALLY_CHAIN_ERR_DECODE_TOO_MANY_TXS, height, TALLY_NO_TX, NULL);
    if (height == TALLY_NO_HEIGHT || header->height != height)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_HEIGHT, height, TALLY_NO_TX,
                          "the block says height %" PRIu64 " but follows block %" PRIu64,
                          header->height, tip->height);
    if (sodium_memcmp(header->prev_hash, tip->hash, TALLY_HASH_BYTES) != 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_PREV_HASH, height, TALLY_NO_TX, NULL);
    if (header->block_time < tip->block_time)
        return chain_fail(failure, TALLY_CHAIN_ERR_TIME_BACKWARDS, height, TALLY_NO_TX,
                          "block time %" PRId64 " is before the previous block's %" PRId64,
                          header->block_time, tip->block_time);
    if (tally_chain_validator_index(tip, &header->producer) < 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_WRONG_PRODUCER, height, TALLY_NO_TX, NULL);
    if (!(checked ? checked->header : block_header_signature_holds(header)))
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE, height, TALLY_NO_TX, NULL);
    return TALLY_CHAIN_OK;
}

static tally_chain_error check_body(const tally_block *block, tally_chain_failure *failure) {
    const tally_block_header *header = &block->header;
    uint8_t root[TALLY_HASH_BYTES];
    if (!tally_block_tx_root(block->txs, header->tx_count, root) ||
        sodium_memcmp(root, header->tx_root, TALLY_HASH_BYTES) != 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_TX_ROOT, header->height, TALLY_NO_TX, NULL);
    tally_block_results_root(block->results, header->tx_count, block->events, block->event_count, root);
    if (sodium_memcmp(root, header->results_root, TALLY_HASH_BYTES) != 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_RESULTS_ROOT, header->height, TALLY_NO_TX, NULL);
    for (uint32_t i = 0; i < header->tx_count; i++) {
        tally_error code = block->results[i].code;
        if (code == TALLY_OK) continue;
        chain_fail(failure, TALLY_CHAIN_ERR_RESULT_NOT_OK, header->height, i,
                   "the block records the refusal %s; blocks hold only accepted transactions",
                   tally_error_name(code));
        if (failure != NULL) failure->tx_code = code;
        return TALLY_CHAIN_ERR_RESULT_NOT_OK;
    }
    return TALLY_CHAIN_OK;
}

tally_chain_error tally_block_check(const tally_chain_tip *tip, const tally_block *block,
                                    tally_chain_failure *failure) {
    assert(tip != NULL && block != NULL);
    tally_chain_error error = check_header(tip, &block->header, NULL, failure);
    if (error != TALLY_CHAIN_OK) return error;
    return check_body(block, failure);
}

static bool results_equal(const tally_result *a, const tally_result *b) {
    uint8_t bytes_a[TALLY_RESULT_BYTES], bytes_b[TALLY_RESULT_BYTES];
    tally_result_encode(a, bytes_a);
    tally_result_encode(b, bytes_b);
    return memcmp(bytes_a, bytes_b, TALLY_RESULT_BYTES) == 0;
}

static tally_chain_error apply_txs(tally_state *state, const tally_block *block, const bool *signed_well,
                                   tally_chain_failure *failure) {
    const tally_block_header *header = &block->header;
    for (uint32_t i = 0; i < header->tx_count; i++) {
        /* A signature known good is not checked again; tally_apply_signed makes
         * exactly tally_apply's checks after it. */
        tally_result result = signed_well && signed_well[i]
                                  ? tally_apply(state, &block->txs[i], header->block_time)
                                  : tally_apply_signed(state, &block->txs[i], header->block_time);
        if (results_equal(&result, &block->results[i])) continue;
        tally_chain_error code = result.code == TALLY_ERR_BAD_SIGNATURE
                                     ? TALLY_CHAIN_ERR_BAD_TX_SIGNATURE
                                     : TALLY_CHAIN_ERR_RESULT_MISMATCH;
        if (result.code == block->results[i].code) {
            chain_fail(failure, code, header->height, i,
                       "applying gave %s with other figures than the block records",
                       tally_error_name(result.code));
        } else {
            chain_fail(failure, code, header->height, i, "applying gave %s, the block records %s",
                       tally_error_name(result.code), tally_error_name(block->results[i].code));
        }
        if (failure != NULL) failure->tx_code = result.code;
        return code;
    }
    return TALLY_CHAIN_OK;
}

/* The events a block's end makes, checked one by one against those it records. */
typedef struct {
    const tally_block *block;
    uint32_t seen;
    uint32_t first_mismatch; /* UINT32_MAX while all agree */
} event_checker;

static void check_event(void *context, const tally_event *event) {
    event_checker *checker = context;
    uint32_t at = checker->seen++;
    if (checker->first_mismatch != UINT32_MAX) return;
    uint8_t made[TALLY_EVENT_BYTES], recorded[TALLY_EVENT_BYTES];
    tally_event_encode(event, made);
    if (at < checker->block->event_count) tally_event_encode(&checker->block->events[at], recorded);
    if (at >= checker->block->event_count || memcmp(made, recorded, TALLY_EVENT_BYTES) != 0)
        checker->first_mismatch = at;
}

static tally_chain_error apply_end(tally_state *state, const tally_block *block, tally_chain_failure *failure) {
    event_checker checker = {block, 0, UINT32_MAX};
    (void)tally_end_block_events(state, block->header.block_time, check_event, &checker);
    if (checker.first_mismatch != UINT32_MAX)
        return chain_fail(failure, TALLY_CHAIN_ERR_EVENTS_MISMATCH, block->header.height, TALLY_NO_TX,
                          "event %u of the block's end is not the one the block records (it records %u)",
                          checker.first_mismatch, block->event_count);
    if (checker.seen != block->event_count)
        return chain_fail(failure, TALLY_CHAIN_ERR_EVENTS_MISMATCH, block->header.height, TALLY_NO_TX,
                          "the block's end made %u events, the block records %u", checker.seen,
                          block->event_count);
    return TALLY_CHAIN_OK;
}

static tally_chain_error check_state(tally_state *state, const tally_block_header *header,
                                     tally_chain_failure *failure) {
    uint8_t hash[TALLY_HASH_BYTES];
    if (!tally_state_commit(state, hash))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, header->height, TALLY_NO_TX, NULL);
    if (sodium_memcmp(hash, header->state_hash, TALLY_HASH_BYTES) != 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_STATE_HASH, header->height, TALLY_NO_TX, NULL);
    char why[INVARIANT_WHY_MAX];
    if (!tally_check_invariants_changed(state, why, sizeof why))
        return chain_fail(failure, TALLY_CHAIN_ERR_INVARIANT_BROKEN, header->height, TALLY_NO_TX,
                          "invariant broken: %s", why);
    return TALLY_CHAIN_OK;
}

tally_chain_error block_apply_checked(tally_state *state, tally_chain_tip *tip, const tally_block *block,
                                      const block_signatures *checked, tally_chain_failure *failure) {
    assert(state != NULL && tip != NULL && block != NULL);
    assert(memcmp(tally_state_chain_id(state), tip->chain_id, TALLY_CHAIN_ID_BYTES) == 0);
    tally_chain_error error = check_header(tip, &block->header, checked, failure);
    if (error == TALLY_CHAIN_OK) error = check_body(block, failure);
    if (error != TALLY_CHAIN_OK) return error;
    error = apply_txs(state, block, checked ? checked->txs : NULL, failure);
    if (error != TALLY_CHAIN_OK) return error;
    error = apply_end(state, block, failure);
    if (error != TALLY_CHAIN_OK) return error;
    error = check_state(state, &block->header, failure);
    if (error != TALLY_CHAIN_OK) return error;
    tip_from_header(tip, &block->header);
    tally_chain_tip_take_validators(tip, state); /* a change in force checks the next block */
    return TALLY_CHAIN_OK;
}

tally_chain_error tally_block_apply(tally_state *state, tally_chain_tip *tip, const tally_block *block,
                                    tally_chain_failure *failure) {
    return block_apply_checked(state, tip, block, NULL, failure);
}

/* ------------------------------------------------------------------------ */
/* Proofs.                                                                   */
/* ------------------------------------------------------------------------ */

tally_chain_error tally_chain_proof_check(const tally_state_proof *proof, const tally_block_header *header,
                                          const tally_key *trusted_producer, const uint8_t *chain_id,
                                          tally_chain_failure *failure) {
    assert(proof != NULL && header != NULL && trusted_producer != NULL);
    uint8_t root[TALLY_HASH_BYTES];
    if (!tally_state_proof_root(proof, root))
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_PROOF, header->height, TALLY_NO_TX,
                          "the proof is malformed or its path does not lead to its table's root");
    if (sodium_memcmp(root, header->state_hash, TALLY_HASH_BYTES) != 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_PROOF, header->height, TALLY_NO_TX,
                          "the record leads to another state than the header's");
    if (!block_header_signature_holds(header))
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE, header->height, TALLY_NO_TX, NULL);
    if (sodium_memcmp(header->producer.bytes, trusted_producer->bytes, TALLY_KEY_BYTES) != 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_WRONG_PRODUCER, header->height, TALLY_NO_TX,
                          "the header is signed, but not by the producer you trust");
    if (chain_id != NULL && sodium_memcmp(chain_id, proof->chain_id, TALLY_CHAIN_ID_BYTES) != 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_WRONG_CHAIN, header->height, TALLY_NO_TX,
                          "the proof is of another chain");
    return TALLY_CHAIN_OK;
}
