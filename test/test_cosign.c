/*
 * test_cosign.c: co-signatures. The message and its signature: a co-signature
 * holds for its validator, chain, height and block hash only (another key, height,
 * hash or chain id fails), and the quorum is a strict majority. cosignatures.log:
 * co-signatures read back after reopening, an exact duplicate ignored, a second
 * co-signature of one validator at one height refused as a conflict (the first
 * kept), bad signatures and indexes refused; a torn last record (cut at every byte)
 * or a zero tail cut with a notice; a flipped bit in any complete record, a
 * record resealed around a forged signature, and a height above the bound refused
 * with the offset; salvage keeps every sound record of a damaged file; a failed
 * write stops further adds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "chain_fixture.h"
#include "store/file_io.h"
#include "test.h"

#define VALIDATORS 4u
#define HEIGHTS 12u

typedef struct {
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    test_actor actors[VALIDATORS];
    tally_key keys[VALIDATORS];
} validator_set;

static void set_make(validator_set *set) {
    memset(set, 0, sizeof *set);
    for (uint32_t i = 0; i < TALLY_CHAIN_ID_BYTES; i++) set->chain_id[i] = (uint8_t)(0xc0 + i);
    for (uint32_t v = 0; v < VALIDATORS; v++) {
        set->actors[v] = actor(40 + v);
        set->keys[v] = set->actors[v].key;
    }
}

static void block_hash_of(uint64_t height, uint8_t hash[TALLY_HASH_BYTES]) {
    uint8_t seed[8];
    for (int i = 0; i < 8; i++) seed[i] = (uint8_t)(height >> (8 * i));
    crypto_generichash(hash, TALLY_HASH_BYTES, seed, sizeof seed, NULL, 0);
}

/* Signatures checked at open on this pool when set (the damage test's), else on the
 * calling thread. */
static tally_signature_pool *scan_pool;

static tally_cosign_store *open_store(const char *directory, const validator_set *set, uint64_t max_height,
                                      notice_log *notices, tally_chain_error *error, tally_chain_failure *failure) {
    tally_cosign_store_options options = {true, max_height, notice_collect, notices, scan_pool};
    tally_cosign_store *store = NULL;
    *error = tally_cosign_store_open(directory, set->chain_id, set->keys, VALIDATORS, &options, &store, failure);
    return store;
}

static tally_chain_error add_signed(tally_cosign_store *store, const validator_set *set, uint64_t height,
                                    uint32_t validator, bool *added, tally_chain_failure *failure) {
    uint8_t hash[TALLY_HASH_BYTES], signature[TALLY_SIGNATURE_BYTES];
    block_hash_of(height, hash);
    tally_cosign_sign(set->actors[validator].secret, set->chain_id, height, hash, signature);
    return tally_cosign_store_add(store, height, hash, validator, signature, added, failure);
}

/* A log of HEIGHTS heights, validators 0..2 on each (3 of 4: final), written and
 * flushed; the file's bytes are returned. */
static uint8_t *write_full_log(const char *directory, const validator_set *set, size_t *length) {
    notice_log notices = {0};
    tally_chain_error error;
    tally_chain_failure failure;
    tally_cosign_store *store = open_store(directory, set, 0, &notices, &error, &failure);
    if (!store) return NULL;
    bool ok = true;
    for (uint64_t h = 1; h <= HEIGHTS; h++)
        for (uint32_t v = 0; v < 3; v++) ok = ok && add_signed(store, set, h, v, NULL, &failure) == TALLY_CHAIN_OK;
    ok = ok && tally_cosign_store_flush(store, &failure) == TALLY_CHAIN_OK;
    tally_cosign_store_close(store);
    char path[512];
    path_join(path, sizeof path, directory, TALLY_COSIGN_FILE_NAME);
    return ok ? file_bytes(path, length) : NULL;
}

static void reseal(uint8_t *record) {
    crypto_generichash(record + TALLY_COSIGN_RECORD_BYTES - 16, 16, record, TALLY_COSIGN_RECORD_BYTES - 16, NULL, 0);
}

