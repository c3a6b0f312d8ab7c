/*
 * fuzz_seeds.c: writes the seed corpora of the fuzzers into <dir>/<fuzzer>/ (`make
 * fuzz-seeds` uses fuzz/corpus): transactions from test/vectors/transactions.json
 * with control bytes that apply them as they are and as prepared members (tx),
 * blocks built in memory on the fuzz chain (block), serialized states (snapshot),
 * and sample request bodies and query numbers (http). Every seed is made the same
 * way in every run, so writing them again changes no file.
 *
 *   tally-fuzz-seeds <vectors.json> <corpus dir>
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_world.h"
#include "tally.h"
#include "tally_chain.h"

#define PATH_BYTES 4096
#define BODY_BYTES 8192

static const char *corpus_root;
static unsigned written;
/* The longest single transaction of the vectors (a listing with its texts at their
 * maximum): the http seeds carry it, near the bound of a submission's item. */
static uint8_t longest_single[TALLY_TX_ENCODED_MAX];
static size_t longest_single_length;

static void die(const char *what, const char *detail) {
    fprintf(stderr, "tally-fuzz-seeds: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void make_dir(const char *path) {
    if (mkdir(path, 0755) != 0 && errno != EEXIST) die(path, strerror(errno));
}

static void put_seed(const char *fuzzer, const char *name, const uint8_t *bytes, size_t length) {
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/%s", corpus_root, fuzzer);
    make_dir(path);
    snprintf(path, sizeof path, "%s/%s/%s", corpus_root, fuzzer, name);
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(bytes, 1, length, file) != length || fclose(file) != 0) die(path, strerror(errno));
    written++;
}

/* ---- transactions ---- */

static int actor_of(const fuzz_world *world, const tally_key *key) {
    for (unsigned i = 0; i < FUZZ_ACTORS; i++)
        if (memcmp(world->actors[i].key.bytes, key->bytes, TALLY_KEY_BYTES) == 0) return (int)i;
    return 0;
}

/* Each vector three ways (control bytes: fuzz_checks.h): as it is, through
 * tally_apply_signed (the vectors are signed for the prepared state's chain); from
 * its signer, a prepared member, with the right sequence and signed again; and
 * with its key field aimed at another member, at a later time, with the end of the
 * block after it. */
static void tx_seeds(const fuzz_world *world, json_t *vectors, uint8_t (*signed_txs)[TALLY_TX_ENCODED_MAX],
                     size_t *lengths, size_t capacity, size_t *count) {
    size_t index;
    json_t *vector;
    *count = 0;
    json_array_foreach(vectors, index, vector) {
        const char *name = json_string_value(json_object_get(vector, "name"));
        const char *hex = json_string_value(json_object_get(vector, "signed"));
        uint8_t seed[3 + TALLY_TX_ENCODED_MAX];
        size_t length = 0;
        if (!name || !hex || sodium_hex2bin(seed + 3, TALLY_TX_ENCODED_MAX, hex, strlen(hex), NULL, &length, NULL) != 0)
            die("a vector without name or signed hex", name);
        tally_tx tx;
        if (tally_tx_decode(seed + 3, length, &tx) != TALLY_OK) die("a vector does not decode", name);
        if (*count < capacity) {
            memcpy(signed_txs[*count], seed + 3, length);
            lengths[(*count)++] = length;
        }
        if (tx.type != TALLY_TX_TRANSFER_BATCH && length > longest_single_length) {
            memcpy(longest_single, seed + 3, length);
            longest_single_length = length;
        }
        char file[128];
        seed[0] = 0x20, seed[1] = 0, seed[2] = 0;
        snprintf(file, sizeof file, "vector-%s", name);
        put_seed("tx", file, seed, 3 + length);
        seed[0] = (uint8_t)(0xa0 | actor_of(world, &tx.signer));
        snprintf(file, sizeof file, "vector-%s-member", name);
        put_seed("tx", file, seed, 3 + length);
        seed[0] = (uint8_t)(0xc0 | actor_of(world, &tx.signer));
        seed[1] = (uint8_t)(0x80 | (index % 7));
        seed[2] = (uint8_t)(index * 11 % 256);
        snprintf(file, sizeof file, "vector-%s-aimed", name);
        put_seed("tx", file, seed, 3 + length);
        tally_tx_release(&tx);
    }
}

