/*
 * test_commitment.c: the state commitment (tally.h, "The state commitment"). Its root
 * is what docs/PROOFS.md says, computed here from the definition with the chain's
 * own Merkle root function; the incremental root equals a full recomputation after
 * every change, through snapshots and growth; proofs of every kind of record verify,
 * and a proof of a changed record, a wrong path, another table or another chain does
 * not.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/ledger.h"
#include "fixture.h"
#include "tally_chain.h"
#include "test.h"

/* The root from the definition: leaves of (0x00, table, record bytes), tables with
 * tally_merkle_root (the block's Merkle function), the domain, chain id, rules and
 * u32 count + root per table. */
static void root_by_definition(const tally_state *state, uint8_t out[TALLY_HASH_BYTES]) {
    _Static_assert(TALLY_TABLE_COUNT == 13, "a count for every table");
    const uint32_t counts[TALLY_TABLE_COUNT] = {state->network_count,  state->asset_count,   state->member_count,
                                                state->account_count,  state->holding_count, state->pending_count,
                                                state->request_count,  state->gateway_count, state->stake_count,
                                                state->proposal_count, state->vote_count,    state->listing_count,
                                                state->order_count};
    crypto_generichash_state hash;
    crypto_generichash_init(&hash, NULL, 0, TALLY_HASH_BYTES);
    crypto_generichash_update(&hash, (const uint8_t *)"tally-state-v1", 14);
    crypto_generichash_update(&hash, state->chain_id, TALLY_CHAIN_ID_BYTES);
    uint8_t rules[TALLY_RULES_BYTES_MAX];
    size_t rules_length = ledger_rules_encode(&state->rules, rules, sizeof rules);
    crypto_generichash_update(&hash, rules, rules_length);
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        uint8_t *leaves = malloc((size_t)counts[t] * TALLY_HASH_BYTES + 1);
        for (uint32_t i = 0; i < counts[t]; i++) {
            uint8_t bytes[1 + TALLY_RECORD_MAX];
            bytes[0] = (uint8_t)t;
            size_t length = ledger_record_encode(state, (tally_table)t, i, bytes + 1, TALLY_RECORD_MAX);
            tally_merkle_leaf(bytes, 1 + length, leaves + (size_t)i * TALLY_HASH_BYTES);
        }
        uint8_t root[TALLY_HASH_BYTES], count[4];
        tally_merkle_root(leaves, counts[t], root);
        free(leaves);
        for (int i = 0; i < 4; i++) count[i] = (uint8_t)(counts[t] >> (8 * i));
        crypto_generichash_update(&hash, count, 4);
        crypto_generichash_update(&hash, root, TALLY_HASH_BYTES);
    }
    crypto_generichash_final(&hash, out, TALLY_HASH_BYTES);
}

/* The three roots agree: incremental, from scratch, and by the definition. */
static void check_roots(tally_state *state) {
    uint8_t incremental[TALLY_HASH_BYTES], full[TALLY_HASH_BYTES], defined[TALLY_HASH_BYTES];
    REQUIRE(tally_state_commit(state, incremental));
    REQUIRE(tally_state_hash(state, full));
    root_by_definition(state, defined);
    CHECK(memcmp(incremental, full, TALLY_HASH_BYTES) == 0);
    CHECK(memcmp(full, defined, TALLY_HASH_BYTES) == 0);
}

