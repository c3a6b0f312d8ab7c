/*
 * cosign_store.c: cosignatures.log, the validators' co-signatures of the chain's
 * blocks (tally_chain.h, "Co-signatures"). Fixed-size records, each one write at
 * the end of the file; opening scans them all, checks each one's checksum and
 * signature against the chain's validator set, and keeps them in memory by height:
 * per height the first of a short list (at most one entry per validator, in
 * validator order) in one array of entries that only grows. Adding writes without
 * an fsync; flushing fsyncs (co-signatures are never acknowledged to anyone, and
 * each can be made or fetched again, so the node batches them).
 *
 * Torn and damaged follow the block log (blocklog.c): only a last record cut short
 * by the end of the file, or zeros from a record boundary on, is what a crash
 * leaves, and is cut; anything else refuses COSIGN_LOG_CORRUPT with its offset.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "chain/bytes.h"
#include "chain/chain_errors.h"
#include "store/file_io.h"

#define RECORD_BYTES TALLY_COSIGN_RECORD_BYTES
#define CHECKSUM_BYTES 16u
#define SIGNED_BYTES (RECORD_BYTES - CHECKSUM_BYTES)
#define OFFSET_HEIGHT 4u
#define OFFSET_HASH 12u
#define OFFSET_VALIDATOR 44u
#define OFFSET_SIGNATURE 45u
#define NO_ENTRY UINT32_MAX
#define PATH_BYTES 4096u
/* Records read at once when scanning or salvaging. */
#define CHUNK_RECORDS 512u

_Static_assert(OFFSET_SIGNATURE + TALLY_SIGNATURE_BYTES == SIGNED_BYTES, "record layout");
_Static_assert(RECORD_BYTES == 125u, "record size");
_Static_assert(TALLY_VALIDATORS_MAX <= 255u, "a validator index fits in u8");

typedef struct {
    uint8_t block_hash[TALLY_HASH_BYTES];
    uint8_t signature[TALLY_SIGNATURE_BYTES];
    uint8_t validator;
    uint32_t next; /* the next entry of the same height, higher validator; NO_ENTRY */
} entry;

struct tally_cosign_store {
    int fd;
    char path[PATH_BYTES];
    bool failed; /* a write or fsync failed: no more adds (atomic: flush sets it without the caller's lock) */
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    tally_key validators[TALLY_VALIDATORS_MAX];
    uint32_t validator_count;
    uint64_t max_height; /* records above it are damage at open; 0: no bound */
    uint64_t size;       /* end of the last record */
    uint64_t records;
    uint64_t top;        /* highest height with an entry */
    uint32_t *first;     /* by height: the first entry, NO_ENTRY */
    uint64_t first_capacity;
    entry *entries;
    uint32_t entry_count, entry_capacity;
};

static void record_checksum(const uint8_t record[RECORD_BYTES], uint8_t out[CHECKSUM_BYTES]) {
    crypto_generichash(out, CHECKSUM_BYTES, record, SIGNED_BYTES, NULL, 0);
}

static void record_encode(uint64_t height, const uint8_t hash[TALLY_HASH_BYTES], uint32_t validator,
                          const uint8_t signature[TALLY_SIGNATURE_BYTES], uint8_t out[RECORD_BYTES]) {
    le_store_u32(out, TALLY_COSIGN_MAGIC);
    le_store_u64(out + OFFSET_HEIGHT, height);
    memcpy(out + OFFSET_HASH, hash, TALLY_HASH_BYTES);
    out[OFFSET_VALIDATOR] = (uint8_t)validator;
    memcpy(out + OFFSET_SIGNATURE, signature, TALLY_SIGNATURE_BYTES);
    record_checksum(out, out + SIGNED_BYTES);
}

/* Magic and checksum. */
static bool record_sound(const uint8_t record[RECORD_BYTES]) {
    if (le_load_u32(record) != TALLY_COSIGN_MAGIC) return false;
    uint8_t checksum[CHECKSUM_BYTES];
    record_checksum(record, checksum);
    return sodium_memcmp(checksum, record + SIGNED_BYTES, CHECKSUM_BYTES) == 0;
}

