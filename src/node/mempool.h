/*
 * mempool.h: transactions admitted by the node and waiting for a block. A bounded
 * FIFO (blocks take them in arrival order) plus, per signer, what is pending: the
 * next sequence number the signer may use (so a client can pipeline many
 * transactions) and, per network, the credits its pending transfers will spend (so
 * a payment larger than what is left after the pending ones is refused at once).
 * Not thread-safe: the node holds its lock around every call.
 */
#ifndef TALLY_MEMPOOL_H
#define TALLY_MEMPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "tally.h"

typedef struct {
    tally_tx tx;
    uint8_t id[TALLY_HASH_BYTES];
} mempool_entry;

typedef struct {
    bool used;
    tally_key key;
    uint32_t network_id; /* 0: the signer's sequence entry */
    uint64_t next_sequence;
    int64_t pending_spend;
} mempool_pending;

typedef struct {
    mempool_entry *entries; /* ring of `capacity` */
    uint32_t capacity, head, count;
    mempool_pending *pending; /* open addressing, `pending_capacity` a power of two */
    uint32_t pending_capacity, pending_used;
} mempool;

/* A mempool holding at most `capacity` transactions. false when out of memory. */
TALLY_MUST_CHECK bool mempool_init(mempool *pool, uint32_t capacity);
void mempool_free(mempool *pool);

static inline bool mempool_full(const mempool *pool) { return pool->count == pool->capacity; }

/* The sequence the signer's next transaction must carry: after its pending ones, or
 * committed_next when none are pending. */
uint64_t mempool_next_sequence(const mempool *pool, const tally_key *signer, uint64_t committed_next);
/* Credits the signer's pending transfers in a network will spend (amounts only). */
int64_t mempool_pending_spend(const mempool *pool, const tally_key *signer, uint32_t network_id);

/* Adds a transaction whose sequence the caller checked against
 * mempool_next_sequence. false when full. */
TALLY_MUST_CHECK bool mempool_push(mempool *pool, const tally_tx *tx, const uint8_t id[TALLY_HASH_BYTES]);

/* Moves up to `limit` of the oldest transactions into out; returns how many. The
 * pending tables are rebuilt from what stays, so a signer's next sequence is again
 * read from the chain once the block is committed. */
uint32_t mempool_take(mempool *pool, mempool_entry *out, uint32_t limit);

#endif
