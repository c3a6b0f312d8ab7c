/*
 * snapshot_store.c: snapshot-<height>.bin files, the state after a block saved so a
 * restart replays only the blocks after it. A snapshot is a cache of the log, never
 * a source of truth: it is used only when its checksum holds, the log has a block
 * at its height with the hash it names, that block's header is in its place in the
 * hash chain from the genesis and signed by the chain's producer, and the state
 * hashes to that header's state_hash. The signature is what makes the header worth
 * trusting: anyone who can write the data directory can edit a header's state_hash,
 * recompute the record checksum and write a snapshot to match, but cannot sign.
 * Anything else is reported and passed over for an older one (or for a replay from
 * the genesis, which then refuses the edited block).
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

#define NAME_PREFIX "snapshot-"
#define NAME_SUFFIX ".bin"
#define TEMP_SUFFIX ".tmp"
#define HEIGHT_DIGITS_MAX 20u /* UINT64_MAX has 20 digits */
#define HEADER_BYTES (4u + 8u + TALLY_HASH_BYTES)
#define CHECKSUM_BYTES TALLY_HASH_BYTES
/* No state the core's bounds allow comes near this; it only stops a damaged or
 * foreign file from asking for all the memory there is. */
#define SNAPSHOT_FILE_MAX ((uint64_t)64 << 30)
#define PATH_BYTES 4096u

typedef struct {
    uint64_t heights[TALLY_SNAPSHOTS_SCANNED_MAX];
    size_t count;
    uint64_t temporaries[TALLY_SNAPSHOTS_SCANNED_MAX]; /* left by a crash mid-save */
    size_t temporary_count;
    size_t skipped; /* snapshot names beyond the bound */
} snapshot_list;

/* "snapshot-<height>.bin" (or with ".tmp" after it) with a canonical decimal height:
 * no sign, no leading zero, no overflow, so each height has one name. */
static bool parse_name(const char *name, uint64_t *height, bool *temporary) {
    size_t prefix = strlen(NAME_PREFIX);
    if (strncmp(name, NAME_PREFIX, prefix) != 0) return false;
    const char *digits = name + prefix;
    size_t count = 0;
    uint64_t value = 0;
    while (count <= HEIGHT_DIGITS_MAX && digits[count] >= '0' && digits[count] <= '9') {
        unsigned digit = (unsigned)(digits[count] - '0');
        if (value > (UINT64_MAX - digit) / 10) return false;
        value = value * 10 + digit;
        count++;
    }
    if (count == 0 || count > HEIGHT_DIGITS_MAX || (digits[0] == '0' && count > 1)) return false;
    const char *rest = digits + count;
    if (strcmp(rest, NAME_SUFFIX) == 0) {
        *temporary = false;
    } else if (strcmp(rest, NAME_SUFFIX TEMP_SUFFIX) == 0) {
        *temporary = true;
    } else {
        return false;
    }
    *height = value;
    return true;
}

static void collect(void *context, const char *name) {
    snapshot_list *list = context;
    uint64_t height;
    bool temporary;
    if (!parse_name(name, &height, &temporary)) return;
    if (temporary) {
        if (list->temporary_count < TALLY_SNAPSHOTS_SCANNED_MAX)
            list->temporaries[list->temporary_count++] = height;
    } else if (list->count < TALLY_SNAPSHOTS_SCANNED_MAX) {
        list->heights[list->count++] = height;
    } else {
        /* Full: keep the newest, since those are the ones worth loading. */
        size_t oldest = 0;
        for (size_t i = 1; i < list->count; i++) {
            if (list->heights[i] < list->heights[oldest]) oldest = i;
        }
        if (height > list->heights[oldest]) list->heights[oldest] = height;
        list->skipped++;
    }
}

