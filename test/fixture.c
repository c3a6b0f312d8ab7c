/*
 * fixture.c: see fixture.h.
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

void world_init(test_world *world) {
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, NULL);
    world_init_rules(world, &rules);
}

void world_init_rules(test_world *world, const tally_chain_rules *rules) {
    memset(world, 0, sizeof *world);
    memset(world->chain_id, 0x5a, sizeof world->chain_id);
    world->state = tally_state_create_for_chain(world->chain_id, rules);
    world->time = WORLD_START_TIME;
}

void world_free(test_world *world) {
    tally_state_destroy(world->state);
    world->state = NULL;
}

test_actor actor(uint32_t n) {
    test_actor made;
    uint8_t seed[32] = {0};
    memcpy(seed, "tally-test-actor", 16);
    for (int i = 0; i < 4; i++) seed[16 + i] = (uint8_t)(n >> (8 * i));
    tally_keypair(&made.key, made.secret, seed);
    return made;
}

tally_tx world_tx(const test_world *world, const test_actor *signer, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, world->chain_id, sizeof tx.chain_id);
    tx.signer = signer->key;
    tx.sequence = tally_state_next_sequence(world->state, &signer->key);
    return tx;
}

static uint8_t *serialize(const tally_state *state, size_t *length) {
    *length = tally_state_serialized_size(state);
    uint8_t *bytes = malloc(*length);
    if (bytes && tally_state_serialize(state, bytes, *length) != *length) {
        free(bytes);
        return NULL;
    }
    return bytes;
}

tally_result world_apply(test_world *world, const tally_tx *tx) {
    size_t before_length, after_length;
    uint8_t *before = serialize(world->state, &before_length);
    tally_result result = tally_apply(world->state, tx, world->time);
    uint8_t *after = serialize(world->state, &after_length);
    CHECK(before && after);
    if (result.code != TALLY_OK && before && after) {
        bool unchanged = before_length == after_length && memcmp(before, after, before_length) == 0;
        if (!unchanged) {
            char what[160];
            snprintf(what, sizeof what, "refused %s (%s) changed the state", tally_tx_type_name(tx->type),
                     tally_error_name(result.code));
            test_fail(__FILE__, __LINE__, what);
        }
    }
    char why[256];
    if (!tally_check_invariants(world->state, why, sizeof why)) test_fail(__FILE__, __LINE__, why);
    free(before);
    free(after);
    return result;
}

tally_block_summary world_advance_to(test_world *world, int64_t time) {
    world->time = time;
    tally_block_summary summary = tally_end_block(world->state, time);
    char why[256];
    if (!tally_check_invariants(world->state, why, sizeof why)) test_fail(__FILE__, __LINE__, why);
    return summary;
}

tally_policy policy_default(void) {
    tally_policy policy;
    memset(&policy, 0, sizeof policy);
    policy.default_credit_limit = 0;
    policy.max_credit_limit = 1000000;
    policy.period_seconds = 30 * DAY;
    policy.grace_seconds = 10 * DAY;
    policy.compliance_rule = TALLY_COMPLIANCE_ZERO_BALANCE;
    policy.membership_mode = TALLY_MEMBERSHIP_OPEN;
    policy.auto_renew = true;
    policy.max_members = 100000;
    policy.notice_seconds = TALLY_NOTICE_SECONDS_MIN;
    policy.redeem_cap_bps = TALLY_BPS_ONE; /* no practical cap: the cap's own tests set one */
    return policy;
}

void text_set(tally_text *text, const char *value) {
    memset(text, 0, sizeof *text);
    text->length = (uint16_t)strlen(value);
    memcpy(text->bytes, value, text->length);
}

tally_result do_create_network(test_world *world, const test_actor *founder, const tally_policy *policy) {
    tally_tx tx = world_tx(world, founder, TALLY_TX_NETWORK_CREATE);
    /* Names are unique on the chain: the first network is Greenvale, later ones
     * Greenvale 2, Greenvale 3, ... */
    uint32_t next_id = tally_state_network_count(world->state) + 1;
    char name[32];
    if (next_id == 1) snprintf(name, sizeof name, "Greenvale");
    else snprintf(name, sizeof name, "Greenvale %u", next_id);
    text_set(&tx.body.network_create.name, name);
    text_set(&tx.body.network_create.unit_code, "GVH");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = *policy;
    return world_apply(world, &tx);
}

tally_result do_admit(test_world *world, const test_actor *operator_, uint32_t network_id, const test_actor *member) {
    tally_tx tx = world_tx(world, operator_, TALLY_TX_MEMBER_ADMIT);
    tx.body.network_key.network_id = network_id;
    tx.body.network_key.key = member->key;
    return world_apply(world, &tx);
}

tally_result do_open_line(test_world *world, const test_actor *operator_, uint32_t network_id,
                          const test_actor *member, int64_t limit, uint32_t period_seconds,
                          uint32_t grace_seconds, uint32_t risk_fee_bps) {
    tally_tx tx = world_tx(world, operator_, TALLY_TX_LINE_OPEN);
    tx.body.line_open.network_id = network_id;
    tx.body.line_open.member = member->key;
    tx.body.line_open.limit = limit;
    tx.body.line_open.period_seconds = period_seconds;
    tx.body.line_open.grace_seconds = grace_seconds;
    tx.body.line_open.risk_fee_bps = risk_fee_bps;
    return world_apply(world, &tx);
}

