/*
 * test_parallel_replay.c: tally_chain_replay, which checks the signatures of the
 * blocks ahead on a pool of threads and applies blocks in order, against applying
 * one block at a time with tally_block_apply: the same state and tip after a chain
 * longer than its ring of blocks read ahead, with pools of one and three threads
 * and with its own; the same first failure (code, height, transaction, message)
 * when a transaction's signature is forged and later blocks are damaged too; a
 * source that fails is reported only after every block before it applied; and
 * tally_store_accept with a pool refuses a forged signature as without one.
 */
#include <stdlib.h>
#include <string.h>

#include "chain_fixture.h"
#include "test.h"

/* The scripted history, then PAYMENT_BLOCKS blocks of PAYMENTS_PER_BLOCK payments
 * between bob and carol (10 each, a fee of 1: their lines hold them): more blocks
 * than a replay reads ahead at once. */
enum { PAYMENT_BLOCKS = 80, PAYMENTS_PER_BLOCK = 4 };

static void long_chain(test_chain *chain) {
    chain_history(chain);
    tally_tx payments[PAYMENTS_PER_BLOCK];
    for (uint32_t b = 0; b < PAYMENT_BLOCKS; b++) {
        for (uint32_t i = 0; i < PAYMENTS_PER_BLOCK; i++)
            payments[i] = i % 2 ? chain_payment(chain, BOB, CAROL, 10) : chain_payment(chain, CAROL, BOB, 10);
        uint32_t before = chain->transactions;
        CHECK_EQ(chain_add_block(chain, chain->tip.block_time + 1, payments, PAYMENTS_PER_BLOCK, NULL), TALLY_CHAIN_OK);
        CHECK_EQ(chain->transactions - before, PAYMENTS_PER_BLOCK);
    }
}

/* Blocks from a test_chain's encodings, one of them replaced, failing at one height. */
typedef struct {
    const test_chain *chain;
    uint32_t forged_height; /* 0: none */
    const uint8_t *forged;
    size_t forged_length;
    uint64_t fail_at; /* UINT64_MAX: never */
    uint64_t reads;
} memory_source;

static tally_chain_error read_memory(void *context, uint64_t height, tally_block *block,
                                     tally_chain_failure *failure) {
    memory_source *source = context;
    source->reads++;
    if (height == source->fail_at) {
        memset(failure, 0, sizeof *failure);
        failure->code = TALLY_CHAIN_ERR_IO;
        failure->height = height;
        failure->tx_index = TALLY_NO_TX;
        failure->offset = TALLY_NO_OFFSET;
        snprintf(failure->message, sizeof failure->message, "block %llu: the disk went away",
                 (unsigned long long)height);
        return TALLY_CHAIN_ERR_IO;
    }
    bool forged = source->forged_height != 0 && height == source->forged_height;
    return tally_block_decode(forged ? source->forged : source->chain->encoded[height],
                              forged ? source->forged_length : source->chain->lengths[height], block, failure);
}

typedef struct {
    uint32_t calls;
    uint64_t last, total;
} progress_log;

static void progress_collect(void *context, uint64_t height, uint64_t total) {
    progress_log *log = context;
    log->calls++;
    log->last = height;
    log->total = total;
}

/* Opens the chain's genesis: a state and tip to replay onto. */
static tally_state *genesis_state(const test_chain *chain, tally_chain_tip *tip) {
    tally_block genesis;
    tally_block_init(&genesis);
    chain_block(chain, 0, &genesis);
    tally_state *state = NULL;
    CHECK_EQ(tally_genesis_open(&genesis, &state, tip, NULL), TALLY_CHAIN_OK);
    tally_block_release(&genesis);
    return state;
}

/* Applies blocks 1 .. end - 1 one at a time, as before the pool; stops at the
 * first failure, which it returns (with *failure) like tally_chain_replay. */
static tally_chain_error apply_one_at_a_time(memory_source *source, uint64_t end, tally_state *state,
                                             tally_chain_tip *tip, uint64_t *transactions,
                                             tally_chain_failure *failure) {
    tally_block block;
    tally_block_init(&block);
    tally_chain_error error = TALLY_CHAIN_OK;
    for (uint64_t height = tip->height + 1; height < end && error == TALLY_CHAIN_OK; height++) {
        error = read_memory(source, height, &block, failure);
        if (error == TALLY_CHAIN_OK) error = tally_block_apply(state, tip, &block, failure);
        if (error == TALLY_CHAIN_OK) *transactions += block.header.tx_count;
    }
    tally_block_release(&block);
    return error;
}