/* ------------------------------------------------------------------------ */
/* The index in memory.                                                      */
/* ------------------------------------------------------------------------ */

static bool heights_reserve(tally_cosign_store *store, uint64_t height) {
    if (height < store->first_capacity) return true;
    uint64_t capacity = store->first_capacity < 1024 ? 1024 : store->first_capacity;
    while (capacity <= height) {
        if (capacity > SIZE_MAX / sizeof(uint32_t) / 2) return false;
        capacity *= 2;
    }
    uint32_t *grown = realloc(store->first, (size_t)capacity * sizeof *grown);
    if (grown == NULL) return false;
    for (uint64_t h = store->first_capacity; h < capacity; h++) grown[h] = NO_ENTRY;
    store->first = grown;
    store->first_capacity = capacity;
    return true;
}

static bool entries_reserve(tally_cosign_store *store) {
    if (store->entry_count < store->entry_capacity) return true;
    if (store->entry_capacity >= UINT32_MAX / 2) return false;
    uint32_t capacity = store->entry_capacity < 1024 ? 1024 : store->entry_capacity * 2;
    entry *grown = realloc(store->entries, (size_t)capacity * sizeof *grown);
    if (grown == NULL) return false;
    store->entries = grown;
    store->entry_capacity = capacity;
    return true;
}

static const entry *entry_of(const tally_cosign_store *store, uint64_t height, uint32_t validator) {
    if (height >= store->first_capacity) return NULL;
    uint32_t steps = 0;
    for (uint32_t at = store->first[height]; at != NO_ENTRY; at = store->entries[at].next) {
        assert(++steps <= TALLY_VALIDATORS_MAX);
        if (store->entries[at].validator == validator) return &store->entries[at];
    }
    (void)steps;
    return NULL;
}

/*
 * Whether a co-signature may join the index: OK (and *duplicate when that very one
 * is there), or why not. Checks the signature last: it is the costly part.
 */
static tally_chain_error check_new(const tally_cosign_store *store, uint64_t max_height, uint64_t height,
                                   const uint8_t hash[TALLY_HASH_BYTES], uint32_t validator,
                                   const uint8_t signature[TALLY_SIGNATURE_BYTES], bool check_signature,
                                   bool *duplicate, tally_chain_failure *failure) {
    *duplicate = false;
    if (height == 0 || (max_height != 0 && height > max_height))
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, height, TALLY_NO_TX,
                          "no block to co-sign at this height (the chain's blocks run from 1 to %" PRIu64 ")",
                          max_height);
    if (validator >= store->validator_count)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, height, TALLY_NO_TX,
                          "validator %" PRIu32 " is not in the chain's set of %" PRIu32, validator,
                          store->validator_count);
    const entry *held = entry_of(store, height, validator);
    if (held != NULL) {
        if (sodium_memcmp(held->block_hash, hash, TALLY_HASH_BYTES) == 0 &&
            sodium_memcmp(held->signature, signature, TALLY_SIGNATURE_BYTES) == 0) {
            *duplicate = true;
            return TALLY_CHAIN_OK;
        }
        char first[17], second[17];
        sodium_bin2hex(first, sizeof first, held->block_hash, 8);
        sodium_bin2hex(second, sizeof second, hash, 8);
        return chain_fail(failure, TALLY_CHAIN_ERR_COSIGN_CONFLICT, height, TALLY_NO_TX,
                          "validator %" PRIu32 " co-signed block %s... and now %s %s...: equivocation", validator,
                          first, memcmp(held->block_hash, hash, TALLY_HASH_BYTES) == 0 ? "another signature of"
                                                                                        : "another block,",
                          second);
    }
    if (check_signature && !tally_cosign_holds(&store->validators[validator], store->chain_id, height, hash, signature))
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_COSIGNATURE, height, TALLY_NO_TX,
                          "validator %" PRIu32 "'s co-signature does not hold", validator);
    return TALLY_CHAIN_OK;
}