TEST(commitment_root_is_its_definition_and_follows_every_change) {
    test_world world;
    world_init(&world);
    check_roots(world.state); /* the empty state */
    tally_state_destroy(world.state);
    world_small_economy(&world);
    check_roots(world.state);
    /* one change at a time, committing after each: only it is rehashed */
    test_actor alice = actor(2), bob = actor(3);
    for (int i = 0; i < 20; i++) {
        REQUIRE(do_pay(&world, i % 2 ? &bob : &alice, 1, i % 2 ? &alice : &bob, 7 + i, 0).code == TALLY_OK);
        check_roots(world.state);
    }
    /* growth across a power of two in every level: members 5, 6, ..., 70 */
    test_actor op = actor(1);
    for (uint32_t n = 0; n < 64; n++) {
        test_actor newcomer = actor(100 + n);
        REQUIRE(do_admit(&world, &op, 1, &newcomer).code == TALLY_OK);
        if (n % 3 == 0) check_roots(world.state);
    }
    check_roots(world.state);
    /* a refusal changes nothing, the root included */
    uint8_t before[TALLY_HASH_BYTES], after[TALLY_HASH_BYTES];
    REQUIRE(tally_state_commit(world.state, before));
    CHECK_CODE(do_pay(&world, &bob, 1, &alice, INT64_MAX / 2, 0).code, TALLY_ERR_INSUFFICIENT_CREDIT);
    REQUIRE(tally_state_commit(world.state, after));
    CHECK(memcmp(before, after, TALLY_HASH_BYTES) == 0);
    /* the end of a block (periods, announcements) is followed too */
    world_advance_to(&world, world.time + 45 * DAY);
    check_roots(world.state);
    /* and a snapshot loads to the same root */
    size_t length = tally_state_serialized_size(world.state);
    uint8_t *bytes = malloc(length);
    REQUIRE(bytes && tally_state_serialize(world.state, bytes, length) == length);
    tally_error error;
    tally_state *loaded = tally_state_deserialize(bytes, length, &error);
    free(bytes);
    REQUIRE(loaded != NULL);
    uint8_t original[TALLY_HASH_BYTES], reloaded[TALLY_HASH_BYTES];
    REQUIRE(tally_state_commit(world.state, original));
    REQUIRE(tally_state_commit(loaded, reloaded));
    CHECK(memcmp(original, reloaded, TALLY_HASH_BYTES) == 0);
    tally_state_destroy(loaded);
    world_free(&world);
}

/* A proof of every record of every table verifies against the committed root. */
TEST(commitment_proofs_of_every_record_verify) {
    test_world world;
    world_small_economy(&world);
    uint8_t root[TALLY_HASH_BYTES];
    REQUIRE(tally_state_commit(world.state, root));
    int proved = 0;
    for (int t = 0; t < TALLY_TABLE_COUNT; t++) {
        const ledger_tree *tree = &world.state->trees[t];
        for (uint32_t i = 0; i < tree->leaves; i++) {
            tally_state_proof proof;
            REQUIRE(tally_state_prove(world.state, (tally_table)t, i, &proof));
            uint8_t again[TALLY_HASH_BYTES];
            CHECK(tally_state_proof_root(&proof, again));
            CHECK(memcmp(again, root, TALLY_HASH_BYTES) == 0);
            proved++;
        }
    }
    CHECK(proved >= 12);
    /* the records decode to what the state holds */
    uint32_t index;
    test_actor bob = actor(3);
    REQUIRE(tally_state_member_position(world.state, 1, &bob.key, &index));
    tally_state_proof proof;
    REQUIRE(tally_state_prove(world.state, TALLY_TABLE_MEMBERS, index, &proof));
    tally_member member;
    REQUIRE(tally_record_decode_member(proof.record, proof.record_length, &member));
    CHECK_EQ(member.balance, 2500);
    CHECK(memcmp(member.key.bytes, bob.key.bytes, TALLY_KEY_BYTES) == 0);
    REQUIRE(tally_state_prove(world.state, TALLY_TABLE_NETWORKS, 0, &proof));
    tally_network network;
    REQUIRE(tally_record_decode_network(proof.record, proof.record_length, &network));
    CHECK_EQ(network.pool_primary + network.pool_excess, 1000);
    test_actor alice = actor(2);
    REQUIRE(tally_state_holding_position(world.state, 1, &alice.key, &index));
    REQUIRE(tally_state_prove(world.state, TALLY_TABLE_HOLDINGS, index, &proof));
    tally_holding_record holding;
    REQUIRE(tally_record_decode_holding(proof.record, proof.record_length, &holding));
    CHECK_EQ(holding.amount, 4000);
    REQUIRE(tally_state_account_position(world.state, &alice.key, &index));
    REQUIRE(tally_state_prove(world.state, TALLY_TABLE_ACCOUNTS, index, &proof));
    tally_account_record account;
    REQUIRE(tally_record_decode_account(proof.record, proof.record_length, &account));
    CHECK_EQ(account.next_sequence, tally_state_next_sequence(world.state, &alice.key));
    /* nothing is proved against a root the state has moved on from */
    REQUIRE(do_pay(&world, &alice, 1, &bob, 1, 0).code == TALLY_OK);
    CHECK(!tally_state_prove(world.state, TALLY_TABLE_MEMBERS, index, &proof));
    world_free(&world);
}

