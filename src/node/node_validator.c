/*
 * node_validator.c: a node's part as one validator of a chain of several
 * (docs/VALIDATORS.md). The node stays what node.c makes it (admission, mempool,
 * producer, indexer); this file adds, through the ordering layer (ordering.h):
 *
 *   - proposing: while this validator holds the proposer lease and has applied every
 *     block of the log, its producer builds blocks as a single node does, but writes
 *     each into the ordering log first (committed there = acknowledged), then to its
 *     own block log. A block that loses its height (the lease went to another
 *     validator first) is undone by reopening the store at its tip;
 *   - following: every block of the log (another validator's, or its own coming
 *     back) is verified in full and applied (tally_store_accept: producer in the
 *     validator set, signatures, results, state commitment, invariants), written to
 *     the block log, and co-signed; the co-signature is published for the others;
 *   - refusing: a block that does not verify stops this validator with the evidence
 *     saved (the bytes and why, in data/evidence/) and an alert (log line, metric):
 *     misbehaviour is provable from signatures, and a validator never builds on a
 *     state it cannot reproduce;
 *   - forwarding: what clients submit to a validator that is not the proposer is
 *     admitted as usual (so junk is refused here), then sent to the proposer, and sent
 *     again (to whoever holds the lease then) while it is in no block a while later.
 *     The client's wait ends when the block holding it arrives here.
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "node/http_client.h"
#include "node/node_internal.h"
#include "node/ordering.h"
#include "store/file_io.h"

/* A forwarded transaction not in a block this long after it was sent is sent again. */
#define FORWARD_AGAIN_MS 2000u
/* The longest a forwarding waits for the proposer's answer (its commit). */
#define FORWARD_WAIT_MS 5000u
/* ... and refused (NO_PROPOSER) when no validator took it in this long. */
#define FORWARD_GIVE_UP_MS 30000u
/* After a failed send, the next one waits this long. */
#define FORWARD_BACKOFF_MS 100u
/* Transactions in one forwarded request (the binary submission form). */
#define FORWARD_BATCH_MAX 1024u
/* The longest answer to one (its results, a few hundred bytes each). */
#define FORWARD_ANSWER_BYTES_MAX ((size_t)8 << 20)
/* A validator's blocks stay within what one etcd value holds: no more transactions
 * and batch lines than this (a transfer takes at most 854 bytes with its result). */
#define VALIDATOR_BLOCK_TXS_MAX 768u

typedef struct {
    mempool_entry entry; /* owns its transaction (and a batch's lines) */
    uint64_t sent_ms;    /* 0: not sent yet */
    uint64_t first_ms;   /* when it was taken from the mempool */
} forwarded;

struct validator {
    ordering *ordering;
    uint32_t index; /* its slot in the validator set (ORDERING_NO_SLOT: the chain has not added it) */
    bool active;    /* in the set now, not retired */
    char data_dir[4096];
    forwarded *forwarded;
    uint32_t forwarded_count, forwarded_capacity;
    uint64_t forward_after_ms; /* backoff after a failed send */
    CURL *curl;                /* the producer thread's, for forwarding */
    bool halted;
    char halt_reason[4800];
    uint64_t cosignatures_received;
};

/* ---- co-signatures ---- */

/* Co-signs the tip (just applied or made) and publishes it. Lock held. */
static void cosign_tip(node *n, bool keep_here) {
    const tally_chain_tip *tip = tally_store_tip(n->store);
    node_take_validators(n);
    if (!n->cosign.is_validator) return; /* not (or no longer) a validator: it follows */
    uint8_t signature[TALLY_SIGNATURE_BYTES];
    tally_cosign_sign(n->producer_secret, tip->chain_id, tip->height, tip->hash, signature);
    /* The proposer's own is kept by produce_block, as a single node's is. */
    if (keep_here) cosigner_sign_block(&n->cosign, n->producer_secret, tip->height, tip->hash);
    ordering_publish(n->validator->ordering, tip->height, tip->hash, signature);
}

