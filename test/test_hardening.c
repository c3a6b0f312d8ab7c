/*
 * test_hardening.c: the core's side of issue 7, the adversarial review. Each test is
 * named after the finding it closes (hardening_NN_...) and replays the attack with
 * exact numbers: a table that one key fills, a pool an operator drains, a status
 * laundered by leaving, text that spoofs, names that collide, hashes ground to
 * collide. The attacks on a running node are in test_adversarial.c and the node's
 * own tests.
 */
#include <stdlib.h>
#include <string.h>

#include "core/ledger.h"
#include "fixture.h"
#include "test.h"

/* ---- finding 13: network names are unique on the chain, ignoring case ---- */

static tally_result create_named(test_world *world, const test_actor *founder, const char *name) {
    tally_tx tx = world_tx(world, founder, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, name);
    text_set(&tx.body.network_create.unit_code, "GVH");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = policy_default();
    return world_apply(world, &tx);
}

TEST(hardening_13_network_names_are_unique_ignoring_case) {
    test_world world;
    world_init(&world);
    test_actor alice = actor(1), mallory = actor(666);
    CHECK_EQ(create_named(&world, &alice, "Greenvale").created_id, 1);
    /* the takeover of the review: GREENVALE, and every other casing, is taken */
    CHECK_CODE(create_named(&world, &mallory, "GREENVALE").code, TALLY_ERR_NAME_TAKEN);
    CHECK_CODE(create_named(&world, &mallory, "greenVALE").code, TALLY_ERR_NAME_TAKEN);
    CHECK_CODE(create_named(&world, &alice, "Greenvale").code, TALLY_ERR_NAME_TAKEN);
    CHECK_EQ(tally_state_network_count(world.state), 1);
    /* a different name is free, and lookups ignore case */
    CHECK_EQ(create_named(&world, &mallory, "Greenvale East").created_id, 2);
    const tally_network *found = tally_state_network_by_name(world.state, "GREENVALE", 9);
    REQUIRE(found != NULL);
    CHECK_EQ(found->id, 1);
    CHECK_EQ(tally_state_network_by_name(world.state, "greenvale east", 14)->id, 2);
    CHECK(tally_state_network_by_name(world.state, "greenval", 8) == NULL);
    CHECK(tally_state_network_by_name(world.state, "", 0) == NULL);
    /* the index is rebuilt from a snapshot: the rule survives a restart */
    size_t length = tally_state_serialized_size(world.state);
    uint8_t *bytes = malloc(length);
    REQUIRE(bytes && tally_state_serialize(world.state, bytes, length) == length);
    tally_error error;
    tally_state *loaded = tally_state_deserialize(bytes, length, &error);
    free(bytes);
    REQUIRE(loaded != NULL);
    CHECK_EQ(tally_state_network_by_name(loaded, "gReEnVaLe", 9)->id, 1);
    tally_state_destroy(world.state);
    world.state = loaded;
    CHECK_CODE(create_named(&world, &mallory, "GREENVALE").code, TALLY_ERR_NAME_TAKEN);
    world_free(&world);
}

/* ---- finding 8: the core's tables are keyed against ground collisions ---- */

/* The index hash the core used before the fix: a public mix of the chain id and
 * the key, so anyone could grind keys that share a slot. */
static uint64_t old_mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint32_t old_hash_key(const uint8_t chain_id[TALLY_CHAIN_ID_BYTES], uint32_t tag, const tally_key *key) {
    uint64_t seed, word;
    memcpy(&seed, chain_id, 8);
    memcpy(&word, chain_id + 8, 8);
    seed ^= word;
    uint64_t h = seed ^ ((uint64_t)tag * 0x9e3779b97f4a7c15ULL);
    for (int i = 0; i < 4; i++) {
        memcpy(&word, key->bytes + 8 * i, 8);
        h = old_mix64(h ^ word);
    }
    return (uint32_t)(h >> 32);
}

enum { GROUND_KEYS = 1500, GROUND_MASK = 0x1fff };

/* Keys whose old hash lands on one home slot of any table up to 8192 slots (the
 * tables hold 1,500 of them at a load of at most 1/2: 4,096 slots). */
static void grind_keys(const uint8_t chain_id[TALLY_CHAIN_ID_BYTES], uint32_t tag, tally_key *keys, uint32_t count) {
    uint64_t counter = 0;
    for (uint32_t found = 0; found < count;) {
        tally_key key;
        memset(&key, 0, sizeof key);
        memcpy(key.bytes, &counter, sizeof counter);
        memcpy(key.bytes + 8, &tag, sizeof tag);
        counter++;
        if ((old_hash_key(chain_id, tag, &key) & GROUND_MASK) == 0) keys[found++] = key;
    }
}

TEST(hardening_08_ground_keys_do_not_cluster_in_the_cores_tables) {
    test_world world;
    world_init(&world);
    test_actor op = actor(1), bank = actor(2);
    tally_policy policy = policy_default();
    policy.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    REQUIRE(do_create_network(&world, &op, &policy).code == TALLY_OK);
    REQUIRE(do_create_asset(&world, &bank, "USD").code == TALLY_OK);
    REQUIRE(do_issue(&world, &bank, 1, &bank, 1000000).code == TALLY_OK);

    tally_key *members = calloc(GROUND_KEYS, sizeof *members), *holders = calloc(GROUND_KEYS, sizeof *holders);
    REQUIRE(members && holders);
    grind_keys(world.chain_id, 1, members, GROUND_KEYS);          /* the member table's tag: network 1 */
    grind_keys(world.chain_id, 1u ^ 0x40000000u, holders, GROUND_KEYS); /* holdings of asset 1 */
    /* The attack is real: under the old hash every ground key has the same home slot. */
    for (uint32_t i = 1; i < GROUND_KEYS; i++) {
        CHECK_EQ(old_hash_key(world.chain_id, 1, &members[i]) & GROUND_MASK, 0);
        CHECK_EQ(old_hash_key(world.chain_id, 1u ^ 0x40000000u, &holders[i]) & GROUND_MASK, 0);
    }
    for (uint32_t i = 0; i < GROUND_KEYS; i++) {
        tally_tx admit = world_tx(&world, &op, TALLY_TX_MEMBER_ADMIT);
        admit.body.network_key.network_id = 1;
        admit.body.network_key.key = members[i];
        REQUIRE(tally_apply(world.state, &admit, world.time).code == TALLY_OK);
        tally_tx give = world_tx(&world, &bank, TALLY_TX_ASSET_TRANSFER);
        give.body.asset_move.asset_id = 1;
        give.body.asset_move.to = holders[i];
        give.body.asset_move.amount = 1;
        REQUIRE(tally_apply(world.state, &give, world.time).code == TALLY_OK);
    }
    char why[256];
    CHECK(tally_check_invariants(world.state, why, sizeof why));
    /* With the old hash these would be runs of 1,500 slots (every lookup a scan); with
     * the secret hash they are as short as random keys make them. */
    uint32_t member_run = ledger_index_longest_run(&world.state->member_index);
    uint32_t holding_run = ledger_index_longest_run(&world.state->holding_index);
    printf("    longest probe run: members %u, holdings %u (of %u ground keys each)\n", member_run, holding_run,
           GROUND_KEYS);
    CHECK(member_run < 64);
    CHECK(holding_run < 64);
    CHECK(tally_state_member(world.state, 1, &members[GROUND_KEYS - 1]) != NULL);
    CHECK_EQ(tally_state_asset_balance(world.state, 1, &holders[GROUND_KEYS - 1]), 1);
    free(members);
    free(holders);
    world_free(&world);
}