/* Changes of the validator set against the prepared state (fuzz_world.h: the
 * founder's change 2 open, one approval short), each signed as its actor with its
 * next sequence (control bytes: fuzz_checks.h): at the state's time, or 8 days later
 * (`when` 16), when change 2 has lapsed. What each meets is in its name. */
static void validator_seeds(const fuzz_world *world) {
    enum { FOUNDER = 0, BOB = 2, ISSUER = 3, DAVE = 5, ERIN = 6, NONE = -1 };
    enum { LATER = 16 }; /* in half days */
    static const struct {
        const char *name;
        uint8_t actor, type;
        uint32_t change_id;
        int add; /* an actor's key added, or NONE */
        uint32_t retire;
        uint8_t envelope, when;
    } cases[] = {
        {"validator-approve-in-force", ISSUER, TALLY_TX_VALIDATOR_APPROVE, FUZZ_VALIDATOR_CHANGE, NONE, 0, 0xe0, 0},
        {"validator-approve-twice", FOUNDER, TALLY_TX_VALIDATOR_APPROVE, FUZZ_VALIDATOR_CHANGE, NONE, 0, 0xa0, 0},
        {"validator-approve-lapsed", ERIN, TALLY_TX_VALIDATOR_APPROVE, FUZZ_VALIDATOR_CHANGE, NONE, 0, 0xa0, LATER},
        {"validator-approve-by-the-retired", DAVE, TALLY_TX_VALIDATOR_APPROVE, FUZZ_VALIDATOR_CHANGE, NONE, 0, 0xa0, 0},
        {"validator-approve-another-change", ERIN, TALLY_TX_VALIDATOR_APPROVE, 1, NONE, 0, 0xa0, 0},
        {"validator-propose-while-open", ERIN, TALLY_TX_VALIDATOR_PROPOSE, 0, BOB, 0, 0xa0, 0},
        {"validator-propose-replaces", FOUNDER, TALLY_TX_VALIDATOR_PROPOSE, 0, BOB, 1u << 2, 0xe0, 0},
        {"validator-propose-after-lapse", ERIN, TALLY_TX_VALIDATOR_PROPOSE, 0, BOB, 0, 0xa0, LATER},
        {"validator-propose-the-retired-again", FOUNDER, TALLY_TX_VALIDATOR_PROPOSE, 0, DAVE, 0, 0xa0, 0},
        {"validator-propose-retire-all", FOUNDER, TALLY_TX_VALIDATOR_PROPOSE, 0, NONE, 0x7u, 0xa0, 0},
        {"validator-propose-retire-one", ISSUER, TALLY_TX_VALIDATOR_PROPOSE, 0, NONE, 1u << 1, 0xa0, LATER},
    };
    tally_state *state = fuzz_world_state(world);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const fuzz_actor *signer = &world->actors[cases[i].actor];
        tally_tx tx;
        memset(&tx, 0, sizeof tx);
        tx.type = cases[i].type;
        memcpy(tx.chain_id, tally_state_chain_id(state), TALLY_CHAIN_ID_BYTES);
        tx.signer = signer->key;
        tx.sequence = tally_state_next_sequence(state, &tx.signer);
        if (tx.type == TALLY_TX_VALIDATOR_APPROVE) {
            tx.body.validator_approve.change_id = cases[i].change_id;
        } else {
            if (cases[i].add != NONE) {
                tx.body.validator_propose.add_count = 1;
                tx.body.validator_propose.add[0] = world->actors[cases[i].add].key;
            }
            tx.body.validator_propose.retire = cases[i].retire;
        }
        tally_tx_sign(&tx, signer->secret);
        uint8_t seed[3 + TALLY_TX_SINGLE_ENCODED_MAX];
        size_t length = tally_tx_encode(&tx, seed + 3, TALLY_TX_SINGLE_ENCODED_MAX);
        if (length == 0) die("a change of the validator set does not encode", cases[i].name);
        seed[0] = (uint8_t)(cases[i].envelope | cases[i].actor);
        seed[1] = 0;
        seed[2] = cases[i].when;
        put_seed("tx", cases[i].name, seed, 3 + length);
    }
    tally_state_destroy(state);
}