static void on_cosign(void *context, uint64_t height, uint32_t signer, const uint8_t hash[TALLY_HASH_BYTES],
                      const uint8_t signature[TALLY_SIGNATURE_BYTES]) {
    node *n = context;
    /* Checked against the validator set and kept (node_cosign_add_remote); one for a
     * block not applied here yet is dropped (NO_SUCH_BLOCK): served co-signatures
     * are of blocks this validator holds. */
    tally_chain_failure failure;
    bool kept = node_cosign_add_remote(n, height, hash, signer, signature, &failure) == TALLY_CHAIN_OK;
    pthread_mutex_lock(&n->lock);
    if (kept) n->validator->cosignatures_received++;
    pthread_mutex_unlock(&n->lock);
}

/* ---- stopping with the evidence ---- */

/* Saves what was refused (the block's bytes and why) under data/evidence/, says so,
 * and stops the node: it serves nothing from here on, and tallyd exits. Lock held. */
static void halt_with_evidence(node *n, uint64_t height, const uint8_t *bytes, size_t length, const char *why) {
    validator *v = n->validator;
    char directory[4200], path[4300];
    snprintf(directory, sizeof directory, "%s/evidence", v->data_dir);
    bool saved = file_make_directory(directory, 0700);
    snprintf(path, sizeof path, "%s/block-%" PRIu64 ".bin", directory, height);
    saved = saved && file_write_whole(path, bytes, length, 0600);
    char text[8192];
    int text_length = snprintf(text, sizeof text, "height %" PRIu64 "\nseen at %" PRIu64 " (unix ms)\nrefused: %s\nbytes: block-%" PRIu64
                               ".bin (%zu)\n",
                               height, node_now_ms(), why, height, length);
    if (text_length >= (int)sizeof text) text_length = (int)sizeof text - 1; /* the reason cut short */
    snprintf(path, sizeof path, "%s/block-%" PRIu64 ".txt", directory, height);
    saved = saved && text_length >= 0 && file_write_whole(path, text, (size_t)text_length, 0600);
    snprintf(v->halt_reason, sizeof v->halt_reason, "block %" PRIu64 " of the ordering log refused: %s (evidence in %s%s)",
             height, why, directory, saved ? "" : ": COULD NOT BE SAVED");
    v->halted = true;
    /* Printed whatever --quiet says: an operator must see it. */
    fprintf(stderr, "tallyd: FATAL: %s\n", v->halt_reason);
    __atomic_store_n(&n->failed, true, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&n->committed);
    pthread_cond_broadcast(&n->work);
}

/* ---- following ---- */

static int compare_forwarded_ids(const void *a, const void *b) {
    const forwarded *const *x = a, *const *y = b;
    return memcmp((*x)->entry.id, (*y)->entry.id, TALLY_HASH_BYTES);
}

/* Which of a followed block's transactions this validator admitted itself, with
 * these very signature bytes, and forwarded to the proposer: their signatures held
 * at admission (over the same id, which covers the signer), so applying the block
 * need not check them again. In a cluster whose clients send to every validator
 * that is the second of two checks a follower made of each transaction it took.
 * ids[i] is block->txs[i]'s id. Returns false (known untouched) without memory. */
static bool forwarded_known(const validator *v, const tally_block *block, const uint8_t (*ids)[TALLY_HASH_BYTES],
                            bool *known) {
    uint32_t count = v->forwarded_count;
    if (count == 0) return true;
    const forwarded **sorted = malloc(count * sizeof *sorted);
    if (sorted == NULL) return false;
    for (uint32_t i = 0; i < count; i++) sorted[i] = &v->forwarded[i];
    qsort(sorted, count, sizeof *sorted, compare_forwarded_ids);
    for (uint32_t t = 0; t < block->header.tx_count; t++) {
        uint32_t low = 0, high = count;
        while (low < high) {
            uint32_t middle = low + (high - low) / 2;
            int order = memcmp(sorted[middle]->entry.id, ids[t], TALLY_HASH_BYTES);
            if (order == 0) {
                known[t] = memcmp(sorted[middle]->entry.tx.signature, block->txs[t].signature,
                                  TALLY_SIGNATURE_BYTES) == 0;
                break;
            }
            if (order < 0) low = middle + 1;
            else high = middle;
        }
    }
    free(sorted);
    return true;
}

/* The block of `height` from the ordering log: applied when it is the next one;
 * compared with the log's when this validator has it already (its own block coming
 * back, or one it applied before a restart). */
