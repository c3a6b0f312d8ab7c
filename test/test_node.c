/*
 * test_node.c: integration tests against real nodes (build/test/tallyd) over HTTP
 * on loopback. A full scenario from network creation to default and redemption;
 * malformed and refused input, each answered with a 4xx and a JSON error while the
 * node keeps serving and nothing changes; kill -9 in the middle of a stream of
 * payments, then restart: every acknowledged payment is in the chain and the chain
 * verifies from genesis.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node_harness.h"
#include "tally_chain.h"
#include "test.h"

static void sleep_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static const char *const fast_blocks[] = {"--idle-block-s", "1", NULL};

/* GET a member of network 1 as JSON (caller decrefs). */
static json_t *account(const test_node *node, const test_actor *who) {
    char address[TALLY_ADDRESS_LENGTH + 1], path[160];
    tally_address_encode(&who->key, address);
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s", address);
    json_t *answer = NULL;
    harness_request(node, "GET", path, NULL, 0, &answer);
    return answer;
}

static int64_t balance(const test_node *node, const test_actor *who) {
    json_t *view = account(node, who);
    int64_t value = harness_json_int(view, "balance");
    json_decref(view);
    return value;
}

static long submit(const test_node *node, tally_tx *tx, const test_actor *signer) {
    json_t *result = NULL;
    long status = harness_submit(node, tx, signer, &result);
    if (status == 200 && strcmp(harness_json_string(result, "status") ? harness_json_string(result, "status") : "",
                                "committed") != 0)
        status = -1;
    json_decref(result);
    return status;
}

static bool code_is_result(json_t *result, const char *code) {
    const char *actual = harness_json_string(result, "error.code");
    return actual && strcmp(actual, code) == 0;
}

/* {"tx": "<hex>"} of tx as it is (caller frees). */
static char *hex_body_of(const tally_tx *tx) {
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(tx, bytes, sizeof bytes);
    char *body = malloc(2 * length + 16);
    strcpy(body, "{\"tx\":\"");
    for (size_t i = 0; i < length; i++) sprintf(body + 7 + 2 * i, "%02x", bytes[i]);
    strcat(body, "\"}");
    return body;
}

/* {"tx": "<hex>"} of tx signed by signer (caller frees). */
static char *tx_body_hex(tally_tx *tx, const test_actor *signer) {
    tally_tx_sign(tx, signer->secret);
    return hex_body_of(tx);
}

static tally_policy scenario_policy(void) {
    tally_policy policy = policy_default();
    policy.fee_bps = 100;
    policy.max_credit_limit = 100000;
    policy.target_rtd_bps = 2000;
    policy.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    policy.period_seconds = 2;
    policy.grace_seconds = 2;
    return policy;
}