/* ---- blocks ---- */

static tally_tx chain_tx(const fuzz_world *world, const tally_state *state, uint32_t who, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, world->genesis_tip.chain_id, TALLY_CHAIN_ID_BYTES);
    tx.signer = world->actors[who].key;
    tx.sequence = tally_state_next_sequence(state, &tx.signer);
    return tx;
}

static void put_block(const char *name, const tally_block *block) {
    size_t length = tally_block_encoded_size(block);
    uint8_t *bytes = malloc(length ? length : 1);
    if (!bytes || length == 0 || tally_block_encode(block, bytes, length) != length) die("a block does not encode", name);
    put_seed("block", name, bytes, length);
    free(bytes);
}

static void put_state(const char *name, const tally_state *state) {
    size_t length = tally_state_serialized_size(state);
    uint8_t *bytes = malloc(length);
    if (!bytes || tally_state_serialize(state, bytes, length) != length) die("a state does not serialize", name);
    put_seed("snapshot", name, bytes, length);
    free(bytes);
}

static void text(tally_text *field, const char *value) {
    field->length = (uint16_t)strlen(value);
    memcpy(field->bytes, value, field->length);
}

/* Another block 1 of the fuzz chain, checked and applied against its genesis: the
 * producer, its one validator, adds actor 1 (its own approval is the quorum of one),
 * then proposes actor 2, which of two validators needs actor 1's approval too, and
 * actor 1 gives it. */
static void validator_block_seed(const fuzz_world *world) {
    tally_state *state = fuzz_world_genesis_state(world);
    tally_chain_tip tip = world->genesis_tip;
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;
    enum { CHANGES = 3 };
    tally_tx txs[CHANGES];
    static const int64_t needed[CHANGES] = {0, 1, 0};
    for (unsigned i = 0; i < CHANGES; i++) {
        memset(&txs[i], 0, sizeof txs[i]);
        memcpy(txs[i].chain_id, tip.chain_id, TALLY_CHAIN_ID_BYTES);
        txs[i].signer = i < 2 ? tip.producer : world->actors[1].key;
        txs[i].sequence = i < 2 ? i + 1 : 1;
    }
    txs[0].type = txs[1].type = TALLY_TX_VALIDATOR_PROPOSE;
    txs[0].body.validator_propose.add_count = txs[1].body.validator_propose.add_count = 1;
    txs[0].body.validator_propose.add[0] = world->actors[1].key;
    txs[1].body.validator_propose.add[0] = world->actors[2].key;
    txs[2].type = TALLY_TX_VALIDATOR_APPROVE;
    txs[2].body.validator_approve.change_id = 2;
    for (unsigned i = 0; i < CHANGES; i++)
        tally_tx_sign(&txs[i], i < 2 ? world->producer_secret : world->actors[1].secret);
    tally_result results[CHANGES];
    if (tally_block_build(state, &tip, world->producer_secret, FUZZ_GENESIS_TIME + 10, txs, CHANGES, results, &block,
                          &failure) != TALLY_CHAIN_OK)
        die("the validators' block 1", failure.message);
    for (unsigned i = 0; i < CHANGES; i++)
        if (results[i].code != TALLY_OK || results[i].available != needed[i])
            die("a change of the validator set in block 1 went otherwise", tally_error_name(results[i].code));
    put_block("block1-validators", &block);
    put_state("fuzz-chain-after-block1-validators", state);
    tally_block_release(&block);
    tally_state_destroy(state);
}

/* Block 1 of the fuzz chain (a network, members, an asset, a peg, payments on
 * credit), block 2 on it, and an empty block 1: decodable, and block 1 passes
 * tally_block_check against the genesis tip. */