static bool on_block(void *context, uint64_t height, const uint8_t *bytes, size_t length) {
    node *n = context;
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;
    tally_chain_error decoded = tally_block_decode(bytes, length, &block, &failure);
    pthread_mutex_lock(&n->lock);
    while (n->writing) pthread_cond_wait(&n->committed, &n->lock); /* its own block, being written */
    bool go_on = !node_failed(n);
    const tally_chain_tip *tip = tally_store_tip(n->store);
    if (go_on && decoded != TALLY_CHAIN_OK) {
        halt_with_evidence(n, height, bytes, length, failure.message);
        go_on = false;
    } else if (go_on && block.header.height != height) {
        halt_with_evidence(n, height, bytes, length, "the block's header names another height than its key");
        go_on = false;
    } else if (go_on && height <= tip->height) {
        tally_block_header mine;
        uint8_t mine_hash[TALLY_HASH_BYTES], theirs[TALLY_HASH_BYTES];
        tally_block_hash(&block.header, theirs);
        if (tally_blocklog_header(tally_store_log(n->store), height, &mine, mine_hash, &failure) != TALLY_CHAIN_OK ||
            memcmp(mine_hash, theirs, TALLY_HASH_BYTES) != 0) {
            halt_with_evidence(n, height, bytes, length,
                               "this validator's block log holds another block at this height: two blocks at one "
                               "height");
            go_on = false;
        }
    } else if (go_on && height == tip->height + 1) {
        uint32_t count = block.header.tx_count;
        uint8_t(*ids)[TALLY_HASH_BYTES] = count ? malloc(count * sizeof *ids) : NULL;
        bool *known = count ? calloc(count, sizeof *known) : NULL;
        if (ids != NULL)
            for (uint32_t i = 0; i < count; i++) tally_tx_hash(&block.txs[i], ids[i]);
        if (ids == NULL || known == NULL || !forwarded_known(n->validator, &block, (const uint8_t(*)[TALLY_HASH_BYTES])ids, known)) {
            free(known); /* without memory: every signature is checked */
            known = NULL;
        }
        uint32_t saved = 0;
        for (uint32_t i = 0; known != NULL && i < count; i++) saved += known[i];
        tally_chain_error error = tally_store_accept_known(n->store, &block, known, &failure);
        free(known);
        if (error != TALLY_CHAIN_OK) {
            halt_with_evidence(n, height, bytes, length, failure.message);
            go_on = false;
        } else {
            n->metrics.signatures_known += saved;
            for (uint32_t i = 0; i < count; i++) {
                uint8_t id[TALLY_HASH_BYTES];
                if (ids != NULL) memcpy(id, ids[i], sizeof id);
                else tally_tx_hash(&block.txs[i], id);
                node_status_set(n, id, (tx_status){.state = TX_COMMITTED, .height = height, .result = block.results[i]});
                n->metrics.txs_committed++;
            }
            n->metrics.blocks_followed++;
            n->last_block_ms = node_now_ms();
            cosign_tip(n, true);
            if (n->config.snapshot_every && height % n->config.snapshot_every == 0 &&
                tally_store_snapshot(n->store, &failure) != TALLY_CHAIN_OK)
                node_say(n, "snapshot failed (the log has every block, nothing is lost)", failure.message);
            pthread_cond_broadcast(&n->committed);
        }
        free(ids);
    }
    pthread_mutex_unlock(&n->lock);
    tally_block_release(&block);
    return go_on;
}

/* ---- proposing ---- */

void validator_take_set(node *n) {
    validator *v = n->validator;
    const tally_chain_tip *tip = tally_store_tip(n->store);
    int slot = tally_chain_roster_index(tip, &n->producer);
    uint32_t now = slot >= 0 ? (uint32_t)slot : ORDERING_NO_SLOT;
    bool active = tally_chain_validator_index(tip, &n->producer) >= 0;
    if (now == v->index && active == v->active) return;
    v->index = now;
    v->active = active;
    ordering_set_member(v->ordering, now, active);
}

