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

/* ---- finding 1: one key cannot stall the chain ---- */

static tally_tx named_network_tx(test_world *world, const test_actor *founder, const char *name) {
    tally_tx tx = world_tx(world, founder, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, name);
    text_set(&tx.body.network_create.unit_code, "NET");
    tx.body.network_create.policy = policy_default();
    return tx;
}

static tally_tx asset_tx(test_world *world, const test_actor *issuer, const char *code) {
    tally_tx tx = world_tx(world, issuer, TALLY_TX_ASSET_CREATE);
    text_set(&tx.body.asset_create.code, code);
    text_set(&tx.body.asset_create.name, "token");
    return tx;
}

static tally_result approve(test_world *world, const test_actor *validator, const test_actor *key, uint32_t networks,
                            uint32_t assets) {
    tally_tx tx = world_tx(world, validator, TALLY_TX_CHAIN_APPROVE);
    tx.body.chain_approve.key = key->key;
    tx.body.chain_approve.networks = networks;
    tx.body.chain_approve.assets = assets;
    return world_apply(world, &tx);
}

static tally_state *snapshot_round_trip(const tally_state *state, tally_error *error) {
    size_t length = tally_state_serialized_size(state);
    uint8_t *bytes = malloc(length);
    if (!bytes || tally_state_serialize(state, bytes, length) != length) {
        free(bytes);
        *error = TALLY_ERR_STATE_FULL;
        return NULL;
    }
    tally_state *loaded = tally_state_deserialize(bytes, length, error);
    free(bytes);
    return loaded;
}

/* The attack of the review: every network and asset slot taken by one key. Before the
 * fix every transaction reserved room for a network and an asset, so a payment was
 * refused with STATE_FULL, and the full state did not load from a snapshot. */
TEST(hardening_01_full_network_and_asset_tables_refuse_only_what_would_grow_them) {
    test_actor validator = actor(9), op = actor(1), alice = actor(2), bob = actor(3), mallory = actor(666);
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, &validator.key);
    test_world world;
    world_init_rules(&world, &rules);
    tally_policy policy = policy_default();
    REQUIRE(do_create_network(&world, &op, &policy).code == TALLY_OK);
    REQUIRE(do_admit(&world, &op, 1, &alice).code == TALLY_OK);
    REQUIRE(do_admit(&world, &op, 1, &bob).code == TALLY_OK);
    REQUIRE(do_open_line(&world, &op, 1, &alice, 100000, 0, 0, 0).code == TALLY_OK);
    /* the one key fills both tables (a validator approved it: the protocol bound is all that is left) */
    REQUIRE(approve(&world, &validator, &mallory, TALLY_APPROVALS_MAX, TALLY_APPROVALS_MAX).code == TALLY_OK);
    char name[32];
    tally_tx tx = named_network_tx(&world, &mallory, "x");
    for (uint32_t i = tally_state_network_count(world.state); i < TALLY_NETWORKS_MAX; i++) {
        snprintf(name, sizeof name, "spam %u", i);
        text_set(&tx.body.network_create.name, name);
        REQUIRE(tally_apply(world.state, &tx, world.time).code == TALLY_OK);
        tx.sequence++;
    }
    tx = asset_tx(&world, &mallory, "SPAM");
    for (uint32_t i = 0; i < TALLY_ASSETS_MAX; i++) {
        REQUIRE(tally_apply(world.state, &tx, world.time).code == TALLY_OK);
        tx.sequence++;
    }
    CHECK_EQ(tally_state_network_count(world.state), TALLY_NETWORKS_MAX);
    CHECK_EQ(tally_state_asset_count(world.state), TALLY_ASSETS_MAX);
    /* what would grow a full table is refused, and only that */
    CHECK_CODE(world_apply(&world, &(tally_tx){0}).code, TALLY_ERR_WRONG_CHAIN);
    tally_tx more = named_network_tx(&world, &op, "One more");
    CHECK_CODE(world_apply(&world, &more).code, TALLY_ERR_STATE_FULL);
    more = asset_tx(&world, &mallory, "MORE");
    CHECK_CODE(world_apply(&world, &more).code, TALLY_ERR_STATE_FULL);
    /* a payment between existing members still goes through, and a new member joins */
    tally_result paid = do_pay(&world, &alice, 1, &bob, 2500, 0);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.minted, 2500);
    test_actor carol = actor(4);
    CHECK_CODE(do_admit(&world, &op, 1, &carol).code, TALLY_OK);
    /* and the full state loads from a snapshot, where it carries on */
    tally_error error = TALLY_OK;
    tally_state *loaded = snapshot_round_trip(world.state, &error);
    CHECK_CODE(error, TALLY_OK);
    REQUIRE(loaded != NULL);
    tally_state_destroy(world.state);
    world.state = loaded;
    CHECK_CODE(do_pay(&world, &bob, 1, &alice, 500, 0).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, 1, &alice), -2000);
    more = named_network_tx(&world, &op, "Still one more");
    CHECK_CODE(world_apply(&world, &more).code, TALLY_ERR_STATE_FULL);
    world_free(&world);
}

TEST(hardening_01_an_open_chain_lets_a_key_found_a_few_networks_a_day) {
    test_actor validator = actor(9), mallory = actor(666);
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, &validator.key); /* open, 3 networks and 3 assets per key per day */
    test_world world;
    world_init_rules(&world, &rules);
    char name[32];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "Mallory %d", i);
        tally_tx tx = named_network_tx(&world, &mallory, name);
        CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    }
    tally_tx fourth = named_network_tx(&world, &mallory, "Mallory 3");
    CHECK_CODE(world_apply(&world, &fourth).code, TALLY_ERR_DAILY_LIMIT);
    tally_growth_allowance left = tally_state_growth_allowance(world.state, &mallory.key, world.time);
    CHECK_EQ(left.networks_today_left, 0);
    CHECK_EQ(left.assets_today_left, 3);
    for (int i = 0; i < 3; i++) {
        tally_tx tx = asset_tx(&world, &mallory, "TOK");
        CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    }
    tally_tx asset = asset_tx(&world, &mallory, "TOK");
    CHECK_CODE(world_apply(&world, &asset).code, TALLY_ERR_DAILY_LIMIT);
    /* the next day of block time allows three more; the day before does not carry over */
    world_advance_to(&world, WORLD_START_TIME + DAY - 1);
    fourth = named_network_tx(&world, &mallory, "Mallory 3");
    CHECK_CODE(world_apply(&world, &fourth).code, TALLY_ERR_DAILY_LIMIT);
    world_advance_to(&world, WORLD_START_TIME + DAY);
    CHECK_CODE(world_apply(&world, &fourth).code, TALLY_OK);
    /* a validator's approval comes on top and is used first */
    CHECK_CODE(approve(&world, &validator, &mallory, 1, 0).code, TALLY_OK);
    tally_tx approved = named_network_tx(&world, &mallory, "Mallory approved");
    CHECK_CODE(world_apply(&world, &approved).code, TALLY_OK);
    left = tally_state_growth_allowance(world.state, &mallory.key, world.time);
    CHECK_EQ(left.networks_approved, 0);
    CHECK_EQ(left.networks_today_left, 2);
    CHECK_EQ(tally_state_network_count(world.state), 5);
    world_free(&world);
}

