/*
 * blocklog.c: blocks.log, the append-only file that is the source of truth. Each
 * record is magic | length | encoded block | BLAKE2b-128 checksum of (length ||
 * block). Opening scans every record, checks its checksum and that it decodes, and
 * keeps the offset of each record by height (the record's position: the chain's
 * own checks, heights and links included, are tally_block_apply's). A damaged record
 * with nothing valid after it is a write the last run did not finish: it is cut
 * off. A damaged record with valid data after it cannot come from a crash, so the
 * log refuses to open rather than serve a chain with a hole in it.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

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
    RECORD_TRUNCATED, /* the file ends inside it */
    RECORD_BAD_MAGIC,
    RECORD_BAD_LENGTH,
    RECORD_BAD_CHECKSUM
} record_status;

static const char *record_status_text(record_status status) {
    switch (status) {
    case RECORD_OK: return "sound";
    case RECORD_TRUNCATED: return "cut short by the end of the file";
    case RECORD_BAD_MAGIC: return "no record magic";
    case RECORD_BAD_LENGTH: return "a length out of range";
    case RECORD_BAD_CHECKSUM: return "a checksum mismatch";
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
    if (room < (uint64_t)TALLY_LOG_RECORD_OVERHEAD + *length) return RECORD_TRUNCATED;
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
        /* A few bytes at the very end: the start of a record, or not even that. */
        bool magic = got >= 4 && le_load_u32(prefix) == TALLY_LOG_MAGIC;
        *status = got >= 4 && !magic ? RECORD_BAD_MAGIC : RECORD_TRUNCATED;
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
        *status = RECORD_TRUNCATED; /* the file shrank under us */
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
               "%s is corrupt at byte %" PRIu64 ", the record of block %" PRIu64
               ": %s; refusing to serve a damaged chain (restore the data directory "
               "from a backup or another node)",
               path, offset, height, what);
    if (failure != NULL) failure->offset = offset;
    return TALLY_CHAIN_ERR_LOG_CORRUPT;
}

/* A damaged record at offset: a torn tail (cut or skip it) or corruption. */
static tally_chain_error handle_damage(tally_blocklog *log, uint64_t offset, uint64_t file_size,
                                       record_status status, const tally_blocklog_options *options,
                                       tally_chain_failure *failure) {
    bool exists = false;
    uint64_t found = 0;
    if (!find_valid_record_after(log, offset, file_size, &exists, &found))
        return chain_fail_io(failure, offset, errno, "cannot read %s", log->path);
    if (exists) {
        char what[160];
        snprintf(what, sizeof what, "%s, and a valid record follows at byte %" PRIu64,
                 record_status_text(status), found);
        return corrupt(failure, offset, log->count, what, log->path);
    }
    if (!log->read_only) {
        if (!file_truncate(log->fd, offset) || !file_sync(log->fd))
            return chain_fail_io(failure, offset, errno, "cannot cut the torn tail of %s", log->path);
    }
    tally_chain_failure notice;
    chain_fail(&notice, TALLY_CHAIN_ERR_LOG_TAIL_CUT, log->count, TALLY_NO_TX,
               "%s ended in %" PRIu64 " bytes of an unfinished record (%s) at byte %" PRIu64 "; %s",
               log->path, file_size - offset, record_status_text(status), offset,
               log->read_only ? "ignored them (read-only)" : "cut them off");
    notice.offset = offset;
    chain_notify(options->notice, options->notice_context, &notice);
    return TALLY_CHAIN_OK;
}

/* Decodes the record just read and indexes it as the next block. Heights and
 * prev_hash links are not checked here but by tally_block_apply when the store
 * replays, which names the exact reason (BAD_HEIGHT, BAD_PREV_HASH). */
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
    log->offsets[log->count] = offset;
    log->count++;
    log->last_header = log->scratch.header;
    tally_block_hash(&log->scratch.header, log->last_hash);
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
            return handle_damage(log, offset, file_size, status, options, failure);
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

tally_chain_error tally_blocklog_open(const char *directory, const tally_blocklog_options *options,
                                     tally_blocklog **out, tally_chain_failure *failure) {
    assert(directory != NULL && out != NULL);
    *out = NULL;
    static const tally_blocklog_options defaults;
    if (options == NULL) options = &defaults;
    tally_blocklog *log = calloc(1, sizeof *log);
    if (log == NULL) return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, TALLY_NO_HEIGHT, TALLY_NO_TX, NULL);
    log->fd = -1;
    log->read_only = options->read_only;
    tally_block_init(&log->scratch);
    int length = snprintf(log->path, sizeof log->path, "%s/%s", directory, TALLY_LOG_FILE_NAME);
    tally_chain_error error = TALLY_CHAIN_OK;
    if (length < 0 || (size_t)length >= sizeof log->path) {
        error = chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, TALLY_NO_HEIGHT, TALLY_NO_TX,
                           "the directory path is too long");
    }
    if (error == TALLY_CHAIN_OK) error = open_file(log, directory, options, failure);
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

tally_chain_error tally_blocklog_append(tally_blocklog *log, const tally_block *block,
                                       tally_chain_failure *failure) {
    assert(log != NULL && block != NULL);
    uint64_t height = block->header.height;
    if (log->read_only) return chain_fail(failure, TALLY_CHAIN_ERR_READ_ONLY, height, TALLY_NO_TX, NULL);
    if (log->failed) return chain_fail(failure, TALLY_CHAIN_ERR_LOG_FAILED, height, TALLY_NO_TX, NULL);
    tally_chain_error error = check_next(log, &block->header, failure);
    if (error != TALLY_CHAIN_OK) return error;
    /* Everything that can fail without touching the file comes first. */
    if (!offsets_reserve(log, log->count + 1))
        return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
    bool out_of_memory;
    size_t record = build_record(log, block, &out_of_memory);
    if (record == 0)
        return chain_fail(failure, out_of_memory ? TALLY_CHAIN_ERR_NO_MEMORY : TALLY_CHAIN_ERR_BAD_ARGUMENT,
                          height, TALLY_NO_TX, out_of_memory ? NULL : "the block cannot be encoded");
    /* Group commit: one write and one fsync for the whole block. */
    if (!file_write_at(log->fd, log->buffer, record, log->size))
        return append_failed(log, errno, "write", failure);
    if (!file_sync(log->fd)) return append_failed(log, errno, "fsync", failure);
    log->offsets[log->count] = log->size;
    log->count++;
    log->size += record;
    log->last_header = block->header;
    tally_block_hash(&block->header, log->last_hash);
    return TALLY_CHAIN_OK;
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