bool validator_may_propose(node *n) {
    validator *v = n->validator;
    if (v->halted || !ordering_is_proposer(v->ordering)) return false;
    /* Retired by the block it just applied: it gives the lease up (the ordering layer
     * does, told by validator_take_set) and builds nothing the others would refuse. */
    if (tally_chain_validator_index(tally_store_tip(n->store), &n->producer) < 0) return false;
    ordering_metrics m = ordering_metrics_read(v->ordering);
    bool caught_up = m.log_next == tally_store_tip(n->store)->height + 1;
    if (caught_up && v->forwarded_count > 0) {
        /* Became the proposer with transactions it had forwarded to the one before:
         * what no block took goes into its own mempool (a block refuses any that
         * another block took meanwhile). */
        for (uint32_t i = 0; i < v->forwarded_count; i++) {
            forwarded *f = &v->forwarded[i];
            tx_status status = node_status_get(n, f->entry.id);
            if (status.state == TX_PENDING &&
                mempool_push_prepared(&n->pool, &f->entry.tx, f->entry.id,
                                      f->entry.has_prepared ? &f->entry.prepared : NULL)) {
                if (n->pool.count == 1) n->oldest_pending_ns = node_monotonic_ns();
            } else if (status.state == TX_PENDING) {
                node_status_set(n, f->entry.id, (tx_status){.state = TX_REFUSED, .node_error = "NOT_COMMITTED"});
            }
            tally_tx_release(&f->entry.tx);
        }
        v->forwarded_count = 0;
    }
    return caught_up;
}

tally_chain_error validator_write_publish(node *n, bool *lost, tally_chain_failure *failure) {
    validator *v = n->validator;
    *lost = false;
    const uint8_t *bytes = NULL;
    size_t length = 0;
    tally_store_next_encoded(n->store, &bytes, &length);
    uint64_t height = n->block.header.height;
    n->writing = true;
    pthread_mutex_unlock(&n->lock);
    char why[ORDERING_WHY_BYTES];
    ordering_outcome outcome = ordering_propose(v->ordering, height, bytes, length, why, sizeof why);
    tally_chain_error error = TALLY_CHAIN_OK;
    /* Committed in the log: now durable here too (a crash between the two is healed at
     * restart: the follower finds the block in the log). */
    if (outcome == ORDERING_COMMITTED) error = tally_store_write_next(n->store, failure);
    pthread_mutex_lock(&n->lock);
    n->writing = false;
    if (outcome == ORDERING_COMMITTED) {
        if (error == TALLY_CHAIN_OK) {
            tally_store_publish_next(n->store);
            cosign_tip(n, false);
        }
        return error;
    }
    /* Lost: the state holds a block the chain does not. Back to the log's tip, once no
     * submission is checking signatures against the state (they read its index secret
     * outside the lock; none starts while the lock is held). */
    *lost = true;
    node_say(n, "notice", why);
    error = node_store_reopen(n, failure);
    if (error != TALLY_CHAIN_OK) *lost = false;
    return error;
}

/* ---- forwarding ---- */

static tally_error error_named(const char *name) {
    for (int code = 0; code < TALLY_ERROR_COUNT; code++)
        if (strcmp(tally_error_name((tally_error)code), name) == 0) return (tally_error)code;
    return TALLY_ERROR_COUNT;
}

static const char *node_error_named(const char *name) {
    for (int reason = 0; reason < NODE_REFUSAL_COUNT; reason++)
        if (strcmp(node_refusal_names[reason], name) == 0) return node_refusal_names[reason];
    return "NOT_COMMITTED";
}

/* Sends transactions to the proposer at url (POST /v1/transactions?wait=commit, the
 * binary form) and reads what it answered for each: refused[i] true with status[i]
 * the refusal (at its admission or in its block), false when it took it (its block
 * then reaches this validator through the log). false when the request failed. The
 * wait makes the proposer's refusals in a block known here, and one batch at a time
 * in flight is group commit again: what arrives meanwhile goes in the next. No lock
 * held. */