static int newest_first(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Lists the snapshots of directory, newest first. */
static bool list_snapshots(const char *directory, snapshot_list *list) {
    memset(list, 0, sizeof *list);
    /* Every entry is looked at once; the bound is on what is kept, not on the
     * directory, so a data directory full of other files still works. */
    if (!file_list_directory(directory, collect, list, SIZE_MAX)) return false;
    qsort(list->heights, list->count, sizeof list->heights[0], newest_first);
    return true;
}

static bool snapshot_path(char *out, size_t size, const char *directory, uint64_t height,
                          bool temporary) {
    int length = snprintf(out, size, "%s/" NAME_PREFIX "%" PRIu64 NAME_SUFFIX "%s", directory,
                          height, temporary ? TEMP_SUFFIX : "");
    return length > 0 && (size_t)length < size;
}

/* ------------------------------------------------------------------------ */
/* Saving.                                                                   */
/* ------------------------------------------------------------------------ */

/* The whole file in memory: header, state, checksum. NULL when out of memory. */
static uint8_t *snapshot_bytes(uint64_t height, const uint8_t block_hash[TALLY_HASH_BYTES],
                               const tally_state *state, size_t *length) {
    size_t state_size = tally_state_serialized_size(state);
    if (state_size > SIZE_MAX - HEADER_BYTES - CHECKSUM_BYTES) return NULL;
    size_t total = HEADER_BYTES + state_size + CHECKSUM_BYTES;
    uint8_t *bytes = malloc(total);
    if (bytes == NULL) return NULL;
    le_store_u32(bytes, TALLY_SNAPSHOT_MAGIC);
    le_store_u64(bytes + 4, height);
    memcpy(bytes + 12, block_hash, TALLY_HASH_BYTES);
    size_t written = tally_state_serialize(state, bytes + HEADER_BYTES, state_size);
    assert(written == state_size);
    (void)written;
    crypto_generichash(bytes + total - CHECKSUM_BYTES, CHECKSUM_BYTES, bytes, total - CHECKSUM_BYTES,
                       NULL, 0);
    *length = total;
    return bytes;
}

/* Writes bytes to path and fsyncs it. */
static bool write_synced(const char *path, const uint8_t *bytes, size_t length) {
    int fd = file_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return false;
    bool ok = file_write_at(fd, bytes, length, 0) && file_sync(fd);
    int error = errno;
    bool closed = file_close(fd);
    if (ok && !closed) return false;
    errno = error;
    return ok;
}

/* Deletes all but the newest TALLY_SNAPSHOTS_KEPT snapshots, and temporaries a
 * crashed save left. Best effort: a file that stays costs disk, not correctness. */
static void prune(const char *directory) {
    snapshot_list list;
    if (!list_snapshots(directory, &list)) return;
    char path[PATH_BYTES];
    for (size_t i = TALLY_SNAPSHOTS_KEPT; i < list.count; i++) {
        if (snapshot_path(path, sizeof path, directory, list.heights[i], false)) (void)file_unlink(path);
    }
    for (size_t i = 0; i < list.temporary_count; i++) {
        if (snapshot_path(path, sizeof path, directory, list.temporaries[i], true)) (void)file_unlink(path);
    }
}

tally_chain_error tally_snapshot_save(const char *directory, uint64_t height,
                                      const uint8_t block_hash[TALLY_HASH_BYTES],
                                      const tally_state *state, tally_chain_failure *failure) {
    assert(directory != NULL && block_hash != NULL && state != NULL);
    char temporary[PATH_BYTES], final[PATH_BYTES];
    if (!snapshot_path(temporary, sizeof temporary, directory, height, true) ||
        !snapshot_path(final, sizeof final, directory, height, false))
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, height, TALLY_NO_TX,
                          "the directory path is too long");
    size_t length = 0;
    uint8_t *bytes = snapshot_bytes(height, block_hash, state, &length);
    if (bytes == NULL) return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
    /* Temporary, fsync, rename, fsync the directory: a crash at any point leaves
     * the old snapshot or the new one, never half of one under the final name. */
    const char *step = "write";
    bool ok = write_synced(temporary, bytes, length);
    if (ok) ok = (step = "rename", file_rename(temporary, final));
    if (ok) ok = (step = "sync the directory of", file_sync_directory(directory));
    int error = errno;
    free(bytes);
    if (!ok) {
        (void)file_unlink(temporary);
        chain_fail_io(failure, TALLY_NO_OFFSET, error, "cannot %s snapshot %s", step, final);
        if (failure != NULL) failure->height = height;
        return TALLY_CHAIN_ERR_IO;
    }
    prune(directory);
    return TALLY_CHAIN_OK;
}

/* ------------------------------------------------------------------------ */
/* Loading.                                                                  */
/* ------------------------------------------------------------------------ */

static tally_chain_error bad(tally_chain_failure *failure, uint64_t height, const char *path,
                             const char *why) {
    return chain_fail(failure, TALLY_CHAIN_ERR_SNAPSHOT_BAD, height, TALLY_NO_TX,
                      "ignored snapshot %s: %s", path, why);
}

/* The file's own consistency: size, magic, height, checksum. */
static tally_chain_error check_file(const uint8_t *bytes, size_t length, uint64_t height,
                                    const char *path, tally_chain_failure *failure) {
    if (length < HEADER_BYTES + CHECKSUM_BYTES + 1) return bad(failure, height, path, "too short");
    if (le_load_u32(bytes) != TALLY_SNAPSHOT_MAGIC) return bad(failure, height, path, "not a snapshot");
    if (le_load_u64(bytes + 4) != height)
        return bad(failure, height, path, "the height inside is not the one in its name");
    uint8_t checksum[CHECKSUM_BYTES];
    crypto_generichash(checksum, CHECKSUM_BYTES, bytes, length - CHECKSUM_BYTES, NULL, 0);
    if (sodium_memcmp(checksum, bytes + length - CHECKSUM_BYTES, CHECKSUM_BYTES) != 0)
        return bad(failure, height, path, "checksum mismatch");
    return TALLY_CHAIN_OK;
}

/* Whether the header is the chain producer's, with a signature that holds over it. */
static bool signed_by_producer(const tally_block_header *header, const tally_key *producer) {
    if (sodium_memcmp(header->producer.bytes, producer->bytes, TALLY_KEY_BYTES) != 0) return false;
    uint8_t bytes[TALLY_BLOCK_HEADER_BYTES];
    tally_block_header_encode(header, bytes);
    return crypto_sign_verify_detached(header->signature, bytes, TALLY_BLOCK_SIGNED_BYTES, producer->bytes) == 0;
}

