/*
 * verify_cosign.h: the co-signatures part of `tally verify --node` (issue 14). As
 * each block is fetched, GET /v1/blocks/{height}/cosignatures, and every
 * co-signature listed is checked against the validator set of the genesis the
 * verification opened (trusting nothing the node says about who validates): the
 * validator's index and address, one per validator, the block hash of the block
 * just fetched, and the Ed25519 signature (tally_cosign_holds). One that does not
 * hold fails the verification (BAD_COSIGNATURE) naming the block and the
 * validator; a block with fewer than a quorum is counted as not final, which is
 * reported, not refused (the newest blocks of a chain of several validators wait
 * for theirs). A node that does not know the route (NOT_FOUND: older than
 * co-signatures) is said to serve none.
 */
#ifndef TALLY_CLI_VERIFY_COSIGN_H
#define TALLY_CLI_VERIFY_COSIGN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "tally_chain.h"

#define CLI_COSIGN_NOT_FINAL_LISTED 8u

typedef struct {
    bool started;  /* the genesis gave the validator set */
    bool unserved; /* the node has no co-signature route */
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    tally_key validators[TALLY_VALIDATORS_MAX];
    uint32_t validator_count, quorum; /* the roster (retired slots too); a quorum of the active */
    uint16_t retired;
    uint64_t blocks;     /* checked (the genesis is not co-signed) */
    uint64_t final;      /* of them, with a quorum */
    uint64_t signatures; /* co-signatures that hold */
    uint64_t not_final[CLI_COSIGN_NOT_FINAL_LISTED]; /* the first blocks without a quorum */
    uint32_t not_final_listed;
    uint64_t elapsed_ns; /* fetching and checking */
} cli_cosign_check;

/* The validator set of the chain whose genesis is `genesis` (opened: tip). */
void cli_cosign_check_start(cli_cosign_check *check, const tally_block *genesis, const tally_chain_tip *tip);
/* Fetches and checks the co-signatures of the block just applied, at `tip` (its
 * height and hash, and the validators in force after it, who co-sign it). OK;
 * BAD_COSIGNATURE (a co-signature that does not hold, or names a slot that is not an
 * active validator's or names it twice, or another block); IO when the fetch
 * failed, with *status the CLI's status for it. Nothing for height 0 or once
 * unserved. */
tally_chain_error cli_cosign_check_block(cli_cosign_check *check, cli_context *ctx, const tally_chain_tip *tip,
                                         cli_status *status, tally_chain_failure *failure);
/* "co-signatures: 60 of 60 blocks final (quorum 1 of 1 validators)" and what is not. */
void cli_cosign_check_print(const cli_cosign_check *check, FILE *out);
/* {"served", "blocks", "final", "quorum", "validators", "signatures", "not_final": [..]} */
json_t *cli_cosign_check_json(const cli_cosign_check *check);

#endif
