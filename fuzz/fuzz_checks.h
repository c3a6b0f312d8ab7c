/*
 * fuzz_checks.h: what each fuzzer checks about one input, as functions that both
 * the libFuzzer harnesses (fuzz/fuzz_*.c, which abort on a false) and the
 * regression test (test/test_fuzz_regressions.c, which runs every saved input and
 * seed through them) call. Each returns true when the input is handled correctly,
 * whatever it holds; false with a sentence in `why` when a property is broken. A
 * crash or a sanitizer report is a failure too, caught by the sanitizers.
 */
#ifndef TALLY_FUZZ_CHECKS_H
#define TALLY_FUZZ_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUZZ_WHY_MAX 512u

/*
 * Transactions. Input: 3 control bytes, then the bytes given to tally_tx_decode.
 *   byte 0: bits 0-2 an actor (fuzz_world.h); bit 7 set: the envelope is replaced
 *           (the prepared chain id, that actor as signer, its next sequence);
 *           bit 6 set: tally_end_block runs after the transaction;
 *           bit 5 set: it goes through tally_apply_signed (signature checked),
 *           signed by that actor when the envelope is replaced.
 *   byte 1: bit 7 set: the body's key field (payee, member, key, to), if any,
 *           becomes the key of actor (bits 0-2).
 *   byte 2: the block time, in half days after the prepared state's time; from
 *           0xf0 on, near INT64_MAX (0xff: INT64_MAX itself).
 * Checks: a decoded transaction re-encodes to exactly its input (the encoding is
 * canonical); applied with tally_apply (or tally_apply_signed) to a fresh copy of the prepared state, the
 * invariants hold, a refusal leaves tally_state_hash unchanged, a transaction
 * tally_tx_admissible refuses is refused by the rules too, and the state after
 * it (and after the end of the block) serializes to bytes that load again and
 * serialize to the same bytes.
 */
bool fuzz_check_tx(const uint8_t *data, size_t size, char *why, size_t why_size);

/* Blocks. Checks: a decoded block re-encodes to exactly its input; tally_block_check
 * against the fuzz chain's genesis tip returns (any answer); a block that passes it
 * is applied to the genesis state with tally_block_apply and, when accepted, the
 * invariants hold. A next block (height, link, time and producer right) that fails
 * only on its seal is sealed again with the producer's key, as a dishonest producer
 * would, and applied the same way, so that mutated headers and results reach every
 * check of tally_block_apply. */
bool fuzz_check_block(const uint8_t *data, size_t size, char *why, size_t why_size);

/* Snapshots. Checks: a state that tally_state_deserialize loads passes
 * tally_check_invariants and serializes back to exactly its input. */
bool fuzz_check_snapshot(const uint8_t *data, size_t size, char *why, size_t why_size);

/*
 * The HTTP API's request parsing (src/node/submission.h). Input: byte 0 picks the
 * content type (bits 0-1: none, application/json, application/octet-stream,
 * application/octet-stream with a parameter), the rest is the body. Checks: a
 * refusal has a known code, status and message; an accepted body has 1..4096 items,
 * every decoded transaction is the canonical decoding of its bytes (for the binary
 * form, re-encoding gives its frame), positions agree with items, and every refused
 * item says why. The body, read up to its first NUL, is also parsed as a query
 * number by submission_parse_u64 and compared with a reference.
 */
bool fuzz_check_http(const uint8_t *data, size_t size, char *why, size_t why_size);

#endif