TEST(cosign_signature_holds_for_its_block_only) {
    validator_set set;
    set_make(&set);
    uint8_t hash[TALLY_HASH_BYTES], other_hash[TALLY_HASH_BYTES], signature[TALLY_SIGNATURE_BYTES];
    block_hash_of(7, hash);
    block_hash_of(8, other_hash);
    tally_cosign_sign(set.actors[1].secret, set.chain_id, 7, hash, signature);
    CHECK(tally_cosign_holds(&set.keys[1], set.chain_id, 7, hash, signature));
    /* a non-validator's key, another validator, another height, hash, chain */
    test_actor stranger = actor(77);
    CHECK(!tally_cosign_holds(&stranger.key, set.chain_id, 7, hash, signature));
    CHECK(!tally_cosign_holds(&set.keys[0], set.chain_id, 7, hash, signature));
    CHECK(!tally_cosign_holds(&set.keys[1], set.chain_id, 8, hash, signature));
    CHECK(!tally_cosign_holds(&set.keys[1], set.chain_id, 7, other_hash, signature));
    uint8_t other_chain[TALLY_CHAIN_ID_BYTES];
    memcpy(other_chain, set.chain_id, sizeof other_chain);
    other_chain[31] ^= 1;
    CHECK(!tally_cosign_holds(&set.keys[1], other_chain, 7, hash, signature));
    signature[10] ^= 0x20;
    CHECK(!tally_cosign_holds(&set.keys[1], set.chain_id, 7, hash, signature));

    /* The message is the documented one (docs/PROOFS.md). */
    uint8_t bytes[15 + 32 + 8 + 32], expected[32], message[32];
    memcpy(bytes, "tally-cosign-v1", 15);
    memcpy(bytes + 15, set.chain_id, 32);
    for (int i = 0; i < 8; i++) bytes[47 + i] = (uint8_t)((uint64_t)7 >> (8 * i));
    memcpy(bytes + 55, hash, 32);
    crypto_generichash(expected, 32, bytes, sizeof bytes, NULL, 0);
    tally_cosign_message(set.chain_id, 7, hash, message);
    CHECK(memcmp(message, expected, 32) == 0);
    /* a plain Ed25519 signature of that message, as other clients check it */
    tally_cosign_sign(set.actors[1].secret, set.chain_id, 7, hash, signature);
    CHECK(crypto_sign_verify_detached(signature, expected, 32, set.keys[1].bytes) == 0);
    /* deterministic: signing again gives the same bytes */
    uint8_t again[TALLY_SIGNATURE_BYTES];
    tally_cosign_sign(set.actors[1].secret, set.chain_id, 7, hash, again);
    CHECK(memcmp(again, signature, sizeof again) == 0);
}

TEST(cosign_quorum_is_a_strict_majority) {
    CHECK_EQ(tally_cosign_quorum(0), 0);
    CHECK_EQ(tally_cosign_quorum(1), 1);
    CHECK_EQ(tally_cosign_quorum(2), 2);
    CHECK_EQ(tally_cosign_quorum(3), 2);
    CHECK_EQ(tally_cosign_quorum(4), 3);
    CHECK_EQ(tally_cosign_quorum(16), 9);
    /* any two quorums of one set share a validator */
    for (uint32_t n = 1; n <= TALLY_VALIDATORS_MAX; n++) CHECK(2 * tally_cosign_quorum(n) > n);
    /* the set of a genesis without validators is its producer alone */
    tally_chain_rules rules;
    test_actor producer = actor(5);
    tally_chain_rules_defaults(&rules, NULL);
    tally_key keys[TALLY_VALIDATORS_MAX];
    uint32_t count = 0;
    tally_cosign_validators(&rules, &producer.key, keys, &count);
    CHECK_EQ(count, 1);
    CHECK(memcmp(keys[0].bytes, producer.key.bytes, TALLY_KEY_BYTES) == 0);
    tally_chain_rules_defaults(&rules, &producer.key);
    tally_cosign_validators(&rules, &producer.key, keys, &count);
    CHECK_EQ(count, rules.validator_count);
}

