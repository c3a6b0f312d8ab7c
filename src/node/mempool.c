/*
 * mempool.c: see mempool.h. The pending table is small (one entry per signer and
 * per network it pays in) and rebuilt from the ring after every block, so it needs
 * no deletion; a rebuild clears only the slots in use (their positions are kept),
 * so a block costs what is pending, not the table's 16 MB. A transaction adds at
 * most two entries (its signer's, and for a transfer or batch its network's), so at
 * four slots per transaction the load stays below one half and probe sequences stay
 * a few dozen slots long at worst.
 *
 * The ring owns copies of its batches' lines: a push copies them, a take hands them
 * to the caller, mempool_free frees what is left.
 */
#include "node/mempool.h"

#include "node/huge_pages.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(((mempool *)0)->hash_key) == crypto_shorthash_KEYBYTES, "the SipHash key size");

bool mempool_init(mempool *pool, uint32_t capacity) {
    memset(pool, 0, sizeof *pool);
    pool->capacity = capacity;
    pool->entries = calloc(capacity, sizeof *pool->entries);
    /* at most two pending entries per transaction, at load factor 1/2 */
    uint32_t slots = 64;
    while (slots < capacity * 4u) slots *= 2;
    pool->pending_capacity = slots;
    pool->pending = calloc(slots, sizeof *pool->pending);
    pool->occupied = calloc(slots, sizeof *pool->occupied);
    if (!pool->entries || !pool->pending || !pool->occupied) {
        mempool_free(pool);
        return false;
    }
    huge_pages_advise(pool->entries, (size_t)capacity * sizeof *pool->entries);
    huge_pages_advise(pool->pending, (size_t)slots * sizeof *pool->pending);
    randombytes_buf(pool->hash_key, sizeof pool->hash_key);
    return true;
}

void mempool_free(mempool *pool) {
    for (uint32_t i = 0; pool->entries && i < pool->count; i++)
        tally_tx_release(&pool->entries[(pool->head + i) % pool->capacity].tx);
    free(pool->entries);
    free(pool->pending);
    free(pool->occupied);
    sodium_memzero(pool, sizeof *pool);
}

/* SipHash-2-4 of (key, network id) under the mempool's secret key: signer keys are
 * chosen by clients, who could otherwise make them share a slot. */
static uint32_t pending_hash(mempool *pool, const tally_key *key, uint32_t network_id) {
    mempool_hash_memo *memo = &pool->hash_memo[network_id != 0];
    if (memo->valid && memo->network_id == network_id && memcmp(memo->key.bytes, key->bytes, TALLY_KEY_BYTES) == 0)
        return memo->hash;
    uint8_t input[TALLY_KEY_BYTES + 4], hash[crypto_shorthash_BYTES];
    memcpy(input, key->bytes, TALLY_KEY_BYTES);
    memcpy(input + TALLY_KEY_BYTES, &network_id, 4);
    crypto_shorthash(hash, input, sizeof input, pool->hash_key);
    uint64_t value;
    memcpy(&value, hash, sizeof value);
    *memo = (mempool_hash_memo){.valid = true, .key = *key, .network_id = network_id, .hash = (uint32_t)value};
    return memo->hash;
}

/* The entry for (key, network), or NULL; with `create`, a new zeroed one (NULL when
 * no free slot is within MEMPOOL_PROBES_MAX). */
static mempool_pending *pending_slot(mempool *pool, const tally_key *key, uint32_t network_id, bool create) {
    uint32_t mask = pool->pending_capacity - 1;
    uint32_t position = pending_hash(pool, key, network_id) & mask;
    mempool_pending *found = NULL;
    uint32_t probes = 0;
    while (probes < MEMPOOL_PROBES_MAX && probes < pool->pending_capacity) {
        mempool_pending *slot = &pool->pending[position];
        probes++;
        if (!slot->used) {
            if (create) {
                assert(pool->pending_used < pool->pending_capacity / 2); /* two per transaction at most */
                slot->used = true;
                slot->key = *key;
                slot->network_id = network_id;
                pool->occupied[pool->pending_used++] = position;
                found = slot;
            }
            break;
        }
        if (slot->network_id == network_id && memcmp(slot->key.bytes, key->bytes, TALLY_KEY_BYTES) == 0) {
            found = slot;
            break;
        }
        position = (position + 1) & mask;
    }
    if (probes > pool->probe_longest) pool->probe_longest = probes;
    return found;
}

uint64_t mempool_next_sequence(mempool *pool, const tally_key *signer, uint64_t committed_next) {
    mempool_pending *slot = pending_slot(pool, signer, 0, false);
    return slot && slot->next_sequence ? slot->next_sequence : committed_next;
}

uint32_t mempool_sender_count(mempool *pool, const tally_key *signer) {
    mempool_pending *slot = pending_slot(pool, signer, 0, false);
    return slot ? slot->pending_count : 0;
}

int64_t mempool_pending_spend(mempool *pool, const tally_key *signer, uint32_t network_id) {
    if (network_id == 0) return 0;
    mempool_pending *slot = pending_slot(pool, signer, network_id, false);
    return slot ? slot->pending_spend : 0;
}