/* Network 1, Greenvale (scenario_policy), founded by op, alice and bob admitted. */
static void scenario_network(const test_node *node, const test_actor *op, const test_actor *alice,
                             const test_actor *bob) {
    tally_tx tx = harness_tx(node, op, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Greenvale");
    text_set(&tx.body.network_create.unit_code, "GVH");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = scenario_policy();
    CHECK_EQ(submit(node, &tx, op), 200);
    const test_actor *members[] = {alice, bob};
    for (int i = 0; i < 2; i++) {
        tx = harness_tx(node, op, TALLY_TX_MEMBER_ADMIT);
        tx.body.network_key.network_id = 1;
        tx.body.network_key.key = members[i]->key;
        CHECK_EQ(submit(node, &tx, op), 200);
    }
}

/* A payment of network 1 with max_fee = amount, signed and submitted with wait=commit. */
static long pay(const test_node *node, const test_actor *payer, const test_actor *payee, int64_t amount,
                json_t **result) {
    tally_tx tx = harness_tx(node, payer, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = 1;
    tx.body.transfer.payee = payee->key;
    tx.body.transfer.amount = amount;
    tx.body.transfer.max_fee = amount;
    return harness_submit(node, &tx, payer, result);
}

/* period_seconds and grace_seconds 0: the network's. */
static void open_line(const test_node *node, const test_actor *op, const test_actor *member, int64_t limit,
                      uint32_t period_seconds, uint32_t grace_seconds) {
    tally_tx tx = harness_tx(node, op, TALLY_TX_LINE_OPEN);
    tx.body.line_open.network_id = 1;
    tx.body.line_open.member = member->key;
    tx.body.line_open.limit = limit;
    tx.body.line_open.period_seconds = period_seconds;
    tx.body.line_open.grace_seconds = grace_seconds;
    CHECK_EQ(submit(node, &tx, op), 200);
}

TEST(node_full_scenario_from_creation_to_default_and_redemption) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, fast_blocks));
    test_actor op = actor(0), alice = actor(1), bob = actor(2), bank = actor(10);

    scenario_network(&node, &op, &alice, &bob);
    tally_tx tx;
    tx = harness_tx(&node, &alice, TALLY_TX_ALIAS_SET);
    tx.body.alias_set.network_id = 1;
    text_set(&tx.body.alias_set.alias, "alice");
    CHECK_EQ(submit(&node, &tx, &alice), 200);
    /* bob's line never ends within the test; alice's lasts 2 s with 2 s of grace */
    tx = harness_tx(&node, &op, TALLY_TX_LINE_OPEN);
    tx.body.line_open.network_id = 1;
    tx.body.line_open.member = bob.key;
    tx.body.line_open.limit = 50000;
    tx.body.line_open.period_seconds = 100000;
    CHECK_EQ(submit(&node, &tx, &op), 200);
    tx = harness_tx(&node, &op, TALLY_TX_LINE_OPEN);
    tx.body.line_open.network_id = 1;
    tx.body.line_open.member = alice.key;
    tx.body.line_open.limit = 20000;
    CHECK_EQ(submit(&node, &tx, &op), 200);

    /* alice pays 100.00 on credit: 1% fee, 101.00 of debt */
    tx = harness_tx(&node, &alice, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = 1;
    tx.body.transfer.payee = bob.key;
    tx.body.transfer.amount = 10000;
    tx.body.transfer.max_fee = 100;
    text_set(&tx.body.transfer.memo, "eggs");
    json_t *result = NULL;
    CHECK_EQ(harness_submit(&node, &tx, &alice, &result), 200);
    CHECK_EQ(harness_json_int(result, "result.minted"), 10100);
    CHECK_EQ(harness_json_int(result, "result.fee"), 100);
    CHECK(harness_json_int(result, "height") > 0);
    json_decref(result);
    CHECK_EQ(balance(&node, &alice), -10100);
    CHECK_EQ(balance(&node, &bob), 10000);
    json_t *by_alias = NULL;
    CHECK_EQ(harness_request(&node, "GET", "/v1/networks/1/accounts/alice", NULL, 0, &by_alias), 200);
    CHECK_EQ(harness_json_int(by_alias, "available"), 20000 - 10100);
    json_decref(by_alias);

    /* a reserve asset, a pool deposit, fees to the pool */
    tx = harness_tx(&node, &bank, TALLY_TX_ASSET_CREATE);
    text_set(&tx.body.asset_create.code, "USD");
    text_set(&tx.body.asset_create.name, "dollars");
    tx.body.asset_create.decimals = 2;
    CHECK_EQ(submit(&node, &tx, &bank), 200);
    tx = harness_tx(&node, &bank, TALLY_TX_ASSET_ISSUE);
    tx.body.asset_move.asset_id = 1;
    tx.body.asset_move.to = bob.key;
    tx.body.asset_move.amount = 5000;
    CHECK_EQ(submit(&node, &tx, &bank), 200);
    tx = harness_tx(&node, &op, TALLY_TX_PEG_SET);
    tx.body.peg_set.network_id = 1;
    tx.body.peg_set.asset_id = 1;
    tx.body.peg_set.peg_reserve_units = 1;
    tx.body.peg_set.peg_credit_units = 1;
    CHECK_EQ(submit(&node, &tx, &op), 200);
    tx = harness_tx(&node, &bob, TALLY_TX_POOL_DEPOSIT);
    tx.body.pool_amount.network_id = 1;
    tx.body.pool_amount.amount = 5000;
    CHECK_EQ(submit(&node, &tx, &bob), 200);
    tx = harness_tx(&node, &op, TALLY_TX_FEE_DISTRIBUTE);
    tx.body.fee_distribute.network_id = 1;
    tx.body.fee_distribute.to_pool = true;
    tx.body.fee_distribute.amount = 100;
    CHECK_EQ(submit(&node, &tx, &op), 200);

    /* the period ends, grace passes: alice defaults by herself, block after block */
    json_t *view = NULL;
    for (int wait = 0; wait < 200; wait++) {
        json_decref(view);
        view = account(&node, &alice);
        const char *status = harness_json_string(view, "status");
        if (status && strcmp(status, "defaulted") == 0) break;
        sleep_ms(100);
    }
    CHECK(harness_json_string(view, "status") && strcmp(harness_json_string(view, "status"), "defaulted") == 0);
    CHECK_EQ(harness_json_int(view, "balance"), 0);
    CHECK_EQ(harness_json_int(view, "limit"), 0);
    json_decref(view);
    json_t *network = NULL;
    CHECK_EQ(harness_request(&node, "GET", "/v1/networks/1", NULL, 0, &network), 200);
    CHECK_EQ(harness_json_int(network, "lost_debt"), 10100 - 100); /* the pool's 1.00 of credits burned */
    CHECK_EQ(harness_json_int(network, "pool.credits"), 0);
    json_decref(network);

    /* The deposit put 20% of the 101.00 of supply in primary: 20.20 USD. Bob can
     * redeem that much of his credits against the lost debt, not more. */
    tx = harness_tx(&node, &bob, TALLY_TX_POOL_REDEEM);
    tx.body.pool_amount.network_id = 1;
    tx.body.pool_amount.amount = 2021;
    CHECK_EQ(harness_submit(&node, &tx, &bob, &result), 422);
    CHECK(code_is_result(result, "POOL_RESERVE_SHORT"));
    CHECK_EQ(harness_json_int(result, "error.available"), 2020);
    json_decref(result);
    tx = harness_tx(&node, &bob, TALLY_TX_POOL_REDEEM);
    tx.body.pool_amount.network_id = 1;
    tx.body.pool_amount.amount = 2020;
    CHECK_EQ(harness_submit(&node, &tx, &bob, &result), 200);
    CHECK_EQ(harness_json_int(result, "result.reserve"), 2020);
    CHECK_EQ(harness_json_int(result, "result.burned"), 2020);
    json_decref(result);
    CHECK_EQ(balance(&node, &bob), 10000 - 2020);

    /* an account nobody opened is a 404 */
    test_actor stranger = actor(77);
    json_t *unknown = account(&node, &stranger);
    CHECK(code_is_result(unknown, "NOT_MEMBER"));
    json_decref(unknown);

    /* pipelining: three payments with consecutive sequences, none waiting */
    tally_tx pipelined = harness_tx(&node, &bob, TALLY_TX_TRANSFER);
    for (int i = 0; i < 3; i++) {
        tally_tx tx_i = pipelined;
        tx_i.sequence = pipelined.sequence + (uint64_t)i;
        tx_i.body.transfer.network_id = 1;
        tx_i.body.transfer.payee = alice.key;
        tx_i.body.transfer.amount = 100;
        tx_i.body.transfer.max_fee = 10;
        char *body = tx_body_hex(&tx_i, &bob);
        json_t *answer = NULL;
        CHECK_EQ(harness_request(&node, "POST", "/v1/transactions", body, strlen(body), &answer), 200);
        CHECK(harness_json_string(json_array_get(json_object_get(answer, "results"), 0), "status") &&
              strcmp(harness_json_string(json_array_get(json_object_get(answer, "results"), 0), "status"),
                     "pending") == 0);
        json_decref(answer);
        free(body);
    }
    for (int wait = 0; wait < 100 && balance(&node, &alice) != 300; wait++) sleep_ms(50);
    CHECK_EQ(balance(&node, &alice), 300);

    /* history, newest first, from the index; then the index is deleted and rebuilt */
    char address[TALLY_ADDRESS_LENGTH + 1], path[200];
    tally_address_encode(&bob.key, address);
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s/history?limit=2", address);
    json_t *history = NULL;
    for (int wait = 0; wait < 100; wait++) { /* the index trails the chain by a moment */
        json_decref(history);
        CHECK_EQ(harness_request(&node, "GET", path, NULL, 0, &history), 200);
        if (harness_json_int(json_array_get(json_object_get(history, "entries"), 0), "amount") == -100) break;
        sleep_ms(50);
    }
    json_t *newest = json_array_get(json_object_get(history, "entries"), 0);
    CHECK_EQ(harness_json_int(newest, "amount"), -100);
    CHECK_EQ(harness_json_int(newest, "fee"), 1);
    CHECK(harness_json_int(history, "next") > 0);
    json_decref(history);
    CHECK_EQ(harness_stop(&node), 0);
    char index_path[320];
    snprintf(index_path, sizeof index_path, "%s/data/index.sqlite", node.directory);
    CHECK(remove(index_path) == 0);
    REQUIRE(harness_start(&node, fast_blocks));
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s/history?limit=500", address);
    CHECK_EQ(harness_request(&node, "GET", path, NULL, 0, &history), 200);
    /* admitted, line opened, paid by alice, deposit, redeem, three payments */
    CHECK_EQ(json_array_size(json_object_get(history, "entries")), 8);
    json_decref(history);

    CHECK_EQ(harness_stop(&node), 0);
    tally_verify_summary summary;
    tally_chain_failure failure;
    char data[300];
    snprintf(data, sizeof data, "%s/data", node.directory);
    CHECK_EQ(tally_chain_verify(data, NULL, NULL, NULL, NULL, &summary, &failure), TALLY_CHAIN_OK);
    CHECK_EQ(summary.transactions, 16);
    harness_remove_directory(&node);
}