TEST(cosign_store_adds_reads_back_and_refuses_conflicts) {
    validator_set set;
    set_make(&set);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    notice_log notices = {0};
    tally_chain_error error;
    tally_chain_failure failure;
    tally_cosign_store *store = open_store(directory, &set, 0, &notices, &error, &failure);
    REQUIRE(store != NULL);
    CHECK_EQ(tally_cosign_store_top(store), 0);
    CHECK_EQ(tally_cosign_store_count_at(store, 1), 0);
    bool added = false;
    /* out of validator order: read back in order */
    CHECK_EQ(add_signed(store, &set, 1, 2, &added, &failure), TALLY_CHAIN_OK);
    CHECK(added);
    CHECK_EQ(add_signed(store, &set, 1, 0, &added, &failure), TALLY_CHAIN_OK);
    CHECK_EQ(add_signed(store, &set, 3, 1, &added, &failure), TALLY_CHAIN_OK);
    /* an exact duplicate: ignored, nothing written */
    CHECK_EQ(add_signed(store, &set, 1, 2, &added, &failure), TALLY_CHAIN_OK);
    CHECK(!added);
    CHECK_EQ(tally_cosign_store_records(store), 3);

    uint8_t hash[TALLY_HASH_BYTES], other[TALLY_HASH_BYTES], signature[TALLY_SIGNATURE_BYTES];
    block_hash_of(1, hash);
    block_hash_of(99, other);
    /* validator 2 signing another block at height 1: equivocation, the first kept */
    tally_cosign_sign(set.actors[2].secret, set.chain_id, 1, other, signature);
    CHECK_EQ(tally_cosign_store_add(store, 1, other, 2, signature, &added, &failure), TALLY_CHAIN_ERR_COSIGN_CONFLICT);
    CHECK(strstr(failure.message, "equivocation") != NULL);
    CHECK(!added);
    /* a bad signature, a non-validator's, an index outside the set, height 0 */
    tally_cosign_sign(set.actors[3].secret, set.chain_id, 1, hash, signature);
    signature[0] ^= 1;
    CHECK_EQ(tally_cosign_store_add(store, 1, hash, 3, signature, NULL, &failure), TALLY_CHAIN_ERR_BAD_COSIGNATURE);
    test_actor stranger = actor(77);
    tally_cosign_sign(stranger.secret, set.chain_id, 1, hash, signature);
    CHECK_EQ(tally_cosign_store_add(store, 1, hash, 3, signature, NULL, &failure), TALLY_CHAIN_ERR_BAD_COSIGNATURE);
    CHECK_EQ(tally_cosign_store_add(store, 1, hash, VALIDATORS, signature, NULL, &failure),
             TALLY_CHAIN_ERR_BAD_ARGUMENT);
    CHECK_EQ(tally_cosign_store_add(store, 0, hash, 0, signature, NULL, &failure), TALLY_CHAIN_ERR_BAD_ARGUMENT);
    /* signed for height 2, offered for height 1 */
    tally_cosign_sign(set.actors[3].secret, set.chain_id, 2, hash, signature);
    CHECK_EQ(tally_cosign_store_add(store, 1, hash, 3, signature, NULL, &failure), TALLY_CHAIN_ERR_BAD_COSIGNATURE);

    tally_cosignature got[TALLY_VALIDATORS_MAX];
    uint32_t count = 0;
    tally_cosign_store_get(store, 1, got, TALLY_VALIDATORS_MAX, &count);
    REQUIRE(count == 2);
    CHECK_EQ(got[0].validator, 0);
    CHECK_EQ(got[1].validator, 2);
    CHECK(memcmp(got[1].block_hash, hash, TALLY_HASH_BYTES) == 0);
    CHECK(tally_cosign_holds(&set.keys[2], set.chain_id, 1, got[1].block_hash, got[1].signature));
    CHECK_EQ(tally_cosign_store_count_of(store, 1, hash), 2);
    CHECK_EQ(tally_cosign_store_count_of(store, 1, other), 0);
    CHECK_EQ(tally_cosign_store_count_at(store, 2), 0);
    CHECK_EQ(tally_cosign_store_top(store), 3);
    tally_cosign_store_get(store, 1, got, 1, &count); /* fewer room than entries */
    CHECK_EQ(count, 2);
    CHECK_EQ(tally_cosign_store_flush(store, &failure), TALLY_CHAIN_OK);

    tally_cosign_store_close(store);

    /* reopen: the same co-signatures, the same refusals */
    store = open_store(directory, &set, 0, &notices, &error, &failure);
    REQUIRE(store != NULL);
    CHECK_EQ(notices.count, 0);
    CHECK_EQ(tally_cosign_store_records(store), 3);
    tally_cosign_store_get(store, 1, got, TALLY_VALIDATORS_MAX, &count);
    CHECK_EQ(count, 2);
    CHECK_EQ(tally_cosign_store_count_at(store, 3), 1);
    tally_cosign_sign(set.actors[2].secret, set.chain_id, 1, other, signature);
    CHECK_EQ(tally_cosign_store_add(store, 1, other, 2, signature, NULL, &failure), TALLY_CHAIN_ERR_COSIGN_CONFLICT);
    tally_cosign_store_close(store);

    /* another chain's validator set refuses the file, naming the first record */
    validator_set other_set = set;
    other_set.chain_id[0] ^= 1;
    store = open_store(directory, &other_set, 0, &notices, &error, &failure);
    CHECK(store == NULL);
    CHECK_EQ(error, TALLY_CHAIN_ERR_COSIGN_LOG_CORRUPT);
    CHECK_EQ(failure.offset, 0);
    temp_dir_remove(directory);
}

