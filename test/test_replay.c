/*
 * test_replay.c: a data directory as a chain. A store built block by block reopens
 * to the identical state; tally_chain_verify replays from the genesis with progress
 * and a summary, and names the height and reason of every forgery written into the
 * log; snapshots round-trip, a damaged or foreign newest snapshot falls back to the
 * older one or to the genesis, only two are kept; and a store whose append or
 * verification failed refuses to go on until reopened.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain_fixture.h"
#include "store/file_io.h"
#include "test.h"

typedef struct {
    uint32_t calls;
    uint64_t first;
    uint64_t last;
    uint64_t total;
} progress_log;

static void progress_collect(void *context, uint64_t height, uint64_t total) {
    progress_log *log = context;
    if (log->calls == 0) log->first = height;
    log->calls++;
    log->last = height;
    log->total = total;
}

/* A data directory holding the genesis of chain, then blocks 1..last accepted
 * through the store (so each was verified before it was appended). */
static tally_store *store_with_history(const char *directory, const test_chain *chain, uint32_t last) {
    tally_block block;
    tally_block_init(&block);
    chain_block(chain, 0, &block);
    tally_store *store = NULL;
    tally_chain_failure failure;
    if (tally_store_create(directory, &block, NULL, &store, &failure) != TALLY_CHAIN_OK) {
        test_fail(__FILE__, __LINE__, failure.message);
        tally_block_release(&block);
        return NULL;
    }
    for (uint32_t h = 1; h <= last; h++) {
        chain_block(chain, h, &block);
        if (tally_store_accept(store, &block, &failure) != TALLY_CHAIN_OK)
            test_fail(__FILE__, __LINE__, failure.message);
    }
    tally_block_release(&block);
    return store;
}

static void check_same_state(const tally_state *a, const tally_state *b) {
    uint8_t hash_a[32], hash_b[32];
    CHECK(tally_state_hash(a, hash_a));
    CHECK(tally_state_hash(b, hash_b));
    CHECK(memcmp(hash_a, hash_b, 32) == 0);
}

static tally_store *reopen(const char *directory, progress_log *progress, notice_log *notices) {
    tally_store_options options = {false, notice_collect, notices, progress_collect, progress, NULL};
    tally_store *store = NULL;
    tally_chain_failure failure;
    if (tally_store_open(directory, &options, &store, &failure) != TALLY_CHAIN_OK)
        test_fail(__FILE__, __LINE__, failure.message);
    return store;
}

