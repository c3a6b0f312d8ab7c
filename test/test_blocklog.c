/*
 * test_blocklog.c: blocks.log on disk and the file layer under it. Appends read
 * back byte for byte. The rule between torn and damaged: an incomplete last record
 * (the file cut at every byte of it, a header that promises more than the file
 * holds) or a tail of zeros is cut off at reopen and the rest replays; a complete
 * last record with any bit flipped, other bytes after the last record, and damage
 * before the tail are refused with the byte offset and height, read-only or not,
 * and nothing is cut. The fault hook's failed write, short write, failed fsync and
 * crash at every byte of an append make the append fail and leave a log that
 * reopens at the last durable block.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chain_fixture.h"
#include "store/file_io.h"
#include "test.h"

static tally_blocklog *open_log(const char *directory, bool create, notice_log *notices) {
    tally_blocklog_options options = {false, create, notice_collect, notices};
    tally_blocklog *log = NULL;
    tally_chain_failure failure;
    tally_chain_error error = tally_blocklog_open(directory, &options, &log, &failure);
    if (error != TALLY_CHAIN_OK) test_fail(__FILE__, __LINE__, failure.message);
    return log;
}

static uint64_t file_length(const char *directory) {
    char path[512];
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    size_t length = 0;
    free(file_bytes(path, &length));
    return length;
}

/* Record offsets of a log written from chain: starts[h], and the end. */
static void record_bounds(const test_chain *chain, uint64_t starts[CHAIN_BLOCKS_MAX + 1]) {
    starts[0] = 0;
    for (uint32_t h = 0; h < chain->count; h++)
        starts[h + 1] = starts[h] + TALLY_LOG_RECORD_OVERHEAD + chain->lengths[h];
}

static void append_block(tally_blocklog *log, const test_chain *chain, uint32_t height) {
    tally_block block;
    tally_block_init(&block);
    chain_block(chain, height, &block);
    tally_chain_failure failure;
    if (tally_blocklog_append(log, &block, &failure) != TALLY_CHAIN_OK)
        test_fail(__FILE__, __LINE__, failure.message);
    tally_block_release(&block);
}

TEST(blocklog_append_and_read_back_every_block) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    notice_log notices = {0};
    tally_blocklog *log = open_log(directory, true, &notices);
    REQUIRE(log != NULL);
    CHECK_EQ(tally_blocklog_count(log), 0);
    CHECK(!tally_blocklog_last(log, NULL, NULL));
    for (uint32_t h = 0; h < chain.count; h++) append_block(log, &chain, h);
    uint64_t starts[CHAIN_BLOCKS_MAX + 1];
    record_bounds(&chain, starts);
    CHECK_EQ(tally_blocklog_count(log), chain.count);
    CHECK_EQ(tally_blocklog_size(log), starts[chain.count]);
    CHECK_EQ(file_length(directory), starts[chain.count]);

    /* out of order, a wrong link, a second genesis */
    tally_block block;
    tally_block_init(&block);
    chain_block(&chain, 5, &block);
    tally_chain_failure failure;
    CHECK_EQ(tally_blocklog_append(log, &block, &failure), TALLY_CHAIN_ERR_NOT_NEXT_BLOCK);
    block.header.height = chain.count;
    CHECK_EQ(tally_blocklog_append(log, &block, &failure), TALLY_CHAIN_ERR_NOT_NEXT_BLOCK);
    CHECK_EQ(tally_blocklog_size(log), starts[chain.count]);
    tally_blocklog_close(log);

    /* reopen: the same blocks, the same bytes */
    log = open_log(directory, false, &notices);
    REQUIRE(log != NULL);
    CHECK_EQ(notices.count, 0);
    CHECK_EQ(tally_blocklog_count(log), chain.count);
    for (uint32_t h = 0; h < chain.count; h++) {
        uint8_t *bytes = NULL;
        size_t length = 0;
        CHECK_EQ(tally_blocklog_read_encoded(log, h, &bytes, &length, NULL), TALLY_CHAIN_OK);
        CHECK(length == chain.lengths[h] && memcmp(bytes, chain.encoded[h], length) == 0);
        free(bytes);
        CHECK_EQ(tally_blocklog_read(log, h, &block, NULL), TALLY_CHAIN_OK);
        CHECK_EQ(block.header.height, h);
        tally_block_header header;
        uint8_t hash[32], expected[32];
        CHECK_EQ(tally_blocklog_header(log, h, &header, hash, NULL), TALLY_CHAIN_OK);
        tally_block_hash(&block.header, expected);
        CHECK(memcmp(hash, expected, 32) == 0);
    }
    CHECK_EQ(tally_blocklog_read(log, chain.count, &block, &failure), TALLY_CHAIN_ERR_NO_SUCH_BLOCK);
    tally_block_header last;
    uint8_t last_hash[32];
    CHECK(tally_blocklog_last(log, &last, last_hash));
    CHECK(memcmp(last_hash, chain.tip.hash, 32) == 0);
    tally_block_release(&block);
    tally_blocklog_close(log);
    temp_dir_remove(directory);
    chain_free(&chain);
}

