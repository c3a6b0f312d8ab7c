/*
 * chain_store.c: a data directory as a running chain. Opening scans the block log,
 * starts the chain from its genesis, loads the newest valid snapshot and replays
 * the blocks after it with full verification (tally_chain_replay: signatures
 * checked ahead on every core), so the state in memory is always one the log
 * proves. Producing or accepting a block changes that state and appends
 * the block durably before returning. tally_chain_verify replays from the genesis
 * trusting nothing but the genesis itself: what `tally verify` runs.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/chain_errors.h"
#include "chain/chain_internal.h"
#include "store/file_io.h"

#define PATH_BYTES 4096u

struct tally_store {
    char directory[PATH_BYTES];
    tally_blocklog *log;
    tally_state *state;
    tally_chain_tip tip;
    bool read_only;
    tally_signature_pool *signatures; /* borrowed (tally_store_options); may be NULL */
    /* The state went ahead of the log (a failed append or a block that failed
     * verification halfway): nothing more until the store is reopened. */
    bool failed;
    /* A block built by tally_store_build_next and not yet published: the state
     * holds it; the log holds it once written. */
    bool unwritten;
    const tally_block *unwritten_block;
    tally_chain_tip unwritten_tip;
    size_t unwritten_record;
};

static uint64_t monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Reads and verifies block 0: the chain id, the producer, the empty state. */
static tally_chain_error start_from_genesis(const tally_blocklog *log, tally_state **state,
                                            tally_chain_tip *tip, tally_chain_failure *failure) {
    if (tally_blocklog_count(log) == 0)
        return chain_fail(failure, TALLY_CHAIN_ERR_LOG_EMPTY, TALLY_NO_HEIGHT, TALLY_NO_TX, NULL);
    tally_block genesis;
    tally_block_init(&genesis);
    tally_chain_error error = tally_blocklog_read(log, 0, &genesis, failure);
    if (error == TALLY_CHAIN_OK) error = tally_genesis_open(&genesis, state, tip, failure);
    tally_block_release(&genesis);
    return error;
}

static tally_chain_error read_from_log(void *context, uint64_t height, tally_block *block,
                                       tally_chain_failure *failure) {
    return tally_blocklog_read(context, height, block, failure);
}

/*
 * Verifies and applies blocks tip->height + 1 .. count - 1 of the log onto state,
 * their signatures checked ahead on `signatures` (NULL: on a pool started for it).
 * Adds the transactions seen to *transactions. Bounded by the log's count.
 */
static tally_chain_error replay(const tally_blocklog *log, tally_state *state, tally_chain_tip *tip,
                                tally_signature_pool *signatures, tally_progress_fn *progress,
                                void *progress_context, uint64_t *transactions, tally_chain_failure *failure) {
    /* The source only reads: the log is not changed while it replays. */
    return tally_chain_replay(state, tip, tally_blocklog_count(log), read_from_log, (void *)(uintptr_t)log,
                              signatures, progress, progress_context, transactions, failure);
}

static tally_store *store_new(const char *directory, bool read_only, tally_chain_failure *failure,
                              tally_chain_error *error) {
    tally_store *store = calloc(1, sizeof *store);
    if (store == NULL) {
        *error = chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, TALLY_NO_HEIGHT, TALLY_NO_TX, NULL);
        return NULL;
    }
    int length = snprintf(store->directory, sizeof store->directory, "%s", directory);
    if (length < 0 || (size_t)length >= sizeof store->directory) {
        free(store);
        *error = chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, TALLY_NO_HEIGHT, TALLY_NO_TX,
                            "the directory path is too long");
        return NULL;
    }
    store->read_only = read_only;
    *error = TALLY_CHAIN_OK;
    return store;
}

void tally_store_close(tally_store *store) {
    if (store == NULL) return;
    tally_blocklog_close(store->log);
    tally_state_destroy(store->state);
    free(store);
}

/* ------------------------------------------------------------------------ */
/* Creating and opening.                                                     */
/* ------------------------------------------------------------------------ */