TEST(commitment_a_changed_record_a_wrong_path_or_another_chain_is_refused) {
    test_world world;
    world_small_economy(&world);
    uint8_t root[TALLY_HASH_BYTES], got[TALLY_HASH_BYTES];
    REQUIRE(tally_state_commit(world.state, root));
    uint32_t index;
    test_actor bob = actor(3);
    REQUIRE(tally_state_member_position(world.state, 1, &bob.key, &index));
    tally_state_proof proof, forged;
    REQUIRE(tally_state_prove(world.state, TALLY_TABLE_MEMBERS, index, &proof));
    REQUIRE(tally_state_proof_root(&proof, got));
    CHECK(memcmp(got, root, TALLY_HASH_BYTES) == 0);
    /* bob's balance of 25.00 claimed as 9,025.00 */
    tally_member member;
    REQUIRE(tally_record_decode_member(proof.record, proof.record_length, &member));
    forged = proof;
    int64_t forged_balance = member.balance + 900000;
    memcpy(forged.record + 4 + 32 + 2, &forged_balance, 8); /* network_id, key, status, kind, balance */
    CHECK(!tally_state_proof_root(&forged, got) || memcmp(got, root, TALLY_HASH_BYTES) != 0);
    /* a flipped bit anywhere in the path */
    for (uint8_t i = 0; i < proof.path_length; i++) {
        forged = proof;
        forged.path[i][i % TALLY_HASH_BYTES] ^= 0x10;
        CHECK(!tally_state_proof_root(&forged, got) || memcmp(got, root, TALLY_HASH_BYTES) != 0);
    }
    /* another index, table, count or chain */
    forged = proof;
    forged.index ^= 1;
    CHECK(!tally_state_proof_root(&forged, got) || memcmp(got, root, TALLY_HASH_BYTES) != 0);
    forged = proof;
    forged.table = TALLY_TABLE_ACCOUNTS;
    CHECK(!tally_state_proof_root(&forged, got) || memcmp(got, root, TALLY_HASH_BYTES) != 0);
    forged = proof;
    forged.counts[TALLY_TABLE_MEMBERS]++;
    CHECK(!tally_state_proof_root(&forged, got) || memcmp(got, root, TALLY_HASH_BYTES) != 0);
    forged = proof;
    forged.chain_id[0] ^= 1;
    CHECK(!tally_state_proof_root(&forged, got) || memcmp(got, root, TALLY_HASH_BYTES) != 0);
    forged = proof;
    forged.path_length = TALLY_PROOF_PATH_MAX + 1;
    CHECK(!tally_state_proof_root(&forged, got));
    forged = proof;
    forged.index = forged.counts[TALLY_TABLE_MEMBERS];
    CHECK(!tally_state_proof_root(&forged, got));
    world_free(&world);
}

/* ---- proofs served by a real node ---- */

#include "node_harness.h"

static bool unhex(const char *hex, uint8_t *out, size_t length) {
    size_t decoded = 0;
    return hex && strlen(hex) == 2 * length &&
           sodium_hex2bin(out, length, hex, 2 * length, NULL, &decoded, NULL) == 0 && decoded == length;
}