static long post(const test_node *node, const char *body, json_t **answer) {
    return harness_request(node, "POST", "/v1/transactions", body, strlen(body), answer);
}

static const char *error_code(json_t *answer) { return harness_json_string(answer, "error.code"); }

static bool code_is(json_t *answer, const char *code) {
    const char *actual = error_code(answer);
    return actual && strcmp(actual, code) == 0;
}

/* The hex body of a transaction, signed by signer or sent as it is. */
static char *tx_body(tally_tx *tx, const test_actor *signer, bool sign) {
    return sign ? tx_body_hex(tx, signer) : hex_body_of(tx);
}

TEST(node_refuses_malformed_input_with_4xx_json_and_keeps_serving) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, NULL));
    test_actor alice = actor(1), mallory = actor(2);
    tally_tx tx = harness_tx(&node, &alice, TALLY_TX_ASSET_CREATE);
    text_set(&tx.body.asset_create.code, "USD");
    text_set(&tx.body.asset_create.name, "dollars");
    tx.body.asset_create.decimals = 2;
    CHECK_EQ(submit(&node, &tx, &alice), 200);
    json_t *status_before = NULL;
    harness_request(&node, "GET", "/v1/status", NULL, 0, &status_before);
    int64_t height_before = harness_json_int(status_before, "height");
    json_decref(status_before);

    json_t *answer = NULL;
    CHECK_EQ(post(&node, "{not json", &answer), 400);
    CHECK(code_is(answer, "BAD_JSON"));
    json_decref(answer);
    CHECK_EQ(post(&node, "[1,2,3]", &answer), 400);
    CHECK(code_is(answer, "BAD_JSON"));
    json_decref(answer);
    CHECK_EQ(post(&node, "{\"tx\": 42}", &answer), 400);
    CHECK(code_is(answer, "BAD_REQUEST"));
    json_decref(answer);
    CHECK_EQ(post(&node, "{\"txs\": []}", &answer), 400);
    json_decref(answer);
    CHECK_EQ(post(&node, "{\"tx\": \"00ff\"}", &answer), 400);
    CHECK(code_is(answer, "DECODE_BAD_VERSION") || code_is(answer, "DECODE_TRUNCATED"));
    json_decref(answer);

    /* a body of several megabytes */
    size_t huge_length = 6u << 20;
    char *huge = malloc(huge_length + 1);
    memset(huge, ' ', huge_length);
    huge[huge_length] = '\0';
    CHECK_EQ(harness_request(&node, "POST", "/v1/transactions", huge, huge_length, &answer), 413);
    CHECK(code_is(answer, "BODY_TOO_LARGE"));
    json_decref(answer);
    free(huge);

    /* a bad signature: signed, then altered */
    tx = harness_tx(&node, &alice, TALLY_TX_ASSET_CREATE);
    text_set(&tx.body.asset_create.code, "EUR");
    text_set(&tx.body.asset_create.name, "euros");
    tally_tx_sign(&tx, alice.secret);
    tx.body.asset_create.decimals = 3;
    char *body = tx_body(&tx, &alice, false);
    CHECK_EQ(post(&node, body, &answer), 400);
    CHECK(code_is(answer, "BAD_SIGNATURE"));
    json_decref(answer);
    free(body);
    /* mallory signing in alice's name */
    tx.signer = mallory.key;
    tally_tx_sign(&tx, mallory.secret);
    tx.signer = alice.key;
    body = tx_body(&tx, &alice, false);
    CHECK_EQ(post(&node, body, &answer), 400);
    CHECK(code_is(answer, "BAD_SIGNATURE"));
    json_decref(answer);
    free(body);
    /* another chain */
    tx = harness_tx(&node, &alice, TALLY_TX_ASSET_CREATE);
    text_set(&tx.body.asset_create.code, "EUR");
    text_set(&tx.body.asset_create.name, "euros");
    tx.chain_id[0] ^= 1;
    body = tx_body(&tx, &alice, true);
    CHECK_EQ(post(&node, body, &answer), 400);
    CHECK(code_is(answer, "WRONG_CHAIN"));
    json_decref(answer);
    free(body);
    /* a replayed and a skipped sequence */
    tx = harness_tx(&node, &alice, TALLY_TX_ASSET_CREATE);
    text_set(&tx.body.asset_create.code, "EUR");
    text_set(&tx.body.asset_create.name, "euros");
    tx.sequence = 1;
    body = tx_body(&tx, &alice, true);
    CHECK_EQ(post(&node, body, &answer), 400);
    CHECK(code_is(answer, "BAD_SEQUENCE"));
    CHECK_EQ(harness_json_int(answer, "error.available"), 2);
    json_decref(answer);
    free(body);
    tx.sequence = 5;
    body = tx_body(&tx, &alice, true);
    CHECK_EQ(post(&node, body, &answer), 400);
    CHECK(code_is(answer, "BAD_SEQUENCE"));
    json_decref(answer);
    free(body);
    /* a rule refusal: paying in a network that does not exist */
    tx = harness_tx(&node, &alice, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = 9;
    tx.body.transfer.payee = mallory.key;
    tx.body.transfer.amount = 1;
    body = tx_body(&tx, &alice, true);
    CHECK_EQ(harness_request(&node, "POST", "/v1/transactions?wait=commit", body, strlen(body), &answer), 422);
    CHECK(code_is(answer, "UNKNOWN_NETWORK"));
    json_decref(answer);
    free(body);

    /* the binary form: a torn frame is refused; two good frames and a bad one give
     * one status each */
    uint8_t frames[3 * (2 + TALLY_TX_ENCODED_MAX)];
    size_t at = 0;
    const char *codes[] = {"GBP", "CHF"};
    for (int i = 0; i < 2; i++) {
        tx = harness_tx(&node, &alice, TALLY_TX_ASSET_CREATE);
        tx.sequence += (uint64_t)i;
        text_set(&tx.body.asset_create.code, codes[i]);
        text_set(&tx.body.asset_create.name, "money");
        tally_tx_sign(&tx, alice.secret);
        size_t length = tally_tx_encode(&tx, frames + at + 2, TALLY_TX_ENCODED_MAX);
        frames[at] = (uint8_t)length, frames[at + 1] = (uint8_t)(length >> 8);
        at += 2 + length;
    }
    frames[at] = 3, frames[at + 1] = 0, frames[at + 2] = 1, frames[at + 3] = 2, frames[at + 4] = 3;
    CHECK_EQ(harness_request_binary(&node, "/v1/transactions", frames, at + 4, &answer), 400);
    CHECK(code_is(answer, "BAD_BATCH"));
    json_decref(answer);
    CHECK_EQ(harness_request_binary(&node, "/v1/transactions?wait=commit", frames, at + 5, &answer), 200);
    json_t *results = json_object_get(answer, "results");
    CHECK_EQ(json_array_size(results), 3);
    CHECK(strcmp(harness_json_string(json_array_get(results, 0), "status"), "committed") == 0);
    CHECK(strcmp(harness_json_string(json_array_get(results, 1), "status"), "committed") == 0);
    CHECK(code_is(json_array_get(results, 2), "DECODE_TRUNCATED"));
    json_decref(answer);

    /* unknown things */
    CHECK_EQ(harness_request(&node, "GET", "/v1/networks/1/accounts/alice", NULL, 0, &answer), 404);
    CHECK(code_is(answer, "UNKNOWN_NETWORK"));
    json_decref(answer);
    CHECK_EQ(harness_request(&node, "GET", "/v1/accounts/tly1notanaddress", NULL, 0, &answer), 400);
    CHECK(code_is(answer, "BAD_ADDRESS"));
    json_decref(answer);
    CHECK_EQ(harness_request(&node, "GET", "/v1/assets/7", NULL, 0, &answer), 404);
    json_decref(answer);
    CHECK_EQ(harness_request(&node, "GET", "/v1/blocks/99999", NULL, 0, &answer), 404);
    json_decref(answer);
    CHECK_EQ(harness_request(&node, "GET", "/nowhere", NULL, 0, &answer), 404);
    json_decref(answer);
    CHECK_EQ(harness_request(&node, "DELETE", "/v1/transactions", NULL, 0, &answer), 405);
    json_decref(answer);
    CHECK_EQ(harness_request(&node, "GET", "/v1/transactions/abc", NULL, 0, &answer), 400);
    json_decref(answer);

    /* nothing changed and the node still serves */
    json_t *status_after = NULL;
    CHECK_EQ(harness_request(&node, "GET", "/v1/status", NULL, 0, &status_after), 200);
    json_t *assets = NULL;
    CHECK_EQ(harness_request(&node, "GET", "/v1/assets", NULL, 0, &assets), 200);
    CHECK_EQ(json_array_size(json_object_get(assets, "assets")), 3); /* USD, GBP, CHF */
    json_decref(assets);
    json_decref(status_after);
    (void)height_before;
    CHECK_EQ(harness_stop(&node), 0);
    harness_remove_directory(&node);
}

