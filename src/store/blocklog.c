/*
 * blocklog.c: blocks.log, the append-only file that is the source of truth. Each
 * record is magic | length | encoded block | BLAKE2b-128 checksum of (length ||
 * block). Opening scans every record, checks its checksum and that it decodes, keeps
 * the offset of each record by height, and follows the hash links of the headers
 * (height, prev_hash) so the store knows how far the log is one chain from its
 * first block (the chain's own checks are tally_block_apply's, run by replay).
 *
 * What a crash can leave and what it cannot. An append is one write at the end of
 * the file, so a process that dies mid-append leaves a prefix of its record: the
 * file ends inside the 8-byte header, or before the end of the payload + checksum
 * the header declares. Such an incomplete record is *torn*: never fsynced, never
 * acknowledged; it is cut off (and reported). So is a tail of zero bytes from a
 * record boundary to the end of the file: space a crash extended the file by and
 * never wrote. Everything else is *damage*: a complete record (its declared length
 * fits in the file) whose checksum fails, a header without the magic or with an
 * impossible length, a record whose checksum holds but whose block does not decode,
 * or a torn-looking record with a valid record after it. A damaged record may hold
 * a block that was acknowledged, so opening refuses (LOG_CORRUPT, its byte offset
 * and height) instead of cutting it; tally_blocklog_repair cuts it, with the
 * operator's consent (`tallyd --repair`), and reports every block that goes.
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
#include "chain/chain_internal.h"
#include "store/file_io.h"

#define CHECKSUM_BYTES 16u
#define PREFIX_BYTES 8u /* magic and length */
#define RECORD_MAX (TALLY_LOG_RECORD_OVERHEAD + TALLY_BLOCK_ENCODED_MAX)
/* Bytes read at once when searching a damaged region for a later valid record. */
#define SEARCH_CHUNK_BYTES 65536u
#define PATH_MAX_BYTES 4096u

_Static_assert(TALLY_LOG_RECORD_OVERHEAD == PREFIX_BYTES + CHECKSUM_BYTES, "record layout");
_Static_assert(TALLY_BLOCK_ENCODED_MAX <= UINT32_MAX, "a payload length fits in u32");
_Static_assert(CHECKSUM_BYTES >= crypto_generichash_BYTES_MIN, "BLAKE2b gives 16 bytes");

struct tally_blocklog {
    int fd;
    bool read_only;
    bool failed; /* a write or fsync failed: no more appends */
    char path[PATH_MAX_BYTES];
    uint64_t size;     /* end of the last valid record */
    uint64_t count;    /* blocks */
    uint64_t linked;   /* blocks 0..linked-1 are one hash chain (see tally_blocklog_linked) */
    uint64_t capacity; /* entries of offsets */
    uint64_t *offsets; /* record start by height */
    tally_block_header last_header;
    uint8_t last_hash[TALLY_HASH_BYTES];
    uint8_t *buffer; /* one record, reused */
    size_t buffer_capacity;
    tally_block scratch; /* decoding target while scanning */
};

/* Why a record could not be read, for messages. */
typedef enum {
    RECORD_OK,
    RECORD_INCOMPLETE, /* a prefix of a record: the file ends before its declared end */
    RECORD_BAD_MAGIC,
    RECORD_BAD_LENGTH,
    RECORD_BAD_CHECKSUM
} record_status;

static const char *record_status_text(record_status status) {
    switch (status) {
    case RECORD_OK: return "sound";
    case RECORD_INCOMPLETE: return "cut short by the end of the file";
    case RECORD_BAD_MAGIC: return "no record magic where a record starts";
    case RECORD_BAD_LENGTH: return "a record length out of range";
    case RECORD_BAD_CHECKSUM: return "a checksum mismatch in a complete record";
    }
    return "?";
}

static void record_checksum(const uint8_t *length_and_payload, size_t length,
                            uint8_t out[CHECKSUM_BYTES]) {
    crypto_generichash(out, CHECKSUM_BYTES, length_and_payload, length, NULL, 0);
}

static bool buffer_reserve(tally_blocklog *log, size_t size) {
    if (size <= log->buffer_capacity) return true;
    uint8_t *grown = realloc(log->buffer, size);
    if (grown == NULL) return false;
    log->buffer = grown;
    log->buffer_capacity = size;
    return true;
}