TEST(replay_a_store_reopens_to_the_identical_state) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    tally_store *store = store_with_history(directory, &chain, CHAIN_HISTORY_TIP);
    REQUIRE(store != NULL);
    check_same_state(tally_store_state(store), chain.state);
    CHECK(memcmp(tally_store_tip(store), &chain.tip, sizeof chain.tip) == 0);

    /* the store produces two more blocks itself; the payments are acknowledged
     * only once produce returned */
    tally_tx pay[2] = {chain_payment(&chain, BOB, CAROL, 3), chain_payment(&chain, CAROL, BOB, 2)};
    tally_block block;
    tally_block_init(&block);
    tally_result results[2];
    int64_t time = chain.tip.block_time + 60;
    CHECK_EQ(tally_store_produce(store, chain.producer.secret, time, pay, 2, results, &block, NULL),
             TALLY_CHAIN_OK);
    CHECK(results[0].code == TALLY_OK && results[1].code == TALLY_OK);
    /* refused before the state changed: the store goes on */
    CHECK_EQ(tally_store_produce(store, chain.producer.secret, time - 1, NULL, 0, NULL, &block, NULL),
             TALLY_CHAIN_ERR_TIME_BACKWARDS);
    CHECK_EQ(tally_store_produce(store, actor(7).secret, time, NULL, 0, NULL, &block, NULL),
             TALLY_CHAIN_ERR_WRONG_PRODUCER);
    tally_tx checked = chain_payment(&chain, BOB, CAROL, 4);
    CHECK(tally_tx_verify(&checked));
    CHECK_EQ(tally_store_produce_verified(store, chain.producer.secret, time + 60, &checked, 1, results, &block,
                                          NULL),
             TALLY_CHAIN_OK);
    CHECK_EQ(results[0].code, TALLY_OK);
    CHECK_EQ(tally_store_tip(store)->height, CHAIN_HISTORY_TIP + 2);
    tally_chain_tip tip = *tally_store_tip(store);
    uint8_t state_hash[32];
    CHECK(tally_state_hash(tally_store_state(store), state_hash));
    tally_store_close(store);

    progress_log progress = {0};
    notice_log notices = {0};
    store = reopen(directory, &progress, &notices);
    REQUIRE(store != NULL);
    CHECK(memcmp(tally_store_tip(store), &tip, sizeof tip) == 0);
    uint8_t again[32];
    CHECK(tally_state_hash(tally_store_state(store), again));
    CHECK(memcmp(again, state_hash, 32) == 0);
    CHECK_EQ(progress.calls, CHAIN_HISTORY_TIP + 2); /* every block after the genesis */
    CHECK_EQ(notices.count, 0);
    tally_store_close(store);

    /* a second store over the same genesis refuses: the directory has a log */
    chain_block(&chain, 0, &block);
    tally_chain_failure failure;
    CHECK_EQ(tally_store_create(directory, &block, NULL, &store, &failure), TALLY_CHAIN_ERR_LOG_EXISTS);
    tally_block_release(&block);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(replay_verify_from_genesis_reports_progress_and_summary) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    REQUIRE(chain_write_log(&chain, directory, chain.count));
    progress_log progress = {0};
    tally_verify_summary summary;
    tally_chain_failure failure;
    CHECK_EQ(tally_chain_verify(directory, progress_collect, &progress, NULL, NULL, &summary, &failure),
             TALLY_CHAIN_OK);
    CHECK_EQ(summary.blocks, chain.count);
    CHECK_EQ(summary.transactions, chain.transactions);
    CHECK(summary.elapsed_ns > 0);
    CHECK(memcmp(&summary.tip, &chain.tip, sizeof chain.tip) == 0);
    CHECK_EQ(progress.calls, chain.count);
    CHECK_EQ(progress.first, 0);
    CHECK_EQ(progress.last, CHAIN_HISTORY_TIP);
    CHECK_EQ(progress.total, chain.count);
    /* an empty directory has no chain */
    char empty[TEMP_DIR_BYTES];
    temp_dir_make(empty);
    CHECK_EQ(tally_chain_verify(empty, NULL, NULL, NULL, NULL, &summary, &failure), TALLY_CHAIN_ERR_IO);
    REQUIRE(log_write(empty, NULL, NULL, 0));
    CHECK_EQ(tally_chain_verify(empty, NULL, NULL, NULL, NULL, &summary, &failure), TALLY_CHAIN_ERR_LOG_EMPTY);
    temp_dir_remove(empty);
    temp_dir_remove(directory);
    chain_free(&chain);
}

/* A forgery written into the log at block 8 (one payment; alice's line freezes at
 * its end), the blocks after it intact. */
typedef struct {
    const char *name;
    tally_chain_error code;
} disk_forgery;

static const disk_forgery disk_forgeries[] = {
    {"changed tx byte", TALLY_CHAIN_ERR_BAD_TX_ROOT},
    {"changed tx, resealed", TALLY_CHAIN_ERR_BAD_TX_SIGNATURE},
    {"changed result", TALLY_CHAIN_ERR_BAD_RESULTS_ROOT},
    {"changed result, resealed", TALLY_CHAIN_ERR_RESULT_MISMATCH},
    {"changed state hash", TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE},
    {"changed state hash, resealed", TALLY_CHAIN_ERR_BAD_STATE_HASH},
    {"changed prev hash, resealed", TALLY_CHAIN_ERR_BAD_PREV_HASH},
    {"wrong height, resealed", TALLY_CHAIN_ERR_BAD_HEIGHT},
    {"time going backwards, resealed", TALLY_CHAIN_ERR_TIME_BACKWARDS},
    {"bad producer signature", TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE},
    {"signed by another key", TALLY_CHAIN_ERR_WRONG_PRODUCER},
};
enum { FORGED_HEIGHT = 8, DISK_FORGERIES = sizeof disk_forgeries / sizeof disk_forgeries[0] };

