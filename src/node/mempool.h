/*
 * mempool.h: transactions admitted by the node and waiting for a block. A bounded
 * FIFO (blocks take them in arrival order) plus, per signer, what is pending: how
 * many transactions, the next sequence number the signer may use (so a client can
 * pipeline many transactions) and, per network, the credits its pending transfers
 * will spend (so a payment larger than what is left after the pending ones is
 * refused at once). The node bounds the count per signer (node_config's
 * mempool_per_sender), so no key fills the mempool alone.
 *
 * The pending table is indexed by signer keys, which whoever submits chooses: it is
 * hashed with SipHash-2-4 under a random key drawn when the mempool is made, and its
 * probe sequences are bounded by MEMPOOL_PROBES_MAX.
 * Not thread-safe: the node holds its lock around every call.
 */
#ifndef TALLY_MEMPOOL_H
#define TALLY_MEMPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "tally.h"
#include "tally_chain.h"

#define MEMPOOL_PROBES_MAX 256u
/* Batch lines (TRANSFER_BATCH) pending at most, all batches together: four blocks'
 * worth, about 29 MB of decoded lines (a full ring of single transfers is 48 MB). */
#define MEMPOOL_LINES_MAX (4u * TALLY_BLOCK_LINES_MAX)

typedef struct {
    tally_tx tx;
    uint8_t id[TALLY_HASH_BYTES];
    /* Its key hashes made ahead on a verifier thread (tally_tx_prepare), so that the
     * producer hashes no key under the node's lock; has_prepared false: none. */
    tally_tx_prepared prepared;
    bool has_prepared;
} mempool_entry;

typedef struct {
    bool valid;
    tally_key key;
    uint32_t network_id;
    uint32_t hash; /* pending_hash(key, network_id) under the current hash_key */
} mempool_hash_memo;

typedef struct {
    bool used;
    tally_key key;
    uint32_t network_id;    /* 0: the signer's own entry */
    uint32_t pending_count; /* the signer's entry: its transactions in the mempool */
    uint64_t next_sequence; /* the signer's entry */
    int64_t pending_spend;  /* a network's entry */
} mempool_pending;

typedef struct {
    mempool_entry *entries; /* ring of `capacity` */
    uint32_t capacity, head, count;
    mempool_pending *pending; /* open addressing, `pending_capacity` a power of two */
    uint32_t pending_capacity, pending_used;
    uint32_t *occupied;     /* the positions of the pending_used slots in use */
    uint32_t lines;         /* batch lines pending, at most MEMPOOL_LINES_MAX */
    uint8_t hash_key[16];   /* crypto_shorthash_KEYBYTES */
    uint32_t probe_longest; /* the most slots one lookup examined */
    /* The last signer entry's and the last network entry's hash: admitting one
     * transaction looks up the same two entries about eight times. */
    mempool_hash_memo hash_memo[2];
} mempool;

/* A mempool holding at most `capacity` transactions. false when out of memory. */
TALLY_MUST_CHECK bool mempool_init(mempool *pool, uint32_t capacity);
void mempool_free(mempool *pool);

static inline bool mempool_full(const mempool *pool) { return pool->count == pool->capacity; }

/* The sequence the signer's next transaction must carry: after its pending ones, or
 * committed_next when none are pending. */
uint64_t mempool_next_sequence(mempool *pool, const tally_key *signer, uint64_t committed_next);
/* How many of the signer's transactions are pending. */
uint32_t mempool_sender_count(mempool *pool, const tally_key *signer);
/* Credits the signer's pending transfers and batches in a network will spend
 * (amounts only). */
int64_t mempool_pending_spend(mempool *pool, const tally_key *signer, uint32_t network_id);
/* What one transaction spends (a transfer's amount, a batch's lines' amounts, 0 for
 * the rest; saturating) and the batch lines it holds. */
int64_t mempool_spend_of(const tally_tx *tx);
uint32_t mempool_lines_of(const tally_tx *tx);
/* Whether tx's batch lines fit under MEMPOOL_LINES_MAX. */
bool mempool_lines_fit(const mempool *pool, const tally_tx *tx);

/* Adds a copy of a transaction whose sequence the caller checked against
 * mempool_next_sequence (a batch's lines are copied too). false when full, when its
 * lines do not fit (mempool_lines_fit), when memory for them is short (or, in
 * theory, when the pending table has no room within MEMPOOL_PROBES_MAX of the
 * signer's slot). */
TALLY_MUST_CHECK bool mempool_push(mempool *pool, const tally_tx *tx, const uint8_t id[TALLY_HASH_BYTES]);
/* The same, keeping tx's prepared key hashes with it (NULL: none). */
TALLY_MUST_CHECK bool mempool_push_prepared(mempool *pool, const tally_tx *tx, const uint8_t id[TALLY_HASH_BYTES],
                                            const tally_tx_prepared *prepared);

/* Moves up to `limit` of the oldest transactions into out, and no more batch lines
 * than a block holds (TALLY_BLOCK_LINES_MAX); returns how many. The caller then owns
 * their batch lines (tally_tx_release). The pending tables are rebuilt from what
 * stays, so a signer's next sequence is again read from the chain once the block is
 * committed. */
uint32_t mempool_take(mempool *pool, mempool_entry *out, uint32_t limit);

#endif
