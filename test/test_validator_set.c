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

/* ---- changing the set (VALIDATOR_PROPOSE, VALIDATOR_APPROVE; src/core/validators.c) ---- */

enum { A = 0, B = 1, C = 2 };

typedef struct {
    test_world world;
    test_actor v[VALIDATORS], d, e, outsider;
} set_world;

static void set_world_start(set_world *s) {
    memset(s, 0, sizeof *s);
    tally_chain_rules rules;
    for (uint32_t i = 0; i < VALIDATORS; i++) s->v[i] = actor(CHAIN_PRODUCER_ACTOR + i);
    tally_chain_rules_defaults(&rules, &s->v[A].key);
    for (uint32_t i = 1; i < VALIDATORS; i++) rules.validators[i] = s->v[i].key;
    rules.validator_count = VALIDATORS;
    s->d = actor(41), s->e = actor(42), s->outsider = actor(OUTSIDER);
    world_init_rules(&s->world, &rules);
}

static tally_result propose(set_world *s, const test_actor *by, const test_actor *add, uint32_t retire) {
    tally_tx tx = world_tx(&s->world, by, TALLY_TX_VALIDATOR_PROPOSE);
    if (add) tx.body.validator_propose.add_count = 1, tx.body.validator_propose.add[0] = add->key;
    tx.body.validator_propose.retire = retire;
    return world_apply(&s->world, &tx);
}

static tally_result approve(set_world *s, const test_actor *by, uint32_t change_id) {
    tally_tx tx = world_tx(&s->world, by, TALLY_TX_VALIDATOR_APPROVE);
    tx.body.validator_approve.change_id = change_id;
    return world_apply(&s->world, &tx);
}

static const tally_chain_rules *set_rules(const set_world *s) { return tally_state_chain_rules(s->world.state); }

/* 3 validators: a quorum is 2, so one approval besides the proposer's puts an added
 * key in slot 3; with 4 a quorum is 3, and the validator being retired may approve
 * its own retirement. Slots never move, and a retired key never returns. */
