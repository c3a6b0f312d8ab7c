/*
 * test_envelope.c: what every transaction shares. The chain id, the signer's
 * sequence (no replay, no skipping, not consumed by a refusal), system accounts
 * never signing, unknown types, and signatures checked by tally_apply_signed.
 */
#include <string.h>

#include "fixture.h"
#include "test.h"

static tally_tx asset_create_tx(const test_world *world, const test_actor *signer) {
    tally_tx tx = world_tx(world, signer, TALLY_TX_ASSET_CREATE);
    text_set(&tx.body.asset_create.code, "USD");
    text_set(&tx.body.asset_create.name, "dollars");
    tx.body.asset_create.decimals = 2;
    return tx;
}

TEST(envelope_sequence_replay_skip_and_refusal) {
    test_world world;
    world_init(&world);
    test_actor alice = actor(1);
    CHECK_EQ(tally_state_next_sequence(world.state, &alice.key), 1);
    tally_tx tx = asset_create_tx(&world, &alice);
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    CHECK_EQ(tally_state_next_sequence(world.state, &alice.key), 2);
    /* the same transaction again is a replay */
    tally_result replay = world_apply(&world, &tx);
    CHECK_CODE(replay.code, TALLY_ERR_BAD_SEQUENCE);
    CHECK_EQ(replay.available, 2);
    /* skipping ahead is refused too */
    tx.sequence = 3;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_SEQUENCE);
    /* a refusal by the rules does not consume the sequence number */
    tx = asset_create_tx(&world, &alice);
    tx.body.asset_create.decimals = 12;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_DECIMALS);
    CHECK_EQ(tally_state_next_sequence(world.state, &alice.key), 2);
    tx.body.asset_create.decimals = 2;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    CHECK_EQ(tally_state_next_sequence(world.state, &alice.key), 3);
    world_free(&world);
}

TEST(envelope_wrong_chain_system_signer_unknown_type) {
    test_world world;
    world_init(&world);
    test_actor alice = actor(1);
    tally_tx tx = asset_create_tx(&world, &alice);
    tx.chain_id[31] ^= 1;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_WRONG_CHAIN);
    tx = asset_create_tx(&world, &alice);
    tx.signer = tally_system_key(1, TALLY_SYSTEM_FEES);
    tx.sequence = 1;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_SYSTEM_SIGNER);
    tx = asset_create_tx(&world, &alice);
    tx.type = 0;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_UNKNOWN_TX_TYPE);
    tx.type = TALLY_TX_TYPE_LAST + 1;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_UNKNOWN_TX_TYPE);
    CHECK_EQ(tally_state_asset_count(world.state), 0);
    CHECK(!tally_key_is_system(&alice.key));
    world_free(&world);
}

TEST(envelope_apply_signed_checks_signature) {
    test_world world;
    world_init(&world);
    test_actor alice = actor(1), mallory = actor(2);
    tally_tx tx = asset_create_tx(&world, &alice);
    tally_tx_sign(&tx, alice.secret);
    tally_tx forged = tx;
    forged.body.asset_create.decimals = 3; /* altered after signing */
    CHECK_CODE(tally_apply_signed(world.state, &forged, world.time).code, TALLY_ERR_BAD_SIGNATURE);
    tally_tx impostor = tx; /* mallory signs a transaction in alice's name */
    impostor.signer = mallory.key;
    tally_tx_sign(&impostor, mallory.secret);
    impostor.signer = alice.key;
    CHECK_CODE(tally_apply_signed(world.state, &impostor, world.time).code, TALLY_ERR_BAD_SIGNATURE);
    CHECK_EQ(tally_state_next_sequence(world.state, &alice.key), 1);
    /* junk is refused for what it is, before any signature check */
    tally_tx junk = tx;
    junk.type = 0;
    CHECK_CODE(tally_apply_signed(world.state, &junk, world.time).code, TALLY_ERR_UNKNOWN_TX_TYPE);
    junk = tx;
    junk.chain_id[0] ^= 0xff;
    CHECK_CODE(tally_apply_signed(world.state, &junk, world.time).code, TALLY_ERR_WRONG_CHAIN);
    tally_result accepted = tally_apply_signed(world.state, &tx, world.time);
    CHECK_CODE(accepted.code, TALLY_OK);
    CHECK_EQ(accepted.created_id, 1);
    world_free(&world);
}

TEST(envelope_every_error_has_name_and_message) {
    CHECK(strcmp(tally_error_message(TALLY_OK), "ok") == 0);
    for (int code = 1; code < TALLY_ERROR_COUNT; code++) {
        CHECK(strcmp(tally_error_name((tally_error)code), "?") != 0);
        CHECK(strlen(tally_error_message((tally_error)code)) > 5);
    }
    CHECK(strcmp(tally_error_name(TALLY_ERR_INSUFFICIENT_CREDIT), "INSUFFICIENT_CREDIT") == 0);
    CHECK(strcmp(tally_error_name(TALLY_ERROR_COUNT), "?") == 0);
}