static bool offsets_reserve(tally_blocklog *log, uint64_t count) {
    if (count <= log->capacity) return true;
    uint64_t capacity = log->capacity < 1024 ? 1024 : log->capacity;
    while (capacity < count) {
        if (capacity > SIZE_MAX / sizeof(uint64_t) / 2) return false;
        capacity *= 2;
    }
    uint64_t *grown = realloc(log->offsets, (size_t)capacity * sizeof *grown);
    if (grown == NULL) return false;
    log->offsets = grown;
    log->capacity = capacity;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Reading records.                                                          */
/* ------------------------------------------------------------------------ */

/* What the 8-byte prefix says, given `room` bytes from the record's start to the
 * end of the file. */
static record_status check_prefix(const uint8_t prefix[PREFIX_BYTES], uint64_t room,
                                  uint32_t *length) {
    if (le_load_u32(prefix) != TALLY_LOG_MAGIC) return RECORD_BAD_MAGIC;
    *length = le_load_u32(prefix + 4);
    if (*length < TALLY_BLOCK_HEADER_BYTES || *length > TALLY_BLOCK_ENCODED_MAX)
        return RECORD_BAD_LENGTH;
    if (room < (uint64_t)TALLY_LOG_RECORD_OVERHEAD + *length) return RECORD_INCOMPLETE;
    return RECORD_OK;
}

/*
 * Reads the record at offset of a file of file_size bytes into log->buffer, which
 * then holds the length field (4 bytes), the payload and the checksum. Sets *status
 * to RECORD_OK (and *payload_length) or to why not; false (errno) only when the
 * read itself failed or memory ran out.
 */
static bool read_record(tally_blocklog *log, uint64_t offset, uint64_t file_size,
                        record_status *status, uint32_t *payload_length) {
    assert(offset <= file_size);
    uint64_t room = file_size - offset;
    uint8_t prefix[PREFIX_BYTES] = {0};
    size_t wanted = room < PREFIX_BYTES ? (size_t)room : PREFIX_BYTES;
    size_t got = 0;
    if (!file_read_at(log->fd, prefix, wanted, offset, &got)) return false;
    if (got < PREFIX_BYTES) {
        /* A few bytes at the very end: the start of a header when they begin as the
         * magic does (what a crash leaves), else not a record at all. */
        uint8_t magic[4];
        le_store_u32(magic, TALLY_LOG_MAGIC);
        bool begins = memcmp(prefix, magic, got < 4 ? got : 4) == 0;
        *status = begins ? RECORD_INCOMPLETE : RECORD_BAD_MAGIC;
        return true;
    }
    uint32_t length = 0;
    *status = check_prefix(prefix, room, &length);
    if (*status != RECORD_OK) return true;
    size_t body = 4u + (size_t)length + CHECKSUM_BYTES;
    if (!buffer_reserve(log, body)) {
        errno = ENOMEM;
        return false;
    }
    if (!file_read_at(log->fd, log->buffer, body, offset + 4, &got)) return false;
    if (got != body) {
        *status = RECORD_INCOMPLETE; /* the file shrank under us */
        return true;
    }
    uint8_t checksum[CHECKSUM_BYTES];
    record_checksum(log->buffer, 4u + length, checksum);
    bool sound = sodium_memcmp(checksum, log->buffer + 4 + length, CHECKSUM_BYTES) == 0;
    *status = sound ? RECORD_OK : RECORD_BAD_CHECKSUM;
    *payload_length = length;
    return true;
}

/*
 * Is there a record with a valid checksum starting anywhere in (start, file_size)?
 * Searches for the magic chunk by chunk and tries each hit; bounded by the file.
 * *found is its offset. false (errno) when reading fails.
 */
static bool find_valid_record_after(tally_blocklog *log, uint64_t start, uint64_t file_size,
                                    bool *exists, uint64_t *found) {
    *exists = false;
    uint8_t chunk[SEARCH_CHUNK_BYTES];
    uint8_t magic[4];
    le_store_u32(magic, TALLY_LOG_MAGIC);
    uint64_t position = start + 1;
    while (position + TALLY_LOG_RECORD_OVERHEAD <= file_size) {
        size_t got = 0;
        if (!file_read_at(log->fd, chunk, sizeof chunk, position, &got)) return false;
        if (got < 4) break;
        for (size_t i = 0; i + 4 <= got; i++) {
            if (memcmp(chunk + i, magic, 4) != 0) continue;
            record_status status;
            uint32_t length;
            if (!read_record(log, position + i, file_size, &status, &length)) return false;
            if (status != RECORD_OK) continue;
            *exists = true;
            *found = position + i;
            return true;
        }
        if (got < sizeof chunk) break; /* that was the end of the file */
        /* The next chunk starts 3 bytes back so a magic across the seam is seen. */
        position += got - 3;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Opening: the scan.                                                        */
/* ------------------------------------------------------------------------ */

static tally_chain_error corrupt(tally_chain_failure *failure, uint64_t offset, uint64_t height,
                                 const char *what, const char *path) {
    chain_fail(failure, TALLY_CHAIN_ERR_LOG_CORRUPT, height, TALLY_NO_TX,
               "%s is damaged at byte %" PRIu64 ", the record of block %" PRIu64
               ": %s; refusing to serve a damaged chain",
               path, offset, height, what);
    if (failure != NULL) failure->offset = offset;
    return TALLY_CHAIN_ERR_LOG_CORRUPT;
}

/* Whether every byte from offset to the end of the file is zero (bounded by the
 * file; reads a chunk at a time). */
static bool zero_tail(const tally_blocklog *log, uint64_t offset, uint64_t file_size, bool *zero) {
    *zero = true;
    uint8_t chunk[SEARCH_CHUNK_BYTES];
    while (offset < file_size && *zero) {
        size_t got = 0;
        if (!file_read_at(log->fd, chunk, sizeof chunk, offset, &got)) return false;
        if (got == 0) break;
        for (size_t i = 0; i < got && *zero; i++) *zero = chunk[i] == 0;
        offset += got;
    }
    return true;
}

/* The end of the file from offset on is no record: zeros or a torn last record.
 * Cut it (a writable log) or pass over it (read-only), and say so. */
static tally_chain_error cut_tail(tally_blocklog *log, uint64_t offset, uint64_t file_size, const char *what,
                                  const tally_blocklog_options *options, tally_chain_failure *failure) {
    if (!log->read_only) {
        if (!file_truncate(log->fd, offset) || !file_sync(log->fd))
            return chain_fail_io(failure, offset, errno, "cannot cut the torn tail of %s", log->path);
    }
    tally_chain_failure notice;
    chain_fail(&notice, TALLY_CHAIN_ERR_LOG_TAIL_CUT, log->count, TALLY_NO_TX,
               "%s ended in %" PRIu64 " bytes at byte %" PRIu64 " that %s; %s", log->path, file_size - offset,
               offset, what, log->read_only ? "ignored them (read-only)" : "cut them off");
    notice.offset = offset;
    chain_notify(options->notice, options->notice_context, &notice);
    return TALLY_CHAIN_OK;
}

/*
 * Whether the bytes [offset, end) are one whole record whose length field alone is
 * damaged: the checksum at their end holds over the length they imply and the
 * payload. A torn write never passes this (its last 16 bytes would have to be the
 * BLAKE2b of the bytes before them). On true, log->buffer holds the implied length,
 * the payload and the checksum, as read_record leaves a sound record.
 */
static bool whole_with_damaged_length(tally_blocklog *log, uint64_t offset, uint64_t end, bool *whole,
                                      uint32_t *payload_length) {
    *whole = false;
    assert(end >= offset);
    uint64_t span = end - offset;
    if (span < TALLY_LOG_RECORD_OVERHEAD + TALLY_BLOCK_HEADER_BYTES || span > RECORD_MAX) return true;
    size_t body = (size_t)span - 4; /* from the length field on */
    if (!buffer_reserve(log, body)) {
        errno = ENOMEM;
        return false;
    }
    size_t got = 0;
    if (!file_read_at(log->fd, log->buffer, body, offset + 4, &got)) return false;
    if (got != body) return true;
    size_t payload = body - 4 - CHECKSUM_BYTES;
    le_store_u32(log->buffer, (uint32_t)payload);
    uint8_t checksum[CHECKSUM_BYTES];
    record_checksum(log->buffer, 4u + payload, checksum);
    *whole = sodium_memcmp(checksum, log->buffer + 4 + payload, CHECKSUM_BYTES) == 0;
    *payload_length = (uint32_t)payload;
    return true;
}

/* The record at offset is not sound: a torn tail (cut or skip it) or damage. */
static tally_chain_error handle_bad_record(tally_blocklog *log, uint64_t offset, uint64_t file_size,
                                           record_status status, const tally_blocklog_options *options,
                                           tally_chain_failure *failure) {
    bool zero = false;
    if (!zero_tail(log, offset, file_size, &zero))
        return chain_fail_io(failure, offset, errno, "cannot read %s", log->path);
    if (zero) return cut_tail(log, offset, file_size, "are all zero (never written)", options, failure);
    bool exists = false;
    uint64_t found = 0;
    if (!find_valid_record_after(log, offset, file_size, &exists, &found))
        return chain_fail_io(failure, offset, errno, "cannot read %s", log->path);
    bool whole = false;
    uint32_t implied = 0;
    if (status == RECORD_INCOMPLETE && !exists &&
        !whole_with_damaged_length(log, offset, file_size, &whole, &implied))
        return chain_fail_io(failure, offset, errno, "cannot read %s", log->path);
    if (status == RECORD_INCOMPLETE && !exists && !whole)
        return cut_tail(log, offset, file_size, "hold an unfinished record (a write the last run did not finish)",
                        options, failure);
    /* Complete but wrong, or not at the end: no crash of the writer leaves that. */
    char what[240];
    if (exists) {
        snprintf(what, sizeof what, "%s, and a valid record follows at byte %" PRIu64, record_status_text(status),
                 found);
    } else if (whole) {
        snprintf(what, sizeof what, "its length field is damaged: the file holds a whole record of %" PRIu32
                 " payload bytes whose checksum holds; its block may have been acknowledged", implied);
    } else if (status == RECORD_BAD_CHECKSUM) {
        snprintf(what, sizeof what, "%s, the last in the file: a crash leaves no complete record behind, so its "
                 "block may have been acknowledged", record_status_text(status));
    } else {
        snprintf(what, sizeof what, "%s (%" PRIu64 " bytes to the end of the file, not all zero): no crash of "
                 "the writer leaves such bytes", record_status_text(status), file_size - offset);
    }
    return corrupt(failure, offset, log->count, what, log->path);
}

/* Decodes the record just read and indexes it as the next block. Heights and
 * prev_hash links are followed (log->linked) but not refused here: a break is
 * refused by tally_block_apply when the store replays, which names the exact
 * reason (BAD_HEIGHT, BAD_PREV_HASH), and a snapshot is trusted only against a
 * block inside the linked prefix. */
static tally_chain_error accept_record(tally_blocklog *log, uint64_t offset, uint32_t length,
                                       tally_chain_failure *failure) {
    tally_chain_failure decode_failure;
    tally_chain_error error =
        tally_block_decode(log->buffer + 4, length, &log->scratch, &decode_failure);
    if (error == TALLY_CHAIN_ERR_NO_MEMORY)
        return chain_fail(failure, error, log->count, TALLY_NO_TX, NULL);
    if (error != TALLY_CHAIN_OK) {
        char what[TALLY_FAILURE_MESSAGE_MAX + 64];
        snprintf(what, sizeof what, "its checksum holds but it does not decode (%s)",
                 decode_failure.message);
        return corrupt(failure, offset, log->count, what, log->path);
    }
    if (!offsets_reserve(log, log->count + 1))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, log->count, TALLY_NO_TX, NULL);
    static const uint8_t zero[TALLY_HASH_BYTES];
    const tally_block_header *header = &log->scratch.header;
    const uint8_t *expected_prev = log->count == 0 ? zero : log->last_hash;
    if (log->linked == log->count && header->height == log->count &&
        memcmp(header->prev_hash, expected_prev, TALLY_HASH_BYTES) == 0)
        log->linked++;
    log->offsets[log->count] = offset;
    log->count++;
    log->last_header = *header;
    tally_block_hash(header, log->last_hash);
    log->size = offset + TALLY_LOG_RECORD_OVERHEAD + length;
    return TALLY_CHAIN_OK;
}

static tally_chain_error scan(tally_blocklog *log, const tally_blocklog_options *options,
                              tally_chain_failure *failure) {
    uint64_t file_size = 0;
    if (!file_stat_size(log->fd, &file_size))
        return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot stat %s", log->path);
    uint64_t offset = 0;
    /* Each pass consumes a record of at least TALLY_LOG_RECORD_OVERHEAD bytes, so
     * the loop ends within file_size / overhead passes. */
    while (offset < file_size) {
        record_status status;
        uint32_t length = 0;
        if (!read_record(log, offset, file_size, &status, &length)) {
            if (errno == ENOMEM)
                return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, log->count, TALLY_NO_TX, NULL);
            return chain_fail_io(failure, offset, errno, "cannot read %s", log->path);
        }
        if (status != RECORD_OK)
            return handle_bad_record(log, offset, file_size, status, options, failure);
        tally_chain_error error = accept_record(log, offset, length, failure);
        if (error != TALLY_CHAIN_OK) return error;
        offset = log->size;
    }
    return TALLY_CHAIN_OK;
}

/* ------------------------------------------------------------------------ */
/* Opening and closing.                                                      */
/* ------------------------------------------------------------------------ */

/* Opens (or creates) the file; a new file's directory entry is made durable. */
static tally_chain_error open_file(tally_blocklog *log, const char *directory,
                                   const tally_blocklog_options *options,
                                   tally_chain_failure *failure) {
    int flags = log->read_only ? O_RDONLY : O_RDWR;
    log->fd = file_open(log->path, flags, 0);
    if (log->fd < 0 && errno == ENOENT && options->create && !log->read_only) {
        log->fd = file_open(log->path, O_RDWR | O_CREAT | O_EXCL, 0644);
        if (log->fd >= 0 && !file_sync_directory(directory))
            return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot sync %s", directory);
    }
    if (log->fd < 0) return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot open %s", log->path);
    if (!log->read_only && !file_lock(log->fd)) {
        if (errno == EAGAIN || errno == EACCES)
            return chain_fail(failure, TALLY_CHAIN_ERR_LOCKED, TALLY_NO_HEIGHT, TALLY_NO_TX,
                              "%s is open for writing in another process", log->path);
        return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot lock %s", log->path);
    }
    return TALLY_CHAIN_OK;
}

/* A log object for directory/blocks.log, not yet opened, in *out. */
static tally_chain_error log_new(const char *directory, bool read_only, tally_blocklog **out,
                                 tally_chain_failure *failure) {
    *out = NULL;
    tally_blocklog *log = calloc(1, sizeof *log);
    if (log == NULL) return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, TALLY_NO_HEIGHT, TALLY_NO_TX, NULL);
    log->fd = -1;
    log->read_only = read_only;
    tally_block_init(&log->scratch);
    int length = snprintf(log->path, sizeof log->path, "%s/%s", directory, TALLY_LOG_FILE_NAME);
    if (length < 0 || (size_t)length >= sizeof log->path) {
        tally_blocklog_close(log);
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, TALLY_NO_HEIGHT, TALLY_NO_TX,
                          "the directory path is too long");
    }
    *out = log;
    return TALLY_CHAIN_OK;
}

