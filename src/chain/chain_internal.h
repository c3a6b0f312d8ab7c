/*
 * chain_internal.h: what chain.c offers the store beyond the public API: building a
 * block with the signatures already checked. The byte helpers are in bytes.h, the
 * failure helpers in chain_errors.h, block.c's internals in block_internal.h, each
 * included by the modules that use them. Not part of the public API
 * (include/tally_chain.h).
 */
#ifndef TALLY_CHAIN_INTERNAL_H
#define TALLY_CHAIN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "tally_chain.h"

/* tally_block_build and tally_block_build_verified (signatures_checked). On failure
 * *state_changed says whether the state was touched (then it is unusable). */
tally_chain_error block_build(tally_state *state, tally_chain_tip *tip,
                              const uint8_t producer_secret[TALLY_SECRET_BYTES], int64_t block_time,
                              const tally_tx *candidates, uint32_t candidate_count,
                              bool signatures_checked, tally_result *candidate_results,
                              tally_block *block, bool *state_changed, tally_chain_failure *failure);

#endif