/* ---- kill -9 in the middle of a stream of payments ---- */

#define STREAM_MAX 4000

typedef struct {
    test_node *node;
    test_actor payer, payee;
    uint8_t acknowledged[STREAM_MAX][TALLY_HASH_BYTES];
    int acknowledged_count;
    volatile bool stop;
} stream;

static void *pay_stream(void *context) {
    stream *s = context;
    uint64_t sequence = 0;
    for (int i = 0; i < STREAM_MAX && !s->stop; i++) {
        tally_tx tx = harness_tx(s->node, &s->payer, TALLY_TX_TRANSFER);
        if (sequence && tx.sequence < sequence) tx.sequence = sequence;
        tx.body.transfer.network_id = 1;
        tx.body.transfer.payee = s->payee.key;
        tx.body.transfer.amount = 1 + i % 7;
        json_t *result = NULL;
        long status = harness_submit(s->node, &tx, &s->payer, &result);
        const char *state = harness_json_string(result, "status");
        if (status == 200 && state && strcmp(state, "committed") == 0) {
            tally_tx_hash(&tx, s->acknowledged[s->acknowledged_count++]);
            sequence = tx.sequence + 1;
        }
        json_decref(result);
        if (status == 0) break; /* the node is gone */
    }
    return NULL;
}