tally_chain_error tally_blocklog_open(const char *directory, const tally_blocklog_options *options,
                                     tally_blocklog **out, tally_chain_failure *failure) {
    assert(directory != NULL && out != NULL);
    *out = NULL;
    static const tally_blocklog_options defaults;
    if (options == NULL) options = &defaults;
    tally_blocklog *log = NULL;
    tally_chain_error error = log_new(directory, options->read_only, &log, failure);
    if (error != TALLY_CHAIN_OK) return error;
    error = open_file(log, directory, options, failure);
    if (error == TALLY_CHAIN_OK) error = scan(log, options, failure);
    /* The scan's decoding arrays can be large; appends and reads do not need them. */
    tally_block_release(&log->scratch);
    if (error != TALLY_CHAIN_OK) {
        tally_blocklog_close(log);
        return error;
    }
    *out = log;
    return TALLY_CHAIN_OK;
}

void tally_blocklog_close(tally_blocklog *log) {
    if (log == NULL) return;
    if (log->fd >= 0) (void)file_close(log->fd);
    tally_block_release(&log->scratch);
    free(log->offsets);
    free(log->buffer);
    free(log);
}

uint64_t tally_blocklog_count(const tally_blocklog *log) {
    assert(log != NULL);
    return log->count;
}

bool tally_blocklog_last(const tally_blocklog *log, tally_block_header *header,
                         uint8_t hash[TALLY_HASH_BYTES]) {
    assert(log != NULL);
    if (log->count == 0) return false;
    if (header != NULL) *header = log->last_header;
    if (hash != NULL) memcpy(hash, log->last_hash, TALLY_HASH_BYTES);
    return true;
}