/* The header and proof of a /v1/proofs answer. */
static bool read_answer(json_t *answer, tally_block_header *header, tally_state_proof *proof) {
    uint8_t header_bytes[TALLY_BLOCK_HEADER_BYTES];
    const char *proof_hex = harness_json_string(answer, "proof");
    size_t length = proof_hex ? strlen(proof_hex) / 2 : 0;
    uint8_t *bytes = malloc(length + 1);
    bool ok = unhex(harness_json_string(answer, "header"), header_bytes, sizeof header_bytes) &&
              tally_block_header_decode(header_bytes, sizeof header_bytes, header) == TALLY_CHAIN_OK && bytes &&
              unhex(proof_hex, bytes, length) && tally_state_proof_decode(bytes, length, proof);
    free(bytes);
    return ok;
}

static bool node_producer_key(const test_node *node, tally_key *key) {
    json_t *status = NULL;
    harness_request(node, "GET", "/v1/status", NULL, 0, &status);
    bool ok = tally_address_decode(harness_json_string(status, "producer"), key);
    json_decref(status);
    return ok;
}

TEST(commitment_a_real_node_serves_proofs_a_client_checks_alone) {
    test_node node, other;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, NULL));
    test_actor op = actor(1), alice = actor(2), bob = actor(3);
    tally_tx tx = harness_tx(&node, &op, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Greenvale");
    text_set(&tx.body.network_create.unit_code, "GVH");
    tx.body.network_create.policy = policy_default();
    tx.body.network_create.policy.default_credit_limit = 100000;
    REQUIRE(harness_submit(&node, &tx, &op, NULL) == 200);
    const test_actor *members[] = {&alice, &bob};
    for (int i = 0; i < 2; i++) {
        tx = harness_tx(&node, members[i], TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = 1;
        REQUIRE(harness_submit(&node, &tx, members[i], NULL) == 200);
    }
    tx = harness_tx(&node, &alice, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = 1;
    tx.body.transfer.payee = bob.key;
    tx.body.transfer.amount = 1250;
    REQUIRE(harness_submit(&node, &tx, &alice, NULL) == 200);
    tally_key producer;
    REQUIRE(node_producer_key(&node, &producer));

    char address[TALLY_ADDRESS_LENGTH + 1], path[200];
    tally_address_encode(&bob.key, address);
    snprintf(path, sizeof path, "/v1/proofs/networks/1/accounts/%s", address);
    json_t *answer = NULL;
    CHECK_EQ(harness_request(&node, "GET", path, NULL, 0, &answer), 200);
    tally_block_header header;
    tally_state_proof *proof = malloc(sizeof *proof), *forged = malloc(sizeof *forged);
    REQUIRE(proof && forged && read_answer(answer, &header, proof));
    json_decref(answer);
    tally_chain_failure failure;
    CHECK_EQ(tally_chain_proof_check(proof, &header, &producer, NULL, &failure), TALLY_CHAIN_OK);
    tally_member member;
    REQUIRE(tally_record_decode_member(proof->record, proof->record_length, &member));
    CHECK_EQ(member.balance, 1250);
    /* a forged balance, or a header whose state hash was changed, is refused */
    *forged = *proof;
    forged->record[4 + 32 + 2] ^= 0x01;
    CHECK_EQ(tally_chain_proof_check(forged, &header, &producer, NULL, &failure), TALLY_CHAIN_ERR_BAD_PROOF);
    tally_block_header changed = header;
    changed.state_hash[0] ^= 1;
    CHECK_EQ(tally_chain_proof_check(proof, &changed, &producer, NULL, &failure), TALLY_CHAIN_ERR_BAD_PROOF);
    /* every kind of record is served, and a missing one is a 404 */
    const char *paths[] = {"/v1/proofs/networks/1", "/v1/proofs/networks/1/accounts/bob", NULL, NULL};
    char account_path[200];
    tally_address_encode(&alice.key, address);
    snprintf(account_path, sizeof account_path, "/v1/proofs/accounts/%s", address);
    paths[2] = account_path;
    for (int i = 0; paths[i]; i++) {
        if (i == 1) continue; /* bob has no alias here */
        CHECK_EQ(harness_request(&node, "GET", paths[i], NULL, 0, &answer), 200);
        CHECK(read_answer(answer, &header, proof));
        CHECK_EQ(tally_chain_proof_check(proof, &header, &producer, NULL, &failure), TALLY_CHAIN_OK);
        json_decref(answer);
    }
    CHECK_EQ(harness_request(&node, "GET", "/v1/proofs/networks/9", NULL, 0, NULL), 404);
    CHECK_EQ(harness_request(&node, "GET", "/v1/proofs/assets/1", NULL, 0, NULL), 404);
    CHECK_EQ(harness_request(&node, "GET", "/v1/proofs/nothing", NULL, 0, NULL), 404);

    /* a header of another chain, or its producer, does not vouch for this proof */
    REQUIRE(harness_make_directory(&other));
    REQUIRE(harness_start(&other, NULL));
    tally_key other_producer;
    REQUIRE(node_producer_key(&other, &other_producer));
    CHECK_EQ(harness_request(&other, "GET", "/v1/proofs/accounts/tly1aoqqpp7tzyil4hlq3umoos6atft6jvrqtosq2xy53sdgiesvgg4j2jhc5y",
                             NULL, 0, NULL),
             404);
    json_t *genesis_header = NULL;
    harness_request(&other, "GET", "/v1/blocks?limit=1", NULL, 0, &genesis_header);
    json_decref(genesis_header);
    CHECK_EQ(tally_chain_proof_check(proof, &header, &other_producer, NULL, &failure), TALLY_CHAIN_ERR_WRONG_PRODUCER);
    CHECK_EQ(tally_chain_proof_check(proof, &header, &producer, other.chain_id, &failure), TALLY_CHAIN_ERR_WRONG_CHAIN);
    free(proof);
    free(forged);
    CHECK(harness_stop_and_verify(&other));
    CHECK(harness_stop_and_verify(&node));
}

/* ---- the marketplace's tables (issue 13) ---- */

static tally_result market_apply(test_world *world, tally_tx *tx) { return world_apply(world, tx); }

/* Listings and orders are committed record by record: every step of an order keeps
 * the three roots equal, proofs of them verify, and their records (with the network's
 * market_categories, the seller's listings_open and the hold's order_id) decode to
 * what the state holds. */
TEST(commitment_listings_and_orders_are_committed_and_proved) {
    test_world world;
    world_small_economy(&world);
    test_actor op = actor(1), alice = actor(2), bob = actor(3);
    tally_tx tx = world_tx(&world, &op, TALLY_TX_CATEGORY_SET);
    tx.body.category_set.network_id = 1;
    tx.body.category_set.category = 5;
    text_set(&tx.body.category_set.name, "Food");
    REQUIRE(market_apply(&world, &tx).code == TALLY_OK);
    check_roots(world.state);
    tx = world_tx(&world, &bob, TALLY_TX_LISTING_CREATE);
    tx.body.listing = (tally_tx_listing){.network_id = 1, .kind = TALLY_LISTING_OFFER, .category = 5, .price = 250,
                                         .quantity = 4, .expiry = world.time + 20 * DAY};
    text_set(&tx.body.listing.title, "Eggs");
    REQUIRE(market_apply(&world, &tx).code == TALLY_OK);
    check_roots(world.state);
    tx = world_tx(&world, &alice, TALLY_TX_ORDER_CREATE);
    tx.body.order_create = (tally_tx_order_create){.listing_id = 1, .quantity = 2, .unit_price = 250, .max_fee = 100,
                                                   .timeout = world.time + 5 * DAY};
    REQUIRE(market_apply(&world, &tx).code == TALLY_OK);
    check_roots(world.state);
    tx = world_tx(&world, &bob, TALLY_TX_ORDER_ACCEPT);
    tx.body.order_step.order_id = 1;
    REQUIRE(market_apply(&world, &tx).code == TALLY_OK);
    check_roots(world.state);

    uint8_t root[TALLY_HASH_BYTES];
    REQUIRE(tally_state_commit(world.state, root));
    static const tally_table market_tables[] = {TALLY_TABLE_LISTINGS, TALLY_TABLE_ORDERS, TALLY_TABLE_PENDINGS};
    for (size_t t = 0; t < sizeof market_tables / sizeof market_tables[0]; t++) {
        tally_state_proof proof;
        REQUIRE(tally_state_prove(world.state, market_tables[t], 0, &proof));
        uint8_t again[TALLY_HASH_BYTES];
        CHECK(tally_state_proof_root(&proof, again));
        CHECK(memcmp(again, root, TALLY_HASH_BYTES) == 0);
        if (market_tables[t] == TALLY_TABLE_LISTINGS) {
            tally_listing listing;
            REQUIRE(tally_record_decode_listing(proof.record, proof.record_length, &listing));
            CHECK_EQ(listing.id, 1);
            CHECK_EQ(listing.category, 5);
            CHECK_EQ(listing.quantity, 2);
            CHECK_EQ(listing.orders_open, 1);
            CHECK(memcmp(listing.seller.bytes, bob.key.bytes, TALLY_KEY_BYTES) == 0);
        } else if (market_tables[t] == TALLY_TABLE_ORDERS) {
            tally_order order;
            REQUIRE(tally_record_decode_order(proof.record, proof.record_length, &order));
            CHECK_EQ(order.status, TALLY_ORDER_ACCEPTED);
            CHECK_EQ(order.amount, 500);
            CHECK_EQ(order.pending_id, 1);
            CHECK(memcmp(order.buyer.bytes, alice.key.bytes, TALLY_KEY_BYTES) == 0);
        } else {
            tally_pending pending;
            REQUIRE(tally_record_decode_pending(proof.record, proof.record_length, &pending));
            CHECK_EQ(pending.order_id, 1);
            CHECK_EQ(pending.amount, 500);
        }
    }
    tally_state_proof proof;
    REQUIRE(tally_state_prove(world.state, TALLY_TABLE_NETWORKS, 0, &proof));
    tally_network network;
    REQUIRE(tally_record_decode_network(proof.record, proof.record_length, &network));
    CHECK_EQ(network.market_categories, 1u << 4);
    uint32_t index;
    REQUIRE(tally_state_member_position(world.state, 1, &bob.key, &index));
    REQUIRE(tally_state_prove(world.state, TALLY_TABLE_MEMBERS, index, &proof));
    tally_member member;
    REQUIRE(tally_record_decode_member(proof.record, proof.record_length, &member));
    CHECK_EQ(member.listings_open, 1);
    /* a changed byte of a listing's or an order's record no longer proves */
    REQUIRE(tally_state_prove(world.state, TALLY_TABLE_ORDERS, 0, &proof));
    proof.record[proof.record_length / 2] ^= 1;
    uint8_t moved[TALLY_HASH_BYTES];
    CHECK(!tally_state_proof_root(&proof, moved) || memcmp(moved, root, TALLY_HASH_BYTES) != 0);

    /* confirmation, review, the listing's expiry at a block end, a snapshot */
    tx = world_tx(&world, &alice, TALLY_TX_ORDER_CONFIRM);
    tx.body.order_step.order_id = 1;
    REQUIRE(market_apply(&world, &tx).code == TALLY_OK);
    check_roots(world.state);
    tx = world_tx(&world, &alice, TALLY_TX_REVIEW);
    tx.body.review.order_id = 1;
    tx.body.review.rating = 4;
    REQUIRE(market_apply(&world, &tx).code == TALLY_OK);
    check_roots(world.state);
    world_advance_to(&world, world.time + 21 * DAY);
    CHECK_EQ(tally_state_listing(world.state, 1)->status, TALLY_LISTING_EXPIRED);
    CHECK_EQ(member_of(&world, 1, &bob)->listings_open, 0);
    check_roots(world.state);
    tally_state *loaded = world_reload(&world);
    REQUIRE(loaded != NULL);
    uint8_t original[TALLY_HASH_BYTES], reloaded[TALLY_HASH_BYTES];
    REQUIRE(tally_state_commit(world.state, original));
    REQUIRE(tally_state_commit(loaded, reloaded));
    CHECK(memcmp(original, reloaded, TALLY_HASH_BYTES) == 0);
    CHECK_EQ(tally_state_order(loaded, 1)->buyer_rating, 4);
    tally_state_destroy(loaded);
    world_free(&world);
}