static void block_seeds(const fuzz_world *world) {
    put_block("genesis", &world->genesis);
    tally_state *state = fuzz_world_genesis_state(world);
    tally_chain_tip tip = world->genesis_tip;
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;

    enum { CANDIDATES = 13 };
    tally_tx txs[CANDIDATES];
    txs[0] = chain_tx(world, state, 0, TALLY_TX_NETWORK_CREATE);
    text(&txs[0].body.network_create.name, "Fuzzfield");
    text(&txs[0].body.network_create.unit_code, "FZZ");
    txs[0].body.network_create.decimals = 2;
    txs[0].body.network_create.policy = (tally_policy){.default_credit_limit = 1000, .max_credit_limit = 5000,
                                                       .fee_bps = 100, .period_seconds = 86400,
                                                       .grace_seconds = 86400, .target_rtd_bps = 1000,
                                                       .compliance_rule = TALLY_COMPLIANCE_ZERO_BALANCE,
                                                       .membership_mode = TALLY_MEMBERSHIP_OPEN, .auto_renew = true,
                                                       .max_members = 1000, .notice_seconds = 86400,
                                                       .redeem_cap_bps = 1000};
    for (uint32_t who = 1; who <= 2; who++) {
        txs[who] = chain_tx(world, state, who, TALLY_TX_MEMBER_JOIN);
        txs[who].body.network_only.network_id = 1;
    }
    txs[3] = chain_tx(world, state, 3, TALLY_TX_ASSET_CREATE);
    text(&txs[3].body.asset_create.code, "USD");
    text(&txs[3].body.asset_create.name, "Fuzz dollars");
    txs[4] = txs[3];
    txs[4].type = TALLY_TX_ASSET_ISSUE;
    txs[4].sequence = 2;
    memset(&txs[4].body, 0, sizeof txs[4].body);
    txs[4].body.asset_move = (tally_tx_asset_move){.asset_id = 1, .to = world->actors[2].key, .amount = 5000};
    txs[5] = chain_tx(world, state, 0, TALLY_TX_PEG_SET);
    txs[5].sequence = 2;
    txs[5].body.peg_set = (tally_tx_peg_set){.network_id = 1, .asset_id = 1, .peg_reserve_units = 1, .peg_credit_units = 1};
    txs[6] = chain_tx(world, state, 1, TALLY_TX_TRANSFER);
    txs[6].sequence = 2;
    txs[6].body.transfer = (tally_tx_transfer){.network_id = 1, .payee = world->actors[2].key, .amount = 500, .max_fee = 10};
    text(&txs[6].body.transfer.memo, "seed");
    txs[7] = chain_tx(world, state, 2, TALLY_TX_POOL_DEPOSIT);
    txs[7].sequence = 2;
    txs[7].body.pool_amount = (tally_tx_pool_amount){.network_id = 1, .amount = 1000};
    txs[8] = chain_tx(world, state, 2, TALLY_TX_TRANSFER);
    txs[8].sequence = 3;
    txs[8].body.transfer = (tally_tx_transfer){.network_id = 1, .payee = world->actors[1].key, .amount = 100, .max_fee = 10};
    /* A batch: actor 1 pays actor 2 in two lines. */
    txs[9] = chain_tx(world, state, 1, TALLY_TX_TRANSFER_BATCH);
    txs[9].sequence = 3;
    txs[9].body.transfer_batch.network_id = 1;
    txs[9].body.transfer_batch.max_fee = 20;
    if (!tally_tx_batch_reserve(&txs[9], 2)) die("out of memory", NULL);
    for (unsigned i = 0; i < 2; i++) {
        tally_batch_line *line = &txs[9].body.transfer_batch.lines[i];
        line->payee = world->actors[2].key;
        line->amount = 20 + 10 * (int64_t)i;
        line->memo.length = (uint16_t)snprintf(line->memo.bytes, sizeof line->memo.bytes, "line %u", i + 1);
    }
    /* Actor 2 holds 50 for actor 1 until a day later (released then, in block 2);
     * actor 1 asks actor 2 for 25, and anyone for 10 until a day later (expired in
     * block 2): the snapshots and blocks have holds, requests and their events. */
    txs[10] = chain_tx(world, state, 2, TALLY_TX_PENDING_CREATE);
    txs[10].sequence = 4;
    txs[10].body.pending_create = (tally_tx_pending_create){.network_id = 1, .payee = world->actors[1].key,
                                                            .amount = 50, .max_fee = 10,
                                                            .timeout = FUZZ_GENESIS_TIME + 86400,
                                                            .outcome = TALLY_PENDING_RELEASE};
    txs[11] = chain_tx(world, state, 1, TALLY_TX_REQUEST_CREATE);
    txs[11].sequence = 4;
    txs[11].body.request_create = (tally_tx_request_create){.network_id = 1, .payer = world->actors[2].key,
                                                            .amount = 25, .expiry = FUZZ_GENESIS_TIME + 30 * 86400};
    text(&txs[11].body.request_create.memo, "invoice");
    txs[12] = chain_tx(world, state, 1, TALLY_TX_REQUEST_CREATE);
    txs[12].sequence = 5;
    txs[12].body.request_create = (tally_tx_request_create){.network_id = 1, .amount = 10,
                                                            .expiry = FUZZ_GENESIS_TIME + 86400};
    uint32_t signers[CANDIDATES] = {0, 1, 2, 3, 3, 0, 1, 2, 2, 1, 2, 1, 1};
    for (unsigned i = 0; i < CANDIDATES; i++) tally_tx_sign(&txs[i], world->actors[signers[i]].secret);

    /* An empty block 1 first, from a copy of the genesis state. */
    tally_state *empty_state = fuzz_world_genesis_state(world);
    tally_chain_tip empty_tip = world->genesis_tip;
    if (tally_block_build(empty_state, &empty_tip, world->producer_secret, FUZZ_GENESIS_TIME + 10, NULL,
                                          0, NULL, &block, &failure) != TALLY_CHAIN_OK)
        die("empty block", failure.message);
    put_block("block1-empty", &block);
    tally_state_destroy(empty_state);

    tally_result results[CANDIDATES];
    if (tally_block_build(state, &tip, world->producer_secret, FUZZ_GENESIS_TIME + 10, txs, CANDIDATES, results,
                          &block, &failure) != TALLY_CHAIN_OK)
        die("block 1", failure.message);
    for (unsigned i = 0; i < CANDIDATES; i++)
        if (results[i].code != TALLY_OK) die("a block 1 candidate was refused", tally_error_name(results[i].code));
    put_block("block1", &block);
    put_state("fuzz-chain-after-block1", state);
    tally_tx_release(&txs[9]);

    tally_tx second[2];
    second[0] = chain_tx(world, state, 1, TALLY_TX_TRANSFER);
    second[0].body.transfer =
        (tally_tx_transfer){.network_id = 1, .payee = world->actors[2].key, .amount = 300, .max_fee = 10};
    tally_tx_sign(&second[0], world->actors[1].secret);
    second[1] = chain_tx(world, state, 2, TALLY_TX_REQUEST_PAY);
    second[1].body.request_end = (tally_tx_request_end){.request_id = 1, .max_fee = 10};
    tally_tx_sign(&second[1], world->actors[2].secret);
    tally_result second_results[2];
    if (tally_block_build(state, &tip, world->producer_secret, FUZZ_GENESIS_TIME + 2 * 86400, second, 2,
                          second_results, &block, &failure) != TALLY_CHAIN_OK)
        die("block 2", failure.message);
    for (unsigned i = 0; i < 2; i++)
        if (second_results[i].code != TALLY_OK)
            die("a block 2 candidate was refused", tally_error_name(second_results[i].code));
    if (block.event_count < 2) die("block 2 should release the hold and expire a request", NULL);
    put_block("block2", &block);
    put_state("fuzz-chain-after-block2", state);

    /* Block 3, the marketplace: a category, actor 1's offer, actor 2's two orders
     * of it (one accepted in the same block), a want; block 4, past their times, ends
     * them by itself (an order released, one expired, the listings expired). */
    int64_t market_time = FUZZ_GENESIS_TIME + 3 * 86400;
    enum { MARKET = 6 };
    tally_tx market[MARKET];
    market[0] = chain_tx(world, state, 0, TALLY_TX_CATEGORY_SET);
    market[0].body.category_set.network_id = 1;
    market[0].body.category_set.category = 1;
    text(&market[0].body.category_set.name, "Food");
    market[1] = chain_tx(world, state, 1, TALLY_TX_LISTING_CREATE);
    market[1].body.listing = (tally_tx_listing){.network_id = 1, .kind = TALLY_LISTING_OFFER, .category = 1,
                                                .price = 10, .quantity = 5, .expiry = market_time + 10 * 86400};
    text(&market[1].body.listing.title, "Seed eggs");
    text(&market[1].body.listing.text, "a seed's listing");
    memset(market[1].body.listing.image_hash, 0x77, sizeof market[1].body.listing.image_hash);
    text(&market[1].body.listing.image_url, "https://example.org/seed.jpg");
    market[2] = chain_tx(world, state, 2, TALLY_TX_ORDER_CREATE);
    market[2].body.order_create = (tally_tx_order_create){.listing_id = 1, .quantity = 2, .unit_price = 10,
                                                          .max_fee = 10, .timeout = market_time + 2 * 86400};
    text(&market[2].body.order_create.memo, "two please");
    market[3] = chain_tx(world, state, 2, TALLY_TX_ORDER_CREATE);
    market[3].sequence++;
    market[3].body.order_create = (tally_tx_order_create){.listing_id = 1, .quantity = 1, .unit_price = 10,
                                                          .max_fee = 10, .timeout = market_time + 2 * 86400};
    market[4] = chain_tx(world, state, 1, TALLY_TX_ORDER_ACCEPT);
    market[4].sequence++;
    market[4].body.order_step.order_id = 1;
    market[5] = chain_tx(world, state, 2, TALLY_TX_LISTING_CREATE);
    market[5].sequence += 2;
    market[5].body.listing = (tally_tx_listing){.network_id = 1, .kind = TALLY_LISTING_WANT, .quantity = 1,
                                                .expiry = market_time + 86400};
    text(&market[5].body.listing.title, "A ladder");
    const uint32_t market_signers[MARKET] = {0, 1, 2, 2, 1, 2};
    for (unsigned i = 0; i < MARKET; i++) tally_tx_sign(&market[i], world->actors[market_signers[i]].secret);
    tally_result market_results[MARKET];
    if (tally_block_build(state, &tip, world->producer_secret, market_time, market, MARKET, market_results, &block,
                          &failure) != TALLY_CHAIN_OK)
        die("block 3", failure.message);
    for (unsigned i = 0; i < MARKET; i++)
        if (market_results[i].code != TALLY_OK)
            die("a block 3 candidate was refused", tally_error_name(market_results[i].code));
    put_block("block3-market", &block);
    put_state("fuzz-chain-after-block3-market", state);
    if (tally_block_build(state, &tip, world->producer_secret, market_time + 11 * 86400, NULL, 0, NULL, &block,
                          &failure) != TALLY_CHAIN_OK)
        die("block 4", failure.message);
    if (block.event_count < 4) die("block 4 should end two orders and two listings", NULL);
    put_block("block4-market-ends", &block);
    put_state("fuzz-chain-after-block4-market-ends", state);
    tally_block_release(&block);
    tally_state_destroy(state);
    validator_block_seed(world);
}

