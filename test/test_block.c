/*
 * test_block.c: blocks in memory. The encoding round-trips and its decoder is
 * strict (every truncation, trailing byte, bad length, bad count, undecodable
 * transaction and unknown result code refused; every single-byte change either
 * refused or decoded to a block that encodes back to the same bytes); Merkle roots
 * have exactly the structure of the spec, checked by hand; the genesis binds the
 * chain's name; building keeps only accepted transactions; and verifying a block
 * recomputes every claim, reporting each forgery with its height and reason.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "chain_fixture.h"
#include "core/ledger.h"
#include "test.h"

/* ------------------------------------------------------------------------ */
/* Encoding.                                                                 */
/* ------------------------------------------------------------------------ */

TEST(block_round_trip_gives_the_same_bytes) {
    test_chain chain;
    chain_history(&chain);
    tally_block block;
    tally_block_init(&block);
    for (uint32_t height = 0; height < chain.count; height++) {
        chain_block(&chain, height, &block);
        CHECK_EQ(block.header.height, height);
        size_t length;
        uint8_t *again = block_bytes(&block, &length);
        CHECK(length == chain.lengths[height] && memcmp(again, chain.encoded[height], length) == 0);
        CHECK(tally_block_encode(&block, again, length - 1) == 0); /* too small */
        free(again);
    }
    chain_block(&chain, 0, &block);
    CHECK_EQ(block.name_length, strlen(CHAIN_NAME));
    CHECK(memcmp(block.name, CHAIN_NAME, block.name_length) == 0);
    tally_block_release(&block);
    chain_free(&chain);
}

TEST(block_header_decode_is_strict) {
    test_chain chain;
    chain_history(&chain);
    const uint8_t *bytes = chain.encoded[3];
    tally_block_header header;
    CHECK_EQ(tally_block_header_decode(bytes, TALLY_BLOCK_HEADER_BYTES, &header), TALLY_CHAIN_OK);
    CHECK_EQ(header.height, 3);
    CHECK_EQ(header.tx_count, 3);
    CHECK_EQ(tally_block_header_decode(bytes, TALLY_BLOCK_HEADER_BYTES - 1, &header),
             TALLY_CHAIN_ERR_DECODE_TRUNCATED);
    CHECK_EQ(tally_block_header_decode(bytes, TALLY_BLOCK_HEADER_BYTES + 1, &header),
             TALLY_CHAIN_ERR_DECODE_TRAILING_BYTES);
    uint8_t copy[TALLY_BLOCK_HEADER_BYTES];
    memcpy(copy, bytes, sizeof copy);
    copy[0] = TALLY_BLOCK_VERSION + 1;
    CHECK_EQ(tally_block_header_decode(copy, sizeof copy, &header), TALLY_CHAIN_ERR_DECODE_BAD_VERSION);
    copy[0] = TALLY_BLOCK_VERSION - 1; /* version 1 blocks (before the chain rules) are not read */
    CHECK_EQ(tally_block_header_decode(copy, sizeof copy, &header), TALLY_CHAIN_ERR_DECODE_BAD_VERSION);
    memcpy(copy, bytes, sizeof copy);
    /* tx_count sits after version, height, prev_hash and block_time */
    size_t count_at = 1 + 8 + 32 + 8;
    copy[count_at] = 0x01, copy[count_at + 1] = 0x00, copy[count_at + 2] = 0x01, copy[count_at + 3] = 0;
    CHECK_EQ(tally_block_header_decode(copy, sizeof copy, &header), TALLY_CHAIN_ERR_DECODE_TOO_MANY_TXS);
    chain_free(&chain);
}

TEST(block_decode_refuses_every_truncation_and_trailing_byte) {
    test_chain chain;
    chain_history(&chain);
    tally_block block;
    tally_block_init(&block);
    for (uint32_t height = 0; height < chain.count; height += 3) {
        size_t length = chain.lengths[height];
        for (size_t cut = 0; cut < length; cut++) {
            tally_chain_failure failure;
            tally_chain_error error = tally_block_decode(chain.encoded[height], cut, &block, &failure);
            CHECK(error != TALLY_CHAIN_OK);
            CHECK_EQ(block.header.tx_count, 0); /* a failed decode claims no transactions */
        }
        uint8_t *longer = malloc(length + 1);
        memcpy(longer, chain.encoded[height], length);
        longer[length] = 0;
        CHECK_EQ(tally_block_decode(longer, length + 1, &block, NULL), TALLY_CHAIN_ERR_DECODE_TRAILING_BYTES);
        free(longer);
    }
    tally_block_release(&block);
    chain_free(&chain);
}