/* Opens the store in directory and checks it is at block `height` of chain. */
static void check_store_at(const char *directory, const test_chain *chain, uint32_t height) {
    tally_store *store = NULL;
    tally_chain_failure failure;
    tally_chain_error error = tally_store_open(directory, NULL, &store, &failure);
    if (error != TALLY_CHAIN_OK) {
        test_fail(__FILE__, __LINE__, failure.message);
        return;
    }
    const tally_chain_tip *tip = tally_store_tip(store);
    CHECK_EQ(tip->height, height);
    tally_block_header header;
    CHECK_EQ(tally_block_header_decode(chain->encoded[height], TALLY_BLOCK_HEADER_BYTES, &header), TALLY_CHAIN_OK);
    uint8_t hash[32], state_hash[32];
    tally_block_hash(&header, hash);
    CHECK(memcmp(tip->hash, hash, 32) == 0);
    CHECK(tally_state_hash(tally_store_state(store), state_hash));
    CHECK(memcmp(state_hash, header.state_hash, 32) == 0);
    tally_store_close(store);
}

TEST(blocklog_an_incomplete_last_record_cut_at_every_byte_is_cut_and_the_rest_replays) {
    test_chain chain;
    chain_history(&chain);
    uint64_t starts[CHAIN_BLOCKS_MAX + 1];
    record_bounds(&chain, starts);
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    REQUIRE(chain_write_log(&chain, directory, chain.count));
    size_t length = 0;
    uint8_t *whole = file_bytes(path, &length);
    REQUIRE(whole != NULL && length == starts[chain.count]);
    uint64_t last = starts[chain.count - 1];
    uint32_t replayed = 0;
    /* the file ending at every byte inside the last record's header, payload and
     * checksum: a prefix of a record, what a crash mid-append leaves */
    for (uint64_t cut = last; cut < length; cut++) {
        REQUIRE(file_put(path, whole, cut));
        notice_log notices = {0};
        tally_blocklog *log = open_log(directory, false, &notices);
        REQUIRE(log != NULL);
        CHECK_EQ(tally_blocklog_count(log), chain.count - 1);
        CHECK_EQ(tally_blocklog_size(log), last);
        CHECK_EQ(notices.count, cut > last ? 1 : 0);
        if (cut > last) {
            CHECK_EQ(notices.last.code, TALLY_CHAIN_ERR_LOG_TAIL_CUT);
            CHECK_EQ(notices.last.offset, last);
            CHECK(strstr(notices.last.message, "unfinished record") != NULL);
        }
        tally_blocklog_close(log);
        CHECK_EQ(file_length(directory), last); /* cut off for good, and synced */
        /* a full replay of what remains, at the edges and every 61st byte */
        if (cut == last || cut == last + 1 || cut == length - 1 || (cut - last) % 61 == 0) {
            REQUIRE(file_put(path, whole, cut));
            check_store_at(directory, &chain, chain.count - 2);
            replayed++;
        }
    }
    CHECK(replayed >= 4);
    free(whole);
    temp_dir_remove(directory);
    chain_free(&chain);
}

/* Opens directory's log expecting LOG_CORRUPT at the record of `height` at byte
 * `offset`, for a writable and a read-only open, with the file left as it was. */
static void check_damage_at(const char *directory, uint64_t height, uint64_t offset, uint64_t file_size) {
    for (int read_only = 0; read_only < 2; read_only++) {
        notice_log notices = {0};
        tally_blocklog_options options = {read_only == 1, false, notice_collect, &notices};
        tally_blocklog *log = NULL;
        tally_chain_failure failure;
        CHECK_EQ(tally_blocklog_open(directory, &options, &log, &failure), TALLY_CHAIN_ERR_LOG_CORRUPT);
        CHECK(log == NULL);
        CHECK_EQ(failure.height, height);
        CHECK_EQ(failure.offset, offset);
        char where[96];
        snprintf(where, sizeof where, "damaged at byte %llu, the record of block %llu", (unsigned long long)offset,
                 (unsigned long long)height);
        CHECK(strstr(failure.message, where) != NULL);
        CHECK_EQ(notices.count, 0);
        tally_blocklog_close(log);
        CHECK_EQ(file_length(directory), file_size); /* nothing was cut */
    }
}

