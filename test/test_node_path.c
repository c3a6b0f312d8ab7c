/*
 * test_node_path.c: the pieces of the node's path made cheaper for issue 8, each
 * against what it replaced: a batch's statuses written as text directly are the
 * bytes jansson dumps for the same views, and the mempool, which now clears only
 * the slots in use when it rebuilds after a block, still knows exactly what each
 * signer has pending after blocks take part or all of it.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "node/mempool.h"
#include "node/views.h"
#include "test.h"

static bool text_is_jansson(const uint8_t id[TALLY_HASH_BYTES], const tx_status *status) {
    json_t *view = view_tx_status(id, status);
    char *expected = view ? json_dumps(view, JSON_COMPACT) : NULL;
    json_decref(view);
    view_text text = {0};
    view_text_append(&text, "[", 1);
    view_text_append_tx_status(&text, id, status);
    view_text_append(&text, "]", 1);
    bool same = expected && !text.failed && text.length == strlen(expected) + 2 &&
                memcmp(text.bytes + 1, expected, text.length - 2) == 0;
    if (!same) {
        char message[2048];
        snprintf(message, sizeof message, "status text %s, jansson %s", text.bytes ? text.bytes : "(none)",
                 expected ? expected : "(none)");
        test_fail(__FILE__, __LINE__, message);
    }
    free(expected);
    free(text.bytes);
    return same;
}

TEST(node_path_status_text_is_the_bytes_jansson_dumps) {
    uint8_t id[TALLY_HASH_BYTES];
    for (unsigned i = 0; i < TALLY_HASH_BYTES; i++) id[i] = (uint8_t)(i * 37 + 11);
    CHECK(text_is_jansson(id, &(tx_status){.state = TX_PENDING}));
    CHECK(text_is_jansson(id, &(tx_status){.state = TX_COMMITTED, .height = 1}));
    tx_status extreme = {.state = TX_COMMITTED, .height = UINT64_MAX >> 1};
    extreme.result = (tally_result){.created_id = UINT32_MAX, .minted = INT64_MAX, .burned = INT64_MIN,
                                    .fee = -1, .risk_fee = 12345, .reserve = -987654321, .shares = 1,
                                    .to_primary = INT64_MAX - 1, .to_excess = INT64_MIN + 1,
                                    .effective_at = 1767225600};
    CHECK(text_is_jansson(id, &extreme));
    extreme.height = UINT64_MAX; /* past json_int_t: printed as jansson casts it */
    CHECK(text_is_jansson(id, &extreme));
    tx_status refused = {.state = TX_REFUSED};
    refused.result.code = TALLY_ERR_INSUFFICIENT_CREDIT;
    refused.result.available = 250;
    CHECK(text_is_jansson(id, &refused));
    CHECK(text_is_jansson(id, &(tx_status){.state = TX_REFUSED, .node_error = "SENDER_PENDING_FULL"}));
    CHECK(text_is_jansson(id, &(tx_status){.state = TX_UNKNOWN}));
}