uint64_t tally_blocklog_size(const tally_blocklog *log) {
    assert(log != NULL);
    return log->size;
}

uint64_t tally_blocklog_linked(const tally_blocklog *log) {
    assert(log != NULL && log->linked <= log->count);
    return log->linked;
}

/* ------------------------------------------------------------------------ */
/* Appending.                                                                */
/* ------------------------------------------------------------------------ */

/* A write or fsync failed: cut the file back to the last durable record (best
 * effort) and refuse appends from now on. */
static tally_chain_error append_failed(tally_blocklog *log, int os_error, const char *what,
                                       tally_chain_failure *failure) {
    log->failed = true;
    if (file_truncate(log->fd, log->size)) (void)file_sync(log->fd);
    chain_fail_io(failure, log->size, os_error, "cannot %s block %" PRIu64 " to %s", what,
                  log->count, log->path);
    if (failure != NULL) failure->height = log->count;
    return TALLY_CHAIN_ERR_IO;
}

/* Refuses a block that is not the log's next one. */
static tally_chain_error check_next(const tally_blocklog *log, const tally_block_header *header,
                                    tally_chain_failure *failure) {
    if (header->height != log->count)
        return chain_fail(failure, TALLY_CHAIN_ERR_NOT_NEXT_BLOCK, header->height, TALLY_NO_TX,
                          "the log's next height is %" PRIu64, log->count);
    static const uint8_t zero[TALLY_HASH_BYTES];
    const uint8_t *expected = log->count == 0 ? zero : log->last_hash;
    if (memcmp(header->prev_hash, expected, TALLY_HASH_BYTES) != 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_NOT_NEXT_BLOCK, header->height, TALLY_NO_TX,
                          "the previous hash is not the hash of the log's last block");
    return TALLY_CHAIN_OK;
}