/* Puts a checked co-signature in the index, in validator order. */
static bool index_insert(tally_cosign_store *store, uint64_t height, const uint8_t hash[TALLY_HASH_BYTES],
                         uint32_t validator, const uint8_t signature[TALLY_SIGNATURE_BYTES]) {
    if (!heights_reserve(store, height) || !entries_reserve(store)) return false;
    uint32_t at = store->entry_count++;
    entry *made = &store->entries[at];
    memcpy(made->block_hash, hash, TALLY_HASH_BYTES);
    memcpy(made->signature, signature, TALLY_SIGNATURE_BYTES);
    made->validator = (uint8_t)validator;
    uint32_t *link = &store->first[height];
    while (*link != NO_ENTRY && store->entries[*link].validator < validator) link = &store->entries[*link].next;
    made->next = *link;
    *link = at;
    if (height > store->top) store->top = height;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Opening: the scan.                                                        */
/* ------------------------------------------------------------------------ */

static tally_chain_error corrupt(const tally_cosign_store *store, tally_chain_failure *failure, uint64_t offset,
                                 uint64_t height, const char *what) {
    chain_fail(failure, TALLY_CHAIN_ERR_COSIGN_LOG_CORRUPT, height, TALLY_NO_TX,
               "%s is damaged at byte %" PRIu64 " (record %" PRIu64 "): %s", store->path, offset,
               offset / RECORD_BYTES, what);
    if (failure != NULL) failure->offset = offset;
    return TALLY_CHAIN_ERR_COSIGN_LOG_CORRUPT;
}

static bool all_zero(const uint8_t *bytes, size_t length) {
    for (size_t i = 0; i < length; i++)
        if (bytes[i] != 0) return false;
    return true;
}

/* Whether the file from offset on is all zeros (bounded by the file). */
static bool zero_from(const tally_cosign_store *store, uint64_t offset, uint64_t file_size, bool *zero) {
    uint8_t chunk[CHUNK_RECORDS * RECORD_BYTES];
    *zero = true;
    while (offset < file_size && *zero) {
        size_t got = 0;
        if (!file_read_at(store->fd, chunk, sizeof chunk, offset, &got)) return false;
        if (got == 0) break;
        *zero = all_zero(chunk, got);
        offset += got;
    }
    return true;
}

static tally_chain_error cut_tail(tally_cosign_store *store, uint64_t offset, uint64_t file_size, const char *what,
                                  const tally_cosign_store_options *options, tally_chain_failure *failure) {
    if (!file_truncate(store->fd, offset) || !file_sync(store->fd))
        return chain_fail_io(failure, offset, errno, "cannot cut the torn tail of %s", store->path);
    tally_chain_failure notice;
    chain_fail(&notice, TALLY_CHAIN_ERR_LOG_TAIL_CUT, TALLY_NO_HEIGHT, TALLY_NO_TX,
               "%s ended in %" PRIu64 " bytes at byte %" PRIu64 " that %s; cut them off", store->path,
               file_size - offset, offset, what);
    notice.offset = offset;
    chain_notify(options->notice, options->notice_context, &notice);
    return TALLY_CHAIN_OK;
}

/* One whole record read at offset, whose signature was checked ahead (holds):
 * index it, or say why it is damage. */
static tally_chain_error scan_record(tally_cosign_store *store, const uint8_t record[RECORD_BYTES], uint64_t offset,
                                     bool holds, tally_chain_failure *failure) {
    if (le_load_u32(record) != TALLY_COSIGN_MAGIC)
        return corrupt(store, failure, offset, TALLY_NO_HEIGHT, "no record magic where a record starts");
    uint64_t height = le_load_u64(record + OFFSET_HEIGHT);
    if (!record_sound(record))
        return corrupt(store, failure, offset, TALLY_NO_HEIGHT, "a checksum mismatch in a complete record");
    bool duplicate = false;
    tally_chain_failure why;
    tally_chain_error error = check_new(store, store->max_height, height, record + OFFSET_HASH, record[OFFSET_VALIDATOR],
                                        record + OFFSET_SIGNATURE, false, &duplicate, &why);
    if (error == TALLY_CHAIN_OK && !duplicate && !holds)
        error = chain_fail(&why, TALLY_CHAIN_ERR_BAD_COSIGNATURE, height, TALLY_NO_TX,
                           "validator %u's co-signature does not hold", (unsigned)record[OFFSET_VALIDATOR]);
    if (error != TALLY_CHAIN_OK) {
        char what[TALLY_FAILURE_MESSAGE_MAX + 48];
        snprintf(what, sizeof what, "its checksum holds but it is refused (%s)", why.message);
        return corrupt(store, failure, offset, height, what);
    }
    if (!duplicate && !index_insert(store, height, record + OFFSET_HASH, record[OFFSET_VALIDATOR],
                                    record + OFFSET_SIGNATURE))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
    store->records++;
    return TALLY_CHAIN_OK;
}

/* The signatures of a chunk's records, checked on the pool (every core) before the
 * records are read in order. */
typedef struct {
    const tally_cosign_store *store;
    const uint8_t *records;
} signature_batch;

static bool record_holds(const void *context, uint32_t index) {
    const signature_batch *batch = context;
    const uint8_t *record = batch->records + (size_t)index * RECORD_BYTES;
    uint8_t validator = record[OFFSET_VALIDATOR];
    return validator < batch->store->validator_count &&
           tally_cosign_holds(&batch->store->validators[validator], batch->store->chain_id,
                              le_load_u64(record + OFFSET_HEIGHT), record + OFFSET_HASH, record + OFFSET_SIGNATURE);
}

static void check_signatures(const tally_cosign_store *store, const uint8_t *records, uint32_t count, bool *valid,
                             tally_signature_pool *pool) {
    for (uint32_t i = 0; i < count; i++) valid[i] = true;
    signature_batch batch = {store, records};
    tally_signature_pool_wait(pool, tally_signature_pool_submit(pool, record_holds, &batch, count, valid));
}

static tally_chain_error scan(tally_cosign_store *store, const tally_cosign_store_options *options,
                              tally_chain_failure *failure) {
    uint64_t file_size = 0;
    if (!file_stat_size(store->fd, &file_size))
        return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot stat %s", store->path);
    uint8_t chunk[CHUNK_RECORDS * RECORD_BYTES];
    uint64_t offset = 0;
    /* Each pass consumes at least one whole record, or ends the scan. */
    while (offset < file_size) {
        size_t got = 0;
        if (!file_read_at(store->fd, chunk, sizeof chunk, offset, &got))
            return chain_fail_io(failure, offset, errno, "cannot read %s", store->path);
        if (got == 0) break;
        size_t whole = got / RECORD_BYTES * RECORD_BYTES;
        bool valid[CHUNK_RECORDS];
        check_signatures(store, chunk, (uint32_t)(whole / RECORD_BYTES), valid, options->signatures);
        for (size_t at = 0; at < whole; at += RECORD_BYTES) {
            bool zero = false;
            if (all_zero(chunk + at, RECORD_BYTES)) {
                if (!zero_from(store, offset + at, file_size, &zero))
                    return chain_fail_io(failure, offset + at, errno, "cannot read %s", store->path);
                if (zero)
                    return cut_tail(store, offset + at, file_size, "are all zero (never written)", options, failure);
            }
            tally_chain_error error = scan_record(store, chunk + at, offset + at, valid[at / RECORD_BYTES], failure);
            if (error != TALLY_CHAIN_OK) return error;
            store->size = offset + at + RECORD_BYTES;
        }
        if (whole < got) {
            /* Fewer bytes than a record left in the file: what a crash leaves when they
             * begin as a record does (or are zeros); else not a record at all. */
            assert(offset + got == file_size);
            const uint8_t *tail = chunk + whole;
            size_t length = got - whole;
            uint8_t magic[4];
            le_store_u32(magic, TALLY_COSIGN_MAGIC);
            bool begins = memcmp(tail, magic, length < 4 ? length : 4) == 0;
            if (begins || all_zero(tail, length))
                return cut_tail(store, offset + whole, file_size,
                                "hold an unfinished record (a write the last run did not finish)", options, failure);
            return corrupt(store, failure, offset + whole, TALLY_NO_HEIGHT,
                           "bytes shorter than a record at the end that do not begin as one: no crash leaves them");
        }
        offset += got;
    }
    return TALLY_CHAIN_OK;
}

/* ------------------------------------------------------------------------ */
/* Opening and closing.                                                      */
/* ------------------------------------------------------------------------ */

static tally_chain_error open_file(tally_cosign_store *store, const char *directory,
                                   const tally_cosign_store_options *options, tally_chain_failure *failure) {
    store->fd = file_open(store->path, O_RDWR, 0);
    if (store->fd < 0 && errno == ENOENT && options->create) {
        store->fd = file_open(store->path, O_RDWR | O_CREAT | O_EXCL, 0644);
        if (store->fd >= 0 && !file_sync_directory(directory))
            return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot sync %s", directory);
    }
    if (store->fd < 0) return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot open %s", store->path);
    if (!file_lock(store->fd)) {
        if (errno == EAGAIN || errno == EACCES)
            return chain_fail(failure, TALLY_CHAIN_ERR_LOCKED, TALLY_NO_HEIGHT, TALLY_NO_TX,
                              "%s is open for writing in another process", store->path);
        return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot lock %s", store->path);
    }
    return TALLY_CHAIN_OK;
}

tally_chain_error tally_cosign_store_open(const char *directory, const uint8_t chain_id[TALLY_CHAIN_ID_BYTES],
                                          const tally_key *validators, uint32_t validator_count,
                                          const tally_cosign_store_options *options, tally_cosign_store **out,
                                          tally_chain_failure *failure) {
    assert(directory != NULL && chain_id != NULL && validators != NULL && out != NULL);
    *out = NULL;
    static const tally_cosign_store_options defaults;
    if (options == NULL) options = &defaults;
    if (validator_count == 0 || validator_count > TALLY_VALIDATORS_MAX)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, TALLY_NO_HEIGHT, TALLY_NO_TX,
                          "a chain has 1 to %u validators", TALLY_VALIDATORS_MAX);
    tally_cosign_store *store = calloc(1, sizeof *store);
    if (store == NULL) return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, TALLY_NO_HEIGHT, TALLY_NO_TX, NULL);
    store->fd = -1;
    memcpy(store->chain_id, chain_id, TALLY_CHAIN_ID_BYTES);
    memcpy(store->validators, validators, validator_count * sizeof *validators);
    store->validator_count = validator_count;
    store->max_height = options->max_height;
    tally_chain_error error = TALLY_CHAIN_OK;
    int length = snprintf(store->path, sizeof store->path, "%s/%s", directory, TALLY_COSIGN_FILE_NAME);
    if (length < 0 || (size_t)length >= sizeof store->path)
        error = chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, TALLY_NO_HEIGHT, TALLY_NO_TX,
                           "the directory path is too long");
    if (error == TALLY_CHAIN_OK) error = open_file(store, directory, options, failure);
    if (error == TALLY_CHAIN_OK) error = scan(store, options, failure);
    if (error != TALLY_CHAIN_OK) {
        tally_cosign_store_close(store);
        return error;
    }
    *out = store;
    return TALLY_CHAIN_OK;
}

