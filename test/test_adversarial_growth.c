/*
 * test_adversarial_growth.c: finding 1 of issue 7 against a real node. One key
 * sends 16 batches of 4,096 NETWORK_CREATEs. On an open chain it founds its daily
 * allowance and no more; a key a validator approved for every slot fills the
 * network table, after which only network creation is refused: payments between
 * existing members still commit (their latency is printed), members still join,
 * assets are still created, and the node restarts from a snapshot of the full state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "node_harness.h"
#include "tally_chain.h"
#include "test.h"

enum { GREENVALE = 1, BATCHES = 16, BATCH = 4096 };

static double now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

/* Signs txs and POSTs them in the binary form with wait=commit; counts the results
 * whose status is "committed", those whose error code is `refusal`, and those
 * refused for a sequence that a refusal before them left unused (BAD_SEQUENCE).
 * false when the answer is not a 200 with one result per transaction. */
static bool post_batch(const test_node *node, tally_tx *txs, uint32_t count, const test_actor *signer,
                       const char *refusal, uint32_t *committed, uint32_t *refused, uint32_t *out_of_sequence) {
    uint8_t *body = malloc((size_t)count * (2 + TALLY_TX_ENCODED_MAX));
    if (!body) return false;
    size_t at = 0;
    for (uint32_t i = 0; i < count; i++) {
        tally_tx_sign(&txs[i], signer->secret);
        size_t length = tally_tx_encode(&txs[i], body + at + 2, TALLY_TX_ENCODED_MAX);
        body[at] = (uint8_t)length, body[at + 1] = (uint8_t)(length >> 8);
        at += 2 + length;
    }
    json_t *answer = NULL;
    long http = harness_request_binary(node, "/v1/transactions?wait=commit", body, at, &answer);
    free(body);
    json_t *results = json_object_get(answer, "results");
    bool ok = http == 200 && json_array_size(results) == count;
    *committed = *refused = *out_of_sequence = 0;
    for (size_t i = 0; ok && i < count; i++) {
        json_t *result = json_array_get(results, i);
        const char *status = harness_json_string(result, "status"), *code = harness_json_string(result, "error.code");
        if (status && strcmp(status, "committed") == 0) (*committed)++;
        else if (code && strcmp(code, refusal) == 0) (*refused)++;
        else if (code && strcmp(code, "BAD_SEQUENCE") == 0) (*out_of_sequence)++;
    }
    json_decref(answer);
    return ok;
}

/* Batch b of the attack: NETWORK_CREATEs named "spam <n>" with the signer's next
 * sequences. */
static void attack_batch(const test_node *node, const test_actor *attacker, uint32_t b, tally_tx *txs) {
    tally_tx first = harness_tx(node, attacker, TALLY_TX_NETWORK_CREATE);
    for (uint32_t i = 0; i < BATCH; i++) {
        tally_tx *tx = &txs[i];
        *tx = first;
        tx->sequence = first.sequence + i;
        char name[32];
        snprintf(name, sizeof name, "spam %u", b * BATCH + i);
        text_set(&tx->body.network_create.name, name);
        text_set(&tx->body.network_create.unit_code, "SPAM");
        tx->body.network_create.policy = policy_default();
    }
}