TEST(block_decode_every_byte_change_is_refused_or_canonical) {
    test_chain chain;
    chain_history(&chain);
    size_t length = chain.lengths[3];
    uint8_t *mutated = malloc(length);
    tally_block block;
    tally_block_init(&block);
    size_t refused = 0, accepted = 0;
    const uint8_t flips[] = {0x01, 0x80, 0xff};
    for (size_t position = 0; position < length; position++) {
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(mutated, chain.encoded[3], length);
            mutated[position] ^= flips[f];
            if (tally_block_decode(mutated, length, &block, NULL) != TALLY_CHAIN_OK) {
                refused++;
                continue;
            }
            accepted++;
            size_t again_length;
            uint8_t *again = block_bytes(&block, &again_length);
            CHECK(again_length == length && memcmp(again, mutated, length) == 0);
            free(again);
        }
    }
    /* Hashes, keys and amounts change into other decodable blocks: catching those is
     * verification's job (tested below), not the decoder's. */
    CHECK(refused > 100 && accepted > 100);
    free(mutated);
    tally_block_release(&block);
    chain_free(&chain);
}

/* The byte offset of the first transaction's u16 length in a non-genesis block. */
#define FIRST_TX_AT TALLY_BLOCK_HEADER_BYTES

TEST(block_decode_names_each_malformed_part) {
    test_chain chain;
    chain_history(&chain);
    size_t length = chain.lengths[3];
    uint8_t *bytes = malloc(length + 600);
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;

    /* a transaction of length 0, and one longer than any encoding */
    memcpy(bytes, chain.encoded[3], length);
    bytes[FIRST_TX_AT] = 0, bytes[FIRST_TX_AT + 1] = 0;
    CHECK_EQ(tally_block_decode(bytes, length, &block, &failure), TALLY_CHAIN_ERR_DECODE_BAD_TX_LENGTH);
    CHECK_EQ(failure.tx_index, 0);
    bytes[FIRST_TX_AT] = (uint8_t)(TALLY_TX_ENCODED_MAX + 1), bytes[FIRST_TX_AT + 1] = (uint8_t)((TALLY_TX_ENCODED_MAX + 1) >> 8);
    CHECK_EQ(tally_block_decode(bytes, length, &block, &failure), TALLY_CHAIN_ERR_DECODE_BAD_TX_LENGTH);

    /* a transaction of an unknown version */
    memcpy(bytes, chain.encoded[3], length);
    bytes[FIRST_TX_AT + 2] = 9;
    CHECK_EQ(tally_block_decode(bytes, length, &block, &failure), TALLY_CHAIN_ERR_DECODE_BAD_TX);
    CHECK_EQ(failure.height, 3);
    CHECK_EQ(failure.tx_index, 0);
    CHECK_EQ(failure.tx_code, TALLY_ERR_DECODE_BAD_VERSION);
    CHECK(strstr(failure.message, "block 3: transaction 0:") != NULL);

    /* the last result's code is no tally_error (block 3's end made no event: its
     * results end 4 bytes before the block, at the event count) */
    memcpy(bytes, chain.encoded[3], length);
    size_t last_result = length - 4u - TALLY_RESULT_BYTES;
    bytes[last_result] = 0xff, bytes[last_result + 1] = 0xff;
    CHECK_EQ(tally_block_decode(bytes, length, &block, &failure), TALLY_CHAIN_ERR_DECODE_BAD_RESULT);
    CHECK_EQ(failure.tx_index, 2);

    /* more transactions than the bytes can hold: refused before allocating */
    memcpy(bytes, chain.encoded[3], length);
    bytes[1 + 8 + 32 + 8] = 0xff, bytes[1 + 8 + 32 + 8 + 1] = 0xff; /* tx_count 65535 */
    CHECK_EQ(tally_block_decode(bytes, length, &block, &failure), TALLY_CHAIN_ERR_DECODE_TRUNCATED);
    free(bytes);

    /* genesis names: empty, too long, control characters */
    size_t genesis_length = chain.lengths[0];
    bytes = malloc(genesis_length + 100);
    memcpy(bytes, chain.encoded[0], genesis_length);
    bytes[TALLY_BLOCK_HEADER_BYTES] = 0, bytes[TALLY_BLOCK_HEADER_BYTES + 1] = 0;
    CHECK_EQ(tally_block_decode(bytes, genesis_length, &block, NULL), TALLY_CHAIN_ERR_DECODE_BAD_NAME);
    bytes[TALLY_BLOCK_HEADER_BYTES] = TALLY_NAME_MAX + 1;
    CHECK_EQ(tally_block_decode(bytes, genesis_length, &block, NULL), TALLY_CHAIN_ERR_DECODE_BAD_NAME);
    memcpy(bytes, chain.encoded[0], genesis_length);
    bytes[TALLY_BLOCK_HEADER_BYTES + 2] = '\n';
    CHECK_EQ(tally_block_decode(bytes, genesis_length, &block, NULL), TALLY_CHAIN_ERR_DECODE_BAD_NAME);
    free(bytes);
    tally_block_release(&block);
    chain_free(&chain);
}