void tally_cosign_store_close(tally_cosign_store *store) {
    if (store == NULL) return;
    if (store->fd >= 0) (void)file_close(store->fd);
    free(store->first);
    free(store->entries);
    free(store);
}

/* ------------------------------------------------------------------------ */
/* Adding and flushing.                                                      */
/* ------------------------------------------------------------------------ */

/* tally_cosign_store_add; heights above max_height (0: none) refused. */
static tally_chain_error add_bounded(tally_cosign_store *store, uint64_t max_height, uint64_t height,
                                     const uint8_t block_hash[TALLY_HASH_BYTES], uint32_t validator,
                                     const uint8_t signature[TALLY_SIGNATURE_BYTES], bool *added,
                                     tally_chain_failure *failure) {
    assert(store != NULL && block_hash != NULL && signature != NULL);
    if (added != NULL) *added = false;
    if (__atomic_load_n(&store->failed, __ATOMIC_ACQUIRE))
        return chain_fail(failure, TALLY_CHAIN_ERR_LOG_FAILED, height, TALLY_NO_TX,
                          "an earlier write to %s failed; close and reopen it", store->path);
    bool duplicate = false;
    tally_chain_error error =
        check_new(store, max_height, height, block_hash, validator, signature, true, &duplicate, failure);
    if (error != TALLY_CHAIN_OK || duplicate) return error;
    /* Room in memory first, so that a record in the file is always in the index. */
    if (!heights_reserve(store, height) || !entries_reserve(store))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
    uint8_t record[RECORD_BYTES];
    record_encode(height, block_hash, validator, signature, record);
    if (!file_write_at(store->fd, record, sizeof record, store->size)) {
        int os_error = errno;
        /* A full disk (ENOSPC) whose partial record was cut off again leaves the log
         * as it was: the record may be added again once there is room. */
        bool restored = file_truncate(store->fd, store->size) && file_sync(store->fd);
        if (!restored || os_error != ENOSPC) __atomic_store_n(&store->failed, true, __ATOMIC_RELEASE);
        chain_fail_io(failure, store->size, os_error, "cannot write a co-signature of block %" PRIu64 " to %s", height,
                      store->path);
        if (failure != NULL) failure->height = height;
        return TALLY_CHAIN_ERR_IO;
    }
    bool inserted = index_insert(store, height, block_hash, validator, signature);
    assert(inserted); /* reserved above */
    (void)inserted;
    store->size += RECORD_BYTES;
    store->records++;
    if (added != NULL) *added = true;
    return TALLY_CHAIN_OK;
}

