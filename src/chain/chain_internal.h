/*
 * chain_internal.h: what the block, chain and store modules share and nobody else
 * needs: little-endian integers, filling a tally_chain_failure, and growing a
 * block's arrays. Not part of the public API (include/tally_chain.h).
 */
#ifndef TALLY_CHAIN_INTERNAL_H
#define TALLY_CHAIN_INTERNAL_H

#include <stdint.h>

#include "tally_chain.h"

static inline void le_store_u16(uint8_t *out, uint16_t value) {
    out[0] = (uint8_t)value;
    out[1] = (uint8_t)(value >> 8);
}

static inline void le_store_u32(uint8_t *out, uint32_t value) {
    for (unsigned i = 0; i < 4; i++) out[i] = (uint8_t)(value >> (8 * i));
}

static inline void le_store_u64(uint8_t *out, uint64_t value) {
    for (unsigned i = 0; i < 8; i++) out[i] = (uint8_t)(value >> (8 * i));
}

static inline uint16_t le_load_u16(const uint8_t *in) { return (uint16_t)(in[0] | (in[1] << 8)); }

static inline uint32_t le_load_u32(const uint8_t *in) {
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
}

static inline uint64_t le_load_u64(const uint8_t *in) {
    return (uint64_t)le_load_u32(in) | (uint64_t)le_load_u32(in + 4) << 32;
}

/*
 * Fills *failure (when not NULL) and returns code, so a failing path is one line:
 *   return chain_fail(failure, TALLY_CHAIN_ERR_BAD_TX_ROOT, height, TALLY_NO_TX, NULL);
 * The message is "block H: transaction I: " (the parts that apply) followed by the
 * formatted detail, or by the code's message when format is NULL. tx_code, offset
 * and os_error are reset; set them after the call when they apply.
 */
tally_chain_error chain_fail(tally_chain_failure *failure, tally_chain_error code, uint64_t height,
                             uint32_t tx_index, const char *format, ...)
    __attribute__((format(printf, 5, 6)));

/* A failed file operation: code IO, the offset (TALLY_NO_OFFSET when none), errno,
 * and a message ending in strerror(os_error). */
tally_chain_error chain_fail_io(tally_chain_failure *failure, uint64_t offset, int os_error,
                                const char *format, ...) __attribute__((format(printf, 4, 5)));

/* Calls notice (when not NULL) with `failure`. */
void chain_notify(tally_notice_fn *notice, void *context, const tally_chain_failure *failure);

/* Makes room for `count` transactions and results in block; false when out of
 * memory (the block keeps what it held). */
bool block_reserve(tally_block *block, uint32_t count);
/* Frees the batch lines of the block's header.tx_count transactions (which keep
 * their place; the count is the caller's to change). */
void block_release_lines(tally_block *block);
/* The batch lines a transaction holds (0 for every type but TRANSFER_BATCH). */
uint32_t block_lines_of(const tally_tx *tx);

/* tally_block_build and tally_block_build_verified (signatures_checked). On failure
 * *state_changed says whether the state was touched (then it is unusable). */
tally_chain_error block_build(tally_state *state, tally_chain_tip *tip,
                              const uint8_t producer_secret[TALLY_SECRET_BYTES], int64_t block_time,
                              const tally_tx *candidates, uint32_t candidate_count,
                              bool signatures_checked, tally_result *candidate_results,
                              tally_block *block, bool *state_changed, tally_chain_failure *failure);

/* True when the genesis name is 1..TALLY_NAME_MAX bytes of valid text (tally_text_is_valid). */
bool chain_name_is_valid(const char *name, size_t length);

/* The genesis chain rules on the wire: u8 growth_mode | u16 networks_per_key_per_day |
 * u16 assets_per_key_per_day | u8 validator_count | validator keys. */
#define CHAIN_RULES_FIXED_BYTES 6u
#define CHAIN_RULES_BYTES_MAX (CHAIN_RULES_FIXED_BYTES + TALLY_VALIDATORS_MAX * TALLY_KEY_BYTES)
/* Writes the rules into out (CHAIN_RULES_BYTES_MAX bytes); returns the length. */
size_t chain_rules_encode(const tally_chain_rules *rules, uint8_t *out);
/* Valid rules with at least one validator (the genesis producer). */
bool chain_rules_are_valid_for_genesis(const tally_chain_rules *rules);

#endif
