/*
 * test_faults.c: the store under the faults disks have, injected through the
 * file_io hook (store/file_io.h): a failed write, a short write, a failed fsync, a
 * crash in the middle of a write, a crash between the write and its fsync, and a
 * full disk. A block produced under any of them is reported as failed (so a node
 * never acknowledges its transactions), the store refuses every later change until
 * it is reopened, and the reopened directory is at its last durable block (a torn
 * tail cut off) with the state that block commits to, and verifies from the
 * genesis. A snapshot written under any of them loses nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain_fixture.h"
#include "store/file_io.h"
#include "test.h"

/* The scripted history is accepted block by block with a snapshot at this height,
 * so reopening loads a snapshot and replays the blocks after it. */
#define SNAPSHOT_HEIGHT 6u

typedef struct {
    const char *name;
    file_faults faults;
    int os_error; /* what the failure reports */
    bool torn;    /* part of the record stays in the file: reopening cuts it off */
    bool lands;   /* the whole record stays (the process died before the fsync) */
} fault_case;

static const fault_case block_cases[] = {
    {"failed write", {.fail_write = 1}, EIO, false, false},
    {"short write", {.short_write = 1}, ENOSPC, false, false},
    {"failed fsync", {.fail_sync = 1}, EIO, false, false},
    {"crash mid-write", {.crash = true, .crash_after_bytes = 100}, EIO, true, false},
    {"crash between write and fsync", {.crash_at_sync = 1}, EIO, false, true},
    {"full disk", {.disk_full = true, .disk_full_after_bytes = 0}, ENOSPC, false, false},
    {"disk full mid-record", {.disk_full = true, .disk_full_after_bytes = 100}, ENOSPC, false, false},
};

static uint64_t log_length(const char *directory) {
    char path[512];
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    size_t length = 0;
    free(file_bytes(path, &length));
    return length;
}

static bool file_exists(const char *directory, const char *name) {
    char path[512];
    path_join(path, sizeof path, directory, name);
    return access(path, F_OK) == 0;
}

static bool same_hash(const tally_state *state, const uint8_t expected[TALLY_HASH_BYTES]) {
    uint8_t hash[TALLY_HASH_BYTES];
    return tally_state_hash(state, hash) && memcmp(hash, expected, TALLY_HASH_BYTES) == 0;
}

/* A new data directory holding chain's scripted history, accepted through a store
 * (each block verified before it was appended), with a snapshot at SNAPSHOT_HEIGHT. */
static tally_store *store_with_history(const char *directory, const test_chain *chain) {
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
    for (uint32_t height = 1; height <= CHAIN_HISTORY_TIP; height++) {
        chain_block(chain, height, &block);
        if (tally_store_accept(store, &block, &failure) != TALLY_CHAIN_OK)
            test_fail(__FILE__, __LINE__, failure.message);
        if (height == SNAPSHOT_HEIGHT && tally_store_snapshot(store, &failure) != TALLY_CHAIN_OK)
            test_fail(__FILE__, __LINE__, failure.message);
    }
    tally_block_release(&block);
    return store;
}

static tally_store *reopen(const char *directory, notice_log *notices) {
    tally_store_options options = {.notice = notice_collect, .notice_context = notices};
    tally_store *store = NULL;
    tally_chain_failure failure;
    if (tally_store_open(directory, &options, &store, &failure) != TALLY_CHAIN_OK)
        test_fail(__FILE__, __LINE__, failure.message);
    return store;
}

static uint32_t notices_of(const notice_log *notices, tally_chain_error code) {
    uint32_t count = 0;
    for (uint32_t i = 0; i < notices->count && i < 16; i++) count += notices->codes[i] == code;
    return count;
}

/* Verifies the directory from its genesis; returns the blocks verified (0 on failure). */
static uint64_t verified_blocks(const char *directory) {
    tally_verify_summary summary;
    tally_chain_failure failure;
    if (tally_chain_verify(directory, NULL, NULL, NULL, NULL, &summary, &failure) != TALLY_CHAIN_OK) {
        test_fail(__FILE__, __LINE__, failure.message);
        return 0;
    }
    return summary.blocks;
}

/* ------------------------------------------------------------------------ */
/* Blocks.                                                                   */
/* ------------------------------------------------------------------------ */