TEST(block_result_encoding_is_the_declared_order) {
    tally_result result = {TALLY_ERR_INSUFFICIENT_CREDIT, 7, 1, 2, 3, 4, 5, 6, 7, 8, -9, 0x1122334455667788, 0x0100};
    uint8_t bytes[TALLY_RESULT_BYTES];
    tally_result_encode(&result, bytes);
    CHECK_EQ(bytes[0] | bytes[1] << 8, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_EQ(bytes[2], 7);
    for (unsigned i = 0; i < 8; i++) CHECK_EQ(bytes[6 + 8 * i], i + 1); /* minted .. to_excess */
    CHECK_EQ(bytes[6 + 8 * 8], 0xf7); /* available = -9, two's complement */
    CHECK_EQ(bytes[6 + 8 * 9 - 1], 0xff);
    CHECK_EQ(bytes[6 + 8 * 9], 0x88); /* effective_at, little-endian */
    CHECK_EQ(bytes[6 + 8 * 10 - 1], 0x11);
    CHECK_EQ(bytes[TALLY_RESULT_BYTES - 2], 0x00); /* line 256, little-endian */
    CHECK_EQ(bytes[TALLY_RESULT_BYTES - 1], 0x01);
    tally_result back;
    CHECK(tally_result_decode(bytes, &back));
    CHECK(memcmp(&back, &result, sizeof back) == 0);
    /* A batch has at most TALLY_BATCH_LINES_MAX lines to name. */
    bytes[TALLY_RESULT_BYTES - 2] = 0x01;
    CHECK(!tally_result_decode(bytes, &back));
    bytes[TALLY_RESULT_BYTES - 2] = 0x00;
    CHECK(tally_result_decode(bytes, &back));
    CHECK_EQ(back.line, TALLY_BATCH_LINES_MAX);
    bytes[0] = (uint8_t)TALLY_ERROR_COUNT, bytes[1] = 0;
    CHECK(!tally_result_decode(bytes, &back));
}

/* ------------------------------------------------------------------------ */
/* Merkle roots.                                                             */
/* ------------------------------------------------------------------------ */

/* The spec's functions written out with libsodium alone. */
static void hand_leaf(const char *text, uint8_t out[32]) {
    uint8_t bytes[64];
    size_t length = strlen(text);
    bytes[0] = 0x00;
    memcpy(bytes + 1, text, length);
    crypto_generichash(out, 32, bytes, 1 + length, NULL, 0);
}

static void hand_node(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]) {
    uint8_t bytes[65];
    bytes[0] = 0x01;
    memcpy(bytes + 1, left, 32);
    memcpy(bytes + 33, right, 32);
    crypto_generichash(out, 32, bytes, sizeof bytes, NULL, 0);
}

/* The level-by-level definition: pair left to right, promote an odd last node. */
static void reference_root(const uint8_t *leaves, size_t count, uint8_t out[32]) {
    if (count == 0) {
        memset(out, 0, 32);
        return;
    }
    uint8_t *level = malloc(count * 32);
    memcpy(level, leaves, count * 32);
    while (count > 1) {
        size_t next = 0;
        for (size_t i = 0; i < count; i += 2, next++) {
            if (i + 1 < count) {
                hand_node(level + i * 32, level + (i + 1) * 32, level + next * 32);
            } else {
                memmove(level + next * 32, level + i * 32, 32);
            }
        }
        count = next;
    }
    memcpy(out, level, 32);
    free(level);
}

TEST(block_merkle_roots_have_the_exact_structure) {
    const char *texts[5] = {"a", "b", "c", "d", "e"};
    uint8_t leaves[5][32];
    for (int i = 0; i < 5; i++) hand_leaf(texts[i], leaves[i]);
    uint8_t check[32];
    tally_merkle_leaf((const uint8_t *)"a", 1, check);
    CHECK(memcmp(check, leaves[0], 32) == 0);

    uint8_t root[32], zero[32] = {0}, ab[32], cd[32], abcd[32], expected[32];
    tally_merkle_root(NULL, 0, root);
    CHECK(memcmp(root, zero, 32) == 0);
    tally_merkle_root(leaves[0], 1, root);
    CHECK(memcmp(root, leaves[0], 32) == 0); /* one leaf is its own root */
    hand_node(leaves[0], leaves[1], ab);
    tally_merkle_root(leaves[0], 2, root);
    CHECK(memcmp(root, ab, 32) == 0);
    hand_node(ab, leaves[2], expected); /* c promoted, not paired with itself */
    tally_merkle_root(leaves[0], 3, root);
    CHECK(memcmp(root, expected, 32) == 0);
    hand_node(leaves[2], leaves[3], cd);
    hand_node(ab, cd, abcd);
    hand_node(abcd, leaves[4], expected); /* e promoted twice */
    tally_merkle_root(leaves[0], 5, root);
    CHECK(memcmp(root, expected, 32) == 0);

    /* [a b c] and [a b c c] differ (duplication would make them equal) */
    uint8_t four[4][32], root3[32], root4[32];
    memcpy(four, leaves, 3 * 32);
    memcpy(four[3], leaves[2], 32);
    tally_merkle_root(four[0], 3, root3);
    tally_merkle_root(four[0], 4, root4);
    CHECK(memcmp(root3, root4, 32) != 0);
}

