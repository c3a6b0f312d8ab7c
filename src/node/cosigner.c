/*
 * cosigner.c: the node's co-signatures (see cosigner.h): opening the log (moving a
 * damaged one aside and salvaging it), co-signing each block the node makes,
 * adding other validators' co-signatures, and the batched flush.
 */
#include "node/cosigner.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "store/file_io.h"

/* Headers read back from the tip when looking for the last final block at open. */
#define FINAL_SEARCH_BLOCKS 4096u

static void say(const cosigner *c, const char *what, const char *detail) {
    if (c->say) c->say(c->say_context, what, detail);
}

static void on_notice(void *context, const tally_chain_failure *notice) {
    say(context, "notice", notice->message);
}

/* Whether block height's co-signatures of the log's block make a quorum of the
 * validators active now (a retired one's no longer counts). */
static bool is_final(const cosigner *c, uint64_t height, const uint8_t hash[TALLY_HASH_BYTES]) {
    tally_cosignature held[TALLY_VALIDATORS_MAX];
    uint32_t count = 0, counted = 0;
    tally_cosign_store_get(c->store, height, held, TALLY_VALIDATORS_MAX, &count);
    for (uint32_t i = 0; i < count && i < TALLY_VALIDATORS_MAX; i++)
        counted += memcmp(held[i].block_hash, hash, TALLY_HASH_BYTES) == 0 && held[i].validator < TALLY_VALIDATORS_MAX &&
                   (c->active >> held[i].validator & 1u);
    return counted >= c->quorum;
}

/* The roster, the active slots, the quorum and this node's part, from the tip. */
static void take_validators(cosigner *c, const tally_chain_tip *tip, const tally_key *self) {
    c->validator_count = tip->validator_count;
    memcpy(c->validators, tip->validators, sizeof c->validators);
    c->active = 0;
    uint32_t active = 0;
    for (uint32_t v = 0; v < c->validator_count; v++)
        if (!(tip->retired >> v & 1u)) c->active |= 1u << v, active++;
    c->quorum = tally_cosign_quorum(active);
    int slot = tally_chain_validator_index(tip, self);
    c->is_validator = slot >= 0;
    c->own = slot >= 0 ? (uint32_t)slot : 0;
}

bool cosigner_take_validators(cosigner *c, const tally_chain_tip *tip, const tally_key *self) {
    if (c->store == NULL) return true;
    if (tip->validator_count == c->validator_count && tip->retired == c->retired &&
        memcmp(tip->validators, c->validators, sizeof c->validators) == 0)
        return true;
    if (!tally_cosign_store_extend(c->store, tip->validators, tip->validator_count)) return false;
    take_validators(c, tip, self);
    c->retired = tip->retired;
    return true;
}

static void note_final(cosigner *c, uint64_t height, const uint8_t hash[TALLY_HASH_BYTES]) {
    if (height > c->final_height && is_final(c, height, hash)) c->final_height = height;
}

/* The highest final block, searched back from the tip (a bounded number of headers). */
static void find_final(cosigner *c, const tally_blocklog *log) {
    uint64_t top = tally_cosign_store_top(c->store), tip = tally_blocklog_count(log) - 1;
    uint64_t height = top < tip ? top : tip;
    for (uint32_t step = 0; height > 0 && step < FINAL_SEARCH_BLOCKS; step++, height--) {
        tally_block_header header;
        uint8_t hash[TALLY_HASH_BYTES];
        if (tally_blocklog_header(log, height, &header, hash, NULL) != TALLY_CHAIN_OK) return;
        if (is_final(c, height, hash)) {
            c->final_height = height;
            return;
        }
    }
}

/* The log at path is damaged: move it aside, open a new one and fill it with what
 * of the old one is sound. */
static bool move_aside_and_salvage(cosigner *c, const char *data_dir, const char *path,
                                   const tally_cosign_store_options *options, const tally_chain_failure *damage,
                                   char *why, size_t why_size) {
    char aside[4300];
    struct stat existing;
    long long now = (long long)time(NULL);
    snprintf(aside, sizeof aside, "%s.damaged-%lld", path, now);
    for (unsigned n = 1; stat(aside, &existing) == 0 && n < 100; n++)
        snprintf(aside, sizeof aside, "%s.damaged-%lld-%u", path, now, n);
    if (!file_rename(path, aside) || !file_sync_directory(data_dir)) {
        snprintf(why, why_size, "%s\n  and it cannot be moved aside to %s: %s", damage->message, aside, strerror(errno));
        return false;
    }
    tally_chain_failure failure;
    tally_chain_error error = tally_cosign_store_open(data_dir, c->chain_id, c->validators, c->validator_count,
                                                      options, &c->store, &failure);
    tally_cosign_salvage summary = {0};
    if (error == TALLY_CHAIN_OK) error = tally_cosign_store_salvage(c->store, aside, &summary, &failure);
    if (error == TALLY_CHAIN_OK) error = tally_cosign_store_flush(c->store, &failure);
    if (error != TALLY_CHAIN_OK) {
        snprintf(why, why_size, "%s\n  moved it to %s, but a new log cannot be made: %s", damage->message, aside,
                 failure.message);
        return false;
    }
    char detail[TALLY_FAILURE_MESSAGE_MAX + 8800];
    snprintf(detail, sizeof detail,
             "%s; moved it to %s (kept, as evidence) and started a new log with the %" PRIu64 " of its %" PRIu64
             " records that hold; %" PRIu64 " dropped (the first at byte %" PRIu64
             "): the blocks they were of are not final here until their co-signatures come again",
             damage->message, aside, summary.kept, summary.records, summary.dropped,
             summary.first_dropped_offset == TALLY_NO_OFFSET ? 0 : summary.first_dropped_offset);
    say(c, "WARNING: co-signatures damaged", detail);
    return true;
}