static void produce_under(const fault_case *c) {
    printf("    block append: %s\n", c->name);
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    tally_store *store = store_with_history(directory, &chain);
    REQUIRE(store != NULL);
    const tally_chain_tip before = *tally_store_tip(store);
    uint8_t durable_hash[TALLY_HASH_BYTES]; /* computed by the fixture, not the store */
    REQUIRE(tally_state_hash(chain.state, durable_hash));
    CHECK(memcmp(durable_hash, before.state_hash, TALLY_HASH_BYTES) == 0);
    const uint64_t durable_length = log_length(directory);

    tally_tx pay[3] = {chain_payment(&chain, BOB, CAROL, 3), chain_payment(&chain, CAROL, BOB, 2),
                       chain_payment(&chain, BOB, CAROL, 1)};
    tally_result results[3];
    tally_block block;
    tally_block_init(&block);
    const int64_t time = before.block_time + 60;
    tally_chain_failure failure;
    file_faults_arm(&c->faults);
    tally_chain_error error =
        tally_store_produce(store, chain.producer.secret, time, pay, 3, results, &block, &failure);
    file_fault_counts counts = file_faults_counts();
    file_faults_disarm();
    CHECK_EQ(error, TALLY_CHAIN_ERR_IO);
    CHECK_EQ(failure.os_error, c->os_error);
    CHECK_EQ(failure.height, before.height + 1);
    CHECK_EQ(counts.crashed, c->torn || c->lands);
    /* not acknowledged: the tip did not move */
    CHECK(memcmp(tally_store_tip(store), &before, sizeof before) == 0);
    uint8_t built_hash[TALLY_HASH_BYTES], built_state_hash[TALLY_HASH_BYTES];
    tally_block_hash(&block.header, built_hash);
    memcpy(built_state_hash, block.header.state_hash, TALLY_HASH_BYTES);
    const uint64_t record = TALLY_LOG_RECORD_OVERHEAD + tally_block_encoded_size(&block);

    /* nothing more until reopened */
    CHECK_EQ(tally_store_produce(store, chain.producer.secret, time, pay, 3, results, &block, NULL),
             TALLY_CHAIN_ERR_LOG_FAILED);
    CHECK_EQ(tally_store_produce(store, chain.producer.secret, time, NULL, 0, NULL, &block, NULL),
             TALLY_CHAIN_ERR_LOG_FAILED);
    CHECK_EQ(tally_store_snapshot(store, NULL), TALLY_CHAIN_ERR_LOG_FAILED);
    chain_block(&chain, CHAIN_HISTORY_TIP, &block);
    CHECK_EQ(tally_store_accept(store, &block, NULL), TALLY_CHAIN_ERR_LOG_FAILED);
    tally_store_close(store);

    /* what is on disk: cut back by the store itself, or left by the "dead" process */
    uint64_t length = log_length(directory);
    if (c->torn) CHECK(length > durable_length && length < durable_length + record);
    else if (c->lands) CHECK_EQ(length, durable_length + record);
    else CHECK_EQ(length, durable_length);

    notice_log notices = {0};
    store = reopen(directory, &notices);
    REQUIRE(store != NULL);
    CHECK_EQ(notices_of(&notices, TALLY_CHAIN_ERR_LOG_TAIL_CUT), c->torn ? 1 : 0);
    CHECK_EQ(notices_of(&notices, TALLY_CHAIN_ERR_SNAPSHOT_BAD), 0);
    const tally_chain_tip *tip = tally_store_tip(store);
    if (c->lands) {
        /* the block reached the file whole: it is there, though never acknowledged */
        CHECK_EQ(tip->height, before.height + 1);
        CHECK(memcmp(tip->hash, built_hash, TALLY_HASH_BYTES) == 0);
        CHECK(same_hash(tally_store_state(store), built_state_hash));
    } else {
        CHECK(memcmp(tip, &before, sizeof before) == 0);
        CHECK(same_hash(tally_store_state(store), durable_hash));
    }
    CHECK_EQ(log_length(directory), c->lands ? durable_length + record : durable_length);
    CHECK_EQ(verified_blocks(directory), tip->height + 1);

    /* and it goes on: the payments, never acknowledged, are submitted again */
    error = tally_store_produce(store, chain.producer.secret, time + 1, pay, 3, results, &block, &failure);
    CHECK_EQ(error, TALLY_CHAIN_OK);
    for (int i = 0; i < 3; i++) CHECK_CODE(results[i].code, c->lands ? TALLY_ERR_BAD_SEQUENCE : TALLY_OK);
    CHECK_EQ(tally_store_snapshot(store, NULL), TALLY_CHAIN_OK);
    uint64_t height = tally_store_tip(store)->height;
    CHECK_EQ(height, before.height + (c->lands ? 2 : 1));
    tally_store_close(store);
    CHECK_EQ(verified_blocks(directory), height + 1);
    tally_block_release(&block);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(faults_block_append_failed_write) { produce_under(&block_cases[0]); }
TEST(faults_block_append_short_write) { produce_under(&block_cases[1]); }
TEST(faults_block_append_failed_fsync) { produce_under(&block_cases[2]); }
TEST(faults_block_append_crash_mid_write) { produce_under(&block_cases[3]); }
TEST(faults_block_append_crash_between_write_and_fsync) { produce_under(&block_cases[4]); }
TEST(faults_block_append_full_disk) {
    produce_under(&block_cases[5]);
    produce_under(&block_cases[6]);
}

TEST(faults_block_append_crash_at_bytes_across_the_record_reopens_at_a_durable_block) {
    /* The process dies after k bytes of the block's record, for k across the whole
     * record: the reopened store is at the last block whose record landed whole. */
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    tally_store *store = store_with_history(directory, &chain);
    REQUIRE(store != NULL);
    const tally_chain_tip before = *tally_store_tip(store);
    tally_store_close(store);
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    size_t base_length = 0;
    uint8_t *base = file_bytes(path, &base_length);
    REQUIRE(base != NULL);
    tally_tx pay[2] = {chain_payment(&chain, BOB, CAROL, 5), chain_payment(&chain, CAROL, BOB, 4)};
    tally_block block;
    tally_block_init(&block);
    uint64_t record = 0, crash_at = 0, tested = 0;
    /* The record's size is known after the first try; the stride lands on the
     * prefix, the header, the transactions, the checksum and the very end. */
    for (bool last = false; !last; crash_at += crash_at < 64 ? 7 : 211) {
        if (record > 0 && crash_at >= record) crash_at = record, last = true;
        REQUIRE(file_put(path, base, base_length));
        notice_log notices = {0};
        store = reopen(directory, &notices);
        REQUIRE(store != NULL);
        file_faults faults = {.crash = true, .crash_after_bytes = crash_at};
        file_faults_arm(&faults);
        CHECK_EQ(tally_store_produce(store, chain.producer.secret, before.block_time + 1, pay, 2, NULL, &block,
                                     NULL),
                 TALLY_CHAIN_ERR_IO);
        file_faults_disarm();
        record = TALLY_LOG_RECORD_OVERHEAD + tally_block_encoded_size(&block);
        tally_store_close(store);
        notices = (notice_log){0};
        store = reopen(directory, &notices);
        REQUIRE(store != NULL);
        bool whole = crash_at == record;
        CHECK_EQ(tally_store_tip(store)->height, before.height + (whole ? 1 : 0));
        CHECK(same_hash(tally_store_state(store), whole ? block.header.state_hash : before.state_hash));
        CHECK_EQ(notices_of(&notices, TALLY_CHAIN_ERR_LOG_TAIL_CUT), crash_at > 0 && !whole ? 1 : 0);
        tally_store_close(store);
        CHECK_EQ(verified_blocks(directory), before.height + (whole ? 2 : 1));
        tested++;
    }
    printf("    crashed at %llu points of a %llu-byte record\n", (unsigned long long)tested,
           (unsigned long long)record);
    tally_block_release(&block);
    free(base);
    temp_dir_remove(directory);
    chain_free(&chain);
}

/* ------------------------------------------------------------------------ */
/* Snapshots.                                                                */
/* ------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    file_faults faults;
    int os_error;
    bool crash;          /* the process is dead afterwards: reopen instead of going on */
    bool file_stays;     /* the renamed snapshot is complete though its directory fsync failed */
} snapshot_case;