TEST(hardening_01_an_approved_chain_grows_only_with_a_validators_approval) {
    test_actor validator = actor(9), founder = actor(1), mallory = actor(666);
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, &validator.key);
    rules.growth_mode = TALLY_GROWTH_APPROVED;
    test_world world;
    world_init_rules(&world, &rules);
    tally_tx tx = named_network_tx(&world, &founder, "Greenvale");
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_APPROVAL_REQUIRED);
    tally_tx asset = asset_tx(&world, &founder, "USD");
    CHECK_CODE(world_apply(&world, &asset).code, TALLY_ERR_APPROVAL_REQUIRED);
    /* only a validator approves, within the bound, never a system account */
    CHECK_CODE(approve(&world, &mallory, &mallory, 5, 5).code, TALLY_ERR_NOT_VALIDATOR);
    tally_result above = approve(&world, &validator, &founder, TALLY_APPROVALS_MAX + 1, 0);
    CHECK_CODE(above.code, TALLY_ERR_APPROVAL_ABOVE_MAX);
    CHECK_EQ(above.available, TALLY_APPROVALS_MAX);
    test_actor system_actor = founder;
    system_actor.key = tally_system_key(1, TALLY_SYSTEM_POOL);
    CHECK_CODE(approve(&world, &validator, &system_actor, 1, 1).code, TALLY_ERR_SYSTEM_ACCOUNT);
    CHECK_CODE(approve(&world, &validator, &founder, 1, 1).code, TALLY_OK);
    tx = named_network_tx(&world, &founder, "Greenvale");
    CHECK_EQ(world_apply(&world, &tx).created_id, 1);
    asset = asset_tx(&world, &founder, "USD");
    CHECK_EQ(world_apply(&world, &asset).created_id, 1);
    tx = named_network_tx(&world, &founder, "Greenvale East");
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_APPROVAL_REQUIRED);
    /* an approval not yet used is revoked by setting it to 0 */
    CHECK_CODE(approve(&world, &validator, &founder, 2, 0).code, TALLY_OK);
    CHECK_CODE(approve(&world, &validator, &founder, 0, 0).code, TALLY_OK);
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_APPROVAL_REQUIRED);
    /* approvals survive a snapshot */
    CHECK_CODE(approve(&world, &validator, &mallory, 1, 0).code, TALLY_OK);
    tally_error error;
    tally_state *loaded = snapshot_round_trip(world.state, &error);
    REQUIRE(loaded != NULL);
    CHECK_EQ(tally_state_growth_allowance(loaded, &mallory.key, world.time).networks_approved, 1);
    CHECK_EQ(tally_state_chain_rules(loaded)->growth_mode, TALLY_GROWTH_APPROVED);
    tally_state_destroy(loaded);
    world_free(&world);
}

TEST(hardening_01_a_network_holds_its_policys_members_and_bounded_records) {
    test_world world;
    world_init(&world);
    test_actor op = actor(1);
    tally_policy policy = policy_default();
    policy.max_members = 3;
    REQUIRE(do_create_network(&world, &op, &policy).code == TALLY_OK);
    for (uint32_t i = 0; i < 3; i++) {
        test_actor member = actor(10 + i);
        tally_tx join = world_tx(&world, &member, TALLY_TX_MEMBER_JOIN);
        join.body.network_only.network_id = 1;
        CHECK_CODE(world_apply(&world, &join).code, TALLY_OK);
    }
    test_actor fourth = actor(13);
    tally_tx join = world_tx(&world, &fourth, TALLY_TX_MEMBER_JOIN);
    join.body.network_only.network_id = 1;
    tally_result full = world_apply(&world, &join);
    CHECK_CODE(full.code, TALLY_ERR_MEMBERS_FULL);
    CHECK_EQ(full.available, 3);
    CHECK_CODE(do_admit(&world, &op, 1, &fourth).code, TALLY_ERR_MEMBERS_FULL);
    /* a member who leaves makes room (the record stays) */
    test_actor first = actor(10);
    tally_tx leave = world_tx(&world, &first, TALLY_TX_MEMBER_LEAVE);
    leave.body.network_only.network_id = 1;
    CHECK_CODE(world_apply(&world, &leave).code, TALLY_OK);
    CHECK_CODE(world_apply(&world, &join).code, TALLY_OK);
    CHECK_EQ(tally_state_network(world.state, 1)->member_records, 4);
    /* joining and leaving with fresh keys cannot grow the table past the records'
     * bound: set the count next to it, as a million joins would */
    tally_policy roomy = policy_default();
    REQUIRE(do_create_network(&world, &op, &roomy).code == TALLY_OK);
    world.state->networks[1].member_records = TALLY_MEMBER_RECORDS_PER_NETWORK_MAX - 1;
    test_actor last = actor(20), past = actor(21);
    join = world_tx(&world, &last, TALLY_TX_MEMBER_JOIN);
    join.body.network_only.network_id = 2;
    CHECK_CODE(world_apply(&world, &join).code, TALLY_OK);
    join = world_tx(&world, &past, TALLY_TX_MEMBER_JOIN);
    join.body.network_only.network_id = 2;
    CHECK_CODE(world_apply(&world, &join).code, TALLY_ERR_MEMBERS_FULL);
    /* but a member who left comes back into its own record */
    leave = world_tx(&world, &last, TALLY_TX_MEMBER_LEAVE);
    leave.body.network_only.network_id = 2;
    CHECK_CODE(world_apply(&world, &leave).code, TALLY_OK);
    join = world_tx(&world, &last, TALLY_TX_MEMBER_JOIN);
    join.body.network_only.network_id = 2;
    CHECK_CODE(world_apply(&world, &join).code, TALLY_OK);
    world_free(&world);
}

TEST(hardening_01_an_asset_has_at_most_its_bound_of_holders) {
    test_world world;
    world_init(&world);
    test_actor bank = actor(5), holder = actor(6), newcomer = actor(7);
    REQUIRE(do_create_asset(&world, &bank, "USD").code == TALLY_OK);
    REQUIRE(do_issue(&world, &bank, 1, &bank, 1000).code == TALLY_OK);
    REQUIRE(do_issue(&world, &bank, 1, &holder, 10).code == TALLY_OK);
    CHECK_EQ(tally_state_asset(world.state, 1)->holders, 2);
    /* as a million one-unit transfers to fresh keys would: the count next to the bound */
    world.state->assets[0].holders = TALLY_HOLDERS_PER_ASSET_MAX;
    tally_tx give = world_tx(&world, &holder, TALLY_TX_ASSET_TRANSFER);
    give.body.asset_move.asset_id = 1;
    give.body.asset_move.to = newcomer.key;
    give.body.asset_move.amount = 1;
    CHECK_CODE(world_apply(&world, &give).code, TALLY_ERR_HOLDERS_FULL);
    CHECK_CODE(do_issue(&world, &bank, 1, &newcomer, 1).code, TALLY_ERR_HOLDERS_FULL);
    /* existing holders keep trading */
    give.body.asset_move.to = bank.key;
    CHECK_CODE(world_apply(&world, &give).code, TALLY_OK);
    CHECK_EQ(tally_state_asset_balance(world.state, 1, &holder.key), 9);
    world_free(&world);
}