/* Lays the record out in log->buffer; returns its size (0: cannot encode). */
static size_t build_record(tally_blocklog *log, const tally_block *block, bool *out_of_memory) {
    *out_of_memory = false;
    size_t payload = tally_block_encoded_size(block);
    if (payload == 0) return 0;
    size_t record = TALLY_LOG_RECORD_OVERHEAD + payload;
    if (!buffer_reserve(log, record)) return (*out_of_memory = true), 0;
    le_store_u32(log->buffer, TALLY_LOG_MAGIC);
    le_store_u32(log->buffer + 4, (uint32_t)payload);
    size_t written = tally_block_encode(block, log->buffer + PREFIX_BYTES, payload);
    assert(written == payload);
    (void)written;
    record_checksum(log->buffer + 4, 4u + payload, log->buffer + PREFIX_BYTES + payload);
    return record;
}

tally_chain_error blocklog_append_prepare(tally_blocklog *log, const tally_block *block, size_t *record,
                                          tally_chain_failure *failure) {
    assert(log != NULL && block != NULL && record != NULL);
    *record = 0;
    uint64_t height = block->header.height;
    if (log->read_only) return chain_fail(failure, TALLY_CHAIN_ERR_READ_ONLY, height, TALLY_NO_TX, NULL);
    if (log->failed) return chain_fail(failure, TALLY_CHAIN_ERR_LOG_FAILED, height, TALLY_NO_TX, NULL);
    tally_chain_error error = check_next(log, &block->header, failure);
    if (error != TALLY_CHAIN_OK) return error;
    /* Everything that can fail without touching the file comes first. */
    if (!offsets_reserve(log, log->count + 1))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
    bool out_of_memory;
    *record = build_record(log, block, &out_of_memory);
    if (*record == 0)
        return chain_fail(failure, out_of_memory ? TALLY_CHAIN_ERR_NO_MEMORY : TALLY_CHAIN_ERR_BAD_ARGUMENT,
                          height, TALLY_NO_TX, out_of_memory ? NULL : "the block cannot be encoded");
    return TALLY_CHAIN_OK;
}