static bool same_state(const tally_state *a, const tally_state *b) {
    uint8_t hash_a[TALLY_HASH_BYTES], hash_b[TALLY_HASH_BYTES];
    return tally_state_hash(a, hash_a) && tally_state_hash(b, hash_b) && memcmp(hash_a, hash_b, sizeof hash_a) == 0;
}

TEST(parallel_replay_gives_the_state_and_tip_of_applying_one_block_at_a_time) {
    test_chain chain;
    long_chain(&chain);
    REQUIRE(chain.count > 64); /* more blocks than the ring reads ahead */
    memory_source source = {.chain = &chain, .fail_at = UINT64_MAX};
    tally_chain_tip one_tip;
    tally_state *one = genesis_state(&chain, &one_tip);
    REQUIRE(one != NULL);
    uint64_t one_transactions = 0;
    tally_chain_failure failure;
    CHECK_EQ(apply_one_at_a_time(&source, chain.count, one, &one_tip, &one_transactions, &failure), TALLY_CHAIN_OK);
    CHECK_EQ(one_transactions, chain.transactions);

    const uint32_t thread_counts[] = {0, 1, 3}; /* 0: the replay starts its own pool */
    for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
        tally_signature_pool *pool = thread_counts[t] ? tally_signature_pool_start(thread_counts[t]) : NULL;
        if (thread_counts[t]) CHECK_EQ(tally_signature_pool_threads(pool), thread_counts[t]);
        tally_chain_tip tip;
        tally_state *state = genesis_state(&chain, &tip);
        REQUIRE(state != NULL);
        progress_log progress = {0};
        uint64_t transactions = 0;
        source.reads = 0;
        CHECK_EQ(tally_chain_replay(state, &tip, chain.count, read_memory, &source, pool, progress_collect, &progress,
                                    &transactions, &failure),
                 TALLY_CHAIN_OK);
        CHECK_EQ(source.reads, chain.count - 1); /* each block read once */
        CHECK_EQ(transactions, chain.transactions);
        CHECK_EQ(tip.height, chain.count - 1);
        CHECK(memcmp(tip.hash, one_tip.hash, TALLY_HASH_BYTES) == 0);
        CHECK(same_state(state, one));
        CHECK_EQ(progress.calls, chain.count - 1);
        CHECK_EQ(progress.last, chain.count - 1);
        CHECK_EQ(progress.total, chain.count);
        tally_state_destroy(state);
        tally_signature_pool_stop(pool);
    }
    tally_state_destroy(one);
    chain_free(&chain);
}

/* Block `height` with the signature of transaction `index` forged and the block
 * resealed by the producer (its roots and signature match the forged bytes). */
static uint8_t *forge_tx_signature(const test_chain *chain, uint32_t height, uint32_t index, size_t *length) {
    tally_block block;
    tally_block_init(&block);
    chain_block(chain, height, &block);
    CHECK(index < block.header.tx_count);
    block.txs[index].signature[5] ^= 0x40;
    block_reseal(&block, chain->producer.secret);
    uint8_t *bytes = block_bytes(&block, length);
    tally_block_release(&block);
    return bytes;
}

enum { FORGED_HEIGHT = 20, FORGED_INDEX = 2 };