tally_chain_error tally_cosign_store_add(tally_cosign_store *store, uint64_t height,
                                         const uint8_t block_hash[TALLY_HASH_BYTES], uint32_t validator,
                                         const uint8_t signature[TALLY_SIGNATURE_BYTES], bool *added,
                                         tally_chain_failure *failure) {
    return add_bounded(store, 0, height, block_hash, validator, signature, added, failure);
}

bool tally_cosign_store_failed(const tally_cosign_store *store) {
    return __atomic_load_n(&store->failed, __ATOMIC_ACQUIRE);
}

tally_chain_error tally_cosign_store_flush(tally_cosign_store *store, tally_chain_failure *failure) {
    assert(store != NULL && store->fd >= 0);
    if (file_sync(store->fd)) return TALLY_CHAIN_OK;
    int os_error = errno;
    __atomic_store_n(&store->failed, true, __ATOMIC_RELEASE);
    return chain_fail_io(failure, TALLY_NO_OFFSET, os_error, "cannot fsync %s", store->path);
}

/* ------------------------------------------------------------------------ */
/* Reading.                                                                  */
/* ------------------------------------------------------------------------ */

void tally_cosign_store_get(const tally_cosign_store *store, uint64_t height, tally_cosignature *out, uint32_t max,
                            uint32_t *count) {
    assert(store != NULL && count != NULL && (out != NULL || max == 0));
    *count = 0;
    if (height >= store->first_capacity) return;
    for (uint32_t at = store->first[height]; at != NO_ENTRY; at = store->entries[at].next) {
        const entry *held = &store->entries[at];
        if (*count < max) {
            tally_cosignature *made = &out[*count];
            made->height = height;
            memcpy(made->block_hash, held->block_hash, TALLY_HASH_BYTES);
            made->validator = held->validator;
            memcpy(made->signature, held->signature, TALLY_SIGNATURE_BYTES);
        }
        (*count)++;
    }
    assert(*count <= store->validator_count);
}