TEST(node_path_mempool_rebuild_keeps_exactly_what_stays_pending) {
    mempool pool;
    REQUIRE(mempool_init(&pool, 64));
    enum { SIGNERS = 5, EACH = 6 };
    test_actor signers[SIGNERS];
    for (uint32_t s = 0; s < SIGNERS; s++) signers[s] = actor(20 + s);
    /* Round robin: signer s's k-th transfer pays 10 * (k + 1) in network 1 + s % 2. */
    for (uint32_t k = 0; k < EACH; k++)
        for (uint32_t s = 0; s < SIGNERS; s++) {
            tally_tx tx;
            memset(&tx, 0, sizeof tx);
            tx.type = TALLY_TX_TRANSFER;
            tx.signer = signers[s].key;
            tx.sequence = 1 + k;
            tx.body.transfer.network_id = 1 + s % 2;
            tx.body.transfer.amount = 10 * (k + 1);
            uint8_t id[TALLY_HASH_BYTES] = {(uint8_t)s, (uint8_t)k};
            REQUIRE(mempool_push(&pool, &tx, id));
        }
    CHECK_EQ(pool.pending_used, 2 * SIGNERS);
    mempool_entry taken[SIGNERS * EACH];
    /* A block takes the first two rounds and one more transaction (signer 0's third). */
    CHECK_EQ(mempool_take(&pool, taken, 2 * SIGNERS + 1), 2 * SIGNERS + 1);
    for (uint32_t s = 0; s < SIGNERS; s++) {
        uint32_t gone = s == 0 ? 3 : 2, left = EACH - gone;
        CHECK_EQ(mempool_sender_count(&pool, &signers[s].key), left);
        CHECK_EQ(mempool_next_sequence(&pool, &signers[s].key, 99), EACH + 1);
        int64_t spend = 0;
        for (uint32_t k = gone; k < EACH; k++) spend += 10 * (k + 1);
        CHECK_EQ(mempool_pending_spend(&pool, &signers[s].key, 1 + s % 2), spend);
        CHECK_EQ(mempool_pending_spend(&pool, &signers[s].key, 2 - s % 2), 0);
    }
    CHECK_EQ(pool.pending_used, 2 * SIGNERS);
    /* The next block takes the rest: nothing is pending, the chain's sequence counts. */
    CHECK_EQ(mempool_take(&pool, taken, SIGNERS * EACH), SIGNERS * EACH - 2 * SIGNERS - 1);
    CHECK_EQ(pool.pending_used, 0);
    for (uint32_t s = 0; s < SIGNERS; s++) {
        CHECK_EQ(mempool_sender_count(&pool, &signers[s].key), 0);
        CHECK_EQ(mempool_next_sequence(&pool, &signers[s].key, 99), 99);
        CHECK_EQ(mempool_pending_spend(&pool, &signers[s].key, 1 + s % 2), 0);
    }
    /* And no slot was left behind: every one of the table is free again. */
    uint32_t used = 0;
    for (uint32_t i = 0; i < pool.pending_capacity; i++) used += pool.pending[i].used;
    CHECK_EQ(used, 0);
    mempool_free(&pool);
}

TEST(node_path_mempool_hands_each_transaction_its_prepared_hashes) {
    mempool pool;
    REQUIRE(mempool_init(&pool, 8));
    test_actor payer = actor(30), payee = actor(31);
    tally_tx_prepared prepared[3];
    for (uint32_t k = 0; k < 3; k++) {
        tally_tx tx;
        memset(&tx, 0, sizeof tx);
        tx.type = TALLY_TX_TRANSFER;
        tx.signer = payer.key;
        tx.sequence = 1 + k;
        tx.body.transfer.network_id = 1;
        tx.body.transfer.payee = payee.key;
        tx.body.transfer.amount = 5;
        /* Distinct values, as tally_tx_prepare would make under different secrets. */
        memset(&prepared[k], 0, sizeof prepared[k]);
        prepared[k].secret_tag = 1000 + k;
        prepared[k].signer = payer.key;
        prepared[k].signer_hash = 7 * k + 1;
        uint8_t id[TALLY_HASH_BYTES] = {(uint8_t)k};
        /* The second goes in without: the producer prepares it itself. */
        REQUIRE(k == 1 ? mempool_push(&pool, &tx, id) : mempool_push_prepared(&pool, &tx, id, &prepared[k]));
    }
    mempool_entry taken[3];
    CHECK_EQ(mempool_take(&pool, taken, 3), 3);
    for (uint32_t k = 0; k < 3; k++) {
        CHECK_EQ(taken[k].tx.sequence, 1 + k);
        CHECK(taken[k].has_prepared == (k != 1));
        if (k != 1) CHECK(memcmp(&taken[k].prepared, &prepared[k], sizeof prepared[k]) == 0);
    }
    mempool_free(&pool);
}