TEST(parallel_replay_reports_the_first_bad_signature_with_its_height_and_index) {
    test_chain chain;
    long_chain(&chain);
    size_t length = 0;
    uint8_t *forged = forge_tx_signature(&chain, FORGED_HEIGHT, FORGED_INDEX, &length);
    /* Later blocks are damaged too (a forged producer signature at 30, a failing
     * read at 40): read ahead, never reported. */
    tally_block later;
    tally_block_init(&later);
    chain_block(&chain, 30, &later);
    later.header.signature[0] ^= 1;
    size_t later_length = 0;
    uint8_t *later_bytes = block_bytes(&later, &later_length);
    uint8_t *saved = chain.encoded[30];
    size_t saved_length = chain.lengths[30];
    chain.encoded[30] = later_bytes, chain.lengths[30] = later_length;
    memory_source source = {.chain = &chain, .forged_height = FORGED_HEIGHT, .forged = forged,
                            .forged_length = length, .fail_at = 40};

    tally_chain_tip one_tip;
    tally_state *one = genesis_state(&chain, &one_tip);
    uint64_t one_transactions = 0;
    tally_chain_failure expected;
    CHECK_EQ(apply_one_at_a_time(&source, chain.count, one, &one_tip, &one_transactions, &expected),
             TALLY_CHAIN_ERR_BAD_TX_SIGNATURE);

    tally_signature_pool *pool = tally_signature_pool_start(2);
    tally_chain_tip tip;
    tally_state *state = genesis_state(&chain, &tip);
    uint64_t transactions = 0;
    tally_chain_failure failure;
    source.reads = 0;
    CHECK_EQ(tally_chain_replay(state, &tip, chain.count, read_memory, &source, pool, NULL, NULL, &transactions,
                                &failure),
             TALLY_CHAIN_ERR_BAD_TX_SIGNATURE);
    CHECK(source.reads > FORGED_HEIGHT); /* it did read ahead of the forgery */
    CHECK_EQ(failure.code, TALLY_CHAIN_ERR_BAD_TX_SIGNATURE);
    CHECK_EQ(failure.height, FORGED_HEIGHT);
    CHECK_EQ(failure.tx_index, FORGED_INDEX);
    CHECK_CODE(failure.tx_code, TALLY_ERR_BAD_SIGNATURE);
    CHECK(strcmp(failure.message, expected.message) == 0);
    CHECK(strncmp(failure.message, "block 20: transaction 2: ", 25) == 0);
    CHECK_EQ(expected.height, FORGED_HEIGHT);
    CHECK_EQ(expected.tx_index, FORGED_INDEX);
    CHECK_EQ(tip.height, FORGED_HEIGHT - 1);
    CHECK(memcmp(tip.hash, one_tip.hash, TALLY_HASH_BYTES) == 0);
    CHECK_EQ(transactions, one_transactions);

    tally_state_destroy(state);
    tally_state_destroy(one);
    tally_signature_pool_stop(pool);
    chain.encoded[30] = saved, chain.lengths[30] = saved_length;
    free(later_bytes);
    tally_block_release(&later);
    free(forged);
    chain_free(&chain);
}

TEST(parallel_replay_reports_a_failing_source_only_after_every_block_before_it) {
    test_chain chain;
    long_chain(&chain);
    enum { FAIL_AT = 40 };
    memory_source source = {.chain = &chain, .fail_at = FAIL_AT};
    tally_chain_tip one_tip;
    tally_state *one = genesis_state(&chain, &one_tip);
    uint64_t one_transactions = 0;
    tally_chain_failure failure;
    CHECK_EQ(apply_one_at_a_time(&source, chain.count, one, &one_tip, &one_transactions, &failure),
             TALLY_CHAIN_ERR_IO);

    tally_chain_tip tip;
    tally_state *state = genesis_state(&chain, &tip);
    uint64_t transactions = 0;
    progress_log progress = {0};
    CHECK_EQ(tally_chain_replay(state, &tip, chain.count, read_memory, &source, NULL, progress_collect, &progress,
                                &transactions, &failure),
             TALLY_CHAIN_ERR_IO);
    CHECK_EQ(failure.height, FAIL_AT);
    CHECK(strcmp(failure.message, "block 40: the disk went away") == 0);
    CHECK_EQ(tip.height, FAIL_AT - 1);
    CHECK_EQ(progress.last, FAIL_AT - 1);
    CHECK_EQ(transactions, one_transactions);
    CHECK(same_state(state, one));
    tally_state_destroy(state);
    tally_state_destroy(one);
    chain_free(&chain);
}