tally_chain_error tally_store_create(const char *directory, const tally_block *genesis,
                                     const tally_store_options *options, tally_store **out,
                                     tally_chain_failure *failure) {
    assert(directory != NULL && genesis != NULL && out != NULL);
    *out = NULL;
    static const tally_store_options defaults;
    if (options == NULL) options = &defaults;
    if (options->read_only)
        return chain_fail(failure, TALLY_CHAIN_ERR_READ_ONLY, TALLY_NO_HEIGHT, TALLY_NO_TX, NULL);
    tally_chain_error error;
    tally_store *store = store_new(directory, false, failure, &error);
    if (store == NULL) return error;
    store->signatures = options->signatures;
    if (!file_make_directory(directory, 0755)) {
        tally_store_close(store);
        return chain_fail_io(failure, TALLY_NO_OFFSET, errno, "cannot create %s", directory);
    }
    error = tally_genesis_open(genesis, &store->state, &store->tip, failure);
    tally_blocklog_options log_options = {false, true, options->notice, options->notice_context};
    if (error == TALLY_CHAIN_OK) error = tally_blocklog_open(directory, &log_options, &store->log, failure);
    if (error == TALLY_CHAIN_OK && tally_blocklog_count(store->log) > 0)
        error = chain_fail(failure, TALLY_CHAIN_ERR_LOG_EXISTS, TALLY_NO_HEIGHT, TALLY_NO_TX,
                           "%s already holds a block log", directory);
    if (error == TALLY_CHAIN_OK) error = tally_blocklog_append(store->log, genesis, failure);
    if (error != TALLY_CHAIN_OK) {
        tally_store_close(store);
        return error;
    }
    *out = store;
    return TALLY_CHAIN_OK;
}

/* Replaces the genesis state with the newest valid snapshot, when there is one.
 * store->tip is still the genesis tip here: the chain id and producer a snapshot
 * is checked against. */
static tally_chain_error load_snapshot(tally_store *store, const tally_store_options *options,
                                       tally_chain_failure *failure) {
    tally_state *loaded = NULL;
    uint64_t height = 0;
    tally_chain_error error =
        tally_snapshot_load(store->directory, store->log, &store->tip, options->notice,
                            options->notice_context, &loaded, &height, failure);
    if (error != TALLY_CHAIN_OK || loaded == NULL) return error;
    tally_block_header header;
    uint8_t hash[TALLY_HASH_BYTES];
    error = tally_blocklog_header(store->log, height, &header, hash, failure);
    if (error != TALLY_CHAIN_OK) {
        tally_state_destroy(loaded);
        return error;
    }
    tally_state_destroy(store->state);
    store->state = loaded;
    store->tip.height = height;
    memcpy(store->tip.hash, hash, TALLY_HASH_BYTES);
    store->tip.block_time = header.block_time;
    memcpy(store->tip.state_hash, header.state_hash, TALLY_HASH_BYTES);
    tally_chain_tip_take_validators(&store->tip, loaded);
    return TALLY_CHAIN_OK;
}

tally_chain_error tally_store_open(const char *directory, const tally_store_options *options,
                                   tally_store **out, tally_chain_failure *failure) {
    assert(directory != NULL && out != NULL);
    *out = NULL;
    static const tally_store_options defaults;
    if (options == NULL) options = &defaults;
    tally_chain_error error;
    tally_store *store = store_new(directory, options->read_only, failure, &error);
    if (store == NULL) return error;
    store->signatures = options->signatures;
    tally_blocklog_options log_options = {options->read_only, false, options->notice,
                                          options->notice_context};
    error = tally_blocklog_open(directory, &log_options, &store->log, failure);
    if (error == TALLY_CHAIN_OK) error = start_from_genesis(store->log, &store->state, &store->tip, failure);
    if (error == TALLY_CHAIN_OK) error = load_snapshot(store, options, failure);
    uint64_t transactions = 0;
    if (error == TALLY_CHAIN_OK)
        error = replay(store->log, store->state, &store->tip, options->signatures, options->progress,
                       options->progress_context, &transactions, failure);
    if (error != TALLY_CHAIN_OK) {
        tally_store_close(store);
        return error;
    }
    *out = store;
    return TALLY_CHAIN_OK;
}