/* The file against the log: the block it names, that block's place in the chain
 * and its producer's signature, the state it commits to. */
static tally_chain_error check_against_log(const uint8_t *bytes, size_t length, uint64_t height,
                                           const char *path, const tally_blocklog *log,
                                           const tally_chain_tip *genesis, tally_state **state,
                                           tally_chain_failure *failure) {
    if (height >= tally_blocklog_count(log))
        return bad(failure, height, path, "the block log ends before its block");
    tally_block_header header;
    uint8_t hash[TALLY_HASH_BYTES];
    tally_chain_error error = tally_blocklog_header(log, height, &header, hash, failure);
    if (error != TALLY_CHAIN_OK) return error;
    if (sodium_memcmp(hash, bytes + 12, TALLY_HASH_BYTES) != 0)
        return bad(failure, height, path, "its block hash is not the log's block at that height");
    if (height >= tally_blocklog_linked(log))
        return bad(failure, height, path,
                   "the log's headers do not link from the genesis to its block (height or previous hash)");
    if (!signed_by_producer(&header, &genesis->producer))
        return bad(failure, height, path,
                   "its block's header does not carry the chain producer's signature (the header was changed "
                   "after it was signed)");
    tally_error code = TALLY_OK;
    tally_state *loaded =
        tally_state_deserialize(bytes + HEADER_BYTES, length - HEADER_BYTES - CHECKSUM_BYTES, &code);
    if (loaded == NULL) return bad(failure, height, path, tally_error_name(code));
    uint8_t state_hash[TALLY_HASH_BYTES];
    const char *why = NULL;
    if (memcmp(tally_state_chain_id(loaded), genesis->chain_id, TALLY_CHAIN_ID_BYTES) != 0) {
        why = "its state is of another chain";
    } else if (!tally_state_commit(loaded, state_hash)) { /* builds the trees the replay goes on with */
        tally_state_destroy(loaded);
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
    } else if (sodium_memcmp(state_hash, header.state_hash, TALLY_HASH_BYTES) != 0) {
        why = "its state does not hash to the block's state hash";
    }
    if (why != NULL) {
        tally_state_destroy(loaded);
        return bad(failure, height, path, why);
    }
    *state = loaded;
    return TALLY_CHAIN_OK;
}

static tally_chain_error try_snapshot(const char *directory, uint64_t height, const tally_blocklog *log,
                                      const tally_chain_tip *genesis, tally_state **state,
                                      tally_chain_failure *failure) {
    char path[PATH_BYTES];
    if (!snapshot_path(path, sizeof path, directory, height, false))
        return bad(failure, height, "(path too long)", "cannot be named");
    uint8_t *bytes = NULL;
    size_t length = 0;
    if (!file_read_whole(path, &bytes, &length, SNAPSHOT_FILE_MAX)) {
        if (errno == ENOMEM) return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
        return bad(failure, height, path, strerror(errno));
    }
    tally_chain_error error = check_file(bytes, length, height, path, failure);
    if (error == TALLY_CHAIN_OK)
        error = check_against_log(bytes, length, height, path, log, genesis, state, failure);
    free(bytes);
    return error;
}

tally_chain_error tally_snapshot_load(const char *directory, const tally_blocklog *log,
                                      const tally_chain_tip *genesis, tally_notice_fn *notice,
                                      void *notice_context, tally_state **state, uint64_t *height,
                                      tally_chain_failure *failure) {
    assert(directory != NULL && log != NULL && genesis != NULL && state != NULL && height != NULL);
    *state = NULL;
    *height = 0;
    snapshot_list list;
    if (!list_snapshots(directory, &list))
        return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot list %s", directory);
    if (list.skipped > 0) {
        tally_chain_failure skipped;
        chain_fail(&skipped, TALLY_CHAIN_ERR_SNAPSHOT_BAD, TALLY_NO_HEIGHT, TALLY_NO_TX,
                   "%s holds more than %u snapshots; %zu were not considered", directory,
                   TALLY_SNAPSHOTS_SCANNED_MAX, list.skipped);
        chain_notify(notice, notice_context, &skipped);
    }
    for (size_t i = 0; i < list.count; i++) {
        tally_chain_failure why;
        tally_chain_error error = try_snapshot(directory, list.heights[i], log, genesis, state, &why);
        if (error == TALLY_CHAIN_OK) {
            *height = list.heights[i];
            return TALLY_CHAIN_OK;
        }
        if (error == TALLY_CHAIN_ERR_NO_MEMORY) return chain_fail(failure, error, why.height, TALLY_NO_TX, NULL);
        /* A snapshot that cannot be used is never fatal: the log can rebuild it. */
        why.code = TALLY_CHAIN_ERR_SNAPSHOT_BAD;
        chain_notify(notice, notice_context, &why);
    }
    return TALLY_CHAIN_OK;
}