/* ---- finding 2: an operator cannot drain the pool ---- */

enum { NET = 1, USD = 1 };

/* Greenvale on USD at 1:1 with a 20% target RTD, a 7-day notice and a 10% daily
 * redemption cap. alice (in debt, the accomplice) paid 50.00 each to op and bob;
 * the depositor put 10,000.00 USD (1,000,000 units) into the pool: 2,000 to
 * primary, 998,000 to excess. */
static void drain_setup(test_world *world) {
    world_init(world);
    test_actor op = actor(1), alice = actor(2), bob = actor(3), bank = actor(5), depositor = actor(7);
    tally_policy policy = policy_default();
    policy.target_rtd_bps = 2000;
    policy.notice_seconds = 7 * DAY;
    policy.redeem_cap_bps = 1000;
    policy.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    REQUIRE(do_create_network(world, &op, &policy).code == TALLY_OK);
    const test_actor *members[] = {&op, &alice, &bob};
    for (int i = 0; i < 3; i++) REQUIRE(do_admit(world, &op, NET, members[i]).code == TALLY_OK);
    REQUIRE(do_open_line(world, &op, NET, &alice, 100000, 90 * DAY, 30 * DAY, 0).code == TALLY_OK);
    REQUIRE(do_create_asset(world, &bank, "USD").created_id == USD);
    REQUIRE(do_issue(world, &bank, USD, &depositor, 1000000).code == TALLY_OK);
    REQUIRE(do_issue(world, &bank, USD, &alice, 1000).code == TALLY_OK);
    REQUIRE(do_set_peg(world, &op, NET, USD, 1, 1).code == TALLY_OK);
    REQUIRE(do_pay(world, &alice, NET, &op, 5000, 0).code == TALLY_OK);
    REQUIRE(do_pay(world, &alice, NET, &bob, 5000, 0).code == TALLY_OK);
    tally_result deposited = do_pool(world, &depositor, TALLY_TX_POOL_DEPOSIT, NET, 1000000);
    REQUIRE(deposited.code == TALLY_OK);
    CHECK_EQ(deposited.to_primary, 2000);
    CHECK_EQ(deposited.to_excess, 998000);
}

static tally_result set_target(test_world *world, const test_actor *op, uint32_t target_rtd_bps) {
    tally_tx tx = world_tx(world, op, TALLY_TX_POLICY_UPDATE);
    tx.body.policy_update.network_id = NET;
    tx.body.policy_update.policy = tally_state_network(world->state, NET)->policy;
    tx.body.policy_update.policy.target_rtd_bps = target_rtd_bps;
    return world_apply(world, &tx);
}

/* The attack of the review, step by step. Before the fix the target and the peg
 * changed at once, block end moved all excess to primary, and the 10 credits paid
 * 1,000,000 units: the whole deposit. */
TEST(hardening_02_an_operator_cannot_drain_the_pool_with_a_new_target_and_peg) {
    test_world world;
    drain_setup(&world);
    test_actor op = actor(1), alice = actor(2), depositor = actor(7);
    int64_t start = world.time;
    /* 1. the operator raises the target RTD to 100%: announced, not applied */
    tally_result raised = set_target(&world, &op, 10000);
    CHECK_CODE(raised.code, TALLY_OK);
    CHECK_EQ(raised.effective_at, start + 7 * DAY);
    CHECK_EQ(tally_state_network(world.state, NET)->policy.target_rtd_bps, 2000);
    /* 2. the accomplice repays 15 credits in reserve: lost debt of 15, backed by the buffer */
    CHECK_CODE(do_pool(&world, &alice, TALLY_TX_POOL_REPAY, NET, 15).code, TALLY_OK);
    /* 3. the operator re-pegs to 1 credit = 100,000 units: announced, not applied */
    tally_result repegged = do_set_peg(&world, &op, NET, USD, 100000, 1);
    CHECK_CODE(repegged.code, TALLY_OK);
    CHECK_EQ(repegged.effective_at, start + 7 * DAY);
    /* 4. block end: nothing moves (RTD is at its old target) */
    tally_block_summary summary = world_advance_to(&world, start + 60);
    CHECK_EQ(summary.reserve_reallocated, 0);
    CHECK_EQ(tally_state_network(world.state, NET)->pool_primary, 2000);
    /* 5. the operator redeems 10 credits: at the old peg, 10 units from the buffer */
    tally_result redeemed = do_pool(&world, &op, TALLY_TX_POOL_REDEEM, NET, 10);
    CHECK_CODE(redeemed.code, TALLY_OK);
    CHECK_EQ(redeemed.reserve, 10);
    CHECK_EQ(tally_state_asset_balance(world.state, USD, &op.key), 10);
    /* In the notice window the depositor withdraws what excess pays: 998,000 units. */
    const tally_network *network = tally_state_network(world.state, NET);
    CHECK_EQ(network->pool_primary + network->pool_excess, 1000000);
    tally_result withdrawn = do_pool(&world, &depositor, TALLY_TX_POOL_WITHDRAW, NET, 998000);
    CHECK_CODE(withdrawn.code, TALLY_OK);
    CHECK_EQ(withdrawn.reserve, 998000);
    CHECK_EQ(tally_state_asset_balance(world.state, USD, &depositor.key), 998000);
    /* The changes take effect at their time ... */
    summary = world_advance_to(&world, start + 7 * DAY);
    CHECK_EQ(summary.policy_changes, 1);
    CHECK_EQ(summary.peg_changes, 1);
    network = tally_state_network(world.state, NET);
    CHECK_EQ(network->policy.target_rtd_bps, 10000);
    CHECK_EQ(network->peg_reserve_units, 100000);
    CHECK_EQ(network->pool_primary, 2000);
    /* ... when the pool holds only the reserve behind the RTD: at the new peg one
     * credit asks for 100,000 units, more than the pool can pay */
    tally_result again = do_pool(&world, &op, TALLY_TX_POOL_REDEEM, NET, 1);
    CHECK_CODE(again.code, TALLY_ERR_POOL_RESERVE_SHORT);
    CHECK_EQ(again.available, 2005);
    /* the depositor's remaining 2,000 shares are still worth 2,000 units */
    CHECK_EQ(tally_state_pool_shares(world.state, NET, &depositor.key), 2000);
    CHECK_EQ(network->pool_primary + network->pool_excess, 2000);
    CHECK_EQ(tally_state_asset_balance(world.state, USD, &op.key), 10);
    world_free(&world);
}