/* Pays 1.00 from alice to bob with wait=commit: true when committed; prints how long. */
static bool payment_commits(const test_node *node, const test_actor *alice, const test_actor *bob,
                            const char *when) {
    tally_tx tx = harness_tx(node, alice, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = GREENVALE;
    tx.body.transfer.payee = bob->key;
    tx.body.transfer.amount = 100;
    json_t *result = NULL;
    double start = now_ms();
    long http = harness_submit(node, &tx, alice, &result);
    double took = now_ms() - start;
    const char *status = harness_json_string(result, "status");
    bool ok = http == 200 && status && strcmp(status, "committed") == 0;
    printf("    a payment between members %s: %s in %.0f ms\n", when, ok ? "committed" : "NOT committed", took);
    json_decref(result);
    return ok;
}

/* How many networks the node has: ids are dense from 1, so the count is the last id
 * that answers (found by bisection over GET /v1/networks/{id}). */
static int64_t network_count(const test_node *node) {
    int64_t low = 0, high = (int64_t)TALLY_NETWORKS_MAX + 1; /* low exists (or is 0), high does not */
    while (high - low > 1) {
        int64_t middle = (low + high) / 2;
        char path[64];
        snprintf(path, sizeof path, "/v1/networks/%lld", (long long)middle);
        if (harness_request(node, "GET", path, NULL, 0, NULL) == 200) low = middle;
        else high = middle;
    }
    return low;
}

/* The chain's validator: the producer key tallyd made in its data directory. */
static bool validator_of(const test_node *node, test_actor *validator) {
    char path[400], hex[80] = {0};
    snprintf(path, sizeof path, "%s/data/producer.seed", node->directory);
    FILE *file = fopen(path, "r");
    bool read = file && fgets(hex, sizeof hex, file) != NULL;
    if (file) fclose(file);
    uint8_t seed[32];
    size_t length = 0;
    if (!read || sodium_hex2bin(seed, sizeof seed, hex, strlen(hex), "\n", &length, NULL) != 0 || length != 32)
        return false;
    tally_keypair(&validator->key, validator->secret, seed);
    return true;
}

static bool found_greenvale(const test_node *node, const test_actor *op, const test_actor *alice,
                            const test_actor *bob) {
    tally_tx tx = harness_tx(node, op, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Greenvale");
    text_set(&tx.body.network_create.unit_code, "GVH");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = policy_default();
    tx.body.network_create.policy.default_credit_limit = 1000000;
    json_t *result = NULL;
    bool ok = harness_submit(node, &tx, op, &result) == 200;
    json_decref(result);
    const test_actor *members[] = {alice, bob};
    for (int i = 0; ok && i < 2; i++) {
        tx = harness_tx(node, members[i], TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = GREENVALE;
        ok = harness_submit(node, &tx, members[i], &result) == 200;
        json_decref(result);
    }
    return ok;
}

TEST(hardening_01_one_key_cannot_stall_a_real_node) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    /* the attack of the review sends batches of 4,096 from one key: the bound per
     * sender is raised so that all of them reach the rules */
    const char *const arguments[] = {"--mempool-per-sender", "8192", "--snapshot-every", "4", NULL};
    REQUIRE(harness_start(&node, arguments));
    test_actor op = actor(1), alice = actor(2), bob = actor(3), mallory = actor(666), insider = actor(667);
    test_actor validator;
    REQUIRE(validator_of(&node, &validator));
    REQUIRE(found_greenvale(&node, &op, &alice, &bob));
    tally_tx *txs = calloc(BATCH, sizeof *txs);
    REQUIRE(txs != NULL);

    /* 1. An open chain: one fresh key founds its three networks of the day, no more.
     * The first batch reaches the block (nothing is counted before it commits): 3
     * are accepted, the 4th is refused DAILY_LIMIT and those after it BAD_SEQUENCE
     * (the refused one left its sequence unused). Every later one is refused at
     * admission, before its signature is checked. */
    uint32_t committed_total = 0, refused_total = 0, sequence_total = 0;
    double start = now_ms();
    for (uint32_t b = 0; b < BATCHES; b++) {
        attack_batch(&node, &mallory, b, txs);
        uint32_t committed, refused, out_of_sequence;
        REQUIRE(post_batch(&node, txs, BATCH, &mallory, "DAILY_LIMIT", &committed, &refused, &out_of_sequence));
        committed_total += committed, refused_total += refused, sequence_total += out_of_sequence;
        if (b == BATCHES / 2) CHECK(payment_commits(&node, &alice, &bob, "during the open-chain flood"));
    }
    printf("    open chain: %u of %u NETWORK_CREATEs committed, %u refused DAILY_LIMIT, %u BAD_SEQUENCE, in %.1f s\n",
           committed_total, BATCHES * BATCH, refused_total, sequence_total, (now_ms() - start) / 1e3);
    CHECK_EQ(committed_total, 3);
    CHECK_EQ(refused_total, (BATCHES - 1) * BATCH + 1);
    CHECK_EQ(sequence_total, BATCH - 4);
    CHECK_EQ(network_count(&node), 1 + 3);

    /* 2. A key a validator approved for every slot fills the table. */
    tally_tx approve = harness_tx(&node, &validator, TALLY_TX_CHAIN_APPROVE);
    approve.body.chain_approve.key = insider.key;
    approve.body.chain_approve.networks = TALLY_APPROVALS_MAX;
    json_t *result = NULL;
    CHECK_EQ(harness_submit(&node, &approve, &validator, &result), 200);
    CHECK(strcmp(harness_json_string(result, "status"), "committed") == 0);
    json_decref(result);
    committed_total = refused_total = 0;
    start = now_ms();
    for (uint32_t b = 0; b < BATCHES; b++) {
        attack_batch(&node, &insider, b + BATCHES, txs);
        uint32_t committed, refused, out_of_sequence;
        REQUIRE(post_batch(&node, txs, BATCH, &insider, "STATE_FULL", &committed, &refused, &out_of_sequence));
        CHECK_EQ(out_of_sequence, 0); /* only the very last ones are refused */
        committed_total += committed, refused_total += refused;
        if (b == BATCHES / 2) CHECK(payment_commits(&node, &alice, &bob, "while the table fills"));
    }
    printf("    approved key: %u NETWORK_CREATEs committed, %u refused STATE_FULL, in %.1f s\n", committed_total,
           refused_total, (now_ms() - start) / 1e3);
    CHECK_EQ(network_count(&node), TALLY_NETWORKS_MAX);
    CHECK_EQ(committed_total, TALLY_NETWORKS_MAX - 4);
    CHECK_EQ(refused_total, BATCHES * BATCH - (TALLY_NETWORKS_MAX - 4));

    /* 3. The table is full: only what would grow it is refused. */
    CHECK(payment_commits(&node, &alice, &bob, "with every network slot taken"));
    test_actor carol = actor(4);
    tally_tx join = harness_tx(&node, &carol, TALLY_TX_MEMBER_JOIN);
    join.body.network_only.network_id = GREENVALE;
    CHECK_EQ(harness_submit(&node, &join, &carol, &result), 200);
    CHECK(strcmp(harness_json_string(result, "status"), "committed") == 0);
    json_decref(result);
    tally_tx asset = harness_tx(&node, &op, TALLY_TX_ASSET_CREATE);
    text_set(&asset.body.asset_create.code, "USD");
    text_set(&asset.body.asset_create.name, "Cooperative dollars");
    CHECK_EQ(harness_submit(&node, &asset, &op, &result), 200);
    CHECK(strcmp(harness_json_string(result, "status"), "committed") == 0);
    json_decref(result);
    tally_tx more = harness_tx(&node, &op, TALLY_TX_NETWORK_CREATE);
    text_set(&more.body.network_create.name, "One more");
    text_set(&more.body.network_create.unit_code, "ONE");
    more.body.network_create.policy = policy_default();
    CHECK_EQ(harness_submit(&node, &more, &op, &result), 422);
    CHECK(strcmp(harness_json_string(result, "error.code"), "STATE_FULL") == 0);
    json_decref(result);

    /* 4. A restart loads a snapshot of the full state (the old code refused it and
     * replayed from the genesis) and carries on. */
    json_t *status = NULL;
    harness_request(&node, "GET", "/v1/status", NULL, 0, &status);
    int64_t height = harness_json_int(status, "height");
    json_decref(status);
    CHECK_EQ(harness_stop(&node), 0);
    char data[300];
    snprintf(data, sizeof data, "%s/data", node.directory);
    tally_blocklog *log = NULL;
    tally_blocklog_options log_options = {.read_only = true};
    tally_chain_failure failure;
    REQUIRE(tally_blocklog_open(data, &log_options, &log, &failure) == TALLY_CHAIN_OK);
    tally_block genesis;
    tally_block_init(&genesis);
    REQUIRE(tally_blocklog_read(log, 0, &genesis, &failure) == TALLY_CHAIN_OK);
    tally_state *empty = NULL;
    tally_chain_tip tip;
    REQUIRE(tally_genesis_open(&genesis, &empty, &tip, &failure) == TALLY_CHAIN_OK);
    tally_state *loaded = NULL;
    uint64_t snapshot_height = 0;
    CHECK_EQ(tally_snapshot_load(data, log, &tip, NULL, NULL, &loaded, &snapshot_height, &failure),
             TALLY_CHAIN_OK);
    REQUIRE(loaded != NULL);
    CHECK_EQ(tally_state_network_count(loaded), TALLY_NETWORKS_MAX);
    printf("    the snapshot of block %llu (of %lld) holds all %u networks and loads\n",
           (unsigned long long)snapshot_height, (long long)height, tally_state_network_count(loaded));
    tally_state_destroy(loaded);
    tally_state_destroy(empty);
    tally_block_release(&genesis);
    tally_blocklog_close(log);
    start = now_ms();
    REQUIRE(harness_start(&node, arguments));
    printf("    restarted in %.1f s\n", (now_ms() - start) / 1e3);
    CHECK(payment_commits(&node, &alice, &bob, "after the restart"));
    CHECK_EQ(network_count(&node), TALLY_NETWORKS_MAX);
    CHECK_EQ(harness_stop(&node), 0);
    tally_verify_summary summary;
    CHECK_EQ(tally_chain_verify(data, NULL, NULL, NULL, NULL, &summary, &failure), TALLY_CHAIN_OK);
    free(txs);
    harness_remove_directory(&node);
}