static bool chain_has(const char *data, const uint8_t id[TALLY_HASH_BYTES], tally_blocklog *log) {
    (void)data;
    tally_block block;
    tally_block_init(&block);
    bool found = false;
    for (uint64_t height = 1; height < tally_blocklog_count(log) && !found; height++) {
        tally_chain_failure failure;
        if (tally_blocklog_read(log, height, &block, &failure) != TALLY_CHAIN_OK) break;
        for (uint32_t i = 0; i < block.header.tx_count && !found; i++) {
            uint8_t tx_id[TALLY_HASH_BYTES];
            tally_tx_hash(&block.txs[i], tx_id);
            found = memcmp(tx_id, id, TALLY_HASH_BYTES) == 0;
        }
    }
    tally_block_release(&block);
    return found;
}

TEST(node_kill_9_mid_stream_loses_no_acknowledged_payment) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, NULL));
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    tally_tx tx = harness_tx(&node, &op, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Crash");
    text_set(&tx.body.network_create.unit_code, "CRS");
    tx.body.network_create.policy = policy_default();
    tx.body.network_create.policy.default_credit_limit = 1000000;
    CHECK_EQ(submit(&node, &tx, &op), 200);
    const test_actor *joiners[] = {&alice, &bob};
    for (int i = 0; i < 2; i++) {
        tx = harness_tx(&node, joiners[i], TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = 1;
        CHECK_EQ(submit(&node, &tx, joiners[i]), 200);
    }
    stream *s = calloc(1, sizeof *s);
    s->node = &node;
    s->payer = alice;
    s->payee = bob;
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, pay_stream, s) == 0);
    sleep_ms(1500);
    harness_kill(&node); /* SIGKILL while payments are in flight */
    s->stop = true;
    pthread_join(thread, NULL);
    CHECK(s->acknowledged_count > 5);

    char data[300];
    snprintf(data, sizeof data, "%s/data", node.directory);
    tally_blocklog *log = NULL;
    tally_blocklog_options options = {.read_only = true};
    tally_chain_failure failure;
    REQUIRE(tally_blocklog_open(data, &options, &log, &failure) == TALLY_CHAIN_OK);
    int missing = 0;
    for (int i = 0; i < s->acknowledged_count; i++)
        if (!chain_has(data, s->acknowledged[i], log)) missing++;
    tally_blocklog_close(log);
    CHECK_EQ(missing, 0);

    /* restart: the node replays its log and serves the same balances */
    REQUIRE(harness_start(&node, NULL));
    int64_t alice_balance = balance(&node, &alice), bob_balance = balance(&node, &bob);
    CHECK(alice_balance < 0);
    CHECK_EQ(alice_balance + bob_balance, 0);
    CHECK_EQ(harness_stop(&node), 0);
    tally_verify_summary summary;
    CHECK_EQ(tally_chain_verify(data, NULL, NULL, NULL, NULL, &summary, &failure), TALLY_CHAIN_OK);
    printf("    kill -9 after %d acknowledged payments: all in the chain, %llu blocks verify\n",
           s->acknowledged_count, (unsigned long long)summary.blocks);
    free(s);
    harness_remove_directory(&node);
}