TEST(hardening_02_redemptions_take_at_most_the_daily_cap_of_primary) {
    test_world world;
    drain_setup(&world);
    test_actor op = actor(1), alice = actor(2), bob = actor(3), dee = actor(4);
    /* dee borrows 1,000 (paying alice's debt down, so the supply stays 10,000 and
     * primary at its target) and defaults two days later: 1,000 of lost debt that
     * nothing backs */
    REQUIRE(do_admit(&world, &op, NET, &dee).code == TALLY_OK);
    REQUIRE(do_open_line(&world, &op, NET, &dee, 1000, DAY, DAY, 0).code == TALLY_OK);
    REQUIRE(do_pay(&world, &dee, NET, &alice, 1000, 0).code == TALLY_OK);
    CHECK_EQ(world_advance_to(&world, world.time + 2 * DAY).lines_defaulted, 1);
    int64_t start = world.time;
    /* alice repays 100 credits in reserve: the buffer holds 100, lost debt is 1,100 */
    CHECK_CODE(do_pool(&world, &alice, TALLY_TX_POOL_REPAY, NET, 100).code, TALLY_OK);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_LOST_DEBT)->balance, -1100);
    CHECK_EQ(tally_state_network(world.state, NET)->pool_buffer, 100);
    /* 10% of the day's primary (2,000) is 200: 100 from the buffer and 200 from primary at most */
    tally_result over = do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 301);
    CHECK_CODE(over.code, TALLY_ERR_REDEEM_CAP_REACHED);
    CHECK_EQ(over.available, 300);
    CHECK_CODE(do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 300).code, TALLY_OK);
    const tally_network *network = tally_state_network(world.state, NET);
    CHECK_EQ(network->pool_primary, 1800);
    CHECK_EQ(network->redeem_allowance, 0);
    tally_result more = do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 1);
    CHECK_CODE(more.code, TALLY_ERR_REDEEM_CAP_REACHED);
    CHECK_EQ(more.available, 0);
    /* the next day allows 10% of what primary is then: block end refilled it from
     * excess to 20% of the supply, 9,700 after the 300 burned: 1,940, so 194 */
    CHECK_EQ(world_advance_to(&world, start - start % DAY + DAY).reserve_reallocated, 140);
    CHECK_EQ(network->pool_primary, 1940);
    CHECK_CODE(do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 195).code, TALLY_ERR_REDEEM_CAP_REACHED);
    CHECK_CODE(do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 194).code, TALLY_OK);
    CHECK_EQ(network->pool_primary, 1746);
    CHECK_EQ(tally_state_asset_balance(world.state, USD, &bob.key), 494);
    (void)op;
    world_free(&world);
}

TEST(hardening_02_changes_that_touch_others_money_wait_their_notice) {
    test_world world;
    drain_setup(&world);
    test_actor op = actor(1);
    int64_t start = world.time;
    tally_tx tx = world_tx(&world, &op, TALLY_TX_POLICY_UPDATE);
    tx.body.policy_update.network_id = NET;
    tally_policy wanted = tally_state_network(world.state, NET)->policy;
    wanted.fee_bps = 200;         /* higher: waits */
    wanted.positive_cap = 100000; /* a cap where there was none: waits */
    wanted.redeem_cap_bps = 5000; /* higher: waits */
    wanted.notice_seconds = DAY;  /* shorter: waits (the old notice) */
    wanted.max_credit_limit = 777; /* nobody's money: at once */
    tx.body.policy_update.policy = wanted;
    tally_result updated = world_apply(&world, &tx);
    CHECK_CODE(updated.code, TALLY_OK);
    CHECK_EQ(updated.effective_at, start + 7 * DAY);
    const tally_network *network = tally_state_network(world.state, NET);
    CHECK_EQ(network->policy.max_credit_limit, 777);
    CHECK_EQ(network->policy.fee_bps, 0);
    CHECK_EQ(network->policy.positive_cap, 0);
    CHECK_EQ(network->policy.redeem_cap_bps, 1000);
    CHECK_EQ(network->policy.notice_seconds, 7 * DAY);
    /* asking the same again keeps the time */
    world_advance_to(&world, start + 3 * DAY);
    tx = world_tx(&world, &op, TALLY_TX_POLICY_UPDATE);
    tx.body.policy_update.network_id = NET;
    tx.body.policy_update.policy = wanted;
    CHECK_EQ(world_apply(&world, &tx).effective_at, start + 7 * DAY);
    CHECK_EQ(world_advance_to(&world, start + 7 * DAY - 1).policy_changes, 0);
    CHECK_EQ(world_advance_to(&world, start + 7 * DAY).policy_changes, 1);
    CHECK_EQ(network->policy.fee_bps, 200);
    CHECK_EQ(network->policy.positive_cap, 100000);
    CHECK_EQ(network->policy.redeem_cap_bps, 5000);
    CHECK_EQ(network->policy.notice_seconds, DAY);
    CHECK_EQ(network->policy.max_credit_limit, 777);
    /* lower fees apply at once; an announcement the next update does not repeat is withdrawn */
    tx = world_tx(&world, &op, TALLY_TX_POLICY_UPDATE);
    tx.body.policy_update.network_id = NET;
    wanted.fee_bps = 300;
    tx.body.policy_update.policy = wanted;
    CHECK_EQ(world_apply(&world, &tx).effective_at, world.time + DAY);
    tx = world_tx(&world, &op, TALLY_TX_POLICY_UPDATE);
    tx.body.policy_update.network_id = NET;
    wanted.fee_bps = 50;
    tx.body.policy_update.policy = wanted;
    tally_result lowered = world_apply(&world, &tx);
    CHECK_EQ(lowered.effective_at, 0);
    CHECK_EQ(network->policy.fee_bps, 50);
    CHECK_EQ(network->policy_change_at, 0);
    CHECK_EQ(world_advance_to(&world, world.time + 2 * DAY).policy_changes, 0);
    CHECK_EQ(network->policy.fee_bps, 50);
    /* with an empty pool the target and the peg change at once */
    test_world empty;
    world_init(&empty);
    tally_policy policy = policy_default();
    REQUIRE(do_create_network(&empty, &op, &policy).code == TALLY_OK);
    test_actor bank = actor(5);
    REQUIRE(do_create_asset(&empty, &bank, "USD").code == TALLY_OK);
    CHECK_EQ(do_set_peg(&empty, &op, NET, USD, 1, 1).effective_at, 0);
    CHECK_EQ(do_set_peg(&empty, &op, NET, USD, 3, 2).effective_at, 0);
    CHECK_EQ(tally_state_network(empty.state, NET)->peg_reserve_units, 3);
    CHECK_EQ(set_target(&empty, &op, 9000).effective_at, 0);
    CHECK_EQ(tally_state_network(empty.state, NET)->policy.target_rtd_bps, 9000);
    world_free(&empty);
    world_free(&world);
}

/* ---- finding 10: leaving does not launder a suspension or a default ---- */