bool cosigner_open(cosigner *c, const char *data_dir, const tally_store *store, const tally_key *self,
                   tally_signature_pool *signatures, cosigner_say_fn *say_fn, void *say_context, char *why,
                   size_t why_size) {
    memset(c, 0, sizeof *c);
    c->say = say_fn;
    c->say_context = say_context;
    const tally_chain_tip *tip = tally_store_tip(store);
    memcpy(c->chain_id, tip->chain_id, TALLY_CHAIN_ID_BYTES);
    take_validators(c, tip, self);
    c->retired = tip->retired;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", data_dir, TALLY_COSIGN_FILE_NAME);
    struct stat existing;
    bool had_log = stat(path, &existing) == 0;
    tally_cosign_store_options options = {true, tip->height > 0 ? tip->height : 1, on_notice, c, signatures};
    tally_chain_failure failure;
    tally_chain_error error = tally_cosign_store_open(data_dir, c->chain_id, c->validators, c->validator_count,
                                                      &options, &c->store, &failure);
    if (error == TALLY_CHAIN_ERR_COSIGN_LOG_CORRUPT) {
        if (!move_aside_and_salvage(c, data_dir, path, &options, &failure, why, why_size)) return false;
    } else if (error != TALLY_CHAIN_OK) {
        snprintf(why, why_size, "%s", failure.message);
        return false;
    }
    if (!had_log && tip->height > 0) {
        char detail[160];
        snprintf(detail, sizeof detail,
                 "blocks 1 to %" PRIu64 " were made before this node co-signed blocks: they have no co-signatures",
                 tip->height);
        say(c, "notice", detail);
    }
    find_final(c, tally_store_log(store));
    return true;
}

void cosigner_close(cosigner *c) {
    if (c->store == NULL) return;
    tally_chain_failure failure;
    if (c->dirty && tally_cosign_store_flush(c->store, &failure) != TALLY_CHAIN_OK)
        say(c, "co-signatures not flushed at exit", failure.message);
    tally_cosign_store_close(c->store);
    memset(c, 0, sizeof *c);
}

/* A write or fsync of the log failed: said once, and the node stops (cosigner.h). */
static void fail(cosigner *c, const tally_chain_failure *failure) {
    if (c->failed) return;
    c->failed = true;
    say(c, "FATAL: could not keep a co-signature", failure->message);
}

void cosigner_sign_block(cosigner *c, const uint8_t secret[TALLY_SECRET_BYTES], uint64_t height,
                         const uint8_t hash[TALLY_HASH_BYTES]) {
    if (c->store == NULL || !c->is_validator) return;
    uint8_t signature[TALLY_SIGNATURE_BYTES];
    if (c->unsigned_from != 0) return; /* the disk is full: cosigner_sign_again makes it */
    tally_cosign_sign(secret, c->chain_id, height, hash, signature);
    tally_chain_failure failure;
    bool added = false;
    if (tally_cosign_store_add(c->store, height, hash, c->own, signature, &added, &failure) != TALLY_CHAIN_OK) {
        if (failure.os_error == ENOSPC && c->waits_for_room && !tally_cosign_store_failed(c->store)) {
            c->unsigned_from = height;
            return;
        }
        fail(c, &failure); /* IO, LOG_FAILED, NO_MEMORY: its own always holds */
        return;
    }
    c->dirty = c->dirty || added;
    c->cosigned += added;
    note_final(c, height, hash);
}

bool cosigner_sign_again(cosigner *c, const uint8_t secret[TALLY_SECRET_BYTES], const tally_blocklog *log) {
    uint64_t from = c->unsigned_from;
    if (from == 0) return true;
    c->unsigned_from = 0;
    for (uint64_t height = from; height < tally_blocklog_count(log) && c->unsigned_from == 0 && !c->failed; height++) {
        tally_block_header header;
        uint8_t hash[TALLY_HASH_BYTES];
        tally_chain_failure failure;
        if (tally_blocklog_header(log, height, &header, hash, &failure) != TALLY_CHAIN_OK) {
            fail(c, &failure);
            break;
        }
        cosigner_sign_block(c, secret, height, hash);
    }
    return c->unsigned_from == 0;
}

