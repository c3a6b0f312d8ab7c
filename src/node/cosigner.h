/*
 * cosigner.h: the node's co-signatures (issue 14). It opens data/cosignatures.log
 * beside the block log, co-signs every block the node makes durable with the
 * node's key (when that key is one of the genesis validators), takes the
 * co-signatures the ordering layer receives from other validators, and answers
 * what a block's co-signatures are and whether it is final.
 *
 * Damage. cosignatures.log is not the source of truth: a node's own co-signatures
 * can be made again from its key, the others' fetched again from their
 * validators, and nothing was ever acknowledged on one. So a damaged log (not a
 * torn tail, which is cut with a notice like the block log's) does not keep a
 * validator from starting: the file is moved aside whole (cosignatures.log.damaged-
 * <unix time>, kept as evidence, never deleted), a new log is filled with every
 * record of it that is sound (tally_cosign_store_salvage), and the node says so,
 * naming the offset of the first record dropped. A block whose co-signatures were
 * dropped is not final on this node until they are added again; `tally verify
 * --node` shows it. What refuses the start: a log this process cannot open or
 * lock (IO, LOCKED) and memory.
 *
 * A full disk is not a failure: a co-signature the disk had no room for (ENOSPC,
 * its partial record cut off again) is made again when space returns, the node
 * refusing transactions meanwhile (node.c, "disk full"). Any other failed write or
 * fsync of the log (or no memory for a co-signature) sets
 * c->failed and the node stops as after a failed block write (node_failed, exit
 * status 1): the disk under the block log is failing, and co-signatures received
 * from other validators could no longer be kept. A restart rescans the log (a torn
 * tail is cut) and co-signs on.
 *
 * Not done: blocks made before this node co-signed (an older data directory) get
 * no co-signature; only the blocks made from now on do (a notice says so).
 *
 * Threads: the caller holds one lock around every call, except cosigner_flush,
 * which it runs without (it fsyncs only).
 */
#ifndef TALLY_NODE_COSIGNER_H
#define TALLY_NODE_COSIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally_chain.h"

/* Flushes of the log under load are at least this far apart; an idle node flushes
 * after each block. */
#define COSIGNER_FLUSH_INTERVAL_NS 100000000ull

typedef void cosigner_say_fn(void *context, const char *what, const char *detail);

typedef struct {
    tally_cosign_store *store; /* NULL: not opened */
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    tally_key validators[TALLY_VALIDATORS_MAX];
    uint32_t validator_count, quorum; /* the roster (retired slots too); a quorum of the active */
    uint32_t active;   /* bit v: validators[v] is active */
    uint16_t retired;  /* the tip's, when the roster was taken */
    bool is_validator; /* the node's key is validators[own], active */
    uint32_t own;
    bool dirty;          /* added since the last flush */
    uint64_t flushed_ns; /* CLOCK_MONOTONIC of the last flush */
    uint64_t final_height; /* the highest block with a quorum of co-signatures of this node's block */
    uint64_t cosigned;   /* co-signatures this process added (its own and others') */
    bool failed;         /* a write or fsync of the log failed: the node stops (see above) */
    /* The disk was full when the node co-signed a block (ENOSPC, the log as it was):
     * its own co-signatures from this height on wait until cosigner_sign_again. */
    uint64_t unsigned_from; /* 0: none waits */
    /* Whether a full disk may wait (a single node, which then refuses transactions
     * until there is room); false: it fails as any other write (a validator of
     * several). Set by the node. */
    bool waits_for_room;
    cosigner_say_fn *say;
    void *say_context;
} cosigner;

/* One co-signature as the node serves it. */
typedef struct {
    uint32_t validator; /* index in the validator set */
    tally_key key;
    uint8_t signature[TALLY_SIGNATURE_BYTES];
} node_cosignature;

/* Opens data_dir/cosignatures.log for the chain of store (see above), its
 * signatures checked on `signatures` (borrowed; may be NULL). false with a reason
 * in why. */
bool cosigner_open(cosigner *c, const char *data_dir, const tally_store *store, const tally_key *self,
                   tally_signature_pool *signatures, cosigner_say_fn *say, void *say_context, char *why,
                   size_t why_size);
/* After each block: the set as the tip has it (the chain added or retired validators).
 * A block is co-signed by the validators in force after it. false (a roster that
 * does not extend the log's) should not happen. */
bool cosigner_take_validators(cosigner *c, const tally_chain_tip *tip, const tally_key *self);
/* Flushes and closes (c zeroed; an unopened one: nothing). */
void cosigner_close(cosigner *c);

/* Co-signs block height (hash) with secret, the node's key, and adds it. A failed
 * write sets c->failed; a full disk (ENOSPC) with c->waits_for_room sets
 * c->unsigned_from instead, and the blocks from there on are co-signed by
 * cosigner_sign_again. */
void cosigner_sign_block(cosigner *c, const uint8_t secret[TALLY_SECRET_BYTES], uint64_t height,
                         const uint8_t hash[TALLY_HASH_BYTES]);
/* Space returned: co-signs the blocks of the log from c->unsigned_from to its tip.
 * false (c->unsigned_from still set) when the disk is full again. */
bool cosigner_sign_again(cosigner *c, const uint8_t secret[TALLY_SECRET_BYTES], const tally_blocklog *log);
/* Whether a flush is due: something added since the last one, and the node idle
 * or the last flush COSIGNER_FLUSH_INTERVAL_NS ago. Then, in this order:
 * cosigner_flush_begin under the lock, cosigner_flush without it (it only fsyncs),
 * cosigner_flush_end under the lock again with what it returned. */
bool cosigner_flush_due(const cosigner *c, bool idle, uint64_t now_ns);
void cosigner_flush_begin(cosigner *c, uint64_t now_ns);
tally_chain_error cosigner_flush(const cosigner *c, tally_chain_failure *failure);
void cosigner_flush_end(cosigner *c, tally_chain_error error, const tally_chain_failure *failure);

/* The co-signatures of the block the log holds at height that are of that block
 * (sorted by validator), at most max into out, *count how many; hash the block's.
 * false when the log has no such block. */
bool cosigner_get(const cosigner *c, const tally_blocklog *log, uint64_t height, node_cosignature *out,
                  uint32_t max, uint32_t *count, uint8_t hash[TALLY_HASH_BYTES]);

/* Adds another validator's co-signature of block height: the block must be in the
 * log (NO_SUCH_BLOCK: add it once the block is applied), the signature must hold
 * for that validator (BAD_ARGUMENT, BAD_COSIGNATURE), and a second one of a
 * validator at a height is refused (COSIGN_CONFLICT) and said with both, as
 * evidence. One of another block hash than the log's is kept (it holds: a
 * validator vouched for another block at this height) and said. */
tally_chain_error cosigner_add_remote(cosigner *c, const tally_blocklog *log, uint64_t height,
                                      const uint8_t block_hash[TALLY_HASH_BYTES], uint32_t validator,
                                      const uint8_t signature[TALLY_SIGNATURE_BYTES], tally_chain_failure *failure);

#endif