uint32_t tally_cosign_store_count_at(const tally_cosign_store *store, uint64_t height) {
    uint32_t count = 0;
    tally_cosign_store_get(store, height, NULL, 0, &count);
    return count;
}

uint32_t tally_cosign_store_count_of(const tally_cosign_store *store, uint64_t height,
                                     const uint8_t block_hash[TALLY_HASH_BYTES]) {
    assert(store != NULL && block_hash != NULL);
    uint32_t count = 0;
    if (height >= store->first_capacity) return 0;
    for (uint32_t at = store->first[height]; at != NO_ENTRY; at = store->entries[at].next)
        count += memcmp(store->entries[at].block_hash, block_hash, TALLY_HASH_BYTES) == 0;
    return count;
}

bool tally_cosign_store_extend(tally_cosign_store *store, const tally_key *validators, uint32_t count) {
    assert(store != NULL && validators != NULL);
    if (count < store->validator_count || count > TALLY_VALIDATORS_MAX ||
        memcmp(store->validators, validators, store->validator_count * sizeof *validators) != 0)
        return false;
    memcpy(store->validators, validators, count * sizeof *validators);
    store->validator_count = count;
    return true;
}

uint64_t tally_cosign_store_top(const tally_cosign_store *store) {
    assert(store != NULL);
    return store->top;
}