static bool send_to_proposer(validator *v, const char *url, const mempool_entry *const *entries, uint32_t count,
                             bool *refused, tx_status *statuses, bool *unreachable) {
    *unreachable = false;
    size_t room = 0;
    for (uint32_t i = 0; i < count; i++) room += 2 + tally_tx_encoded_size(&entries[i]->tx);
    uint8_t *body = malloc(room ? room : 1);
    if (!body) return false;
    size_t at = 0;
    for (uint32_t i = 0; i < count; i++) {
        size_t length = tally_tx_encode(&entries[i]->tx, body + at + 2, room - at - 2);
        body[at] = (uint8_t)length, body[at + 1] = (uint8_t)(length >> 8);
        at += 2 + length;
    }
    if (!v->curl) v->curl = curl_easy_init();
    char target[ORDERING_URL_MAX + 64];
    snprintf(target, sizeof target, "%s/v1/transactions?wait=commit", url);
    http_answer answer = {.limit = FORWARD_ANSWER_BYTES_MAX};
    http_outcome outcome = {0};
    bool sent = v->curl && http_call(v->curl, target, "application/octet-stream", body, at, (long)FORWARD_WAIT_MS,
                                     1000L, &answer, &outcome);
    *unreachable = v->curl && !outcome.connected;
    free(body);
    json_t *root = sent && answer.bytes ? json_loadb(answer.bytes, answer.length, 0, NULL) : NULL;
    http_answer_release(&answer);
    json_t *results = json_object_get(root, "results");
    sent = json_is_array(results) && json_array_size(results) == count;
    for (uint32_t i = 0; sent && i < count; i++) {
        json_t *item = json_array_get(results, i);
        const char *state = json_string_value(json_object_get(item, "status"));
        refused[i] = state && strcmp(state, "refused") == 0;
        statuses[i] = (tx_status){.state = TX_REFUSED};
        if (!refused[i]) continue;
        const char *code = json_string_value(json_object_get(json_object_get(item, "error"), "code"));
        tally_error named = code ? error_named(code) : TALLY_ERROR_COUNT;
        if (named != TALLY_ERROR_COUNT) {
            statuses[i].result.code = named;
            statuses[i].result.available = json_integer_value(json_object_get(json_object_get(item, "error"), "available"));
        } else {
            statuses[i].node_error = node_error_named(code ? code : "");
        }
    }
    json_decref(root);
    return sent;
}

void validator_forward(node *n) {
    validator *v = n->validator;
    uint64_t now = node_now_ms();
    /* What a block took, or a refusal settled, is done with. */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < v->forwarded_count; i++) {
        forwarded *f = &v->forwarded[i];
        tx_status status = node_status_get(n, f->entry.id);
        bool settled = status.state == TX_COMMITTED || status.state == TX_REFUSED;
        if (!settled && now - f->first_ms > FORWARD_GIVE_UP_MS) {
            node_status_set(n, f->entry.id, (tx_status){.state = TX_REFUSED, .node_error = "NO_PROPOSER"});
            settled = true;
        }
        if (settled) tally_tx_release(&f->entry.tx);
        else v->forwarded[kept++] = *f;
    }
    v->forwarded_count = kept;
    if (n->pool.count > 0 && v->forwarded_count < v->forwarded_capacity) {
        uint32_t room = v->forwarded_capacity - v->forwarded_count;
        if (room > n->config.block_max_txs) room = n->config.block_max_txs;
        uint32_t taken = mempool_take(&n->pool, n->candidates, room);
        for (uint32_t i = 0; i < taken; i++)
            v->forwarded[v->forwarded_count++] = (forwarded){.entry = n->candidates[i], .first_ms = now};
        pthread_cond_broadcast(&n->committed);
    }
    if (v->forwarded_count == 0 || now < v->forward_after_ms) return;
    char url[ORDERING_URL_MAX];
    if (!ordering_proposer_url(v->ordering, url)) return;
    /* The due ones: never sent, or sent a while ago and still in no block. */
    const mempool_entry **due = malloc(FORWARD_BATCH_MAX * sizeof *due);
    uint32_t *positions = malloc(FORWARD_BATCH_MAX * sizeof *positions);
    bool *refused = malloc(FORWARD_BATCH_MAX * sizeof *refused);
    tx_status *statuses = malloc(FORWARD_BATCH_MAX * sizeof *statuses);
    uint32_t count = 0;
    for (uint32_t i = 0; due && positions && i < v->forwarded_count && count < FORWARD_BATCH_MAX; i++) {
        forwarded *f = &v->forwarded[i];
        if (f->sent_ms != 0 && now - f->sent_ms < FORWARD_AGAIN_MS) continue;
        positions[count] = i;
        due[count++] = &f->entry;
    }
    if (count > 0 && refused && statuses) {
        /* The entries stay where they are meanwhile: only this thread moves them. */
        pthread_mutex_unlock(&n->lock);
        bool unreachable = false;
        bool sent = send_to_proposer(v, url, due, count, refused, statuses, &unreachable);
        bool revoked = false;
        if (unreachable) revoked = ordering_proposer_unreachable(v->ordering, url);
        else ordering_proposer_reachable(v->ordering);
        pthread_mutex_lock(&n->lock);
        if (revoked) node_say(n, "the proposer could not be reached for two lease times: its lease revoked", url);
        now = node_now_ms();
        if (!sent) {
            v->forward_after_ms = now + FORWARD_BACKOFF_MS;
        } else {
            for (uint32_t k = 0; k < count; k++) {
                forwarded *f = &v->forwarded[positions[k]];
                f->sent_ms = now;
                /* A refusal settles it, unless this validator knows better already. */
                if (refused[k] && node_status_get(n, f->entry.id).state == TX_PENDING)
                    node_status_set(n, f->entry.id, statuses[k]);
            }
            n->metrics.txs_forwarded += count;
            pthread_cond_broadcast(&n->committed);
        }
    }
    free(due), free(positions), free(refused), free(statuses);
}

