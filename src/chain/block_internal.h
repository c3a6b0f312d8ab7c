/*
 * block_internal.h: what block.c offers the chain (chain.c) beyond the public block
 * format: growing a block's arrays, a batch's lines and the genesis chain rules on the wire. Not part
 * of the public API (include/tally_chain.h).
 */
#ifndef TALLY_BLOCK_INTERNAL_H
#define TALLY_BLOCK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally_chain.h"

/* Makes room for `count` transactions and results in block; false when out of
 * memory (the block keeps what it held). */
bool block_reserve(tally_block *block, uint32_t count);
/* Room for count events (count <= TALLY_BLOCK_EVENTS_MAX); false when out of memory. */
bool block_reserve_events(tally_block *block, uint32_t count);
/* Frees the batch lines of the block's header.tx_count transactions (which keep
 * their place; the count is the caller's to change). */
void block_release_lines(tally_block *block);
/* The batch lines a transaction holds (0 for every type but TRANSFER_BATCH). */
uint32_t block_lines_of(const tally_tx *tx);

/* True when the genesis name is 1..TALLY_NAME_MAX bytes of valid text (tally_text_is_valid). */
bool chain_name_is_valid(const char *name, size_t length);

/* The genesis chain rules on the wire: u8 growth_mode | u16 networks_per_key_per_day |
 * u16 assets_per_key_per_day | u8 validator_count | validator keys. */
#define CHAIN_RULES_FIXED_BYTES 7u
#define CHAIN_RULES_BYTES_MAX (CHAIN_RULES_FIXED_BYTES + TALLY_VALIDATORS_MAX * TALLY_KEY_BYTES)
/* Writes the rules into out (CHAIN_RULES_BYTES_MAX bytes); returns the length. */
size_t chain_rules_encode(const tally_chain_rules *rules, uint8_t *out);
/* Valid rules with at least one validator (the genesis producer). */
bool chain_rules_are_valid_for_genesis(const tally_chain_rules *rules);

#endif