static void forge_on_disk(tally_block *block, size_t which, const test_chain *chain) {
    tally_block_header *header = &block->header;
    bool reseal = true;
    switch (which) {
    case 0: block->txs[0].body.transfer.amount++, reseal = false; break;
    case 1: block->txs[0].body.transfer.amount++; break;
    case 2: block->results[0].fee++, reseal = false; break;
    case 3: block->results[0].fee++; break;
    case 4: header->state_hash[3] ^= 1, reseal = false; break;
    case 5: header->state_hash[3] ^= 1; break;
    case 6: header->prev_hash[0] ^= 1; break;
    case 7: header->height = 50; break;
    case 8: header->block_time = CHAIN_GENESIS_TIME + 1; break;
    case 9: header->signature[0] ^= 1, reseal = false; break;
    default: block_reseal(block, actor(7).secret), reseal = false; break;
    }
    if (reseal) block_reseal(block, chain->producer.secret);
}

TEST(replay_verify_names_the_height_and_reason_of_each_forgery) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    tally_block block;
    tally_block_init(&block);
    for (size_t which = 0; which < DISK_FORGERIES; which++) {
        chain_block(&chain, FORGED_HEIGHT, &block);
        REQUIRE(block.header.tx_count == 1);
        forge_on_disk(&block, which, &chain);
        size_t length = 0;
        uint8_t *forged = block_bytes(&block, &length);
        uint8_t *saved = chain.encoded[FORGED_HEIGHT];
        size_t saved_length = chain.lengths[FORGED_HEIGHT];
        chain.encoded[FORGED_HEIGHT] = forged, chain.lengths[FORGED_HEIGHT] = length;
        REQUIRE(chain_write_log(&chain, directory, chain.count));
        chain.encoded[FORGED_HEIGHT] = saved, chain.lengths[FORGED_HEIGHT] = saved_length;
        free(forged);

        tally_verify_summary summary;
        tally_chain_failure failure;
        tally_chain_error error = tally_chain_verify(directory, NULL, NULL, NULL, NULL, &summary, &failure);
        if (error != disk_forgeries[which].code || failure.height != FORGED_HEIGHT) {
            char what[600];
            snprintf(what, sizeof what, "%s: verify gave %s at %llu (%s)", disk_forgeries[which].name,
                     tally_chain_error_name(error), (unsigned long long)failure.height, failure.message);
            test_fail(__FILE__, __LINE__, what);
        }
        CHECK_EQ(summary.blocks, FORGED_HEIGHT); /* 0..7 verified */
        CHECK(strncmp(failure.message, "block 8: ", 9) == 0);
        tally_store *store = NULL;
        CHECK_EQ(tally_store_open(directory, NULL, &store, &failure), disk_forgeries[which].code);
        CHECK_EQ(failure.height, FORGED_HEIGHT);
        CHECK(store == NULL);
    }
    tally_block_release(&block);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(replay_a_failed_verification_or_append_stops_the_store_until_reopened) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    tally_store *store = store_with_history(directory, &chain, 6);
    REQUIRE(store != NULL);
    tally_block block;
    tally_block_init(&block);
    /* refused by the checks that need no state: the store goes on */
    chain_block(&chain, 8, &block);
    CHECK_EQ(tally_store_accept(store, &block, NULL), TALLY_CHAIN_ERR_BAD_HEIGHT);
    chain_block(&chain, 7, &block);
    block.header.state_hash[0] ^= 1;
    block_reseal(&block, chain.producer.secret);
    /* refused after applying: the state is past the log, so the store stops */
    tally_chain_failure failure;
    CHECK_EQ(tally_store_accept(store, &block, &failure), TALLY_CHAIN_ERR_BAD_STATE_HASH);
    chain_block(&chain, 7, &block);
    CHECK_EQ(tally_store_accept(store, &block, NULL), TALLY_CHAIN_ERR_LOG_FAILED);
    CHECK_EQ(tally_store_snapshot(store, NULL), TALLY_CHAIN_ERR_LOG_FAILED);
    tally_store_close(store);
    store = reopen(directory, &(progress_log){0}, &(notice_log){0});
    REQUIRE(store != NULL);
    CHECK_EQ(tally_store_accept(store, &block, NULL), TALLY_CHAIN_OK);

    /* a failed fsync while producing: not acknowledged, and the store stops */
    tally_chain_tip before = *tally_store_tip(store);
    tally_tx pay = chain_payment(&chain, CAROL, BOB, 1);
    file_faults faults = {.fail_sync = 1};
    file_faults_arm(&faults);
    CHECK_EQ(tally_store_produce(store, chain.producer.secret, before.block_time, &pay, 1, NULL, &block, NULL),
             TALLY_CHAIN_ERR_IO);
    file_faults_disarm();
    CHECK(memcmp(tally_store_tip(store), &before, sizeof before) == 0);
    CHECK_EQ(tally_store_produce(store, chain.producer.secret, before.block_time, &pay, 1, NULL, &block, NULL),
             TALLY_CHAIN_ERR_LOG_FAILED);
    tally_store_close(store);
    store = reopen(directory, &(progress_log){0}, &(notice_log){0});
    REQUIRE(store != NULL);
    CHECK(memcmp(tally_store_tip(store), &before, sizeof before) == 0);
    /* the payment was never acknowledged; submitted again it commits */
    CHECK_EQ(tally_store_produce(store, chain.producer.secret, before.block_time, &pay, 1, NULL, &block, NULL),
             TALLY_CHAIN_OK);
    CHECK_EQ(tally_store_tip(store)->height, before.height + 1);
    tally_store_close(store);
    tally_block_release(&block);
    temp_dir_remove(directory);
    chain_free(&chain);
}