/* The line's status is right on time: with no transaction and no idle block for an
 * hour, the node still makes a block when alice's 2-s period ends (frozen: she is in
 * debt) and when her 2-s grace ends (defaulted). */
TEST(node_makes_a_block_when_a_period_or_grace_ends) {
    static const char *const idle_hour[] = {"--idle-block-s", "3600", NULL};
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, idle_hour));
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    scenario_network(&node, &op, &alice, &bob);
    open_line(&node, &op, &alice, 20000, 0, 0);
    json_t *paid = NULL;
    CHECK_EQ(pay(&node, &alice, &bob, 1000, &paid), 200);
    json_decref(paid);
    json_t *view = account(&node, &alice);
    int64_t period_end = harness_json_int(view, "line.period_end");
    CHECK_EQ(strcmp(harness_json_string(view, "line.status"), "active"), 0);
    json_decref(view);
    /* frozen within a second of the period's end, defaulted within a second of the
     * grace's end: nobody sent anything */
    const char *want[] = {"frozen", "defaulted"};
    int64_t by[] = {period_end + 1, period_end + 2 + 1};
    for (int stage = 0; stage < 2; stage++) {
        bool reached = false;
        while (!reached && (int64_t)time(NULL) <= by[stage] + 1) {
            view = account(&node, &alice);
            const char *status = harness_json_string(view, "line.status");
            reached = status && strcmp(status, want[stage]) == 0;
            json_decref(view);
            if (!reached) nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
        }
        CHECK(reached);
        if (!reached) fprintf(stderr, "    the line did not become %s by %lld\n", want[stage], (long long)by[stage]);
    }
    CHECK(harness_stop_and_verify(&node));
    harness_remove_directory(&node);
}