uint64_t tally_cosign_store_records(const tally_cosign_store *store) {
    assert(store != NULL);
    return store->records;
}

/* ------------------------------------------------------------------------ */
/* Salvage: the sound records of a damaged log.                              */
/* ------------------------------------------------------------------------ */

tally_chain_error tally_cosign_store_salvage(tally_cosign_store *store, const char *path,
                                             tally_cosign_salvage *summary, tally_chain_failure *failure) {
    assert(store != NULL && path != NULL && summary != NULL);
    memset(summary, 0, sizeof *summary);
    summary->first_dropped_offset = TALLY_NO_OFFSET;
    int fd = file_open(path, O_RDONLY, 0);
    if (fd < 0) return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot open %s", path);
    uint8_t chunk[CHUNK_RECORDS * RECORD_BYTES];
    uint64_t offset = 0;
    tally_chain_error error = TALLY_CHAIN_OK;
    for (;;) {
        size_t got = 0;
        if (!file_read_at(fd, chunk, sizeof chunk, offset, &got)) {
            error = chain_fail_io(failure, offset, errno, "cannot read %s", path);
            break;
        }
        size_t whole = got / RECORD_BYTES * RECORD_BYTES;
        for (size_t at = 0; at < whole && error == TALLY_CHAIN_OK; at += RECORD_BYTES) {
            const uint8_t *record = chunk + at;
            summary->records++;
            tally_chain_error refused = TALLY_CHAIN_ERR_COSIGN_LOG_CORRUPT;
            if (record_sound(record))
                refused = add_bounded(store, store->max_height, le_load_u64(record + OFFSET_HEIGHT),
                                      record + OFFSET_HASH, record[OFFSET_VALIDATOR], record + OFFSET_SIGNATURE, NULL,
                                      failure);
            if (refused == TALLY_CHAIN_OK) {
                summary->kept++;
            } else if (refused == TALLY_CHAIN_ERR_COSIGN_LOG_CORRUPT || refused == TALLY_CHAIN_ERR_BAD_ARGUMENT ||
                       refused == TALLY_CHAIN_ERR_BAD_COSIGNATURE || refused == TALLY_CHAIN_ERR_COSIGN_CONFLICT) {
                summary->dropped++;
                if (summary->first_dropped_offset == TALLY_NO_OFFSET) summary->first_dropped_offset = offset + at;
            } else {
                error = refused;
            }
        }
        if (error != TALLY_CHAIN_OK || got < sizeof chunk) break;
        offset += got;
    }
    (void)file_close(fd);
    return error;
}
