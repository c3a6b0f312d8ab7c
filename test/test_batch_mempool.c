/*
 * test_batch_mempool.c: batch payments in the node's mempool: it keeps its own copy
 * of a batch's lines, counts their amounts as the payer's pending spending, holds at
 * most MEMPOOL_LINES_MAX lines, and hands a block no more than TALLY_BLOCK_LINES_MAX;
 * the pending table it rebuilds after each take forgets exactly what was taken.
 */
#include <stdlib.h>

#include "node/mempool.h"
#include "test.h"

/* A batch of `lines` lines of `amount` from the key made of byte `who`. */
static tally_tx batch_of(uint8_t who, uint64_t sequence, uint16_t lines, int64_t amount) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = TALLY_TX_TRANSFER_BATCH;
    memset(tx.signer.bytes, who, TALLY_KEY_BYTES);
    tx.sequence = sequence;
    tx.body.transfer_batch.network_id = 1;
    if (!tally_tx_batch_reserve(&tx, lines)) abort();
    for (uint16_t i = 0; i < lines; i++) {
        memset(tx.body.transfer_batch.lines[i].payee.bytes, 0x80 + (i % 64), TALLY_KEY_BYTES);
        tx.body.transfer_batch.lines[i].amount = amount;
    }
    return tx;
}

static void id_of(uint32_t n, uint8_t id[TALLY_HASH_BYTES]) {
    memset(id, 0, TALLY_HASH_BYTES);
    memcpy(id, &n, sizeof n);
}

TEST(batch_mempool_keeps_its_own_lines_and_counts_their_spending) {
    mempool pool;
    REQUIRE(mempool_init(&pool, 64));
    tally_tx tx = batch_of(1, 1, 3, 250);
    uint8_t id[TALLY_HASH_BYTES];
    id_of(1, id);
    REQUIRE(mempool_push(&pool, &tx, id));
    CHECK_EQ(mempool_pending_spend(&pool, &tx.signer, 1), 750);
    CHECK_EQ(mempool_next_sequence(&pool, &tx.signer, 1), 2);
    CHECK_EQ(pool.lines, 3);
    /* The caller's lines may go: the mempool holds a copy. */
    tx.body.transfer_batch.lines[0].amount = 999;
    tally_tx_release(&tx);
    mempool_entry taken[4];
    CHECK_EQ(mempool_take(&pool, taken, 4), 1);
    CHECK_EQ(taken[0].tx.body.transfer_batch.line_count, 3);
    CHECK_EQ(taken[0].tx.body.transfer_batch.lines[0].amount, 250);
    /* Taken: the signer has nothing pending any more. */
    tally_key signer;
    memset(signer.bytes, 1, TALLY_KEY_BYTES);
    CHECK_EQ(mempool_pending_spend(&pool, &signer, 1), 0);
    CHECK_EQ(mempool_sender_count(&pool, &signer), 0);
    CHECK_EQ(pool.lines, 0);
    tally_tx_release(&taken[0].tx);
    /* What is left at the end is freed with the mempool (the leak checker sees). */
    tx = batch_of(2, 1, 5, 10);
    REQUIRE(mempool_push(&pool, &tx, id));
    tally_tx_release(&tx);
    mempool_free(&pool);
}

TEST(batch_mempool_holds_bounded_lines_and_a_block_takes_at_most_its_lines) {
    /* MEMPOOL_LINES_MAX / 256 batches of the most lines fill it; one more line does
     * not fit, a transfer still does. */
    enum { FULL = MEMPOOL_LINES_MAX / TALLY_BATCH_LINES_MAX };
    mempool pool;
    REQUIRE(mempool_init(&pool, 2 * FULL));
    uint8_t id[TALLY_HASH_BYTES];
    for (uint32_t i = 0; i < FULL; i++) {
        tally_tx tx = batch_of((uint8_t)(i % 200), 1 + i / 200, TALLY_BATCH_LINES_MAX, 1);
        id_of(i, id);
        CHECK(mempool_push(&pool, &tx, id));
        tally_tx_release(&tx);
    }
    CHECK_EQ(pool.lines, MEMPOOL_LINES_MAX);
    tally_tx one = batch_of(201, 1, 1, 1);
    CHECK(!mempool_lines_fit(&pool, &one));
    CHECK(!mempool_push(&pool, &one, id));
    tally_tx transfer;
    memset(&transfer, 0, sizeof transfer);
    transfer.type = TALLY_TX_TRANSFER;
    memset(transfer.signer.bytes, 202, TALLY_KEY_BYTES);
    transfer.sequence = 1;
    transfer.body.transfer.network_id = 1;
    transfer.body.transfer.amount = 5;
    CHECK(mempool_lines_fit(&pool, &transfer));
    CHECK(mempool_push(&pool, &transfer, id));
    /* A block takes TALLY_BLOCK_LINES_MAX lines at most, however many it may take. */
    mempool_entry *taken = calloc(2 * FULL, sizeof *taken);
    REQUIRE(taken != NULL);
    uint32_t count = mempool_take(&pool, taken, 2 * FULL);
    CHECK_EQ(count, TALLY_BLOCK_LINES_MAX / TALLY_BATCH_LINES_MAX);
    CHECK_EQ(pool.lines, MEMPOOL_LINES_MAX - TALLY_BLOCK_LINES_MAX);
    for (uint32_t i = 0; i < count; i++) tally_tx_release(&taken[i].tx);
    /* Now the batch fits again. */
    CHECK(mempool_push(&pool, &one, id));
    tally_tx_release(&one);
    free(taken);
    mempool_free(&pool);
}

/* A hold is spent as far as its payer's credit goes: it counts in the pending
 * spending as a transfer does. */
TEST(batch_mempool_counts_a_hold_as_pending_spending) {
    mempool pool;
    REQUIRE(mempool_init(&pool, 64));
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = TALLY_TX_PENDING_CREATE;
    memset(tx.signer.bytes, 3, TALLY_KEY_BYTES);
    tx.sequence = 1;
    tx.body.pending_create.network_id = 2;
    tx.body.pending_create.amount = 600;
    CHECK_EQ(mempool_spend_of(&tx), 600);
    uint8_t id[TALLY_HASH_BYTES];
    id_of(7, id);
    REQUIRE(mempool_push(&pool, &tx, id));
    CHECK_EQ(mempool_pending_spend(&pool, &tx.signer, 2), 600);
    CHECK_EQ(mempool_pending_spend(&pool, &tx.signer, 1), 0);
    tx.body.pending_create.amount = -5; /* the core refuses it: nothing is counted */
    CHECK_EQ(mempool_spend_of(&tx), 0);
    mempool_free(&pool);
}