tally_chain_error blocklog_append_write(tally_blocklog *log, size_t record, tally_chain_failure *failure) {
    assert(log != NULL && record >= TALLY_LOG_RECORD_OVERHEAD);
    /* Group commit: one write and one fsync for the whole block. Only the file, the
     * record's buffer and the failed flag are touched: the index of the records
     * (count, offsets, size) stays as readers see it. */
    if (!file_write_at(log->fd, log->buffer, record, log->size))
        return append_failed(log, errno, "write", failure);
    if (!file_sync(log->fd)) return append_failed(log, errno, "fsync", failure);
    return TALLY_CHAIN_OK;
}

void blocklog_record_payload(const tally_blocklog *log, size_t record, const uint8_t **bytes, size_t *length) {
    assert(log != NULL && record >= TALLY_LOG_RECORD_OVERHEAD);
    /* u32 magic | u32 length | payload | checksum[16] */
    *bytes = log->buffer + 8;
    *length = record - TALLY_LOG_RECORD_OVERHEAD;
}

void blocklog_append_finish(tally_blocklog *log, const tally_block *block, size_t record) {
    assert(log != NULL && block != NULL && block->header.height == log->count);
    /* check_next made sure the block links to the last one. */
    if (log->linked == log->count) log->linked++;
    log->offsets[log->count] = log->size;
    log->count++;
    log->size += record;
    log->last_header = block->header;
    tally_block_hash(&block->header, log->last_hash);
}

tally_chain_error tally_blocklog_append(tally_blocklog *log, const tally_block *block,
                                       tally_chain_failure *failure) {
    size_t record = 0;
    tally_chain_error error = blocklog_append_prepare(log, block, &record, failure);
    if (error == TALLY_CHAIN_OK) error = blocklog_append_write(log, record, failure);
    if (error == TALLY_CHAIN_OK) blocklog_append_finish(log, block, record);
    return error;
}

/* ------------------------------------------------------------------------ */
/* Reading blocks back.                                                      */
/* ------------------------------------------------------------------------ */

