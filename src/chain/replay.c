/*
 * replay.c: applying a run of blocks with their signatures checked ahead on every
 * core (tally_chain_replay in tally_chain.h), for tally_store_open, `tally verify`
 * and catching up from a node. A ring of blocks is read ahead of the one being
 * applied; each block read is handed to the signature pool at once (every
 * transaction's signature and the producer's), and blocks are applied strictly in
 * order, each only once its verdicts are in, with block_apply_checked: the checks
 * and failures of tally_block_apply, minus the signature checks already made. A
 * failure to read a block ahead is kept in its place in the ring and reported only
 * when every block before it has applied, so what is reported is what a replay one
 * block at a time reports.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain_errors.h"
#include "chain/chain_internal.h"

/* Reading ahead stops at this many transactions waiting for their verdicts (about
 * half a second of two cores' work, so the pool never starves while a block is
 * applied), or at RING_BLOCKS blocks (chains of small blocks). */
#define AHEAD_TXS_MAX 16384u
#define RING_BLOCKS 64u

typedef struct {
    tally_block block;
    bool *valid; /* the transactions' verdicts, then the header's */
    uint32_t valid_capacity;
    tally_signature_job *job;
    tally_chain_error read_error; /* not OK: reading this block failed (read_failure) */
    tally_chain_failure read_failure;
} slot;

typedef struct {
    slot slots[RING_BLOCKS];
    uint32_t oldest, count; /* slots in use, from oldest on */
    uint32_t ahead_txs;     /* checks submitted for the slots in use */
} ring;

/* Index `i` of a block's job: its transactions, then its header. */
static bool check_block_signature(const void *context, uint32_t index) {
    const tally_block *block = context;
    if (index < block->header.tx_count) return tally_tx_verify(&block->txs[index]);
    return block_header_signature_holds(&block->header);
}

static bool reserve_verdicts(slot *s, uint32_t count) {
    if (count <= s->valid_capacity) return true;
    bool *grown = realloc(s->valid, count * sizeof *grown);
    if (grown == NULL) return false;
    s->valid = grown;
    s->valid_capacity = count;
    return true;
}

/* Reads block `height` into the next free slot and submits its checks. false
 * when the read failed (the slot then holds the failure) or memory ran out. */
static bool read_ahead(ring *r, tally_signature_pool *pool, uint64_t height, tally_block_source_fn *source,
                       void *source_context) {
    assert(r->count < RING_BLOCKS);
    slot *s = &r->slots[(r->oldest + r->count) % RING_BLOCKS];
    r->count++;
    s->read_error = source(source_context, height, &s->block, &s->read_failure);
    if (s->read_error != TALLY_CHAIN_OK) return false;
    /* A count no block may hold is refused by the header's checks, before any
     * verdict is read: nothing to check ahead. */
    uint32_t checks = s->block.header.tx_count <= TALLY_BLOCK_TXS_MAX ? s->block.header.tx_count + 1 : 0;
    if (!reserve_verdicts(s, checks)) {
        s->read_error = chain_fail(&s->read_failure, TALLY_CHAIN_ERR_NO_MEMORY, height, TALLY_NO_TX, NULL);
        return false;
    }
    for (uint32_t i = 0; i < checks; i++) s->valid[i] = true;
    s->job = tally_signature_pool_submit(pool, check_block_signature, &s->block, checks, s->valid);
    r->ahead_txs += checks;
    return true;
}

tally_chain_error tally_chain_replay(tally_state *state, tally_chain_tip *tip, uint64_t end,
                                     tally_block_source_fn *source, void *source_context,
                                     tally_signature_pool *pool, tally_progress_fn *progress,
                                     void *progress_context, uint64_t *transactions,
                                     tally_chain_failure *failure) {
    assert(state != NULL && tip != NULL && source != NULL && transactions != NULL);
    if (tip->height == UINT64_MAX || tip->height + 1 >= end) return TALLY_CHAIN_OK;
    ring *r = calloc(1, sizeof *r);
    if (r == NULL) return chain_fail(failure, TALLY_CHAIN_ERR_NO_MEMORY, tip->height + 1, TALLY_NO_TX, NULL);
    for (uint32_t i = 0; i < RING_BLOCKS; i++) tally_block_init(&r->slots[i].block);
    /* Without a pool of our own (no thread could start) the checks are made inline. */
    tally_signature_pool *own = pool == NULL ? tally_signature_pool_start(0) : NULL;
    if (pool == NULL) pool = own;

    tally_chain_error error = TALLY_CHAIN_OK;
    uint64_t next = tip->height + 1;
    bool reading = true;
    for (;;) {
        while (reading && next < end && r->count < RING_BLOCKS && (r->count == 0 || r->ahead_txs < AHEAD_TXS_MAX))
            reading = read_ahead(r, pool, next++, source, source_context);
        if (r->count == 0) break; /* every block applied */
        slot *s = &r->slots[r->oldest];
        if (s->read_error != TALLY_CHAIN_OK) {
            if (failure != NULL) *failure = s->read_failure;
            error = s->read_error;
            break;
        }
        tally_signature_pool_wait(pool, s->job);
        s->job = NULL;
        uint32_t count = s->block.header.tx_count;
        bool verdicts = count <= TALLY_BLOCK_TXS_MAX;
        block_signatures checked = {.header = verdicts && s->valid[count], .txs = s->valid};
        error = block_apply_checked(state, tip, &s->block, verdicts ? &checked : NULL, failure);
        r->ahead_txs -= verdicts ? count + 1 : 0;
        r->oldest = (r->oldest + 1) % RING_BLOCKS;
        r->count--;
        if (error != TALLY_CHAIN_OK) break;
        *transactions += count;
        if (progress != NULL) progress(progress_context, tip->height, end);
    }

    /* Jobs still queued write into slots about to be freed: wait for them first. */
    for (uint32_t i = 0; i < RING_BLOCKS; i++) {
        tally_signature_pool_wait(pool, r->slots[i].job);
        tally_block_release(&r->slots[i].block);
        free(r->slots[i].valid);
    }
    free(r);
    tally_signature_pool_stop(own);
    return error;
}