bool cosigner_flush_due(const cosigner *c, bool idle, uint64_t now_ns) {
    return c->store != NULL && c->dirty && (idle || now_ns - c->flushed_ns >= COSIGNER_FLUSH_INTERVAL_NS);
}

void cosigner_flush_begin(cosigner *c, uint64_t now_ns) {
    c->dirty = false;
    c->flushed_ns = now_ns;
}

tally_chain_error cosigner_flush(const cosigner *c, tally_chain_failure *failure) {
    return tally_cosign_store_flush(c->store, failure);
}

void cosigner_flush_end(cosigner *c, tally_chain_error error, const tally_chain_failure *failure) {
    if (error != TALLY_CHAIN_OK) fail(c, failure);
}

bool cosigner_get(const cosigner *c, const tally_blocklog *log, uint64_t height, node_cosignature *out, uint32_t max,
                  uint32_t *count, uint8_t hash[TALLY_HASH_BYTES]) {
    *count = 0;
    tally_block_header header;
    if (tally_blocklog_header(log, height, &header, hash, NULL) != TALLY_CHAIN_OK) return false;
    if (c->store == NULL || height == 0) return true;
    tally_cosignature held[TALLY_VALIDATORS_MAX];
    uint32_t held_count = 0;
    tally_cosign_store_get(c->store, height, held, TALLY_VALIDATORS_MAX, &held_count);
    for (uint32_t i = 0; i < held_count && i < TALLY_VALIDATORS_MAX; i++) {
        if (memcmp(held[i].block_hash, hash, TALLY_HASH_BYTES) != 0) continue;
        if (*count < max) {
            out[*count].validator = held[i].validator;
            out[*count].key = c->validators[held[i].validator];
            memcpy(out[*count].signature, held[i].signature, TALLY_SIGNATURE_BYTES);
        }
        (*count)++;
    }
    return true;
}

tally_chain_error cosigner_add_remote(cosigner *c, const tally_blocklog *log, uint64_t height,
                                      const uint8_t block_hash[TALLY_HASH_BYTES], uint32_t validator,
                                      const uint8_t signature[TALLY_SIGNATURE_BYTES], tally_chain_failure *failure) {
    tally_block_header header;
    uint8_t ours[TALLY_HASH_BYTES];
    if (height == 0 || c->store == NULL) {
        if (failure) {
            memset(failure, 0, sizeof *failure);
            failure->code = TALLY_CHAIN_ERR_BAD_ARGUMENT;
            failure->height = height;
            failure->tx_index = TALLY_NO_TX;
            failure->offset = TALLY_NO_OFFSET;
            snprintf(failure->message, sizeof failure->message, "%s",
                     height == 0 ? "the genesis is not co-signed" : "the node keeps no co-signatures");
        }
        return TALLY_CHAIN_ERR_BAD_ARGUMENT;
    }
    tally_chain_error error = tally_blocklog_header(log, height, &header, ours, failure);
    if (error != TALLY_CHAIN_OK) return error;
    bool added = false;
    error = tally_cosign_store_add(c->store, height, block_hash, validator, signature, &added, failure);
    char hex[2 * TALLY_SIGNATURE_BYTES + 1], hash_hex[2 * TALLY_HASH_BYTES + 1];
    char detail[TALLY_FAILURE_MESSAGE_MAX + 400];
    if (error == TALLY_CHAIN_ERR_COSIGN_CONFLICT) {
        /* Evidence: the second signature, beside the first in the log. */
        sodium_bin2hex(hex, sizeof hex, signature, TALLY_SIGNATURE_BYTES);
        sodium_bin2hex(hash_hex, sizeof hash_hex, block_hash, TALLY_HASH_BYTES);
        snprintf(detail, sizeof detail, "%s; the second co-signature: block hash %s, signature %s",
                 failure ? failure->message : "equivocation", hash_hex, hex);
        say(c, "EVIDENCE: a validator co-signed two things at one height", detail);
    }
    if (error == TALLY_CHAIN_ERR_IO || error == TALLY_CHAIN_ERR_LOG_FAILED || error == TALLY_CHAIN_ERR_NO_MEMORY)
        fail(c, failure);
    if (error != TALLY_CHAIN_OK) return error;
    if (added && memcmp(block_hash, ours, TALLY_HASH_BYTES) != 0) {
        sodium_bin2hex(hash_hex, sizeof hash_hex, block_hash, TALLY_HASH_BYTES);
        snprintf(detail, sizeof detail, "validator %" PRIu32 " co-signed block %" PRIu64 " of hash %s, not this node's",
                 validator, height, hash_hex);
        say(c, "WARNING: another block at this height", detail);
    }
    c->dirty = c->dirty || added;
    c->cosigned += added;
    note_final(c, height, ours);
    return TALLY_CHAIN_OK;
}