TEST(cosign_store_cuts_a_torn_tail_and_refuses_damage) {
    validator_set set;
    set_make(&set);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    size_t length = 0;
    uint8_t *original = write_full_log(directory, &set, &length);
    REQUIRE(original != NULL);
    const size_t record = TALLY_COSIGN_RECORD_BYTES;
    REQUIRE(length == HEIGHTS * 3 * record);
    scan_pool = tally_signature_pool_start(2); /* the signatures checked on two threads here */
    REQUIRE(scan_pool != NULL);
    char path[512];
    path_join(path, sizeof path, directory, TALLY_COSIGN_FILE_NAME);
    notice_log notices = {0};
    tally_chain_error error;
    tally_chain_failure failure;

    /* The last record cut at every byte: cut off, the rest kept. */
    for (size_t cut = 1; cut < record; cut++) {
        REQUIRE(file_put(path, original, length - cut));
        memset(&notices, 0, sizeof notices);
        tally_cosign_store *store = open_store(directory, &set, 0, &notices, &error, &failure);
        REQUIRE(store != NULL);
        CHECK_EQ(notices.count, 1);
        CHECK_EQ(notices.last.code, TALLY_CHAIN_ERR_LOG_TAIL_CUT);
        CHECK_EQ(tally_cosign_store_records(store), HEIGHTS * 3 - 1);
        CHECK_EQ(tally_cosign_store_count_at(store, HEIGHTS), 2);
        tally_cosign_store_close(store);
        size_t now = 0;
        free(file_bytes(path, &now));
        CHECK_EQ(now, length - record);
    }
    /* and then written again: the record comes back */
    tally_cosign_store *store = open_store(directory, &set, 0, &notices, &error, &failure);
    REQUIRE(store != NULL);
    CHECK_EQ(add_signed(store, &set, HEIGHTS, 2, NULL, &failure), TALLY_CHAIN_OK);
    tally_cosign_store_close(store);
    size_t now = 0;
    uint8_t *rewritten = file_bytes(path, &now);
    CHECK(now == length && memcmp(rewritten, original, length) == 0);
    free(rewritten);

    /* Zeros after the last record (a crash extended the file): cut. */
    uint8_t *bytes = malloc(length + 3 * record);
    memcpy(bytes, original, length);
    memset(bytes + length, 0, 3 * record);
    REQUIRE(file_put(path, bytes, length + 300));
    memset(&notices, 0, sizeof notices);
    store = open_store(directory, &set, 0, &notices, &error, &failure);
    REQUIRE(store != NULL);
    CHECK_EQ(notices.count, 1);
    tally_cosign_store_close(store);

    /* A flipped bit in any complete record, the last included: refused with its offset. */
    for (size_t r = 0; r < HEIGHTS * 3; r += 7) {
        memcpy(bytes, original, length);
        bytes[r * record + 50] ^= 0x08;
        REQUIRE(file_put(path, bytes, length));
        store = open_store(directory, &set, 0, &notices, &error, &failure);
        CHECK(store == NULL);
        CHECK_EQ(error, TALLY_CHAIN_ERR_COSIGN_LOG_CORRUPT);
        CHECK_EQ(failure.offset, r * record);
        CHECK(strstr(failure.message, "checksum") != NULL);
        tally_cosign_store_close(store);
    }
    memcpy(bytes, original, length);
    bytes[length - 1] ^= 0x01;
    REQUIRE(file_put(path, bytes, length));
    CHECK(open_store(directory, &set, 0, &notices, &error, &failure) == NULL);
    CHECK_EQ(failure.offset, length - record);

    /* A forged signature in record 10, resealed: its checksum holds, its signature
     * does not. */
    memcpy(bytes, original, length);
    bytes[10 * record + 60] ^= 0x01;
    reseal(bytes + 10 * record);
    REQUIRE(file_put(path, bytes, length));
    CHECK(open_store(directory, &set, 0, &notices, &error, &failure) == NULL);
    CHECK_EQ(error, TALLY_CHAIN_ERR_COSIGN_LOG_CORRUPT);
    CHECK_EQ(failure.offset, 10 * record);
    CHECK(strstr(failure.message, "does not hold") != NULL);

    /* Garbage shorter than a record at the end, not beginning as one: damage. */
    memcpy(bytes, original, length);
    memset(bytes + length, 0x55, 20);
    REQUIRE(file_put(path, bytes, length + 20));
    CHECK(open_store(directory, &set, 0, &notices, &error, &failure) == NULL);
    CHECK_EQ(failure.offset, length);

    /* A height above the bound (the block log's tip): damage. */
    REQUIRE(file_put(path, original, length));
    CHECK(open_store(directory, &set, HEIGHTS - 1, &notices, &error, &failure) == NULL);
    CHECK_EQ(failure.offset, (HEIGHTS - 1) * 3 * record);
    store = open_store(directory, &set, HEIGHTS, &notices, &error, &failure);
    CHECK(store != NULL);
    tally_cosign_store_close(store);
    tally_signature_pool_stop(scan_pool);
    scan_pool = NULL;
    free(bytes);
    free(original);
    temp_dir_remove(directory);
}