/* ------------------------------------------------------------------------ */
/* Snapshots.                                                                */
/* ------------------------------------------------------------------------ */

static bool snapshot_exists(const char *directory, uint64_t height) {
    char name[64], path[512];
    snprintf(name, sizeof name, "snapshot-%llu.bin", (unsigned long long)height);
    path_join(path, sizeof path, directory, name);
    return access(path, F_OK) == 0;
}

static void damage_snapshot(const char *directory, uint64_t height, size_t position) {
    char name[64], path[512];
    snprintf(name, sizeof name, "snapshot-%llu.bin", (unsigned long long)height);
    path_join(path, sizeof path, directory, name);
    size_t length = 0;
    uint8_t *bytes = file_bytes(path, &length);
    REQUIRE(bytes != NULL && position < length);
    bytes[position] ^= 0x10;
    CHECK(file_put(path, bytes, length));
    free(bytes);
}

/* A store at the chain's tip with snapshots taken at the given heights. */
static void store_with_snapshots(const char *directory, const test_chain *chain, const uint32_t *heights,
                                 uint32_t count) {
    tally_store *store = store_with_history(directory, chain, 0);
    REQUIRE(store != NULL);
    tally_block block;
    tally_block_init(&block);
    uint32_t next = 0;
    for (uint32_t h = 1; h < chain->count; h++) {
        chain_block(chain, h, &block);
        CHECK_EQ(tally_store_accept(store, &block, NULL), TALLY_CHAIN_OK);
        if (next < count && heights[next] == h) {
            CHECK_EQ(tally_store_snapshot(store, NULL), TALLY_CHAIN_OK);
            next++;
        }
    }
    tally_block_release(&block);
    tally_store_close(store);
}