TEST(hardening_10_a_suspended_or_defaulted_member_comes_back_so) {
    test_world world;
    world_init(&world);
    test_actor op = actor(1), sam = actor(2), dee = actor(3), payee = actor(4);
    tally_policy policy = policy_default();
    policy.default_credit_limit = 1000; /* an open network with a line for everyone who joins */
    REQUIRE(do_create_network(&world, &op, &policy).code == TALLY_OK);
    const test_actor *people[] = {&sam, &dee, &payee};
    for (int i = 0; i < 3; i++) {
        tally_tx join = world_tx(&world, people[i], TALLY_TX_MEMBER_JOIN);
        join.body.network_only.network_id = 1;
        REQUIRE(world_apply(&world, &join).code == TALLY_OK);
    }
    /* sam is suspended at a zero balance; dee borrows 400 and defaults */
    tally_tx suspend = world_tx(&world, &op, TALLY_TX_MEMBER_SUSPEND);
    suspend.body.network_key.network_id = 1;
    suspend.body.network_key.key = sam.key;
    REQUIRE(world_apply(&world, &suspend).code == TALLY_OK);
    REQUIRE(do_pay(&world, &dee, 1, &payee, 400, 0).code == TALLY_OK);
    world_advance_to(&world, WORLD_START_TIME + 41 * DAY); /* 30 days and 10 of grace */
    REQUIRE(member_of(&world, 1, &dee)->status == TALLY_MEMBER_DEFAULTED);
    CHECK_EQ(member_of(&world, 1, &dee)->balance, 0);
    /* both leave at zero and join again */
    const test_actor *leavers[] = {&sam, &dee};
    for (int i = 0; i < 2; i++) {
        tally_tx leave = world_tx(&world, leavers[i], TALLY_TX_MEMBER_LEAVE);
        leave.body.network_only.network_id = 1;
        CHECK_CODE(world_apply(&world, &leave).code, TALLY_OK);
        tally_tx join = world_tx(&world, leavers[i], TALLY_TX_MEMBER_JOIN);
        join.body.network_only.network_id = 1;
        CHECK_CODE(world_apply(&world, &join).code, TALLY_OK);
    }
    /* the statuses survived, and no fresh line came with them */
    const tally_member *back = member_of(&world, 1, &sam);
    CHECK_EQ(back->status, TALLY_MEMBER_SUSPENDED);
    CHECK_EQ(back->limit, 0);
    CHECK_EQ(back->line_status, TALLY_LINE_NONE);
    CHECK_CODE(do_pay(&world, &sam, 1, &payee, 1, 0).code, TALLY_ERR_MEMBER_SUSPENDED);
    back = member_of(&world, 1, &dee);
    CHECK_EQ(back->status, TALLY_MEMBER_DEFAULTED);
    CHECK_EQ(back->line_status, TALLY_LINE_DEFAULTED);
    CHECK_EQ(back->limit, 0);
    CHECK_CODE(do_pay(&world, &dee, 1, &payee, 1, 0).code, TALLY_ERR_MEMBER_DEFAULTED);
    CHECK_CODE(do_open_line(&world, &op, 1, &dee, 500, 0, 0, 0).code, TALLY_ERR_MEMBER_DEFAULTED);
    /* the same by admission, and through a snapshot */
    tally_tx leave = world_tx(&world, &sam, TALLY_TX_MEMBER_LEAVE);
    leave.body.network_only.network_id = 1;
    CHECK_CODE(world_apply(&world, &leave).code, TALLY_OK);
    tally_error error;
    tally_state *loaded = snapshot_round_trip(world.state, &error);
    REQUIRE(loaded != NULL);
    tally_state_destroy(world.state);
    world.state = loaded;
    CHECK_CODE(do_admit(&world, &op, 1, &sam).code, TALLY_OK);
    CHECK_EQ(member_of(&world, 1, &sam)->status, TALLY_MEMBER_SUSPENDED);
    /* reinstating is how an operator lifts it */
    tally_tx reinstate = world_tx(&world, &op, TALLY_TX_MEMBER_REINSTATE);
    reinstate.body.network_key.network_id = 1;
    reinstate.body.network_key.key = sam.key;
    CHECK_CODE(world_apply(&world, &reinstate).code, TALLY_OK);
    CHECK_EQ(member_of(&world, 1, &sam)->status, TALLY_MEMBER_ACTIVE);
    world_free(&world);
}

/* ---- finding 12: text that reads other than it is ---- */

TEST(hardening_12_memos_and_names_refuse_bidirectional_and_invisible_characters) {
    test_world world;
    world_init(&world);
    test_actor op = actor(1), alice = actor(2), bank = actor(5);
    tally_policy policy = policy_default();
    REQUIRE(do_create_network(&world, &op, &policy).code == TALLY_OK);
    REQUIRE(do_admit(&world, &op, 1, &alice).code == TALLY_OK);
    REQUIRE(do_open_line(&world, &op, 1, &alice, 1000, 0, 0, 0).code == TALLY_OK);
    static const char *const spoofs[] = {
        "invoice \u202Efdp.exe", /* RIGHT-TO-LEFT OVERRIDE */
        "pa\u200Bid",            /* ZERO WIDTH SPACE */
        "a\u2066b",              /* LEFT-TO-RIGHT ISOLATE */
        "\uFEFFrent",            /* ZERO WIDTH NO-BREAK SPACE */
        "x\302\205y",            /* U+0085, a C1 control (no \u for it in C) */
        "tag\U000E0041",         /* TAG LATIN CAPITAL LETTER A */
    };
    for (size_t i = 0; i < sizeof spoofs / sizeof spoofs[0]; i++) {
        CHECK(!tally_text_is_valid(spoofs[i], strlen(spoofs[i])));
        tally_tx pay = world_tx(&world, &alice, TALLY_TX_TRANSFER);
        pay.body.transfer.network_id = 1;
        pay.body.transfer.payee = op.key;
        pay.body.transfer.amount = 1;
        text_set(&pay.body.transfer.memo, spoofs[i]);
        CHECK_CODE(world_apply(&world, &pay).code, TALLY_ERR_DECODE_BAD_TEXT);
        uint8_t bytes[TALLY_TX_ENCODED_MAX];
        size_t length = tally_tx_encode(&pay, bytes, sizeof bytes);
        tally_tx decoded;
        CHECK_CODE(tally_tx_decode(bytes, length, &decoded), TALLY_ERR_DECODE_BAD_TEXT);
        tally_tx network = named_network_tx(&world, &op, spoofs[i]);
        CHECK_CODE(world_apply(&world, &network).code, TALLY_ERR_BAD_NAME);
        tally_tx asset = world_tx(&world, &bank, TALLY_TX_ASSET_CREATE);
        text_set(&asset.body.asset_create.code, "USD");
        text_set(&asset.body.asset_create.name, spoofs[i]);
        CHECK_CODE(world_apply(&world, &asset).code, TALLY_ERR_BAD_NAME);
    }
    /* what is visible still passes: accents, other scripts, emoji, a no-break space */
    static const char *const fine[] = {"Brot & K\u00e4se", "\u041c\u0438\u0440", "\U0001F35E", "12\u00a0GVH"};
    REQUIRE(do_admit(&world, &op, 1, &op).code == TALLY_OK);
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        CHECK(tally_text_is_valid(fine[i], strlen(fine[i])));
        tally_tx pay = world_tx(&world, &alice, TALLY_TX_TRANSFER);
        pay.body.transfer.network_id = 1;
        pay.body.transfer.payee = op.key;
        pay.body.transfer.amount = 1;
        text_set(&pay.body.transfer.memo, fine[i]);
        CHECK_CODE(world_apply(&world, &pay).code, TALLY_OK);
    }
    world_free(&world);
}