/* A payment past what the payer may spend, from a member whose line cannot lend, is
 * refused at the node with the reason (not INSUFFICIENT_CREDIT ... 0.00): frozen,
 * expired, suspended. On a dev chain, whose clock the test moves; a real chain
 * refuses to move its clock. */
/* A payment past what the payer may spend, from a member whose line cannot lend, is
 * refused at the node with the reason (not INSUFFICIENT_CREDIT ... 0.00): frozen,
 * expired, suspended. On a dev chain, whose clock the test moves; a real chain
 * refuses to move its clock. */
TEST(node_refuses_credit_with_the_reason_the_line_cannot_lend) {
    static const char *const dev[] = {"--dev", NULL};
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, dev));
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3);
    scenario_network(&node, &op, &alice, &bob);
    tally_tx tx = harness_tx(&node, &op, TALLY_TX_MEMBER_ADMIT);
    tx.body.network_key.network_id = 1;
    tx.body.network_key.key = carol.key;
    CHECK_EQ(submit(&node, &tx, &op), 200);
    open_line(&node, &op, &alice, 20000, 100000, 100000);
    open_line(&node, &op, &bob, 20000, 100000, 100000);
    open_line(&node, &op, &carol, 20000, 100000, 100000);
    json_t *result = NULL;
    CHECK_EQ(pay(&node, &alice, &bob, 1000, &result), 200);
    json_decref(result);

    /* bob suspended: his credit is gone, his own money is not */
    tx = harness_tx(&node, &op, TALLY_TX_MEMBER_SUSPEND);
    tx.body.network_key.network_id = 1;
    tx.body.network_key.key = bob.key;
    CHECK_EQ(submit(&node, &tx, &op), 200);
    result = NULL;
    CHECK(pay(&node, &bob, &alice, 1001, &result) >= 400);
    CHECK(code_is_result(result, "MEMBER_SUSPENDED"));
    CHECK_EQ(harness_json_int(result, "error.available"), 1000);
    json_decref(result);

    /* the period ends: alice (in debt) frozen, carol (compliant, no renewal) expired */
    tx = harness_tx(&node, &op, TALLY_TX_POLICY_UPDATE);
    tx.body.policy_update.network_id = 1;
    tx.body.policy_update.policy = scenario_policy();
    tx.body.policy_update.policy.auto_renew = false;
    CHECK_EQ(submit(&node, &tx, &op), 200);
    json_t *moved = NULL;
    CHECK_EQ(harness_request(&node, "POST", "/v1/dev/advance?seconds=100000", NULL, 0, &moved), 200);
    CHECK(harness_json_int(moved, "advanced") == 100000);
    json_decref(moved);
    result = NULL;
    CHECK(pay(&node, &alice, &carol, 1, &result) >= 400);
    CHECK(code_is_result(result, "LINE_FROZEN"));
    CHECK_EQ(harness_json_int(result, "error.available"), 0);
    json_decref(result);
    result = NULL;
    CHECK(pay(&node, &carol, &alice, 1, &result) >= 400);
    CHECK(code_is_result(result, "LINE_EXPIRED"));
    json_decref(result);
    /* bad durations */
    json_t *answer = NULL;
    CHECK_EQ(harness_request(&node, "POST", "/v1/dev/advance?seconds=0", NULL, 0, &answer), 400);
    json_decref(answer);
    answer = NULL;
    CHECK_EQ(harness_request(&node, "GET", "/v1/dev/advance?seconds=5", NULL, 0, &answer), 405);
    json_decref(answer);
    CHECK(harness_stop_and_verify(&node));
    harness_remove_directory(&node);

    /* a real chain refuses */
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, NULL));
    answer = NULL;
    CHECK_EQ(harness_request(&node, "POST", "/v1/dev/advance?seconds=60", NULL, 0, &answer), 403);
    CHECK(answer != NULL && strcmp(harness_json_string(answer, "error.code"), "NOT_DEV_CHAIN") == 0);
    json_decref(answer);
    CHECK(harness_stop_and_verify(&node));
    harness_remove_directory(&node);
}