const tally_state *tally_store_state(const tally_store *store) {
    assert(store != NULL);
    return store->state;
}

const tally_chain_tip *tally_store_tip(const tally_store *store) {
    assert(store != NULL);
    return &store->tip;
}

const tally_blocklog *tally_store_log(const tally_store *store) {
    assert(store != NULL);
    return store->log;
}

/* ------------------------------------------------------------------------ */
/* Growing the chain.                                                        */
/* ------------------------------------------------------------------------ */

static tally_chain_error writable(const tally_store *store, tally_chain_failure *failure) {
    if (store->read_only)
        return chain_fail(failure, TALLY_CHAIN_ERR_READ_ONLY, TALLY_NO_HEIGHT, TALLY_NO_TX, NULL);
    if (store->failed)
        return chain_fail(failure, TALLY_CHAIN_ERR_LOG_FAILED, TALLY_NO_HEIGHT, TALLY_NO_TX, NULL);
    if (store->unwritten)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, TALLY_NO_HEIGHT, TALLY_NO_TX,
                          "the block built last is not published yet");
    return TALLY_CHAIN_OK;
}

/* Appends a block whose effect the state already holds; on failure the state is
 * ahead of the log, so the store refuses everything until reopened. */
static tally_chain_error commit(tally_store *store, const tally_block *block,
                                const tally_chain_tip *next_tip, tally_chain_failure *failure) {
    tally_chain_error error = tally_blocklog_append(store->log, block, failure);
    if (error != TALLY_CHAIN_OK) {
        store->failed = true;
        return error;
    }
    store->tip = *next_tip;
    return TALLY_CHAIN_OK;
}

static tally_chain_error build_next(tally_store *store, const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                    int64_t block_time, const tally_tx *candidates,
                                    const tally_tx_prepared *prepared, uint32_t candidate_count,
                                    bool signatures_checked, tally_result *candidate_results, tally_block *block,
                                    tally_chain_failure *failure) {
    assert(store != NULL && block != NULL);
    tally_chain_error error = writable(store, failure);
    if (error != TALLY_CHAIN_OK) return error;
    tally_chain_tip next_tip = store->tip;
    bool state_changed = false;
    error = block_build(store->state, &next_tip, producer_secret, block_time, candidates, prepared,
                        candidate_count, signatures_checked, candidate_results, block,
                        &state_changed, failure);
    /* Laid out for the log now, so that writing it needs nothing but the file. */
    size_t record = 0;
    if (error == TALLY_CHAIN_OK) error = blocklog_append_prepare(store->log, block, &record, failure);
    if (error != TALLY_CHAIN_OK) {
        if (state_changed) store->failed = true;
        return error;
    }
    store->unwritten = true;
    store->unwritten_block = block;
    store->unwritten_tip = next_tip;
    store->unwritten_record = record;
    return TALLY_CHAIN_OK;
}

tally_chain_error tally_store_build_next(tally_store *store, const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                         int64_t block_time, const tally_tx *candidates,
                                         const tally_tx_prepared *prepared, uint32_t candidate_count,
                                         tally_result *candidate_results, tally_block *block,
                                         tally_chain_failure *failure) {
    return build_next(store, producer_secret, block_time, candidates, prepared, candidate_count, true, candidate_results,
                      block, failure);
}

tally_chain_error tally_store_write_next(tally_store *store, tally_chain_failure *failure) {
    assert(store != NULL && store->unwritten);
    tally_chain_error error = blocklog_append_write(store->log, store->unwritten_record, failure);
    if (error != TALLY_CHAIN_OK) {
        store->unwritten = false;
        store->failed = true; /* the state holds a block the log does not */
    }
    return error;
}

void tally_store_publish_next(tally_store *store) {
    assert(store != NULL && store->unwritten);
    blocklog_append_finish(store->log, store->unwritten_block, store->unwritten_record);
    store->tip = store->unwritten_tip;
    store->unwritten = false;
}