TEST(replay_snapshot_round_trip_replays_only_later_blocks) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    const uint32_t heights[1] = {6};
    store_with_snapshots(directory, &chain, heights, 1);
    CHECK(snapshot_exists(directory, 6));
    progress_log progress = {0};
    notice_log notices = {0};
    tally_store *store = reopen(directory, &progress, &notices);
    REQUIRE(store != NULL);
    check_same_state(tally_store_state(store), chain.state);
    CHECK(memcmp(tally_store_tip(store), &chain.tip, sizeof chain.tip) == 0);
    CHECK_EQ(progress.calls, CHAIN_HISTORY_TIP - 6);
    CHECK_EQ(progress.first, 7);
    CHECK_EQ(notices.count, 0);
    tally_store_close(store);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(replay_a_damaged_newest_snapshot_falls_back_to_the_older_then_to_genesis) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    const uint32_t heights[2] = {4, 8};
    store_with_snapshots(directory, &chain, heights, 2);
    damage_snapshot(directory, 8, 200); /* a byte of the state */
    progress_log progress = {0};
    notice_log notices = {0};
    tally_store *store = reopen(directory, &progress, &notices);
    REQUIRE(store != NULL);
    check_same_state(tally_store_state(store), chain.state);
    CHECK_EQ(progress.first, 5);
    CHECK_EQ(notices.count, 1);
    CHECK_EQ(notices.last.code, TALLY_CHAIN_ERR_SNAPSHOT_BAD);
    CHECK_EQ(notices.last.height, 8);
    CHECK(strstr(notices.last.message, "checksum") != NULL);
    tally_store_close(store);

    damage_snapshot(directory, 4, 5); /* the height inside */
    progress = (progress_log){0};
    notices = (notice_log){0};
    store = reopen(directory, &progress, &notices);
    REQUIRE(store != NULL);
    check_same_state(tally_store_state(store), chain.state);
    CHECK_EQ(progress.first, 1);
    CHECK_EQ(notices.count, 2);
    tally_store_close(store);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(replay_a_snapshot_of_another_block_is_ignored) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    const uint32_t heights[1] = {CHAIN_HISTORY_TIP};
    store_with_snapshots(directory, &chain, heights, 1);
    /* the log loses its last block to a torn write: the snapshot is of a block the
     * log no longer holds */
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    size_t length = 0;
    uint8_t *bytes = file_bytes(path, &length);
    REQUIRE(file_put(path, bytes, length - 3));
    free(bytes);
    progress_log progress = {0};
    notice_log notices = {0};
    tally_store *store = reopen(directory, &progress, &notices);
    REQUIRE(store != NULL);
    CHECK_EQ(tally_store_tip(store)->height, CHAIN_HISTORY_TIP - 1);
    CHECK_EQ(notices.count, 2); /* the tail cut, the snapshot ignored */
    CHECK_EQ(notices.codes[0], TALLY_CHAIN_ERR_LOG_TAIL_CUT);
    CHECK_EQ(notices.codes[1], TALLY_CHAIN_ERR_SNAPSHOT_BAD);
    CHECK(strstr(notices.last.message, "ends before") != NULL);
    CHECK_EQ(progress.first, 1);
    tally_store_close(store);

    /* a snapshot renamed to another height, and one of another chain */
    const uint32_t at_three[1] = {3};
    char other[TEMP_DIR_BYTES];
    temp_dir_make(other);
    store_with_snapshots(other, &chain, at_three, 1);
    char from[512], to[512];
    path_join(from, sizeof from, other, "snapshot-3.bin");
    path_join(to, sizeof to, other, "snapshot-4.bin");
    CHECK(rename(from, to) == 0);
    notices = (notice_log){0};
    store = reopen(other, &(progress_log){0}, &notices);
    CHECK_EQ(notices.count, 1);
    CHECK(strstr(notices.last.message, "height inside") != NULL);
    tally_store_close(store);
    temp_dir_remove(other);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(replay_only_the_two_newest_snapshots_are_kept) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES], stale[512];
    temp_dir_make(directory);
    path_join(stale, sizeof stale, directory, "snapshot-1.bin.tmp"); /* left by a crash */
    REQUIRE(file_put(stale, (const uint8_t *)"half", 4));
    const uint32_t heights[3] = {2, 4, 6};
    store_with_snapshots(directory, &chain, heights, 3);
    CHECK(!snapshot_exists(directory, 2));
    CHECK(snapshot_exists(directory, 4));
    CHECK(snapshot_exists(directory, 6));
    CHECK(access(stale, F_OK) != 0);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(replay_a_failed_snapshot_write_leaves_no_file_and_loses_nothing) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    tally_store *store = store_with_history(directory, &chain, 4);
    REQUIRE(store != NULL);
    const file_faults cases[3] = {{.fail_rename = 1}, {.fail_sync = 1}, {.short_write = 1}};
    for (int c = 0; c < 3; c++) {
        file_faults_arm(&cases[c]);
        tally_chain_failure failure;
        CHECK_EQ(tally_store_snapshot(store, &failure), TALLY_CHAIN_ERR_IO);
        file_faults_disarm();
        CHECK_EQ(failure.height, 4);
        CHECK(!snapshot_exists(directory, 4));
        char temporary[512];
        path_join(temporary, sizeof temporary, directory, "snapshot-4.bin.tmp");
        CHECK(access(temporary, F_OK) != 0);
    }
    /* the store still works and the next snapshot succeeds */
    CHECK_EQ(tally_store_snapshot(store, NULL), TALLY_CHAIN_OK);
    CHECK(snapshot_exists(directory, 4));
    tally_store_close(store);
    temp_dir_remove(directory);
    chain_free(&chain);
}