TEST(parallel_replay_store_accept_with_a_pool_refuses_a_forged_signature_as_without) {
    test_chain chain;
    long_chain(&chain);
    size_t length = 0;
    uint8_t *forged_bytes = forge_tx_signature(&chain, FORGED_HEIGHT, FORGED_INDEX, &length);
    tally_block forged;
    tally_block_init(&forged);
    CHECK_EQ(tally_block_decode(forged_bytes, length, &forged, NULL), TALLY_CHAIN_OK);
    tally_signature_pool *pool = tally_signature_pool_start(2);
    tally_chain_failure failures[2];
    for (int with_pool = 0; with_pool < 2; with_pool++) {
        char directory[TEMP_DIR_BYTES];
        temp_dir_make(directory);
        tally_store_options options = {.signatures = with_pool ? pool : NULL};
        tally_block block;
        tally_block_init(&block);
        chain_block(&chain, 0, &block);
        tally_store *store = NULL;
        tally_chain_failure failure;
        REQUIRE(tally_store_create(directory, &block, &options, &store, &failure) == TALLY_CHAIN_OK);
        for (uint32_t h = 1; h < FORGED_HEIGHT; h++) {
            chain_block(&chain, h, &block);
            CHECK_EQ(tally_store_accept(store, &block, &failure), TALLY_CHAIN_OK);
        }
        CHECK_EQ(tally_store_accept(store, &forged, &failures[with_pool]), TALLY_CHAIN_ERR_BAD_TX_SIGNATURE);
        CHECK_EQ(failures[with_pool].height, FORGED_HEIGHT);
        CHECK_EQ(failures[with_pool].tx_index, FORGED_INDEX);
        /* a store whose verification failed refuses the rest until reopened */
        chain_block(&chain, FORGED_HEIGHT, &block);
        CHECK_EQ(tally_store_accept(store, &block, &failure), TALLY_CHAIN_ERR_LOG_FAILED);
        tally_store_close(store);
        /* reopened with the pool, it replays to block 19 */
        CHECK_EQ(tally_store_open(directory, &options, &store, &failure), TALLY_CHAIN_OK);
        CHECK_EQ(tally_store_tip(store)->height, FORGED_HEIGHT - 1);
        tally_store_close(store);
        tally_block_release(&block);
        temp_dir_remove(directory);
    }
    CHECK(strcmp(failures[0].message, failures[1].message) == 0);
    tally_signature_pool_stop(pool);
    tally_block_release(&forged);
    free(forged_bytes);
    chain_free(&chain);
}

/* tally_store_accept_known checks exactly the transactions not marked known: the
 * forged one marked known goes through (the caller vouches for those bytes: a
 * validator marks only what it verified itself at admission, same id and same
 * signature), and marking every other one known still refuses the forged one, at
 * its index. With a pool and without. */
TEST(parallel_replay_store_accept_known_checks_only_what_is_not_known) {
    test_chain chain;
    long_chain(&chain);
    size_t length = 0;
    uint8_t *forged_bytes = forge_tx_signature(&chain, FORGED_HEIGHT, FORGED_INDEX, &length);
    tally_block forged;
    tally_block_init(&forged);
    CHECK_EQ(tally_block_decode(forged_bytes, length, &forged, NULL), TALLY_CHAIN_OK);
    uint32_t count = forged.header.tx_count;
    REQUIRE(count > FORGED_INDEX + 1);
    bool *known = calloc(count, sizeof *known);
    REQUIRE(known != NULL);
    tally_signature_pool *pool = tally_signature_pool_start(2);
    for (int with_pool = 0; with_pool < 2; with_pool++) {
        for (int forged_known = 0; forged_known < 2; forged_known++) {
            char directory[TEMP_DIR_BYTES];
            temp_dir_make(directory);
            tally_store_options options = {.signatures = with_pool ? pool : NULL};
            tally_block block;
            tally_block_init(&block);
            chain_block(&chain, 0, &block);
            tally_store *store = NULL;
            tally_chain_failure failure;
            REQUIRE(tally_store_create(directory, &block, &options, &store, &failure) == TALLY_CHAIN_OK);
            for (uint32_t h = 1; h < FORGED_HEIGHT; h++) {
                chain_block(&chain, h, &block);
                CHECK_EQ(tally_store_accept_known(store, &block, NULL, &failure), TALLY_CHAIN_OK);
            }
            for (uint32_t i = 0; i < count; i++) known[i] = forged_known ? i == FORGED_INDEX : i != FORGED_INDEX;
            tally_chain_error error = tally_store_accept_known(store, &forged, known, &failure);
            if (forged_known) {
                CHECK_EQ(error, TALLY_CHAIN_OK);
                CHECK_EQ(tally_store_tip(store)->height, FORGED_HEIGHT);
            } else {
                CHECK_EQ(error, TALLY_CHAIN_ERR_BAD_TX_SIGNATURE);
                CHECK_EQ(failure.height, FORGED_HEIGHT);
                CHECK_EQ(failure.tx_index, FORGED_INDEX);
            }
            tally_store_close(store);
            tally_block_release(&block);
            temp_dir_remove(directory);
        }
    }
    tally_signature_pool_stop(pool);
    free(known);
    tally_block_release(&forged);
    free(forged_bytes);
    chain_free(&chain);
}
