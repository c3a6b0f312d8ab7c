/*
 * test_validator_set.c: the chain's validator set as the block rules see it. The
 * genesis names the validators; any of them may sign a block (whoever holds the
 * proposer lease of the ordering layer), a key outside the set may not, whether it
 * builds a block or forges one. A single-node chain is the case of one validator.
 */
#include <sodium.h>
#include <stdlib.h>

#include "chain_fixture.h"
#include "test.h"

enum { VALIDATORS = 3, OUTSIDER = 7 };

typedef struct {
    test_actor validators[VALIDATORS];
    tally_block genesis;
    tally_state *state; /* the builders' state at tip */
    tally_chain_tip tip;
} validator_chain;

static void validator_chain_start(validator_chain *c) {
    memset(c, 0, sizeof *c);
    tally_chain_rules rules;
    c->validators[0] = actor(CHAIN_PRODUCER_ACTOR);
    tally_chain_rules_defaults(&rules, &c->validators[0].key);
    for (uint32_t i = 1; i < VALIDATORS; i++) {
        c->validators[i] = actor(CHAIN_PRODUCER_ACTOR + i);
        rules.validators[i] = c->validators[i].key;
    }
    rules.validator_count = VALIDATORS;
    tally_block_init(&c->genesis);
    CHECK_EQ(tally_genesis_make(c->validators[0].secret, CHAIN_GENESIS_TIME, CHAIN_NAME, strlen(CHAIN_NAME), &rules,
                                &c->genesis, NULL),
             TALLY_CHAIN_OK);
    CHECK_EQ(tally_genesis_open(&c->genesis, &c->state, &c->tip, NULL), TALLY_CHAIN_OK);
}

static void validator_chain_free(validator_chain *c) {
    tally_block_release(&c->genesis);
    tally_state_destroy(c->state);
}

TEST(validator_set_the_tip_holds_the_genesis_validators_in_order) {
    validator_chain c;
    validator_chain_start(&c);
    CHECK_EQ(c.tip.validator_count, VALIDATORS);
    for (int i = 0; i < VALIDATORS; i++) CHECK_EQ(tally_chain_validator_index(&c.tip, &c.validators[i].key), i);
    test_actor outsider = actor(OUTSIDER);
    CHECK_EQ(tally_chain_validator_index(&c.tip, &outsider.key), -1);
    /* Validator 0 is the genesis producer, named by the tip's producer too. */
    CHECK(memcmp(c.tip.producer.bytes, c.validators[0].key.bytes, TALLY_KEY_BYTES) == 0);
    validator_chain_free(&c);
}

TEST(validator_set_blocks_by_each_validator_in_turn_verify_on_a_fresh_state) {
    validator_chain c;
    validator_chain_start(&c);
    tally_state *verifier = NULL;
    tally_chain_tip verifier_tip;
    REQUIRE(tally_genesis_open(&c.genesis, &verifier, &verifier_tip, NULL) == TALLY_CHAIN_OK);
    tally_block block;
    tally_block_init(&block);
    for (uint32_t height = 1; height <= 6; height++) {
        const test_actor *proposer = &c.validators[height % VALIDATORS];
        tally_chain_failure failure;
        REQUIRE(tally_block_build(c.state, &c.tip, proposer->secret, CHAIN_GENESIS_TIME + height, NULL, 0, NULL,
                                  &block, &failure) == TALLY_CHAIN_OK);
        /* The block names the key that signed it, not the genesis producer. */
        CHECK(memcmp(block.header.producer.bytes, proposer->key.bytes, TALLY_KEY_BYTES) == 0);
        CHECK_EQ(tally_block_apply(verifier, &verifier_tip, &block, &failure), TALLY_CHAIN_OK);
    }
    CHECK_EQ(verifier_tip.height, 6);
    CHECK(memcmp(verifier_tip.hash, c.tip.hash, TALLY_HASH_BYTES) == 0);
    CHECK(memcmp(verifier_tip.state_hash, c.tip.state_hash, TALLY_HASH_BYTES) == 0);
    tally_block_release(&block);
    tally_state_destroy(verifier);
    validator_chain_free(&c);
}

TEST(validator_set_a_key_outside_the_set_neither_builds_nor_forges_a_block) {
    validator_chain c;
    validator_chain_start(&c);
    test_actor outsider = actor(OUTSIDER);
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;
    tally_chain_tip before = c.tip;
    CHECK_EQ(tally_block_build(c.state, &c.tip, outsider.secret, CHAIN_GENESIS_TIME + 1, NULL, 0, NULL, &block,
                               &failure),
             TALLY_CHAIN_ERR_WRONG_PRODUCER);
    CHECK(memcmp(&before, &c.tip, sizeof before) == 0);
    /* A validator's block, signed again by the outsider: well signed, by the wrong key. */
    REQUIRE(tally_block_build(c.state, &c.tip, c.validators[2].secret, CHAIN_GENESIS_TIME + 1, NULL, 0, NULL, &block,
                              &failure) == TALLY_CHAIN_OK);
    block_reseal(&block, outsider.secret);
    CHECK_EQ(tally_block_check(&before, &block, &failure), TALLY_CHAIN_ERR_WRONG_PRODUCER);
    CHECK_EQ(failure.height, 1);
    /* The same block signed again by validator 1 is a valid block of validator 1. */
    block_reseal(&block, c.validators[1].secret);
    CHECK_EQ(tally_block_check(&before, &block, &failure), TALLY_CHAIN_OK);
    /* Naming a validator as producer but signed by the outsider: the signature fails. */
    block.header.producer = c.validators[1].key;
    uint8_t bytes[TALLY_BLOCK_HEADER_BYTES];
    tally_block_header_encode(&block.header, bytes);
    crypto_sign_detached(block.header.signature, NULL, bytes, TALLY_BLOCK_SIGNED_BYTES, outsider.secret);
    CHECK_EQ(tally_block_check(&before, &block, &failure), TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE);
    tally_block_release(&block);
    validator_chain_free(&c);
}