/* An operator who announces again and again (each a different change, so each
 * restarts the notice) queues one due entry per network, not one per transaction. */
TEST(hardening_02_announcing_again_and_again_keeps_one_entry_queued) {
    test_world world;
    drain_setup(&world);
    test_actor op = actor(1);
    uint32_t queued_before = world.state->due_count;
    tally_policy wanted = tally_state_network(world.state, NET)->policy;
    for (uint32_t i = 0; i < 1000; i++) {
        tally_tx tx = world_tx(&world, &op, TALLY_TX_POLICY_UPDATE);
        tx.body.policy_update.network_id = NET;
        wanted.fee_bps = 100 + i; /* higher each time: announced afresh */
        tx.body.policy_update.policy = wanted;
        REQUIRE(tally_apply(world.state, &tx, world.time + i).code == TALLY_OK);
        tally_tx peg = world_tx(&world, &op, TALLY_TX_PEG_SET);
        peg.body.peg_set = (tally_tx_peg_set){NET, USD, 2 + i, 1};
        REQUIRE(tally_apply(world.state, &peg, world.time + i).code == TALLY_OK);
    }
    CHECK(world.state->due_count <= queued_before + 2);
    /* the last announcement still takes effect at its own time */
    const tally_network *network = tally_state_network(world.state, NET);
    int64_t last = network->policy_change_at;
    CHECK_EQ(last, world.time + 999 + 7 * DAY);
    CHECK_EQ(world_advance_to(&world, world.time + 7 * DAY).policy_changes, 0); /* the first one's time: replaced */
    CHECK_EQ(network->policy.fee_bps, 0);
    tally_block_summary summary = world_advance_to(&world, last);
    CHECK_EQ(summary.policy_changes, 1);
    CHECK_EQ(summary.peg_changes, 1);
    CHECK_EQ(network->policy.fee_bps, 1099);
    CHECK_EQ(network->peg_reserve_units, 1001);
    world_free(&world);
}

/* ---- finding 12 for the marketplace (issue 13): its texts, images and bytes ---- */

/* Applies tx (through world_apply, which fails the test if a refusal changes the
 * state) and, when the encoder can write it, decodes its bytes: the code of each. */
static tally_error market_decoded(const tally_tx *tx) {
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(tx, bytes, sizeof bytes);
    if (length == 0) return TALLY_ERROR_COUNT; /* the encoder refuses it */
    tally_tx decoded;
    tally_error error = tally_tx_decode(bytes, length, &decoded);
    if (error == TALLY_OK) tally_tx_release(&decoded);
    return error;
}

static tally_tx market_listing(const test_world *world, const test_actor *seller) {
    tally_tx tx = world_tx(world, seller, TALLY_TX_LISTING_CREATE);
    tx.body.listing.network_id = 1;
    tx.body.listing.kind = TALLY_LISTING_OFFER;
    tx.body.listing.category = 1;
    tx.body.listing.price = 500;
    tx.body.listing.quantity = 3;
    tx.body.listing.expiry = world->time + 10 * DAY;
    text_set(&tx.body.listing.title, "Eggs");
    return tx;
}

static void fill_text(tally_text *text, char c, size_t length) {
    memset(text, 0, sizeof *text);
    memset(text->bytes, c, length);
    text->length = (uint16_t)length;
}