TEST(block_merkle_root_matches_the_level_by_level_definition) {
    enum { LEAVES = 70 };
    uint8_t leaves[LEAVES][32];
    for (int i = 0; i < LEAVES; i++) {
        char text[24];
        snprintf(text, sizeof text, "leaf %d", i);
        hand_leaf(text, leaves[i]);
    }
    for (size_t count = 0; count <= LEAVES; count++) {
        uint8_t fast[32], slow[32];
        tally_merkle_root(leaves[0], count, fast);
        reference_root(leaves[0], count, slow);
        CHECK(memcmp(fast, slow, 32) == 0);
    }
}

TEST(block_roots_cover_the_signed_encodings_and_results) {
    test_chain chain;
    chain_history(&chain);
    tally_block block;
    tally_block_init(&block);
    chain_block(&chain, 3, &block);
    REQUIRE(block.header.tx_count == 3);
    uint8_t leaves[3][32], results[3][32], root[32];
    for (uint32_t i = 0; i < 3; i++) {
        uint8_t bytes[TALLY_TX_ENCODED_MAX], result[TALLY_RESULT_BYTES];
        size_t length = tally_tx_encode(&block.txs[i], bytes, sizeof bytes);
        tally_merkle_leaf(bytes, length, leaves[i]);
        tally_result_encode(&block.results[i], result);
        tally_merkle_leaf(result, sizeof result, results[i]);
    }
    tally_merkle_root(leaves[0], 3, root);
    CHECK(memcmp(root, block.header.tx_root, 32) == 0);
    tally_merkle_root(results[0], 3, root);
    CHECK(memcmp(root, block.header.results_root, 32) == 0);
    /* an empty block has zero roots */
    chain_block(&chain, 7, &block);
    uint8_t zero[32] = {0};
    CHECK_EQ(block.header.tx_count, 0);
    CHECK(memcmp(block.header.tx_root, zero, 32) == 0 && memcmp(block.header.results_root, zero, 32) == 0);
    tally_block_release(&block);
    chain_free(&chain);
}

/* ------------------------------------------------------------------------ */
/* Genesis and building.                                                     */
/* ------------------------------------------------------------------------ */

TEST(block_genesis_binds_producer_time_and_name) {
    test_actor producer = actor(CHAIN_PRODUCER_ACTOR);
    /* the chain id written out */
    uint8_t input[16 + 32 + 8 + 2 + 64 + 7 + 32], id[32], expected[32];
    size_t name_length = strlen(CHAIN_NAME), at = 0;
    memcpy(input, "tally-genesis-v2", 16), at += 16;
    memcpy(input + at, producer.key.bytes, 32), at += 32;
    for (int i = 0; i < 8; i++) input[at++] = (uint8_t)((uint64_t)CHAIN_GENESIS_TIME >> (8 * i));
    input[at++] = (uint8_t)name_length, input[at++] = 0;
    memcpy(input + at, CHAIN_NAME, name_length), at += name_length;
    /* the default rules: open, 3 networks and 3 assets per key per day, not a dev
     * chain, the producer */
    const uint8_t rules_bytes[7] = {TALLY_GROWTH_OPEN, 3, 0, 3, 0, 0, 1};
    memcpy(input + at, rules_bytes, 7), at += 7;
    memcpy(input + at, producer.key.bytes, 32), at += 32;
    crypto_generichash(expected, 32, input, at, NULL, 0);
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, &producer.key);
    tally_chain_id(&producer.key, CHAIN_GENESIS_TIME, CHAIN_NAME, name_length, &rules, id);
    CHECK(memcmp(id, expected, 32) == 0);

    tally_block genesis;
    tally_block_init(&genesis);
    REQUIRE(tally_genesis_make(producer.secret, CHAIN_GENESIS_TIME, CHAIN_NAME, name_length, NULL, &genesis, NULL) ==
            TALLY_CHAIN_OK);
    CHECK_EQ(genesis.rules.validator_count, 1);
    CHECK(memcmp(genesis.rules.validators[0].bytes, producer.key.bytes, 32) == 0);
    tally_state *state = NULL;
    tally_chain_tip tip;
    REQUIRE(tally_genesis_open(&genesis, &state, &tip, NULL) == TALLY_CHAIN_OK);
    CHECK(memcmp(tip.chain_id, expected, 32) == 0);
    CHECK(memcmp(tally_state_chain_id(state), expected, 32) == 0);
    CHECK_EQ(tip.height, 0);
    CHECK_EQ(tip.block_time, CHAIN_GENESIS_TIME);
    tally_state_destroy(state);

    /* another name gives another chain id, so the signed state hash no longer fits */
    tally_block renamed = genesis;
    renamed.name[0] = 'G';
    tally_chain_failure failure;
    CHECK_EQ(tally_genesis_open(&renamed, &state, &tip, &failure), TALLY_CHAIN_ERR_BAD_STATE_HASH);
    CHECK(state == NULL);
    tally_block forged = genesis;
    forged.header.signature[5] ^= 1;
    CHECK_EQ(tally_genesis_open(&forged, &state, &tip, NULL), TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE);
    forged = genesis;
    forged.header.tx_count = 1;
    CHECK_EQ(tally_genesis_open(&forged, &state, &tip, NULL), TALLY_CHAIN_ERR_BAD_GENESIS);
    forged = genesis;
    forged.header.prev_hash[0] = 1;
    CHECK_EQ(tally_genesis_open(&forged, &state, &tip, NULL), TALLY_CHAIN_ERR_BAD_GENESIS);
    /* the rules are bound too: other rules are another chain, and validator 0 is the producer */
    forged = genesis;
    forged.rules.growth_mode = TALLY_GROWTH_APPROVED;
    CHECK_EQ(tally_genesis_open(&forged, &state, &tip, NULL), TALLY_CHAIN_ERR_BAD_STATE_HASH);
    forged = genesis;
    forged.rules.validators[0].bytes[0] ^= 1;
    CHECK_EQ(tally_genesis_open(&forged, &state, &tip, NULL), TALLY_CHAIN_ERR_BAD_GENESIS);
    forged = genesis;
    forged.rules.networks_per_key_per_day = 0;
    CHECK_EQ(tally_genesis_open(&forged, &state, &tip, NULL), TALLY_CHAIN_ERR_DECODE_BAD_RULES);
    tally_key stranger = actor(77).key;
    tally_chain_rules other;
    tally_chain_rules_defaults(&other, &stranger);
    CHECK_EQ(tally_genesis_make(producer.secret, CHAIN_GENESIS_TIME, CHAIN_NAME, name_length, &other, &genesis, NULL),
             TALLY_CHAIN_ERR_BAD_ARGUMENT);
    tally_chain_rules_defaults(&other, NULL);
    other.growth_mode = TALLY_GROWTH_APPROVED;
    REQUIRE(tally_genesis_make(producer.secret, CHAIN_GENESIS_TIME, CHAIN_NAME, name_length, &other, &genesis, NULL) ==
            TALLY_CHAIN_OK);
    CHECK_EQ(genesis.rules.growth_mode, TALLY_GROWTH_APPROVED);
    REQUIRE(tally_genesis_open(&genesis, &state, &tip, NULL) == TALLY_CHAIN_OK);
    CHECK(memcmp(tip.chain_id, expected, 32) != 0);
    CHECK_EQ(tally_state_chain_rules(state)->growth_mode, TALLY_GROWTH_APPROVED);
    tally_state_destroy(state);
    CHECK_EQ(tally_genesis_make(producer.secret, CHAIN_GENESIS_TIME, "", 0, NULL, &genesis, NULL),
             TALLY_CHAIN_ERR_DECODE_BAD_NAME);
    CHECK_EQ(tally_genesis_make(producer.secret, CHAIN_GENESIS_TIME, "tab\there", 8, NULL, &genesis, NULL),
             TALLY_CHAIN_ERR_DECODE_BAD_NAME);
    tally_block_release(&genesis);
}

