/*
 * fuzz_world.c: builds the fixed world of fuzz_world.h. Every step goes through
 * tally_apply and must succeed: the world is a script, not a search. The prepared
 * state uses the chain id and identities of test/vectors/transactions.json, so the
 * vectors apply to it as they are (its validators are the founder, the issuer and
 * erin: the vectors' changes of the validator set reach the rules of a change open,
 * approved, replaced and lapsed); the block fuzzer's chain is a separate genesis.
 */
#include "fuzz_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY (24 * 60 * 60)

enum { FOUNDER = 0, ALICE = 1, BOB = 2, ISSUER = 3, CAROL = 4, DAVE = 5, ERIN = 6 };

static fuzz_world world;
static bool world_built;

static void die(const char *what, const char *detail) {
    fprintf(stderr, "fuzz_world: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* Actor n: the vectors' identities use seeds 0x00..0x1f, 0x20..0x3f, and so on;
 * actors 4 to 6 continue the pattern. */
static void make_actor(fuzz_actor *made, uint32_t n) {
    uint8_t seed[32];
    for (unsigned i = 0; i < sizeof seed; i++) seed[i] = (uint8_t)(32u * n + i);
    tally_keypair(&made->key, made->secret, seed);
}

typedef struct {
    tally_state *state;
    int64_t time;
} builder;

static tally_tx new_tx(const builder *b, uint32_t who, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, tally_state_chain_id(b->state), TALLY_CHAIN_ID_BYTES);
    tx.signer = world.actors[who].key;
    tx.sequence = tally_state_next_sequence(b->state, &tx.signer);
    return tx;
}

static tally_result must_apply(builder *b, const tally_tx *tx) {
    tally_result result = tally_apply(b->state, tx, b->time);
    if (result.code != TALLY_OK) die(tally_tx_type_name(tx->type), tally_error_name(result.code));
    char why[256];
    if (!tally_check_invariants(b->state, why, sizeof why)) die("invariants", why);
    return result;
}

static void set_text(tally_text *text, const char *value) {
    memset(text, 0, sizeof *text);
    text->length = (uint16_t)strlen(value);
    memcpy(text->bytes, value, text->length);
}

static uint32_t create_network(builder *b, uint32_t founder, const char *name, const char *code,
                               const tally_policy *policy) {
    tally_tx tx = new_tx(b, founder, TALLY_TX_NETWORK_CREATE);
    set_text(&tx.body.network_create.name, name);
    set_text(&tx.body.network_create.unit_code, code);
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = *policy;
    return must_apply(b, &tx).created_id;
}

static void network_key(builder *b, uint32_t who, tally_tx_type type, uint32_t network_id, uint32_t target) {
    tally_tx tx = new_tx(b, who, type);
    tx.body.network_key.network_id = network_id;
    tx.body.network_key.key = world.actors[target].key;
    (void)must_apply(b, &tx);
}

static void network_only(builder *b, uint32_t who, tally_tx_type type, uint32_t network_id) {
    tally_tx tx = new_tx(b, who, type);
    tx.body.network_only.network_id = network_id;
    (void)must_apply(b, &tx);
}

static void alias(builder *b, uint32_t who, uint32_t network_id, const char *name) {
    tally_tx tx = new_tx(b, who, TALLY_TX_ALIAS_SET);
    tx.body.alias_set.network_id = network_id;
    set_text(&tx.body.alias_set.alias, name);
    (void)must_apply(b, &tx);
}

static void pay(builder *b, uint32_t payer, uint32_t network_id, uint32_t payee, int64_t amount) {
    tally_tx tx = new_tx(b, payer, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = network_id;
    tx.body.transfer.payee = world.actors[payee].key;
    tx.body.transfer.amount = amount;
    tx.body.transfer.max_fee = amount;
    set_text(&tx.body.transfer.memo, "fuzz world");
    (void)must_apply(b, &tx);
}

static void pool_amount(builder *b, uint32_t who, tally_tx_type type, uint32_t network_id, int64_t amount) {
    tally_tx tx = new_tx(b, who, type);
    tx.body.pool_amount.network_id = network_id;
    tx.body.pool_amount.amount = amount;
    (void)must_apply(b, &tx);
}

static void issue(builder *b, uint32_t to, int64_t amount) {
    tally_tx tx = new_tx(b, ISSUER, TALLY_TX_ASSET_ISSUE);
    tx.body.asset_move.asset_id = FUZZ_ASSET_USD;
    tx.body.asset_move.to = world.actors[to].key;
    tx.body.asset_move.amount = amount;
    (void)must_apply(b, &tx);
}

/* Greenvale: admitted members with default lines, a 1% fee, a cap, the pool backed
 * by USD, debts on credit, a repayment in reserve (lost debt, backed by the buffer),
 * a second operator, a suspended member and one whose line was closed. */
static void build_main_network(builder *b) {
    tally_policy policy = {
        .default_credit_limit = 50000,
        .max_credit_limit = 500000,
        .positive_cap = 1000000,
        .fee_bps = 100,
        .default_risk_fee_bps = 50,
        .period_seconds = 10 * DAY,
        .grace_seconds = 5 * DAY,
        .min_income_bps = 1000,
        .target_rtd_bps = 2000,
        .compliance_rule = TALLY_COMPLIANCE_REBALANCED,
        .membership_mode = TALLY_MEMBERSHIP_ADMITTED,
        .auto_renew = true,
        .max_members = 1000,
        .notice_seconds = TALLY_NOTICE_SECONDS_MIN,
        .redeem_cap_bps = 5000,
    };
    if (create_network(b, FOUNDER, "Greenvale", "GVH", &policy) != FUZZ_NETWORK_MAIN) die("network 1", NULL);
    const uint32_t members[] = {ALICE, BOB, CAROL, DAVE};
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        network_key(b, FOUNDER, TALLY_TX_MEMBER_ADMIT, FUZZ_NETWORK_MAIN, members[i]);
    network_key(b, FOUNDER, TALLY_TX_OPERATOR_ADD, FUZZ_NETWORK_MAIN, BOB);
    alias(b, ALICE, FUZZ_NETWORK_MAIN, "alice");
    alias(b, BOB, FUZZ_NETWORK_MAIN, "bob");

    tally_tx tx = new_tx(b, ISSUER, TALLY_TX_ASSET_CREATE);
    set_text(&tx.body.asset_create.code, "USD");
    set_text(&tx.body.asset_create.name, "Cooperative bank dollars");
    tx.body.asset_create.decimals = 2;
    if (must_apply(b, &tx).created_id != FUZZ_ASSET_USD) die("asset 1", NULL);
    issue(b, ALICE, 100000);
    issue(b, BOB, 100000);
    issue(b, CAROL, 50000);
    tx = new_tx(b, FOUNDER, TALLY_TX_PEG_SET);
    tx.body.peg_set.network_id = FUZZ_NETWORK_MAIN;
    tx.body.peg_set.asset_id = FUZZ_ASSET_USD;
    tx.body.peg_set.peg_reserve_units = 1;
    tx.body.peg_set.peg_credit_units = 1;
    (void)must_apply(b, &tx);

    pay(b, ALICE, FUZZ_NETWORK_MAIN, BOB, 20000);  /* on credit */
    pay(b, CAROL, FUZZ_NETWORK_MAIN, DAVE, 30000); /* on credit */
    pay(b, DAVE, FUZZ_NETWORK_MAIN, ALICE, 5000);  /* repays some of alice's debt */
    pool_amount(b, BOB, TALLY_TX_POOL_DEPOSIT, FUZZ_NETWORK_MAIN, 30000);
    pool_amount(b, CAROL, TALLY_TX_POOL_REPAY, FUZZ_NETWORK_MAIN, 1000); /* lost debt, backed */
    network_key(b, FOUNDER, TALLY_TX_MEMBER_SUSPEND, FUZZ_NETWORK_MAIN, DAVE);
    network_key(b, FOUNDER, TALLY_TX_LINE_CLOSE, FUZZ_NETWORK_MAIN, BOB); /* a member without a line */
}

static void end_block_at(builder *b, int64_t time) {
    b->time = time;
    (void)tally_end_block(b->state, time);
    char why[256];
    if (!tally_check_invariants(b->state, why, sizeof why)) die("invariants", why);
}

/* Hillside: open membership, no peg, a zero-balance rule with one-day periods and
 * two days of grace. Bob pays on credit at once and has defaulted by the end; dave
 * joins a day later, pays on credit and is frozen (in grace) at the end. */
static void build_open_network(builder *b) {
    tally_policy policy = {
        .default_credit_limit = 1000,
        .max_credit_limit = 100000,
        .period_seconds = DAY,
        .grace_seconds = 2 * DAY,
        .compliance_rule = TALLY_COMPLIANCE_ZERO_BALANCE,
        .membership_mode = TALLY_MEMBERSHIP_OPEN,
        .auto_renew = true,
        .max_members = 100,
        .notice_seconds = 7 * DAY,
        .redeem_cap_bps = 1000,
    };
    int64_t start = b->time;
    if (create_network(b, ALICE, "Hillside", "HIL", &policy) != FUZZ_NETWORK_OPEN) die("network 2", NULL);
    network_only(b, BOB, TALLY_TX_MEMBER_JOIN, FUZZ_NETWORK_OPEN);
    network_only(b, CAROL, TALLY_TX_MEMBER_JOIN, FUZZ_NETWORK_OPEN);
    network_only(b, ERIN, TALLY_TX_MEMBER_JOIN, FUZZ_NETWORK_OPEN);
    pay(b, BOB, FUZZ_NETWORK_OPEN, CAROL, 600);
    end_block_at(b, start + DAY + 60); /* bob frozen until start + 3 days */
    network_only(b, DAVE, TALLY_TX_MEMBER_JOIN, FUZZ_NETWORK_OPEN);
    pay(b, DAVE, FUZZ_NETWORK_OPEN, ERIN, 300);
    end_block_at(b, start + 2 * DAY + 120); /* dave frozen until start + 4 days */
    end_block_at(b, start + 3 * DAY + 120); /* bob defaults */
}

/* The marketplace on Greenvale (docs/MARKETPLACE.md): two categories, alice's
 * priced offer with an image, bob's want, alice's "ask" offer, and orders in every
 * open status and one paid and reviewed: carol's placed, bob's accepted, carol's
 * disputed and bob's completed. Every timeout and expiry lies within the fuzzer's
 * times (up to 120 days after the state's), so its ends of blocks reach them. */
static uint32_t market_tx(builder *b, tally_tx *tx) { return must_apply(b, tx).created_id; }

static uint32_t listing(builder *b, uint32_t seller, uint8_t kind, uint8_t category, int64_t price, uint32_t quantity,
                        int64_t expiry, const char *title) {
    tally_tx tx = new_tx(b, seller, TALLY_TX_LISTING_CREATE);
    tx.body.listing.network_id = FUZZ_NETWORK_MAIN;
    tx.body.listing.kind = kind;
    tx.body.listing.category = category;
    tx.body.listing.price = price;
    tx.body.listing.quantity = quantity;
    tx.body.listing.expiry = expiry;
    set_text(&tx.body.listing.title, title);
    if (price > 0) {
        set_text(&tx.body.listing.text, "from the fuzz world");
        memset(tx.body.listing.image_hash, 0x5a, sizeof tx.body.listing.image_hash);
        set_text(&tx.body.listing.image_url, "https://example.org/fuzz.jpg");
    }
    return market_tx(b, &tx);
}

static uint32_t order(builder *b, uint32_t buyer, uint32_t listing_id, uint32_t quantity, int64_t unit_price,
                      int64_t timeout) {
    tally_tx tx = new_tx(b, buyer, TALLY_TX_ORDER_CREATE);
    tx.body.order_create = (tally_tx_order_create){.listing_id = listing_id, .quantity = quantity,
                                                   .unit_price = unit_price, .max_fee = 1000, .timeout = timeout};
    set_text(&tx.body.order_create.memo, "fuzz order");
    return market_tx(b, &tx);
}

static void order_step(builder *b, uint32_t who, tally_tx_type type, uint32_t order_id) {
    tally_tx tx = new_tx(b, who, type);
    tx.body.order_step.order_id = order_id;
    (void)market_tx(b, &tx);
}

static void build_market(builder *b) {
    static const char *const names[] = {"Food", "Tools"};
    for (uint8_t category = 1; category <= 2; category++) {
        tally_tx tx = new_tx(b, FOUNDER, TALLY_TX_CATEGORY_SET);
        tx.body.category_set.network_id = FUZZ_NETWORK_MAIN;
        tx.body.category_set.category = category;
        set_text(&tx.body.category_set.name, names[category - 1]);
        (void)market_tx(b, &tx);
    }
    uint32_t eggs = listing(b, ALICE, TALLY_LISTING_OFFER, 1, 500, 20, b->time + 60 * DAY, "Eggs");
    (void)listing(b, BOB, TALLY_LISTING_WANT, 2, 0, 1, b->time + 30 * DAY, "A ladder");
    uint32_t lessons = listing(b, ALICE, TALLY_LISTING_OFFER, 0, 0, 5, b->time + 90 * DAY, "Lessons");
    if (order(b, CAROL, eggs, 2, 500, b->time + 20 * DAY) != 1) die("order 1", NULL); /* placed */
    uint32_t accepted = order(b, BOB, eggs, 1, 500, b->time + 10 * DAY);
    order_step(b, ALICE, TALLY_TX_ORDER_ACCEPT, accepted);
    uint32_t disputed = order(b, CAROL, lessons, 1, 700, b->time + 15 * DAY);
    order_step(b, ALICE, TALLY_TX_ORDER_ACCEPT, disputed);
    order_step(b, CAROL, TALLY_TX_ORDER_DISPUTE, disputed);
    uint32_t completed = order(b, BOB, eggs, 3, 500, b->time + 5 * DAY);
    order_step(b, ALICE, TALLY_TX_ORDER_ACCEPT, completed);
    order_step(b, BOB, TALLY_TX_ORDER_CONFIRM, completed);
    tally_tx tx = new_tx(b, BOB, TALLY_TX_REVIEW);
    tx.body.review.order_id = completed;
    tx.body.review.rating = 5;
    set_text(&tx.body.review.text, "fine eggs");
    (void)market_tx(b, &tx);
}

/* A change of the validator set; the approvals it still needs must be `needed`. */
static uint32_t validator_tx(builder *b, uint32_t who, tally_tx_type type, uint32_t change_id, int64_t needed) {
    tally_tx tx = new_tx(b, who, type);
    if (type == TALLY_TX_VALIDATOR_APPROVE) tx.body.validator_approve.change_id = change_id;
    tally_result result = must_apply(b, &tx);
    if (result.available != needed) die(tally_tx_type_name(tx.type), "the approvals needed are not the script's");
    return result.created_id;
}

/* The validator set (docs/VALIDATORS.md): the genesis's four validators are the
 * founder, the issuer, erin and dave; the founder's change 1 retires dave (3 of 4
 * approve it), and its change 2, adding carol, is open with its proposer's approval,
 * 1 of the 2 three validators need (it lapses 7 days after the state's time). */
static void build_validators(builder *b) {
    tally_tx tx = new_tx(b, FOUNDER, TALLY_TX_VALIDATOR_PROPOSE);
    tx.body.validator_propose.retire = 1u << 3;
    tally_result retire = must_apply(b, &tx);
    if (retire.created_id != 1 || retire.available != 2) die("change 1", "not two approvals short");
    (void)validator_tx(b, ISSUER, TALLY_TX_VALIDATOR_APPROVE, 1, 1);
    (void)validator_tx(b, ERIN, TALLY_TX_VALIDATOR_APPROVE, 1, 0);
    tx = new_tx(b, FOUNDER, TALLY_TX_VALIDATOR_PROPOSE);
    tx.body.validator_propose.add_count = 1;
    tx.body.validator_propose.add[0] = world.actors[CAROL].key;
    tally_result add = must_apply(b, &tx);
    if (add.created_id != FUZZ_VALIDATOR_CHANGE || add.available != 1) die("change 2", "not one approval short");
}

static void build_state(void) {
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    for (unsigned i = 0; i < sizeof chain_id; i++) chain_id[i] = (uint8_t)(0xc0u + i); /* the vectors' */
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, &world.actors[FOUNDER].key);
    const uint32_t validators[] = {FOUNDER, ISSUER, ERIN, DAVE};
    for (uint8_t i = 0; i < sizeof validators / sizeof validators[0]; i++)
        rules.validators[i] = world.actors[validators[i]].key;
    rules.validator_count = (uint8_t)(sizeof validators / sizeof validators[0]);
    builder b = {tally_state_create_for_chain(chain_id, &rules), FUZZ_GENESIS_TIME};
    if (!b.state) die("out of memory", NULL);
    build_main_network(&b);
    build_open_network(&b);
    build_market(&b);
    build_validators(&b);
    const tally_member *bob = tally_state_member(b.state, FUZZ_NETWORK_OPEN, &world.actors[BOB].key);
    const tally_member *dave = tally_state_member(b.state, FUZZ_NETWORK_OPEN, &world.actors[DAVE].key);
    if (!bob || bob->status != TALLY_MEMBER_DEFAULTED || !dave || dave->line_status != TALLY_LINE_FROZEN)
        die("the Hillside timeline went another way", NULL);

    world.state_time = b.time;
    world.state_length = tally_state_serialized_size(b.state);
    world.state_bytes = malloc(world.state_length);
    if (!world.state_bytes || tally_state_serialize(b.state, world.state_bytes, world.state_length) != world.state_length ||
        !tally_state_hash(b.state, world.state_hash))
        die("out of memory", NULL);
    tally_state_destroy(b.state);
}

static void build_chain(void) {
    uint8_t seed[32];
    memset(seed, 0xf0, sizeof seed);
    tally_key producer;
    tally_keypair(&producer, world.producer_secret, seed);
    tally_block_init(&world.genesis);
    tally_chain_failure failure;
    if (tally_genesis_make(world.producer_secret, FUZZ_GENESIS_TIME, FUZZ_GENESIS_NAME, strlen(FUZZ_GENESIS_NAME), NULL,
                           &world.genesis, &failure) != TALLY_CHAIN_OK)
        die("genesis", failure.message);
    tally_state *state = NULL;
    if (tally_genesis_open(&world.genesis, &state, &world.genesis_tip, &failure) != TALLY_CHAIN_OK)
        die("genesis open", failure.message);
    tally_state_destroy(state);
}

const fuzz_world *fuzz_world_get(void) {
    if (world_built) return &world;
    if (!tally_crypto_init()) die("libsodium failed to initialise", NULL);
    for (uint32_t i = 0; i < FUZZ_ACTORS; i++) make_actor(&world.actors[i], i);
    /* The system actor: a key no one holds, the fee account of network 1. */
    world.actors[FUZZ_SYSTEM_ACTOR].key = tally_system_key(FUZZ_NETWORK_MAIN, TALLY_SYSTEM_FEES);
    memset(world.actors[FUZZ_SYSTEM_ACTOR].secret, 0, TALLY_SECRET_BYTES);
    build_state();
    build_chain();
    world_built = true;
    return &world;
}

tally_state *fuzz_world_state(const fuzz_world *built) {
    tally_error error;
    tally_state *state = tally_state_deserialize(built->state_bytes, built->state_length, &error);
    if (!state) die("the prepared state does not load", tally_error_name(error));
    return state;
}

tally_state *fuzz_world_genesis_state(const fuzz_world *built) {
    tally_state *state = tally_state_create_for_chain(built->genesis_tip.chain_id, &built->genesis.rules);
    if (!state) die("out of memory", NULL);
    return state;
}