tally_result do_pay(test_world *world, const test_actor *payer, uint32_t network_id,
                    const test_actor *payee, int64_t amount, int64_t max_fee) {
    tally_tx tx = world_tx(world, payer, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = network_id;
    tx.body.transfer.payee = payee->key;
    tx.body.transfer.amount = amount;
    tx.body.transfer.max_fee = max_fee;
    return world_apply(world, &tx);
}

tally_result do_create_asset(test_world *world, const test_actor *issuer, const char *code) {
    tally_tx tx = world_tx(world, issuer, TALLY_TX_ASSET_CREATE);
    text_set(&tx.body.asset_create.code, code);
    text_set(&tx.body.asset_create.name, "Cooperative bank dollars");
    tx.body.asset_create.decimals = 2;
    return world_apply(world, &tx);
}

tally_result do_issue(test_world *world, const test_actor *issuer, uint32_t asset_id,
                      const test_actor *to, int64_t amount) {
    tally_tx tx = world_tx(world, issuer, TALLY_TX_ASSET_ISSUE);
    tx.body.asset_move.asset_id = asset_id;
    tx.body.asset_move.to = to->key;
    tx.body.asset_move.amount = amount;
    return world_apply(world, &tx);
}

tally_result do_set_peg(test_world *world, const test_actor *operator_, uint32_t network_id,
                        uint32_t asset_id, int64_t reserve_units, int64_t credit_units) {
    tally_tx tx = world_tx(world, operator_, TALLY_TX_PEG_SET);
    tx.body.peg_set.network_id = network_id;
    tx.body.peg_set.asset_id = asset_id;
    tx.body.peg_set.peg_reserve_units = reserve_units;
    tx.body.peg_set.peg_credit_units = credit_units;
    return world_apply(world, &tx);
}

tally_result do_pool(test_world *world, const test_actor *signer, tally_tx_type type,
                     uint32_t network_id, int64_t amount) {
    tally_tx tx = world_tx(world, signer, type);
    tx.body.pool_amount.network_id = network_id;
    tx.body.pool_amount.amount = amount;
    return world_apply(world, &tx);
}

void world_small_economy(test_world *world) {
    world_init(world);
    test_actor op = actor(1), alice = actor(2), bob = actor(3), bank = actor(5);
    tally_policy policy = policy_default();
    REQUIRE(do_create_network(world, &op, &policy).code == TALLY_OK);
    REQUIRE(do_admit(world, &op, 1, &alice).code == TALLY_OK);
    REQUIRE(do_admit(world, &op, 1, &bob).code == TALLY_OK);
    REQUIRE(do_open_line(world, &op, 1, &alice, 100000, 0, 0, 0).code == TALLY_OK);
    REQUIRE(do_create_asset(world, &bank, "USD").code == TALLY_OK);
    REQUIRE(do_issue(world, &bank, 1, &alice, 5000).code == TALLY_OK);
    REQUIRE(do_set_peg(world, &op, 1, 1, 1, 1).code == TALLY_OK);
    REQUIRE(do_pay(world, &alice, 1, &bob, 2500, 0).code == TALLY_OK);
    REQUIRE(do_pool(world, &alice, TALLY_TX_POOL_DEPOSIT, 1, 1000).code == TALLY_OK);
}

int64_t balance_of(const test_world *world, uint32_t network_id, const test_actor *member) {
    const tally_member *found = tally_state_member(world->state, network_id, &member->key);
    return found ? found->balance : 0;
}

const tally_member *member_of(const test_world *world, uint32_t network_id, const test_actor *member) {
    return tally_state_member(world->state, network_id, &member->key);
}

const tally_member *system_member(const test_world *world, uint32_t network_id, tally_system_kind kind) {
    tally_key key = tally_system_key(network_id, kind);
    return tally_state_member(world->state, network_id, &key);
}

tally_state *world_reload(const test_world *world) {
    size_t size = tally_state_serialized_size(world->state);
    uint8_t *bytes = malloc(size), *again = malloc(size);
    tally_state *loaded = NULL;
    if (bytes && again && tally_state_serialize(world->state, bytes, size) == size) {
        tally_error error;
        loaded = tally_state_deserialize(bytes, size, &error);
        CHECK_CODE(error, TALLY_OK);
    }
    CHECK(loaded != NULL);
    if (loaded) {
        CHECK_EQ(tally_state_serialize(loaded, again, size), size);
        CHECK(memcmp(bytes, again, size) == 0);
        uint8_t root[TALLY_HASH_BYTES], loaded_root[TALLY_HASH_BYTES];
        CHECK(tally_state_hash(world->state, root) && tally_state_hash(loaded, loaded_root) &&
              memcmp(root, loaded_root, sizeof root) == 0);
    }
    free(bytes);
    free(again);
    return loaded;
}