TEST(hardening_12_marketplace_texts_images_and_ratings_are_refused_changing_nothing) {
    test_world world;
    world_init(&world);
    test_actor op = actor(1), alice = actor(2), bob = actor(3);
    tally_policy policy = policy_default();
    REQUIRE(do_create_network(&world, &op, &policy).code == TALLY_OK);
    REQUIRE(do_admit(&world, &op, 1, &alice).code == TALLY_OK);
    REQUIRE(do_admit(&world, &op, 1, &bob).code == TALLY_OK);
    REQUIRE(do_open_line(&world, &op, 1, &bob, 100000, 0, 0, 0).code == TALLY_OK);
    tally_tx category = world_tx(&world, &op, TALLY_TX_CATEGORY_SET);
    category.body.category_set.network_id = 1;
    category.body.category_set.category = 1;
    text_set(&category.body.category_set.name, "Food");
    REQUIRE(world_apply(&world, &category).code == TALLY_OK);
    tally_tx tx = market_listing(&world, &alice);
    REQUIRE(world_apply(&world, &tx).code == TALLY_OK); /* listing 1 */
    uint8_t hash_before[TALLY_HASH_BYTES], hash_after[TALLY_HASH_BYTES];
    REQUIRE(tally_state_hash(world.state, hash_before));
    int cases = 0;
#define REFUSED(tx_, apply_code_, decode_code_)                                \
    do {                                                                       \
        CHECK_CODE(world_apply(&world, &(tx_)).code, apply_code_);             \
        CHECK_CODE(market_decoded(&(tx_)), decode_code_);                      \
        cases++;                                                               \
    } while (0)

    /* A title of 81 bytes, a text of 257, a URL of 161: the encoder will not write
     * them, and the core refuses them as the decoder would have. */
    tx = market_listing(&world, &alice);
    fill_text(&tx.body.listing.title, 't', TALLY_LISTING_TITLE_MAX + 1);
    REFUSED(tx, TALLY_ERR_DECODE_BAD_LENGTH, TALLY_ERROR_COUNT);
    tx = market_listing(&world, &alice);
    fill_text(&tx.body.listing.text, 'x', TALLY_LISTING_TEXT_MAX + 1);
    REFUSED(tx, TALLY_ERR_DECODE_BAD_LENGTH, TALLY_ERROR_COUNT);
    tx = market_listing(&world, &alice);
    memset(tx.body.listing.image_hash, 1, TALLY_HASH_BYTES);
    fill_text(&tx.body.listing.image_url, 'u', TALLY_IMAGE_URL_MAX + 1);
    memcpy(tx.body.listing.image_url.bytes, "https://", 8);
    REFUSED(tx, TALLY_ERR_BAD_IMAGE, TALLY_ERROR_COUNT);
    /* ... and at their maximum they pass the decoder (here the title: 80 bytes) */
    tx = market_listing(&world, &alice);
    fill_text(&tx.body.listing.title, 't', TALLY_LISTING_TITLE_MAX);
    CHECK_CODE(market_decoded(&tx), TALLY_OK);
    /* the bytes of an 81-byte title, signed, are refused by their length */
    {
        uint8_t bytes[TALLY_TX_ENCODED_MAX];
        size_t length = tally_tx_encode(&tx, bytes, sizeof bytes);
        REQUIRE(length > 0);
        memmove(bytes + 102 + TALLY_LISTING_TITLE_MAX + 1, bytes + 102 + TALLY_LISTING_TITLE_MAX,
                length - 102 - TALLY_LISTING_TITLE_MAX);
        bytes[100] = TALLY_LISTING_TITLE_MAX + 1;
        bytes[102 + TALLY_LISTING_TITLE_MAX] = 't';
        tally_tx decoded;
        CHECK_CODE(tally_tx_decode(bytes, length + 1, &decoded), TALLY_ERR_DECODE_BAD_LENGTH);
        cases++;
    }
    /* Invalid UTF-8 and spoofing characters in a title, a text, a memo, a review. */
    static const char *const bad[] = {"eggs \xe2\x82", "\xc3\x28", "\xed\xa0\x80", "invoice \u202Egpj.exe",
                                      "pa\u200Bid", "x\302\205y", "a\nb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tx = market_listing(&world, &alice);
        text_set(&tx.body.listing.title, bad[i]);
        REFUSED(tx, TALLY_ERR_DECODE_BAD_TEXT, TALLY_ERR_DECODE_BAD_TEXT);
        tx = market_listing(&world, &alice);
        text_set(&tx.body.listing.text, bad[i]);
        REFUSED(tx, TALLY_ERR_DECODE_BAD_TEXT, TALLY_ERR_DECODE_BAD_TEXT);
        tx = market_listing(&world, &alice);
        tx.type = TALLY_TX_LISTING_UPDATE;
        tx.body.listing.network_id = 0, tx.body.listing.kind = 0, tx.body.listing.listing_id = 1;
        text_set(&tx.body.listing.title, bad[i]);
        REFUSED(tx, TALLY_ERR_DECODE_BAD_TEXT, TALLY_ERR_DECODE_BAD_TEXT);
        tx = world_tx(&world, &bob, TALLY_TX_ORDER_CREATE);
        tx.body.order_create = (tally_tx_order_create){.listing_id = 1, .quantity = 1, .unit_price = 500,
                                                       .max_fee = 500, .timeout = world.time + DAY};
        text_set(&tx.body.order_create.memo, bad[i]);
        REFUSED(tx, TALLY_ERR_DECODE_BAD_TEXT, TALLY_ERR_DECODE_BAD_TEXT);
        tx = world_tx(&world, &op, TALLY_TX_CATEGORY_SET);
        tx.body.category_set.network_id = 1;
        tx.body.category_set.category = 2;
        text_set(&tx.body.category_set.name, bad[i]);
        REFUSED(tx, TALLY_ERR_BAD_NAME, TALLY_ERR_DECODE_BAD_TEXT);
    }
    /* Images: a URL with a space, another scheme, non-ASCII, a hash without a URL and
     * a URL without a hash. */
    static const char *const urls[] = {"https://example.org/my eggs.jpg", "ftp://example.org/eggs.jpg",
                                       "https://example.org/\xc3\xa9", "https://", "javascript:alert(1)"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        tx = market_listing(&world, &alice);
        memset(tx.body.listing.image_hash, 0xab, TALLY_HASH_BYTES);
        text_set(&tx.body.listing.image_url, urls[i]);
        REFUSED(tx, TALLY_ERR_BAD_IMAGE, TALLY_OK);
    }
    tx = market_listing(&world, &alice);
    memset(tx.body.listing.image_hash, 0xab, TALLY_HASH_BYTES);
    REFUSED(tx, TALLY_ERR_BAD_IMAGE, TALLY_OK);
    tx = market_listing(&world, &alice);
    text_set(&tx.body.listing.image_url, "https://example.org/eggs.jpg");
    REFUSED(tx, TALLY_ERR_BAD_IMAGE, TALLY_OK);
    /* A kind the decoder refuses, handed to the core as a struct. */
    tx = market_listing(&world, &alice);
    tx.body.listing.kind = TALLY_LISTING_KIND_COUNT;
    REFUSED(tx, TALLY_ERR_DECODE_BAD_VALUE, TALLY_ERR_DECODE_BAD_VALUE);
    /* Categories: unnamed, past 32, and 0 or 33 for a name. */
    tx = market_listing(&world, &alice);
    tx.body.listing.category = 2;
    REFUSED(tx, TALLY_ERR_BAD_CATEGORY, TALLY_OK);
    tx.body.listing.category = 255;
    REFUSED(tx, TALLY_ERR_BAD_CATEGORY, TALLY_OK);
    static const uint8_t bad_categories[] = {0, TALLY_MARKET_CATEGORIES_MAX + 1, 255};
    for (size_t i = 0; i < sizeof bad_categories; i++) {
        tx = world_tx(&world, &op, TALLY_TX_CATEGORY_SET);
        tx.body.category_set.network_id = 1;
        tx.body.category_set.category = bad_categories[i];
        text_set(&tx.body.category_set.name, "Tools");
        REFUSED(tx, TALLY_ERR_BAD_CATEGORY, TALLY_OK);
    }
    tx = world_tx(&world, &op, TALLY_TX_CATEGORY_SET);
    tx.body.category_set.network_id = 1;
    tx.body.category_set.category = 2;
    fill_text(&tx.body.category_set.name, 'n', TALLY_CATEGORY_NAME_MAX + 1);
    REFUSED(tx, TALLY_ERR_BAD_NAME, TALLY_ERROR_COUNT);
    /* An order memo of 257 bytes. */
    tx = world_tx(&world, &bob, TALLY_TX_ORDER_CREATE);
    tx.body.order_create = (tally_tx_order_create){.listing_id = 1, .quantity = 1, .unit_price = 500,
                                                   .max_fee = 500, .timeout = world.time + DAY};
    fill_text(&tx.body.order_create.memo, 'm', TALLY_MEMO_MAX + 1);
    REFUSED(tx, TALLY_ERR_DECODE_BAD_LENGTH, TALLY_ERROR_COUNT);
    REQUIRE(tally_state_hash(world.state, hash_after));
    CHECK(memcmp(hash_before, hash_after, sizeof hash_before) == 0);

    /* An order that paid the seller, then ratings: 0, 6 and 255 are refused with
     * BAD_RATING (the decoder carries any byte), a bad text with its code; 5 counts
     * once. */
    tx = world_tx(&world, &bob, TALLY_TX_ORDER_CREATE);
    tx.body.order_create = (tally_tx_order_create){.listing_id = 1, .quantity = 1, .unit_price = 500,
                                                   .max_fee = 500, .timeout = world.time + DAY};
    REQUIRE(world_apply(&world, &tx).code == TALLY_OK);
    tx = world_tx(&world, &alice, TALLY_TX_ORDER_ACCEPT);
    tx.body.order_step.order_id = 1;
    REQUIRE(world_apply(&world, &tx).code == TALLY_OK);
    /* a dispute's memo, spoofed or too long */
    tx = world_tx(&world, &bob, TALLY_TX_ORDER_DISPUTE);
    tx.body.order_step.order_id = 1;
    text_set(&tx.body.order_step.memo, "broken \u2066");
    REFUSED(tx, TALLY_ERR_DECODE_BAD_TEXT, TALLY_ERR_DECODE_BAD_TEXT);
    fill_text(&tx.body.order_step.memo, 'm', TALLY_MEMO_MAX + 1);
    REFUSED(tx, TALLY_ERR_DECODE_BAD_LENGTH, TALLY_ERROR_COUNT);
    tx = world_tx(&world, &bob, TALLY_TX_ORDER_CONFIRM);
    tx.body.order_step.order_id = 1;
    REQUIRE(world_apply(&world, &tx).code == TALLY_OK);
    REQUIRE(tally_state_hash(world.state, hash_before));
    static const uint8_t ratings[] = {0, 6, 255};
    for (size_t i = 0; i < sizeof ratings; i++) {
        tx = world_tx(&world, &bob, TALLY_TX_REVIEW);
        tx.body.review.order_id = 1;
        tx.body.review.rating = ratings[i];
        REFUSED(tx, TALLY_ERR_BAD_RATING, TALLY_OK);
    }
    tx = world_tx(&world, &bob, TALLY_TX_REVIEW);
    tx.body.review.order_id = 1;
    tx.body.review.rating = 5;
    text_set(&tx.body.review.text, "good\U000E0041");
    REFUSED(tx, TALLY_ERR_DECODE_BAD_TEXT, TALLY_ERR_DECODE_BAD_TEXT);
    fill_text(&tx.body.review.text, 'r', TALLY_MEMO_MAX + 1);
    REFUSED(tx, TALLY_ERR_DECODE_BAD_LENGTH, TALLY_ERROR_COUNT);
    REQUIRE(tally_state_hash(world.state, hash_after));
    CHECK(memcmp(hash_before, hash_after, sizeof hash_before) == 0);
    const tally_member *seller = member_of(&world, 1, &alice);
    REQUIRE(seller != NULL);
    CHECK_EQ(seller->review_count, 0);
    fill_text(&tx.body.review.text, 'r', TALLY_MEMO_MAX);
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    CHECK_EQ(member_of(&world, 1, &alice)->review_count, 1);
    CHECK_EQ(member_of(&world, 1, &alice)->review_points, 2);
    tx = world_tx(&world, &bob, TALLY_TX_REVIEW);
    tx.body.review.order_id = 1;
    tx.body.review.rating = 1;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_ALREADY_REVIEWED);