static void state_hash_of(const tally_state *state, uint8_t out[32]) { CHECK(tally_state_hash(state, out)); }

TEST(block_build_refuses_bad_arguments_before_touching_the_state) {
    test_chain chain;
    chain_history(&chain);
    uint8_t before[32], after[32];
    state_hash_of(chain.state, before);
    tally_chain_tip tip = chain.tip;
    tally_tx pay = chain_payment(&chain, BOB, CAROL, 1);
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;
    CHECK_EQ(tally_block_build(chain.state, &chain.tip, chain.producer.secret, tip.block_time - 1, &pay, 1,
                               NULL, &block, &failure),
             TALLY_CHAIN_ERR_TIME_BACKWARDS);
    CHECK_EQ(failure.height, CHAIN_HISTORY_TIP + 1);
    test_actor other = actor(7);
    CHECK_EQ(tally_block_build(chain.state, &chain.tip, other.secret, tip.block_time, &pay, 1, NULL, &block, NULL),
             TALLY_CHAIN_ERR_WRONG_PRODUCER);
    CHECK_EQ(tally_block_build(chain.state, &chain.tip, chain.producer.secret, tip.block_time, &pay,
                               TALLY_BLOCK_TXS_MAX + 1, NULL, &block, NULL),
             TALLY_CHAIN_ERR_BAD_ARGUMENT);
    state_hash_of(chain.state, after);
    CHECK(memcmp(before, after, 32) == 0);
    CHECK(memcmp(&tip, &chain.tip, sizeof tip) == 0);
    tally_block_release(&block);
    chain_free(&chain);
}