tally_chain_error tally_blocklog_read_encoded(const tally_blocklog *log, uint64_t height,
                                             uint8_t **bytes, size_t *length,
                                             tally_chain_failure *failure) {
    assert(log != NULL && bytes != NULL && length != NULL);
    *bytes = NULL;
    *length = 0;
    if (height >= log->count)
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_SUCH_BLOCK, height, TALLY_NO_TX, NULL);
    uint64_t start = log->offsets[height];
    uint64_t end = height + 1 < log->count ? log->offsets[height + 1] : log->size;
    assert(end > start && end - start >= TALLY_LOG_RECORD_OVERHEAD && end - start <= RECORD_MAX);
    size_t record = (size_t)(end - start);
    uint8_t *buffer = malloc(record);
    if (buffer == NULL) return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
    size_t got = 0;
    if (!file_read_at(log->fd, buffer, record, start, &got)) {
        int error = errno;
        free(buffer);
        chain_fail_io(failure, start, error, "cannot read block %" PRIu64 " from %s", height, log->path);
        return TALLY_CHAIN_ERR_IO;
    }
    /* The file was checked when opened; check again, since disks rot and files
     * get edited while a node runs. */
    size_t payload = record - TALLY_LOG_RECORD_OVERHEAD;
    uint8_t checksum[CHECKSUM_BYTES];
    bool sound = got == record && le_load_u32(buffer) == TALLY_LOG_MAGIC &&
                 le_load_u32(buffer + 4) == payload;
    if (sound) {
        record_checksum(buffer + 4, 4u + payload, checksum);
        sound = sodium_memcmp(checksum, buffer + PREFIX_BYTES + payload, CHECKSUM_BYTES) == 0;
    }
    if (!sound) {
        free(buffer);
        return corrupt(failure, start, height, "the record changed since the log was opened", log->path);
    }
    memmove(buffer, buffer + PREFIX_BYTES, payload);
    *bytes = buffer;
    *length = payload;
    return TALLY_CHAIN_OK;
}

tally_chain_error tally_blocklog_read(const tally_blocklog *log, uint64_t height, tally_block *block,
                                     tally_chain_failure *failure) {
    assert(log != NULL && block != NULL);
    uint8_t *bytes = NULL;
    size_t length = 0;
    tally_chain_error error = tally_blocklog_read_encoded(log, height, &bytes, &length, failure);
    if (error != TALLY_CHAIN_OK) return error;
    error = tally_block_decode(bytes, length, block, failure);
    free(bytes);
    return error;
}

tally_chain_error tally_blocklog_header(const tally_blocklog *log, uint64_t height,
                                       tally_block_header *header, uint8_t hash[TALLY_HASH_BYTES],
                                       tally_chain_failure *failure) {
    assert(log != NULL && header != NULL && hash != NULL);
    if (height >= log->count)
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_SUCH_BLOCK, height, TALLY_NO_TX, NULL);
    /* Only the prefix and the header: listing headers must not read whole blocks. */
    uint64_t start = log->offsets[height];
    uint64_t end = height + 1 < log->count ? log->offsets[height + 1] : log->size;
    uint8_t bytes[PREFIX_BYTES + TALLY_BLOCK_HEADER_BYTES];
    size_t got = 0;
    if (!file_read_at(log->fd, bytes, sizeof bytes, start, &got)) {
        chain_fail_io(failure, start, errno, "cannot read block %" PRIu64 " from %s", height, log->path);
        return TALLY_CHAIN_ERR_IO;
    }
    bool sound = got == sizeof bytes && le_load_u32(bytes) == TALLY_LOG_MAGIC &&
                 (uint64_t)le_load_u32(bytes + 4) + TALLY_LOG_RECORD_OVERHEAD == end - start &&
                 tally_block_header_decode(bytes + PREFIX_BYTES, TALLY_BLOCK_HEADER_BYTES, header) ==
                     TALLY_CHAIN_OK;
    if (!sound) return corrupt(failure, start, height, "the record changed since the log was opened", log->path);
    tally_block_hash(header, hash);
    return TALLY_CHAIN_OK;
}

/* ------------------------------------------------------------------------ */
/* Repair: cutting damage off, with the operator's consent.                  */
/* ------------------------------------------------------------------------ */

static tally_chain_error read_failed(const tally_blocklog *log, uint64_t offset, uint64_t height,
                                     tally_chain_failure *failure) {
    if (errno == ENOMEM) return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
    return chain_fail_io(failure, offset, errno, "cannot read %s", log->path);
}

/*
 * Reports every stretch from start to the end of the file: records that still have
 * their framing (magic, a length that fits), decoded when their bytes still decode,
 * and the bytes between them that hold no readable record. Each pass moves at least
 * one byte on (a whole record, or up to the next valid record or the end), so the
 * loop ends within the file.
 */