#undef REFUSED
    CHECK(cases >= 60);
    world_free(&world);
}

/* ---- finding 1 for the marketplace: one member's open listings and orders ---- */

/* A member publishes at most 1,024 open listings (TOO_MANY_OPEN for one more,
 * changing nothing; a withdrawal or an expiry makes room), and holds at most 1,024
 * open orders' money, as any payer's holds. */
TEST(hardening_01_a_member_has_at_most_its_bound_of_open_listings_and_orders) {
    test_world world;
    world_init(&world);
    test_actor op = actor(1), alice = actor(2), bob = actor(3);
    tally_policy policy = policy_default();
    REQUIRE(do_create_network(&world, &op, &policy).code == TALLY_OK);
    REQUIRE(do_admit(&world, &op, 1, &alice).code == TALLY_OK);
    REQUIRE(do_admit(&world, &op, 1, &bob).code == TALLY_OK);
    REQUIRE(do_open_line(&world, &op, 1, &bob, 1000000, 0, 0, 0).code == TALLY_OK);
    tally_tx category = world_tx(&world, &op, TALLY_TX_CATEGORY_SET);
    category.body.category_set.network_id = 1;
    category.body.category_set.category = 1;
    text_set(&category.body.category_set.name, "Food");
    REQUIRE(world_apply(&world, &category).code == TALLY_OK);
    for (uint32_t i = 0; i < TALLY_OPEN_PER_MEMBER_MAX; i++) {
        tally_tx tx = market_listing(&world, &alice);
        tx.body.listing.quantity = 2000;
        tx.body.listing.expiry = world.time + (i == 0 ? 1 : 10) * DAY; /* listing 1 expires first */
        tally_result result = tally_apply(world.state, &tx, world.time);
        REQUIRE(result.code == TALLY_OK);
        REQUIRE(result.created_id == i + 1);
    }
    CHECK_EQ(member_of(&world, 1, &alice)->listings_open, TALLY_OPEN_PER_MEMBER_MAX);
    tally_tx more = market_listing(&world, &alice);
    CHECK_CODE(world_apply(&world, &more).code, TALLY_ERR_TOO_MANY_OPEN);
    /* others still publish */
    tally_tx other = market_listing(&world, &bob);
    CHECK_CODE(world_apply(&world, &other).code, TALLY_OK);
    /* a withdrawal makes room for one */
    tally_tx withdraw = world_tx(&world, &alice, TALLY_TX_LISTING_WITHDRAW);
    withdraw.body.listing.listing_id = 2;
    CHECK_CODE(world_apply(&world, &withdraw).code, TALLY_OK);
    more = market_listing(&world, &alice);
    CHECK_CODE(world_apply(&world, &more).code, TALLY_OK);
    more = market_listing(&world, &alice);
    CHECK_CODE(world_apply(&world, &more).code, TALLY_ERR_TOO_MANY_OPEN);
    /* and so does an expiry */
    world_advance_to(&world, world.time + DAY);
    CHECK_EQ(tally_state_listing(world.state, 1)->status, TALLY_LISTING_EXPIRED);
    more = market_listing(&world, &alice);
    CHECK_CODE(world_apply(&world, &more).code, TALLY_OK);
    CHECK_EQ(member_of(&world, 1, &alice)->listings_open, TALLY_OPEN_PER_MEMBER_MAX);

    /* bob's open orders: each holds money, at most 1,024 holds open */
    uint32_t placed = 0;
    tally_result result = {0};
    for (uint32_t i = 0; i <= TALLY_OPEN_PER_MEMBER_MAX; i++) {
        tally_tx tx = world_tx(&world, &bob, TALLY_TX_ORDER_CREATE);
        tx.body.order_create = (tally_tx_order_create){.listing_id = 3, .quantity = 1, .unit_price = 500,
                                                       .max_fee = 500, .timeout = world.time + 5 * DAY};
        result = i < TALLY_OPEN_PER_MEMBER_MAX ? tally_apply(world.state, &tx, world.time) : world_apply(&world, &tx);
        if (result.code != TALLY_OK) break;
        placed++;
    }
    CHECK_EQ(placed, TALLY_OPEN_PER_MEMBER_MAX);
    CHECK_CODE(result.code, TALLY_ERR_TOO_MANY_OPEN);
    CHECK_EQ(tally_state_listing(world.state, 3)->orders_open, TALLY_OPEN_PER_MEMBER_MAX);
    char why[256];
    CHECK(tally_check_invariants(world.state, why, sizeof why));
    world_free(&world);
}