/* ---- snapshots ---- */

static void snapshot_seeds(const fuzz_world *world) {
    put_seed("snapshot", "prepared", world->state_bytes, world->state_length);
    tally_state *empty = tally_state_create(world->genesis_tip.chain_id);
    if (!empty) die("out of memory", NULL);
    put_state("empty", empty);
    tally_state_destroy(empty);
}

/* ---- request bodies ---- */

static void put_body(const char *name, uint8_t content_type, const void *body, size_t length) {
    uint8_t seed[1 + BODY_BYTES];
    if (length > BODY_BYTES) die("a body is too long", name);
    seed[0] = content_type;
    memcpy(seed + 1, body, length);
    put_seed("http", name, seed, 1 + length);
}

static void http_seeds(uint8_t (*signed_txs)[TALLY_TX_ENCODED_MAX], const size_t *lengths, size_t count) {
    enum { NONE = 0, JSON = 1, BINARY = 2, BINARY_PARAMETER = 3 };
    if (count < 3) die("too few vectors for the request seeds", NULL);
    char body[BODY_BYTES], hex[3][2 * TALLY_TX_ENCODED_MAX + 1];
    for (int i = 0; i < 3; i++) sodium_bin2hex(hex[i], sizeof hex[i], signed_txs[i], lengths[i]);
    int length = snprintf(body, sizeof body, "{\"tx\": \"%s\"}", hex[0]);
    put_body("json-single", JSON, body, (size_t)length);
    length = snprintf(body, sizeof body, "{\"txs\": [\"%s\", \"%s\", \"%s\"]}", hex[0], hex[1], hex[2]);
    put_body("json-batch", JSON, body, (size_t)length);
    char longest_hex[2 * TALLY_TX_SINGLE_ENCODED_MAX + 1];
    if (longest_single_length == 0 || longest_single_length > TALLY_TX_SINGLE_ENCODED_MAX)
        die("no single transaction among the vectors, or one past the bound", NULL);
    sodium_bin2hex(longest_hex, sizeof longest_hex, longest_single, longest_single_length);
    length = snprintf(body, sizeof body, "{\"txs\": [\"%s\", \"%s\"]}", longest_hex, hex[0]);
    put_body("json-batch-longest-single", JSON, body, (size_t)length);
    length = snprintf(body, sizeof body, "{\"txs\": [\"%s\", \"zz\", \"%.10s\", 7]}", hex[1], hex[2]);
    put_body("json-batch-refused-items", NONE, body, (size_t)length);
    static const char *const small[] = {"{\"tx\": 1}", "{\"txs\": []}", "[1, 2]", "{\"tx\": \"00\", \"txs\": []}",
                                        "{\"tx\": \"0101\"}", "{", "", "18446744073709551615",
                                        "18446744073709551616", "42", "007"};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "small-%zu", i);
        put_body(name, i < 7 ? JSON : NONE, small[i], strlen(small[i]));
    }
    /* the shape of finding 6 of issue 7: more JSON values than a submission can
     * hold, refused by their count before jansson builds any */
    length = snprintf(body, sizeof body, "{\"x\":[1");
    for (int i = 0; i < 1100 && length + 4 < (int)sizeof body; i++) length += snprintf(body + length, 3, ",1");
    length += snprintf(body + length, sizeof body - (size_t)length, "]}");
    put_body("json-too-many-values", JSON, body, (size_t)length);
    uint8_t frames[BODY_BYTES];
    size_t at = 0;
    for (int i = 0; i < 3; i++) {
        frames[at] = (uint8_t)lengths[i];
        frames[at + 1] = (uint8_t)(lengths[i] >> 8);
        memcpy(frames + at + 2, signed_txs[i], lengths[i]);
        at += 2 + lengths[i];
    }
    put_body("binary-batch", BINARY, frames, at);
    put_body("binary-batch-parameter", BINARY_PARAMETER, frames, at);
    put_body("binary-torn", BINARY, frames, at - 1);
    frames[0] = 3, frames[1] = 0; /* a frame of 3 bytes that does not decode, then the rest */
    put_body("binary-bad-frame", BINARY, frames, 5);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: tally-fuzz-seeds <vectors.json> <corpus dir>\n");
        return 2;
    }
    corpus_root = argv[2];
    make_dir(corpus_root);
    const fuzz_world *world = fuzz_world_get();
    json_error_t error;
    json_t *document = json_load_file(argv[1], 0, &error);
    json_t *vectors = document ? json_object_get(document, "vectors") : NULL;
    if (!json_is_array(vectors)) die(argv[1], document ? "no \"vectors\" array" : error.text);
    enum { KEPT = 8 };
    uint8_t signed_txs[KEPT][TALLY_TX_ENCODED_MAX];
    size_t lengths[KEPT], count = 0;
    tx_seeds(world, vectors, signed_txs, lengths, KEPT, &count);
    json_decref(document);
    validator_seeds(world);
    block_seeds(world);
    snapshot_seeds(world);
    http_seeds(signed_txs, lengths, count);
    printf("tally-fuzz-seeds: %u seeds in %s\n", written, corpus_root);
    return 0;
}
