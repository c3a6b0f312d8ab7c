/*
 * verify.h: `tally verify`, the audit any member can run: replay a chain from its
 * genesis and check every hash, signature, result, state commitment and invariant
 * (include/tally_chain.h), from a data directory or block by block from a node,
 * trusting nothing but the genesis (and, with --chain-id, not even that). Progress
 * goes to stderr: a bar on a terminal, a line every 10% otherwise.
 */
#ifndef TALLY_CLI_VERIFY_H
#define TALLY_CLI_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/cli.h"
#include "tally_chain.h"

typedef struct {
    cli_context *ctx;
    uint64_t start_ns;
    uint64_t last_draw_ns;
    unsigned last_decile; /* of the lines printed without a terminal */
    bool drawn;           /* a bar is on the terminal line */
} cli_verify_progress;

void cli_verify_progress_start(cli_verify_progress *progress, cli_context *ctx);
/* `done` of `total` blocks verified. */
void cli_verify_progress_update(cli_verify_progress *progress, uint64_t done, uint64_t total);
/* Ends the bar's line. */
void cli_verify_progress_finish(cli_verify_progress *progress);

/* Verifies the block log in directory (tally_chain_verify; full_invariants:
 * tally_chain_verify_full). expected_chain_id may be NULL. Prints the summary or the
 * failure; CLI_REFUSED on a failed check. */
cli_status cli_verify_data(cli_context *ctx, const char *directory, const uint8_t *expected_chain_id,
                           bool full_invariants);
/* Downloads every block from the node and verifies it in memory (full_invariants:
 * the full invariant check after every block), with each block's co-signatures
 * (verify_cosign.h); require_final: CLI_REFUSED unless every block is final. */
cli_status cli_verify_node(cli_context *ctx, const uint8_t *expected_chain_id, bool full_invariants,
                           bool require_final);

#endif
