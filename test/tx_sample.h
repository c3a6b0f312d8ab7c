/*
 * tx_sample.h: transactions for tests. A seeded generator fills every field of any
 * transaction type (walking the codec's field tables) with values the decoder
 * accepts, so the codec tests cover every type and field without listing them.
 */
#ifndef TALLY_TEST_TX_SAMPLE_H
#define TALLY_TEST_TX_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "tally.h"

typedef struct {
    uint64_t state;
} sample_rng;

/* splitmix64: the same sequence for the same seed on every machine. */
uint64_t sample_next(sample_rng *rng);
/* A value in 0..bound-1 (bound > 0). */
uint64_t sample_below(sample_rng *rng, uint64_t bound);

/* A transaction of `type` with every header and body field drawn from rng: text is
 * valid UTF-8 (1- to 4-byte sequences) of a length up to its field's maximum, enum
 * fields are in range, bools 0/1, a batch has 1 to 4 lines (one in 16 the most).
 * Every byte the encoding does not carry (padding, text past its length) is zero,
 * as after tally_tx_decode. The signature is random. Writes *tx; a batch's lines
 * are on the heap (tally_tx_release). */
void sample_tx(uint8_t type, sample_rng *rng, tally_tx *tx);

/* Encodes tx (signed form) into out; returns the length, 0 on failure. */
size_t sample_encode(const tally_tx *tx, uint8_t out[TALLY_TX_ENCODED_MAX]);

#endif