static const snapshot_case snapshot_cases[] = {
    {"failed write", {.fail_write = 1}, EIO, false, false},
    {"short write", {.short_write = 1}, ENOSPC, false, false},
    {"failed fsync", {.fail_sync = 1}, EIO, false, false},
    {"failed rename", {.fail_rename = 1}, EIO, false, false},
    {"failed fsync of the directory", {.fail_sync = 2}, EIO, false, true},
    {"full disk", {.disk_full = true, .disk_full_after_bytes = 100}, ENOSPC, false, false},
    {"crash mid-write", {.crash = true, .crash_after_bytes = 64}, EIO, true, false},
    {"crash between write and fsync", {.crash_at_sync = 1}, EIO, true, false},
};

TEST(faults_snapshot_write_failures_lose_nothing) {
    for (size_t c = 0; c < sizeof snapshot_cases / sizeof snapshot_cases[0]; c++) {
        const snapshot_case *sc = &snapshot_cases[c];
        printf("    snapshot: %s\n", sc->name);
        test_chain chain;
        chain_history(&chain);
        char directory[TEMP_DIR_BYTES];
        temp_dir_make(directory);
        tally_store *store = store_with_history(directory, &chain);
        REQUIRE(store != NULL);
        tally_chain_failure failure;
        file_faults_arm(&sc->faults);
        CHECK_EQ(tally_store_snapshot(store, &failure), TALLY_CHAIN_ERR_IO);
        file_faults_disarm();
        CHECK_EQ(failure.os_error, sc->os_error);
        CHECK_EQ(failure.height, CHAIN_HISTORY_TIP);
        CHECK_EQ(file_exists(directory, "snapshot-10.bin"), sc->file_stays);
        CHECK(file_exists(directory, "snapshot-6.bin")); /* the older one is untouched */
        /* a dead process left its temporary file; a living store removed it */
        CHECK_EQ(file_exists(directory, "snapshot-10.bin.tmp"), sc->crash);
        if (sc->crash) {
            tally_store_close(store);
            store = reopen(directory, &(notice_log){0});
            REQUIRE(store != NULL);
        }
        /* the store goes on: a block, then a snapshot that works */
        tally_tx pay = chain_payment(&chain, BOB, CAROL, 7);
        tally_result result;
        tally_block block;
        tally_block_init(&block);
        CHECK_EQ(tally_store_produce(store, chain.producer.secret, chain.tip.block_time + 1, &pay, 1, &result,
                                     &block, &failure),
                 TALLY_CHAIN_OK);
        CHECK_CODE(result.code, TALLY_OK);
        tally_block_release(&block);
        const tally_chain_tip tip = *tally_store_tip(store);
        uint8_t state_hash[TALLY_HASH_BYTES];
        CHECK(tally_state_hash(tally_store_state(store), state_hash));
        tally_store_close(store);
        notice_log notices = {0};
        store = reopen(directory, &notices);
        REQUIRE(store != NULL);
        CHECK(memcmp(tally_store_tip(store), &tip, sizeof tip) == 0);
        CHECK(same_hash(tally_store_state(store), state_hash));
        CHECK_EQ(notices.count, 0);
        CHECK_EQ(tally_store_snapshot(store, NULL), TALLY_CHAIN_OK);
        CHECK(!file_exists(directory, "snapshot-10.bin.tmp")); /* pruned */
        tally_store_close(store);
        CHECK_EQ(verified_blocks(directory), CHAIN_HISTORY_TIP + 2);
        temp_dir_remove(directory);
        chain_free(&chain);
    }
}