TEST(block_build_keeps_only_accepted_transactions) {
    test_chain chain;
    chain_history(&chain);
    tally_tx candidates[3] = {chain_payment(&chain, BOB, CAROL, 1), chain_payment(&chain, CAROL, BOB, 1000000),
                              chain_payment(&chain, BOB, CAROL, 2)};
    chain.next_sequence[CAROL]--; /* the refused one does not use carol's sequence */
    tally_block block;
    tally_block_init(&block);
    tally_result results[3];
    tally_chain_tip tip = chain.tip;
    CHECK_EQ(tally_block_build(chain.state, &tip, chain.producer.secret, tip.block_time + 5, candidates, 3,
                               results, &block, NULL),
             TALLY_CHAIN_OK);
    CHECK_EQ(results[0].code, TALLY_OK);
    CHECK_CODE(results[1].code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_EQ(results[2].code, TALLY_OK);
    CHECK_EQ(block.header.tx_count, 2);
    CHECK_EQ(block.txs[1].body.transfer.amount, 2);
    CHECK_EQ(tip.height, CHAIN_HISTORY_TIP + 1);
    uint8_t hash[32];
    tally_block_hash(&block.header, hash);
    CHECK(memcmp(hash, tip.hash, 32) == 0);
    state_hash_of(chain.state, hash);
    CHECK(memcmp(hash, block.header.state_hash, 32) == 0);
    tally_block_release(&block);
    chain_free(&chain);
}

TEST(block_build_verified_trusts_the_callers_signature_check) {
    test_chain chain;
    chain_history(&chain);
    tally_chain_tip start;
    tally_state *follower = NULL;
    {
        /* a follower at the same tip, to verify the block with */
        tally_block genesis;
        tally_block_init(&genesis);
        chain_block(&chain, 0, &genesis);
        CHECK_EQ(tally_genesis_open(&genesis, &follower, &start, NULL), TALLY_CHAIN_OK);
        for (uint32_t h = 1; h < chain.count; h++) {
            chain_block(&chain, h, &genesis);
            CHECK_EQ(tally_block_apply(follower, &start, &genesis, NULL), TALLY_CHAIN_OK);
        }
        tally_block_release(&genesis);
    }
    REQUIRE(follower != NULL);
    tally_tx candidates[2] = {chain_payment(&chain, BOB, CAROL, 5), chain_payment(&chain, CAROL, BOB, 5)};
    candidates[1].signature[0] ^= 1; /* the caller's check would have caught it; here it did not */
    tally_block block;
    tally_block_init(&block);
    tally_result results[2];
    CHECK_EQ(tally_block_build_verified(chain.state, &chain.tip, chain.producer.secret, chain.tip.block_time,
                                        candidates, 2, results, &block, NULL),
             TALLY_CHAIN_OK);
    CHECK_EQ(block.header.tx_count, 2);
    tally_chain_failure failure;
    CHECK_EQ(tally_block_apply(follower, &start, &block, &failure), TALLY_CHAIN_ERR_BAD_TX_SIGNATURE);
    CHECK_EQ(failure.tx_index, 1);
    CHECK_EQ(failure.tx_code, TALLY_ERR_BAD_SIGNATURE);
    tally_block_release(&block);
    tally_state_destroy(follower);
    chain_free(&chain);
}

/* ------------------------------------------------------------------------ */
/* Verifying.                                                                */
/* ------------------------------------------------------------------------ */

/* A follower: the chain verified from its genesis up to and including `height`. */
static tally_state *follow(const test_chain *chain, uint32_t height, tally_chain_tip *tip) {
    tally_block block;
    tally_block_init(&block);
    tally_state *state = NULL;
    chain_block(chain, 0, &block);
    CHECK_EQ(tally_genesis_open(&block, &state, tip, NULL), TALLY_CHAIN_OK);
    for (uint32_t h = 1; h <= height && state != NULL; h++) {
        chain_block(chain, h, &block);
        tally_chain_failure failure;
        tally_chain_error error = tally_block_apply(state, tip, &block, &failure);
        if (error != TALLY_CHAIN_OK) test_fail(__FILE__, __LINE__, failure.message);
    }
    tally_block_release(&block);
    return state;
}

TEST(block_apply_verifies_every_block_to_the_producers_state) {
    test_chain chain;
    chain_history(&chain);
    tally_chain_tip tip;
    tally_state *state = follow(&chain, CHAIN_HISTORY_TIP, &tip);
    REQUIRE(state != NULL);
    uint8_t mine[32], theirs[32];
    state_hash_of(state, mine);
    state_hash_of(chain.state, theirs);
    CHECK(memcmp(mine, theirs, 32) == 0);
    CHECK(memcmp(&tip, &chain.tip, sizeof tip) == 0);
    tally_state_destroy(state);
    chain_free(&chain);
}

/* A core that made and checks a block shares a bug that breaks a sum: the state
 * hash matches (both computed the same broken state), and the invariant check of
 * the block's changes, not a full one, refuses it with the height and the sum. */
TEST(block_apply_checks_the_invariants_where_the_block_touched) {
    test_chain chain;
    chain_history(&chain);
    tally_chain_tip tip;
    tally_state *state = follow(&chain, CHAIN_HISTORY_TIP, &tip);
    REQUIRE(state != NULL && state->checker.kept); /* its sums kept since the first block */
    test_actor bob = actor(BOB);
    ledger_member(chain.state, CHAIN_NET, &bob.key)->balance += 1;
    ledger_member(state, CHAIN_NET, &bob.key)->balance += 1;
    tally_tx payment = chain_payment(&chain, ALICE, CAROL, 5);
    REQUIRE(chain_add_block(&chain, CHAIN_GENESIS_TIME + 30 * DAY, &payment, 1, NULL) == TALLY_CHAIN_OK);
    tally_block block;
    tally_block_init(&block);
    chain_block(&chain, CHAIN_HISTORY_TIP + 1, &block);
    tally_chain_failure failure;
    CHECK_EQ(tally_block_apply(state, &tip, &block, &failure), TALLY_CHAIN_ERR_INVARIANT_BROKEN);
    CHECK_EQ(failure.height, CHAIN_HISTORY_TIP + 1);
    CHECK(strstr(failure.message, "network 1 balances sum to 1, not 0") != NULL);
    tally_block_release(&block);
    tally_state_destroy(state);
    chain_free(&chain);
}

/* Each forgery of block 3 (three transactions, one refused candidate left out). */
typedef enum {
    FORGE_TX_BYTE,            /* a payment's amount, nothing else */
    FORGE_TX_RESEALED,        /* the same, roots and signature redone by the producer */
    FORGE_RESULT,             /* a recorded fee */
    FORGE_RESULT_RESEALED,
    FORGE_RESULT_REFUSAL,     /* a recorded refusal, resealed */
    FORGE_STATE_HASH,
    FORGE_STATE_HASH_RESEALED,
    FORGE_PREV_HASH,
    FORGE_HEIGHT,
    FORGE_TIME_BACKWARDS,
    FORGE_SIGNATURE_BYTE,
    FORGE_OTHER_PRODUCER,     /* a whole block signed by another key */
    FORGE_TX_DROPPED,         /* a transaction left out, resealed */
    FORGE_COUNT
} forgery;

typedef struct {
    tally_chain_error code;
    uint32_t tx_index;
    bool state_untouched; /* refused by tally_block_check */
} forgery_expectation;

static const forgery_expectation expectations[FORGE_COUNT] = {
    [FORGE_TX_BYTE] = {TALLY_CHAIN_ERR_BAD_TX_ROOT, TALLY_NO_TX, true},
    [FORGE_TX_RESEALED] = {TALLY_CHAIN_ERR_BAD_TX_SIGNATURE, 0, false},
    [FORGE_RESULT] = {TALLY_CHAIN_ERR_BAD_RESULTS_ROOT, TALLY_NO_TX, true},
    [FORGE_RESULT_RESEALED] = {TALLY_CHAIN_ERR_RESULT_MISMATCH, 1, false},
    [FORGE_RESULT_REFUSAL] = {TALLY_CHAIN_ERR_RESULT_NOT_OK, 2, true},
    [FORGE_STATE_HASH] = {TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE, TALLY_NO_TX, true},
    [FORGE_STATE_HASH_RESEALED] = {TALLY_CHAIN_ERR_BAD_STATE_HASH, TALLY_NO_TX, false},
    [FORGE_PREV_HASH] = {TALLY_CHAIN_ERR_BAD_PREV_HASH, TALLY_NO_TX, true},
    [FORGE_HEIGHT] = {TALLY_CHAIN_ERR_BAD_HEIGHT, TALLY_NO_TX, true},
    [FORGE_TIME_BACKWARDS] = {TALLY_CHAIN_ERR_TIME_BACKWARDS, TALLY_NO_TX, true},
    [FORGE_SIGNATURE_BYTE] = {TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE, TALLY_NO_TX, true},
    [FORGE_OTHER_PRODUCER] = {TALLY_CHAIN_ERR_WRONG_PRODUCER, TALLY_NO_TX, true},
    [FORGE_TX_DROPPED] = {TALLY_CHAIN_ERR_BAD_STATE_HASH, TALLY_NO_TX, false},
};

static void forge(tally_block *block, forgery kind, const test_chain *chain) {
    const uint8_t *producer = chain->producer.secret;
    tally_block_header *header = &block->header;
    switch (kind) {
    case FORGE_TX_BYTE: block->txs[0].body.transfer.amount += 1; return;
    case FORGE_TX_RESEALED: block->txs[0].body.transfer.amount += 1; break;
    case FORGE_RESULT: block->results[1].fee += 1; return;
    case FORGE_RESULT_RESEALED: block->results[1].fee += 1; break;
    case FORGE_RESULT_REFUSAL: block->results[2].code = TALLY_ERR_NOT_MEMBER; break;
    case FORGE_STATE_HASH: header->state_hash[0] ^= 1; return;
    case FORGE_STATE_HASH_RESEALED: header->state_hash[0] ^= 1; break;
    case FORGE_PREV_HASH: header->prev_hash[31] ^= 1; break;
    case FORGE_HEIGHT: header->height += 1; break;
    case FORGE_TIME_BACKWARDS: header->block_time = CHAIN_GENESIS_TIME + 100; break;
    case FORGE_SIGNATURE_BYTE: header->signature[10] ^= 1; return;
    case FORGE_OTHER_PRODUCER: block_reseal(block, actor(7).secret); return;
    case FORGE_TX_DROPPED:
        block->txs[1] = block->txs[2];
        block->results[1] = block->results[2];
        header->tx_count = 2;
        break;
    case FORGE_COUNT: return;
    }
    block_reseal(block, producer);
}

static const char *forgery_name(forgery kind) {
    static const char *const names[FORGE_COUNT] = {
        "tx byte", "tx resealed", "result", "result resealed", "result refusal", "state hash",
        "state hash resealed", "prev hash", "height", "time backwards", "signature byte",
        "other producer", "tx dropped"};
    return (unsigned)kind < FORGE_COUNT ? names[kind] : "?";
}

TEST(block_apply_reports_each_forgery_with_height_and_reason) {
    test_chain chain;
    chain_history(&chain);
    tally_block block;
    tally_block_init(&block);
    for (int kind = 0; kind < FORGE_COUNT; kind++) {
        tally_chain_tip tip;
        tally_state *state = follow(&chain, 2, &tip);
        REQUIRE(state != NULL);
        uint8_t before[32], after[32];
        state_hash_of(state, before);
        tally_chain_tip tip_before = tip;
        chain_block(&chain, 3, &block);
        forge(&block, (forgery)kind, &chain);
        tally_chain_failure failure;
        tally_chain_error error = tally_block_apply(state, &tip, &block, &failure);
        const forgery_expectation *expected = &expectations[kind];
        if (error != expected->code || failure.height != 3 || failure.tx_index != expected->tx_index) {
            char what[600];
            snprintf(what, sizeof what, "forgery '%s' gave %s (%s), want %s at block 3 tx %u",
                     forgery_name((forgery)kind), tally_chain_error_name(error), failure.message,
                     tally_chain_error_name(expected->code), expected->tx_index);
            test_fail(__FILE__, __LINE__, what);
        }
        CHECK(strstr(failure.message, "block 3") == failure.message);
        CHECK(memcmp(&tip, &tip_before, sizeof tip) == 0); /* the tip never moves on failure */
        if (expected->state_untouched) {
            CHECK_EQ(tally_block_check(&tip, &block, NULL), expected->code);
            state_hash_of(state, after);
            CHECK(memcmp(before, after, 32) == 0);
        }
        tally_state_destroy(state);
    }
    tally_block_release(&block);
    chain_free(&chain);
}

TEST(block_chain_error_names_and_messages_cover_every_code) {
    for (int code = 0; code < TALLY_CHAIN_ERROR_COUNT; code++) {
        CHECK(strcmp(tally_chain_error_name((tally_chain_error)code), "?") != 0);
        CHECK(strlen(tally_chain_error_message((tally_chain_error)code)) >= 2);
    }
    CHECK(strcmp(tally_chain_error_name(TALLY_CHAIN_ERROR_COUNT), "?") == 0);
    CHECK(strcmp(tally_chain_error_name(TALLY_CHAIN_ERR_BAD_STATE_HASH), "BAD_STATE_HASH") == 0);
}

/* A dev chain is one by its genesis: another chain id than the same chain's real
 * twin, the flag read back, and a flag other than 0 or 1 refused. */
TEST(block_genesis_marks_a_dev_chain) {
    test_actor producer = actor(CHAIN_PRODUCER_ACTOR);
    tally_chain_rules real, dev;
    tally_chain_rules_defaults(&real, &producer.key);
    dev = real;
    dev.dev_chain = 1;
    uint8_t real_id[32], dev_id[32];
    tally_chain_id(&producer.key, CHAIN_GENESIS_TIME, CHAIN_NAME, strlen(CHAIN_NAME), &real, real_id);
    tally_chain_id(&producer.key, CHAIN_GENESIS_TIME, CHAIN_NAME, strlen(CHAIN_NAME), &dev, dev_id);
    CHECK(memcmp(real_id, dev_id, 32) != 0);
    tally_block genesis, decoded;
    tally_block_init(&genesis);
    tally_block_init(&decoded);
    tally_chain_failure failure;
    CHECK_EQ(tally_genesis_make(producer.secret, CHAIN_GENESIS_TIME, CHAIN_NAME, strlen(CHAIN_NAME), &dev, &genesis,
                                &failure),
             TALLY_CHAIN_OK);
    size_t length;
    uint8_t *bytes = block_bytes(&genesis, &length);
    CHECK_EQ(tally_block_decode(bytes, length, &decoded, &failure), TALLY_CHAIN_OK);
    CHECK_EQ(decoded.rules.dev_chain, 1);
    tally_state *state = NULL;
    tally_chain_tip tip;
    CHECK_EQ(tally_genesis_open(&decoded, &state, &tip, &failure), TALLY_CHAIN_OK);
    CHECK(state != NULL && tally_state_chain_rules(state)->dev_chain == 1);
    CHECK(memcmp(tip.chain_id, dev_id, 32) == 0);
    tally_state_destroy(state);
    /* the flag is the byte after the rules' two u16 counts */
    size_t flag = TALLY_BLOCK_HEADER_BYTES + 2 + strlen(CHAIN_NAME) + 5;
    CHECK_EQ(bytes[flag], 1);
    bytes[flag] = 2;
    CHECK_EQ(tally_block_decode(bytes, length, &decoded, &failure), TALLY_CHAIN_ERR_DECODE_BAD_RULES);
    dev.dev_chain = 2;
    CHECK_EQ(tally_chain_rules_validate(&dev), TALLY_ERR_BAD_POLICY);
    free(bytes);
    tally_block_release(&genesis);
    tally_block_release(&decoded);
}