uint32_t mempool_lines_of(const tally_tx *tx) {
    return tx->type == TALLY_TX_TRANSFER_BATCH ? tx->body.transfer_batch.line_count : 0;
}

int64_t mempool_spend_of(const tally_tx *tx) {
    int64_t total = 0;
    if (tx->type == TALLY_TX_TRANSFER) total = tx->body.transfer.amount > 0 ? tx->body.transfer.amount : 0;
    /* a hold is spent as far as the payer's credit goes */
    if (tx->type == TALLY_TX_PENDING_CREATE)
        total = tx->body.pending_create.amount > 0 ? tx->body.pending_create.amount : 0;
    if (tx->type == TALLY_TX_TRANSFER_BATCH && tx->body.transfer_batch.lines)
        for (uint16_t i = 0; i < tx->body.transfer_batch.line_count; i++) {
            int64_t amount = tx->body.transfer_batch.lines[i].amount;
            if (amount > 0 && __builtin_add_overflow(total, amount, &total)) return INT64_MAX;
        }
    return total;
}

static uint32_t spend_network(const tally_tx *tx) {
    if (tx->type == TALLY_TX_TRANSFER) return tx->body.transfer.network_id;
    if (tx->type == TALLY_TX_TRANSFER_BATCH) return tx->body.transfer_batch.network_id;
    if (tx->type == TALLY_TX_PENDING_CREATE) return tx->body.pending_create.network_id;
    return 0;
}

static bool spends(const tally_tx *tx) { return spend_network(tx) != 0 && mempool_spend_of(tx) > 0; }

/* Records tx as pending; false (having changed nothing that matters: a new entry
 * stays zeroed) when an entry finds no slot. */
static bool note_pending(mempool *pool, const tally_tx *tx) {
    mempool_pending *sequence = pending_slot(pool, &tx->signer, 0, true);
    mempool_pending *spend = sequence && spends(tx) ? pending_slot(pool, &tx->signer, spend_network(tx), true) : NULL;
    if (!sequence || (spends(tx) && !spend)) return false;
    sequence->next_sequence = tx->sequence + 1;
    sequence->pending_count++;
    if (spend && __builtin_add_overflow(spend->pending_spend, mempool_spend_of(tx), &spend->pending_spend))
        spend->pending_spend = INT64_MAX;
    pool->lines += mempool_lines_of(tx);
    return true;
}

bool mempool_lines_fit(const mempool *pool, const tally_tx *tx) {
    return (uint64_t)pool->lines + mempool_lines_of(tx) <= MEMPOOL_LINES_MAX;
}

bool mempool_push(mempool *pool, const tally_tx *tx, const uint8_t id[TALLY_HASH_BYTES]) {
    return mempool_push_prepared(pool, tx, id, NULL);
}

bool mempool_push_prepared(mempool *pool, const tally_tx *tx, const uint8_t id[TALLY_HASH_BYTES],
                           const tally_tx_prepared *prepared) {
    if (mempool_full(pool) || !mempool_lines_fit(pool, tx)) return false;
    mempool_entry *entry = &pool->entries[(pool->head + pool->count) % pool->capacity];
    if (!tally_tx_copy(&entry->tx, tx)) return false; /* a batch's lines: out of memory */
    if (!note_pending(pool, tx)) {
        tally_tx_release(&entry->tx);
        return false;
    }
    memcpy(entry->id, id, TALLY_HASH_BYTES);
    entry->has_prepared = prepared != NULL;
    if (prepared) entry->prepared = *prepared;
    pool->count++;
    return true;
}

/* Rebuilds the pending table from the ring. Each entry found room when it was
 * pushed; in another order and with fewer neighbours one could, in theory, not: then
 * a new hash key spreads them differently. */
static void rebuild_pending(mempool *pool) {
    for (int attempt = 0; attempt < 8; attempt++) {
        /* Only the slots in use are cleared: the whole table is 16 MB at the default
         * capacity, and a block is taken every few milliseconds under load. */
        for (uint32_t i = 0; i < pool->pending_used; i++)
            memset(&pool->pending[pool->occupied[i]], 0, sizeof *pool->pending);
        pool->pending_used = 0;
        pool->lines = 0;
        bool complete = true;
        for (uint32_t i = 0; i < pool->count && complete; i++)
            complete = note_pending(pool, &pool->entries[(pool->head + i) % pool->capacity].tx);
        if (complete) return;
        randombytes_buf(pool->hash_key, sizeof pool->hash_key);
        memset(pool->hash_memo, 0, sizeof pool->hash_memo); /* hashes under the old key */
    }
}

uint32_t mempool_take(mempool *pool, mempool_entry *out, uint32_t limit) {
    uint32_t taken = 0;
    uint64_t lines = 0;
    for (; taken < pool->count && taken < limit; taken++) {
        const mempool_entry *entry = &pool->entries[(pool->head + taken) % pool->capacity];
        /* A block holds TALLY_BLOCK_LINES_MAX batch lines at most: the rest wait. */
        lines += mempool_lines_of(&entry->tx);
        if (lines > TALLY_BLOCK_LINES_MAX) break;
        out[taken] = *entry; /* its lines go with it */
    }
    pool->head = (pool->head + taken) % pool->capacity;
    pool->count -= taken;
    rebuild_pending(pool);
    return taken;
}