static tally_chain_error report_losses(tally_blocklog *log, uint64_t start, uint64_t file_size,
                                       const tally_repair_options *options, tally_repair_summary *summary,
                                       tally_chain_failure *failure) {
    tally_block block;
    tally_block_init(&block);
    tally_chain_error error = TALLY_CHAIN_OK;
    uint64_t offset = start, height = log->count;
    while (offset < file_size && error == TALLY_CHAIN_OK) {
        record_status status;
        uint32_t length = 0;
        if (!read_record(log, offset, file_size, &status, &length)) {
            error = read_failed(log, offset, height, failure);
            break;
        }
        tally_log_loss loss = {height, offset, 0, false, NULL};
        uint32_t payload = length;
        if (status == RECORD_OK) {
            loss.record = true;
        } else {
            /* Where this stretch ends: at the next valid record, or the end. */
            bool exists = false, whole = false;
            uint64_t end = file_size;
            if (!find_valid_record_after(log, offset, file_size, &exists, &end) ||
                !whole_with_damaged_length(log, offset, exists ? end : file_size, &whole, &payload)) {
                error = read_failed(log, offset, height, failure);
                break;
            }
            if (!exists) end = file_size;
            loss.length = end - offset;
            if (whole) {
                loss.record = true;
            } else if (status == RECORD_BAD_CHECKSUM) {
                /* Its length fits: the payload it declares, damaged somewhere. */
                if (!read_record(log, offset, file_size, &status, &payload)) {
                    error = read_failed(log, offset, height, failure);
                    break;
                }
                loss.record = true;
            }
        }
        if (loss.record) {
            loss.length = TALLY_LOG_RECORD_OVERHEAD + (uint64_t)payload;
            error = tally_block_decode(log->buffer + 4, payload, &block, NULL);
            if (error == TALLY_CHAIN_ERR_NO_MEMORY) {
                chain_fail(failure, error, height, TALLY_NO_TX, NULL);
                break;
            }
            if (error == TALLY_CHAIN_OK) loss.block = &block;
            error = TALLY_CHAIN_OK;
        }
        assert(loss.length > 0 && loss.length <= file_size - offset);
        summary->lost_records += loss.record ? 1 : 0;
        summary->lost_blocks += loss.block != NULL ? 1 : 0;
        summary->lost_transactions += loss.block != NULL ? loss.block->header.tx_count : 0;
        summary->lost_bytes += loss.length;
        if (options->lost != NULL) options->lost(options->lost_context, &loss);
        if (loss.record) height++;
        offset += loss.length;
    }
    tally_block_release(&block);
    return error;
}

/* The scan stopped at damage: report what follows it, then cut the file there. */
static tally_chain_error cut_damage(tally_blocklog *log, const tally_chain_failure *damage,
                                    const tally_repair_options *options, tally_repair_summary *summary,
                                    tally_chain_failure *failure) {
    assert(damage->offset == log->size);
    if (log->count == 0) {
        chain_fail(failure, TALLY_CHAIN_ERR_LOG_CORRUPT, 0, TALLY_NO_TX,
                   "%s is damaged at byte %" PRIu64 ", in the genesis record: cutting it would leave no chain; "
                   "restore the data directory from a backup or another node",
                   log->path, damage->offset);
        if (failure != NULL) failure->offset = damage->offset;
        return TALLY_CHAIN_ERR_LOG_CORRUPT;
    }
    uint64_t file_size = 0;
    if (!file_stat_size(log->fd, &file_size))
        return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot stat %s", log->path);
    summary->damage = *damage;
    summary->kept_blocks = log->count;
    tally_chain_error error = report_losses(log, damage->offset, file_size, options, summary, failure);
    if (error != TALLY_CHAIN_OK) return error;
    if (!file_truncate(log->fd, damage->offset) || !file_sync(log->fd))
        return chain_fail_io(failure, damage->offset, errno, "cannot cut %s", log->path);
    summary->cut = true;
    return TALLY_CHAIN_OK;
}

tally_chain_error tally_blocklog_repair(const char *directory, const tally_repair_options *options,
                                       tally_repair_summary *summary, tally_chain_failure *failure) {
    assert(directory != NULL && summary != NULL);
    memset(summary, 0, sizeof *summary);
    static const tally_repair_options defaults;
    if (options == NULL) options = &defaults;
    tally_blocklog_options log_options = {false, false, options->notice, options->notice_context};
    tally_blocklog *log = NULL;
    tally_chain_error error = log_new(directory, false, &log, failure);
    if (error != TALLY_CHAIN_OK) return error;
    error = open_file(log, directory, &log_options, failure);
    if (error == TALLY_CHAIN_OK) {
        tally_chain_failure damage;
        error = scan(log, &log_options, &damage);
        if (error == TALLY_CHAIN_ERR_LOG_CORRUPT && damage.offset != TALLY_NO_OFFSET) {
            error = cut_damage(log, &damage, options, summary, failure);
        } else if (error != TALLY_CHAIN_OK && failure != NULL) {
            *failure = damage;
        }
    }
    tally_blocklog_close(log);
    return error;
}