TEST(validator_set_a_change_takes_effect_at_a_quorum_of_the_active_validators) {
    set_world s;
    set_world_start(&s);
    tally_result r = propose(&s, &s.v[A], &s.d, 0);
    CHECK_CODE(r.code, TALLY_OK);
    CHECK_EQ(r.created_id, 1);
    CHECK_EQ(r.available, 1); /* 2 of 3 needed, the proposer's counted */
    const tally_chain_rules *rules = set_rules(&s);
    CHECK_EQ(rules->validator_count, 3);
    CHECK_EQ(rules->change.open, 1);
    CHECK_EQ(rules->change.approvals, 1u << A);
    CHECK_EQ(rules->change.expires_at, s.world.time + TALLY_VALIDATOR_CHANGE_SECONDS);
    r = approve(&s, &s.v[B], 1);
    CHECK_CODE(r.code, TALLY_OK);
    CHECK_EQ(r.created_id, 1);
    CHECK_EQ(r.available, 0);
    CHECK_EQ(rules->validator_count, 4);
    CHECK(memcmp(rules->validators[3].bytes, s.d.key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(rules->change.open, 0);
    CHECK_EQ(rules->validator_changes, 1);
    CHECK_EQ(tally_chain_rules_active_count(rules), 4);

    /* D retires C: 3 of 4 needed */
    r = propose(&s, &s.d, NULL, 1u << C);
    CHECK_CODE(r.code, TALLY_OK);
    CHECK_EQ(r.created_id, 2);
    CHECK_EQ(r.available, 2);
    CHECK_EQ(approve(&s, &s.v[A], 2).available, 1);
    CHECK_EQ(rules->retired, 0); /* not yet */
    CHECK_EQ(approve(&s, &s.v[C], 2).available, 0);
    CHECK_EQ(rules->retired, 1u << C);
    CHECK_EQ(rules->validator_count, 4);
    CHECK_EQ(tally_chain_rules_active_count(rules), 3);
    CHECK(!tally_chain_rules_is_active(rules, C));
    CHECK(tally_chain_rules_is_active(rules, 3));
    /* C is no validator now, for any chain-level transaction */
    tally_tx grow = world_tx(&s.world, &s.v[C], TALLY_TX_CHAIN_APPROVE);
    grow.body.chain_approve.key = s.e.key;
    CHECK_CODE(world_apply(&s.world, &grow).code, TALLY_ERR_NOT_VALIDATOR);
    CHECK_CODE(tally_tx_admissible(s.world.state, &grow, s.world.time), TALLY_ERR_NOT_VALIDATOR);
    CHECK_CODE(propose(&s, &s.v[C], &s.e, 0).code, TALLY_ERR_NOT_VALIDATOR);
    /* ... and its key does not come back; a new key does */
    CHECK_CODE(propose(&s, &s.v[A], &s.v[C], 0).code, TALLY_ERR_BAD_VALIDATOR_SET);
    CHECK_EQ(propose(&s, &s.v[A], &s.e, 0).available, 1); /* 2 of 3 active */
    CHECK_EQ(approve(&s, &s.d, 3).available, 0);
    CHECK_EQ(rules->validator_count, 5);
    CHECK_EQ(tally_chain_rules_active_count(rules), 4);
    world_free(&s.world);
}

TEST(validator_set_refuses_what_is_no_change_or_does_not_fit) {
    set_world s;
    set_world_start(&s);
    CHECK_CODE(propose(&s, &s.outsider, &s.d, 0).code, TALLY_ERR_NOT_VALIDATOR);
    CHECK_CODE(propose(&s, &s.v[A], NULL, 0).code, TALLY_ERR_BAD_VALIDATOR_SET);         /* nothing */
    CHECK_CODE(propose(&s, &s.v[A], &s.v[B], 0).code, TALLY_ERR_BAD_VALIDATOR_SET);      /* one already */
    CHECK_CODE(propose(&s, &s.v[A], NULL, 1u << 3).code, TALLY_ERR_BAD_VALIDATOR_SET);   /* an empty slot */
    CHECK_CODE(propose(&s, &s.v[A], NULL, 1u << 16).code, TALLY_ERR_BAD_VALIDATOR_SET);  /* past the slots */
    CHECK_CODE(propose(&s, &s.v[A], NULL, 7u).code, TALLY_ERR_BAD_VALIDATOR_SET);        /* nobody left */
    test_actor system_key;
    memset(&system_key, 0, sizeof system_key);
    system_key.key = tally_system_key(1, TALLY_SYSTEM_FEES);
    REQUIRE(tally_key_is_system(&system_key.key));
    CHECK_CODE(propose(&s, &s.v[A], &system_key, 0).code, TALLY_ERR_BAD_VALIDATOR_SET);
    tally_tx twice = world_tx(&s.world, &s.v[A], TALLY_TX_VALIDATOR_PROPOSE);
    twice.body.validator_propose.add_count = 2;
    twice.body.validator_propose.add[0] = twice.body.validator_propose.add[1] = s.d.key;
    CHECK_CODE(world_apply(&s.world, &twice).code, TALLY_ERR_BAD_VALIDATOR_SET);
    tally_tx stray = world_tx(&s.world, &s.v[A], TALLY_TX_VALIDATOR_PROPOSE);
    stray.body.validator_propose.add_count = 1;
    stray.body.validator_propose.add[0] = s.d.key;
    stray.body.validator_propose.add[5] = s.e.key; /* past add_count: must be zero */
    CHECK_CODE(world_apply(&s.world, &stray).code, TALLY_ERR_BAD_VALIDATOR_SET);
    tally_tx many = world_tx(&s.world, &s.v[A], TALLY_TX_VALIDATOR_PROPOSE);
    many.body.validator_propose.add_count = TALLY_VALIDATORS_MAX - VALIDATORS + 1; /* 14 for 13 free slots */
    for (uint32_t i = 0; i < many.body.validator_propose.add_count; i++)
        many.body.validator_propose.add[i] = actor(300 + i).key;
    tally_result r = world_apply(&s.world, &many);
    CHECK_CODE(r.code, TALLY_ERR_BAD_VALIDATOR_SET);
    CHECK_EQ(r.available, TALLY_VALIDATORS_MAX - VALIDATORS);
    many.body.validator_propose.add_count--; /* 13 fit */
    many.body.validator_propose.add[many.body.validator_propose.add_count] = (tally_key){{0}};
    CHECK_EQ(world_apply(&s.world, &many).available, 1);
    CHECK_EQ(set_rules(&s)->validator_count, 3); /* not in force before a quorum */
    world_free(&s.world);
}

TEST(validator_set_one_change_is_open_at_a_time_and_lapses_unapproved) {
    set_world s;
    set_world_start(&s);
    CHECK_EQ(propose(&s, &s.v[A], &s.d, 0).created_id, 1);
    CHECK_CODE(approve(&s, &s.outsider, 1).code, TALLY_ERR_NOT_VALIDATOR);
    CHECK_CODE(approve(&s, &s.v[B], 2).code, TALLY_ERR_NO_VALIDATOR_CHANGE);
    CHECK_CODE(approve(&s, &s.v[A], 1).code, TALLY_ERR_ALREADY_APPROVED); /* the proposer's counts already */
    /* another validator's change waits for this one */
    tally_result r = propose(&s, &s.v[B], &s.e, 0);
    CHECK_CODE(r.code, TALLY_ERR_VALIDATOR_CHANGE_OPEN);
    CHECK_EQ(r.created_id, 1);
    /* its proposer may replace it: a new id, approvals start over */
    r = propose(&s, &s.v[A], &s.e, 0);
    CHECK_CODE(r.code, TALLY_OK);
    CHECK_EQ(r.created_id, 2);
    CHECK_CODE(approve(&s, &s.v[B], 1).code, TALLY_ERR_NO_VALIDATOR_CHANGE); /* the replaced one */
    CHECK_EQ(set_rules(&s)->change.approvals, 1u << A);
    /* it lapses TALLY_VALIDATOR_CHANGE_SECONDS after its proposal */
    int64_t proposed = s.world.time;
    world_advance_to(&s.world, proposed + TALLY_VALIDATOR_CHANGE_SECONDS - 1);
    tally_state *before_lapse = NULL;
    {
        size_t length = tally_state_serialized_size(s.world.state);
        uint8_t *bytes = malloc(length);
        REQUIRE(bytes && tally_state_serialize(s.world.state, bytes, length) == length);
        tally_error error;
        before_lapse = tally_state_deserialize(bytes, length, &error);
        free(bytes);
        REQUIRE(before_lapse != NULL);
    }
    world_advance_to(&s.world, proposed + TALLY_VALIDATOR_CHANGE_SECONDS);
    CHECK_CODE(approve(&s, &s.v[B], 2).code, TALLY_ERR_NO_VALIDATOR_CHANGE);
    r = propose(&s, &s.v[B], &s.d, 0); /* anyone's now */
    CHECK_CODE(r.code, TALLY_OK);
    CHECK_EQ(r.created_id, 3);
    CHECK_EQ(approve(&s, &s.v[C], 3).available, 0);
    CHECK_EQ(set_rules(&s)->validator_count, 4);
    /* the snapshot of a state with an open change reads back to the same root */
    uint8_t loaded_root[TALLY_HASH_BYTES], root[TALLY_HASH_BYTES];
    REQUIRE(tally_state_hash(before_lapse, loaded_root));
    CHECK_EQ(tally_state_chain_rules(before_lapse)->change.open, 1);
    CHECK_EQ(tally_state_chain_rules(before_lapse)->change.id, 2);
    tally_state_destroy(before_lapse);
    REQUIRE(tally_state_hash(s.world.state, root));
    CHECK(memcmp(loaded_root, root, TALLY_HASH_BYTES) != 0);
    world_free(&s.world);
}

/* Two states alike but for the change proposed commit to different roots; a chain
 * whose set never changed commits to what it did before changes existed. */
TEST(validator_set_the_state_commitment_covers_the_set_and_the_open_change) {
    set_world one, two;
    set_world_start(&one);
    set_world_start(&two);
    uint8_t root_one[TALLY_HASH_BYTES], root_two[TALLY_HASH_BYTES];
    REQUIRE(tally_state_hash(one.world.state, root_one) && tally_state_hash(two.world.state, root_two));
    CHECK(memcmp(root_one, root_two, TALLY_HASH_BYTES) == 0);
    CHECK_CODE(propose(&one, &one.v[A], &one.d, 0).code, TALLY_OK);
    CHECK_CODE(propose(&two, &two.v[A], &two.e, 0).code, TALLY_OK);
    REQUIRE(tally_state_hash(one.world.state, root_one) && tally_state_hash(two.world.state, root_two));
    CHECK(memcmp(root_one, root_two, TALLY_HASH_BYTES) != 0);
    uint8_t incremental[TALLY_HASH_BYTES];
    REQUIRE(tally_state_commit(one.world.state, incremental));
    CHECK(memcmp(incremental, root_one, TALLY_HASH_BYTES) == 0);
    world_free(&one.world);
    world_free(&two.world);
}

/* Blocks: the change in force at the end of block 1 checks block 2's producer. The
 * added key's block verifies on a fresh state, a retired key's is refused, both when
 * built and when received. */
TEST(validator_set_the_next_block_is_checked_against_the_changed_set) {
    validator_chain c;
    validator_chain_start(&c);
    test_actor added = actor(OUTSIDER);
    tally_state *verifier = NULL;
    tally_chain_tip verifier_tip;
    REQUIRE(tally_genesis_open(&c.genesis, &verifier, &verifier_tip, NULL) == TALLY_CHAIN_OK);
    tally_tx txs[2];
    memset(txs, 0, sizeof txs);
    for (int i = 0; i < 2; i++) {
        txs[i].type = i == 0 ? TALLY_TX_VALIDATOR_PROPOSE : TALLY_TX_VALIDATOR_APPROVE;
        memcpy(txs[i].chain_id, c.tip.chain_id, TALLY_CHAIN_ID_BYTES);
        txs[i].sequence = 1;
    }
    txs[0].signer = c.validators[0].key;
    txs[0].body.validator_propose.add_count = 1;
    txs[0].body.validator_propose.add[0] = added.key;
    txs[0].body.validator_propose.retire = 1u << 2; /* and validator 2 goes */
    tally_tx_sign(&txs[0], c.validators[0].secret);
    txs[1].signer = c.validators[1].key;
    txs[1].body.validator_approve.change_id = 1;
    tally_tx_sign(&txs[1], c.validators[1].secret);
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;
    tally_result results[2];
    /* validator 2 makes the block that retires it */
    REQUIRE(tally_block_build(c.state, &c.tip, c.validators[2].secret, CHAIN_GENESIS_TIME + 1, txs, 2, results, &block,
                              &failure) == TALLY_CHAIN_OK);
    CHECK_CODE(results[0].code, TALLY_OK);
    CHECK_EQ(results[1].available, 0);
    CHECK_EQ(block.header.tx_count, 2);
    CHECK_EQ(c.tip.validator_count, 4);
    CHECK_EQ(c.tip.retired, 1u << 2);
    CHECK_EQ(tally_chain_validator_index(&c.tip, &added.key), 3);
    CHECK_EQ(tally_chain_validator_index(&c.tip, &c.validators[2].key), -1);
    CHECK_EQ(tally_chain_roster_index(&c.tip, &c.validators[2].key), 2);
    REQUIRE(tally_block_apply(verifier, &verifier_tip, &block, &failure) == TALLY_CHAIN_OK);
    CHECK(memcmp(&verifier_tip, &c.tip, sizeof c.tip) == 0);
    /* block 2: validator 2 can neither build nor sign it any more */
    tally_chain_tip before = c.tip;
    CHECK_EQ(tally_block_build(c.state, &c.tip, c.validators[2].secret, CHAIN_GENESIS_TIME + 2, NULL, 0, NULL, &block,
                               &failure),
             TALLY_CHAIN_ERR_WRONG_PRODUCER);
    REQUIRE(tally_block_build(c.state, &c.tip, added.secret, CHAIN_GENESIS_TIME + 2, NULL, 0, NULL, &block,
                              &failure) == TALLY_CHAIN_OK);
    tally_block forged;
    tally_block_init(&forged);
    uint8_t *bytes = NULL;
    size_t length = 0;
    bytes = block_bytes(&block, &length);
    REQUIRE(bytes != NULL);
    REQUIRE(tally_block_decode(bytes, length, &forged, &failure) == TALLY_CHAIN_OK);
    free(bytes);
    block_reseal(&forged, c.validators[2].secret);
    CHECK_EQ(tally_block_check(&before, &forged, &failure), TALLY_CHAIN_ERR_WRONG_PRODUCER);
    /* the new validator's block verifies on the fresh state */
    CHECK_EQ(tally_block_apply(verifier, &verifier_tip, &block, &failure), TALLY_CHAIN_OK);
    CHECK(memcmp(verifier_tip.state_hash, c.tip.state_hash, TALLY_HASH_BYTES) == 0);
    tally_block_release(&forged);
    tally_block_release(&block);
    tally_state_destroy(verifier);
    validator_chain_free(&c);
}