/* ------------------------------------------------------------------------ */
/* The hook itself.                                                          */
/* ------------------------------------------------------------------------ */

TEST(faults_hook_full_disk_and_crash_before_fsync) {
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    path_join(path, sizeof path, directory, "file");
    int fd = file_open(path, O_RDWR | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    /* a disk with 6 bytes free: the write that crosses stores what fits, later
     * writes store nothing; fsync and truncate still work, and free nothing */
    file_faults faults = {.disk_full = true, .disk_full_after_bytes = 6};
    file_faults_arm(&faults);
    CHECK(file_write_at(fd, "abcd", 4, 0));
    errno = 0;
    CHECK(!file_write_at(fd, "efgh", 4, 4));
    CHECK_EQ(errno, ENOSPC);
    CHECK(!file_write_at(fd, "ij", 2, 6));
    CHECK_EQ(errno, ENOSPC);
    CHECK(file_sync(fd));
    CHECK(file_truncate(fd, 2));
    CHECK(!file_write_at(fd, "k", 1, 2));
    CHECK_EQ(file_faults_counts().bytes_written, 6);
    CHECK(!file_faults_counts().crashed);
    file_faults_disarm();
    uint64_t size = 0;
    CHECK(file_stat_size(fd, &size) && size == 2);

    /* dying before the second fsync: everything written before it is in the file */
    faults = (file_faults){.crash_at_sync = 2};
    file_faults_arm(&faults);
    CHECK(file_write_at(fd, "0123", 4, 0));
    CHECK(file_sync(fd));
    CHECK(file_write_at(fd, "4567", 4, 4));
    CHECK(!file_sync(fd));
    CHECK(file_faults_counts().crashed);
    CHECK(!file_write_at(fd, "8", 1, 8));
    CHECK(!file_truncate(fd, 0));
    file_faults_disarm();
    uint8_t back[16];
    size_t got = 0;
    CHECK(file_read_at(fd, back, sizeof back, 0, &got) && got == 8);
    CHECK(memcmp(back, "01234567", 8) == 0);
    CHECK(file_close(fd));
    temp_dir_remove(directory);
}

/* file_write_whole: the bytes, a rewrite that shortens the file, and each
 * failure (write, file fsync, directory fsync) reported as false. */
TEST(faults_file_write_whole_writes_syncs_and_reports_each_failure) {
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    path_join(path, sizeof path, directory, "evidence.txt");
    file_faults faults = {0};
    file_faults_arm(&faults);
    CHECK(file_write_whole(path, "0123456789", 10, 0600));
    CHECK_EQ(file_faults_counts().syncs, 2); /* the file, then its directory */
    file_faults_disarm();
    CHECK(file_write_whole(path, "abc", 3, 0600)); /* emptied first, not overwritten in place */
    size_t length = 0;
    uint8_t *bytes = NULL;
    REQUIRE(file_read_whole(path, &bytes, &length, 64));
    CHECK_EQ(length, 3);
    CHECK(memcmp(bytes, "abc", 3) == 0);
    free(bytes);
    struct stat info;
    CHECK(stat(path, &info) == 0 && (info.st_mode & 0777) == 0600);

    const file_faults failing[] = {{.fail_write = 1}, {.fail_sync = 1}, {.fail_sync = 2}};
    for (size_t i = 0; i < sizeof failing / sizeof failing[0]; i++) {
        faults = failing[i];
        file_faults_arm(&faults);
        errno = 0;
        CHECK(!file_write_whole(path, "xyz", 3, 0600));
        CHECK_EQ(errno, EIO);
        file_faults_disarm();
    }
    CHECK(!file_write_whole("/nonexistent-directory/x", "x", 1, 0600));
    CHECK_EQ(errno, ENOENT);
    temp_dir_remove(directory);
}

/* A node's probe for room after a full disk (tally_store_probe_space, issue 17):
 * ENOSPC while the disk is full, OK once file_faults_free_space says space
 * returned, and the scratch file is gone either way; the log is untouched. */
TEST(faults_store_probe_space_finds_room_only_when_there_is_some) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES], path[512], probe[512];
    temp_dir_make(directory);
    tally_store *store = store_with_history(directory, &chain);
    REQUIRE(store != NULL);
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    path_join(probe, sizeof probe, directory, "space-probe");
    size_t before_length = 0, after_length = 0;
    uint8_t *before = file_bytes(path, &before_length);
    REQUIRE(before != NULL);
    tally_chain_failure failure;
    CHECK_EQ(tally_store_probe_space(store, 3u << 20, &failure), TALLY_CHAIN_OK);
    CHECK(access(probe, F_OK) != 0);
    file_faults faults = {.disk_full = true, .disk_full_after_bytes = 100000};
    file_faults_arm(&faults);
    CHECK_EQ(tally_store_probe_space(store, 1u << 20, &failure), TALLY_CHAIN_ERR_IO);
    CHECK_EQ(failure.os_error, ENOSPC);
    CHECK(access(probe, F_OK) != 0);
    /* still full: nothing a truncate or an unlink gives back counts */
    CHECK_EQ(tally_store_probe_space(store, 1, &failure), TALLY_CHAIN_ERR_IO);
    file_faults_free_space();
    CHECK_EQ(tally_store_probe_space(store, 1u << 20, &failure), TALLY_CHAIN_OK);
    CHECK(access(probe, F_OK) != 0);
    file_faults_disarm();
    uint8_t *after = file_bytes(path, &after_length);
    CHECK(after != NULL && after_length == before_length && memcmp(after, before, before_length) == 0);
    free(before);
    free(after);
    tally_store_close(store);
    chain_free(&chain);
    temp_dir_remove(directory);
}