TEST(cosign_store_salvages_the_sound_records_of_a_damaged_log) {
    validator_set set;
    set_make(&set);
    char directory[TEMP_DIR_BYTES], fresh[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    temp_dir_make(fresh);
    size_t length = 0;
    uint8_t *bytes = write_full_log(directory, &set, &length);
    REQUIRE(bytes != NULL);
    const size_t record = TALLY_COSIGN_RECORD_BYTES;
    bytes[4 * record + 70] ^= 0x10;  /* record 4: checksum */
    bytes[9 * record + 70] ^= 0x10;  /* record 9: forged signature, resealed */
    reseal(bytes + 9 * record);
    char damaged[512];
    path_join(damaged, sizeof damaged, directory, "cosignatures.log.damaged");
    REQUIRE(file_put(damaged, bytes, length - 5)); /* and a torn tail */
    notice_log notices = {0};
    tally_chain_error error;
    tally_chain_failure failure;
    tally_cosign_store *store = open_store(fresh, &set, 0, &notices, &error, &failure);
    REQUIRE(store != NULL);
    tally_cosign_salvage summary;
    CHECK_EQ(tally_cosign_store_salvage(store, damaged, &summary, &failure), TALLY_CHAIN_OK);
    CHECK_EQ(summary.records, HEIGHTS * 3 - 1);
    CHECK_EQ(summary.dropped, 2);
    CHECK_EQ(summary.kept, HEIGHTS * 3 - 3);
    CHECK_EQ(summary.first_dropped_offset, 4 * record);
    CHECK_EQ(tally_cosign_store_records(store), HEIGHTS * 3 - 3);
    CHECK_EQ(tally_cosign_store_count_at(store, 2), 2); /* records 3..5 are height 2 */
    CHECK_EQ(tally_cosign_store_flush(store, &failure), TALLY_CHAIN_OK);
    tally_cosign_store_close(store);
    store = open_store(fresh, &set, 0, &notices, &error, &failure);
    CHECK(store != NULL);
    if (store) CHECK_EQ(tally_cosign_store_records(store), HEIGHTS * 3 - 3);
    tally_cosign_store_close(store);
    free(bytes);
    temp_dir_remove(directory);
    temp_dir_remove(fresh);
}

/* A full disk (a short write: half a record stored, then ENOSPC) is not a failure:
 * the half record is cut off again, the store adds on once there is room, and the
 * log reopens with every record added. */
TEST(cosign_store_a_full_disk_leaves_the_log_as_it_was) {
    validator_set set;
    set_make(&set);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    notice_log notices = {0};
    tally_chain_error error;
    tally_chain_failure failure;
    tally_cosign_store *store = open_store(directory, &set, 0, &notices, &error, &failure);
    REQUIRE(store != NULL);
    CHECK_EQ(add_signed(store, &set, 1, 0, NULL, &failure), TALLY_CHAIN_OK);
    file_faults faults = {0};
    faults.short_write = 1;
    file_faults_arm(&faults);
    CHECK_EQ(add_signed(store, &set, 2, 0, NULL, &failure), TALLY_CHAIN_ERR_IO);
    file_faults_disarm();
    CHECK_EQ(failure.os_error, ENOSPC);
    CHECK(!tally_cosign_store_failed(store));
    CHECK_EQ(tally_cosign_store_count_at(store, 2), 0);
    CHECK_EQ(tally_cosign_store_records(store), 1);
    /* room again */
    CHECK_EQ(add_signed(store, &set, 2, 0, NULL, &failure), TALLY_CHAIN_OK);
    CHECK_EQ(add_signed(store, &set, 3, 0, NULL, &failure), TALLY_CHAIN_OK);
    CHECK_EQ(tally_cosign_store_flush(store, &failure), TALLY_CHAIN_OK);
    tally_cosign_store_close(store);
    store = open_store(directory, &set, 0, &notices, &error, &failure);
    REQUIRE(store != NULL);
    CHECK_EQ(tally_cosign_store_records(store), 3);
    CHECK_EQ(tally_cosign_store_count_at(store, 2), 1);
    CHECK_EQ(notices.count, 0); /* no torn tail to cut: the half record was gone */
    tally_cosign_store_close(store);
    temp_dir_remove(directory);
}

TEST(cosign_store_stops_adding_after_a_failed_write) {
    validator_set set;
    set_make(&set);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    notice_log notices = {0};
    tally_chain_error error;
    tally_chain_failure failure;
    tally_cosign_store *store = open_store(directory, &set, 0, &notices, &error, &failure);
    REQUIRE(store != NULL);
    CHECK_EQ(add_signed(store, &set, 1, 0, NULL, &failure), TALLY_CHAIN_OK);
    file_faults faults = {0};
    faults.fail_write = 1; /* EIO: the disk failing, not full */
    file_faults_arm(&faults);
    CHECK_EQ(add_signed(store, &set, 2, 0, NULL, &failure), TALLY_CHAIN_ERR_IO);
    file_faults_disarm();
    CHECK_EQ(tally_cosign_store_count_at(store, 2), 0);
    CHECK(tally_cosign_store_failed(store));
    CHECK_EQ(add_signed(store, &set, 3, 0, NULL, &failure), TALLY_CHAIN_ERR_LOG_FAILED);
    tally_cosign_store_close(store);
    /* the log reopens with the first one alone */
    store = open_store(directory, &set, 0, &notices, &error, &failure);
    REQUIRE(store != NULL);
    CHECK_EQ(tally_cosign_store_records(store), 1);
    faults = (file_faults){0};
    faults.fail_sync = 1;
    file_faults_arm(&faults);
    CHECK_EQ(add_signed(store, &set, 2, 0, NULL, &failure), TALLY_CHAIN_OK);
    CHECK_EQ(tally_cosign_store_flush(store, &failure), TALLY_CHAIN_ERR_IO);
    file_faults_disarm();
    CHECK_EQ(add_signed(store, &set, 3, 0, NULL, &failure), TALLY_CHAIN_ERR_LOG_FAILED);
    tally_cosign_store_close(store);
    temp_dir_remove(directory);
}