void tally_store_next_encoded(const tally_store *store, const uint8_t **bytes, size_t *length) {
    assert(store != NULL && store->unwritten && bytes != NULL && length != NULL);
    blocklog_record_payload(store->log, store->unwritten_record, bytes, length);
}

static tally_chain_error produce(tally_store *store, const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                int64_t block_time, const tally_tx *candidates, uint32_t candidate_count,
                                bool signatures_checked, tally_result *candidate_results,
                                tally_block *block, tally_chain_failure *failure) {
    tally_chain_error error = build_next(store, producer_secret, block_time, candidates, NULL, candidate_count,
                                         signatures_checked, candidate_results, block, failure);
    if (error == TALLY_CHAIN_OK) error = tally_store_write_next(store, failure);
    if (error == TALLY_CHAIN_OK) tally_store_publish_next(store);
    return error;
}

tally_chain_error tally_store_produce(tally_store *store, const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                      int64_t block_time, const tally_tx *candidates,
                                      uint32_t candidate_count, tally_result *candidate_results,
                                      tally_block *block, tally_chain_failure *failure) {
    return produce(store, producer_secret, block_time, candidates, candidate_count, false,
                   candidate_results, block, failure);
}

tally_chain_error tally_store_produce_verified(tally_store *store,
                                               const uint8_t producer_secret[TALLY_SECRET_BYTES],
                                               int64_t block_time, const tally_tx *candidates,
                                               uint32_t candidate_count, tally_result *candidate_results,
                                               tally_block *block, tally_chain_failure *failure) {
    return produce(store, producer_secret, block_time, candidates, candidate_count, true,
                   candidate_results, block, failure);
}

/* tally_block_apply of a block tally_block_check passed, the transactions'
 * signatures checked on the store's pool when it has one. */
/* What the pool's threads read for tally_store_accept_known. */
typedef struct {
    const tally_tx *txs;
    const bool *known_valid;
} accepted_txs;

static bool check_unless_known(const void *context, uint32_t index) {
    const accepted_txs *accepted = context;
    return accepted->known_valid[index] || tally_tx_verify(&accepted->txs[index]);
}

static tally_chain_error apply_accepted(tally_store *store, tally_chain_tip *next_tip, const tally_block *block,
                                        const bool *known_valid, tally_chain_failure *failure) {
    uint32_t count = block->header.tx_count;
    bool *valid = (store->signatures != NULL || known_valid != NULL) && count > 0 ? malloc(count * sizeof *valid)
                                                                                  : NULL;
    if (valid == NULL) return tally_block_apply(store->state, next_tip, block, failure);
    for (uint32_t i = 0; i < count; i++) valid[i] = true;
    if (known_valid == NULL) {
        tally_signature_pool_check_txs(store->signatures, block->txs, count, valid);
    } else {
        accepted_txs accepted = {block->txs, known_valid};
        tally_signature_pool_wait(store->signatures, tally_signature_pool_submit(store->signatures, check_unless_known,
                                                                                 &accepted, count, valid));
    }
    /* The producer's signature held in tally_block_check. */
    block_signatures checked = {.header = true, .txs = valid};
    tally_chain_error error = block_apply_checked(store->state, next_tip, block, &checked, failure);
    free(valid);
    return error;
}

tally_chain_error tally_store_accept(tally_store *store, const tally_block *block,
                                     tally_chain_failure *failure) {
    return tally_store_accept_known(store, block, NULL, failure);
}

tally_chain_error tally_store_accept_known(tally_store *store, const tally_block *block, const bool *known_valid,
                                           tally_chain_failure *failure) {
    assert(store != NULL && block != NULL);
    tally_chain_error error = writable(store, failure);
    if (error != TALLY_CHAIN_OK) return error;
    /* The checks that need no state first: a bad block refused there costs nothing. */
    error = tally_block_check(&store->tip, block, failure);
    if (error != TALLY_CHAIN_OK) return error;
    tally_chain_tip next_tip = store->tip;
    error = apply_accepted(store, &next_tip, block, known_valid, failure);
    if (error != TALLY_CHAIN_OK) {
        store->failed = true;
        return error;
    }
    return commit(store, block, &next_tip, failure);
}