/* ------------------------------------------------------------------------ */
/* Rate.                                                                     */
/* ------------------------------------------------------------------------ */

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

TEST(replay_verify_rate) {
    /* Payments of 100 back and forth: carol pays 2 in fees a pair, 250 in all,
     * which her line (1000, 254 used) holds. */
    enum { BLOCKS = 10, PAYMENTS = 50 };
    test_chain chain;
    chain_history(&chain);
    tally_tx payments[PAYMENTS];
    for (uint32_t b = 0; b < BLOCKS; b++) {
        for (uint32_t i = 0; i < PAYMENTS; i++)
            payments[i] = i % 2 ? chain_payment(&chain, BOB, CAROL, 100) : chain_payment(&chain, CAROL, BOB, 100);
        uint32_t before = chain.transactions;
        CHECK_EQ(chain_add_block(&chain, chain.tip.block_time + 1, payments, PAYMENTS, NULL), TALLY_CHAIN_OK);
        CHECK_EQ(chain.transactions - before, PAYMENTS);
    }
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    REQUIRE(chain_write_log(&chain, directory, chain.count));
    double started = seconds_now();
    tally_verify_summary summary;
    tally_chain_failure failure;
    CHECK_EQ(tally_chain_verify(directory, NULL, NULL, NULL, NULL, &summary, &failure), TALLY_CHAIN_OK);
    double elapsed = seconds_now() - started;
    CHECK_EQ(summary.transactions, chain.transactions);
    printf("    verified %llu blocks, %llu transactions in %.3f s: %.0f blocks/s, %.0f transactions/s "
           "(sanitizer build)\n",
           (unsigned long long)summary.blocks, (unsigned long long)summary.transactions, elapsed,
           summary.blocks / elapsed, summary.transactions / elapsed);
    temp_dir_remove(directory);
    chain_free(&chain);
}