TEST(blocklog_a_flipped_bit_anywhere_in_the_complete_last_record_is_damage_never_cut) {
    /* Magic, length field, header, transactions, results, checksum: one bit flipped
     * in any byte of the last record, the file as long as before. The record is
     * complete, so it is no unfinished write: refused with its offset and height,
     * never cut, by a writable and a read-only open alike. */
    test_chain chain;
    chain_history(&chain);
    uint64_t starts[CHAIN_BLOCKS_MAX + 1];
    record_bounds(&chain, starts);
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    REQUIRE(chain_write_log(&chain, directory, chain.count));
    size_t length = 0;
    uint8_t *whole = file_bytes(path, &length);
    REQUIRE(whole != NULL && length == starts[chain.count]);
    uint8_t *damaged = malloc(length);
    REQUIRE(damaged != NULL);
    uint64_t last = starts[chain.count - 1];
    for (uint64_t at = last; at < length; at++) {
        memcpy(damaged, whole, length);
        damaged[at] ^= (uint8_t)(1u << (at % 8));
        REQUIRE(file_put(path, damaged, length));
        check_damage_at(directory, chain.count - 1, last, length);
    }
    tally_store *store = NULL;
    tally_chain_failure failure;
    CHECK_EQ(tally_store_open(directory, NULL, &store, &failure), TALLY_CHAIN_ERR_LOG_CORRUPT);
    CHECK_EQ(failure.height, chain.count - 1);
    free(damaged);
    free(whole);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(blocklog_zeros_or_an_unfinished_record_after_the_last_record_are_cut_other_bytes_are_damage) {
    test_chain chain;
    chain_history(&chain);
    uint64_t starts[CHAIN_BLOCKS_MAX + 1];
    record_bounds(&chain, starts);
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    REQUIRE(chain_write_log(&chain, directory, chain.count));
    size_t length = 0;
    uint8_t *whole = file_bytes(path, &length);
    uint8_t *longer = malloc(length + 5000);
    REQUIRE(longer != NULL);
    memcpy(longer, whole, length);
    /* cut: zeros (a file a crash extended), 3 zeros, the first bytes of a header, a
     * record header that promises a payload the file does not hold; damage: random
     * bytes, 5 bytes that do not begin as the magic, a run of zeros with one byte
     * that is not zero */
    typedef struct {
        size_t size;
        bool cut;
    } tail;
    const tail tails[7] = {{4096, true}, {3, true}, {3, true}, {8 + 300, true}, {777, false}, {5, false},
                           {4096, false}};
    srand(7);
    for (int kind = 0; kind < 7; kind++) {
        memset(longer + length, 0, 5000);
        if (kind == 2) memcpy(longer + length, whole, 3); /* "TLY" of the magic */
        if (kind == 3) {
            memcpy(longer + length, whole, 4); /* the magic and a length of 1000 bytes */
            const uint8_t promised[4] = {0xe8, 0x03, 0, 0};
            memcpy(longer + length + 4, promised, 4);
            memcpy(longer + length + 8, chain.encoded[3], 300);
        }
        if (kind == 4) {
            for (size_t i = 0; i < tails[4].size; i++) longer[length + i] = (uint8_t)rand();
            longer[length] = 0x01; /* not the magic */
        }
        if (kind == 5) memcpy(longer + length, "junk!", 5);
        if (kind == 6) longer[length + 4000] = 0x01;
        REQUIRE(file_put(path, longer, length + tails[kind].size));
        if (!tails[kind].cut) {
            check_damage_at(directory, chain.count, length, length + tails[kind].size);
            continue;
        }
        notice_log notices = {0};
        tally_blocklog *log = open_log(directory, false, &notices);
        REQUIRE(log != NULL);
        CHECK_EQ(tally_blocklog_count(log), chain.count);
        CHECK_EQ(notices.count, 1);
        CHECK_EQ(notices.last.code, TALLY_CHAIN_ERR_LOG_TAIL_CUT);
        CHECK_EQ(notices.last.offset, length);
        tally_blocklog_close(log);
        CHECK_EQ(file_length(directory), length);
    }
    REQUIRE(file_put(path, whole, length));
    check_store_at(directory, &chain, chain.count - 1);
    free(longer);
    free(whole);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(blocklog_damage_before_the_tail_is_fatal_with_offset_and_height) {
    test_chain chain;
    chain_history(&chain);
    uint64_t starts[CHAIN_BLOCKS_MAX + 1];
    record_bounds(&chain, starts);
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    REQUIRE(chain_write_log(&chain, directory, chain.count));
    size_t length = 0;
    uint8_t *whole = file_bytes(path, &length);
    uint8_t *damaged = malloc(length);
    /* a payload byte, the magic, the length field, the checksum of block 5 */
    const uint64_t positions[4] = {starts[5] + 8 + 100, starts[5], starts[5] + 5, starts[6] - 1};
    for (int i = 0; i < 4; i++) {
        memcpy(damaged, whole, length);
        damaged[positions[i]] ^= 0x40;
        REQUIRE(file_put(path, damaged, length));
        for (int read_only = 0; read_only < 2; read_only++) {
            tally_blocklog_options options = {read_only == 1, false, NULL, NULL};
            tally_blocklog *log = NULL;
            tally_chain_failure failure;
            CHECK_EQ(tally_blocklog_open(directory, &options, &log, &failure), TALLY_CHAIN_ERR_LOG_CORRUPT);
            CHECK(log == NULL);
            CHECK_EQ(failure.height, 5);
            CHECK_EQ(failure.offset, starts[5]);
            char where[64];
            snprintf(where, sizeof where, "at byte %llu", (unsigned long long)starts[5]);
            CHECK(strstr(failure.message, where) != NULL);
            CHECK(strstr(failure.message, "block 5") != NULL);
            CHECK_EQ(file_length(directory), length); /* nothing was cut */
        }
        tally_store *store = NULL;
        tally_chain_failure failure;
        CHECK_EQ(tally_store_open(directory, NULL, &store, &failure), TALLY_CHAIN_ERR_LOG_CORRUPT);
        tally_verify_summary summary;
        CHECK_EQ(tally_chain_verify(directory, NULL, NULL, NULL, NULL, &summary, &failure),
                 TALLY_CHAIN_ERR_LOG_CORRUPT);
    }
    free(damaged);
    free(whole);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(blocklog_a_sound_checksum_around_an_undecodable_block_is_fatal_even_last) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    /* the last block's transaction version byte changed and the record's checksum
     * recomputed: no torn write does that, so it is not cut */
    uint8_t *saved = chain.encoded[chain.count - 1];
    size_t length = chain.lengths[chain.count - 1];
    uint8_t *changed = malloc(length);
    memcpy(changed, saved, length);
    changed[TALLY_BLOCK_HEADER_BYTES + 2] = 9;
    chain.encoded[chain.count - 1] = changed;
    REQUIRE(chain_write_log(&chain, directory, chain.count));
    chain.encoded[chain.count - 1] = saved;
    free(changed);
    tally_blocklog *log = NULL;
    tally_chain_failure failure;
    CHECK_EQ(tally_blocklog_open(directory, NULL, &log, &failure), TALLY_CHAIN_ERR_LOG_CORRUPT);
    CHECK_EQ(failure.height, chain.count - 1);
    CHECK(strstr(failure.message, "does not decode") != NULL);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(blocklog_read_only_passes_over_a_torn_tail_without_cutting_it_and_refuses_damage) {
    test_chain chain;
    chain_history(&chain);
    uint64_t starts[CHAIN_BLOCKS_MAX + 1];
    record_bounds(&chain, starts);
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    REQUIRE(chain_write_log(&chain, directory, chain.count));
    size_t length = 0;
    uint8_t *whole = file_bytes(path, &length);
    REQUIRE(file_put(path, whole, length - 10));
    notice_log notices = {0};
    tally_blocklog_options options = {true, false, notice_collect, &notices};
    tally_blocklog *log = NULL;
    CHECK_EQ(tally_blocklog_open(directory, &options, &log, NULL), TALLY_CHAIN_OK);
    REQUIRE(log != NULL);
    CHECK_EQ(tally_blocklog_count(log), chain.count - 1);
    CHECK_EQ(notices.count, 1);
    CHECK_EQ(notices.last.code, TALLY_CHAIN_ERR_LOG_TAIL_CUT);
    CHECK(strstr(notices.last.message, "read-only") != NULL);
    tally_block block;
    tally_block_init(&block);
    CHECK_EQ(tally_blocklog_append(log, &block, NULL), TALLY_CHAIN_ERR_READ_ONLY);
    tally_blocklog_close(log);
    CHECK_EQ(file_length(directory), length - 10);
    /* the whole record with a bit flipped: damage, also for a reader */
    whole[length - 10] ^= 0x08;
    REQUIRE(file_put(path, whole, length));
    check_damage_at(directory, chain.count - 1, starts[chain.count - 1], length);
    free(whole);
    temp_dir_remove(directory);
    chain_free(&chain);
}

/* ------------------------------------------------------------------------ */
/* Faults.                                                                   */
/* ------------------------------------------------------------------------ */

TEST(blocklog_file_io_fault_hook_fails_what_it_is_told_to) {
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    path_join(path, sizeof path, directory, "file");
    int fd = file_open(path, O_RDWR | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    const uint8_t bytes[20] = "0123456789abcdefghi";
    file_faults faults = {.fail_write = 1, .short_write = 2, .fail_sync = 1};
    file_faults_arm(&faults);
    CHECK(!file_write_at(fd, bytes, 20, 0)); /* nothing written */
    CHECK(!file_write_at(fd, bytes, 20, 0)); /* half written */
    CHECK(file_write_at(fd, bytes, 4, 100)); /* the third goes through */
    CHECK(!file_sync(fd));
    CHECK(file_sync(fd));
    file_fault_counts counts = file_faults_counts();
    CHECK_EQ(counts.writes, 3);
    CHECK_EQ(counts.syncs, 2);
    CHECK_EQ(counts.bytes_written, 14);
    uint64_t size = 0;
    CHECK(file_stat_size(fd, &size));
    CHECK_EQ(size, 104);
    uint8_t back[10];
    size_t got = 0;
    CHECK(file_read_at(fd, back, 10, 0, &got) && got == 10);
    CHECK(memcmp(back, bytes, 10) == 0);

    /* a crash after 5 more bytes: the write stops there and nothing works after */
    faults = (file_faults){.crash = true, .crash_after_bytes = 5};
    file_faults_arm(&faults);
    CHECK(!file_write_at(fd, "ABCDEFGH", 8, 0));
    CHECK(!file_write_at(fd, "ABCDEFGH", 8, 0));
    CHECK(!file_sync(fd));
    CHECK(!file_truncate(fd, 0));
    CHECK(!file_rename(path, path));
    CHECK(file_faults_counts().crashed);
    file_faults_disarm();
    CHECK(file_read_at(fd, back, 10, 0, &got) && got == 10);
    CHECK(memcmp(back, "ABCDE56789", 10) == 0);
    CHECK(file_truncate(fd, 0));
    CHECK(file_close(fd));
    temp_dir_remove(directory);
}

/* Appends blocks 0..5 of chain to a new log in directory; returns its size. */
static uint64_t base_log(const test_chain *chain, const char *directory) {
    notice_log notices = {0};
    tally_blocklog *log = open_log(directory, true, &notices);
    if (log == NULL) return 0;
    for (uint32_t h = 0; h <= 5; h++) append_block(log, chain, h);
    uint64_t size = tally_blocklog_size(log);
    tally_blocklog_close(log);
    return size;
}

TEST(blocklog_failed_write_short_write_and_failed_fsync_leave_the_last_durable_block) {
    test_chain chain;
    chain_history(&chain);
    const file_faults cases[3] = {{.fail_write = 1}, {.short_write = 1}, {.fail_sync = 1}};
    for (int c = 0; c < 3; c++) {
        char directory[TEMP_DIR_BYTES];
        temp_dir_make(directory);
        uint64_t durable = base_log(&chain, directory);
        notice_log notices = {0};
        tally_blocklog *log = open_log(directory, false, &notices);
        REQUIRE(log != NULL);
        tally_block block;
        tally_block_init(&block);
        chain_block(&chain, 6, &block);
        file_faults_arm(&cases[c]);
        tally_chain_failure failure;
        CHECK_EQ(tally_blocklog_append(log, &block, &failure), TALLY_CHAIN_ERR_IO);
        file_faults_disarm();
        CHECK_EQ(failure.height, 6);
        CHECK(failure.os_error != 0);
        CHECK_EQ(tally_blocklog_count(log), 6);
        /* a failed fsync may have lost pages: no retry on this log */
        CHECK_EQ(tally_blocklog_append(log, &block, &failure), TALLY_CHAIN_ERR_LOG_FAILED);
        tally_blocklog_close(log);
        CHECK_EQ(file_length(directory), durable);
        log = open_log(directory, false, &notices);
        REQUIRE(log != NULL);
        CHECK_EQ(tally_blocklog_count(log), 6);
        CHECK_EQ(notices.count, 0);
        CHECK_EQ(tally_blocklog_append(log, &block, NULL), TALLY_CHAIN_OK); /* and the log goes on */
        tally_blocklog_close(log);
        tally_block_release(&block);
        temp_dir_remove(directory);
    }
    chain_free(&chain);
}

TEST(blocklog_crash_at_every_byte_of_an_append_reopens_at_a_durable_block) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    uint64_t durable = base_log(&chain, directory);
    size_t base_length = 0;
    uint8_t *base = file_bytes(path, &base_length);
    REQUIRE(base != NULL && base_length == durable);
    size_t record = TALLY_LOG_RECORD_OVERHEAD + chain.lengths[6];
    tally_block block;
    tally_block_init(&block);
    chain_block(&chain, 6, &block);
    for (size_t crash_at = 0; crash_at <= record; crash_at++) {
        REQUIRE(file_put(path, base, base_length));
        notice_log notices = {0};
        tally_blocklog *log = open_log(directory, false, &notices);
        REQUIRE(log != NULL);
        file_faults faults = {.crash = true, .crash_after_bytes = crash_at};
        file_faults_arm(&faults);
        CHECK_EQ(tally_blocklog_append(log, &block, NULL), TALLY_CHAIN_ERR_IO);
        file_faults_disarm();
        tally_blocklog_close(log); /* the "process" died: its cut-back never happened */
        log = open_log(directory, false, &notices);
        REQUIRE(log != NULL);
        /* the whole record written but never fsynced survives a process crash */
        uint64_t expected = crash_at == record ? 7 : 6;
        CHECK_EQ(tally_blocklog_count(log), expected);
        CHECK_EQ(notices.count, crash_at > 0 && crash_at < record ? 1 : 0);
        tally_blocklog_close(log);
    }
    tally_block_release(&block);
    free(base);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(blocklog_a_second_writer_process_is_refused) {
    test_chain chain;
    chain_start(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    notice_log notices = {0};
    tally_blocklog *log = open_log(directory, true, &notices);
    REQUIRE(log != NULL);
    fflush(NULL);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        tally_blocklog_options options = {false, false, NULL, NULL};
        tally_blocklog *second = NULL;
        tally_chain_error error = tally_blocklog_open(directory, &options, &second, NULL);
        options.read_only = true;
        tally_chain_error reader = tally_blocklog_open(directory, &options, &second, NULL);
        tally_blocklog_close(second);
        _exit(error == TALLY_CHAIN_ERR_LOCKED && reader == TALLY_CHAIN_OK ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    tally_blocklog_close(log);
    temp_dir_remove(directory);
    chain_free(&chain);
}

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

TEST(blocklog_durable_append_rate) {
    /* One write and one fsync per block: this is the group-commit ceiling of a node
     * on this disk, whatever the block holds. */
    enum { APPENDS = 100 };
    test_chain chain;
    chain_history(&chain);
    tally_block block;
    tally_block_init(&block);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    notice_log notices = {0};
    tally_blocklog *log = open_log(directory, true, &notices);
    REQUIRE(log != NULL);
    double started = seconds_now();
    for (uint32_t h = 0; h < chain.count; h++) append_block(log, &chain, h);
    /* the same block over and over, relinked: the log checks only height and link */
    chain_block(&chain, CHAIN_HISTORY_TIP, &block);
    for (uint32_t i = chain.count; i < APPENDS; i++) {
        block.header.height = i;
        CHECK(tally_blocklog_last(log, NULL, block.header.prev_hash));
        CHECK_EQ(tally_blocklog_append(log, &block, NULL), TALLY_CHAIN_OK);
    }
    double elapsed = seconds_now() - started;
    printf("    %d durable appends (write + fsync) in %.3f s: %.0f appends/s, %.2f ms each\n", APPENDS,
           elapsed, APPENDS / elapsed, 1000 * elapsed / APPENDS);
    tally_blocklog_close(log);
    tally_block_release(&block);
    temp_dir_remove(directory);
    chain_free(&chain);
}
