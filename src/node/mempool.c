/*
 * mempool.c: see mempool.h. The pending table is small (one entry per signer and
 * per network it pays in) and rebuilt from the ring after every block, so it needs
 * no deletion.
 */
#include "node/mempool.h"

#include <stdlib.h>
#include <string.h>

bool mempool_init(mempool *pool, uint32_t capacity) {
    memset(pool, 0, sizeof *pool);
    pool->capacity = capacity;
    pool->entries = calloc(capacity, sizeof *pool->entries);
    /* at most two pending entries per transaction, at load factor 1/2 */
    uint32_t slots = 64;
    while (slots < capacity * 4u) slots *= 2;
    pool->pending_capacity = slots;
    pool->pending = calloc(slots, sizeof *pool->pending);
    if (!pool->entries || !pool->pending) {
        mempool_free(pool);
        return false;
    }
    return true;
}

void mempool_free(mempool *pool) {
    free(pool->entries);
    free(pool->pending);
    memset(pool, 0, sizeof *pool);
}

static uint32_t pending_hash(const tally_key *key, uint32_t network_id) {
    uint64_t h;
    memcpy(&h, key->bytes, sizeof h);
    h ^= (uint64_t)network_id * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    return (uint32_t)(h >> 32);
}

/* The entry for (key, network), or NULL; with `create`, a new zeroed one. */
static mempool_pending *pending_slot(mempool *pool, const tally_key *key, uint32_t network_id, bool create) {
    uint32_t mask = pool->pending_capacity - 1;
    for (uint32_t position = pending_hash(key, network_id) & mask, probes = 0; probes < pool->pending_capacity;
         position = (position + 1) & mask, probes++) {
        mempool_pending *slot = &pool->pending[position];
        if (!slot->used) {
            if (!create) return NULL;
            slot->used = true;
            slot->key = *key;
            slot->network_id = network_id;
            pool->pending_used++;
            return slot;
        }
        if (slot->network_id == network_id && memcmp(slot->key.bytes, key->bytes, TALLY_KEY_BYTES) == 0)
            return slot;
    }
    return NULL;
}

uint64_t mempool_next_sequence(const mempool *pool, const tally_key *signer, uint64_t committed_next) {
    mempool_pending *slot = pending_slot((mempool *)(uintptr_t)pool, signer, 0, false);
    return slot && slot->next_sequence ? slot->next_sequence : committed_next;
}

int64_t mempool_pending_spend(const mempool *pool, const tally_key *signer, uint32_t network_id) {
    if (network_id == 0) return 0;
    mempool_pending *slot = pending_slot((mempool *)(uintptr_t)pool, signer, network_id, false);
    return slot ? slot->pending_spend : 0;
}

static void note_pending(mempool *pool, const tally_tx *tx) {
    mempool_pending *sequence = pending_slot(pool, &tx->signer, 0, true);
    if (sequence) sequence->next_sequence = tx->sequence + 1;
    if (tx->type == TALLY_TX_TRANSFER && tx->body.transfer.network_id != 0 && tx->body.transfer.amount > 0) {
        mempool_pending *spend = pending_slot(pool, &tx->signer, tx->body.transfer.network_id, true);
        if (spend && __builtin_add_overflow(spend->pending_spend, tx->body.transfer.amount, &spend->pending_spend))
            spend->pending_spend = INT64_MAX;
    }
}

bool mempool_push(mempool *pool, const tally_tx *tx, const uint8_t id[TALLY_HASH_BYTES]) {
    if (mempool_full(pool)) return false;
    mempool_entry *entry = &pool->entries[(pool->head + pool->count) % pool->capacity];
    entry->tx = *tx;
    memcpy(entry->id, id, TALLY_HASH_BYTES);
    pool->count++;
    note_pending(pool, tx);
    return true;
}

uint32_t mempool_take(mempool *pool, mempool_entry *out, uint32_t limit) {
    uint32_t taken = pool->count < limit ? pool->count : limit;
    for (uint32_t i = 0; i < taken; i++) out[i] = pool->entries[(pool->head + i) % pool->capacity];
    pool->head = (pool->head + taken) % pool->capacity;
    pool->count -= taken;
    memset(pool->pending, 0, (size_t)pool->pending_capacity * sizeof *pool->pending);
    pool->pending_used = 0;
    for (uint32_t i = 0; i < pool->count; i++) note_pending(pool, &pool->entries[(pool->head + i) % pool->capacity].tx);
    return taken;
}