/* ---- starting and stopping ---- */

bool node_validator_genesis(const node_validator_config *config, uint8_t **bytes, size_t *length, char *why,
                            size_t why_size) {
    ordering_config oc = {.endpoints = config->etcd_endpoints, .tls = config->etcd_tls, .prefix = config->prefix,
                          .advertise_url = config->advertise_url, .lease_ttl_seconds = config->lease_ttl_seconds,
                          .timeout_ms = config->timeout_ms, .keep_blocks = config->keep_blocks};
    ordering *o = NULL;
    if (!ordering_open(&oc, &o, why, why_size)) return false;
    bool found = ordering_genesis(o, NULL, 0, bytes, length, why, why_size);
    ordering_close(o);
    return found;
}

bool node_validator_start(node *n, const node_validator_config *config, char *why, size_t why_size) {
    pthread_mutex_lock(&n->lock);
    const tally_chain_tip *tip = tally_store_tip(n->store);
    int slot = tally_chain_roster_index(tip, &n->producer);
    bool active = tally_chain_validator_index(tip, &n->producer) >= 0;
    uint64_t next = tip->height + 1;
    pthread_mutex_unlock(&n->lock);
    /* A key the chain has not added (or has retired) follows the log: it serves reads
     * and forwards what it admits, and starts co-signing and may propose once a block
     * adds it (docs/VALIDATORS.md "Changing the validator set"). */
    if (!active && !n->config.quiet)
        fprintf(stderr, "tallyd: notice: %s\n",
                slot >= 0 ? "this node's key is a retired validator's: it follows the chain, and neither proposes "
                            "nor co-signs"
                          : "this node's key is not in the chain's validator set: it follows the chain, and "
                            "co-signs and may propose once the validators add it");
    validator *v = calloc(1, sizeof *v);
    if (!v) return snprintf(why, why_size, "out of memory"), false;
    v->index = slot >= 0 ? (uint32_t)slot : ORDERING_NO_SLOT;
    v->active = active;
    snprintf(v->data_dir, sizeof v->data_dir, "%s", n->data_dir);
    v->forwarded_capacity = n->config.mempool_capacity;
    v->forwarded = calloc(v->forwarded_capacity, sizeof *v->forwarded);
    ordering_config oc = {.endpoints = config->etcd_endpoints, .tls = config->etcd_tls, .prefix = config->prefix,
                          .validator_index = v->index, .advertise_url = config->advertise_url,
                          .lease_ttl_seconds = config->lease_ttl_seconds, .timeout_ms = config->timeout_ms,
                          .keep_blocks = config->keep_blocks};
    if (!v->forwarded || !ordering_open(&oc, &v->ordering, why, why_size)) {
        if (!v->forwarded) snprintf(why, why_size, "out of memory");
        free(v->forwarded);
        free(v);
        return false;
    }
    ordering_set_member(v->ordering, v->index, v->active);
    /* The log's genesis is this chain's, or this is its first validator's first start
     * and the log has none yet: this one's is written. A log without a genesis while
     * this validator holds blocks past it means etcd lost the chain: it is re-seeded
     * from here only when the operator says so (--reseed-etcd on the validator with
     * the highest tip), since blocks of the lost log that only others hold would be
     * replaced. */
    uint8_t *genesis = NULL, *theirs = NULL, *tip_block = NULL;
    size_t genesis_length = 0, their_length = 0, tip_length = 0;
    tally_chain_failure failure;
    bool found = true, reseed = false;
    bool ok = tally_blocklog_read_encoded(tally_store_log(n->store), 0, &genesis, &genesis_length, &failure) ==
              TALLY_CHAIN_OK;
    if (!ok) snprintf(why, why_size, "%s", failure.message);
    if (ok && next > 1) ok = ordering_log_exists(v->ordering, &found, why, why_size);
    if (ok && !found && !config->reseed_etcd) {
        snprintf(why, why_size,
                 "etcd holds no chain under %s, but this validator's log holds blocks 0..%" PRIu64
                 ": etcd lost the chain (or --etcd names another cluster). Start the validator with the highest "
                 "tip with --reseed-etcd; the others then catch up from it",
                 config->prefix ? config->prefix : "/tally/", next - 1);
        ok = false;
    }
    if (ok && !found) {
        reseed = true;
        ok = tally_blocklog_read_encoded(tally_store_log(n->store), next - 1, &tip_block, &tip_length, &failure) ==
             TALLY_CHAIN_OK;
        if (!ok) snprintf(why, why_size, "%s", failure.message);
    }
    ok = ok && ordering_genesis(v->ordering, genesis, genesis_length, &theirs, &their_length, why, why_size);
    if (ok && reseed) {
        ok = ordering_reseed(v->ordering, next - 1, tip_block, tip_length, why, why_size);
        if (ok && !n->config.quiet)
            fprintf(stderr, "tallyd: etcd held no chain: re-seeded it with the genesis and block %" PRIu64
                            " of this log; the other validators read the blocks below from the peers\n",
                    next - 1);
    }
    free(genesis);
    free(theirs);
    free(tip_block);
    if (!ok) {
        ordering_close(v->ordering);
        free(v->forwarded);
        free(v);
        return false;
    }
    pthread_mutex_lock(&n->lock);
    n->validator = v;
    n->cosign.waits_for_room = false; /* a full disk stops a validator of several (node.c) */
    /* Every block fits in one value of the log. */
    if (n->config.block_max_txs > VALIDATOR_BLOCK_TXS_MAX) n->config.block_max_txs = VALIDATOR_BLOCK_TXS_MAX;
    pthread_mutex_unlock(&n->lock);
    ordering_callbacks callbacks = {.block = on_block, .cosign = on_cosign, .context = n};
    if (!ordering_start(v->ordering, next, &callbacks, why, why_size)) return false;
    return true;
}

void validator_free(node *n) {
    validator *v = n->validator;
    if (!v) return;
    ordering_close(v->ordering); /* joins its threads, which call into the node */
    for (uint32_t i = 0; i < v->forwarded_count; i++) tally_tx_release(&v->forwarded[i].entry.tx);
    free(v->forwarded);
    if (v->curl) curl_easy_cleanup(v->curl);
    free(v);
    n->validator = NULL;
}

bool node_is_validator(const node *n) { return n->validator != NULL; }

node_validator_status node_validator_read(node *n) {
    node_validator_status status = {0};
    pthread_mutex_lock(&n->lock);
    validator *v = n->validator;
    if (v) {
        status.is_validator = true;
        status.index = v->index;
        status.active = v->active;
        status.halted = v->halted;
        snprintf(status.halt_reason, sizeof status.halt_reason, "%s", v->halt_reason);
        status.forwarding = v->forwarded_count;
        status.cosignatures_received = v->cosignatures_received;
    }
    pthread_mutex_unlock(&n->lock);
    if (v) status.ordering = ordering_metrics_read(v->ordering);
    return status;
}
