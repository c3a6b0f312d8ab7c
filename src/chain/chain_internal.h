/*
 * chain_internal.h: what chain.c offers the store and the replay beyond the public
 * API: building a block with the signatures already checked, applying one with its
 * signatures checked ahead, and the block log's append in three steps. The byte helpers are in bytes.h, the
 * failure helpers in chain_errors.h, block.c's internals in block_internal.h, each
 * included by the modules that use them. Not part of the public API
 * (include/tally_chain.h).
 */
#ifndef TALLY_CHAIN_INTERNAL_H
#define TALLY_CHAIN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "tally_chain.h"

/* tally_block_build and tally_block_build_verified (signatures_checked; then
 * `prepared`, NULL or one per candidate, is handed to tally_apply_prepared). On
 * failure *state_changed says whether the state was touched (then it is unusable). */
tally_chain_error block_build(tally_state *state, tally_chain_tip *tip,
                              const uint8_t producer_secret[TALLY_SECRET_BYTES], int64_t block_time,
                              const tally_tx *candidates, const tally_tx_prepared *prepared, uint32_t candidate_count,
                              bool signatures_checked, tally_result *candidate_results,
                              tally_block *block, bool *state_changed, tally_chain_failure *failure);

/* Whether the producer's signature over the header holds. */
bool block_header_signature_holds(const tally_block_header *header);

/* Signature verdicts made ahead of applying a block (tally_chain_replay): the
 * producer's, and one per transaction (header.tx_count of them). */
typedef struct {
    bool header;
    const bool *txs;
} block_signatures;

/* tally_block_apply with the verdicts of `checked` in place of checking each
 * signature; NULL: checks them (tally_block_apply). The same checks in the same
 * order: a transaction whose verdict is false is applied with tally_apply_signed,
 * so it fails exactly as it would have (BAD_TX_SIGNATURE, or an earlier check). */
tally_chain_error block_apply_checked(tally_state *state, tally_chain_tip *tip, const tally_block *block,
                                      const block_signatures *checked, tally_chain_failure *failure);

/* tally_blocklog_append in three steps, so that a store can write a block while
 * others read the log (tally_store_write_next): prepare checks that the block is
 * the next one and lays its record out (nothing written; *record its size);
 * write writes and fsyncs it, touching only the file and the record's buffer, so
 * that reads of earlier blocks may run meanwhile; finish counts it in. After a
 * failed write the log refuses every append (LOG_FAILED). */
tally_chain_error blocklog_append_prepare(tally_blocklog *log, const tally_block *block, size_t *record,
                                          tally_chain_failure *failure);
tally_chain_error blocklog_append_write(tally_blocklog *log, size_t record, tally_chain_failure *failure);
void blocklog_append_finish(tally_blocklog *log, const tally_block *block, size_t record);
/* The block's encoding inside the record prepare laid out (its payload). */
void blocklog_record_payload(const tally_blocklog *log, size_t record, const uint8_t **bytes, size_t *length);

#endif
