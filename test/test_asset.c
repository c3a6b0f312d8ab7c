/*
 * test_asset.c: reserve assets. Creation, issue and burn by the issuer only,
 * transfers between holders, never a negative holding, issued - burned == held.
 */
#include <string.h>

#include "fixture.h"
#include "test.h"

enum { USD = 1 };

static tally_result move(test_world *world, const test_actor *signer, tally_tx_type type,
                         uint32_t asset_id, const test_actor *to, int64_t amount) {
    tally_tx tx = world_tx(world, signer, type);
    tx.body.asset_move.asset_id = asset_id;
    tx.body.asset_move.to = to->key;
    tx.body.asset_move.amount = amount;
    return world_apply(world, &tx);
}

static tally_result burn(test_world *world, const test_actor *signer, uint32_t asset_id, int64_t amount) {
    tally_tx tx = world_tx(world, signer, TALLY_TX_ASSET_BURN);
    tx.body.asset_burn.asset_id = asset_id;
    tx.body.asset_burn.amount = amount;
    return world_apply(world, &tx);
}

TEST(asset_issue_transfer_burn) {
    test_world world;
    world_init(&world);
    test_actor bank = actor(10), alice = actor(1), bob = actor(2);
    tally_result created = do_create_asset(&world, &bank, "USD");
    CHECK_EQ(created.created_id, USD);
    const tally_asset *asset = tally_state_asset(world.state, USD);
    REQUIRE(asset != NULL);
    CHECK(strcmp(asset->code, "USD") == 0);
    CHECK(memcmp(asset->issuer.bytes, bank.key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_CODE(move(&world, &bank, TALLY_TX_ASSET_ISSUE, USD, &alice, 500).code, TALLY_OK);
    CHECK_CODE(move(&world, &alice, TALLY_TX_ASSET_TRANSFER, USD, &bob, 200).code, TALLY_OK);
    CHECK_EQ(tally_state_asset_balance(world.state, USD, &alice.key), 300);
    CHECK_EQ(tally_state_asset_balance(world.state, USD, &bob.key), 200);
    /* paying out: bob hands 150 back to the bank, which burns it */
    CHECK_CODE(move(&world, &bob, TALLY_TX_ASSET_TRANSFER, USD, &bank, 150).code, TALLY_OK);
    CHECK_CODE(burn(&world, &bank, USD, 150).code, TALLY_OK);
    CHECK_EQ(asset->issued, 500);
    CHECK_EQ(asset->burned, 150);
    CHECK_EQ(tally_state_asset_balance(world.state, USD, &bank.key), 0);
    world_free(&world);
}

TEST(asset_refusals) {
    test_world world;
    world_init(&world);
    test_actor bank = actor(10), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_create_asset(&world, &bank, "usd").code, TALLY_ERR_BAD_CODE);
    CHECK_CODE(do_create_asset(&world, &bank, "USD").code, TALLY_OK);
    tally_tx tx = world_tx(&world, &bank, TALLY_TX_ASSET_CREATE);
    text_set(&tx.body.asset_create.code, "EUR");
    text_set(&tx.body.asset_create.name, "");
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_NAME);
    text_set(&tx.body.asset_create.name, "euro");
    tx.body.asset_create.decimals = 10;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_BAD_DECIMALS);
    CHECK_CODE(move(&world, &alice, TALLY_TX_ASSET_ISSUE, USD, &alice, 5).code, TALLY_ERR_NOT_ISSUER);
    CHECK_CODE(move(&world, &bank, TALLY_TX_ASSET_ISSUE, 2, &alice, 5).code, TALLY_ERR_UNKNOWN_ASSET);
    CHECK_CODE(move(&world, &bank, TALLY_TX_ASSET_ISSUE, USD, &alice, 0).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(move(&world, &bank, TALLY_TX_ASSET_ISSUE, USD, &alice, INT64_MAX).code, TALLY_OK);
    CHECK_CODE(move(&world, &bank, TALLY_TX_ASSET_ISSUE, USD, &bob, 1).code, TALLY_ERR_AMOUNT_OVERFLOW);
    tally_result short_of = move(&world, &bob, TALLY_TX_ASSET_TRANSFER, USD, &alice, 1);
    CHECK_CODE(short_of.code, TALLY_ERR_INSUFFICIENT_ASSET);
    CHECK_EQ(short_of.available, 0);
    CHECK_CODE(move(&world, &alice, TALLY_TX_ASSET_TRANSFER, USD, &alice, 1).code, TALLY_ERR_SELF_TRANSFER);
    CHECK_CODE(move(&world, &alice, TALLY_TX_ASSET_TRANSFER, USD, &bob, -1).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(move(&world, &alice, TALLY_TX_ASSET_TRANSFER, 7, &bob, 1).code, TALLY_ERR_UNKNOWN_ASSET);
    CHECK_CODE(burn(&world, &alice, USD, 1).code, TALLY_ERR_NOT_ISSUER);
    tally_result over_burn = burn(&world, &bank, USD, 1);
    CHECK_CODE(over_burn.code, TALLY_ERR_INSUFFICIENT_ASSET);
    CHECK_CODE(burn(&world, &bank, 9, 1).code, TALLY_ERR_UNKNOWN_ASSET);
    CHECK_CODE(burn(&world, &bank, USD, 0).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    test_actor system_actor = bob;
    system_actor.key = tally_system_key(1, TALLY_SYSTEM_POOL);
    CHECK_CODE(move(&world, &bank, TALLY_TX_ASSET_ISSUE, USD, &system_actor, 1).code, TALLY_ERR_SYSTEM_ACCOUNT);
    world_free(&world);
}

TEST(asset_protocol_bound_is_state_full) {
    /* A validator approves the bank for every asset slot: only the protocol bound is left. */
    test_actor validator = actor(9), bank = actor(10);
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, &validator.key);
    test_world world;
    world_init_rules(&world, &rules);
    tally_tx approve = world_tx(&world, &validator, TALLY_TX_CHAIN_APPROVE);
    approve.body.chain_approve.key = bank.key;
    approve.body.chain_approve.assets = TALLY_APPROVALS_MAX;
    REQUIRE(world_apply(&world, &approve).code == TALLY_OK);
    tally_tx tx = world_tx(&world, &bank, TALLY_TX_ASSET_CREATE);
    text_set(&tx.body.asset_create.code, "TOK");
    text_set(&tx.body.asset_create.name, "token");
    /* straight through tally_apply: the fixture's per-step checks would take minutes */
    for (uint32_t i = 0; i < TALLY_ASSETS_MAX; i++) {
        tx.sequence = i + 1;
        REQUIRE(tally_apply(world.state, &tx, world.time).code == TALLY_OK);
    }
    CHECK_EQ(tally_state_asset_count(world.state), TALLY_ASSETS_MAX);
    CHECK_EQ(tally_state_growth_allowance(world.state, &bank.key, world.time).assets_approved,
             TALLY_APPROVALS_MAX - TALLY_ASSETS_MAX);
    tx.sequence = TALLY_ASSETS_MAX + 1;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_STATE_FULL);
    CHECK_EQ(tally_state_asset_count(world.state), TALLY_ASSETS_MAX);
    world_free(&world);
}