tally_chain_error tally_store_snapshot(tally_store *store, tally_chain_failure *failure) {
    assert(store != NULL);
    tally_chain_error error = writable(store, failure);
    if (error != TALLY_CHAIN_OK) return error;
    return tally_snapshot_save(store->directory, store->tip.height, store->tip.hash, store->state,
                               failure);
}

tally_chain_error tally_store_probe_space(const tally_store *store, size_t bytes, tally_chain_failure *failure) {
    assert(store != NULL);
    char path[PATH_BYTES + 32];
    int length = snprintf(path, sizeof path, "%s/space-probe", store->directory);
    if (length < 0 || (size_t)length >= sizeof path)
        return chain_fail(failure, TALLY_CHAIN_ERR_BAD_ARGUMENT, TALLY_NO_HEIGHT, TALLY_NO_TX, "the path is too long");
    uint8_t *zeros = calloc(1, bytes ? bytes : 1);
    if (zeros == NULL) return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, TALLY_NO_HEIGHT, TALLY_NO_TX, NULL);
    bool written = file_write_whole(path, zeros, bytes, 0600);
    int os_error = errno;
    free(zeros);
    /* Whatever it took is given back, written or not. */
    (void)file_unlink(path);
    if (!written) return chain_fail_io(failure, TALLY_NO_OFFSET, os_error, "cannot write %zu bytes to %s", bytes, path);
    return TALLY_CHAIN_OK;
}

/* ------------------------------------------------------------------------ */
/* Verification from the genesis.                                            */
/* ------------------------------------------------------------------------ */

static tally_chain_error verify_chain(const char *directory, bool full_invariants, tally_progress_fn *progress,
                                      void *progress_context, tally_notice_fn *notice, void *notice_context,
                                      tally_verify_summary *summary, tally_chain_failure *failure) {
    assert(directory != NULL && summary != NULL);
    memset(summary, 0, sizeof *summary);
    uint64_t started = monotonic_ns();
    tally_blocklog_options log_options = {true, false, notice, notice_context};
    tally_blocklog *log = NULL;
    tally_state *state = NULL;
    tally_chain_tip tip;
    memset(&tip, 0, sizeof tip);
    tally_chain_error error = tally_blocklog_open(directory, &log_options, &log, failure);
    if (error == TALLY_CHAIN_OK) error = start_from_genesis(log, &state, &tip, failure);
    if (error == TALLY_CHAIN_OK) {
        tally_state_check_invariants_fully(state, full_invariants);
        summary->blocks = 1;
        summary->tip = tip;
        summary->dev_chain = tally_state_chain_rules(state)->dev_chain != 0;
        if (progress != NULL) progress(progress_context, 0, tally_blocklog_count(log));
        error = replay(log, state, &tip, NULL, progress, progress_context, &summary->transactions, failure);
        /* On failure tip is the last block that verified. */
        summary->blocks = tip.height + 1;
        summary->tip = tip;
    }
    tally_state_destroy(state);
    tally_blocklog_close(log);
    summary->elapsed_ns = monotonic_ns() - started;
    return error;
}

tally_chain_error tally_chain_verify(const char *directory, tally_progress_fn *progress, void *progress_context,
                                     tally_notice_fn *notice, void *notice_context, tally_verify_summary *summary,
                                     tally_chain_failure *failure) {
    return verify_chain(directory, false, progress, progress_context, notice, notice_context, summary, failure);
}

tally_chain_error tally_chain_verify_full(const char *directory, tally_progress_fn *progress, void *progress_context,
                                          tally_notice_fn *notice, void *notice_context,
                                          tally_verify_summary *summary, tally_chain_failure *failure) {
    return verify_chain(directory, true, progress, progress_context, notice, notice_context, summary, failure);
}
